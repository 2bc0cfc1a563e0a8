"""The character language model and the beam search that decodes with it."""

from __future__ import annotations

import gzip
import json
import os

import numpy as np
import pytest

from ocr.errors import ModelError
from ocr.language import (SPACES_SUFFIX, BeamSettings, CharNgram, LanguageVariant, beam_decode, chosen_variant,
                          language_model_for, language_model_path, variant_suffix, words_for)
from ocr.lexicon import Lexicon, language_variants_for, variant_lexicon_path
from ocr.recognize_lines import LineRecognizer, best_path

LABELS = [" ", "e", "h", "t", "l", "a"]


def frames(*rows: dict[str, float]) -> np.ndarray:
    """Frame probabilities from {label: p} rows; the rest of each row is the blank ('_')."""
    out = np.zeros((len(rows), 1 + len(LABELS)))
    for t, row in enumerate(rows):
        for label, p in row.items():
            out[t, 0 if label == "_" else 1 + LABELS.index(label)] = p
        out[t, 0] += 1 - out[t].sum()
    return out


def read(probs: np.ndarray, lm: CharNgram) -> str:
    return "".join(LABELS[c] for c, _ in beam_decode(probs, LABELS, lm))


def test_seen_continuations_are_likelier_and_contexts_are_bounded():
    lm = CharNgram.from_texts(["the hat", "the tea", "that"], order=3)
    assert lm.logprob("t", "h") > lm.logprob("t", "l")
    assert lm.logprob("xxth", "e") == lm.logprob("th", "e")  # only the last order - 1 count
    assert lm.logprob("", "q") < 0 and np.isfinite(lm.logprob("", "q"))  # unseen, never zero


def test_the_language_model_settles_what_the_frames_leave_open():
    # "t", then "e" or "h" nearly tied with "e" ahead, then "e": greedy reads "tee", the LM "the".
    probs = frames({"t": 0.9}, {"_": 0.9}, {"e": 0.48, "h": 0.45}, {"_": 0.9}, {"e": 0.9})
    assert "".join(LABELS[c.label] for c in best_path(probs)) == "tee"
    lm = CharNgram.from_texts(["the", "the hat", "then"] * 5, order=3, alpha=1.0, beta=0.0)
    assert read(probs, lm) == "the"
    silent = CharNgram.from_texts(["the"], order=3, alpha=0.0, beta=0.0)
    assert read(probs, silent) == "tee"  # weight 0: the network alone decides


def test_beam_follows_ctc_rules_and_reports_emission_frames():
    lm = CharNgram.from_texts(["all", "tall"], order=2, alpha=0.0, beta=0.0)
    held = frames({"l": 0.9}, {"l": 0.9}, {"_": 0.9})
    assert read(held, lm) == "l"  # a label held over frames is one character
    doubled = frames({"a": 0.9}, {"l": 0.9}, {"_": 0.9}, {"l": 0.9})
    emitted = beam_decode(doubled, LABELS, lm)
    assert "".join(LABELS[c] for c, _ in emitted) == "all"
    assert [t for _, t in emitted] == [0, 1, 3]
    assert beam_decode(np.zeros((0, 1 + len(LABELS))), LABELS, lm) == []


def test_a_word_list_turns_a_near_tie_into_a_word_when_the_model_weighs_words():
    # "h", then "a" or "e" nearly tied, then "t": the frames read "het", the word list knows "hat".
    probs = frames({"h": 0.9}, {"_": 0.9}, {"e": 0.5, "a": 0.45}, {"_": 0.9}, {"t": 0.9}, {"_": 0.9})
    words = {"hat", "the"}
    plain = CharNgram.from_texts(["x"], order=2, alpha=0.0, beta=0.0)
    weighed = CharNgram.from_texts(["x"], order=2, alpha=0.0, beta=0.0, beam=BeamSettings(12, 0.5, 1.5))
    assert "".join(LABELS[c] for c, _ in beam_decode(probs, LABELS, plain, words=words)) == "het"
    assert "".join(LABELS[c] for c, _ in beam_decode(probs, LABELS, weighed)) == "het"  # no list
    assert "".join(LABELS[c] for c, _ in beam_decode(probs, LABELS, weighed, words=words)) == "hat"
    # A word is weighed where it ends, at a space as at the line's end ...
    spaced = np.vstack([probs, frames({" ": 0.9}, {"_": 0.9}, {"t": 0.9})])
    assert "".join(LABELS[c] for c, _ in beam_decode(spaced, LABELS, weighed, words=words)) == "hat t"
    # ... and a model sure of a word that is none reads it as it is.
    sure = frames({"h": 0.9}, {"_": 0.9}, {"e": 0.85, "a": 0.05}, {"_": 0.9}, {"t": 0.9})
    assert "".join(LABELS[c] for c, _ in beam_decode(sure, LABELS, weighed, words=words)) == "het"


