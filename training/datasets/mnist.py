"""MNIST and the EMNIST family: finding their IDX files and loading them upright.

Files are looked for in ``data_dir`` (or ``$OCR_DATA_DIR``), then in the user
cache that ``ocr data download`` fills. Nothing is downloaded here: a missing
file is a :class:`DatasetNotFoundError` that says where it was looked for and
how to get it. Every image returned is upright, white ink on black, 28x28
uint8, like MNIST.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from ocr.errors import DataError
from training.datasets.base import Dataset
from training.datasets.registry import SPLITS, IdxSpec, check_data_dir, get_idx_spec, not_found
from training.idx import read_idx

log = logging.getLogger(__name__)


def locate(spec: IdxSpec, filename: str, data_dir: str | os.PathLike | None = None) -> Path:
    """Return the path of one dataset file, or raise :class:`DatasetNotFoundError`."""
    check_data_dir(data_dir)
    found = spec.find_file(filename, data_dir)
    if found is None:
        raise not_found(spec, filename, data_dir)
    return found


def load(name: str, split: str = "train", data_dir: str | os.PathLike | None = None) -> Dataset:
    """Load one split of a dataset as upright, white-on-black uint8 images."""
    spec = get_idx_spec(name)
    if split not in SPLITS:
        raise DataError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    image_name, label_name = spec.filenames(split)
    image_path = locate(spec, image_name, data_dir)
    label_path = locate(spec, label_name, data_dir)
    images = read_idx(image_path)
    labels = read_idx(label_path)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise DataError(f"{image_path}: expected uint8 images of 28x28, got {images.dtype} {images.shape}")
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise DataError(
            f"{label_path}: {labels.shape[0] if labels.ndim == 1 else labels.shape} labels "
            f"for {images.shape[0]} images"
        )
    labels = labels.astype(np.int64) - spec.label_offset
    if labels.size and (labels.min() < 0 or labels.max() >= len(spec.classes)):
        raise DataError(f"{label_path}: labels outside 0..{len(spec.classes) - 1} for {spec.name}")
    if spec.transposed:
        # EMNIST stores each image transposed relative to MNIST.
        images = np.ascontiguousarray(images.transpose(0, 2, 1))
    log.info("loaded %s/%s: %d images", name, split, len(labels))
    return Dataset(name, split, images, labels, spec.classes, [str(image_path), str(label_path)])
