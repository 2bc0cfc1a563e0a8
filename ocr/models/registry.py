"""The model registry: names mapped to builders, bundled weights and metadata."""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocr import charsets
from ocr.errors import ModelError
from ocr.models.store import load_model, read_metadata

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


@dataclass(frozen=True)
class Evaluation:
    """A test protocol: a dataset split, minus images identical to other splits."""

    dataset: str
    split: str = "test"
    exclude: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        text = f"{self.dataset}:{self.split}"
        return text + "".join(f" -{e}" for e in self.exclude)


@dataclass(frozen=True)
class ModelSpec:
    """Everything the project knows about one named model."""

    name: str
    builder: str
    labels: str
    train_datasets: tuple[str, ...]
    evaluations: tuple[Evaluation, ...]
    description: str
    builder_kwargs: dict[str, Any] = field(default_factory=dict)
    #: Augmentation strengths for training (``RandomAffine`` keyword arguments).
    augment: dict[str, float] = field(default_factory=dict)
    #: ``"glyph"``: classifies one normalized glyph; ``"line"``: reads a whole
    #: text line with CTC (labels exclude the blank).
    kind: str = "glyph"

    @property
    def weights(self) -> Path:
        return WEIGHTS_DIR / f"{self.name}.keras"

    def build(self, num_classes: int | None = None, **overrides):
        """Build a fresh, untrained model (imports Keras)."""
        module_name, _, func_name = self.builder.rpartition(".")
        builder = getattr(importlib.import_module(module_name), func_name)
        kwargs = {**self.builder_kwargs, **overrides}
        return builder(num_classes=num_classes or len(self.labels), name=self.name, **kwargs)


REGISTRY: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="lenet",
            builder="ocr.models.builders.lenet",
            labels=charsets.DIGITS,
            train_datasets=("mnist:train",),
            evaluations=(Evaluation("mnist", "test"),),
            description="LeNet-5-style handwritten digit recognizer (MNIST)",
        ),
        ModelSpec(
            name="charnet",
            builder="ocr.models.builders.charnet",
            labels=charsets.CHARNET,
            train_datasets=("emnist-byclass:test", "mnist:train", "printed:400"),
            evaluations=(
                Evaluation("emnist-bymerge", "test", exclude=("emnist-byclass:test",)),
                Evaluation("mnist", "test"),
            ),
            description="CNN character recognizer: digits, letters and punctuation, "
                        "handwritten (EMNIST) and printed (rendered fonts)",
            builder_kwargs={"widths": (48, 96, 192)},
            # EMNIST glyphs fill their 28x28 frame: large shifts and zooms push
            # strokes out of it, so characters get milder transforms than digits.
            augment={"rotation": 8.0, "scale": 0.08, "aspect": 0.08, "shear": 0.1, "shift": 0.05},
        ),
        ModelSpec(
            name="digitline",
            builder="ocr.models.builders.crnn",
            labels=charsets.DIGITS + ".,",
            train_datasets=("mnist:train", "orand-car-a:train"),
            evaluations=(Evaluation("mnist-strings", "test"), Evaluation("orand-car-a", "test")),
            description="Line recognizer for digit fields and amounts (CRNN + CTC), trained on "
                        "MNIST and cheque digits composed into strings and on real cheque amounts",
            builder_kwargs={"widths": (16, 32, 64, 96, 128), "rnn_units": 96},
            kind="line",
        ),
        ModelSpec(
            name="textline",
            builder="ocr.models.builders.crnn",
            labels=charsets.CHARNET,
            train_datasets=("printed-lines",),
            evaluations=(Evaluation("printed-lines", "test"),),
            description="Line recognizer for printed text (CRNN + CTC), trained on text lines "
                        "rendered from system fonts",
            builder_kwargs={"widths": (16, 32, 64, 96, 128), "rnn_units": 128},
            kind="line",
        ),
    )
}


def get_spec(name: str) -> ModelSpec:
    """Return a registered model's spec; unknown names get a clear error."""
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise ModelError(f"unknown model {name!r}; known models: {known}, or a path to a .keras file") from None


def resolve(model: str | os.PathLike) -> Path:
    """Turn a registry name or a ``.keras`` path into the file to load."""
    text = str(model)
    if text in REGISTRY:
        path = REGISTRY[text].weights
        if not path.is_file():
            raise ModelError(f"bundled weights for {text!r} are missing ({path}); "
                             f"train them with: ocr train {text} --out {path}")
        return path
    path = Path(text)
    if path.suffix == ".keras" or path.exists():
        if not path.is_file():
            raise ModelError(f"{path}: model file not found")
        return path
    return get_spec(text).weights  # raises the unknown-name error


def model_kind(model: str | os.PathLike) -> str:
    """``"glyph"`` or ``"line"``, read from the model's metadata without loading Keras."""
    if str(model) in REGISTRY and not REGISTRY[str(model)].weights.is_file():
        return REGISTRY[str(model)].kind
    return read_metadata(resolve(model)).get("kind", "glyph")


def load(model: str | os.PathLike):
    """Load a model by registry name or path. Returns (keras_model, metadata)."""
    return load_model(resolve(model))


def load_classifier(model: str | os.PathLike):
    """Load a glyph classifier; its metadata's ``labels`` is checked against its output.

    A registered name whose file predates label metadata falls back to the
    registry's labels; anything else without a usable label list (a signature
    model, a foreign checkpoint) is refused rather than read with guessed labels.
    """
    path = resolve(model)
    net, meta = load_model(path)
    labels = meta.get("labels") or (REGISTRY[str(model)].labels if str(model) in REGISTRY else None)
    outputs = net.output_shape[-1] if isinstance(net.output_shape, tuple) else None
    if not labels or outputs != len(labels):
        raise ModelError(f"{path}: not a glyph classifier (no label list matching its outputs "
                         "in its metadata)")
    return net, {**meta, "labels": list(labels)}


def load_line_model(model: str | os.PathLike):
    """Load a line (CTC) model; its ``labels`` must match its outputs less the blank."""
    path = resolve(model)
    net, meta = load_model(path)
    labels = meta.get("labels")
    shape = net.output_shape if isinstance(net.output_shape, tuple) else ()
    if meta.get("kind") != "line" or not labels or len(shape) != 3 or shape[-1] != len(labels) + 1:
        raise ModelError(f"{path}: not a line model (no line-model metadata matching its outputs)")
    return net, {**meta, "labels": list(labels)}


def bundled() -> list[tuple[ModelSpec, dict[str, Any] | None]]:
    """The registered models with their metadata (None when weights are missing)."""
    out = []
    for spec in REGISTRY.values():
        out.append((spec, read_metadata(spec.weights) if spec.weights.is_file() else None))
    return out
