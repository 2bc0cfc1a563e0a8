"""Model kinds: what each kind of network takes, gives, and which classes serve it.

A kind ties together, by name, the pieces that used to be chosen by
``if kind == "line"`` branches all over the code: the check that a loaded
network is what its card says, the reader that runs it on pages (inference,
in :mod:`ocr`) and the trainer that builds, trains, scores and fine-tunes it
(in :mod:`training`). Readers and trainers are named by dotted path and
imported on first use, so this module stays import-light and the model layer
does not import the layers above it.

Adding a kind: one module with its reader (and trainer), plus one entry in
:data:`KINDS`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from ocr.errors import ModelError


def _import(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _output_shape(net) -> tuple:
    shape = net.output_shape
    return shape if isinstance(shape, tuple) else ()


@dataclass(frozen=True)
class ModelKind:
    """One kind of model; subclasses say how a network of the kind is checked."""

    name: str
    description: str
    #: ``module:Class`` of the reader (inference side), or "" for none.
    reader_path: str = ""
    #: ``module:Class`` of the trainer (training side).
    trainer_path: str = ""

    def check(self, net, card, where: str) -> None:
        """Raise :class:`ModelError` when ``net`` does not match ``card``."""

    def exported_network(self, net):
        """The part of a Keras network an ONNX export holds: all of it, for most kinds."""
        return net

    def reader(self):
        """The reader class of this kind (reads page lines), imported now."""
        if not self.reader_path:
            raise ModelError(f"a {self.name} model does not read text ({self.description})")
        return _import(self.reader_path)

    def trainer(self):
        """The trainer class of this kind (imports the training package)."""
        if not self.trainer_path:
            raise ModelError(f"{self.name} models cannot be trained with this command")
        return _import(self.trainer_path)


@dataclass(frozen=True)
class GlyphKind(ModelKind):
    def check(self, net, card, where: str) -> None:
        shape = _output_shape(net)
        if not card.labels or len(shape) != 2 or shape[-1] != len(card.labels):
            raise ModelError(f"{where}: not a glyph classifier (no label list matching its outputs "
                             "in its metadata)")


@dataclass(frozen=True)
class LineKind(ModelKind):
    def check(self, net, card, where: str) -> None:
        shape = _output_shape(net)
        if not card.labels or len(shape) != 3 or shape[-1] != len(card.labels) + 1:
            raise ModelError(f"{where}: not a line model (no line-model metadata matching its outputs)")


@dataclass(frozen=True)
class SignatureKind(ModelKind):
    """A Siamese network (two signatures in, their distance out) in Keras; its ONNX
    export holds the shared embedding branch only (one signature in, a vector out),
    since verification embeds each image once and compares the vectors in numpy."""

    def check(self, net, card, where: str) -> None:
        inputs = len(getattr(net, "inputs", []) or [])
        if inputs == 2 or (inputs == 1 and len(_output_shape(net)) == 2):
            return
        raise ModelError(f"{where}: not a signature verification model (a two-input Siamese "
                         "network or its one-input embedding export)")

    def exported_network(self, net):
        return embedding_network(net)


def embedding_network(net):
    """The shared embedding branch inside a two-input Siamese Keras model."""
    for layer in net.layers:
        if hasattr(layer, "layers") and len(layer.inputs) == 1:
            return layer
    raise ModelError(f"{net.name}: not a Siamese signature model (no embedding branch)")


KINDS: dict[str, ModelKind] = {kind.name: kind for kind in (
    GlyphKind("glyph", "classifies one normalized 28x28 glyph",
              "ocr.recognize:Recognizer", "training.kinds.glyph:GlyphTrainer"),
    LineKind("line", "reads a whole text line with CTC (labels exclude the blank)",
             "ocr.recognize_lines:LineRecognizer", "training.kinds.line:LineTrainer"),
    SignatureKind("signature", "embeds signatures to compare a questioned one with references",
                  "", "training.kinds.signature:SignatureTrainer"),
)}


def get_kind(name: str, where: str = "model") -> ModelKind:
    """The kind called ``name``; an unknown one is a model error, not a KeyError."""
    try:
        return KINDS[name]
    except KeyError:
        raise ModelError(f"{where}: unknown model kind {name!r} (known: {', '.join(KINDS)})") from None
