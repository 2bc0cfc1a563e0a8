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

from ocr.deslant import DeslantRule, upright
from ocr.errors import OcrError
from ocr.models.registry import ModelSpec
from training.data import parse_dataset_list
from ocr.normalize import LINE_STRIDE, to_line_input
from training.handwriting_fonts import HAND_FONT_LINES
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

    deslants = True
    #: Rows of the model input: the spec's builder height, set by :meth:`arrays`.
    height: int = 0
    #: How every line's ink is sheared before anything else (``config.deslant``), set by :meth:`arrays`.
    deslant: DeslantRule | None = None

    def augmentation(self, spec: ModelSpec, config) -> dict[str, Any]:
        described = {"kind": "every line redrawn each epoch (training/handwriting.py augment_ink)",
                     "shear": [-0.35, 0.35], "rotation_degrees": [-2, 2], "width_scale": [0.8, 1.2],
                     "elastic": "half the lines, smooth displacements of about 1 px", "stroke": "2x2 dilate 25%, "
                     "erode 15%"}
        if self.deslant is not None:  # set by arrays(), which runs first
            described["deslanted"] = ("every line's ink (real, rendered, validation) sheared by "
                                      "input.deslant first, as reading shears it; the variants vary around it")
        return described

    def arrays(self, spec: ModelSpec, config, rng: np.random.Generator):
        from training.datasets import handwritten_lines
        from training.handwriting import handwriting_arrays
        from training.train import resolve_deslant

        self.height = int(spec.builder_kwargs["height"])
        # training.train.train resolves the rule already; a trainer called on its own resolves it here.
        self.deslant = DeslantRule.from_card(resolve_deslant(spec, self, config.deslant))
        self.input_format = input_format(self.height)
        if self.deslant is not None:
            self.input_format["deslant"] = self.deslant.to_card()
        specs = parse_dataset_list(config.dataset, spec.train_datasets, "train")
        rendered = [split for name, split in specs if name == HAND_FONT_LINES]
        specs = [(name, split) for name, split in specs if name != HAND_FONT_LINES]
        if not specs:
            raise OcrError(f"{HAND_FONT_LINES} adds to real lines: name a real set too, "
                           "e.g. testaments-de-poilus:train")
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
        inks, texts = handwriting_arrays(lines, spec.labels, self.height, self.deslant)
        val_inks, val_texts = handwriting_arrays(val, spec.labels, self.height, self.deslant)
        self.transcripts = list(texts)  # the real lines' text: the language model's corpus
        for count in rendered:
            font_inks, font_texts = self.font_lines(count, spec.labels, texts, config)
            inks.extend(font_inks)
            texts.extend(font_texts)
            used.append(f"{HAND_FONT_LINES}:{count} ({len(font_texts)} lines drawn with handwriting "
                        f"fonts, half of them the training writers' transcripts)")
        used.append(f"validation: {specs[0][0]}:val ({len(val_texts)} lines of other writers)")
        from training.strings import encode_texts

        length = max(len(t) for t in texts + val_texts)
        return ((inks, encode_texts(texts, spec.labels, length)),
                (val_inks, encode_texts(val_texts, spec.labels, length)), used)

    #: Transcripts of the real training lines, set by :meth:`arrays`.
    transcripts: list[str] = []

    def companions(self, spec: ModelSpec, config, model_path) -> list[str]:
        """The character language model of the training writers' transcripts and English prose
        (:func:`training.language.handwriting_corpus`), the word list its beam search weighs
        words against, and its English variant (:func:`training.language.write_english_variant`),
        beside the model."""
        from training.language import handwriting_corpus, write_english_variant, write_language_and_words

        if not self.transcripts:
            return []
        alphabet = "".join(spec.labels)
        corpus, source = handwriting_corpus(self.transcripts, alphabet, config.seed)
        written = write_language_and_words(
            model_path, corpus, f"{config.dataset or ','.join(spec.train_datasets)}: {source}", alphabet)
        return [str(p) for p in written + write_english_variant(model_path, alphabet, config.seed)]

    def font_lines(self, count: str, alphabet: str, transcripts: list[str], config
                   ) -> tuple[list, list[str]]:
        """``count`` lines drawn with the handwriting fonts, kept to what the model's frames can emit."""
        from training.handwriting import frames_needed
        from training.handwriting_fonts import hand_font_lines

        if not count.isdigit() or int(count) <= 0:
            raise OcrError(f"{HAND_FONT_LINES}:{count}: give the number of lines, e.g. {HAND_FONT_LINES}:3000")
        n = int(count) if not config.limit else min(int(count), config.limit)
        inks, texts = hand_font_lines(n, alphabet, transcripts, seed=config.seed)
        inks = [upright(ink, self.deslant) for ink in inks]  # the reader shears every line, drawn ones too
        keep = [k for k, (ink, text) in enumerate(zip(inks, texts))
                if frames_needed(text) <= to_line_input(ink, height=self.height).image.shape[1] // LINE_STRIDE]
        return [inks[k] for k in keep], [texts[k] for k in keep]

    def fit_inputs(self, train, validation, batch_size: int, seed: int) -> dict[str, Any]:
        from training.handwriting import LineBatches, as_dataset

        (inks, y), (val_inks, val_y) = train, validation
        return {"x": as_dataset(LineBatches(inks, y, self.height, batch_size, augment=True, seed=seed)),
                "validation_data": as_dataset(LineBatches(val_inks, val_y, self.height, batch_size,
                                                          augment=False))}