def test_the_beam_width_and_word_weights_travel_in_the_file(tmp_path):
    path = tmp_path / "m.lm.json.gz"
    CharNgram.from_texts(["le"], order=2, beam=BeamSettings(20, 0.25, 1.0)).save(path)
    again = CharNgram.load(path)
    assert again.beam == BeamSettings(20, 0.25, 1.0) and again.beam.weighs_words
    adapted = again.extended(["la"], "a user's lines")  # a fine-tuned model decodes as its base did
    assert adapted.beam == again.beam
    assert adapted.counts[1]["l"] == {"e": 1, "a": 1}
    CharNgram.from_texts(["le"], order=2).save(path)  # files written before them read as before
    assert "width" not in json.loads(gzip.decompress(path.read_bytes()))
    older = CharNgram.load(path)
    assert older.beam == BeamSettings() and not older.beam.weighs_words
    data = json.loads(gzip.decompress(path.read_bytes()))
    path.write_bytes(gzip.compress(json.dumps({**data, "width": 10**9}).encode()))
    with pytest.raises(ModelError, match="beam width"):  # a file cannot make the search endless
        CharNgram.load(path)


def test_the_line_reader_weighs_words_with_its_word_list_instead_of_spelling_after():
    from ocr.lexicon import Lexicon

    class Model:
        labels = LABELS
        name = "m"

    words = Lexicon(["hat"])
    probs = frames({"h": 0.9}, {"_": 0.9}, {"e": 0.5, "a": 0.45}, {"_": 0.9}, {"t": 0.9}, {"_": 0.9})
    weighed = CharNgram.from_texts(["x"], order=2, alpha=0.0, beta=0.0, beam=BeamSettings(12, 0.5, 1.5))
    reader = LineRecognizer(Model(), language=weighed, lexicon=words)
    assert reader.beam_words is words and reader.lexicon is None
    assert "".join(LABELS[c.label] for c in reader.decode(probs)) == "hat"
    plain = LineRecognizer(Model(), language=CharNgram.from_texts(["x"], order=2), lexicon=words)
    assert plain.beam_words is None and plain.lexicon is words  # the print model's spelling


def line_frames(text: str, doubt: dict[str, float] | None = None) -> np.ndarray:
    """Sure frames spelling ``text`` (a blank after each letter); a ``?`` is one frame of ``doubt``."""
    rows = []
    for ch in text:
        rows += [doubt if ch == "?" else {ch: 0.999}, {"_": 0.999}]
    return frames(*rows)


