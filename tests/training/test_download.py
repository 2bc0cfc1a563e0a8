"""``ocr data download``: HTTPS only, SHA-256 checked, cached, atomic; never the real network here.

Every test hands :func:`download` a fake opener that serves bytes from memory
and records the URLs it was asked for.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import zipfile

import numpy as np
import pytest

from ocr.errors import DataError, DatasetNotFoundError
from training import datasets
from training.datasets import download as dl
from training.datasets import registry


class FakeOpener:
    """Serves ``files`` (file name -> bytes) for any URL ending in that name."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files
        self.urls: list[str] = []

    def __call__(self, url: str, timeout: float):
        self.urls.append(url)
        name = url.rsplit("/", 1)[-1]
        if name not in self.files:
            raise OSError(f"404 {url}")
        return io.BytesIO(self.files[name])


def _idx(array: np.ndarray) -> bytes:
    import struct

    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def mnist_files(tmp_path, monkeypatch):
    """Tiny MNIST files, with their checksums standing in for the official ones."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("OCR_OFFLINE", raising=False)
    monkeypatch.delenv("OCR_DATA_DIR", raising=False)
    rng = np.random.default_rng(0)
    files = {}
    spec = registry.DATASETS["mnist"]
    for split, n in (("train", 6), ("test", 4)):
        images, labels = spec.filenames(split)
        files[images] = _idx(rng.integers(0, 256, (n, 28, 28)))
        files[labels] = _idx(rng.integers(0, 10, n))
    for name, data in files.items():
        monkeypatch.setitem(registry.SHA256, name, hashlib.sha256(data).hexdigest())
    return files


def test_download_fills_the_cache_and_load_finds_it(mnist_files, tmp_path):
    opener = FakeOpener(mnist_files)
    paths = dl.download("mnist", opener=opener)
    assert sorted(p.name for p in paths) == sorted(mnist_files)
    assert all(p.parent == tmp_path / "cache" / "ocr" / "datasets" / "mnist" for p in paths)
    assert all(url.startswith("https://") for url in opener.urls) and len(opener.urls) == 4
    assert len(datasets.load("mnist", "test")) == 4
    assert not [p for p in paths[0].parent.iterdir() if p.name.startswith(".")]  # no temporaries


def test_cached_files_are_not_fetched_again_unless_corrupt(mnist_files):
    dl.download("mnist", opener=FakeOpener(mnist_files))
    again = FakeOpener(mnist_files)
    paths = dl.download("mnist", opener=again)
    assert again.urls == []
    paths[0].write_bytes(b"damaged")
    repair = FakeOpener(mnist_files)
    dl.download("mnist", opener=repair)
    assert [u.rsplit("/", 1)[-1] for u in repair.urls] == [paths[0].name]
    assert paths[0].read_bytes() == mnist_files[paths[0].name]


def test_checksum_mismatch_saves_nothing(mnist_files, tmp_path):
    bad = {name: data + b"x" for name, data in mnist_files.items()}
    opener = FakeOpener(bad)
    with pytest.raises(DataError, match="SHA-256 mismatch") as caught:
        dl.download("mnist", opener=opener)
    assert "\n" not in str(caught.value)
    assert len(opener.urls) == len(registry.MNIST_URLS)  # every mirror tried for the first file
    cache = tmp_path / "cache"
    assert not [p for p in cache.rglob("*") if p.is_file()]


def test_second_mirror_is_used_when_the_first_fails(mnist_files):
    served = {}

    def opener(url, timeout):
        if url.startswith(registry.MNIST_URLS[0]):
            raise OSError("connection refused")
        served[url] = True
        return io.BytesIO(mnist_files[url.rsplit("/", 1)[-1]])

    dl.download("mnist", opener=opener)
    assert len(served) == 4 and all(u.startswith(registry.MNIST_URLS[1]) for u in served)


def test_only_https():
    assert all(url.startswith("https://") for url in (*registry.MNIST_URLS, registry.EMNIST_URL))
    with pytest.raises(DataError, match="only HTTPS"):
        dl.https_open("http://yann.lecun.com/exdb/mnist/train-images-idx3-ubyte.gz", 1)
    with pytest.raises(DataError, match="only HTTPS"):
        dl.https_open("file:///etc/passwd", 1)


def test_redirect_to_plain_http_is_refused():
    import urllib.request

    handler = dl._HttpsOnlyRedirects()
    request = urllib.request.Request("https://example.org/a")
    with pytest.raises(DataError, match="non-HTTPS"):
        handler.redirect_request(request, None, 302, "Found", {}, "http://example.org/a")


def test_offline_refuses_even_an_explicit_download(mnist_files, monkeypatch):
    monkeypatch.setenv("OCR_OFFLINE", "1")
    opener = FakeOpener(mnist_files)
    with pytest.raises(DataError, match="downloads are off"):
        dl.download("mnist", opener=opener)
    assert opener.urls == []


def test_folder_datasets_cannot_be_downloaded(mnist_files):
    with pytest.raises(DatasetNotFoundError, match="cannot be downloaded"):
        dl.download("orand-car-a", opener=FakeOpener({}))


def test_emnist_members_come_from_the_archive_and_are_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("OCR_OFFLINE", raising=False)
    spec = registry.DATASETS["emnist-digits"]
    rng = np.random.default_rng(1)
    members = {}
    for split in registry.SPLITS:
        images, labels = spec.filenames(split)
        members[images] = _idx(rng.integers(0, 256, (3, 28, 28)))
        members[labels] = _idx(rng.integers(0, 10, 3))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        for name, data in members.items():
            bundle.writestr(f"gzip/{name}", data)
    for name, data in members.items():
        monkeypatch.setitem(registry.SHA256, name, hashlib.sha256(data).hexdigest())
    opener = FakeOpener({"gzip.zip": archive.getvalue()})
    paths = dl.download("emnist-digits", opener=opener)
    assert opener.urls == [registry.EMNIST_URL]
    assert {p.name for p in paths} == set(members)
    assert datasets.load("emnist-digits", "train").images.shape == (3, 28, 28)
    # A tampered member is refused, and the good copy already there is kept.
    name = spec.filenames("test")[0]
    monkeypatch.setitem(registry.SHA256, name, "0" * 64)
    (paths[0].parent / name).unlink()
    with pytest.raises(DataError, match="fails its SHA-256 check"):
        dl.download("emnist-digits", opener=opener)
    assert not (paths[0].parent / name).exists()
