"""The document OCR pipeline and its structured result.

A :class:`Predictor` is preprocessing + segmentation + a :class:`Recognizer`;
:func:`read` runs it over images, files, PDFs or directories and returns a
:class:`Document` of pages, lines, words and characters with boxes in the
coordinates of the input image.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Callable, Iterable, Iterator

import cv2
import numpy as np

from ocr import charsets
from ocr.checkbox import CHECK_BOXES, with_check_boxes
from ocr.document import (Block, Box, Char, Document, Failure, Glyph, Line, Page, Paragraph,  # noqa: F401
                          Word, centre_in, nest_in_tables, text_blocks, union)
from ocr.errors import ImageError, OcrError
from ocr.io import PageImage, expand_inputs, from_pil, is_pil_image, load
from ocr.ink import text_height
from ocr.layout import MIN_PAGE_SIDE, Region, analyse_layout
from ocr.normalize import LineMetrics, line_metrics
from ocr.preprocess import LINE_MIN_SKEW, MIN_SKEW, Preprocessed, is_bilevel, preprocess, rotation_matrix
from ocr.models import get_kind, read_card
from ocr.orientation import runs_down, sideways_lines, to_input_points, turn_upright
from ocr.postprocess import RecognizedChar, Words, apply_steps, plain_letters_where_accents_are_rare
from ocr.recognize import LineReader
from ocr.recognize_mixed import (CURSIVE_MODEL, HAND_MODEL, PRINT_MODEL, MixedRecognizer, char_count,
                                 mean_confidence)
from ocr.segment import (Layout, LineLayout, as_one_block, as_one_line, as_one_word, chained_lines, is_line_crop,
                         is_line_image, main_line, segment, without_split_off)

log = logging.getLogger(__name__)

#: The model ``digits=True`` reads with unless another is named: the line
#: model, which reads touching digits that glyph segmentation cuts wrongly
#: (ORAND-CAR-A CER 16.0% against LeNet's 35.8%, bench/RESULTS.md).
DIGITS_MODEL = "digitline"
#: The model used when none is named: the print line model, with lines it is
#: unsure of read again by the handwriting glyph model (ocr/recognize_mixed.py).
AUTO_MODEL = "auto"
#: Page modes (like Tesseract's ``--psm``): ``auto`` finds regions, blocks and lines;
#: ``block`` reads the page as one block of text, lines top to bottom, no columns
#: (``--psm 6``); ``line`` reads the whole image as one line (a field, a line
#: image, a cursive line; ``--psm 7``); ``word`` as one word (``--psm 8``).
LAYOUT_MODES = ("auto", "block", "line", "word")
#: Pages are decoded and analysed ahead of recognition while the pages in
#: flight hold at most this many pixels (at least one page is always taken):
#: with the memory budget of one page (:data:`ocr.preprocess.MAX_WORK_PIXELS`)
#: this bounds the memory of ``--jobs`` and of read-ahead together.
AHEAD_PIXELS = 40_000_000


def _malloc_trim() -> Callable[[], None]:
    """glibc's ``malloc_trim(0)``, or a no-op elsewhere."""
    try:
        import ctypes

        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return lambda: None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int

    def release() -> None:
        trim(0)

    return release


#: Hands the heap's free pages back to the system, after each page's analysis.
#: A page's whole-page arrays (a few MiB each) come and go by the dozen, and
#: glibc keeps much of what they freed (once its mmap threshold has grown to
#: their size, its trim threshold is twice that): without this, recognition
#: started on top of 50-90 MiB of free heap (bench/speed.py's dense page:
#: 242 -> 232 MiB peak; an oldbooks page, 321 -> 292 MiB).
release_free_memory = _malloc_trim()


def _union(boxes: Iterable[Box]) -> Box:
    return union(boxes)


