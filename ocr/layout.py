"""Page layout: non-text regions set aside before line segmentation.

Pure numpy/OpenCV on an ink mask (bool, True = ink), between
:mod:`ocr.preprocess` and :mod:`ocr.segment`.

Why: a large dark region (a black scan border around a book page, a photo or
figure binarized into a solid blob, a thick bar) is one huge connected
component. Left in the mask it dominates every size statistic of the page
(the segmenter's typical character height is weighted by ink) and the
whole page comes out as a few huge "glyphs". Such components are no
character at any text size on the page, so they are removed from the mask
and reported as ``image`` (or ``rule``, for long solid bars) regions; ink
fragments clinging to them (the ragged edge of a scan border) go with them.
Halftones made of many small dots are set aside later, by texture, in
:func:`ocr.segment.set_aside_texture`. A sparse blob of straight runs is rules (a table's grid, a
form's frame): the characters touching them are given back to the text, and one
with rules inside its outline both ways is a ``table``, whose text is read row by row.
A sparse blob of curves (an ornament) is a drawing, set aside as a picture is. A clean
table's thin grid is taken off with the rules in preprocessing: :func:`ruled_boxes`
finds it among them, and the frames there; a frame that holds a drawing (a book's map) is
set aside with its content (:func:`framed_drawings`). On a grey page, light type on an image
region's dark ground (a heading on a coloured banner) is found by :func:`light_type` and read.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from ocr.ink import as_u8, straight_runs, typical_component_height

log = logging.getLogger(__name__)

Box = tuple[int, int, int, int]

#: A component at least this many character heights tall AND wide, with an
#: ink area of at least :data:`BLOB_AREA` square character heights, is no
#: character (a drop cap three lines tall is about 4 heights and 6 square heights of ink).
BLOB_SIZE = 4.0
BLOB_AREA = 30.0
#: A solid bar: at least this many character heights long, filling most of its box.
BAR_LENGTH = 8.0
BAR_FILL = 0.6
#: Regions are only set aside on a page with at least this many components of
#: about the character height: on a field or a cheque amount (a few digits,
#: some specks) the "character height" is no measure, and a big handwritten
#: digit would look like a blob.
MIN_TEXT_COMPONENTS = 20
#: Nor on an image whose shorter side is under this many pixels: a field, a
#: cheque amount or a line image has no room for a photo beside its text, and
#: noise there passed the component count (ORAND-CAR-A a_car_000956, 93x177,
#: read as 59 digits once a speckled patch was set aside as an "image").
MIN_PAGE_SIDE = 256
#: A broken vertical rule (a book page's frame, a faxed box side, printed or
#: scanned in pieces): at least :data:`RULE_PIECES` slivers, each at most
#: :data:`SLIVER_WIDTH` of its own height wide, with no other ink within
#: :data:`SLIVER_CLEARANCE` character heights left or right of it, lying on
#: one column that spans at least :data:`BROKEN_RULE_SPAN` character heights.
#: Each piece is shorter than a rule, so none is found as one, and alone on
#: its "line" a sliver reads as "en", "Je" or "1". A column of l, I or 1 in
#: text has its words beside it; a lone page number is one piece.
RULE_PIECES = 3
SLIVER_WIDTH = 0.25
SLIVER_CLEARANCE = 1.5
BROKEN_RULE_SPAN = 10.0
#: Along such a rule, an isolated piece at most this many character heights wide is a crumb of
#: it, whatever its height.
RULE_CRUMB_WIDTH = 0.25
#: Ink in a hole of an image region (a medal on a portrait's coat, the white of a face with
#: its eye) is part of the picture, not text, when the region is a picture, its ink filling at
#: least :data:`PICTURE_FILL` of its box (photos on the dev pages: 0.5-0.97; a form's table
#: grid or frame, whose cells hold the text: 0.01-0.25), and the hole is at most
#: :data:`PICTURE_HOLE_SHARE` of the region's ink (the page a scan border frames is larger).
PICTURE_FILL = 0.4
PICTURE_HOLE_SHARE = 0.25
#: A sparse blob (ink under :data:`PICTURE_FILL` of its box: a table's grid, a form's frame) is
#: rules, and the words touching them (a header's descender on its cell's bottom line) are one
#: component with them. Its straight runs at least :data:`RULE_RUN` character heights long, level
#: or tilted by up to :data:`RULE_TILT` (a table scanned askew), are taken off it and what is left
#: of character size goes back to the text (FUNSD dev forms 11508234 and 87672097, whose words
#: sit on the rules of their fields and tables: bag-of-words F1 0.517 -> 0.668 and 0.434 -> 0.490).
RULE_RUN = 2.5
RULE_TILT = 0.05
#: ... when at least this share of its ink lies on those straight runs: the frames, rules and
#: grids of the FUNSD dev forms have 0.90-0.99 of it there. A blob of curves is a drawing (an
#: old book's ornament, 0.53; what a map's frame leaves, 0.01), set aside as a picture is:
#: taken for rules, its small pieces went back to the text and read as noise (oldbooks dev e037).
RULES_SHARE = 0.75
#: Such a blob is a ruled table when at least this many of its rules lie inside its outline,
#: across and down, each running along at least :data:`TABLE_RULE_SPAN` of it. A table's text
#: is read row by row: its cells' columns are no columns of text (4 of the 40 FUNSD dev forms
#: have one; on 11508234 a supplier's name and its costs, "Date:" and its date, came apart).
TABLE_RULES = 3
TABLE_RULE_SPAN = 0.5
#: A grid taken off the page with the rules (:func:`ruled_tables`) is a table when at least this
#: many character heights tall: three rows of text or more. A form's row of boxes, a label
#: above each value, is read box by box (FUNSD dev form 71341634's two rows of boxes, 5.8
#: heights tall, read row by row: word-box CER 56.2 -> 61.4%; docbank dev's tables: 7.3 to 23.3).
RULED_TABLE_HEIGHT = 7.0
#: A frame taken off with the rules (:func:`ruled_boxes`): rules along at least this many sides
#: of a box (a scanned frame's side may break) at least :data:`FRAME_SIZE` character heights
#: each way (a form's small boxes hold a tick or a signature).
FRAME_SIDES = 3
FRAME_SIZE = 10.0
#: A frame holds a drawing when this share of the ink inside it lies in at least
#: :data:`DRAWING_STROKES` strokes no character makes (:func:`framed_drawings`). On the dev
#: pages: oldbooks a014's map 0.53 (51 strokes); framed text (book pages' borders, docbank's
#: boxes, FUNSD's sections) 0.00-0.17.
DRAWING_STROKES_SHARE = 0.3
DRAWING_STROKES = 5
#: The ink inside a drawing's box (a blob of curves set aside as a picture) is the drawing's
#: when at least :data:`DRAWING_COVER` of the box lies within :data:`DRAWING_REACH` character
#: heights of the drawing's strokes: an ornament's leaves and scrolls its strokes do not join,
#: read as "9" and "4.,244." (oldbooks dev e037). A border of curves around a page's text
#: leaves most of its box far from its strokes, and the text there stays.
DRAWING_REACH = 3.0
DRAWING_COVER = 0.5


@dataclass
class Region:
    """A non-text region: ``kind`` is ``image``, ``rule`` or ``table`` (a block kind of
    :mod:`ocr.document`); a table's text is read, inside it."""

    kind: str
    box: Box


