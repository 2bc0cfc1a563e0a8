"""Line recognition: whole text lines through a CTC line model.

Where characters touch, overlap and lean into each other (handwritten digit
fields, cheque amounts), cutting a line into glyphs first is where reading
goes wrong. A :class:`LineRecognizer` reads each segmented line in one pass
of a convolutional-recurrent model and decodes its per-frame probabilities
(best path, CTC rules), so no cut is ever made. Characters are placed back
into the words that segmentation found, with boxes around their ink.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Callable, Iterator, Mapping, Sequence

import numpy as np

from ocr.errors import OcrError
from ocr.classify import BatchModel
from ocr.deslant import DeslantRule, Sheared, ShearedRuns
from ocr.lexicon import Lexicon, language_variants_for, lexicon_for, spelled
from ocr.normalize import (LINE_HEIGHT, LINE_MIN_WIDTH, LINE_STRIDE, LineInput, line_metrics, stack_lines,
                           to_line_input)
from ocr.postprocess import (RAISED_LOOKALIKES, RecognizedChar, Words, doubled_marks, merge_quotes, raised_mark,
                             small_capitals_as_capitals, stop_or_comma)
from ocr.segment import Box, Components, Glyph, LineLayout
from ocr.word_spaces import into_words

if TYPE_CHECKING:
    from ocr.language import CharNgram, LanguageVariant

log = logging.getLogger(__name__)


@dataclass
class DecodedChar:
    """One character of a decoded line, in the line input's frames."""

    label: int          # index into the model's labels
    peak: int           # frame where it is most probable
    confidence: float   # its probability at that frame
    alternatives: list[tuple[int, float]]  # top-3 (label index, probability) at the peak


def best_path(probs: np.ndarray, allowed: np.ndarray | None = None, top: int = 3) -> list[DecodedChar]:
    """Greedy CTC decoding of (frames, 1 + labels) probabilities, blank at column 0.

    ``allowed`` (bool per label) zeroes the other labels before decoding, so a
    whitelist changes what is read instead of dropping characters afterwards.
    Repeated labels merge unless a blank separates them.
    """
    probs = whitelisted(probs, allowed)
    if len(probs) == 0:
        return []
    best = probs.argmax(axis=1)
    frames = np.arange(len(best))
    best_prob = probs[frames, best]
    # A character is a run of equal non-blank labels; its peak is the run's most probable frame.
    starts = np.nonzero(np.diff(best, prepend=-1) != 0)[0]
    run = np.cumsum(np.diff(best, prepend=-1) != 0)
    # Sorted by run, most probable (then earliest) frame first: each run's peak sits at its start.
    peaks = np.lexsort((frames, -best_prob, run))[starts]
    peaks = peaks[best[peaks] != 0].tolist()
    if not peaks:
        return []
    return decoded_at(probs, [(int(best[t]) - 1, t) for t in peaks], top)


def whitelisted(probs: np.ndarray, allowed: np.ndarray | None) -> np.ndarray:
    """``probs`` with the labels outside the whitelist zeroed and each frame renormalized."""
    probs = np.asarray(probs, dtype=np.float64)
    if allowed is None:
        return probs
    probs = probs * np.concatenate([[True], allowed])[None, :]
    return probs / np.maximum(probs.sum(axis=1, keepdims=True), 1e-12)


def decoded_at(probs: np.ndarray, emitted: Sequence[tuple[int, int]], top: int = 3) -> list[DecodedChar]:
    """Decoded characters from (label index, frame) pairs: their confidence and top
    alternatives at that frame."""
    if not emitted:
        return []
    frames = [t for _, t in emitted]
    rows = probs[frames, 1:]
    rows = rows / np.maximum(rows.sum(axis=1, keepdims=True), 1e-12)
    order = np.argsort(-rows, axis=1, kind="stable")[:, :top]
    out = []
    for k, (label, t) in enumerate(emitted):
        alternatives = [(int(i), float(rows[k, i])) for i in order[k] if rows[k, i] > 0]
        out.append(DecodedChar(label, t, float(probs[t, label + 1]), alternatives))
    return out


