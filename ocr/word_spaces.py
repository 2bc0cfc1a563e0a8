"""Word spaces for a line model that reads none: the gaps decide, and where a gap could be
either a letter's or a word's, a character n-gram that knows spaces decides with them.

A print line model that emits no spaces leaves the words to segmentation,
which splits a line at gaps wider than a threshold set from the line's own
gaps (:func:`ocr.segment.gap_scale`). Real print defeats any one threshold:
an old book's ``f`` overhangs the next word ("ofthe"), a monospaced URL's
periods and slashes stand a full cell apart ("http: / /www. rro. ch"), a
low-resolution newspaper sets its letters one pixel apart and its words two
("c onditions"). Tesseract settles such "fuzzy spaces" with its dictionary;
here a character n-gram counted with spaces scores the text read on both
sides of each unsure gap with and without a space, and that log-odds is
added to the gap's own evidence (its width on the line's scale, where 0 is
the letter spacing and 1 the threshold). A monospaced line is measured by
its glyphs' cells, not their ink (:func:`monospaced`).

Pure functions over placed characters and the line's glyphs; no model here.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ocr.lexicon import Lexicon, parted
from ocr.postprocess import RecognizedChar
from ocr.segment import Glyph, LineLayout, gap_scale, glyph_gaps

if TYPE_CHECKING:
    from ocr.language import CharNgram

#: Gaps narrower than this (on the line's scale: 0 letter spacing, 1 the word threshold) join
#: letters whatever the text; wider than :data:`SURE_SPACE` they part words whatever the text.
#: Chosen on the dev pages and forms (bench/RESULTS.md, real print session 28): from 0.3 to
#: 0.15 and 0, FUNSD dev word-box CER 23.08 -> 22.49 -> 22.03%, the dev pages' CER up by
#: 0.0-0.1 and 0.0-0.2 points (the forms' typewriters set words as close as letters); 3 for
#: SURE_SPACE lost on the forms.
UNSURE_FROM = 0.15
SURE_SPACE = 2.0
#: Log-odds of a space per unit of gap scale, against the language model's log-odds. Chosen on
#: the dev pages and FUNSD dev forms (bench/RESULTS.md, real print session 28): 4, 8 and 12
#: gave FUNSD dev F1 63.4, 63.7 and 63.8% (with a 5-gram), the dev pages alike; 2 was worse.
GAP_WEIGHT = 8.0
#: A letter moves across a word break (:func:`_best_break`) only to a word with
#: this many line heights of unclaimed ink at that end, and when the language model prefers
#: the moved reading by this many nats.
RECLAIM_INK = 0.25
RECLAIM_MARGIN = 3.0
#: A piece of ink no character went to, at least this share of the line's height tall, is part
#: of a letter (of the nearer word), not a speck in the gap.
LETTER_PIECE = 0.5
#: A gap at least this wide (0.8 of the word threshold) that the language model joined is parted
#: again when the join is no word and both halves are (:func:`ocr.lexicon.parted`). On oldbooks
#: dev pages the joins "charge lies", "greater number", "both in", "After dinner" were 1.2-1.4
#: wide, "of fondness", "of failure" and "patron saint" 0.8-0.9 (an f's hook reaches over the
#: space: at 1.0 they stayed "offondness"), while joins of a name's or a misread word's pieces
#: ("Arme man", "Ha mid", "Patriarch ate", "eon eluded") were at most 0.7.
LEXICON_SPACE = 0.8
#: Hyphen, en and em dash: spaced or not as the document sets them (see :func:`into_words`).
DASHES = frozenset("-\u2013\u2014")


#: A line is monospaced when at least this share of the distances between neighbouring glyphs'
#: centres lie within :data:`PITCH_TOLERANCE` of a whole number of pitches (the median
#: distance), on a line of :data:`PITCH_MIN_GLYPHS` glyphs or more, with at least
#: :data:`PITCH_NARROW` narrow glyphs (under :data:`NARROW_INK` of the pitch wide: a period, an
#: i, a slash) one pitch from both neighbours: only then does the pitch tell more than the ink.
PITCH_SHARE = 0.9
PITCH_TOLERANCE = 0.15
PITCH_MIN_GLYPHS = 8
PITCH_NARROW = 1
NARROW_INK = 0.45
#: A monospaced glyph is measured as this share of the pitch wide, centred on its ink.
CELL_INK = 0.7


def monospaced(glyphs: Sequence[Glyph]) -> Sequence[Glyph]:
    """The glyphs (left to right) of a monospaced line as cells of one width about their
    centres (see :data:`PITCH_SHARE`); any other line's as they are.

    Why: a typewriter's or a URL's period and slash stand in a cell as wide as an m, so the
    gaps on either side of them are as wide as the line's word spaces, and "http://www.rro.ch"
    was parted "http: / /www. rro. ch" (docbank dev page 247). Measured by their cells, its
    letters stand a fixed gap apart and its words that gap plus a pitch.
    """
    if len(glyphs) < PITCH_MIN_GLYPHS:
        return glyphs
    centres = np.array([(g.box[0] + g.box[2]) / 2.0 for g in glyphs])
    widths = np.array([g.box[2] - g.box[0] for g in glyphs], dtype=np.float64)
    steps = np.diff(centres)
    pitch = float(np.median(steps))
    if pitch <= 0:
        return glyphs
    pitches = np.round(steps / pitch)
    whole = (pitches >= 1) & (np.abs(steps / pitch - pitches) <= PITCH_TOLERANCE)
    one = whole & (pitches == 1)
    narrow = (widths[1:-1] < NARROW_INK * pitch) & one[:-1] & one[1:]
    if whole.mean() < PITCH_SHARE or narrow.sum() < PITCH_NARROW:
        return glyphs
    half = CELL_INK * pitch / 2.0
    return [Glyph((int(round(c - half)), g.box[1], int(round(c + half)), g.box[3]), g.parts)
            for c, g in zip(centres, glyphs)]


def cells_of(glyphs: Sequence[Glyph], line_height: float) -> tuple[np.ndarray, float, float]:
    """The line's glyphs (left to right) cut at every gap that might be a space: the columns
    (x0, x1) of each piece's ink (of its cells, on a :func:`monospaced` line) and the height
    of its tallest glyph, one row per piece, with the line's letter spacing and word
    threshold (:func:`ocr.segment.gap_scale`)."""
    if not glyphs:
        return np.zeros((0, 3)), 0.0, 1.0
    glyphs = monospaced(glyphs)
    gaps = glyph_gaps(list(glyphs))
    intra, threshold = gap_scale(gaps, line_height)
    unit = max(threshold - intra, 1.0)
    first = glyphs[0].box
    cells = [[first[0], first[2], first[3] - first[1]]]
    for gap, g in zip(gaps, glyphs[1:]):
        if (gap - intra) / unit >= UNSURE_FROM:
            cells.append([g.box[0], g.box[2], g.box[3] - g.box[1]])
        else:
            cells[-1][1] = max(cells[-1][1], g.box[2])
            cells[-1][2] = max(cells[-1][2], g.box[3] - g.box[1])
    return np.array(cells, dtype=np.float64), intra, threshold


def into_words(chars: list[RecognizedChar], line: LineLayout, language: "CharNgram | None" = None,
               lexicon: Lexicon | None = None) -> list[list[RecognizedChar]]:
    """The characters of one line (left to right, page boxes) grouped into words.

    Each character goes to the nearest cell of :func:`cells_of`; two
    neighbouring cells that received characters are one word or two by the
    gap between their ink (:func:`_ink_of_words`: a cell no character went to
    is a letter's piece or a speck in the gap), and, for a gap that could be either, by
    ``language`` (a character n-gram that counts spaces) weighing the text on
    both sides. With ``language``, a letter may also cross the break
    (:data:`RECLAIM_INK`). Without it the gap alone decides, at the word
    threshold segmentation uses. With ``lexicon``, a word the language model joined across a
    gap of :data:`LEXICON_SPACE` or wider is parted there when it is no word and both halves
    are (:func:`ocr.lexicon.parted`).
    """
    if not chars:
        return []
    glyphs = sorted(line.glyphs, key=lambda g: (g.box[0] + g.box[2]) / 2.0)
    spans, intra, threshold = cells_of(glyphs, line.height)
    if len(spans) <= 1:
        return [chars]
    members: list[list[RecognizedChar]] = [[] for _ in spans]
    for ch in chars:
        centre = (ch.box[0] + ch.box[2]) / 2
        distance = np.maximum(spans[:, 0] - centre, 0) + np.maximum(centre - spans[:, 1], 0)
        members[int(distance.argmin())].append(ch)
    filled = [k for k in range(len(spans)) if members[k]]
    reach = _ink_of_words(spans, members, filled, line.height)
    unit = max(threshold - intra, 1.0)
    words = [list(members[filled[0]])]
    ends = [float(reach[filled[0], 1])]  # the last word's ink end
    done = ""  # the text of the words before the last, each followed by a space
    wide_joins: list[list[int]] = [[]]  # per word, where the language model joined a wide gap
    for prev, k in zip(filled, filled[1:]):
        scale = (reach[k, 0] - reach[prev, 1] - intra) / unit
        a, b = words[-1], list(members[k])
        # Whether a dash is spaced is the typesetter's choice, not the language's: its gap decides.
        by_gap = language is None or a[-1].text in DASHES or b[0].text in DASHES
        if scale < UNSURE_FROM or (by_gap and scale < 1.0):
            choice = "join"
        elif by_gap:
            choice = "space"
        else:
            choice = _best_break(language, done, a, b, scale, line.height,
                                 unclaimed_start=b[0].box[0] - reach[k, 0], unclaimed_end=ends[-1] - a[-1].box[2])
        if choice == "join":
            if scale >= LEXICON_SPACE:
                wide_joins[-1].append(len(a))
            a.extend(b)
            ends[-1] = float(reach[k, 1])
            continue
        if choice == "right":
            b.insert(0, a.pop())
        elif choice == "left":
            a.append(b.pop(0))
        done += "".join(c.text for c in a) + " "
        words.append(b)
        wide_joins.append([])
        ends.append(float(reach[k, 1]))
    if lexicon is None:
        return words
    return [part for word, at in zip(words, wide_joins) for part in parted(word, at, lexicon)]


def _ink_of_words(spans: np.ndarray, members: list[list[RecognizedChar]], filled: list[int],
                  line_height: float) -> np.ndarray:
    """The columns (x0, x1) of each cell's ink, grown over the cells no character went to that
    are its letters' ink.

    An empty cell half under a character's box is that character's (a letter in two pieces,
    an "h" as stem and arch). One as tall as :data:`LETTER_PIECE` of the line is a letter's
    too, of the nearer neighbour: the model placed its letter on the other piece (an "n"
    broken into stem and arch, its box on the arch: "evaporatio n"). Any other is a speck no
    model read, part of the gap.
    """
    reach = spans[:, :2].copy()

    def grow(k: int, e: int) -> None:
        reach[k, 0], reach[k, 1] = min(reach[k, 0], spans[e, 0]), max(reach[k, 1], spans[e, 1])

    loose = []
    for e in (e for e, chars in enumerate(members) if not chars):
        x0, x1, height = spans[e]
        owner = next((k for k in filled
                      if any(min(ch.box[2], x1) - max(ch.box[0], x0) >= 0.5 * (x1 - x0) for ch in members[k])), None)
        if owner is not None:
            grow(owner, e)
        elif height >= LETTER_PIECE * line_height:
            loose.append(e)
    for e in loose:  # measured from the neighbours' ink as grown above
        i = bisect.bisect(filled, e)
        sides = ([(spans[e, 0] - reach[filled[i - 1], 1], filled[i - 1])] if i else []) + \
                ([(reach[filled[i], 0] - spans[e, 1], filled[i])] if i < len(filled) else [])
        grow(min(sides)[1], e)
    return reach


def _best_break(lm: "CharNgram", done: str, a: list[RecognizedChar], b: list[RecognizedChar], scale: float,
                line_height: float, unclaimed_start: float, unclaimed_end: float) -> str:
    """How the word ``a`` and the next cell's letters ``b`` part: "join", "space", or a space with
    ``a``'s last letter moved to ``b`` ("right") or ``b``'s first to ``a`` ("left").

    The same letters are scored under ``lm`` after ``done``, each way; a
    break gets the gap's own log-odds, ``GAP_WEIGHT * (scale - 1)``, and at
    :data:`SURE_SPACE` or wider cannot be joined. A letter moves only to a
    word with :data:`RECLAIM_INK` line heights of ink at that end that no
    character claims, and only when the moved reading wins by
    :data:`RECLAIM_MARGIN` nats: a line model fires a letter's frame where its
    context tells it, not always over its ink, and the "t" of "that they" can
    be fired over the first word's last "t" ("thatt hey").
    """
    a_text, b_text = "".join(c.text for c in a), "".join(c.text for c in b)
    prior = GAP_WEIGHT * (scale - 1.0)
    options = {"space": lm.text_logprob(a_text + " " + b_text, done) + prior}
    if scale < SURE_SPACE:
        options["join"] = lm.text_logprob(a_text + b_text, done)
    if len(a) >= 2 and unclaimed_start >= RECLAIM_INK * line_height:
        options["right"] = lm.text_logprob(a_text[:-1] + " " + a_text[-1] + b_text, done) + prior - RECLAIM_MARGIN
    if len(b) >= 2 and unclaimed_end >= RECLAIM_INK * line_height:
        options["left"] = lm.text_logprob(a_text + b_text[0] + " " + b_text[1:], done) + prior - RECLAIM_MARGIN
    return max(options, key=options.__getitem__)
