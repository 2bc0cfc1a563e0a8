"""The handwriting line model: writer-split real lines, per-epoch variants, training and reading."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from ocr.errors import DataError
from training.datasets import handwritten_lines, normalize_transcript, writer_split
from training.handwriting import LineBatches, augment_ink, frames_needed

WORDS = ["le", "ma", "et", "de", "mon", "sa", "un", "fils", "ton", "mes"]


def write_handwriting_set(root, writers: int = 30, lines_per_writer: int = 3):
    """A tiny set in the Testaments layout: lines.tsv + grey line images 80 px high."""
    folder = root / "handwriting" / "testaments-de-poilus"
    (folder / "lines").mkdir(parents=True)
    rng = np.random.default_rng(0)
    rows = ["image\twriter\tpage\ttext"]
    for w in range(writers):
        for k in range(lines_per_writer):
            text = " ".join(rng.choice(WORDS, 2))
            img = np.full((80, 360), 255, np.uint8)
            cv2.putText(img, text, (10, 55), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 1.6, 0, 3, cv2.LINE_AA)
            name = f"lines/w{w:02d}_l{k}.png"
            cv2.imwrite(str(folder / name), img)
            # The set's typographic apostrophe and long s, normalised on reading.
            rows.append(f"{name}\twriter{w:02d}\tp{w}\t{text.replace('s', 'ſ')}")
    (folder / "lines.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def hand_dir(tmp_path_factory):
    return write_handwriting_set(tmp_path_factory.mktemp("hand") / "data")


def test_transcripts_are_normalised_as_the_issue_says():
    assert normalize_transcript("l\u2019enfant  ſes\u00a0biens ") == "l'enfant ses biens"
    assert normalize_transcript("1^er août, 12°") == "1^er août, 12°"  # accents and ° kept


def test_writer_split_is_fixed_and_about_a_tenth_test():
    writers = [f"will_{i:04d}" for i in range(2000)]
    splits = [writer_split(w) for w in writers]
    assert splits == [writer_split(w) for w in writers]  # a writer's split never changes
    share = {s: splits.count(s) / len(splits) for s in ("train", "val", "test")}
    assert 0.07 < share["test"] < 0.13 and 0.07 < share["val"] < 0.13


def test_splits_are_writer_disjoint_and_cover_every_line(hand_dir):
    by_split = {s: handwritten_lines(hand_dir, s) for s in ("train", "val", "test")}
    writers = {s: {ln.writer for ln in lines} for s, lines in by_split.items()}
    assert not writers["train"] & writers["test"] and not writers["val"] & writers["test"]
    assert sum(len(v) for v in by_split.values()) == len(handwritten_lines(hand_dir, "all")) == 90
    assert all("ſ" not in ln.text for ln in handwritten_lines(hand_dir, "all"))


def test_a_missing_line_image_is_a_data_error(hand_dir, tmp_path):
    import shutil

    copy = tmp_path / "data"
    shutil.copytree(hand_dir, copy)
    next((copy / "handwriting" / "testaments-de-poilus" / "lines").iterdir()).unlink()
    with pytest.raises(DataError, match="listed images are missing"):
        handwritten_lines(copy, "all")


def test_variants_keep_the_ink_and_batches_fix_their_width_first():
    rng = np.random.default_rng(1)
    inks, texts = [], []
    for n in range(40):  # lines of different lengths
        img = np.zeros((80, 60 + 25 * n), np.uint8)
        cv2.putText(img, "mm" * (1 + n // 4), (5, 55), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 1.5, 255, 3)
        inks.append(img > 0)
        texts.append("x" * (1 + n // 4))
    variant = augment_ink(inks[10], rng)
    assert variant.sum() > 0.4 * inks[10].sum() and variant.shape[0] >= 60
    targets = np.arange(40)[:, None].repeat(3, axis=1)
    batches = LineBatches(inks, targets, height=48, batch_size=8, augment=True, seed=0)
    x0, y0 = batches.batch(0)
    x1, _ = batches.batch(1)
    # Keras fixes the input signature from the first two batches: they differ in width.
    assert x0.shape[1] == 48 and x0.shape[2] % 64 == 0 and x0.shape[2] != x1.shape[2]
    assert x0.shape[2] == batches.batch_width(batches.order[0])
    assert (y0[:, 0] == batches.order[0]).all()  # targets follow their lines
    assert sum(len(b) for b in batches.order) == 40
    assert frames_needed("ll") == 3 and frames_needed("abc") == 3


def test_reader_splits_words_at_the_spaces_a_model_reads():
    from ocr.recognize_lines import LineRecognizer
    from ocr.segment import segment

    page = np.zeros((100, 400), bool)
    page[30:70, 40:360] = True  # one joined-up stroke: segmentation sees a single word
    layout = segment(page)
    # Frames: a, blank, b, space, blank, a, blank (labels " ab": class 1 is the space).
    probs = np.full((7, 4), 0.01)
    for t, c in enumerate([2, 0, 3, 1, 0, 2, 0]):
        probs[t, c] = 0.97
    from tests.test_recognize_lines import FrameModel

    reader = LineRecognizer(FrameModel(" ab", probs))
    words, _ = reader.recognize_and_rate(layout.components, layout.lines)
    assert ["".join(c.text for c in w) for w in words[0]] == ["ab", "a"]


def test_line_input_height_comes_from_the_card():
    from ocr.models.card import ModelCard
    from ocr.recognize_lines import LINE_HEIGHT, line_input_height

    class Model:
        def __init__(self, shape):
            self.card = ModelCard(name="m", kind="line", labels=("a",), input={"shape": shape})
            self.net = None

    assert line_input_height(Model([48, None])) == 48
    assert line_input_height(Model("48")) == LINE_HEIGHT  # malformed: the old default, no crash
    assert line_input_height(object()) == LINE_HEIGHT


def stroke_line(path, shear: float) -> None:
    """A grey line image of ten thick vertical strokes leaning by ``shear`` (x moves right going up)."""
    img = np.full((60, 300), 255, np.uint8)
    for k in range(10):
        x = 30 + 25 * k
        for y in range(10, 50):
            dx = int(round(shear * (29.5 - y)))
            img[y, x + dx:x + dx + 4] = 0
    cv2.imwrite(str(path), img)


def column_spread(ink: np.ndarray) -> int:
    """How many columns hold ink: small for upright strokes, larger the more they lean."""
    return int(ink.any(axis=0).sum())


def test_training_lines_are_deslanted_before_anything_else(tmp_path):
    from ocr.deslant import DeslantRule
    from training.datasets.handwriting import HandwrittenLine
    from training.handwriting import handwriting_arrays

    lines = []
    for name, shear in (("slanted", 0.6), ("upright", 0.0)):
        stroke_line(tmp_path / f"{name}.png", shear)
        lines.append(HandwrittenLine(tmp_path / f"{name}.png", "w", "abc"))
    (slanted, upright), texts = handwriting_arrays(lines, "abc", 48)
    (slanted_d, upright_d), texts_d = handwriting_arrays(lines, "abc", 48, DeslantRule(estimate_factor=1.0))
    assert texts == texts_d == ["abc", "abc"]
    # The slanted strokes are sheared upright: far fewer inked columns, the same ink.
    assert column_spread(slanted) > 1.8 * column_spread(upright)
    assert column_spread(slanted_d) < 1.2 * column_spread(upright)
    assert abs(int(slanted_d.sum()) - int(slanted.sum())) <= 0.02 * slanted.sum()
    # An upright line stays as it was.
    assert upright_d.shape[0] == upright.shape[0] and column_spread(upright_d) == column_spread(upright)
    assert np.array_equal(upright_d[:, :upright.shape[1]], upright)
    # A fixed shear moves every line, upright ones too.
    (_, upright_s), _ = handwriting_arrays(lines, "abc", 48, DeslantRule(shear=0.5))
    assert column_spread(upright_s) > 1.8 * column_spread(upright)


def test_font_lines_are_deslanted_like_the_real_ones(tmp_path, monkeypatch):
    from ocr.deslant import DeslantRule
    from training import handwriting_fonts
    from training.handwriting import line_ink
    from training.kinds.handwriting import HandwritingLineTrainer

    stroke_line(tmp_path / "drawn.png", 0.6)
    ink = line_ink(tmp_path / "drawn.png")
    monkeypatch.setattr(handwriting_fonts, "hand_font_lines", lambda n, *a, **k: ([ink] * n, ["abc"] * n))

    class Config:
        limit, seed = None, 0

    trainer = HandwritingLineTrainer()
    trainer.height = 48
    plain, _ = trainer.font_lines("2", "abc", [], Config)
    trainer.deslant = DeslantRule(estimate_factor=1.0)
    deslanted, texts = trainer.font_lines("2", "abc", [], Config)
    assert texts == ["abc", "abc"] and np.array_equal(plain[0], ink)
    assert column_spread(deslanted[0]) < 0.6 * column_spread(ink)


@pytest.fixture(scope="module")
def trained_model(hand_dir, tmp_path_factory):
    """A one-epoch smoke training of ``handline`` on the tiny set (slow lane)."""
    from tests.test_cli import run

    out = tmp_path_factory.mktemp("handline") / "handline.keras"
    result = run("train", "handline", "--data-dir", hand_dir, "--epochs", "1", "--batch-size", "8",
                 "--limit", "40", "--out", out)
    assert result.exit_code == 0, result.output
    return out, result


def test_training_writes_a_48_row_line_model_scored_on_test_writers(trained_model):
    from ocr.models import load
    from ocr.models.store import read_metadata

    out, result = trained_model
    meta = read_metadata(out)
    assert meta["kind"] == "line" and meta["input"]["shape"] == [48, None]
    # No --deslant: the bundled recipe's rule, trained with and written for the reader.
    assert meta["input"]["deslant"] == meta["training"]["deslant"] == {"estimate_factor": 0.3}
    assert "deslanted" in meta["training"]["augmentation"]
    assert meta["labels"][0] == " " and "é" in meta["labels"]
    assert "testaments-de-poilus:test" in meta["scores"]
    assert any("testaments-de-poilus:train" in d for d in meta["training"]["datasets"])
    model = load(out, runtime="keras")  # save -> load round trip
    assert model.net.input_shape[1] == 48 and model.card.kind == "line"
    # The training writers' transcripts become the language model it is read with.
    from ocr.language import language_model_for

    lm = language_model_for(out)
    assert lm is not None and "real training lines" in lm.about["corpus"] and lm.about["lines"] > 0


def test_the_cursive_language_model_is_counted_again_from_the_training_writers(trained_model, hand_dir):
    from ocr.language import language_model_for
    from tests.test_cli import run

    out, _ = trained_model
    assert run("train", "language", out, "--data-dir", hand_dir).exit_code == 2  # never overwritten unasked
    result = run("train", "language", out, "--data-dir", hand_dir, "--force")
    assert result.exit_code == 0, result.output
    about = language_model_for(out).about
    assert "testaments-de-poilus:train" in about["corpus"] and "real training lines" in about["corpus"]
    assert about["lines"] >= len(handwritten_lines(hand_dir, "train"))


def test_trained_model_evaluates_and_reads_through_the_cli(trained_model, hand_dir, tmp_path):
    from tests.test_cli import run

    out, _ = trained_model
    result = run("evaluate", out, "--dataset", "testaments-de-poilus", "--split", "val",
                 "--data-dir", hand_dir, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["split"] == "val" and report["n"] == len(handwritten_lines(hand_dir, "val"))
    line = next((hand_dir / "handwriting" / "testaments-de-poilus" / "lines").iterdir())
    result = run("read", line, "--model", out, "--format", "json", "--layout", "line")
    assert result.exit_code == 0, result.output
    page = json.loads(result.stdout)["pages"][0]
    assert page["width"] == 360
    assert sum(len(p["lines"]) for b in page["blocks"] for p in b["paragraphs"]) <= 1


def test_training_refuses_the_test_writers(hand_dir, tmp_path):
    from tests.test_cli import run

    result = run("train", "handline", "--data-dir", hand_dir, "--dataset", "testaments-de-poilus:test",
                 "--epochs", "1", "--limit", "8", "--out", tmp_path / "h.keras")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "test writers are never trained on" in result.stderr
    assert not (tmp_path / "h.keras").exists()


def test_finetuning_on_ones_own_lines_keeps_the_input_and_rehearses(trained_model, hand_dir, tmp_path):
    import shutil

    from ocr.models.store import read_metadata
    from tests.test_cli import run

    out, _ = trained_model
    mine = tmp_path / "mine"
    mine.mkdir()
    for ln in handwritten_lines(hand_dir, "test")[:6]:  # a "new hand": lines with .gt.txt beside them
        shutil.copy(ln.path, mine / ln.path.name)
        (mine / ln.path.name).with_suffix(".gt.txt").write_text(ln.text + "\n", encoding="utf-8")
    result = run("train", "glyphs", mine, "--base", out, "--epochs", "1", "--data-dir", hand_dir,
                 "--out", tmp_path / "adapted.keras")
    assert result.exit_code == 0, result.output
    meta = read_metadata(tmp_path / "adapted.keras")
    assert meta["input"]["shape"] == [48, None]
    assert meta["input"]["deslant"] == read_metadata(out)["input"]["deslant"] == {"estimate_factor": 0.3}
    step = meta["lineage"][-1]
    assert step["user_lines"] + step["held_out"] == 6 and step["rehearsal_lines"] > 0
    # The adapted model reads with the base's language model, its own lines counted in.
    from ocr.language import language_model_for

    base_lm, lm = language_model_for(out), language_model_for(tmp_path / "adapted.keras")
    assert lm is not None and lm.about["added"] and lm.about["corpus"] == base_lm.about["corpus"]
    assert sum(lm.counts[0][""].values()) > sum(base_lm.counts[0][""].values())


@pytest.mark.slow
@pytest.mark.parametrize("rule, card", [("none", None), ('{"shear": 0.4}', {"shear": 0.4})])
def test_training_with_deslant_writes_the_rule_it_trained_with(rule, card, hand_dir, tmp_path):
    from ocr.models import load
    from ocr.models.store import read_metadata
    from tests.test_cli import run

    out = tmp_path / "handline.keras"
    result = run("train", "handline", "--deslant", rule, "--data-dir", hand_dir, "--epochs", "1",
                 "--batch-size", "8", "--limit", "20", "--out", out)
    assert result.exit_code == 0, result.output
    meta = read_metadata(out)
    assert meta["input"].get("deslant") == meta["training"]["deslant"] == card
    assert ("deslanted" in meta["training"]["augmentation"]) == (card is not None)
    reader_rule = load(out, runtime="keras").card.deslant
    assert (reader_rule.to_card() if reader_rule else None) == card


def test_the_cards_scores_read_the_test_lines_deslanted_as_trained(monkeypatch):
    from types import SimpleNamespace

    import training.evaluate
    from ocr.deslant import DeslantRule
    from ocr.models import registry
    from training.kinds.handwriting import HandwritingLineTrainer

    seen = []

    def fake_evaluate(*args, deslant=None, **kwargs):
        seen.append(deslant)
        return SimpleNamespace(cer=0.5, accuracy=0.0, n=1)

    monkeypatch.setattr(training.evaluate, "evaluate_line_model", fake_evaluate)
    trainer = HandwritingLineTrainer()
    config = SimpleNamespace(data_dir=None, limit=None)
    trainer.score(None, registry.get_spec("handline"), config)
    trainer.deslant = DeslantRule(shear=0.4)
    trainer.score(None, registry.get_spec("handline"), config)
    assert seen == [None, DeslantRule(shear=0.4)]