def test_a_page_likely_in_a_variants_language_is_read_again_with_it(tmp_path):
    class Model:
        labels = LABELS
        name = "m"

    # The mixed model has seen mostly "la tete" text, English only a little; the English
    # variant knows "the hat". Its "t?e" is "tee" to the mixed model and "the" to the variant.
    mixed = CharNgram.from_texts(["la tete a la tee", "tele la tee"] * 20 + ["that hat the late hat"], order=3,
                                 alpha=1.0, beta=0.5)
    model = CharNgram.from_texts(["the hat that", "that hat the late hat"] * 20, order=3, alpha=1.0, beta=0.5,
                                 switch_within=1.2)
    english = LanguageVariant("en", model)
    doubt = {"e": 0.55, "h": 0.4}
    english_page = [line_frames("that hat the late hat")] * 3 + [line_frames("t?e hat", doubt)]
    french_page = [line_frames("la tete a la tele")] * 4 + [line_frames("t?e", doubt)]
    reader = LineRecognizer(Model(), language=mixed, variants={"en": english})

    def texts(page):
        return ["".join(LABELS[c.label] for c in line) for line in reader.decode_page(page)]

    first = "".join(LABELS[c.label] for c in reader.decode(english_page[-1]))
    assert first != "the hat"  # the mixed model's reading of the doubt
    assert texts(english_page) == ["that hat the late hat"] * 3 + ["the hat"]
    assert texts(french_page) == ["la tete a la tele"] * 4 + ["tee"]  # French stays with the mixed model
    assert texts(english_page[2:]) == ["that hat the late hat", first]  # two lines tell too little
    assert chosen_variant(["that hat the late hat"] * 3 + [first], mixed, {"en": english}) is english
    assert chosen_variant(["that hat the late hat", first], mixed, {"en": english}) is None  # < MIN_VARIANT_TEXT
    assert chosen_variant(["la tete a la tele"] * 4 + ["tee"], mixed, {"en": english}) is None
    assert chosen_variant(["", ""], mixed, {"en": english}) is None  # nothing read: nothing to tell
    loads = []

    def load_variants():
        loads.append(1)
        return {"en": english}

    assert chosen_variant(["that hat"], mixed, load_variants) is None and not loads  # never loaded
    assert chosen_variant(["that hat the late hat"] * 3, mixed, load_variants) is english and loads == [1]
    lazy = LineRecognizer(Model(), language=mixed, variants=load_variants)
    lazy.decode_page(english_page[-1:])  # a line too short to judge: nothing loaded
    assert loads == [1]
    for _ in range(2):
        assert ["".join(LABELS[c.label] for c in line) for line in lazy.decode_page(english_page)][-1] == "the hat"
    assert loads == [1, 1] and lazy.variants == {"en": english}  # loaded once, then kept
    lenient = LanguageVariant("en", CharNgram.from_texts(["the hat that"], order=3, switch_within=50.0))
    assert chosen_variant(["la tete a la tele"] * 4 + ["tee"], mixed, {"en": lenient}) is lenient  # the margin decides
    # Without a language model (best path) a recognizer has no variants to switch to.
    assert LineRecognizer(Model(), variants={"en": english}).variants is None


def test_a_short_text_is_judged_by_its_words_too():
    mixed = CharNgram.from_texts(["la tete a la tee", "tele la tee"] * 20 + ["that hat the late hat"], order=3)
    model = CharNgram.from_texts(["the hat that", "that hat the late hat"] * 20, order=3, switch_within=1.2)
    own_words = {"the", "hat", "that", "late", "la", "tete", "tele"}  # the model's words, both languages
    worded = {"en": LanguageVariant("en", model, {"the", "hat", "that", "late"})}
    line = ["that hat the late hat"]  # 22 characters: too short for the language model alone
    assert chosen_variant(line, mixed, {"en": LanguageVariant("en", model)}, own_words) is None
    assert chosen_variant(line, mixed, worded, own_words) is worded["en"]  # five English words
    assert words_for(line, worded["en"].words, own_words) == 5
    assert words_for(["la tete, la tele hat"], worded["en"].words, own_words) == -3
    assert chosen_variant(["la tete, la tele hat"], mixed, worded, own_words) is None
    assert chosen_variant(["the hat"], mixed, worded, own_words) is None  # two words say too little


def test_the_bundled_cursive_model_has_an_english_variant():
    from ocr.lexicon import lexicon_for
    from ocr.models.registry import resolve

    variants = language_variants_for(resolve("handline"))
    assert set(variants) == {"en"} and variants["en"].model.about["language"] == "en"
    english_model, english_words = variants["en"].model, variants["en"].words
    main = language_model_for(resolve("handline"))
    english, french = "the quick brown fox jumps over the lazy dog", "je soussigné déclare léguer tous mes biens"
    gap = [(english_model.text_logprob(t) - main.text_logprob(t)) / len(t) for t in (english, french)]
    assert gap[0] > -english_model.switch_within > gap[1]
    own = lexicon_for(resolve("handline"))
    assert words_for([english], english_words, own) >= 7 and words_for([french], english_words, own) <= -3


