"""Real cheque amounts (ORAND-CAR-A) as training material for the digit line model.

MNIST's writers are American students and census staff; cheque writers
draw other shapes (a "1" with a long up-stroke, open "4"s, linked trailing
zeros) and close the amount with dashes. Two kinds of material come from
the ``train`` half of ORAND-CAR-A (``training.datasets.ORAND_SPLITS``), so
the ``test`` half stays unseen:

- :func:`orand_glyphs`: each labelled digit cut out along its box (see
  :func:`read_cheque`), brought to MNIST's format, so :mod:`training.strings` composes new amounts from
  real cheque digits (new digit sequences, spacings and pens);
- :func:`orand_lines` and :func:`augmented_lines`: the whole amounts, as
  ``ocr read`` binarizes them, with random slant, rotation, width and pen,
  so the model also sees the real ligatures and closing marks.
"""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from ocr import charsets
from ocr.errors import DataError
from ocr.io import load
from ocr.normalize import LINE_HEIGHT, LINE_MIN_WIDTH, to_mnist
from ocr.preprocess import preprocess, stroke_width
from training.datasets import ORAND_FOLDER, Dataset, orand_car_a, orand_digit_boxes, orand_folder
from training.strings import line_image

log = logging.getLogger(__name__)


@dataclass
class Cheque:
    """One amount image as ``ocr read`` binarizes it, its digits cut along their boxes and
    its text with the separators the boxes leave out."""

    ink: np.ndarray                # binary, the input image's coordinates
    digits: list[np.ndarray]       # ink of each labelled digit
    labels: list[int]
    text: str                      # digits, and '.' for each separator found between them


def read_cheque(path, boxes: list[tuple[tuple[int, int, int, int], str]]) -> Cheque | None:
    """Binarize one cheque image and split its ink by the digit boxes (None when it is
    blank, was deskewed, so that the boxes no longer fit, or has no boxes).

    A box also holds pieces of its neighbours: a component is kept in a box
    when most of it lies inside, or when its part inside is a large share of
    the box's ink (touching digits). Small components between two digit
    boxes, low in the line, are the thousands separators ORAND's labels omit.
    """
    # ORAND's boxes are in the image's pixels: no enlarging of small text.
    pre = preprocess(load(str(path))[0].image, upscale_small_text=False)
    if pre.blank or pre.angle or not boxes:
        return None
    ink = pre.binary
    count, comp, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    areas = stats[:, cv2.CC_STAT_AREA]
    height = float(np.median([h for (_, _, _, h), _ in boxes]))
    owned = np.zeros(count, bool)
    digits, labels = [], []
    for (x, y, w, h), digit in boxes:
        x0, y0 = max(x, 0), max(y, 0)
        part = comp[y0:y + h, x0:x + w]
        inside = np.bincount(part.ravel(), minlength=count)
        inside[0] = 0
        if inside.sum() < 8:
            continue
        keep = (inside >= 0.5 * areas) | (inside >= 0.3 * inside.sum())
        keep[0] = False
        owned |= inside > 0
        digits.append(keep[part])
        labels.append(int(digit))
    if not digits:
        return None
    text = []
    bottoms = [y + h for (_, y, _, h), _ in boxes]
    for i, ((x, _, w, _), digit) in enumerate(boxes):
        text.append(digit)
        if i + 1 == len(boxes):
            break
        gap0, gap1 = x + w, boxes[i + 1][0][0]
        bottom = max(bottoms[i], bottoms[i + 1])
        for c in range(1, count):
            cx, cy, cw, ch = stats[c, :4]
            if owned[c] or ch > 0.45 * height or cw > 0.6 * height:
                continue
            if gap0 - 0.1 * height <= cx + cw / 2 <= gap1 + 0.1 * height and cy + ch >= bottom - 0.5 * height:
                text.append(".")
                owned[c] = True
                break
    return Cheque(ink, digits, labels, "".join(text))


def orand_cheques(split: str = "train", data_dir: str | os.PathLike | None = None) -> tuple[Cheque, ...]:
    """Every readable cheque of an ORAND-CAR-A split (see :func:`read_cheque`).

    Kept for the process, per folder and split: a digit-line training run
    needs the same cheques for their cut digits and for their whole amounts.
    """
    return _cheques(orand_folder(data_dir), split)


@functools.lru_cache(maxsize=2)
def _cheques(folder: Path, split: str) -> tuple[Cheque, ...]:
    boxes = orand_digit_boxes(folder.parent)
    cheques = []
    for path, truth in orand_car_a(folder.parent, split):
        cheque = read_cheque(path, boxes.get(path.name, []))
        # The boxes' digits must be the amount's, or the image is not used.
        if cheque is not None and "".join(map(str, cheque.labels)) == truth:
            cheques.append(cheque)
    if not cheques:
        raise DataError(f"{ORAND_FOLDER}:{split}: no usable cheque images")
    log.info("%d cheques from %s:%s", len(cheques), ORAND_FOLDER, split)
    return tuple(cheques)


def orand_glyphs(cheques: Sequence[Cheque]) -> Dataset:
    """The labelled digits of ``cheques`` as (N, 28, 28) MNIST-style images."""
    images = np.stack([to_mnist(d) for c in cheques for d in c.digits])
    labels = np.array([label for c in cheques for label in c.labels], np.int64)
    return Dataset(ORAND_FOLDER, "train", images, labels, charsets.DIGITS, [])


@dataclass
class InkLines:
    """Whole lines as ink masks with their text."""

    masks: list[np.ndarray]
    texts: list[str]


def orand_lines(cheques: Sequence[Cheque]) -> InkLines:
    """The whole amounts of ``cheques``, separators included in the text."""
    return InkLines([c.ink for c in cheques], [c.text for c in cheques])


def augment_line(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One random variant of a line's ink: slant, rotation, width and pen."""
    ink = mask.astype(np.uint8)
    h, w = ink.shape
    ink = cv2.resize(ink, (max(2, int(round(w * rng.uniform(0.85, 1.15)))), h), interpolation=cv2.INTER_NEAREST)
    pen = rng.random()
    if pen < 0.25 and stroke_width(ink > 0) >= 3.0:
        ink = cv2.erode(ink, np.ones((2, 2), np.uint8))
    elif pen > 0.8:
        ink = cv2.dilate(ink, np.ones((2, 2), np.uint8))
    pad = h // 2
    ink = np.pad(ink, ((pad, pad), (pad, pad)))
    shear, degrees = rng.uniform(-0.25, 0.25), rng.uniform(-3.0, 3.0)
    m = cv2.getRotationMatrix2D((ink.shape[1] / 2.0, ink.shape[0] / 2.0), degrees, 1.0)
    m[0, 1] -= shear
    m[0, 2] += shear * ink.shape[0] / 2.0
    return cv2.warpAffine(ink * 255, m, (ink.shape[1], ink.shape[0]), flags=cv2.INTER_LINEAR) > 127


def augmented_lines(lines: InkLines, n: int, rng: np.random.Generator, width: int = LINE_MIN_WIDTH,
                    max_length: int = 16) -> tuple[np.ndarray, list[str]]:
    """``n`` model inputs drawn from ``lines`` (each a random variant) and their texts."""
    if not lines.texts:
        raise DataError("no lines to draw from")
    x = np.zeros((n, LINE_HEIGHT, width), np.uint8)
    texts = []
    for i, k in enumerate(rng.integers(len(lines.texts), size=n)):
        x[i] = line_image(augment_line(lines.masks[k], rng), width)
        texts.append(lines.texts[k][:max_length])
    return x, texts
