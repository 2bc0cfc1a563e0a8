"""Check boxes: found by shape (ocr.ink.is_check_box), written as ☐ in the line's words (ocr.checkbox)."""

import cv2
import numpy as np
import pytest

from ocr.checkbox import EMPTY_BOX, with_check_boxes
from ocr.ink import is_check_box
from ocr.postprocess import RecognizedChar
from ocr.segment import Components, Glyph, LineLayout


def _outline(size: int = 20, thickness: int = 2) -> np.ndarray:
    mask = np.zeros((size, size), np.uint8)
    cv2.rectangle(mask, (0, 0), (size - 1, size - 1), 1, thickness)
    return mask.astype(bool)


def test_an_empty_square_outline_is_a_check_box_even_with_rounded_corners_and_a_speck():
    box = _outline()
    assert is_check_box(box, 18)
    faxed = box.copy()
    faxed[0, 0] = faxed[0, -1] = faxed[-1, 0] = faxed[-1, -1] = False
    faxed = np.pad(faxed, ((0, 1), (0, 0)))
    faxed[-1, 12] = True  # a speck stuck under the bottom side
    assert is_check_box(faxed, 18)
    assert is_check_box(box, 0)  # no letter height known: any size


@pytest.mark.parametrize("what", ["ring", "crossed", "corner", "tall", "too big", "speck", "small", "D"])
def test_letters_ticked_boxes_corners_and_odd_sizes_are_not_check_boxes(what):
    size = 20
    mask = np.zeros((size, size), np.uint8)
    height = 18
    if what == "ring":  # a bold O
        cv2.ellipse(mask, (10, 10), (9, 9), 0, 0, 360, 1, 3)
    elif what == "crossed":
        mask = _outline().astype(np.uint8)
        cv2.line(mask, (3, 3), (16, 16), 1, 2)
        cv2.line(mask, (16, 3), (3, 16), 1, 2)
    elif what == "corner":  # where a table's rules meet
        mask[0:2, :] = 1
        mask[:, 0:2] = 1
    elif what == "tall":
        mask = _outline().astype(np.uint8)[:, :10]
        mask[:, -2:] = 1
    elif what == "too big":
        height = 6
        mask = _outline().astype(np.uint8)
    elif what == "speck":
        mask = _outline(5, 1).astype(np.uint8)
    elif what == "small":  # at 11 pixels a round letter is as square as this
        mask, height = _outline(11, 1).astype(np.uint8), 11
    elif what == "D":
        cv2.ellipse(mask, (4, 10), (14, 9), 0, -90, 90, 1, 3)
        mask[:, 0:3] = 1
    assert not is_check_box(mask.astype(bool), height)


def _char(text: str, x0: int, x1: int) -> RecognizedChar:
    return RecognizedChar(text, (x0, 10, x1, 30), 0.8, [(text, 0.8)])


def _line_with_box(gap: int):
    """A line holding a 20 px box at x 10-30 and a letter ``gap`` pixels after it."""
    labels = np.zeros((40, 120), np.uint16)
    labels[10:30, 10:30][_outline()] = 1
    labels[12:30, 30 + gap:42 + gap] = 2
    boxes = np.array([[10, 10, 30, 30], [30 + gap, 12, 42 + gap, 30]])
    components = Components(labels, boxes, np.array([(labels == 1).sum(), (labels == 2).sum()]))
    glyphs = [Glyph((10, 10, 30, 30), [0]), Glyph((30 + gap, 12, 42 + gap, 30), [1])]
    return components, LineLayout((10, 10, 42 + gap, 30), [glyphs], height=18.0)


def test_what_was_read_over_a_box_becomes_the_box_a_word_of_its_own():
    components, line = _line_with_box(gap=10)
    read = [[_char("C", 10, 20), _char("O", 20, 30), _char("Y", 40, 52)], [_char("z", 60, 70)]]
    out = with_check_boxes(components, line, read)
    assert [["".join(c.text for c in w)] for w in out] == [[EMPTY_BOX], ["Y"], ["z"]]
    assert out[0][0].box == (10, 10, 30, 30)


def test_a_square_letter_inside_its_word_is_left_to_the_recognizer():
    components, line = _line_with_box(gap=2)  # as close as the letters of a word
    read = [[_char("O", 10, 30), _char("Y", 32, 44)]]
    assert with_check_boxes(components, line, read) is read


def test_ocr_read_writes_check_boxes_unless_the_output_is_held_to_other_characters():
    from ocr.pipeline import read

    page = np.full((70, 320), 255, np.uint8)
    for x, label in ((20, "YES"), (150, "NO")):
        cv2.rectangle(page, (x, 34), (x + 16, 50), 0, 2)
        cv2.putText(page, label, (x + 40, 50), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 0, 2)
    words = read(page).pages[0].text.split()
    assert words.count(EMPTY_BOX) == 2 and words.index(EMPTY_BOX) == 0
    assert EMPTY_BOX not in read(page, charset="YESNO").pages[0].text
    assert EMPTY_BOX not in read(page, digits=True).pages[0].text
