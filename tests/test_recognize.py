"""Tests for glyph recognition: the classifier, post-processing and the recognizer, with models
built in the test (a tiny untrained Keras model, or a fixed-output stand-in)."""

from __future__ import annotations

import numpy as np
import pytest

from ocr import classify as rz
from ocr.classify import GlyphClassifier
from ocr.errors import OcrError
from ocr.postprocess import (RecognizedChar, attach_punctuation, join_split_numbers, join_web_addresses, name_mark,
                             plain_letters_where_accents_are_rare, resolve_case, settle_case_of_capitals_lines,
                             settle_isolated_lookalikes, settle_lookalike_runs, small_capitals_as_capitals)
from ocr.recognize import Recognizer


class FixedModel:
    """A stand-in model: every glyph gets the same class probabilities."""

    def __init__(self, labels, probs):
        self.labels, self.probs = list(labels), np.asarray(probs, np.float32)

    def predict(self, batch):
        return np.repeat(self.probs[None], len(batch), axis=0)


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    """An untrained LeNet whose classes include punctuation and a user glyph."""
    from ocr.models import builders
    from ocr.models.store import save_model

    labels = list("0123456789ABCabc.-@")
    path = tmp_path_factory.mktemp("m") / "tiny.keras"
    save_model(builders.lenet(num_classes=len(labels), filters=(4, 8), dense_units=(16,)), path,
               {"labels": labels})
    return str(path)


def test_classify_shapes_and_model_loaded_once(model_path):
    a = Recognizer.load(model_path)
    b = Recognizer.load(model_path, charset="0123")
    assert a.classifier.model is b.classifier.model  # one load per process
    probs = a.classifier.classify(np.zeros((3, 28, 28), np.uint8))
    assert probs.shape == (3, 19) and np.allclose(probs.sum(1), 1)
    assert b.classifier.classify(np.zeros((2, 28, 28), np.uint8)).shape == (2, 4)


def test_whitelist_folds_probability_mass_into_allowed_characters():
    model = FixedModel("0Oa", [0.2, 0.5, 0.3])
    digits = GlyphClassifier(model, charset="0")
    (row,) = digits.classify(np.zeros((1, 28, 28), np.uint8), renormalize=False)
    assert row.tolist() == pytest.approx([0.7])  # '0' and its lookalike 'O'; 'a' dropped
    free = GlyphClassifier(model)
    assert free.non_mark_top(free.classify(np.zeros((1, 28, 28)))[0]) == ("O", pytest.approx(0.5))


def test_restriction_folds_case_and_lookalikes():
    labels = list("0O1lAa")
    mapping = rz.restriction_mapping(labels, list("01"))
    assert mapping.tolist() == [0, 0, 1, 1, -1, -1]
    assert rz.restriction_mapping(labels, list("A")).tolist() == [-1, -1, -1, -1, 0, 0]


def test_charset_without_any_model_class_is_an_error(model_path):
    with pytest.raises(OcrError, match="shares no character"):
        Recognizer.load(model_path, charset="xyz")


def test_small_marks_from_geometry(model_path):
    from ocr.normalize import Geometry

    known = set("0123456789ABCabc.-@")
    dot = name_mark((0, 0, 4, 4), Geometry(height=0.12, width=0.12, top=0.12, bottom=0.0), known)
    dash = name_mark((0, 0, 12, 3), Geometry(height=0.1, width=0.4, top=0.5, bottom=0.4), known)
    assert dot.text == "." and dash.text == "-"
    # An output set without '.' drops the mark as noise instead of guessing a letter.
    assert name_mark((0, 0, 4, 4), Geometry(0.12, 0.12, 0.12, 0.0), set("0123456789")) is None


def test_case_resolved_by_height():
    # 'A' tall, 'b' ascender, then a short 'C' (really a 'c'), a tall 'c' (really 'C').
    chars = [RecognizedChar("A", (0, 0, 20, 30), 0.9, [("A", 0.9)]),
             RecognizedChar("b", (25, 0, 40, 30), 0.9, [("b", 0.9)]),
             RecognizedChar("a", (45, 10, 60, 30), 0.9, [("a", 0.9)]),
             RecognizedChar("C", (65, 10, 80, 30), 0.6, [("C", 0.6), ("c", 0.3)]),
             RecognizedChar("c", (85, 0, 100, 30), 0.5, [("c", 0.5), ("C", 0.4)])]
    resolve_case([chars], set("ABCabcOo"))
    assert [c.text for c in chars] == ["A", "b", "a", "c", "C"]
    assert chars[3].confidence == pytest.approx(0.9)


