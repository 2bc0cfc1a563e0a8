import hashlib

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from cli import main
from ocr.models import builders
from ocr.models.store import load_keras, read_metadata, save_model
from training.finetune_glyphs import widen_classifier


def _draw_symbols(root, per_class=12, seed=0):
    """Two symbols LeNet lacks: a plus sign and a ring with a bar."""
    rng = np.random.default_rng(seed)
    for name, label in (("plus", "+"), ("U+00D8", "\u00d8")):
        folder = root / name
        folder.mkdir(parents=True)
        for i in range(per_class):
            img = np.zeros((40, 40), np.uint8)
            w = int(rng.integers(2, 4))
            if label == "+":
                cv2.line(img, (20, 6), (20, 34), 255, w)
                cv2.line(img, (6, 20), (34, 20), 255, w)
            else:
                cv2.circle(img, (20, 20), 12, 255, w)
                cv2.line(img, (8, 34), (32, 6), 255, w)
            Image.fromarray(255 - img).save(folder / f"{i}.png")
    (root / "labels.tsv").write_text("plus\t+\n")
    return root


@pytest.fixture
def base_model(tmp_path):
    path = save_model(builders.lenet(), tmp_path / "base.keras", {
        "labels": list("0123456789"), "scores": {"mnist:test": {"accuracy": 0.1}},
        "training": {"datasets": ["mnist:train (400 images)"]}})
    return path


def test_widen_keeps_every_old_weight():
    model = builders.lenet()
    old_kernel, old_bias = model.layers[-1].get_weights()
    wide = widen_classifier(model, 12)
    kernel, bias = wide.get_layer("classes").get_weights()
    assert kernel.shape == (old_kernel.shape[0], 12)
    assert np.array_equal(kernel[:, :10], old_kernel) and np.array_equal(bias[:10], old_bias)
    x = np.zeros((2, 28, 28), np.float32)
    assert wide.predict(x, verbose=0).shape == (2, 12)


@pytest.mark.slow
def test_train_glyphs_adds_classes_with_lineage(tmp_path, base_model, digits_dir):
    glyphs = _draw_symbols(tmp_path / "glyphs", per_class=8)
    digest = hashlib.sha256(base_model.read_bytes()).hexdigest()
    out = tmp_path / "my.keras"
    result = CliRunner().invoke(main, ["train", "glyphs", str(glyphs), "--base", str(base_model),
                                       "--out", str(out), "--epochs", "3",
                                       "--data-dir", str(digits_dir), "--replay-per-class", "10"])
    assert result.exit_code == 0, result.output
    assert "added 2 classes" in result.output and "held-out accuracy" in result.output
    assert "only 8 samples" in result.stderr  # below the recommended 10 per class
    meta = read_metadata(out)
    assert meta["labels"][:10] == list("0123456789") and set(meta["labels"][10:]) == {"+", "\u00d8"}
    lineage = meta["lineage"][-1]
    assert lineage["base_file"] == str(base_model) and lineage["replay"] == "mnist:train"
    assert meta["base_scores"] and meta["scores"] == {}
    model = load_keras(out)
    assert model.output_shape == (None, 12)
    assert hashlib.sha256(base_model.read_bytes()).hexdigest() == digest


@pytest.mark.parametrize("setup, message", [
    ("empty", "is empty"),
    ("no_images", "has no images"),
    ("missing_base", "model file not found"),
    ("out_is_base", "must not be the base model"),
])
def test_bad_input(tmp_path, base_model, setup, message):
    glyphs = tmp_path / "g"
    glyphs.mkdir()
    base, out = str(base_model), str(tmp_path / "o.keras")
    if setup == "no_images":
        (glyphs / "a").mkdir()
    elif setup in ("missing_base", "out_is_base"):
        _draw_symbols(glyphs)
        base = str(tmp_path / "nope.keras") if setup == "missing_base" else base
        out = base if setup == "out_is_base" else out
    result = CliRunner().invoke(main, ["train", "glyphs", str(glyphs), "--base", base, "--out", out,
                                       "--force"])
    assert result.exit_code == 2 and message in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize("fmt", ["text", "json", "hocr", "tsv"])
