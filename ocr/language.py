"""A character language model for line decoding: CTC prefix beam search with a character n-gram.

Greedy (best-path) decoding reads each frame on its own. In cursive, where one
letter shape is three letters' worth of doubt, the words around a letter are
what a human reader uses; a character n-gram learnt from transcripts gives the
decoder that. :func:`beam_decode` keeps the ``width`` most probable prefixes
frame by frame (the CTC prefix beam search of Hannun et al. 2014) and scores
each with ``alpha`` x the n-gram's log-probability plus ``beta`` per
character (so the language model does not simply prefer short readings).
A language model may also weigh whole words against a word list
(:class:`ocr.lexicon.Lexicon`, :class:`BeamSettings`): each word a prefix
finishes gains ``word_bonus`` when it is a word and loses ``nonword_penalty``
when it is none. A 7-gram sees six letters back; the word list sees the whole word, and
cursive read letter by letter makes words that are none ("ausi", "ceei").

The model file is gzip'd JSON holding the n-gram counts, the decoding weights
chosen for it and where both came from; a line model ``NAME.keras`` is read
with ``NAME.lm.json.gz`` beside it when that file exists
(:func:`language_model_for`).

A model's own language model may mix languages (``handline``: the French wills'
transcripts with English prose). A *language variant* beside it,
``NAME.<language>.lm.json.gz``, holds one language's text on its own: a page
whose first reading it explains nearly as well as the mixed model is decoded
again with it (:func:`chosen_variant`), so an English page is read with all the
English the mixed model could not hold.
"""

from __future__ import annotations

import glob
import gzip
import heapq
import json
import logging
import math
import os
import re
import threading
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Container, Iterable, Mapping, Sequence

import numpy as np

from ocr.errors import ModelError

log = logging.getLogger(__name__)

#: File name suffix of a line model's language model (``NAME.keras`` -> ``NAME.lm.json.gz``).
LM_SUFFIX = ".lm.json.gz"
#: File name suffix of the n-gram with spaces that places word breaks for a line model that
#: reads none (``NAME.spaces.lm.json.gz``, :mod:`ocr.word_spaces`).
SPACES_SUFFIX = ".spaces" + LM_SUFFIX
#: The language of a language variant's file name (``NAME.en.lm.json.gz``): an ISO 639 code.
VARIANT_LANGUAGE = re.compile(r"[a-z]{2,3}")
#: Fewest characters read (line ends counted) that a language variant is chosen on, about two
#: lines of handwriting: a line's few words tell too little of their language, and a French
#: line read with the English model loses far more than an English line read with the mixed
#: one gains (17.24 -> 23.57% against 17.41 -> 14.73% on whole sets). Line by line, 29 of
#: the 183 validation writers' lines were taken for English (25 under 20 characters, 4 of
#: 30-49); the test writers' single lines read 14.89 -> 15.29% when each line was judged
#: alone (handwriting session 41).
MIN_VARIANT_TEXT = 60
#: Shorter text is judged when its words speak for the variant: at least this many more of its
#: words are in the variant's word list than are only in the model's own one (a French word
#: that is no English word). Line by line, with the 1.2 nats above: 1 of the 183 validation
#: writers' lines and none of 793 training writers' lines taken for English, 108 of the 150
#: English tuning lines (with 2: 3 of the 183, 1 of the 793, 127 of the 150; handwriting
#: session 41).
MIN_VARIANT_WORDS = 3
#: Start and end of a line in the n-gram's contexts (never model labels).
START, END = "\x02", "\x03"
#: A frame's labels below this probability are not tried as extensions of a prefix.
PRUNE = 1e-3
BEAM_WIDTH = 12
#: Widest beam a language model file may ask for: the search's time grows with it.
MAX_BEAM_WIDTH = 256
#: Marks inside a word that neither end it for the word list nor belong to it: the elided
#: "l'" of "l'homme" is no word of the list, nor is "aujourd", so neither side of the mark is
#: weighed; the word after a hyphen is ("peut-être": "être").
WORD_JOINERS = frozenset("'\u2019-")
#: Marks the beam search weighs as the ones the n-gram knows: the prose it is counted from
#: types apostrophes and quotes mostly straight (15,318 ' to 1,423 ’ in textline's), so a
#: curly one the network reads cost 8-13 nats more and "milliner’s" was decoded "milliners".
#: Which of them is printed is the network's to say; the n-gram says whether such a mark
#: belongs there. (The word-space model keeps them apart: a curly closing quote says which
#: side its space is on.)
TYPOGRAPHIC = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
#: Log-probabilities remembered per model: a page's contexts repeat, but each entry costs
#: about 150 bytes, and a reader runs for many pages.
CACHE_ENTRIES = 200_000
#: Largest language-model file read (its counts are read whole).
MAX_LM_BYTES = 64 << 20
_NEG = -1e30


