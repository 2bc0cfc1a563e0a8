"""Page orientation: quarter turns found from the ink and undone."""

import numpy as np
import pytest

from ocr.orientation import detect_orientation, runs_down, sideways_lines, to_input_points, turn_upright
from ocr.preprocess import text_height
from tests.conftest import prose_page

PROSE_LINES = ["The quick brown fox jumps over", "the lazy dog, and then", "it rests in the sun."]


@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_a_turned_page_is_found(turn):
    turned = np.ascontiguousarray(np.rot90(prose_page(), turn // 90))  # text now lies turned by `turn`
    found = detect_orientation(turned, text_height(turned))
    assert found.angle == turn, found
    assert np.array_equal(turn_upright(turned, found.angle), prose_page())


def test_too_little_text_is_left_alone():
    few = prose_page(["ab cd", "efg"])
    assert detect_orientation(np.ascontiguousarray(np.rot90(few, 2)), text_height(few)).angle == 0
    dots = np.zeros((400, 400), bool)
    dots[::20, ::20] = True  # a grid of specks: neither horizontal nor vertical text
    assert detect_orientation(dots, 3.0).angle == 0


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_points_of_the_upright_frame_map_back_to_the_same_pixels(turn):
    rng = np.random.default_rng(turn)
    image = rng.integers(0, 255, (7, 11), dtype=np.uint8)
    turned = np.ascontiguousarray(np.rot90(image, turn // 90))
    upright = turn_upright(turned, turn)
    assert np.array_equal(upright, image)
    ys, xs = np.mgrid[0:upright.shape[0], 0:upright.shape[1]]
    centres = np.stack([xs.ravel() + 0.5, ys.ravel() + 0.5], axis=1)
    back = to_input_points(centres, turn, turned.shape)
    cols, rows = np.floor(back[:, 0]).astype(int), np.floor(back[:, 1]).astype(int)
    assert np.array_equal(turned[rows, cols], upright[ys.ravel(), xs.ravel()])


def test_glyphs_standing_one_below_the_other_run_down():
    column = np.zeros((260, 60), bool)
    for y in range(10, 240, 28):
        column[y:y + 20, 15:45] = True  # digits printed up a margin: wider than tall, stacked
    assert runs_down(column)
    assert not runs_down(np.ascontiguousarray(column.T))  # the same glyphs side by side
    one = np.zeros((60, 30), bool)
    one[5:55, 12:18] = True  # a lone "1" is taller than wide, but stacks nothing
    assert not runs_down(one)


def _with_number_up_the_margin(page: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """``page`` with a document number printed up a margin beside it, and the number's box."""
    number = prose_page(["80718412"])
    rows, cols = np.nonzero(number)
    number = np.ascontiguousarray(np.rot90(number[rows.min():rows.max() + 1, cols.min():cols.max() + 1]))
    h, w = number.shape
    canvas = np.zeros((max(page.shape[0], h + 40), page.shape[1] + w + 120), bool)
    canvas[:page.shape[0], :page.shape[1]] = page
    x, y = page.shape[1] + 60, 20
    canvas[y:y + h, x:x + w] = number
    return canvas, (x, y, x + w, y + h)


def test_a_number_printed_up_a_pages_margin_is_a_sideways_line():
    page, (x0, y0, x1, y1) = _with_number_up_the_margin(prose_page(PROSE_LINES))
    found = sideways_lines(page, text_height(page))
    assert len(found) == 1
    a, b, c, d = found[0]
    assert abs(a - x0) <= 2 and abs(b - y0) <= 2 and abs(c - x1) <= 2 and abs(d - y1) <= 2


def test_upright_text_has_no_sideways_line():
    page = prose_page(PROSE_LINES)
    assert sideways_lines(page, text_height(page)) == []
    solid = np.zeros((400, 300), bool)
    solid[20:380, 100:140] = True  # a bar is no text
    assert sideways_lines(solid, 30.0) == []
    beside, (x0, y0, x1, y1) = _with_number_up_the_margin(prose_page(PROSE_LINES))
    beside[:, x1 + 8:x1 + 14] = True  # a rule right beside the number: a table's column, not a margin
    assert sideways_lines(beside, text_height(beside)) == []
