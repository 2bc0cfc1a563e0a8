"""Assembling training and evaluation arrays from dataset names."""

from __future__ import annotations

import os

import numpy as np

from ocr.charsets import class_mapping
from ocr.errors import DataError
from training import datasets


def parse_dataset_list(text: str | None, default: tuple[str, ...], default_split: str) -> list[tuple[str, str]]:
    """Parse ``"a:train,b:test"`` into (name, split) pairs."""
    items = [t.strip() for t in text.split(",")] if text else list(default)
    return [datasets.parse_dataset_split(item, default_split) for item in items if item]


def load_training_arrays(specs: list[tuple[str, str]], labels: str,
                         data_dir: str | os.PathLike | None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Concatenate datasets, mapping each one's classes onto ``labels``.

    Images whose class does not exist in ``labels`` are dropped, so MNIST can
    feed a character model and EMNIST letters cannot feed a digit model.
    """
    images, targets, used = [], [], []
    for name, split in specs:
        data = datasets.load(name, split, data_dir)
        mapping = class_mapping(data.classes, labels)
        mapped = mapping[data.labels]
        keep = mapped >= 0
        if not keep.any():
            raise DataError(f"{name}:{split} has no classes in common with the model's labels")
        images.append(data.images[keep])
        targets.append(mapped[keep])
        used.append(f"{name}:{split} ({int(keep.sum())} images)")
    return np.concatenate(images), np.concatenate(targets), used


def load_evaluation(name: str, split: str, exclude: list[str] | tuple[str, ...],
                    data_dir: str | os.PathLike | None) -> tuple[datasets.Dataset, int]:
    """Load a test split and drop images pixel-identical to the ``exclude`` splits."""
    data = datasets.load(name, split, data_dir)
    others = [datasets.load(*datasets.parse_dataset_split(e, "train"), data_dir) for e in exclude]
    return datasets.drop_duplicates(data, others)
