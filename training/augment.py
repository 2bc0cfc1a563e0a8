"""Offline augmentations of 28x28 glyph arrays (numpy and OpenCV, no Keras).

On-the-fly affine transforms live in the model graph
(:class:`ocr.models.layers.RandomAffine`); what cannot be written as one
matrix, such as the local wobble of a hand-drawn stroke, is done here.
"""

from __future__ import annotations

import cv2
import numpy as np


def elastic(images: np.ndarray, rng: np.random.Generator, alpha: float = 34.0,
            sigma: float = 4.0) -> np.ndarray:
    """Elastic distortion (Simard, Steinkraus and Platt 2003) of (N, H, W) uint8 glyphs.

    Each image is resampled through its own random displacement field,
    uniform noise smoothed by a Gaussian of ``sigma`` pixels and scaled by
    ``alpha``: the wobble of handwriting rather than a global transform.
    """
    out = np.empty_like(images)
    h, w = images.shape[1:3]
    grid_y, grid_x = np.mgrid[0:h, 0:w].astype(np.float32)
    for i, image in enumerate(images):
        dx = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma) * alpha
        dy = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma) * alpha
        out[i] = cv2.remap(image, grid_x + dx, grid_y + dy, cv2.INTER_LINEAR, borderValue=0)
    return out
