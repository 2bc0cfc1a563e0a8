"""Transcribed pages in PAGE XML and ALTO (training/datasets/page_xml.py) and training lines cut from them."""

import cv2
import numpy as np
import pytest

from ocr import charsets
from ocr.errors import DataError
from training.datasets.page_xml import cut_line, read_xml_lines

PAGE_NS = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"
ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"

#: Two lines of a page: text, baseline origin, polygon (x0, y0, x1, y1 box as 4 points).
LINES = [("ab cd", (20, 50), (10, 15, 230, 62)), ("ef", (20, 120), (10, 85, 230, 132))]


def _page_image(path):
    img = np.full((150, 260), 255, np.uint8)
    for text, origin, _ in LINES:
        cv2.putText(img, text, origin, cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 3)
    cv2.imwrite(str(path), img)
    return img


def _poly(box, sep=","):
    x0, y0, x1, y1 = box
    pair = (lambda x, y: f"{x},{y}") if sep == "," else (lambda x, y: f"{x} {y}")
    return " ".join(pair(x, y) for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1)))


def _page_xml(image_name):
    lines = "".join(
        f'<TextLine id="l{k}"><Coords points="{_poly(box)}"/><Baseline points="0,0 1,1"/>'
        f"<TextEquiv><Unicode>{text}</Unicode></TextEquiv></TextLine>"
        for k, (text, _, box) in enumerate(LINES))
    return (f'<?xml version="1.0" encoding="UTF-8"?><PcGts xmlns="{PAGE_NS}"><Page imageFilename="{image_name}" '
            f'imageWidth="260" imageHeight="150"><TextRegion id="r0">{lines}</TextRegion></Page></PcGts>')


def _alto_xml(image_name):
    lines = "".join(
        f'<TextLine ID="l{k}"><Shape><Polygon POINTS="{_poly(box, " ")}"/></Shape>'
        + '<SP/>'.join(f'<String CONTENT="{w}"/>' for w in text.split()) + "</TextLine>"
        for k, (text, _, box) in enumerate(LINES))
    return (f'<?xml version="1.0" encoding="UTF-8"?><alto xmlns="{ALTO_NS}"><Description>'
            f"<MeasurementUnit>pixel</MeasurementUnit><sourceImageInformation><fileName>{image_name}</fileName>"
            f'</sourceImageInformation></Description><Layout><Page WIDTH="260" HEIGHT="150"><PrintSpace>'
            f'<TextBlock ID="b0">{lines}</TextBlock></PrintSpace></Page></Layout></alto>')


@pytest.mark.parametrize("make", [_page_xml, _alto_xml])
def test_page_and_alto_lines_have_their_polygons_and_text(tmp_path, make):
    path = tmp_path / "page.xml"
    path.write_text(make("scan.png"), encoding="utf-8")
    image, lines = read_xml_lines(path)
    assert image == "scan.png"
    assert [l.text for l in lines] == [t for t, _, _ in LINES]
    assert lines[0].polygon.shape == (4, 2) and tuple(lines[0].polygon.min(axis=0)) == (10, 15)


def test_alto_line_boxes_are_polygons_too(tmp_path):
    path = tmp_path / "page.xml"
    path.write_text(f'<alto xmlns="{ALTO_NS}"><Layout><Page><PrintSpace><TextBlock>'
                    '<TextLine HPOS="5" VPOS="6" WIDTH="40" HEIGHT="12"><String CONTENT="Name"/></TextLine>'
                    "</TextBlock></PrintSpace></Page></Layout></alto>", encoding="utf-8")
    _, lines = read_xml_lines(path)
    assert lines[0].text == "Name" and lines[0].polygon.tolist() == [[5, 6], [45, 6], [45, 18], [5, 18]]


@pytest.mark.parametrize("content, message", [
    ('<!DOCTYPE x [<!ENTITY a "aaaa">]><PcGts>&a;</PcGts>', "entity"),
    ("<PcGts><Page>", "well-formed"),
    ("<html/>", "neither PAGE"),
    (f'<alto xmlns="{ALTO_NS}"><Description><MeasurementUnit>mm10</MeasurementUnit></Description></alto>',
     "pixel"),
    ('<PcGts><Page><TextLine><Coords points="1,2 3"/></TextLine></Page></PcGts>', "3 points"),
])
def test_bad_transcription_files_are_one_line_errors(tmp_path, content, message):
    path = tmp_path / "bad.xml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        read_xml_lines(path)


def test_a_line_is_cut_along_its_polygon():
    page = np.full((40, 60), 200, np.uint8)
    page[15:26, 12:49] = 0  # a bar of ink, partly outside the polygon
    triangle = np.array([[10, 10], [50, 10], [10, 30]])
    cut = cut_line(page, triangle)
    assert cut.shape == (21, 41)
    assert cut[20 - 10, 15 - 10] == 0     # ink inside the polygon is kept
    assert cut[25 - 10, 45 - 10] == 200   # ink outside it becomes paper


@pytest.mark.parametrize("make", [_page_xml, _alto_xml])
def test_line_folder_takes_xml_pages(tmp_path, make):
    from training.finetune_lines import load_line_folder

    _page_image(tmp_path / "scan.png")
    (tmp_path / "scan.xml").write_text(make("scan.png"), encoding="utf-8")
    samples = load_line_folder(tmp_path, charsets.HANDWRITING, height=48)
    assert samples.texts == ["ab cd", "ef"]  # handline reads word spaces
    assert [im.shape[0] for im in samples.images] == [48, 48]
    # Cut along the polygons: the first line's input holds its own ink only, not the second line's.
    assert samples.images[0].shape[1] > samples.images[1].shape[1]
    assert samples.paths == [f"{tmp_path / 'scan.xml'}#1", f"{tmp_path / 'scan.xml'}#2"]
