import zipfile

import numpy as np
import pytest

from ocr.errors import ModelError, OutputExistsError
from ocr.models import builders, load, read_card, registry
from ocr.models.layers import RandomAffine
from ocr.models.store import load_keras, read_metadata, save_model


@pytest.mark.parametrize("builder, classes", [(builders.lenet, 10), (builders.charnet, 62)])
def test_builders_take_raw_glyphs_and_return_probabilities(builder, classes):
    model = builder(num_classes=classes)
    probs = model.predict(np.zeros((3, 28, 28), np.uint8), verbose=0)
    assert probs.shape == (3, classes)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_save_load_round_trip_keeps_weights_and_metadata(tmp_path):
    model = builders.lenet()
    x = np.random.default_rng(0).integers(0, 255, (4, 28, 28)).astype("float32")
    before = model.predict(x, verbose=0)
    path = save_model(model, tmp_path / "m.keras", {"labels": list("0123456789"), "scores": {}})
    loaded = load(path)
    assert loaded.card.labels == tuple("0123456789") and loaded.card.kind == "glyph"
    assert np.allclose(loaded.net.predict(x, verbose=0), before, atol=1e-6)
    assert np.allclose(loaded.predict(x), before, atol=1e-5)  # the compiled runtime agrees
    assert read_metadata(path) == loaded.card.metadata
    assert load(path) is loaded  # cached per file
    save_model(model, path, {"labels": list("0123456789"), "v": 2}, force=True)
    assert load(path) is not loaded  # a rewritten file is loaded again


def test_never_overwrites_without_force(tmp_path):
    path = save_model(builders.lenet(), tmp_path / "m.keras", {})
    with pytest.raises(OutputExistsError, match="already exists"):
        save_model(builders.lenet(), path, {})
    save_model(builders.lenet(), path, {"v": 2}, force=True)
    assert read_metadata(path) == {"v": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]  # no temporary files left


def test_unreadable_model_file(tmp_path):
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="not a readable .keras"):
        load(bad)
    with zipfile.ZipFile(tmp_path / "empty.keras", "w") as archive:
        archive.writestr("junk.txt", "x")
    with pytest.raises(ModelError, match="cannot load model"):
        load(tmp_path / "empty.keras")


def test_random_affine_is_serializable_and_training_only(tmp_path):
    import keras

    inputs = keras.Input((28, 28))
    model = keras.Model(inputs, RandomAffine(seed=1)(inputs))
    x = np.zeros((2, 28, 28), "float32")
    x[:, 10:18, 12:16] = 255
    assert np.array_equal(model(x, training=False), x)
    moved = np.asarray(model(x, training=True))
    assert moved.shape == x.shape and not np.allclose(moved, x)
    path = save_model(model, tmp_path / "a.keras", {})
    loaded = load_keras(path)
    assert loaded.layers[-1].get_config()["rotation"] == RandomAffine().rotation


def test_registry_unknown_name_lists_known_models():
    with pytest.raises(ModelError, match="unknown model 'lenett'.*charnet, digitline, handline, lenet"):
        registry.resolve("lenett")


def test_registry_missing_path():
    with pytest.raises(ModelError, match="not found"):
        registry.resolve("/nonexistent/model.keras")


def test_registry_specs_build_what_their_kind_checks():
    from ocr.models.card import ModelCard

    shapes = {}
    for spec in registry.REGISTRY.values():
        net = spec.build()
        card = ModelCard(spec.name, spec.kind, tuple(spec.labels))
        spec.model_kind.check(net, card, spec.name)  # raises on a mismatch
        shapes[spec.name] = net.output_shape
    assert shapes["digitline"] == (None, None, 13)  # per frame: the CTC blank and the labels
    assert shapes["lenet"] == (None, 10)
    assert registry.get_spec("signet").model_kind.name == "signature"


def test_crnn_reads_lines_of_any_width_with_ctc():
    from ocr.models.layers import CTCLoss

    model = builders.crnn(num_classes=3, widths=(8, 8, 8, 8, 8), rnn_units=8)
    for width in (160, 244):
        probs = model.predict(np.zeros((2, 32, width), np.uint8), verbose=0)
        assert probs.shape == (2, width // 4, 4)
        assert np.allclose(probs.sum(axis=-1), 1.0, atol=1e-5)
    # Padding (0) is not part of the target: a padded target scores like the
    # bare one under Keras' own CTC loss.
    import keras

    probs = np.random.default_rng(0).dirichlet(np.ones(4), size=(1, 10)).astype(np.float32)
    padded = float(CTCLoss()(np.array([[2, 1, 0, 0]]), probs))
    bare = float(keras.losses.CTC()(np.array([[2, 1]]), np.log(probs)))
    assert padded == pytest.approx(bare, rel=1e-4)


def test_line_model_round_trip_and_kind_checks(tmp_path):
    from ocr.models.layers import CTCLoss

    model = builders.crnn(num_classes=2, widths=(8, 8, 8, 8, 8), rnn_units=8)
    model.compile(optimizer="adam", loss=CTCLoss())
    line = save_model(model, tmp_path / "line.keras", {"kind": "line", "labels": ["0", "1"]})
    glyph = save_model(builders.lenet(), tmp_path / "glyph.keras", {"labels": list("0123456789")})
    assert isinstance(load_keras(line, compile=True).loss, CTCLoss)
    assert read_card(line).kind == "line" and read_card(glyph).kind == "glyph"
    assert load(line, kind="line").labels == ["0", "1"]
    with pytest.raises(ModelError, match="a glyph model, where a line model is needed"):
        load(glyph, kind="line")
    # A card that lies about its kind is caught when the network is checked.
    liar = save_model(builders.lenet(), tmp_path / "liar.keras", {"kind": "line", "labels": list("0123456789")})
    with pytest.raises(ModelError, match="not a line model"):
        load(liar)


@pytest.mark.parametrize("metadata, message", [
    ([1, 2, 3], "expected an object"),
    ({"labels": 10}, "'labels' must be a list of characters"),
    ({"labels": list("01"), "kind": "hologram"}, "unknown model kind 'hologram'"),
    ({"labels": list("01"), "thresholds": {"x": 1}}, "'thresholds'"),
    ({"labels": list("01"), "scores": []}, "'scores' must be an object"),
    ({"labels": list("01"), "input": {"deslant": 0.5}}, "'input.deslant' must be"),
    ({"labels": list("01"), "input": {"deslant": {"shear": "upright"}}}, "'input.deslant.shear' must be a number"),
])
def test_malformed_metadata_is_one_model_error(tmp_path, metadata, message):
    path = save_model(builders.lenet(num_classes=2), tmp_path / "m.keras", metadata)
    with pytest.raises(ModelError, match=message):
        load(path)
