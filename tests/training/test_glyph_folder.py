import os
import struct
import zlib

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from ocr.errors import DataError
from training.datasets import load_glyph_folder


def _save(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def test_labels_from_names_code_points_and_tsv(tmp_path):
    page = np.full((60, 40), 255, np.uint8)
    page[10:50, 15:25] = 0  # dark ink on white paper, not 28x28
    _save(tmp_path / "7" / "a.png", page)
    _save(tmp_path / "U+20AC" / "b.png", page)
    _save(tmp_path / "check" / "c.png", page)
    (tmp_path / "labels.tsv").write_text("check\t\u2713\n")
    data = load_glyph_folder(tmp_path)
    assert sorted(data.classes) == sorted("7\u20ac\u2713")
    assert data.images.shape == (3, 28, 28)
    glyph = data.images[0]
    assert glyph[14, 14] > 200 and glyph[0, 0] == 0  # white on black
    ys, xs = np.nonzero(glyph > 0)
    assert ys.max() - ys.min() + 1 <= 21  # fitted into the 20x20 box
    centre = (np.indices(glyph.shape) * glyph).reshape(2, -1).sum(1) / glyph.sum()
    assert np.allclose(centre, 14, atol=1.0)


def test_bad_folders(tmp_path):
    with pytest.raises(DataError, match="is empty"):
        load_glyph_folder(tmp_path)
    (tmp_path / "x").mkdir()
    with pytest.raises(DataError, match="has no images"):
        load_glyph_folder(tmp_path)
    (tmp_path / "x" / "bad.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match="bad.png: not an image"):
        load_glyph_folder(tmp_path)


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` 1-bit pixels (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (1 + (width + 7) // 8) * 64, 9)  # a few rows; the rest never come
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def _one_good_glyph(root):
    page = np.full((30, 30), 255, np.uint8)
    page[5:25, 12:18] = 0
    _save(root / "1" / "a.png", page)


def test_decompression_bomb_in_a_glyph_folder_is_refused(tmp_path):
    _one_good_glyph(tmp_path)
    bomb = tmp_path / "2" / "bomb.png"
    bomb.parent.mkdir()
    bomb.write_bytes(_png_claiming(200_000, 200_000))
    assert bomb.stat().st_size < 100_000
    with pytest.raises(DataError) as caught:
        load_glyph_folder(tmp_path)
    message = str(caught.value)
    assert "bomb.png" in message and "too large" in message and "\n" not in message


def test_labels_tsv_of_random_bytes_is_one_line_error(tmp_path):
    _one_good_glyph(tmp_path)
    (tmp_path / "labels.tsv").write_bytes(bytes(np.random.default_rng(0).integers(0, 256, 300, dtype=np.uint8)))
    with pytest.raises(DataError, match=r"labels.tsv: not UTF-8 text \(byte 0x[0-9a-f]{2} at offset \d+\)"):
        load_glyph_folder(tmp_path)


@pytest.mark.parametrize("name, problem", [
    ("U+D800", "surrogate"),
    ("U+110000", r"not a valid U\+XXXX"),
    ("U+0007", "not a printable character"),
    ("U+0020", "not a printable character"),
    ("ab", "is not one character"),
])
def test_folder_names_that_are_no_character_are_refused(tmp_path, name, problem):
    _one_good_glyph(tmp_path)
    _one_good_glyph(tmp_path / "x")
    (tmp_path / "x" / "1").rename(tmp_path / name)
    with pytest.raises(DataError, match=problem):
        load_glyph_folder(tmp_path)


def test_folder_name_that_is_not_utf8_is_refused(tmp_path):
    _one_good_glyph(tmp_path)
    try:
        os.mkdir(os.fsencode(tmp_path) + b"/\xff")
    except OSError:
        pytest.skip("this file system refuses non-UTF-8 names")
    with pytest.raises(DataError, match="not valid UTF-8"):
        load_glyph_folder(tmp_path)


def test_cli_refuses_a_surrogate_folder_before_training(tmp_path):
    """The issue-13 case: ``U+D800`` used to train, save the model, then crash."""
    from cli import main

    _one_good_glyph(tmp_path / "g")
    (tmp_path / "g" / "U+D800").mkdir()
    (tmp_path / "g" / "1" / "a.png").rename(tmp_path / "g" / "U+D800" / "a.png")
    _one_good_glyph(tmp_path / "g")
    out = tmp_path / "o.keras"
    result = CliRunner().invoke(main, ["train", "glyphs", str(tmp_path / "g"), "--base", "lenet",
                                       "--out", str(out), "--epochs", "1"])
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and "U+D800 is a surrogate" in errors[0] and "Traceback" not in result.output
    assert not out.exists()
