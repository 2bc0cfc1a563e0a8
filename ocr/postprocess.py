"""Post-processing of recognized characters: pure functions, applied in order.

Recognition says what each glyph looks like; these steps use what a glyph
classifier cannot see: a small mark's size and position on the line
(:func:`name_mark`), the rest of the word (:func:`settle_by_word_context`),
the line's x-height (:func:`resolve_case`), digit pitch across word gaps
(:func:`join_split_numbers`) and neighbouring fields
(:func:`settle_isolated_lookalikes`). :data:`LINE_STEPS` is the ordered list
the pipeline applies to every recognizer's lines, as docTR keeps its
post-processor apart from its predictor.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, replace
from itertools import groupby
from typing import Callable, Container, Sequence

import numpy as np

from ocr.classify import SMALL_MARKS
from ocr.normalize import Geometry, LineMetrics, glyph_geometry, line_metrics

log = logging.getLogger(__name__)

Box = tuple[int, int, int, int]
#: Letters whose capital and lowercase differ only in size (decided by height).
CASE_BY_HEIGHT = set("cosuvwxzCOSUVWXZ")
#: Letters whose lowercase has a descender (decided by the bottom).
CASE_BY_DESCENDER = set("pyPY")
#: Letters and digits drawn with the same shape, told apart only by context.
SAME_SHAPE = {"0": "Oo", "1": "lI", "5": "Ss", "2": "Zz", "8": "B", "9": "gq", "6": "b",
              "O": "0", "o": "0", "l": "1", "I": "1", "S": "5", "s": "5", "Z": "2", "z": "2",
              "B": "8", "g": "9", "q": "9", "b": "6"}


@dataclass
class RecognizedChar:
    """One recognized character in the segmentation frame."""

    text: str
    box: Box
    confidence: float
    alternatives: list[tuple[str, float]]  # top-3, best first (includes ``text``)
    # Best letter and best digit, for settling lookalikes by word context.
    best_letter: tuple[str, float] | None = None
    best_digit: tuple[str, float] | None = None
    same_shape: dict[str, float] | None = None  # probabilities of SAME_SHAPE lookalikes


#: Lines -> words -> characters, what every recognizer returns for a page.
Words = list[list[RecognizedChar]]


def name_mark(box: Box, g: Geometry, known: Container[str]) -> RecognizedChar | None:
    """Name a small mark from its size and position on the line, among the ``known`` output characters."""
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
    allowed = [c for c in ranked[:3] if c in known]
    allowed += [c for c in ranked[3:] if c in known][:3 - len(allowed)] if allowed else []
    if not allowed:
        return None  # the model cannot say this mark: treat it as noise
    # Geometry is reliable for clear cases; the confidence reflects a rule, not a model.
    conf = [0.9, 0.07, 0.03]
    alts = [(c, conf[i]) for i, c in enumerate(allowed)]
    return RecognizedChar(allowed[0], box, alts[0][1], alts)


#: A stop or comma read by a print line model is named by its ink when the model is less sure
#: than :data:`MARK_SURE`: a comma at least :data:`COMMA_ROWS` rows tall, reaching at least
#: :data:`COMMA_BELOW` cap heights below the baseline and at least :data:`COMMA_ASPECT` times as
#: tall as wide; a stop at least :data:`STOP_ROWS` rows tall, ending within :data:`STOP_BELOW`
#: below and :data:`STOP_ABOVE` above the baseline, at most :data:`STOP_ASPECT` times as tall as
#: wide. On 24 dev pages (oldbooks, docbank; the marks' ink against the truth) 543 of 564
#: commas reached 0.12 below, 1 of 342 stops did; the model read 30 commas as stops
#: ("However. the") and 11 stops as commas (an old book's square stop, "achieving,"). A
#: smaller stop is left as read: on small print binarization loses a comma's faint tail, and
#: what is left (3 x 4 pixels) is a stop's shape (docbank dev astroph: 9 commas made stops).
MARK_SURE = 0.99
COMMA_ROWS = 3
COMMA_BELOW = 0.12
COMMA_ASPECT = 1.3
STOP_ROWS = 6
STOP_BELOW = 0.06
STOP_ABOVE = 0.1
STOP_ASPECT = 1.45


def stop_or_comma(ch: RecognizedChar, ink: Box, metrics: LineMetrics) -> RecognizedChar:
    """``ch`` (a print model's ``.`` or ``,``) named by the shape and place of its own ``ink``
    on a line with ``metrics``: the model tells a stop from a comma by a few pixels it sees
    through a 32-row input, where the mark's tail below the baseline is plain at full size."""
    if ch.text not in ".," or ch.confidence >= MARK_SURE:
        return ch
    g = glyph_geometry(ink, metrics)
    aspect = g.height / max(g.width, 1e-6)
    rows = ink[3] - ink[1]
    if rows >= COMMA_ROWS and g.bottom <= -COMMA_BELOW and aspect >= COMMA_ASPECT:
        text = ","
    elif rows >= STOP_ROWS and -STOP_BELOW <= g.bottom <= STOP_ABOVE and aspect <= STOP_ASPECT:
        text = "."
    else:
        return ch
    if text == ch.text:
        return ch
    log.debug("%r at %s read as %r: its ink ends %.2f cap heights from the baseline, %.1f times as tall as wide",
              ch.text, ink, text, g.bottom, aspect)
    # The confidence stays the model's, for the mark it saw: the ink names it, not surer.
    alternatives = [(text, ch.confidence)] + [(c, p) for c, p in ch.alternatives if c != text]
    return replace(ch, text=text, alternatives=alternatives[:3])


#: What a print model may read for an opening quote or apostrophe, whose ink it sees through
#: a 32-row input without the line around it: "“ampo”" read "<ampo”", "“Their" read "cTheir".
RAISED_LOOKALIKES = "<c"
#: Marks that lie wholly above the x-height.
RAISED_MARKS = "“”‘’\"'`"
#: A glyph whose ink ends at least this many cap heights above the baseline (over the middle of
#: the x-height) lies above the letters' bodies: where "<" and "c" never do.
RAISED_BOTTOM = 0.35
#: ... and a "<" or "c" that ends this high is a quote (:func:`raised_mark`): an old face's large
#: opening quotes reach down to 0.32-0.33 ("“ampò”" and "‘She’s" read "<ampo”" and "<She’s" on
#: oldbooks dev pages e021 and e041, their other quotes 0.35-0.46); nine in ten of the model's
#: "<" and "c" on the dev lines end within 0.03 of the baseline, and the few that end higher
#: with no quote among their alternatives stay as read.
RAISED_MARK_BOTTOM = 0.3


def raised_mark(ch: RecognizedChar, ink: Box, metrics: LineMetrics) -> RecognizedChar:
    """``ch`` (a print model's ``<`` or ``c``) made the likeliest raised mark among the
    model's alternatives when its own ``ink`` lies above the x-height on a line with
    ``metrics``; as read without such an alternative."""
    if ch.text not in RAISED_LOOKALIKES or glyph_geometry(ink, metrics).bottom < RAISED_MARK_BOTTOM:
        return ch
    raised = [(c, p) for c, p in ch.alternatives if c in RAISED_MARKS]
    if not raised:
        return ch
    text = raised[0][0]
    log.debug("%r at %s read as %r: its ink lies above the x-height", ch.text, ink, text)
    # The confidence stays the model's, for the mark it saw: the ink names it, not surer.
    alternatives = [(text, ch.confidence)] + [(c, p) for c, p in ch.alternatives if c != text]
    return replace(ch, text=text, alternatives=alternatives[:3])


def settle_by_word_context(chars: list[RecognizedChar]) -> list[RecognizedChar]:
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


#: A single quote mark and the double one that is two of them side by side. Why: books set a
#: double quote as two single ones with a gap ("anything,’’ said"); a line model reads the pair
#: as one mark (CTC merges a label repeated with no blank between), or as two.
DOUBLED_MARKS = {"'": '"', "’": "”", "‘": "“", "`": "“"}
#: Quotes that are double already.
DOUBLE_MARKS = frozenset('"“”„«»')
#: One mark of a double quote is at most this many cap heights wide (a quote's tick is about
#: 0.23 in oldbooks' faces; a superscript digit is wider), under 0.7 tall, and at least
#: :data:`QUOTE_TICK_SHAPE` times as tall as wide (a speck is as wide as tall); the two lie at
#: most :data:`QUOTE_GAP` cap heights apart, and a quote as near its word.
QUOTE_TICK_WIDTH = 0.35
QUOTE_TICK_SHAPE = 1.2
QUOTE_GAP = 0.6
#: The two marks of a double quote are alike: their tops within this many cap heights, the
#: taller at most this many times as tall as the other.
QUOTE_TOPS = 0.15
QUOTE_HEIGHTS = 1.5
#: The confidence of a double quote put where the model read nothing: its ink names it.
QUOTE_BY_INK = 0.5


def merge_quotes(chars: list[RecognizedChar], allowed: Container[str]) -> list[RecognizedChar]:
    """Two single quote marks of one kind side by side are one double quote, when the output allows it."""
    out: list[RecognizedChar] = []
    for ch in chars:
        double = DOUBLED_MARKS.get(ch.text)
        if out and double is not None and double in allowed and out[-1].text == ch.text and \
                ch.box[0] - out[-1].box[2] <= 1.5 * (ch.box[2] - ch.box[0]) + 2:
            a = out.pop()
            box = (a.box[0], min(a.box[1], ch.box[1]), ch.box[2], max(a.box[3], ch.box[3]))
            out.append(RecognizedChar(double, box, min(a.confidence, ch.confidence),
                                      [(double, 0.9), (ch.text, 0.1)]))
        else:
            out.append(ch)
    return out


def _tick_runs(glyphs: Sequence[Box], metrics: LineMetrics) -> tuple[list[Box], list[list[int]]]:
    """The line's glyph boxes left to right, and the runs of quote marks among them (indices
    into the boxes): raised above the x-height, shaped as :data:`QUOTE_TICK_WIDTH` says,
    neighbours at most :data:`QUOTE_GAP` apart."""
    cap = max(metrics.cap_height, 1.0)
    ordered = sorted(glyphs)
    runs: list[list[int]] = []
    previous_tick = False
    for k, box in enumerate(ordered):
        g = glyph_geometry(box, metrics)
        tick = (g.bottom >= RAISED_BOTTOM and g.height < 0.7 and g.width < QUOTE_TICK_WIDTH
                and g.height >= QUOTE_TICK_SHAPE * g.width)
        if tick and previous_tick and box[0] - ordered[runs[-1][-1]][2] <= QUOTE_GAP * cap:
            runs[-1].append(k)
        elif tick:
            runs.append([k])
        previous_tick = tick
    return ordered, runs


def doubled_marks(chars: list[RecognizedChar], glyphs: Sequence[Box], metrics: LineMetrics,
                  allowed: Container[str]) -> list[RecognizedChar]:
    """Double quotes named by their ink: two like marks side by side above the x-height (a run
    of two in the line's ``glyphs``, each at most :data:`QUOTE_TICK_WIDTH` wide).

    The one character read mostly over such a pair is a double quote: a single mark is made
    the double one of its side, anything else ("<", "c", "€": the model sees the marks without
    the line around them) the quote its place says, opening before a word, closing after
    one. Where nothing was read over the pair, that quote is put there; two quote marks
    read over it ("’”", a mark for each half) are one double quote. Three marks side by side
    ("’”" closing a quote in a quote) are no pair, and stay as read.
    """
    cap = max(metrics.cap_height, 1.0)
    ordered, runs = _tick_runs(glyphs, metrics)
    out = list(chars)
    for run in (r for r in runs if len(r) == 2):
        (x0, top0, _, bottom0), (_, top1, x1, bottom1) = ordered[run[0]], ordered[run[1]]
        if abs(top0 - top1) > QUOTE_TOPS * cap or max(bottom0 - top0, bottom1 - top1) > \
                QUOTE_HEIGHTS * min(bottom0 - top0, bottom1 - top1):
            continue  # not a pair: a broken letter's piece beside an apostrophe ("r’" of "Tiger’s")
        y0, y1 = min(top0, top1), max(bottom0, bottom1)
        # Read over the pair: most of the character's box lies on it (a neighbour's box, cut
        # between CTC peaks, may reach into the first mark).
        over = [k for k, c in enumerate(out) if c.text != " " and
                2 * (min(c.box[2], x1) - max(c.box[0], x0)) >= c.box[2] - c.box[0]]
        if len(over) == 2 and all(out[k].text in RAISED_MARKS for k in over):
            # Two marks read over one pair ("’”": the model's single and double for its two
            # halves): one double quote, as the model named it where it read one.
            first, second = out[over[0]], out[over[1]]
            text = next((c.text for c in (first, second) if c.text in DOUBLE_MARKS),
                        DOUBLED_MARKS.get(first.text, first.text))
            if text in allowed:
                log.debug("%r and %r at %s read as %r: two marks side by side", first.text, second.text,
                          (x0, y0, x1, y1), text)
                out[over[0]] = RecognizedChar(text, (min(x0, first.box[0]), y0, max(x1, second.box[2]), y1),
                                              min(first.confidence, second.confidence),
                                              [(text, min(first.confidence, second.confidence))])
                del out[over[1]]
            continue
        if len(over) > 1 or (over and out[over[0]].text in DOUBLE_MARKS):
            continue
        if not over and any(c.text in RAISED_MARKS and c.box[0] < x1 and c.box[2] > x0 for c in out):
            continue  # a quote was read there, its box reaching on into the word
        # A quote sits against the word it opens or closes (its stop or comma included), a
        # word space from the next.
        before = x0 - ordered[run[0] - 1][2] if run[0] > 0 else np.inf
        after = ordered[run[1] + 1][0] - x1 if run[1] + 1 < len(ordered) else np.inf
        side = None if min(before, after) > QUOTE_GAP * cap else "“" if after < before else "”"
        if over and out[over[0]].text in DOUBLED_MARKS:
            side = DOUBLED_MARKS[out[over[0]].text]
        text = side if side in allowed else '"' if side and '"' in allowed else None
        if text is None:
            continue
        if over:
            ch = out[over[0]]
            log.debug("%r at %s read as %r: its ink is two marks side by side", ch.text, ch.box, text)
            alternatives = [(text, ch.confidence)] + [(c, p) for c, p in ch.alternatives if c != text]
            out[over[0]] = replace(ch, text=text, alternatives=alternatives[:3],
                                   box=(min(x0, ch.box[0]), ch.box[1], max(x1, ch.box[2]), ch.box[3]))
        else:
            log.debug("two raised marks at %s read as nothing: %r", (x0, y0, x1, y1), text)
            at = sum(c.box[0] < x0 for c in out)
            out.insert(at, RecognizedChar(text, (x0, y0, x1, y1), QUOTE_BY_INK, [(text, QUOTE_BY_INK)]))
    return out


def resolve_case(words: list[list[RecognizedChar]], allowed: Container[str]) -> list[list[RecognizedChar]]:
    """Choose the case of size-only letters (o/O, s/S, p/P, ...) from geometry.

    The letter's height against the line's x-height and cap height decides;
    on a line with no height contrast (all short or all tall), the case of
    the line's unambiguous letters decides. Characters are changed in place.
    """
    chars = [c for w in words for c in w]
    if not chars:
        return words
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
        if other not in allowed or t not in allowed:
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
        _set_case(ch, t.lower() if want == "lower" else t.upper())
    return words


def _set_case(ch: RecognizedChar, new: str) -> None:
    """Give ``ch`` the case ``new`` (its letter in upper or lower case), in place.

    Shape says the letter, the line says the case: the two case classes are
    one shape, so their probabilities add up.
    """
    t, other = ch.text, ch.text.swapcase()
    p = dict(ch.alternatives)
    merged = min(1.0, p.get(t, ch.confidence) + p.get(other, 0.0))
    ch.text, ch.confidence = new, merged
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


#: Signs that make a word an amount, for :func:`settle_lookalike_runs`.
AMOUNT_SIGNS = set("$£€%")


def settle_lookalike_runs(words: list[list[RecognizedChar]]) -> list[list[RecognizedChar]]:
    """Read a run of digits inside a word of letters as letters, and the reverse ("R0LL", "Trai1", "$2OO").

    The line models read a whole line, so their characters carry no
    best-letter/best-digit split for :func:`settle_by_word_context`; at fax
    resolution they still take O for 0 or l for 1 inside a word. Each part
    of a word between hyphens and slashes ("10-N0V-1986") is settled alone.
    A run (the characters between a letter/digit change) of the part's
    minority kind changes only when every character of it has a same-shape
    lookalike of the other kind among the model's alternatives, so mixed
    words whose minority is not a lookalike stay as read ("B52", "100mg"),
    and so do a number with its ordinal or unit ("1st") and a letter after an
    apostrophe ("10's"). In a tie ("0f", "1D")
    only O/0 and l/I/1 change, and only when one kind alone can.
    The lookalike's case follows the word's other letters when they agree.
    """
    for word in words:
        part: list[RecognizedChar] = []
        for ch in word + [None]:
            if ch is None or ch.text in PART_SEPARATORS:
                _settle_part(part)
                part = []
            else:
                part.append(ch)
    return words


#: Characters that separate the parts of a date or code, each part settled alone.
PART_SEPARATORS = set("-/")
#: A number and its ordinal or unit ("1st", "10am", "5kg"), left as read.
NUMBER_WITH_SUFFIX = re.compile(r"\W*\d+(st|nd|rd|th|s|am|pm|mm|cm|km|kg|mg|ml|lb|lbs|oz|in|ft|x)\W*",
                                re.IGNORECASE)
#: The lookalikes a tie between letters and digits may change.
TIE_LOOKALIKES = set("0Oo1lI")


def _settle_part(part: list[RecognizedChar]) -> None:
    """Settle one part of a word in place (see :func:`settle_lookalike_runs`)."""
    kinds = [1 if c.text.isalpha() else -1 if c.text.isdigit() else 0 for c in part]
    letters, digits = kinds.count(1), kinds.count(-1)
    text = "".join(c.text for c in part)
    if not letters or not digits or NUMBER_WITH_SUFFIX.fullmatch(text):
        return
    others = "".join(c.text for c, k in zip(part, kinds) if k == 1)
    votes = {1: letters, -1: digits + sum(c.text in AMOUNT_SIGNS for c in part)}  # "$2OO" is an amount
    runs = {kind: _runs(part, kinds, kind, others) for kind in (1, -1)}
    if votes[1] != votes[-1]:
        minority = -1 if votes[1] > votes[-1] else 1
        changes = [run for run in runs[minority] if all(look for _, look in run)]
    else:
        settled = {kind: all(look for run in runs[kind] for _, look in run)
                   and all(c.text in TIE_LOOKALIKES for c, k in zip(part, kinds) if k == kind)
                   for kind in (1, -1)}
        if settled[1] == settled[-1]:
            return
        changes = runs[1 if settled[1] else -1]
    for run in changes:
        for c, (text, p) in run:
            c.text, c.confidence = text, p
            c.alternatives = [(text, p)] + [a for a in c.alternatives if a[0] != text][:2]


def _runs(part: list[RecognizedChar], kinds: list[int], kind: int, others: str) -> list[list]:
    """Each run of ``kind`` characters in ``part`` as [(char, its lookalike or None)]; a letter
    run after an apostrophe is a suffix ("10's"), its lookalikes None."""
    out, start = [], 0
    for k, group in groupby(kinds):
        size = len(list(group))
        if k == kind:
            suffix = start > 0 and part[start - 1].text in "'’"
            out.append([(c, None if suffix else _lookalike(c, want_letter=kind == -1, others=others))
                        for c in part[start:start + size]])
        start += size
    return out


def _lookalike(ch: RecognizedChar, want_letter: bool, others: str) -> tuple[str, float] | None:
    """``ch``'s same-shape letter (or digit) that the model offered, in the case of ``others``."""
    offered = dict(ch.alternatives)
    shapes = [t for t in SAME_SHAPE.get(ch.text, "") if t.isalpha() == want_letter and t in offered]
    if not shapes:
        return None
    best = max(shapes, key=lambda t: offered[t])
    p = min(1.0, offered[best] + ch.confidence)  # one shape: the two add up
    if want_letter and others and (others.isupper() or others.islower()):
        cased = best.upper() if others.isupper() else best.lower()
        if cased in SAME_SHAPE[ch.text]:  # O and o differ in size only
            best = cased
    return best, p


#: Punctuation written against the word before it, and against the word after it.
#: Curly quotes say which side they belong to (a straight one does not); French
#: guillemets stand apart from their words by rule, so they are left as read. A "$" or "#"
#: that the segmenter found apart stays apart: forms print "$ 212,475" and "# Customers"
#: (FUNSD's annotators kept 33 of 48 dollar signs as words of their own).
CLOSING_PUNCTUATION = set(",.:;!?)]}%\u201d\u2019")
OPENING_PUNCTUATION = set("([{\u201c\u2018")
#: ... when it stands at most this many character heights from it (farther, it is a field of its own).
MAX_PUNCTUATION_GAP = 1.0


def _punctuation_reach(words: list[list[RecognizedChar]]) -> float | None:
    """How far (:data:`MAX_PUNCTUATION_GAP` character heights, by the line's letters and
    digits) a mark may stand from the word it belongs to; None on a line with neither."""
    heights = [c.box[3] - c.box[1] for w in words for c in w if c.text.isalnum()]
    return MAX_PUNCTUATION_GAP * float(np.median(heights)) if heights else None


def attach_punctuation(words: list[list[RecognizedChar]]) -> list[list[RecognizedChar]]:
    """Join a word of closing punctuation to the word before it, and one of opening punctuation
    to the word after it ("Brand :" -> "Brand:", "( s)" -> "(s)", "\u201c Anatomy" -> "\u201cAnatomy";
    :data:`CLOSING_PUNCTUATION`, :data:`OPENING_PUNCTUATION`).

    The segmenter splits words at ink gaps, and a colon or comma in a
    monospaced or letter-spaced field stands as far from its word as a space,
    as does an opening quote before a capital in a book. English sets no space
    there; dashes, straight quotes and guillemets are left as read.
    """
    reach = _punctuation_reach(words)
    if reach is None:
        return words
    out: list[list[RecognizedChar]] = []
    for word in words:
        text = "".join(c.text for c in word)
        prev = "".join(c.text for c in out[-1]) if out else ""
        near = bool(out) and word[0].box[0] - out[-1][-1].box[2] <= reach
        if near and text and (set(text) <= CLOSING_PUNCTUATION or set(prev) <= OPENING_PUNCTUATION):
            out[-1] = out[-1] + list(word)
        else:
            out.append(list(word))
    return out


#: A quote mark ending a word that stands at most this share of its gap to its word from the next
#: word opens that one ("tags” Basketball”" -> "tags ”Basketball”": LaTeX sets a closing quote
#: mark for an opening quote typed as ", docbank dev page 116).
QUOTE_NEARER = 0.5
#: ... and stands at least this many character heights from the word it ends.
QUOTE_SPACE = 0.2


def quotes_to_their_word(words: list[list[RecognizedChar]]) -> list[list[RecognizedChar]]:
    """Move the quote marks that end a word to the start of the next word when they stand
    against it (:data:`QUOTE_NEARER`).

    A line model's word spaces (and :func:`attach_punctuation`, for a closing mark standing
    alone) give a closing quote mark to the word before it; typed as a straight " in LaTeX, or
    set as a mark that names its side wrongly, it is the next word's opening quote, and its
    place says so: it stands against that word, a space from the one before.
    """
    reach = _punctuation_reach(words)
    if reach is None:
        return words
    out = [list(word) for word in words]
    for i in range(len(out) - 1):
        word, after = out[i], out[i + 1]
        k = len(word)
        while k > 0 and word[k - 1].text in RAISED_MARKS:
            k -= 1
        if k == 0 or k == len(word) or not after:
            continue
        before_gap = word[k].box[0] - word[k - 1].box[2]
        after_gap = after[0].box[0] - word[-1].box[2]
        # A space's worth before it (a fifth of a character height at least), half that or less after.
        if before_gap >= QUOTE_SPACE * reach and 0 <= after_gap <= QUOTE_NEARER * before_gap:
            out[i], out[i + 1] = word[:k], word[k:] + after
    return out


#: A word that starts one of these (in lower case, after opening punctuation) starts a web address ...
WEB_ADDRESS_STARTS = ("http:", "https:", "ftp:", "www.")
#: ... which goes on into the next word when it ends in one of these (and the word is no
#: sentence's start), or when the word starts with "/" or ".".
WEB_ADDRESS_JOINERS = set(":/.-_~=&?#%")


def join_web_addresses(words: list[list[RecognizedChar]]) -> list[list[RecognizedChar]]:
    """Join the pieces of a web address that its gaps parted ("https: / / als .wikipedia. org"
    -> "https://als.wikipedia.org").

    A URL's colon, slashes and stops stand in cells of their own, and the gaps beside them
    are as wide as the line's word spaces (docbank dev page 247: 32 spaces inserted, the
    commonest error on the clean pages). No space belongs inside an address: from a word
    that starts one (:data:`WEB_ADDRESS_STARTS`), each next word near it (within
    :data:`MAX_PUNCTUATION_GAP` character heights) is joined on while the address ends in
    one of :data:`WEB_ADDRESS_JOINERS` and the word does not start with a capital (the next
    sentence: "www.rro.ch. GSW"), or while the word starts with "/" or ".".
    """
    reach = _punctuation_reach(words)
    if reach is None or not any(start in "".join(c.text for c in w).lower() for w in words
                                for start in WEB_ADDRESS_STARTS):
        return words
    out: list[list[RecognizedChar]] = []
    in_address = False
    for word in words:
        text = "".join(c.text for c in word)
        if in_address and text and word[0].box[0] - out[-1][-1].box[2] <= reach:
            last = out[-1][-1].text
            if text[0] in "/." or (last in WEB_ADDRESS_JOINERS and not text[0].isupper()):
                out[-1] = out[-1] + list(word)
                continue
        out.append(list(word))
        in_address = text.lstrip("([{\"'\u201c\u2018").lower().startswith(WEB_ADDRESS_STARTS)
    return out


#: A line is set in capitals when at least this share of its letters are read as capitals.
CAPITALS_LINE_SHARE = 0.7


def settle_case_of_capitals_lines(words: list[list[RecognizedChar]]) -> list[list[RecognizedChar]]:
    """On a line set in capitals, read the stray small letters of its capitalized words as capitals.

    Forms print headings, labels and typed fields in capitals; at fax
    resolution a capital E, T or H read alone is often taken for e, t or h
    ("PLEASe NOTiFY ThE"). When most of a line's letters are capitals, a
    word with at least one capital is a capitalized word: its small letters
    become capitals when the model gave that capital as an alternative.
    Words with no capital stay as read ("PAGE 1 of 4").
    """
    letters = [c.text for w in words for c in w if c.text.isalpha()]
    capitals = sum(t.isupper() for t in letters)
    if capitals < 4 or capitals < CAPITALS_LINE_SHARE * len(letters):
        return words
    for word in words:
        if not any(c.text.isupper() for c in word):
            continue
        for ch in word:
            upper = ch.text.upper()
            if ch.text.islower() and len(upper) == 1 and upper in dict(ch.alternatives):
                _set_case(ch, upper)
    return words


#: Small letters whose ink rises above the x-height, and small letters that keep within it.
ASCENDING_LETTERS = frozenset("bdfhkl")
X_HEIGHT_LETTERS = frozenset("acemnorsuvwxz")
#: A line read all in small letters whose ascending letters stand at most this many times as
#: tall as its x-height letters is set in small capitals (a book's running head "THE CORSET AND
#: THE CRINOLINE." read "the corset and the crinoline,": the model sees capitals the height of
#: small letters); print's ascenders rise 1.3-1.5 times, a hand's loops more.
SMALL_CAPITALS_RISE = 1.15
#: ... judged on at least this many ascending and x-height letters (a table cell's "dishes?",
#: its d and h measured on a low-resolution page, is no running head).
SMALL_CAPITALS_EVIDENCE = 3


def small_capitals_as_capitals(words: list[list[RecognizedChar]]) -> list[list[RecognizedChar]]:
    """Read a print line set all in small capitals as capitals, as a transcription writes it
    (a print model's step: a hand's letters are no guide, nor are a cursive model's boxes).

    Judged by the ink, on a line read with no capital at all: its letters that should rise
    (b d f h k l) stand no taller than its x-height letters (a c e m n o r s u v w x z,
    their median). Small capitals beside capitals are a name's or a title's letters, which
    transcriptions write as read ("Mr. Edwin Landseer", "The Palace of the King"): left alone.
    """
    letters = [c for w in words for c in w if c.text.isalpha()]
    if not letters or any(c.text.isupper() for c in letters):
        return words
    x_heights = [c.box[3] - c.box[1] for c in letters if c.text in X_HEIGHT_LETTERS]
    rising = [c.box[3] - c.box[1] for c in letters if c.text in ASCENDING_LETTERS]
    if min(len(x_heights), len(rising)) < SMALL_CAPITALS_EVIDENCE or \
            max(rising) > SMALL_CAPITALS_RISE * float(np.median(x_heights)):
        return words
    for ch in letters:
        if ch.text.islower() and len(ch.text.upper()) == 1:
            _set_case(ch, ch.text.upper())
    return words


#: Steps applied to every recognized line, in order, whatever the recognizer.
LINE_STEPS: tuple[Callable[[Words], Words], ...] = (join_split_numbers, settle_isolated_lookalikes,
                                                    settle_lookalike_runs, attach_punctuation,
                                                    quotes_to_their_word, join_web_addresses,
                                                    settle_case_of_capitals_lines)


def apply_steps(words: Words, steps: Sequence[Callable[[Words], Words]] = LINE_STEPS) -> Words:
    """Run ``words`` through ``steps`` in order."""
    for step in steps:
        words = step(words)
    return words


#: Below this share of accented letters a page is in a language written without them (and its
#: few accents are specks over plain letters); French runs at 3%, a form in English at 0-0.9%.
RARE_ACCENT_SHARE = 0.01
#: ... judged only on a page with at least this many letters.
MIN_LETTERS_FOR_LANGUAGE = 150
#: An accented small letter read this surely, in a word of small letters (its first may be a
#: capital), is kept on such a page too: the names and French words an English book quotes
#: ("Varjabétian", "portière", "régime": 0.96-1.0 on the oldbooks dev pages), where the specks
#: read as accents were under it (0.001-0.89) but for one in a misread word ("acéomplices",
#: 0.997, "c" read as "é" with or without its accent) and one on a form ("[ivitâtions", 0.985).
SURE_ACCENT = 0.95


def plain_letters_where_accents_are_rare(lines: list[Words]) -> list[Words]:
    """On a page whose accented letters are rare, read each as its plain letter ("ÖF" -> "OF"),
    but for those the model is sure of in a word of small letters (:data:`SURE_ACCENT`).

    The print model writes the letters of the Western European languages, so
    a speck over an English word or a noisy capital becomes an accent. A
    page in French or German carries accents on every few words; on a page
    with fewer than :data:`RARE_ACCENT_SHARE` of its letters accented, they
    are noise. Characters are changed in place.
    """
    letters = [c for words in lines for w in words for c in w if c.text.isalpha()]
    accented = sum(_plain_letter(c.text) != c.text for c in letters)
    if len(letters) < MIN_LETTERS_FOR_LANGUAGE or not accented or accented >= RARE_ACCENT_SHARE * len(letters):
        return lines
    for words in lines:
        for word in words:
            small = _is_small_word(word)
            for ch in word:
                plain = _plain_letter(ch.text)
                if plain == ch.text or (small and ch.text.islower() and ch.confidence >= SURE_ACCENT):
                    continue
                ch.alternatives = [(plain, ch.confidence)] + [a for a in ch.alternatives
                                                              if a[0] not in (plain, ch.text)][:2]
                ch.text = plain
    return lines


def _is_small_word(word: list[RecognizedChar]) -> bool:
    """Whether a word is two letters or more in small letters, but for its first."""
    letters = [c for c in word if c.text.isalpha()]
    return len(letters) >= 2 and not any(c.text.isupper() for c in letters[1:])


def _plain_letter(text: str) -> str:
    """``text`` without its accents (é -> e, Ö -> O); letters without a plain form (ß, œ) unchanged."""
    base = unicodedata.normalize("NFD", text)[:1]
    return base if len(text) == 1 and base.isascii() and base.isalpha() else text
