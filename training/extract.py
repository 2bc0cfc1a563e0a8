"""Glyph folders from pages and their transcripts (``ocr glyphs extract``).

A page goes through the same preprocessing, segmentation and touching-character
splitting as ``ocr read``; each text line's characters are then paired, in
order, with the transcript's line. A line whose character count does not match
is reported and skipped, never guessed: a wrong label teaches the model a
wrong glyph.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ocr.errors import DataError, OcrError
from ocr.io import PageImage, load
from ocr.normalize import to_mnist
from ocr.preprocess import preprocess
from ocr.segment import segment, without_split_off
from training.datasets.textfiles import read_transcript, transcript_for

log = logging.getLogger(__name__)


@dataclass
class LineReport:
    """How one transcript line fared."""

    source: str
    line: int  # 1-based transcript line number
    expected: int
    found: int
    written: int


@dataclass
class ExtractReport:
    """What :func:`extract_glyphs` wrote and skipped."""

    written: int = 0
    lines: list[LineReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> list[LineReport]:
        return [line for line in self.lines if line.written == 0]


def folder_name(label: str) -> str:
    """A safe folder name for a label: ASCII letters and digits as is, else ``U+XXXX``."""
    return label if label.isascii() and label.isalnum() else f"U+{ord(label):04X}"


def page_glyphs(page: PageImage, recognizer) -> list[list[np.ndarray]]:
    """The 28x28 glyphs of each text line, segmented exactly as ``ocr read`` does."""
    pre = preprocess(page.image)
    if pre.blank:
        return []
    layout = without_split_off(segment(pre.binary))  # a line's stray pieces are no line of the transcript
    lines = recognizer.recognize_lines(layout.components, layout.lines)
    out = []
    for words in lines:
        glyphs = []
        for chars in words:
            for char in chars:
                x0, y0, x1, y1 = char.box
                glyphs.append(to_mnist(pre.binary[y0:y1, x0:x1]))
        out.append(glyphs)
    return out


def extract_glyphs(image: str | os.PathLike | np.ndarray, transcript: list[str], out: str | os.PathLike,
                   recognizer, name: str | None = None) -> ExtractReport:
    """Write the glyphs of one page (or line image) to ``out/<label>/``.

    ``transcript`` holds the page's text lines in reading order; spaces are
    ignored, since words are separated by gaps, not glyphs.
    """
    from PIL import Image

    report = ExtractReport()
    pages = load(image, name=name) if isinstance(image, np.ndarray) else load(image)
    source = pages[0].source
    stem = Path(source).name.split(".")[0] if name is None else name
    text_lines = [line for line in transcript if line.strip()]
    found_lines = [g for page in pages for g in page_glyphs(page, recognizer)]
    if len(found_lines) != len(text_lines):
        if len(text_lines) == 1:
            # A line image may fall apart into several "lines" (a stray mark); read it as one.
            found_lines = [[g for line in found_lines for g in line]]
        else:
            report.problems.append(f"{source}: found {len(found_lines)} text lines, "
                                   f"the transcript has {len(text_lines)}; page skipped")
            return report
    root = Path(out)
    for number, (text, glyphs) in enumerate(zip(text_lines, found_lines), start=1):
        chars = [c for c in text if not c.isspace()]
        written = 0
        if len(chars) == len(glyphs):
            for k, (char, glyph) in enumerate(zip(chars, glyphs)):
                folder = root / folder_name(char)
                folder.mkdir(parents=True, exist_ok=True)
                Image.fromarray(glyph).save(folder / f"{stem}-l{number:03d}-c{k:03d}.png")
            written = len(chars)
        else:
            log.warning("%s line %d: %d characters in the transcript, %d segmented; skipped",
                        source, number, len(chars), len(glyphs))
        report.lines.append(LineReport(source, number, len(chars), len(glyphs), written))
        report.written += written
    return report


def extract_many(images: list[str], out: str | os.PathLike, model: str = "charnet",
                 text: str | None = None) -> ExtractReport:
    """Extract every image with its transcript (``--text`` or the ``.gt.txt`` beside it)."""
    from ocr.recognize import Recognizer

    if text is not None and len(images) != 1:
        raise DataError("one transcript goes with a single page; for many, put NAME.gt.txt beside each image")
    recognizer = Recognizer.load(model)
    total = ExtractReport()
    for image in images:
        gt = Path(text) if text is not None else transcript_for(image)
        if not gt.is_file():
            total.problems.append(f"{image}: transcript {gt} not found")
            continue
        try:
            part = extract_glyphs(image, read_transcript(gt), out, recognizer)
        except OcrError as exc:  # one bad page must not stop the others
            total.problems.append(str(exc))
            continue
        total.written += part.written
        total.lines.extend(part.lines)
        total.problems.extend(part.problems)
    return total
