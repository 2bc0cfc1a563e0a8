import numpy as np
import pytest

from ocr.errors import DataError, DatasetNotFoundError
from tests.conftest import draw_digits, write_dataset
from training import datasets
from training.idx import write_idx


def test_load_mnist_from_data_dir(digits_dir):
    data = datasets.load("mnist", "train", digits_dir)
    assert data.images.shape == (400, 28, 28) and data.images.dtype == np.uint8
    assert data.classes == "0123456789"
    assert set(np.unique(data.labels)) <= set(range(10))


def test_data_dir_from_environment(digits_dir, monkeypatch):
    monkeypatch.setenv("OCR_DATA_DIR", str(digits_dir))
    assert len(datasets.load("mnist", "test")) == 200


def test_emnist_is_transposed_back_upright(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    write_dataset(tmp_path, "emnist-digits", transpose=True)
    upright, _ = draw_digits(200, seed=2)
    data = datasets.load("emnist-digits", "test", tmp_path)
    assert np.array_equal(data.images, upright)


def test_letters_labels_start_at_zero(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "emnist"
    write_idx(folder / "emnist-letters-test-images-idx3-ubyte.gz", np.zeros((3, 28, 28), np.uint8))
    write_idx(folder / "emnist-letters-test-labels-idx1-ubyte.gz", np.array([1, 2, 26], np.uint8))
    data = datasets.load("emnist-letters", "test", tmp_path)
    assert [data.classes[i] for i in data.labels] == ["A", "B", "Z"]


def test_missing_files_say_where_they_were_looked_for_and_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetNotFoundError) as caught:
        datasets.load("mnist", "test", tmp_path / "empty")
    message = str(caught.value)
    assert "\n" not in message
    assert "t10k-images-idx3-ubyte.gz not found" in message
    assert str(tmp_path / "empty") in message and str(tmp_path / "cache") in message
    assert "ocr data download mnist" in message and "OCR_DATA_DIR" in message


def test_a_missing_dataset_never_opens_the_network(tmp_path, monkeypatch):
    """Downloads happen only when asked, even with OCR_OFFLINE unset."""
    import socket
    import urllib.request

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("OCR_OFFLINE", raising=False)
    monkeypatch.delenv("OCR_DATA_DIR", raising=False)

    def no_network(*args, **kwargs):
        raise AssertionError("network used")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    with pytest.raises(DatasetNotFoundError, match="ocr data download mnist"):
        datasets.load("mnist", "train")
    assert not (tmp_path / "cache").exists()


def test_missing_data_dir(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        datasets.load("mnist", "test", tmp_path / "nowhere")


def test_unknown_dataset_and_split(digits_dir):
    with pytest.raises(DataError, match="unknown dataset 'nmist'"):
        datasets.load("nmist", "test", digits_dir)
    with pytest.raises(DataError, match="unknown split"):
        datasets.load("mnist", "valid", digits_dir)


def test_label_count_mismatch(digits_dir):
    write_idx(digits_dir / "mnist" / "t10k-labels-idx1-ubyte.gz", np.zeros(5, np.uint8))
    with pytest.raises(DataError, match="5 labels for 200 images"):
        datasets.load("mnist", "test", digits_dir)


def test_drop_duplicates(digits_dir):
    test = datasets.load("mnist", "test", digits_dir)
    half = datasets.Dataset("x", "train", test.images[:50], test.labels[:50], test.classes)
    kept, dropped = datasets.drop_duplicates(test, [half])
    assert dropped >= 50 and len(kept) == len(test) - dropped
    hashes = set(datasets.image_hashes(half.images).tolist())
    assert not hashes & set(datasets.image_hashes(kept.images).tolist())
