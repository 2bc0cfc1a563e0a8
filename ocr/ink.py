"""Ink geometry shared by the image stages: component heights, ruled lines and check boxes.

Pure functions on ink masks (bool arrays, True is ink), numpy and OpenCV only.
They sit below :mod:`ocr.preprocess`, :mod:`ocr.orientation` and
:mod:`ocr.layout` so that each can measure text and rules the same way.
"""

from __future__ import annotations

import cv2
import numpy as np


def as_u8(mask: np.ndarray) -> np.ndarray:
    """An ink mask as the 0/1 uint8 image OpenCV takes: a bool mask is viewed, not copied."""
    mask = np.asarray(mask)
    return mask.view(np.uint8) if mask.dtype == bool else mask.astype(np.uint8)


#: A component this close to the top or bottom row of an image may be a piece of a line the
#: crop cut through (the text height and :func:`ocr.segment.is_one_line` judge such pieces).
EDGE_ROWS = 2


def text_height(binary: np.ndarray) -> float:
    """Typical height of the connected components of an ink mask (0 if none).

    The median ignores the few huge components (rules, boxes) and, taken again
    over components at least half as tall, the dots and specks. Components at
    the top or bottom edge that are shorter than the others' typical height
    are pieces of the lines a crop cut through (descenders, feet of letters):
    a field cut from a form has dozens of them and a few words, and counted,
    they made its text 5 pixels high where its letters were 16, so that bold
    letters ("m", "tt") passed for boxes and were taken off with the rules.
    """
    n, _, stats, _ = cv2.connectedComponentsWithStats(as_u8(binary), connectivity=8)
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    tops = stats[1:, cv2.CC_STAT_TOP]
    at_edge = (tops <= EDGE_ROWS) | (tops + heights >= binary.shape[0] - EDGE_ROWS)
    if at_edge.any() and np.count_nonzero(heights[~at_edge] >= 3) >= 3:
        inner = typical_component_height(heights[~at_edge])
        heights = heights[~at_edge | (heights >= inner)]
    return typical_component_height(heights)


def typical_component_height(heights: np.ndarray) -> float:
    """:func:`text_height` from the heights of the components (the background's row left out)."""
    h = np.asarray(heights).astype(np.float64)
    h = h[h >= 3]
    if len(h) == 0:
        return 0.0
    first = float(np.median(h))
    return float(np.median(h[h >= 0.5 * first]))


def stroke_width(binary: np.ndarray) -> float:
    """Typical stroke width in pixels of an ink mask: twice the ink area over its boundary.

    A stroke w pixels wide and L long has area w * L and about 2 * L boundary pixels.
    """
    ink = as_u8(binary)
    area = int(np.count_nonzero(ink))
    if area == 0:
        return 0.0
    boundary = area - int(np.count_nonzero(cv2.erode(ink, np.ones((3, 3), np.uint8))))
    return 2.0 * area / max(boundary, 1)


def straight_runs(mask: np.ndarray, length: int, vertical: bool, max_slope: float = 0.05,
                  steps: int = 4) -> np.ndarray:
    """Pixels of ``mask`` on straight runs at least ``length`` long, horizontal (or vertical),
    tilted by up to ``max_slope``: each of ``2 * steps + 1`` tilts is sheared level, opened
    with a long thin rectangle and sheared back.

    Why: a rule two pixels thick scanned one degree askew steps down a row every 60 pixels
    or so, so no row of it holds a long run and a level opening finds nothing.
    """
    m = mask.T if vertical else mask
    rows, cols = m.shape
    u8 = as_u8(m)
    found = np.zeros((rows, cols), np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1))
    pad = int(np.ceil(max_slope * cols)) + 1
    for slope in np.linspace(-max_slope, max_slope, 2 * steps + 1):
        # Row y - slope * x (+ pad) of the level image holds the mask's pixel (x, y).
        shear = np.float32([[1, 0, 0], [-slope, 1, pad]])
        level = cv2.warpAffine(u8, shear, (cols, rows + 2 * pad), flags=cv2.INTER_NEAREST)
        opened = cv2.morphologyEx(level, cv2.MORPH_OPEN, kernel)
        found |= cv2.warpAffine(opened, shear, (cols, rows), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP)
    runs = (found > 0) & m
    return runs.T if vertical else runs


