"""Synthetic digit strings for the line model: MNIST digits composed into amounts and fields.

Real digit fields (cheque amounts, dates, account numbers) differ from MNIST
in how the digits sit together: they touch and overlap, lean, vary in size
and stroke width, carry thousands and decimal separators, and are followed
by pen strokes that are no characters (the dash closing a cheque amount).
:func:`compose_digit_string` draws such a field from single digits as a
binary ink mask, the form ``ocr.preprocess`` gives the line model, and
:func:`line_dataset` brings a batch of them to the model input with the same
:func:`ocr.normalize.to_line_input` that reading uses.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from ocr.normalize import LINE_HEIGHT, LINE_MIN_WIDTH, to_line_input

log = logging.getLogger(__name__)

#: Height of a digit in the composition frame (pixels); twice MNIST's 20 so
#: that erosion can thin strokes by less than a whole MNIST pixel.
DIGIT_HEIGHT = 40
#: Digits per string and how often each count is drawn (cheque amounts and
#: short fields: mostly 3 to 6 digits).
LENGTHS = np.arange(1, 9)
LENGTH_WEIGHTS = np.array([3, 7, 14, 24, 24, 15, 8, 5], dtype=np.float64)


@dataclass
class StringStyle:
    """Random variation of one composed string (fractions of the digit height)."""

    gap: tuple[float, float] = (-0.22, 0.30)    # space between digits; negative overlaps
    jitter: float = 0.06                        # vertical position of each digit
    size: tuple[float, float] = (0.85, 1.15)    # height of each digit
    aspect: tuple[float, float] = (0.80, 1.25)  # width / height of each digit
    slant: float = 0.30                          # shear of the whole string
    rotation: float = 3.0                        # degrees
    separators: float = 0.55                     # probability of '.' or ',' in the string
    trailing_mark: float = 0.40                  # '-', '=', '.-', a wavy stroke (unlabelled)
    leading_mark: float = 0.10
    underline: float = 0.10
    specks: float = 0.20
    flagged_one: float = 0.40                    # '1' with the continental up-stroke
    crossed_seven: float = 0.25                  # '7' with a bar through the stem
    small_tail: float = 0.25                     # last digits written smaller ("12 000")


def _digit_mask(image: np.ndarray, height: float, aspect: float, threshold: float) -> np.ndarray:
    ys, xs = np.nonzero(image)
    if len(xs) == 0:
        return np.zeros((int(height), max(1, int(height * 0.5))), bool)
    crop = image[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.float32)
    scale = height / 20.0  # MNIST digits are 20 pixels tall
    h = max(2, int(round(crop.shape[0] * scale)))
    w = max(2, int(round(crop.shape[1] * scale * aspect)))
    return cv2.resize(crop, (w, h), interpolation=cv2.INTER_LINEAR) > threshold


def _continental(mask: np.ndarray, digit: int, rng: np.random.Generator, style: StringStyle) -> np.ndarray:
    """Draw the European forms MNIST (American writers) rarely has: a '1' with a
    long up-stroke, which reads as a '7' or an inverted 'V', and a crossed '7'."""
    h, w = mask.shape
    thickness = max(2, int(round(0.07 * h)))
    if digit == 1 and rng.random() < style.flagged_one:
        top_cols = np.nonzero(mask[: max(2, h // 8)].any(axis=0))[0]
        x_top = int(top_cols.mean()) if len(top_cols) else w // 2
        reach_x, reach_y = rng.uniform(0.25, 0.5) * h, rng.uniform(0.2, 0.5) * h
        pad = int(np.ceil(reach_x))
        out = np.zeros((h, w + pad), np.uint8)
        out[:, pad:] = mask
        cv2.line(out, (x_top + pad, thickness // 2), (int(x_top + pad - reach_x), int(reach_y)), 1, thickness)
        return out.astype(bool)
    if digit == 7 and rng.random() < style.crossed_seven:
        row = int(rng.uniform(0.45, 0.6) * h)
        cols = np.nonzero(mask[row])[0]
        centre = int(cols.mean()) if len(cols) else w // 2
        half = int(rng.uniform(0.18, 0.3) * h)
        out = mask.astype(np.uint8)
        cv2.line(out, (max(0, centre - half), row), (min(w - 1, centre + half), row), 1, thickness)
        return out.astype(bool)
    return mask


def _separator(char: str, h: float, rng: np.random.Generator) -> np.ndarray:
    """A hand-made '.' or ',' as an ink mask whose bottom row sits on the baseline."""
    r = max(1.5, rng.uniform(0.05, 0.09) * h)
    if char == ".":
        size = int(np.ceil(2 * r)) + 2
        mask = np.zeros((size, size), np.uint8)
        cv2.ellipse(mask, (size // 2, size // 2), (max(1, int(r * rng.uniform(0.8, 1.3))), max(1, int(r))),
                    rng.uniform(0, 180), 0, 360, 1, -1)
        return mask.astype(bool)
    length = rng.uniform(0.18, 0.30) * h
    thickness = max(2, int(round(r)))
    size_h, size_w = int(length) + 2 * thickness, int(length * 0.5) + 2 * thickness
    mask = np.zeros((size_h, size_w), np.uint8)
    cv2.line(mask, (size_w - thickness, thickness), (thickness, size_h - thickness), 1, thickness)
    return mask.astype(bool)


def compose_digit_string(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator,
                         style: StringStyle | None = None) -> tuple[np.ndarray, str]:
    """Compose one digit string from MNIST-style digits; returns (ink mask, text).

    ``images`` are (N, 28, 28) white-on-black digits and ``labels`` their
    digits. The text holds the digits and any '.' or ',' drawn; other marks
    (dashes, underlines, specks) are unlabelled, as on real cheques.
    """
    style = style or StringStyle()
    h = float(DIGIT_HEIGHT)
    n = int(rng.choice(LENGTHS, p=LENGTH_WEIGHTS / LENGTH_WEIGHTS.sum()))
    picks = rng.integers(len(images), size=n)
    tokens: list[str | int] = list(picks)
    if rng.random() < style.separators and n >= 3:
        sep = "." if rng.random() < 0.6 else ","
        if n >= 4 and rng.random() < 0.6:  # thousands groups: 12.345, 1,234,567
            for pos in range(n - 3, 0, -3):
                tokens.insert(pos, sep)
        else:  # a decimal part: 123,45
            tokens.insert(n - 2, sep)
    threshold = rng.uniform(60, 170)
    # One pen per string: thinner or bolder strokes than MNIST's.
    pen = rng.random()
    # Cheque writers often write the thousands or cents smaller ("12 000").
    tail_from = n - int(rng.integers(2, 4)) if rng.random() < style.small_tail and n >= 4 else n

    pieces: list[tuple[np.ndarray, int, int]] = []  # (mask, x, bottom y)
    text = []
    x = int(rng.uniform(0.2, 0.6) * h)
    baseline = int(1.6 * h)
    for tok in tokens:
        if isinstance(tok, str):
            mask = _separator(tok, h, rng)
            x += int(rng.uniform(0.02, 0.15) * h)
            lift = 0 if rng.random() < 0.8 else int(rng.uniform(0.1, 0.4) * h)
            bottom = baseline - lift + (int(0.12 * h) if tok == "," else 0)
            pieces.append((mask, x, bottom))
            x += mask.shape[1] + int(rng.uniform(0.02, 0.15) * h)
            text.append(tok)
            continue
        size = rng.uniform(*style.size)
        if sum(t.isdigit() for t in text) >= tail_from:
            size *= rng.uniform(0.55, 0.8)
        # Shrinking thins strokes: a lower threshold gives them back their width.
        mask = _digit_mask(images[tok], h * size, rng.uniform(*style.aspect),
                           threshold if size >= 0.8 else min(threshold, 80.0))
        # The same pen draws small digits with strokes as wide as big ones, so
        # the pen is applied per digit and small digits are never thinned.
        if pen < 0.4 and size >= 0.8:
            mask = cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        elif pen > 0.85:
            mask = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        mask = _continental(mask, int(labels[tok]), rng, style)
        if pieces:
            x += int(rng.uniform(*style.gap) * h)
        bottom = baseline + int(rng.uniform(-style.jitter, style.jitter) * h)
        pieces.append((mask, max(x, 0), bottom))
        x = max(x, 0) + mask.shape[1]
        text.append(str(int(labels[tok])))
    width = x + int(3.0 * h)
    canvas = np.zeros((int(3.2 * h), width), np.uint8)
    start = pieces[0][1]
    if rng.random() < style.leading_mark:
        _dash(canvas, start - int(rng.uniform(0.4, 0.9) * h), start - int(0.08 * h), baseline, h, rng)
    for mask, px, bottom in pieces:
        top = max(0, bottom - mask.shape[0])
        sub = mask[mask.shape[0] - (bottom - top):, :]
        canvas[top:bottom, px:px + sub.shape[1]] |= sub.astype(np.uint8)
    if rng.random() < style.trailing_mark:
        x0 = x + int(rng.uniform(0.05, 0.4) * h)
        _dash(canvas, x0, x0 + int(rng.uniform(0.3, 1.2) * h), baseline, h, rng)
    if rng.random() < style.underline:
        y = baseline + int(rng.uniform(0.0, 0.12) * h)
        cv2.line(canvas, (max(0, start - int(0.3 * h)), y), (x + int(0.3 * h), y + int(rng.uniform(-2, 2))),
                 1, max(1, int(rng.uniform(0.03, 0.06) * h)))
    if rng.random() < style.specks:
        for _ in range(int(rng.integers(1, 5))):
            cy, cx = int(rng.uniform(0.3, 2.0) * h), int(rng.uniform(0, x))
            cv2.circle(canvas, (cx, cy), 1, 1, -1)
    return _slant(canvas, rng.uniform(-style.slant, style.slant), rng.uniform(-style.rotation, style.rotation),
                  baseline), "".join(text)


def _dash(canvas: np.ndarray, x0: int, x1: int, baseline: int, h: float, rng: np.random.Generator) -> None:
    """A closing mark after (or before) an amount: '-', '=', '.-' or a wavy stroke."""
    y = baseline - int(rng.uniform(0.25, 0.6) * h)
    thickness = max(1, int(rng.uniform(0.04, 0.09) * h))
    kind = rng.random()
    x0, x1 = max(0, x0), max(0, x1)
    if kind < 0.45:
        cv2.line(canvas, (x0, y), (x1, y + int(rng.uniform(-0.15, 0.15) * h)), 1, thickness)
    elif kind < 0.7:  # '=': two short bars
        x1 = x0 + max(4, int((x1 - x0) * 0.6))
        gap = int(rng.uniform(0.12, 0.25) * h)
        cv2.line(canvas, (x0, y - gap // 2), (x1, y - gap // 2 + int(rng.uniform(-2, 2))), 1, thickness)
        cv2.line(canvas, (x0, y + gap // 2), (x1, y + gap // 2 + int(rng.uniform(-2, 2))), 1, thickness)
    elif kind < 0.82:  # '.-'
        r = max(2, int(0.06 * h))
        cv2.circle(canvas, (x0 + r, baseline - r), r, 1, -1)
        cv2.line(canvas, (x0 + 3 * r, y), (x1 + 3 * r, y), 1, thickness)
    else:  # a wavy closing stroke
        pts = np.stack([np.linspace(max(0, x0), max(0, x1), 8),
                        y + np.sin(np.linspace(0, rng.uniform(3, 9), 8)) * rng.uniform(0.05, 0.2) * h], 1)
        cv2.polylines(canvas, [pts.astype(np.int32)], False, 1, thickness)


def _slant(canvas: np.ndarray, shear: float, degrees: float, baseline: int) -> np.ndarray:
    h, w = canvas.shape
    m = cv2.getRotationMatrix2D((w / 2.0, baseline), degrees, 1.0)
    m[0, 1] += -shear
    m[0, 2] += shear * baseline
    out = cv2.warpAffine(canvas * 255, m, (w + int(abs(shear) * h), h), flags=cv2.INTER_LINEAR)
    return out > 127


def line_image(mask: np.ndarray, width: int, line_height: float | None = None) -> np.ndarray:
    """A line's model input at a fixed training ``width``: lines wider than it are squeezed."""
    line = to_line_input(mask, line_height=line_height, min_width=width).image
    if line.shape[1] > width:
        line = cv2.resize(line, (width, LINE_HEIGHT), interpolation=cv2.INTER_AREA)
    return line