def test_new_glyph_reaches_every_output_format(tmp_path, fmt):
    """A widened model's new class flows through ocr read into every format."""
    wide = widen_classifier(builders.lenet(), 11)
    kernel, bias = wide.get_layer("classes").get_weights()
    bias[10] = 50.0  # make the new class win every glyph
    wide.get_layer("classes").set_weights([kernel, bias])
    path = save_model(wide, tmp_path / "euro.keras", {"labels": list("0123456789\u20ac")})
    page = np.full((60, 140), 255, np.uint8)
    for i in range(3):
        cv2.rectangle(page, (15 + 40 * i, 12), (35 + 40 * i, 48), 0, 3)
    Image.fromarray(page).save(tmp_path / "p.png")
    result = CliRunner().invoke(main, ["read", str(tmp_path / "p.png"), "--model", str(path),
                                       "--format", fmt])
    assert result.exit_code == 0, result.output
    assert "\u20ac" in result.stdout or "\\u20ac" in result.stdout  # JSON may escape it


@pytest.mark.slow
def test_adding_classes_leaves_old_weights_untouched(tmp_path, base_model, digits_dir):
    """With frozen features only the new columns learn; old logits cannot drift."""
    glyphs = _draw_symbols(tmp_path / "glyphs", per_class=10)
    out = tmp_path / "my.keras"
    result = CliRunner().invoke(main, ["train", "glyphs", str(glyphs), "--base", str(base_model),
                                       "--out", str(out), "--epochs", "2",
                                       "--data-dir", str(digits_dir), "--replay-per-class", "5"])
    assert result.exit_code == 0, result.output
    base = load_keras(base_model)
    tuned = load_keras(out)
    old_kernel, old_bias = base.layers[-1].get_weights()
    kernel, bias = tuned.get_layer("classes").get_weights()
    assert np.array_equal(kernel[:, :10], old_kernel) and np.array_equal(bias[:10], old_bias)
    assert not np.allclose(kernel[:, 10:], 0)


def test_cli_defaults_are_the_benchmarked_ones():
    """Every ``ocr train glyphs`` default is FinetuneConfig's (the CLI reads them from it)."""
    from dataclasses import MISSING, fields

    from cli import main
    from training.config import FinetuneConfig

    command = main.commands["train"].commands["glyphs"]
    cli_defaults = command.make_context("glyphs", ["folder", "--out", "x.keras"]).params
    checked = [f.name for f in fields(FinetuneConfig) if f.name in cli_defaults and f.default is not MISSING]
    assert {"epochs", "batch_size", "replay_per_class", "holdout", "seed"} <= set(checked)
    for name in checked:
        assert cli_defaults[name] == getattr(FinetuneConfig, name), name


@pytest.mark.slow
def test_train_glyphs_on_lenet_without_mnist_never_downloads(tmp_path, monkeypatch, caplog):
    """Issue 13: with OCR_OFFLINE unset and no MNIST at hand, rehearsal falls back to rendered
    glyphs with a warning naming ``ocr data download``; the network is never opened."""
    import logging
    import socket
    import urllib.request

    monkeypatch.delenv("OCR_OFFLINE", raising=False)
    monkeypatch.delenv("OCR_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    def no_network(*args, **kwargs):
        raise AssertionError("network used")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    glyphs = _draw_symbols(tmp_path / "glyphs", per_class=10)
    out = tmp_path / "my.keras"
    with caplog.at_level(logging.WARNING):
        result = CliRunner().invoke(main, ["train", "glyphs", str(glyphs), "--base", "lenet",
                                           "--out", str(out), "--epochs", "1", "--replay-per-class", "3"])
    assert result.exit_code == 0, result.output
    assert "ocr data download mnist" in caplog.text
    assert read_metadata(out)["lineage"][-1]["replay"] == "rendered printed glyphs"
    assert not (tmp_path / "cache").exists()
