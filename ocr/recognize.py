"""Character recognition: normalized glyphs through a model, plus line geometry.

A :class:`Recognizer` wraps one model (loaded once per process and shared)
and an optional character whitelist. It classifies every glyph of a page in
batches, splits touching characters where recognition confidence says a split
reads better, decides small punctuation marks and letter case from geometry,
and gives every character a confidence and its top-3 alternatives.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from ocr import charsets
from ocr.errors import OcrError
from ocr.normalize import Geometry, LineMetrics, glyph_geometry, line_metrics, to_mnist_batch
from ocr.segment import Components, Glyph, LineLayout, candidate_cuts, glyph_mask

log = logging.getLogger(__name__)

#: Marks whose identity is their size and position, not their shape: once
#: scaled to 20x20 a period and an 'o' look alike.
SMALL_MARKS = ".,'\"-·`"
#: Letters whose capital and lowercase differ only in size (decided by height).
CASE_BY_HEIGHT = set("cosuvwxzCOSUVWXZ")
#: Letters whose lowercase has a descender (decided by the bottom).
CASE_BY_DESCENDER = set("pyPY")
#: Characters that a whitelist may read in place of a model class it excludes:
#: a digits-only field written with letter-like strokes, and the reverse.
LOOKALIKES = {
    "O": "0", "o": "0", "D": "0", "Q": "0", "I": "1", "l": "1", "i": "1", "|": "1",
    "Z": "2", "z": "2", "S": "5", "s": "5", "B": "8", "b": "6", "G": "6", "g": "9", "q": "9",
    "0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G", "9": "g",
}
#: Letters and digits drawn with the same shape, told apart only by context.
SAME_SHAPE = {"0": "Oo", "1": "lI", "5": "Ss", "2": "Zz", "8": "B", "9": "gq", "6": "b",
              "O": "0", "o": "0", "l": "1", "I": "1", "S": "5", "s": "5", "Z": "2", "z": "2",
              "B": "8", "g": "9", "q": "9", "b": "6"}
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

_MODELS: dict[tuple[str, str], tuple[object, dict]] = {}
_MODELS_LOCK = threading.Lock()


def load_model(model: str | os.PathLike, kind: str = "glyph") -> tuple[object, dict]:
    """Load a model by registry name or path once per process (thread-safe).

    ``kind`` is ``"glyph"`` for a glyph classifier, ``"line"`` for a line
    (CTC) model; a model of the other kind gets a clear error.
    """
    from ocr.models import registry

    loader = registry.load_classifier if kind == "glyph" else registry.load_line_model
    key = (str(registry.resolve(model).resolve()), kind)
    with _MODELS_LOCK:
        if key not in _MODELS:
            net, meta = loader(model)
            _MODELS[key] = (net, {**meta, "forward": compile_forward(net)})
            log.debug("loaded %s model %s (%d classes)", kind, key[0], len(meta["labels"]))
        return _MODELS[key]


def compile_forward(net):
    """A graph-compiled forward pass: eager Keras calls spend more time
    dispatching ops than computing on page-sized batches (about 2x)."""
    try:
        import keras
        import tensorflow as tf

        if keras.backend.backend() != "tensorflow":
            raise ImportError
        spec = tf.TensorSpec([None, *net.input_shape[1:]], tf.float32)
        fn = tf.function(lambda batch: net(batch, training=False), input_signature=[spec],
                         autograph=False)
        return lambda batch: fn(tf.convert_to_tensor(batch, tf.float32)).numpy()
    except ImportError:
        return lambda batch: np.asarray(net(batch, training=False))


def restriction_mapping(labels: Sequence[str], allowed: Sequence[str]) -> np.ndarray:
    """Map each model class to the whitelist: itself, its other case, or a lookalike; -1 drops it."""
    index = {c: i for i, c in enumerate(allowed)}
    out = np.full(len(labels), -1, dtype=np.int64)
    for i, label in enumerate(labels):
        for cand in (label, label.swapcase(), LOOKALIKES.get(label)):
            if cand is not None and cand in index:
                out[i] = index[cand]
                break
    return out


@dataclass
class RecognizedChar:
    """One recognized character in the segmentation frame."""

    text: str
    box: tuple[int, int, int, int]
    confidence: float
    alternatives: list[tuple[str, float]]  # top-3, best first (includes ``text``)
    # Best letter and best digit, for settling lookalikes by word context.
    best_letter: tuple[str, float] | None = None
    best_digit: tuple[str, float] | None = None
    same_shape: dict[str, float] | None = None  # probabilities of SAME_SHAPE lookalikes


@dataclass
class _Candidate:
    glyph_index: int
    start: int  # atom range [start, end)
    end: int
    box: tuple[int, int, int, int]
    batch_row: int


class Recognizer:
    """A model plus an output whitelist.

    ``charset`` restricts the output: model classes outside it are folded into
    an allowed character of the other case or a lookalike (so ``--charset 0123``
    on a letters model still reads an 'O'-shaped zero) and dropped otherwise.
    """

    def __init__(self, model: str | os.PathLike = "charnet", charset: str | None = None,
                 batch_size: int = 512) -> None:
        self.model_name = str(model)
        self.net, self.metadata = load_model(model)
        self.labels: list[str] = list(self.metadata["labels"])
        self._forward = self.metadata["forward"]
        self.batch_size = batch_size
        if charset is not None:
            allowed = list(dict.fromkeys(charset.replace("\n", "")))
            if not allowed:
                raise OcrError("--charset is empty")
            mapping = restriction_mapping(self.labels, allowed)
            # Lookalikes fold excluded classes into the whitelist (an O-shaped 0),
            # but a whitelist made only of lookalikes would read every glyph as
            # one of them (ABC on a digit model: "BBBB"): some character must be
            # a class of the model (in either case) or a mark decided by geometry.
            known = set(self.labels) | {c.swapcase() for c in self.labels} | set(SMALL_MARKS)
            if not set(allowed) & known:
                raise OcrError(f"--charset {charset!r} shares no character with the model's classes "
                               f"({''.join(self.labels)})")
            self.out_labels = allowed
            self.mapping = mapping
        else:
            self.out_labels = list(self.labels)
            self.mapping = np.arange(len(self.labels))
        self._out_index = {c: i for i, c in enumerate(self.out_labels)}
        self._is_mark = np.array([c in SMALL_MARKS for c in self.out_labels])
        self._is_letter = np.array([c.isalpha() for c in self.out_labels])
        self._is_digit = np.array([c.isdigit() for c in self.out_labels])
        self._digits_only = all(c.isdigit() or c in SMALL_MARKS for c in self.out_labels)

    # ---------------------------------------------------------------- classification
    def classify(self, glyphs: np.ndarray, renormalize: bool = True) -> np.ndarray:
        """Probabilities over ``out_labels`` for a (N, 28, 28) batch of normalized glyphs.

        With ``renormalize=False`` the rows keep only the probability mass the
        model gave to allowed characters: a piece that looks like an excluded
        letter scores low, which is what segmentation needs to know.
        """
        n = len(glyphs)
        if n == 0:
            return np.zeros((0, len(self.out_labels)))
        chunks = []
        for start in range(0, n, self.batch_size):
            batch = np.asarray(glyphs[start:start + self.batch_size], dtype=np.float32)
            # A compiled call skips predict()'s per-call dataset setup, which
            # dominates the cost for page-sized batches.
            chunks.append(np.asarray(self._forward(batch), dtype=np.float64))
        probs = np.concatenate(chunks)
        out = charsets.project_probabilities(probs, self.mapping, len(self.out_labels))
        if not renormalize:
            return out
        total = out.sum(axis=1, keepdims=True)
        return np.where(total > 0, out / np.maximum(total, 1e-12), 1.0 / len(self.out_labels))

    def top_k(self, row: np.ndarray, k: int = 3) -> list[tuple[str, float]]:
        order = np.argsort(-row, kind="stable")[:k]
        return [(self.out_labels[i], float(row[i])) for i in order]

    # ------------------------------------------------------------------- pages
    def recognize_lines(self, components: Components, lines: Sequence[LineLayout]) -> list[list[list[RecognizedChar]]]:
        """Recognize every line of a page: returns lines -> words -> characters.

        The page's glyphs go through the model in two batched passes.
        """
        masks: list[np.ndarray] = []
        plans = []  # per line, per word: items ("mark", glyph, geometry) | ("run", candidates, n_atoms)
        for line in lines:
            metrics = line_metrics([g.box for g in line.glyphs])
            line_plan = []
            for word in line.words:
                word_plan, run = [], []
                for glyph in word:
                    geom = glyph_geometry(glyph.box, metrics)
                    if geom.is_small_mark and len(line.glyphs) > 1:
                        if run:
                            word_plan.append(("run", run, metrics))
                            run = []
                        word_plan.append(("mark", glyph, geom))
                    else:
                        run.append(glyph)
                if run:
                    word_plan.append(("run", run, metrics))
                line_plan.append(word_plan)
            plans.append(line_plan)
        # Pass 1: every glyph whole. Pass 2: split and merge candidates, only
        # around glyphs the first pass did not read confidently, so a page the
        # model reads well costs little more than one classification per glyph.
        whole_rows: dict[int, int] = {}
        for line_plan in plans:
            for word_plan in line_plan:
                for item in word_plan:
                    if item[0] == "run":
                        for g in item[1]:
                            whole_rows[id(g)] = len(masks)
                            masks.append(glyph_mask(components, g))
        mass = self._classify_masks(masks)
        masks2: list[np.ndarray] = []
        for line_plan in plans:
            for word_plan in line_plan:
                for k, item in enumerate(word_plan):
                    if item[0] == "run":
                        cands, n = self._candidates(components, item[1], item[2], masks2, whole_rows,
                                                    mass, offset=len(masks))
                        word_plan[k] = ("run", cands, n)
        mass = np.concatenate([mass, self._classify_masks(masks2)])
        total = mass.sum(axis=1, keepdims=True)
        probs = np.where(total > 0, mass / np.maximum(total, 1e-12), 1.0 / len(self.out_labels))

        results = []
        for line_plan in plans:
            line_out = []
            for word_plan in line_plan:
                word_out: list[RecognizedChar] = []
                for item in word_plan:
                    if item[0] == "mark":
                        ch = self._mark(item[1].box, item[2])
                        if ch is not None:
                            word_out.append(ch)
                    else:
                        word_out.extend(self._decode(item[1], item[2], probs, mass))
                if word_out:
                    line_out.append(self._word_context(self._merge_quotes(word_out)))
            if line_out:
                self._resolve_case(line_out)
            results.append(line_out)
        return results

    def _classify_masks(self, masks: list[np.ndarray]) -> np.ndarray:
        if not masks:
            return np.zeros((0, len(self.out_labels)))
        return self.classify(to_mnist_batch(masks), renormalize=False)

    def _candidates(self, components: Components, glyphs: list[Glyph], metrics: LineMetrics,
                    masks: list[np.ndarray], whole_rows: dict[int, int], whole_mass: np.ndarray,
                    offset: int) -> tuple[list[_Candidate], int]:
        """Queue the segmentation candidates of a run of glyphs for classification.

        Wide glyphs are cut at candidate columns into atoms; a candidate is 1
        to 3 consecutive atoms, which splits touching characters and also
        rejoins the pieces of a broken one (atoms of glyphs whose boxes touch
        or overlap). Every whole glyph and every single atom is a candidate,
        so there is always a path through the run.
        """
        cap = max(metrics.cap_height, 1.0)
        atoms: list[tuple[int, int, int]] = []  # x0, x1, glyph index
        # A glyph read confidently and of a plausible width is settled.
        locked = [self._non_mark_top(whole_mass[whole_rows[id(g)]])[1] >= LOCK_CONFIDENCE
                  and self._aspect_penalty(g.box) == 0 for g in glyphs]
        for k, g in enumerate(glyphs):
            x0, y0, x1, y1 = g.box
            cuts: list[int] = []
            if not locked[k] and (x1 - x0) > SPLIT_WIDTH * cap and (y1 - y0) > 0.5 * cap:
                cuts = candidate_cuts(glyph_mask(components, g), min_width=max(2, int(0.18 * cap)), max_cuts=MAX_CUTS)
            bounds = [0] + cuts + [x1 - x0]
            atoms.extend((x0 + a, x0 + b, k) for a, b in zip(bounds, bounds[1:]))
        n = len(atoms)
        cands: list[_Candidate] = []
        for i in range(n):
            for j in range(i + 1, n + 1):
                ks = sorted({atoms[a][2] for a in range(i, j)})
                whole = len(ks) == 1 and all(atoms[a][2] != ks[0] for a in (i - 1, j) if 0 <= a < n)
                if whole:
                    # Already classified in the first pass.
                    cands.append(_Candidate(0, i, j, glyphs[ks[0]].box, whole_rows[id(glyphs[ks[0]])]))
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
                    cands.append(_Candidate(0, i, j, (xa, y0, xb, y1), -1))
                    continue
                box = (xa + int(xs[0]), y0 + int(ys[0]), xa + int(xs[-1]) + 1, y0 + int(ys[-1]) + 1)
                cands.append(_Candidate(0, i, j, box, offset + len(masks)))
                masks.append(piece)
        return cands, n

    def _aspect_penalty(self, box: tuple[int, int, int, int]) -> float:
        """Penalty for a candidate wider than any character of the output set can be.

        Classifiers are overconfident on two touching characters squeezed into
        one 20x20 box; the box's aspect ratio says what the model cannot.
        """
        w, h = box[2] - box[0], max(box[3] - box[1], 1)
        if self._digits_only:
            return ASPECT_WEIGHT * max(0.0, w / h - DIGIT_ASPECT)
        return 2.0 * max(0.0, w / h - 1.5)

    def _decode(self, cands: list[_Candidate], n_atoms: int, probs: np.ndarray,
                mass: np.ndarray) -> list[RecognizedChar]:
        """Best segmentation of a run's atoms by summed log-probability (Viterbi)."""
        if not cands:
            return []
        best: list[tuple[float, _Candidate | None]] = [(-math.inf, None)] * (n_atoms + 1)
        best[0] = (0.0, None)
        by_end: dict[int, list[_Candidate]] = {}
        for c in cands:
            by_end.setdefault(c.end, []).append(c)
        for end in range(1, n_atoms + 1):
            for c in by_end.get(end, []):
                prev = best[c.start][0]
                if prev == -math.inf:
                    continue
                if c.batch_row < 0:
                    score = prev  # an empty column range carries no character
                else:
                    p = float(self._non_mark_top(mass[c.batch_row])[1])
                    score = prev + math.log(max(p, 1e-9)) - SPLIT_PENALTY - self._aspect_penalty(c.box)
                if score > best[end][0]:
                    best[end] = (score, c)
        path = []
        end = n_atoms
        while end > 0 and best[end][1] is not None:
            c = best[end][1]
            path.append(c)
            end = c.start
        out = []
        for c in reversed(path):
            if c.batch_row < 0:
                continue
            row = probs[c.batch_row]
            alts = self._alternatives(row)
            shape = {t: float(row[self._out_index[t]]) for t in SAME_SHAPE.get(alts[0][0], "")
                     if t in self._out_index}
            out.append(RecognizedChar(alts[0][0], c.box, alts[0][1], alts,
                                      self._best_of(row, self._is_letter), self._best_of(row, self._is_digit),
                                      shape))
        return out

    def _best_of(self, row: np.ndarray, mask: np.ndarray) -> tuple[str, float] | None:
        if not mask.any():
            return None
        i = int(np.argmax(np.where(mask, row, -1.0)))
        return self.out_labels[i], float(row[i])

    def _non_mark_top(self, row: np.ndarray) -> tuple[str, float]:
        """Best label that is not a small mark (those are decided by geometry)."""
        masked = np.where(self._is_mark, -1.0, row)
        i = int(np.argmax(masked))
        if masked[i] < 0:
            i = int(np.argmax(row))
        return self.out_labels[i], float(row[i])

    def _alternatives(self, row: np.ndarray) -> list[tuple[str, float]]:
        """Top-3 labels of a full-size glyph; small marks are excluded, being decided by size."""
        order = [i for i in np.argsort(-row, kind="stable")[:8] if not self._is_mark[i]][:3]
        return [(self.out_labels[i], float(row[i])) for i in order] or self.top_k(row, 3)

    def _mark(self, box: tuple[int, int, int, int], g: Geometry) -> RecognizedChar | None:
        """Name a small mark from its size and position on the line."""
        if g.width > 1.6 * g.height and 0.1 < g.bottom and g.top < 0.85:
            ranked = ["-", "·", "."]
        elif g.bottom < 0.2:
            comma = g.height > 1.35 * g.width or g.bottom < -0.08
            ranked = [",", ".", "'"] if comma else [".", ",", "·"]
        elif g.bottom > 0.45:
            ranked = ["'", "`", "\""]
        else:
            ranked = ["·", ".", "-"]
        ranked += [c for c in SMALL_MARKS if c not in ranked]
        allowed = [c for c in ranked[:3] if c in self._out_index]
        allowed += [c for c in ranked[3:] if c in self._out_index][:3 - len(allowed)] if allowed else []
        if not allowed:
            return None  # the model cannot say this mark: treat it as noise
        # Geometry is reliable for clear cases; the confidence reflects a rule, not a model.
        conf = [0.9, 0.07, 0.03]
        alts = [(c, conf[i]) for i, c in enumerate(allowed)]
        return RecognizedChar(allowed[0], box, alts[0][1], alts)

    @staticmethod
    def _word_context(chars: list[RecognizedChar]) -> list[RecognizedChar]:
        """Settle letter/digit lookalikes (0/o, 1/l, 5/s, 8/B) by the rest of the word.

        Words are rarely mixed: in a word of mostly letters a digit whose top-3
        holds a letter becomes that letter, and the reverse in a number.
        """
        kinds = [c.text.isalpha() - c.text.isdigit() for c in chars]
        letters, digits = kinds.count(1), kinds.count(-1)
        if letters == digits:
            return chars
        want = str.isalpha if letters > digits else str.isdigit
        for c in chars:
            if want(c.text) or not (c.text.isalpha() or c.text.isdigit()):
                continue
            # A lookalike (0/O/o, 1/l/I, 5/S) is the same shape: it wins whatever
            # its probability. Otherwise only a plausible second counts; a far
            # one means a really mixed word (B52, 3rd).
            shape = [(t, p) for t, p in (c.same_shape or {}).items() if want(t)]
            alt = max(shape, key=lambda a: a[1]) if shape else \
                (c.best_letter if letters > digits else c.best_digit)
            if alt is not None and (shape or alt[1] >= 0.05):
                c.text, c.confidence = alt
                c.alternatives = [alt] + [a for a in c.alternatives if a[0] != alt[0]][:2]
        return chars

    def _merge_quotes(self, chars: list[RecognizedChar]) -> list[RecognizedChar]:
        """Two apostrophes side by side are one double quote, when the output allows it."""
        if '"' not in self._out_index:
            return chars
        out: list[RecognizedChar] = []
        for ch in chars:
            if out and ch.text == "'" and out[-1].text == "'" and \
                    ch.box[0] - out[-1].box[2] <= 1.5 * (ch.box[2] - ch.box[0]) + 2:
                a = out.pop()
                box = (a.box[0], min(a.box[1], ch.box[1]), ch.box[2], max(a.box[3], ch.box[3]))
                out.append(RecognizedChar('"', box, min(a.confidence, ch.confidence), [('"', 0.9), ("'", 0.1)]))
            else:
                out.append(ch)
        return out

    def _resolve_case(self, words: list[list[RecognizedChar]]) -> None:
        """Choose the case of size-only letters (o/O, s/S, p/P, ...) from geometry.

        The letter's height against the line's x-height and cap height decides;
        on a line with no height contrast (all short or all tall), the case of
        the line's unambiguous letters decides.
        """
        chars = [c for w in words for c in w]
        if not chars:
            return
        metrics = line_metrics([c.box for c in chars])
        unambiguous = [c.text for c in chars if c.text.isalpha()
                       and c.text not in CASE_BY_HEIGHT | CASE_BY_DESCENDER | set("kKjJmMlIi")]
        lower_votes = sum(t.islower() for t in unambiguous)
        upper_votes = sum(t.isupper() for t in unambiguous)
        for ch in chars:
            t = ch.text
            if t not in CASE_BY_HEIGHT and t not in CASE_BY_DESCENDER:
                continue
            other = t.swapcase()
            if other not in self._out_index or t not in self._out_index:
                continue
            g = glyph_geometry(ch.box, metrics)
            want = None
            if t in CASE_BY_DESCENDER:
                want = "lower" if g.bottom < -0.15 else ("upper" if metrics.x_height is not None or upper_votes > lower_votes else None)
            elif metrics.x_height is not None:
                mid = (metrics.x_height / metrics.cap_height + 1.0) / 2.0
                want = "lower" if g.top < mid else "upper"
            elif lower_votes != upper_votes:
                want = "lower" if lower_votes > upper_votes else "upper"
            if want is None:
                continue
            new = t.lower() if want == "lower" else t.upper()
            # Shape says the letter, geometry says the case: the two case
            # classes are one shape, so their probabilities add up.
            p = dict(ch.alternatives)
            merged = min(1.0, p.get(t, ch.confidence) + p.get(other, 0.0))
            ch.text = new
            ch.confidence = merged
            ch.alternatives = [(new, merged)] + [(l, q) for l, q in ch.alternatives if l not in (t, other)][:2]


