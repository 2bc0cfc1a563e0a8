"""Signature verification: preprocessing, Siamese model, training, CLI (issue 4).

All images are tiny synthetic "signatures" drawn here with OpenCV; the tests
that read real data skip, saying why, unless $OCR_DATA_DIR holds the signatures.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from ocr import signature
from ocr.errors import DataError, ImageError, ModelError, OcrError
from ocr.verify import verify_signature
from training import signatures as sigtrain

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

SMALL = (32, 48)


def draw_signature(seed: int, jitter: float = 0.0, shift=(0, 0), size=(120, 220),
                   paper: int = 205, colour: bool = True, ink=(40, 30, 90)) -> np.ndarray:
    """A cursive-looking curve on grey paper; ``seed`` is the writer's style."""
    style = np.random.default_rng(seed)
    noise = np.random.default_rng(seed * 1000 + int(jitter * 100) + shift[0] * 7 + shift[1])
    t = np.linspace(0, 1, 60)
    freq, amp = style.uniform(2, 5), style.uniform(10, 25)
    xs = 30 + t * 150 + shift[0] + noise.normal(0, jitter, t.size)
    ys = 60 + amp * np.sin(2 * np.pi * freq * t) + shift[1] + noise.normal(0, jitter, t.size)
    image = np.full((*size, 3), paper, np.uint8)
    image += noise.integers(0, 8, image.shape, dtype=np.uint8)  # paper texture
    points = np.stack([xs, ys], 1).astype(np.int32)
    cv2.polylines(image, [points], False, ink, 2, cv2.LINE_AA)
    cv2.line(image, (int(xs[5]), int(ys[5]) + 15), (int(xs[40]), int(ys[40]) + 20), ink, 2)
    return image if colour else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def write(path: Path, image: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), image)
    return path


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    """Five writers in the generic <writer>/genuine, <writer>/forged layout."""
    root = tmp_path_factory.mktemp("signatures")
    for w in range(5):
        for i in range(4):
            write(root / f"w{w}" / "genuine" / f"{i}.png", draw_signature(w, jitter=0.5 + i * 0.2))
        for i in range(2):
            write(root / f"w{w}" / "forged" / f"{i}.png", draw_signature(w + 50, jitter=1.0 + i))
    return root


