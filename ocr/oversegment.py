"""Over-segmentation search: touching characters split, broken ones rejoined.

Connected components are not characters: two letters that touch are one
component, a broken stroke is two. Each word is planned as small marks
(decided by geometry) and runs of full-size glyphs. Wide glyphs in a run are
cut at candidate columns into atoms; a candidate is 1 to 3 consecutive atoms,
and the best path through a run's candidates by summed log-probability
(Viterbi) is its reading. Glyphs the first, whole-glyph pass read confidently
are not cut, so a page the model reads well costs about one classification
per glyph.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ocr.classify import GlyphClassifier
from ocr.normalize import Geometry, LineMetrics, glyph_geometry, line_metrics
from ocr.segment import Components, Glyph, LineLayout, candidate_cuts, glyph_mask

Box = tuple[int, int, int, int]
#: Each extra piece a touching-character split produces costs this much
#: log-probability, so a split must read clearly better than the whole.
SPLIT_PENALTY = 0.3
#: Widest digit, as width / height, before a candidate is penalized, and the
#: penalty per unit of excess (touching digits are 1.2-1.6 wide).
DIGIT_ASPECT = 1.1
ASPECT_WEIGHT = 2.0
#: A glyph whose first-pass reading is at least this sure is not re-segmented.
LOCK_CONFIDENCE = 0.9
#: Glyphs wider than this (in cap heights) are tried as touching characters.
SPLIT_WIDTH = 0.85
#: Most cut columns tried inside one wide glyph.
MAX_CUTS = 4


@dataclass
class Mark:
    """A small mark (dot, comma, dash, quote), named from its geometry."""

    glyph: Glyph
    geometry: Geometry


@dataclass
class Candidate:
    """Atoms [start, end) of a run read as one character; ``row`` is its
    classification row, -1 for a column range without ink."""

    start: int
    end: int
    box: Box
    row: int


@dataclass
class GlyphRun:
    """Consecutive full-size glyphs of a word, searched together."""

    glyphs: list[Glyph]
    metrics: LineMetrics
    #: First-pass classification row of each glyph read whole.
    whole_rows: list[int] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    n_atoms: int = 0


WordPlan = list["Mark | GlyphRun"]


def plan_lines(lines: Sequence[LineLayout]) -> list[list[WordPlan]]:
    """Split each word of each line into small marks and runs of full-size glyphs."""
    plans = []
    for line in lines:
        metrics = line_metrics([g.box for g in line.glyphs])
        line_plan = []
        for word in line.words:
            word_plan: WordPlan = []
            run: list[Glyph] = []
            for glyph in word:
                geom = glyph_geometry(glyph.box, metrics)
                if geom.is_small_mark and len(line.glyphs) > 1:
                    if run:
                        word_plan.append(GlyphRun(run, metrics))
                        run = []
                    word_plan.append(Mark(glyph, geom))
                else:
                    run.append(glyph)
            if run:
                word_plan.append(GlyphRun(run, metrics))
            line_plan.append(word_plan)
        plans.append(line_plan)
    return plans


def runs(plans: list[list[WordPlan]]):
    """Every glyph run of the planned page, in reading order."""
    for line_plan in plans:
        for word_plan in line_plan:
            for item in word_plan:
                if isinstance(item, GlyphRun):
                    yield item


def aspect_penalty(box: Box, digits_only: bool) -> float:
    """Penalty for a candidate wider than any character of the output set can be.

    Classifiers are overconfident on two touching characters squeezed into
    one 20x20 box; the box's aspect ratio says what the model cannot.
    """
    w, h = box[2] - box[0], max(box[3] - box[1], 1)
    if digits_only:
        return ASPECT_WEIGHT * max(0.0, w / h - DIGIT_ASPECT)
    return 2.0 * max(0.0, w / h - 1.5)


def queue_candidates(run: GlyphRun, components: Components, classifier: GlyphClassifier,
                     whole_mass: np.ndarray, masks: list[np.ndarray], offset: int) -> None:
    """Queue the segmentation candidates of a run for classification (appended to ``masks``).

    Every whole glyph and every single atom is a candidate, so there is
    always a path through the run; atoms of glyphs whose boxes touch or
    overlap may join, separate characters never do.
    """
    glyphs = run.glyphs
    cap = max(run.metrics.cap_height, 1.0)
    atoms: list[tuple[int, int, int]] = []  # x0, x1, glyph index
    # A glyph read confidently and of a plausible width is settled.
    locked = [classifier.non_mark_top(whole_mass[run.whole_rows[k]])[1] >= LOCK_CONFIDENCE
              and aspect_penalty(g.box, classifier.digits_only) == 0 for k, g in enumerate(glyphs)]
    for k, g in enumerate(glyphs):
        x0, y0, x1, y1 = g.box
        cuts: list[int] = []
        if not locked[k] and (x1 - x0) > SPLIT_WIDTH * cap and (y1 - y0) > 0.5 * cap:
            cuts = candidate_cuts(glyph_mask(components, g), min_width=max(2, int(0.18 * cap)),
                                  max_cuts=MAX_CUTS)
        bounds = [0] + cuts + [x1 - x0]
        atoms.extend((x0 + a, x0 + b, k) for a, b in zip(bounds, bounds[1:]))
    n = len(atoms)
    cands: list[Candidate] = []
    for i in range(n):
        for j in range(i + 1, n + 1):
            ks = sorted({atoms[a][2] for a in range(i, j)})
            whole = len(ks) == 1 and all(atoms[a][2] != ks[0] for a in (i - 1, j) if 0 <= a < n)
            if whole:
                # Already classified in the first pass.
                cands.append(Candidate(i, j, glyphs[ks[0]].box, run.whole_rows[ks[0]]))
                continue
            xa, xb = atoms[i][0], atoms[j - 1][1]
            if j - i > 3 or (j - i > 1 and xb - xa > 1.4 * cap):
                if len(ks) > 1:
                    break  # growing further only adds more glyphs
                continue  # the whole glyph may still come
            if len(ks) > 1 and any(glyphs[b].box[0] - glyphs[a].box[2] > 1 for a, b in zip(ks, ks[1:])):
                break  # a real gap: separate characters are never merged
            if len(ks) > 1 and any(locked[k] for k in ks):
                break
            parts = np.asarray([p for k in ks for p in glyphs[k].parts]) + 1
            y0 = min(glyphs[k].box[1] for k in ks)
            y1 = max(glyphs[k].box[3] for k in ks)
            piece = np.isin(components.labels[y0:y1, xa:xb], parts)
            ys = np.nonzero(piece.any(axis=1))[0]
            xs = np.nonzero(piece.any(axis=0))[0]
            if len(ys) == 0:
                cands.append(Candidate(i, j, (xa, y0, xb, y1), -1))
                continue
            box = (xa + int(xs[0]), y0 + int(ys[0]), xa + int(xs[-1]) + 1, y0 + int(ys[-1]) + 1)
            cands.append(Candidate(i, j, box, offset + len(masks)))
            masks.append(piece)
    run.candidates, run.n_atoms = cands, n


def best_segmentation(run: GlyphRun, mass: np.ndarray, classifier: GlyphClassifier) -> list[Candidate]:
    """The run's best path of candidates by summed log-probability (Viterbi), inked ones only."""
    if not run.candidates:
        return []
    n_atoms = run.n_atoms
    best: list[tuple[float, Candidate | None]] = [(-math.inf, None)] * (n_atoms + 1)
    best[0] = (0.0, None)
    by_end: dict[int, list[Candidate]] = {}
    for c in run.candidates:
        by_end.setdefault(c.end, []).append(c)
    for end in range(1, n_atoms + 1):
        for c in by_end.get(end, []):
            prev = best[c.start][0]
            if prev == -math.inf:
                continue
            if c.row < 0:
                score = prev  # an empty column range carries no character
            else:
                p = float(classifier.non_mark_top(mass[c.row])[1])
                score = prev + math.log(max(p, 1e-9)) - SPLIT_PENALTY \
                    - aspect_penalty(c.box, classifier.digits_only)
            if score > best[end][0]:
                best[end] = (score, c)
    path = []
    end = n_atoms
    while end > 0 and best[end][1] is not None:
        c = best[end][1]
        path.append(c)
        end = c.start
    return [c for c in reversed(path) if c.row >= 0]
