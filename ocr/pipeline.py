"""The document OCR pipeline and its structured result.

A :class:`Predictor` is preprocessing + segmentation + a :class:`Recognizer`;
:func:`read` runs it over images, files, PDFs or directories and returns a
:class:`Document` of pages, lines, words and characters with boxes in the
coordinates of the input image.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from typing import Callable, Iterable, Sequence

import cv2
import numpy as np

from ocr import charsets
from ocr.io import PageImage, expand_inputs, load
from ocr.preprocess import Preprocessed, preprocess, rotation_matrix
from ocr.models import registry
from ocr.recognize import RecognizedChar, Recognizer
from ocr.recognize_lines import LineRecognizer
from ocr.segment import segment

log = logging.getLogger(__name__)

Box = tuple[int, int, int, int]
#: The model ``digits=True`` reads with unless another is named: the line
#: model, which reads touching digits that glyph segmentation cuts wrongly
#: (ORAND-CAR-A CER 16.0% against LeNet's 35.8%, bench/RESULTS.md).
DIGITS_MODEL = "digitline"


@dataclass
class Char:
    """A recognized character: its text, box, confidence (0..1) and top-3 alternatives."""

    text: str
    box: Box
    confidence: float
    alternatives: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class Word:
    chars: list[Char]
    box: Box

    @property
    def text(self) -> str:
        return "".join(c.text for c in self.chars)

    @property
    def confidence(self) -> float:
        """Mean character confidence (0..1)."""
        return float(np.mean([c.confidence for c in self.chars])) if self.chars else 0.0


@dataclass
class Line:
    words: list[Word]
    box: Box
    block: int = 0

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass
class Page:
    """One page: its lines in reading order and what preprocessing found."""

    source: str
    index: int
    width: int
    height: int
    lines: list[Line] = field(default_factory=list)
    angle: float = 0.0          # skew found and corrected, degrees counter-clockwise
    inverted: bool = False      # light ink on a dark background was inverted
    binarization: str = "none"
    blank: bool = False

    @property
    def text(self) -> str:
        return "\n".join(l.text for l in self.lines)

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "lines"}
        out["text"] = self.text
        out["lines"] = [{
            "box": list(l.box), "block": l.block, "text": l.text,
            "words": [{
                "box": list(w.box), "text": w.text, "confidence": round(w.confidence, 4),
                "chars": [{"text": c.text, "box": list(c.box), "confidence": round(c.confidence, 4),
                           "alternatives": [[a, round(p, 4)] for a, p in c.alternatives]}
                          for c in w.chars],
            } for w in l.words],
        } for l in self.lines]
        return out


@dataclass
class Document:
    pages: list[Page] = field(default_factory=list)
    model: str = ""

    @property
    def text(self) -> str:
        """Page texts, each page ended by a newline and separated by form feeds, as Tesseract does."""
        return "\n\f".join(p.text for p in self.pages)

    def to_dict(self) -> dict:
        return {"model": self.model, "pages": [p.to_dict() for p in self.pages]}


def _union(boxes: Iterable[Box]) -> Box:
    b = np.asarray(list(boxes)).reshape(-1, 4)
    return (int(b[:, 0].min()), int(b[:, 1].min()), int(b[:, 2].max()), int(b[:, 3].max()))


class _BoxMapper:
    """Maps boxes from the deskewed frame back to the input image."""

    def __init__(self, pre: Preprocessed) -> None:
        self.h, self.w = pre.input_shape
        self.inverse = None
        if pre.angle:
            m, _ = rotation_matrix(pre.input_shape, -pre.angle)
            self.inverse = cv2.invertAffineTransform(m)

    def __call__(self, box: Box) -> Box:
        if self.inverse is None:
            x0, y0, x1, y1 = box
        else:
            x0_, y0_, x1_, y1_ = box
            pts = np.array([[x0_, y0_, 1], [x1_, y0_, 1], [x0_, y1_, 1], [x1_, y1_, 1]], dtype=np.float64)
            xy = pts @ self.inverse.T
            x0, y0 = np.floor(xy.min(axis=0)).astype(int)
            x1, y1 = np.ceil(xy.max(axis=0)).astype(int)
        w, h = self.w, self.h
        return (min(max(int(x0), 0), w), min(max(int(y0), 0), h),
                min(max(int(x1), 0), w), min(max(int(y1), 0), h))


class Predictor:
    """Preprocessing, segmentation and recognition with one model, reusable across pages."""

    def __init__(self, model: str | os.PathLike | None = None, digits: bool = False,
                 charset: str | None = None, binarization: str = "auto", deskew: bool = True,
                 remove_lines: bool = True, recognizer: Recognizer | LineRecognizer | None = None) -> None:
        if recognizer is None:
            if digits:
                model = model or DIGITS_MODEL
                charset = "".join(c for c in (charset or charsets.DIGITS) if c in charsets.DIGITS) \
                    or charsets.DIGITS
            model = model or "charnet"
            if registry.model_kind(model) == "line":
                recognizer = LineRecognizer(model, charset=charset)
            else:
                recognizer = Recognizer(model, charset=charset)
        self.recognizer = recognizer
        self.binarization = binarization
        self.deskew = deskew
        self.remove_lines = remove_lines

    def read_page(self, page: PageImage) -> Page:
        """OCR one page image."""
        pre = preprocess(page.image, binarization=self.binarization, deskew_pages=self.deskew,
                         remove_lines=self.remove_lines)
        h, w = pre.input_shape
        result = Page(page.source, page.index, int(w), int(h), angle=pre.angle,
                      inverted=pre.inverted, binarization=pre.method, blank=pre.blank)
        if pre.blank:
            log.info("%s page %d: blank", page.source, page.index + 1)
            return result
        layout = segment(pre.binary)
        recognized = self.recognizer.recognize_lines(layout.components, layout.lines)
        to_input = _BoxMapper(pre)
        for line_layout, words in zip(layout.lines, recognized):
            out_words = []
            for chars in words:
                cs = [_char(c, to_input) for c in chars]
                out_words.append(Word(cs, _union(c.box for c in cs)))
            if out_words:
                result.lines.append(Line(out_words, _union(w.box for w in out_words), line_layout.block))
        return result

    def read_pages(self, pages: Sequence[PageImage], jobs: int = 1,
                   on_page: Callable[[Page], None] | None = None) -> list[Page]:
        """OCR several pages, ``jobs`` at a time (threads share the one loaded model)."""
        if jobs <= 1 or len(pages) <= 1:
            out = []
            for p in pages:
                out.append(self.read_page(p))
                if on_page:
                    on_page(out[-1])
            return out
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            out = []
            for result in pool.map(self.read_page, pages):
                out.append(result)
                if on_page:
                    on_page(result)
            return out


def _char(c: RecognizedChar, to_input: _BoxMapper) -> Char:
    return Char(c.text, to_input(c.box), float(c.confidence), [(a, float(p)) for a, p in c.alternatives])


def read(source, model: str | os.PathLike | None = None, digits: bool = False,
         charset: str | None = None, binarization: str = "auto", deskew: bool = True,
         remove_lines: bool = True, jobs: int = 1) -> Document:
    """Read the text of an image, a file (image, multi-page TIFF, PDF), a directory,
    ``"-"`` (stdin), raw bytes, or a list of these.

    Raises :class:`ocr.errors.ImageError` when an input cannot be loaded.
    """
    predictor = Predictor(model, digits=digits, charset=charset, binarization=binarization,
                          deskew=deskew, remove_lines=remove_lines)
    sources = source if isinstance(source, (list, tuple)) else [source]
    pages: list[PageImage] = []
    for item in sources:
        if isinstance(item, (str, os.PathLike)):
            for path in expand_inputs([os.fspath(item)]):
                pages.extend(load(path))
        else:
            pages.extend(load(item))
    return Document(predictor.read_pages(pages, jobs=jobs), model=predictor.recognizer.model_name)