def test_files_round_trip_beside_their_line_model(tmp_path):
    lm = CharNgram.from_texts(["le testament"], order=4, alpha=0.25, beta=0.7, about={"corpus": "x"})
    model = tmp_path / "mine.keras"
    assert language_model_for(model) is None  # no file: best path
    lm.save(language_model_path(model))
    assert language_model_path(model).name == "mine.lm.json.gz"
    again = language_model_for(model)
    assert (again.order, again.alpha, again.beta, again.about) == (4, 0.25, 0.7, {"corpus": "x"})
    assert again.logprob("tes", "t") == pytest.approx(lm.logprob("tes", "t"))
    assert language_model_for(model) is again  # read once per process
    CharNgram.from_texts(["autre chose"], order=3).save(language_model_path(model))
    os.utime(language_model_path(model), ns=(1, 1))  # however fast the rewrite, its time differs
    rewritten = language_model_for(model)
    assert rewritten is not again and rewritten.order == 3


def test_a_damaged_language_model_is_a_model_error(tmp_path):
    path = tmp_path / "m.lm.json.gz"
    path.write_bytes(b"not gzip")
    with pytest.raises(ModelError, match="not a readable language model"):
        CharNgram.load(path)
    path.write_bytes(gzip.compress(b'{"format": "other"}'))
    with pytest.raises(ModelError, match="not a readable language model"):
        CharNgram.load(path)
    # A gzip header with a damaged stream behind it: zlib's own error, no OSError.
    packed = bytearray(gzip.compress(json.dumps({"counts": list(range(5000))}).encode()))
    packed[20:40] = bytes(20)
    path.write_bytes(bytes(packed))
    with pytest.raises(ModelError, match="not a readable language model"):
        CharNgram.load(path)


def test_the_line_reader_decodes_with_it_inside_the_whitelist():
    class Model:
        labels = LABELS
        name = "m"

    probs = frames({"t": 0.9}, {"_": 0.9}, {"e": 0.48, "h": 0.45}, {"_": 0.9}, {"e": 0.9})
    lm = CharNgram.from_texts(["the", "then"] * 5, order=3, alpha=1.0, beta=0.0)
    reader = LineRecognizer(Model(), language=lm)
    decoded = reader.decode(probs)
    assert "".join(LABELS[c.label] for c in decoded) == "the"
    assert [c.peak for c in decoded] == [0, 2, 4] and all(0 < c.confidence <= 1 for c in decoded)
    # 'h' is not allowed: the beam keeps to the whitelist even where the LM wants it.
    lm = CharNgram.from_texts(["the", "then"] * 5 + ["tee"], order=3, alpha=1.0, beta=0.0)
    no_h = LineRecognizer(Model(), charset="tea", language=lm)
    assert "".join(LABELS[c.label] for c in no_h.decode(probs)) == "tee"


def test_the_bundled_cursive_model_reads_with_its_language_model_unless_told_not_to(tmp_path):
    from click.testing import CliRunner

    from cli import main
    from ocr.pipeline import Predictor

    assert Predictor("handline").recognizer.language is not None
    assert Predictor("handline").recognizer.beam_words is not None  # its words weighed in the beam
    assert Predictor("handline", language_model=False).recognizer.language is None
    auto = Predictor("auto", language_model=False).recognizer
    assert auto.printed.language is None and auto.cursive.language is None
    line = np.full((60, 300), 255, np.uint8)
    line[20:40, 30:270:12] = 0  # a row of strokes
    import cv2

    cv2.imwrite(str(tmp_path / "line.png"), line)
    result = CliRunner().invoke(main, ["read", str(tmp_path / "line.png"), "--model", "handline",
                                       "--layout", "line", "--no-language-model"])
    assert result.exit_code == 0, result.output


def test_the_print_corpus_is_drawn_as_the_print_model_is_labelled():
    from training.language import print_corpus

    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,"
    lines = print_corpus(alphabet, 40, seed=3)
    assert len(lines) == 40 and lines == print_corpus(alphabet, 40, seed=3)
    assert all(line and line == line.strip() and set(line) <= set(alphabet + " ") for line in lines)
    assert any(" " in line for line in lines)  # the word-space model counts where words part


