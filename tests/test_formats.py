"""The format writers (ocr.formats) on a page read by the real pipeline with a stand-in recognizer.

ALTO and PAGE are validated against the official schemas when they are at hand
(``$OCR_SCHEMAS_DIR``, ``$OCR_DATA_DIR/../schemas`` or ``../shared/schemas``);
the structural tests run everywhere. hOCR goes through OCRmyPDF's renderer and
hocr-spec, the PDF through PDFium, each checking that the words are where they
are on the image.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ocr.document import Block, Document, Glyph, Line, Page, Paragraph, Word
from ocr.formats import FORMATS, FormatError, render, render_pages
from ocr.io import PageImage
from ocr.pipeline import Predictor
from ocr.recognize import RecognizedChar

TEXT = ["ABC DEF", "GHK MNP"]
DPI = 200


class Namer:
    """A stand-in recognizer naming the segmenter's glyphs in reading order from TEXT."""

    model_name = "namer"

    def recognize_lines(self, components, lines):
        letters = iter("".join(TEXT).replace(" ", ""))
        out = []
        for line in lines:
            out.append([[RecognizedChar(c, g.box, 0.9, [(c, 0.9), ("x", 0.05), ("y", 0.01)])
                         for g, c in zip(word, letters)] for word in line.words])
        return out


def page_image(angle: float = 0.0) -> np.ndarray:
    """Two lines of two words of three blocky glyphs, optionally rotated."""
    import cv2

    img = np.full((300, 500), 255, np.uint8)
    for row, y in enumerate((80, 140)):
        for w in range(2):
            for g in range(3):
                x = 60 + 200 * w + 40 * g
                img[y:y + 40, x:x + 26] = 0
                img[y + 12:y + 28, x + 8:x + 18] = 255  # a hole: a glyph, not a square of ink
    if angle:
        m = cv2.getRotationMatrix2D((250, 150), angle, 1.0)
        img = cv2.warpAffine(img, m, (500, 300), borderValue=255)
    return img


def read(image: np.ndarray, dpi: float | None = DPI) -> Document:
    predictor = Predictor(recognizer=Namer(), binarization="otsu")
    page = predictor.read_page(PageImage("page.png", 0, image, dpi))
    return Document([page], model="namer")


@pytest.fixture(scope="module")
def doc() -> Document:
    d = read(page_image())
    assert d.text == "\n".join(TEXT)
    return d


def schema_dir() -> Path | None:
    candidates = [os.environ.get("OCR_SCHEMAS_DIR")]
    if os.environ.get("OCR_DATA_DIR"):
        candidates.append(str(Path(os.environ["OCR_DATA_DIR"]) / ".." / "schemas"))
    candidates.append(str(Path(__file__).resolve().parents[1] / ".." / "shared" / "schemas"))
    for c in candidates:
        if c and (Path(c) / "alto-4-4.local.xsd").is_file():
            return Path(c)
    return None


def validate(xml: str, xsd: str) -> None:
    etree = pytest.importorskip("lxml.etree", reason="lxml (the test extra) validates XML schemas")
    folder = schema_dir()
    if folder is None:
        pytest.skip("XML schemas not found: set OCR_SCHEMAS_DIR or OCR_DATA_DIR (with ../schemas beside it)")
    etree.XMLSchema(etree.parse(str(folder / xsd))).assertValid(etree.fromstring(xml.encode()))


def test_registry_names_every_writer_and_refuses_others(doc):
    assert list(FORMATS) == ["text", "json", "hocr", "tsv", "alto", "page", "pdf"]
    with pytest.raises(FormatError, match="unknown format 'docx'"):
        render(doc, "docx")
    assert doc.to("text") == render(doc, "text") == "ABC DEF\nGHK MNP\n"


# ----------------------------------------------------------------------- tree
def test_pipeline_fills_blocks_paragraphs_and_baselines(doc):
    (page,) = doc.pages
    # Today's segmenter cuts a block at every blank band: one line per block, one paragraph each.
    assert page.dpi == DPI and [b.kind for b in page.blocks] == ["text", "text"]
    assert [[[l.text for l in p.lines] for p in b.paragraphs] for b in page.blocks] == [[[t]] for t in TEXT]
    assert [b.box for b in page.blocks] == [l.box for l in page.lines]
    for line, y in zip(page.lines, (80, 140)):
        (xa, ya), (xb, yb) = line.baseline
        assert ya == yb == y + 39 and xa == line.box[0] and xb == line.box[2] - 1
        assert line.cap_height == pytest.approx(40, abs=1)
        assert 0.89 < line.confidence < 0.91


