"""Page segmentation: blocks in reading order, text lines, words and glyphs.

Pure functions on an ink mask (bool, True = ink), numpy and OpenCV only.
Boxes are ``(x0, y0, x1, y1)`` with exclusive ends, in the mask's coordinates.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Sequence

import cv2
import numpy as np

from ocr.errors import ImageError
from ocr.ink import EDGE_ROWS, as_u8, stroke_width

log = logging.getLogger(__name__)

Box = tuple[int, int, int, int]


@dataclass
class Components:
    """Connected components of an ink mask."""

    labels: np.ndarray  # label image, 0 = background (uint16 when the labels fit, else int32)
    boxes: np.ndarray   # (n, 4) x0, y0, x1, y1 of component i (label i + 1)
    areas: np.ndarray   # (n,)

    def __len__(self) -> int:
        return len(self.boxes)


@dataclass
class Glyph:
    """One character candidate: the components it is made of and its box."""

    box: Box
    parts: list[int]  # component indices (label = index + 1)


@dataclass
class LineLayout:
    """A text line: words of glyphs in reading order."""

    box: Box
    words: list[list[Glyph]]
    block: int = 0
    height: float = 0.0  # typical glyph height of the line (cap / ascender height)
    #: Taken off the band of the line it was chained into (:func:`off_line`): left out of a page
    #: (:func:`without_split_off`), part of that line when the image is one line (:func:`is_one_line`).
    split_off: bool = False

    @property
    def glyphs(self) -> list[Glyph]:
        return [g for w in self.words for g in w]


@dataclass
class Layout:
    """Segmentation of one page."""

    components: Components
    lines: list[LineLayout] = field(default_factory=list)
    char_height: float = 0.0


def find_components(binary: np.ndarray) -> Components:
    """Connected components (8-connectivity) with their boxes and areas."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(as_u8(binary), connectivity=8)
    if n <= np.iinfo(np.uint16).max:
        # Kept until the page's lines are read: half the memory of int32 labels.
        labels = labels.astype(np.uint16)
    st = stats[1:]
    boxes = np.stack([st[:, 0], st[:, 1], st[:, 0] + st[:, 2], st[:, 1] + st[:, 3]], axis=1) \
        if n > 1 else np.zeros((0, 4), dtype=np.int64)
    return Components(labels, boxes.astype(np.int64), st[:, cv2.CC_STAT_AREA].astype(np.int64))


def typical_height(boxes: np.ndarray, areas: np.ndarray | None = None) -> float:
    """Typical character height: the median height of the components, weighted by ink.

    Weighting by area keeps many small pieces (dashes of a dotted line,
    specks, i dots) from outvoting the few characters that hold most ink.
    """
    if len(boxes) == 0:
        return 0.0
    h = (boxes[:, 3] - boxes[:, 1]).astype(np.float64)
    w = np.ones_like(h) if areas is None else np.asarray(areas, dtype=np.float64)
    ok = h >= 3
    if ok.any():
        h, w = h[ok], w[ok]
    order = np.argsort(h)
    cum = np.cumsum(w[order])
    return float(h[order][np.searchsorted(cum, cum[-1] / 2.0)])


def _gaps(intervals: np.ndarray, min_gap: float) -> list[tuple[int, int]]:
    """Empty runs (start, end) of at least ``min_gap`` between 1-D intervals."""
    order = np.argsort(intervals[:, 0], kind="stable")
    starts, ends = intervals[order, 0], intervals[order, 1]
    reach = np.maximum.accumulate(ends)
    gap = starts[1:] - reach[:-1]
    idx = np.nonzero(gap >= min_gap)[0]
    return [(int(reach[i]), int(starts[i + 1])) for i in idx]


#: A gutter narrower than ``column_gap`` but at least this many character heights
#: (newsprint and low-resolution pages set columns close) is a column gutter only
#: when both sides are :data:`NARROW_GUTTER_HEIGHT` character heights tall: a
#: word space does not run down that many lines.
NARROW_GUTTER = 1.5
NARROW_GUTTER_HEIGHT = 12.0
#: A gutter that an overfull line runs across (a long word or a formula set past the column's
#: edge into the next one) is still a gutter when at most this many components lie in it at
#: any point, all within :data:`CROSSING_BAND` character heights of each other (the line and
#: a neighbour reaching into the gutter), and both columns go on at least
#: :data:`CROSSING_MARGIN` character heights above and below them: a heading or footer across
#: both columns is at the block's top or bottom, and is cut off first. Without it the two
#: columns' lines were read as one, interleaved (docbank dev page 275, 41.7% CER).
GUTTER_CROSSINGS = 2
CROSSING_BAND = 5.0
CROSSING_MARGIN = 3.0
#: ... and when each side holds at least this share of the block's components: two text
#: columns. On forms, a gutter crossed beside a narrow strip (a margin of labels, a column of
#: boxes) split 6 of the 40 FUNSD dev forms for the worse (bag-of-words F1 59.67 -> 59.53%).
CROSSING_BALANCE = 0.25


def reading_order_blocks(boxes: np.ndarray, char_height: float, column_gap: float = 2.5,
                         min_column_lines: float = 1.8, tables: Sequence[Box] = ()) -> list[np.ndarray]:
    """Recursive XY-cut into text blocks, returned in reading order.

    A vertical cut (a column gutter at least ``column_gap`` character heights
    wide, or :data:`NARROW_GUTTER` wide down a tall block) is tried first, and
    only accepted when both sides are at least ``min_column_lines`` lines
    tall, so a wide word space in a single line never splits it. Otherwise
    the block is cut horizontally at its widest blank band, one cut at a time, so a heading above two columns is separated
    before the columns are (cutting at every band would interleave them). No vertical cut
    runs through one of the ruled ``tables`` (:func:`ocr.layout.analyse_layout`): their
    cells are read row by row.
    """
    if len(boxes) == 0:
        return []
    h = max(char_height, 1.0)
    out: list[np.ndarray] = []
    stack = [np.arange(len(boxes))]
    # Depth-first with an explicit stack; children pushed in reverse reading order.
    while stack:
        idx = stack.pop()
        sub = boxes[idx]
        if len(idx) > 1:
            columns = (_columns(boxes, idx, column_gap * h, min_column_lines * h)
                       or _columns(boxes, idx, NARROW_GUTTER * h, NARROW_GUTTER_HEIGHT * h)
                       or _crossed_columns(boxes, idx, h))
            if columns and not _cuts_a_table(boxes, columns, tables, h):
                stack.extend(reversed(columns))
                continue
            rows = _gaps(sub[:, [1, 3]], 1)
            if rows:
                a, b = max(rows, key=lambda g: g[1] - g[0])
                parts = _split_by(idx, sub[:, 1] + sub[:, 3], [(a + b) / 2])
                if len(parts) > 1:
                    stack.extend(reversed(parts))
                    continue
        out.append(idx)
    return out


def _cuts_a_table(boxes: np.ndarray, columns: list[np.ndarray], tables: Sequence[Box], h: float) -> bool:
    """Whether the gutter between two of ``columns`` (left to right) runs through a table's
    inside, beside text of the table's: a cell's column is no column of text."""
    for left, right in zip(columns, columns[1:]):
        cut = (boxes[left][:, 2].max() + boxes[right][:, 0].min()) / 2
        sides = boxes[np.concatenate([left, right])]
        cy = (sides[:, 1] + sides[:, 3]) / 2
        if any(x0 + h < cut < x1 - h and np.any((cy > y0) & (cy < y1)) for x0, y0, x1, y1 in tables):
            return True
    return False


def _columns(boxes: np.ndarray, idx: np.ndarray, min_gap: float, min_height: float) -> list[np.ndarray] | None:
    """The block ``idx`` split at its vertical gutters of ``min_gap`` or more, when it makes two
    or more parts each at least ``min_height`` tall; else None."""
    sub = boxes[idx]
    cols = _gaps(sub[:, [0, 2]], min_gap)
    if not cols:
        return None
    parts = _split_by(idx, sub[:, 0] + sub[:, 2], [(a + b) / 2 for a, b in cols])
    tall = all((boxes[p][:, 3].max() - boxes[p][:, 1].min()) >= min_height for p in parts)
    return parts if tall and len(parts) > 1 else None