def line_input_height(model) -> int:
    """The rows of a line model's input: its card's input shape, else its network's, else
    :data:`LINE_HEIGHT` (every line model before the handwriting one was 32 rows)."""
    card = getattr(model, "card", None)
    shape = (card.input or {}).get("shape") if card is not None else None
    if isinstance(shape, list) and shape and isinstance(shape[0], int) and 8 <= shape[0] <= 512:
        return shape[0]
    net = getattr(model, "net", None)
    if net is not None and len(getattr(net, "input_shape", ())) == 3 and net.input_shape[1]:
        return int(net.input_shape[1])
    return LINE_HEIGHT


def mark_ink(line: LineLayout, left: int, right: int) -> Box | None:
    """The box of a mark's own ink between page columns ``left`` and ``right``: the line's
    rightmost glyph lying wholly between them (a letter reaching in from either side is not the
    mark's; segmentation already merged a comma's tail cut off its head), None without one."""
    inside = [g.box for g in line.glyphs if g.box[0] >= left and g.box[2] <= right]
    return max(inside, key=lambda box: box[2]) if inside else None


def line_mask(components: Components, line: LineLayout) -> np.ndarray:
    """The ink of one segmented line only, cropped to its box (other lines' ink blanked)."""
    x0, y0, x1, y1 = line.box
    parts = [p for g in line.glyphs for p in g.parts]
    return np.isin(components.labels[y0:y1, x0:x1], np.asarray(parts) + 1)


#: Widest line read in one pass, in line-model input pixels (32 high): about
#: 250 characters. The model's activations grow with the width (about 200
#: bytes per input pixel), so a longer line is read in pieces.
MAX_LINE_INPUT_WIDTH = 8192
#: Most columns in one batch of lines (lines x padded width): 64 lines 2048
#: wide, about 4 Mpx of input or 0.8 GB of activations. Normal pages' batches
#: are narrower; only a batch of many very long lines is cut smaller.
MAX_BATCH_COLUMNS = 64 * 2048
#: Most blank columns a line is padded with on the right to share a batch with wider lines.
MAX_BATCH_PAD = 64
#: Blank columns after every line at the model's input.
LINE_MARGIN = 64
#: Most input pixels in one forward pass. A batch (lines of similar width,
#: padded to its widest, which fixes what each line's input is) goes through
#: the model a few lines at a time: the runtime's activations, which it keeps
#: for the next call, are sized by one pass (about 110 bytes per input pixel
#: on ONNX Runtime: 42 lines of a dense A4 page, 32x1456 each, took 221 MiB in
#: one pass). Each line's input is unchanged, and so are its probabilities
#: (the line models have no op that mixes the lines of a batch).
MAX_FORWARD_PIXELS = 8 * 32 * 1536


def _batches(widths: Sequence[int], batch_size: int,
             max_columns: int = MAX_BATCH_COLUMNS, max_pad: int = MAX_BATCH_PAD) -> Iterator[range]:
    """Consecutive ranges of ``widths`` (sorted ascending) with at most ``batch_size`` lines
    and, once padded to their widest, at most ``max_columns`` columns (one line at least),
    none padded by more than ``max_pad`` columns."""
    start = 0
    while start < len(widths):
        end = start + 1
        while end < len(widths) and end - start < batch_size and widths[end] - widths[start] <= max_pad and \
                (end + 1 - start) * max(widths[end], LINE_MIN_WIDTH) <= max_columns:
            end += 1
        yield range(start, end)
        start = end


