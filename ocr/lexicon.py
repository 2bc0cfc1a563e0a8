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
left as read: only the model's own choices are taken, never a letter it did
not see.

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
from typing import Iterable, Iterator, Sequence

import numpy as np

from ocr.errors import ModelError
from ocr.language import language_model_path, loaded_beside
from ocr.postprocess import RecognizedChar

log = logging.getLogger(__name__)

#: File name suffix of a line model's word list (``NAME.keras`` -> ``NAME.lexicon.txt.gz``).
LEXICON_SUFFIX = ".lexicon.txt.gz"
#: A letter's other readings are tried when the model gave them at least this probability.
#: Chosen on the dev pages and forms (bench/RESULTS.md, real print session 29).
MIN_CHOICE = 0.001
#: Words are spelt from this many letters; two letters may change in a word this long or longer.
MIN_LETTERS = 3
TWO_FROM = 5
#: A word in capitals this short is a code or an abbreviation ("BLM", "RJR"), not a misspelling.
CODE_LETTERS = 4
#: Lines longer than this are no words (a word list file has one word per line).
MAX_WORD = 64


class Lexicon:
    """A set of words (compared in lower case), held as 64-bit hashes.

    Why hashes: the bundled list has about half a million English and French
    words, some 40 MB as Python strings and 4 MB as a sorted array of their
    hashes (Python's own string hash, stable within a process).
    """

    def __init__(self, words: Iterable[str], about: str = "") -> None:
        hashes = np.fromiter((hash(w.strip().lower()) for w in words if w.strip()), dtype=np.int64)
        self.hashes = np.unique(hashes)
        self.about = about

    def __len__(self) -> int:
        return len(self.hashes)

    def __contains__(self, word: str) -> bool:
        h = hash(word.lower())
        i = int(np.searchsorted(self.hashes, h))
        return i < len(self.hashes) and int(self.hashes[i]) == h

    @staticmethod
    def save(words: Iterable[str], path: str | os.PathLike, about: str) -> Path:
        """Write ``words`` (lower-cased, sorted, once each) atomically as the word list file."""
        from ocr.fileio import write_bytes_atomic

        unique = sorted({w.strip().lower() for w in words if w.strip() and len(w.strip()) <= MAX_WORD})
        text = "".join(f"# {line}\n" for line in about.splitlines()) + "".join(w + "\n" for w in unique)
        write_bytes_atomic(path, gzip.compress(text.encode("utf-8"), 9, mtime=0))
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Lexicon":
        """Read a word list file: ``#`` lines say where it came from, the others are words."""
        about: list[str] = []
        lexicon = cls(_words_in(path, about))
        lexicon.about = "\n".join(about)
        return lexicon

    @staticmethod
    def words_of(path: str | os.PathLike) -> tuple[list[str], str]:
        """The words of a word list file and where they came from (to write a longer one)."""
        about: list[str] = []
        words = [w.strip() for w in _words_in(path, about)]
        return words, "\n".join(about)


def _words_in(path: str | os.PathLike, about: list[str]) -> Iterator[str]:
    """The word lines of a word list file, one at a time (half a million of them as one list
    of strings would take ten times the memory of the lexicon); its ``#`` lines go to ``about``."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("#"):
                    about.append(line[1:].strip())
                elif len(line) <= MAX_WORD + 1:
                    yield line
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise ModelError(f"{path}: not a readable word list ({exc}); delete it or write it again "
                         "with ocr train language") from None


def lexicon_for(model_path: str | os.PathLike | None) -> Lexicon | None:
    """The word list beside a line model file (``NAME.lexicon.txt.gz``), or None."""
    return loaded_beside(model_path, LEXICON_SUFFIX, Lexicon.load)


def lexicon_path(model_path: str | os.PathLike) -> Path:
    """Where the word list of the line model at ``model_path`` lives."""
    return language_model_path(model_path, LEXICON_SUFFIX)


def spell_word(chars: Sequence[RecognizedChar], lexicon: Lexicon) -> list[RecognizedChar] | None:
    """The word ``chars`` spelt as the most likely word of ``lexicon`` that the model's other
    readings of its letters make, or None when it is left as read (see the module's doc).

    Punctuation before and after the letters stays; each letter is only
    replaced by one of its own alternatives of the same case.
    """
    start, end = 0, len(chars)
    while start < end and not chars[start].text.isalpha():
        start += 1
    while end > start and not chars[end - 1].text.isalpha():
        end -= 1
    core = chars[start:end]
    if len(core) < MIN_LETTERS or chars[-1].text in "-\u00ad":
        return None
    word = "".join(c.text for c in core)
    if not word.isalpha() or len(word) != len(core) or word in lexicon:
        return None
    if word.isupper() and len(word) <= CODE_LETTERS:
        return None
    choices = [[(a, p) for a, p in c.alternatives
                if a != c.text and len(a) == 1 and a.isalpha() and a.isupper() == c.text.isupper()
                and p >= MIN_CHOICE] for c in core]
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
        return None
    out = list(chars)
    for i, a, p in best[2]:
        out[start + i] = replace(core[i], text=a, confidence=p)
    return out


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
        hyphen = bool(words) and bool(words[-1]) and words[-1][-1].text in "-\u00ad"
        out.append(new_words)
    if changed:
        log.debug("word list: %d words spelt as words", changed)
    return out