#: Shortest run taken for a rule, in pixels at scan resolution.
MIN_RULE_LENGTH = 25


def find_rules(binary: np.ndarray, char_height: float | None = None,
               max_thickness: int = 12, min_length: int = MIN_RULE_LENGTH) -> np.ndarray:
    """Mask of ruled lines and box borders.

    Rules are straight runs much longer than a character (three character
    heights, and at least ``min_length``: the typical height can be that of
    small pieces, so a page enlarged for its small text scales this too), so
    strokes of 1, 7 or T never qualify. The sides of a box around
    a field are short, so vertical runs of about one character height count as
    rules only when they join a horizontal rule at both ends.
    """
    h_img, w_img = binary.shape
    ch = char_height if char_height is not None else text_height(binary)
    ch = max(ch, 8.0)
    long_len = int(max(3 * ch, min_length))
    u8 = as_u8(binary)
    rect = cv2.getStructuringElement
    horiz = cv2.morphologyEx(u8, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (long_len, 1)))
    vert = cv2.morphologyEx(u8, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (1, long_len)))
    rules = horiz | vert
    if horiz.any():
        short = cv2.morphologyEx(u8, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (1, max(5, int(0.8 * ch)))))
        near_h = cv2.dilate(horiz, rect(cv2.MORPH_RECT, (5, 5)))
        n, labels, stats, _ = cv2.connectedComponentsWithStats(short, connectivity=8)
        for i in range(1, n):
            x, y, w, hh = stats[i, :4]
            if w > max_thickness:
                continue
            top = near_h[y:y + 2, x:x + w].any()
            bottom = near_h[y + hh - 2:y + hh, x:x + w].any()
            if top and bottom:
                box = rules[y:y + hh, x:x + w]
                box[labels[y:y + hh, x:x + w] == i] = 1
        del short, near_h, labels
    del u8, horiz, vert
    rules = rules.astype(bool) | find_boxes(binary, ch)
    if rules.any():
        # Thick runs are solid shapes (filled boxes, bold bars), not rules.
        n, labels, stats, _ = cv2.connectedComponentsWithStats(as_u8(rules), connectivity=8)
        w, hh, area = stats[:, 2], stats[:, 3], stats[:, cv2.CC_STAT_AREA]
        thin = area <= max_thickness * np.maximum(w, hh) * 1.5
        thin[0] = False
        rules = thin[labels]
    return rules


#: A frame-like component shorter than this many character heights with a bar across its
#: middle is a letter (:func:`find_boxes`).
MAX_LETTER_FRAME = 2.5

#: A check box's height against the text's character height: a form's boxes are as tall as its
#: labels' capitals or taller (those over 1.3 are taken off the page with the frames,
#: :func:`find_boxes`: kept, on FUNSD dev forms, they were as often a table's empty cells).
CHECK_BOX_HEIGHT = (0.6, 2.5)
#: Width over height of a check box.
CHECK_BOX_ASPECT = (0.75, 1.45)
#: Fewest pixels a check box is tall and wide: below it a round letter is a square of a few
#: pixels too (an 11-pixel "o" of a rendered page passed for a box; FUNSD's boxes, on pages
#: binarized at twice their resolution, are 14-16).
CHECK_BOX_MIN_SIDE = 13
#: How far a side's first ink may stray from where the side runs, as a share of the box's
#: smaller dimension (at least a pixel): a ruled side is straight, a bold faxed O or D bulges.
SIDE_STRAIGHT = 0.05
#: Share of a side's length, at each end, left out of its straightness: the corners, which a
#: fax rounds.
CORNER_SHARE = 0.1
#: Share of the rest of a side whose first ink must lie that close to it: a whole, straight side.
SIDE_COVER = 0.9
#: The inside of a check box: the box inset by this share of each dimension on every side.
CHECK_BOX_INSET = 0.25
#: Share of the inside inked above which the square holds something (a mark, a letter's stem).
CHECK_BOX_MARK = 0.06


