"""Tests for the text, JSON, hOCR and TSV writers and the overlay, on a hand-built document."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np

from ocr import export
from ocr.document import Block, Document, Glyph, Line, Page, Word, text_blocks


def word(text, x, conf=0.8):
    glyphs = [Glyph(c, (x + 10 * i, 5, x + 10 * i + 8, 20), conf, [(c, conf), ("x", 0.1), ("y", 0.05)])
              for i, c in enumerate(text)]
    return Word(glyphs, (x, 5, x + 10 * len(text) - 2, 20))


def make_doc() -> Document:
    line = Line([word("Hi", 0), word("you<", 40)], (0, 5, 78, 20), [(0, 18), (77, 18)], 8.0, 12.0)
    page = Page("scan & co.png", 0, 200, 60, text_blocks([line], [0]), angle=1.5)
    blank = Page("blank.png", 0, 50, 50, blank=True)
    return Document([page, blank], model="tiny")


def test_text_keeps_lines_spaces_and_pages():
    assert export.render(make_doc(), "text") == "Hi you<\n\f\n"
    assert export.render(Document([Page("b", 0, 9, 9)]), "text") == ""


def test_json_has_version_boxes_confidences_alternatives_angle():
    data = json.loads(export.render(make_doc(), "json"))
    assert data["version"].startswith("2.") and data["failed"] == []
    page = data["pages"][0]
    assert page["angle"] == 1.5 and page["text"] == "Hi you<"
    line = page["blocks"][0]["paragraphs"][0]["lines"][0]
    assert line["baseline"] == [[0, 18], [77, 18]] and line["x_height"] == 8.0
    glyph = line["words"][0]["glyphs"][0]
    assert glyph["box"] == [0, 5, 8, 20] and glyph["confidence"] == 0.8
    assert glyph["alternatives"][0] == ["H", 0.8] and len(glyph["alternatives"]) == 3


def test_hocr_is_valid_xml_with_bbox_and_wconf():
    root = ET.fromstring(export.render(make_doc(), "hocr").encode())
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    words = root.findall(".//h:span[@class='ocrx_word']", ns)
    assert len(words) == 2
    assert words[0].get("title") == "bbox 0 5 18 20; x_wconf 80"
    assert "".join(words[1].itertext()) == "you<"
    pages = root.findall(".//h:div[@class='ocr_page']", ns)
    assert len(pages) == 2 and "bbox 0 0 200 60" in pages[0].get("title")


def test_tsv_uses_tesseract_columns():
    lines = export.render(make_doc(), "tsv").splitlines()
    assert lines[0].split("\t") == list(export.TSV_COLUMNS)
    rows = [l.split("\t") for l in lines[1:]]
    assert all(len(r) == 12 for r in rows)
    words = [r for r in rows if r[0] == "5"]
    assert [w[-1] for w in words] == ["Hi", "you<"]
    assert words[1][6:10] == ["40", "5", "38", "15"] and float(words[1][10]) == 80


def test_overlay_draws_on_a_copy():
    image = np.full((60, 200), 255, np.uint8)
    out = export.draw_overlay(image, make_doc().pages[0])
    assert out.shape == (60, 200, 3) and (out != 255).any() and image.min() == 255
    assert export.encode_png(out)[:4] == b"\x89PNG"


def test_overlay_tints_image_regions_and_outlines_text_blocks():
    page = make_doc().pages[0]
    page.blocks.append(Block((120, 10, 190, 50), kind="image"))
    out = export.draw_overlay(np.full((60, 200), 255, np.uint8), page)
    inside = out[30, 150].astype(int)  # tinted towards the image colour, not left white
    assert inside[1] < 230 and inside[0] > inside[1] and inside[2] > inside[1]
    assert tuple(out[10, 150]) == export.BLOCK_COLOURS["image"]  # its outline
    assert (out == export.BLOCK_COLOURS["text"]).all(axis=-1).any()  # the text block's outline
