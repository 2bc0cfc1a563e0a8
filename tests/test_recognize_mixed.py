"""Choosing the recognizer line by line (ocr/recognize_mixed.py)."""

from dataclasses import replace

from ocr.postprocess import RecognizedChar
from ocr.recognize_mixed import MixedRecognizer


def _line(text, confidence):
    return [[RecognizedChar(c, (i, 0, i + 1, 1), confidence, [(c, confidence)]) for i, c in enumerate(text)]]


class _Stub:
    def __init__(self, lines):
        self.lines, self.calls = lines, []

    def recognize_lines(self, components, lines):
        self.calls.append(list(lines))
        return [self.lines[l] for l in lines]

    def recognize_and_rate(self, components, lines):
        words = self.recognize_lines(components, lines)
        return words, [line_confidence(w) for w in words]

    def spelled(self, lines, only=None):
        """As a word list would: the lines it may spell upper-cased."""
        self.spelt = list(only)
        return [[[replace(c, text=c.text.upper()) for c in w] for w in words] if k in self.spelt else words
                for k, words in enumerate(lines)]


def as_read(self, lines, only=None):
    """A print reader without a word list."""
    return list(lines)


def line_confidence(words):
    values = [c.confidence for word in words for c in word]
    return sum(values) / len(values) if values else 0.0


def test_unsure_lines_go_to_the_handwriting_model():
    printed = _Stub({0: _line("Invoice", 0.99), 1: _line("7l2", 0.6), 2: []})
    hand = _Stub({1: _line("712", 0.8), 2: _line("ab", 0.7)})
    mixed = MixedRecognizer(printed, hand, threshold=0.95)
    out = mixed.recognize_lines(None, [0, 1, 2])
    assert ["".join(c.text for w in words for c in w) for words in out] == ["INVOICE", "712", "ab"]
    assert hand.calls == [[1, 2]]  # only the unsure and the empty line, in one batch
    assert printed.spelt == [0]  # the print model's word list spells the lines it read, no other


def test_print_only_pages_never_need_the_handwriting_model():
    made = []
    mixed = MixedRecognizer(_Stub({0: _line("Total", 0.999)}), lambda: made.append(1), threshold=0.95)
    assert mixed.recognize_lines(None, [0])[0][0][0].text == "T"  # "TOTAL", spelt
    assert not mixed.hand_loaded and made == []


def test_joined_up_lines_go_to_the_cursive_model_hand_print_to_the_glyph_model():
    from ocr.segment import Glyph, LineLayout

    def line(n_glyphs):
        return LineLayout((0, 0, 10 * n_glyphs, 10), [[Glyph((10 * k, 0, 10 * k + 9, 10), [k])
                                                        for k in range(n_glyphs)]])

    cursive_line, print_line = line(2), line(5)  # "souvenir" in 2 strokes; "12345" in 5 glyphs

    class ById:
        spelled = as_read

        def __init__(self, texts, confidence):
            self.texts, self.confidence, self.calls = texts, confidence, 0

        def recognize_lines(self, components, lines):
            self.calls += 1
            return [_line(self.texts[id(l)], self.confidence) for l in lines]

    def rate(components, lines):
        return [_line("x", 0.5) for _ in lines], [0.5 for _ in lines]  # the print model is unsure of both

    printed = ById({}, 0.5)
    printed.recognize_and_rate = rate
    cursive = ById({id(cursive_line): "souvenir", id(print_line): "l2345"}, 0.45)  # unsure of both
    hand = ById({id(print_line): "12345", id(cursive_line): "sv"}, 0.7)
    mixed = MixedRecognizer(printed, hand, threshold=0.95, cursive=lambda: cursive)
    out = mixed.recognize_lines(None, [cursive_line, print_line])
    assert ["".join(c.text for w in words for c in w) for words in out] == ["souvenir", "12345"]
    assert cursive.calls == 1 and hand.calls == 1


def _fake_reader(name: dict):
    """A recognizer class that reads each line (named by ``name[id(line)]``) as its readings say
    (one word as (text, confidence), or several as a list of them) and records which lines it
    was asked to read."""

    class Reads:
        spelled = as_read

        def __init__(self, readings):
            self.readings, self.calls = readings, []

        def recognize_lines(self, components, asked):
            self.calls.append([name[id(l)] for l in asked])
            read = [self.readings[name[id(l)]] for l in asked]
            return [_words(*r) if isinstance(r, list) else _line(*r) for r in read]

        def recognize_and_rate(self, components, asked):
            words = self.recognize_lines(components, asked)
            return words, [line_confidence(w) for w in words]

    return Reads