def test_recognize_lines_end_to_end(model_path):
    import cv2

    from ocr.preprocess import preprocess
    from ocr.segment import segment

    img = np.full((60, 200), 255, np.uint8)
    for i, x in enumerate(range(10, 150, 30)):
        cv2.putText(img, "8", (x, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    cv2.circle(img, (175, 38), 2, 0, -1)  # a period on the baseline
    pre = preprocess(img)
    layout = segment(pre.binary)
    (line,) = Recognizer.load(model_path).recognize_lines(layout.components, layout.lines)
    chars = [c for w in line for c in w]
    assert len(chars) == 6 and chars[-1].text == "."
    for c in chars:
        assert 0 <= c.confidence <= 1 and c.alternatives[0][0] == c.text
    assert all(len(c.alternatives) == 3 for c in chars[:-1])
    assert [a for a, _ in chars[-1].alternatives] == [".", "-"]  # the model's only marks


def _chars(text_and_centres, height=(10, 30)):
    return [RecognizedChar(t, (int(c) - 4, height[0], int(c) + 4, height[1]), 0.9, [(t, 0.9)])
            for t, c in text_and_centres]


def test_numbers_split_at_a_narrow_one_are_rejoined():
    # "2125 4444": digits every 20 px; the segmenter cut "21 25" at the wide gaps beside the 1,
    # the real space adds 12 px.
    words = [_chars([("2", 0), ("1", 20)]), _chars([("2", 40), ("5", 60)]),
             _chars([("4", 92), ("4", 112), ("4", 132), ("4", 152)])]
    joined = join_split_numbers(words)
    assert ["".join(c.text for c in w) for w in joined] == ["2125", "4444"]


def test_words_and_short_lines_are_left_alone():
    letters = [_chars([("a", 0), ("b", 20)]), _chars([("c", 40), ("d", 60)])]
    assert len(join_split_numbers(letters)) == 2
    few_digits = [_chars([("1", 0)]), _chars([("2", 20)])]  # no pitch to go by
    assert len(join_split_numbers(few_digits)) == 2
    assert join_split_numbers([]) == []


def test_lone_letter_between_numbers_becomes_a_digit():
    comb = [_chars([(c, 20 * i)]) for i, c in enumerate("4O91")]
    assert "".join(w[0].text for w in settle_isolated_lookalikes(comb)) == "4091"
    words = [_chars([("a", 0), ("t", 10)]), _chars([("O", 40)]), _chars([("5", 60)])]
    assert settle_isolated_lookalikes(words)[1][0].text == "O"  # a word beside it is not a number


def _word(text, alternatives=None):
    """Characters of one word; ``alternatives`` maps a character to its model alternatives."""
    alternatives = alternatives or {}
    return [RecognizedChar(t, (10 * i, 0, 10 * i + 8, 20), 0.6, alternatives.get(t, [(t, 0.6)]))
            for i, t in enumerate(text)]


def test_small_letters_of_capitalized_words_on_a_capitals_line_become_capitals():
    alts = {"e": [("e", 0.6), ("E", 0.35)], "h": [("h", 0.5), ("H", 0.4)], "f": [("f", 0.7), ("t", 0.2)]}
    line = [_word("PLEASe", alts), _word("ThE", alts), _word("DEPARTMENT"), _word("of", alts), _word("Ref", alts)]
    out = ["".join(c.text for c in w) for w in settle_case_of_capitals_lines(line)]
    # "of" has no capital: kept; f has no capital among its alternatives: kept.
    assert out == ["PLEASE", "THE", "DEPARTMENT", "of", "REf"]
    assert line[0][-1].confidence == pytest.approx(0.95)


def _set(text, tall="", x=0):
    """A word of print on the baseline y=40: x-height letters 14 rows, the letters in ``tall`` 20."""
    return [RecognizedChar(t, (x + 10 * i, 40 - (20 if t in tall else 14), x + 10 * i + 8, 40), 0.9, [(t, 0.9)])
            for i, t in enumerate(text)]


def test_a_line_in_small_capitals_read_as_small_letters_becomes_capitals():
    # A running head in small capitals: its h, d and l stand no taller than its c, o, r.
    head = [_set("the", x=0), _set("corset", x=40), _set("and", x=110), _set("the", x=150), _set("crinoline", x=190)]
    out = ["".join(c.text for c in w) for w in small_capitals_as_capitals(head)]
    assert out == ["THE", "CORSET", "AND", "THE", "CRINOLINE"]
    # The same words in small letters: their ascenders rise over the x-height.
    lower = [_set("the", "th", 0), _set("corset", "t", 40), _set("and", "d", 110), _set("crinoline", "l", 150)]
    assert ["".join(c.text for c in w) for w in small_capitals_as_capitals(lower)] == \
        ["the", "corset", "and", "crinoline"]
    # Small capitals after a capital are a title's or a name's: written as read.
    title = [_set("The", "T", 0), _set("palace", "", 40), _set("of", "", 110), _set("the", "", 140)]
    assert ["".join(c.text for c in w) for w in small_capitals_as_capitals(title)] == ["The", "palace", "of", "the"]
    # Two rising letters are too few to judge by (a table cell's word on a low-resolution page).
    assert ["".join(c.text for c in w) for w in small_capitals_as_capitals([_set("dishes")])] == ["dishes"]


def test_a_line_of_mixed_case_keeps_its_small_letters():
    alts = {"e": [("e", 0.6), ("E", 0.35)]}
    line = [_word("The", alts), _word("NASA", alts), _word("report", alts)]
    assert ["".join(c.text for c in w) for w in settle_case_of_capitals_lines(line)] == ["The", "NASA", "report"]


def test_punctuation_standing_apart_joins_its_word_unless_it_is_far():
    def at(text, x):
        return [RecognizedChar(t, (x + 10 * i, 0, x + 10 * i + 8, 20), 0.9, [(t, 0.9)]) for i, t in enumerate(text)]

    line = [at("Brand", 0), at(":", 56), at("(", 80), at("s)", 92), at("-", 130), at("x", 150), at(".", 300)]
    out = ["".join(c.text for c in w) for w in attach_punctuation(line)]
    # The dash stays a word; the full stop 142 px away (7 heights) is a field of its own.
    assert out == ["Brand:", "(s)", "-", "x", "."]
    assert attach_punctuation([]) == []


def test_curly_quotes_join_the_word_they_open_or_close_and_straight_ones_stay():
    def at(text, x):
        return [RecognizedChar(t, (x + 10 * i, 0, x + 10 * i + 8, 20), 0.9, [(t, 0.9)]) for i, t in enumerate(text)]

    line = [at("in", 0), at("\u201c", 26), at("Anatomy", 40), at("\u201d", 116), at("and", 130),
            at('"', 166), at("x", 180), at("\u00ab", 200), at("oui", 214), at("\u201d", 400)]
    out = ["".join(c.text for c in w) for w in attach_punctuation(line)]
    # A ditto mark far from any word stays a word of its own.
    assert out == ["in", "\u201cAnatomy\u201d", "and", '"', "x", "\u00ab", "oui", "\u201d"]
    # A dollar sign the segmenter found apart stays apart, as the form prints it.
    out = ["".join(c.text for c in w) for w in attach_punctuation([at("$", 0), at("212,475", 16)])]
    assert out == ["$", "212,475"]


def test_the_pieces_of_a_web_address_join_and_the_next_sentence_stays_apart():
    def line(text):
        words, x = [], 0
        for piece in text.split(" "):
            words.append([RecognizedChar(t, (x + 10 * i, 0, x + 10 * i + 8, 20), 0.9, [(t, 0.9)])
                          for i, t in enumerate(piece)])
            x += 10 * len(piece) + 12
        return words

    def joined(text):
        return " ".join("".join(c.text for c in w) for w in join_web_addresses(line(text)))

    assert joined("see https: / / als .wikipedia. org/wiki/ Hans") == "see https://als.wikipedia.org/wiki/ Hans"
    assert joined("at http: / /www. rro. ch. GSW dialects") == "at http://www.rro.ch. GSW dialects"
    assert joined("(www. idiap. ch/dataset) and") == "(www.idiap.ch/dataset) and"
    # No address, nothing joined: a stop and a slash between words stay as read.
    assert joined("the end. of it and / or") == "the end. of it and / or"
    # A piece far along the line (a field of its own) is not part of the address.
    far = line("www. rro.")
    far[1] = [RecognizedChar(c.text, (c.box[0] + 300, 0, c.box[2] + 300, 20), 0.9, []) for c in far[1]]
    assert len(join_web_addresses(far)) == 2


def test_lookalike_runs_take_the_kind_of_their_word():
    alts = {"0": [("0", 0.6), ("O", 0.3), ("o", 0.1)], "O": [("O", 0.6), ("0", 0.3)],
            "1": [("1", 0.6), ("l", 0.2), ("I", 0.1)], "s": [("s", 0.6), ("5", 0.3)],
            "2": [("2", 0.6), ("Z", 0.3)], "6": [("6", 0.6), ("G", 0.3)]}
    words = [_word(t, alts) for t in ("R0LL", "Trai1", "0f", "$2OO", "10-N0V-1986", "1st", "10's", "V2", "CO6T")]
    out = ["".join(c.text for c in w) for w in settle_lookalike_runs(words)]
    # A number with its ordinal, a suffix after an apostrophe, a tie whose digit is not an O/0 or
    # l/1 lookalike, and a digit whose letter is not its shape (6 is not G) stay as read.
    assert out == ["ROLL", "Trail", "of", "$200", "10-NOV-1986", "1st", "10's", "V2", "CO6T"]
    assert words[0][1].confidence == pytest.approx(0.9)  # one shape: 0 and O add up


def test_lookalike_runs_leave_a_digit_without_a_letter_offered():
    word = _word("R0LL", {"0": [("0", 0.9), ("8", 0.1)]})
    assert "".join(c.text for c in settle_lookalike_runs([word])[0]) == "R0LL"


def test_rare_accents_on_a_page_are_plain_letters_and_common_ones_stay():
    def page(accented_every):
        text = "".join("é" if i % accented_every == 0 else "e" for i in range(1, 201))
        return [[_word(text[k:k + 10]) for k in range(0, 200, 10)]]

    english = plain_letters_where_accents_are_rare(page(150))  # 1 in 200 letters: a speck
    assert "é" not in "".join(c.text for w in english[0] for c in w)
    assert english[0][0][0].alternatives[0][0] == "e"
    french = plain_letters_where_accents_are_rare(page(30))  # 1 in 30: the language's own
    assert "é" in "".join(c.text for w in french[0] for c in w)
    short = plain_letters_where_accents_are_rare([[_word("café")]])  # too few letters to judge
    assert "".join(c.text for c in short[0][0]) == "café"


def test_a_sure_accent_in_a_word_of_small_letters_stays_where_accents_are_rare():
    """An English page quotes a name or a French word ("Varjabétian", "régime"): the model
    reads its accent surely. An unsure accent, and a sure one in capitals (a form's noise), are
    read plain."""
    def sure(text):
        word = _word(text)
        for c in word:
            c.confidence = 0.99
        return word

    filler = [_word("plain" * 2) for _ in range(50)]
    page = [filler + [sure("Varjabétian"), _word("forée"), sure("VAZQUÉZ"), sure("régime")]]
    read = ["".join(c.text for c in w) for w in plain_letters_where_accents_are_rare(page)[0][-4:]]
    assert read == ["Varjabétian", "foree", "VAZQUEZ", "régime"]


def test_a_quote_mark_standing_against_the_next_word_opens_it():
    """LaTeX sets a closing mark for a quote typed as ": "tags ”Basketball”, ”Baseball”"; the
    mark ending a word a space from it and against the next word moves to that word."""
    from ocr.postprocess import quotes_to_their_word

    def at(text, x, step=10):
        return [RecognizedChar(t, (x + step * i, 0, x + step * i + 8, 20), 0.9, [(t, 0.9)]) for i, t in enumerate(text)]

    tags = at("tags", 0) + at("\u201d", 52)           # 14 px after "s", 4 px before "B"
    basketball = at("Basketball", 64) + at("\u201d", 164) + at(",", 172) + at("\u201d", 192)
    line = [tags, basketball, at("Baseball", 204)]
    out = ["".join(c.text for c in w) for w in quotes_to_their_word(line)]
    assert out == ["tags", "\u201dBasketball\u201d,", "\u201dBaseball"]
    # A closing quote against its word, a space before the next, stays; so does one between
    # two words it touches neither of by a space.
    kept = [at("said", 0) + at("\u201d", 40), at("and", 62)]
    assert ["".join(c.text for c in w) for w in quotes_to_their_word(kept)] == ["said\u201d", "and"]
