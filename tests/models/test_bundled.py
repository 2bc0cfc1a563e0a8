"""The bundled weights: present, loadable, and above their accuracy floors.

The checks on real data skip (with the reason) when ``$OCR_DATA_DIR`` is unset
or lacks the dataset. These are floors and ceilings that hold on any machine;
exact reproduction of the recorded scores is ``python bench/accuracy.py --check``.
"""

from pathlib import Path

import pytest

from ocr.models import load, registry
from tests.conftest import require_dataset
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
#: this test reads; the issue's ORAND target is 8%; handline 23.92% on the 260
#: lines of the Testaments test writers).
MAXIMUM_CER = {("digitline", "mnist-strings:test"): 0.037, ("digitline", "orand-car-a:test"): 0.08,
               ("handline", "testaments-de-poilus:test"): 0.27}
#: printed-lines is rendered from whatever fonts the machine has, like a scan (shrunk to
#: 6-40 px capitals, paper, blur, noise, JPEG, fax, thresholds, pieces of neighbouring
#: lines, box sides). The bundled model (session 11) measured 8.3% CER on 600 lines with
#: DejaVu only (a fresh machine) and 11.7% on 2000 lines with 74 Debian font families.
PRINTED_LINES_MAXIMUM_CER = 0.16
#: Lines of printed-lines read by the test (the recorded score uses 2000).
PRINTED_LINES_SAMPLE = 600
#: Real print: lines cut from FUNSD's dev forms (~100 dpi faxes, with pieces of their
#: neighbours), every n-th of them, read one image per line by the default model:
#: 17.5% CER in session 11 (textline alone 16.4%; the model before it 40% and more),
#: 11.9% in session 16 (small print binarized at 2x, rules, post-processing).
FUNSD_LINES_SAMPLE = 120
FUNSD_LINES_MAXIMUM_CER = 0.16


@pytest.mark.parametrize("name", sorted(registry.REGISTRY))
def test_bundled_weights_load_with_metadata(name):
    loaded = load(name, runtime="keras")  # checks the network against its card's kind
    assert loaded.card.kind == registry.get_spec(name).kind
    meta = loaded.card.metadata
    assert {"input", "training", "keras_version"} <= set(meta)
    assert loaded.card.training["wall_time_s"] > 0 and loaded.card.training["device"]
    assert registry.get_spec(name).weights.stat().st_size < 5_000_000


def _evaluation(name, key):
    return next(ev for ev in registry.get_spec(name).evaluations if ev.key == key)


@pytest.mark.parametrize("runtime", ["onnx", "keras"])
def test_the_line_models_deslant_as_their_cards_say_on_either_runtime(runtime, monkeypatch):
    """handline's card asks for deslanting whole lines (bench/RESULTS.md, handwriting session 16),
    textline's for standing italic runs upright (real print session 43), and their readers apply
    it whichever runtime runs the network; no other bundled model deslants."""
    from ocr.deslant import DeslantRule
    from ocr.recognize_lines import LineRecognizer

    monkeypatch.setenv("OCR_RUNTIME", runtime)
    rules = {"handline": DeslantRule(estimate_factor=0.3), "textline": DeslantRule(italic_factor=0.5)}
    for name in sorted(registry.REGISTRY):
        card = load(name, runtime=runtime).card
        assert card.deslant == rules.get(name), name
        assert registry.REGISTRY[name].deslant == (card.deslant.to_card() if card.deslant else None), name
    for name in rules:
        reader = LineRecognizer.load(name)
        assert reader.model.runtime == runtime and reader.deslant == rules[name]


@pytest.mark.slow
@pytest.mark.parametrize("name, key", sorted(MINIMUM))
def test_bundled_accuracy_on_real_data(name, key, real_data_dir):
    loaded = load(name, runtime="keras")
    model, meta = loaded.net, loaded.card.metadata
    evaluation = _evaluation(name, key)
    for dataset in (evaluation.dataset, *(e.split(":")[0] for e in evaluation.exclude)):
        require_dataset(dataset)
    report = evaluate_model(model, meta["labels"], evaluation.dataset, evaluation.split,
                            evaluation.exclude, real_data_dir)
    assert report.accuracy >= MINIMUM[name, key]
    if evaluation.exclude:  # the overlap is a property of the data files, not of the model
        assert report.excluded == 16478 and report.n == 99845


