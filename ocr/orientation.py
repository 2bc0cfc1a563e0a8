"""Page orientation: text turned by 90, 180 or 270 degrees, found from the ink alone.

A page fed sideways or upside down (a scanner's feeder, a phone photo, a
landscape table in a portrait PDF) reads as noise, and deskewing cannot help:
it looks for a few degrees, not a quarter turn. Two cues, both from the
geometry of Latin text, need no model and cost a few milliseconds on a page
scaled to a character height of about 12 pixels:

- **sideways or not**: the nearest neighbour of a character is, far more often
  than not, the next character of its word, beside it, not the line above;
- **upright or upside down**: letters reach above the x-height band
  (b d f h k l t, capitals, digits) far more often than below it
  (g j p q y): most text lines have more ink above the band than below.
  Rules are taken out first: a form's text sits on rules, which would count
  as ink below the band.

Pages with too little text for either cue (a field, a cheque, a few words)
and pages where the cue is weak (all capitals, tables of digits) are left as
they are: a wrong quarter turn costs the whole page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from ocr.ink import as_u8, find_rules, text_height

log = logging.getLogger(__name__)

#: Fewer text-size components than this: no decision (the page stays as it is).
MIN_COMPONENTS = 40
#: Share of nearest neighbours side by side above which text is horizontal
#: (and below 1 minus it, vertical).
SIDEWAYS_SHARE = 0.70
#: A line votes on up or down only when its ink outside the x-height band is at
#: least this share of the ink inside it (capitals and digits carry no cue).
MIN_OUTSIDE_SHARE = 0.10
#: ... and when one side has this many times the ink of the other.
LINE_SIDE_FACTOR = 2.0
#: Votes needed for a sense (at least MIN_VOTES, and MIN_VOTE_SHARE of the text
#: lines seen: a few labels in small capitals over rule stubs are not a page), and
#: the most the other sense may have as a share of them. On the dev pages of the
#: real sets (bench/orientation.py) these turn no upright page: a wrong half turn
#: costs the whole page, a missed one is no worse than before.
MIN_VOTES = 3
MIN_VOTE_SHARE = 0.25
MINORITY_SHARE = 0.30
#: Character height (pixels) the page is scaled to for the analysis.
WORK_HEIGHT = 12.0


@dataclass
class Orientation:
    """How the text lies: ``angle`` (0, 90, 180, 270), the counter-clockwise turn of the
    text on the page; what the two cues measured, for the log and for tuning."""

    angle: int
    side_share: float | None = None  # share of nearest neighbours side by side
    lines_up: int = 0                # lines reaching above the x-height band, in the frame tested
    lines_down: int = 0              # lines reaching below it


def _scaled(binary: np.ndarray, char_height: float) -> tuple[np.ndarray, float]:
    """The ink mask scaled to a character height of :data:`WORK_HEIGHT` (never up); (mask, height)."""
    scale = min(1.0, WORK_HEIGHT / max(char_height, 1.0))
    mask = np.ascontiguousarray(binary, dtype=np.uint8)
    if scale < 1.0:
        size = (max(1, int(mask.shape[1] * scale)), max(1, int(mask.shape[0] * scale)))
        mask = (cv2.resize(mask * 255, size, interpolation=cv2.INTER_AREA) > 80).astype(np.uint8)
    return mask, char_height * scale


def _centres(mask: np.ndarray, h: float) -> np.ndarray:
    """Centres of the character-size components: neither specks nor pictures, rules or words."""
    _, _, stats, centres = cv2.connectedComponentsWithStats(mask, connectivity=8)
    stats, centres = stats[1:], centres[1:]
    size = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    keep = (size >= 0.3 * h) & (size <= 2.5 * h) & (stats[:, cv2.CC_STAT_AREA] >= 3)
    return centres[keep]


def side_by_side_share(centres: np.ndarray, rng: np.random.Generator, sample: int = 600) -> float:
    """Share of components whose nearest neighbour lies more to the side than above or below."""
    pick = centres if len(centres) <= sample else centres[rng.choice(len(centres), sample, replace=False)]
    d = pick[:, None, :] - centres[None, :, :]
    dist = (d ** 2).sum(axis=2)
    dist[dist == 0] = np.inf  # the component itself
    nearest = d[np.arange(len(pick)), dist.argmin(axis=1)]
    return float(np.mean(np.abs(nearest[:, 0]) > np.abs(nearest[:, 1])))


def ascender_votes(binary: np.ndarray, h: float) -> tuple[int, int, int]:
    """(lines whose ink reaches above the x-height band, lines whose ink reaches below it,
    text lines seen).

    The band of a text line (a smeared run of several words) is where its row
    profile is at least half its peak. A line votes only when its ink outside
    the band is at least :data:`MIN_OUTSIDE_SHARE` of the ink inside (lines in
    capitals, digits and rules carry no cue) and one side has
    :data:`LINE_SIDE_FACTOR` times the other. Votes per line rather than ink
    pooled over the page: one shaded table row or a line of underlined
    capitals must not outweigh the rest.
    """
    # A form's text sits on rules: counted as ink below the band, they would make
    # an upright form look upside down.
    mask = (binary.astype(bool) & ~find_rules(binary.astype(bool), h)).astype(np.uint8)
    width = max(3, int(round(1.5 * h)))
    smeared = cv2.dilate(mask, np.ones((1, width), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(smeared, connectivity=8)
    up = down = lines = 0
    for i in range(1, n):
        x, y, w, hh = stats[i, :4]
        if w < 6 * h or not 0.7 * h <= hh <= 2.6 * h:  # a text line of several words
            continue
        lines += 1
        profile = (mask[y:y + hh, x:x + w] * (labels[y:y + hh, x:x + w] == i)).sum(axis=1).astype(np.float64)
        core = np.nonzero(profile >= 0.5 * profile.max())[0]
        top, bottom = core[0], core[-1]
        above, below = profile[:top].sum(), profile[bottom + 1:].sum()
        if above + below < MIN_OUTSIDE_SHARE * (profile[top:bottom + 1].sum() + 1.0):
            continue
        up += int(above > LINE_SIDE_FACTOR * below + 1.0)
        down += int(below > LINE_SIDE_FACTOR * above + 1.0)
    return up, down, lines


def detect_orientation(binary: np.ndarray, char_height: float, seed: int = 0) -> Orientation:
    """The counter-clockwise turn of the text on the page (0 when unsure); see the module."""
    small, h = _scaled(binary, char_height)
    centres = _centres(small, h)
    if len(centres) < MIN_COMPONENTS:
        return Orientation(0)
    share = side_by_side_share(centres, np.random.default_rng(seed))
    if share >= SIDEWAYS_SHARE:
        turn = 0
    elif share <= 1.0 - SIDEWAYS_SHARE:
        small, turn = np.ascontiguousarray(np.rot90(small, -1)), 90  # turned 90 one way or the other
        # The height measured on the sideways page was the characters' width.
        h = text_height(small) or h
    else:
        return Orientation(0, share)
    up, down, lines = ascender_votes(small, h)
    needed = max(MIN_VOTES, MIN_VOTE_SHARE * lines)
    if up >= needed and down <= MINORITY_SHARE * up:
        return Orientation(turn, share, up, down)
    if down >= needed and up <= MINORITY_SHARE * down:
        return Orientation((turn + 180) % 360, share, up, down)
    # No clear sense: leave the page alone. Sideways too: a quarter turn the wrong
    # way round reads no better than none.
    return Orientation(0, share, up, down)


#: A line image whose glyphs stand one below the other at least this many deep ...
MIN_STACKED = 3
#: ... holding at least this share of its ink, in a column this many times taller than wide,
#: may be a line printed sideways (a form's document number up its margin).
STACKED_INK_SHARE = 0.5
STACKED_ASPECT = 2.0
#: More components than this is no single line (the chain search is quadratic in them).
MAX_STACKED_COMPONENTS = 300


def runs_down(binary: np.ndarray) -> bool:
    """Whether a line image's glyphs stand one below the other (a line turned a quarter):
    the longest chain of components, each wholly below the last and overlapping its
    columns, is :data:`MIN_STACKED` deep or more, holds :data:`STACKED_INK_SHARE` of the ink,
    and its box is :data:`STACKED_ASPECT` times taller than wide. Which way it is turned
    the geometry of digits does not say; reading it both ways does."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(as_u8(binary), connectivity=8)
    boxes = stats[1:]
    boxes = boxes[boxes[:, cv2.CC_STAT_HEIGHT] >= 3]
    if not MIN_STACKED <= len(boxes) <= MAX_STACKED_COMPONENTS:
        return False
    boxes = boxes[np.argsort(boxes[:, cv2.CC_STAT_TOP])]
    x0, y0 = boxes[:, 0], boxes[:, 1]
    x1, y1 = x0 + boxes[:, 2], y0 + boxes[:, 3]
    depth = np.ones(len(boxes), int)        # the longest chain ending at each component ...
    below = np.full(len(boxes), -1)         # ... and the component it follows
    for i in range(len(boxes)):
        above = np.nonzero((y0[i] >= y1[:i] - 1) & (np.minimum(x1[i], x1[:i]) > np.maximum(x0[i], x0[:i])))[0]
        if len(above):
            j = above[np.argmax(depth[above])]
            depth[i], below[i] = depth[j] + 1, j
    if depth.max() < MIN_STACKED:
        return False
    best, i = [], int(np.argmax(depth))
    while i >= 0:
        best.append(i)
        i = int(below[i])
    ink = boxes[best, cv2.CC_STAT_AREA].sum()
    height = y1[best].max() - y0[best].min()
    width = x1[best].max() - x0[best].min()
    return bool(ink >= STACKED_INK_SHARE * boxes[:, cv2.CC_STAT_AREA].sum() and height >= STACKED_ASPECT * width)


