"""Mixed print and handwriting: each line read by the recognizer that suits it.

The print line model reads print and not handwriting; the glyph model reads
hand print (one blob per letter) and not the touching, broken glyphs of
faxed print; the cursive line model reads joined-up writing and neither of
the others. Each model's own mean character confidence tells them apart:
every line is read by the print model first, and only the
lines it is unsure of are read again by the cursive model, then by the glyph
model, which are loaded only when a page needs them.

An unsure line is cursive when the cursive model is sure of it, or read
clearly more characters than the line has separate glyphs
(:func:`is_cursive`: hand print has about one glyph per character,
cursive several characters per stroke). Otherwise it is hand print when the
glyph model is surer of it than the print model, by :data:`HAND_MARGIN`;
else the print reading stays: a faxed form's line that the print model
half-reads is still read better by it than glyph by glyph (FUNSD's unsure
lines: 40% CER by the print model, 74% by the glyph model). The thresholds were chosen on
tuning lines only (FUNSD dev line crops, pages composed from MNIST train and
EMNIST ByClass test glyphs, Testaments validation writers;
``bench/router.py`` scores a grid of them, and bench/RESULTS.md has the
choice), never on the benchmarks' test sets.
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
#: this is unsure: the cursive and glyph models read it too.
PRINT_CONFIDENCE = 0.90
#: An unsure line that the cursive model reads with at least this mean confidence is cursive.
CURSIVE_CONFIDENCE = 0.5
#: An unsure line that the glyph model reads with a mean confidence at least this much
#: above the print model's is hand print.
HAND_MARGIN = 0.05
#: The cursive line model of the default pairing, or None when ``auto`` has none.
CURSIVE_MODEL: str | None = "handline"
#: Characters read per separate glyph above which a line is taken as joined-up writing.
CURSIVE_CHARS_PER_GLYPH = 2.2


def mean_confidence(words: Words) -> float:
    """The mean confidence of a reading's characters (0 for an empty reading)."""
    values = [c.confidence for word in words for c in word]
    return sum(values) / len(values) if values else 0.0


def is_cursive(words: Words, glyphs: int, min_confidence: float = CURSIVE_CONFIDENCE,
               chars_per_glyph: float = CURSIVE_CHARS_PER_GLYPH) -> bool:
    """Whether the cursive model's reading ``words`` of an unsure line of ``glyphs`` separate
    glyphs (ink components, after segmentation's grouping) is kept: the model is sure of it, or
    it read clearly more characters than the line has glyphs (joined-up writing)."""
    chars = sum(len(w) for w in words)
    return (mean_confidence(words) >= min_confidence
            or (chars >= 3 and chars >= chars_per_glyph * max(glyphs, 1)))


def is_hand_print(words: Words, print_rating: float, margin: float = HAND_MARGIN) -> bool:
    """Whether the glyph model's reading ``words`` of an unsure line is kept: it is surer of
    it than the print model was (``print_rating``) by ``margin``."""
    return mean_confidence(words) >= print_rating + margin


def _reader_or_factory(given):
    """(reader, None) for a reader, (None, factory) for a function that makes one when first needed."""
    if callable(given) and not hasattr(given, "recognize_lines"):
        return None, given
    return given, None


class MixedRecognizer:
    """A print line model and a handwriting glyph model, chosen line by line.

    It follows :class:`ocr.recognize.LineReader`. ``printed`` must also
    rate its lines (``recognize_and_rate``); ``hand`` is a reader, or a
    function that makes one, called the first time a page needs it.
    """

    def __init__(self, printed, hand, threshold: float = PRINT_CONFIDENCE,
                 name: str = "auto", cursive=None, cursive_confidence: float = CURSIVE_CONFIDENCE,
                 hand_margin: float = HAND_MARGIN) -> None:
        self.printed, self.threshold, self.model_name = printed, threshold, name
        self.cursive_confidence, self.hand_margin = cursive_confidence, hand_margin
        self._hand, self._make_hand = _reader_or_factory(hand)
        self._cursive, self._make_cursive = _reader_or_factory(cursive)
        self._lock = threading.Lock()

    @classmethod
    def load(cls, print_model: str = PRINT_MODEL, hand_model: str = HAND_MODEL,
             charset: str | None = None, threshold: float = PRINT_CONFIDENCE,
             cursive_model: str | None = CURSIVE_MODEL, language_model: bool = True) -> "MixedRecognizer":
        """The default pairing: the print model loaded now, the handwriting models when first needed.

        ``language_model=False`` reads the line models by best path.
        """
        cursive = ((lambda: LineRecognizer.load(cursive_model, charset=charset, language_model=language_model))
                   if cursive_model else None)
        also = f", {cursive_model} for cursive" if cursive_model else ""
        return cls(LineRecognizer.load(print_model, charset=charset, language_model=language_model),
                   lambda: Recognizer.load(hand_model, charset=charset), threshold,
                   name=f"auto ({print_model} for print, {hand_model} for handwriting{also})",
                   cursive=cursive)

    @property
    def hand(self):
        with self._lock:
            if self._hand is None:
                self._hand = self._make_hand()
            return self._hand

    @property
    def hand_loaded(self) -> bool:
        return self._hand is not None

    @property
    def cursive(self):
        """The cursive line reader, or None when the pairing has none."""
        with self._lock:
            if self._cursive is None and self._make_cursive is not None:
                self._cursive = self._make_cursive()
            return self._cursive

    def recognize_lines(self, components: Components, lines: Sequence[LineLayout]) -> list[Words]:
        """Recognize every line of a page: returns lines -> words -> characters."""
        results, ratings = self.printed.recognize_and_rate(components, lines)
        unsure = [i for i, rating in enumerate(ratings) if rating < self.threshold]
        if not unsure:
            return results
        cursive = self.cursive
        if cursive is not None:
            joined = cursive.recognize_lines(components, [lines[i] for i in unsure])
            left = []
            for i, words in zip(unsure, joined):
                if is_cursive(words, len(lines[i].glyphs), self.cursive_confidence):
                    results[i] = words
                else:
                    left.append(i)
            log.debug("%d of %d lines read as cursive", len(unsure) - len(left), len(lines))
            unsure = left
        if unsure:
            hand_read = 0
            for i, words in zip(unsure, self.hand.recognize_lines(components, [lines[i] for i in unsure])):
                if is_hand_print(words, ratings[i], self.hand_margin):
                    results[i] = words
                    hand_read += 1
            log.debug("%d of %d lines read as hand print", hand_read, len(lines))
        return results