def encode_texts(texts: list[str], alphabet: str, max_length: int) -> np.ndarray:
    """Targets for :class:`ocr.models.layers.CTCLoss`: (n, max_length) int32 label
    index + 1, 0-padded; texts longer than ``max_length`` must be cut before."""
    index = {c: i + 1 for i, c in enumerate(alphabet)}
    y = np.zeros((len(texts), max_length), np.int32)
    for row, text in zip(y, texts):
        row[:len(text)] = [index[c] for c in text]
    return y


def line_dataset(images: np.ndarray, labels: np.ndarray, n: int, alphabet: str, seed: int = 0,
                 width: int = LINE_MIN_WIDTH, max_length: int = 16,
                 style: StringStyle | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``n`` composed strings as model inputs.

    Returns (x, y, texts): x is (n, LINE_HEIGHT, width) uint8 (see
    :func:`line_image`); y the targets of :func:`encode_texts`.
    """
    rng = np.random.default_rng(seed)
    x = np.zeros((n, LINE_HEIGHT, width), np.uint8)
    texts = []
    for i in range(n):
        mask, text = compose_digit_string(images, labels, rng, style)
        x[i] = line_image(mask, width)
        texts.append(text[:max_length])
    return x, encode_texts(texts, alphabet, max_length), texts
