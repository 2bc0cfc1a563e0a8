"""Rendered text lines for the print line model, degraded like scans."""

import re

import numpy as np
import pytest

from ocr import charsets
from ocr.normalize import LINE_HEIGHT
from training import textlines
from training.textlines import CAP_RANGE, random_text, render_line, textline_dataset


@pytest.mark.parametrize("alphabet", [charsets.CHARNET, charsets.PRINT, charsets.DIGITS + charsets.UPPER])
def test_random_text_uses_only_the_character_set(alphabet):
    rng = np.random.default_rng(0)
    texts = [random_text(rng, alphabet=alphabet) for _ in range(300)]
    assert set("".join(texts)) <= set(alphabet + " ")
    assert any(c.isdigit() for t in texts for c in t) and any(c.isupper() for t in texts for c in t)


def test_random_text_draws_on_the_word_lists_when_present(tmp_path, monkeypatch):
    (tmp_path / "french").write_text("café\nélève\nœuvre\n", encoding="utf-8")
    monkeypatch.setattr(textlines, "DICT_DIR", tmp_path)
    textlines.word_lists.cache_clear()
    try:
        rng = np.random.default_rng(1)
        text = " ".join(random_text(rng, alphabet=charsets.PRINT) for _ in range(300)).lower()
        assert "élève" in text or "café" in text or "œuvre" in text
        lists, _, names = textlines.word_lists(charsets.CHARNET)  # accents not in the alphabet: none kept
        assert lists == () and names == ()
    finally:
        textlines.word_lists.cache_clear()


def test_random_text_ends_quotations_after_their_stop_as_books_do():
    rng = np.random.default_rng(2)
    text = " ".join(random_text(rng, alphabet=charsets.PRINT) for _ in range(2000))
    assert ".\u201d" in text and ",\u201d" in text and ".\u2019" in text


def test_random_text_sets_stops_inside_and_before_other_marks_as_abbreviations_do():
    rng = np.random.default_rng(3)
    text = " ".join(random_text(rng, alphabet=charsets.PRINT) for _ in range(3000))
    assert re.search(r"\b[a-z]\.[a-z]\.", text)  # i.e., e.g., a.m.
    assert re.search(r"[A-Za-z]\.[,;:)\]]", text)  # "et al.," "Inc.)"
    assert re.search(r"\b[A-Z][a-z]+\. \d", text)  # "Fig. 3", "Vol. 89"
    # ... without making a stop after a word far more common than a comma there, as prose has them
    stops, commas = len(re.findall(r"[A-Za-z]\.", text)), len(re.findall(r"[A-Za-z],", text))
    assert 0.5 < commas / stops < 2


def test_random_text_sets_numbered_citations_in_brackets():
    rng = np.random.default_rng(4)
    text = " ".join(random_text(rng, alphabet=charsets.PRINT) for _ in range(3000))
    assert re.search(r"\[\d+\]", text)  # "[49]"
    assert re.search(r"\[\d+, \d+", text)  # "[3, 12]"
    assert re.search(r"\[\d+\u2013\d+", text)  # "[12\u201315]"
    assert re.search(r"\(\d+\)", text)  # an equation's number


def test_rendered_line_is_a_scan_sized_ink_mask():
    caps = []
    for seed in range(12):
        mask, cap = render_line("Total 12.50", None, 64, np.random.default_rng(seed))
        assert mask.dtype == bool and mask.any() and mask.mean() < 0.7
        caps.append(cap)
    # Shrunk to a scan resolution drawn from CAP_RANGE (rounding and stroke growth aside).
    assert CAP_RANGE[0] * 0.8 <= min(caps) and max(caps) <= CAP_RANGE[1] * 1.2
    assert max(caps) > 2 * min(caps)


def test_small_print_is_binarized_at_twice_its_scan_resolution_as_reading_does(monkeypatch):
    monkeypatch.setattr(textlines, "CAP_RANGE", (7.0, 7.0))  # 100 dpi fax print
    monkeypatch.setattr(textlines, "NEIGHBOUR_SHARE", 0.0)  # a cut neighbouring line moves the text height
    mask, cap = render_line("Total 12.50", None, 64, np.random.default_rng(0))
    assert 12 <= cap <= 17  # the cap height in the mask's (enlarged) pixels
    monkeypatch.setattr(textlines, "CAP_RANGE", (30.0, 30.0))
    _, cap = render_line("Total 12.50", None, 64, np.random.default_rng(0))
    assert 25 <= cap <= 35  # large print is binarized as scanned


def test_textline_dataset_targets_match_text_without_spaces():
    x, y, texts = textline_dataset(12, charsets.PRINT, seed=3, width=320, fonts=[])
    assert x.shape == (12, LINE_HEIGHT, 320) and x.dtype == np.uint8
    for row, text in zip(y, texts):
        assert " " not in text
        assert "".join(charsets.PRINT[i - 1] for i in row if i) == text
    assert (x.reshape(12, -1).max(axis=1) > 200).all()  # every line has ink


def test_textline_dataset_is_the_same_on_any_number_of_processes():
    one = textline_dataset(10, charsets.CHARNET, seed=4, fonts=[], workers=1)
    two = textline_dataset(10, charsets.CHARNET, seed=4, fonts=[], workers=2)
    assert np.array_equal(one[0], two[0]) and one[2] == two[2]
    # The card's italic rule travels to the processes; the built-in upright face has no italic run.
    from ocr.deslant import DeslantRule

    ruled = textline_dataset(10, charsets.CHARNET, seed=4, fonts=[], workers=2, deslant=DeslantRule(italic_factor=0.5))
    assert np.array_equal(ruled[0], one[0]) and ruled[2] == one[2]


def test_a_neighbouring_line_piece_is_added_outside_the_line():
    """Crops of real forms hold pieces of the lines above and below; the renders learn to ignore them."""
    ink, cap, baseline = textlines._draw_text("Total", None, 48)
    rows = np.nonzero(ink.max(axis=1) > 0)[0]
    for seed in range(6):
        out, new_baseline = textlines._with_neighbour(ink, cap, baseline, None, 48, np.random.default_rng(seed))
        shift = new_baseline - baseline
        assert np.array_equal(np.maximum(out[shift:shift + ink.shape[0]], ink), out[shift:shift + ink.shape[0]])
        out_rows = np.nonzero(out.max(axis=1) > 0)[0] - shift
        assert out_rows.min() < rows.min() or out_rows.max() > rows.max()  # ink beyond the line's own rows


def test_a_box_side_is_a_bar_beside_the_text():
    ink, cap, baseline = textlines._draw_text("Name", None, 48)
    out = textlines._with_box_side(ink, cap, baseline, np.random.default_rng(0))
    tall = (out > 0).sum(axis=0) >= cap  # a column inked over more than a capital's height
    assert tall.any() and out.shape[1] > ink.shape[1]
