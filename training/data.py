"""Assembling training and evaluation arrays from dataset names."""

from __future__ import annotations

import os

import numpy as np

from ocr.charsets import class_mapping
from ocr.errors import DataError
from training import datasets

#: ``printed`` datasets: samples per class, and the seed of each split.
PRINTED = "printed"
PRINTED_PER_CLASS = 300
PRINTED_SEEDS = {"train": 0, "test": 1}
#: Training source of the print line model: text lines rendered from fonts.
TEXT_LINES = "printed-lines"


def parse_dataset_list(text: str | None, default: tuple[str, ...], default_split: str) -> list[tuple[str, str]]:
    """Parse ``"a:train,b:test"`` into (name, split) pairs."""
    items = [t.strip() for t in text.split(",")] if text else list(default)
    return [datasets.parse_dataset_split(item, default_split) for item in items if item]


def load_printed(split: str, labels: str) -> datasets.Dataset:
    """Synthetic printed glyphs of ``labels`` for the spec ``printed[:SPLIT]``.

    SPLIT is ``train`` (the default) or ``test``, each ``PRINTED_PER_CLASS``
    samples per class from its own seed, or a positive integer N: N samples
    per class from the training seed (``printed:50`` for smoke runs).
    """
    from training.synth import render_glyphs  # imports PIL/OpenCV only when used

    if split in PRINTED_SEEDS:
        per_class, seed = PRINTED_PER_CLASS, PRINTED_SEEDS[split]
    elif split.isdigit() and int(split) > 0:
        per_class, seed = int(split), PRINTED_SEEDS["train"]
    else:
        raise DataError(f"printed:{split}: use printed:train, printed:test or "
                        f"printed:N with N samples per class")
    return render_glyphs(labels, per_class, seed=seed)


def load_training_arrays(specs: list[tuple[str, str]], labels: str,
                         data_dir: str | os.PathLike | None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Concatenate datasets, mapping each one's classes onto ``labels``.

    Images whose class does not exist in ``labels`` are dropped, so MNIST can
    feed a character model and EMNIST letters cannot feed a digit model.
    ``printed[:SPLIT]`` renders synthetic printed glyphs of ``labels`` (see
    :func:`load_printed`) instead of reading files; ``orand-car-a:SPLIT`` cuts
    the cheque digits out along their boxes (:mod:`training.cheques`).
    """
    images, targets, used = [], [], []
    for name, split in specs:
        if name == PRINTED:
            data = load_printed(split, labels)
        elif name == datasets.ORAND_FOLDER:
            from training.cheques import orand_cheques, orand_glyphs

            data = orand_glyphs(orand_cheques(split, data_dir))
        else:
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
    """Load a test split and drop images pixel-identical to the ``exclude`` splits.

    ``name`` may also be a glyph folder (``DIR/<label>/*.png``).
    """
    if os.path.isdir(name):
        data = datasets.load_glyph_folder(name)
    else:
        data = datasets.load(name, split, data_dir)
    others = [datasets.load(*datasets.parse_dataset_split(e, "train"), data_dir) for e in exclude]
    return datasets.drop_duplicates(data, others)
