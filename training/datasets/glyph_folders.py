"""Glyph folders: ``DIR/<label>/*.png``, one subfolder per character (``ocr train glyphs``).

Images are read through :mod:`ocr.io`, so the size limits and the
decompression-bomb guard of ``ocr read`` apply, and every problem (a bad
image, a label table that is not UTF-8, a folder name that is no character)
is a one-line :class:`DataError` raised while loading, before any training.
"""

from __future__ import annotations

import logging
import os
import unicodedata
from pathlib import Path

import numpy as np

from ocr.errors import DataError, DatasetNotFoundError, ImageError
from ocr.io import RASTER_SUFFIXES
from training.datasets.base import Dataset
from training.datasets.textfiles import read_utf8

log = logging.getLogger(__name__)

#: Image files read from a glyph folder (the project's one list of raster suffixes).
GLYPH_SUFFIXES = RASTER_SUFFIXES


def _check_character(label: str, where: str) -> str:
    """Refuse labels no model can be given: surrogates (an invalid U+D800 or a folder name
    that is not UTF-8), control characters and white space."""
    if len(label) != 1:
        raise DataError(f"{where}: label {label!r} is not one character; name the folder U+XXXX "
                        "or map it in labels.tsv")
    category = unicodedata.category(label)
    if category == "Cs":
        raise DataError(f"{where}: U+{ord(label):04X} is a surrogate, not a character (or the folder "
                        "name is not valid UTF-8); rename it")
    if category == "Cc" or label.isspace():
        raise DataError(f"{where}: U+{ord(label):04X} is not a printable character; rename it")
    return label


def folder_label(name: str, overrides: dict[str, str]) -> str:
    """The character a glyph folder stands for: its name, ``U+20AC``, or labels.tsv."""
    if name in overrides:
        return overrides[name]
    if name.upper().startswith("U+"):
        try:
            return chr(int(name[2:], 16))
        except (ValueError, OverflowError):
            raise DataError(f"glyph folder {name!r}: not a valid U+XXXX code point") from None
    return name


def read_label_table(path: Path) -> dict[str, str]:
    """``labels.tsv``: ``folder<TAB>label`` per line; ``#`` starts a comment."""
    overrides: dict[str, str] = {}
    for number, line in enumerate(read_utf8(path).splitlines(), start=1):
        if line.strip() and not line.startswith("#"):
            folder, tab, label = line.partition("\t")
            if not tab:
                raise DataError(f"{path} line {number}: expected folder<TAB>label")
            overrides[folder.strip()] = label.strip()
    return overrides


def _glyph_to_mnist(gray: np.ndarray) -> np.ndarray:
    """Bring one glyph image to the model input, as ``ocr read`` normalizes glyphs."""
    import cv2

    from ocr.normalize import to_mnist

    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    ink = 255 - gray if border.mean() > 127 else gray
    if ink.shape == (28, 28):
        return ink.astype(np.uint8)
    # Paper texture below the Otsu level is background, not faint ink.
    level, _ = cv2.threshold(ink, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return to_mnist(np.where(ink > level, ink, 0).astype(np.uint8))


def read_glyph_image(path: Path) -> np.ndarray:
    """One glyph file as 8-bit grey levels (the first page of a multi-page file)."""
    import cv2

    from ocr import io

    try:
        image = io.load(str(path))[0].image
    except ImageError as exc:
        raise DataError(str(exc)) from None
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image


def load_glyph_folder(path: str | os.PathLike) -> Dataset:
    """Load ``DIR/<label>/*.png`` (one subfolder per character) as a dataset.

    A label that cannot be a folder name is written ``U+20AC`` or mapped in
    ``DIR/labels.tsv`` (``folder<TAB>label`` per line). Images of any size are
    brought to MNIST format.
    """
    root = Path(path)
    if not root.is_dir():
        raise DatasetNotFoundError(f"glyph folder {root} does not exist")
    tsv = root / "labels.tsv"
    overrides = read_label_table(tsv) if tsv.is_file() else {}
    try:
        folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError as exc:
        raise DataError(f"glyph folder {root}: cannot list it ({exc.strerror or exc})") from None
    if not folders:
        raise DataError(f"glyph folder {root} is empty: expected one subfolder per character")
    # Every label is checked before any image is read, so a bad name fails at once.
    labelled = [(folder, _check_character(folder_label(folder.name, overrides), f"glyph folder {folder}"))
                for folder in folders]
    images, labels, names = [], [], []
    for folder, label in labelled:
        try:
            files = sorted(p for p in folder.iterdir() if p.suffix.lower() in GLYPH_SUFFIXES and p.is_file())
        except OSError as exc:
            raise DataError(f"glyph folder {folder}: cannot list it ({exc.strerror or exc})") from None
        if not files:
            raise DataError(f"glyph folder {folder} has no images")
        for file in files:
            images.append(_glyph_to_mnist(read_glyph_image(file)))
            labels.append(label)
            names.append(str(file))
    classes = "".join(sorted(set(labels)))
    index = {c: i for i, c in enumerate(classes)}
    return Dataset(str(root), "all", np.stack(images), np.array([index[c] for c in labels]),
                   classes, names)