def split_wide_line(line: LineLayout, max_width: int = MAX_LINE_INPUT_WIDTH,
                    height: int = LINE_HEIGHT) -> list[LineLayout]:
    """``line`` itself, or consecutive pieces of it, cut between glyphs, that each fit ``max_width``.

    The width a line gets at the model's input follows :func:`to_line_input`'s
    scaling. Normal lines are far narrower and are never cut; a glyph wider
    than the limit on its own (a long rule, a band of noise) is dropped.
    """
    x0, y0, x1, y1 = line.box
    scale = (height - 4) / max(float(y1 - y0), float(line.height or 0.0), 1.0)
    if (x1 - x0) * scale + 4 <= max_width:
        return [line]
    limit = (max_width - 4) / scale
    pieces: list[LineLayout] = []
    words: list[list[Glyph]] = []
    start = None
    for word in line.words:
        for k, g in enumerate(word):
            if g.box[2] - g.box[0] > limit:
                log.warning("a glyph %d pixels wide is too wide to read; skipped", g.box[2] - g.box[0])
                continue
            if start is not None and g.box[2] - start > limit:
                pieces.append(_piece(words, line))
                words, start = [], None
            if start is None:
                start = g.box[0]
                words.append([])
            elif k == 0:
                words.append([])
            words[-1].append(g)
    if words:
        pieces.append(_piece(words, line))
    log.info("read a line %d pixels wide in %d pieces", x1 - x0, len(pieces))
    return pieces


def _piece(words: list[list[Glyph]], line: LineLayout) -> LineLayout:
    words = [w for w in words if w]
    boxes = np.array([g.box for w in words for g in w])
    box = (int(boxes[:, 0].min()), int(boxes[:, 1].min()), int(boxes[:, 2].max()), int(boxes[:, 3].max()))
    return LineLayout(box, words, line.block, line.height)


