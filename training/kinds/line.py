"""The line kind's trainer: CRNN + CTC models that read a whole text line.

Training lines are rendered print (``printed-lines``) or strings composed
from glyph datasets, with random variants of real cheque amounts when
ORAND-CAR-A is among the sources; scores are CER and whole strings read on
the registry's protocols; fine-tuning adapts every layer to a folder of line
images with transcripts (:mod:`training.finetune_lines`).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from ocr.errors import OcrError
from ocr.models.registry import ModelSpec
from training.data import TEXT_LINES, load_training_arrays, parse_dataset_list
from training.datasets import ORAND_FOLDER
from training.kinds.base import Trainer

log = logging.getLogger(__name__)

#: Share of a line model's training lines that are variants of real amounts,
#: when real ones are among its sources.
REAL_LINE_SHARE = 0.15

LINE_INPUT = {"shape": [32, None], "dtype": "uint8", "ink": "white on black", "range": [0, 255],
              "normalization": "ocr.normalize.to_line_input: the line's ink cropped, scaled to 28 rows "
                               "keeping aspect ratio, centred in 32 rows, left-aligned, width padded "
                               "to a multiple of 4 (at least 160); scaled to 0..1 inside the model",
              "output": "per 4-column frame: probabilities of [CTC blank] + labels"}


#: How the print line model's rendered lines vary, for its card (training/textlines.py).
RENDERED_PRINT_LINES = ("scan-like print lines (training/textlines.py): Debian font families, 6-40 px capitals, "
                        "paper, bleed-through, blur, noise, JPEG, fax, Otsu/Sauvola/hard thresholds, cut-off "
                        "pieces of neighbouring lines (30%), box sides (8%); words of the word lists, numbers, "
                        "punctuation as print sets it (quotations ended after their stop, abbreviations, a comma "
                        "after one plain word in eight, numbered citations)")


class LineTrainer(Trainer):
    """Builds, trains, scores, evaluates and fine-tunes line (CTC) models."""

    kind = "line"
    input_format = LINE_INPUT
    samples = "lines"
    evaluation_options = ()
    #: The :class:`ocr.deslant.DeslantRule` its training lines were sheared by (set by trainers that
    #: deslant), so that the card's scores read the test lines as the model will read them.
    deslant = None

    def augmentation(self, spec: ModelSpec, config) -> dict[str, Any]:
        names = {name for name, _ in parse_dataset_list(config.dataset, spec.train_datasets, "train")}
        if "printed-lines" in names:
            return {"kind": RENDERED_PRINT_LINES}
        return {"kind": "composed strings (training/strings.py StringStyle)"}

    def arrays(self, spec: ModelSpec, config, rng: np.random.Generator):
        from ocr.deslant import DeslantRule

        # A print model's rule (textline: italic runs stood upright) is its recipe's, drawn
        # into the rendered lines and the card as reading applies it.
        self.deslant = DeslantRule.from_card(spec.deslant)
        if self.deslant is not None:
            self.input_format = {**LINE_INPUT, "deslant": self.deslant.to_card()}
        return line_arrays(spec, config, rng)

    def training_model(self, spec: ModelSpec, config, net):
        from ocr.models.layers import CTCLoss

        # Composed strings are already randomized; the network trains as is.
        return net, CTCLoss(), []

    def network(self, model, spec: ModelSpec):
        import keras

        # A line model trains as itself: a new functional view of its layers
        # leaves the optimizer state (two more copies of every weight) out of the file.
        return keras.Model(model.inputs, model.outputs, name=spec.name)

    def score(self, net, spec: ModelSpec, config) -> dict[str, dict[str, Any]]:
        """Scores on the registry's test protocols; a line test set that is not at
        hand (ORAND-CAR-A cannot be downloaded) is skipped with a warning."""
        from ocr.errors import DatasetNotFoundError
        from training.evaluate import evaluate_line_model

        scores = {}
        for ev in spec.evaluations:
            try:
                report = evaluate_line_model(net, spec.labels, ev.dataset, ev.split, config.data_dir,
                                             limit=config.limit and 200, deslant=self.deslant)
            except DatasetNotFoundError as exc:
                log.warning("not scored on %s: %s", ev.key, exc)
                continue
            scores[ev.key] = {"cer": round(report.cer, 5), "accuracy": report.accuracy, "n": report.n}
            log.info("%s: CER %.4f, strings read exactly %.4f (%d)", ev.key, report.cer,
                     report.accuracy, report.n)
        return scores

    def evaluate(self, model, dataset: str, split: str = "test", exclude=(), data_dir=None,
                 confusion=None):
        from training.evaluate import evaluate_line_model

        from ocr.language import language_model_for

        return evaluate_line_model(model.net, model.labels, dataset, split, data_dir=data_dir,
                                   language=language_model_for(model.path), deslant=model.card.deslant)

    def companions(self, spec: ModelSpec, config, model_path) -> list[str]:
        """The print model's language model and word-space model, counted from the text its
        renders are drawn from."""
        if spec.train_datasets != (TEXT_LINES,):
            return []  # digit strings: every digit string is as likely as another
        from training.language import PRINT_CORPUS_LINES, write_print_language_model

        lines = min(PRINT_CORPUS_LINES, 10 * config.limit) if config.limit else PRINT_CORPUS_LINES
        return [str(p) for p in write_print_language_model(model_path, spec.labels, lines, seed=config.seed)]

    def finetune(self, config, base_path):
        from training.finetune_lines import finetune_lines

        return finetune_lines(config, base_path)


def available_sources(specs: list[tuple[str, str]], data_dir) -> list[tuple[str, str]]:
    """The default sources without ORAND-CAR-A when it is not at hand: it cannot be
    downloaded, and a model can still be trained without it (said in a warning)."""
    from ocr.errors import DatasetNotFoundError
    from training.datasets import orand_folder

    if (ORAND_FOLDER, "train") not in specs:
        return specs
    try:
        orand_folder(data_dir)
    except DatasetNotFoundError as exc:
        log.warning("training without real cheque amounts: %s", exc)
        return [s for s in specs if s[0] != ORAND_FOLDER]
    return specs


def line_arrays(spec: ModelSpec, config, rng: np.random.Generator):
    """Training and validation lines: rendered print, or strings composed from glyph datasets.

    Each glyph dataset composes an equal share of the strings; with real
    cheque amounts (``orand-car-a:SPLIT``) among the sources,
    :data:`REAL_LINE_SHARE` of the lines are random variants of its whole
    amounts, and one cheque in twelve is held out for validation.
    """
    n = config.limit or config.strings
    n_val = min(config.validation_size, max(n // 10, 1))
    if spec.train_datasets == (TEXT_LINES,):
        from training.textlines import textline_dataset

        if config.dataset:
            raise OcrError(f"{spec.name} trains on text lines rendered from the system fonts; "
                           "a training dataset does not apply (choose how many lines instead)")
        from ocr.deslant import DeslantRule

        rule = DeslantRule.from_card(spec.deslant)
        x_train, y_train, _ = textline_dataset(n, spec.labels, seed=config.seed, deslant=rule)
        x_val, y_val, _ = textline_dataset(n_val, spec.labels, seed=config.seed + 1, deslant=rule)
        return (x_train, y_train), (x_val, y_val), [f"{TEXT_LINES}: {n} lines rendered from system fonts"]

    from ocr.normalize import LINE_MIN_WIDTH
    from training.strings import encode_texts, line_dataset, line_image

    train_specs = parse_dataset_list(config.dataset, spec.train_datasets, "train")
    if not config.dataset:
        train_specs = available_sources(train_specs, config.data_dir)
    real = [(name, split) for name, split in train_specs if name == ORAND_FOLDER]
    n_real = int(round(n * REAL_LINE_SHARE)) if real else 0
    xs_train, ys_train, xs_val, ys_val, used = [], [], [], [], []
    for k, (name, split) in enumerate(train_specs):
        x, y, described = load_training_arrays([(name, split)], spec.labels, config.data_dir)
        # Validation strings are composed from glyphs held out of training.
        order = rng.permutation(len(y))
        held, rest = order[: max(len(y) // 12, 1)], order[max(len(y) // 12, 1):]
        n_source = (n - n_real) // len(train_specs) + (k < (n - n_real) % len(train_specs))
        x_train, _, t_train = line_dataset(x[rest], y[rest], n_source, spec.labels, seed=config.seed + 10 * k)
        x_val, _, t_val = line_dataset(x[held], y[held], max(n_val // len(train_specs), 1), spec.labels,
                                       seed=config.seed + 10 * k + 1)
        xs_train.append(x_train)
        ys_train.extend(t_train)
        xs_val.append(x_val)
        ys_val.extend(t_val)
        used.append(described[0] + f" composed into {n_source} strings")
    if n_real:
        from training.cheques import augmented_lines, orand_cheques, orand_lines

        cheques = [c for name, split in real for c in orand_cheques(split, config.data_dir)]
        order = rng.permutation(len(cheques))
        n_held = max(len(cheques) // 12, 1)
        lines = orand_lines([cheques[i] for i in order[n_held:]])
        x_train, t_train = augmented_lines(lines, n_real, rng)
        held = orand_lines([cheques[i] for i in order[:n_held]])
        xs_train.append(x_train)
        ys_train.extend(t_train)
        xs_val.append(np.stack([line_image(m, LINE_MIN_WIDTH) for m in held.masks]))
        ys_val.extend(held.texts)
        used.append(f"{ORAND_FOLDER}:{'+'.join(s for _, s in real)} ({len(lines.texts)} whole amounts, "
                    f"{n_real} random variants)")
    length = max(len(t) for t in ys_train + ys_val)
    return ((np.concatenate(xs_train), encode_texts(ys_train, spec.labels, length)),
            (np.concatenate(xs_val), encode_texts(ys_val, spec.labels, length)), used)


