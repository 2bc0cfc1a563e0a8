"""Bad paths and odd inputs: one bad input never stops a batch, FIFOs are read, stdin
closed, verify-signature's exit status, charset options (issue 13)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from cli import main
from ocr import io as ocr_io
from ocr.errors import ImageError, OcrError
from tests.hostile.conftest import one_line_error, run_ocr, scan, text_page

pytestmark = pytest.mark.hostile


def test_too_long_name_and_unlistable_folder_do_not_stop_the_batch(tmp_path, model, monkeypatch):
    from ocr.models import load

    load(model)  # loaded before os is patched (Keras lists folders too)
    good = scan(tmp_path / "good.png")
    folder = tmp_path / "locked"
    folder.mkdir()
    real_scandir, real_listdir = os.scandir, os.listdir

    def refuse(real):
        def call(path="."):
            if Path(path) == folder:  # what a folder without read permission does (as non-root)
                raise PermissionError(13, "Permission denied", str(path))
            return real(path)
        return call

    monkeypatch.setattr(os, "scandir", refuse(real_scandir))
    monkeypatch.setattr(os, "listdir", refuse(real_listdir))
    long_name = str(tmp_path / ("x" * 300 + ".png"))
    items = ocr_io.expand_inputs([long_name, str(folder), good])
    assert items == [long_name, str(folder), good]
    result = CliRunner().invoke(main, ["read", long_name, str(folder), good, "--model", model])
    assert result.exit_code == 2
    errors = [l for l in result.output.splitlines() if l.startswith("Error:")]
    assert len(errors) == 2 and "name too long" in errors[0].lower() and "permission denied" in errors[1]
    assert "Traceback" not in result.output


def test_folder_expansion_skips_fifos_and_devices(tmp_path):
    Image.new("L", (20, 20), 255).save(tmp_path / "a.png")
    os.mkfifo(tmp_path / "b.png")  # would block forever if opened
    (tmp_path / "c.png").symlink_to("/dev/zero")  # would never end
    assert ocr_io.expand_inputs([str(tmp_path)]) == [str(tmp_path / "a.png")]


def test_fifo_named_as_an_input_is_read(tmp_path):
    # What `ocr read <(cat scan.png)` passes: a pipe named as a file.
    fifo = tmp_path / "scan.png"
    os.mkfifo(fifo)
    Image.new("L", (40, 30), 255).save(tmp_path / "real.png")
    data = (tmp_path / "real.png").read_bytes()

    def writer():
        with open(fifo, "wb") as f:
            f.write(data)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    assert ocr_io.expand_inputs([str(fifo)]) == [str(fifo)]
    (page,) = ocr_io.load(fifo)
    thread.join(10)
    assert page.image.shape == (30, 40)


def test_closed_stdin_is_one_line(monkeypatch):
    monkeypatch.setattr("sys.stdin", None)
    with pytest.raises(ImageError, match="standard input is closed"):
        ocr_io.load("-")


def test_closed_stdin_cli(tmp_path):
    run = run_ocr(["read", "-", "--model", "textline"], tmp_path, close_stdin=True)
    run.assert_clean_failure_or_success()
    assert run.rc == 2 and run.error_lines() == [
        "Error: <stdin>: standard input is closed; give a file or pipe an image into it"]


def test_multipage_tiff_is_decoded_lazily(tmp_path, monkeypatch):
    pages = [Image.new("L", (40, 30), v) for v in (255, 200, 100)]
    pages[0].save(tmp_path / "m.tif", save_all=True, append_images=pages[1:])
    decoded = []
    real = ocr_io._pil_to_array
    monkeypatch.setattr(ocr_io, "_pil_to_array", lambda img: decoded.append(1) or real(img))
    source = ocr_io.open_pages(tmp_path / "m.tif")
    assert len(source) == 3 and decoded == []
    it = iter(source)
    next(it)
    assert len(decoded) == 1


def test_pdf_is_rendered_lazily(tmp_path):
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    for _ in range(5):
        pdf.new_page(72, 36)
    pdf.save(str(tmp_path / "d.pdf"))
    rendered = []
    real = pdfium.PdfPage.render
    try:
        pdfium.PdfPage.render = lambda self, **kw: rendered.append(1) or real(self, **kw)
        source = ocr_io.open_pages(tmp_path / "d.pdf")
        assert len(source) == 5 and rendered == []
        first = next(iter(source))
        assert first.image.shape == (150, 300) and len(rendered) == 1
    finally:
        pdfium.PdfPage.render = real


def test_bad_page_inside_a_tiff_reports_and_keeps_the_earlier_pages(tmp_path, monkeypatch):
    pages = [Image.new("L", (40, 30), v) for v in (255, 200)]
    pages[0].save(tmp_path / "m.tif", save_all=True, append_images=pages[1:])
    real = ocr_io._check_size
    calls = []

    def check(name, w, h):
        calls.append(name)
        if len(calls) == 2:
            raise ImageError(f"{name}: image too large")
        real(name, w, h)

    monkeypatch.setattr(ocr_io, "_check_size", check)
    got = []
    with pytest.raises(ImageError, match="page 2"):
        for page in ocr_io.open_pages(tmp_path / "m.tif"):
            got.append(page.index)
    assert got == [0]


def test_verify_signature_never_exits_1_on_an_error(tmp_path, monkeypatch):
    import ocr.verify

    sig = scan(tmp_path / "s.png")
    (tmp_path / "bad.keras").write_bytes(b"PK\x03\x04 not a zip")
    result = CliRunner().invoke(main, ["verify-signature", sig, "-r", sig, "--model",
                                       str(tmp_path / "bad.keras")])
    one_line_error(result)

    def broken(*a, **k):
        raise TypeError("list indices must be integers or slices, not str")  # malformed metadata

    monkeypatch.setattr(ocr.verify, "verify_signature", broken)
    result = CliRunner().invoke(main, ["verify-signature", sig, "-r", sig])
    assert "cannot verify" in one_line_error(result)


def test_digits_with_a_charset_without_digits_is_an_error():
    from ocr.pipeline import Predictor

    with pytest.raises(OcrError, match="has no digit"):
        Predictor(digits=True, charset="ABC")


def test_digits_charset_is_the_intersection(monkeypatch):
    from ocr import pipeline

    seen = {}

    from ocr.recognize_lines import LineRecognizer

    def fake_load(model, charset=None, language_model=True):
        seen["charset"] = charset

    monkeypatch.setattr(LineRecognizer, "load", fake_load)
    pipeline.Predictor(digits=True, charset="0a1.").recognizer
    assert seen["charset"] == "01"


def test_charset_of_lookalikes_only_shares_no_character(tmp_path, model):
    from ocr.recognize import Recognizer

    with pytest.raises(OcrError, match="shares no character"):
        Recognizer.load(model, charset="ABC")  # B is only an 8's lookalike: it would read "BBBB"
    assert Recognizer.load(model, charset="0O").out_labels == ["0", "O"]  # a real class keeps lookalikes
    result = CliRunner().invoke(main, ["read", scan(tmp_path / "v.png"), "--model", model, "--charset", "ABC"])
    assert "shares no character" in one_line_error(result)


def test_other_inputs_still_read_after_a_hostile_one(tmp_path):
    (tmp_path / "bad.png").write_bytes(np.random.default_rng(0).bytes(5000))
    text_page(tmp_path / "good.png")
    run = run_ocr(["read", "bad.png", str(tmp_path / ("y" * 300)), "good.png", "--model", "textline"],
                  tmp_path)
    run.assert_clean_failure_or_success()
    assert run.rc == 2 and len(run.error_lines()) == 2 and "Hello" in run.stdout
