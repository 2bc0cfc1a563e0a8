"""One way to load a model: :func:`load` returns the network with its card, cached.

A name from the registry or a path to a ``.keras`` file is resolved once,
its card read and checked (without Keras, so bad input fails fast), the
network loaded with ``safe_mode`` and checked against its card's kind, and
the result cached per file (keyed by path, size and modification time, so a
retrained file is loaded again). The cache is shared by every thread.

Inference goes through :meth:`LoadedModel.predict`: the runtime behind it is
chosen here, so the readers never know which runs: ONNX Runtime on the
model's up-to-date ONNX export when there is one (:mod:`ocr.models.runtime`;
no TensorFlow import at all), else Keras (a graph-compiled call on
TensorFlow, a plain call on other backends). ``runtime="keras"`` asks for the
Keras network itself (training, fine-tuning, evaluation, signatures).
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ocr.errors import ModelError
from ocr.models.card import ModelCard
from ocr.models.kinds import ModelKind, get_kind
from ocr.models.registry import REGISTRY, resolve
from ocr.models.runtime import inference_threads, onnx_forward, requested_runtime
from ocr.models.store import PerFileCache, load_keras, read_metadata

log = logging.getLogger(__name__)


def compiled_forward(net) -> Callable[[np.ndarray], np.ndarray]:
    """A forward pass for batches of one input: graph-compiled on TensorFlow
    (eager Keras calls spend more time dispatching ops than computing on
    page-sized batches, about 2x), a plain call elsewhere."""
    try:
        import keras
        import tensorflow as tf

        if keras.backend.backend() != "tensorflow":
            raise ImportError
        spec = tf.TensorSpec([None, *net.input_shape[1:]], tf.float32)
        fn = tf.function(lambda batch: net(batch, training=False), input_signature=[spec],
                         autograph=False)
        return lambda batch: fn(tf.convert_to_tensor(batch, tf.float32)).numpy()
    except ImportError:
        return lambda batch: np.asarray(net(batch, training=False))


@dataclass
class LoadedModel:
    """A network with its card; :meth:`predict` runs it on a batch.

    ``net`` is the Keras network, or None when an ONNX export runs the model
    (load with ``runtime="keras"`` to get the network).
    """

    net: Any
    card: ModelCard
    path: Path | None = None
    _forward: Callable[[np.ndarray], np.ndarray] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_network(cls, net, labels, kind: str, name: str | None = None) -> "LoadedModel":
        """Wrap an in-memory network (scoring during training, fine-tuning, tests)."""
        card = ModelCard(name=name or net.name, kind=kind, labels=tuple(labels))
        get_kind(kind).check(net, card, card.name)
        return cls(net, card)

    @property
    def kind(self) -> ModelKind:
        return get_kind(self.card.kind)

    @property
    def labels(self) -> list[str]:
        return list(self.card.labels)

    @property
    def name(self) -> str:
        return str(self.path) if self.path is not None else self.card.name

    @property
    def runtime(self) -> str:
        return "keras" if self.net is not None else "onnx"

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """Model outputs for one batch (float32 input), as a numpy array."""
        if self._forward is None:
            with self._lock:
                if self._forward is None:
                    self._forward = compiled_forward(self.net)
        return self._forward(batch)


_MODELS = PerFileCache()


def _fallback_labels(model: str | os.PathLike) -> str | None:
    """Registered files that predate label metadata use the registry's labels."""
    spec = REGISTRY.get(str(model))
    return spec.labels if spec is not None else None


_CARDS = PerFileCache()


def read_card(model: str | os.PathLike) -> ModelCard:
    """The card of a model by registry name or path, without importing Keras (read once per file)."""
    path = resolve(model)
    fallback = _fallback_labels(model)
    return _CARDS.get(path, lambda: ModelCard.from_metadata(read_metadata(path), path, fallback), fallback)


def load(model: str | os.PathLike, kind: str | None = None, runtime: str | None = None) -> LoadedModel:
    """Load a model by registry name or ``.keras`` path, once per file and runtime per process.

    ``kind`` (``"glyph"``, ``"line"``, ``"signature"``) refuses a model of
    another kind with a clear error. ``runtime``: ``"auto"`` (default, or
    ``$OCR_RUNTIME``) runs an up-to-date ONNX export when there is one,
    ``"keras"`` always loads the Keras network, ``"onnx"`` insists on the export.
    """
    path = resolve(model)
    card = read_card(model)
    if kind is not None and card.kind != kind:
        raise ModelError(f"{path}: a {card.kind} model, where a {kind} model is needed")
    wanted = requested_runtime(runtime)

    def make() -> LoadedModel:
        checker = get_kind(card.kind, str(path))
        forward = onnx_forward(path, wanted)
        if forward is not None:
            checker.check(forward, card, str(path))
            loaded = LoadedModel(None, card, path, forward)
        else:
            net = load_keras(path)
            checker.check(net, card, str(path))
            loaded = LoadedModel(net, card, path)
        log.debug("loaded %s model %s (%s)", card.kind, path, loaded.runtime)
        return loaded

    # A model loaded again after set_inference_threads gets a session with the new count.
    return _MODELS.get(path, make, wanted, inference_threads() if wanted != "keras" else 0)


def runs_on_keras(model: str | os.PathLike, runtime: str | None = None) -> bool:
    """Whether :func:`load` would need Keras for ``model`` (no usable ONNX export)."""
    from ocr.models.runtime import export_path, onnx_available, source_matches

    wanted = requested_runtime(runtime)
    if wanted == "keras":
        return True
    path = resolve(model)
    return not (onnx_available() and export_path(path).is_file() and source_matches(path))


def clear_cache() -> None:
    """Forget every loaded model (tests, and long-lived processes that retrain)."""
    _MODELS.clear()
    _CARDS.clear()
