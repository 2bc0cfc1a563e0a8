"""Deslanting: the slant estimate, the row-shift shear and its inverse, the card's rule."""

import numpy as np
import pytest

from ocr.deslant import DeslantRule, ShearedRuns, estimate_slant, italic_upright, shear_mask, upright


def slanted_strokes(shear: float, height: int = 60, width: int = 400, strokes=(60, 140, 220, 300),
                    thickness: int = 3) -> np.ndarray:
    """Straight strokes from row 8 to ``height - 8`` leaning by ``shear`` (columns per row, the top
    to the right for a positive shear): ``shear_mask(mask, shear)`` stands them upright."""
    mask = np.zeros((height, width), bool)
    centre = (height - 1) / 2.0
    for x in strokes:
        for y in range(8, height - 8):
            col = x + int(round(shear * (centre - y)))
            mask[y, col:col + thickness] = True
    return mask


@pytest.mark.parametrize("shear", [0.0, 0.3, 0.6, 1.0, -0.4])
def test_slant_estimate_recovers_a_known_shear(shear):
    assert abs(estimate_slant(slanted_strokes(shear)) - shear) <= 0.05


def test_slant_estimate_of_no_ink_is_zero():
    assert estimate_slant(np.zeros((20, 30), bool)) == 0.0


def test_shear_stands_slanted_strokes_upright():
    sheared = shear_mask(slanted_strokes(0.6), 0.6)
    rows = np.nonzero(sheared.mask.any(axis=1))[0]
    # Every row of one stroke covers the same columns once upright.
    first = sheared.mask[rows, :].argmax(axis=1)
    assert first.max() - first.min() <= 1
    assert sheared.mask.sum() == slanted_strokes(0.6).sum()  # no ink lost or made


@pytest.mark.parametrize("shear", [0.5, -0.7, 1.3])
def test_shear_round_trip_maps_columns_back(shear):
    rng = np.random.default_rng(0)
    mask = rng.random((37, 90)) < 0.2
    sheared = shear_mask(mask, shear)
    assert sheared.mask.shape[0] == mask.shape[0] and sheared.mask.shape[1] >= mask.shape[1]
    ys, xs = np.nonzero(sheared.mask)
    back = np.zeros_like(mask)
    src = sheared.to_source_x(xs, ys)
    assert src.min() >= 0 and src.max() < mask.shape[1]
    back[ys, src] = True
    assert np.array_equal(back, mask)
    # The middle row moved by the offset: columns there map back by subtracting it.
    middle = (mask.shape[0] - 1) // 2
    assert sheared.to_source_x(50) == 50 - sheared.offset
    assert abs(sheared.shifts[middle] - sheared.offset) <= 1


def test_source_box_is_the_ink_of_those_columns_back_in_place():
    mask = slanted_strokes(0.5)
    sheared = shear_mask(mask, 0.5)
    cols = np.nonzero(sheared.mask.any(axis=0))[0]
    stroke = cols[cols < cols[0] + 20]  # the first upright stroke's columns
    x0, y0, x1, y1 = sheared.source_box(int(stroke[0]), int(stroke[-1]) + 1)
    ys, xs = np.nonzero(mask[:, :100])  # the first slanted stroke in the source
    assert (x0, y0, x1, y1) == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    assert sheared.source_box(0, 0) is None


def test_rule_from_card():
    assert DeslantRule.from_card(None) is None
    fixed = DeslantRule.from_card({"shear": 0.5})
    assert fixed.shear_for(np.zeros((5, 5), bool)) == 0.5 and fixed.to_card() == {"shear": 0.5}
    scaled = DeslantRule.from_card({"estimate_factor": 0.5})
    assert abs(scaled.shear_for(slanted_strokes(0.8)) - 0.4) <= 0.03
    assert scaled.to_card() == {"estimate_factor": 0.5}
    for bad in (0.5, {"shear": "0.5"}, {"shear": True}, {"angle": 10}, {"shear": 0.5, "estimate_factor": 1},
                {"shear": 99.0}, {"estimate_factor": float("nan")}):
        with pytest.raises(ValueError, match="input.deslant"):
            DeslantRule.from_card(bad)


def test_rule_parsed_from_a_command_line():
    assert DeslantRule.parse(" None ") is None
    assert DeslantRule.parse('{"shear": 0.5}') == DeslantRule(shear=0.5)
    assert DeslantRule.parse('{"estimate_factor": 1}') == DeslantRule(estimate_factor=1.0)
    with pytest.raises(ValueError, match="not JSON"):
        DeslantRule.parse("upright")
    with pytest.raises(ValueError, match="between"):
        DeslantRule.parse('{"shear": 9}')


