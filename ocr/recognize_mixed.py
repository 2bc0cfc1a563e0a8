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

from ocr.postprocess import Words
from ocr.recognize import Recognizer
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

    It follows :class:`ocr.recognize.LineReader`. ``printed`` must also
    rate its lines (``recognize_and_rate``); ``hand`` is a reader, or a
    function that makes one, called the first time a page needs it.
    """

    def __init__(self, printed, hand, threshold: float = PRINT_CONFIDENCE,
                 name: str = "auto") -> None:
        self.printed, self.threshold, self.model_name = printed, threshold, name
        self._make_hand = hand if callable(hand) and not hasattr(hand, "recognize_lines") else None
        self._hand = None if self._make_hand else hand
        self._lock = threading.Lock()

    @classmethod
    def load(cls, print_model: str = PRINT_MODEL, hand_model: str = HAND_MODEL,
             charset: str | None = None, threshold: float = PRINT_CONFIDENCE) -> "MixedRecognizer":
        """The default pairing: the print model loaded now, the handwriting model when first needed."""
        return cls(LineRecognizer.load(print_model, charset=charset),
                   lambda: Recognizer.load(hand_model, charset=charset), threshold,
                   name=f"auto ({print_model} for print, {hand_model} for handwriting)")

    @property
    def hand(self):
        with self._lock:
            if self._hand is None:
                self._hand = self._make_hand()
            return self._hand

    @property
    def hand_loaded(self) -> bool:
        return self._hand is not None

    def recognize_lines(self, components: Components, lines: Sequence[LineLayout]) -> list[Words]:
        """Recognize every line of a page: returns lines -> words -> characters."""
        results, ratings = self.printed.recognize_and_rate(components, lines)
        unsure = [i for i, rating in enumerate(ratings) if rating < self.threshold]
        if unsure:
            log.debug("%d of %d lines read as handwriting", len(unsure), len(lines))
            for i, words in zip(unsure, self.hand.recognize_lines(components, [lines[i] for i in unsure])):
                results[i] = words
        return results
