"""Reader and writer for the IDX format used by MNIST and EMNIST.

The format is a big-endian header (two zero bytes, a type code, the number of
dimensions, then one uint32 per dimension) followed by the raw array. Files may
be gzip-compressed.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from ocr.errors import DataError
from ocr.fileio import atomic_path

_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dtype: code for code, dtype in _DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"
# No IDX dataset in use has more than 1e9 values; a header claiming more is corrupt.
_MAX_VALUES = 1_000_000_000


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read file ({exc.strerror})") from None
    if raw[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(
                f"{path}: corrupt or truncated gzip data ({exc}); delete it and download it again"
            ) from None
    return raw


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (raw or gzip) and return its array.

    Raises :class:`DataError` when the magic number, the dimensions or the
    payload length do not make a valid IDX file.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise DataError(f"{path}: too short to be an IDX file ({len(data)} bytes)")
    zero, type_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or type_code not in _DTYPES or not 1 <= ndim <= 4:
        raise DataError(
            f"{path}: not an IDX file (bad magic number 0x{data[:4].hex()})"
        )
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise DataError(f"{path}: truncated IDX header")
    dims = struct.unpack(f">{ndim}I", data[4:header_len])
    count = int(np.prod(dims, dtype=np.int64))
    if count > _MAX_VALUES:
        raise DataError(f"{path}: IDX header claims an absurd size {dims}")
    dtype = _DTYPES[type_code]
    expected = count * dtype.itemsize
    payload = len(data) - header_len
    if payload != expected:
        raise DataError(
            f"{path}: IDX payload is {payload} bytes but the header {dims} needs {expected}; "
            "the file is truncated or corrupt"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header_len, count=count)
    return array.reshape(dims).astype(dtype.newbyteorder("="), copy=False)


def write_idx(path: str | os.PathLike, array: np.ndarray, compress: bool | None = None) -> None:
    """Write ``array`` as an IDX file, gzip-compressed when the name ends in ``.gz``."""
    path = Path(path)
    dtype = np.dtype(array.dtype)
    big = dtype.newbyteorder(">") if dtype.itemsize > 1 else dtype
    if big not in _CODES:
        raise DataError(f"cannot write dtype {dtype} to IDX")
    header = struct.pack(">HBB", 0, _CODES[big], array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    data = header + np.ascontiguousarray(array, dtype=big).tobytes()
    if compress if compress is not None else path.suffix == ".gz":
        data = gzip.compress(data)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
