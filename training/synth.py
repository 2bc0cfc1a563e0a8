"""Synthetic printed glyphs, so the character model can read print as well as handwriting.

Each sample is one character rendered from an open font with random weight,
size, rotation, aspect, blur, binarization and noise, then normalized the way
MNIST is: white ink on black, fitted into a 20x20 box keeping its aspect ratio,
and centred by centre of mass in a 28x28 canvas.

Small glyphs (``.`` ``,`` ``'`` ``-``) are normalized exactly like every other
glyph: a period becomes a filled disc (or square) filling the 20x20 box. That
is deliberate. The model only ever sees per-glyph normalized crops, so training
must use the same normalization the document pipeline uses at inference;
keeping "true size" here would teach the model a cue it never gets. Glyphs that
differ only by size or position on the line (``.`` vs a solid ``o``-like blob,
``,`` vs ``'``, ``o``/``O``/``0``, ``-`` at any height) are left to be resolved
later from line geometry (glyph height relative to the x-height, position
relative to the baseline).

Randomness comes from one generator per class, seeded from (seed, code point),
so a class's samples do not change when other labels are added or removed.
"""

from __future__ import annotations

import functools
import logging
import re
import site
import sysconfig
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ocr import charsets
from training.datasets import Dataset
from training.font_packages import is_hand_or_display_font

log = logging.getLogger(__name__)

CANVAS = 28  #: output size, like MNIST
FIT_BOX = 20  #: the longer side of the glyph after normalization
COM_TARGET = 14.0  #: where the centre of mass lands (row, column), as in MNIST

#: Standard font directories, searched in this order.
FONT_DIRS = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    # Debian's TeX font packages (fonts-texgyre, fonts-lmodern) install their OpenType files here.
    Path("/usr/share/texmf/fonts/opentype"),
    Path.home() / ".local/share/fonts",
    Path.home() / ".fonts",
)
#: Font folders inside pip packages that ship open fonts, relative to site-packages.
PACKAGE_FONT_DIRS = ("matplotlib/mpl-data/fonts/ttf", "cv2/qt/fonts", "reportlab/fonts")
FONT_SUFFIXES = (".ttf", ".otf")  # Type 1 copies (.pfb, .t1) of the same faces are skipped
#: Families that cover ASCII code points with symbols, math alphabets or
#: calligraphy (Z003 and TeX Gyre Chorus are Zapf Chancery, whose capitals are too ornate to help).
EXCLUDED_FAMILIES = re.compile(r"symbol|dingbat|d050000l|math|emoji|wingding|webding|z003|chorus|cmex|cmsy|cmmi",
                               re.IGNORECASE)

# Render sizes in pixels per em: 16 px is about 9 pt at 150 dpi (coarse scans),
# 56 px about 13 pt at 300 dpi. Even sizes only, to bound the font cache.
SIZES = np.arange(16, 58, 2)
SLANTED = re.compile(r"italic|oblique", re.IGNORECASE)


# --------------------------------------------------------------------------- fonts

def _package_font_dirs() -> list[Path]:
    roots = {Path(p) for p in site.getsitepackages() + [site.getusersitepackages()]}
    roots.add(Path(sysconfig.get_paths()["purelib"]))
    return [root / sub for root in sorted(roots) for sub in PACKAGE_FONT_DIRS]


@functools.lru_cache(maxsize=512)
def _font(path: str | None, size: int) -> ImageFont.FreeTypeFont:
    """A font at a pixel size; ``None`` is PIL's built-in scalable font."""
    if path is None:
        font = ImageFont.load_default(size)
        if not isinstance(font, ImageFont.FreeTypeFont):
            raise RuntimeError("PIL was built without FreeType: no scalable default font")
        return font
    return ImageFont.truetype(path, size)


