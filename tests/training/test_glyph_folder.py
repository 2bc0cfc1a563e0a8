import numpy as np
import pytest
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
    with pytest.raises(DataError, match="unreadable image"):
        load_glyph_folder(tmp_path)
