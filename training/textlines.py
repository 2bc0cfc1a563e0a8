"""Synthetic printed text lines for the print line model, degraded like real scans.

A model trained on clean renders reads clean renders: on real scans and faxes
(text 5 to 10 px high at 100 dpi, binarized with all its broken and touching
strokes) the first print model read FUNSD's lines at 42% CER. So a line here is
*scanned*: rendered large from one of the system fonts, thickened or thinned,
slightly rotated, sheared or curled, then shrunk to a scan resolution drawn
between 6 and 40 px of cap height (area resampling, as a scanner integrates),
printed on uneven paper with bleed-through, blurred, noised, sometimes
JPEG-compressed or halved in height and stretched back (standard-mode fax),
and binarized the ways a page is (Otsu, Sauvola, a hard fax threshold), at
that resolution, or at twice it where reading would enlarge it (text under
:data:`ocr.preprocess.SMALL_TEXT_HEIGHT`). Only then is it brought to the line-model input with the
same :func:`ocr.normalize.to_line_input` that reading uses, so the model sees
what the pipeline will give it.

The text is real language where the machine has it: Debian's word lists
(``wamerican``, ``wbritish``, ``wfrench``, ``wngerman``, ``wspanish``,
``witalian``; :func:`word_lists` says which it found), mixed with common
English words, random letter strings (so shapes are learned, not a
vocabulary), numbers, dates and amounts, punctuation and symbols, and
abbreviations as print sets them ("et al.,", "i.e.", "Fig. 3", initials), citations ("[49]"). Spaces are
not labelled: a word gap is read as blank frames, and words come from the
segmenter's gap statistics, as for every other model.
"""

from __future__ import annotations

import functools
import logging
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from ocr import charsets
from ocr.deslant import DeslantRule
from ocr.normalize import LINE_HEIGHT
from ocr.preprocess import binarize_otsu, binarize_sauvola, enlarged_if_small_text, remove_specks, speck_area
from training.strings import encode_texts, line_image
from training.synth import _covers, _font, font_families

log = logging.getLogger(__name__)

#: Common English words (function words and frequent nouns and verbs).
WORDS = ("a about after again all also an and any are as at back be because been before being "
         "between both but by call can come could day did do does down each even first for from "
         "get give go good great had has have he her here him his how i if in into is it its just "
         "know last like little long look made make man many may me more most much must my never "
         "new no not now number of off old on one only or other our out over own part people place "
         "right said same say see she should show small so some still such take than that the their "
         "them then there these they thing think this those three through time to two under up upon "
         "us use very was water way we well were what when where which while who why will with word "
         "work world would write year you your address amount bank bill box city code company copy "
         "date dear due form total invoice name office order page paid phone please price received "
         "reference sign street tax value").split()
LETTERS = charsets.UPPER + charsets.LOWER
#: Debian word lists (file under /usr/share/dict, share of the words drawn from it).
WORD_LISTS = (("american-english", 0.30), ("british-english", 0.10), ("french", 0.22),
              ("ngerman", 0.14), ("spanish", 0.12), ("italian", 0.12))
DICT_DIR = Path("/usr/share/dict")
#: Em sizes (pixels) the lines are rendered at before they are shrunk to scan size.
RENDER_SIZES = (48, 64, 80)
#: Cap heights (pixels) at scan resolution: log-uniform between these.
CAP_RANGE = (6.0, 40.0)
#: Shares of lines with a cut-off piece of a neighbouring line, and with a box side.
NEIGHBOUR_SHARE = 0.3
BOX_SIDE_SHARE = 0.08
#: Legacy: heights of the capitals of :func:`render_line`'s direct renders.
SIZES = np.arange(14, 52, 2)
#: Share of plain words followed by a comma. Why: the abbreviations (:data:`ABBREVIATIONS`) made a
#: stop after a letter six times as common as a comma there, and the model trained on that read
#: the commas of the docbank dev pages as stops ("However. the"); prose has about as many of each.
CLAUSE_COMMA = 0.12


@functools.lru_cache(maxsize=None)
def word_lists(alphabet: str) -> tuple[tuple[tuple[str, ...], ...], tuple[float, ...], tuple[str, ...]]:
    """The Debian word lists found, filtered to words over ``alphabet``: (lists, weights, names)."""
    lists, weights, names = [], [], []
    allowed = set(alphabet)
    for name, weight in WORD_LISTS:
        path = DICT_DIR / name
        if not path.is_file():
            continue
        words = tuple(w for w in path.read_text(encoding="utf-8", errors="ignore").split()
                      if 1 < len(w) <= 16 and set(w) <= allowed)
        if words:
            lists.append(words)
            weights.append(weight)
            names.append(f"{name} ({len(words)} words)")
    return tuple(lists), tuple(weights), tuple(names)