def _draw(font: ImageFont.FreeTypeFont, char: str, pad: int = 0) -> np.ndarray:
    """Render one character white on black, with ``pad`` pixels of margin."""
    left, top, right, bottom = font.getbbox(char)
    img = Image.new("L", (max(1, right - left) + 2 * pad, max(1, bottom - top) + 2 * pad), 0)
    ImageDraw.Draw(img).text((pad - left, pad - top), char, font=font, fill=255)
    return np.asarray(img)


def _ink_box(img: np.ndarray, floor: float) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the pixels above ``floor``; None when blank."""
    mask = img > floor
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if rows.size == 0:
        return None
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


@functools.lru_cache(maxsize=None)
def _covers(path: str | None, char: str) -> bool:
    """Whether the font has a real glyph for ``char`` (not blank, not .notdef)."""
    font = _font(path, 32)
    glyph = _draw(font, char)
    if _ink_box(glyph, 0) is None:
        return False
    notdef = _draw(font, "\U0010fffd")  # a private-use code point no text font maps
    return not (glyph.shape == notdef.shape and np.array_equal(glyph, notdef))


def _looks_latin(path: str) -> bool:
    """Cheap shape test that catches symbol fonts mapping ASCII to other glyphs."""
    font = _font(path, 32)
    if not all(_covers(path, c) for c in charsets.EMNIST_BYCLASS):
        return False
    # A period is a small dot and a hyphen a short wide bar in every text face;
    # dingbat and symbol faces put arbitrary pictures there.
    shapes = {}
    for c in ".-W":
        box = _ink_box(_draw(font, c), 0)
        if box is None:  # a face that maps the character to an empty glyph
            return False
        top, bottom, left, right = box
        shapes[c] = (bottom - top, right - left)
    return (shapes["-"][1] >= 1.5 * shapes["-"][0]
            and shapes["."][0] * shapes["."][1] <= 0.1 * shapes["W"][0] * shapes["W"][1])


def _family(path: str | None) -> str:
    return _font(path, 32).getname()[0] or str(path)


def _face_weight(path: str | None) -> float:
    """Sampling weight of a face: most print is upright, so slanted faces count 1/3."""
    style = _font(path, 32).getname()[1] or ""
    return 1.0 if SLANTED.search(style) is None else 1.0 / 3.0


def find_fonts() -> list[Path]:
    """Fonts usable for printed glyphs, sorted by path.

    Looks in the standard font directories and in font folders of installed
    pip packages, keeps TrueType/OpenType files that cover digits and Latin
    letters with ordinary shapes, drops symbol/math/script families and
    duplicate faces (same family and style: the first found, system fonts
    first, is kept). When none is found, logs a warning and returns an empty
    list; :func:`render_glyphs` then uses PIL's built-in font.
    """
    seen: set[tuple[str, str]] = set()
    fonts: list[Path] = []
    for base in list(FONT_DIRS) + _package_font_dirs():
        if not base.is_dir():
            continue
        for path in sorted(p for p in base.rglob("*") if p.suffix.lower() in FONT_SUFFIXES and p.is_file()):
            try:
                name = _font(str(path), 32).getname()
            except OSError as exc:
                log.debug("skipping unreadable font %s: %s", path, exc)
                continue
            key = (name[0] or path.stem, name[1] or "")
            if key in seen or EXCLUDED_FAMILIES.search(f"{key[0]} {path.name}") \
                    or is_hand_or_display_font(path):
                continue
            if not _looks_latin(str(path)):
                log.debug("skipping %s: not a Latin text font", path)
                continue
            seen.add(key)
            fonts.append(path)
    if not fonts:
        log.warning("no usable fonts found in %s or pip packages; printed glyphs will use "
                    "PIL's built-in font only (install e.g. fonts-dejavu-core)",
                    ", ".join(str(d) for d in FONT_DIRS))
    return sorted(fonts)


# ------------------------------------------------------------------ normalization

def mnist_normalize(glyph: np.ndarray, box: int = FIT_BOX, size: int = CANVAS,
                    floor: float = 0.0) -> np.ndarray:
    """Fit white-on-black ink into ``box`` keeping aspect, centre by mass in ``size``.

    Pixels at or below ``floor`` count as background when cropping. Returns
    uint8 ``(size, size)``; a blank input gives a blank output.
    """
    img = np.asarray(glyph, dtype=np.float32)
    found = _ink_box(img, floor)
    out = np.zeros((size, size), np.float32)
    if found is None:
        return out.astype(np.uint8)
    top, bottom, left, right = found
    crop = img[top:bottom, left:right]
    h, w = crop.shape
    scale = box / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    # INTER_AREA averages when shrinking; bilinear keeps upscaled dots smooth.
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    fitted = np.clip(cv2.resize(crop, (new_w, new_h), interpolation=interp), 0, 255)
    mass = fitted.sum()
    cy = float(fitted.sum(1) @ np.arange(new_h)) / mass
    cx = float(fitted.sum(0) @ np.arange(new_w)) / mass
    # Integer shift like MNIST, clamped so lopsided glyphs stay inside the canvas.
    y0 = int(np.clip(round(COM_TARGET - cy), 0, size - new_h))
    x0 = int(np.clip(round(COM_TARGET - cx), 0, size - new_w))
    out[y0:y0 + new_h, x0:x0 + new_w] = fitted
    return np.round(out).astype(np.uint8)


# ------------------------------------------------------------------- augmentation

def _augment_glyph(font: ImageFont.FreeTypeFont, char: str, size: int,
                   rng: np.random.Generator) -> np.ndarray:
    """Render ``char`` and degrade it like print that was scanned; float32 0..255."""
    pad = size // 3 + 4  # room for dilation and rotation
    img = _draw(font, char, pad).astype(np.float32)

    # Weight: grow or thin strokes by a fraction of the em, as bold/light faces
    # and ink spread or toner starvation do.
    radius = int(round(rng.uniform(-0.03, 0.035) * size))
    if radius:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(radius) + 1,) * 2)
        if radius > 0:
            img = cv2.dilate(img, kernel)
        else:
            thinner = cv2.erode(img, kernel)
            if thinner.sum() > 0.65 * img.sum():  # hairline strokes would break up
                img = thinner

    # Small rotation and width change (condensed/extended faces, skewed scans).
    angle = float(np.clip(rng.normal(0.0, 2.5), -6.0, 6.0))
    stretch = rng.uniform(0.85, 1.15)
    h, w = img.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    matrix[0, :2] *= stretch
    matrix[0, 2] += (1 - stretch) * w / 2
    img = cv2.warpAffine(img, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)

    # Optical blur of the scanner, proportional to the glyph size.
    if rng.random() < 0.6:
        sigma = rng.uniform(0.3, 1.2) * size / 32
        img = cv2.GaussianBlur(img, (0, 0), sigma)

    # Binarization artefacts: a hard threshold at a random level (fax, bilevel
    # scans) makes jagged edges and moves the stroke weight.
    if rng.random() < 0.3:
        hard = np.where(img > rng.uniform(80, 170), 255.0, 0.0).astype(np.float32)
        # Keep it only while the stroke weight stays plausible: a threshold far
        # from the blur's midpoint erases thin strokes or floods the counters.
        area = np.count_nonzero(hard) / max(1, np.count_nonzero(img > 127))
        if 0.6 <= area <= 1.6:
            img = hard
    return img


def _degrade_normalized(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Ink contrast, sensor noise and a small shift on the 28x28 glyph."""
    out = img.astype(np.float32)
    if rng.random() < 0.2:  # grey ink or faint print
        out *= rng.uniform(0.75, 1.0)
    if rng.random() < 0.5:
        out += rng.normal(0.0, rng.uniform(2.0, 14.0), out.shape).astype(np.float32)
    if rng.random() < 0.15:  # dust and speckles
        spots = rng.random(out.shape) < rng.uniform(0.002, 0.01)
        out[spots] = rng.uniform(80, 255)
    if rng.random() < 0.5:
        # Segmentation is never pixel-exact. The glyph has 4 px of margin, so a
        # 1 px roll never wraps ink around the edge.
        out = np.roll(out, tuple(rng.integers(-1, 2, size=2)), axis=(0, 1))
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def _render_sample(font: ImageFont.FreeTypeFont, char: str, size: int,
                   rng: np.random.Generator) -> np.ndarray:
    glyph = _augment_glyph(font, char, size, rng)
    # Crop at a low floor so blur halos do not inflate small glyphs' boxes.
    return _degrade_normalized(mnist_normalize(glyph, floor=0.08 * float(glyph.max())), rng)