#: A line printed sideways on a page is a column of glyphs on their side, one below the
#: other: its width (its glyphs' height) is at least this share of the page's text height
#: and at most :data:`SIDEWAYS_MAX_WIDTH` of it (a form's document number is set larger
#: than its text) ...
SIDEWAYS_MIN_WIDTH = 0.8
SIDEWAYS_MAX_WIDTH = 4.0
#: ... its glyphs at most this many text heights apart (letter spacing; faxed glyphs
#: break into pieces, bold ones touch) ...
SIDEWAYS_GAP = 0.9
#: ... in a column this many times taller than wide and this many text heights tall (four
#: characters or so), inked at most this densely (a bar) ...
SIDEWAYS_COLUMN_ASPECT = 3.0
SIDEWAYS_MIN_LENGTH = 3.0
SIDEWAYS_MAX_DENSITY = 0.75
#: ... with no more than this share of its ink again in other ink beside it, within
#: :data:`SIDEWAYS_REACH` of its width on either side (a letter of each line of a
#: paragraph is no such column; a table's rule beside a form's number is no text).
SIDEWAYS_CROWDING = 0.1
SIDEWAYS_REACH = 0.5
#: At most this many per page (each is read twice, a quarter turn each way).
MAX_SIDEWAYS_LINES = 6


