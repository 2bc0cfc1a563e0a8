"""Character sets of the datasets and bundled models, and mapping between them."""

from __future__ import annotations

from typing import Sequence

import numpy as np

DIGITS = "0123456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = "abcdefghijklmnopqrstuvwxyz"
#: EMNIST ByClass: 62 classes.
EMNIST_BYCLASS = DIGITS + UPPER + LOWER
#: EMNIST ByMerge and Balanced: the 15 lowercase letters that look like their
#: capitals (c i j k l m o p s u v w x y z) are merged into the capital.
EMNIST_BYMERGE = DIGITS + UPPER + "abdefghnqrt"
#: EMNIST Letters: 26 case-insensitive classes, named by the capital.
EMNIST_LETTERS = UPPER
#: Common punctuation and symbols of printed text (19 characters).
PUNCTUATION = ".,:;-'\"()/!?&%$#+=@"
#: The character model's classes: EMNIST ByClass plus punctuation (81 classes).
CHARNET = EMNIST_BYCLASS + PUNCTUATION
#: French letters with diacritics, the ligature and the degree sign of French handwriting.
FRENCH = "àâäçéèêëîïôöùûüÿœÀÂÇÉÈÊÎÔÙŒ°"
#: Printable ASCII that the character model lacks.
ASCII_EXTRA = "*<>[]\\^_{|}~`"
#: Letters of the Western European languages (French, German, Spanish, Portuguese,
#: Italian, Dutch, the Nordic languages), small and capital.
WESTERN_EUROPEAN = ("àâäáãåçéèêëíìîïñóòôöõøúùûüýÿßœæ"
                    "ÀÂÄÁÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕØÚÙÛÜÝŒÆ")
#: Currency, section and degree signs, typographic quotes and dashes of printed text.
PRINT_SYMBOLS = "€£§°‘’“”–—"
#: The print line model's classes: the character model's (first, in its order),
#: the rest of printable ASCII, Western European letters and print symbols.
PRINT = CHARNET + ASCII_EXTRA + WESTERN_EUROPEAN + PRINT_SYMBOLS
#: The handwriting line model's classes: the word space (a cursive line's word gaps
#: are read by the model, not measured), the character model's classes, French
#: letters, and ``^`` (the transcripts' mark for a superscript, as in ``1^er``).
HANDWRITING = " " + CHARNET + FRENCH + "^"


def class_mapping(source: Sequence[str], target: Sequence[str]) -> np.ndarray:
    """Map each class of ``source`` to the index of the same character in ``target``.

    A lowercase letter that ``target`` lacks maps to its capital when ``target``
    has it (this is how EMNIST ByMerge and Letters merge cases). Classes with no
    counterpart map to -1, which restricts a model's output to ``target``.
    """
    index = {label: i for i, label in enumerate(target)}
    mapping = np.full(len(source), -1, dtype=np.int64)
    for i, label in enumerate(source):
        if label in index:
            mapping[i] = index[label]
        elif label.upper() in index and label.upper() != label:
            mapping[i] = index[label.upper()]
    return mapping


def project_probabilities(probs: np.ndarray, mapping: np.ndarray, n_target: int) -> np.ndarray:
    """Sum a model's class probabilities into the classes of another label set.

    Summing (rather than taking the arg-max first) is what merging classes
    means: p('C') + p('c') is the probability of the merged class C.
    """
    out = np.zeros((probs.shape[0], n_target), dtype=np.float64)
    keep = mapping >= 0
    np.add.at(out.T, mapping[keep], probs[:, keep].T)
    return out