def _case(word: str, rng: np.random.Generator) -> str:
    r = rng.random()
    return word.capitalize() if r < 0.25 else word.upper() if r < 0.42 else word


def _word(rng: np.random.Generator, alphabet: str) -> str:
    lists, weights, _ = word_lists(alphabet)
    if not lists or rng.random() < 0.3:
        return str(rng.choice(WORDS))
    k = rng.choice(len(lists), p=np.asarray(weights) / sum(weights))
    return lists[k][int(rng.integers(len(lists[k])))]


def random_text(rng: np.random.Generator, max_chars: int = 22, alphabet: str = charsets.CHARNET) -> str:
    """A short line of word-like tokens; only characters of ``alphabet`` (and spaces)."""
    target = int(rng.integers(3, max_chars + 1))
    shout = rng.random() < 0.12  # whole lines in capitals: form labels, headings
    extra = [c for c in alphabet if c not in LETTERS + charsets.DIGITS]
    tokens: list[str] = []
    while sum(len(t) + 1 for t in tokens) < target:
        r = rng.random()
        if r < 0.50:
            word = _case(_word(rng, alphabet), rng)
            if rng.random() < CLAUSE_COMMA:
                word += ","
        elif r < 0.62:
            n = int(rng.integers(1, 9))
            pool = rng.choice([charsets.LOWER, charsets.UPPER, LETTERS, LETTERS + charsets.DIGITS])
            word = "".join(rng.choice(list(pool), n))
        elif r < 0.79:
            word = _number(rng, alphabet)
        elif r < 0.89:
            word = _punctuated(_case(_word(rng, alphabet), rng), rng)
        elif r < 0.95:
            word = _abbreviated(rng, alphabet)
        else:  # rare symbols, so every class is seen
            word = "".join(rng.choice(extra, int(rng.integers(1, 3)))) if extra else "-"
        tokens.append(word)
    text = " ".join(tokens)
    if shout:
        text = text.upper()
    return "".join(c for c in text[:max_chars] if c == " " or c in alphabet).strip() or alphabet[0]


def _number(rng: np.random.Generator, alphabet: str = charsets.CHARNET) -> str:
    digits = lambda n: "".join(rng.choice(list(charsets.DIGITS), n))  # noqa: E731
    currency = [c for c in "$€£" if c in alphabet] or ["$"]
    kind = rng.integers(9)
    if kind == 0:
        return f"{digits(2)}/{digits(2)}/{digits(int(rng.choice([2, 4])))}"
    if kind == 1:
        return f"{digits(int(rng.integers(1, 4)))},{digits(3)}.{digits(2)}"
    if kind == 2:
        return f"{rng.choice(currency)}{digits(int(rng.integers(1, 5)))}.{digits(2)}"
    if kind == 3:
        return f"{digits(2)}:{digits(2)}"
    if kind == 4:
        return f"{digits(int(rng.integers(1, 3)))}%"
    if kind == 5:
        return f"{digits(int(rng.integers(1, 4)))}.{digits(3)},{digits(2)} {rng.choice(currency)}"
    if kind == 6:
        return f"{digits(int(rng.integers(1, 4)))}-{digits(int(rng.integers(2, 5)))}"
    if kind == 7:
        return f"{digits(1)}.{digits(int(rng.integers(1, 3)))}"
    return digits(int(rng.integers(1, 7)))


def _punctuated(word: str, rng: np.random.Generator) -> str:
    forms = [f"({word})", f"{word},", f"{word}.", f"{word}:", f'"{word}"', f"{word};",
             f"{word}{rng.choice(list('!?'))}", f"{word}'s", f"#{int(rng.integers(1, 99))}",
             f"\u201c{word}\u201d", f"\u2018{word}\u2019", f"{word}\u2019s", f"\u2013 {word}",
             f"{word} \u2014", f"[{word}]", f"{word}-", f"\u00a7 {int(rng.integers(1, 40))}",
             f"{int(rng.integers(1, 40))}\u00b0", f"*{word}", f"<{word}>", f"{word}/",
             # A quotation's end after its stop, as books set it: oldbooks dev read "bladders.\u201d"
             # as "bladders." (the quote kerned over the period was never seen after one).
             f"{word}.\u201d", f"{word},\u201d", f"{word}.\u2019", f"{word},\u2019",
             f"{word}{rng.choice(list('?!;:'))}\u201d", f"\u2014{word}"]
    return forms[int(rng.integers(len(forms)))]