def _crossed_columns(boxes: np.ndarray, idx: np.ndarray, h: float) -> list[np.ndarray] | None:
    """The block ``idx`` split at a gutter that an overfull line runs across (see
    :data:`GUTTER_CROSSINGS`), or None. The crossing pieces go to the column their centre falls in."""
    sub = boxes[idx]
    x0, x1 = int(sub[:, 0].min()), int(sub[:, 2].max())
    if x1 - x0 < 3 or sub[:, 3].max() - sub[:, 1].min() < NARROW_GUTTER_HEIGHT * h:
        return None
    cover = np.zeros(x1 - x0 + 1, np.int64)
    np.add.at(cover, sub[:, 0] - x0, 1)
    np.add.at(cover, sub[:, 2] - x0, -1)
    cover = np.cumsum(cover)[:-1]
    low = np.concatenate([[False], cover <= GUTTER_CROSSINGS, [False]])
    edges = np.flatnonzero(np.diff(low.astype(np.int8)))
    for a, b in zip(edges[::2], edges[1::2]):
        if a == 0 or b >= len(cover) or b - a < NARROW_GUTTER * h:
            continue  # a margin of the block, or too narrow
        crossing = (sub[:, 0] < x0 + b) & (sub[:, 2] > x0 + a)
        if not crossing.any():
            continue  # an empty gutter: the strict rules saw it
        top, bottom = sub[crossing, 1].min(), sub[crossing, 3].max()
        if bottom - top > CROSSING_BAND * h:
            continue
        cut = x0 + (a + b) / 2
        parts = _split_by(idx, sub[:, 0] + sub[:, 2], [cut])
        if len(parts) == 2 and all(
                len(p) >= CROSSING_BALANCE * len(idx)
                and boxes[p][:, 1].min() <= top - CROSSING_MARGIN * h
                and boxes[p][:, 3].max() >= bottom + CROSSING_MARGIN * h
                and boxes[p][:, 3].max() - boxes[p][:, 1].min() >= NARROW_GUTTER_HEIGHT * h for p in parts):
            return parts
    return None


def _split_by(idx: np.ndarray, centers2: np.ndarray, cuts: list[float]) -> list[np.ndarray]:
    """Split ``idx`` by where each box centre (given doubled) falls among ``cuts``."""
    bins = np.searchsorted(np.asarray(cuts) * 2, centers2)
    return [idx[bins == k] for k in range(len(cuts) + 1) if np.any(bins == k)]


def group_lines(boxes: np.ndarray, idx: np.ndarray, char_height: float) -> list[list[int]]:
    """Group the components ``idx`` of one block into text lines, top to bottom.

    Tall components are chained left to right, each joining the line whose
    most recent component's centre is nearest (within half a character
    height), so lines that drift on skewed or handwritten pages stay whole.
    Small marks (dots, commas, accents) then join the line they overlap most.
    """
    h = max(char_height, 1.0)
    heights = boxes[idx, 3] - boxes[idx, 1]
    big = idx[heights >= 0.45 * h]
    small = idx[heights < 0.45 * h]
    if len(big) == 0:
        big, small = idx, idx[:0]
    # Vectorized over the lines (the same first-nearest choice as a loop), so a
    # page of many lines and components costs no quadratic Python loop.
    lines: list[list[int]] = []
    last_cy = np.zeros(len(big), dtype=np.float64)
    for i in big[np.argsort(boxes[big, 0], kind="stable")]:
        cy = (boxes[i, 1] + boxes[i, 3]) / 2.0
        n = len(lines)
        best = -1
        if n:
            d = np.abs(last_cy[:n] - cy)
            k = int(np.argmin(d))
            if d[k] < 0.5 * h:
                best = k
        if best < 0:
            lines.append([int(i)])
            last_cy[n] = cy
        else:
            lines[best].append(int(i))
            # Follow the line's drift, but slowly: one tall glyph must not drag it.
            last_cy[best] = 0.6 * last_cy[best] + 0.4 * cy
    cap = len(lines) + len(small)
    ly0, ly1 = np.zeros(cap, np.int64), np.zeros(cap, np.int64)
    lx0, lx1 = np.zeros(cap, np.int64), np.zeros(cap, np.int64)
    by0, by1 = np.zeros(cap, np.int64), np.zeros(cap, np.int64)
    for k, l in enumerate(lines):
        ly0[k], ly1[k] = boxes[l, 1].min(), boxes[l, 3].max()
        band = without_drop_cap(boxes, l, h)
        by0[k], by1[k] = boxes[band, 1].min(), boxes[band, 3].max()
        lx0[k], lx1[k] = boxes[l, 0].min(), boxes[l, 2].max()
    for i in small:
        y0, y1 = boxes[i, 1], boxes[i, 3]
        cx = (boxes[i, 0] + boxes[i, 2]) / 2.0
        n = len(lines)
        # Vertical distance to the line band, ties broken by horizontal distance.
        dv = np.maximum(np.maximum(ly0[:n] - y1, y0 - ly1[:n]), 0)
        dh = np.maximum(np.maximum(lx0[:n] - cx, cx - lx1[:n]), 0.0)
        # Ties go to the line whose band without its drop cap is nearer (:func:`without_drop_cap`).
        # Measured by that band alone, the wills' accents and dots left their cut-out lines,
        # which then read as two (validation writers, --model handline: 19.47 -> 20.26% CER).
        d = dv + 0.1 * dh + 0.001 * np.maximum(np.maximum(by0[:n] - y1, y0 - by1[:n]), 0)
        k = int(np.argmin(d)) if n else -1
        if k < 0 or d[k] > 1.5 * h:
            lines.append([int(i)])
            ly0[n], ly1[n] = by0[n], by1[n] = y0, y1
            lx0[n], lx1[n] = boxes[i, 0], boxes[i, 2]
        else:
            lines[k].append(int(i))
            lx0[k] = min(lx0[k], boxes[i, 0])
            lx1[k] = max(lx1[k], boxes[i, 2])
    return sorted(lines, key=lambda l: float(np.median((boxes[l, 1] + boxes[l, 3]) / 2.0)))


#: A drop cap spans at least this many times the rows of the line it opens (its own letters).
DROP_CAP_LINES = 2.0


def without_drop_cap(boxes: np.ndarray, line: list[int], char_height: float) -> list[int]:
    """A line's components but a drop cap, which its band and typical height are measured
    without: the first, taller than :data:`OFF_LINE_TALL` character heights and
    :data:`DROP_CAP_LINES` times the rows of the rest of the line.

    Why: chained into the line beside it, a drop cap spans the lines above and below too,
    and that line's measures then said the i dots of the line above, and then that whole
    line, belonged to it (oldbooks dev d015 lost two lines). A tall stroke inside a line (a
    map's coast, a bracket) is measured with it, and taken off it later (:func:`off_line`).
    """
    first = min(line, key=lambda i: boxes[i, 0])
    tall = boxes[first, 3] - boxes[first, 1]
    if len(line) < 2 or tall <= OFF_LINE_TALL * char_height:
        return list(line)
    rest = [i for i in line if i != first]
    # Twice as tall as the rest of its line spans: a cursive capital's flourish is not.
    return rest if tall >= DROP_CAP_LINES * (boxes[rest, 3].max() - boxes[rest, 1].min()) else list(line)


#: Below this character height (pixels; small print at 100 dpi) a quarter of it
#: is within the noise of the scan, and lines are not folded into each other.
FOLD_MIN_HEIGHT = 10.0
#: A row of at least :data:`FOLD_ROW_PARTS` components folded into a line of text (the
#: height of its components, weighted by their boxes, between half and twice the character
#: height) sits less than this many character heights above or below it (medians of the
#: components' centres): pieces of a line lie within its band, while the next line is at
#: least a line pitch away, even where its ascenders touch this one's descenders
#: (handwriting). A mark or two, and rows of figure hatching (no text line), fold as before.
FOLD_MAX_SHIFT = 1.0
FOLD_ROW_PARTS = 3
#: A row of at most :data:`BESIDE_PARTS` parts, none of full height, lying within a line's band
#: (at least :data:`BESIDE_SHARE` of its height) and at most :data:`BESIDE_REACH` character
#: heights beyond its first or last glyph, is a mark of that line: an old book's quotation
#: marks are over half the x-height tall, so they chain apart from the letters, and at a line's
#: end nothing overlaps them; on lines of their own they read "9 9" and "6 6" (oldbooks dev
#: c046), and a single and a double quote closing together (’”, three parts) "7 99" (e037).
BESIDE_REACH = 1.0
BESIDE_SHARE = 0.8
BESIDE_PARTS = 3


