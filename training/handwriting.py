"""Training lines for the handwriting line model, from real cursive line images.

Each line image is binarized as ``ocr read`` binarizes a page
(:func:`ocr.preprocess.preprocess`), so the model learns the ink masks it
will be given when reading. A few thousand real lines are too few to learn
a hand-independent reader from as they are, so every epoch draws new random
variants of every training line (:func:`augment_ink`): slant, rotation,
width, stroke thickness and small elastic warps, the ways one writer's
hand differs from another's. Lines are batched by similar width
(:class:`LineBatches`), so a batch pads little.
"""

from __future__ import annotations

import logging
import math
import os
from typing import Sequence

import cv2
import numpy as np

from ocr.deslant import upright
from ocr.errors import OcrError
from ocr.io import load
from ocr.normalize import LINE_MIN_WIDTH, LINE_STRIDE, to_line_input
from ocr.preprocess import preprocess
from training.datasets.handwriting import HandwrittenLine

log = logging.getLogger(__name__)

#: Batch widths are rounded up to this many columns, so training sees few distinct shapes.
WIDTH_QUANTUM = 64
#: Room a batch leaves for its lines' random variants (wider slant and width than the original).
AUGMENT_ROOM = 1.25


def line_ink(path: str | os.PathLike) -> np.ndarray:
    """The binary ink of one line image, as reading binarizes it (no deskew: one line)."""
    pre = preprocess(load(str(path))[0].image, deskew_pages=False)
    return pre.binary


def encodable(text: str, alphabet: str) -> str:
    """``text`` without the characters the model cannot write (they are dropped, and counted)."""
    return "".join(c for c in text if c in alphabet)


