"""Tests for ocr.io: formats, multi-page inputs, directories, stdin and bad inputs."""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest
from PIL import Image

from ocr import io as ocr_io
from ocr.errors import ImageError


def _page(value: int = 255, size=(40, 30)) -> Image.Image:
    img = Image.new("L", size, value)
    img.paste(0, (5, 5, 15, 25))
    return img


@pytest.mark.parametrize("fmt,suffix", [("PNG", ".png"), ("JPEG", ".jpg"), ("BMP", ".bmp"),
                                        ("WEBP", ".webp"), ("TIFF", ".tif")])
def test_load_formats(tmp_path, fmt, suffix):
    path = tmp_path / f"page{suffix}"
    _page().save(path, format=fmt)
    pages = ocr_io.load(path)
    assert len(pages) == 1 and pages[0].image.shape[:2] == (30, 40)
    assert pages[0].image.dtype == np.uint8 and pages[0].source == str(path)


def test_multipage_tiff_gives_every_page(tmp_path):
    path = tmp_path / "multi.tif"
    _page().save(path, save_all=True, append_images=[_page(200), _page(100)])
    pages = ocr_io.load(path)
    assert [p.index for p in pages] == [0, 1, 2]


def test_rgba_is_composited_on_white(tmp_path):
    path = tmp_path / "alpha.png"
    Image.new("RGBA", (20, 20), (0, 0, 0, 0)).save(path)
    (page,) = ocr_io.load(path)
    assert page.image.min() == 255


def _pdf_bytes(n_pages: int) -> bytes:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    for _ in range(n_pages):
        pdf.new_page(72, 36)  # 1 x 0.5 inch
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def test_pdf_pages_render_at_300_dpi(tmp_path):
    path = tmp_path / "doc.pdf"
    path.write_bytes(_pdf_bytes(2))
    pages = ocr_io.load(path)
    assert len(pages) == 2
    assert pages[0].image.shape == (150, 300)


def test_pdf_without_pages(tmp_path):
    path = tmp_path / "empty.pdf"
    path.write_bytes(_pdf_bytes(0))
    with pytest.raises(ImageError, match="no pages"):
        ocr_io.load(path)


@pytest.mark.parametrize("content,message", [
    (b"", "empty file"),
    (b"hello, I am not an image\n", "not an image"),
])
def test_bad_files(tmp_path, content, message):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(ImageError, match=message) as info:
        ocr_io.load(path)
    assert str(path) in str(info.value)


def test_truncated_image(tmp_path):
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8)).save(buf, "PNG")
    path = tmp_path / "cut.png"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(ImageError, match="truncated"):
        ocr_io.load(path)


def test_tiny_image_rejected(tmp_path):
    path = tmp_path / "one.png"
    Image.new("L", (1, 1), 0).save(path)
    with pytest.raises(ImageError, match="too small"):
        ocr_io.load(path)


def test_missing_path():
    with pytest.raises(ImageError, match="no such file"):
        ocr_io.load("/nonexistent/scan.png")


def test_decompression_bomb_guard(tmp_path, monkeypatch):
    path = tmp_path / "big.png"
    Image.new("L", (200, 200), 255).save(path)
    monkeypatch.setattr(ocr_io, "MAX_PIXELS", 1000)
    with pytest.raises(ImageError, match="too large"):
        ocr_io.load(path)


def test_directory_expansion_is_sorted(tmp_path):
    for name in ("b.png", "a.png", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    assert ocr_io.expand_inputs([str(tmp_path), "-"]) == [
        str(tmp_path / "a.png"), str(tmp_path / "b.png"), "-"]


def test_stdin(monkeypatch):
    buf = io.BytesIO()
    _page().save(buf, "PNG")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(buf.getvalue())))
    (page,) = ocr_io.load("-")
    assert page.source == "<stdin>" and page.image.shape == (30, 40)


def test_array_input():
    (page,) = ocr_io.load(np.full((20, 30), 0.5))
    assert page.image.dtype == np.uint8 and page.image[0, 0] == 127


@pytest.mark.parametrize("orientation,turn", [(6, Image.Transpose.ROTATE_90), (8, Image.Transpose.ROTATE_270),
                                              (3, Image.Transpose.ROTATE_180)])
def test_exif_orientation_is_applied(tmp_path, orientation, turn):
    # An upright page with ink at its top left, stored turned as a phone camera does,
    # with the EXIF tag that says how to turn it back.
    upright = np.full((60, 40), 255, np.uint8)
    upright[2:12, 2:12] = 0
    stored = Image.fromarray(upright).transpose(turn)
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "phone.jpg"
    stored.save(path, exif=exif, quality=95)
    (page,) = ocr_io.load(str(path))
    assert page.image.shape == (60, 40)
    assert page.image[2:12, 2:12].mean() < 60 and page.image[-12:, -12:].mean() > 200
    (pil_page,) = ocr_io.from_pil(Image.open(path))
    assert np.array_equal(pil_page.image, page.image)


def test_dpi_is_read_from_the_file(tmp_path):
    Image.new("L", (40, 40), 255).save(tmp_path / "a.png", dpi=(150, 150))
    Image.new("L", (40, 40), 255).save(tmp_path / "b.png")
    Image.new("L", (40, 40), 255).save(tmp_path / "c.pdf", resolution=100)
    assert ocr_io.load(str(tmp_path / "a.png"))[0].dpi == pytest.approx(150, abs=0.1)
    assert ocr_io.load(str(tmp_path / "b.png"))[0].dpi is None
    assert ocr_io.load(str(tmp_path / "c.pdf"))[0].dpi == ocr_io.PDF_DPI  # rendered at
    assert ocr_io.load((tmp_path / "a.png").read_bytes())[0].dpi == pytest.approx(150, abs=0.1)
