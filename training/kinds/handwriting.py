"""The handwriting line model's trainer: a line (CTC) model learnt from real cursive lines.

It is a line model like ``textline`` and ``digitline`` (same reader, same
scoring, same fine-tuning); what differs is the data: real line images of
the training writers of a writer-split set (:mod:`training.datasets.handwriting`),
drawn as new random variants every epoch (:mod:`training.handwriting`), at
the taller input the spec's builder asks for, with the word space among the
classes.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from ocr.errors import OcrError
from ocr.models.registry import ModelSpec
from training.data import parse_dataset_list
from training.kinds.line import LINE_INPUT, LineTrainer

log = logging.getLogger(__name__)


def input_format(height: int) -> dict[str, Any]:
    """The card's input format for a line model ``height`` rows high."""
    return {**LINE_INPUT, "shape": [height, None],
            "normalization": f"ocr.normalize.to_line_input(height={height}): the line's ink cropped, "
                             f"scaled to {height - 4} rows keeping aspect ratio, centred in {height} rows, "
                             "left-aligned, width padded to a multiple of 4 (at least 160); scaled to "
                             "0..1 inside the model"}


class HandwritingLineTrainer(LineTrainer):
    """Trains a line model on real handwritten lines, split by writer, augmented every epoch."""

    #: Rows of the model input: the spec's builder height, set by :meth:`arrays`.
    height: int = 0

    def augmentation(self, spec: ModelSpec, config) -> dict[str, Any]:
        return {"kind": "every line redrawn each epoch (training/handwriting.py augment_ink)",
                "shear": [-0.35, 0.35], "rotation_degrees": [-2, 2], "width_scale": [0.8, 1.2],
                "elastic": "half the lines, smooth displacements of about 1 px", "stroke": "2x2 dilate 25%, "
                "erode 15%"}

    def arrays(self, spec: ModelSpec, config, rng: np.random.Generator):
        from training.datasets import handwritten_lines
        from training.handwriting import handwriting_arrays

        self.height = int(spec.builder_kwargs["height"])
        self.input_format = input_format(self.height)
        specs = parse_dataset_list(config.dataset, spec.train_datasets, "train")
        lines, used = [], []
        for name, split in specs:
            if split == "test" or split == "all":
                raise OcrError(f"{name}:{split}: the test writers are never trained on; use train or val")
            found = handwritten_lines(config.data_dir, split)
            lines.extend(found)
            used.append(f"{name}:{split} ({len(found)} lines, {len({ln.writer for ln in found})} writers)")
        val = handwritten_lines(config.data_dir, "val")
        if config.limit:
            lines, val = lines[:config.limit], val[:max(config.limit // 10, 2)]
        inks, texts = handwriting_arrays(lines, spec.labels, self.height)
        val_inks, val_texts = handwriting_arrays(val, spec.labels, self.height)
        used.append(f"validation: {specs[0][0]}:val ({len(val_texts)} lines of other writers)")
        from training.strings import encode_texts

        length = max(len(t) for t in texts + val_texts)
        return ((inks, encode_texts(texts, spec.labels, length)),
                (val_inks, encode_texts(val_texts, spec.labels, length)), used)

    def fit_inputs(self, train, validation, batch_size: int, seed: int) -> dict[str, Any]:
        from training.handwriting import LineBatches, as_dataset

        (inks, y), (val_inks, val_y) = train, validation
        return {"x": as_dataset(LineBatches(inks, y, self.height, batch_size, augment=True, seed=seed)),
                "validation_data": as_dataset(LineBatches(val_inks, val_y, self.height, batch_size,
                                                          augment=False))}
