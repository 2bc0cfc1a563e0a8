"""Composed digit strings for the line model."""

import numpy as np

from ocr.normalize import LINE_HEIGHT, LINE_MIN_WIDTH
from tests.conftest import draw_digits
from training.strings import StringStyle, compose_digit_string, line_dataset


def test_composed_string_text_matches_digits_and_separators():
    images, labels = draw_digits(50)
    rng = np.random.default_rng(0)
    for _ in range(30):
        mask, text = compose_digit_string(images, labels, rng)
        assert mask.dtype == bool and mask.any()
        assert text and set(text) <= set("0123456789.,")
        assert text[0].isdigit() and text[-1].isdigit()
        assert sum(c.isdigit() for c in text) <= 8


def test_digits_are_laid_out_left_to_right():
    images, labels = draw_digits(20)
    style = StringStyle(gap=(0.5, 0.6), slant=0.0, rotation=0.0, separators=0.0, trailing_mark=0.0,
                        leading_mark=0.0, underline=0.0, specks=0.0)
    mask, text = compose_digit_string(images, labels, np.random.default_rng(3), style)
    columns = np.nonzero(mask.any(axis=0))[0]
    runs = np.split(columns, np.nonzero(np.diff(columns) > 1)[0] + 1)
    assert len(runs) == len(text)  # well-separated digits: one ink run per digit


def test_line_dataset_shapes_and_targets():
    images, labels = draw_digits(40)
    x, y, texts = line_dataset(images, labels, 25, "0123456789.,", seed=1)
    assert x.shape == (25, LINE_HEIGHT, LINE_MIN_WIDTH) and x.dtype == np.uint8
    assert y.shape == (25, 16)
    for row, text in zip(y, texts):
        assert "".join("0123456789.,"[i - 1] for i in row if i) == text
    again = line_dataset(images, labels, 25, "0123456789.,", seed=1)
    assert np.array_equal(x, again[0])  # a seed fixes the data