def _fold_short_lines(lines: list[list[int]], boxes: np.ndarray, h: float, blocks: list[int] | None = None,
                      tall: float = 0.8, touch: float = 0.25) -> list[int]:
    """Fold each line with no component of full height into the line it touches.

    On scans, descenders and commas come apart from their letters and a line
    can break across (a blank row through it); their pieces are tall enough
    to chain into a "line" of their own just below (or above) the real one,
    which then reads as digits. A real line has letters of about the
    character height (half the ink is in components at least that tall); a
    row of pieces has none, and lies within ``touch`` character heights of
    the line it came from, under its horizontal extent. Likewise a few
    letters with descenders chained apart from their line (their centres sit
    lower than its ascenders'): most of their band is the band of a longer
    line of the same block (across blocks, two fields side by side on a form
    can share a band). Either way a row of words is within
    :data:`FOLD_MAX_SHIFT` character heights of the text line it folds into: a
    line of cursive whose ascenders reach into the line above is a line of its own.
    Returns, for each
    line, the index of the line it goes to (itself when it stays).
    """
    if len(lines) < 2 or h < FOLD_MIN_HEIGHT:
        return list(range(len(lines)))
    ext = np.array([[boxes[l, 0].min(), boxes[l, 1].min(), boxes[l, 2].max(), boxes[l, 3].max()]
                    for l in lines], dtype=np.float64)
    short = np.array([(boxes[l, 3] - boxes[l, 1]).max() < tall * h for l in lines])
    size = np.array([len(l) for l in lines])
    band = ext[:, 3] - ext[:, 1]
    centre = np.array([np.median((boxes[l, 1] + boxes[l, 3]) / 2.0) for l in lines])
    # A drop cap's box would outweigh its line's letters.
    typical = np.array([typical_height(boxes[c], (boxes[c, 2] - boxes[c, 0]) * (boxes[c, 3] - boxes[c, 1]))
                        for c in (without_drop_cap(boxes, l, h) for l in lines)])
    text_line = (typical >= 0.5 * h) & (typical <= 2.0 * h)
    block = np.zeros(len(lines), np.int64) if blocks is None else np.asarray(blocks)
    same = block[:, None] == block[None, :]
    target = np.arange(len(lines))
    for k in np.argsort(size, kind="stable"):
        x0, y0, x1, y1 = ext[k]
        overlap = np.minimum(x1, ext[:, 2]) - np.maximum(x0, ext[:, 0])
        dv = np.maximum(np.maximum(ext[:, 1] - y1, y0 - ext[:, 3]), 0)
        ok = (overlap >= 0.5 * (x1 - x0)) & (dv <= touch * h) & short[k]
        # Letters with descenders (y, g) chained apart from the ascenders beside them:
        # a few glyphs within the band of a longer line, among its glyphs.
        shared = np.minimum(y1, ext[:, 3]) - np.maximum(y0, ext[:, 1])
        ok |= (shared >= 0.5 * np.minimum(band, y1 - y0)) & (overlap > 0) & (size > size[k]) & same[k]
        # Up to three marks beside a line's end, within its band: quotation marks after a
        # line's last word or before its first, high and apart from the letters.
        if size[k] <= BESIDE_PARTS and short[k]:
            beside = np.maximum(ext[:, 0] - x1, x0 - ext[:, 2])
            ok |= ((beside <= BESIDE_REACH * h) & (shared >= BESIDE_SHARE * (y1 - y0))
                   & (size > size[k]) & same[k])
        if size[k] >= FOLD_ROW_PARTS:
            ok &= (np.abs(centre - centre[k]) < FOLD_MAX_SHIFT * h) | ~text_line
        ok[k] = False
        if not ok.any():
            continue
        # The nearest, a full line before another row of pieces.
        cand = np.nonzero(ok)[0]
        j = int(cand[np.lexsort((dv[cand], short[cand]))[0]])
        while target[j] != j:
            j = int(target[j])
        if j != k:
            target[k] = j
    return _roots(target)


#: A line that starts at most this many character heights right of where another line of its
#: block ends ...
JOIN_REACH = 1.5
#: ... shares at least this share of the lower of their bands (the rows of their tall parts) ...
JOIN_SHARE = 0.3
#: ... and starts at most this many character heights above or below where the other ends (the
#: centres of their :data:`JOIN_ENDS` tall parts nearest the join: a little more than the
#: chaining's half height, measured where the line ends rather than where it was followed to)
#: continues it (:func:`_continued_lines`). Fields side by side on a form, a page number beside
#: a running head, start higher or lower than the text beside them ends.
JOIN_SHIFT = 0.6
JOIN_ENDS = 2
#: A line further off than that, up to this many character heights, is read right after the
#: line whose end it is nearest in height, a line of its own, when their bands overlap at all
#: and their tall parts are of one size (within :data:`JOIN_FAR_SIZE` times): a hand's word
#: written higher or lower than the last. Joined into one line, a form's value and the label
#: beside it (of another size, but not always by more) read their case from a line of mixed
#: sizes (FUNSD dev forms 20.64 -> 20.74% word-box CER); read one after the other, as before.
JOIN_FAR_SHIFT = 1.0
JOIN_FAR_SIZE = 1.25


def _continued_lines(lines: list[list[int]], boxes: np.ndarray, h: float, blocks: list[int]
                     ) -> tuple[list[int], list[int]]:
    """For each line, the line it continues (itself when none): a line that begins just right of
    where another of its block ends, level enough to share some of its band, each the other's
    nearest such neighbour. Returns the lines each joins (level with it: one line), and the
    lines each is read after (further off, :data:`JOIN_FAR_SHIFT`: kept a line of its own,
    whose letters may be of another size, a form's value beside its label).

    Why: the chaining (:func:`group_lines`) follows a drifting line only slowly; where a
    handwritten line's end rises or falls across a word gap, its words beyond chain as a line
    of their own, sorted by height before its start ("testament :" read before "Telle est mon"
    on the wills' pages rebuilt from their lines). Lines side by side in one block are read
    left to right either way; columns are blocks of their own."""
    n = len(lines)
    if n < 2:
        return list(range(n)), list(range(n))
    ext = np.empty((n, 4), np.float64)
    start, end = np.empty(n), np.empty(n)  # the height of each line's first and last tall parts
    size = np.empty(n)  # the median height of each line's tall parts
    for k, line in enumerate(lines):
        c = np.asarray(line)
        tall = c[boxes[c, 3] - boxes[c, 1] >= 0.45 * h]
        tall = tall if len(tall) else c
        size[k] = np.median(boxes[tall, 3] - boxes[tall, 1])
        ext[k] = boxes[c, 0].min(), boxes[tall, 1].min(), boxes[c, 2].max(), boxes[tall, 3].max()
        centres = (boxes[tall, 1] + boxes[tall, 3]) / 2.0
        start[k] = np.median(centres[np.argsort(boxes[tall, 0], kind="stable")[:JOIN_ENDS]])
        end[k] = np.median(centres[np.argsort(boxes[tall, 2], kind="stable")[-JOIN_ENDS:]])
    block = np.asarray(blocks)
    band = ext[:, 3] - ext[:, 1]

    def continued_by(a: int | np.ndarray, b: int | np.ndarray | slice, far: bool = True) -> np.ndarray:
        """Whether lines ``b`` may continue lines ``a``, one of them a single line (a row or a
        column of the pairs: memory linear in lines); ``far``: also those further off in height
        (:data:`JOIN_FAR_SHIFT`)."""
        gap = ext[b, 0] - ext[a, 2]
        shared = np.minimum(ext[a, 3], ext[b, 3]) - np.maximum(ext[a, 1], ext[b, 1])
        shift = np.abs(end[a] - start[b])
        ok = (shared >= JOIN_SHARE * np.minimum(band[a], band[b])) & (shift <= JOIN_SHIFT * h)
        if far:
            ratio = np.maximum(size[a], size[b]) / np.maximum(np.minimum(size[a], size[b]), 1.0)
            ok |= (shared > 0) & (shift <= JOIN_FAR_SHIFT * h) & (ratio <= JOIN_FAR_SIZE)
        return (block[b] == block[a]) & (gap >= -0.25 * h) & (gap <= JOIN_REACH * h) & ok

    def rivals(a: int, b: int, among: np.ndarray) -> bool:
        """Whether a line of ``among`` other than ``a`` may continue into ``b`` as well as ``a``
        does: level with it (:data:`JOIN_SHIFT`), or further off but nearer ``b`` in height
        than ``a`` ends."""
        k = among[(among != a) & (among != b)]
        nearer = np.abs(end[k] - start[b]) < abs(end[a] - start[b])
        return bool(np.any(continued_by(k, b, far=False) | (continued_by(k, b) & nearer)))

    target, after = np.arange(n), np.arange(n)
    for a in range(n):
        ok = continued_by(a, slice(None))
        ok[a] = False
        right = np.nonzero(ok)[0]
        if not len(right):
            continue
        b = int(right[np.argmin(ext[right, 0])])  # the nearest line that may continue a ...
        # ... when a is the nearest that b may continue: no other ends between them.
        between = np.nonzero((ext[:, 2] > ext[a, 2]) & (ext[:, 2] <= ext[b, 0] + 0.25 * h))[0]
        level = bool(continued_by(a, b, far=False))
        if target[b] == b and after[b] == b and not rivals(a, b, between if level else np.arange(n)):
            (target if level else after)[b] = a
    return _roots(target), [int(k) for k in after]