#: Abbreviations as print sets them: stops inside a word and after it, often with a comma, a
#: number or a bracket straight after. Why: the renders put a stop only after a whole word, and the
#: model dropped the stops of "et al.,", "i.e." and "Fig. 3" on the docbank dev pages (read "et al,",
#: "ie." and "Fig 3": a stop squeezed between two marks was never seen).
ABBREVIATIONS = ("i.e.", "e.g.", "et al.", "etc.", "cf.", "vs.", "viz.", "Fig.", "Figs.", "Eq.", "Eqs.",
                 "Ref.", "Refs.", "Sec.", "Vol.", "No.", "Nos.", "pp.", "p.", "Ch.", "Tab.", "Dr.", "Mr.",
                 "Mrs.", "Ms.", "Prof.", "St.", "Inc.", "Ltd.", "Co.", "Corp.", "Jr.", "U.S.", "U.K.",
                 "a.m.", "p.m.", "Ph.D.", "M.", "Mme.", "c.-à-d.", "J.-C.", "approx.", "Dept.", "Jan.",
                 "Feb.", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.", "ibid.", "op. cit.", "n.d.", "ed.",
                 "eds.", "Univ.", "Phys.", "Rev.", "Lett.", "Proc.", "Conf.", "Art.", "ch.", "env.")


def _cited(rng: np.random.Generator, alphabet: str) -> str:
    """A numbered citation or equation number: "[49]", "[3, 12]", "[12–15]", "(7)".

    Why: the renders put brackets only around words, so the model had never seen "[" before a
    digit and read the docbank dev lines' "[49]" as "149" and "[10]" as "10" (session 44)."""
    dash = "\u2013" if "\u2013" in alphabet and rng.random() < 0.6 else "-"
    numbers = [str(int(rng.integers(1, 120 if rng.random() < 0.8 else 20)))]
    for _ in range(int(rng.choice([0, 0, 0, 1, 1, 2]))):
        if rng.random() < 0.35 and numbers[-1].isdigit():
            numbers[-1] += dash + str(int(numbers[-1]) + int(rng.integers(1, 6)))
        else:
            numbers.append(str(int(rng.integers(1, 120))))
    inner = ", ".join(numbers) if rng.random() < 0.8 else ",".join(numbers)
    if rng.random() < 0.25:
        return f"({inner})" + str(rng.choice(["", "", ".", ","]))
    return f"[{inner}]" + str(rng.choice(["", "", "", ".", ",", ";", ")"]))


def _abbreviated(rng: np.random.Generator, alphabet: str) -> str:
    """An abbreviation, initials, a dotted name or number, a citation, as they sit in running print."""
    kind = int(rng.integers(6))
    if kind == 5:
        return _cited(rng, alphabet)
    if kind <= 1:
        word = str(rng.choice(ABBREVIATIONS))
        after = rng.random()
        if after < 0.3:
            return word + str(rng.choice([",", ")", ";", ":", "]"]))
        if after < 0.6:
            number = str(int(rng.integers(1, 200 if kind else 20)))
            return f"{word} {number}{rng.choice(['', '', ',', '.', ')', 'a', '(b)'])}"
        return word
    if kind == 2:  # initials before a name: "D.G.C. McKeon", "S. V. Kuzmin"
        gap = "" if rng.random() < 0.4 else " "
        initials = gap.join(f"{c}." for c in rng.choice(list(charsets.UPPER), int(rng.integers(1, 4))))
        return f"{initials} {_word(rng, alphabet).capitalize()}{rng.choice(['', ',', '.'])}"
    if kind == 3:  # addresses and file names: "www.die-bibel.de", "bibel.htm"
        name = ".".join(_word(rng, alphabet).lower() for _ in range(int(rng.integers(1, 3))))
        prefix = rng.choice(["www.", "", ""])  # drawn before the ending: the renders' text stays as trained on
        return f"{prefix}{name}.{rng.choice(['de', 'com', 'org', 'fr', 'ch', 'gov', 'htm', 'pdf'])}"
    section = ".".join(str(int(rng.integers(1, 13))) for _ in range(int(rng.integers(2, 4))))
    return f"{rng.choice(['', '(', '§ '])}{section}{rng.choice(['', '.', ',', ')', ').'])}"


