"""A word list for the print model: a word read that is no word is spelt as the nearest one the
model's own second choices make.

The print line model reads each letter from its ink; a character n-gram
weighs the letters around it, but only a few characters back. A word
list knows more: "snateh", "eourse" and "Povers" are no words, and the
model's second choice at one letter ("c" at 0.26 under the "e" of
"snateh", "w" under the "v" of "Povers") makes one. Tesseract settles such
letters with its dictionaries; here :func:`spell_word` tries the second
and third choices the model gave each letter (each at least
:data:`MIN_CHOICE` likely), one letter at a time, or two in a word of
:data:`TWO_FROM` letters or more, and keeps the most likely spelling
that is a word. A word that is one already, a fragment of a word hyphenated
across lines, a short capitals code ("BLM") and anything with a digit are
left as read: only the model's own choices are taken, and "c" for an "e" (the
one lookalike it reads wrong sure of itself, :data:`LOOKALIKE_LETTERS`, and a "g" whose
lower loop a worn scan broke off, :data:`BROKEN_G`); a word
none of them makes a word may hold a ligature read as its first letter
(:data:`LIGATURES`).

The list is a gzip'd text file of lower-case words beside the line model
(``NAME.keras`` -> ``NAME.lexicon.txt.gz``, :func:`lexicon_for`), written by
``ocr train language`` from Debian's word lists. Pure Python over the
recognized characters; no model here.
"""

from __future__ import annotations

import gzip
import itertools
import logging
import math
import os
from dataclasses import replace
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ocr.language import (LM_SUFFIX, LanguageVariant, language_model_for, language_model_path, loaded_beside,
                          read_gzip, variant_languages, variant_suffix)
from ocr.postprocess import X_HEIGHT_LETTERS, RecognizedChar

log = logging.getLogger(__name__)

#: File name suffix of a line model's word list (``NAME.keras`` -> ``NAME.lexicon.txt.gz``).
LEXICON_SUFFIX = ".lexicon.txt.gz"
#: A letter's other readings are tried when the model gave them at least this probability.
#: Chosen on the dev pages and forms (bench/RESULTS.md, real print session 29).
MIN_CHOICE = 0.001
#: A letter the print model reads for another whatever its probabilities say, and that other:
#: on old books' 1-bit scans it read "c" as "e" 27 times in the oldbooks dev pages, often with no
#: "c" among its choices ("charaeter", "diseovery"), and "e" as "c" 4 times. The other is tried
#: as if the model gave it :data:`MIN_CHOICE`; one way only: both ways, French words spelt
#: English ones ("ethnographic" -> "ethnographie").
LOOKALIKE_LETTERS = {"e": "c"}
#: Letters the print model reads for a "g" whose lower loop a worn 1-bit scan broke off
#: ("Concernine", "becan", "throuch", "Conoress" on the oldbooks dev pages): tried as a "g" (as
#: if the model gave it :data:`MIN_CHOICE`) when their ink ends :data:`BROKEN_G_ABOVE`
#: x-heights or more above the word's baseline, where these letters never end
#: (:func:`broken_descenders`). Tried wherever read, they made names words ("Gao" -> "Gag",
#: "Mancos" -> "Mangos"); "h" tried for a worn "b" likewise made a code one ("Coh" -> "Cob").
BROKEN_G = frozenset("ceo")
BROKEN_G_ABOVE = 0.15
#: Ligatures and the letter the print model reads for each: old books and TeX set "ﬁ", "ﬂ",
#: "ﬀ", "ﬃ" and "ﬄ" as one glyph, and the model reads the first letter alone ("confne",
#: "wildfre", "bafling", "scufle" on the oldbooks dev pages). A word that no choice of the
#: model makes a word is tried with each (:func:`spell_word`).
LIGATURES = {"f": ("fi", "fl", "ff", "ffi", "ffl")}
#: The words of one letter a word may be parted into (:func:`parted`).
ONE_LETTER_WORDS = frozenset("aAI")
#: Words are spelt from this many letters; two letters may change in a word this long or longer.
#: Two: an old book's "Ve" and "ns" are "We" and "as" (oldbooks dev pages 1164 -> 1159 errors,
#: FUNSD dev forms 20.77 / 67.34 -> 20.75 / 67.39% word-box CER / F1; short capitals codes stay).
MIN_LETTERS = 2
TWO_FROM = 5
#: A word in capitals this short is a code or an abbreviation ("BLM", "RJR"), not a misspelling.
CODE_LETTERS = 4
#: A word ending in one of these is the first half of a word hyphenated across lines.
HYPHENS = frozenset("-\u00ad")
#: Lines longer than this are no words (a word list file has one word per line).
MAX_WORD = 64
#: A word list file larger than this, unpacked, is refused (the bundled one is 4.5 MB).
MAX_LEXICON_BYTES = 64 << 20