class _BoxMapper:
    """Maps boxes from the upright, deskewed frame back to the input image."""

    def __init__(self, pre: Preprocessed) -> None:
        self.h, self.w = pre.input_shape
        work = pre.work_shape or pre.input_shape  # a page over the memory budget was scaled down
        self.work = work
        self.scale = None if work == pre.input_shape else \
            np.array([self.w / work[1], self.h / work[0]] * 2, dtype=np.float64)
        self.orientation = pre.orientation
        upright = work if pre.orientation in (0, 180) else (work[1], work[0])
        self.inverse = None
        if pre.angle:
            m, _ = rotation_matrix(upright, -pre.angle)
            self.inverse = cv2.invertAffineTransform(m)

    def _to_work(self, xy: np.ndarray) -> np.ndarray:
        """(..., 2) points of the upright, deskewed frame in the (scaled) input's frame."""
        if self.inverse is not None:
            xy = np.concatenate([xy, np.ones(xy.shape[:-1] + (1,))], axis=-1) @ self.inverse.T
        if self.orientation:
            xy = to_input_points(xy.reshape(-1, 2), self.orientation, self.work).reshape(xy.shape)
        return xy

    def many(self, boxes: np.ndarray) -> np.ndarray:
        """Map (N, 4) boxes at once: the bounding box of each mapped rectangle, clipped to the input."""
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        if self.inverse is not None or self.orientation:
            x0, y0, x1, y1 = boxes.T
            corners = np.stack([np.stack([x, y], axis=1) for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1))],
                               axis=1)
            xy = self._to_work(corners)  # (N, 4 corners, 2)
            boxes = np.concatenate([np.floor(xy.min(axis=1)), np.ceil(xy.max(axis=1))], axis=1)
        if self.scale is not None:
            boxes = boxes * self.scale
            boxes = np.concatenate([np.floor(boxes[:, :2]), np.ceil(boxes[:, 2:])], axis=1)
        limits = np.array([self.w, self.h, self.w, self.h], dtype=np.float64)
        return np.clip(boxes, 0, limits).astype(np.int64)

    def points(self, xy: np.ndarray) -> np.ndarray:
        """Map (N, 2) points, rounded and clipped to the input."""
        xy = self._to_work(np.asarray(xy, dtype=np.float64).reshape(-1, 2))
        if self.scale is not None:
            xy = xy * self.scale[:2]
        return np.clip(np.rint(xy), 0, [self.w - 1, self.h - 1]).astype(np.int64)


@dataclass
class Analysis:
    """A page after preprocessing and segmentation, ready for recognition."""

    page: PageImage
    pre: Preprocessed
    layout: Layout | None  # None for a blank page
    regions: list[Region] = field(default_factory=list)  # non-text regions set aside (ocr.layout)
    #: Columns that may hold a line printed a quarter turn from the page's text
    #: (:func:`ocr.orientation.sideways_lines`), in the frame of ``pre.binary``.
    sideways: list[Box] = field(default_factory=list)
    #: A line crop segmented as several lines that the geometry did not join, as one line:
    #: :meth:`Predictor.recognize` reads it too and keeps the surer reading.
    one_line: Layout | None = None


#: A line image read turned a quarter keeps that reading when its mean confidence is higher by this ...
TURNED_MARGIN = 0.1
#: ... and a column of a page (:meth:`Predictor._read_turned`) too, or, read turned this
#: surely, when it is surer at all: digits on their side read as digits ("0650:3626" at
#: 0.92 for "89817999" at 0.97).
SURE_TURNED = 0.95
#: Pixels of margin around a column read turned.
TURNED_PAD = 2
#: A column read turned is kept only when it reads this many characters at least (a form's
#: document number has 6 to 10; a column of two or three letters is likelier a table's).
MIN_TURNED_CHARS = 4