@dataclass(frozen=True)
class BeamSettings:
    """How :func:`beam_decode` searches: the prefixes it keeps, and what each word a prefix
    finishes gains when the word list holds it and loses when not (0 and 0: words unweighed)."""

    width: int = BEAM_WIDTH
    word_bonus: float = 0.0
    nonword_penalty: float = 0.0

    def __post_init__(self) -> None:
        if not 1 <= self.width <= MAX_BEAM_WIDTH:
            raise ValueError(f"beam width {self.width} is not 1 to {MAX_BEAM_WIDTH}")

    @property
    def weighs_words(self) -> bool:
        """Whether the search weighs the words read against a word list."""
        return bool(self.word_bonus or self.nonword_penalty)


@dataclass
class CharNgram:
    """Witten-Bell interpolated character n-gram, with the decoding weights chosen for it."""

    order: int
    counts: list[dict[str, dict[str, int]]]   # counts[k][context of k chars][next char]
    alpha: float = 0.3                        # weight of the LM's log-probability
    beta: float = 0.5                         # bonus per emitted character
    about: dict[str, Any] = field(default_factory=dict)
    #: A line whose every frame gives one label and the blank together at least this
    #: probability is read by best path (the reader's choice, :meth:`is_needed`); None: never.
    sure_frame: float | None = None
    #: How wide the beam search is and how it weighs whole words.
    beam: BeamSettings = BeamSettings()
    #: For a language variant: it decodes a page in place of the model's own language model
    #: when it scores the page's first reading at most this many nats per character below
    #: that one (:func:`chosen_variant`); None: no variant.
    switch_within: float | None = None

    def __post_init__(self) -> None:
        self._totals = [{h: (sum(c.values()), len(c)) for h, c in level.items()} for level in self.counts]
        self._vocab = len(self.counts[0].get("", {})) + 1
        self._cache: dict[tuple[str, str], float] = {}

    @classmethod
    def from_texts(cls, texts: Iterable[str], order: int = 7, **kwargs: Any) -> "CharNgram":
        """Count every character of ``texts`` (one line each) after its ``order - 1`` predecessors."""
        counts: list[defaultdict] = [defaultdict(Counter) for _ in range(order)]
        for text in texts:
            s = START * (order - 1) + text + END
            for i in range(order - 1, len(s)):
                for k in range(order):
                    counts[k][s[i - k:i]][s[i]] += 1
        return cls(order, [{h: dict(c) for h, c in level.items()} for level in counts], **kwargs)

    def extended(self, texts: Iterable[str], source: str) -> "CharNgram":
        """This model with ``texts`` counted in too (a fine-tuned model's own lines), same weights."""
        more = CharNgram.from_texts(texts, self.order)
        counts = [{h: dict(c) for h, c in level.items()} for level in self.counts]
        for level, extra in zip(counts, more.counts):
            for history, chars in extra.items():
                seen = level.setdefault(history, {})
                for char, n in chars.items():
                    seen[char] = seen.get(char, 0) + n
        about = {**self.about, "added": [*self.about.get("added", []), source]}
        return replace(self, counts=counts, about=about)

    def is_needed(self, probs: np.ndarray) -> bool:
        """Whether the line of these frame probabilities has anything for the language model to settle.

        A frame between two characters hesitates only about where a character
        ends (the blank against it), so a frame counts as sure when one label
        and the blank together reach :attr:`sure_frame`. On a line of sure frames
        the language model could only overrule clean print (a code, a name, a
        word in another language), and its beam search costs as much as the
        network on a dense page.
        """
        if self.sure_frame is None or len(probs) == 0:
            return True
        return float((probs[:, 0] + probs[:, 1:].max(axis=1)).min()) < self.sure_frame

    def logprob(self, context: str, char: str) -> float:
        """log P(char | the last ``order - 1`` characters of ``context``)."""
        context = (START * (self.order - 1) + context)[-(self.order - 1):] if self.order > 1 else ""
        key = (context, char)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        p = 1.0 / (self._vocab + 1)
        for k in range(self.order):  # from the empty context to the longest, each smoothing the next
            history = context[len(context) - k:] if k else ""
            seen = self.counts[k].get(history)
            if not seen:
                break
            total, types = self._totals[k][history]
            weight = total / (total + types)
            p = weight * seen.get(char, 0) / total + (1 - weight) * p
        value = math.log(p)
        if len(self._cache) < CACHE_ENTRIES:
            self._cache[key] = value
        return value

    def text_logprob(self, text: str, context: str = "") -> float:
        """log P(text | context): the log-probabilities of its characters, each after those before."""
        total = 0.0
        for ch in text:
            total += self.logprob(context, ch)
            context += ch
        return total

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model atomically (gzip'd JSON)."""
        from ocr.fileio import write_bytes_atomic

        data = {"format": "ocr-char-ngram/1", "order": self.order, "alpha": self.alpha, "beta": self.beta,
                "about": self.about, "counts": self.counts}
        if self.sure_frame is not None:
            data["sure_frame"] = self.sure_frame
        if self.beam != BeamSettings():
            data.update(width=self.beam.width, word_bonus=self.beam.word_bonus,
                        nonword_penalty=self.beam.nonword_penalty)
        if self.switch_within is not None:
            data["switch_within"] = self.switch_within
        write_bytes_atomic(path, gzip.compress(json.dumps(data, ensure_ascii=False).encode(), 6))
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "CharNgram":
        path = Path(path)
        raw = read_gzip(path, MAX_LM_BYTES, "language model")
        try:
            data = json.loads(raw)
            if data.get("format") != "ocr-char-ngram/1":
                raise ValueError("not an ocr character n-gram")
            sure, switch = data.get("sure_frame"), data.get("switch_within")
            beam = BeamSettings(int(data.get("width", BEAM_WIDTH)), float(data.get("word_bonus", 0.0)),
                                float(data.get("nonword_penalty", 0.0)))
            return cls(int(data["order"]), data["counts"], float(data["alpha"]), float(data["beta"]),
                       data.get("about", {}), None if sure is None else float(sure), beam,
                       None if switch is None else float(switch))
        except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
            raise ModelError(f"{path}: not a readable language model ({exc}); delete it or retrain") from None


def read_gzip(path: str | os.PathLike, max_bytes: int, what: str) -> bytes:
    """The unpacked bytes of a gzip'd model file beside a line model, at most ``max_bytes``;
    a damaged or oversized file is a :class:`ModelError` naming it (a damaged deflate stream
    raises zlib.error, which is no OSError)."""
    try:
        with gzip.open(path, "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise ModelError(f"{path}: not a readable {what} ({exc}); delete it or write it again") from None
    if len(raw) > max_bytes:
        raise ModelError(f"{path}: {what} larger than {max_bytes >> 20} MiB")
    return raw


def language_model_path(model_path: str | os.PathLike, suffix: str = LM_SUFFIX) -> Path:
    """Where the language model of the line model at ``model_path`` lives (with
    :data:`SPACES_SUFFIX`: its word-space model)."""
    path = Path(model_path)
    return path.with_name(path.name.removesuffix(".keras").removesuffix(".onnx") + suffix)


#: Models loaded so far (language models, word lists), by (path, size, modification time): a
#: rewritten file is read again. Shared by every thread (a model is only read from once loaded).
_LOADED: dict[tuple[str, int, int], Any] = {}
_LOADED_LOCK = threading.Lock()


def loaded_beside(model_path: str | os.PathLike | None, suffix: str, loader: Callable[[Path], Any]) -> Any:
    """The file beside a line model file named by ``suffix`` (:func:`language_model_path`), read
    by ``loader`` once per file and process, or None when there is none."""
    if model_path is None:
        return None
    path = language_model_path(model_path, suffix)
    try:
        stat = path.stat()
    except OSError:
        return None
    # Loaded once per file and process, as the networks are (ocr.models.loader): counting a
    # page's worth of n-grams from JSON takes longer than reading a small page.
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    with _LOADED_LOCK:
        loaded = _LOADED.get(key)
        if loaded is None:
            loaded = loader(path)
            for stale in [k for k in _LOADED if k[0] == key[0]]:  # the file was rewritten
                del _LOADED[stale]
            _LOADED[key] = loaded
            log.info("%s read", path.name)
    return loaded


def language_model_for(model_path: str | os.PathLike | None, suffix: str = LM_SUFFIX) -> CharNgram | None:
    """The language model beside a line model file (with :data:`SPACES_SUFFIX`: its
    word-space model), or None when it has none."""
    return loaded_beside(model_path, suffix, CharNgram.load)


def variant_suffix(language: str) -> str:
    """The file name suffix of a line model's language variant for ``language`` (``.en.lm.json.gz``)."""
    if not VARIANT_LANGUAGE.fullmatch(language):
        raise ValueError(f"{language!r} is no language code: give two or three lower-case letters (ISO 639)")
    return f".{language}{LM_SUFFIX}"


def variant_languages(model_path: str | os.PathLike) -> list[str]:
    """The languages of the variant files beside a line model file (``NAME.<language>.lm.json.gz``),
    by their names alone: nothing is read."""
    path = Path(model_path)
    stem = language_model_path(path, "").name  # NAME of NAME.keras
    names = (c.name[len(stem) + 1:-len(LM_SUFFIX)]
             for c in path.parent.glob(f"{glob.escape(stem)}.*{LM_SUFFIX}"))
    return sorted(n for n in names if VARIANT_LANGUAGE.fullmatch(n))


@dataclass(frozen=True)
class LanguageVariant:
    """A language model for one of the languages a line model's own one mixes
    (``NAME.<language>.lm.json.gz``), and that language's words when its word list is beside
    it (``NAME.<language>.lexicon.txt.gz``): they tell a line in the language apart."""

    language: str
    model: CharNgram
    words: Container[str] | None = None


def words_for(readings: Sequence[str], variant_words: Container[str] | None,
              own_words: Container[str] | None) -> int:
    """How many more of the words read (letters only, two or more) are in a variant's word list
    than are only in the model's own list; 0 without the variant's list."""
    if variant_words is None:
        return 0
    score = 0
    for line in readings:
        for token in line.split():
            word = token.strip(".,;:!?\"'()[]")
            if len(word) < 2 or not word.isalpha():
                continue
            if word in variant_words:
                score += 1
            elif own_words is not None and word in own_words:
                score -= 1
    return score


def chosen_variant(readings: Sequence[str], main: CharNgram,
                   variants: Mapping[str, LanguageVariant] | Callable[[], Mapping[str, LanguageVariant]],
                   own_words: Container[str] | None = None) -> LanguageVariant | None:
    """The language variant to decode a page with, from the page's lines as ``main`` read them
    (``own_words``: the model's word list); ``variants`` may be a function that loads them,
    called only when the page has text enough to judge (:data:`MIN_VARIANT_TEXT` characters
    or :data:`MIN_VARIANT_WORDS` words).

    Each variant scores the readings against ``main`` (mean log-probability per character,
    line ends counted); the best one is chosen when it is within its ``switch_within`` of
    ``main``, else None (``main`` stays). The page, not each line: a line of a few words says
    little about its language (the English tuning lines told apart from the French
    validation writers' one by one with more mistakes than as pages of five), so text of
    fewer than :data:`MIN_VARIANT_TEXT` characters is judged only when its words speak for
    the variant (:data:`MIN_VARIANT_WORDS`, :func:`words_for`).
    """
    lines = [r for r in readings if r]
    chars = sum(len(r) + 1 for r in lines)
    short = chars < MIN_VARIANT_TEXT
    if not chars or short and sum(len(r.split()) for r in lines) < MIN_VARIANT_WORDS:
        return None
    if callable(variants):
        variants = variants()
    own = sum(main.text_logprob(r + END) for r in lines)
    best, best_gap = None, -math.inf
    for variant in variants.values():
        if short and words_for(lines, variant.words, own_words) < MIN_VARIANT_WORDS:
            continue
        gap = (sum(variant.model.text_logprob(r + END) for r in lines) - own) / chars
        if variant.model.switch_within is not None and gap >= -variant.model.switch_within and gap > best_gap:
            best, best_gap = variant, gap
    return best


def _logsumexp(a: float, b: float) -> float:
    if a < b:
        a, b = b, a
    return a if b <= _NEG else a + math.log1p(math.exp(b - a))


class _Prefix:
    """One reading in the beam search's tree of prefixes: its last label, the prefix it
    extends, the frame that label was emitted at as it entered the beam, its
    language-model score, and the letters of the word it ends in (for the word list).

    A prefix is its parent and one label, not a tuple of all its labels: a tuple's copy
    and hash grow with the prefix, and over a long line of noise (thousands of frames,
    each emitting something) the search became quadratic in the line's length.
    """

    __slots__ = ("parent", "label", "frame", "score", "context", "word")

    def __init__(self, parent: "_Prefix | None", label: int, frame: int, score: float, context: str,
                 word: str = "") -> None:
        self.parent, self.label, self.frame, self.score, self.context = parent, label, frame, score, context
        self.word = word


def word_weight(word: str, lm: CharNgram, words: Container[str] | None) -> float:
    """What a finished word adds to a prefix's score: the language model's word bonus when the
    word list holds it, minus its non-word penalty when not; 0 without a word list."""
    if not word or words is None:
        return 0.0
    return lm.beam.word_bonus if word in words else -lm.beam.nonword_penalty


def beam_decode(probs: np.ndarray, labels: list[str], lm: CharNgram, width: int | None = None,
                words: Container[str] | None = None) -> list[tuple[int, int]]:
    """CTC prefix beam search over (frames, 1 + labels) probabilities, blank at column 0.

    Returns the best reading as (label index, frame) pairs, the frame being the
    character's most probable one before the next character is emitted; the
    frames let callers place each character on the line and rate it. ``width``
    prefixes are kept (default: the language model's); with ``words`` (a word list)
    and a language model that weighs words, each word a prefix finishes (letters up
    to a space or a mark other than :data:`WORD_JOINERS`, or the line's end) is weighed
    by :func:`word_weight`.
    """
    width = lm.beam.width if width is None else width
    if not lm.beam.weighs_words:
        words = None
    logp = np.log(np.maximum(probs, 1e-12))
    keep = max(lm.order - 1, 0)  # the characters the n-gram's next context needs
    root = _Prefix(None, 0, -1, 0.0, "")
    beams: dict[_Prefix, tuple[float, float]] = {root: (0.0, _NEG)}  # prefix -> (ends blank, not)
    # The most a new prefix's language-model score can gain on its parent's: its n-gram
    # log-probability is at most 0 (alpha >= 0), a word at most the bonus.
    gain = (lm.beta + (max(lm.beam.word_bonus, 0.0) if words is not None else 0.0)) if lm.alpha >= 0 else math.inf
    for t in range(len(logp)):
        row = logp[t]
        candidates = (np.nonzero(probs[t, 1:] > PRUNE)[0] + 1).tolist()
        grown: dict[_Prefix, list[float]] = {}
        for prefix, (blank, label) in beams.items():  # each prefix as it stands, a frame on
            grown[prefix] = [_logsumexp(blank, label) + row[0],
                             label + row[prefix.label] if prefix is not root else _NEG]
        # An extension that is already in the beam is that prefix: both paths add up. Only
        # the beam's prefixes are remembered, so memory follows the beam, not the line.
        made = {(prefix.parent, prefix.label): prefix for prefix in beams}
        extensions = []
        for prefix, (blank, label) in beams.items():
            total = _logsumexp(blank, label)
            for c in candidates:
                # A repeat needs a blank between; without one it is the held label above.
                path = (blank if prefix is not root and c == prefix.label else total) + row[c]
                known = made.get((prefix, c))
                if known is None:
                    extensions.append((path + prefix.score + gain, path, prefix, c))
                else:
                    entry = grown[known]
                    entry[1] = _logsumexp(entry[1], path)
        # New prefixes, most promising first, each scored by the n-gram only while it could
        # still enter the beam: on an unsure line of many candidates most never are.
        kept = heapq.nlargest(width, (_logsumexp(*v) + p.score for p, v in grown.items()))
        heapq.heapify(kept)
        extensions.sort(key=lambda e: -e[0])
        for bound, path, prefix, c in extensions:
            if len(kept) >= width and bound < kept[0]:
                break
            char = labels[c - 1]
            weighed = char.translate(TYPOGRAPHIC)  # the mark the n-gram knows for it
            score = prefix.score + lm.alpha * lm.logprob(prefix.context, weighed) + lm.beta
            context = (prefix.context + weighed)[-keep:] if keep else ""
            word = ""
            if words is not None:
                if char.isalpha():
                    word = prefix.word + char
                elif char not in WORD_JOINERS:
                    score += word_weight(prefix.word, lm, words)
            grown[_Prefix(prefix, c, t, score, context, word)] = [_NEG, path]
            if len(kept) < width:
                heapq.heappush(kept, path + score)
            elif path + score > kept[0]:
                heapq.heapreplace(kept, path + score)
        ranked = sorted(grown.items(), key=lambda kv: -(_logsumexp(*kv[1]) + kv[0].score))[:width]
        beams = {prefix: (v[0], v[1]) for prefix, v in ranked}
    # A hyphen the network reads last on the line parts a word across lines, which the prose
    # the n-gram was counted from never does ("throuch un-" was decoded "throuch un"): its
    # n-gram cost is not held against a reading that ends with it.
    hyphen = labels.index("-") + 1 if "-" in labels else None
    read = np.flatnonzero(probs.argmax(axis=1))
    hyphen_ends = hyphen is not None and len(read) > 0 and int(probs[read[-1]].argmax()) == hyphen

    def finished(p: _Prefix) -> float:
        total = _logsumexp(*beams[p]) + p.score + word_weight(p.word, lm, words)
        if hyphen_ends and p.label == hyphen and p.parent is not None:
            total -= lm.alpha * lm.logprob(p.parent.context, "-")
        return total

    best = max(beams, key=finished)
    path: list[_Prefix] = []
    while best is not root:
        path.append(best)
        best = best.parent
    path.reverse()
    # Each character at its most probable frame between its first emission and the next
    # character's, as best path reports a run's peak (the router rates lines by it).
    starts = [p.frame for p in path] + [len(probs)]
    return [(p.label - 1, starts[k] + int(np.argmax(probs[starts[k]:max(starts[k + 1], starts[k] + 1), p.label])))
            for k, p in enumerate(path)]
