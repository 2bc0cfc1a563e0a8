"""Tests for ocr.normalize: the MNIST-style glyph format and line geometry."""

from __future__ import annotations

import cv2
import numpy as np

from ocr import normalize as nz


def test_to_mnist_fits_20_box_and_centres_mass():
    mask = np.zeros((90, 40), bool)
    mask[5:85, 10:30] = True
    out = nz.to_mnist(mask)
    assert out.shape == (28, 28) and out.dtype == np.uint8
    ys, xs = np.nonzero(out > 0)
    assert ys.max() - ys.min() + 1 == 20          # long side fitted to 20
    assert xs.max() - xs.min() + 1 <= 7           # aspect ratio kept
    cy, cx = nz.center_of_mass(out.astype(float))
    assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1


def test_thin_strokes_are_thickened_like_training_data():
    mask = np.zeros((200, 200), np.uint8)
    cv2.circle(mask, (100, 100), 80, 1, 2)  # 2 px pen on a 160 px glyph
    out = nz.to_mnist(mask.astype(bool))
    thin = nz.to_mnist(mask.astype(bool), normalize_stroke=False)
    assert nz.stroke_width(out > 127) > nz.stroke_width(thin > 127)
    assert 1.5 <= nz.stroke_width(out > 127) <= 4.5


def test_empty_glyph_and_batch():
    assert nz.to_mnist(np.zeros((5, 5), bool)).sum() == 0
    assert nz.to_mnist_batch([np.ones((4, 4), bool)] * 3).shape == (3, 28, 28)


def test_line_metrics_and_geometry():
    # 'Hop.' : H tall, o short, p descends, . small on the baseline.
    boxes = [(0, 0, 20, 30), (25, 10, 40, 30), (45, 10, 60, 40), (65, 26, 69, 30)]
    m = nz.line_metrics(boxes)
    assert m.baseline == 30 and abs(m.cap_height - 30) < 3 and abs(m.x_height - 20) < 3
    o, p, dot = (nz.glyph_geometry(b, m) for b in boxes[1:])
    assert 0.55 < o.height < 0.8 and p.bottom < -0.2
    assert dot.is_small_mark and not o.is_small_mark


def test_stack_lines_pads_to_the_widest_or_cuts():
    from ocr.normalize import LINE_MIN_WIDTH, stack_lines

    a, b = np.full((32, 170), 7, np.uint8), np.full((32, 201), 9, np.uint8)
    batch = stack_lines([a, b])
    assert batch.shape == (2, 32, 204)  # widest, rounded up to the frame stride
    assert (batch[0, :, :170] == 7).all() and (batch[0, :, 170:] == 0).all()
    assert stack_lines([np.ones((32, 10), np.uint8)]).shape[2] == LINE_MIN_WIDTH
    assert stack_lines([b], width=100).shape == (1, 32, 100)
