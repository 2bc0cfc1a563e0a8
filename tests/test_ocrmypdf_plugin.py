"""The OCRmyPDF plugin (ocr.ocrmypdf_plugin), in process and end to end through ``ocrmypdf``."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from PIL import Image

pytest.importorskip("ocrmypdf", reason="ocrmypdf (the ocrmypdf and test extras) is not installed")
pdfium = pytest.importorskip("pypdfium2")

DIGIT_BOXES = []  # where the digits are drawn, pixels at 150 dpi


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    from ocr.models import builders
    from ocr.models.store import save_model

    path = tmp_path_factory.mktemp("m") / "digits.keras"
    save_model(builders.lenet(filters=(4, 8), dense_units=(16,)), path, {"labels": list("0123456789")})
    return str(path)


def digits_page() -> np.ndarray:
    img = np.full((300, 600), 255, np.uint8)
    DIGIT_BOXES.clear()
    for i in range(4):
        x = 100 + 60 * i
        cv2.putText(img, str(i + 1), (x, 160), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 0, 6)
        DIGIT_BOXES.append((x - 5, 100, x + 50, 170))
    return img


def chars_in_place(pdf: "pdfium.PdfDocument", dpi: float = 150) -> list[str]:
    """The text layer's characters, each checked to lie over a drawn digit."""
    page = pdf[0]
    width, height = page.get_size()
    assert (width, height) == pytest.approx((600 * 72 / dpi, 300 * 72 / dpi), abs=1)
    text = page.get_textpage()
    chars = []
    for i in range(text.count_chars()):
        c = text.get_text_range(i, 1)
        if not c.strip():
            continue
        x0, y0, x1, y1 = text.get_charbox(i)
        cx, cy = (x0 + x1) / 2 * dpi / 72, (height - (y0 + y1) / 2) * dpi / 72
        assert any(a <= cx <= c_ and b <= cy <= d for a, b, c_, d in DIGIT_BOXES), (c, cx, cy)
        chars.append(c)
    return chars


def test_engine_writes_hocr_and_a_text_only_pdf(tmp_path, model):
    from ocr.ocrmypdf_plugin import OcrPackageEngine, get_ocr_engine

    assert isinstance(get_ocr_engine(SimpleNamespace(ocr_engine="auto")), OcrPackageEngine)
    assert get_ocr_engine(SimpleNamespace(ocr_engine="tesseract")) is None
    image = tmp_path / "page.png"
    Image.fromarray(digits_page()).save(image, dpi=(150, 150))
    options = SimpleNamespace(ocr_model=model, ocr_digits=False)
    engine = OcrPackageEngine()
    engine.generate_hocr(image, tmp_path / "page.hocr", tmp_path / "page.txt", options)
    hocr = (tmp_path / "page.hocr").read_text()
    assert "ocr_par" in hocr and "scan_res 150 150" in hocr
    assert len((tmp_path / "page.txt").read_text().strip()) == 4
    engine.generate_pdf(image, tmp_path / "text.pdf", tmp_path / "page2.txt", options)
    pdf = pdfium.PdfDocument(str(tmp_path / "text.pdf"))
    assert len(chars_in_place(pdf)) == 4
    # Text only: the page renders white (the text is invisible, there is no image).
    assert np.asarray(pdf[0].render(grayscale=True).to_pil().convert("L")).min() > 250


def test_ocrmypdf_end_to_end(tmp_path, model):
    source = tmp_path / "scan.pdf"
    Image.fromarray(digits_page()).save(source, resolution=150)
    out = tmp_path / "out.pdf"
    result = subprocess.run([sys.executable, "-m", "ocrmypdf", "--plugin", "ocr.ocrmypdf_plugin",
                             "--ocr-model", model, "-j", "1", str(source), str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    pdf = pdfium.PdfDocument(str(out))
    assert len(pdf) == 1 and len(chars_in_place(pdf)) == 4
    import pikepdf

    with pikepdf.open(out) as p:
        assert p.open_metadata().pdfa_status.startswith("2")  # OCRmyPDF's default: PDF/A-2b
        assert "ocr" in str(p.open_metadata().get("xmp:CreatorTool", "")) + str(p.docinfo.get("/Creator", ""))


def test_a_missing_model_file_is_refused_before_any_page(tmp_path):
    source = tmp_path / "scan.pdf"
    Image.fromarray(digits_page()).save(source, resolution=150)
    result = subprocess.run([sys.executable, "-m", "ocrmypdf", "--plugin", "ocr.ocrmypdf_plugin",
                             "--ocr-model", str(tmp_path / "nope.keras"), str(source), str(tmp_path / "o.pdf")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and "nope.keras: model file not found" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "o.pdf").exists()
