"""The bundled weights: present, loadable, and as accurate as their metadata says.

The accuracy checks need the real datasets and are skipped without OCR_DATA_DIR.
"""

from pathlib import Path

import pytest

from ocr.models import load, registry
from training.evaluate import evaluate_line_model, evaluate_model
from training.synth import find_fonts

# Regression floors. LeNet and charnet-on-MNIST are at the targets; the
# ByMerge floor is the bundled model's measured 89.1%, below the 90% target
# (issue 2 stays open on that point).
MINIMUM = {
    ("lenet", "mnist:test"): 0.992,
    ("charnet", "emnist-bymerge:test -emnist-byclass:test"): 0.89,
    ("charnet", "mnist:test"): 0.995,
}


#: Highest character error rates allowed for the line models (measured values
#: in their metadata and bench/RESULTS.md: digitline 3.55% on mnist-strings,
#: 6.06% on the ORAND-CAR-A test half, 5.27% on its first 200 rows, which
#: this test reads; the issue's ORAND target is 8%).
MAXIMUM_CER = {("digitline", "mnist-strings:test"): 0.037, ("digitline", "orand-car-a:test"): 0.08,
               ("textline", "printed-lines:test"): 0.007}


@pytest.mark.parametrize("name", sorted(registry.REGISTRY))
def test_bundled_weights_load_with_metadata(name):
    loaded = load(name, runtime="keras")  # checks the network against its card's kind
    assert loaded.card.kind == registry.get_spec(name).kind
    meta = loaded.card.metadata
    assert {"input", "training", "keras_version"} <= set(meta)
    assert loaded.card.training["wall_time_s"] > 0 and loaded.card.training["device"]
    assert registry.get_spec(name).weights.stat().st_size < 5_000_000


@pytest.mark.parametrize("name, key", sorted(MINIMUM))
def test_bundled_accuracy_on_real_data(name, key, real_data_dir):
    loaded = load(name, runtime="keras")
    model, meta = loaded.net, loaded.card.metadata
    evaluation = next(ev for ev in registry.get_spec(name).evaluations if ev.key == key)
    report = evaluate_model(model, meta["labels"], evaluation.dataset, evaluation.split,
                            evaluation.exclude, real_data_dir)
    assert report.accuracy >= MINIMUM[name, key]
    assert report.accuracy == pytest.approx(meta["scores"][key]["accuracy"], abs=1e-4)
    if evaluation.exclude:
        assert report.excluded == 16478 and report.n == 99845


@pytest.mark.parametrize("name, key", sorted(MAXIMUM_CER))
def test_bundled_line_model_on_real_data(name, key, real_data_dir):
    loaded = load(name, kind="line", runtime="keras")
    model, meta = loaded.net, loaded.card.metadata
    evaluation = next(ev for ev in registry.get_spec(name).evaluations if ev.key == key)
    # ORAND is read through the whole pipeline: a sample keeps the suite fast.
    limit = 200 if evaluation.dataset == "orand-car-a" else None
    if evaluation.dataset == "printed-lines" and not find_fonts():
        pytest.skip("printed-lines renders with the system fonts the model was scored with")
    report = evaluate_line_model(model, meta["labels"], evaluation.dataset, evaluation.split,
                                 real_data_dir, limit=limit)
    assert report.cer <= MAXIMUM_CER[name, key]
    if limit is None:
        assert report.cer == pytest.approx(meta["scores"][key]["cer"], abs=1e-4)


SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


@pytest.mark.parametrize("sample, text", [
    ("form_ruled.png", "Name Maria Lopez\nAccount 4 0 9 1 7 3 5 2\nAmount 1250 EUR\nDate 12 March 2024"),
    ("two_columns.png", "Quarterly Report Summary\nSales rose in March\nand April across\nall northern stores\n"
                        "while costs fell\nThe board approved\na new budget of\n4500 for the next\n"
                        "quarter of the year"),
])
@pytest.mark.parametrize("runtime", ["onnx", "keras"])
def test_bundled_samples_read_exactly_with_the_default_model(sample, text, runtime, monkeypatch):
    import ocr

    monkeypatch.setenv("OCR_RUNTIME", runtime)
    assert ocr.read(str(SAMPLES / sample)).text == text