class Lexicon:
    """A set of words (compared in lower case): their UTF-8 bytes, sorted, one per line, in
    one buffer, looked up by binary search.

    Why so: the bundled list has about 400,000 English and French words. As Python
    strings they take some 40 MB, and even read one at a time into hashes their
    allocations left a reading process 30 MB larger at its peak; as one buffer and its
    line offsets they take 6 MB.
    """

    def __init__(self, words: Iterable[str], about: str = "") -> None:
        unique = sorted({w for w in (w.strip().lower() for w in words) if 0 < len(w) <= MAX_WORD})
        self._set_buffer("".join(w + "\n" for w in unique).encode("utf-8"))
        self.about = about

    def _set_buffer(self, data: bytes) -> None:
        """Take ``data``, sorted lower-case words each ending in a newline, as the words."""
        self._data = data
        ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10).astype(np.int64)
        self._starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64) if len(ends) else ends
        self._ends = ends

    def __len__(self) -> int:
        return len(self._ends)

    def __contains__(self, word: str) -> bool:
        key = word.lower().encode("utf-8")
        data, starts, ends = self._data, self._starts, self._ends
        lo, hi = 0, len(ends)
        while lo < hi:
            mid = (lo + hi) // 2
            if data[starts[mid]:ends[mid]] < key:
                lo = mid + 1
            else:
                hi = mid
        return lo < len(ends) and data[starts[lo]:ends[lo]] == key

    def words(self) -> list[str]:
        """The words, in order (to write a longer list)."""
        return self._data.decode("utf-8").split()

    def save(self, path: str | os.PathLike) -> Path:
        """Write the word list file atomically: ``#`` lines with :attr:`about`, then the words."""
        from ocr.fileio import write_bytes_atomic

        head = "".join(f"# {line}\n" for line in self.about.splitlines()).encode("utf-8")
        write_bytes_atomic(path, gzip.compress(head + self._data, 9, mtime=0))
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Lexicon":
        """Read a word list file: ``#`` lines say where it came from, the others are words, sorted,
        in lower case (as :meth:`save` writes them)."""
        raw = read_gzip(path, MAX_LEXICON_BYTES, "word list")
        about: list[str] = []
        body = 0
        while raw.startswith(b"#", body):
            line_end = raw.find(b"\n", body)
            line_end = len(raw) if line_end < 0 else line_end
            about.append(raw[body + 1:line_end].decode("utf-8", "replace").strip())
            body = line_end + 1
        lexicon = cls.__new__(cls)
        data = raw[body:]
        lexicon._set_buffer(data if not data or data.endswith(b"\n") else data + b"\n")
        lexicon.about = "\n".join(about)
        return lexicon


def lexicon_for(model_path: str | os.PathLike | None) -> Lexicon | None:
    """The word list beside a line model file (``NAME.lexicon.txt.gz``), or None."""
    return loaded_beside(model_path, LEXICON_SUFFIX, Lexicon.load)


def lexicon_path(model_path: str | os.PathLike) -> Path:
    """Where the word list of the line model at ``model_path`` lives."""
    return language_model_path(model_path, LEXICON_SUFFIX)


def variant_lexicon_path(model_path: str | os.PathLike, language: str) -> Path:
    """Where the word list of a line model's language variant lives (``NAME.<language>.lexicon.txt.gz``)."""
    return language_model_path(model_path, _variant_lexicon_suffix(language))


def variant_lexicon_for(model_path: str | os.PathLike | None, language: str) -> Lexicon | None:
    """The word list of a line model's language variant, or None when it has none."""
    return loaded_beside(model_path, _variant_lexicon_suffix(language), Lexicon.load)


def _variant_lexicon_suffix(language: str) -> str:
    return variant_suffix(language).removesuffix(LM_SUFFIX) + LEXICON_SUFFIX


