"""Page orientation: quarter turns found from the ink and undone."""

import numpy as np
import pytest

from ocr.orientation import detect_orientation, runs_down, to_input_points, turn_upright
from ocr.preprocess import text_height
from tests.conftest import prose_page


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
