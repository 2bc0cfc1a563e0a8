"""Tests for ``ocr read``: formats, output files, several inputs and bad inputs."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from cli import main


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    from ocr.models import builders
    from ocr.models.store import save_model

    path = tmp_path_factory.mktemp("m") / "digits.keras"
    save_model(builders.lenet(filters=(4, 8), dense_units=(16,)), path, {"labels": list("0123456789")})
    return str(path)


def digits_png(path, n=4, inverted=False):
    img = np.full((60, 40 * n + 20), 255, np.uint8)
    for i in range(n):
        cv2.putText(img, str(i), (10 + 40 * i, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 3)
    Image.fromarray(255 - img if inverted else img).save(path)
    return str(path)


def run(args, **kw):
    return CliRunner().invoke(main, ["read", *args], **kw)


def test_text_output(tmp_path, model):
    result = run([digits_png(tmp_path / "a.png"), "--model", model])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.strip()) == 4 and result.stdout.strip().isdigit()


@pytest.mark.parametrize("fmt,check", [
    ("json", lambda s: json.loads(s)["pages"][0]["blocks"][0]["paragraphs"][0]["lines"][0]["words"][0]
     ["glyphs"][0]["alternatives"]),
    ("hocr", lambda s: "x_wconf" in s and "ocr_page" in s),
    ("tsv", lambda s: s.startswith("level\tpage_num") and "\n5\t1\t1\t1\t1\t1\t" in s),
])
def test_formats(tmp_path, model, fmt, check):
    result = run([digits_png(tmp_path / "a.png"), "--model", model, "--format", fmt])
    assert result.exit_code == 0, result.output
    assert check(result.stdout)


def test_output_file_and_overlay(tmp_path, model):
    out, overlay = tmp_path / "out" / "r.json", tmp_path / "ov.png"
    result = run([digits_png(tmp_path / "a.png"), "--model", model, "--format", "json", "-o", str(out),
                  "--overlay", str(overlay)])
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(out.read_text())["pages"][0]["width"] == 180
    assert cv2.imread(str(overlay)).shape == (60, 180, 3)
    assert [p.name for p in out.parent.iterdir()] == ["r.json"]  # no temporary files left


def test_bad_inputs_reported_and_others_read(tmp_path, model):
    good = digits_png(tmp_path / "good.png")
    inverted = digits_png(tmp_path / "inv.png", inverted=True)
    (tmp_path / "zero.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("not an image")
    Image.new("L", (1, 1)).save(tmp_path / "one.png")
    Image.new("L", (50, 50), 0).save(tmp_path / "black.png")
    missing = str(tmp_path / "missing.png")
    result = run([good, str(tmp_path / "zero.png"), str(tmp_path / "text.png"), str(tmp_path / "one.png"),
                  missing, str(tmp_path / "black.png"), inverted, "--model", model, "--format", "json"])
    assert result.exit_code == 2
    errors = [l for l in result.stderr.splitlines() if l.startswith("Error:")]
    assert len(errors) == 4 and "Traceback" not in result.output
    for name in ("zero.png", "text.png", "one.png", "missing.png"):
        assert sum(name in e for e in errors) == 1
    assert "black.png" in result.stderr and "blank" in result.stderr
    pages = json.loads(result.stdout)["pages"]
    assert [p["source"] for p in pages] == [good, str(tmp_path / "black.png"), inverted]
    assert pages[1]["text"] == "" and pages[2]["inverted"] and len(pages[2]["text"]) == 4


def test_blank_page_is_empty_text_and_success(tmp_path, model):
    Image.new("L", (50, 50), 255).save(tmp_path / "white.png")
    result = run([str(tmp_path / "white.png"), "--model", model])
    assert result.exit_code == 0 and result.stdout == ""


def test_directory_jobs_and_digits_charset(tmp_path, model):
    for name in ("b.png", "a.png"):
        digits_png(tmp_path / name)
    result = run([str(tmp_path), "--model", model, "--jobs", "2", "--digits", "--charset", "01"])
    assert result.exit_code == 0, result.output
    pages = result.stdout.rstrip("\n").split("\n\f")
    assert len(pages) == 2 and all(set(p.strip()) <= set("01") for p in pages)


def test_stdin(tmp_path, model):
    data = open(digits_png(tmp_path / "a.png"), "rb").read()
    result = run(["-", "--model", model], input=data)
    assert result.exit_code == 0 and len(result.stdout.strip()) == 4


def test_unknown_model_is_one_line_error(tmp_path):
    result = run([digits_png(tmp_path / "a.png"), "--model", str(tmp_path / "nope.keras")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and str(tmp_path / "nope.keras") in errors[0] and "not found" in errors[0]
    assert result.stdout == ""


def test_python_api_returns_the_structure_the_cli_formats(tmp_path, model):
    import ocr

    doc = ocr.read(digits_png(tmp_path / "a.png"), model=model)
    (page,) = doc.pages
    assert page.source.endswith("a.png") and page.width == 180
    chars = [c for line in page.lines for w in line.words for c in w.chars]
    assert len(chars) == 4 and all(len(c.alternatives) == 3 for c in chars)
    assert doc.text == page.text and len(page.text) == 4
    array_doc = ocr.read(np.asarray(Image.open(tmp_path / "a.png")), model=model)
    assert array_doc.text == doc.text


def test_overlays_per_page_beside_a_bad_input(tmp_path, model):
    (tmp_path / "bad.png").write_text("not an image")
    overlay = tmp_path / "ov.png"
    result = run([digits_png(tmp_path / "a.png"), str(tmp_path / "bad.png"), digits_png(tmp_path / "b.png", n=3),
                  "--model", model, "--overlay", str(overlay)])
    assert result.exit_code == 2 and "bad.png: not an image" in result.stderr
    assert len(result.stdout.split("\f")) == 2  # both good pages read
    assert cv2.imread(str(tmp_path / "ov-1.png")).shape == (60, 180, 3)
    assert cv2.imread(str(tmp_path / "ov-2.png")).shape == (60, 140, 3)
    assert not overlay.exists()


def test_python_api_takes_pil_images_and_skips_bad_inputs_when_asked(tmp_path, model):
    import ocr
    from ocr.errors import ImageError

    good = digits_png(tmp_path / "a.png")
    doc = ocr.read(Image.open(good), model=model)
    assert doc.text == ocr.read(good, model=model).text and doc.pages[0].source == good
    missing = str(tmp_path / "missing.png")
    with pytest.raises(ImageError, match="missing.png: no such file"):
        ocr.read([good, missing], model=model)
    doc = ocr.read([missing, good, Image.new("L", (1, 1))], model=model, errors="skip")
    assert [p.source for p in doc.pages] == [good]
    assert [f.source for f in doc.failed] == [missing, "<Image 2>"]
    assert "no such file" in doc.failed[0].error and "too small" in doc.failed[1].error
    assert json.loads(doc.to("json"))["failed"][0]["source"] == missing
    with pytest.raises(ValueError, match="errors="):
        ocr.read(good, model=model, errors="ignore")


def test_import_ocr_keeps_tensorflow_quiet_unless_asked(tmp_path):
    import os
    import subprocess
    import sys

    code = "import numpy as np, ocr; ocr.read(np.full((40, 40), 255, np.uint8), model='lenet')"
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    quiet = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert quiet.returncode == 0, quiet.stderr
    noise = ("absl::InitializeLog", "cuda", "oneDNN", "cpu_feature_guard", "cuInit")
    assert not [l for l in quiet.stderr.splitlines() if any(n in l for n in noise)], quiet.stderr
    env["TF_CPP_MIN_LOG_LEVEL"] = "0"  # asked for: left alone
    loud = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert loud.returncode == 0 and os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3") != "0"


def test_dash_output_is_stdout(tmp_path, model):
    result = run([digits_png(tmp_path / "a.png"), "--model", model, "-o", "-"])
    assert result.exit_code == 0 and len(result.stdout.strip()) == 4
    assert not (tmp_path / "-").exists()
    pytest.importorskip("fpdf", reason="fpdf2 (the pdf extra) writes PDFs")
    result = run([digits_png(tmp_path / "a.png"), "--model", model, "--format", "pdf", "-o", "-"])
    assert result.exit_code == 0 and result.stdout_bytes.startswith(b"%PDF-")
    assert result.stdout_bytes.rstrip().endswith(b"%%EOF") and not (tmp_path / "-").exists()


def test_quiet_prints_no_warning_or_note(tmp_path, model):
    Image.new("L", (50, 50), 255).save(tmp_path / "white.png")
    loud = run([str(tmp_path / "white.png"), "--model", model])
    assert "blank" in loud.stderr
    for args in (["read", "-q"], ["-q", "read"]):
        result = CliRunner().invoke(main, [*args, str(tmp_path / "white.png"), str(tmp_path / "white.png"),
                                           "--model", model])
        assert result.exit_code == 0 and result.stderr == "", result.stderr
    (tmp_path / "bad.png").write_text("not an image")
    result = run(["-q", str(tmp_path / "bad.png"), str(tmp_path / "white.png"), "--model", model])
    assert result.exit_code == 2 and result.stderr.strip().startswith("Error: ") and "bad.png" in result.stderr


def test_progress_counts_pages(tmp_path, model, monkeypatch):
    import click

    pages = [Image.fromarray(cv2.imread(digits_png(tmp_path / f"{i}.png"), cv2.IMREAD_GRAYSCALE))
             for i in range(3)]
    pages[0].save(tmp_path / "three.pdf", save_all=True, append_images=pages[1:], resolution=100)
    bars = []
    real = click.progressbar

    def spy(*args, **kw):
        bars.append(real(*args, **kw))
        return bars[-1]

    monkeypatch.setattr(click, "progressbar", spy)
    result = run([str(tmp_path / "three.pdf"), "--model", model])  # one input, three pages
    assert result.exit_code == 0 and len(result.stdout.split("\f")) == 3
    assert "reading pages" in result.stderr and (bars[0].length, bars[0].pos) == (3, 3)
    result = run([str(tmp_path / "three.pdf"), str(tmp_path / "0.png"), "--model", model])
    assert result.exit_code == 0
    assert (bars[1].length, bars[1].pos) == (4, 4)  # 3 PDF pages + 1 image, not 2 files


def test_reading_nothing_is_an_error(tmp_path, model):
    (tmp_path / "empty").mkdir()
    result = run([str(tmp_path / "empty"), "--model", model])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.startswith("Error: nothing to read: ") and "empty" in result.stderr


def test_help_shows_an_example_for_every_command():
    def commands(group, prefix):
        for name, cmd in group.commands.items():
            yield [*prefix, name], cmd
            if hasattr(cmd, "commands"):
                yield from commands(cmd, [*prefix, name])

    for args, _ in [([], main), *commands(main, [])]:
        result = CliRunner().invoke(main, [*args, "--help"])
        assert result.exit_code == 0
        assert "Example" in result.output and "  ocr " in result.output, f"ocr {' '.join(args)} --help"


@pytest.mark.parametrize("fmt,start", [("alto", "<?xml"), ("page", "<?xml"), ("hocr", "<?xml"),
                                       ("pdf", "%PDF-")])
def test_new_formats_from_the_command_line(tmp_path, model, fmt, start):
    if fmt == "pdf":
        pytest.importorskip("fpdf", reason="fpdf2 (the pdf extra) writes PDFs")
    out = tmp_path / f"out.{fmt}"
    result = run([digits_png(tmp_path / "a.png"), "--model", model, "--format", fmt, "-o", str(out), "--dpi", "150"])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(start.encode())
    if fmt == "pdf":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(data)
        assert pdf[0].get_size() == pytest.approx((180 * 72 / 150, 60 * 72 / 150), abs=0.5)
        assert len(pdf[0].get_textpage().get_text_range().strip()) == 4
    else:
        assert b"150" in data or fmt == "alto"


def test_page_format_writes_one_file_per_page(tmp_path, model):
    a, b = digits_png(tmp_path / "a.png"), digits_png(tmp_path / "b.png", n=3)
    result = run([a, b, "--model", model, "--format", "page", "-o", str(tmp_path / "out.xml")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out-1.xml").read_text().count("<TextLine") == 1
    assert (tmp_path / "out-2.xml").is_file() and not (tmp_path / "out.xml").exists()
    result = run([a, b, "--model", model, "--format", "page"])
    assert result.exit_code == 2 and "give -o FILE" in result.stderr
    result = run([a, "--model", model, "--format", "page"])
    assert result.exit_code == 0 and result.stdout.startswith("<?xml")
