"""Tests for ocr.segment on small drawn pages."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

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


def test_a_stray_mark_alone_is_no_line_but_a_dash_or_a_letter_is():
    boxes = [(10 + 13 * i, 20) for i in range(6)] + [(10 + 13 * i, 60) for i in range(6)]
    page = blob_page(boxes)
    page[120:127, 200:207] = True           # a 7x7 speck far below the text (16-row letters)
    assert len(sg.segment(page).lines) == 2
    page[160:176, 300:310] = True           # a lone letter, 10 x 16
    page[150:157, 60:75] = True             # a thick dash, 15 x 7
    assert len(sg.segment(page).lines) == 4


def test_an_em_dash_between_words_is_a_glyph_and_an_underline_is_not():
    # "brows—sometimes": 16-row letters, a 36 x 3 px dash at their middle, two px from each.
    boxes = [(10 + 13 * i, 20) for i in range(4)] + [(99 + 13 * i, 20) for i in range(4)]
    page = blob_page(boxes)
    page[27:30, 61:97] = True
    assert words_of(sg.segment(page)) == [[9]]  # four letters, the dash, four letters
    # The same stroke under the letters is an underline: no glyph.
    page[27:30, 61:97] = False
    page[38:41, 10:46] = True
    assert words_of(sg.segment(page)) == [[4, 4]]


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


def test_the_cells_of_a_ruled_table_are_read_row_by_row():
    # The same two columns inside a ruled table (its box from the layout stage) are cells: each
    # row of the table is one line, left cell then right.
    boxes = []
    for y in range(50, 170, 25):
        boxes += [(10 + 13 * i, y) for i in range(8)] + [(230 + 13 * i, y) for i in range(8)]
    page = blob_page(boxes, h=200, w=400)
    by_columns = sg.segment(page)
    assert len(by_columns.lines) == 10
    rows = sg.segment(page, tables=[(0, 40, 400, 190)])
    assert [l.box[1] for l in rows.lines] == list(range(50, 170, 25))
    assert all(l.box[0] == 10 and l.box[2] == 331 for l in rows.lines)
    # A table elsewhere on the page changes nothing here.
    assert len(sg.segment(page, tables=[(0, 190, 400, 200)]).lines) == 10


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


def test_a_line_run_across_the_gutter_leaves_the_columns_apart():
    """An overfull line of the left column running across a 28 px gutter (a long word set past
    the column's edge, as LaTeX does) does not join the two columns' lines; a heading across
    both columns at the top stays one line."""
    def page(overfull):
        boxes = [(10 + 13 * i, 10) for i in range(26)]             # heading across both columns
        for k, y in enumerate(range(50, 50 + 25 * 14, 25)):
            left = 16 if overfull and k == 6 else 12               # 16 letters reach x = 218
            boxes += [(10 + 13 * i, y) for i in range(left)]
            boxes += [(191 + 13 * i, y) for i in range(12)]
        return sg.segment(blob_page(boxes, h=420, w=400))

    for overfull in (False, True):
        lines = page(overfull).lines
        assert len(lines) == 29 and lines[0].box[:2] == (10, 10) and len(lines[0].glyphs) == 26
        assert all(l.box[0] < 100 for l in lines[1:15]) and all(l.box[0] > 150 for l in lines[15:])
    # the overfull line's letters in the gutter go by their centre: none reaches past it
    assert max(l.box[2] for l in page(True).lines[1:15]) < 191


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


def test_word_gap_threshold_from_the_lines_gaps():
    gaps = np.array([3, 4, 3, 15, 4, 3, 16, 3])
    letter_spacing, t = sg.gap_scale(gaps, 20)
    assert letter_spacing == 3.5 and 4 < t < 15
    assert sg.gap_scale(np.array([3, 4, 3, 4]), 20)[1] > 4


def test_empty_mask():
    assert sg.segment(np.zeros((20, 20), bool)).lines == []


def test_label_to_field_gap_does_not_hide_word_spaces():
    # "Name      Maria Lopez": letter gaps of 2-3 px, one space of 8, a field gap of 70.
    gaps = np.array([2, 3, 2, 70, 2, 3, 2, 2, 8, 3, 2, 2, 3], dtype=float)
    t = sg.gap_scale(gaps, 20)[1]
    assert 3 < t < 8
    # A label and comb boxes: only field gaps, which still split.
    assert sg.gap_scale(np.array([2, 3, 2, 75, 45, 45, 45, 45, 45, 45, 45], dtype=float), 20)[1] <= 16


def test_loose_letter_gaps_are_no_word_spaces():
    # A justified line of an old book ("Constantinople, was a revolting illustration", line
    # height 19): letter gaps of 0-7 px that run on past the letter spacing + 0.15 heights,
    # five of them wider than that, and four word gaps of 18-24 px.
    gaps = np.array([0, 2, 0, 1, 3, 4, 5, 4, 5, 1, 5, 3, 6, 6, 5, 2, 3, 4, 3, 2, 4, 0, 3, 24, 1, 0, 5, 3, 5,
                     22, 3, 24, 2, 2, 3, 0, 3, 3, 6, 6, 7, 3, 6, 0, 18, 5, 5, 5, 3, 3, 3, 6, 1, 3, 3, 5], float)
    intra, t = sg.gap_scale(gaps, 19)
    assert intra == 3 and 10 < t < 15  # it was 4.5: a 6 px letter gap parted "revol t i n g"
    # A justified line whose word gaps run on unbroken from the letters' (3-12 px, one
    # gap of 37 beyond them): the word gaps stay the candidates.
    gaps = np.array([3, 0, 11, 0, 2, 3, 8, 2, 3, 1, 3, 3, 2, 2, 2, 3, 11, 3, 0, 0, 0, 10, 4, 5, 3, 6, 3, 11, 2,
                     6, 3, 3, 0, 11, 12, 2, 2, 0, 11, 0, 0, 0, 1, 11, 2, 3, 37, 3, 3, 0, 3, 11, 0, 3, 8], float)
    assert 5 < sg.gap_scale(gaps, 22.75)[1] < 8


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


def test_cursive_lines_whose_ascenders_reach_the_line_above_stay_apart():
    # Cursive with a 24 px x-height: a long line of words (y 20-66 with their loops) and a
    # short line 32 px lower whose ascenders reach 26 px into it, more than half of the
    # long line's band. Its centre is a line pitch away (1.3 x-heights): no piece of a line.
    boxes = np.array([(10 + 100 * n, 20, 80 + 100 * n, 66) for n in range(8)]
                     + [(10 + 100 * n, 40, 80 + 100 * n, 110) for n in range(3)])
    lines = [list(range(8)), [8, 9, 10]]
    assert sg._fold_short_lines(lines, boxes, 24.0) == [0, 1]
    # The same row 16 px lower than the line (a third of a pitch): the line's own letters
    # with deep descenders, chained apart, still fold into it.
    boxes[8:, 1] -= 16
    boxes[8:, 3] -= 16
    assert sg._fold_short_lines(lines, boxes, 24.0) == [0, 0]


def _hand_layout(ink: np.ndarray, lines: list[list[tuple[int, int, int, int]]], height: float) -> sg.Layout:
    """A Layout whose lines hold the components inside the given boxes, one glyph each."""
    comps = sg.find_components(ink)
    layout = sg.Layout(comps)
    for boxes in lines:
        glyphs = []
        for x0, y0, x1, y1 in boxes:
            inside = np.nonzero((comps.boxes[:, 0] >= x0) & (comps.boxes[:, 2] <= x1)
                                & (comps.boxes[:, 1] >= y0) & (comps.boxes[:, 3] <= y1))[0]
            glyphs += [sg.Glyph(tuple(int(v) for v in comps.boxes[i]), [int(i)]) for i in inside]
        glyphs.sort(key=lambda g: g.box[0])
        box = (min(g.box[0] for g in glyphs), min(g.box[1] for g in glyphs),
               max(g.box[2] for g in glyphs), max(g.box[3] for g in glyphs))
        layout.lines.append(sg.LineLayout(box, [glyphs], 0, height))
    return layout


def test_a_line_image_with_a_ruled_baseline_and_an_accent_on_a_line_of_its_own_is_one_line():
    """Cursive on ruled paper: the rule's dots outnumber the letters, and a large accent
    was left on a line of its own. The core is the letters' rows, and the accent its mark."""
    ink = np.zeros((100, 400), bool)
    for k in range(6):
        ink[40:60, 20 + 40 * k:32 + 40 * k] = True     # letters (one component each)
    for k in range(9):
        ink[62:64, 10 + 40 * k:12 + 40 * k] = True     # the ruled line's dots, between them
    ink[24:36, 105:119] = True                         # an accent, 4 rows above the letters
    main = _hand_layout(ink, [[(0, 38, 400, 66)], [(100, 20, 125, 38)]], height=20.0)
    assert sg.core_rows(main, main.lines[0]) == (40.0, 60.0)
    assert sg.is_one_line(main)
    # A second line of letters under the first is a line, not a mark.
    ink2 = ink.copy()
    ink2[24:36] = False
    ink2[75:95, 20:140] = True
    two = _hand_layout(ink2, [[(0, 38, 400, 66)], [(0, 70, 400, 100)]], height=20.0)
    assert not sg.is_one_line(two)
    assert not sg.is_mark_of((20, 75, 140, 95), 40.0, 60.0)  # too wide for a mark
    assert not sg.is_mark_of((20, 75, 30, 85), 40.0, 60.0)   # too far below


def test_the_pen_caps_the_size_of_a_speck():
    """A tenth of the text's height is a speck in print; in cursive, where a component is a
    word with its ascenders, that share would take the accents: no pen mark is smaller
    than its stroke."""
    assert sg.speck_side(18.0, 3.0) == pytest.approx(1.8)          # print: the height decides
    assert sg.speck_side(40.0, 2.5) == pytest.approx(0.8 * 2.5)    # cursive: the pen does
    ink = np.zeros((80, 420), np.uint8)
    for x0 in (10, 150, 290):                                      # three cursive "words"
        pts = np.array([[x0 + 4 * i, 60 - int(34 * abs(np.sin(i / 3.0)))] for i in range(30)], np.int32)
        cv2.polylines(ink, [pts], False, 255, 3)
    cv2.line(ink, (60, 14), (66, 10), 255, 2)                     # an accent, about 7 x 5
    ink[4, 200] = ink[4, 201] = 255                               # a two-pixel speck
    layout = sg.segment(ink > 0)
    kept = {i for line in layout.lines for g in line.glyphs for i in g.parts}
    boxes = layout.components.boxes
    def inside(x0, y0, x1, y1):
        return [i for i in range(len(boxes)) if boxes[i, 0] >= x0 and boxes[i, 1] >= y0
                and boxes[i, 2] <= x1 and boxes[i, 3] <= y1]

    accent, speck = inside(55, 5, 72, 18), inside(198, 2, 204, 7)
    assert len(accent) == 1 and accent[0] in kept
    assert len(speck) == 1 and speck[0] not in kept


def test_a_stroke_down_the_margin_is_no_part_of_the_lines_it_crosses():
    # A document number written upwards, or a bracket: one component as tall as three lines.
    boxes = [(10 + 13 * i, y) for y in (20, 50, 80) for i in range(8)]
    page = blob_page(boxes, h=140)
    page[15:105, 125:133] = True          # a letter's gap after the lines' ends
    layout = sg.segment(page)
    assert sorted((len(l.glyphs), l.split_off) for l in layout.lines) == [(1, True)] + [(8, False)] * 3
    assert all(l.box[3] - l.box[1] == 16 for l in layout.lines if not l.split_off)
    page_lines = sg.without_split_off(layout).lines
    assert [len(l.glyphs) for l in page_lines] == [8, 8, 8]


def test_off_line_takes_what_lies_beyond_the_band_and_leaves_accents_and_commas():
    letters = [(10 + 13 * i, 40 + i // 3, 20 + 13 * i, 56 + i // 3) for i in range(9)]  # a slight drift
    accent = (23, 33, 29, 38)       # over the second letter, clear of it
    comma = (62, 54, 65, 61)        # below the baseline
    below = [(130 + 13 * i, 75, 140 + 13 * i, 91) for i in range(3)]  # a word of the next line
    lb = np.array(letters + [accent, comma] + below)
    off = sg.off_line(lb, char_height=16.0, line_height=16.0)
    assert off.tolist() == [False] * 11 + [True] * 3


def test_a_line_image_reads_a_tall_letter_that_a_page_would_split_off():
    # One line with a letter reaching far above and below it (a long cursive f) ...
    boxes = [(10 + 13 * i, 30) for i in range(5)] + [(90 + 13 * i, 30) for i in range(7)]
    page = blob_page(boxes, h=80, w=200)
    page[12:62, 76:82] = True
    alone = sg.segment(page)
    assert [len(l.glyphs) for l in alone.lines] == [13]    # one line: nothing is split off it
    # ... and the descenders of the line above, which the crop cut through, on its top edge.
    for x in (20, 45, 120):
        page[0:8, x:x + 4] = True
    layout = sg.segment(page)
    assert sorted((len(l.glyphs), l.split_off) for l in layout.lines) == [(1, True), (3, False), (12, False)]
    assert sorted(len(l.glyphs) for l in sg.without_split_off(layout).lines) == [3, 12]
    assert sg.is_one_line(layout)
    assert len(sg.as_one_line(layout).lines[0].glyphs) == 13


def book_lines(ink: np.ndarray, tops: list[int], x0: int = 10, n: int = 24) -> None:
    """Lines of book print on ``ink``: x-height letters with an ascender and an i (a dot above
    its stem) now and then, 20 px x-height, 26 px apart."""
    for top in tops:
        x = x0
        for k in range(n):
            if k % 4 == 1:
                ink[top - 10:top + 20, x:x + 6] = True          # an ascender
            elif k % 4 == 3:
                ink[top:top + 20, x:x + 6] = True               # the stem of an i ...
                ink[top - 9:top - 4, x:x + 6] = True            # ... and its dot
            else:
                ink[top:top + 20, x:x + 14] = True
            x += 26


def test_quotation_marks_beside_a_line_end_are_of_that_line():
    # An old book's closing quotes after a line's last word: marks over half the x-height tall,
    # at its top, beyond the line's ink. They chained apart from the letters; alone, they read "9 9".
    ink = np.zeros((200, 800), bool)
    book_lines(ink, [40, 90, 140])
    for x in (622, 632):
        ink[32:46, x:x + 5] = True                              # ” after the first line's last word (ends at 614)
    for x in (622, 634, 644):
        ink[132:146, x:x + 5] = True                            # ’” after the last line's: three parts
    ink[82:96, 0:5] = True                                      # “ before the middle line's first
    layout = sg.without_split_off(sg.segment(ink))
    assert len(layout.lines) == 3, [l.box for l in layout.lines]
    assert [l.box[2] for l in layout.lines] == [637, 614, 649]
    assert layout.lines[1].box[0] == 0


def test_a_drop_cap_beside_three_lines_leaves_them_lines():
    # A drop cap three lines tall before the first three lines of a chapter. Chained into the
    # middle line, it spanned the two others, whose i dots and then whole lines joined it and
    # were taken off again as pieces off its band: two lines of the page were never read.
    ink = np.zeros((260, 900), bool)
    ink[40:150, 10:80] = True                                   # the drop cap, level with the middle line
    book_lines(ink, [40, 90, 140], x0=100, n=28)
    book_lines(ink, [200], x0=10, n=32)
    layout = sg.without_split_off(sg.segment(ink))
    text = [l for l in layout.lines if l.box[2] - l.box[0] > 300]
    assert len(text) == 4, [l.box for l in layout.lines]
    assert [sum(len(w) for w in l.words) for l in text] == [28, 28, 28, 32]


def test_a_cursive_capitals_flourish_is_no_drop_cap():
    # A will's line opens with a "G" whose loops span the cut-out line (75 of its 80 rows); the
    # rest of the line, ascenders and descenders, spans 70 of them. A drop cap spans the rows
    # of two lines or more.
    cursive = np.array([[0, 2, 40, 77], [45, 5, 200, 75], [210, 20, 300, 60]])
    assert sg.without_drop_cap(cursive, [0, 1, 2], 20.0) == [0, 1, 2]
    drop_cap = np.array([[0, 0, 70, 137], [80, 45, 300, 85], [310, 47, 500, 85]])
    assert sg.without_drop_cap(drop_cap, [0, 1, 2], 20.0) == [1, 2]


def test_a_line_whose_end_rises_across_a_word_gap_is_one_line():
    """A handwritten line's last word 9 px (0.56 character heights) higher, one word gap on:
    the chaining leaves it a line of its own, sorted before the line's start; it is joined."""
    start = [(10 + 14 * i, 60) for i in range(8)]
    end = [(140 + 14 * i, 51) for i in range(6)]     # a 20 px gap, 9 px higher
    below = [(10 + 14 * i, 110) for i in range(14)]  # the next line
    layout = sg.segment(blob_page(start + end + below, h=160, w=260))
    assert [len(line.glyphs) for line in layout.lines] == [14, 14]
    assert layout.lines[0].box[1] == 51
    # Far to the right (a field's value, a margin note), or higher, it stays a line.
    far = [(140 + 40 + 14 * i, 51) for i in range(6)]
    assert len(sg.segment(blob_page(start + far + below, h=160, w=300)).lines) == 3
    # 12 px (0.75 heights) higher, as tall: a word written higher, read after the line's start
    # as a line of its own (a form's value beside its label reads badly in one line with it).
    higher = [(140 + 14 * i, 48) for i in range(6)]
    assert [len(line.glyphs) for line in sg.segment(blob_page(start + higher + below, h=160, w=260)).lines] \
        == [8, 6, 14]
    # As high but taller (a field's value beside its label), or higher still, it is read first.
    field = blob_page(start + below, h=160, w=260)
    for i in range(6):
        field[42:66, 140 + 14 * i:150 + 14 * i] = True
    assert [len(line.glyphs) for line in sg.segment(field).lines] == [6, 8, 14]
    high = [(140 + 14 * i, 42) for i in range(6)]   # 18 px higher
    assert [len(line.glyphs) for line in sg.segment(blob_page(start + high + below, h=160, w=260)).lines] \
        == [6, 8, 14]


def test_continued_lines_joins_each_line_to_its_nearest_neighbour_within_its_block():
    h = 16.0
    boxes = np.array([(10, 60, 120, 76), (130, 52, 200, 68), (205, 50, 260, 66), (130, 80, 200, 96),
                      (265, 30, 300, 56)])
    lines = [[0], [1], [2], [3], [4]]
    # 1 continues 0, 2 continues 1; 3 is below 1, and 0's nearest right neighbour is 1; 4
    # starts 15 px higher than 2 ends and is taller, though their bands share 6 rows.
    assert sg._continued_lines(lines, boxes, h, [0, 0, 0, 0, 0]) == ([0, 0, 0, 3, 4], [0, 1, 2, 3, 4])
    # Across blocks (columns), nothing is joined.
    assert sg._continued_lines(lines, boxes, h, [0, 1, 2, 3, 4]) == ([0, 1, 2, 3, 4], [0, 1, 2, 3, 4])


def test_a_line_far_off_in_height_is_read_after_the_line_whose_end_is_nearest_in_height():
    h = 16.0
    # 2 starts 13 px (0.81 heights) above where 0 ends and 11 px below where 1 ends, both a word
    # gap to its left, all letters of one size: it is 1's end, written lower, read after 1.
    boxes = np.array([(10, 60, 120, 76), (10, 36, 118, 52), (130, 47, 200, 63)])
    assert sg._continued_lines([[0], [1], [2]], boxes, h, [0, 0, 0]) == ([0, 1, 2], [0, 1, 1])
    # Without 1, it is 0's end, written higher.
    assert sg._continued_lines([[0], [2]], boxes, h, [0, 0]) == ([0, 1], [0, 0])
    # Read after the line it continues, each a line of its own.
    lines, blocks = sg._read_after([[0], [1], [2], [3]], [0, 0, 0, 0], [0, 1, 2, 3], [0, 2, 2, 0])
    assert lines == [[0], [3], [2], [1]] and blocks == [0, 0, 0, 0]


def written_word(img, x, y, letters=4, body=20):
    """A cursive-like word: ``letters`` down strokes ``body`` rows tall, each joined to the next
    by an up stroke from its foot to the next one's head."""
    for k in range(letters):
        img[y:y + body, x + 9 * k:x + 9 * k + 3] = True
        if k + 1 < letters:
            for t in range(body):
                img[y + body - 1 - t, x + 9 * k + 3 + 6 * t // body:x + 9 * k + 5 + 6 * t // body] = True


def test_a_descender_touching_the_line_below_is_parted_from_it():
    """Two lines 44 rows apart; a descender of the first line's third word runs down into a
    word of the second: one component over both lines, which the chaining put in one line."""
    page = np.zeros((200, 260), bool)
    for y in (40, 84):
        for x in (10, 55, 100, 145, 190):
            written_word(page, x, y)
    page[60:85, 118:121] = True   # the descender, down to the word below
    comps = sg.find_components(page)
    assert (comps.boxes[:, 3] - comps.boxes[:, 1]).max() == 64
    lines = sg.segment(page).lines
    assert [len(line.glyphs) for line in lines] == [5, 5]
    assert lines[0].box[3] < 84 and lines[1].box[1] > 60
    # Without parting, the joined words are a line of their own, over both rows.
    joined = sg.segment(page, part_touching=False).lines
    assert len(joined) == 3 and max(line.box[3] - line.box[1] for line in joined) == 64


def test_a_long_descender_between_the_words_below_is_no_touching_line():
    """A descender reaching down between two words of the next line, one stroke across their
    letters' rows: the word keeps it (a "y" cut there lost its tail to the next line)."""
    page = np.zeros((200, 260), bool)
    for y in (40, 84):
        for x in (10, 55, 100, 145, 190):
            written_word(page, x, y)
    page[60:102, 136:139] = True   # from the third word down between the words below
    comps = sg.find_components(page)
    keep = np.arange(len(comps))
    h = sg.typical_height(comps.boxes, comps.areas)
    assert (comps.boxes[:, 3] - comps.boxes[:, 1]).max() > sg.TOUCH_TALL * h
    assert sg.touching_lines_parted(page, comps, keep, h) is None


def test_a_signature_across_a_forms_lines_is_left_whole(monkeypatch):
    """A component over TOUCH_LINES character heights tall is no two lines touching but a
    signature written across a form's printed lines: parted, its pieces joined those lines."""
    page = np.zeros((160, 300), bool)
    for y in (20, 40, 60, 80):
        for x in (10, 60, 110, 160, 210):
            written_word(page, x, y, body=10)
    written_word(page, 250, 20, body=10)
    written_word(page, 250, 80, body=10)
    page[30:81, 278:281] = True   # one stroke from a word on the first line to one on the fourth
    comps = sg.find_components(page)
    keep = np.arange(len(comps))
    h = sg.typical_height(comps.boxes, comps.areas)
    assert (comps.boxes[:, 3] - comps.boxes[:, 1]).max() > sg.TOUCH_LINES * h
    assert sg.touching_lines_parted(page, comps, keep, h) is None
    monkeypatch.setattr(sg, "TOUCH_LINES", 10.0)
    assert sg.touching_lines_parted(page, comps, keep, h) is not None
