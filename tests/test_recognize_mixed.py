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
