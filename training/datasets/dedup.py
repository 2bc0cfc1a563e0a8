"""Pixel-identical images across datasets (EMNIST's splits overlap), found by hashing."""

from __future__ import annotations

import hashlib

import numpy as np

from training.datasets.base import Dataset


def image_hashes(images: np.ndarray) -> np.ndarray:
    """One 128-bit digest per image, to find pixel-identical images across datasets."""
    flat = np.ascontiguousarray(images.reshape(len(images), -1))
    return np.array([hashlib.blake2b(row.tobytes(), digest_size=16).digest() for row in flat])


def drop_duplicates(dataset: Dataset, others: list[Dataset]) -> tuple[Dataset, int]:
    """Remove images of ``dataset`` that are pixel-identical to any image in ``others``.

    Returns the filtered dataset and the number of images dropped.
    """
    if not others:
        return dataset, 0
    seen = set(np.concatenate([image_hashes(o.images) for o in others]).tolist())
    keep = np.array([h not in seen for h in image_hashes(dataset.images).tolist()], dtype=bool)
    kept = Dataset(dataset.name, dataset.split, dataset.images[keep], dataset.labels[keep],
                   dataset.classes, dataset.source_files)
    return kept, int((~keep).sum())
