"""Glyph recognition: a page's glyphs classified, re-segmented and post-processed.

A :class:`Recognizer` is three parts, each in its own module: a
:class:`~ocr.classify.GlyphClassifier` (model + output whitelist), the
over-segmentation search of :mod:`ocr.oversegment` (touching characters
split where recognition confidence says a split reads better), and the
geometric post-processing of :mod:`ocr.postprocess` (small marks, quotes,
word context, letter case). Every recognizer of lines (this one,
:class:`~ocr.recognize_lines.LineRecognizer`,
:class:`~ocr.recognize_mixed.MixedRecognizer`) follows :class:`LineReader`.
"""

from __future__ import annotations

import os
from typing import Protocol, Sequence

import numpy as np

from ocr.classify import BatchModel, GlyphClassifier, renormalized
from ocr.normalize import to_mnist_batch
from ocr.oversegment import GlyphRun, Mark, best_segmentation, plan_lines, queue_candidates, runs
from ocr.postprocess import (SAME_SHAPE, RecognizedChar, Words, merge_quotes, name_mark, resolve_case,
                             settle_by_word_context)
from ocr.segment import Components, LineLayout, glyph_mask

__all__ = ["LineReader", "RecognizedChar", "Recognizer"]


class LineReader(Protocol):
    """What the pipeline needs of a recognizer: segmented lines in, lines -> words -> characters out."""

    model_name: str

    def recognize_lines(self, components: Components, lines: Sequence[LineLayout]) -> list[Words]: ...


class Recognizer:
    """Reads segmented lines glyph by glyph with a glyph classifier.

    ``model`` is a loaded model (:func:`ocr.models.load`) or anything with
    ``labels`` and ``predict``; :meth:`load` loads one by name or path.
    """

    def __init__(self, model: BatchModel, charset: str | None = None, batch_size: int = 512,
                 name: str | None = None) -> None:
        self.classifier = GlyphClassifier(model, charset, batch_size)
        self.model_name = name or str(getattr(model, "name", "model"))

    @classmethod
    def load(cls, model: str | os.PathLike = "charnet", charset: str | None = None,
             language_model: bool = True) -> "Recognizer":
        """A recognizer for a glyph model by registry name or ``.keras`` path (loaded once per process).

        Glyphs are classified one by one, with no language model to turn off:
        ``language_model`` is accepted so every reader loads with the same options.
        """
        from ocr.models import load

        return cls(load(model, kind="glyph"), charset, name=str(model))

    @property
    def out_labels(self) -> list[str]:
        return self.classifier.out_labels

    def recognize_lines(self, components: Components, lines: Sequence[LineLayout]) -> list[Words]:
        """Recognize every line of a page: returns lines -> words -> characters.

        The page's glyphs go through the model in two batched passes: every
        glyph whole, then split and merge candidates only around glyphs the
        first pass did not read confidently.
        """
        classifier = self.classifier
        plans = plan_lines(lines)
        masks: list[np.ndarray] = []
        for run in runs(plans):
            run.whole_rows = list(range(len(masks), len(masks) + len(run.glyphs)))
            masks.extend(glyph_mask(components, g) for g in run.glyphs)
        mass = self._classify_masks(masks)
        more: list[np.ndarray] = []
        for run in runs(plans):
            queue_candidates(run, components, classifier, mass, more, offset=len(masks))
        mass = np.concatenate([mass, self._classify_masks(more)])
        probs = renormalized(mass)

        results = []
        for line_plan in plans:
            line_out = []
            for word_plan in line_plan:
                word_out: list[RecognizedChar] = []
                for item in word_plan:
                    if isinstance(item, Mark):
                        ch = name_mark(item.glyph.box, item.geometry, classifier.index)
                        if ch is not None:
                            word_out.append(ch)
                    else:
                        word_out.extend(self._read_run(item, probs, mass))
                if word_out:
                    line_out.append(settle_by_word_context(merge_quotes(word_out, classifier.index)))
            if line_out:
                resolve_case(line_out, classifier.index)
            results.append(line_out)
        return results

    def _classify_masks(self, masks: list[np.ndarray]) -> np.ndarray:
        if not masks:
            return np.zeros((0, len(self.classifier.out_labels)))
        return self.classifier.classify(to_mnist_batch(masks), renormalize=False)

    def _read_run(self, run: GlyphRun, probs: np.ndarray, mass: np.ndarray) -> list[RecognizedChar]:
        """The characters on the best segmentation path of a run."""
        classifier = self.classifier
        out = []
        for c in best_segmentation(run, mass, classifier):
            row = probs[c.row]
            alts = classifier.alternatives(row)
            shape = {t: float(row[classifier.index[t]]) for t in SAME_SHAPE.get(alts[0][0], "")
                     if t in classifier.index}
            out.append(RecognizedChar(alts[0][0], c.box, alts[0][1], alts,
                                      classifier.best_of(row, classifier.is_letter),
                                      classifier.best_of(row, classifier.is_digit), shape))
        return out