def test_each_model_keeps_the_lines_it_is_sure_of():
    """Cursive when the cursive model is sure; hand print when the glyph model is surer than the
    print model; a line the print model half-reads and the others are less sure of stays print."""
    from ocr.segment import Glyph, LineLayout

    names = ["fax", "hand", "lost", "cursive"]
    lines = [LineLayout((0, 0, 90, 10), [[Glyph((10 * k, 0, 10 * k + 9, 10), [k]) for k in range(9)]])
             for _ in names]
    name = {id(line): n for line, n in zip(lines, names)}
    Reads = _fake_reader(name)

    printed = Reads({"fax": ("Tota1", 0.8), "hand": ("7l2", 0.8), "lost": ("x", 0.5), "cursive": ("sv", 0.5)})
    cursive = Reads({"fax": ("Tofa", 0.3), "hand": ("tl", 0.3), "lost": ("x", 0.3), "cursive": ("souvenir", 0.8)})
    hand = Reads({"fax": ("T0ta", 0.6), "hand": ("712", 0.95), "lost": ("y", 0.6)})
    mixed = MixedRecognizer(printed, hand, threshold=0.85, cursive=cursive, cursive_confidence=0.6,
                            hand_margin=0.05)
    out = mixed.recognize_lines(None, lines)
    assert ["".join(c.text for w in words for c in w) for words in out] == ["Tota1", "712", "y", "souvenir"]
    assert hand.calls == [["fax", "hand", "lost"]]  # the cursive line is not read glyph by glyph


def _glyph_line(n_glyphs):
    from ocr.segment import Glyph, LineLayout

    return LineLayout((0, 0, 10 * n_glyphs, 10), [[Glyph((10 * k, 0, 10 * k + 9, 10), [k])
                                                    for k in range(n_glyphs)]])


def _route_by_chars_per_glyph():
    """A route that reads cursive when the cursive model read several characters per glyph,
    hand print when the glyph model is sure, print otherwise."""
    import numpy as np

    from ocr.recognize_mixed import ROUTE_FEATURES, LearnedRoute

    weights = np.zeros((3, len(ROUTE_FEATURES) + 1))
    weights[1, 4] = 10.0   # cursive: log cursive chars per glyph (column 4 = feature 3)
    weights[1, 0] = -5.0
    weights[2, 3] = 10.0   # hand: the glyph model's confidence
    weights[2, 0] = -8.0
    return LearnedRoute(np.zeros(len(ROUTE_FEATURES)), np.ones(len(ROUTE_FEATURES)), weights)


def _language():
    """A tiny character n-gram of English-like text, to weigh readings under."""
    from ocr.language import CharNgram

    return CharNgram.from_texts(["the total of the invoice", "a souvenir of the professor", "total due"] * 5,
                                order=3)


def test_a_learnt_route_reads_unsure_lines_with_both_models_and_keeps_one():
    """A sure cursive reading of a hand-printed line (one character per glyph) is not taken for
    cursive, as the confidence threshold alone would take it."""
    cursive_line, digits, fax = _glyph_line(2), _glyph_line(5), _glyph_line(5)
    Reads = _fake_reader({id(cursive_line): "cursive", id(digits): "digits", id(fax): "fax"})

    printed = Reads({"cursive": ("sv", 0.5), "digits": ("l2E45", 0.6), "fax": ("Tota1", 0.8)})
    cursive = Reads({"cursive": ("souvenir", 0.9), "digits": ("12345", 0.9), "fax": ("Tofal", 0.6)})
    hand = Reads({"cursive": ("sv", 0.4), "digits": ("12345", 0.97), "fax": ("T0ta1", 0.5)})
    mixed = MixedRecognizer(printed, hand, threshold=0.85, cursive=cursive, route=_route_by_chars_per_glyph(),
                            route_language=_language())
    out = mixed.recognize_lines(None, [cursive_line, digits, fax])
    assert ["".join(c.text for w in words for c in w) for words in out] == ["souvenir", "12345", "Tota1"]
    assert cursive.calls == hand.calls == [["cursive", "digits", "fax"]]


