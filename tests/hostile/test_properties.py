"""Property-based tests of the pure image stages (hypothesis): any size, dtype, channel
layout and content either loads and goes through preprocessing, segmentation and
normalization with consistent shapes and boxes, or is refused with ImageError."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ocr import io as ocr_io
from ocr.errors import ImageError
from ocr.normalize import LINE_HEIGHT, LINE_STRIDE, SIZE, to_line_input, to_mnist
from ocr.pipeline import _BoxMapper
from ocr.preprocess import preprocess
from ocr.segment import glyph_mask, segment

pytestmark = pytest.mark.hostile

DTYPES = [np.uint8, np.uint16, np.int32, np.float32, np.float64, bool]


@st.composite
def images(draw):
    h = draw(st.integers(1, 160))
    w = draw(st.integers(1, 160))
    channels = draw(st.sampled_from([None, 1, 3, 4, 2]))
    dtype = draw(st.sampled_from(DTYPES))
    kind = draw(st.sampled_from(["noise", "constant", "blocks", "text-like", "checker"]))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    shape = (h, w) if channels is None else (h, w, channels)
    if kind == "noise":
        base = rng.random(shape)
    elif kind == "constant":
        base = np.full(shape, rng.random())
    elif kind == "checker":
        cell = int(rng.integers(1, 4))
        yy, xx = np.indices((h, w))
        base = (((yy // cell) + (xx // cell)) % 2).astype(np.float64)
        if channels:
            base = np.repeat(base[..., None], channels, axis=2)
    else:
        base = np.ones(shape)
        for _ in range(int(rng.integers(1, 12))):
            y, x = int(rng.integers(0, h)), int(rng.integers(0, w))
            dy, dx = int(rng.integers(1, max(2, h // 3))), int(rng.integers(1, max(2, w // 6)))
            base[y:y + dy, x:x + dx] = 0.0 if kind == "text-like" else rng.random()
    if dtype is bool:
        return base > 0.5
    scale = {np.uint8: 255, np.uint16: 65535, np.int32: 1000, np.float32: 1.0, np.float64: 300.0}[dtype]
    return (base * scale).astype(dtype)


def _inside(box, shape) -> bool:
    x0, y0, x1, y1 = box
    return 0 <= x0 < x1 <= shape[1] and 0 <= y0 < y1 <= shape[0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(images(), st.sampled_from(["auto", "otsu", "otsu3", "sauvola"]), st.booleans(), st.booleans())
def test_image_stages_hold_their_contracts(image, method, deskew, remove_lines):
    try:
        (page,) = ocr_io.load(image)
    except ImageError:
        return  # refused with a message: fine (too small, bad channel count)
    arr = page.image
    assert arr.dtype == np.uint8 and arr.shape[:2] == image.shape[:2] and arr.ndim in (2, 3)
    pre = preprocess(arr, binarization=method, deskew_pages=deskew, remove_lines=remove_lines)
    assert pre.input_shape == image.shape[:2]
    assert pre.binary.dtype == bool and pre.binary.shape == pre.gray.shape
    if pre.blank:
        return
    layout = segment(pre.binary)
    mapper = _BoxMapper(pre)
    for line in layout.lines:
        assert _inside(line.box, pre.binary.shape)
        for glyph in line.glyphs:
            assert _inside(glyph.box, pre.binary.shape)
            norm = to_mnist(glyph_mask(layout.components, glyph))
            assert norm.shape == (SIZE, SIZE) and norm.dtype == np.uint8
        mapped = mapper.many(np.array([g.box for g in line.glyphs]))
        assert (mapped[:, [0, 2]] <= image.shape[1]).all() and (mapped[:, [1, 3]] <= image.shape[0]).all()
        inp = to_line_input(pre.binary[line.box[1]:line.box[3], line.box[0]:line.box[2]], line.height)
        assert inp.image.shape[0] == LINE_HEIGHT and inp.image.shape[1] % LINE_STRIDE == 0


@settings(max_examples=25, deadline=None)
@given(st.integers(40, 400), st.integers(40, 400), st.integers(0, 2**16))
def test_pages_over_the_budget_are_scaled_and_boxes_mapped_back(h, w, seed):
    rng = np.random.default_rng(seed)
    img = np.full((h, w), 255, np.uint8)
    for _ in range(6):
        y, x = int(rng.integers(0, h - 10)), int(rng.integers(0, w - 10))
        img[y:y + 10, x:x + 4] = 0
    budget = max(64, (h * w) // 4)
    pre = preprocess(img, max_pixels=budget)
    assert pre.input_shape == (h, w)
    assert pre.gray.size <= budget and (pre.work_shape is not None)
    if not pre.blank:
        boxes = np.array([g.box for l in segment(pre.binary).lines for g in l.glyphs]).reshape(-1, 4)
        mapped = _BoxMapper(pre).many(boxes)
        assert (mapped[:, 2] <= w).all() and (mapped[:, 3] <= h).all() and (mapped >= 0).all()


def test_deskew_is_skipped_when_the_rotated_canvas_is_over_the_budget():
    import cv2

    from ocr.preprocess import deskew

    img = np.full((200, 2000), 255, np.uint8)
    for k in range(5):
        cv2.line(img, (0, 40 + 30 * k), (2000, 40 + 30 * k + 120), 0, 3)  # text-like rows, skewed
    binary = img < 128
    _, _, angle = deskew(img, binary)
    assert angle != 0.0
    gray, out, angle = deskew(img, binary, max_pixels=img.size)
    assert angle == 0.0 and gray is img and out is binary


def test_texture_is_set_aside_and_too_many_components_refused():
    from ocr.segment import segment as seg

    dots = np.zeros((512, 512), bool)
    dots[::4, ::4] = dots[1::4, ::4] = dots[::4, 1::4] = dots[1::4, 1::4] = True  # 16384 dots
    assert seg(dots).lines == []  # all texture: set aside
    sparse = np.zeros((2000, 2000), bool)
    sparse[::12, ::12] = sparse[1::12, ::12] = True  # 2-pixel marks, 28k of them, below texture density
    with pytest.raises(ImageError, match="too many ink components"):
        seg(sparse, max_components=1000)
