"""The foundation commands: train, evaluate, models, and their bad-input errors."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from cli import main
from ocr.models.store import read_metadata, save_model
from training.idx import write_idx


def run(*args):
    result = CliRunner().invoke(main, list(map(str, args)))
    return result


def assert_one_line_error(result, text):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and text in errors[0], result.stderr


def smoke_train(tmp_path_factory, model: str, *options):
    """Train ``model`` through the CLI on a few hundred synthetic digits.

    Returns (data dir, model file, CLI result).
    """
    from tests.conftest import write_dataset

    root = tmp_path_factory.mktemp(f"train_{model}")
    data = write_dataset(root / "data")
    out = root / f"{model}.keras"
    result = run("train", model, "--data-dir", data, *options, "--out", out)
    assert result.exit_code == 0, result.output
    return data, out, result


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One smoke training run: six short epochs."""
    return smoke_train(tmp_path_factory, "lenet", "--epochs", "6", "--batch-size", "32")


def test_smoke_training_writes_model_with_metadata(trained):
    data, out, result = trained
    assert "test accuracy" in result.output
    meta = read_metadata(out)
    assert meta["labels"] == list("0123456789")
    assert meta["scores"]["mnist:test"]["n"] == 200
    assert meta["training"]["epochs"] == 6 and meta["training"]["wall_time_s"] > 0
    # Inference (moving batch-norm statistics) must work after a short run, not only training.
    assert meta["scores"]["mnist:test"]["accuracy"] > 0.5
    assert {"keras_version", "backend", "date", "parameters"} <= set(meta)
    assert not list(out.parent.glob("*.ckpt.*"))  # checkpoint removed after success


def _distance(path_a, path_b) -> float:
    """How far apart two saved models' trainable weights are (sum of absolute differences)."""
    from ocr.models.store import load_keras

    a, b = ([np.asarray(w) for w in load_keras(p).trainable_weights] for p in (path_a, path_b))
    assert [w.shape for w in a] == [w.shape for w in b]
    return sum(float(np.abs(x - y).sum()) for x, y in zip(a, b))


def test_an_averaged_run_saves_weights_near_where_it_started(trained, tmp_path):
    """--average keeps a moving average of the weights: with a momentum next to 1 it barely
    leaves the first step's, while the last step's weights have travelled (batch-norm
    statistics are moving averages of their own and are not compared)."""
    data, start, _ = trained

    def moved(*options):
        out = tmp_path / f"{len(options)}.keras"
        result = run("train", "lenet", "--data-dir", data, "--epochs", "2", "--batch-size", "32",
                     "--learning-rate", "0.01", "--init", start, *options, "--out", out)
        assert result.exit_code == 0, result.output
        return _distance(start, out), read_metadata(out)

    last, _ = moved()
    averaged, meta = moved("--average", "0.99999")
    assert averaged < 0.2 * last
    assert "moving average, momentum 0.99999" in meta["training"]["schedule"]


def test_an_averaged_run_stopped_after_its_last_checkpoint_saves_the_average(trained, tmp_path, monkeypatch):
    import training.train as loop

    data, start, _ = trained
    out = tmp_path / "stopped.keras"
    args = ("train", "lenet", "--data-dir", data, "--epochs", "2", "--batch-size", "32", "--learning-rate", "0.01",
            "--init", start, "--average", "0.99999", "--out", out)
    saving = loop.save_model

    def killed_at_the_end(model, path, metadata=None, **kwargs):
        if metadata is not None:  # the final save, after every epoch's checkpoint
            raise KeyboardInterrupt
        return saving(model, path, metadata, **kwargs)

    monkeypatch.setattr(loop, "save_model", killed_at_the_end)
    run(*args)
    assert not out.exists() and loop.checkpoint_paths(out)[1].exists()
    moved = _distance(start, loop.checkpoint_paths(out)[0])  # the last step's weights
    monkeypatch.setattr(loop, "save_model", saving)
    result = run(*args, "--resume")  # nothing left to fit
    assert result.exit_code == 0, result.output
    assert _distance(start, out) < 0.2 * moved


def test_training_refuses_to_overwrite_without_force(trained):
    data, out, _ = trained
    before = out.read_bytes()
    result = run("train", "lenet", "--data-dir", data, "--epochs", "1", "--out", out)
    assert_one_line_error(result, "already exists; pass --force")
    assert out.read_bytes() == before