# ---------------------------------------------------------------------- public API

def font_families(fonts: list[Path] | None = None) -> dict[str, list[str | None]]:
    """Font files grouped by family name; ``None`` stands for PIL's built-in font
    when ``fonts`` (default :func:`find_fonts`) is empty."""
    if fonts is None:
        fonts = find_fonts()
    families: dict[str, list[str | None]] = {}
    for src in [str(p) for p in sorted(fonts)] or [None]:
        families.setdefault(_family(src), []).append(src)
    return families


class FacePicker:
    """Draws a font face for text made of ``chars``: a family uniformly, then one
    of its faces that has every character (italic and oblique faces at a third
    of the weight of upright ones), so families with many faces do not dominate."""

    def __init__(self, families: dict[str, list[str | None]], chars: str) -> None:
        groups = [[s for s in faces if all(_covers(s, c) for c in chars)]
                  for _, faces in sorted(families.items())]
        self.groups = [g for g in groups if g]
        self.weights = [np.array([_face_weight(s) for s in g]) for g in self.groups]

    def __bool__(self) -> bool:
        return bool(self.groups)

    def __call__(self, rng: np.random.Generator) -> str | None:
        g = rng.integers(len(self.groups))
        weights = self.weights[g]
        return self.groups[g][rng.choice(len(self.groups[g]), p=weights / weights.sum())]


