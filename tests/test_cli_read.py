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
