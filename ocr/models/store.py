"""Saving and loading ``.keras`` models with the project's metadata.

The metadata (labels, input format, training data, scores) is stored as an
extra JSON member inside the ``.keras`` zip file, so one file carries
everything, and :func:`read_metadata` can read it without importing Keras.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import zipfile
from pathlib import Path
from typing import Any, Callable

from ocr.errors import ModelError, OutputExistsError
from ocr.fileio import atomic_path

log = logging.getLogger(__name__)

METADATA_MEMBER = "ocr_metadata.json"


class PerFileCache:
    """Values made once per version of a file (path, size, modification time), shared by threads.

    A file rewritten in place (a retrained model) is a new version, so its
    value is made again; ``extra`` key parts tell values of one file apart.
    """

    def __init__(self) -> None:
        self._values: dict[tuple, Any] = {}
        self._lock = threading.Lock()

    def get(self, path: Path, make: Callable[[], Any], *extra) -> Any:
        stat = path.stat()
        key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, *extra)
        with self._lock:
            if key not in self._values:
                self._values[key] = make()
            return self._values[key]

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
#: Largest metadata member read (labels, scores, calibration: a few KB in practice).
MAX_METADATA_BYTES = 4 * 1024 * 1024


def check_writable(path: str | os.PathLike, force: bool) -> Path:
    """Refuse to overwrite an existing model unless ``force`` is set."""
    path = Path(path)
    if path.suffix != ".keras":
        raise ModelError(f"{path}: model files must end in .keras")
    if path.exists() and not force:
        raise OutputExistsError(f"{path} already exists")
    return path


def save_model(model, path: str | os.PathLike, metadata: dict[str, Any] | None = None,
               force: bool = False) -> Path:
    """Save ``model`` with ``metadata`` to ``path`` atomically."""
    path = check_writable(path, force)
    with atomic_path(path, suffix=".keras") as tmp:
        model.save(tmp)
        if metadata is not None:
            with zipfile.ZipFile(tmp, "a") as archive:
                archive.writestr(METADATA_MEMBER, json.dumps(metadata, indent=2, sort_keys=True))
    log.info("saved model to %s", path)
    return path


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """Return the metadata stored in a ``.keras`` file ({} if it has none)."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: model file not found")
    try:
        with zipfile.ZipFile(path) as archive:
            if METADATA_MEMBER not in archive.namelist():
                return {}
            # Checked before and while inflating: a small file can claim, or
            # inflate to, gigabytes.
            declared = archive.getinfo(METADATA_MEMBER).file_size
            if declared > MAX_METADATA_BYTES:
                raise ModelError(f"{path}: model metadata too large ({declared:,} bytes, "
                                 f"limit {MAX_METADATA_BYTES:,})")
            with archive.open(METADATA_MEMBER) as member:
                data = member.read(MAX_METADATA_BYTES + 1)
            if len(data) > MAX_METADATA_BYTES:
                raise ModelError(f"{path}: model metadata too large (over {MAX_METADATA_BYTES:,} bytes)")
            return json.loads(data)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise ModelError(f"{path}: not a readable .keras model file ({exc})") from None


def load_keras(path: str | os.PathLike, compile: bool = False):
    """Load the network of a ``.keras`` file with ``safe_mode`` on (no card, no cache).

    Use :func:`ocr.models.loader.load` to load a model; this is the file
    primitive under it, and what resuming a training checkpoint needs.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: model file not found")
    from ocr.device import import_keras_quietly

    keras = import_keras_quietly()
    from ocr.models import layers, siamese  # noqa: F401  (register the project's custom objects)

    try:
        return keras.saving.load_model(path, compile=compile, safe_mode=True)
    except Exception as exc:  # Keras raises many types for a bad file
        raise ModelError(f"{path}: cannot load model ({type(exc).__name__}: {exc})".splitlines()[0]) from None