class LineRecognizer:
    """A line model plus an output whitelist; reads segmented lines whole.

    It follows :class:`ocr.recognize.LineReader`: :meth:`recognize_lines`
    returns lines -> words -> characters. ``model`` is a loaded line model
    (:func:`ocr.models.load`) or anything with ``labels`` and ``predict``.
    """

    def __init__(self, model: BatchModel, charset: str | None = None, batch_size: int = 64,
                 name: str | None = None, language: "CharNgram | None" = None,
                 deslant: DeslantRule | None = None, word_spaces: "CharNgram | None" = None,
                 lexicon: Lexicon | None = None,
                 variants: "Mapping[str, LanguageVariant] | Callable[[], Mapping[str, LanguageVariant]] | None" = None
                 ) -> None:
        self.model = model
        #: A character n-gram to decode with (beam search); None: best path.
        self.language = language
        #: Language variants of ``language`` by language, or a function that loads them when a
        #: page first has text enough to judge (:func:`ocr.language.chosen_variant`): a page whose
        #: first reading one of them explains nearly as well is decoded again with it. None: none.
        self.variants = variants if language is not None else None
        #: For a model that reads no spaces: an n-gram with spaces that settles the gaps that
        #: could be a letter's or a word's (:func:`ocr.word_spaces.into_words`); None: gaps alone.
        self.word_spaces = word_spaces
        weighs_words = language is not None and language.beam.weighs_words
        #: The words of the model's language (:mod:`ocr.lexicon`) where its language model weighs
        #: each word the beam search reads against them (:func:`ocr.language.beam_decode`).
        self.beam_words = lexicon if weighs_words else None
        #: Otherwise the same words spell a word read that is none as one its letters' other
        #: readings make; None: words stay as read.
        self.lexicon = None if weighs_words else lexicon
        #: How each line's ink is sheared upright before it is read: ``deslant``, else the
        #: model card's ``input.deslant``; None reads the ink as it is.
        self.deslant = deslant if deslant is not None else getattr(getattr(model, "card", None), "deslant", None)
        self.model_name = name or str(getattr(model, "name", "model"))
        self.labels: list[str] = list(model.labels)
        self.batch_size = batch_size
        self.height = line_input_height(model)
        #: A model with the word space among its classes places word breaks itself
        #: (cursive: the gaps inside a word can be as wide as between words).
        self.reads_spaces = " " in self.labels
        #: A print text model (letters, word breaks found from the gaps) has its stops and
        #: commas named by their ink (:func:`ocr.postprocess.stop_or_comma`); a cursive model's
        #: dots and a digit model's separators are pen strokes of no set shape.
        self.marks_by_shape = not self.reads_spaces and any(c.isalpha() for c in self.labels)
        self.allowed = None
        if charset is not None:
            allowed = set(charset.replace("\n", "")) | ({" "} if self.reads_spaces else set())
            self.allowed = np.array([c in allowed for c in self.labels])
            if not self.allowed.any():
                raise OcrError(f"the character whitelist {charset!r} shares no character with the "
                               f"model's classes ({''.join(self.labels)})")
        #: The characters this recognizer may output: the model's classes the whitelist keeps.
        self.output = {c for k, c in enumerate(self.labels) if self.allowed is None or self.allowed[k]}

    @classmethod
    def load(cls, model: str | os.PathLike = "digitline", charset: str | None = None,
             language_model: bool = True) -> "LineRecognizer":
        """A recognizer for a line model by registry name or ``.keras`` path (loaded once per process).

        The model's language model (``NAME.lm.json.gz`` beside it) decodes its
        lines when there is one, and for a model that reads no spaces its
        word-space model (``NAME.spaces.lm.json.gz``) settles unsure word gaps, and
        its word list (``NAME.lexicon.txt.gz``) weighs the words the beam search reads
        when the language model asks for it, else spells the words read; its language
        variants (``NAME.<language>.lm.json.gz``) decode the pages they explain nearly as well;
        ``language_model=False`` reads by best path, splits words by their
        gaps alone and leaves them as read instead, for text the language
        models were not made for (another language, codes, lists of names).
        """
        from ocr.language import SPACES_SUFFIX, language_model_for
        from ocr.models import load

        loaded = load(model, kind="line")
        path = getattr(loaded, "path", None)
        language = language_model_for(path) if language_model else None
        spaces = (language_model_for(path, SPACES_SUFFIX)
                  if language_model and " " not in loaded.labels else None)
        lexicon = lexicon_for(path) if language_model else None
        # Loaded when first needed: the English variant alone holds 160 MB, and most pages the
        # route gives the cursive model have a few short lines, too few to judge a language by.
        variants = (lambda: language_variants_for(path)) if language_model else None
        return cls(loaded, charset, name=str(model), language=language, word_spaces=spaces, lexicon=lexicon,
                   variants=variants)

    def decode(self, probs: np.ndarray, language: "CharNgram | None" = None) -> list[DecodedChar]:
        """The characters of one line's frame probabilities: beam search with the language
        model (``language``, default the recognizer's) when there is one, else the best path;
        the whitelist applies to both. A line the language model has nothing to settle on
        (:meth:`ocr.language.CharNgram.is_needed`) is read by best path.
        """
        language = language or self.language
        if language is None:
            return best_path(probs, self.allowed)
        from ocr.language import beam_decode

        probs = whitelisted(probs, self.allowed)
        if not language.is_needed(probs):
            return best_path(probs)
        return decoded_at(probs, beam_decode(probs, self.labels, language, words=self.beam_words))

    def decode_page(self, probs: Sequence[np.ndarray]) -> list[list[DecodedChar]]:
        """The characters of a page's lines (:meth:`decode`), decoded again with a language
        variant when the first reading is likely in its language (:func:`ocr.language.chosen_variant`)."""
        decoded = [self.decode(p) for p in probs]
        if not self.variants:
            return decoded
        from ocr.language import chosen_variant

        readings = ["".join(self.labels[c.label] for c in line) for line in decoded]
        own_words = self.beam_words if self.beam_words is not None else self.lexicon
        chosen = chosen_variant(readings, self.language, self._loaded_variants, own_words)
        if chosen is None:
            return decoded
        log.debug("%s: %d lines read again with its %s language model", self.model_name, len(probs), chosen.language)
        return [self.decode(p, chosen.model) for p in probs]

    def _loaded_variants(self) -> "Mapping[str, LanguageVariant]":
        """The language variants, loaded the first time a page asks (then kept: no folder is
        searched again per page)."""
        if callable(self.variants):
            self.variants = self.variants()
        return self.variants or {}

    def frame_probabilities(self, inputs: Sequence[LineInput]) -> list[np.ndarray]:
        """Per-frame probabilities of each line input, batched by similar width.

        A line's reading must not depend on the other lines of its page: the model's recurrent
        layers read a batch's right padding as part of the line, and a paragraph's last word,
        padded to a full line's width, lost its period (docbank dev "behaviour."). So a line
        shares a batch only with lines at most :data:`MAX_BATCH_PAD` columns wider, and every
        line is read with :data:`LINE_MARGIN` blank columns after it (the training lines have
        blank on their right), whose frames are kept: CTC may fire a line's last mark there.
        """
        order = sorted(range(len(inputs)), key=lambda i: inputs[i].image.shape[1])
        out: list[np.ndarray | None] = [None] * len(inputs)
        for chunk in _batches([inputs[i].image.shape[1] for i in order], self.batch_size):
            chunk = [order[k] for k in chunk]
            widest = max(inputs[i].image.shape[1] for i in chunk)
            batch = stack_lines([inputs[i].image for i in chunk], width=widest + LINE_MARGIN)
            step = max(1, MAX_FORWARD_PIXELS // max(batch.shape[1] * batch.shape[2], 1))
            for start in range(0, len(chunk), step):
                probs = np.asarray(self.model.predict(batch[start:start + step].astype(np.float32)),
                                   dtype=np.float64)
                for row, i in enumerate(chunk[start:start + step]):
                    out[i] = probs[row, :(inputs[i].image.shape[1] + LINE_MARGIN) // LINE_STRIDE]
        return out  # type: ignore[return-value]

    def recognize_lines(self, components: Components,
                        lines: Sequence[LineLayout]) -> list[Words]:
        """Recognize every line of a page: returns lines -> words -> characters, spelt with
        the model's word list where it has one (:meth:`spelled`)."""
        return self.spelled(self.recognize_and_rate(components, lines)[0])

    def spelled(self, lines: Sequence[Words], only: Sequence[int] | None = None) -> list[Words]:
        """Lines read by this model (in reading order), each word that is no word spelt as
        the nearest word its letters' other readings make (:func:`ocr.lexicon.spelled`); only
        the lines ``only`` names when given. Unchanged without a word list."""
        return spelled(lines, self.lexicon, only)

    def recognize_and_rate(self, components: Components, lines: Sequence[LineLayout]
                           ) -> tuple[list[Words], list[float]]:
        """Recognize every line, and rate how sure the model is of each line.

        The rating is the mean confidence of the line's characters read
        without the whitelist: a whitelist renormalizes what is left, so a
        line the model cannot read would look sure of the digits it is forced into.
        """
        # A line too wide for the memory budget is read in pieces (see split_wide_line).
        pieces = [split_wide_line(line, height=self.height) for line in lines]
        flat = [piece for line_pieces in pieces for piece in line_pieces]
        masks, sheared, inputs = self.line_inputs(components, flat)
        all_probs = self.frame_probabilities(inputs)
        read = iter(zip(flat, masks, sheared, inputs, all_probs, self.decode_page(all_probs)))
        results, ratings = [], []
        for line_pieces in pieces:
            words_out: list[list[RecognizedChar]] = []
            confidences: list[float] = []
            for line, mask, shear, inp, probs, decoded in islice(read, len(line_pieces)):
                # The rating is the network's own (best path): the router's thresholds are set on it.
                free = decoded if self.language is None and self.allowed is None else best_path(probs)
                confidences.extend(c.confidence for c in free)
                placed = self._place(decoded, line, mask, inp, shear)
                words_out.extend(self._at_spaces(placed) if self.reads_spaces
                                 else into_words(placed, line, self.word_spaces, self.lexicon))
            if self.marks_by_shape:  # print: its letters' heights say when they are small capitals
                words_out = small_capitals_as_capitals(words_out)
            ratings.append(float(np.mean(confidences)) if confidences else 0.0)
            results.append(words_out)
        return results, ratings

    def line_inputs(self, components: Components, lines: Sequence[LineLayout]
                    ) -> tuple[list[np.ndarray], list[Sheared | ShearedRuns | None], list[LineInput]]:
        """Each line's ink mask, its deslanted mask (None without deslanting) and model input.

        With a deslant rule the input is made from the sheared ink, so its
        columns map to the sheared mask's (see :meth:`_place`).
        """
        masks = [line_mask(components, line) for line in lines]
        sheared = [self.deslant.apply(m, line.height) if self.deslant is not None else None
                   for m, line in zip(masks, lines)]
        inputs = [to_line_input(m if s is None else s.mask, line_height=line.height, height=self.height)
                  for m, s, line in zip(masks, sheared, lines)]
        return masks, sheared, inputs

    def _place(self, decoded: list[DecodedChar], line: LineLayout, mask: np.ndarray,
               inp: LineInput, sheared: Sheared | ShearedRuns | None = None) -> list[RecognizedChar]:
        """Give each decoded character a box around its ink in page coordinates.

        CTC fires on one or two frames per character, so its span is taken
        between the midpoints to its neighbours' peaks, at most about one
        character wide, and shrunk to the ink inside. When the line was read
        deslanted (``sheared``), the span is found in the sheared ink and the
        box is that ink's box back in the line's own columns.
        """
        lx0, ly0 = line.box[0], line.box[1]
        source = mask
        if sheared is not None:
            mask = sheared.mask
        # Centres in the line mask's columns (the mask starts at the line box).
        centres = [inp.to_source_x((c.peak + 0.5) * LINE_STRIDE) for c in decoded]
        half = 0.6 * max(line.height, 1.0)
        columns = mask.any(axis=0)
        metrics = line_metrics([g.box for g in line.glyphs]) if self.marks_by_shape and line.glyphs else None
        out = []
        for k, ch in enumerate(decoded):
            left = (centres[k - 1] + centres[k]) / 2 if k else -np.inf
            right = (centres[k] + centres[k + 1]) / 2 if k + 1 < len(decoded) else np.inf
            a = int(np.floor(max(left, centres[k] - half, 0)))
            b = int(np.ceil(min(right, centres[k] + half, mask.shape[1])))
            b = max(b, a + 1)
            span = (a, b)
            ink_cols = np.nonzero(columns[a:b])[0]
            if len(ink_cols):
                a, b = a + int(ink_cols[0]), a + int(ink_cols[-1]) + 1
            rows = np.nonzero(mask[:, a:b].any(axis=1))[0]
            y0, y1 = (int(rows[0]), int(rows[-1]) + 1) if len(rows) else (0, mask.shape[0])
            if sheared is not None:
                box = sheared.source_box(a, b)
                if box is None:  # no ink under it: the span at the middle row, inside the line
                    a = int(np.clip(sheared.to_source_x(a), 0, source.shape[1] - 1))
                    b = int(np.clip(sheared.to_source_x(b), a + 1, source.shape[1]))
                else:
                    a, y0, b, y1 = box
            alts = [(self.labels[i], p) for i, p in ch.alternatives]
            char = RecognizedChar(self.labels[ch.label], (lx0 + a, ly0 + y0, lx0 + b, ly0 + y1),
                                  ch.confidence, alts)
            if metrics is not None and char.text in ".," + RAISED_LOOKALIKES:
                if sheared is not None:  # the mark's span back in the line's own columns
                    span = (int(sheared.to_source_x(span[0])), int(sheared.to_source_x(span[1])))
                ink = mark_ink(line, lx0 + span[0], lx0 + span[1])
                if ink is not None:
                    char = raised_mark(stop_or_comma(char, ink, metrics), ink, metrics)
            out.append(char)
        if metrics is None:
            return out
        glyphs = [g.box for g in line.glyphs]
        return merge_quotes(doubled_marks(out, glyphs, metrics, self.output), self.output)

    @staticmethod
    def _at_spaces(chars: list[RecognizedChar]) -> list[list[RecognizedChar]]:
        """Words as the model read them: runs of characters between decoded spaces."""
        words: list[list[RecognizedChar]] = [[]]
        for ch in chars:
            if ch.text == " ":
                words.append([])
            else:
                words[-1].append(ch)
        return [w for w in words if w]
