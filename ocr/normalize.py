"""Glyph normalization to the models' input format, and glyph geometry features.

Pure functions on numpy arrays (numpy and OpenCV only). The models were
trained on MNIST-style glyphs: white ink on black, 0..255, the glyph fitted
into a 20x20 box keeping its aspect ratio and centred by its centre of mass
in a 28x28 image. Normalizing throws away size and position, so those are
kept separately as features relative to the line (baseline, x-height).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

SIZE = 28
BOX = 20
#: Stroke width of the training glyphs, in pixels of the 20x20 box: MNIST and
#: EMNIST pen strokes are 2 to 3 pixels wide.
TARGET_STROKE = 2.0
#: A glyph whose longer side exceeds this is scaled down to it before
#: normalization (far larger than any character of a 600 dpi page).
MAX_GLYPH_SIDE = 512


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of an ink mask: 2 x area / perimeter.

    For a stroke of width s and length L, area = s L and perimeter ~ 2 L.
    """
    m = mask.astype(np.uint8)
    area = float(m.sum())
    if area == 0:
        return 0.0
    contours, _ = cv2.findContours(m, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(c, True) for c in contours)
    return 2.0 * area / max(perimeter, 1.0)


def crop_to_ink(image: np.ndarray) -> np.ndarray:
    """Crop to the bounding box of non-zero pixels (empty input stays empty)."""
    ys, xs = np.nonzero(image)
    if len(xs) == 0:
        return image[:0, :0]
    return image[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def center_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) centre of mass of a non-negative image."""
    total = float(image.sum())
    if total == 0:
        return (image.shape[0] - 1) / 2.0, (image.shape[1] - 1) / 2.0
    rows = np.arange(image.shape[0], dtype=np.float64)
    cols = np.arange(image.shape[1], dtype=np.float64)
    return float(rows @ image.sum(axis=1)) / total, float(cols @ image.sum(axis=0)) / total


def to_mnist(mask: np.ndarray, normalize_stroke: bool = True) -> np.ndarray:
    """Bring one glyph (ink mask or white-on-black intensities) to the 28x28 model input.

    The glyph is cropped, its strokes thickened when they would end up thinner
    than the training data's, scaled so its longer side is 20 pixels (aspect
    kept, area interpolation for MNIST-like anti-aliasing) and pasted so its
    centre of mass is at the image centre. Returns uint8, white on black.
    """
    img = crop_to_ink(np.asarray(mask))
    out = np.zeros((SIZE, SIZE), dtype=np.uint8)
    if img.size == 0:
        return out
    ink = img.astype(np.float32)
    if img.dtype == bool or ink.max() <= 1.0:
        ink = ink * 255.0
    h, w = ink.shape
    if max(h, w) > MAX_GLYPH_SIDE:
        # Ends up in a 20x20 box anyway; a huge "glyph" (a textured band, a
        # checkerboard) would otherwise cost millions of contours below.
        f = MAX_GLYPH_SIDE / max(h, w)
        ink = cv2.resize(ink, (max(1, int(round(w * f))), max(1, int(round(h * f)))),
                         interpolation=cv2.INTER_AREA)
        h, w = ink.shape
    scale = BOX / max(h, w)
    if normalize_stroke:
        target = TARGET_STROKE / scale
        s = stroke_width(ink > 127)
        grow = int(round(target - s))
        if grow >= 1:
            k = min(grow, max(1, int(0.25 * max(h, w)))) + 1
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
            pad = k
            ink = cv2.dilate(np.pad(ink, pad), kernel)
            ink = crop_to_ink(ink)
            h, w = ink.shape
            scale = BOX / max(h, w)
    nw, nh = max(1, int(round(w * scale))), max(1, int(round(h * scale)))
    small = cv2.resize(ink, (nw, nh), interpolation=cv2.INTER_AREA)
    cy, cx = center_of_mass(small)
    # Top-left corner that puts the centre of mass at (14, 14), kept inside the image.
    top = min(max(int(round(SIZE / 2.0 - cy - 0.5)), 0), SIZE - nh)
    left = min(max(int(round(SIZE / 2.0 - cx - 0.5)), 0), SIZE - nw)
    out[top:top + nh, left:left + nw] = np.minimum(small, 255).astype(np.uint8)
    return out


def to_mnist_batch(masks: Sequence[np.ndarray]) -> np.ndarray:
    """Normalize many glyphs into one (N, 28, 28) uint8 batch."""
    batch = np.zeros((len(masks), SIZE, SIZE), dtype=np.uint8)
    for i, m in enumerate(masks):
        batch[i] = to_mnist(m)
    return batch


@dataclass(frozen=True)
class LineMetrics:
    """Vertical metrics of a text line, in page pixels."""

    baseline: float
    cap_height: float          # baseline to the top of capitals, digits and ascenders
    x_height: float | None     # baseline to the top of short lowercase letters, if seen


def line_metrics(boxes: Sequence[Sequence[int]]) -> LineMetrics:
    """Estimate baseline, cap height and x-height from the glyph boxes of one line.

    Most glyphs sit on the baseline, so the median bottom of the larger glyphs
    is the baseline. Heights above it split into short lowercase letters and
    tall ones; x-height is only reported when both are present.
    """
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if len(b) == 0:
        return LineMetrics(0.0, 1.0, None)
    heights = b[:, 3] - b[:, 1]
    big = b[heights >= 0.4 * heights.max()]
    baseline = float(np.median(big[:, 3]))
    above = baseline - big[:, 1]
    cap = float(np.percentile(above, 90))
    cap = max(cap, 1.0)
    short = above[(above >= 0.4 * cap) & (above <= 0.78 * cap)]
    tall = above[above > 0.78 * cap]
    x_height = float(np.median(short)) if len(short) and len(tall) else None
    return LineMetrics(baseline, cap, x_height)


@dataclass(frozen=True)
class Geometry:
    """Size and position of a glyph relative to its line, in cap heights."""

    height: float   # glyph height
    width: float    # glyph width
    top: float      # top above the baseline (1.0 = at cap height)
    bottom: float   # bottom above the baseline (negative = descends below it)

    @property
    def is_small_mark(self) -> bool:
        """Dots, commas, quotes, hyphens: much smaller than a letter both ways."""
        small = self.height < 0.4 and self.width < 0.55 and max(self.height, self.width) < 0.45
        flat = self.height < 0.25 and self.width < 0.9          # hyphen, dash
        low = self.top < 0.5 and self.height < 0.6 and self.width < 0.45  # comma, period
        return small or flat or low


def glyph_geometry(box: Sequence[int], metrics: LineMetrics) -> Geometry:
    """Geometry features of a glyph box on a line with ``metrics``."""
    x0, y0, x1, y1 = box
    cap = max(metrics.cap_height, 1.0)
    return Geometry(height=(y1 - y0) / cap, width=(x1 - x0) / cap,
                    top=(metrics.baseline - y0) / cap, bottom=(metrics.baseline - y1) / cap)


# ----------------------------------------------------------------------- lines
#: Height of a text line at the input of the line (sequence) models.
LINE_HEIGHT = 32
#: Narrowest line input; shorter lines are padded with background to this width.
LINE_MIN_WIDTH = 160
#: Width of one output frame of the line models, in input pixels.
LINE_STRIDE = 4


@dataclass
class LineInput:
    """A line brought to the line-model input, and how to map its columns back."""

    image: np.ndarray  # (LINE_HEIGHT, width) uint8, white ink on black
    scale: float       # input pixels per source pixel
    x0: int            # source column of the ink's left edge
    pad: int           # input columns before the ink

    def to_source_x(self, x: float) -> float:
        """Source column of input column ``x``."""
        return self.x0 + (x - self.pad) / self.scale


def to_line_input(mask: np.ndarray, line_height: float | None = None, height: int = LINE_HEIGHT,
                  min_width: int = LINE_MIN_WIDTH, pad: int = 2) -> LineInput:
    """Bring one text line (ink mask, True/nonzero = ink) to the line-model input.

    The ink is cropped, scaled so that its height (or ``line_height`` when
    that is larger, so a lone dash is not blown up to full height) fills
    ``height - 2*pad`` rows with the aspect ratio kept, and placed at the left
    of a canvas at least ``min_width`` wide whose width is a multiple of
    :data:`LINE_STRIDE`. Area resampling leaves grey edges, as on the training
    lines, which go through this same function.
    """
    ys, xs = np.nonzero(mask)
    inner = height - 2 * pad
    if len(xs) == 0:
        return LineInput(np.zeros((height, min_width), np.uint8), 1.0, 0, pad)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    ink = (mask[y0:y1, x0:x1] > 0).astype(np.float32) * 255.0
    ink_h = max(float(y1 - y0), float(line_height or 0.0))
    scale = inner / ink_h
    new_h = max(1, min(inner, int(round((y1 - y0) * scale))))
    new_w = max(1, int(round((x1 - x0) * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    glyphs = cv2.resize(ink, (new_w, new_h), interpolation=interp)
    width = max(min_width, new_w + 2 * pad)
    width = -(-width // LINE_STRIDE) * LINE_STRIDE
    canvas = np.zeros((height, width), np.float32)
    top = (height - new_h) // 2
    canvas[top:top + new_h, pad:pad + new_w] = glyphs
    return LineInput(np.clip(canvas, 0, 255).astype(np.uint8), scale, int(x0), pad)


def stack_lines(images: Sequence[np.ndarray], width: int | None = None) -> np.ndarray:
    """Line inputs as one (N, height, W) batch, blank-padded on the right (or cut at ``width``).

    W is ``width``, else the widest input (at least :data:`LINE_MIN_WIDTH`),
    rounded up to a multiple of :data:`LINE_STRIDE`.
    """
    width = width or max(LINE_MIN_WIDTH, max(img.shape[1] for img in images))
    width = -(-width // LINE_STRIDE) * LINE_STRIDE
    out = np.zeros((len(images), images[0].shape[0], width), np.uint8)
    for row, img in zip(out, images):
        row[:, :min(width, img.shape[1])] = img[:, :width]
    return out
