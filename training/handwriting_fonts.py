"""Synthetic handwritten lines drawn with handwriting fonts, for the handwriting line model.

A few thousand real lines of about a hundred hands are few for a reader that
must meet hands it never saw. Handwriting fonts (Debian's fonts-ecolier-court,
fonts-dancingscript, fonts-kristi, fonts-dkg-handwriting, ...) add letter
shapes and, more than that, language: each line is either a transcript of a
*training* writer's line or words from Debian's French and English word lists,
so the model sees accented words, names, numbers and punctuation in many more
arrangements than the real lines hold. A font is no hand, so every line is
made less regular than the font draws it: word by word with uneven gaps and a
drifting baseline, a slow wave along the line, a pen thicker or thinner, a
slant, then shrunk to a scan size, put on paper (the print renders' paper,
:func:`training.textlines.paper`), sometimes inverted (white on black), and
binarized by :func:`ocr.preprocess.preprocess` as a real line image is. The
epoch-by-epoch variants of :func:`training.handwriting.augment_ink` then apply
to these inks as to the real ones.
"""

from __future__ import annotations

import functools
import logging
import math
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
from PIL import Image, ImageDraw

from ocr.errors import DataError
from ocr.preprocess import preprocess
from training.font_packages import HAND_FONT_PACKAGES
from training.synth import _covers, _draw, _font

log = logging.getLogger(__name__)

#: Dataset name of the rendered lines in ``ocr train handline --dataset``: ``handwriting-fonts:N``.
HAND_FONT_LINES = "handwriting-fonts"
#: Faces no training run draws with: ``bench/handwriting.py --english`` writes its lines in them,
#: so its figures are for hands the model never saw (one quick joined hand, one print hand).
HELD_OUT_PACKAGES = ("fonts-kristi", "fonts-femkeklaver")
FONT_ROOT = Path("/usr/share/fonts")
#: Word lists (under /usr/share/dict) and their shares of the drawn words.
HAND_WORD_LISTS = (("french", 0.6), ("american-english", 0.25), ("british-english", 0.15))
DICT_DIR = Path("/usr/share/dict")
#: Share of lines that re-write a training writer's transcript (the rest are word-list lines).
TRANSCRIPT_SHARE = 0.5
#: Em size of the render, and the line heights (pixels) the render is shrunk to.
RENDER_EM = 72
LINE_HEIGHTS = (28.0, 96.0)
#: Share of lines drawn white on black (a negative scan, chalk on a board).
INVERTED_SHARE = 0.1
#: A face whose lower-case letters have their capitals' shapes (overlap at one size, median
#: over :data:`CAPS_PROBE`) at least this much draws capitals only: its lines are labelled so.
CAPS_OVERLAP = 0.58
CAPS_PROBE = "aenrmt"


def handwriting_fonts(root: Path = FONT_ROOT, held_out: bool = False) -> dict[str, list[str]]:
    """The handwriting fonts installed, by package: {package: [font paths]}; the training
    faces, or with ``held_out`` only the :data:`HELD_OUT_PACKAGES` kept for measuring."""
    found = {}
    for package, pattern in HAND_FONT_PACKAGES.items():
        if (package in HELD_OUT_PACKAGES) != held_out:
            continue
        fonts = sorted(str(p) for p in root.glob(pattern) if p.suffix.lower() in (".ttf", ".otf"))
        if fonts:
            found[package] = fonts
    return found


@functools.lru_cache(maxsize=4)
def _words(alphabet: str, folder: Path = DICT_DIR) -> tuple[tuple[tuple[str, ...], ...], tuple[float, ...]]:
    allowed = set(alphabet)
    lists, weights = [], []
    for name, weight in HAND_WORD_LISTS:
        path = folder / name
        if path.is_file():
            words = tuple(w for w in path.read_text(encoding="utf-8", errors="ignore").split()
                          if 1 <= len(w) <= 14 and set(w) <= allowed and "'" not in w[:1])
            if words:
                lists.append(words)
                weights.append(weight)
    return tuple(lists), tuple(weights)