# ------------------------------------------------------------------ rendering
def _draw_text(text: str, font_path: str | None, size: int) -> tuple[np.ndarray, float, int]:
    """White-on-black float render of ``text``; (ink, cap height, baseline row)."""
    font = _font(font_path, size)
    left, top, right, bottom = font.getbbox(text)
    pad = size // 2 + 4
    img = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 0)
    ImageDraw.Draw(img).text((pad - left, pad - top), text, font=font, fill=255)
    cap = font.getbbox("H")
    baseline = pad - top + cap[3]
    return np.asarray(img, dtype=np.float32), float(cap[3] - cap[1]), baseline


def render_line(text: str, font_path: str | None, size: int, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Render ``text`` as a scan would give it; returns (ink mask, cap height in pixels).

    ``size`` is the em size of the large render; the scan resolution is drawn
    from :data:`CAP_RANGE`, so the mask's cap height is usually much smaller.
    """
    ink, cap_hi, baseline = _draw_text(text, font_path, size)
    # Stroke weight: bold or light faces, ink spread, toner starvation.
    radius = int(round(rng.uniform(-0.03, 0.045) * size))
    if radius:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(radius) + 1,) * 2)
        thicker = cv2.dilate(ink, kernel) if radius > 0 else cv2.erode(ink, kernel)
        if radius > 0 or thicker.sum() > 0.6 * ink.sum():
            ink = thicker
    if rng.random() < 0.06:  # an underline through the descenders
        y = baseline + int(rng.uniform(0.05, 0.3) * cap_hi)
        t = max(1, int(rng.uniform(0.04, 0.1) * cap_hi))
        ink[min(y, ink.shape[0] - t):min(y, ink.shape[0] - t) + t, size // 3: ink.shape[1] - size // 3] = 255
    if rng.random() < NEIGHBOUR_SHARE:  # a crop from a page cuts through the next lines
        ink, baseline = _with_neighbour(ink, cap_hi, baseline, font_path, size, rng)
    if rng.random() < BOX_SIDE_SHARE:  # the side of a field's box, left by rule removal
        ink = _with_box_side(ink, cap_hi, baseline, rng)
    h, w = ink.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), float(rng.normal(0, 0.5)), 1.0)
    if rng.random() < 0.15:  # slanted print or a skewed scan head
        matrix[0, 1] += rng.uniform(-0.15, 0.2)
    ink = cv2.warpAffine(ink, matrix, (w, h), flags=cv2.INTER_LINEAR)
    if rng.random() < 0.15:  # page curl: a slow wave of the baseline
        amplitude = rng.uniform(0.02, 0.08) * cap_hi
        ys = np.arange(h, dtype=np.float32)[:, None] + amplitude * np.sin(
            np.arange(w, dtype=np.float32)[None, :] * 2 * np.pi / rng.uniform(3, 12) / size + rng.uniform(0, 6.3))
        ink = cv2.remap(ink, np.tile(np.arange(w, dtype=np.float32), (h, 1)), ys.astype(np.float32),
                        cv2.INTER_LINEAR)

    # Scan: shrink to the scan resolution by area averaging.
    cap = float(np.exp(rng.uniform(*np.log(CAP_RANGE))))
    factor = min(1.0, cap / max(cap_hi, 1.0))
    width = max(1, int(round(w * factor * rng.uniform(0.92, 1.08))))
    height = max(1, int(round(h * factor)))
    fax = rng.random() < 0.1  # standard-mode fax: half the vertical resolution
    small = cv2.resize(ink, (width, max(1, height // 2) if fax else height), interpolation=cv2.INTER_AREA)
    if fax:
        small = cv2.resize(small, (width, height), interpolation=cv2.INTER_NEAREST)
    gray = paper(small, rng)
    gray, scale = enlarged_if_small_text(gray)  # as preprocessing does
    binary = remove_specks(_binarize(gray, rng), speck_area(scale))
    # Paper darker than faint ink can leave specks where the text was: such a
    # mask under the text's label teaches the model to read words from nothing.
    text_cols = np.count_nonzero(small.max(axis=0) > 127) * scale
    if np.count_nonzero(binary.any(axis=0)) < 0.5 * text_cols:
        return np.zeros_like(binary), cap_hi * factor * scale
    return binary, cap_hi * factor * scale


def _with_neighbour(ink: np.ndarray, cap_hi: float, baseline: int, font_path: str | None, size: int,
                    rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """The render with a cut-off piece of the line above or below it (unlabelled).

    A line cropped from a form or a page by its words' boxes and a margin
    keeps the descenders of the line above or the tops of the line below
    (FUNSD's line crops: a third of them); the model learns to read the line
    between them. Returns (ink, baseline row in it).
    """
    other, o_cap, o_base = _draw_text(random_text(rng, max_chars=40), font_path, size)
    h, w = ink.shape
    shift = int(rng.integers(-w // 3, w // 3 + 1))
    row = np.zeros((other.shape[0], w), np.float32)
    src, dst = max(0, -shift), max(0, shift)
    n = min(other.shape[1] - src, w - dst)
    if n > 0:
        row[:, dst:dst + n] = other[:, src:src + n]
    if rng.random() < 0.65:  # above: its lower part, from inside its x-height down
        first = int(o_base - rng.uniform(0.1, 0.7) * o_cap)
        piece = row[max(first, 0):]
        top = int(round(baseline - cap_hi - rng.uniform(0.25, 0.8) * cap_hi - (o_base - first)))
    else:  # below: its upper part, down to inside its x-height
        cap_top = int(o_base - o_cap)
        piece = row[:max(cap_top + int(rng.uniform(0.1, 0.6) * o_cap), 1)]
        top = int(round(baseline + rng.uniform(0.3, 0.8) * cap_hi)) - cap_top
    lo, hi = min(0, top), max(h, top + piece.shape[0])
    canvas = np.zeros((hi - lo, w), np.float32)
    canvas[-lo:-lo + h] = ink
    window = canvas[top - lo:top - lo + piece.shape[0]]
    np.maximum(window, piece, out=window)
    return canvas, baseline - lo


def _with_box_side(ink: np.ndarray, cap_hi: float, baseline: int, rng: np.random.Generator) -> np.ndarray:
    """A vertical bar before or after the text: a box side that rule removal kept (unlabelled)."""
    cols = np.nonzero(ink.max(axis=0) > 0)[0]
    if len(cols) == 0:
        return ink
    thick = max(1, int(rng.uniform(0.05, 0.12) * cap_hi))
    gap = int(rng.uniform(0.15, 0.8) * cap_hi)
    margin = gap + thick + 2
    ink = np.pad(ink, ((0, 0), (margin, margin)))
    x = cols[0] + margin - gap - thick if rng.random() < 0.5 else cols[-1] + margin + gap
    y0 = max(0, int(baseline - rng.uniform(1.1, 1.6) * cap_hi))
    y1 = min(ink.shape[0], int(baseline + rng.uniform(0.3, 0.7) * cap_hi))
    ink[y0:y1, x:x + thick] = 255
    return ink


def paper(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Dark ink on uneven paper with bleed-through, blur, noise and JPEG; uint8 grey."""
    h, w = ink.shape
    paper = rng.uniform(170, 250)
    page = np.full((h, w), paper, np.float32)
    if rng.random() < 0.3:  # uneven illumination or a stained sheet
        gx = np.linspace(0, 1, w, dtype=np.float32)[None, :]
        gy = np.linspace(0, 1, h, dtype=np.float32)[:, None]
        page -= rng.uniform(0, 60) * (rng.uniform(-1, 1) * gx + rng.uniform(-1, 1) * gy) ** 2
    if rng.random() < 0.15:  # the other side of the sheet showing through
        ghost = cv2.GaussianBlur(ink[::-1, ::-1], (0, 0), 1.0)
        page -= ghost / 255.0 * rng.uniform(15, 50)
    contrast = rng.uniform(0.45, 1.0) * (paper - rng.uniform(0, 40))
    page -= ink / 255.0 * contrast
    if rng.random() < 0.5:
        page = cv2.GaussianBlur(page, (0, 0), rng.uniform(0.3, 0.9))
    page += rng.normal(0, rng.uniform(0, 14), page.shape).astype(np.float32)
    if rng.random() < 0.15:  # speckles, dust and toner dots
        spots = rng.random(page.shape) < rng.uniform(0.001, 0.01)
        page[spots] = rng.uniform(0, 120)
    gray = np.clip(page, 0, 255).astype(np.uint8)
    if rng.random() < 0.25:
        ok, data = cv2.imencode(".jpg", gray, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(25, 90))])
        if ok:
            gray = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    return gray


