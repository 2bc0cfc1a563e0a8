"""Where datasets are looked for: the one place that reads ``OCR_DATA_DIR``.

Standard library only, so the CLI and any module may import it cheaply.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable naming the folder that holds the datasets.
DATA_DIR_ENV = "OCR_DATA_DIR"
#: Environment variable that forbids every download, even an explicit one.
OFFLINE_ENV = "OCR_OFFLINE"


def env_data_dir() -> Path | None:
    """``$OCR_DATA_DIR`` as a path, or None when it is unset or empty."""
    value = os.environ.get(DATA_DIR_ENV, "").strip()
    return Path(value) if value else None


def cache_dir() -> Path:
    """The user cache folder that downloads go to: ``$XDG_CACHE_HOME/ocr/datasets``."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ocr" / "datasets"


def data_search_dirs(data_dir: str | os.PathLike | None = None) -> list[Path]:
    """Folders searched for dataset files, in order.

    An explicit ``data_dir`` replaces ``$OCR_DATA_DIR``; the download cache
    always comes last.
    """
    first = Path(data_dir) if data_dir is not None else env_data_dir()
    return ([first] if first is not None else []) + [cache_dir()]


def offline() -> bool:
    """True when ``OCR_OFFLINE`` is set: no download happens, not even on request."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "yes")
