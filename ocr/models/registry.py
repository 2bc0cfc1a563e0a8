"""The model registry: every bundled model by name, with its builder, kind and test protocols.

Loading goes through :func:`ocr.models.loader.load`; this module only knows
names, files and recipes, and imports neither Keras nor the loader.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocr import charsets
from ocr.errors import ModelError
from ocr.models.card import ModelCard
from ocr.models.kinds import ModelKind, get_kind
from ocr.models.store import read_metadata

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
    #: A name in :data:`ocr.models.kinds.KINDS`: ``glyph``, ``line`` or ``signature``.
    kind: str = "glyph"
    #: The command that trains it, when not ``ocr train NAME``.
    command: str = ""
    #: ``module:Class`` of its trainer, when it is not its kind's (a model with its own data recipe).
    trainer_path: str = ""
    #: The deslant rule of its training recipe (``input.deslant``: ``{"estimate_factor": F}``,
    #: ``{"shear": S}`` or ``{"italic_factor": F}``), applied to every training line and written
    #: into the card; None: none.
    deslant: dict[str, float] | None = None

    @property
    def train_command(self) -> str:
        return self.command or f"ocr train {self.name}"

    @property
    def weights(self) -> Path:
        return WEIGHTS_DIR / f"{self.name}.keras"

    @property
    def model_kind(self) -> ModelKind:
        return get_kind(self.kind, self.name)

    def trainer(self):
        """The trainer class of this model: its own, or its kind's (imports the training package)."""
        if self.trainer_path:
            module, _, name = self.trainer_path.partition(":")
            return getattr(importlib.import_module(module), name)
        return self.model_kind.trainer()

    def build(self, num_classes: int | None = None, **overrides):
        """Build a fresh, untrained model (imports Keras)."""
        module_name, _, func_name = self.builder.rpartition(".")
        builder = getattr(importlib.import_module(module_name), func_name)
        kwargs = {**self.builder_kwargs, **overrides}
        if self.labels:
            kwargs["num_classes"] = num_classes or len(self.labels)
        return builder(name=self.name, **kwargs)


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
            labels=charsets.PRINT,
            train_datasets=("printed-lines",),
            evaluations=(Evaluation("printed-lines", "test"),),
            description="Line recognizer for printed text (CRNN + CTC): printable ASCII, Western "
                        "European letters and print symbols, trained on text lines rendered from "
                        "system fonts and degraded like scans and faxes",
            builder_kwargs={"widths": (16, 32, 64, 96, 128), "rnn_units": 128},
            kind="line",
            # Italic runs read stood upright (bench/RESULTS.md, real print session 43).
            deslant={"italic_factor": 0.5},
        ),
        ModelSpec(
            name="handline",
            builder="ocr.models.builders.crnn",
            labels=charsets.HANDWRITING,
            train_datasets=("testaments-de-poilus:train",),
            evaluations=(Evaluation("testaments-de-poilus", "test"),),
            description="Line recognizer for cursive handwriting (CRNN + CTC, 48-row input, reads "
                        "word spaces), trained on real French cursive lines split by writer",
            builder_kwargs={"height": 48, "widths": (16, 32, 64, 128, 192), "rnn_units": 128,
                            "rnn_layers": 2},
            kind="line",
            trainer_path="training.kinds.handwriting:HandwritingLineTrainer",
            # The bundled card's rule (chosen on the validation writers, bench/RESULTS.md
            # handwriting session 15): ``ocr train handline`` reproduces its recipe.
            deslant={"estimate_factor": 0.3},
        ),
        ModelSpec(
            name="signet",
            builder="ocr.models.siamese.signet",
            labels="",
            train_datasets=("sign_data_sigcomp2011",),
            evaluations=(),
            description="Writer-independent signature verifier (SigNet-style Siamese CNN)",
            kind="signature",
            command="ocr train signature --data DIR",
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
            raise ModelError(f"bundled weights for {text!r} are missing ({path}); train them with: "
                             f"{REGISTRY[text].train_command} --out {path}")
        return path
    path = Path(text)
    if not text:
        raise ModelError("no model given")
    if path.suffix == ".keras" or path.exists():
        if not path.is_file():
            raise ModelError(f"{path}: model file not found")
        return path
    return get_spec(text).weights  # raises the unknown-name error


def bundled() -> list[tuple[ModelSpec, ModelCard | None]]:
    """The registered models with their cards (None when weights are missing)."""
    return [(spec, ModelCard.from_metadata(read_metadata(spec.weights), spec.weights, spec.labels)
             if spec.weights.is_file() else None) for spec in REGISTRY.values()]