def _binarize(gray: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Ink mask the ways a page is binarized: Otsu, Sauvola or a hard (fax) threshold."""
    r = rng.random()
    if r < 0.55 or min(gray.shape) < 8:
        return binarize_otsu(gray).astype(bool)
    if r < 0.8:
        window = int(np.clip(gray.shape[0] | 1, 15, 51)) | 1
        return binarize_sauvola(gray, window=window).astype(bool)
    level = rng.uniform(0.35, 0.65) * (float(np.percentile(gray, 95)) + float(gray.min()))
    return gray < level


# ------------------------------------------------------------------- datasets
class _Faces:
    """Per-face character coverage, so a line drops what its face cannot draw."""

    def __init__(self, families: dict[str, list[str | None]], alphabet: str) -> None:
        self.groups = [faces for _, faces in sorted(families.items())]
        self.cover = {face: {c for c in alphabet if _covers(face, c)}
                      for faces in self.groups for face in faces}
        self.groups = [[f for f in faces if len(self.cover[f]) >= 62] for faces in self.groups]
        self.groups = [g for g in self.groups if g]

    def __call__(self, rng: np.random.Generator) -> str | None:
        faces = self.groups[int(rng.integers(len(self.groups)))]
        return faces[int(rng.integers(len(faces)))]


def _render_chunk(args) -> tuple[np.ndarray, list[str]]:
    start, n, alphabet, seed, width, max_length, families, rule = args
    faces = _faces(tuple(sorted((k, tuple(v)) for k, v in families.items())), alphabet)
    x = np.zeros((n, LINE_HEIGHT, width), np.uint8)
    texts = []
    for i in range(n):
        rng = np.random.default_rng([seed, start + i])
        face = faces(rng)
        text = "".join(c for c in random_text(rng, alphabet=alphabet)
                       if c == " " or c in faces.cover[face]).strip() or alphabet[0]
        mask, cap = render_line(text, face, int(rng.choice(RENDER_SIZES)), rng)
        for retry in range(1, 4):  # the text was lost in the scan: render it again
            if mask.any():
                break
            mask, cap = render_line(text, face, RENDER_SIZES[-1], np.random.default_rng([seed, start + i, retry]))
        sheared = rule.apply(mask, cap) if rule is not None else None  # as the card's reader shears it
        if sheared is not None:
            mask = sheared.mask
        x[i] = line_image(mask, width, line_height=cap * rng.uniform(0.9, 1.1))
        texts.append(text.replace(" ", "")[:max_length])
    return x, texts


@functools.lru_cache(maxsize=4)
def _faces(families: tuple, alphabet: str) -> _Faces:
    return _Faces({k: list(v) for k, v in families}, alphabet)


def textline_dataset(n: int, alphabet: str, seed: int = 0, width: int = 320, max_length: int = 32,
                     fonts: list | None = None, workers: int | None = None,
                     deslant: DeslantRule | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``n`` scanned-looking lines as model inputs: (x, y, texts) as :func:`training.strings.line_dataset`.

    A face is drawn by family (uniformly), then among the family's faces;
    characters the face lacks are dropped from its line (PIL's built-in font
    when no font is found). Line ``i`` depends only on (seed, i) and the fonts,
    so the lines are the same whatever ``workers`` (processes; default: the
    CPU count, one for small sets). ``deslant``: a card's rule (``input.deslant``),
    applied to each line's ink as reading will.
    """
    families = font_families(fonts)
    faces = _faces(tuple(sorted((k, tuple(v)) for k, v in families.items())), alphabet)
    if not faces.groups:
        families = {"builtin": [None]}
    workers = workers or (1 if n < 2000 else min(os.cpu_count() or 1, 8))
    chunk = max(1, -(-n // (workers * 8)))
    jobs = [(s, min(chunk, n - s), alphabet, seed, width, max_length, families, deslant)
            for s in range(0, n, chunk)]
    if workers == 1:
        parts = [_render_chunk(j) for j in jobs]
    else:
        with ProcessPoolExecutor(workers) as pool:
            parts = list(pool.map(_render_chunk, jobs))
    x = np.concatenate([p[0] for p in parts]) if parts else np.zeros((0, LINE_HEIGHT, width), np.uint8)
    texts = [t for p in parts for t in p[1]]
    _, _, found = word_lists(alphabet)
    log.info("rendered %d text lines from %d font families; word lists: %s", n, len(faces.groups),
             ", ".join(found) or "none found (install wamerican, wfrench, ...); built-in words only")
    return x, encode_texts(texts, alphabet, max_length), texts