@dataclass
class PageLayout:
    """The text candidates of a page and the regions set aside."""

    text: np.ndarray                     # ink mask with the non-text regions removed
    regions: list[Region] = field(default_factory=list)
    char_height: float = 0.0

    @property
    def tables(self) -> list[Box]:
        """The boxes of the ruled tables among the regions: their text is read row by row."""
        return [r.box for r in self.regions if r.kind == "table"]


def analyse_layout(binary: np.ndarray, char_height: float | None = None,
                   frames: Sequence[Box] = (), gray: np.ndarray | None = None) -> PageLayout:
    """Split an ink mask into text candidates and non-text regions (see the module's doc).

    ``char_height`` is the typical character height (:func:`ocr.preprocess.text_height`,
    an unweighted median that one huge component cannot move) when known; ``frames`` are the
    boxes of frames preprocessing took off with the rules (:func:`ruled_boxes`), whose content
    is set aside when it is a drawing (:func:`framed_drawings`). With the page's ``gray`` (dark
    ink on light; not given for a 1-bit scan, which has no grey to part a banner's ground from
    its type), an image region that holds light type gives it to the text and is no image
    (:func:`light_type`).
    """
    binary = np.asarray(binary, dtype=bool)
    if min(binary.shape) < MIN_PAGE_SIDE:
        return PageLayout(binary, [], float(char_height or 0.0))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(as_u8(binary), connectivity=8)
    if n <= 1:
        return PageLayout(binary, [], 0.0)
    # text_height(binary), from this same labelling rather than a second one.
    h = float(char_height) if char_height else typical_component_height(stats[1:, cv2.CC_STAT_HEIGHT])
    h = max(h, 4.0)
    w_, h_, area = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_AREA]
    fill = area / np.maximum(w_ * h_, 1)
    if np.count_nonzero((h_[1:] >= 0.5 * h) & (h_[1:] <= 2 * h)) < MIN_TEXT_COMPONENTS:
        return PageLayout(binary, [], h)
    blob = (w_ >= BLOB_SIZE * h) & (h_ >= BLOB_SIZE * h) & (area >= BLOB_AREA * h * h)
    blob[0] = False  # the background
    bar = (np.maximum(w_, h_) >= BAR_LENGTH * h) & (np.minimum(w_, h_) >= 0.3 * h) & (fill >= BAR_FILL)
    drawn, drawings = framed_drawings(labels, stats, frames, h)
    blob &= ~drawn
    bar &= ~drawn
    aside = blob | bar
    aside[0] = False
    pieces, columns = broken_rules(labels, stats, h)
    pieces &= ~drawn
    if not aside.any() and not columns and not drawings:
        return PageLayout(binary, [], h)
    picture = blob & (fill >= PICTURE_FILL)
    # A sparse blob of straight runs is rules: the characters touching them go back to the
    # text, and it may be a table. One of curves is a drawing, set aside as a picture is.
    on_rules: dict[int, np.ndarray] = {}
    table = np.zeros(n, bool)
    drawing = np.zeros(n, bool)
    for i in np.nonzero(blob & ~picture)[0]:
        x, y, w, hh = (int(v) for v in stats[i, :4])
        grid = labels[y:y + hh, x:x + w] == i
        across, down = rule_runs(grid, h)
        if np.count_nonzero(across | down) < RULES_SHARE * area[i]:
            picture[i] = drawing[i] = True
            continue
        on_rules[i], table[i] = text_on_rules(grid, h, across, down)
    regions = [Region("table" if table[i] else "image" if blob[i] else "rule",
                      (int(stats[i, 0]), int(stats[i, 1]), int(stats[i, 0] + w_[i]), int(stats[i, 1] + h_[i])))
               for i in np.nonzero(aside)[0]] + [Region("rule", box) for box in columns] \
        + [Region("image", box) for box in drawings]
    aside |= pieces | drawn
    mask = aside[labels]
    # Fragments clinging to a region (a scan border's ragged edge, a photo's
    # stray dots) go with it: components mostly within half a character height of it.
    k = max(3, int(round(h / 2)) | 1)
    near = cv2.dilate(as_u8(mask), cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))) > 0
    inside = np.bincount(labels[near], minlength=n)
    clinging = (inside >= 0.5 * area) & ~aside
    clinging |= in_picture_holes(labels, stats, np.nonzero(picture)[0])
    clinging |= in_drawings(labels, stats, np.nonzero(drawing)[0], h)
    clinging[0] = False
    drop = aside | clinging
    text = binary & ~drop[labels]
    for i, kept in on_rules.items():
        x, y, w, hh = (int(v) for v in stats[i, :4])
        text[y:y + hh, x:x + w] |= kept
    if gray is not None:
        regions = [r for r in regions if r.kind != "image" or not _gave_light_type(text, gray, r.box, h)]
    log.info("layout: set aside %d non-text regions (%s) and %d fragments next to or inside them",
             len(regions), ", ".join(sorted({r.kind for r in regions})), int(clinging.sum()))
    return PageLayout(text, regions, h)


