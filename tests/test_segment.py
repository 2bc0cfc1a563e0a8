"""Tests for ocr.segment on small drawn pages."""

from __future__ import annotations

import cv2
import numpy as np

from ocr import segment as sg


def blob_page(rows, h=200, w=400):
    """Ink mask with one 10x16 box per (x, y) in ``rows``."""
    img = np.zeros((h, w), bool)
    for x, y in rows:
        img[y:y + 16, x:x + 10] = True
    return img


def words_of(layout):
    return [[len(w) for w in line.words] for line in layout.lines]


def test_lines_and_words_from_gaps():
    boxes = []
    for y in (20, 60, 100):
        x = 10
        for word_len in (3, 2, 4):
            for _ in range(word_len):
                boxes.append((x, y))
                x += 13  # 3 px letter spacing
            x += 12      # wider word space
    layout = sg.segment(blob_page(boxes))
    assert words_of(layout) == [[3, 2, 4]] * 3
    assert [l.box[1] for l in layout.lines] == [20, 60, 100]


def test_skewed_handwritten_line_stays_whole():
    # A line drifting 12 px over its length, overlapping its neighbour's band.
    boxes = [(10 + 14 * i, 40 + i) for i in range(14)] + [(10 + 14 * i, 75 + i) for i in range(14)]
    layout = sg.segment(blob_page(boxes, h=140, w=260))
    assert len(layout.lines) == 2
    assert all(len(l.glyphs) == 14 for l in layout.lines)


def test_two_columns_read_column_by_column():
    boxes = [(10 + 13 * i, 10) for i in range(20)]                 # full-width heading
    for y in range(50, 170, 25):
        boxes += [(10 + 13 * i, y) for i in range(8)]              # left column
        boxes += [(230 + 13 * i, y) for i in range(8)]             # right column
    layout = sg.segment(blob_page(boxes, h=200, w=400))
    starts = [(l.box[0], l.box[1]) for l in layout.lines]
    assert starts[0] == (10, 10)
    left = [s for s in starts[1:] if s[0] < 200]
    assert starts[1:len(left) + 1] == left  # all left-column lines come first
    assert len(left) == 5 and len(starts) == 11


def test_close_set_columns_split_only_down_a_tall_block():
    """A 28 px gutter (1.75 character heights) is a column gutter down 12 lines, not down 3."""
    def page(lines):
        boxes = []
        for y in range(10, 10 + 25 * lines, 25):
            boxes += [(10 + 13 * i, y) for i in range(12)]   # left column, ends at x = 163
            boxes += [(191 + 13 * i, y) for i in range(12)]  # right column
        return sg.segment(blob_page(boxes, h=30 + 25 * lines, w=400))

    tall = page(12)
    assert len(tall.lines) == 24 and all(l.box[2] < 180 for l in tall.lines[:12])
    assert [len(l.glyphs) for l in page(3).lines] == [24, 24, 24]


def test_dot_of_i_merges_with_its_stem():
    img = np.zeros((60, 80), bool)
    img[20:40, 10:14] = True   # stem
    img[12:16, 10:14] = True   # dot
    img[26:40, 20:30] = True   # next letter
    layout = sg.segment(img)
    glyphs = layout.lines[0].glyphs
    assert len(glyphs) == 2 and glyphs[0].box == (10, 12, 14, 40)


def test_line_of_dots_joins_the_text_below():
    img = np.zeros((80, 120), bool)
    for x in range(10, 100, 15):
        img[30:45, x:x + 8] = True    # short letters
    img[22:25, 10:14] = True          # an i dot separated by a blank band
    layout = sg.segment(img)
    assert len(layout.lines) == 1


def test_candidate_cut_at_the_touching_point():
    img = np.zeros((30, 50), np.uint8)
    cv2.circle(img, (12, 15), 10, 1, 3)
    cv2.circle(img, (36, 15), 10, 1, 3)
    img[14:16, 20:28] = 1  # bridge
    cuts = sg.candidate_cuts(img.astype(bool), min_width=6)
    assert any(22 <= c <= 26 for c in cuts)


def test_word_gap_threshold():
    gaps = np.array([3, 4, 3, 15, 4, 3, 16, 3])
    t = sg.word_gap_threshold(gaps, 20)
    assert 4 < t < 15
    assert sg.word_gap_threshold(np.array([3, 4, 3, 4]), 20) > 4


def test_empty_mask():
    assert sg.segment(np.zeros((20, 20), bool)).lines == []


def test_label_to_field_gap_does_not_hide_word_spaces():
    # "Name      Maria Lopez": letter gaps of 2-3 px, one space of 8, a field gap of 70.
    gaps = np.array([2, 3, 2, 70, 2, 3, 2, 2, 8, 3, 2, 2, 3], dtype=float)
    t = sg.word_gap_threshold(gaps, 20)
    assert 3 < t < 8
    # A label and comb boxes: only field gaps, which still split.
    assert sg.word_gap_threshold(np.array([2, 3, 2, 75, 45, 45, 45, 45, 45, 45, 45], dtype=float), 20) <= 16


def test_descenders_and_commas_stay_on_their_line():
    # Book print at 300 dpi: x-height letters, ascenders (l), letters with deep
    # descenders (y) right after them, whose centres sit much lower, and commas
    # and descender bowls that came apart from their letters. Two lines, not four.
    ink = np.zeros((160, 900), bool)
    for k in range(2):
        top = 20 + 70 * k
        x = 10
        for n in range(30):
            kind = n % 5
            if kind == 1:
                ink[top - 12:top + 20, x:x + 6] = True            # ascender: l
            elif kind == 2:
                ink[top:top + 34, x:x + 14] = True                # y right after it
            elif kind == 3:
                ink[top:top + 20, x:x + 14] = True                # x-height part of g
                ink[top + 23:top + 32, x:x + 14] = True           # its bowl, come apart
                ink[top + 16:top + 27, x + 20:x + 24] = True      # a comma
                x += 10
            else:
                ink[top:top + 20, x:x + 14] = True                # x-height letters
            x += 26
    lines = sg.segment(ink).lines
    assert len(lines) == 2, [l.box for l in lines]
