"""Real handwritten text lines: the Testaments de Poilus cursive (``lines.tsv`` + line images).

One will is one hand, so the split is by writer (the table's ``writer``
column): a writer's SHA-1 decides once and for all whether all of their lines
are ``train``, ``val`` or ``test`` (:func:`writer_split`), so no test writer's
hand is ever seen in training or model selection. The transcriptions are
normalised as the handwriting issue asks (:func:`normalize_transcript`):
typographic apostrophe, long s and non-breaking space to their plain forms;
accents and ``°`` kept.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from ocr.errors import DataError
from training.datasets.registry import DATASETS, TESTAMENTS
from training.datasets.textfiles import read_utf8

#: Splits of a writer-split line set; ``all`` is every line.
HANDWRITING_SPLITS = ("train", "val", "test", "all")
#: SHA-1 of the writer id mod 1000 below the first bound: test; below the second: validation.
TEST_SHARE, VAL_SHARE = 100, 200

_REPLACEMENTS = str.maketrans({"\u2019": "'", "\u2018": "'", "\u017f": "s", "\u00a0": " ",
                               "\u202f": " "})


def normalize_transcript(text: str) -> str:
    """Ground truth as it is trained and scored: ’ → ', ſ → s, non-breaking spaces → space,
    runs of whitespace collapsed; everything else (accents, °) as written."""
    return " ".join(text.translate(_REPLACEMENTS).split())


def writer_split(writer: str) -> str:
    """``train``, ``val`` or ``test`` for a writer id, fixed by its SHA-1 (about 10% / 10% / 80%)."""
    bucket = int(hashlib.sha1(writer.encode("utf-8")).hexdigest(), 16) % 1000
    return "test" if bucket < TEST_SHARE else "val" if bucket < VAL_SHARE else "train"


@dataclass(frozen=True)
class HandwrittenLine:
    """One line image with its writer and normalised transcription."""

    path: Path
    writer: str
    text: str
    page: str = ""  # the page of the will the line was cut from


def handwriting_folder(data_dir: str | os.PathLike | None = None) -> Path:
    """The Testaments de Poilus folder (the one holding ``lines.tsv``)."""
    return DATASETS[TESTAMENTS].require(data_dir)


def handwritten_lines(data_dir: str | os.PathLike | None = None, split: str = "all") -> list[HandwrittenLine]:
    """The lines of ``split`` (one of :data:`HANDWRITING_SPLITS`), in the table's order."""
    if split not in HANDWRITING_SPLITS:
        raise DataError(f"{TESTAMENTS} has no split {split!r}; use one of {', '.join(HANDWRITING_SPLITS)}")
    table = handwriting_folder(data_dir) / "lines.tsv"
    rows = [line.split("\t") for line in read_utf8(table).splitlines()[1:] if line.strip()]
    bad = [r for r in rows if len(r) < 4]
    if bad:
        raise DataError(f"{table}: {len(bad)} rows lack the columns image, writer, page, text")
    lines = [HandwrittenLine(table.parent / r[0], r[1], normalize_transcript(r[3]), r[2]) for r in rows]
    lines = [ln for ln in lines if ln.text and (split == "all" or writer_split(ln.writer) == split)]
    missing = [ln.path for ln in lines if not ln.path.is_file()]
    if missing:
        raise DataError(f"{table}: {len(missing)} listed images are missing, e.g. {missing[0]}")
    if not lines:
        raise DataError(f"{table}: no lines for the {split} split")
    return lines