def test_baseline_follows_the_input_when_the_page_was_deskewed():
    d = read(page_image(angle=3.0))
    (page,) = d.pages
    assert abs(page.angle) > 1.5, "the stand-in page should have been deskewed"
    for line in page.lines:
        (xa, ya), (xb, yb) = line.baseline
        slope = (yb - ya) / (xb - xa)
        # cv2's positive angle turns the image counter-clockwise: right ends rise.
        assert slope == pytest.approx(-np.tan(np.radians(3.0)), abs=0.01)
        # The baseline runs along the bottoms of the glyphs it passes.
        for word in line.words:
            for g in word.glyphs:
                x = (g.box[0] + g.box[2]) / 2
                assert abs(ya + slope * (x - xa) - g.box[3]) < 6


# ------------------------------------------------------------------------ json
def test_json_matches_its_schema(doc):
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema (the test extra) checks the JSON")
    from ocr.formats.jsonfmt import schema

    data = json.loads(render(doc, "json"))
    assert data["version"] == "2.1"
    jsonschema.Draft202012Validator.check_schema(schema())
    jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)
    # The schema is strict: a renamed field fails it.
    data["pages"][0]["blocks"][0]["paragraphs"][0]["lines"][0]["words"][0]["chars"] = []
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)


def test_schema_file_ships_with_the_package_and_names_every_field():
    from importlib import resources

    schema = json.loads(resources.files("ocr.schemas").joinpath("document.schema.json").read_text("utf-8"))
    defs = schema["$defs"]
    blank = Page("b.png", 0, 9, 9)
    assert set(defs["page"]["required"]) == set(blank.to_dict())
    assert set(schema["required"]) == set(Document([blank]).to_dict())


# ------------------------------------------------------------------------ ALTO
ALTO = "{http://www.loc.gov/standards/alto/ns-v4#}"


