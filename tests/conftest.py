"""Shared fixtures: tiny synthetic datasets written as IDX files, never the network."""

from __future__ import annotations

import os

os.environ["OCR_OFFLINE"] = "1"  # tests must never download
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from pathlib import Path  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

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


# Ordinary prose (Dickens): letters with ascenders outnumber those with descenders
# about four to one, as in most Latin-script text.
PROSE = ["it was the best of times, it was the worst", "of times, it was the age of wisdom, it was",
         "the age of foolishness, it was the epoch of", "belief, it was the epoch of incredulity, it",
         "was the season of light, it was the season", "of darkness, it was the spring of hope, it",
         "was the winter of despair, we had everything", "before us, we had nothing before us, we were",
         "all going direct to heaven, we were all going", "direct the other way, in short, the period",
         "was so far like the present period, that some", "of its noisiest authorities insisted on its"]


def prose_page(lines: list[str] = PROSE) -> np.ndarray:
    """An ink mask of a few lines of prose, upright, in PIL's own font (no system fonts)."""
    font = ImageFont.load_default(56)
    img = Image.new("L", (1568, 40 + 89 * len(lines)), 0)
    draw = ImageDraw.Draw(img)
    for k, line in enumerate(lines):
        draw.text((15, 20 + 89 * k), line, font=font, fill=255, stroke_width=2, stroke_fill=255)
    return np.asarray(img) > 127


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


def require_dataset(name: str) -> Path:
    """Where the real dataset ``name`` is, or skip the test saying what is missing and where."""
    from ocr.paths import DATA_DIR_ENV, env_data_dir
    from training.datasets.registry import DATASETS

    root = env_data_dir()
    if root is None:
        pytest.skip(f"{name}: {DATA_DIR_ENV} is not set (the real datasets are needed)")
    found = DATASETS[name].find(root)
    if found is None or not found.resolve().is_relative_to(root.resolve()):
        pytest.skip(f"{name}: not found in {DATA_DIR_ENV}={root}")
    return found


#: Fixtures that need the real datasets: tests using them are marked ``realdata``.
REAL_DATA_FIXTURES = {"real_data_dir", "sign_data_dir"}


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The real datasets, found like users find them: ``$OCR_DATA_DIR`` (MNIST at least)."""
    require_dataset("mnist")
    from ocr.paths import env_data_dir

    return env_data_dir()


@pytest.fixture(scope="session")
def sign_data_dir() -> Path:
    """The real SigComp 2011 signatures in ``$OCR_DATA_DIR``."""
    return require_dataset("sign-data")


#: Module fixtures that train a model through the CLI (10-25 s each on 2 CPU cores):
#: tests using them are marked ``slow``.
TRAINING_FIXTURES = {"trained", "line_model", "trained_model"}


def pytest_collection_modifyitems(config, items):
    """Mark tests by the fixtures they use: ``realdata`` (real datasets) and ``slow`` (trainings).

    The quick lane is ``pytest -m "not slow and not realdata"``.
    """
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if REAL_DATA_FIXTURES & used:
            item.add_marker(pytest.mark.realdata)
        if TRAINING_FIXTURES & used:
            item.add_marker(pytest.mark.slow)