def test_upright_shears_by_the_rule_or_leaves_the_ink():
    mask = np.zeros((20, 30), bool)
    mask[2:18, 10:12] = True
    assert upright(mask, None) is mask
    np.testing.assert_array_equal(upright(mask, DeslantRule(shear=0.5)), shear_mask(mask, 0.5).mask)


def print_line(slants, height: int = 60, word_gap: int = 30) -> tuple[np.ndarray, list[int]]:
    """A line of "words", each four strokes (rows 8 to ``height - 8``, 3 px thick, 10 px
    apart) leaning by its slant in ``slants``; returns the mask and each word's first column."""
    words, starts, x = [], [], 10
    for slant in slants:
        starts.append(x)
        words.append(slanted_strokes(slant, height, x + 80, strokes=range(x + 15, x + 55, 10)))
        x += 70 + word_gap
    mask = np.zeros((height, x + 20), bool)
    for w in words:
        mask[:, :w.shape[1]] |= w
    return mask, starts


def test_a_roman_line_has_no_italic_to_stand_upright():
    mask, _ = print_line([0.0, 0.0, 0.0, 0.0])
    assert italic_upright(mask, 44, 1.0) is None
    assert upright(mask, DeslantRule(italic_factor=0.5)) is mask


@pytest.mark.parametrize("slants", [[0.0, 0.45, 0.0, 0.45], [0.45, 0.45, 0.0], [1.0, 1.0, 1.0, 1.0]])
def test_lone_slanted_words_and_steep_pieces_are_not_italic(slants):
    # A word or two leaning (a Z, a V, sloped digits) is no run; a 45-degree lean is no type's italic.
    mask, _ = print_line(slants)
    assert italic_upright(mask, 44, 1.0) is None


def test_an_italic_run_stands_upright_and_roman_words_keep_their_shape():
    mask, starts = print_line([0.0, 0.45, 0.45, 0.45, 0.0])
    sheared = italic_upright(mask, 44, 1.0)
    assert isinstance(sheared, ShearedRuns)
    assert sheared.mask.sum() == mask.sum()  # no ink lost or made
    out = sheared.mask
    grown = out.shape[1] - mask.shape[1]
    assert grown > 0
    # The roman word before the run is where it was; the one after moved right by what the run grew.
    np.testing.assert_array_equal(out[:, :starts[1] - 5], mask[:, :starts[1] - 5])
    np.testing.assert_array_equal(out[:, starts[4] - 5 + grown:], mask[:, starts[4] - 5:])
    # Each italic stroke now covers the same columns in every row.
    run = out[:, starts[1]:starts[4] - 5 + grown]
    rows = np.nonzero(run.any(axis=1))[0]
    first = run[rows].argmax(axis=1)
    assert first.max() - first.min() <= 1
    # Every ink pixel maps back to its own source pixel.
    ys, xs = np.nonzero(out)
    back = np.zeros_like(mask)
    back[ys, sheared.to_source_x(xs, ys)] = True
    np.testing.assert_array_equal(back, mask)
    x0, y0, x1, y1 = sheared.source_box(0, out.shape[1])
    ys, xs = np.nonzero(mask)
    assert (x0, y0, x1, y1) == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    assert sheared.source_box(out.shape[1], out.shape[1] + 5) is None


def test_italic_rule_from_card_and_its_line_height():
    rule = DeslantRule.from_card({"italic_factor": 0.5})
    assert rule == DeslantRule(italic_factor=0.5) and rule.to_card() == {"italic_factor": 0.5}
    with pytest.raises(ValueError, match="italic runs"):
        rule.shear_for(np.zeros((5, 5), bool))
    mask, _ = print_line([0.45, 0.45, 0.45])
    # Without a height the rule guesses it from the ink (44 rows tall): the same runs.
    np.testing.assert_array_equal(rule.apply(mask).mask, rule.apply(mask, 44 * 0.7).mask)
    assert upright(mask, rule).shape[1] > mask.shape[1]
    # Given a height, pieces are judged in it: under one so tall, every word is too short to judge.
    np.testing.assert_array_equal(upright(mask, rule, 44 * 0.7), rule.apply(mask, 44 * 0.7).mask)
    assert upright(mask, rule, 400.0) is mask
