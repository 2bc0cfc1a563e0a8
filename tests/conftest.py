"""Shared fixtures: tiny synthetic datasets written as IDX files, never the network."""

from __future__ import annotations

import os

os.environ["OCR_OFFLINE"] = "1"  # tests must never download
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from pathlib import Path  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from training.idx import write_idx  # noqa: E402


def draw_digits(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Render ``n`` 28x28 white-on-black digits with random size and position."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = np.zeros((n, 28, 28), np.uint8)
    for image, label in zip(images, labels):
        scale = rng.uniform(0.7, 0.9)
        x, y = rng.integers(5, 9), rng.integers(20, 24)
        cv2.putText(image, str(label), (int(x), int(y)), cv2.FONT_HERSHEY_SIMPLEX, scale, 255,
                    int(rng.integers(1, 3)), cv2.LINE_AA)
    return images, labels


def write_dataset(root: Path, name: str = "mnist", n_train: int = 400, n_test: int = 200,
                  transpose: bool = False) -> Path:
    """Write a tiny MNIST-like (or EMNIST-like, stored transposed) dataset under ``root``."""
    folder = root / ("mnist" if name == "mnist" else "emnist")
    for split, n, seed in (("train", n_train, 1), ("test", n_test, 2)):
        images, labels = draw_digits(n, seed)
        if transpose:
            images = images.transpose(0, 2, 1)
        if name == "mnist":
            prefix = "train" if split == "train" else "t10k"
            write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
            write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)
        else:
            subset = name.split("-", 1)[1]
            write_idx(folder / f"emnist-{subset}-{split}-images-idx3-ubyte.gz", images)
            write_idx(folder / f"emnist-{subset}-{split}-labels-idx1-ubyte.gz", labels)
    return root


@pytest.fixture
def digits_dir(tmp_path: Path, monkeypatch) -> Path:
    """A data dir with a tiny synthetic MNIST; also isolates the user cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("OCR_DATA_DIR", raising=False)
    return write_dataset(tmp_path / "data")


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The real datasets, found like users find them: ``$OCR_DATA_DIR``."""
    value = os.environ.get("OCR_DATA_DIR")
    if not value or not Path(value, "mnist").is_dir():
        pytest.skip("OCR_DATA_DIR with the real datasets is not set")
    return Path(value)