def _read_after(lines: list[list[int]], blocks: list[int], into: list[int], after: list[int]
                ) -> tuple[list[list[int]], list[int]]:
    """The lines joined as ``into`` says (:func:`_merged`), and each line that ``after`` says
    is read after another (:func:`_continued_lines`) moved to just after it, with its block."""
    lines, blocks = _merged(lines, blocks, into)
    roots = sorted(set(into))
    where = {r: i for i, r in enumerate(roots)}  # a root's place among the joined lines
    follows: dict[int, list[int]] = {}
    for k, j in enumerate(after):
        parent, child = where[into[j]], where[into[k]]
        if j != k and parent != child:
            follows.setdefault(parent, []).append(child)
    if not follows:
        return lines, blocks
    children = {c for cs in follows.values() for c in cs}
    order: list[int] = []
    seen: set[int] = set()
    for i in range(len(lines)):
        stack = [] if i in children else [i]
        while stack:  # each line, then the lines read after it, depth first
            k = stack.pop()
            if k not in seen:
                seen.add(k)
                order.append(k)
                stack.extend(reversed(follows.get(k, [])))
    order += [i for i in range(len(lines)) if i not in seen]  # a cycle: left where it was
    return [lines[i] for i in order], [blocks[i] for i in order]  # a line and the one after: one block


def _merged(lines: list[list[int]], blocks: list[int], into: list[int]) -> tuple[list[list[int]], list[int]]:
    """The lines joined as ``into`` says (for each line, the line it goes to), each joined line
    where the line it went to was, and their blocks."""
    if all(j == k for k, j in enumerate(into)):
        return lines, blocks
    merged: dict[int, list[int]] = {k: [] for k, j in enumerate(into) if j == k}
    for k, j in enumerate(into):
        merged[j].extend(lines[k])
    return list(merged.values()), [blocks[k] for k in merged]


def _roots(target: np.ndarray) -> list[int]:
    """For each line, the line it is folded into (following chains)."""
    out = []
    for k in range(len(target)):
        j = k
        while target[j] != j:
            j = int(target[j])
        out.append(j)
    return out


def glyph_of(boxes: np.ndarray, parts: list[int]) -> Glyph:
    """The glyph made of components ``parts``, boxed around them all."""
    b = boxes[parts]
    return Glyph((int(b[:, 0].min()), int(b[:, 1].min()), int(b[:, 2].max()), int(b[:, 3].max())), parts)