def sideways_lines(binary: np.ndarray, char_height: float) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1) of the lines on a page printed a quarter turn from its text: a
    form's document number up its margin, a spine title, a rotated table heading.

    Each is a narrow column of ink whose glyphs join into one piece when grown down by
    their spacing, with little other ink beside it (the constants above). Upright text
    can pass (two letters of a typewritten paragraph, one above the other; a column of
    short numbers): the reader reads each both ways and keeps the turned reading only
    when it is surer than the same ink read as it lies. ``char_height`` is the page's
    text height.
    """
    ch = max(char_height, 4.0)
    ink = as_u8(binary)
    gap = max(3, int(round(SIDEWAYS_GAP * ch)))
    # Grown by the spacing (and a little sideways: round glyphs meet at other columns),
    # the glyphs of a column join into one piece; its box is then taken from its ink.
    grown = cv2.dilate(ink, np.ones((gap + 1, 3), np.uint8))
    _, labels, stats, _ = cv2.connectedComponentsWithStats(grown, connectivity=8)
    found: list[tuple[int, int, int, int]] = []
    for label, (x, y, w, h, _) in enumerate(stats[1:], start=1):
        if not (SIDEWAYS_MIN_WIDTH * ch <= w and h >= SIDEWAYS_COLUMN_ASPECT * SIDEWAYS_MIN_WIDTH * ch):
            continue
        rows, cols = np.nonzero((labels[y:y + h, x:x + w] == label) & (ink[y:y + h, x:x + w] > 0))
        x, y, w, h = x + int(cols.min()), y + int(rows.min()), int(np.ptp(cols)) + 1, int(np.ptp(rows)) + 1
        if not (SIDEWAYS_MIN_WIDTH * ch <= w <= SIDEWAYS_MAX_WIDTH * ch
                and h >= max(SIDEWAYS_COLUMN_ASPECT * w, SIDEWAYS_MIN_LENGTH * ch)):
            continue
        inside = len(rows)
        reach = int(np.ceil(SIDEWAYS_REACH * w))
        around = int(np.count_nonzero(binary[y:y + h, max(0, x - reach):x + w + reach]))
        if inside <= SIDEWAYS_MAX_DENSITY * w * h and around - inside <= SIDEWAYS_CROWDING * inside:
            found.append((x, y, x + w, y + h))
    # Each is read twice: on a page of many, the most drawn-out ones.
    found.sort(key=lambda b: (b[1] - b[3]) / (b[2] - b[0]))
    return found[:MAX_SIDEWAYS_LINES]


def turn_upright(image: np.ndarray, angle: int) -> np.ndarray:
    """The image turned so that text lying at ``angle`` (counter-clockwise) is upright."""
    return np.ascontiguousarray(np.rot90(image, -(angle // 90)))


def to_input_points(xy: np.ndarray, angle: int, input_shape: tuple[int, int]) -> np.ndarray:
    """Map (N, 2) points of the upright frame back to the input of :func:`turn_upright`.

    Continuous coordinates (a box's exclusive right and bottom edges map to edges).
    """
    h, w = input_shape[:2]
    x, y = xy[:, 0], xy[:, 1]
    if angle == 90:    # the input was turned clockwise: upright (x, y) was input (y, h - x)
        return np.stack([y, h - x], axis=1)
    if angle == 180:
        return np.stack([w - x, h - y], axis=1)
    if angle == 270:   # turned counter-clockwise
        return np.stack([w - y, x], axis=1)
    return xy
