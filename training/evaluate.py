"""Scoring a model on a dataset split: accuracy, confusion matrix, worst pairs."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ocr.charsets import class_mapping, project_probabilities
from ocr.normalize import LineInput
from ocr.models import LoadedModel
from ocr.recognize_lines import LineRecognizer
from ocr.errors import DataError
from ocr.fileio import atomic_path
from training.data import load_evaluation


@dataclass
class EvalReport:
    """What ``ocr evaluate`` prints."""

    dataset: str
    split: str
    accuracy: float
    n: int
    excluded: int
    classes: str
    confusion: np.ndarray  # rows: true class, columns: predicted class

    def most_confused(self, k: int = 10) -> list[tuple[str, str, int]]:
        """The ``k`` most frequent (true, predicted, count) mistakes."""
        off = self.confusion.copy()
        np.fill_diagonal(off, 0)
        order = np.argsort(off, axis=None)[::-1][:k]
        pairs = []
        for flat in order:
            i, j = np.unravel_index(flat, off.shape)
            if off[i, j] == 0:
                break
            pairs.append((self.classes[i], self.classes[j], int(off[i, j])))
        return pairs

    def to_dict(self) -> dict:
        return {
            "dataset": self.dataset, "split": self.split, "accuracy": self.accuracy,
            "n": self.n, "excluded": self.excluded,
            "most_confused": [{"true": t, "predicted": p, "count": c} for t, p, c in self.most_confused()],
        }

    def summary(self, model: str) -> list[str]:
        """The report in lines for a person to read."""
        kept = f" (kept {self.n}, excluded {self.excluded} duplicates)" if self.excluded else ""
        where = self.dataset if self.split == "all" else f"{self.dataset}:{self.split}"
        out = [f"{model} on {where}: accuracy {self.accuracy:.4f} on {self.n} images{kept}"]
        pairs = self.most_confused(5)
        if pairs:
            out.append("most confused: " + ", ".join(f"{t}->{p} ({c})" for t, p, c in pairs))
        return out


def _coded(a, b) -> tuple[np.ndarray, np.ndarray]:
    """Both sequences as integer arrays over one shared code book."""
    codes: dict = {}
    return (np.array([codes.setdefault(x, len(codes)) for x in a], np.int64),
            np.array([codes.setdefault(x, len(codes)) for x in b], np.int64))


def _last_row(av: np.ndarray, bv: np.ndarray, free_start: bool = False) -> np.ndarray:
    """The last row of the edit-distance table of ``av`` against ``bv`` (row DP vectorized with
    numpy): entry j is the distance of all of ``av`` to ``bv[:j]``, or with ``free_start`` to
    the best ``bv[k:j]`` (a match may begin anywhere in ``bv``)."""
    j = np.arange(len(bv) + 1)
    prev = np.zeros(len(bv) + 1, np.int64) if free_start else j.copy()
    for i, x in enumerate(av, start=1):
        tmp = np.empty_like(prev)
        tmp[0] = i
        tmp[1:] = np.minimum(prev[1:] + 1, prev[:-1] + (bv != x))
        # Insertions along the row: row[j] = min_k<=j (tmp[k] + j - k).
        prev = np.minimum.accumulate(tmp - j) + j
    return prev


def edit_distance(a, b) -> int:
    """Levenshtein distance between two sequences."""
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a)
    av, bv = _coded(a, b)
    return int(_last_row(av, bv)[-1])


def closest_substring(read, truth) -> tuple[int, int, int]:
    """(errors, start, end): the stretch ``truth[start:end]`` that ``read`` is closest to by edit
    distance (semi-global alignment, the truth's ends free), and that distance. How a line read
    from a page is scored when the page's truth does not split into the same lines."""
    if not read:
        return 0, 0, 0
    rv, tv = _coded(read, truth)
    forward = _last_row(rv, tv, free_start=True)
    end = int(forward.argmin())
    # The same alignment of both reversed, over the truth up to ``end``, finds the start.
    start = end - int(_last_row(rv[::-1], tv[:end][::-1], free_start=True).argmin())
    return int(forward[end]), start, end


def predict_in_classes(model, model_labels: Sequence[str], images: np.ndarray,
                       target_labels: Sequence[str], batch_size: int = 1024) -> np.ndarray:
    """Predict classes of ``target_labels``; model classes outside it are ignored."""
    mapping = class_mapping(model_labels, target_labels)
    if not (mapping >= 0).any():
        raise DataError("the model's labels share no class with the dataset")
    probs = model.predict(images, batch_size=batch_size, verbose=0)
    return project_probabilities(probs, mapping, len(target_labels)).argmax(axis=1)


def protocol_arrays(evaluation, labels: str, data_dir) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels of one registry evaluation, for monitoring during training."""
    data, _ = load_evaluation(evaluation.dataset, evaluation.split, evaluation.exclude, data_dir)
    mapping = class_mapping(data.classes, labels)
    keep = mapping[data.labels] >= 0
    return data.images[keep], mapping[data.labels[keep]]


def evaluate_model(model, model_labels: Sequence[str], dataset: str, split: str = "test",
                   exclude: Sequence[str] = (), data_dir: str | os.PathLike | None = None,
                   ) -> EvalReport:
    """Score ``model`` on a dataset split, in the dataset's own label set.

    Model probabilities are summed into the dataset's classes (so a 62-class
    model is scored fairly on 47-class ByMerge, and a character model on MNIST
    has its output restricted to digits).
    """
    data, excluded = load_evaluation(dataset, split, tuple(exclude), data_dir)
    if len(data) == 0:
        raise DataError(f"{dataset}:{split} has no images left after exclusions")
    predicted = predict_in_classes(model, model_labels, data.images, data.classes)
    n_classes = len(data.classes)
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(confusion, (data.labels, predicted), 1)
    accuracy = float((predicted == data.labels).mean())
    return EvalReport(dataset, split, accuracy, len(data), excluded, data.classes, confusion)


def save_confusion_image(report: EvalReport, path: str | os.PathLike, cell: int = 16) -> Path:
    """Draw the confusion matrix as a PNG (log-scaled heat map with class labels)."""
    from PIL import Image, ImageDraw

    n = len(report.classes)
    margin = cell + 4
    counts = report.confusion.astype(np.float64)
    scaled = np.log1p(counts) / max(np.log1p(counts.max()), 1e-9)
    shade = (255 - scaled * 255).astype(np.uint8)
    grid = np.kron(shade, np.ones((cell, cell), dtype=np.uint8))
    canvas = Image.new("L", (margin + n * cell, margin + n * cell), 255)
    canvas.paste(Image.fromarray(grid), (margin, margin))
    draw = ImageDraw.Draw(canvas)
    for i, label in enumerate(report.classes):
        draw.text((margin + i * cell + cell // 4, 2), label, fill=0)
        draw.text((4, margin + i * cell + 2), label, fill=0)
    path = Path(path)
    with atomic_path(path, suffix=".png") as tmp:
        canvas.save(tmp, format="PNG")
    return path


# ---------------------------------------------------------------- line models
#: Line-model test sets: composed strings of held-out MNIST test digits, and
#: real cheque amounts.
LINE_DATASETS = ("mnist-strings", "orand-car-a", "printed-lines", "testaments-de-poilus")
#: Strings composed for ``mnist-strings`` (lines rendered for
#: ``printed-lines``) and the seed that fixes them.
MNIST_STRINGS = 5000
MNIST_STRINGS_SEED = 2014
PRINTED_LINES = 2000


@dataclass
class LineReport:
    """Character error rate and whole-string accuracy of a line model."""

    dataset: str
    split: str
    cer: float
    accuracy: float  # whole strings read exactly
    n: int
    mistakes: list[tuple[str, str]]  # (truth, read), first few

    def to_dict(self) -> dict:
        return {"dataset": self.dataset, "split": self.split, "cer": self.cer, "accuracy": self.accuracy,
                "n": self.n, "mistakes": [{"true": t, "read": r} for t, r in self.mistakes]}

    def summary(self, model: str) -> list[str]:
        """The report in lines for a person to read."""
        out = [f"{model} on {self.dataset}:{self.split}: CER {self.cer:.4f}, strings read exactly "
               f"{self.accuracy:.4f} on {self.n} strings"]
        if self.mistakes:
            out.append("e.g. " + ", ".join(f"{t}->{r or '(nothing)'}" for t, r in self.mistakes[:5]))
        return out


def string_scores(truths: Sequence[str], reads: Sequence[str]) -> tuple[float, float]:
    """(character error rate, whole-string accuracy)."""
    errors = sum(edit_distance(t, r) for t, r in zip(truths, reads))
    chars = sum(len(t) for t in truths)
    exact = float(np.mean([t == r for t, r in zip(truths, reads)])) if truths else 0.0
    return errors / max(chars, 1), exact


def _synthetic_lines(dataset: str, alphabet: str, data_dir, limit: int | None,
                     deslant=None) -> tuple[np.ndarray, list[str]]:
    """Model inputs and texts of ``mnist-strings`` or ``printed-lines`` (fixed seed; rendered
    lines sheared by ``deslant``, a :class:`ocr.deslant.DeslantRule`, as reading would)."""
    if dataset == "mnist-strings":
        from training import datasets
        from training.strings import line_dataset

        digits = datasets.load("mnist", "test", data_dir)
        x, _, texts = line_dataset(digits.images, digits.labels, limit or MNIST_STRINGS, alphabet,
                                   seed=MNIST_STRINGS_SEED)
    elif dataset == "printed-lines":
        from training.textlines import textline_dataset

        x, _, texts = textline_dataset(limit or PRINTED_LINES, alphabet, seed=MNIST_STRINGS_SEED, deslant=deslant)
    else:
        raise DataError(f"unknown line dataset {dataset!r}; known: {', '.join(LINE_DATASETS)}")
    return x, texts


def read_line_images(model, labels: Sequence[str], images: Sequence[np.ndarray], language=None) -> list[str]:
    """What a line model (Keras model, labels) reads in line inputs already at its input format,
    decoded with ``language`` (an :class:`ocr.language.CharNgram`) when given."""
    reader = LineRecognizer(LoadedModel.from_network(model, labels, "line"), language=language)
    probs = reader.frame_probabilities([LineInput(img, 1.0, 0, 0) for img in images])
    return [" ".join("".join(labels[c.label] for c in reader.decode(p)).split()) for p in probs]


def read_handwritten_lines(model, labels: Sequence[str], data_dir, split: str,
                           limit: int | None = None, language=None,
                           deslant=None) -> tuple[list[str], list[str]]:
    """(truths, reads) of a line model on the real handwritten lines of ``split``, each line
    image read as one line (see :func:`read_line_files`)."""
    from training.datasets import handwritten_lines

    lines = handwritten_lines(data_dir, split)[:limit]
    return [ln.text for ln in lines], read_line_files(model, labels, [ln.path for ln in lines],
                                                      language, deslant)


def read_line_files(model, labels: Sequence[str], paths: Sequence[str | os.PathLike], language=None,
                    deslant=None) -> list[str]:
    """What a line model (Keras model, labels) reads in line image files, each read as one
    line: binarized as ``ocr read`` does, no segmentation, its ink sheared upright first by
    ``deslant`` (an :class:`ocr.deslant.DeslantRule`, as the model's card asks) when given."""
    from ocr.deslant import upright
    from ocr.normalize import to_line_input
    from training.handwriting import line_ink

    height = int(model.input_shape[1])  # (N, rows, W): a line model's input
    images = [to_line_input(upright(line_ink(path), deslant), height=height).image for path in paths]
    return read_line_images(model, labels, images, language)


def read_digit_strings(predictor, paths: Sequence[str | os.PathLike]) -> list[str]:
    """The digits a :class:`ocr.pipeline.Predictor` reads in each image, through the whole
    pipeline; separators and closing marks are dropped, as cheque-amount truths have none."""
    from ocr.io import load

    return [re.sub(r"\D", "", predictor.read_page(load(str(p))[0]).text) for p in paths]


def evaluate_line_model(model, labels: Sequence[str], dataset: str, split: str = "test",
                        data_dir: str | os.PathLike | None = None, limit: int | None = None,
                        language=None, deslant=None) -> LineReport:
    """Score a line model (Keras model, labels) on ``mnist-strings``, ``printed-lines``,
    ``orand-car-a`` or ``testaments-de-poilus``.

    ``mnist-strings`` composes :data:`MNIST_STRINGS` strings from MNIST test
    digits (never seen in training) with a fixed seed and reads the model
    inputs directly; ``printed-lines`` renders :data:`PRINTED_LINES` lines
    with a seed no training run uses. ``orand-car-a`` reads each cheque image through the
    whole pipeline (preprocessing, segmentation, line model) and compares
    its digits with the amount; its ``split`` is one of
    ``training.datasets.ORAND_SPLITS`` (``test``: the half no bundled model trains on).
    ``testaments-de-poilus`` reads the real cursive lines of a writer split
    (``training.datasets.HANDWRITING_SPLITS``), each image as one line.
    ``language`` (a character n-gram) decodes by beam search instead of best path;
    ``deslant`` (the card's :class:`ocr.deslant.DeslantRule`) shears the real and
    rendered lines' ink upright first, as reading does.
    """
    if dataset == "orand-car-a":
        from ocr.pipeline import Predictor
        from training.datasets import orand_car_a

        rows = orand_car_a(data_dir, split)[:limit]
        truths = [text for _, text in rows]
        reader = LineRecognizer(LoadedModel.from_network(model, labels, "line"), language=language,
                                deslant=deslant)
        reads = read_digit_strings(Predictor(recognizer=reader),
                                   [path for path, _ in rows])
    elif dataset == "testaments-de-poilus":
        truths, reads = read_handwritten_lines(model, labels, data_dir, split, limit, language, deslant)
    else:
        x, truths = _synthetic_lines(dataset, "".join(labels), data_dir, limit, deslant)
        reads = read_line_images(model, labels, x, language)
        split = "test"
    cer, accuracy = string_scores(truths, reads)
    mistakes = [(t, r) for t, r in zip(truths, reads) if t != r][:20]
    return LineReport(dataset, split, cer, accuracy, len(truths), mistakes)