#: On a crop of one line (under MIN_PAGE_SIDE rows, :func:`ocr.segment.is_line_crop`) where
#: several lines were found, a line read with a mean confidence under this share of the
#: surest line's is a piece of a line the crop cut through, a row of marks or an underline,
#: and is left out (:func:`without_unsure_pieces`). Chosen on the Testaments validation
#: writers and 500 training-writer lines (bench/RESULTS.md, handwriting session 34).
PIECE_CONFIDENCE_SHARE = 0.6
#: ... of the surest line read as at least this many characters, where there is one.
PIECE_REFERENCE_CHARS = 3


def without_unsure_pieces(recognized: list[Words], share: float = PIECE_CONFIDENCE_SHARE,
                          main: int | None = None) -> list[Words]:
    """The lines read on a line crop, those read under ``share`` of the surest line's mean
    confidence emptied (the caller decides that the image is a crop of one line), but for
    line ``main``, the one holding the most ink (:func:`ocr.segment.main_line`).

    Why: a cursive line's crop holds descenders of the line above, a flourish or an
    underline that the segmenter leaves on lines of their own when they are too big for
    marks; each was read as a line of its own ("Bordeaux 12 Août 14" then "P Marg",
    "leur donnant l'instruction" after "en"), at a third of the line's confidence. A piece
    cut off a neighbour holds less ink than the line the crop was made for: a small note
    taken for a crop lost its first line, the unsure capitals that held the most ink."""
    if len(recognized) < 2:
        return recognized
    # Measured against lines of a word's length: the glyph model is sure of a descender's hook
    # as "0" (0.98), and the line itself, read cursive at 0.54, was left out for it
    # (Testaments validation "vie commune").
    worded = [words for words in recognized if char_count(words) >= PIECE_REFERENCE_CHARS]
    surest = max(mean_confidence(words) for words in (worded or recognized))
    return [words if k == main or mean_confidence(words) >= share * surest else []
            for k, words in enumerate(recognized)]


def is_line_crop_image(pre: Preprocessed, layout: Layout) -> bool:
    """Whether an image is a crop of one line, with whatever of its neighbours the crop cut
    through: under :data:`MIN_PAGE_SIDE` rows as given (before small text is enlarged) and
    :func:`ocr.segment.is_line_crop`."""
    return pre.input_shape[0] < MIN_PAGE_SIDE and is_line_crop(layout)


#: A line crop read as several lines is read as one line instead when that reading's mean
#: confidence is at most this much below theirs (:func:`surer_as_one_line`; chosen on 800
#: Testaments training-writer lines, bench/RESULTS.md handwriting session 39) ...
ONE_LINE_MARGIN = 0.05
#: ... and it holds at least this share of the ink (by component area) of the lines read.
ONE_LINE_INK = 0.9


def surer_as_one_line(several: Layout, several_read: list[Words], one: Layout, one_read: list[Words],
                      margin: float = ONE_LINE_MARGIN, ink: float = ONE_LINE_INK) -> bool:
    """Whether a line crop's reading as one line (``one``, :func:`ocr.segment.as_one_line`) is
    kept over its reading as several lines (``several``, read after
    :func:`without_unsure_pieces`): it is as sure of its characters, within ``margin``, and
    holds ``ink`` of the ink of the lines read (one line leaves out whole lines against the
    crop's edge, which may be text).

    Why: the geometry (:func:`ocr.segment.is_one_line`) cannot join every line that drifts,
    whose first word rises, whose long comma or detached descenders hang under its core, or
    that faint ink left in crumbs; read as several lines, each piece is read alone, badly and
    unsurely ("Paris" read "J." and "A Dus" at 0.37, as one line at 0.98). A crop that holds
    two lines is read as one line far less surely."""
    chars = [c.confidence for words in several_read for word in words for c in word]
    if not chars or not one_read or not char_count(one_read[0]):
        return False
    areas = several.components.areas
    read_parts = {i for line, words in zip(several.lines, several_read) if words for g in line.glyphs for i in g.parts}
    one_parts = {i for line in one.lines for g in line.glyphs for i in g.parts}
    read_ink = float(sum(areas[i] for i in read_parts))
    kept_ink = float(sum(areas[i] for i in read_parts & one_parts))
    several_confidence, one_confidence = sum(chars) / len(chars), mean_confidence(one_read[0])
    log.debug("line crop: %.3f as several lines, %.3f as one holding %.2f of their ink", several_confidence,
              one_confidence, kept_ink / max(read_ink, 1.0))
    return one_confidence >= several_confidence - margin and kept_ink >= ink * read_ink