def test_the_print_prose_is_real_punctuated_text(tmp_path):
    from training.language import print_prose

    (tmp_path / "people").write_text("Mr. Smith of Acme Inc. came by.\n%\nDate: today, at noon.\n", encoding="utf-8")
    (tmp_path / "wisdom").write_text("A held-out line no model counts.\n", encoding="utf-8")
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.,:"
    lines = print_prose(alphabet, 10, folder=tmp_path)
    assert lines and all(line == " ".join(line.split()) for line in lines)
    text = " ".join(lines)
    assert "Mr. Smith" in text and "Inc." in text and "Date:" in text and "held" not in text
    assert len(print_prose(alphabet, 1, folder=tmp_path)) == 1


def test_a_line_of_sure_frames_is_read_without_the_language_model(tmp_path):
    class Model:
        labels = LABELS
        name = "m"

    # The LM knows only "tee"; the frames say "the", every frame sure of 'h' or the blank...
    sure = frames({"t": 0.9}, {"_": 0.5, "h": 0.45}, {"h": 0.8, "e": 0.1}, {"_": 0.9}, {"e": 0.9})
    unsure = frames({"t": 0.9}, {"_": 0.9}, {"h": 0.5, "e": 0.45}, {"_": 0.9}, {"e": 0.9})
    lm = CharNgram.from_texts(["tee"] * 5, order=3, alpha=2.0, beta=0.0, sure_frame=0.85)
    assert not lm.is_needed(sure) and lm.is_needed(unsure)
    reader = LineRecognizer(Model(), language=lm)
    assert "".join(LABELS[c.label] for c in reader.decode(sure)) == "the"  # best path
    assert "".join(LABELS[c.label] for c in reader.decode(unsure)) == "tee"  # the LM settles the doubt
    lm.save(tmp_path / "m.lm.json.gz")
    assert CharNgram.load(tmp_path / "m.lm.json.gz").sure_frame == 0.85
    lm.sure_frame = None  # never sure: the handwriting model's file
    assert lm.is_needed(sure)


def test_the_bundled_print_model_parts_its_words_with_its_word_space_model():
    from training.language import SPACE_RECIPE

    reader = LineRecognizer.load("textline")
    assert reader.word_spaces.order == SPACE_RECIPE.order and " " in reader.word_spaces.counts[0][""]
    assert LineRecognizer.load("textline", language_model=False).word_spaces is None
    assert LineRecognizer.load("handline").word_spaces is None  # it reads its own spaces


def test_the_bundled_print_model_reads_with_its_language_model():
    from training.language import PRINT_RECIPE

    lm = language_model_for(LineRecognizer.load("textline").model.path)
    assert (lm.order, lm.alpha, lm.beta, lm.sure_frame) == (PRINT_RECIPE.order, PRINT_RECIPE.alpha,
                                                            PRINT_RECIPE.beta, PRINT_RECIPE.sure_frame)


def test_training_the_print_model_writes_its_language_model_beside_it(tmp_path, monkeypatch):
    from ocr.lexicon import lexicon_for, lexicon_path
    from ocr.models.registry import get_spec
    from training import language
    from training.config import TrainConfig
    from training.kinds.line import LineTrainer
    from training.language import PRINT_RECIPE, print_prose

    words = tmp_path / "words"
    words.write_text("snatch\ncourse\ncourse's\nwell-being\n\u00e9crit\nna\u00efve\nZ\u00fcrich\n", encoding="utf-8")
    monkeypatch.setattr(language, "WORD_LISTS", (tmp_path / "not-installed", words))
    out = tmp_path / "t.keras"
    spec = get_spec("textline")
    written = LineTrainer().companions(spec, TrainConfig(model="textline", out=str(out), limit=5), out)
    lm = language_model_for(out)
    prose = len(print_prose("".join(spec.labels), 50))  # as many prose lines, where fortunes is installed
    assert written == [str(language_model_path(out)), str(language_model_path(out, SPACES_SUFFIX)),
                       str(lexicon_path(out))]
    lexicon = lexicon_for(out)  # the words in the model's letters, lower case; no possessive, no hyphen
    assert len(lexicon) == 5 and "Course" in lexicon and "\u00e9crit" in lexicon and "zürich" in lexicon
    assert "course's" not in lexicon and "well-being" not in lexicon and str(words) in lexicon.about
    assert lm.about["lines"] == 50 + prose  # 10 per smoke line
    spaces = language_model_for(out, SPACES_SUFFIX)
    assert spaces.about["lines"] == 50 + prose and " " in spaces.counts[0][""] and " " not in lm.counts[0][""]
    assert (lm.order, lm.sure_frame) == (PRINT_RECIPE.order, PRINT_RECIPE.sure_frame)
    assert LineTrainer().companions(get_spec("digitline"), TrainConfig(model="digitline", out=str(out)), out) == []


