import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw, ImageFont

from cli import main
from ocr.charsets import CHARNET
from ocr.models import builders
from ocr.models.store import save_model


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """An untrained charnet: extraction pairs glyphs by position, not by what the model reads."""
    path = tmp_path_factory.mktemp("m") / "charnet.keras"
    return save_model(builders.charnet(num_classes=len(CHARNET)), path, {"labels": list(CHARNET)})


def _page(path, lines):
    font = ImageFont.load_default(size=40)
    img = Image.new("L", (60 + 45 * max(map(len, lines)), 30 + 70 * len(lines)), 255)
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        for k, char in enumerate(line):  # wide, fixed spacing: one component per glyph
            draw.text((20 + 45 * k, 15 + 70 * i), char, font=font, fill=0)
    img.save(path)
    return path


def run(*args):
    return CliRunner().invoke(main, ["glyphs", "extract", *map(str, args)])


def test_extract_writes_labelled_glyph_folder(tmp_path, model):
    page = _page(tmp_path / "p.png", ["HEY", "K7/"])
    (tmp_path / "p.gt.txt").write_text("HEY\nK7/\n")
    result = run(page, "--out", tmp_path / "g", "--model", model)
    assert result.exit_code == 0, result.output
    assert "wrote 6 glyphs from 2 of 2 lines" in result.output
    folders = sorted(p.name for p in (tmp_path / "g").iterdir())
    assert folders == ["7", "E", "H", "K", "U+002F", "Y"]
    glyph = Image.open(next((tmp_path / "g" / "H").iterdir()))
    assert glyph.size == (28, 28)


def test_mismatched_line_is_reported_and_skipped(tmp_path, model):
    page = _page(tmp_path / "p.png", ["HEY", "K7/"])
    text = tmp_path / "t.txt"
    text.write_text("HEY\nK7/X\n")
    result = run(page, "--text", text, "--out", tmp_path / "g", "--model", model)
    assert result.exit_code == 0
    assert "line 2: transcript has 4 characters, segmentation found 3; skipped" in result.stderr
    assert not (tmp_path / "g" / "K").exists() and (tmp_path / "g" / "H").is_dir()


def test_never_matching_transcript_is_an_error(tmp_path, model):
    page = _page(tmp_path / "p.png", ["HEY"])
    text = tmp_path / "t.txt"
    text.write_text("HELLO\n")
    result = run(page, "--text", text, "--out", tmp_path / "g", "--model", model)
    assert result.exit_code == 2 and "no glyphs written" in result.stderr
    assert "Traceback" not in result.output


def test_missing_transcript_does_not_stop_other_pages(tmp_path, model):
    good = _page(tmp_path / "a.png", ["AB"])
    (tmp_path / "a.gt.txt").write_text("AB\n")
    orphan = _page(tmp_path / "b.png", ["CD"])
    result = run(good, orphan, "--out", tmp_path / "g", "--model", model)
    assert result.exit_code == 2
    assert "b.gt.txt not found" in result.stderr and (tmp_path / "g" / "A").is_dir()


def test_transcript_of_random_bytes_is_reported_and_other_pages_go_on(tmp_path, model):
    good = _page(tmp_path / "a.png", ["AB"])
    (tmp_path / "a.gt.txt").write_text("AB\n")
    bad = _page(tmp_path / "b.png", ["CD"])
    (tmp_path / "b.gt.txt").write_bytes(b"\xff\xfe\x00garbage\x9c\x80")
    result = run(bad, good, "--out", tmp_path / "g", "--model", model)
    assert result.exit_code == 2 and "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert errors == [f"Error: {tmp_path / 'b.gt.txt'}: not UTF-8 text (byte 0xff at offset 0); save it as UTF-8"]
    assert (tmp_path / "g" / "A").is_dir() and not (tmp_path / "g" / "C").exists()
