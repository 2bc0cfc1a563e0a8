"""Synthetic printed glyphs: format, polarity, centring, determinism, the ``printed`` spec.

Every test uses PIL's built-in font (``fonts=[]`` or no font directories), so
the results do not depend on which fonts the machine has installed.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

from ocr import charsets
from ocr.errors import DataError
from training import data, synth

PER_CLASS = 4


@pytest.fixture(scope="module")
def printed():
    return synth.render_glyphs(charsets.CHARNET, PER_CLASS, fonts=[], seed=3)


@pytest.fixture
def no_fonts(monkeypatch, tmp_path):
    """A machine without fonts: empty font directories, no pip package fonts."""
    (tmp_path / "broken.ttf").write_bytes(b"not a font")
    monkeypatch.setattr(synth, "FONT_DIRS", (tmp_path,))
    monkeypatch.setattr(synth, "_package_font_dirs", lambda: [])


def test_charset_constants():
    assert charsets.PUNCTUATION == ".,:;-'\"()/!?&%$#+=@"
    assert charsets.CHARNET == charsets.EMNIST_BYCLASS + charsets.PUNCTUATION
    assert len(set(charsets.CHARNET)) == len(charsets.CHARNET)


def test_shapes_dtype_range(printed):
    assert printed.name == "printed"
    assert printed.classes == charsets.CHARNET
    assert printed.images.shape == (len(charsets.CHARNET) * PER_CLASS, 28, 28)
    assert printed.images.dtype == np.uint8
    assert printed.labels.dtype == np.int64
    assert printed.images.max() == 255 or printed.images.max() > 150
    assert len(printed) == len(printed.labels)


def test_all_labels_present(printed):
    counts = np.bincount(printed.labels, minlength=len(charsets.CHARNET))
    assert (counts == PER_CLASS).all()


def test_white_ink_on_black(printed):
    imgs = printed.images.astype(np.float64)
    border = np.concatenate([imgs[:, :2].reshape(len(imgs), -1), imgs[:, -2:].reshape(len(imgs), -1),
                             imgs[:, :, :2].reshape(len(imgs), -1), imgs[:, :, -2:].reshape(len(imgs), -1)], 1)
    assert border.mean() < 10  # background is black (a little noise allowed)
    assert (imgs.max(axis=(1, 2)) > 100).all()  # every glyph has bright ink
    assert (imgs > 127).mean() < 0.4  # ink is the minority, as in MNIST


def test_fitted_and_centred_by_mass(printed):
    imgs = printed.images.astype(np.float64)
    ink = np.where(imgs > 60, imgs, 0)  # ignore background noise
    mass = ink.sum(axis=(1, 2))
    cy = ink.sum(2) @ np.arange(28) / mass
    cx = ink.sum(1) @ np.arange(28) / mass
    # 1 px random shift and noise on top of the integer MNIST centring.
    assert np.abs(cy - 14).max() < 2.5 and np.abs(cx - 14).max() < 2.5
    assert abs(cy.mean() - 14) < 0.5 and abs(cx.mean() - 14) < 0.5
    rows, cols = (ink > 0).any(2), (ink > 0).any(1)
    extent = np.maximum(28 - rows.argmax(1) - rows[:, ::-1].argmax(1), 28 - cols.argmax(1) - cols[:, ::-1].argmax(1))
    # Fitted to 20 px; dust speckles (15% of samples) can widen the box.
    assert np.median(extent) >= 18 and np.percentile(extent, 75) <= 22


def test_small_glyphs_use_the_same_fit():
    # A period is fitted to 20x20 like every glyph (see the module docstring).
    dot = np.zeros((40, 40), np.uint8)
    dot[30:34, 10:14] = 255
    out = synth.mnist_normalize(dot)
    ys, xs = np.nonzero(out > 127)
    assert np.ptp(ys) + 1 == 20 and np.ptp(xs) + 1 == 20
    assert synth.mnist_normalize(np.zeros((5, 5))).sum() == 0


def test_normalize_keeps_aspect_and_orientation():
    glyph = np.zeros((60, 30), np.uint8)
    glyph[:, 10:14] = 255  # a vertical bar ...
    glyph[50:60, 10:30] = 255  # ... with a foot to the right: an L
    out = synth.mnist_normalize(glyph)
    ys, xs = np.nonzero(out > 127)
    assert np.ptp(ys) + 1 == 20 and np.ptp(xs) + 1 <= 12
    assert out[ys.max(), xs.max()] > 127  # the foot is still at the bottom right


def test_deterministic_by_seed():
    a = synth.render_glyphs("a.7", 3, fonts=[], seed=1)
    b = synth.render_glyphs("a.7", 3, fonts=[], seed=1)
    c = synth.render_glyphs("a.7", 3, fonts=[], seed=2)
    assert np.array_equal(a.images, b.images) and np.array_equal(a.labels, b.labels)
    assert not np.array_equal(a.images, c.images)
    # A class's samples do not depend on which other labels are rendered.
    alone = synth.render_glyphs("7", 3, fonts=[], seed=1)
    assert np.array_equal(alone.images, a.images[a.labels == 2])


def test_bad_arguments():
    with pytest.raises(ValueError):
        synth.render_glyphs("ab", 0, fonts=[])
    with pytest.raises(ValueError):
        synth.render_glyphs("aa", 1, fonts=[])


def test_find_fonts_without_fonts_warns_and_falls_back(no_fonts, caplog):
    with caplog.at_level(logging.WARNING, logger="training.synth"):
        assert synth.find_fonts() == []
    assert "built-in font" in caplog.text
    out = synth.render_glyphs("Ab", 2)  # fonts=None -> find_fonts() -> built-in
    assert out.images.shape == (4, 28, 28) and out.source_files == ["PIL built-in font"]


def test_find_fonts_is_sorted_and_usable():
    fonts = synth.find_fonts()  # whatever this machine has; may be empty
    assert fonts == sorted(fonts)
    assert all(p.suffix.lower() in synth.FONT_SUFFIXES for p in fonts)


def test_printed_spec_through_load_training_arrays(no_fonts):
    specs = data.parse_dataset_list("printed:3", (), "train")
    assert specs == [("printed", "3")]
    x, y, used = data.load_training_arrays(specs, charsets.DIGITS, data_dir=None)
    assert x.shape == (30, 28, 28) and x.dtype == np.uint8
    assert np.array_equal(np.bincount(y), np.full(10, 3))
    assert used == ["printed:3 (30 images)"]
    train = data.load_printed("train", "a")
    test = data.load_printed("test", "a")
    assert len(train) == data.PRINTED_PER_CLASS and not np.array_equal(train.images, test.images)
    with pytest.raises(DataError):
        data.load_training_arrays([("printed", "lots")], charsets.DIGITS, data_dir=None)