def merge_parts(boxes: np.ndarray, comps: list[int], line_height: float) -> list[Glyph]:
    """Merge the components of one line into glyphs, left to right.

    Components stacked vertically over the same columns are one glyph: the dot
    of i and j, accents, the two dots of a colon, the bars of '=' and strokes
    broken by binarization. Components inside another's box (pieces of a broken
    loop) are merged too. Side-by-side components stay separate.
    """
    comps = sorted(comps, key=lambda i: (boxes[i, 0], boxes[i, 1]))
    parent = list(range(len(comps)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a in range(len(comps)):
        ba = boxes[comps[a]]
        for b in range(a + 1, len(comps)):
            bb = boxes[comps[b]]
            if bb[0] >= ba[2]:
                break  # sorted by x0: no later component overlaps a in x
            wa, wb = ba[2] - ba[0], bb[2] - bb[0]
            ha, hb = ba[3] - ba[1], bb[3] - bb[1]
            ox = min(ba[2], bb[2]) - max(ba[0], bb[0])
            oy = min(ba[3], bb[3]) - max(ba[1], bb[1])
            stacked = ox >= 0.5 * min(wa, wb) and oy <= 0.25 * min(ha, hb)
            inside = ox >= 0.8 * min(wa, wb) and oy >= 0.8 * min(ha, hb)
            # Two side-by-side glyphs of full height are never merged.
            if (stacked or inside) and not (min(ha, hb) > 0.6 * line_height and not inside):
                parent[find(b)] = find(a)
    groups: dict[int, list[int]] = {}
    for k in range(len(comps)):
        groups.setdefault(find(k), []).append(comps[k])
    glyphs = [glyph_of(boxes, sorted(parts)) for parts in groups.values()]
    glyphs.sort(key=lambda g: (g.box[0] + g.box[2]) / 2.0)
    return glyphs


#: A gap this many line heights wide separates fields or columns, not words.
FIELD_GAP = 3.0
#: A break this many line heights wide between a line's sorted gaps parts its letter gaps from
#: its word gaps (:func:`gap_scale`).
GAP_HOLE = 0.15
#: Loose letter gaps (:func:`loose_letters_end`) reach at most this many line heights beyond
#: the letter spacing: on the dev pages 0.21 (oldbooks a056) and 0.15 (docbank's wcci page);
#: where a justified line's word gaps run on unbroken from its letters' and a wider gap
#: follows, their run ends 0.38-0.8 line heights beyond it ("Do you remember" came together).
LOOSE_LETTERS = 0.3
#: ... on a line with at least this many gaps from the letter spacing to the break: a short
#: line's few gaps make no run (FUNSD dev 93380187's "TOTAL PHLADELPISA", 9 gaps, came together).
LOOSE_MIN_GAPS = 12
#: ... and at least this many gaps beyond the break: two wide gaps beyond a run are a form's
#: field gaps, and its words' own gaps are the run (FUNSD dev 0060262650's "than 1 November"
#: came together).
LOOSE_MIN_WORDS = 3


def gap_scale(gaps: np.ndarray, line_height: float) -> tuple[float, float]:
    """A line's letter spacing and the smallest gap that separates its words, from its gaps.

    Most gaps on a line are inside words, so their median is the letter
    spacing; gaps clearly wider than it (by 0.15 line heights) are candidate
    word spaces, and the threshold is halfway between the letter spacing and
    the median candidate. Gaps over :data:`FIELD_GAP` line heights (between a
    form's label and its field, or table columns) are breaks anyway and would
    inflate that median, so they count only when there is no other. With no
    candidates, only a gap of 0.45 line heights counts as a space. The
    threshold is clamped to [0.15, 0.8] line heights.

    Loosely set print (a justified line's letters, a low-resolution scan's) has letter gaps
    that run on past that mark with no break, and they outnumbered the line's few word
    spaces: the threshold fell among them, and "revolting" was read "revol t i n g"
    (oldbooks dev a056; docbank dev's "feasibi l it y"). The candidates are then the gaps
    beyond the loose letters' (:func:`loose_letters_end`).
    """
    h = max(line_height, 1.0)
    g = np.asarray(gaps, dtype=np.float64)
    if len(g) == 0:
        return 0.0, 0.45 * h
    intra = float(np.median(g)) if len(g) >= 3 else min(float(g.min()), 0.1 * h)
    wide = g[g > max(intra + 0.15 * h, loose_letters_end(g, intra, h))]
    spaces = wide[wide <= FIELD_GAP * h]
    if len(spaces):
        wide = spaces
    if len(wide) == 0:
        return intra, float(max(0.45 * h, intra + 0.15 * h))
    return intra, float(np.clip((intra + float(np.median(wide))) / 2.0, 0.15 * h, 0.8 * h))


def loose_letters_end(gaps: np.ndarray, intra: float, line_height: float) -> float:
    """The widest of a line's loose letter gaps (see :func:`gap_scale`), or 0 when its letter
    gaps stop short of the letter spacing + 0.15 line heights, as most lines' do.

    Loose letter gaps: the line's gaps from the letter spacing ``intra`` up, sorted, run on
    with no break of :data:`GAP_HOLE` line heights for at least :data:`LOOSE_MIN_GAPS` gaps,
    beyond that mark but within :data:`LOOSE_LETTERS` line heights of ``intra``, with
    :data:`LOOSE_MIN_WORDS` gaps or more beyond the break.
    """
    h = line_height
    above = np.sort(gaps[(gaps >= intra) & (gaps <= FIELD_GAP * h)])
    holes = np.nonzero(np.diff(above) >= GAP_HOLE * h)[0]
    if not len(holes) or holes[0] + 1 < LOOSE_MIN_GAPS:
        return 0.0
    end = float(above[holes[0]])
    if not intra + 0.15 * h <= end <= intra + LOOSE_LETTERS * h:
        return 0.0
    return end if len(above) - holes[0] - 1 >= LOOSE_MIN_WORDS else 0.0


def glyph_gaps(glyphs: list[Glyph]) -> np.ndarray:
    """The gap before each glyph after the first (left to right), from the ink reached so far:
    a wide glyph that overhangs the next leaves no gap. Negative overlaps count as 0."""
    reach = glyphs[0].box[2] if glyphs else 0
    gaps = []
    for g in glyphs[1:]:
        gaps.append(g.box[0] - reach)
        reach = max(reach, g.box[2])
    return np.maximum(np.array(gaps, dtype=np.float64), 0)


def split_words(glyphs: list[Glyph], line_height: float) -> list[list[Glyph]]:
    """Split a line's glyphs (left to right) into words at large gaps."""
    if not glyphs:
        return []
    gaps = glyph_gaps(glyphs)
    t = gap_scale(gaps, line_height)[1]
    words, current = [], [glyphs[0]]
    for gap, g in zip(gaps, glyphs[1:]):
        if gap >= t:
            words.append(current)
            current = []
        current.append(g)
    words.append(current)
    return words


def _merge_mark_lines(lines: list[list[int]], boxes: np.ndarray, h: float) -> list[list[int]]:
    """Fold lines made only of small marks (an i's dots cut off by a blank band)
    into the nearest real line that overlaps them horizontally.

    Negative entries are tags carried along (the block number), not components.
    """
    def comps(l):
        return [i for i in l if i >= 0]

    def height(l):
        c = comps(l)
        return boxes[c, 3].max() - boxes[c, 1].min()

    real = [k for k, l in enumerate(lines) if height(l) >= 0.5 * h or len(comps(l)) > 3]
    if not real:
        return lines
    out = {k: list(lines[k]) for k in real}
    # Extents of the real lines as they were found (folding marks in does not move them).
    ext = np.array([[boxes[c, 0].min(), boxes[c, 1].min(), boxes[c, 2].max(), boxes[c, 3].max()]
                    for c in (comps(lines[r]) for r in real)], dtype=np.int64)
    for k, l in enumerate(lines):
        if k in out:
            continue
        c = comps(l)
        y0, y1 = boxes[c, 1].min(), boxes[c, 3].max()
        x0, x1 = boxes[c, 0].min(), boxes[c, 2].max()
        overlap = np.minimum(x1, ext[:, 2]) - np.maximum(x0, ext[:, 0]) >= 0
        d = np.maximum(np.maximum(ext[:, 1] - y1, y0 - ext[:, 3]), 0).astype(np.float64)
        d[~overlap] = np.inf
        j = int(np.argmin(d))
        if d[j] < 1.0 * h:
            out[real[j]].extend(c)
        else:
            out[k] = list(l)
    return [out[k] for k in sorted(out)]


#: Texture: a tile of TEXTURE_TILE x TEXTURE_TILE pixels holding more than
#: TEXTURE_COUNT components is a halftone photo, dithering or noise, not
#: text (10-point print at 300 dpi puts about 20 characters in such a tile;
#: a halftone's dots, hundreds). Its components are set aside, not read.
TEXTURE_TILE = 128
TEXTURE_COUNT = 400
#: Most text-candidate components read on one page, after textures are set
#: aside: each becomes a 28x28 model input and the grouping of lines and
#: words grows with their number. A dense newspaper page at 600 dpi has
#: about 30,000 characters.
MAX_TEXT_COMPONENTS = 60_000


def set_aside_texture(boxes: np.ndarray, idx: np.ndarray, shape: tuple[int, int],
                      tile: int = TEXTURE_TILE, max_count: int = TEXTURE_COUNT) -> np.ndarray:
    """The components of ``idx`` that lie outside textured regions (see :data:`TEXTURE_COUNT`).

    Density is counted per tile of the page (a tile cut by the page's edge
    counts for its area), and a tile next to a textured one joins it at a
    quarter of that density, so a halftone's fading edge goes with it.
    """
    if len(idx) <= max_count // 4:
        return idx
    rows, cols = -(-shape[0] // tile), -(-shape[1] // tile)
    cx = np.minimum((boxes[idx, 0] + boxes[idx, 2]) // (2 * tile), cols - 1)
    cy = np.minimum((boxes[idx, 1] + boxes[idx, 3]) // (2 * tile), rows - 1)
    counts = np.bincount(cy * cols + cx, minlength=rows * cols).reshape(rows, cols).astype(np.float64)
    # Share of each tile inside the page.
    tile_h = np.minimum(tile, shape[0] - np.arange(rows) * tile) / tile
    tile_w = np.minimum(tile, shape[1] - np.arange(cols) * tile) / tile
    density = counts / np.maximum(tile_h[:, None] * tile_w[None, :], 1e-6)
    dense = density > max_count
    if not dense.any():
        return idx
    near = cv2.dilate(dense.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    texture = dense | (near & (density > max_count / 4))
    drop = texture[cy, cx]
    log.info("set aside %d components in %d textured tiles (halftone, dithering or noise)",
             int(drop.sum()), int(texture.sum()))
    return idx[~drop]


#: A speck is under this share of the text's typical component height on a side...
SPECK_HEIGHT_SHARE = 0.1
#: ... and under this many of the pen's stroke widths.
SPECK_STROKES = 0.8


def speck_side(char_height: float, pen_width: float) -> float:
    """Side of the largest square blot taken for noise on a page of this text size and pen.

    A tenth of the typical component height is far below a period in print,
    where components are letters. In cursive a component is a whole word with
    its ascenders, so the same share swallows the accents, the dots of i and the
    periods; a mark made by the pen is at least about as wide as its stroke, so
    the stroke width caps the side. Chosen on the tuning sets only
    (``bench/RESULTS.md``, handwriting session 20: Testaments validation lines
    read with ``--layout line`` 20.75% -> 19.49% CER, FUNSD dev unchanged).
    """
    return min(SPECK_HEIGHT_SHARE * char_height, SPECK_STROKES * pen_width)


#: A line of one glyph under this share of the page's character height on both sides is a
#: stray mark (a speck of the scan, a dot of a leader, a pen's touch), not a word ...
STRAY_MARK = 0.5
#: ... unless it is a dash: at least this many times as wide as it is tall.
DASH_SHAPE = 2.0


def is_stray_mark(box: Box, char_height: float) -> bool:
    """Whether a glyph alone on its line is a stray mark (:data:`STRAY_MARK`): read, the
    cursive model makes "Ce" or "à" of it and the glyph model a digit, on lines of their own."""
    w, h = box[2] - box[0], box[3] - box[1]
    return w < STRAY_MARK * char_height and h < STRAY_MARK * char_height and w < DASH_SHAPE * h


#: A component of a line wholly farther than this many line heights above or below the line's
#: centre line is not of that line: the chaining in :func:`group_lines` follows a line's drift,
#: so specks, rule ends and the next line's words can pull a line off its band, and the line,
#: scaled to the model's height as a whole, shrinks its text. Accents and commas reach less far.
OFF_LINE_REACH = 1.0
#: A component taller than this many line heights spans several lines (a bracket, a document
#: number written upwards in the margin, a signature's stroke, a drop cap): it is no character
#: of the line it was chained into.
OFF_LINE_TALL = 2.5
#: The centre line's slope is held within this: pages are deskewed, handwriting drifts less.
OFF_LINE_SLOPE = 0.1


def off_line(lb: np.ndarray, char_height: float, line_height: float) -> np.ndarray:
    """Which components of one line (boxes ``lb``) lie off its band (:data:`OFF_LINE_REACH`,
    :data:`OFF_LINE_TALL`).

    The centre line starts level at the median centre of the line's character-sized
    components and is fitted again, three times, through those within half a line
    height of it (the slope by least squares, held within :data:`OFF_LINE_SLOPE`; the
    height by the median), so strays do not tilt it and a slanted or drifting line keeps
    its band.
    """
    cx = (lb[:, 0] + lb[:, 2]) / 2.0
    cy = (lb[:, 1] + lb[:, 3]) / 2.0
    tall = (lb[:, 3] - lb[:, 1]) > OFF_LINE_TALL * line_height
    fit = ((lb[:, 3] - lb[:, 1]) >= 0.45 * char_height) & ~tall
    if fit.sum() < 3:
        return tall
    slope, centre = 0.0, float(np.median(cy[fit]))
    for _ in range(3):
        near = fit & (np.abs(cy - (slope * cx + centre)) <= 0.5 * line_height)
        if near.sum() < 3 or np.ptp(cx[near]) == 0:
            break
        # A deskewed page's lines run nearly level; a short line's three glyphs would tilt it steeply.
        slope = float(np.clip(np.polyfit(cx[near], cy[near], 1)[0], -OFF_LINE_SLOPE, OFF_LINE_SLOPE))
        centre = float(np.median(cy[near] - slope * cx[near]))
    mid = slope * cx + centre
    reach = OFF_LINE_REACH * line_height
    return tall | (lb[:, 3] < mid - reach) | (lb[:, 1] > mid + reach)


#: A flat stroke (over 2 character heights long, under 0.3 tall) is a dash, not an underline,
#: when at most :data:`DASH_LENGTH` character heights long, with no ink within
#: :data:`DASH_CLEARANCE` heights right above or below it, and a character-sized neighbour
#: within a character height left or right whose box spans the stroke's middle row.
DASH_LENGTH = 4.0
DASH_CLEARANCE = 0.6


def dashes(boxes: np.ndarray, flat: np.ndarray, binary: np.ndarray, char_height: float) -> np.ndarray:
    """Which of the flat strokes ``flat`` (indices into ``boxes``, the page's components) are
    dashes (:data:`DASH_LENGTH`).

    Why: an old book's em dash is two character heights long and as thin as an underline;
    taken for one, it was dropped ("brows—sometimes" read "brows sometimes": 18 dashes on
    the 40 oldbooks dev pages). An underline lies under letters, a dash beside them at
    their middle.
    """
    h = char_height
    heights = boxes[:, 3] - boxes[:, 1]
    letter = (heights >= 0.5 * h) & (heights <= 2.5 * h)
    reach = int(round(DASH_CLEARANCE * h))
    out = np.zeros(len(flat), bool)
    for k, i in enumerate(flat):
        x0, y0, x1, y1 = (int(v) for v in boxes[i])
        if x1 - x0 > DASH_LENGTH * h:
            continue
        if binary[max(0, y0 - reach):y0, x0:x1].any() or binary[y1:y1 + reach, x0:x1].any():
            continue
        middle = (y0 + y1) / 2.0
        beside = letter & (((boxes[:, 2] <= x0 + 2) & (boxes[:, 2] >= x0 - h))
                           | ((boxes[:, 0] >= x1 - 2) & (boxes[:, 0] <= x1 + h)))
        inset = 0.2 * heights
        out[k] = bool(np.any(beside & (boxes[:, 1] + inset <= middle) & (boxes[:, 3] - inset >= middle)))
    return out


#: A component this many character heights tall may be two lines joined where a descender
#: touches the ascender below it (:func:`touching_lines_parted`), on an image at least
#: :data:`TOUCH_PAGE_HEIGHTS` character heights tall (a line crop holds pieces of its neighbours).
TOUCH_TALL = 1.6
TOUCH_PAGE_HEIGHTS = 4.0
#: Two lines joined are at most this many character heights tall; a taller component is a
#: signature or a drawing across the print of a form, whose strokes parted join its lines.
TOUCH_LINES = 4.0
#: The ink across it, and this many character heights either side, counted row by row and
#: smoothed over this many (a Gaussian's sigma), ...
TOUCH_REACH = 2.0
TOUCH_SMOOTH = 0.15
#: ... has two peaks (the lines' letters) at least this many character heights apart, each at
#: least this share of the highest, with a valley between them at most this share of the lower:
TOUCH_APART = 0.6
TOUCH_PEAK = 0.4
TOUCH_VALLEY = 0.5
#: then it is parted at its thinnest row near the valley (within this many character heights),
#: where it crosses at most this many pen widths, each side keeping this share of its ink.
TOUCH_NEAR = 0.15
TOUCH_BRIDGE = 3.0
TOUCH_SIDE_INK = 0.15
#: Its ink within this many character heights of each peak crosses at least this many strokes
#: a row: letters of each line, where a descender reaching into the next line's letters is a
#: stroke or a loop's two.
TOUCH_BODY = 0.2
TOUCH_BODY_STROKES = 2.5


def strokes_across(mask: np.ndarray) -> float:
    """How many strokes a row of ``mask`` crosses, on average over its rows with ink."""
    starts = np.count_nonzero(mask[:, 1:] & ~mask[:, :-1], axis=1) + mask[:, 0]
    inked = mask.any(axis=1)
    return float(starts[inked].mean()) if inked.any() else 0.0


def touching_lines_parted(binary: np.ndarray, comps: Components, keep: np.ndarray, h: float,
                          pen: float | None = None) -> np.ndarray | None:
    """``binary`` with each component that joins two lines parted along one row between them,
    or None when none does. ``pen``: the mask's stroke width when the caller has it.

    Why: lines of handwriting set close together touch where a descender meets the ascender
    below; the touching words are one component, which the chaining puts in one of the lines,
    and two lines read as one (the wills' test pages rebuilt with their lines 28 rows closer
    instead of 16: 41.4% CER against 19.6%). Where the lines lie is told by their ink, row by
    row, around the component: the bodies of the letters of each line make a peak, the space
    between lines a valley, which the component crosses with a stroke or two."""
    if binary.shape[0] < TOUCH_PAGE_HEIGHTS * h:
        return None
    boxes = comps.boxes
    heights = boxes[keep, 3] - boxes[keep, 1]
    tall = keep[(heights > TOUCH_TALL * h) & (heights <= TOUCH_LINES * h)]
    if not len(tall):
        return None
    bridge = TOUCH_BRIDGE * max(stroke_width(binary) if pen is None else pen, 1.0)
    sigma = max(TOUCH_SMOOTH * h, 1.0)
    radius = int(3 * sigma)
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    reach, near = int(TOUCH_REACH * h), max(1, int(TOUCH_NEAR * h))
    body = max(1, int(TOUCH_BODY * h))
    parted = None
    for c in tall:
        x0, y0, x1, y1 = (int(v) for v in boxes[c])
        if y1 - y0 < len(kernel):  # "same" would return the kernel's length
            continue
        window = binary[y0:y1, max(0, x0 - reach):x1 + reach]
        profile = np.convolve(np.count_nonzero(window, axis=1).astype(np.float64), kernel, mode="same")
        inner = np.arange(1, len(profile) - 1)
        peaks = inner[(profile[inner] >= profile[inner - 1]) & (profile[inner] > profile[inner + 1])
                      & (profile[inner] >= TOUCH_PEAK * profile.max())]
        own = comps.labels[y0:y1, x0:x1] == c + 1
        rows = np.count_nonzero(own, axis=1)
        total = int(rows.sum())
        last = -1
        for top, bottom in zip(peaks, peaks[1:]):
            if bottom - top < TOUCH_APART * h:
                continue
            valley = top + int(np.argmin(profile[top:bottom]))
            if profile[valley] > TOUCH_VALLEY * min(profile[top], profile[bottom]):
                continue
            lo, hi = max(valley - near, last + 1), min(valley + near + 1, len(rows))
            if hi <= lo:
                continue
            r = lo + int(np.argmin(rows[lo:hi]))
            above = int(rows[:r].sum())
            if rows[r] > bridge or min(above, total - above - rows[r]) < TOUCH_SIDE_INK * total:
                continue
            # Letters of the component in both lines, not a descender passing through the next.
            if min(strokes_across(own[max(0, peak - body):peak + body + 1]) for peak in (top, bottom)) \
                    < TOUCH_BODY_STROKES:
                continue
            if parted is None:
                parted = binary.copy()
            parted[y0 + r, x0:x1][own[r]] = False
            last = r
    return parted


def segment(binary: np.ndarray, min_area: int = 2,
            max_components: int | None = None, tables: Sequence[Box] = (),
            part_touching: bool = True) -> Layout:
    """Segment an ink mask into lines (reading order), words and glyphs.

    Textured regions (halftones, dithering, noise) are set aside first; a
    page that still has more than ``max_components`` (default
    :data:`MAX_TEXT_COMPONENTS`) text candidates raises :class:`ImageError`.
    The text inside ``tables`` (ruled tables :func:`ocr.layout.analyse_layout` found) is
    read row by row. On an image of several lines, what the chaining pulled into a line
    from beyond its band (:func:`off_line`) becomes lines marked ``split_off``. Strokes that join
    two lines are parted first (:func:`touching_lines_parted`, ``part_touching``).
    """
    comps = find_components(binary)
    layout = Layout(comps)
    if len(comps) == 0:
        return layout
    keep = np.nonzero(comps.areas >= min_area)[0]
    boxes = comps.boxes
    keep = set_aside_texture(boxes, keep, binary.shape)
    limit = MAX_TEXT_COMPONENTS if max_components is None else max_components
    if len(keep) > limit:
        raise ImageError(f"too many ink components ({len(keep):,}, limit {limit:,}) outside textured "
                         "regions: not a text page (noise or a pattern?)")
    if len(keep) == 0:
        return layout
    h = typical_height(boxes[keep], comps.areas[keep])
    layout.char_height = h
    # Specks much smaller than a period at this text size are noise; no pen mark is
    # smaller than its own stroke, so the pen's width caps that size (:func:`speck_side`).
    sizes = boxes[keep, 2:] - boxes[keep, :2]
    pen = stroke_width(binary)
    side = speck_side(h, pen)
    speck = (comps.areas[keep] < side ** 2) & (sizes.max(axis=1) < 2 * side)
    # Long flat strokes (underlines, wavy background lines, strike-outs) are no character;
    # an em dash between two words is one (:func:`dashes`).
    flat = (sizes[:, 1] < 0.3 * h) & (sizes[:, 0] > 2.0 * h)
    flat[flat] = ~dashes(boxes[keep], np.nonzero(flat)[0], binary, h)
    keep = keep[~(speck | flat)]
    if len(keep) == 0:
        return layout
    if part_touching:
        parted = touching_lines_parted(binary, comps, keep, h, pen)
        if parted is not None:
            return segment(parted, min_area, max_components, tables, part_touching=False)
    lines: list[list[int]] = []
    blocks: list[int] = []
    for b, block in enumerate(reading_order_blocks(boxes[keep], h, tables=tables)):
        for line in group_lines(boxes, keep[block], h):
            lines.append(line)
            blocks.append(b)
    # Rows of descenders, commas or the lower half of a broken line join their line,
    # across blocks (a blank row may have cut them off in the reading order).
    lines, blocks = _merged(lines, blocks, _fold_short_lines(lines, boxes, h, blocks))
    # A handwritten line whose end rises or falls may be chained as two, side by side.
    lines, blocks = _read_after(lines, blocks, *_continued_lines(lines, boxes, h, blocks))
    # Marks cut off by a blank band (dots of i, accents) may sit in a block of
    # their own, so they are folded into lines across blocks.
    tagged = _merge_mark_lines([l + [-1 - b] for l, b in zip(lines, blocks)], boxes, h)
    # Components off a line's band are taken out of it and grouped into lines of their own,
    # kept here: a line image reads them with its line (see without_split_off).
    # An image of one line has nothing to be chained from, and keeps its line as found.
    todo = deque(([i for i in line if i >= 0], -1 - min(line), False) for line in tagged)
    several = len(tagged) > 1
    while todo:
        line, b, split_off = todo.popleft()
        lb = boxes[line]
        heights = lb[:, 3] - lb[:, 1]
        if heights.max() < 0.4 * h and not split_off:
            continue  # a row of specks or texture, no character on it
        line_h = float(np.percentile(heights[heights >= 0.45 * h], 75)) if np.any(heights >= 0.45 * h) \
            else float(heights.max())
        if several and not split_off:
            off = off_line(lb, h, line_h)
            if off.any():
                todo.extendleft((part, b, True) for part in
                                reversed(group_lines(boxes, np.asarray(line)[off], h)))
                line = [i for i, o in zip(line, off) if not o]
                lb = boxes[line]
                if not line or (lb[:, 3] - lb[:, 1]).max() < 0.4 * h:
                    continue
        glyphs = merge_parts(boxes, line, line_h)
        if len(glyphs) == 1 and is_stray_mark(glyphs[0].box, h) and not split_off:
            continue
        box = (int(lb[:, 0].min()), int(lb[:, 1].min()), int(lb[:, 2].max()), int(lb[:, 3].max()))
        layout.lines.append(LineLayout(box, split_words(glyphs, line_h), b, line_h, split_off))
    return layout


#: A line against the top or bottom edge lower than this many core heights is a piece of a
#: line the crop cut through (descenders, tops of capitals); a whole line is taller.
PIECE_HEIGHT = 1.2
#: The main line's band, around its glyphs' median top and bottom, in shares of that height.
BAND_MARGIN = 0.25
#: Another line level with the main line's core is the main line's own continuation when the
#: main line's glyphs span under this share of its columns (a drifting baseline split in two);
#: a neighbouring line's pieces lie over or under the main line's words.
CONTINUATION_UNDER = 0.5
#: A component that covers this share of the main line's core rows is the line's own wherever
#: its centre lies (a cursive word whose ascenders reach the crop's edge); the pieces of the
#: lines above and below that a crop cuts reach in less.
BAND_REACH = 0.5
#: Parts under this share of their line's height are marks (dots, accents, commas), not
#: the letters whose rows make the line's core.
CORE_PART_HEIGHT = 0.4
#: A line of its own at most this many core heights on a side ...
MARK_SIZE = 1.2
#: ... and at most this many core heights above or below the main line's core is a mark
#: of it (an accent, the dot of an i).
MARK_GAP = 0.5
#: A line of several marks (:func:`are_marks_of`) covers at most this share of its width.
MARKS_COVER = 0.35
#: A line image's main line with this many core heights of rows above and below its core
#: has room for cut pieces of its neighbours on its edge rows (:func:`has_room_at_edges`).
EDGE_ROOM = 0.5


def main_line(layout: Layout) -> LineLayout | None:
    """The line with the most ink (by its glyphs' boxes) of those the segmenter chained (not
    split off), or None on an empty page."""
    lines = chained_lines(layout)
    return max(lines, key=lambda line: sum((g.box[2] - g.box[0]) * (g.box[3] - g.box[1])
                                           for g in line.glyphs)) if lines else None


#: An image under this many times as tall as its main line's box holds that line and the pieces
#: of its neighbours, not a paragraph (:func:`is_line_crop`).
LINE_CROP_HEIGHTS = 4.0


def is_line_crop(layout: Layout) -> bool:
    """Whether an image is a crop of one line, with whatever of its neighbours the crop cut
    through: under :data:`LINE_CROP_HEIGHTS` times as tall as its main line. A low-resolution
    paragraph of four lines or more is 5-9 times as tall as its main line (the English
    paragraphs of bench/handwriting.py), a cursive line's crop 1.1-4.7 times (more only
    where faint ink left no line whole), a form field's 1.7-3.1 times (bench/RESULTS.md,
    handwriting session 34)."""
    main = main_line(layout)
    if main is None:
        return False
    return layout.components.labels.shape[0] < LINE_CROP_HEIGHTS * max(main.box[3] - main.box[1], 1)


def chained_lines(layout: Layout) -> list[LineLayout]:
    """The lines as :func:`group_lines` chained them, without the pieces split off their bands."""
    return [line for line in layout.lines if not line.split_off]


def without_split_off(layout: Layout) -> Layout:
    """The layout without the pieces split off line bands (:func:`off_line`), as a page is read:
    they are specks, rule ends, figure strokes and margin marks the chaining pulled in far more
    often than text (bench/RESULTS.md, real print session 26). A line image keeps them with
    its line (:func:`as_one_line`)."""
    return replace(layout, lines=chained_lines(layout))


def core_rows(layout: Layout, line: LineLayout) -> tuple[float, float]:
    """A line's core rows: the median top and bottom of its glyphs' largest parts (the
    x-height band of print, the body of cursive), of the parts at least
    :data:`CORE_PART_HEIGHT` of the line's height tall when there are any: the dots
    of a ruled line, accents and commas would otherwise pull the median to a sliver."""
    comp = layout.components
    cores = comp.boxes[[max(g.parts, key=lambda i: comp.areas[i]) for g in line.glyphs]]
    tall = cores[cores[:, 3] - cores[:, 1] >= CORE_PART_HEIGHT * line.height]
    if len(tall):
        cores = tall
    return float(np.median(cores[:, 1])), float(np.median(cores[:, 3]))


def level_with(box: tuple[int, int, int, int], core_top: float, core_bottom: float) -> bool:
    """Whether a box spans some of the core rows ``core_top``..``core_bottom``."""
    return box[1] < core_bottom and box[3] > core_top


def is_one_line(layout: Layout) -> bool:
    """Whether an image segmented as several lines is one line of text: every other line is
    level with the main line's core (a drifting end, a capital or a flourish split off), is
    a low piece against the top or bottom edge (:data:`PIECE_HEIGHT`: of a line the crop
    cut through) or a mark just above or below the core (:func:`is_mark_of`: an accent or
    a dot the segmenter left on a line of its own). Two lines one above the other, each
    whole, are two lines. Pieces split off a line's band (:func:`off_line`) go with the line
    they were chained into, as :func:`as_one_line` reads them."""
    main = main_line(layout)
    if main is None or not main.glyphs or len(layout.lines) < 2:
        return False
    core_top, core_bottom = core_rows(layout, main)
    rows = layout.components.labels.shape[0]
    core = max(core_bottom - core_top, 1.0)
    for line in chained_lines(layout):
        _, y0, _, y1 = line.box
        piece = (y0 <= EDGE_ROWS or y1 >= rows - EDGE_ROWS) and y1 - y0 < PIECE_HEIGHT * core
        if not (level_with(line.box, core_top, core_bottom) or piece or is_mark_of(line.box, core_top, core_bottom)
                or are_marks_of(line, core_top, core_bottom)):
            return False
    return True


def is_line_image(layout: Layout) -> bool:
    """Whether auto layout reads an image as one line (:func:`as_one_line`): segmented as
    several lines that are one (:func:`is_one_line`), or found as one line with room above
    and below it (:func:`has_room_at_edges`), where its band may hold the descenders of the
    line above that the crop cut through, joined to its letters."""
    return (len(layout.lines) == 1 and has_room_at_edges(layout)) or is_one_line(layout)


def has_room_at_edges(layout: Layout) -> bool:
    """Whether the main line's core lies at least :data:`EDGE_ROOM` core heights from the
    image's top and bottom rows: room for pieces of the lines above and below that a crop
    cut through. A line that fills its crop (a cheque amount's digits, cut tight) has none:
    the ink on its edge rows is its own (a digit's top)."""
    main = main_line(layout)
    if main is None or not main.glyphs:
        return False
    core_top, core_bottom = core_rows(layout, main)
    core = max(core_bottom - core_top, 1.0)
    rows = layout.components.labels.shape[0]
    return min(core_top, rows - core_bottom) >= EDGE_ROOM * core


def are_marks_of(line: LineLayout, core_top: float, core_bottom: float) -> bool:
    """Whether a line is a row of a main line's marks: each of its glyphs one
    (:func:`is_mark_of`), spread along it (together at most :data:`MARKS_COVER` of its width).

    Why: the segmenter gathers the dots and accents over a cursive line's words into a line
    of their own as wide as the words ("d'infanterie, lègue"), too wide for one mark, and
    that line was read on its own as "A pr". A line of text is its letters side by side."""
    glyphs = line.glyphs
    if not glyphs:
        return False
    width = max(line.box[2] - line.box[0], 1)
    covered = sum(g.box[2] - g.box[0] for g in glyphs)
    return covered <= MARKS_COVER * width and all(is_mark_of(g.box, core_top, core_bottom) for g in glyphs)


def is_mark_of(box: tuple[int, int, int, int], core_top: float, core_bottom: float) -> bool:
    """Whether a box is small enough and close enough to a line's core rows to be one of its
    marks: at most :data:`MARK_SIZE` core heights on a side, within :data:`MARK_GAP` of one
    above or below. A word of a line of its own is wider, or lies a line's spacing away."""
    x0, y0, x1, y1 = box
    core = max(core_bottom - core_top, 1.0)
    gap = max(core_top - y1, y0 - core_bottom)
    return max(x1 - x0, y1 - y0) <= MARK_SIZE * core and gap <= MARK_GAP * core


def as_one_line(layout: Layout) -> Layout:
    """The page as a single text line (``--layout line``: a line image, a field, a cursive line).

    Every glyph of every segmented line joins one line, left to right, with
    words split again at its gaps: ascenders, descenders and marks that the
    segmenter put on lines of their own are read where they are. Pieces of the
    lines above and below that a crop cut through are left out: components
    whose centre lies outside the main line's band (the line with the most
    ink; its core rows (:func:`core_rows`) widened by
    :data:`BAND_MARGIN` of their height, so that descenders, commas and accents
    stay) when they touch the top or bottom edge, or belong to another line
    that does, unless they cover half the core (:data:`BAND_REACH`). A field
    cut from a form rarely has clean margins, the descenders of the line above
    are seldom all on the edge row, and the segmenter may have joined some of
    them to the main line's letters as marks. A line level with the main
    line's core and mostly beside its words (:data:`CONTINUATION_UNDER`) is
    kept whole: handwriting drifts, and the segmenter splits a line whose end
    rises or falls.
    """
    lines = layout.lines
    main = main_line(layout)
    if main is not None and main.glyphs:
        core_top, core_bottom = core_rows(layout, main)
        comp = layout.components
        height = comp.labels.shape[0]
        core = max(core_bottom - core_top, 1.0)
        top, bottom = core_top - BAND_MARGIN * core, core_bottom + BAND_MARGIN * core
        tops, bottoms = comp.boxes[:, 1], comp.boxes[:, 3]
        at_edge = (tops <= EDGE_ROWS) | (bottoms >= height - EDGE_ROWS)
        reach = np.minimum(bottoms, core_bottom) - np.maximum(tops, core_top)
        outside = ~((top <= (tops + bottoms) / 2) & ((tops + bottoms) / 2 <= bottom)) & (reach < BAND_REACH * core)

        under_main = np.zeros(comp.labels.shape[1] + 1, bool)
        for g in main.glyphs:
            under_main[g.box[0]:g.box[2]] = True

        def continues_main(line: LineLayout) -> bool:
            """A line beside the main one rather than above or below it, level with its core:
            the rest of a line that drifts up or down, which the segmenter split off."""
            return (level_with(line.box, core_top, core_bottom)
                    and under_main[line.box[0]:line.box[2]].mean() < CONTINUATION_UNDER)

        def kept(line: LineLayout) -> list[Glyph]:
            if line is not main and continues_main(line):
                return list(line.glyphs)
            line_at_edge = line is not main and any(at_edge[i] for g in line.glyphs for i in g.parts)
            glyphs = []
            for g in line.glyphs:
                parts = [i for i in g.parts if not ((line_at_edge or at_edge[i]) and outside[i])]
                if len(parts) == len(g.parts):
                    glyphs.append(g)
                elif parts:
                    glyphs.append(glyph_of(comp.boxes, parts))
            return glyphs

        lines = [replace(line, words=[kept(line)]) for line in lines]
    glyphs = sorted((g for line in lines for g in line.glyphs), key=lambda g: (g.box[0], g.box[1]))
    if not glyphs:
        return layout
    boxes = np.array([g.box for g in glyphs])
    height = max(main.height if len(layout.lines) > 1 and main.height > 0
                 else float(np.median([line.height for line in layout.lines])), 1.0)
    box = (int(boxes[:, 0].min()), int(boxes[:, 1].min()), int(boxes[:, 2].max()), int(boxes[:, 3].max()))
    return Layout(layout.components, [LineLayout(box, split_words(glyphs, height), 0, height)],
                  layout.char_height)


def as_one_block(layout: Layout) -> Layout:
    """The page's lines as one block, top to bottom (``--layout block``: no column analysis).

    For a page that is one uniform block of text (a letter, a receipt) where
    the column finder would split a ragged line into two.
    """
    lines = sorted(layout.lines, key=lambda line: ((line.box[1] + line.box[3]) / 2, line.box[0]))
    return Layout(layout.components, [replace(line, block=0) for line in lines], layout.char_height)


def as_one_word(layout: Layout) -> Layout:
    """The page as a single word (``--layout word``: a word image, a code, a short field)."""
    one = as_one_line(layout)
    return Layout(one.components, [replace(line, words=[line.glyphs]) for line in one.lines],
                  one.char_height)


def glyph_mask(components: Components, glyph: Glyph, pad: int = 0) -> np.ndarray:
    """The ink of one glyph only (other components in its box are blanked), cropped to its box."""
    x0, y0, x1, y1 = glyph.box
    crop = components.labels[y0:y1, x0:x1]
    mask = np.isin(crop, np.asarray(glyph.parts) + 1)
    if pad:
        mask = np.pad(mask, pad)
    return mask


def candidate_cuts(mask: np.ndarray, min_width: int, max_cuts: int = 4) -> list[int]:
    """Candidate columns for splitting touching characters, best first.

    A column scores well when it has little ink (the thin bridge where two
    glyphs touch) and lies between the upper and lower contours; local minima
    of the ink profile at least ``min_width`` from the edges and from each
    other are kept.
    """
    h, w = mask.shape
    if w < 2 * min_width:
        return []
    profile = mask.sum(axis=0).astype(np.float64)
    # Where two glyphs touch, the outline pinches: the ink of the column
    # spans little height (top contour low, bottom contour high), even when
    # the column holds as much ink as the inside of a loop.
    rows = np.arange(h)[:, None]
    top = np.where(mask.any(axis=0), np.where(mask, rows, h).min(axis=0), h)
    bottom = np.where(mask.any(axis=0), np.where(mask, rows, -1).max(axis=0), -1)
    extent = np.maximum(bottom - top + 1, 0).astype(np.float64)
    score = profile + extent
    # Smooth a little so one ragged column does not win.
    smooth = np.convolve(score, np.ones(3) / 3, mode="same")
    candidates = []
    for x in range(min_width, w - min_width + 1):
        left = smooth[max(0, x - 2):x].min(initial=np.inf) if x > 0 else np.inf
        right = smooth[x + 1:x + 3].min(initial=np.inf)
        if smooth[x] <= left and smooth[x] <= right:
            candidates.append((smooth[x] / max(h, 1), x))
    candidates.sort()
    chosen: list[int] = []
    for _, x in candidates:
        if all(abs(x - c) >= min_width for c in chosen):
            chosen.append(x)
        if len(chosen) >= max_cuts:
            break
    return sorted(chosen)