def augment_ink(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random variant of one line's ink mask: slant, rotation, width, stroke and elastic warp."""
    h, w = ink.shape
    img = ink.astype(np.uint8) * 255
    shear = rng.uniform(-0.35, 0.35)
    angle = math.radians(rng.uniform(-2.0, 2.0))
    sx = rng.uniform(0.8, 1.2)
    a = np.array([[sx * math.cos(angle), -math.sin(angle) + shear], [sx * math.sin(angle), math.cos(angle)]])
    corners = np.array([[0, 0], [w, 0], [0, h], [w, h]], np.float64) @ a.T
    lo, hi = corners.min(axis=0), corners.max(axis=0)
    matrix = np.hstack([a, -lo[:, None]])
    size = (int(math.ceil(hi[0] - lo[0])) + 1, int(math.ceil(hi[1] - lo[1])) + 1)
    img = cv2.warpAffine(img, matrix, size, flags=cv2.INTER_LINEAR, borderValue=0)
    if rng.random() < 0.5:  # elastic: smooth random displacements of a few pixels
        dx = cv2.GaussianBlur(rng.uniform(-1, 1, img.shape).astype(np.float32), (0, 0), 8) * 60
        dy = cv2.GaussianBlur(rng.uniform(-1, 1, img.shape).astype(np.float32), (0, 0), 8) * 60
        gy, gx = np.mgrid[:img.shape[0], :img.shape[1]].astype(np.float32)
        img = cv2.remap(img, gx + dx, gy + dy, cv2.INTER_LINEAR, borderValue=0)
    mask = img > 127
    stroke = rng.random()
    if stroke < 0.25:
        mask = cv2.dilate(mask.astype(np.uint8), np.ones((2, 2), np.uint8)).astype(bool)
    elif stroke < 0.4 and mask.sum() > 0:
        thinner = cv2.erode(mask.astype(np.uint8), np.ones((2, 2), np.uint8)).astype(bool)
        if thinner.sum() > 0.5 * mask.sum():  # a thin pen is not erased
            mask = thinner
    return mask


class LineBatches:
    """Batches of (line inputs, CTC targets) for ``keras.Model.fit``, drawn anew each epoch.

    Lines are shuffled, grouped by width into batches, and with ``augment`` each
    is a fresh random variant (:func:`augment_ink`) every time it is drawn.
    A ``keras.utils.PyDataset`` is built around it by :func:`as_dataset`.
    """

    def __init__(self, inks: Sequence[np.ndarray], targets: np.ndarray, height: int, batch_size: int,
                 augment: bool, seed: int = 0) -> None:
        self.inks = list(inks)
        self.targets = targets
        self.height = height
        self.batch_size = batch_size
        self.augment = augment
        self.rng = np.random.default_rng(seed)
        self.widths = np.array([self._width(ink) for ink in self.inks])
        self.order = self._plan()

    def _width(self, ink: np.ndarray) -> int:
        return to_line_input(ink, height=self.height).image.shape[1]

    def _plan(self) -> list[np.ndarray]:
        """Batches of similar widths: shuffle, sort within chunks of 8 batches, shuffle the batches."""
        order = self.rng.permutation(len(self.inks)) if self.augment else np.arange(len(self.inks))
        chunk = 8 * self.batch_size
        batches = []
        for start in range(0, len(order), chunk):
            part = order[start:start + chunk]
            part = part[np.argsort(self.widths[part], kind="stable")]
            batches.extend(part[k:k + self.batch_size] for k in range(0, len(part), self.batch_size))
        if self.augment:
            self.rng.shuffle(batches)
        # Keras (TensorFlow) fixes the input signature from the first two batches: they must
        # differ in width, or every later batch would have to be as wide as the first.
        first = self.batch_width(batches[0]) if batches else 0
        other = next((k for k in range(1, len(batches)) if self.batch_width(batches[k]) != first), None)
        if other is not None:
            batches[1], batches[other] = batches[other], batches[1]
        return batches

    def batch_width(self, rows: np.ndarray) -> int:
        """The padded width of a batch, fixed by its lines before their random variants are drawn."""
        width = max(self.widths[rows].max() * (AUGMENT_ROOM if self.augment else 1.0), LINE_MIN_WIDTH)
        return int(-(-width // WIDTH_QUANTUM) * WIDTH_QUANTUM)

    def __len__(self) -> int:
        return len(self.order)

    def batch(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        rows = self.order[index]
        width = self.batch_width(rows)
        x = np.zeros((len(rows), self.height, width), np.float32)
        for row, i in zip(x, rows):
            ink = augment_ink(self.inks[i], self.rng) if self.augment else self.inks[i]
            img = to_line_input(ink, height=self.height).image
            if img.shape[1] > width:  # a variant wider than the room left: narrowed to fit
                img = cv2.resize(img, (width, self.height), interpolation=cv2.INTER_AREA)
            row[:, :img.shape[1]] = img
        return x, self.targets[rows]

    def new_epoch(self) -> None:
        if self.augment:
            self.order = self._plan()


def as_dataset(batches: LineBatches):
    """A ``keras.utils.PyDataset`` over ``batches`` (imports Keras)."""
    import keras

    class _Dataset(keras.utils.PyDataset):
        def __init__(self) -> None:
            super().__init__(workers=1, use_multiprocessing=False)

        def __len__(self) -> int:
            return len(batches)

        def __getitem__(self, index: int):
            return batches.batch(index)

        def on_epoch_end(self) -> None:
            batches.new_epoch()

    return _Dataset()


def frames_needed(text: str) -> int:
    """The fewest CTC frames that can emit ``text`` (a blank between repeated characters)."""
    return len(text) + sum(a == b for a, b in zip(text, text[1:]))


def handwriting_arrays(lines: Sequence[HandwrittenLine], alphabet: str, height: int, deslant=None
                       ) -> tuple[list[np.ndarray], list[str]]:
    """Ink masks and encodable transcripts of ``lines``; lines too short for their text are left out.

    With ``deslant`` (the card's :class:`ocr.deslant.DeslantRule`) each ink is sheared by it,
    as reading will shear it, before anything else: the random variants of
    :func:`augment_ink` then vary around the deslanted line."""
    inks, texts, dropped = [], [], 0
    for line in lines:
        try:
            ink = line_ink(line.path)
        except OcrError as exc:  # a sliver of a crop (5 px wide) is no line to learn from
            log.warning("left out %s", exc)
            dropped += 1
            continue
        ink = upright(ink, deslant)
        text = encodable(line.text, alphabet)
        if not text or not ink.any():
            dropped += 1
            continue
        width = to_line_input(ink, height=height).image.shape[1]
        if frames_needed(text) > width // LINE_STRIDE:
            dropped += 1
            continue
        inks.append(ink)
        texts.append(text)
    if dropped:
        log.warning("left out %d of %d lines (blank, or more characters than the line has frames)",
                    dropped, len(lines))
    return inks, texts