def render_glyphs(labels: str, per_class: int, fonts: list[Path] | None = None,
                  seed: int = 0) -> Dataset:
    """Render ``per_class`` augmented printed samples of each character in ``labels``.

    ``fonts`` defaults to :func:`find_fonts`; an empty list (or no fonts found)
    uses PIL's built-in scalable font. Each sample picks a font family
    uniformly, then a face of it that has the character (italic and oblique
    faces at a third of the weight of upright ones), so families with many
    faces do not dominate. Returns a :class:`Dataset` named ``"printed"``
    (split ``"synthetic"``) with labels indexing ``labels``, ordered by class.
    Deterministic for a given seed, font list and label.
    """
    if per_class < 1:
        raise ValueError("per_class must be at least 1")
    if len(set(labels)) != len(labels):
        raise ValueError(f"duplicate characters in labels {labels!r}")
    families = font_families(fonts)
    sources = sorted((s for faces in families.values() for s in faces), key=lambda s: s or "")

    images = np.empty((len(labels) * per_class, CANVAS, CANVAS), np.uint8)
    for k, char in enumerate(labels):
        pick_face = FacePicker(families, char)
        if not pick_face:
            raise ValueError(f"no font has a glyph for {char!r}")
        rng = np.random.default_rng([seed, ord(char)])
        for i in range(per_class):
            font = _font(pick_face(rng), int(rng.choice(SIZES)))
            images[k * per_class + i] = _render_sample(font, char, int(font.size), rng)
    targets = np.repeat(np.arange(len(labels), dtype=np.int64), per_class)
    log.info("rendered %d printed glyphs (%d classes, %d fonts in %d families)",
             len(targets), len(labels), len([s for s in sources if s]), len(families))
    return Dataset("printed", "synthetic", images, targets, labels,
                   [s or "PIL built-in font" for s in sources])