def test_alto_structure(doc):
    root = ET.fromstring(render(doc, "alto").encode())
    assert root.tag == f"{ALTO}alto"
    assert root.find(f"{ALTO}Description/{ALTO}MeasurementUnit").text == "pixel"
    page = root.find(f".//{ALTO}Page")
    assert (page.get("WIDTH"), page.get("HEIGHT")) == ("500", "300")
    lines = page.findall(f".//{ALTO}TextBlock/{ALTO}TextLine")
    assert len(lines) == 2 and lines[0].get("BASELINE") == "{},119 {},119".format(
        *[p[0] for p in doc.pages[0].lines[0].baseline])
    strings = lines[0].findall(f"{ALTO}String")
    assert [s.get("CONTENT") for s in strings] == ["ABC", "DEF"]
    assert [int(strings[1].get(k)) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT")] == [260, 80, 106, 40]
    assert strings[0].get("WC") == "0.9" and len(lines[0].findall(f"{ALTO}SP")) == 1
    glyph = strings[0].find(f"{ALTO}Glyph")
    assert glyph.get("CONTENT") == "A" and glyph.get("GC") == "0.9"
    assert [v.get("CONTENT") for v in glyph.findall(f"{ALTO}Variant")] == ["x", "y"]


def test_alto_validates_against_the_schema(doc):
    blank = Page("blank.png", 1, 50, 50, blank=True)
    validate(render(Document(doc.pages + [blank], model="m"), "alto"), "alto-4-4.local.xsd")


# ------------------------------------------------------------------------ PAGE
PC = "{http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15}"


def test_page_structure(doc):
    root = ET.fromstring(render(doc, "page").encode())
    page = root.find(f"{PC}Page")
    assert page.get("imageFilename") == "page.png" and page.get("imageXResolution") == str(DPI)
    assert [r.get("regionRef") for r in page.iter(f"{PC}RegionRefIndexed")] == ["r1", "r2"]
    region = page.find(f"{PC}TextRegion")
    assert region.get("type") == "paragraph"
    line = region.find(f"{PC}TextLine")
    assert line.find(f"{PC}Baseline").get("points").endswith(",119")
    words = line.findall(f"{PC}Word")
    assert [w.find(f"{PC}TextEquiv/{PC}Unicode").text for w in words] == ["ABC", "DEF"]
    assert words[1].find(f"{PC}Coords").get("points") == "260,80 365,80 365,119 260,119"
    glyph = words[0].find(f"{PC}Glyph")
    assert [(t.get("index"), t.find(f"{PC}Unicode").text) for t in glyph.findall(f"{PC}TextEquiv")] == \
        [("1", "A"), ("2", "x"), ("3", "y")]
    assert line.find(f"{PC}TextEquiv/{PC}Unicode").text == "ABC DEF"


def test_page_validates_against_the_schema_with_every_block_kind(doc):
    page = doc.pages[0]
    kinds = Page(page.source, 0, page.width, page.height, [
        *page.blocks, Block((0, 0, 50, 50), kind="image"), Block((0, 290, 500, 292), kind="rule"),
        Block((300, 200, 400, 260), [Paragraph(page.lines[1:], page.lines[1].box)], kind="table")], dpi=300)
    for d in (doc, Document([kinds]), Document([Page("blank.png", 0, 50, 50, blank=True)])):
        validate(render(d, "page"), "pagecontent-2019-07-15.xsd")
    validate(render(Document([kinds]), "alto"), "alto-4-4.local.xsd")


def test_page_is_one_file_per_page(doc):
    two = Document(doc.pages * 2)
    with pytest.raises(FormatError, match="one page"):
        render(two, "page")
    assert len(render_pages(two, "page")) == 2 and len(render_pages(two, "alto")) == 1


# ------------------------------------------------------------------------ hOCR
XHTML = "{http://www.w3.org/1999/xhtml}"


def test_hocr_has_tesseracts_structure(doc):
    root = ET.fromstring(render(doc, "hocr").encode())
    page = root.find(f".//{XHTML}div[@class='ocr_page']")
    assert "scan_res 200 200" in page.get("title") and "bbox 0 0 500 300" in page.get("title")
    par = page.find(f"{XHTML}div[@class='ocr_carea']/{XHTML}p[@class='ocr_par']")
    assert par.get("lang") == "en"
    line = par.find(f"{XHTML}span[@class='ocr_line']")
    title = line.get("title")
    # Baseline: slope 0, 1 pixel above the bottom of the line box (box ends are exclusive).
    assert "baseline 0.000 -1" in title and "x_size 40" in title
    word = line.find(f"{XHTML}span[@class='ocrx_word']")
    assert word.get("title") == "bbox 60 80 166 120; x_wconf 90"
    cinfo = word.find(f"{XHTML}span[@class='ocrx_cinfo']")
    assert cinfo.get("title") == "x_bboxes 60 80 86 120; x_confs 90.00" and cinfo.text == "A"
    metas = {m.get("name"): m.get("content") for m in root.iter(f"{XHTML}meta")}
    assert "ocr_par" in metas["ocr-capabilities"] and metas["ocr-langs"] == "en"


def test_hocr_passes_hocr_spec(doc, tmp_path):
    pytest.importorskip("hocr_spec", reason="hocr-spec (the test extra) validates hOCR")
    from hocr_spec import HocrValidator
    from hocr_spec.spec import HocrSpecProperties as props

    # hocr-spec 0.2.0 knows no engine-specific properties, which the hOCR spec (section 8)
    # allows with an x_ prefix; these are the ones Tesseract writes on lines, as we do.
    for name in ("x_size", "x_descenders", "x_ascenders"):
        if not hasattr(props, name):
            setattr(props, name, props.HocrSpecProperty(name, float))
    path = tmp_path / "page.hocr"
    path.write_text(render(doc, "hocr"), encoding="utf-8")
    report = HocrValidator("standard").validate(str(path), parse_strict=True)
    assert report.is_valid(), report.format("text")


def _words_at(pdf_bytes: bytes, page: Page, dpi: float) -> list[str]:
    """The text the PDF holds inside each word's box (PDF points, origin at the bottom left)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(pdf_bytes)
    text = pdf[0].get_textpage()
    s = 72.0 / dpi
    h = page.height * s
    assert pdf[0].get_size() == pytest.approx((page.width * s, h), abs=0.5)
    return [text.get_text_bounded(w.box[0] * s, h - w.box[3] * s, w.box[2] * s, h - w.box[1] * s).strip()
            for line in page.lines for w in line.words]


def test_ocrmypdf_renders_our_hocr_with_the_words_in_place(doc, tmp_path):
    pytest.importorskip("ocrmypdf", reason="ocrmypdf (the test extra) renders hOCR")
    (tmp_path / "page.hocr").write_text(render(doc, "hocr"), encoding="utf-8")
    Image.fromarray(page_image()).save(tmp_path / "page.png", dpi=(DPI, DPI))
    subprocess.run([sys.executable, "-m", "ocrmypdf.hocrtransform", "-i", str(tmp_path / "page.png"),
                    str(tmp_path / "page.hocr"), str(tmp_path / "out.pdf")], check=True, timeout=120)
    words = _words_at((tmp_path / "out.pdf").read_bytes(), doc.pages[0], DPI)
    assert words == ["ABC", "DEF", "GHK", "MNP"]


# ------------------------------------------------------------------------- PDF
def test_pdf_has_the_image_and_the_words_in_place(doc):
    pytest.importorskip("fpdf", reason="fpdf2 (the pdf extra) writes PDFs")
    import pypdfium2 as pdfium

    data = render(doc, "pdf", images=[page_image()])
    assert _words_at(data, doc.pages[0], DPI) == ["ABC", "DEF", "GHK", "MNP"]
    pdf = pdfium.PdfDocument(data)
    assert pdf[0].get_textpage().get_text_range().split() == ["ABC", "DEF", "GHK", "MNP"]
    # The page image is there: rendering the page shows the glyphs' ink at its place.
    rendered = np.asarray(pdf[0].render(scale=DPI / 72, grayscale=True).to_pil().convert("L"))
    assert rendered.shape == (300, 500) and rendered[85, 62] < 128 and rendered[20, 20] > 200
    # --dpi sets the page size; without dpi anywhere it is 300.
    assert pdfium.PdfDocument(render(doc, "pdf", images=[page_image()], dpi=72))[0].get_size() == \
        pytest.approx((500, 300), abs=0.5)
    nodpi = Document([Page("x", 0, 600, 300, doc.pages[0].blocks)])
    assert pdfium.PdfDocument(render(nodpi, "pdf", images=[np.full((300, 600), 255, np.uint8)]))[0] \
        .get_size() == pytest.approx((144, 72), abs=0.5)


def test_pdf_reloads_images_from_files_and_says_when_it_cannot(doc, tmp_path):
    pytest.importorskip("fpdf", reason="fpdf2 (the pdf extra) writes PDFs")
    path = tmp_path / "page.png"
    Image.fromarray(page_image()).save(path, dpi=(DPI, DPI))
    page = doc.pages[0]
    on_disk = Document([Page(str(path), 0, page.width, page.height, page.blocks, dpi=DPI)])
    assert _words_at(on_disk.to("pdf"), on_disk.pages[0], DPI) == ["ABC", "DEF", "GHK", "MNP"]
    with pytest.raises(FormatError, match="page image is needed"):
        Document([Page("<array>", 0, 9, 9)]).to("pdf")


def test_pdf_without_fpdf2_says_how_to_install(doc, monkeypatch):
    monkeypatch.setitem(sys.modules, "fpdf", None)
    with pytest.raises(FormatError, match=r"needs the fpdf2 package: pip install fpdf2"):
        render(doc, "pdf", images=[page_image()])


def test_glyph_texts_outside_latin1_do_not_break_the_pdf():
    pytest.importorskip("fpdf", reason="fpdf2 (the pdf extra) writes PDFs")
    word = Word([Glyph("€", (0, 0, 10, 10), 0.5), Glyph("ż", (10, 0, 20, 10), 0.5)], (0, 0, 20, 10))
    line = Line([word], (0, 0, 20, 10))
    d = Document([Page("x", 0, 40, 20, [Block((0, 0, 20, 10), [Paragraph([line], (0, 0, 20, 10))])])])
    assert render(d, "pdf", images=[np.full((20, 40), 255, np.uint8)])[:5] == b"%PDF-"


def test_pdf_keeps_words_apart_whose_boxes_touch():
    pytest.importorskip("fpdf", reason="fpdf2 (the pdf extra) writes PDFs")
    import pypdfium2 as pdfium

    def w(text, x0, x1):
        return Word([Glyph(text, (x0, 10, x1, 30), 0.9)], (x0, 10, x1, 30))

    # Slanted letters: the second word's box starts a pixel before the first one's ends.
    line = Line([w("and", 10, 50), w("April", 49, 100), w("x", 110, 120)], (10, 10, 120, 30), [(10, 29), (119, 29)])
    d = Document([Page("x", 0, 130, 40, [Block(line.box, [Paragraph([line], line.box)])], dpi=72)])
    data = render(d, "pdf", images=[np.full((40, 130), 255, np.uint8)])
    assert pdfium.PdfDocument(data)[0].get_textpage().get_text_range() == "and April x"