def letters_span(chars: Sequence[RecognizedChar]) -> tuple[int, int]:
    """Where a word's letters start and end: the punctuation around them (quotes, brackets, a
    stop) is no part of what the word list is asked."""
    start, end = 0, len(chars)
    while start < end and not chars[start].text.isalpha():
        start += 1
    while end > start and not chars[end - 1].text.isalpha():
        end -= 1
    return start, end


def parted(word: list[RecognizedChar], joins: Sequence[int], lexicon: Lexicon) -> list[list[RecognizedChar]]:
    """``word`` parted at one of its ``joins`` (character indices: gaps the word-space model
    joined, :func:`ocr.word_spaces.into_words`) when it is no word of ``lexicon`` and both
    halves are ("greaternumber", "chargelies": the gap was as wide as a word space, and the
    character n-gram, which sees a few letters back, joined them), else ``[word]``.
    Punctuation around the letters stays with its half; a word with a digit, with anything but
    letters inside, or hyphenated across lines ("Siste-") is left whole."""
    text = "".join(c.text for c in word)
    if not joins or len(text) != len(word) or any(ch.isdigit() for ch in text) or text[-1] in HYPHENS:
        return [word]
    start, end = letters_span(word)
    core = text[start:end]
    if not core.isalpha() or core in lexicon:
        return [word]
    for at in joins:
        left, right = text[start:at], text[at:end]
        if all((len(half) >= 2 or half in ONE_LETTER_WORDS) and half in lexicon for half in (left, right)):
            return [word[:at], word[at:]]
    return [word]


def spell_word(chars: Sequence[RecognizedChar], lexicon: Lexicon) -> list[RecognizedChar] | None:
    """The word ``chars`` spelt as the most likely word of ``lexicon`` that the model's other
    readings of its letters make, or None when it is left as read (see the module's doc).

    Punctuation before and after the letters stays; each letter is only
    replaced by one of its own alternatives of the same case; the parts of hyphen-joined
    words are spelt each on its own.
    """
    start, end = letters_span(chars)
    core = chars[start:end]
    if len(core) < MIN_LETTERS or chars[-1].text in HYPHENS:
        return None
    inner = [i for i, c in enumerate(core) if c.text in HYPHENS]
    if inner:
        return _with_parts_spelt(chars, start, inner, lexicon)
    word = "".join(c.text for c in core)
    if not word.isalpha() or len(word) != len(core) or word in lexicon:
        return None
    if word.isupper() and len(word) <= CODE_LETTERS:
        return None
    choices = [[(a, p) for a, p in c.alternatives
                if a != c.text and len(a) == 1 and a.isalpha() and a.isupper() == c.text.isupper()
                and p >= MIN_CHOICE] for c in core]
    for c, own_choices in zip(core, choices):
        lookalike = LOOKALIKE_LETTERS.get(c.text)
        if lookalike is not None and all(a != lookalike for a, _ in own_choices):
            own_choices.append((lookalike, MIN_CHOICE))
    for i in broken_descenders(core):
        if all(a != "g" for a, _ in choices[i]):
            choices[i].append(("g", MIN_CHOICE))
    own = [math.log(max(dict(c.alternatives).get(c.text, c.confidence), 1e-9)) for c in core]
    best: tuple[float, str, list[tuple[int, str, float]]] | None = None
    open_at = [i for i, c in enumerate(choices) if c]
    for changes in (1, 2) if len(core) >= TWO_FROM else (1,):
        for where in itertools.combinations(open_at, changes):
            for picked in itertools.product(*(choices[i] for i in where)):
                letters = list(word)
                score = 0.0
                for i, (a, p) in zip(where, picked):
                    letters[i] = a
                    score += math.log(p) - own[i]
                spelt = "".join(letters)
                if (best is None or score > best[0]) and spelt in lexicon:
                    best = (score, spelt, [(i, a, p) for i, (a, p) in zip(where, picked)])
    if best is None:
        return _with_ligature(chars, start, end, lexicon)
    out = list(chars)
    for i, a, p in best[2]:
        out[start + i] = replace(core[i], text=a, confidence=p)
    return out