@pytest.mark.slow
@pytest.mark.parametrize("name, key", sorted(MAXIMUM_CER))
def test_bundled_line_model_on_real_data(name, key, real_data_dir):
    loaded = load(name, kind="line", runtime="keras")
    model, meta = loaded.net, loaded.card.metadata
    evaluation = _evaluation(name, key)
    # ORAND is read through the whole pipeline: a sample keeps the suite fast.
    limit = None
    if evaluation.dataset in ("orand-car-a", "testaments-de-poilus"):
        require_dataset(evaluation.dataset)
    if evaluation.dataset == "orand-car-a":
        limit = 200
    report = evaluate_line_model(model, meta["labels"], evaluation.dataset, evaluation.split,
                                 real_data_dir, limit=limit, deslant=loaded.card.deslant)
    assert report.cer <= MAXIMUM_CER[name, key]


@pytest.mark.slow
def test_bundled_print_line_model_on_rendered_lines():
    """A ceiling that holds whatever fonts the machine has; no dataset needed."""
    if not find_fonts():
        pytest.skip("printed-lines needs TrueType fonts; this machine has none")
    loaded = load("textline", kind="line", runtime="keras")
    report = evaluate_line_model(loaded.net, loaded.labels, "printed-lines", "test", limit=PRINTED_LINES_SAMPLE)
    assert report.n == PRINTED_LINES_SAMPLE
    assert report.cer <= PRINTED_LINES_MAXIMUM_CER


@pytest.mark.slow
@pytest.mark.realdata
def test_bundled_default_model_on_real_faxed_lines():
    """Real scanned print, not rendered: FUNSD's annotated lines, each read as one line."""
    import cv2

    import ocr
    from ocr.paths import env_data_dir
    from training.datasets.documents import documents, flatten, form_lines, line_crop
    from training.evaluate import edit_distance

    require_dataset("funsd")
    crops, truths = [], []
    for image_path, annotation in documents(env_data_dir(), "funsd", "dev"):
        image = cv2.imread(str(image_path), cv2.IMREAD_GRAYSCALE)
        for line in form_lines(annotation):
            crops.append(line_crop(image, line))
            truths.append(line.text)
    step = len(crops) / FUNSD_LINES_SAMPLE
    picked = [int(i * step) for i in range(FUNSD_LINES_SAMPLE)]
    doc = ocr.read([crops[i] for i in picked], layout="line")
    errors = sum(edit_distance(truths[i], flatten(page.text)) for i, page in zip(picked, doc.pages))
    assert len(doc.pages) == FUNSD_LINES_SAMPLE
    assert errors / sum(len(truths[i]) for i in picked) <= FUNSD_LINES_MAXIMUM_CER


SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


def test_a_number_printed_up_a_margin_is_read_with_the_default_model():
    import cv2
    import numpy as np

    import ocr

    img = np.full((60, 330), 255, np.uint8)
    cv2.putText(img, "80718412", (10, 45), cv2.FONT_HERSHEY_DUPLEX, 1.2, 0, 2)
    for turn in (-1, 1):  # reading down and reading up
        page = ocr.read(np.ascontiguousarray(np.rot90(img, turn)), layout="line").pages[0]
        assert page.orientation in (90, 270)
        assert "807184" in page.text.replace(".", "")


@pytest.mark.parametrize("sample, text", [
    # The account number's digits stand in comb boxes, their gaps at the line's word threshold:
    # the word-space model reads them as the one number they are (session 28).
    ("form_ruled.png", "Name Maria Lopez\nAccount 40917352\nAmount 1250 EUR\nDate 12 March 2024"),
    ("two_columns.png", "Quarterly Report Summary\nSales rose in March\nand April across\nall northern stores\n"
                        "while costs fell\nThe board approved\na new budget of\n4500 for the next\n"
                        "quarter of the year"),
])
@pytest.mark.parametrize("runtime", ["onnx", "keras"])
def test_bundled_samples_read_exactly_with_the_default_model(sample, text, runtime, monkeypatch):
    import ocr

    monkeypatch.setenv("OCR_RUNTIME", runtime)
    assert ocr.read(str(SAMPLES / sample)).text == text