def _turned_back(box: Box, turn: int, shape: tuple[int, int], offset: tuple[int, int]) -> Box:
    """A box of a crop turned upright by ``turn`` (:func:`ocr.orientation.turn_upright`) in the
    frame the crop, of ``shape``, was taken from at ``offset``."""
    x0, y0, x1, y1 = box
    xy = to_input_points(np.array([[x0, y0], [x1, y1]], dtype=np.float64), turn, shape)
    (a, b), (c, d) = xy.min(axis=0), xy.max(axis=0)
    return (int(a) + offset[0], int(b) + offset[1], int(c) + offset[0], int(d) + offset[1])


def check_layout_mode(layout: str) -> None:
    """An unknown page mode is the caller's mistake, said before any page is read."""
    if layout not in LAYOUT_MODES:
        raise OcrError(f"unknown layout mode {layout!r}; use one of {', '.join(LAYOUT_MODES)}")


def analyse_page(page: PageImage, binarization: str = "auto", deskew: bool = True,
                 remove_lines: bool = True, layout: str = "auto", turn: int | None = None,
                 min_skew: float | None = None) -> Analysis:
    """Preprocess and segment one page, as ``ocr read`` does before recognition.

    ``layout`` is one of :data:`LAYOUT_MODES`: ``auto`` finds non-text regions,
    blocks and lines; ``block`` keeps the regions and lines but reads them as
    one block, top to bottom; ``line`` reads the whole image as one text line,
    ``word`` as one word. ``turn`` turns the page upright by that many degrees instead of
    detecting how its text lies (:func:`ocr.preprocess.preprocess`). A skew under ``min_skew``
    degrees is left as it is (default: :data:`ocr.preprocess.LINE_MIN_SKEW` for a line, else
    :data:`ocr.preprocess.MIN_SKEW`); so is a line image's under ``LINE_MIN_SKEW``.
    """
    check_layout_mode(layout)
    if min_skew is None:
        min_skew = LINE_MIN_SKEW if layout == "line" else MIN_SKEW
    pre = preprocess(page.image, binarization=binarization, deskew_pages=deskew, remove_lines=remove_lines,
                     turn=turn, min_skew=min_skew)
    if pre.blank:
        return Analysis(page, pre, None)
    try:
        if layout == "line":
            return Analysis(page, pre, as_one_line(segment(pre.binary)))
        if layout == "word":
            return Analysis(page, pre, as_one_word(segment(pre.binary)))
        # Non-text regions set aside before segmentation; light type on their dark ground kept.
        found = analyse_layout(pre.binary, frames=pre.frames, gray=None if is_bilevel(pre.gray) else pre.gray)
        found.regions += [Region("table", box) for box in pre.tables]  # grids taken off as rules
        lines = segment(found.text, tables=found.tables)
        if not found.regions and layout == "auto" and is_line_image(lines):
            if 0 < abs(pre.angle) < LINE_MIN_SKEW:  # one line's small skew estimate: noise
                return analyse_page(page, binarization, deskew, remove_lines, layout, pre.orientation,
                                    LINE_MIN_SKEW)
            return Analysis(page, pre, as_one_line(lines))  # a line image: its drifting end, its cut neighbours
        several_lines_crop = (not found.regions and layout == "auto" and len(chained_lines(lines)) >= 2
                              and is_line_crop_image(pre, lines))
        one_line = as_one_line(lines) if several_lines_crop else None
        lines = without_split_off(lines)
        if layout == "block":
            lines = as_one_block(lines)
        # The ink mask's own text height, not found.char_height: analyse_layout leaves that 0 on
        # an image under MIN_PAGE_SIDE (a line crop), and counts the pieces a crop cut through.
        return Analysis(page, pre, lines, found.regions, [
            box for box in sideways_lines(pre.binary, text_height(pre.binary))
            if not any(r.kind == "image" and centre_in(box, r.box) for r in found.regions)], one_line)
    except ImageError as exc:
        where = page.source if page.index == 0 else f"{page.source} page {page.index + 1}"
        raise ImageError(f"{where}: {exc}") from None
    finally:
        release_free_memory()