def test_training_the_cursive_model_writes_the_word_list_its_beam_search_weighs(tmp_path, monkeypatch):
    from ocr.lexicon import lexicon_for, lexicon_path
    from ocr.models.registry import get_spec
    from training import language
    from training.config import TrainConfig
    from training.kinds.handwriting import HandwritingLineTrainer
    from training.language import ENGLISH_VARIANT_RECIPE, HANDWRITING_RECIPE

    words = tmp_path / "words"
    words.write_text("testament\nlègue\nwell-being\n", encoding="utf-8")
    monkeypatch.setattr(language, "WORD_LISTS", (words,))
    monkeypatch.setattr(language, "ENGLISH_WORD_LISTS", (words,))
    fortunes = tmp_path / "fortunes"
    fortunes.mkdir()
    (fortunes / "humorists").write_text(FORTUNES, encoding="utf-8")
    monkeypatch.setattr(language, "FORTUNE_DIR", fortunes)
    out = tmp_path / "h.keras"
    trainer = HandwritingLineTrainer()
    monkeypatch.setattr(trainer, "transcripts", ["Ceci est mon testament", "je lègue tout"])
    written = trainer.companions(get_spec("handline"), TrainConfig(model="handline", out=str(out)), out)
    english = language_model_path(out, variant_suffix("en"))
    assert written == [str(language_model_path(out)), str(lexicon_path(out)), str(english),
                       str(variant_lexicon_path(out, "en"))]
    lm = language_model_for(out)
    assert lm.beam == HANDWRITING_RECIPE.beam and lm.beam.weighs_words and lm.beam.width > 12
    assert lm.switch_within is None  # the model's own language model is no variant
    variant = language_variants_for(out)["en"].model
    assert variant.switch_within == ENGLISH_VARIANT_RECIPE.switch_within and variant.order == 6
    assert variant.about["language"] == "en" and variant.logprob("mon testamen", "t") < lm.logprob("mon testamen", "t")
    lexicon = lexicon_for(out)
    assert len(lexicon) == 2 and "Lègue" in lexicon and "beam search" in lexicon.about
    monkeypatch.setattr(language, "WORD_LISTS", (tmp_path / "not-installed",))
    monkeypatch.setattr(language, "ENGLISH_WORD_LISTS", (tmp_path / "not-installed",))
    monkeypatch.setattr(language, "FORTUNE_DIR", tmp_path / "not-installed")
    english.unlink()
    assert trainer.companions(get_spec("handline"), TrainConfig(model="handline", out=str(out)), out) == [
        str(language_model_path(out))]  # no word list, no prose installed: the language model alone


FORTUNES = ("A banker is a fellow who lends you his umbrella when the sun is shining\n"
            "and wants it back the minute it begins to rain.\n\t\t-- Mark Twain\n%\n"
            "A horse!  A horse!  My kingdom for a horse!\n\t\t-- Wm. Shakespeare\n%\n"
            "<ascii> ][ art |\n")


@pytest.fixture()
def fortunes(tmp_path, monkeypatch):
    from training import language

    for name in ("people", "literature", "art"):
        (tmp_path / name).write_text(FORTUNES, encoding="utf-8")
        (tmp_path / f"{name}.dat").write_bytes(b"\0")
    monkeypatch.setattr(language, "FORTUNE_DIR", tmp_path)
    return tmp_path