def check_box_size(height: int, width: int, char_height: float) -> bool:
    """Whether a shape ``height`` x ``width`` pixels has a check box's size and proportions among
    text ``char_height`` tall (0: any size); the cheap half of :func:`is_check_box`."""
    if height < CHECK_BOX_MIN_SIDE or width < CHECK_BOX_MIN_SIDE:
        return False
    if char_height > 0 and not CHECK_BOX_HEIGHT[0] * char_height <= height <= CHECK_BOX_HEIGHT[1] * char_height:
        return False
    return CHECK_BOX_ASPECT[0] <= width / height <= CHECK_BOX_ASPECT[1]


def is_check_box(mask: np.ndarray, char_height: float) -> bool:
    """Whether ``mask`` (one shape's ink, cut to its box) is an empty check box among text
    ``char_height`` tall (0: any size): about square, four straight sides (the first ink along
    each within a pixel or two of where the side runs, over nearly its whole length, where a
    bold faxed O or D bulges) and nothing inside.

    A ticked box is not told from a letter by shape: a faxed typewriter's "m" has serifs and
    arches along all four sides and ink inside, as a crossed box has.
    """
    h, w = mask.shape
    if not check_box_size(h, w, char_height):
        return False
    dy, dx = max(1, int(round(CHECK_BOX_INSET * h))), max(1, int(round(CHECK_BOX_INSET * w)))
    inside = mask[dy:h - dy, dx:w - dx]
    if inside.size == 0 or float(inside.mean()) > CHECK_BOX_MARK:  # most letters end here
        return False
    near = max(1, int(round(SIDE_STRAIGHT * min(h, w))))
    for side in (mask, mask[::-1], mask.T, mask.T[::-1]):  # top, bottom, left, right
        # How far in the first ink lies along the side, against where most of the side runs
        # (a speck stuck to the outline moves the box's edge, not the side).
        depth = np.where(side.any(axis=0), side.argmax(axis=0), side.shape[0])
        corner = int(CORNER_SHARE * len(depth))
        depth = depth[corner:len(depth) - corner]
        runs = float(np.median(depth))
        if runs > near or float(np.mean(np.abs(depth - runs) <= near)) < SIDE_COVER:
            return False
    return True


def find_boxes(binary: np.ndarray, char_height: float, coverage: float = 0.8) -> np.ndarray:
    """Mask of box outlines and grids (comb fields) too short to be found as long rules.

    A component at least 1.3 character heights in both directions whose ink
    lies almost all on rows and columns that it spans end to end, closed on the
    left and right and at the top or bottom, is a frame, not a glyph (no letter
    is made only of full-width bars and full-height stems at its edges).
    """
    out = np.zeros(binary.shape, bool)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(as_u8(binary), connectivity=8)
    big = np.nonzero((stats[:, 2] >= 1.3 * char_height) & (stats[:, 3] >= 1.3 * char_height))[0]
    for i in big[big > 0]:
        x, y, w, h = stats[i, :4]
        comp = labels[y:y + h, x:x + w] == i
        rows = comp.sum(axis=1) >= coverage * w
        cols = comp.sum(axis=0) >= coverage * h
        if rows.sum() < 2 or cols.sum() < 2:
            continue
        # A frame is closed at the sides: full columns near its left and right
        # ends, and a full row near its top or bottom (a comb is open above).
        # H (a full bar in the middle) and L (no right side) are letters.
        qh, qw = max(1, h // 4), max(1, w // 4)
        if not (cols[:qw].any() and cols[-qw:].any() and (rows[:qh].any() or rows[-qh:].any())):
            continue
        # A bar joining the sides in the middle of something this small is an H whose serifs
        # a 1-bit scan ran together into full top and bottom rows, not a box (a grid's cells
        # hold a line of text each, so a grid is taller).
        full = np.nonzero(cols)[0]
        joined = comp[qh:h - qh, full[0]:full[-1] + 1].all(axis=1)
        if joined.any() and h < MAX_LETTER_FRAME * char_height:
            continue
        frame = comp & (rows[:, None] | cols[None, :])
        if frame.sum() >= 0.8 * comp.sum():
            out[y:y + h, x:x + w] |= comp
    return out