def models_needed(model: str | os.PathLike | None = None, digits: bool = False) -> list[str]:
    """The models a :class:`Predictor` with these options reads with (``auto`` is a pair)."""
    model = model or (DIGITS_MODEL if digits else AUTO_MODEL)
    if str(model) == AUTO_MODEL:
        return [PRINT_MODEL, HAND_MODEL] + ([CURSIVE_MODEL] if CURSIVE_MODEL else [])
    return [str(model)]


class Predictor:
    """Preprocessing, segmentation and recognition with one model, reusable across pages.

    The model loads in a background thread (importing Keras takes seconds),
    so pages are decoded, preprocessed and segmented meanwhile; an unknown
    model name or a missing file is still reported at once.
    """

    def __init__(self, model: str | os.PathLike | None = None, digits: bool = False,
                 charset: str | None = None, binarization: str = "auto", deskew: bool = True,
                 remove_lines: bool = True, recognizer: LineReader | None = None,
                 layout: str = "auto", language_model: bool = True) -> None:
        check_layout_mode(layout)
        self._loading: Future | None = None
        self._recognizer = recognizer
        if recognizer is None:
            if digits:
                model = model or DIGITS_MODEL
                if charset is not None:
                    # --digits reads digits only: a --charset narrows them further.
                    kept = "".join(c for c in dict.fromkeys(charset) if c in charsets.DIGITS)
                    if not kept:
                        raise OcrError(f"--charset {charset!r} has no digit, and --digits outputs digits "
                                       "only; give digits in --charset, or drop --digits")
                    charset = kept
                else:
                    charset = charsets.DIGITS
            model = model or AUTO_MODEL
            if str(model) == AUTO_MODEL:
                make = MixedRecognizer.load
            else:
                # The card is read now, so unknown names, missing files and
                # models that do not read text fail at once, not in the loader thread.
                card = read_card(model)
                make = partial(get_kind(card.kind, str(model)).reader().load, model)
            loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ocr-model")
            self._loading = loader.submit(make, charset=charset, language_model=language_model)
            loader.shutdown(wait=False)
        #: Whether check boxes are read (:mod:`ocr.checkbox`): not when the output is held to
        #: digits or to a whitelist without them.
        self.check_boxes = not digits and (charset is None or any(c in charset for c in CHECK_BOXES))
        self.binarization = binarization
        self.deskew = deskew
        self.remove_lines = remove_lines
        self.layout = layout

    @property
    def recognizer(self) -> LineReader:
        """The recognizer, waiting for the model to finish loading (its errors are raised here)."""
        if self._recognizer is None:
            assert self._loading is not None
            self._recognizer = self._loading.result()
        return self._recognizer

    def analyse(self, page: PageImage, turn: int | None = None) -> Analysis:
        """Preprocess and segment one page (no model needed); ``turn`` as :func:`analyse_page`."""
        return analyse_page(page, self.binarization, self.deskew, self.remove_lines, self.layout, turn)

    def recognize(self, analysis: Analysis) -> Page:
        """Recognize the lines of an analysed page and build its result tree in input-image pixels.

        A line image (``layout="line"``) whose glyphs stand one below the other
        (:func:`ocr.orientation.runs_down`: a number printed up a form's margin)
        is also read turned a quarter each way, and the surer of the two is kept
        when it is surer than the image as it lies by :data:`TURNED_MARGIN` in
        mean confidence: no cue of the ink tells which way a column of digits
        is turned. On a page, such columns (``analysis.sideways``) are read so too
        (:meth:`_recognized`).
        """
        result = self._recognized(analysis)
        if (self.layout == "line" and analysis.layout is not None and analysis.pre.orientation == 0
                and runs_down(analysis.pre.binary)):
            turned = max((self._recognized(self.analyse(analysis.page, turn)) for turn in (90, 270)),
                         key=lambda page: page.confidence)
            if turned.confidence > result.confidence + TURNED_MARGIN:
                result = turned
        return result

    def _read_turned(self, binary: np.ndarray, box: Box) -> tuple[float, Words]:
        """A column of ``binary`` read as one line turned a quarter each way: the surer reading's
        mean confidence and its words, with boxes in the frame of ``binary``."""
        x0, y0, x1, y1 = box
        x0, y0 = max(0, x0 - TURNED_PAD), max(0, y0 - TURNED_PAD)
        column = binary[y0:y1 + TURNED_PAD, x0:x1 + TURNED_PAD]
        best: tuple[float, Words] = (0.0, [])
        for turn in (90, 270):
            seg = as_one_line(segment(turn_upright(column, turn)))
            words = apply_steps(self.recognizer.recognize_lines(seg.components, seg.lines)[0]) if seg.lines else []
            chars = [c for w in words for c in w]
            confidence = float(np.mean([c.confidence for c in chars])) if chars else 0.0
            if confidence > best[0]:
                best = (confidence, [[replace(c, box=_turned_back(c.box, turn, column.shape, (x0, y0)))
                                      for c in w] for w in words])
        return best

    def _read_lines(self, layout: Layout) -> list[Words]:
        """The words of each line of a layout, post-processed, check boxes marked."""
        recognized = plain_letters_where_accents_are_rare(
            [apply_steps(words) for words in self.recognizer.recognize_lines(layout.components, layout.lines)])
        if self.check_boxes:
            recognized = [with_check_boxes(layout.components, line, words)
                          for line, words in zip(layout.lines, recognized)]
        return recognized

    def _recognized(self, analysis: Analysis) -> Page:
        """The result tree of one analysis, as :meth:`recognize` describes it.

        Lines are grouped into text blocks by the segmenter's block index, one
        paragraph per block (the layout stage will refine both); a column read
        turned (:meth:`_read_turned`) is a block of its own after them. Each line
        gets a straight baseline and its x-height from the segmenter's glyph
        boxes (:func:`ocr.normalize.line_metrics`), mapped back like the boxes.
        """
        page, pre = analysis.page, analysis.pre
        h, w = pre.input_shape
        result = Page(page.source, page.index, int(w), int(h), dpi=page.dpi, angle=pre.angle,
                      orientation=pre.orientation,
                      inverted=pre.inverted, binarization=pre.method, blank=pre.blank)
        if analysis.layout is None:
            log.info("%s page %d: blank", page.source, page.index + 1)
            return result
        layout = analysis.layout
        recognized = self._read_lines(layout)
        if self.layout == "auto" and is_line_crop_image(pre, layout):
            main = main_line(layout)
            recognized = without_unsure_pieces(recognized, main=next(
                (k for k, line in enumerate(layout.lines) if line is main), None))
        if analysis.one_line is not None:  # only auto layout analyses a line crop both ways
            one = self._read_lines(analysis.one_line)
            if surer_as_one_line(layout, recognized, analysis.one_line, one):
                log.debug("%s page %d: a line crop read as one line", page.source, page.index + 1)
                layout, recognized = analysis.one_line, one
        # Columns that may hold a line printed sideways: read turned, that reading replaces
        # what was read of the column's ink as it lies (the characters centred in it, of
        # whatever lines the segmenter chained them into) when it is surer by TURNED_MARGIN,
        # or surer and SURE_TURNED.
        turned: list[Words] = []
        for box in analysis.sideways:
            upright = [c.confidence for words in recognized for w in words for c in w if centre_in(c.box, box)]
            confidence, words = self._read_turned(pre.binary, box)
            read = sum(len(c.text.strip()) for w in words for c in w)
            as_it_lies = float(np.mean(upright)) if upright else 0.0
            if read >= MIN_TURNED_CHARS and (confidence > as_it_lies + TURNED_MARGIN
                                             or confidence >= SURE_TURNED > as_it_lies):
                log.info("%s page %d: a line printed sideways at %s", page.source, page.index + 1, box)
                recognized = [[kept for kept in ([c for c in w if not centre_in(c.box, box)] for w in line_words)
                               if kept] for line_words in recognized]
                turned.append(words)
        mapper = _BoxMapper(pre)
        flat = [c for words in recognized for chars in words for c in chars]
        boxes = iter(mapper.many(np.array([c.box for c in flat])).tolist()) if flat else iter(())
        lines: list[Line] = []
        block_ids: list[int] = []
        for line_layout, words in zip(layout.lines, recognized):
            out_words = []
            for chars in words:
                cs = [_char(c, tuple(next(boxes))) for c in chars]
                out_words.append(Word(cs, _union(c.box for c in cs)))
            if out_words:
                lines.append(_line(out_words, line_layout, mapper))
                block_ids.append(line_layout.block)
        last_block = max(block_ids, default=0)
        for words in turned:  # a block each, after the page's text (no baseline: it runs down)
            mapped = [[_char(c, tuple(b)) for c, b in zip(w, mapper.many(np.array([c.box for c in w])).tolist())]
                      for w in words]
            out_words = [Word(cs, _union(c.box for c in cs)) for cs in mapped]
            lines.append(Line(out_words, _union(w.box for w in out_words)))
            last_block += 1
            block_ids.append(last_block)
        result.blocks = text_blocks(lines, block_ids)
        if analysis.regions:
            mapped = [tuple(b) for b in mapper.many(np.array([r.box for r in analysis.regions])).tolist()]
            # A table holds the text read inside it; the other regions come after the text
            # (their place in the reading order is not known yet).
            result.blocks = nest_in_tables(result.blocks, [b for r, b in zip(analysis.regions, mapped)
                                                           if r.kind == "table"])
            result.blocks += [Block(b, kind=r.kind) for r, b in zip(analysis.regions, mapped) if r.kind != "table"]
        return result

    def read_page(self, page: PageImage) -> Page:
        """OCR one page image."""
        return self.recognize(self.analyse(page))

    def read_pages(self, pages: Iterable[PageImage], jobs: int = 1,
                   on_page: Callable[[Page], None] | None = None) -> list[Page]:
        """OCR several pages in order (see :meth:`iter_read`)."""
        out: list[Page] = []
        for _, result in self.iter_read(pages, jobs):
            out.append(result)
            if on_page:
                on_page(result)
        return out

    def iter_read(self, pages: Iterable[PageImage], jobs: int = 1,
                  on_error: Callable[[PageImage, OcrError], None] | None = None,
                  ) -> Iterator[tuple[PageImage, Page]]:
        """OCR pages in order, yielding each (page image, result) as soon as it is read.

        ``pages`` may be a lazy iterable: only a few pages are taken from it
        ahead of recognition, so a long batch never sits in memory at once.
        ``jobs`` threads preprocess and segment those pages while recognition
        runs in the calling thread (the model's own ops use every core), so
        the two stages overlap. Pages are taken ahead only while the pages
        in flight hold at most :data:`AHEAD_PIXELS` (always at least one), so
        a batch of huge pages is read one at a time.

        A page that cannot be read (:class:`OcrError`, e.g. too many
        components) is passed to ``on_error`` and skipped when it is given,
        else raised.
        """
        ahead = 2 * max(jobs, 1) + 2
        with ThreadPoolExecutor(max_workers=max(jobs, 1), thread_name_prefix="ocr-page") as pool:
            pending: deque[tuple[PageImage, Future]] = deque()
            queued = iter(pages)
            in_flight = 0

            def take() -> bool:
                nonlocal in_flight
                if len(pending) >= ahead or (pending and in_flight >= AHEAD_PIXELS):
                    return False
                page = next(queued, None)
                if page is None:
                    return False
                in_flight += page.image.size
                pending.append((page, pool.submit(self.analyse, page)))
                return True

            while take():
                pass
            while pending:
                page, future = pending.popleft()
                try:
                    analysis = future.result()
                except OcrError as exc:
                    if on_error is None:
                        raise
                    on_error(page, exc)
                    analysis = None
                in_flight -= page.image.size
                del page, future
                while take():
                    pass
                if analysis is not None:
                    result = self.recognize(analysis)
                    yield analysis.page, result