def test_prose_lines_are_the_sentences_without_attributions(fortunes):
    from training.language import fortune_files, prose_lines

    assert [p.name for p in fortune_files(folder=fortunes)] == ["people"]  # no pictures, no held-out text
    assert [p.name for p in fortune_files(held_out=True, folder=fortunes)] == ["literature"]
    lines = prose_lines(fortune_files(folder=fortunes), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.,!",
                        words=(3, 5))
    assert " ".join(lines).startswith("A banker is a fellow who lends")
    assert all("Twain" not in ln and "|" not in ln and 1 <= len(ln.split()) <= 5 for ln in lines)
    assert any("kingdom" in ln for ln in lines)


def test_the_handwriting_corpus_adds_english_prose_to_the_transcripts(fortunes, caplog, monkeypatch):
    from training import language

    transcripts = ["Je lègue à ma femme", "le 3 août 1914"]
    alphabet = "".join(sorted(set("".join(transcripts)) | set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.,!")))
    corpus, source = language.handwriting_corpus(transcripts, alphabet)
    english = corpus[len(transcripts):]
    assert corpus[:2] == transcripts and english and "English prose" in source
    assert all("Twain" not in ln for ln in english)
    # About ENGLISH_PER_TRANSCRIPT times the transcripts' characters, as far as the prose goes.
    assert sum(map(len, english)) <= language.ENGLISH_PER_TRANSCRIPT * sum(map(len, transcripts)) + 60
    monkeypatch.setattr(language, "FORTUNE_DIR", fortunes / "missing")
    alone, source = language.handwriting_corpus(transcripts, alphabet)
    assert alone == transcripts and "English" not in source and "fortunes" in caplog.text


def test_text_logprob_is_its_characters_in_turn():
    lm = CharNgram.from_texts(["abc abd", "abd"], order=3)
    assert lm.text_logprob("bd", "a") == pytest.approx(lm.logprob("a", "b") + lm.logprob("ab", "d"))
    assert lm.text_logprob("abd") > lm.text_logprob("adb") and lm.text_logprob("") == 0


MARKS = [" ", "a", "n", "u", "s", "'", "\u2019", "-"]


def read_marks(lm: CharNgram, *rows: dict[str, float]) -> str:
    probs = np.zeros((len(rows), 1 + len(MARKS)))
    for t, row in enumerate(rows):
        for label, p in row.items():
            probs[t, 1 + MARKS.index(label)] = p
        probs[t, 0] = 1 - probs[t].sum()
    return "".join(MARKS[c] for c, _ in beam_decode(probs, MARKS, lm))


def test_the_beam_weighs_a_curly_apostrophe_as_the_straight_one_the_prose_types():
    # Prose types apostrophes straight; the network reads the curly one a book prints.
    lm = CharNgram.from_texts(["an's sun", "nun's", "a sun's"] * 5, order=3, alpha=1.0, beta=0.0)
    assert lm.logprob("an", "\u2019") < lm.logprob("an", "'") - 2  # the n-gram itself tells them apart
    assert read_marks(lm, {"a": 0.9}, {}, {"n": 0.9}, {}, {"\u2019": 0.6}, {}, {"s": 0.9}, {}) == "an\u2019s"
    # The straight one stays straight: which mark is printed is the network's to say.
    assert read_marks(lm, {"a": 0.9}, {}, {"n": 0.9}, {}, {"'": 0.6}, {}, {"s": 0.9}, {}) == "an's"


def test_a_hyphen_ending_a_line_is_not_held_against_it_but_one_inside_is():
    # The prose never parts a word across lines: its n-gram has no "un-".
    lm = CharNgram.from_texts(["unsaid sun", "a sun", "nun"] * 5, order=3, alpha=1.0, beta=0.0)
    ending = ({"u": 0.9}, {}, {"n": 0.9}, {}, {"-": 0.7}, {})
    assert read_marks(lm, *ending) == "un-"
    assert read_marks(lm, *ending, {"s": 0.9}, {}) == "uns"