@pytest.fixture(scope="module")
def trained_model(dataset, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("model") / "sig.keras"
    result = CliRunner().invoke(main_cli(), [
        "train", "signature", "--data", str(dataset), "--out", str(out), "--epochs", "1",
        "--steps-per-epoch", "2", "--val-writers", "2", "--input-size", "32x48"])
    assert result.exit_code == 0, result.output
    assert "saved" in result.output
    return out


def main_cli():
    from cli import main

    return main


# ---------------------------------------------------------------- preprocessing
def test_preprocess_shape_range_and_ink_high():
    out = signature.preprocess(draw_signature(1), SMALL)
    assert out.shape == SMALL and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0
    # Background is zero after inversion; ink is bright and sparse.
    assert np.median(out) == 0.0 and out.max() > 0.4


def test_preprocess_removes_position_and_paper_colour():
    a = signature.preprocess(draw_signature(2), SMALL)
    b = signature.preprocess(draw_signature(2, shift=(20, 25), size=(180, 260), paper=235), SMALL)
    assert np.abs(a - b).mean() < 0.03


def test_preprocess_keeps_aspect_ratio_and_centres():
    grey = np.full((100, 300), 220, np.uint8)
    cv2.rectangle(grey, (10, 10), (50, 90), 0, -1)  # tall box in a corner
    out = signature.preprocess(grey, (40, 60))
    cols = np.flatnonzero(out.max(0) > 0.5)
    rows = np.flatnonzero(out.max(1) > 0.5)
    assert abs((cols[0] + cols[-1]) / 2 - 29.5) <= 1.5  # horizontally centred
    width, height = cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1
    assert width / height == pytest.approx(41 / 81, abs=0.1)


def test_preprocess_gives_the_same_input_for_a_darker_or_lighter_pen():
    dark = draw_signature(5, ink=(20, 20, 20))
    light = draw_signature(5, ink=(120, 120, 120))
    normalized = [signature.preprocess(img, SMALL) for img in (dark, light)]
    raw = [signature.preprocess(img, SMALL, ink_normalized=False) for img in (dark, light)]

    def ink_level(image):
        return image[image > 0.1].mean()

    assert abs(ink_level(normalized[0]) - ink_level(normalized[1])) < 0.03
    assert np.abs(normalized[0] - normalized[1]).mean() < 0.02
    assert ink_level(raw[0]) > ink_level(raw[1]) + 0.1  # without the step, the pen shows


def test_normalize_ink_scales_strong_ink_to_one_and_keeps_pressure():
    image = np.zeros((10, 10), np.float32)
    image[2, :] = 0.5  # a stroke
    image[5, :5] = 0.25  # a lighter one (less pressure)
    out = signature.normalize_ink(image)
    assert out[2].max() == pytest.approx(1.0) and out[5, 0] == pytest.approx(0.5)
    assert out[0].max() == 0.0
    np.testing.assert_array_equal(signature.normalize_ink(np.zeros((4, 4), np.float32)), 0)


def test_parse_input_size():
    from ocr.errors import OcrError

    assert signature.parse_input_size("150X240") == (150, 240)
    for bad in ("31x240", "150", "axb", "150x240x3"):
        with pytest.raises(OcrError):
            signature.parse_input_size(bad)


def test_input_format_reads_model_metadata():
    assert signature.input_format({}) == (signature.INPUT_SHAPE, False)  # models before the ink step
    assert signature.input_format({"shape": [32, 48], "ink_normalized": True}) == ((32, 48), True)


def test_preprocess_reads_files_and_greyscale(tmp_path):
    path = write(tmp_path / "s.png", draw_signature(3, colour=False))
    assert signature.preprocess(path, SMALL).shape == SMALL


@pytest.mark.parametrize("image", [np.full((50, 80), 200, np.uint8),
                                   np.random.default_rng(0).integers(195, 210, (50, 80)).astype(np.uint8)])
def test_blank_images_raise(image):
    with pytest.raises(ImageError, match="blank"):
        signature.preprocess(image, SMALL)


def test_missing_and_unreadable_files_raise(tmp_path):
    with pytest.raises(ImageError, match="no such file"):
        signature.preprocess(tmp_path / "none.png")
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(ImageError, match="readable"):
        signature.preprocess(tmp_path / "bad.png")


def test_threshold_for_uses_calibrated_reference_count():
    from ocr.models import ModelCard

    card = ModelCard.from_metadata({"task": "signature-verification", "thresholds": {"1": 0.5, "3": 0.6, "5": 0.7}})
    assert card.kind == "signature"
    assert [card.threshold_for(k) for k in (1, 2, 3, 4, 5, 9)] == [0.5, 0.5, 0.6, 0.6, 0.7, 0.7]
    assert [card.threshold_count_for(k) for k in (1, 2, 4, 9)] == [1, 1, 3, 5]
    assert ModelCard.from_metadata({"kind": "signature", "threshold": 0.4}).threshold_count_for(3) is None
    with pytest.raises(ModelError, match="'combine' must be one of max, mean, centroid, scaled"):
        ModelCard.from_metadata({"kind": "signature", "combine": "median"})


def test_combined_scores_max_mean_and_centroid():
    refs = np.array([[1.0, 0.0], [0.0, 1.0]])
    questioned = np.array([[1.0, 0.0], [np.sqrt(0.5), np.sqrt(0.5)]])
    per_ref = signature.pairwise_similarity(refs, questioned)
    assert per_ref[0, 0] == pytest.approx(1.0) and per_ref[1, 0] == pytest.approx(1 - np.sqrt(2) / 2)
    np.testing.assert_allclose(signature.combined_scores(refs, questioned, "max"), per_ref.max(0))
    np.testing.assert_allclose(signature.combined_scores(refs, questioned, "mean"), per_ref.mean(0))
    # The references' mean direction is the diagonal: the second questioned lies on it.
    centroid = signature.combined_scores(refs, questioned, "centroid")
    assert centroid[1] == pytest.approx(1.0) and centroid[0] < centroid[1]
    with pytest.raises(OcrError, match="centroid"):
        signature.combined_scores(refs, questioned, "median")


def _around(direction: np.ndarray, spread: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` unit vectors scattered about ``direction`` by roughly ``spread``."""
    out = direction + rng.normal(0.0, spread / np.sqrt(len(direction)), (n, len(direction)))
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_reference_spread_does_not_depend_on_how_many_references():
    rng = np.random.default_rng(0)
    direction = np.eye(64)[0]
    spreads = {n: np.median([signature.reference_spread(_around(direction, 0.6, n, rng)) for _ in range(300)])
               for n in (2, 3, 5)}
    # Without the n / (n - 1) correction two references would measure ~30% tighter than five.
    assert spreads[2] == pytest.approx(spreads[5], rel=0.08) and spreads[3] == pytest.approx(spreads[5], rel=0.08)
    assert signature.reference_spread(direction[None]) is None


def test_scaled_scores_give_a_variable_writer_room_and_a_steady_one_none():
    rng = np.random.default_rng(1)
    direction = np.eye(64)[0]
    steady, variable = _around(direction, 0.3, 5, rng), _around(direction, 0.9, 5, rng)
    questioned = _around(direction, 0.6, 1, rng)
    plain_steady = signature.combined_scores(steady, questioned, "centroid")[0]
    plain_variable = signature.combined_scores(variable, questioned, "centroid")[0]
    scaled_steady = signature.combined_scores(steady, questioned, "scaled")[0]
    scaled_variable = signature.combined_scores(variable, questioned, "scaled")[0]
    # The same distance counts for more against steady references than against variable ones.
    assert abs(plain_steady - plain_variable) < 0.05
    assert scaled_steady < plain_steady and scaled_variable > plain_variable
    assert scaled_variable - scaled_steady > 0.1
    # One reference has no spread: scaled is the centroid score.
    np.testing.assert_allclose(signature.combined_scores(steady[:1], questioned, "scaled"),
                               signature.combined_scores(steady[:1], questioned, "centroid"))


def test_scaled_scores_stay_finite_for_references_that_are_copies():
    reference = np.eye(8)[:1]
    copies = np.repeat(reference, 4, axis=0)
    scores = signature.combined_scores(copies, np.eye(8)[:2], "scaled")
    assert np.isfinite(scores).all() and scores[0] == pytest.approx(1.0) and 0.0 <= scores[1] < 0.5


def test_stroke_directions_see_which_way_the_strokes_run():
    bins = signature.DIRECTION_BINS
    flat = np.zeros((60, 96), np.float32)
    flat[28:32, 10:86] = 1.0  # a horizontal stroke: its gradient is vertical
    standing = np.zeros_like(flat)
    standing[5:55, 46:50] = 1.0  # a vertical stroke: its gradient is horizontal
    cells = sum(r * c for r, c in signature.DIRECTION_GRIDS)

    def per_bin(image):
        feats = signature.stroke_directions(image)
        assert feats.shape == (cells * bins,) and feats.dtype == np.float32 and (feats >= 0).all()
        return (feats.reshape(cells, bins) ** 2).sum(0)  # cells are unit length before the root

    assert int(np.argmax(per_bin(flat))) == bins // 2  # gradient at 90 degrees
    assert int(np.argmax(per_bin(standing))) == 0  # gradient at 0 degrees
    assert not np.any(signature.stroke_directions(np.zeros_like(flat)))  # no ink, no direction


def test_stroke_texture_reads_the_strong_ink_not_the_pen():
    cells = sum(r * c for r, c in signature.TEXTURE_GRIDS)
    thin = np.zeros((60, 96), np.float32)
    thin[29:31, 10:86] = 1.0  # a stroke 2 pixels wide
    thick = np.zeros_like(thin)
    thick[27:33, 10:86] = 1.0  # the same stroke 6 pixels wide
    feats = signature.stroke_texture(thin)
    assert feats.shape == (cells * signature.TEXTURE_CODES,) and feats.dtype == np.float32
    assert (feats >= 0).all()
    # A wider pen stroke has interior pixels (every neighbour as dark: code 255), a thin one none.
    per_code = lambda f: (f.reshape(cells, -1) ** 2).sum(0)  # noqa: E731  (cells unit length before the root)
    assert per_code(signature.stroke_texture(thick))[255] > 0.1 and per_code(feats)[255] == 0
    # Faint ink is not strong ink; a lighter pen is the same input once the ink is normalized.
    assert not np.any(signature.stroke_texture(0.5 * thick))
    np.testing.assert_allclose(signature.stroke_texture(signature.normalize_ink(0.6 * thick)),
                               signature.stroke_texture(signature.normalize_ink(thick)))
    assert not np.any(signature.stroke_texture(np.zeros_like(thin)))  # no ink, no texture


@pytest.mark.parametrize("kind", sorted(signature.HAND_FEATURES))
def test_feature_fusion_splits_the_distance_and_round_trips_through_the_card(kind):
    rng = np.random.default_rng(0)
    images = rng.random((4, 60, 96)).astype(np.float32)
    fusion = signature.FeatureFusion.fit(images[:2], 0.7, kind)
    net = rng.normal(size=(4, 8))
    fused = fusion.apply(net, images)
    np.testing.assert_allclose(np.linalg.norm(fused, axis=1), 1.0)
    unit = net / np.linalg.norm(net, axis=1, keepdims=True)
    feats = fusion.features(images) - fusion.centre
    feats /= np.linalg.norm(feats, axis=1, keepdims=True)
    squared = lambda a: ((a[0] - a[1]) ** 2).sum()  # noqa: E731
    assert squared(fused) == pytest.approx(0.7 * squared(unit) + 0.3 * squared(feats))
    again = signature.FeatureFusion.from_metadata({kind: fusion.to_metadata()})
    assert again.kind == kind and again.settings == fusion.settings
    np.testing.assert_allclose(again.apply(net, images), fused, atol=1e-4)  # centre kept to 5 decimals
    assert signature.FeatureFusion.from_metadata({"kind": "signature"}) is None
    broken = {kind: {**fusion.to_metadata(), "centre": [0.0, 1.0]}}
    with pytest.raises(ModelError, match=kind):
        signature.FeatureFusion.from_metadata(broken, "m.keras")
    with pytest.raises(OcrError, match="unknown signature features"):
        signature.FeatureFusion(0.5, fusion.centre, "ink_colour")


def test_cards_of_models_before_stroke_texture_still_read_as_stroke_directions():
    centre = np.zeros(sum(r * c for r, c in signature.DIRECTION_GRIDS) * signature.DIRECTION_BINS)
    card = {"stroke_directions": {"weight": 0.5, "grids": [[5, 8], [10, 16]], "bins": 16,
                                  "centre": centre.tolist(), "features": "..."}}
    fusion = signature.FeatureFusion.from_metadata(card)
    image = np.zeros((150, 240), np.float32)
    image[60:70, 20:200] = 1.0
    assert fusion.kind == "stroke_directions" and fusion.weight == 0.5
    np.testing.assert_allclose(fusion.features(image[None])[0], signature.stroke_directions(image))


def test_near_identical_catches_a_resaved_copy_not_a_second_signature(tmp_path):
    first = draw_signature(3, jitter=0.5)
    write(tmp_path / "copy.jpg", first)  # the same scan, saved again lossily
    a, copy = signature.preprocess(first), signature.preprocess(tmp_path / "copy.jpg")
    again = signature.preprocess(draw_signature(3, jitter=0.9))  # the same writer signing again
    assert signature.near_identical(a, a) and signature.near_identical(a, copy)
    assert not signature.near_identical(a, again)
    assert not signature.near_identical(a, a[:, :-1])


# ------------------------------------------------------------ data and metrics
def test_find_writers_generic_and_sign_data_layouts(dataset, tmp_path):
    writers = sigtrain.find_writers(dataset)
    assert sorted(writers) == [f"w{i}" for i in range(5)]
    assert len(writers["w0"].genuine) == 4 and len(writers["w0"].forged) == 2
    split = tmp_path / "sign_data" / "Dataset" / "test"
    for w in ("049", "050"):
        for i in range(2):
            write(split / w / f"0{i}_{w}.png", draw_signature(int(w)))
            write(split / f"{w}_forg" / f"0{i}_0114{w}.PNG", draw_signature(int(w) + 9))
    found = sigtrain.find_writers(tmp_path)
    assert sorted(found) == ["049", "050"] and len(found["049"].forged) == 2
    with pytest.raises(DataError):
        sigtrain.find_writers(split / "049")


def test_splits_are_writer_disjoint():
    ids = [f"{i:03d}" for i in range(22)]
    train, val = sigtrain.split_writers(ids, 5, seed=1)
    assert len(val) == 5 and not set(train) & set(val) and set(train) | set(val) == set(ids)
    folds = sigtrain.writer_folds(ids, 4)
    assert sorted(sum(folds, [])) == ids and all(len(f) in (5, 6) for f in folds)


def test_equal_error_rate():
    err, thr = sigtrain.equal_error_rate(np.array([0.9, 0.8, 0.7]), np.array([0.1, 0.2, 0.3]))
    assert err == 0.0 and 0.3 < thr < 0.7
    err, _ = sigtrain.equal_error_rate(np.array([0.9, 0.8, 0.2, 0.7]), np.array([0.1, 0.85, 0.3, 0.4]))
    assert err == pytest.approx(0.25)
    rates = sigtrain.rates_at({"genuine": np.array([0.9, 0.1]), "skilled": np.array([0.6]),
                               "random": np.array([0.2])}, 0.5)
    assert rates["frr"] == 0.5 and rates["far_skilled"] == 1.0 and rates["far_random"] == 0.0
    assert rates["accuracy"] == 0.5


def test_augment_keeps_shape_and_ink():
    image = signature.preprocess(draw_signature(4), SMALL)
    out = sigtrain.augment(image, np.random.default_rng(0))
    assert out.shape == image.shape and out.max() > 0.2


# ------------------------------------------------------------------------ model
def test_siamese_model_saves_and_loads_in_safe_mode(tmp_path):
    from ocr.models import siamese
    from ocr.models import load
    from ocr.models.store import save_model

    net = siamese.signet(input_shape=SMALL)
    x = np.random.default_rng(0).random((3, *SMALL)).astype("float32")
    d = np.asarray(net([x, x[::-1]]))
    assert d.shape == (3, 1) and np.all(d >= 0) and np.all(d <= 2 + 1e-5)
    assert float(d[1, 0]) < 1e-3  # a signature and itself
    path = save_model(net, tmp_path / "s.keras", {"kind": "signature", "threshold": 0.5})
    model = load(path, kind="signature")
    loaded = model.net
    assert model.card.threshold_for(3) == 0.5
    np.testing.assert_allclose(np.asarray(loaded([x, x[::-1]])), d, atol=1e-5)
    assert {"lrn1", "conv1"} <= {l.name for l in loaded.get_layer("signet_embedding").layers}


def test_contrastive_losses():
    from ocr.models import siamese

    loss = np.asarray(siamese.contrastive_loss(np.array([1.0, 0.0, 0.0]), np.array([0.5, 0.5, 1.5])))
    np.testing.assert_allclose(loss, [0.25, 0.25, 0.0], atol=1e-6)
    # Pairwise: writers 0 and 1, two genuine each plus one forgery of writer 0.
    emb = np.array([[1, 0], [1, 0], [0, 1], [0, 1], [1, 0]], "float32")
    y = np.array([[0, 1], [0, 1], [1, 1], [1, 1], [0, 0]], "float32")
    pairwise = siamese.PairwiseContrastiveLoss(margin=1.0)
    # Positives identical (0), random negatives at sqrt(2) (0), skilled forgery identical (1 each).
    assert float(pairwise(y, emb)) == pytest.approx(0.5, abs=1e-4)


# -------------------------------------------------------------------------- CLI
def test_train_and_verify_cli(trained_model, dataset, tmp_path):
    from ocr.models.store import read_metadata

    meta = read_metadata(trained_model)
    assert meta["input"]["shape"] == list(SMALL)
    # Four genuine signatures a writer: 1 to 3 references leave one to question.
    assert set(meta["thresholds"]) == {"1", "2", "3"} and meta["combine"] in signature.COMBINE_METHODS
    assert not set(meta["training"]["writers"]) & set(meta["calibration"]["writers"])
    fusion = signature.FeatureFusion.from_metadata(meta)  # calibrated on the fused vectors
    assert fusion.weight == sigtrain.SignatureTrainConfig.network_weight < 1
    assert fusion.kind == sigtrain.SignatureTrainConfig.hand_features == "stroke_texture"
    assert fusion.centre.shape == signature.stroke_texture(np.zeros(SMALL, np.float32)).shape
    runner = CliRunner()
    refs = ["-r", str(dataset / "w1/genuine/0.png"), "-r", str(dataset / "w1/genuine/1.png")]
    result = runner.invoke(main_cli(), ["verify-signature", "--model", str(trained_model), *refs,
                                        "--json", str(dataset / "w1/genuine/2.png")])
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.output)
    assert set(report) >= {"decision", "score", "threshold", "threshold_references", "references"}
    assert len(report["references"]) == 2 and report["threshold_references"] == 2
    assert report["threshold"] == pytest.approx(meta["thresholds"]["2"], abs=1e-6)
    assert result.exit_code == (0 if report["decision"] == "genuine" else 1)
    # An explicit threshold decides: 0 accepts everything, 1 rejects any imperfect match.
    for threshold, code in (("0", 0), ("1", 1)):
        result = runner.invoke(main_cli(), ["verify-signature", "--model", str(trained_model), *refs,
                                            "--threshold", threshold, str(dataset / "w2/forged/0.png")])
        assert result.exit_code == code, result.output
        assert result.output.startswith("genuine" if code == 0 else "forged")
        assert "(given;" in result.output.splitlines()[0]
    # A copy of a reference is flagged and not accepted, even with a threshold of 0.
    result = runner.invoke(main_cli(), ["verify-signature", "--model", str(trained_model), *refs,
                                        "--threshold", "0", str(dataset / "w1/genuine/1.png")])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("identical") and "same scan as" in result.output


def test_verify_feeds_the_input_the_model_was_trained_on(trained_model, dataset, monkeypatch):
    from ocr.models.store import read_metadata

    assert read_metadata(trained_model)["input"]["ink_normalized"] is True
    seen = []
    real = signature.preprocess

    def spy(image, shape=signature.INPUT_SHAPE, ink_normalized=True):
        seen.append((tuple(shape), ink_normalized))
        return real(image, shape, ink_normalized)

    monkeypatch.setattr(signature, "preprocess", spy)
    fused = []
    real_apply = signature.FeatureFusion.apply
    monkeypatch.setattr(signature.FeatureFusion, "apply",
                        lambda self, emb, images: fused.append(images.shape) or real_apply(self, emb, images))
    verify_signature([dataset / "w1/genuine/0.png"], dataset / "w1/genuine/1.png",
                     model=trained_model)
    assert seen == [(SMALL, True)] * 2
    assert fused == [(2, *SMALL)]  # the card's fusion joins both images' embeddings


def test_python_api(trained_model, dataset):
    import ocr

    other = dataset / "w1/genuine/2.png"
    report = ocr.verify_signature([other, draw_signature(30)], dataset / "w1/genuine/3.png",
                                  model=trained_model)
    assert report["decision"] == ("genuine" if report["score"] >= report["threshold"] else "forged")
    assert report["identical_to"] == [] and not any(r["identical"] for r in report["references"])
    # The questioned signature itself among the references: flagged, never accepted,
    # and scored on the other reference only.
    same = dataset / "w1/genuine/3.png"
    copied = ocr.verify_signature([same, other], same, model=trained_model, threshold=0.0)
    assert copied["decision"] == "identical" and copied["identical_to"] == [str(same)]
    assert copied["references"][0]["score"] == pytest.approx(1.0, abs=1e-3)
    alone = ocr.verify_signature([other], same, model=trained_model)
    assert copied["score"] == pytest.approx(alone["score"], abs=1e-5)
    only = ocr.verify_signature([same], same, model=trained_model)
    assert only["decision"] == "identical" and only["score"] is None


def test_enrolled_references_score_as_the_scans_do(trained_model, dataset, tmp_path):
    """enroll-signature then verify-signature --enrolled: the same verdict, scores and copy check."""
    refs = [str(dataset / f"w3/genuine/{i}.png") for i in range(3)]
    enrolled = tmp_path / "w3.npz"
    runner = CliRunner()
    result = runner.invoke(main_cli(), ["enroll-signature", *refs, "-o", str(enrolled),
                                        "--model", str(trained_model)])
    assert result.exit_code == 0 and "enrolled 3 references" in result.output, result.output
    for questioned, code in ((dataset / "w3/genuine/3.png", None), (dataset / "w0/forged/1.png", None),
                             (refs[1], 1)):
        direct = verify_signature(refs, questioned, model=trained_model)
        result = runner.invoke(main_cli(), ["verify-signature", str(questioned), "-e", str(enrolled), "--json"])
        assert result.exit_code == (0 if direct["decision"] == "genuine" else 1), result.output
        report = json.loads(result.output)
        assert report["decision"] == direct["decision"] and report["model"] == direct["model"]
        assert report["score"] == pytest.approx(direct["score"], abs=1e-5)
        assert [r["score"] for r in report["references"]] == pytest.approx(
            [r["score"] for r in direct["references"]], abs=1e-5)
        assert report["identical_to"] == direct["identical_to"] and [r["reference"] for r in report["references"]] == refs
        if code is not None:  # a copy of an enrolled reference is flagged from the stored inputs
            assert report["decision"] == "identical" and report["identical_to"] == [refs[1]]
    # Python API: enroll, save, load, verify.
    import ocr
    from ocr.verify import load_enrollment, save_enrollment

    enrollment = ocr.enroll_signatures(refs[:2], model=trained_model)
    save_enrollment(enrollment, tmp_path / "two.npz")
    again = load_enrollment(tmp_path / "two.npz")
    assert again.names == enrollment.names and again.model_sha256 == enrollment.model_sha256
    np.testing.assert_array_equal(again.vectors, enrollment.vectors)
    assert ocr.verify_signature(again, refs[2])["threshold_references"] == 2


def test_enrollment_refuses_what_would_lose_data_or_mislead(trained_model, dataset, tmp_path):
    from ocr.verify import Enrollment, enroll_signatures, save_enrollment

    ref = str(dataset / "w4/genuine/0.png")
    enrolled = tmp_path / "w4.npz"
    runner = CliRunner()

    def one_line_error(args, *needles):
        result = runner.invoke(main_cli(), args)
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
        for needle in needles:
            assert needle in lines[0], lines[0]

    assert runner.invoke(main_cli(), ["enroll-signature", ref, "-o", str(enrolled),
                                      "--model", str(trained_model)]).exit_code == 0
    before = enrolled.read_bytes()
    one_line_error(["enroll-signature", ref, "-o", str(enrolled), "--model", str(trained_model)], "--force")
    one_line_error(["enroll-signature", ref, "-o", ref, "--model", str(trained_model)], "is also an input")
    one_line_error(["enroll-signature", str(tmp_path / "nope.png"), "-o", str(enrolled), "--force",
                    "--model", str(trained_model)], "nope.png")
    assert enrolled.read_bytes() == before  # a failed run leaves the earlier enrollment alone
    one_line_error(["verify-signature", ref, "-e", str(enrolled), "-r", ref], "not both")
    one_line_error(["verify-signature", ref, "-e", ref], "not a signature enrollment")
    one_line_error(["verify-signature", ref, "-e", str(tmp_path / "missing.npz")], "missing.npz")
    # Made by other weights: refused, not scored against thresholds that do not apply.
    real = enroll_signatures([ref], model=trained_model)
    other = Enrollment(real.model, "0" * 64, real.names, real.vectors, real.inputs)
    save_enrollment(other, tmp_path / "other.npz")
    one_line_error(["verify-signature", str(dataset / "w4/genuine/1.png"), "-e", str(tmp_path / "other.npz")],
                   "enroll them again")
    # An archive that claims more than the cap unpacked is refused before it is unpacked.
    import io

    buffer = io.BytesIO()
    np.savez_compressed(buffer, meta=np.array("{}"), vectors=real.vectors,
                        inputs=np.zeros((2000, *SMALL), np.float16).repeat(12, axis=1))
    (tmp_path / "bomb.npz").write_bytes(buffer.getvalue())
    one_line_error(["verify-signature", ref, "-e", str(tmp_path / "bomb.npz")], "MiB unpacked")


def test_onnx_export_embeds_as_keras_does(trained_model, dataset, tmp_path):
    """The export holds the embedding branch; verification on it scores as on Keras."""
    import shutil

    from ocr.models import clear_cache, load

    copy = tmp_path / "sig.keras"
    shutil.copy(trained_model, copy)
    refs = [dataset / "w2/genuine/0.png", dataset / "w2/genuine/1.png"]
    questioned = dataset / "w2/forged/0.png"
    on_keras = verify_signature(refs, questioned, model=copy)
    result = CliRunner().invoke(main_cli(), ["export", str(copy)])
    assert result.exit_code == 0, result.output
    clear_cache()
    assert load(copy, kind="signature").runtime == "onnx"
    on_onnx = verify_signature(refs, questioned, model=copy)
    assert on_onnx["score"] == pytest.approx(on_keras["score"], abs=1e-5)
    assert [r["score"] for r in on_onnx["references"]] == pytest.approx(
        [r["score"] for r in on_keras["references"]], abs=1e-5)


@pytest.mark.parametrize("case, culprit", [
    ("missing", "nope.png"), ("unreadable", "junk.png"), ("blank", "blank.png"),
    ("no-reference", "reference"), ("bad-model", "missing.keras"),
])
def test_verify_bad_input_is_one_line_exit_2(case, culprit, trained_model, dataset, tmp_path):
    good = str(dataset / "w0/genuine/0.png")
    blank = write(tmp_path / "blank.png", np.full((60, 90, 3), 210, np.uint8))
    (tmp_path / "junk.png").write_bytes(b"junk")
    args = {
        "missing": ["-r", str(tmp_path / "nope.png"), good],
        "unreadable": ["-r", good, str(tmp_path / "junk.png")],
        "blank": ["-r", good, str(blank)],
        "no-reference": [good],
        "bad-model": ["-r", good, good],
    }[case]
    model = str(tmp_path / "missing.keras") if case == "bad-model" else str(trained_model)
    result = CliRunner().invoke(main_cli(), ["verify-signature", "--model", model, *args])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert culprit in lines[0], lines[0]  # the message names what is wrong


@pytest.mark.parametrize("size", ["10x10", "big", "150"])
def test_train_rejects_a_bad_input_size(size, dataset, tmp_path):
    result = CliRunner().invoke(main_cli(), ["train", "signature", "--data", str(dataset),
                                             "--out", str(tmp_path / "s.keras"), "--input-size", size])
    assert result.exit_code == 2 and "--input-size" in result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "s.keras").exists()


def test_recalibrate_keeps_the_network_and_swaps_the_descriptor(trained_model, dataset, tmp_path):
    from ocr.models.store import read_metadata
    from ocr.verify import _Verifier

    out = tmp_path / "recal.keras"
    args = ["train", "signature", "--data", str(dataset), "--recalibrate", str(trained_model),
            "--out", str(out), "--hand-features", "stroke_directions", "--network-weight", "0.6"]
    result = CliRunner().invoke(main_cli(), args)
    assert result.exit_code == 0, result.output
    before, after = read_metadata(trained_model), read_metadata(out)
    assert "stroke_texture" not in after and after["stroke_directions"]["weight"] == 0.6
    assert after["calibration"]["writers"] == before["calibration"]["writers"]
    assert after["training"] == before["training"] and set(after["thresholds"]) == set(before["thresholds"])
    images = signature.preprocess_many([dataset / "w1/genuine/0.png", dataset / "w2/genuine/0.png"], SMALL)
    old, new = _Verifier.of(trained_model), _Verifier.of(out)
    # The network is the same: its share of the fused vector is the old one's, rescaled.
    net_old = old.vectors(images)[0][:, :-old.fusion.centre.size] / np.sqrt(old.fusion.weight)
    net_new = new.vectors(images)[0][:, :-new.fusion.centre.size] / np.sqrt(new.fusion.weight)
    np.testing.assert_allclose(net_old, net_new, atol=1e-5)
    again = CliRunner().invoke(main_cli(), args)  # an existing model is never overwritten without --force
    assert again.exit_code == 2 and "exists" in again.output
    bare = tmp_path / "bare"  # other writers than the model's
    for writer in ("w8", "w9"):
        (bare / writer / "genuine").mkdir(parents=True)
        for i in range(2):
            write(bare / writer / "genuine" / f"{i}.png", draw_signature(int(writer[1]), jitter=i))
    missing = CliRunner().invoke(main_cli(), [*args[:3], str(bare), *args[4:7], str(tmp_path / "x.keras")])
    assert missing.exit_code == 2 and "not there" in missing.output and "Traceback" not in missing.output
    wrong = CliRunner().invoke(main_cli(), [*args[:5], "lenet", "--out", str(tmp_path / "y.keras")])
    assert wrong.exit_code == 2 and "where a signature model is needed" in wrong.output
    assert not (tmp_path / "y.keras").exists()


def test_cli_offers_every_hand_feature():
    from cli import train_signature_command

    option = next(p for p in train_signature_command.params if p.name == "hand_features")
    assert set(option.type.choices) == set(signature.HAND_FEATURES)


def test_train_refuses_to_overwrite(trained_model, dataset):
    result = CliRunner().invoke(main_cli(), ["train", "signature", "--data", str(dataset),
                                             "--out", str(trained_model), "--input-size", "32x48"])
    assert result.exit_code == 2 and "--force" in result.output


# ------------------------------------------------------------------- real data
def test_sign_data_adapter_on_real_data(sign_data_dir):
    writers = sigtrain.find_writers(sign_data_dir)
    assert len(writers) >= 20
    assert all(w.genuine and w.forged for w in writers.values())
    image = signature.preprocess(writers[sorted(writers)[0]].genuine[0])
    assert image.shape == signature.INPUT_SHAPE and image.max() > 0.3


def test_bundled_model_does_not_judge_the_pen(sign_data_dir):
    """A genuine signature re-inked darker or lighter scores as the original does."""
    from ocr.models import read_card

    assert signature.input_format(read_card("signet").input) == (signature.INPUT_SHAPE, True)
    writer = sigtrain.find_writers(sign_data_dir)["049"]
    grey = cv2.imread(str(writer.genuine[5]), cv2.IMREAD_GRAYSCALE)
    scores = []
    for factor in (0.7, 1.0, 1.4):  # ink darkness times factor: a lighter or darker pen
        darkness = np.clip((255.0 - grey) * factor, 0, 255)
        questioned = (255 - darkness).astype(np.uint8)
        scores.append(verify_signature(writer.genuine[:3], questioned)["score"])
    assert max(scores) - min(scores) < 0.02, scores
