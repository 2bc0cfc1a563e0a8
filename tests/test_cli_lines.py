"""The digit-line model from the command line: train, evaluate, read."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from PIL import Image

from ocr.models.store import read_metadata
from tests.test_cli import run, smoke_train


@pytest.fixture(scope="module")
def line_model(tmp_path_factory):
    """A smoke training run: strings composed of a few hundred synthetic digits."""
    return smoke_train(tmp_path_factory, "digitline", "--epochs", "2", "--limit", "400",
                       "--batch-size", "32", "--learning-rate", "3e-3")


def test_training_writes_a_line_model_with_scores(line_model):
    data, out, result = line_model
    assert "CER" in result.output and "mnist-strings:test" in result.output
    meta = read_metadata(out)
    assert meta["kind"] == "line" and meta["labels"] == list("0123456789.,")
    score = meta["scores"]["mnist-strings:test"]
    assert score["n"] == 200
    assert (score["cer"] == 0) == (score["accuracy"] == 1)  # no error exactly when every string is read
    history = meta["training"]["history"]
    assert len(history) == 2 and history[1]["loss"] < history[0]["loss"]  # it learns
    assert "orand-car-a:test" not in meta["scores"]  # not in this data dir: skipped, not faked
    assert meta["input"]["shape"] == [32, None]


def test_evaluate_line_model_json(line_model):
    data, out, _ = line_model
    result = run("evaluate", out, "--dataset", "mnist-strings", "--data-dir", data, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n"] == 5000
    # The figures agree with each other: the strings not read exactly are the mistakes listed.
    wrong = round((1 - report["accuracy"]) * report["n"])
    assert len(report["mistakes"]) == min(20, wrong)
    assert all(m["true"] != m["read"] and set(m["true"]) <= set("0123456789.,") for m in report["mistakes"])
    assert (report["cer"] == 0) == (wrong == 0)


def test_evaluate_orand_without_data_is_one_line_error(line_model, tmp_path):
    _, out, _ = line_model
    result = run("evaluate", out, "--dataset", "orand-car-a", "--data-dir", tmp_path)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "orand-car-a: gt.tsv not found" in result.stderr


def test_read_with_line_model_gives_boxes_inside_the_page(line_model, tmp_path):
    _, out, _ = line_model
    img = np.full((70, 260), 255, np.uint8)
    for i, d in enumerate("3141"):
        cv2.putText(img, d, (12 + 30 * i, 50), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 3)
    for i, d in enumerate("59"):
        cv2.putText(img, d, (170 + 30 * i, 50), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 3)
    Image.fromarray(img).save(tmp_path / "field.png")
    result = run("read", tmp_path / "field.png", "--model", out, "--format", "json")
    assert result.exit_code == 0, result.output
    page = json.loads(result.stdout)["pages"][0]
    lines = [l for b in page["blocks"] for p in b["paragraphs"] for l in p["lines"]]
    for line in lines:
        for word in line["words"]:
            for ch in word["glyphs"]:
                x0, y0, x1, y1 = ch["box"]
                assert 0 <= x0 < x1 <= 260 and 0 <= y0 < y1 <= 70
                assert ch["text"] in "0123456789.," and 0 <= ch["confidence"] <= 1


def test_glyph_only_evaluate_options_are_refused_for_a_line_model(line_model, tmp_path):
    data, out, _ = line_model
    result = run("evaluate", out, "--dataset", "mnist-strings", "--data-dir", data,
                 "--confusion", tmp_path / "cm.png")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "--confusion: not for a line model" in result.stderr
    assert not (tmp_path / "cm.png").exists()


def test_glyph_model_is_refused_by_line_evaluation(tmp_path):
    from ocr.models import builders
    from ocr.models.store import save_model

    path = save_model(builders.lenet(filters=(4, 8), dense_units=(16,)), tmp_path / "g.keras",
                      {"labels": list("0123456789")})
    result = run("evaluate", path, "--dataset", "orand-car-a")
    assert result.exit_code == 2 and "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and "orand-car-a: not a glyph dataset" in errors[0], result.stderr


def test_textline_refuses_a_dataset_it_cannot_use(tmp_path):
    result = run("train", "textline", "--dataset", "mnist", "--out", tmp_path / "t.keras")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "a training dataset does not apply" in result.stderr
    assert not (tmp_path / "t.keras").exists()


def test_train_language_counts_the_users_text_beside_the_model(line_model, tmp_path):
    from ocr.language import SPACES_SUFFIX, language_model_for, language_model_path

    _, out, _ = line_model
    text = tmp_path / "amounts.txt"
    text.write_text("12.50\n1,250.00 EUR\n\nnot digits\n", encoding="utf-8")
    assert run("train", "language", out).exit_code == 2  # digitline's text cannot be drawn again
    missing = run("train", "language", out, "--text", tmp_path / "none.txt")
    assert missing.exit_code == 2 and "no such file" in missing.stderr and "Traceback" not in missing.output
    result = run("train", "language", out, "--text", text, "--order", "3")
    assert result.exit_code == 0, result.output
    lm = language_model_for(out)
    assert lm.order == 3 and lm.about["lines"] == 2  # kept to the model's characters: "1,250.00"
    assert set(lm.counts[0][""]) <= set("0123456789.,\x03")
    spaces = language_model_for(out, SPACES_SUFFIX)  # digitline reads no spaces: where words part
    assert spaces.about["lines"] == 2 and set(spaces.counts[0][""]) <= set("0123456789., \x03")
    assert result.output.count("saved ") == 2
    again = run("train", "language", out, "--text", text)
    assert again.exit_code == 2 and "already exists" in again.stderr and "Traceback" not in again.output
    assert run("train", "language", out, "--text", text, "--force", "--alpha", "0.1").exit_code == 0
    assert language_model_for(out).alpha == 0.1
    language_model_path(out).unlink()  # the module's other tests read the model without them
    language_model_path(out, SPACES_SUFFIX).unlink()


def test_train_language_for_a_cursive_model_writes_the_word_list_with_the_users_words(tmp_path, monkeypatch):
    import shutil

    from ocr.language import language_model_for
    from ocr.lexicon import lexicon_for
    from ocr.models.registry import resolve
    from training import language

    words = tmp_path / "words"
    words.write_text("testament\n", encoding="utf-8")
    monkeypatch.setattr(language, "WORD_LISTS", (words,))  # whatever lists this machine has
    mine = tmp_path / "my_hand.keras"
    shutil.copy(resolve("handline"), mine)  # a copy of the cursive model: its recipe weighs words
    text = tmp_path / "letters.txt"
    text.write_text("Ma chère Léontine\nje lègue à Gaston\n", encoding="utf-8")
    result = run("train", "language", mine, "--text", text)
    assert result.exit_code == 0, result.output
    assert result.output.count("saved ") == 2 and "my_hand.lexicon.txt.gz" in result.output
    lexicon = lexicon_for(mine)
    assert "Léontine" in lexicon and "testament" in lexicon and "Gaston" in lexicon and len(lexicon) == 8
    lm = language_model_for(mine)
    assert lm.beam.weighs_words and lm.about["lines"] == 2


def test_train_language_writes_a_language_variant_from_the_users_text(tmp_path):
    import shutil

    from ocr.lexicon import language_variants_for
    from ocr.models.registry import resolve
    from training.language import VARIANT_SWITCH_WITHIN

    mine = tmp_path / "my_hand.keras"
    shutil.copy(resolve("handline"), mine)
    german = tmp_path / "briefe.txt"
    german.write_text("Mein liebes Kind, ich vermache dir alles\nmit herzlichen Grüßen\n", encoding="utf-8")
    result = run("train", "language", mine, "--variant", "de", "--text", german)
    assert result.exit_code == 0, result.output
    assert result.output.count("saved ") == 2 and "my_hand.de.lm.json.gz" in result.output
    variant = language_variants_for(mine)["de"].model
    assert variant.switch_within == VARIANT_SWITCH_WITHIN and variant.about["language"] == "de"
    assert variant.about["lines"] == 2 and "ß" not in variant.counts[0][""]  # kept to the model's letters
    words = language_variants_for(mine)["de"].words  # the text's words tell a short German text
    assert "vermache" in words and "herzlichen" in words and "my_hand.de.lexicon.txt.gz" in result.output
    for args, says in ((["--variant", "de", "--text", german], "already exists"),
                       (["--variant", "German", "--text", german], "no language code"),
                       (["--variant", "fr"], "give the fr text to count with --text FILE")):
        refused = run("train", "language", mine, *args)
        assert refused.exit_code == 2 and says in refused.stderr and "Traceback" not in refused.output, args
        assert len(refused.stderr.strip().splitlines()) == 1
