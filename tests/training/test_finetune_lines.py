"""Adapting a line model to the user's own line images (ocr train glyphs --base digitline)."""

import hashlib

import cv2
import numpy as np
import pytest

from ocr.errors import DataError
from ocr.models import builders
from ocr.models.store import read_metadata, save_model
from tests.test_cli import assert_one_line_error, run
from ocr.normalize import stack_lines
from training.finetune_lines import load_line_folder

DIGITS = "0123456789.,"


def _write_lines(root, n=10, seed=0, transcript=True):
    """Digit strings drawn with OpenCV's Hershey font, black on white, with .gt.txt files."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        text = "".join(str(d) for d in rng.integers(0, 10, int(rng.integers(3, 7))))
        img = np.full((60, 40 + 30 * len(text)), 255, np.uint8)
        cv2.putText(img, text, (10, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.3, 0, 3)
        cv2.imwrite(str(root / f"line{i:02d}.png"), img)
        if transcript:
            (root / f"line{i:02d}.gt.txt").write_text(text + "\n")
    return root


@pytest.fixture
def line_base(tmp_path):
    net = builders.crnn(num_classes=len(DIGITS), widths=(8, 8, 16, 16, 16), rnn_units=16, name="digitline")
    return save_model(net, tmp_path / "base.keras", {
        "kind": "line", "labels": list(DIGITS), "training": {"datasets": ["mnist:train composed"]}})


def test_load_line_folder_reads_images_with_transcripts(tmp_path):
    folder = _write_lines(tmp_path / "lines", n=4)
    _write_lines(tmp_path / "lines", n=6, seed=1, transcript=False)  # lines 4, 5 lack a transcript
    samples = load_line_folder(folder, DIGITS)
    assert len(samples.texts) == 4
    assert all(img.shape[0] == 32 and img.max() > 0 for img in samples.images)
    batch = stack_lines(samples.images)
    assert batch.shape[0] == 4 and batch.shape[2] % 4 == 0


def test_load_line_folder_deslants_as_the_base_card_reads(tmp_path):
    """A base whose card shears lines upright is adapted on lines sheared the same way."""
    from ocr.deslant import DeslantRule

    folder = _write_lines(tmp_path / "lines", n=3)
    plain = load_line_folder(folder, DIGITS)
    assert all(np.array_equal(a, b) for a, b in zip(plain.images, load_line_folder(folder, DIGITS, deslant=None).images))
    sheared = load_line_folder(folder, DIGITS, deslant=DeslantRule(shear=0.5))
    assert len(sheared.images) == 3
    assert all(a.shape != b.shape or not np.array_equal(a, b) for a, b in zip(plain.images, sheared.images))


def test_load_line_folder_refuses_characters_the_model_lacks(tmp_path):
    folder = _write_lines(tmp_path / "lines", n=2)
    (folder / "line00.gt.txt").write_text("12A4\n")
    with pytest.raises(DataError, match="'A'"):
        load_line_folder(folder, DIGITS)


def test_load_line_folder_names_a_transcript_that_is_not_utf8(tmp_path):
    folder = _write_lines(tmp_path / "lines", n=2)
    (folder / "line01.gt.txt").write_bytes(bytes(range(128, 256)))
    with pytest.raises(DataError, match=r"line01.gt.txt: not UTF-8 text \(byte 0x80 at offset 0\)"):
        load_line_folder(folder, DIGITS)


@pytest.mark.slow
def test_adapt_line_model_through_the_cli(tmp_path, line_base):
    from ocr.language import SPACES_SUFFIX, CharNgram, language_model_for, language_model_path, variant_suffix
    from ocr.lexicon import Lexicon, language_variants_for, lexicon_for, lexicon_path, variant_lexicon_path

    folder = _write_lines(tmp_path / "lines", n=10)
    for k in range(10):  # the user's transcripts part their numbers with spaces
        gt = folder / f"line{k:02d}.gt.txt"
        gt.write_text(gt.read_text()[:2] + " " + gt.read_text()[2:])
    base_spaces = CharNgram.from_texts(["12.50 7", "1,250.00"], order=3)
    base_spaces.save(language_model_path(line_base, SPACES_SUFFIX))
    Lexicon(["total", "amount"], "two words").save(lexicon_path(line_base))
    CharNgram.from_texts(["total 12"], order=3, switch_within=0.5).save(language_model_path(line_base,
                                                                                           variant_suffix("en")))
    Lexicon(["total"], "English words").save(variant_lexicon_path(line_base, "en"))
    before = hashlib.sha256(line_base.read_bytes()).hexdigest()
    out = tmp_path / "adapted.keras"
    result = run("train", "glyphs", folder, "--base", line_base, "--out", out, "--epochs", "2",
                 "--batch-size", "4", "--replay-per-class", "0", "--holdout", "0.3")
    assert result.exit_code == 0, result.output
    assert "held-out CER on 3 lines" in result.output
    meta = read_metadata(out)
    assert meta["kind"] == "line" and meta["lineage"][-1]["user_lines"] == 7
    assert hashlib.sha256(line_base.read_bytes()).hexdigest() == before
    # The base's word-space model, with where the user's lines part their words counted in.
    spaces = language_model_for(out, SPACES_SUFFIX)
    assert "word-space model" in result.output and spaces.about["added"]
    assert spaces.counts[0][""][" "] == base_spaces.counts[0][""][" "] + 7  # one per training line
    assert language_model_for(out) is None  # the base has no language model to carry
    words = lexicon_for(out)  # the base's word list carried over (the user's numbers are no words)
    assert "word list" in result.output and len(words) == 2 and "Total" in words
    variants = language_variants_for(out)  # the base's language variants carried as they were
    assert "en language variant" in result.output and variants["en"].model.switch_within == 0.5
    assert "total" in variants["en"].words
    for beside in (lambda m: language_model_path(m, variant_suffix("en")), lambda m: variant_lexicon_path(m, "en")):
        assert beside(out).read_bytes() == beside(line_base).read_bytes()  # copied as they were
    again = run("train", "glyphs", folder, "--base", line_base, "--out", out, "--epochs", "1",
                "--replay-per-class", "0")
    assert_one_line_error(again, "--force")
    read = run("read", folder / "line00.png", "--model", out, "--digits")
    assert read.exit_code == 0, read.output


def test_line_folder_without_transcripts_is_one_line_error(tmp_path, line_base):
    folder = _write_lines(tmp_path / "lines", n=3, transcript=False)
    result = run("train", "glyphs", folder, "--base", line_base, "--out", tmp_path / "x.keras")
    assert_one_line_error(result, ".gt.txt")


@pytest.mark.slow
def test_rehearsal_lines_come_from_the_base_models_training_data(tmp_path, line_base, digits_dir):
    folder = _write_lines(tmp_path / "lines", n=6)
    out = tmp_path / "adapted.keras"
    result = run("train", "glyphs", folder, "--base", line_base, "--out", out, "--epochs", "1",
                 "--batch-size", "4", "--holdout", "0", "--data-dir", digits_dir)
    assert result.exit_code == 0, result.output
    lineage = read_metadata(out)["lineage"][-1]
    assert lineage["user_lines"] == 6 and lineage["rehearsal_lines"] == 6


@pytest.mark.slow
def test_adapt_line_model_on_a_page_xml_page_through_the_cli(tmp_path, line_base):
    """A transcribed page as an HTR tool exports it: page.png + PAGE XML with line polygons."""
    folder = tmp_path / "pages"
    folder.mkdir()
    page = np.full((60 * 8, 400), 255, np.uint8)
    lines = []
    rng = np.random.default_rng(3)
    for k in range(8):
        text = "".join(str(d) for d in rng.integers(0, 10, 5))
        cv2.putText(page, text, (10, 60 * k + 45), cv2.FONT_HERSHEY_SIMPLEX, 1.3, 0, 3)
        y0, y1 = 60 * k + 5, 60 * k + 55
        lines.append(f'<TextLine id="l{k}"><Coords points="5,{y0} 390,{y0} 390,{y1} 5,{y1}"/>'
                     f"<TextEquiv><Unicode>{text}</Unicode></TextEquiv></TextLine>")
    cv2.imwrite(str(folder / "page.png"), page)
    (folder / "page.xml").write_text(
        '<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15">'
        f'<Page imageFilename="page.png"><TextRegion id="r">{"".join(lines)}</TextRegion></Page></PcGts>')
    out = tmp_path / "adapted.keras"
    result = run("train", "glyphs", folder, "--base", line_base, "--out", out, "--epochs", "1",
                 "--batch-size", "4", "--replay-per-class", "0", "--holdout", "0.25")
    assert result.exit_code == 0, result.output
    assert "held-out CER on 2 lines" in result.output
    assert read_metadata(out)["lineage"][-1]["user_lines"] == 6


def test_a_malformed_xml_page_is_one_line_error(tmp_path, line_base):
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "page.xml").write_text("<PcGts><Page>")
    result = run("train", "glyphs", folder, "--base", line_base, "--out", tmp_path / "x.keras")
    assert_one_line_error(result, "not well-formed XML")
