"""Glyph classification: a glyph model restricted to an output character set.

:class:`GlyphClassifier` turns batches of normalized 28x28 glyphs into
probabilities over the characters the caller allows, and answers the label
questions the segmentation search and post-processing ask (best non-mark
label, best letter, best digit, top-3). It holds no page logic.
"""

from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np

from ocr import charsets
from ocr.errors import OcrError

#: Marks whose identity is their size and position, not their shape: once
#: scaled to 20x20 a period and an 'o' look alike.
SMALL_MARKS = ".,'\"-·`"
#: Characters that a whitelist may read in place of a model class it excludes:
#: a digits-only field written with letter-like strokes, and the reverse.
LOOKALIKES = {
    "O": "0", "o": "0", "D": "0", "Q": "0", "I": "1", "l": "1", "i": "1", "|": "1",
    "Z": "2", "z": "2", "S": "5", "s": "5", "B": "8", "b": "6", "G": "6", "g": "9", "q": "9",
    "0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G", "9": "g",
}


class BatchModel(Protocol):
    """What a classifier needs of a model: its labels and a batched forward pass."""

    @property
    def labels(self) -> list[str]: ...

    def predict(self, batch: np.ndarray) -> np.ndarray: ...


def restriction_mapping(labels: Sequence[str], allowed: Sequence[str]) -> np.ndarray:
    """Map each model class to the whitelist: itself, its other case, or a lookalike; -1 drops it."""
    index = {c: i for i, c in enumerate(allowed)}
    out = np.full(len(labels), -1, dtype=np.int64)
    for i, label in enumerate(labels):
        for cand in (label, label.swapcase(), LOOKALIKES.get(label)):
            if cand is not None and cand in index:
                out[i] = index[cand]
                break
    return out


class GlyphClassifier:
    """A glyph model plus an output whitelist.

    ``charset`` restricts the output: model classes outside it are folded into
    an allowed character of the other case or a lookalike (so a charset of
    digits on a letters model still reads an 'O'-shaped zero) and dropped otherwise.
    """

    def __init__(self, model: BatchModel, charset: str | None = None, batch_size: int = 512) -> None:
        self.model = model
        self.labels: list[str] = list(model.labels)
        self.batch_size = batch_size
        if charset is not None:
            allowed = list(dict.fromkeys(charset.replace("\n", "")))
            if not allowed:
                raise OcrError("the character whitelist is empty")
            mapping = restriction_mapping(self.labels, allowed)
            # Lookalikes fold excluded classes into the whitelist (an O-shaped 0),
            # but a whitelist made only of lookalikes would read every glyph as
            # one of them (ABC on a digit model: "BBBB"): some character must be
            # a class of the model (in either case) or a mark decided by geometry.
            known = set(self.labels) | {c.swapcase() for c in self.labels} | set(SMALL_MARKS)
            if not set(allowed) & known:
                raise OcrError(f"the character whitelist {charset!r} shares no character with the "
                               f"model's classes ({''.join(self.labels)})")
            self.out_labels = allowed
            self.mapping = mapping
        else:
            self.out_labels = list(self.labels)
            self.mapping = np.arange(len(self.labels))
        self.index = {c: i for i, c in enumerate(self.out_labels)}
        self.is_mark = np.array([c in SMALL_MARKS for c in self.out_labels])
        self.is_letter = np.array([c.isalpha() for c in self.out_labels])
        self.is_digit = np.array([c.isdigit() for c in self.out_labels])
        self.digits_only = all(c.isdigit() or c in SMALL_MARKS for c in self.out_labels)

    def classify(self, glyphs: np.ndarray, renormalize: bool = True) -> np.ndarray:
        """Probabilities over ``out_labels`` for a (N, 28, 28) batch of normalized glyphs.

        With ``renormalize=False`` the rows keep only the probability mass the
        model gave to allowed characters: a piece that looks like an excluded
        letter scores low, which is what segmentation needs to know.
        """
        n = len(glyphs)
        if n == 0:
            return np.zeros((0, len(self.out_labels)))
        chunks = []
        for start in range(0, n, self.batch_size):
            batch = np.asarray(glyphs[start:start + self.batch_size], dtype=np.float32)
            chunks.append(np.asarray(self.model.predict(batch), dtype=np.float64))
        probs = np.concatenate(chunks)
        out = charsets.project_probabilities(probs, self.mapping, len(self.out_labels))
        if not renormalize:
            return out
        return renormalized(out)

    def top_k(self, row: np.ndarray, k: int = 3) -> list[tuple[str, float]]:
        order = np.argsort(-row, kind="stable")[:k]
        return [(self.out_labels[i], float(row[i])) for i in order]

    def best_of(self, row: np.ndarray, mask: np.ndarray) -> tuple[str, float] | None:
        """Best label among those ``mask`` selects (letters, digits), or None."""
        if not mask.any():
            return None
        i = int(np.argmax(np.where(mask, row, -1.0)))
        return self.out_labels[i], float(row[i])

    def non_mark_top(self, row: np.ndarray) -> tuple[str, float]:
        """Best label that is not a small mark (those are decided by geometry)."""
        masked = np.where(self.is_mark, -1.0, row)
        i = int(np.argmax(masked))
        if masked[i] < 0:
            i = int(np.argmax(row))
        return self.out_labels[i], float(row[i])

    def alternatives(self, row: np.ndarray) -> list[tuple[str, float]]:
        """Top-3 labels of a full-size glyph; small marks are excluded, being decided by size."""
        order = [i for i in np.argsort(-row, kind="stable")[:8] if not self.is_mark[i]][:3]
        return [(self.out_labels[i], float(row[i])) for i in order] or self.top_k(row, 3)


def renormalized(mass: np.ndarray) -> np.ndarray:
    """Rows scaled to sum to 1; a row with no mass becomes uniform."""
    total = mass.sum(axis=1, keepdims=True)
    return np.where(total > 0, mass / np.maximum(total, 1e-12), 1.0 / max(mass.shape[1], 1))