def broken_descenders(core: Sequence[RecognizedChar]) -> list[int]:
    """Indices of the letters of ``core`` read as one of :data:`BROKEN_G` whose ink ends at
    least :data:`BROKEN_G_ABOVE` x-heights above the baseline of the word's other x-height
    letters (:data:`ocr.postprocess.X_HEIGHT_LETTERS`, two at least): a "g" whose lower loop
    a worn scan broke off, of which the model saw the bowl alone."""
    bodies = [k for k, c in enumerate(core) if c.text in X_HEIGHT_LETTERS]
    out = []
    for i, c in enumerate(core):
        if c.text not in BROKEN_G:
            continue
        others = [core[k].box for k in bodies if k != i]
        if len(others) < 2:
            continue
        base = float(np.median([b[3] for b in others]))
        x_height = base - float(np.median([b[1] for b in others]))
        if x_height > 0 and base - c.box[3] >= BROKEN_G_ABOVE * x_height:
            out.append(i)
    return out


def _with_parts_spelt(chars: Sequence[RecognizedChar], start: int, hyphens: Sequence[int], lexicon: Lexicon
                      ) -> list[RecognizedChar] | None:
    """``chars`` with each part of its hyphen-joined letters (``hyphens``: their indices from
    ``start``) spelt on its own ("self-eontrol", "cavern-his": an old book's dash joins words
    too), or None when no part changes."""
    out = list(chars[:start])
    changed = False
    bounds = [-1, *hyphens, len(chars) - start]
    for k in range(len(bounds) - 1):
        lo, hi = start + bounds[k] + 1, start + bounds[k + 1]
        part = list(chars[lo:hi])
        spelt = spell_word(part, lexicon) if part else None
        changed |= spelt is not None
        out += spelt if spelt is not None else part
        if k < len(hyphens):
            out.append(chars[start + hyphens[k]])
    return out if changed else None


def _with_ligature(chars: Sequence[RecognizedChar], start: int, end: int, lexicon: Lexicon
                   ) -> list[RecognizedChar] | None:
    """``chars`` with one letter read for a ligature (:data:`LIGATURES`) given its other
    letters, when that makes the only word of ``lexicon`` such a change makes; else None.
    The letters added share the ligature's box."""
    word = "".join(c.text for c in chars[start:end])
    found: dict[str, tuple[int, str]] = {}
    for i in range(start, end):
        for ligature in LIGATURES.get(chars[i].text, ()):
            spelt = word[:i - start] + ligature + word[i - start + 1:]
            if spelt in lexicon:
                found.setdefault(spelt.lower(), (i, ligature))
    if len(found) != 1:
        return None
    i, ligature = next(iter(found.values()))
    read = chars[i]
    added = [replace(read, text=letter, alternatives=[(letter, read.confidence)]) for letter in ligature[1:]]
    return list(chars[:i + 1]) + added + list(chars[i + 1:])


def spelled(lines: Sequence[list[list[RecognizedChar]]], lexicon: Lexicon | None,
            only: Iterable[int] | None = None) -> list[list[list[RecognizedChar]]]:
    """Lines -> words -> characters with each word :func:`spell_word` spells replaced, in the
    lines ``only`` names (all by default). The lines are in reading order: the first word of
    a line after one that ends in a hyphen is the end of a word, and is left as read."""
    if lexicon is None:
        return list(lines)
    chosen = set(range(len(lines))) if only is None else set(only)
    out: list[list[list[RecognizedChar]]] = []
    hyphen = False
    changed = 0
    for k, words in enumerate(lines):
        new_words = list(words)
        if k in chosen:
            for j, word in enumerate(words):
                if j == 0 and hyphen:
                    continue
                spelt = spell_word(word, lexicon)
                if spelt is not None:
                    new_words[j] = spelt
                    changed += 1
        hyphen = bool(words) and bool(words[-1]) and words[-1][-1].text in HYPHENS
        out.append(new_words)
    if changed:
        log.debug("word list: %d words spelt as words", changed)
    return out


def language_variants_for(model_path: str | os.PathLike | None) -> dict[str, LanguageVariant]:
    """The language variants beside a line model file (``NAME.<language>.lm.json.gz``), by
    language, each with its word list when it has one (``NAME.<language>.lexicon.txt.gz``);
    files that are no variant (no ``switch_within``) are left out."""
    if model_path is None:
        return {}
    variants = {}
    for language in variant_languages(model_path):
        model = language_model_for(model_path, variant_suffix(language))
        if model is not None and model.switch_within is not None:
            variants[language] = LanguageVariant(language, model, variant_lexicon_for(model_path, language))
    return variants