class _Interrupted(Exception):
    """Stands in for a kill after the first epoch's checkpoint."""


def _optimizer_state(optimizer) -> dict[str, np.ndarray]:
    return {v.path: np.array(v) for v in optimizer.variables}


@pytest.mark.slow
def test_resume_continues_from_checkpoint(tmp_path, trained, monkeypatch):
    """A resumed run starts from the checkpoint's optimizer state (Adam moments, step count,
    so the learning-rate schedule goes on), not from a fresh optimizer."""
    import keras

    from ocr.models.store import load_keras
    from training.train import checkpoint_paths

    data, _, _ = trained
    out = tmp_path / "r.keras"
    real_fit = keras.Model.fit
    seen = {}

    def fit(self, *args, **kwargs):
        class Probe(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                seen["start"] = _optimizer_state(self.model.optimizer)
                seen["iterations"] = int(self.model.optimizer.iterations)
                seen["learning_rate"] = float(self.model.optimizer.learning_rate)

            def on_epoch_end(self, epoch, logs=None):
                if seen.get("interrupt"):
                    raise _Interrupted  # after the run's own checkpoint of this epoch

        kwargs["callbacks"] = [*kwargs.get("callbacks", []), Probe()]
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", fit)
    options = ["train", "lenet", "--data-dir", data, "--epochs", "2", "--batch-size", "64",
               "--out", out, "--limit", "300"]
    seen["interrupt"] = True
    first = run(*options)
    assert isinstance(first.exception, _Interrupted), first.output
    ckpt_model, ckpt_state = checkpoint_paths(out)
    assert json.loads(ckpt_state.read_text())["epoch"] == 1 and not out.exists()
    saved = load_keras(ckpt_model, compile=True)
    saved_state = _optimizer_state(saved.optimizer)
    steps = int(saved.optimizer.iterations)
    assert steps == int(np.ceil(270 / 64))  # one epoch of the 300 images less the validation tenth

    seen.clear()
    resumed = run(*options, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert seen["iterations"] == steps
    assert seen["learning_rate"] == pytest.approx(float(saved.optimizer.learning_rate), rel=1e-6)
    assert seen["start"].keys() == saved_state.keys() and len(saved_state) > 2
    for path, value in saved_state.items():
        assert np.array_equal(seen["start"][path], value), path
    meta = read_metadata(out)
    assert meta["training"]["epochs"] == 2 and len(meta["training"]["history"]) == 2
    assert not ckpt_model.exists() and not ckpt_state.exists()


def test_resume_without_checkpoint(tmp_path, digits_dir):
    result = run("train", "lenet", "--data-dir", digits_dir, "--out", tmp_path / "x.keras", "--resume")
    assert_one_line_error(result, "nothing to resume")


def test_evaluate_json_and_confusion(trained, tmp_path):
    data, out, _ = trained
    png = tmp_path / "cm.png"
    result = run("evaluate", out, "--dataset", "mnist", "--data-dir", data, "--json",
                 "--confusion", png)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    # The same model on the same split: evaluate agrees with the score training recorded.
    assert report["n"] == 200
    assert report["accuracy"] == pytest.approx(read_metadata(out)["scores"]["mnist:test"]["accuracy"], abs=1e-9)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_exclude_reports_kept_images(trained):
    data, out, _ = trained
    # Make the train split contain 30 of the test images.
    from training import datasets

    test = datasets.load("mnist", "test", data)
    train = datasets.load("mnist", "train", data)
    write_idx(data / "mnist" / "train-images-idx3-ubyte.gz",
              np.concatenate([train.images, test.images[:30]]))
    write_idx(data / "mnist" / "train-labels-idx1-ubyte.gz",
              np.concatenate([train.labels, test.labels[:30]]).astype(np.uint8))
    result = run("evaluate", out, "--dataset", "mnist", "--data-dir", data,
                 "--exclude", "mnist:train")
    assert result.exit_code == 0, result.output
    assert "kept" in result.output and "excluded" in result.output
    kept = int(result.output.split("kept ")[1].split(",")[0])
    assert kept <= 170


def test_models_lists_registry(tmp_path):
    result = run("models", "--json")
    assert result.exit_code == 0
    names = {row["name"] for row in json.loads(result.output)}
    assert {"lenet", "charnet"} <= names


@pytest.mark.parametrize("args, message", [
    (["evaluate", "lenett", "--dataset", "mnist"], "unknown model 'lenett'"),
    (["evaluate", "{model}", "--dataset", "nmist", "--data-dir", "{data}"], "unknown dataset 'nmist'"),
    (["evaluate", "{model}", "--dataset", "mnist", "--data-dir", "{tmp}/nowhere"], "does not exist"),
    (["evaluate", "{tmp}/bad.keras", "--dataset", "mnist"], "not a readable .keras"),
    (["evaluate", "{model}", "--dataset", "mnist", "--data-dir", "{tmp}/corrupt"], "corrupt or truncated"),
    (["train", "lenet", "--data-dir", "{tmp}/nowhere", "--out", "{tmp}/n.keras"], "does not exist"),
])
def test_bad_input_is_one_line_exit_2(args, message, tmp_path, digits_dir):
    from ocr.models import builders

    # Errors come before any scoring: an untrained model is enough (and keeps this quick).
    data = digits_dir
    model = save_model(builders.lenet(filters=(4, 8), dense_units=(16,)), tmp_path / "m.keras",
                       {"labels": list("0123456789")})
    (tmp_path / "bad.keras").write_bytes(b"garbage")
    corrupt = tmp_path / "corrupt" / "mnist"
    corrupt.mkdir(parents=True)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (corrupt / name).write_bytes((data / "mnist" / name).read_bytes())
    raw = (corrupt / "t10k-images-idx3-ubyte.gz").read_bytes()
    (corrupt / "t10k-images-idx3-ubyte.gz").write_bytes(raw[: len(raw) // 3])
    args = [a.format(model=model, data=data, tmp=tmp_path) for a in args]
    assert_one_line_error(run(*args), message)


def test_evaluate_split_all_is_only_for_orand():
    result = run("evaluate", "lenet", "--dataset", "mnist", "--split", "all")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "split 'all' is for orand-car-a" in result.stderr


@pytest.mark.parametrize("content", [b"\x00\xff not json", b"[1, 2, 3]", b'{"epoch": "one"}'])
def test_resume_with_a_corrupt_state_file_is_one_line(tmp_path, content):
    from training.train import checkpoint_paths

    out = tmp_path / "r.keras"
    _, state = checkpoint_paths(out)
    state.write_bytes(content)
    result = run("train", "lenet", "--data-dir", tmp_path, "--out", out, "--resume")
    assert result.exit_code == 2 and "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and "checkpoint state" in errors[0] and str(state) in errors[0]


@pytest.mark.parametrize("rule, text", [
    ("upright", "not JSON"), ('{"shear": 9}', "between -3.0 and 3.0"), ('{"shear": "x"}', "must be a number"),
    ('{"slope": 0.5}', '{"shear": number}, {"estimate_factor": number} or {"italic_factor": number}'),
    ("[0.5]", "must be {"),
])
def test_train_handline_rejects_bad_deslant_rules_in_one_line(rule, text, tmp_path):
    result = run("train", "handline", "--deslant", rule, "--data-dir", tmp_path, "--out", tmp_path / "h.keras")
    assert_one_line_error(result, "--deslant")
    assert text in result.stderr
    assert not (tmp_path / "h.keras").exists()


@pytest.mark.parametrize("given, expected", [
    ((), {"estimate_factor": 0.3}), (("--deslant", "none"), None), (("--deslant", "None"), None),
    (("--deslant", '{"shear": 0.5}'), {"shear": 0.5}), (("--deslant", '{"estimate_factor": 1}'), {"estimate_factor": 1.0}),
])
def test_train_handline_deslant_reaches_the_training_config(given, expected, tmp_path, monkeypatch):
    import training.train
    from ocr.models import registry
    from training.train import TrainResult, resolve_deslant

    seen = []

    def fake_train(config):
        spec = registry.get_spec(config.model)
        seen.append(resolve_deslant(spec, spec.trainer()(), config.deslant))
        return TrainResult(tmp_path / "h.keras", {"scores": {}})

    monkeypatch.setattr(training.train, "train", fake_train)
    result = run("train", "handline", *given, "--out", tmp_path / "h.keras")
    assert result.exit_code == 0, result.output
    assert seen == [expected]


def test_train_handline_help_names_the_registry_recipe():
    from ocr.models import registry

    result = run("train", "handline", "--help")
    assert result.exit_code == 0 and "--deslant RULE" in result.output
    assert json.dumps(registry.get_spec("handline").deslant) in " ".join(result.output.split())
    assert "--deslant" not in run("train", "textline", "--help").output
