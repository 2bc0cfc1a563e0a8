"""Deslanting: shearing a cursive line's ink, or a print line's italic runs, upright before a
line model reads it.

Hands lean, most of them to the right, and each by its own amount; a line
model trained on a few hundred writers has seen only some of those slants.
Shearing each line's ink so that its strokes stand near upright takes one
way writers differ out of what the model must read through: on the
Testaments de Poilus validation writers it lowered ``handline``'s CER by
about a point (bench/RESULTS.md, handwriting sessions 14 and 15).

The shear moves whole rows, each by a whole number of columns
(``x' = x + round(shear * (y - centre)) + offset``), so it needs no
resampling, loses no ink, and is undone exactly row by row
(:meth:`Sheared.to_source_x`). Print is upright but for its italics, set
inside roman lines: :func:`italic_upright` shears only the runs of italic
words, each by its own slant (:class:`ShearedRuns`). A line model's card asks
for either with ``input.deslant`` (:class:`DeslantRule`); models without it
read as before.

Pure numpy: no Keras, no OpenCV needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Shears the slant estimate tries: -1.5 (leaning left by 56 degrees) to 1.5 by 0.05.
ESTIMATE_SHEARS = np.round(np.arange(-1.5, 1.5 + 1e-9, 0.05), 2)


def row_shifts(height: int, shear: float) -> tuple[np.ndarray, int]:
    """Columns each of ``height`` rows moves under ``shear`` (all >= 0), and the middle row's shift.

    Row ``y`` moves by ``round(shear * (y - centre)) + offset``; ``offset``
    (the middle row's shift) keeps every row inside the sheared image.
    """
    centre = (height - 1) / 2.0
    raw = np.round(shear * (np.arange(height) - centre)).astype(np.int64)
    offset = int(-raw.min()) if height else 0
    return raw + offset, offset


@dataclass(frozen=True)
class Sheared:
    """A sheared ink mask and how to map its columns back to the source mask."""

    mask: np.ndarray      # (rows, source width + extra) bool
    shear: float          # x' = x + shear * (y - centre row), rounded per row
    offset: int           # columns the middle row moved: source x = x' - offset there
    shifts: np.ndarray    # columns each row moved (source x = x' - shifts[y])

    def to_source_x(self, x: float | np.ndarray, y: float | np.ndarray | None = None):
        """Source column of sheared column ``x`` at row ``y`` (default: the middle row)."""
        if y is None:
            return x - self.offset
        rows = np.clip(np.round(np.asarray(y)).astype(np.int64), 0, len(self.shifts) - 1)
        return x - self.shifts[rows]

    def source_box(self, x0: int, x1: int) -> tuple[int, int, int, int] | None:
        """The source box (x0, y0, x1, y1) of the ink in sheared columns ``[x0, x1)``, or None."""
        ys, xs = np.nonzero(self.mask[:, max(x0, 0):max(x1, 0)])
        if len(xs) == 0:
            return None
        src = xs + max(x0, 0) - self.shifts[ys]
        return int(src.min()), int(ys.min()), int(src.max()) + 1, int(ys.max()) + 1


def shear_mask(mask: np.ndarray, shear: float) -> Sheared:
    """Shear an ink mask by whole-column row shifts (positive ``shear`` uprights a right-leaning hand)."""
    mask = np.asarray(mask) > 0
    h, w = mask.shape
    shifts, offset = row_shifts(h, shear)
    width = w + (int(shifts.max()) if h else 0)
    out = np.zeros((h, width), bool)
    ys, xs = np.nonzero(mask)
    out[ys, xs + shifts[ys]] = True
    return Sheared(out, float(shear), offset, shifts)


def upright_scores(mask: np.ndarray, shears: np.ndarray) -> np.ndarray:
    """How upright each shear stands a line's strokes (Vinciarelli and Luettin, 2001).

    For each shear, the columns of the sheared ink that hold one unbroken
    vertical run (a stroke seen end to end) add their length squared.
    """
    mask = np.asarray(mask) > 0
    ys, xs = np.nonzero(mask)  # row-major: sorted by row
    scores = np.zeros(len(shears))
    h = mask.shape[0]
    for k, shear in enumerate(np.asarray(shears, dtype=np.float64)):
        shifts, _ = row_shifts(h, float(shear))
        cols = xs + shifts[ys]
        order = np.argsort(cols, kind="stable")  # rows stay ascending within a column
        c, y = cols[order], ys[order]
        starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
        ends = np.r_[starts[1:], len(c)] - 1
        counts = ends - starts + 1
        continuous = counts == y[ends] - y[starts] + 1
        scores[k] = float(np.sum(counts[continuous].astype(np.float64) ** 2))
    return scores


def estimate_slant(mask: np.ndarray, shears: np.ndarray = ESTIMATE_SHEARS) -> float:
    """The shear that makes a line's strokes most upright (:func:`upright_scores`), ties
    going to the smaller shear. On cursive it overshoots what looks upright by about two
    (session 14), which is why :class:`DeslantRule` scales it. 0.0 for no ink.
    """
    if not np.any(mask):
        return 0.0
    tried = np.asarray(sorted(np.asarray(shears, dtype=np.float64), key=abs))
    return float(tried[int(np.argmax(upright_scores(mask, tried)))])


@dataclass(frozen=True)
class ShearedRuns:
    """A print line's ink with its italic runs sheared upright, each run by its own shear.

    ``table[y, x']`` is how many columns ink at sheared column ``x'`` of row
    ``y`` moved (source x = x' - table[y, x']); roman stretches only move
    right by what the runs before them grew.
    """

    mask: np.ndarray   # (rows, source width + extra) bool
    table: np.ndarray  # (rows, sheared width) int

    def to_source_x(self, x: float | np.ndarray, y: float | np.ndarray | None = None):
        """Source column of sheared column ``x`` at row ``y`` (default: the middle row)."""
        rows, width = self.table.shape
        col = np.clip(np.round(np.asarray(x)).astype(np.int64), 0, width - 1)
        row = rows // 2 if y is None else np.clip(np.round(np.asarray(y)).astype(np.int64), 0, rows - 1)
        return x - self.table[row, col]

    def source_box(self, x0: int, x1: int) -> tuple[int, int, int, int] | None:
        """The source box (x0, y0, x1, y1) of the ink in sheared columns ``[x0, x1)``, or None."""
        x0, x1 = max(x0, 0), max(x1, 0)
        ys, xs = np.nonzero(self.mask[:, x0:x1])
        if len(xs) == 0:
            return None
        src = xs + x0 - self.table[ys, xs + x0]
        return int(src.min()), int(ys.min()), int(src.max()) + 1, int(ys.max()) + 1


#: Shears an italic piece is tried at: upright to 1.2 (50 degrees), right-leaning only.
ITALIC_SHEARS = np.round(np.arange(0.0, 1.2 + 1e-9, 0.05), 2)
#: Word gaps that part a line into pieces, in text heights.
ITALIC_GAP = 0.25
#: Pieces narrower than this (text heights) are too short to judge alone.
ITALIC_MIN_WIDTH = 1.0
#: A piece is italic when its strokes stand most upright sheared by 0.35 to 0.8 (print
#: italics lean 10 to 20 degrees, and the estimate runs above the lean: 0.45-0.5 for an
#: 1896 book's italic) and that shear scores 1.5 times upright; sloped digits and a lone
#: Z or V score so too, hence runs.
ITALIC_SLANT = (0.35, 0.8)
ITALIC_GAIN = 1.5
#: A run needs this many italic pieces in a row whose slants differ by at most ITALIC_SPREAD.
ITALIC_RUN = 3
ITALIC_SPREAD = 0.2
#: A piece leaning at least this little, scoring this much, joins a run beside it
#: (a capital A or a y tilts the estimate of a word like "Assyria").
ITALIC_WEAK_SLANT, ITALIC_WEAK_GAIN = 0.2, 1.15


def _piece_slants(mask: np.ndarray, starts: np.ndarray, ends: np.ndarray, height: float) -> list[float | None]:
    """Each piece's slant when it reads as italic, minus it when only weakly so, 0.0 when
    roman and None when too short to judge."""
    out: list[float | None] = []
    for a, b in zip(starts, ends):
        if b - a < ITALIC_MIN_WIDTH * height:
            out.append(None)
            continue
        scores = upright_scores(mask[:, a:b], ITALIC_SHEARS)
        best = int(np.argmax(scores))
        slant, gain = float(ITALIC_SHEARS[best]), scores[best] / max(scores[0], 1.0)
        if ITALIC_SLANT[0] <= slant <= ITALIC_SLANT[1] and gain >= ITALIC_GAIN:
            out.append(slant)
        elif ITALIC_WEAK_SLANT <= slant <= ITALIC_SLANT[1] and gain >= ITALIC_WEAK_GAIN:
            out.append(-slant)
        else:
            out.append(0.0)
    return out


def _italic_runs(slants: list[float | None]) -> list[tuple[int, int, float]]:
    """(first, last, slant) of each run of italic pieces: at least ITALIC_RUN of them in a
    row (short pieces between them go with them), grown by the weak ones at its ends."""
    runs = []
    k = 0
    while k < len(slants):
        if not slants[k] or slants[k] < 0:
            k += 1
            continue
        members, j = [k], k + 1
        while j < len(slants) and (slants[j] is None or slants[j] > 0):
            if slants[j] is not None:
                seen = [slants[i] for i in members if slants[i]] + [slants[j]]
                if max(seen) - min(seen) > ITALIC_SPREAD:
                    break
            members.append(j)
            j += 1
        while slants[members[-1]] is None:
            members.pop()
        italic = [slants[i] for i in members if slants[i]]
        if len(italic) < ITALIC_RUN:
            k = members[-1] + 1
            continue
        first, last = members[0], members[-1]
        for step in (-1, 1):
            i = (first if step < 0 else last) + step
            while 0 <= i < len(slants) and (slants[i] is None or slants[i] < 0):
                if slants[i] is not None:
                    first, last = (i, last) if step < 0 else (first, i)
                i += step
        runs.append((first, last, float(np.median(italic))))
        k = last + 1
    return runs


def italic_upright(mask: np.ndarray, height: float, factor: float) -> ShearedRuns | None:
    """A print line's italic runs sheared upright by ``factor`` times their slant, or None
    when the line has none.

    The print model learnt italics from a few modern faces; an old book's
    italic leans further and reads as noise ("twill periodically make nowz
    Zhe steps"). Stood upright it reads as the roman it resembles. The line
    is parted at word gaps; a piece is italic by :func:`upright_scores`; only
    runs of italic pieces are sheared, so roman words beside them stay as
    they are. ``height`` is the line's text height (cap or ascender).
    """
    mask = np.asarray(mask) > 0
    rows, width = mask.shape
    ink_columns = np.flatnonzero(mask.any(axis=0))
    if len(ink_columns) == 0 or height <= 0:
        return None
    breaks = np.flatnonzero(np.diff(ink_columns) > max(2.0, ITALIC_GAP * height))
    starts = np.r_[ink_columns[0], ink_columns[breaks + 1]]
    ends = np.r_[ink_columns[breaks] + 1, ink_columns[-1] + 1]
    runs = _italic_runs(_piece_slants(mask, starts, ends, height))
    if not runs:
        return None
    shifts = [row_shifts(rows, factor * slant)[0] for _, _, slant in runs]
    grown = sum(int(s.max()) for s in shifts)
    out = np.zeros((rows, width + grown), bool)
    table = np.zeros((rows, width + grown), np.int64)
    moved, source_x = 0, 0  # columns grown so far; first source column not yet placed
    for (first, last, _), shift in zip(runs, shifts):
        a, b = int(starts[first]), int(ends[last])
        # Roman ink before the run moves right by what earlier runs grew.
        ys, xs = np.nonzero(mask[:, source_x:a])
        out[ys, xs + source_x + moved] = True
        table[:, source_x + moved:a + moved] = moved
        ys, xs = np.nonzero(mask[:, a:b])
        out[ys, xs + a + moved + shift[ys]] = True
        span = b - a + int(shift.max())
        table[:, a + moved:a + moved + span] = (moved + shift)[:, None]
        moved += int(shift.max())
        source_x = b
    ys, xs = np.nonzero(mask[:, source_x:])
    out[ys, xs + source_x + moved] = True
    table[:, source_x + moved:] = moved
    return ShearedRuns(out, table)


#: Largest fixed shear or estimate factor a card may ask for.
MAX_SHEAR = 3.0


@dataclass(frozen=True)
class DeslantRule:
    """How much to shear each line: a fixed ``shear``, ``factor`` x :func:`estimate_slant`,
    or only a print line's italic runs, each by ``italic_factor`` x its slant (:func:`italic_upright`).

    Stored in a line model's card as ``input.deslant``: ``{"shear": 0.5}``,
    ``{"estimate_factor": 0.35}`` or ``{"italic_factor": 0.5}``.
    """

    shear: float | None = None
    estimate_factor: float | None = None
    italic_factor: float | None = None

    KEYS = ("shear", "estimate_factor", "italic_factor")

    @classmethod
    def from_card(cls, value: Any) -> "DeslantRule | None":
        """The rule in a card's ``input.deslant`` (None: no deslanting); ValueError when malformed."""
        if value is None:
            return None
        if not isinstance(value, dict) or len(value) != 1 or not set(value) <= set(cls.KEYS):
            raise ValueError("'input.deslant' must be {\"shear\": number}, {\"estimate_factor\": number} "
                             "or {\"italic_factor\": number}")
        (key, number), = value.items()
        if isinstance(number, bool) or not isinstance(number, (int, float)) or \
                not np.isfinite(number) or abs(number) > MAX_SHEAR:
            raise ValueError(f"'input.deslant.{key}' must be a number between -{MAX_SHEAR} and {MAX_SHEAR}")
        return cls(**{key: float(number)})

    @classmethod
    def parse(cls, text: str) -> "DeslantRule | None":
        """A rule given on a command line: the card's JSON form, or ``none``; ValueError otherwise."""
        if text.strip().lower() == "none":
            return None
        try:
            value = json.loads(text)
        except ValueError:
            raise ValueError("not JSON; give '{\"estimate_factor\": 0.3}', '{\"shear\": 0.5}' or none") from None
        return cls.from_card(value)

    def to_card(self) -> dict[str, float]:
        return next({key: getattr(self, key)} for key in self.KEYS if getattr(self, key) is not None)

    def shear_for(self, mask: np.ndarray) -> float:
        """The shear a whole-line rule gives one line's ink mask (an italic rule shears runs, not lines)."""
        if self.shear is not None:
            return self.shear
        if self.estimate_factor is None:
            raise ValueError("an italic_factor rule shears a line's italic runs, not the whole line")
        return round(float(self.estimate_factor) * estimate_slant(mask), 4)

    def apply(self, mask: np.ndarray, height: float | None = None) -> "Sheared | ShearedRuns | None":
        """One line's ink mask sheared by this rule; None when an italic rule finds no italic.
        ``height``: the line's text height (italic rule only; estimated from the ink without it)."""
        if self.italic_factor is not None:
            return italic_upright(mask, text_height(mask) if height is None else height, self.italic_factor)
        return shear_mask(mask, self.shear_for(mask))


def text_height(mask: np.ndarray) -> float:
    """A line's text height (cap or ascender) guessed from its ink alone: 0.7 of the rows
    it spans, ascenders to descenders, when nothing better is known."""
    rows = np.flatnonzero(np.asarray(mask).any(axis=1))
    return 0.7 * float(rows[-1] - rows[0] + 1) if len(rows) else 0.0


def upright(mask: np.ndarray, rule: DeslantRule | None, height: float | None = None) -> np.ndarray:
    """``mask`` sheared by ``rule`` (a card's ``input.deslant``), or as it is without one:
    what every reader and trainer of a line model does to a line's ink first. ``height``: the
    line's text height when known (an italic rule's word gaps are measured in it)."""
    sheared = None if rule is None else rule.apply(mask, height)
    return mask if sheared is None else sheared.mask
