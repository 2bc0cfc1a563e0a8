"""Downloading datasets, only when asked (``ocr data download NAME``).

Nothing else in the project opens a network connection: a missing dataset is
an error that names this command. Downloads use HTTPS only (redirects to
anything else are refused), are checked against their SHA-256 while they are
streamed, and land in the user cache atomically: a file that fails its
check, or a download that is cut short, never appears there.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path
from typing import Callable, BinaryIO

from ocr.errors import DataError, DatasetNotFoundError
from ocr.fileio import atomic_path
from ocr.paths import OFFLINE_ENV, cache_dir, offline
from training.datasets.registry import EMNIST_URL, MNIST_URLS, SHA256, IdxSpec, get_spec

log = logging.getLogger(__name__)

#: Largest download accepted (the EMNIST archive is about 560 MB).
MAX_DOWNLOAD_BYTES = 1 << 30
_CHUNK = 1 << 20

Opener = Callable[[str, float], BinaryIO]


class _HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urllib.parse.urlparse(newurl).scheme != "https":
            raise DataError(f"{req.full_url}: redirected to a non-HTTPS address {newurl}; refused")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def https_open(url: str, timeout: float) -> BinaryIO:
    """Open ``url`` over HTTPS, refusing plain HTTP (also as a redirect target)."""
    if urllib.parse.urlparse(url).scheme != "https":
        raise DataError(f"{url}: only HTTPS downloads are allowed")
    return urllib.request.build_opener(_HttpsOnlyRedirects).open(url, timeout=timeout)


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(url: str, dest: Path, sha256: str | None, opener: Opener = https_open,
          timeout: float = 60.0) -> Path:
    """Stream ``url`` into ``dest`` atomically, checking its SHA-256 (when known) before it lands."""
    digest, size = hashlib.sha256(), 0
    log.info("downloading %s", url)
    with opener(url, timeout) as response, atomic_path(dest) as tmp:
        with open(tmp, "wb") as out:
            for block in iter(lambda: response.read(_CHUNK), b""):
                size += len(block)
                if size > MAX_DOWNLOAD_BYTES:
                    raise DataError(f"{url}: larger than {MAX_DOWNLOAD_BYTES:,} bytes; refused")
                digest.update(block)
                out.write(block)
        if sha256 is not None and digest.hexdigest() != sha256:
            raise DataError(f"{url}: SHA-256 mismatch (got {digest.hexdigest()[:12]}..., "
                            f"expected {sha256[:12]}...); nothing was saved")
    return dest


def _cached(dest: Path, filename: str) -> bool:
    """True when ``dest`` holds the right file already (a bad copy is removed)."""
    if not dest.is_file():
        return False
    expected = SHA256.get(filename)
    if expected is None or sha256_file(dest) == expected:
        return True
    log.warning("%s: checksum does not match; downloading it again", dest)
    dest.unlink()
    return False


def _fetch_mnist(filename: str, dest: Path, opener: Opener) -> None:
    errors = []
    for base in MNIST_URLS:
        try:
            fetch(base + filename, dest, SHA256.get(filename), opener)
            return
        except (OSError, DataError) as exc:
            errors.append(f"{base}{filename}: {exc}")
    raise DataError("; ".join(errors))


def _fetch_emnist(filenames: list[str], folder: Path, opener: Opener) -> None:
    archive = cache_dir() / "emnist-gzip.zip"
    if not archive.is_file():
        log.info("the EMNIST archive is about 560 MB")
        # The archive has no published checksum; every member taken from it is checked.
        fetch(EMNIST_URL, archive, None, opener, timeout=120.0)
    try:
        with zipfile.ZipFile(archive) as bundle:
            for filename in filenames:
                dest = folder / filename
                with bundle.open(f"gzip/{filename}") as member, atomic_path(dest) as tmp:
                    with open(tmp, "wb") as out:
                        shutil.copyfileobj(member, out)
                    if sha256_file(tmp) != SHA256[filename]:
                        raise DataError(f"{archive}: member {filename} fails its SHA-256 check; "
                                        "delete the archive and download again")
    except (KeyError, zipfile.BadZipFile) as exc:
        raise DataError(f"{archive}: not the EMNIST archive ({exc}); delete it and download again") from None


def download(name: str, opener: Opener | None = None) -> list[Path]:
    """Download every file of dataset ``name`` into the cache; return their paths.

    Files already in the cache with the right checksum are kept. Refused when
    ``OCR_OFFLINE`` is set or the dataset has no canonical download.
    ``opener`` (default :func:`https_open`) is what tests replace.
    """
    opener = opener or https_open
    spec = get_spec(name)
    if not isinstance(spec, IdxSpec):
        raise DatasetNotFoundError(f"{name}: {spec.missing_hint()}")
    if offline():
        raise DataError(f"{name}: downloads are off ({OFFLINE_ENV} is set)")
    folder = cache_dir() / spec.folder
    files = spec.all_files()
    todo = [f for f in files if not _cached(folder / f, f)]
    try:
        if spec.folder == "mnist":
            for filename in todo:
                _fetch_mnist(filename, folder / filename, opener)
        elif todo:
            _fetch_emnist(todo, folder, opener)
    except OSError as exc:
        raise DataError(f"{name}: download failed ({exc})") from None
    return [folder / f for f in files]