def word_list_text(rng: np.random.Generator, alphabet: str) -> str:
    """A line of 2 to 9 words from the word lists, with the numbers, capitals and
    punctuation a letter has (dates, sums, a comma or full stop after a word)."""
    lists, weights = _words(alphabet, DICT_DIR)
    if not lists:
        raise DataError("no word list found: install Debian's wfrench or wamerican")
    p = np.asarray(weights) / sum(weights)
    words = []
    for _ in range(int(rng.integers(2, 10))):
        r = rng.random()
        if r < 0.08:
            word = str(int(rng.integers(1, 2000))) if rng.random() < 0.7 else f"{int(rng.integers(1, 29))}"
        else:
            k = int(rng.choice(len(lists), p=p))
            word = lists[k][int(rng.integers(len(lists[k])))]
            if rng.random() < 0.15:
                word = word.capitalize()
        if rng.random() < 0.12:
            word += str(rng.choice([",", ".", ";", ":", "-"]))
        words.append(word)
    if rng.random() < 0.3:
        words[0] = words[0].capitalize()
    return "".join(c for c in " ".join(words) if c in alphabet or c == " ")


def _draw_words(text: str, font_path: str | None, rng: np.random.Generator) -> np.ndarray:
    """White-on-black render, word by word: uneven word gaps and a drifting baseline."""
    font = _font(font_path, RENDER_EM)
    words = text.split(" ")
    space = font.getlength(" ") or RENDER_EM * 0.3
    ascent, descent = font.getmetrics()
    drift = 0.0
    boxes = []
    x = RENDER_EM // 2
    for word in words:
        boxes.append((x, drift))
        x += int(font.getlength(word) + space * rng.uniform(0.6, 1.8))
        drift = float(np.clip(drift + rng.normal(0, 0.05 * RENDER_EM), -0.2 * RENDER_EM, 0.2 * RENDER_EM))
    margin = RENDER_EM // 2 + int(0.2 * RENDER_EM)
    img = Image.new("L", (x + RENDER_EM // 2, ascent + descent + 2 * margin), 0)
    draw = ImageDraw.Draw(img)
    for word, (wx, dy) in zip(words, boxes):
        draw.text((wx, margin + dy), word, font=font, fill=255)
    return np.asarray(img, dtype=np.float32)


def render_hand_line(text: str, font_path: str | None, rng: np.random.Generator) -> np.ndarray:
    """Render ``text`` as a scanned handwritten line; returns its ink mask (bool), binarized
    as ``ocr read`` binarizes a line image."""
    return preprocess(render_hand_scan(text, font_path, rng), deskew_pages=False).binary


def render_hand_scan(text: str, font_path: str | None, rng: np.random.Generator) -> np.ndarray:
    """Render ``text`` as a scanned handwritten line: the grey image (uint8), dark ink on
    paper or, for :data:`INVERTED_SHARE` of the lines, light on dark."""
    ink = _draw_words(text, font_path, rng)
    radius = int(round(rng.uniform(-0.02, 0.05) * RENDER_EM))  # the pen: finer or broader than the font
    if radius:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(radius) + 1,) * 2)
        changed = cv2.dilate(ink, kernel) if radius > 0 else cv2.erode(ink, kernel)
        if radius > 0 or changed.sum() > 0.6 * ink.sum():
            ink = changed
    h, w = ink.shape
    # A slow wave of the baseline, as a hand without ruled lines writes.
    amplitude = rng.uniform(0.0, 0.12) * RENDER_EM
    period = rng.uniform(4, 14) * RENDER_EM
    phase = rng.uniform(0, 2 * math.pi)
    xs = np.tile(np.arange(w, dtype=np.float32), (h, 1))
    ys = np.arange(h, dtype=np.float32)[:, None] + (amplitude * np.sin(
        np.arange(w, dtype=np.float32) * 2 * math.pi / period + phase))[None, :].astype(np.float32)
    ink = cv2.remap(ink, xs, ys, cv2.INTER_LINEAR)
    shear = rng.uniform(-0.25, 0.25)
    matrix = np.array([[1.0, shear, -shear * h / 2], [0.0, 1.0, 0.0]], np.float32)
    ink = cv2.warpAffine(ink, matrix, (w, h), flags=cv2.INTER_LINEAR)
    rows = np.nonzero(ink.max(axis=1) > 0)[0]
    if len(rows) == 0:
        return np.full((1, 1), 255, np.uint8)
    pad = int(0.15 * RENDER_EM)
    ink = ink[max(rows[0] - pad, 0):rows[-1] + pad + 1]
    # Scan: the line shrunk to its image height (area averaging), on paper.
    height = float(np.exp(rng.uniform(*np.log(LINE_HEIGHTS))))
    factor = min(1.0, height / ink.shape[0])
    size = (max(1, int(round(ink.shape[1] * factor * rng.uniform(0.85, 1.15)))),
            max(1, int(round(ink.shape[0] * factor))))
    small = cv2.resize(ink, size, interpolation=cv2.INTER_AREA)
    from training.textlines import paper

    gray = paper(small, rng)
    if rng.random() < INVERTED_SHARE:
        gray = 255 - gray
    return gray