def _gave_light_type(text: np.ndarray, gray: np.ndarray, box: Box, char_height: float) -> bool:
    """Whether the image region ``box`` holds light type (:func:`light_type`), added to ``text``."""
    type_mask = light_type(gray, box, char_height)
    if type_mask is None:
        return False
    x0, y0, x1, y1 = box
    text[y0:y1, x0:x1] |= type_mask
    return True


def text_on_rules(grid: np.ndarray, char_height: float, across: np.ndarray,
                  down: np.ndarray) -> tuple[np.ndarray, bool]:
    """The characters touching a form's rules (a table header sitting on its cell's bottom
    line), and whether the rules make a table (:func:`makes_a_table`).

    ``grid`` is one sparse blob's mask, ``across`` and ``down`` its straight runs
    (:func:`rule_runs`); the runs are removed and what is left of character size is returned.
    """
    h = char_height
    lines = cv2.dilate(as_u8(across | down), np.ones((3, 3), np.uint8)) > 0
    rest = grid & ~lines
    n, labels, stats, _ = cv2.connectedComponentsWithStats(as_u8(rest), connectivity=8)
    w, hh, area = stats[:, 2], stats[:, 3], stats[:, cv2.CC_STAT_AREA]
    glyph = (np.maximum(w, hh) >= 0.35 * h) & (hh <= 2.5 * h) & (area >= 0.05 * h * h)
    glyph[0] = False
    return glyph[labels], makes_a_table(across, down, h)


