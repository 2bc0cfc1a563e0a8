import gzip

import numpy as np
import pytest

from ocr.errors import DataError
from training.idx import read_idx, write_idx


@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
def test_round_trip_raw_and_gzip(tmp_path, name):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / name, array)
    assert np.array_equal(read_idx(tmp_path / name), array)


def test_labels_round_trip(tmp_path):
    labels = np.array([3, 1, 4, 1, 5], np.uint8)
    write_idx(tmp_path / "l.gz", labels)
    assert read_idx(tmp_path / "l.gz").tolist() == [3, 1, 4, 1, 5]


def test_truncated_payload_is_a_clear_error(tmp_path):
    write_idx(tmp_path / "a.idx", np.zeros((10, 28, 28), np.uint8))
    data = (tmp_path / "a.idx").read_bytes()
    (tmp_path / "a.idx").write_bytes(data[:-100])
    with pytest.raises(DataError, match="truncated or corrupt"):
        read_idx(tmp_path / "a.idx")


def test_foreign_file_is_rejected(tmp_path):
    (tmp_path / "x.gz").write_bytes(gzip.compress(b"PK\x03\x04 this is a zip, not IDX"))
    with pytest.raises(DataError, match="not an IDX file"):
        read_idx(tmp_path / "x.gz")


def test_truncated_gzip_is_rejected(tmp_path):
    write_idx(tmp_path / "a.gz", np.random.default_rng(0).integers(0, 255, (50, 28, 28), dtype=np.uint8))
    data = (tmp_path / "a.gz").read_bytes()
    (tmp_path / "a.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="gzip"):
        read_idx(tmp_path / "a.gz")


def test_missing_and_tiny_files(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_idx(tmp_path / "nope.gz")
    (tmp_path / "t").write_bytes(b"\x00")
    with pytest.raises(DataError, match="too short"):
        read_idx(tmp_path / "t")
