"""Real scanned documents: the page sets and FUNSD's forms, their fixed split, and FUNSD's lines.

- ``pages/oldbooks`` (1-bit 300 dpi book scans), ``pages/docbank`` (two-column
  arXiv pages), ``pages/omnidocbench`` (modern pages): ``<stem>.png|jpg`` with
  ``<stem>.gt.txt``;
- ``funsd`` (noisy forms, ~100 dpi faxes and photocopies): ``images/<id>.png``
  with ``annotations/<id>.json`` (entities of words with boxes).

Every document is ``dev`` or ``test`` by the SHA-1 of its file name (about a
quarter ``test``, :func:`document_split`), fixed once: tune on ``dev``,
report on ``test``. They judge; the shipped models are not trained on them.

There are no real single-line images in the data, so :func:`form_lines`
cuts them out of FUNSD: each entity's words grouped into lines.
:func:`flatten` is the normalisation every figure on these sets is measured
after (the real-print issue's metric).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ocr.errors import DataError
from training.datasets.registry import DATASETS, FUNSD

PAGE_SETS = ("oldbooks", "docbank", "omnidocbench")
ALL_SETS = (*PAGE_SETS, "funsd")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
DOCUMENT_SPLITS = ("dev", "test", "all")
#: Share of documents in the test split (by SHA-1 of the file name).
TEST_SHARE = 0.25
#: Line crops: lengths kept (flattened characters), margin around the words (share of the line height).
MIN_LINE_CHARS, MAX_LINE_CHARS = 2, 80
LINE_MARGIN = 0.25


def _digest(name: str) -> int:
    return int(hashlib.sha1(name.encode("utf-8")).hexdigest(), 16)


def document_split(name: str) -> str:
    """``test`` for about :data:`TEST_SHARE` of file names, else ``dev``; never changes."""
    return "test" if (_digest(name) % 1000) < TEST_SHARE * 1000 else "dev"


_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
                         "\u00ab": '"', "\u00bb": '"',
                         "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
                         "\u2015": "-", "\u2212": "-", "\u00ad": "-"})


def flatten(text: str) -> str:
    """NFKC, curly quotes and dashes to ASCII, a hyphen ending a line joined to the next
    line, all whitespace collapsed to single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = re.sub(r"(?<=\w)-[ \t]*\r?\n\s*", "", text)
    return re.sub(r"\s+", " ", text).strip()


def documents(data_dir: str | Path, name: str, split: str = "all",
              limit: int | None = None) -> list[tuple[Path, Path]]:
    """(image, ground truth) pairs of a set in the split, in SHA-1 order, at most ``limit``."""
    if name not in ALL_SETS:
        raise DataError(f"unknown document set {name!r}; use one of {', '.join(ALL_SETS)}")
    if split not in DOCUMENT_SPLITS:
        raise DataError(f"document sets have no split {split!r}; use one of {', '.join(DOCUMENT_SPLITS)}")
    data_dir = Path(data_dir)
    if name == "funsd":
        folder = DATASETS[FUNSD].require(data_dir)
        pairs = [(img, folder / "annotations" / f"{img.stem}.json")
                 for img in (folder / "images").glob("*.png")]
    else:
        folder = data_dir / "pages" / name
        if not folder.is_dir():
            return []
        pairs = [(img, img.with_name(f"{img.stem}.gt.txt")) for img in folder.iterdir()
                 if img.suffix.lower() in IMAGE_SUFFIXES]
    pairs = [(i, g) for i, g in pairs if g.is_file() and (split == "all" or document_split(i.name) == split)]
    pairs.sort(key=lambda p: _digest(p[0].name))
    return pairs[:limit] if limit else pairs


@dataclass(frozen=True)
class FormLine:
    """One annotated line of a FUNSD form: its words' text (flattened) and their union box."""

    form: str
    text: str
    box: tuple[int, int, int, int]


def form_lines(annotation: str | Path) -> list[FormLine]:
    """The single-line pieces of a form's entities.

    Each entity's words are grouped into lines (a word overlapping the line's
    median top and bottom by 60% of the shorter height joins it); a line whose
    union is taller than 1.5 word heights spans two text lines and is dropped,
    and only lines of :data:`MIN_LINE_CHARS` to :data:`MAX_LINE_CHARS`
    characters with a letter or digit are kept.
    """
    annotation = Path(annotation)
    out = []
    for entity in json.loads(annotation.read_text(encoding="utf-8"))["form"]:
        words = sorted((w for w in entity["words"] if w["text"].strip()),
                       key=lambda w: (w["box"][1] + w["box"][3]) / 2)
        rows: list[list[dict]] = []
        for w in words:
            y0, y1 = w["box"][1], w["box"][3]
            if rows:
                ly0 = np.median([v["box"][1] for v in rows[-1]])
                ly1 = np.median([v["box"][3] for v in rows[-1]])
                if min(y1, ly1) - max(y0, ly0) >= 0.6 * min(y1 - y0, ly1 - ly0):
                    rows[-1].append(w)
                    continue
            rows.append([w])
        for row in rows:
            row.sort(key=lambda w: w["box"][0])
            text = flatten(" ".join(w["text"] for w in row))
            if not (MIN_LINE_CHARS <= len(text) <= MAX_LINE_CHARS) or not any(c.isalnum() for c in text):
                continue
            x0, y0 = min(w["box"][0] for w in row), min(w["box"][1] for w in row)
            x1, y1 = max(w["box"][2] for w in row), max(w["box"][3] for w in row)
            if y1 - y0 > 1.5 * np.median([w["box"][3] - w["box"][1] for w in row]):
                continue
            out.append(FormLine(annotation.stem, text, (x0, y0, x1, y1)))
    return out


def line_crop(image: np.ndarray, line: FormLine) -> np.ndarray:
    """The line cut from its form with a margin of :data:`LINE_MARGIN` of its height (at least
    2 px): as a user would crop a field, with pieces of the neighbouring lines in it."""
    return box_crop(image, line.box)


def box_crop(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """A line's box (x0, y0, x1, y1) cut from its page with :func:`line_crop`'s margin."""
    x0, y0, x1, y1 = box
    m = max(2, int((y1 - y0) * LINE_MARGIN))
    return image[max(0, y0 - m):y1 + m, max(0, x0 - m):x1 + m]