def test_a_line_no_model_reads_as_text_is_noise_under_the_learnt_route():
    """Specks or a scribble on a form: every model reads a character or two, none with
    confidence; the line is dropped. A short word one model is sure of, and a longer
    unsure reading, are kept."""
    speck, initial, scrawl = _glyph_line(2), _glyph_line(2), _glyph_line(3)
    Reads = _fake_reader({id(speck): "speck", id(initial): "initial", id(scrawl): "scrawl"})
    printed = Reads({"speck": ("a", 0.3), "initial": ("J.", 0.5), "scrawl": ("nm", 0.4)})
    cursive = Reads({"speck": ("et", 0.35), "initial": ("J.", 0.7), "scrawl": ("de mon", 0.3)})
    hand = Reads({"speck": ("1", 0.5), "initial": ("J", 0.6), "scrawl": ("m", 0.5)})
    mixed = MixedRecognizer(printed, hand, threshold=0.85, cursive=cursive, route=_route_by_chars_per_glyph(),
                            route_language=_language())
    out = mixed.recognize_lines(None, [speck, initial, scrawl])
    assert out[0] == [] and out[1] and out[2]


def test_words_a_language_model_makes_up_on_a_sliver_do_not_make_it_text():
    """A rule's crumb, 3 pixels wide: the cursive model's language model spells "de ses" out of
    it, each word at a tenth of a confidence (oldbooks dev e037). Counted as read, those six
    characters kept the line; the words it is at all sure of are none. The same words read
    surely keep their line."""
    crumb, note = _glyph_line(1), _glyph_line(1)
    Reads = _fake_reader({id(crumb): "crumb", id(note): "note"})
    printed = Reads({"crumb": ("", 0.0), "note": ("", 0.0)})
    cursive = Reads({"crumb": ("de ses", 0.1), "note": ("de ses", 0.55)})
    hand = Reads({"crumb": ("l", 0.3), "note": ("l", 0.3)})
    mixed = MixedRecognizer(printed, hand, threshold=0.85, cursive=cursive, route=_route_by_chars_per_glyph(),
                            route_language=_language())
    out = mixed.recognize_lines(None, [crumb, note])
    assert out[0] == [] and out[1]


def test_a_cursive_reading_only_the_language_model_made_is_not_text():
    """A fragment beyond a scan border: the glyph model is sure it is one mark, so the line is
    not noise, and the route picks the cursive reading, words its language model spelt at a
    tenth of a confidence (oldbooks dev a006). The same words read surely are kept, and so is
    an unsure cursive reading of ink the glyph model reads as several characters."""
    fragment, note, scrawl = _glyph_line(1), _glyph_line(1), _glyph_line(2)
    Reads = _fake_reader({id(fragment): "fragment", id(note): "note", id(scrawl): "scrawl"})
    printed = Reads({"fragment": ("", 0.0), "note": ("", 0.0), "scrawl": ("", 0.0)})
    cursive = Reads({"fragment": ("de ses en", 0.1), "note": ("de ses en", 0.6),
                     "scrawl": ("de ses en", 0.1)})
    hand = Reads({"fragment": ("l", 0.95), "note": ("l", 0.95), "scrawl": ("dcsesen", 0.9)})
    mixed = MixedRecognizer(printed, hand, threshold=0.85, cursive=cursive, route=_route_by_chars_per_glyph(),
                            route_language=_language())
    out = mixed.recognize_lines(None, [fragment, note, scrawl])
    assert out[0] == [] and _texts(out[1]) == _texts(out[2]) == ["de ses en"]


def test_a_route_file_round_trips_and_a_broken_one_is_a_model_error(tmp_path):
    import json

    import numpy as np
    import pytest

    from ocr.errors import ModelError
    from ocr.recognize_mixed import LearnedRoute, route_features

    route = _route_by_chars_per_glyph()
    path = route.save(tmp_path / "router.json")
    again = LearnedRoute.load(path)
    features = route_features(0.5, _line("sv", 0.5), _line("souvenir", 0.9), _line("sv", 0.4), 2, _language())
    assert again.choose(features) == route.choose(features) == "cursive"
    assert np.array_equal(again.weights, route.weights)
    data = json.loads(path.read_text())
    data["features"] = data["features"][:-1]
    path.write_text(json.dumps(data))
    with pytest.raises(ModelError, match="features"):
        LearnedRoute.load(path)
    path.write_text("{")
    with pytest.raises(ModelError, match="not a readable route"):
        LearnedRoute.load(path)


def test_plausibility_ranks_words_above_garbles():
    from ocr.recognize_mixed import EMPTY_PLAUSIBILITY, plausibility

    language = _language()
    word, garble = plausibility(_line("professor", 0.9), language), plausibility(_line("8305e5508", 0.9), language)
    assert word > garble
    assert plausibility([], language) == EMPTY_PLAUSIBILITY


