"""Mixed print and handwriting: each line read by the recognizer that suits it.

The print line model reads printed lines almost perfectly and handwriting
badly; the glyph model is the other way round. The line model's own
confidence tells them apart: its mean character confidence was above 0.98
on 99% of the benchmark's printed lines and below 0.9 on 95% of the lines
of pages composed from EMNIST/MNIST test glyphs (no line of either kind
crossed 0.95). So every line is read by the line model first, and lines it
is unsure of are read again, glyph by glyph, by the handwriting model, which
is only loaded when a page needs it.
"""

from __future__ import annotations

import logging
import threading
from typing import Sequence

from ocr.recognize import RecognizedChar, Recognizer
from ocr.recognize_lines import LineRecognizer
from ocr.segment import Components, LineLayout

log = logging.getLogger(__name__)

#: Model names of the default pairing, and what ``--model auto`` means.
PRINT_MODEL = "textline"
HAND_MODEL = "charnet"
#: A line whose mean character confidence under the print model is below
#: this is read again by the handwriting model.
PRINT_CONFIDENCE = 0.95


class MixedRecognizer:
    """A print line model and a handwriting glyph model, chosen line by line.

    It has the interface of :class:`ocr.recognize.Recognizer`.
    """

    def __init__(self, print_model: str = PRINT_MODEL, hand_model: str = HAND_MODEL,
                 charset: str | None = None, threshold: float = PRINT_CONFIDENCE) -> None:
        self.printed = LineRecognizer(print_model, charset=charset)
        self.hand_model, self.charset, self.threshold = hand_model, charset, threshold
        self._hand: Recognizer | None = None
        self._lock = threading.Lock()
        self.model_name = f"auto ({print_model} for print, {hand_model} for handwriting)"

    @property
    def hand(self) -> Recognizer:
        with self._lock:
            if self._hand is None:
                self._hand = Recognizer(self.hand_model, charset=self.charset)
            return self._hand

    def recognize_lines(self, components: Components,
                        lines: Sequence[LineLayout]) -> list[list[list[RecognizedChar]]]:
        """Recognize every line of a page: returns lines -> words -> characters."""
        results, ratings = self.printed.recognize_and_rate(components, lines)
        unsure = [i for i, rating in enumerate(ratings) if rating < self.threshold]
        if unsure:
            log.debug("%d of %d lines read as handwriting", len(unsure), len(lines))
            for i, words in zip(unsure, self.hand.recognize_lines(components, [lines[i] for i in unsure])):
                results[i] = words
        return results