def join_split_numbers(words: list[list[RecognizedChar]], max_pitches: float = 1.3) -> list[list[RecognizedChar]]:
    """Rejoin numbers that ink gaps split into words, as "2125" read as "21 25".

    Digits sit on one fixed advance in almost every font, so a narrow "1"
    leaves wide ink gaps on both sides that look like word spaces. Between
    two digits, what tells a space is the distance between their centres: one
    digit pitch inside a number, a pitch plus a space between two numbers.
    The pitch is the median centre distance of adjacent digits inside words
    on the same line (at least three such pairs, or nothing is changed).
    """
    def centre(c: RecognizedChar) -> float:
        return (c.box[0] + c.box[2]) / 2.0

    pitches = [centre(b) - centre(a) for word in words for a, b in zip(word, word[1:])
               if a.text.isdigit() and b.text.isdigit()]
    if len(pitches) < 3:
        return words
    pitch = float(np.median(pitches))
    out = [list(words[0])] if words else []
    for word in words[1:]:
        last, first = out[-1][-1], word[0]
        if last.text.isdigit() and first.text.isdigit() and centre(first) - centre(last) < max_pitches * pitch:
            out[-1].extend(word)
        else:
            out.append(list(word))
    return out


def settle_isolated_lookalikes(words: list[list[RecognizedChar]]) -> list[list[RecognizedChar]]:
    """Read a lone letter between numbers as the digit of the same shape.

    A comb field puts each digit of an account number in its own box, so each
    is a word of one character and gets no context from its own word: an "0"
    drawn round reads as "O". When every neighbouring word on the line is a
    number, a one-character word in :data:`SAME_SHAPE` becomes its digit.
    """
    out = [list(w) for w in words]
    for k, word in enumerate(words):
        if len(word) != 1 or word[0].text.isdigit():
            continue
        digit = next((c for c in SAME_SHAPE.get(word[0].text, "") if c.isdigit()), None)
        neighbours = [words[j] for j in (k - 1, k + 1) if 0 <= j < len(words)]
        if digit and neighbours and all("".join(c.text for c in n).isdigit() for n in neighbours):
            out[k] = [replace(word[0], text=digit)]
    return out
