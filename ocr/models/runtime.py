"""Inference runtimes: Keras (the reference) and an ONNX export run by ONNX Runtime.

Reading a page needs only the networks' forward passes. Importing
TensorFlow and loading a ``.keras`` file took most of a single page's time
and about 1 GB of memory, so each bundled recognizer also ships an ONNX
export (``NAME.onnx`` beside ``NAME.keras``, made by ``ocr models export``)
and :func:`ocr.models.load` runs it with ONNX Runtime when it may.

An export records the SHA-256 of the ``.keras`` file it was made from; an
export whose source has changed since (a retrained model) is ignored, so the
two can never disagree silently. Training, fine-tuning and anything that
needs the Keras network asks for ``runtime="keras"``.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Callable

import numpy as np

from ocr.errors import ModelError
from ocr.fileio import atomic_path
from ocr.models.store import PerFileCache

log = logging.getLogger(__name__)

#: ``OCR_RUNTIME``: ``auto`` (ONNX Runtime where an up-to-date export exists), ``keras`` or ``onnx``.
RUNTIME_ENV = "OCR_RUNTIME"
RUNTIMES = ("auto", "keras", "onnx")
#: Metadata key in the ONNX file holding the SHA-256 of the source ``.keras`` file.
SOURCE_KEY = "ocr_source_sha256"
#: ONNX opset of the exports (ONNX Runtime 1.17 and later run it).
OPSET = 17


def requested_runtime(runtime: str | None = None) -> str:
    """The runtime asked for: the argument, else ``$OCR_RUNTIME``, else ``auto``."""
    value = (runtime or os.environ.get(RUNTIME_ENV) or "auto").lower()
    if value not in RUNTIMES:
        raise ModelError(f"unknown runtime {value!r} (use one of: {', '.join(RUNTIMES)})")
    return value


def export_path(keras_path: str | os.PathLike) -> Path:
    """Where the ONNX export of a ``.keras`` file lives: beside it, same stem."""
    return Path(keras_path).with_suffix(".onnx")


def sha256_file(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def onnx_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


class OnnxForward:
    """A forward pass through an ONNX Runtime session, safe to call from several threads."""

    def __init__(self, path: Path, threads: int = 0) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        self.path = path

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input_name: np.asarray(batch, np.float32)})[0]

    @property
    def output_shape(self) -> tuple:
        """Like Keras' ``output_shape``: symbolic dimensions are None (for the kind checks)."""
        return tuple(d if isinstance(d, int) else None for d in self.session.get_outputs()[0].shape)

    @property
    def inputs(self) -> list:
        return self.session.get_inputs()

    @property
    def source_sha256(self) -> str | None:
        return self.session.get_modelmeta().custom_metadata_map.get(SOURCE_KEY)


_SOURCE_HASHES = PerFileCache()
_SESSIONS = PerFileCache()


def model_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a model file, hashed once per file version (path, size, mtime) per process."""
    path = Path(path)
    return _SOURCE_HASHES.get(path, lambda: sha256_file(path))


#: Threads of each ONNX Runtime forward pass; 0 is ONNX Runtime's default (one per core).
_inference_threads = 0


def set_inference_threads(threads: int) -> None:
    """Threads each ONNX Runtime forward pass uses for models loaded from now on (0: one per core).

    One page is fastest with every core on its forward passes. A batch read
    with ``--jobs`` analyses the next pages on other threads meanwhile, and
    then one inference thread is faster: 24 dense pages with ``--jobs 2`` on 2
    cores took 16.4 s instead of 18.5 s; recognition-heavy pages lose a little
    (bench/RESULTS.md, issue 18).
    """
    global _inference_threads
    _inference_threads = max(0, int(threads))


def inference_threads() -> int:
    """The thread count :func:`set_inference_threads` set (0: ONNX Runtime's default)."""
    return _inference_threads


def _session(exported: Path) -> OnnxForward:
    """One ONNX Runtime session per export file and thread count (sessions are thread-safe)."""
    threads = _inference_threads
    return _SESSIONS.get(exported, lambda: OnnxForward(exported, threads), threads)


def source_matches(keras_path: Path) -> bool:
    """Whether the ONNX export beside ``keras_path`` was made from this very file."""
    try:
        return _session(export_path(keras_path)).source_sha256 == model_sha256(keras_path)
    except Exception:  # a corrupt export is as good as none
        return False


def onnx_forward(keras_path: Path, runtime: str) -> Callable[[np.ndarray], np.ndarray] | None:
    """An ONNX Runtime forward pass for ``keras_path``, or None when Keras must run it.

    With ``runtime="onnx"`` a missing or stale export is an error; with
    ``"auto"`` it falls back to Keras (logged at debug level).
    """
    if runtime == "keras":
        return None
    exported = export_path(keras_path)
    problem = None
    if not exported.is_file():
        problem = f"no ONNX export at {exported}"
    elif not onnx_available():
        problem = "onnxruntime is not installed"
    else:
        try:
            forward = _session(exported)
        except Exception as exc:  # ONNX Runtime raises its own types for a bad file
            problem = f"{exported}: cannot load ({type(exc).__name__}: {exc})".splitlines()[0]
        else:
            if forward.source_sha256 == model_sha256(keras_path):
                return forward
            problem = f"{exported} was exported from another version of {keras_path.name}"
    if runtime == "onnx":
        raise ModelError(f"{problem}; export it with: ocr models export {keras_path}")
    log.debug("running %s with Keras: %s", keras_path, problem)
    return None


def export_onnx(net, keras_path: str | os.PathLike, out: str | os.PathLike | None = None) -> Path:
    """Export a single-input Keras network to ONNX, recording its source file's SHA-256.

    Needs TensorFlow and tf2onnx (the ``export`` extra); written atomically.
    """
    try:
        import onnx
        import tensorflow as tf
        import tf2onnx
    except ImportError as exc:
        raise ModelError(f"exporting to ONNX needs tensorflow and tf2onnx ({exc}); "
                         "install the project's 'export' extra") from None
    keras_path = Path(keras_path)
    out = Path(out) if out is not None else export_path(keras_path)
    if len(getattr(net, "inputs", []) or []) != 1:
        raise ModelError(f"{keras_path}: only single-input models can be exported")
    spec = [tf.TensorSpec([None, *net.input_shape[1:]], tf.float32, name="input")]
    function = tf.function(lambda batch: net(batch, training=False), input_signature=spec)
    proto, _ = tf2onnx.convert.from_function(function, input_signature=spec, opset=OPSET)
    entry = proto.metadata_props.add()
    entry.key, entry.value = SOURCE_KEY, sha256_file(keras_path)
    with atomic_path(out, suffix=".onnx") as tmp:
        onnx.save(proto, str(tmp))
    log.info("exported %s to %s", keras_path, out)
    return out
