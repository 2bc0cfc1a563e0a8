"""Synthetic printed text lines for the print line model.

A line of text is rendered from one of the system fonts (the faces
:func:`training.synth.find_fonts` accepts), degraded like a scan (stroke
weight, small rotation, blur, noise), binarized with Otsu as
``ocr.preprocess`` would, and brought to the line-model input with the same
:func:`ocr.normalize.to_line_input` that reading uses.

The text is a mix of common English words, random letter strings (so the
model learns shapes, not a vocabulary), numbers, dates and amounts, and words
wrapped in punctuation, over the 81 characters of ``charnet``. Spaces are not
labelled: a word gap is read as blank frames, and words come from the
segmenter's gap statistics, as for every other model.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np
from PIL import Image, ImageDraw

from ocr import charsets
from ocr.normalize import LINE_HEIGHT
from training.strings import encode_texts, line_image
from training.synth import FacePicker, _font, font_families

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
#: Heights (pixels) of the capital letters as rendered; 300 dpi text of
#: 6 to 14 pt has caps 18 to 42 px high, scanned at 150 dpi half that.
SIZES = np.arange(14, 52, 2)


def random_text(rng: np.random.Generator, max_chars: int = 22) -> str:
    """A short line of word-like tokens over the charnet character set."""
    target = int(rng.integers(3, max_chars + 1))
    tokens: list[str] = []
    while sum(len(t) + 1 for t in tokens) < target:
        r = rng.random()
        if r < 0.40:
            word = str(rng.choice(WORDS))
            case = rng.random()
            word = word.capitalize() if case < 0.25 else word.upper() if case < 0.35 else word
        elif r < 0.65:
            n = int(rng.integers(1, 9))
            pool = rng.choice([charsets.LOWER, charsets.UPPER, LETTERS, LETTERS + charsets.DIGITS])
            word = "".join(rng.choice(list(pool), n))
        elif r < 0.85:
            word = _number(rng)
        else:
            word = _punctuated(str(rng.choice(WORDS)), rng)
        tokens.append(word)
    return " ".join(tokens)[:max_chars].strip() or "a"


def _number(rng: np.random.Generator) -> str:
    digits = lambda n: "".join(rng.choice(list(charsets.DIGITS), n))  # noqa: E731
    kind = rng.integers(6)
    if kind == 0:
        return f"{digits(2)}/{digits(2)}/{digits(4)}"
    if kind == 1:
        return f"{digits(int(rng.integers(1, 4)))},{digits(3)}.{digits(2)}"
    if kind == 2:
        return f"${digits(int(rng.integers(1, 5)))}.{digits(2)}"
    if kind == 3:
        return f"{digits(2)}:{digits(2)}"
    if kind == 4:
        return f"{digits(int(rng.integers(1, 3)))}%"
    return digits(int(rng.integers(1, 7)))


def _punctuated(word: str, rng: np.random.Generator) -> str:
    kind = rng.integers(9)
    return [f"({word})", f"{word},", f"{word}.", f"{word}:", f'"{word}"', f"{word};",
            f"{word}{rng.choice(list('!?'))}", f"{word}'s", f"#{int(rng.integers(1, 99))}"][kind]


def render_line(text: str, font_path: str | None, size: int, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Render ``text`` degraded like a scan; returns (ink mask, cap height in pixels)."""
    font = _font(font_path, size)
    left, top, right, bottom = font.getbbox(text)
    pad = size // 2 + 4
    img = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 0)
    ImageDraw.Draw(img).text((pad - left, pad - top), text, font=font, fill=255)
    ink = np.asarray(img, dtype=np.float32)
    radius = int(round(rng.uniform(-0.025, 0.03) * size))
    if radius:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(radius) + 1,) * 2)
        thicker = cv2.dilate(ink, kernel) if radius > 0 else cv2.erode(ink, kernel)
        if radius > 0 or thicker.sum() > 0.65 * ink.sum():
            ink = thicker
    h, w = ink.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), float(rng.uniform(-1.0, 1.0)), 1.0)
    ink = cv2.warpAffine(ink, matrix, (w, h), flags=cv2.INTER_LINEAR)
    if rng.random() < 0.6:
        ink = cv2.GaussianBlur(ink, (0, 0), rng.uniform(0.3, 1.0) * size / 32)
    page = 255.0 - ink * rng.uniform(0.6, 1.0)  # dark ink on paper
    page += rng.normal(0, rng.uniform(0, 15), page.shape)
    gray = np.clip(page, 0, 255).astype(np.uint8)
    _, binary = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    cap = font.getbbox("H")
    return binary.astype(bool), float(cap[3] - cap[1])


def textline_dataset(n: int, alphabet: str, seed: int = 0, width: int = 320, max_length: int = 32,
                     fonts: list | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``n`` rendered lines as model inputs: (x, y, texts) as :func:`training.strings.line_dataset`.

    Faces are drawn by :class:`training.synth.FacePicker` among those that
    have every character of ``alphabet`` (PIL's built-in font without any).
    """
    rng = np.random.default_rng(seed)
    families = font_families(fonts)
    pick_face = FacePicker(families, alphabet)
    if not pick_face:
        pick_face = FacePicker({"builtin": [None]}, "")
    x = np.zeros((n, LINE_HEIGHT, width), np.uint8)
    texts = []
    for i in range(n):
        text = "".join(c for c in random_text(rng) if c == " " or c in alphabet)
        face = pick_face(rng)
        mask, cap = render_line(text, face, int(rng.choice(SIZES)), rng)
        x[i] = line_image(mask, width, line_height=cap * rng.uniform(0.9, 1.1))
        texts.append(text.replace(" ", "")[:max_length])
    log.info("rendered %d text lines from %d font families", n, len(pick_face.groups))
    return x, encode_texts(texts, alphabet, max_length), texts
