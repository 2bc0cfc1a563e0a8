"""Rendered text lines for the print line model."""

import numpy as np

from ocr import charsets
from ocr.normalize import LINE_HEIGHT
from training.textlines import random_text, render_line, textline_dataset


def test_random_text_uses_only_the_character_set():
    rng = np.random.default_rng(0)
    texts = [random_text(rng) for _ in range(200)]
    assert set("".join(texts)) <= set(charsets.CHARNET + " ")
    assert any(c.isdigit() for t in texts for c in t) and any(c.isupper() for t in texts for c in t)


def test_rendered_line_is_ink_with_a_cap_height():
    mask, cap = render_line("Total 12.50", None, 24, np.random.default_rng(1))
    assert mask.dtype == bool and 0.02 < mask.mean() < 0.6
    assert 8 < cap < 30


def test_textline_dataset_targets_match_text_without_spaces():
    x, y, texts = textline_dataset(12, charsets.CHARNET, seed=3, width=320, fonts=[])
    assert x.shape == (12, LINE_HEIGHT, 320) and x.dtype == np.uint8
    for row, text in zip(y, texts):
        assert " " not in text
        assert "".join(charsets.CHARNET[i - 1] for i in row if i) == text
    assert (x.reshape(12, -1).max(axis=1) > 200).all()  # every line has ink