def rule_runs(grid: np.ndarray, char_height: float) -> tuple[np.ndarray, np.ndarray]:
    """The level (``across``) and upright (``down``) straight runs of a mask of rules."""
    length = max(int(round(RULE_RUN * char_height)), 8)
    return (straight_runs(grid, length, False, RULE_TILT),
            straight_runs(grid, length, True, RULE_TILT))


def makes_a_table(across: np.ndarray, down: np.ndarray, char_height: float) -> bool:
    """Whether the rules of one box are a table's: at least :data:`TABLE_RULES` of them
    inside its outline (a character height clear of its edges), one of each direction
    among them. A frame around a page or a section has none inside, or one."""
    inner = interior_rules(across, char_height), interior_rules(down.T, char_height)
    return min(inner) >= 1 and sum(inner) >= TABLE_RULES


def ruled_boxes(rules: np.ndarray, char_height: float) -> tuple[list[Box], list[Box]]:
    """The boxes of the ruled tables and of the frames among the rules preprocessing took off
    a page (:func:`ocr.preprocess.remove_rules`): ``(tables, frames)``.

    Why tables: a clean table's grid is thin enough to be taken off as rules before the layout
    sees it, and without it each column of cells was read as a column of text, top to bottom
    (docbank dev page 247, a 9-row grid of figures, came out column by column). A grid joined
    into one piece, at least :data:`BLOB_SIZE` character heights wide and
    :data:`RULED_TABLE_HEIGHT` tall, whose rules make a table (:func:`makes_a_table`) is one.

    Why frames: a book's map or engraving is printed in a ruled box; once the box is taken
    off, its coastlines and hatching are loose curves that read as lines of noise
    (:func:`framed_drawings` judges what a frame holds). A frame is rules along at least
    :data:`FRAME_SIDES` sides of a box at least :data:`FRAME_SIZE` character heights each way,
    with no table inside.
    """
    rules = np.asarray(rules, dtype=bool)
    if min(rules.shape) < MIN_PAGE_SIDE or not rules.any():
        return [], []
    h = max(float(char_height), 4.0)
    # A scanned or compressed grid breaks at a crossing by a pixel or two.
    joined = cv2.dilate(as_u8(rules), np.ones((3, 3), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    tables: list[Box] = []
    frames: list[Box] = []
    for i in range(1, n):
        x, y, w, hh = (int(v) for v in stats[i, :4])
        if w < BLOB_SIZE * h or hh < min(RULED_TABLE_HEIGHT, FRAME_SIZE) * h:
            continue
        grid = (labels[y:y + hh, x:x + w] == i) & rules[y:y + hh, x:x + w]
        across, down = rule_runs(grid, h)
        rows, cols = np.nonzero(grid.any(axis=1))[0], np.nonzero(grid.any(axis=0))[0]
        box = (x + int(cols[0]), y + int(rows[0]), x + int(cols[-1]) + 1, y + int(rows[-1]) + 1)
        if makes_a_table(across, down, h):
            if hh >= RULED_TABLE_HEIGHT * h:
                tables.append(box)
        elif min(w, hh) >= FRAME_SIZE * h and framed_sides(across, down, h) >= FRAME_SIDES:
            frames.append(box)
    if tables or frames:
        log.info("layout: %d ruled tables and %d frames among the rules taken off the page",
                 len(tables), len(frames))
    return tables, frames


def framed_sides(across: np.ndarray, down: np.ndarray, char_height: float) -> int:
    """On how many sides of a box of rules (``across`` and ``down``: its straight runs) a rule
    runs along at least half the side, within a character height of the edge."""
    edge = max(2, int(round(char_height)))
    height, width = across.shape
    spans = (across[:edge].sum(axis=1).max() / width, across[-edge:].sum(axis=1).max() / width,
             down[:, :edge].sum(axis=0).max() / height, down[:, -edge:].sum(axis=0).max() / height)
    return sum(span >= 0.5 for span in spans)


def framed_drawings(labels: np.ndarray, stats: np.ndarray, frames: Sequence[Box],
                    char_height: float) -> tuple[np.ndarray, list[Box]]:
    """Which components lie in a frame that holds a drawing (a map, an engraving), and those
    frames' boxes.

    A frame holds a drawing when at least :data:`DRAWING_STROKES_SHARE` of the ink inside it
    lies in :data:`DRAWING_STROKES` or more strokes no character makes (over 2.5 character
    heights tall or 4 wide: coastlines, rivers, hatching). A framed text box, a form's section
    or a page's border holds letters, words at most; the lettering of a map goes with it, as
    the ground truth of a book page leaves it out and Tesseract's layout sets it aside.
    """
    flag = np.zeros(len(stats), bool)
    boxes: list[Box] = []
    h = char_height
    x, y, w, hh, area = (stats[:, k] for k in range(5))
    cx, cy = x + w / 2, y + hh / 2
    stroke = (hh > 2.5 * h) | (w > 4 * h)
    for x0, y0, x1, y1 in frames:
        inside = (cx > x0) & (cx < x1) & (cy > y0) & (cy < y1)
        inside[0] = False
        ink = area[inside].sum()
        strokes = inside & stroke
        if ink and np.count_nonzero(strokes) >= DRAWING_STROKES and area[strokes].sum() >= DRAWING_STROKES_SHARE * ink:
            flag |= inside
            boxes.append((int(x0), int(y0), int(x1), int(y1)))
    return flag, boxes


def interior_rules(runs: np.ndarray, char_height: float) -> int:
    """How many rules a mask of horizontal straight runs (of a blob's box) holds away from the
    box's top and bottom, each running along at least :data:`TABLE_RULE_SPAN` of its width.
    A rule tilted or a few pixels thick is still one component."""
    n, _, stats, centroids = cv2.connectedComponentsWithStats(as_u8(runs), connectivity=8)
    height, width = runs.shape
    y = centroids[1:, 1]
    inside = (y > char_height) & (y < height - char_height)
    return int(np.count_nonzero(inside & (stats[1:, cv2.CC_STAT_WIDTH] >= TABLE_RULE_SPAN * width)))


def in_picture_holes(labels: np.ndarray, stats: np.ndarray, pictures: np.ndarray,
                     hole_share: float = PICTURE_HOLE_SHARE) -> np.ndarray:
    """Which components lie mostly in a small hole of one of the ``pictures`` (component ids of
    dense blobs): a photo binarized as one blob encloses its lighter parts, and the ink there
    (a medal, an eye, a fold of a coat) is no text, though it is not near the blob's ink to
    cling to it; left in, it joins the text line beside the photo, which then reads as noise
    (oldbooks a029). A hole larger than ``hole_share`` of the picture's ink (the page inside a
    scan border) keeps its text."""
    held = np.zeros(len(stats), np.int64)
    for i in pictures:
        x, y, w, h = (int(v) for v in stats[i, :4])
        box = labels[y:y + h, x:x + w]
        _, holes, hole_stats, _ = cv2.connectedComponentsWithStats(as_u8(box != i), connectivity=4)
        hx, hy, hw, hh, harea = hole_stats.T
        small = ((hx > 0) & (hy > 0) & (hx + hw < w) & (hy + hh < h)  # not the outside
                 & (harea <= hole_share * stats[i, cv2.CC_STAT_AREA]))
        small[0] = False  # the picture itself
        # All holes at once: a dithered photo has thousands.
        held += np.bincount(box[small[holes] & (box > 0)], minlength=len(stats))
    return held >= 0.5 * stats[:, cv2.CC_STAT_AREA]


def in_drawings(labels: np.ndarray, stats: np.ndarray, drawings: np.ndarray, char_height: float,
                reach: float = DRAWING_REACH, cover: float = DRAWING_COVER) -> np.ndarray:
    """Which components lie inside the box of one of the ``drawings`` (component ids of blobs
    of curves) whose strokes spread over that box: at least ``cover`` of it within ``reach``
    character heights of them (see :data:`DRAWING_COVER`)."""
    x, y = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    right, bottom = x + stats[:, cv2.CC_STAT_WIDTH], y + stats[:, cv2.CC_STAT_HEIGHT]
    inside = np.zeros(len(stats), bool)
    for i in drawings:
        away = cv2.distanceTransform(as_u8(labels[y[i]:bottom[i], x[i]:right[i]] != i), cv2.DIST_L2, 3)
        spread = float(np.mean(away <= reach * char_height))
        log.debug("drawing at %s: %.2f of its box near its strokes", tuple(int(v) for v in stats[i, :4]), spread)
        if spread >= cover:
            inside |= (x >= x[i]) & (y >= y[i]) & (right <= right[i]) & (bottom <= bottom[i])
    inside[drawings] = False
    return inside


def broken_rules(labels: np.ndarray, stats: np.ndarray, char_height: float) -> tuple[np.ndarray, list[Box]]:
    """The pieces of broken vertical rules (see :data:`RULE_PIECES`).

    Returns a per-component flag (indexed like ``stats``, background False) and
    the box of each rule. Slivers are grouped by column (their x spans
    overlapping); a column with enough pieces over enough height is a rule, and
    every isolated sliver on it, however short, is one of its pieces.
    """
    h = char_height
    x, y, w, hh = (stats[:, k] for k in range(4))
    flag = np.zeros(len(stats), bool)
    sliver = (w <= SLIVER_WIDTH * hh) & (w <= 0.5 * h)
    sliver[0] = False
    # Neighbours a piece of a frame may have: other slivers, the frame's
    # horizontal pieces, specks of the scan.
    frame_like = sliver | ((hh <= SLIVER_WIDTH * w) & (hh <= 0.5 * h)) | ((w <= 0.25 * h) & (hh <= 0.25 * h))
    reach = int(round(SLIVER_CLEARANCE * h))
    width = labels.shape[1]

    def alone(i: int, company: np.ndarray) -> bool:
        band = labels[y[i]:y[i] + hh[i], max(0, x[i] - reach):min(width, x[i] + w[i] + reach)]
        near = np.unique(band)
        return bool(company[near[near != 0]].all())

    isolated = [int(i) for i in np.nonzero(sliver)[0] if alone(i, frame_like)]
    if len(isolated) < RULE_PIECES:
        return flag, []
    isolated.sort(key=lambda i: x[i] + w[i] / 2)
    drift = max(2, int(round(0.25 * h)))  # a long frame line wanders by a few pixels ...
    columns: list[list[int]] = []
    left = right = -1
    for i in isolated:
        # ... but a column stays narrower than a character is tall: scattered slivers do not chain.
        if columns and x[i] <= right + drift and x[i] + w[i] - left <= max(h, 2 * drift):
            columns[-1].append(i)
            right = max(right, x[i] + w[i])
        else:
            columns.append([i])
            left, right = x[i], x[i] + w[i]
    boxes: list[Box] = []
    for col in columns:
        tall = [i for i in col if hh[i] >= 0.5 * h]
        top, bottom = min(y[i] for i in col), max(y[i] + hh[i] for i in col)
        if len(tall) < RULE_PIECES or bottom - top < BROKEN_RULE_SPAN * h:
            continue
        flag[col] = True
        boxes.append((int(min(x[i] for i in col)), int(top), int(max(x[i] + w[i] for i in col)), int(bottom)))
    # The rule's crumbs: pieces as thin as it, but too short or too thick for slivers (a 3x11
    # stroke, a 4x14 blot), alone on its column, read as "de ses" and "Par" (oldbooks dev e037).
    thin = (w <= max(2.0, RULE_CRUMB_WIDTH * h)) & ~flag
    thin[0] = False
    for left, top, right, bottom in boxes:
        on = thin & (x >= left - drift) & (x + w <= right + drift) & (y >= top - h) & (y + hh <= bottom + h)
        for i in np.nonzero(on)[0]:
            flag[i] = alone(int(i), frame_like | thin)
    if boxes:
        log.info("layout: %d broken vertical rules (%d pieces)", len(boxes), int(flag.sum()))
    return flag, boxes


#: Light type on a dark ground inside an image region (a heading on a coloured banner, a slide's
#: title bar) is read when the region's ground is at most this grey (0 black, 255 white) ...
BANNER_GROUND = 200
#: ... its light pixels are lighter than the ground by this many levels on average, those not
#: touching the region's edge cover at most :data:`BANNER_LIGHT_SHARE` of it, ...
BANNER_CONTRAST = 60
BANNER_LIGHT_SHARE = 0.4
#: ... at least :data:`BANNER_LETTERS` light components look like letters (their heights within
#: 0.5-3 times their typical one, strokes at most :data:`BANNER_STROKE` of their height, each in
#: a row with another), and they hold at least :data:`BANNER_LETTER_SHARE` of the light pixels
#: not touching the region's edge: a photo's highlights are blots, a banner's type mostly letters.
BANNER_LETTERS = 4
BANNER_LETTER_SHARE = 0.5
#: A letter's stroke (twice its largest distance to its edge) is at most this share of its height.
BANNER_STROKE = 0.5
#: More letter-like light components than this in one region are a texture, not a heading (and
#: their pairwise row test would cost their number squared in memory).
BANNER_MAX_LETTERS = 400


def light_type(gray: np.ndarray, box: Box, char_height: float) -> np.ndarray | None:
    """The mask of light type on a dark ground inside ``box`` of a page (dark ink on light,
    ``gray``), in the box's pixels, or None when the region holds none.

    A heading printed light on a coloured banner thresholds with the banner as one dark blob,
    which :func:`analyse_layout` sets aside as a picture, letters and all (omnidocbench dev:
    a textbook's "Warming Up", "Pre-reading"; FUNSD: a logo's "ORACLE", a table's reversed
    headers). Within the region the ground is the majority and the type the light minority:
    Otsu's threshold over the region alone parts them, and the light components are kept as
    text only when they are letters by size and stroke, in rows, and hold half the light there
    (see :data:`BANNER_LETTER_SHARE`).
    """
    x0, y0, x1, y1 = box
    region = gray[y0:y1, x0:x1]
    if region.size == 0 or min(region.shape) < 2 * char_height:
        return None
    ground = float(np.median(region))
    if ground > BANNER_GROUND:
        return None
    light = cv2.threshold(region, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1] > 0
    if not light.any() or float(np.mean(region[light])) - ground < BANNER_CONTRAST:
        return None
    n, labels, stats, _ = cv2.connectedComponentsWithStats(as_u8(light), connectivity=8)
    x, y, w, h, area = (stats[1:, k] for k in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH,
                                               cv2.CC_STAT_HEIGHT, cv2.CC_STAT_AREA))
    # The page's paper around a tilted or rounded banner touches the region's edge: not type.
    inner = (x > 0) & (y > 0) & (x + w < region.shape[1]) & (y + h < region.shape[0]) & (h >= 3)
    if np.count_nonzero(inner) < BANNER_LETTERS or area[inner].sum() > BANNER_LIGHT_SHARE * region.size:
        return None
    typical = typical_component_height(h[inner])
    # Letters are strokes: twice the largest distance to their edge is a fraction of their
    # height (a bold face's about a third); a photo's highlights are solid blots.
    stroke = np.zeros(n, np.float64)
    np.maximum.at(stroke, labels.ravel(), cv2.distanceTransform(as_u8(light), cv2.DIST_L2, 3).ravel())
    stroke = 2 * stroke[1:]
    # A banner's numeral or capital may stand up to three times its letters' height ("Unit 2").
    letter = (inner & (h >= 0.5 * typical) & (h <= 3 * typical) & (w <= 3 * typical)
              & (stroke <= BANNER_STROKE * h))
    shaped = np.flatnonzero(letter)
    if len(shaped) > BANNER_MAX_LETTERS:
        return None
    top, bottom, tall = y[shaped].astype(np.float64), (y + h)[shaped].astype(np.float64), h[shaped]
    overlap = np.minimum(bottom[:, None], bottom[None, :]) - np.maximum(top[:, None], top[None, :])
    in_row = overlap >= 0.5 * np.minimum(tall[:, None], tall[None, :])
    letter[shaped] = in_row.sum(axis=1) >= 2  # itself and one more
    if (np.count_nonzero(letter) < BANNER_LETTERS or typical < 0.6 * char_height
            or area[letter].sum() < BANNER_LETTER_SHARE * area[inner].sum()):
        return None
    # The dots, hyphens and stops among the letters go with them.
    lx0, ly0 = x[letter].min(), y[letter].min()
    lx1, ly1 = (x + w)[letter].max(), (y + h)[letter].max()
    cx, cy = x + w / 2, y + h / 2
    marks = inner & (h < 0.5 * typical) & (cx >= lx0) & (cx <= lx1) & (cy >= ly0) & (cy <= ly1)
    keep = np.concatenate([[False], letter | marks])
    log.info("layout: light type on a dark ground read in an image region at %s (%d letters)",
             box, int(np.count_nonzero(letter)))
    return keep[labels]
