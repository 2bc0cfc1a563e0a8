"""Deslanting: shearing a cursive line's ink upright before a line model reads it.

Hands lean, most of them to the right, and each by its own amount; a line
model trained on a few hundred writers has seen only some of those slants.
Shearing each line's ink so that its strokes stand near upright takes one
way writers differ out of what the model must read through: on the
Testaments de Poilus validation writers it lowered ``handline``'s CER by
about a point (bench/RESULTS.md, handwriting sessions 14 and 15).

The shear moves whole rows, each by a whole number of columns
(``x' = x + round(shear * (y - centre)) + offset``), so it needs no
resampling, loses no ink, and is undone exactly row by row
(:meth:`Sheared.to_source_x`). A line model's card asks for it with
``input.deslant`` (:class:`DeslantRule`); models without it read as before.

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


def estimate_slant(mask: np.ndarray, shears: np.ndarray = ESTIMATE_SHEARS) -> float:
    """The shear that makes a line's strokes most upright (Vinciarelli and Luettin, 2001).

    For each candidate shear, the columns of the sheared ink that hold one
    unbroken vertical run (a stroke seen end to end) add their length
    squared; the shear with the largest sum wins, ties going to the smaller
    shear. On cursive it overshoots what looks upright by about two
    (session 14), which is why :class:`DeslantRule` scales it. 0.0 for no ink.
    """
    mask = np.asarray(mask) > 0
    ys, xs = np.nonzero(mask)  # row-major: sorted by row
    if len(xs) == 0:
        return 0.0
    h = mask.shape[0]
    best, best_score = 0.0, -1.0
    for shear in sorted(np.asarray(shears, dtype=np.float64), key=abs):
        shifts, _ = row_shifts(h, float(shear))
        cols = xs + shifts[ys]
        order = np.argsort(cols, kind="stable")  # rows stay ascending within a column
        c, y = cols[order], ys[order]
        starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
        ends = np.r_[starts[1:], len(c)] - 1
        counts = ends - starts + 1
        continuous = counts == y[ends] - y[starts] + 1
        score = float(np.sum(counts[continuous].astype(np.float64) ** 2))
        if score > best_score:
            best, best_score = float(shear), score
    return best


#: Largest fixed shear or estimate factor a card may ask for.
MAX_SHEAR = 3.0


@dataclass(frozen=True)
class DeslantRule:
    """How much to shear each line: a fixed ``shear``, or ``factor`` x :func:`estimate_slant`.

    Stored in a line model's card as ``input.deslant``: ``{"shear": 0.5}`` or
    ``{"estimate_factor": 0.35}``.
    """

    shear: float | None = None
    estimate_factor: float | None = None

    @classmethod
    def from_card(cls, value: Any) -> "DeslantRule | None":
        """The rule in a card's ``input.deslant`` (None: no deslanting); ValueError when malformed."""
        if value is None:
            return None
        if not isinstance(value, dict) or len(value) != 1 or \
                not set(value) <= {"shear", "estimate_factor"}:
            raise ValueError("'input.deslant' must be {\"shear\": number} or {\"estimate_factor\": number}")
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
        return {"shear": self.shear} if self.shear is not None else {"estimate_factor": self.estimate_factor}

    def shear_for(self, mask: np.ndarray) -> float:
        """The shear this rule gives one line's ink mask."""
        if self.shear is not None:
            return self.shear
        return round(float(self.estimate_factor) * estimate_slant(mask), 4)

    def apply(self, mask: np.ndarray) -> Sheared:
        """One line's ink mask sheared by this rule."""
        return shear_mask(mask, self.shear_for(mask))


def upright(mask: np.ndarray, rule: DeslantRule | None) -> np.ndarray:
    """``mask`` sheared by ``rule`` (a card's ``input.deslant``), or as it is without one:
    what every reader and trainer of a line model does to a line's ink first."""
    return mask if rule is None else rule.apply(mask).mask