def draws_capitals_only(font_path: str | None) -> bool:
    """Whether a face draws lower case as capitals (Humor Sans, the BecauseWe faces): a line
    written in it must be labelled in capitals, or the model learns 'A' is 'a'."""
    overlaps = []
    for c in CAPS_PROBE:
        lower, upper = (cv2.resize((_draw(_font(font_path, 48), ch) > 0).astype(np.uint8), (32, 32),
                                   interpolation=cv2.INTER_AREA) > 0 for ch in (c, c.upper()))
        overlaps.append((lower & upper).sum() / max((lower | upper).sum(), 1))
    return float(np.median(overlaps)) >= CAPS_OVERLAP


class _HandFaces:
    """The installed handwriting faces and the characters each can draw."""

    def __init__(self, alphabet: str, fonts: dict[str, list[str | None]]) -> None:
        self.packages = sorted(fonts)
        self.faces = [fonts[p] for p in self.packages]
        self.cover = {f: frozenset(c for c in alphabet if c == " " or _covers(f, c))
                      for faces in self.faces for f in faces}
        self.capitals = {f for faces in self.faces for f in faces if draws_capitals_only(f)}

    def __call__(self, rng: np.random.Generator) -> str | None:
        faces = self.faces[int(rng.integers(len(self.faces)))]
        return faces[int(rng.integers(len(faces)))]


@functools.lru_cache(maxsize=4)
def _hand_faces(alphabet: str, fonts: tuple) -> _HandFaces:
    return _HandFaces(alphabet, {package: list(paths) for package, paths in fonts})


def _render_chunk(args) -> list[tuple[np.ndarray, str]]:
    start, n, alphabet, seed, transcripts, fonts, scans, transcript_share = args
    faces = _hand_faces(alphabet, fonts)
    out = []
    for i in range(start, start + n):
        rng = np.random.default_rng([seed, i])
        if transcripts and rng.random() < transcript_share:
            text = transcripts[int(rng.integers(len(transcripts)))]
        else:
            text = word_list_text(rng, alphabet)
        face = faces(rng)
        if face in faces.capitals:
            text = text.upper()
        text = " ".join("".join(c for c in text if c in faces.cover[face]).split())
        if not text:
            continue
        if scans:
            out.append((render_hand_scan(text, face, rng), text))
            continue
        ink = render_hand_line(text, face, rng)
        if ink.any():
            out.append((ink, text))
    return out


def hand_font_lines(n: int, alphabet: str, transcripts: Sequence[str] = (), seed: int = 0,
                    workers: int | None = None, fonts: dict[str, list[str | None]] | None = None,
                    scans: bool = False, transcript_share: float = TRANSCRIPT_SHARE) -> tuple[list[np.ndarray], list[str]]:
    """``n`` rendered handwritten lines: (ink masks, texts), the same for the same seed and fonts;
    with ``scans`` the grey line images instead of their ink (what a user would read).

    ``transcripts`` are training writers' lines to re-write in the fonts
    (``transcript_share`` of the lines); never pass validation or test text.
    ``fonts`` ({package: paths}, ``None`` for PIL's built-in face) defaults to
    :func:`handwriting_fonts` (the training faces). A line a face cannot draw at all
    is skipped, so fewer than ``n`` may come back.
    """
    fonts = handwriting_fonts() if fonts is None else fonts
    key = tuple(sorted((package, tuple(paths)) for package, paths in fonts.items() if paths))
    faces = _hand_faces(alphabet, key)
    if not faces.faces:
        raise DataError("no handwriting font found: install Debian's fonts-ecolier-court, "
                        "fonts-dancingscript, fonts-kristi, fonts-dkg-handwriting, ... "
                        f"(looked under {FONT_ROOT})")
    log.info("handwriting fonts found: %s", ", ".join(
        f"{p} ({len(f)})" for p, f in zip(faces.packages, faces.faces)))
    workers = workers or (1 if n < 500 else min(os.cpu_count() or 1, 8))
    chunk = max(1, -(-n // (workers * 8)))
    jobs = [(s, min(chunk, n - s), alphabet, seed, tuple(transcripts), key, scans, transcript_share)
            for s in range(0, n, chunk)]
    if workers == 1:
        parts = [_render_chunk(j) for j in jobs]
    else:
        with ProcessPoolExecutor(workers) as pool:
            parts = list(pool.map(_render_chunk, jobs))
    pairs = [p for part in parts for p in part]
    return [p[0] for p in pairs], [p[1] for p in pairs]
