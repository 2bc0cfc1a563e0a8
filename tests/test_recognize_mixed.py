"""Choosing the recognizer line by line (ocr/recognize_mixed.py)."""

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


def line_confidence(words):
    values = [c.confidence for word in words for c in word]
    return sum(values) / len(values) if values else 0.0


def test_unsure_lines_go_to_the_handwriting_model():
    printed = _Stub({0: _line("Invoice", 0.99), 1: _line("7l2", 0.6), 2: []})
    hand = _Stub({1: _line("712", 0.8), 2: _line("ab", 0.7)})
    mixed = MixedRecognizer(printed, hand, threshold=0.95)
    out = mixed.recognize_lines(None, [0, 1, 2])
    assert ["".join(c.text for w in words for c in w) for words in out] == ["Invoice", "712", "ab"]
    assert hand.calls == [[1, 2]]  # only the unsure and the empty line, in one batch


def test_print_only_pages_never_need_the_handwriting_model():
    made = []
    mixed = MixedRecognizer(_Stub({0: _line("Total", 0.999)}), lambda: made.append(1), threshold=0.95)
    assert mixed.recognize_lines(None, [0])[0][0][0].text == "T"
    assert not mixed.hand_loaded and made == []


def test_joined_up_lines_go_to_the_cursive_model_hand_print_to_the_glyph_model():
    from ocr.segment import Glyph, LineLayout

    def line(n_glyphs):
        return LineLayout((0, 0, 10 * n_glyphs, 10), [[Glyph((10 * k, 0, 10 * k + 9, 10), [k])
                                                        for k in range(n_glyphs)]])

    cursive_line, print_line = line(2), line(5)  # "souvenir" in 2 strokes; "12345" in 5 glyphs

    class ById:
        def __init__(self, texts):
            self.texts, self.calls = texts, 0

        def recognize_lines(self, components, lines):
            self.calls += 1
            return [_line(self.texts[id(l)], 0.7) for l in lines]

    def rate(components, lines):
        return [_line("x", 0.5) for _ in lines], [0.5 for _ in lines]  # the print model is unsure of both

    printed = ById({})
    printed.recognize_and_rate = rate
    cursive = ById({id(cursive_line): "souvenir", id(print_line): "l2345"})
    hand = ById({id(print_line): "12345", id(cursive_line): "sv"})
    mixed = MixedRecognizer(printed, hand, threshold=0.95, cursive=lambda: cursive)
    out = mixed.recognize_lines(None, [cursive_line, print_line])
    assert ["".join(c.text for w in words for c in w) for words in out] == ["souvenir", "12345"]
    assert cursive.calls == 1 and hand.calls == 1