def _char(c: RecognizedChar, box: Box) -> Glyph:
    return Glyph(c.text, box, float(c.confidence), [(a, float(p)) for a, p in c.alternatives])


def _line(words: list[Word], layout: LineLayout, mapper: _BoxMapper) -> Line:
    """A line with its baseline (a straight segment across the line, in input pixels) and x-height."""
    x0, _, x1, y1 = layout.box
    glyphs = [g.box for g in layout.glyphs]
    metrics = line_metrics(glyphs) if glyphs else LineMetrics(float(y1), float(y1 - layout.box[1]), None)
    # Box ends are exclusive: the baseline is the last row of ink, as Tesseract counts it.
    y = metrics.baseline - 1
    ends = mapper.points([(x0, y), (x1 - 1, y)]).tolist()
    return Line(words, _union(w.box for w in words), [tuple(p) for p in ends],
                metrics.x_height, metrics.cap_height)


def read(source, model: str | os.PathLike | None = None, digits: bool = False,
         charset: str | None = None, binarization: str = "auto", deskew: bool = True,
         remove_lines: bool = True, jobs: int = 1, errors: str = "raise", layout: str = "auto",
         language_model: bool = True) -> Document:
    """Read the text of an image, a file (image, multi-page TIFF, PDF), a directory,
    ``"-"`` (stdin), raw bytes, a numpy array, a PIL image, or a list of these.

    With ``errors="raise"`` (the default) an input that cannot be loaded raises
    :class:`ocr.errors.ImageError`; with ``errors="skip"`` it is left out, the
    others are read, and it is listed in :attr:`Document.failed`, as ``ocr read``
    reports it and goes on. ``layout="line"`` reads each image as one text line.
    ``language_model=False`` decodes line models by best path, without the
    language model beside them.
    """
    if errors not in ("raise", "skip"):
        raise ValueError(f"errors={errors!r}; expected 'raise' or 'skip'")
    predictor = Predictor(model, digits=digits, charset=charset, binarization=binarization,
                          deskew=deskew, remove_lines=remove_lines, layout=layout,
                          language_model=language_model)
    sources = source if isinstance(source, (list, tuple)) else [source]
    failed: list[Failure] = []

    def pages() -> Iterator[PageImage]:
        # Decoded as reading reaches them, like ``ocr read``'s inputs.
        for n, item in enumerate(sources):
            items = expand_inputs([os.fspath(item)]) if isinstance(item, (str, os.PathLike)) else [item]
            for one in items:
                try:
                    loaded = from_pil(one) if is_pil_image(one) else load(one)
                except ImageError as exc:
                    if errors == "raise":
                        raise
                    log.warning("%s", exc)
                    failed.append(Failure(_source_name(one, n), str(exc)))
                    continue
                yield from loaded

    read_pages = predictor.read_pages(pages(), jobs=jobs)
    return Document(read_pages, model=predictor.recognizer.model_name, failed=failed)


def _source_name(item, n: int) -> str:
    if isinstance(item, (str, os.PathLike)):
        return os.fspath(item)
    return f"<{type(item).__name__} {n}>"
