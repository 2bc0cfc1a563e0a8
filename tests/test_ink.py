"""ocr.ink: measures of an ink mask, on masks drawn in the test."""

import numpy as np

from ocr.ink import text_height
from ocr.preprocess import remove_rules


def _bold_letters(mask: np.ndarray, top: int, height: int, xs: range) -> None:
    """Bold 'm'-like letters: full-height stems joined by a bar at the top."""
    for x in xs:
        mask[top:top + height, x:x + 4] = True
        mask[top:top + height, x + 8:x + 12] = True
        mask[top:top + height, x + 16:x + 20] = True
        mask[top:top + 3, x:x + 20] = True


def _cut_field() -> np.ndarray:
    """A field cut from a form: bold letters 16 px high, and the feet of the line above and
    the tops of the line below as rows of short pieces along the crop's edges."""
    crop = np.zeros((48, 300), bool)
    _bold_letters(crop, 16, 16, range(10, 130, 26))
    for x in range(4, 296, 7):
        crop[0:4, x:x + 3] = True     # descenders of the line above
        crop[44:48, x:x + 4] = True   # capitals of the line below
    return crop


def test_the_cut_pieces_of_neighbouring_lines_are_not_the_text_height():
    assert 14 <= text_height(_cut_field()) <= 18


def test_bold_letters_in_a_cut_field_are_not_taken_off_as_boxes():
    # Among "text" 4 px high they were frames: full stems at both sides, a full top row.
    crop = _cut_field()
    cleaned, _ = remove_rules(crop)
    assert cleaned[16:32].sum() >= 0.95 * crop[16:32].sum()


def test_text_height_of_a_page_of_letters_is_unchanged_by_an_edge():
    page = np.zeros((200, 300), bool)
    for y in range(20, 180, 30):
        for x in range(10, 290, 14):
            page[y:y + 12, x:x + 8] = True
    assert text_height(page) == 12
    page[0:12, 10:18] = True  # a letter at the top edge, whole
    assert text_height(page) == 12