def test_a_print_reading_that_reads_as_language_stays_print_under_the_learnt_route():
    """A faxed "Professor" that the glyph model is sure reads "8305e5508": a route that weighs
    the print reading's lead in plausibility keeps the word; the same route sends a line
    whose print reading is no more plausible than the glyph reading to the glyph model."""
    import numpy as np
    import pytest

    from ocr.recognize_mixed import ROUTE_FEATURES, LearnedRoute

    weights = np.zeros((3, len(ROUTE_FEATURES) + 1))
    weights[2, 3] = 10.0   # hand: the glyph model's confidence ...
    weights[2, 0] = -8.0
    lead = 1 + ROUTE_FEATURES.index("print_language_lead_over_hand")
    weights[0, lead] = 5.0  # ... unless the print reading reads as language and the glyph one not
    route = LearnedRoute(np.zeros(len(ROUTE_FEATURES)), np.ones(len(ROUTE_FEATURES)), weights)
    word, amount = _glyph_line(9), _glyph_line(5)
    Reads = _fake_reader({id(word): "word", id(amount): "amount"})
    printed = Reads({"word": ("professor", 0.6), "amount": ("l2E45", 0.6)})
    cursive = Reads({"word": ("x", 0.1), "amount": ("x", 0.1)})
    hand = Reads({"word": ("8305e5508", 0.95), "amount": ("12345", 0.95)})
    out = MixedRecognizer(printed, hand, threshold=0.85, cursive=cursive, route=route,
                          route_language=_language()).recognize_lines(None, [word, amount])
    assert [_texts(words) for words in out] == [["professor"], ["12345"]]
    with pytest.raises(ValueError, match="language model"):
        MixedRecognizer(printed, hand, cursive=cursive, route=route)


def test_the_bundled_route_loads_when_present():
    from ocr.models.registry import WEIGHTS_DIR
    from ocr.recognize_mixed import ROUTE_FILE, bundled_route

    route = bundled_route()
    assert (route is None) == (not (WEIGHTS_DIR / ROUTE_FILE).is_file())


def _words(*readings):
    """A line's words from (text, confidence) pairs."""
    return [_line(text, confidence)[0] for text, confidence in readings]


def _texts(words):
    return ["".join(c.text for c in w) for w in words]


def test_sure_words_drops_specks_and_unreadable_words():
    """One or two characters read unsurely are what a speck or a box's corner reads as; a longer
    word goes only when the model can hardly read it at all."""
    from ocr.recognize_mixed import sure_words

    words = _words(("Total", 0.95), ("1", 0.3), ("of", 0.6), ("Budget", 0.3), ("xyz", 0.1))
    assert _texts(sure_words(words)) == ["Total", "of", "Budget"]
    assert sure_words([]) == []


def test_the_learnt_route_drops_unsure_words_of_unsure_print_lines_not_of_sure_or_cursive_ones():
    """A book's sure line keeps its "or" read at 0.3; a form's unsure line that stays print loses
    the speck read as "1"; a cursive reading keeps its unsure "et"."""
    sure, unsure, joined = _glyph_line(6), _glyph_line(6), _glyph_line(2)
    Reads = _fake_reader({id(sure): "sure", id(unsure): "unsure", id(joined): "joined"})
    printed = Reads({"sure": [("Invoice", 0.99), ("or", 0.3)], "unsure": [("Total", 0.8), ("1", 0.3)],
                     "joined": ("sv", 0.3)})
    cursive = Reads({"unsure": ("x", 0.1), "joined": [("et", 0.3), ("souvenir", 0.4)]})
    hand = Reads({"unsure": ("x", 0.1), "joined": ("x", 0.1)})
    out = MixedRecognizer(printed, hand, threshold=0.8, cursive=cursive, route=_route_by_chars_per_glyph(),
                          route_language=_language()).recognize_lines(None, [sure, unsure, joined])
    assert [_texts(words) for words in out] == [["Invoice", "or"], ["Total"], ["et", "souvenir"]]
    assert cursive.calls == hand.calls == [["unsure", "joined"]]  # the sure line is not read again
    # The threshold rule (a custom model's) keeps every word it is given.
    out = MixedRecognizer(printed, hand, threshold=0.8, cursive=cursive).recognize_lines(None, [unsure])
    assert _texts(out[0]) == ["Total", "1"]


def test_the_default_pairing_routes_by_the_print_language_model_even_when_it_does_not_decode():
    """``--no-language-model`` reads by best path, but the learnt route was fitted weighing the
    readings under the print model's language model, so it still has it."""
    from ocr.recognize_mixed import MixedRecognizer as Mixed, bundled_route

    mixed = Mixed.load(language_model=False)
    assert mixed.printed.language is None
    assert (mixed.route is not None) == (bundled_route() is not None)
    assert (mixed.route_language is not None) == (mixed.route is not None)


