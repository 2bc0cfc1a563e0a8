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

With the bundled models a learnt route (:class:`LearnedRoute`,
``weights/router.json``) replaces those thresholds: every unsure line is read
by both the cursive and the glyph model, and a softmax over the three readers'
confidences, characters per glyph, the glyph reading's share of digits and how
much more like language the print reading is than the other two (under the
print model's character n-gram) picks one. It is fitted by ``bench/router.py --fit`` on the same tuning lines to
the readings of the bundled models, so it is only used with them; a custom
model keeps the threshold rule.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ocr.errors import ModelError
from ocr.language import CharNgram
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
#: The learnt route of the default pairing, beside the bundled weights (``bench/router.py --fit``).
ROUTE_FILE = "router.json"
#: An unsure line that every model reads as at most :data:`NOISE_CHARS` characters, none with
#: a mean confidence of :data:`NOISE_CONFIDENCE`, holds no text: specks, a box's corner, a
#: scribble, read as "et" or "à" (tuned on FUNSD dev forms, bench/RESULTS.md session 22).
NOISE_CHARS = 3
NOISE_CONFIDENCE = 0.6
#: Under the learnt route, on an unsure line read by the print or glyph model, a word read with
#: a mean character confidence under :data:`WORD_CONFIDENCE`, or of at most
#: :data:`SHORT_WORD_CHARS` characters under :data:`SHORT_WORD_CONFIDENCE`, is a speck, a rule's
#: end or a box read as "a", "1" or "-", and is dropped (tuned on FUNSD dev forms and the
#: Testaments validation writers, bench/RESULTS.md session 23). Sure lines keep their words (a
#: book's "or" read at 0.4 is a word), and so do cursive readings: the cursive model is rarely
#: sure of a real word's every letter.
WORD_CONFIDENCE = 0.2
SHORT_WORD_CHARS = 2
SHORT_WORD_CONFIDENCE = 0.5
#: What a line can be read as, in the order of a learnt route's rows.
READERS = ("print", "cursive", "hand")
#: What a learnt route weighs, in the order of its columns.
ROUTE_FEATURES = ("print_confidence", "cursive_confidence", "hand_confidence",
                  "log_cursive_chars_per_glyph", "log_hand_chars_per_glyph", "hand_digit_share",
                  "print_language_lead_over_hand", "print_language_lead_over_cursive")
#: The plausibility of an empty reading, a mean log-probability per character: about what a
#: garbled reading scores under the print model's language model ("8Em4 8. 5,4i13h": -8.3,
#: "Professor": -2.0), so reading nothing is about as unlikely as reading noise.
EMPTY_PLAUSIBILITY = -6.0


def char_count(words: Words) -> int:
    """How many characters a reading has."""
    return sum(len(w) for w in words)


def reading_chars(words: Words) -> list[str]:
    """A reading's characters in order, its word breaks left out."""
    return [c.text for word in words for c in word]


def mean_confidence(words: Words) -> float:
    """The mean confidence of a reading's characters (0 for an empty reading)."""
    values = [c.confidence for word in words for c in word]
    return sum(values) / len(values) if values else 0.0


def is_cursive(words: Words, glyphs: int, min_confidence: float = CURSIVE_CONFIDENCE,
               chars_per_glyph: float = CURSIVE_CHARS_PER_GLYPH) -> bool:
    """Whether the cursive model's reading ``words`` of an unsure line of ``glyphs`` separate
    glyphs (ink components, after segmentation's grouping) is kept: the model is sure of it, or
    it read clearly more characters than the line has glyphs (joined-up writing)."""
    chars = char_count(words)
    return (mean_confidence(words) >= min_confidence
            or (chars >= 3 and chars >= chars_per_glyph * max(glyphs, 1)))


def is_noise(readings: Sequence[Words], confidences: Sequence[float]) -> bool:
    """Whether an unsure line holds no text: no model reads more than :data:`NOISE_CHARS`
    characters in it in words it is at all sure of (:func:`sure_words`: a language model spells
    "de ses" out of a rule's crumb at a tenth of a confidence), nor any with a mean confidence
    of :data:`NOISE_CONFIDENCE` (``confidences``: the readings' mean confidences, the print
    model's its rating)."""
    return (max(confidences) < NOISE_CONFIDENCE
            and max(char_count(sure_words(words)) for words in readings) <= NOISE_CHARS)


def sure_words(words: Words, confidence: float = WORD_CONFIDENCE, short_chars: int = SHORT_WORD_CHARS,
               short_confidence: float = SHORT_WORD_CONFIDENCE) -> Words:
    """``words`` without those read too unsurely to be text: a mean character confidence under
    ``confidence``, or under ``short_confidence`` for a word of at most ``short_chars``
    characters (one or two letters are what a speck or a box's corner reads as)."""
    return [w for w in words
            if mean_confidence([w]) >= (short_confidence if len(w) <= short_chars else confidence)]


def is_made_up(cursive_words: Words, glyph_words: Words) -> bool:
    """Whether a cursive reading is the language model's alone: not one word the model is at
    all sure of (:func:`sure_words`), on ink the glyph model reads as at most
    :data:`NOISE_CHARS` characters it is sure of. The glyph model is sure of a scan border's
    fragment or a frame's corner as one mark, so the line is not noise to :func:`is_noise`,
    while the cursive model writes "de ses" into it at a tenth of a confidence (oldbooks dev
    a006, e018)."""
    return not sure_words(cursive_words) and char_count(sure_words(glyph_words)) <= NOISE_CHARS


#: An unsure line read by the glyph or print model as at least :data:`SPECKS_CHARS` characters,
#: this share of them neither letters nor digits, is specks (a cut-out's edge, paper grain).
SPECKS_SHARE = 0.6
SPECKS_CHARS = 8


def is_specks(words: Words) -> bool:
    """Whether a reading is mostly marks: what the glyph model makes of a crop's ragged
    edge or grain ("6 ' .-. '.15 \"7,.2"), not text."""
    chars = reading_chars(words)
    marks = sum(not ch.isalnum() for ch in chars)
    return len(chars) >= SPECKS_CHARS and marks >= SPECKS_SHARE * len(chars)


#: A glyph reading with at least this share of its words of :data:`MIXED_WORD_CHARS` characters or
#: more mixing digits and letters ("P2583562R", "161.2'022'6a15"), of a line the print model
#: rated at least :data:`MISREAD_PRINT_RATING`, is how the glyph model misreads print it cannot
#: cut into glyphs (an old italic, a line of capitals in a hand face).
MIXED_WORDS_SHARE = 0.3
MIXED_WORD_CHARS = 3
MISREAD_PRINT_RATING = 0.8


def is_misread_print(words: Words, print_rating: float) -> bool:
    """Whether a glyph reading of a line the print model nearly read mixes digits and letters in
    too many of its words (see :data:`MIXED_WORDS_SHARE`)."""
    long = ["".join(c.text for c in word) for word in words if len(word) >= MIXED_WORD_CHARS]
    mixed = sum(any(ch.isdigit() for ch in w) and any(ch.isalpha() for ch in w) for w in long)
    return print_rating >= MISREAD_PRINT_RATING and bool(long) and mixed >= MIXED_WORDS_SHARE * len(long)


#: A cursive reading of at least this many words, this share of its characters letters, is words.
LETTER_WORDS = 2
LETTERS_SHARE = 0.6


def is_cursive_read_as_numbers(glyph_words: Words, cursive_words: Words) -> bool:
    """Whether the glyph model read as digits and marks alone (",7,22-9- 669-.") a line the
    cursive model read as words, more letters than those digits ("J'ages de Sain"): joined-up
    writing cut into glyphs gives strokes a digit's shape. A hand-written number the cursive
    model makes one word of ("0607" read "DONT", "12.50" read "de") stays the glyph model's."""
    glyphs, joined = reading_chars(glyph_words), reading_chars(cursive_words)
    letters = sum(ch.isalpha() for ch in joined)
    words = sum(any(c.text.isalpha() for c in word) for word in cursive_words)
    return (bool(glyphs) and not any(ch.isalpha() for ch in glyphs) and words >= LETTER_WORDS
            and letters > sum(ch.isdigit() for ch in glyphs) and letters >= LETTERS_SHARE * len(joined))


def is_hand_print(words: Words, print_rating: float, margin: float = HAND_MARGIN) -> bool:
    """Whether the glyph model's reading ``words`` of an unsure line is kept: it is surer of
    it than the print model was (``print_rating``) by ``margin``."""
    return mean_confidence(words) >= print_rating + margin


def plausibility(words: Words, language: CharNgram) -> float:
    """How much a reading looks like text: the mean log-probability of its characters (words
    joined by spaces) under a character n-gram, :data:`EMPTY_PLAUSIBILITY` when it is empty."""
    text = " ".join("".join(c.text for c in word) for word in words)
    if not text:
        return EMPTY_PLAUSIBILITY
    return language.text_logprob(text) / len(text)


def route_features(rating: float, printed: Words, cursive: Words, hand: Words, glyphs: int,
                   language: CharNgram) -> np.ndarray:
    """The numbers a learnt route weighs for one unsure line (:data:`ROUTE_FEATURES`): the three
    models' mean confidences, how many characters the cursive and glyph models read per
    separate glyph (several in joined-up writing, about one in hand print), on a log scale,
    the share of digits in the glyph model's reading (a form's hand-written dates and
    amounts are read best glyph by glyph; on FUNSD dev lines it took the learnt route from
    worse than the thresholds to better on both held-out halves), and how much more
    plausible the print reading is under ``language`` than the glyph and the cursive
    readings: a faxed form's "Professor" that the glyph model reads "8305e5508" with
    confidence is still a word in print (bench/RESULTS.md, real print session 27)."""
    def per_glyph(words: Words) -> float:
        return float(np.log((char_count(words) + 1) / (glyphs + 1)))

    hand_chars = reading_chars(hand)
    digit_share = sum(ch.isdigit() for ch in hand_chars) / max(len(hand_chars), 1)
    printed_text = plausibility(printed, language)
    return np.array([rating, mean_confidence(cursive), mean_confidence(hand),
                     per_glyph(cursive), per_glyph(hand), digit_share,
                     printed_text - plausibility(hand, language),
                     printed_text - plausibility(cursive, language)], np.float64)


@dataclass(frozen=True)
class LearnedRoute:
    """A multinomial linear rule over :func:`route_features` choosing print, cursive or hand print.

    Fitted by ``bench/router.py --fit`` to the lowest expected character errors on tuning
    lines of all three kinds; the confidence thresholds alone cannot tell a wider cursive
    model's sure reading of a hand-printed digit line from cursive, the characters per glyph can.
    """

    mean: np.ndarray      # (features,) subtracted before weighing
    scale: np.ndarray     # (features,) divided by after
    weights: np.ndarray   # (readers, features + 1): a bias, then one weight per feature
    about: dict[str, Any] = field(default_factory=dict)

    def choose(self, features: np.ndarray, readers: Sequence[str] = READERS) -> str:
        """The best-weighed of ``readers`` (all of :data:`READERS` by default) for a line's
        :func:`route_features`."""
        scores = self.weights @ np.concatenate([[1.0], (features - self.mean) / self.scale])
        return max(readers, key=lambda r: scores[READERS.index(r)])

    def to_json(self) -> dict[str, Any]:
        return {"format": "ocr-route/1", "readers": list(READERS), "features": list(ROUTE_FEATURES),
                "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "weights": self.weights.tolist(), "about": self.about}

    def save(self, path: str | os.PathLike) -> Path:
        """Write the route atomically as JSON."""
        from ocr.fileio import write_text_atomic

        write_text_atomic(path, json.dumps(self.to_json(), indent=1, ensure_ascii=False) + "\n")
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "LearnedRoute":
        """A route file, checked: readers and features must be the ones this code computes."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != "ocr-route/1":
                raise ValueError("not an ocr route")
            if tuple(data["readers"]) != READERS or tuple(data["features"]) != ROUTE_FEATURES:
                raise ValueError("readers or features differ from this version's")
            mean, scale = np.asarray(data["mean"], np.float64), np.asarray(data["scale"], np.float64)
            weights = np.asarray(data["weights"], np.float64)
            if (mean.shape != (len(ROUTE_FEATURES),) or scale.shape != mean.shape or np.any(scale <= 0)
                    or weights.shape != (len(READERS), len(ROUTE_FEATURES) + 1)):
                raise ValueError("wrong shapes")
            return cls(mean, scale, weights, data.get("about", {}))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"{path}: not a readable route ({exc}); restore it or fit it again "
                             "with bench/router.py --fit") from None


def bundled_route() -> LearnedRoute | None:
    """The default pairing's learnt route, or None when the package has none."""
    from ocr.models.registry import WEIGHTS_DIR

    path = WEIGHTS_DIR / ROUTE_FILE
    return LearnedRoute.load(path) if path.is_file() else None


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
                 hand_margin: float = HAND_MARGIN, route: LearnedRoute | None = None,
                 route_language: CharNgram | None = None) -> None:
        self.printed, self.threshold, self.model_name = printed, threshold, name
        self.cursive_confidence, self.hand_margin = cursive_confidence, hand_margin
        if route is not None and route_language is None:
            raise ValueError("a learnt route weighs its readings under a language model: give route_language")
        self.route, self.route_language = route, route_language
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
        from ocr.language import language_model_for

        cursive = ((lambda: LineRecognizer.load(cursive_model, charset=charset, language_model=language_model))
                   if cursive_model else None)
        also = f", {cursive_model} for cursive" if cursive_model else ""
        printed = LineRecognizer.load(print_model, charset=charset, language_model=language_model)
        # The learnt route weighs the default models' confidences, and their readings under the
        # print model's language model (also when it does not decode): other models keep the thresholds.
        defaults = (print_model, hand_model, cursive_model) == (PRINT_MODEL, HAND_MODEL, CURSIVE_MODEL)
        route = bundled_route() if defaults else None
        language = None
        if route is not None:
            # Also under --no-language-model, which changes only how lines are decoded.
            language = printed.language or language_model_for(getattr(printed.model, "path", None))
            if language is None:
                log.warning("%s has no language model to route by: unsure lines are routed by the "
                            "confidence thresholds", print_model)
                route = None
        return cls(printed, lambda: Recognizer.load(hand_model, charset=charset), threshold,
                   name=f"auto ({print_model} for print, {hand_model} for handwriting{also})",
                   cursive=cursive, route=route, route_language=language)

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
        """Recognize every line of a page: returns lines -> words -> characters. The lines the
        print model's reading stays for are spelt with its word list (:func:`ocr.lexicon.spelled`)."""
        results, ratings = self.printed.recognize_and_rate(components, lines)
        unsure = [i for i, rating in enumerate(ratings) if rating < self.threshold]
        taken = self._read_unsure(components, lines, results, ratings, unsure) if unsure else set()
        return self.printed.spelled(results, [i for i in range(len(lines)) if i not in taken])

    def _read_unsure(self, components: Components, lines: Sequence[LineLayout], results: list[Words],
                     ratings: Sequence[float], unsure: list[int]) -> set[int]:
        """Read the ``unsure`` lines again with the other models, replacing ``results`` where
        they are chosen; returns the lines whose print reading was replaced."""
        cursive = self.cursive
        if self.route is not None and cursive is not None:
            return self._route_unsure(components, lines, results, ratings, unsure, cursive)
        taken: set[int] = set()
        if cursive is not None:
            joined = cursive.recognize_lines(components, [lines[i] for i in unsure])
            left = []
            for i, words in zip(unsure, joined):
                if is_cursive(words, len(lines[i].glyphs), self.cursive_confidence):
                    results[i] = words
                    taken.add(i)
                else:
                    left.append(i)
            log.debug("%d of %d lines read as cursive", len(unsure) - len(left), len(lines))
            unsure = left
        if unsure:
            hand_read = 0
            for i, words in zip(unsure, self.hand.recognize_lines(components, [lines[i] for i in unsure])):
                if is_hand_print(words, ratings[i], self.hand_margin):
                    results[i] = words
                    taken.add(i)
                    hand_read += 1
            log.debug("%d of %d lines read as hand print", hand_read, len(lines))
        return taken

    def _route_unsure(self, components: Components, lines: Sequence[LineLayout], results: list[Words],
                      ratings: Sequence[float], unsure: list[int], cursive) -> set[int]:
        """The learnt route: every unsure line read by the cursive and glyph models, then each
        line's reading chosen from the three models' confidences and characters per glyph.
        Returns the lines whose print reading was replaced (or dropped as noise)."""
        asked = [lines[i] for i in unsure]
        joined = cursive.recognize_lines(components, asked)
        glyphed = self.hand.recognize_lines(components, asked)
        chosen = {"print": 0, "cursive": 0, "hand": 0, "noise": 0}
        taken: set[int] = set()
        for i, c_words, h_words in zip(unsure, joined, glyphed):
            features = route_features(ratings[i], results[i], c_words, h_words, len(lines[i].glyphs),
                                      self.route_language)
            reader = self.route.choose(features)
            if reader == "hand" and (is_misread_print(h_words, ratings[i])
                                     or is_cursive_read_as_numbers(h_words, c_words)):
                reader = self.route.choose(features, ("print", "cursive"))
            if (is_noise((results[i], c_words, h_words), features[:len(READERS)])
                    or reader == "cursive" and is_made_up(c_words, h_words)):
                chosen["noise"] += 1
                results[i] = []
                taken.add(i)
                continue
            chosen[reader] += 1
            if reader == "cursive":
                results[i] = c_words
            else:
                results[i] = sure_words(h_words if reader == "hand" else results[i])
                if is_specks(results[i]):
                    chosen["noise"] += 1
                    results[i] = []
            if reader != "print":
                taken.add(i)
        log.debug("unsure lines of %d: %s", len(lines), chosen)
        return taken