def test_an_unsure_line_read_as_mostly_marks_is_specks_under_the_learnt_route():
    """A cut-out crop's ragged edge, which the glyph model reads as a row of stops, quotes and
    a digit or two, is no text; an amount with its stop and a short reading are kept."""
    from ocr.recognize_mixed import is_specks

    edge, amount = _glyph_line(10), _glyph_line(5)
    Reads = _fake_reader({id(edge): "edge", id(amount): "amount"})
    printed = Reads({"edge": ("l1", 0.3), "amount": ("l2.5O", 0.5)})
    cursive = Reads({"edge": ("e", 0.2), "amount": ("de", 0.2)})
    hand = Reads({"edge": ("6'.-.'.15\"", 0.8), "amount": ("12.50", 0.9)})
    out = MixedRecognizer(printed, hand, threshold=0.85, cursive=cursive, route=_route_by_chars_per_glyph(),
                          route_language=_language()).recognize_lines(None, [edge, amount])
    assert out[0] == [] and _texts(out[1]) == ["12.50"]
    assert is_specks(_words((".,'-.1'.,", 0.9))) and not is_specks(_words(("- - -", 0.9)))
    assert not is_specks(_words(("J.-P.", 0.9), ("R.", 0.9))) and not is_specks([])


def test_digits_in_the_glyph_model_s_words_do_not_take_a_line_the_print_model_nearly_read():
    """An old book's italic line, which the print model reads at 0.85 (short of sure) and the
    glyph model, cutting it into pieces, as digits and letters mixed ("161.2'022'6a15"): its
    digits weighed for a hand-written amount and the glyph reading won. The print reading is
    kept; a hand-printed code the print model could not read stays with the glyph model."""
    italic, code = _glyph_line(12), _glyph_line(6)
    Reads = _fake_reader({id(italic): "italic", id(code): "code"})
    printed = Reads({"italic": [("the", 0.85), ("total", 0.85), ("due", 0.85)], "code": [("8I2", 0.5), ("A4S", 0.5)]})
    cursive = Reads({"italic": [("the", 0.5), ("total", 0.5), ("due", 0.5)], "code": [("bre", 0.4)]})
    hand = Reads({"italic": [("7h3", 0.95), ("t0ta1", 0.95), ("d4e", 0.95)], "code": [("B12", 0.95), ("A45", 0.95)]})
    mixed = MixedRecognizer(printed, hand, threshold=0.9, cursive=cursive, route=_route_by_chars_per_glyph(),
                            route_language=_language())
    out = mixed.recognize_lines(None, [italic, code])
    assert _texts(out[0]) == ["the", "total", "due"]
    assert _texts(out[1]) == ["B12", "A45"]


def test_a_cursive_line_the_glyph_model_reads_as_digits_is_not_hand_print():
    """A will's line cut into glyphs reads as digits and marks (",7,22-9- 669-."), surer than
    the cursive model's words: the cursive reading is taken. A hand-written sum the cursive
    model makes words of with fewer letters than its digits, and a line the glyph model reads
    letters in, stay hand print; so does a number the cursive model makes one word of."""
    from ocr.recognize_mixed import is_cursive_read_as_numbers

    line, amount, code = _glyph_line(6), _glyph_line(6), _glyph_line(6)
    Reads = _fake_reader({id(line): "line", id(amount): "amount", id(code): "code"})
    printed = Reads({"line": ("77-94", 0.4), "amount": ("l2.5O", 0.4), "code": ("A4S", 0.4)})
    cursive = Reads({"line": [("Joyet", 0.5), ("de", 0.5), ("Savy", 0.5)], "amount": [("de", 0.5), ("la", 0.5)],
                     "code": [("Joyet", 0.5), ("de", 0.5), ("Savy", 0.5)]})
    hand = Reads({"line": (",7,22-9-", 0.99), "amount": ("12.50", 0.99), "code": ("A45", 0.99)})
    out = MixedRecognizer(printed, hand, threshold=0.9, cursive=cursive, route=_route_by_chars_per_glyph(),
                          route_language=_language()).recognize_lines(None, [line, amount, code])
    assert [_texts(words) for words in out] == [["Joyet", "de", "Savy"], ["12.50"], ["A45"]]
    assert not is_cursive_read_as_numbers([], _words(("Joyet", 0.5)))
    assert not is_cursive_read_as_numbers(_words(("7", 0.9)), _words(("1,2", 0.5), ("de", 0.5)))
    assert not is_cursive_read_as_numbers(_words(("007", 0.9)), _words(("DONT", 0.5)))
    assert is_cursive_read_as_numbers(_words(("007", 0.9)), _words(("DO", 0.5), ("NT", 0.5)))
