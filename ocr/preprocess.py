"""Page preprocessing: pure functions on numpy arrays (numpy and OpenCV only).

Conventions: a *gray* image is uint8 with dark ink on a light background; a
*binary* image is a bool array where True is ink.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import cv2
import numpy as np

from ocr.ink import (MIN_RULE_LENGTH, as_u8, find_boxes, find_rules, stroke_width,  # noqa: F401 (re-exported)
                     text_height, typical_component_height)
from ocr.layout import Box, ruled_boxes
from ocr.orientation import detect_orientation, turn_upright

log = logging.getLogger(__name__)

#: Memory budget of one page's processing, in pixels. Preprocessing and
#: segmentation peaked at about 25 bytes a pixel (float local statistics, label
#: images) before Sauvola ran in bands and labels became uint16 (a dense A4
#: page at 300 dpi, 8.7 Mpx, now peaks at 234 MiB for the whole process), so
#: 32 Mpx (an A4 page at 580 dpi) keeps a page well under ~0.8 GB. A larger
#: page is scaled down to it, and deskewing, which enlarges the canvas to hold
#: the rotated page, is skipped when the rotated canvas would exceed it.
MAX_WORK_PIXELS = 32_000_000
#: Text whose typical component is shorter than this many pixels (print at
#: about 100 dpi: FUNSD's faxes, 7-9 px) is binarized at :data:`SMALL_TEXT_UPSCALE`
#: times the resolution: thresholding a cubic-interpolated page keeps the
#: shape of 7 px letters that a threshold at scan resolution merges into blobs.
#: Chosen on FUNSD's dev line crops (bench/RESULTS.md, real print session 16).
SMALL_TEXT_HEIGHT = 12.0
#: On an image of several lines (at least :data:`PAGE_TEXT_HEIGHTS` text heights tall: a page,
#: a paragraph) text under this many pixels is enlarged too. docbank's dev pages (12-18 px
#: text, 8 pages) read at 8.05% as they were and at 6.13% enlarged (a thin face read at
#: 12.5% for 1.2%). A crop of one line is left at its size: enlarged, the pieces of its
#: neighbours that the crop cut through come apart into lines of their own (the wills'
#: validation lines 18.44 -> 19.49% with every image's 12-18 px text enlarged).
#: Not a 1-bit scan: it has no grey edges to threshold anew, and an engraving's hatching that
#: passes for 14 px text (oldbooks a086) had the page enlarged and its letters' stems taken
#: off as rules.
SMALL_PAGE_TEXT_HEIGHT = 18.0
PAGE_TEXT_HEIGHTS = 7.5
SMALL_TEXT_UPSCALE = 2
#: Components shorter than this are paper grain and specks, or print so small that a
#: threshold at scan resolution breaks its letters (6 pt at ~70 dpi): :func:`is_tiny_text`
#: tells them apart, and a page of grain is left at its resolution (its blank test counts pixels).
SMALL_TEXT_MIN_HEIGHT = 5.0
#: Enlarged :data:`SMALL_TEXT_UPSCALE` times, tiny print measures at least this (its letters
#: 9 px), paper grain and salt-and-pepper noise 4-5 px.
TINY_TEXT_ENLARGED_HEIGHT = 7.0
#: Tiny print is looked for on images at most this many of its measured heights tall (a line
#: crop) or at least :data:`TINY_PAGE_HEIGHTS` (a page of dozens of lines).
TINY_LINE_HEIGHTS = 6.0
TINY_PAGE_HEIGHTS = 40.0
#: Ink components under this many pixels (at scan resolution) are specks, not glyphs.
MIN_SPECK_AREA = 3


def to_gray(image: np.ndarray) -> np.ndarray:
    """Return a uint8 grayscale copy of an RGB(A) or gray image."""
    img = np.asarray(image)
    if img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    if img.ndim == 2:
        return img.copy()
    if img.ndim == 3 and img.shape[2] == 1:
        return img[..., 0].copy()
    if img.ndim == 3 and img.shape[2] in (3, 4):
        return cv2.cvtColor(np.ascontiguousarray(img[..., :3]), cv2.COLOR_RGB2GRAY)
    raise ValueError(f"expected a 2-D or 3-D image, got shape {img.shape}")


def histogram(gray: np.ndarray) -> np.ndarray:
    """Pixel counts of the 256 gray levels of a uint8 image."""
    return cv2.calcHist([np.ascontiguousarray(gray)], [0], None, [256], [0, 256]).ravel().astype(np.float64)


def is_bilevel(gray: np.ndarray) -> bool:
    """Whether a uint8 image holds exactly two gray levels (a 1-bit scan)."""
    return int(np.count_nonzero(histogram(gray))) == 2


def gray_percentiles(gray: np.ndarray, q: tuple[float, ...]) -> tuple[int, ...]:
    """Percentiles (lowest gray level reaching each) of a uint8 image, from its histogram.

    A whole page has millions of pixels; counting 256 levels is much cheaper
    than the sort behind ``np.percentile``.
    """
    if gray.size == 0:
        return tuple(0 for _ in q)
    cum = np.cumsum(histogram(gray))
    return tuple(int(np.searchsorted(cum, p / 100.0 * gray.size)) for p in q)


#: Grey levels by which ink stands out from the paper, on blank and sparse pages.
PAPER_CONTRAST = 24
#: On a sparse page, an ink component needs this many such pixels to be part of a glyph.
MIN_GLYPH_AREA = 16


def _spread(gray: np.ndarray) -> int:
    lo, hi = gray_percentiles(gray, (0.5, 99.5))
    return hi - lo


def is_uniform(gray: np.ndarray, min_range: int = PAPER_CONTRAST) -> bool:
    """True for a blank page: no pixel differs much from the rest.

    Most pages say so by their 0.5-99.5 percentile range. A page that holds
    a single word or a page number (0.02% of its pixels) lies beyond those
    percentiles: it is blank only if the extremes of a copy with its impulse
    noise removed and its sensor noise averaged (3x3 box) stay near the paper too.
    """
    if not is_sparse(gray, min_range):
        return False
    paper = gray_percentiles(gray, (50,))[0]
    smooth = cv2.blur(remove_impulses(gray), (3, 3))
    return paper - int(smooth.min()) < 2 * min_range and int(smooth.max()) - paper < 2 * min_range


def is_sparse(gray: np.ndarray, min_range: int = PAPER_CONTRAST) -> bool:
    """True when 99% of the page is within ``min_range`` grey levels of each other once the
    paper's grain is averaged (3x3 box): paper, and at most a little ink."""
    return _spread(cv2.blur(gray, (3, 3))) < min_range


def drop_paper_grain(binary: np.ndarray, gray: np.ndarray, contrast: int = PAPER_CONTRAST) -> np.ndarray:
    """On a sparse page (:func:`is_sparse`), the ink components of ``binary`` with at least
    :data:`MIN_GLYPH_AREA` pixels ``contrast`` darker than the paper once its grain is
    averaged (3x3 box); on other pages ``binary`` as it is.

    On a page that is nearly all paper, a global threshold splits the paper's
    own grain (the ink is too rare to shape the histogram); the grain's
    pieces are only a few levels darker than the paper (or hold a stray pair
    of impulse pixels), a word's strokes are much darker over their length,
    and a lone speck of dust has too few pixels.
    """
    smooth = cv2.blur(gray, (3, 3))
    if _spread(smooth) >= contrast:
        return binary
    level = gray_percentiles(smooth, (50,))[0] - contrast
    n, labels = cv2.connectedComponents(as_u8(binary), connectivity=8)
    keep = np.bincount(labels[(smooth < level) & binary], minlength=n) >= MIN_GLYPH_AREA
    keep[0] = False
    return keep[labels]


#: A dark Otsu class under this share of the image is ink on light paper, without asking the
#: strokes (:func:`is_inverted`). Over it the strokes decide: a white-on-black page whose
#: paper is two levels (a black ground round dark-grey sheets, as lines cut out along their
#: polygons and laid on a page) has its black ground in the dark class, under half of it.
#: Lower, bold print is taken for white on black: a line of a heavy face on grey paper has 29%
#: of its pixels in the dark class, and the wide median fills its thick strokes.
DARK_INK_SHARE = 0.35
#: Without a dark majority the light strokes must outnumber the dark ones this many times: bold
#: print on a dithered band (FUNSD's "REASON CODE", 44% dark) stands out both ways nearly
#: equally (1.1-1.2 on the dev crops it flipped), the inverted page of cut-out lines 2.6 times.
STROKE_MARGIN = 2.0


def is_inverted(gray: np.ndarray, contrast: int = 30) -> bool:
    """Detect light ink on a dark background.

    Ink covers a minority of any page, so an Otsu dark class of at most
    :data:`DARK_INK_SHARE` of the image is ink. Otherwise the strokes tell:
    a wide median filter erases thin strokes and keeps the background, and
    the ink is on whichever side of it more pixels stand out (by
    :data:`STROKE_MARGIN` without a dark majority). A dark majority alone
    would not do: grey paper with white patches (a torn-off cheque field,
    glare) has one too.
    """
    t, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    dark_fraction = float(np.count_nonzero(gray <= t)) / gray.size
    if dark_fraction <= DARK_INK_SHARE:
        return False
    size = int(np.clip(min(gray.shape) // 4, 5, 31)) | 1
    residual = gray.astype(np.int16) - cv2.medianBlur(gray, size)
    # Sheets cut out and laid on white: the white between them and round them stands out light
    # from them as a stroke would, and is none.
    light = (residual > contrast) & ~joined_to_edge(gray >= CUT_WHITE)
    margin = 1.0 if dark_fraction > 0.5 else STROKE_MARGIN
    return int(np.count_nonzero(light)) > margin * int(np.count_nonzero(residual < -contrast))


def normalize_polarity(gray: np.ndarray) -> tuple[np.ndarray, bool]:
    """Return (dark-on-light gray, whether it was inverted)."""
    if is_inverted(gray):
        return 255 - gray, True
    return gray, False


#: A line cut out along its polygon (as eScriptorium, Transkribus and kraken export lines, and
#: as the Testaments lines come) lies on white outside the polygon: pixels of at least
#: :data:`CUT_WHITE` joined to the image's edge, :data:`CUT_SHARE` of it or more, around a
#: sheet of at least :data:`SHEET_SHARE` of it whose median (its paper) lies between
#: :data:`SHEET_PAPER` levels, and most of which (:data:`SHEET_PLAIN`) is within
#: :data:`SHEET_CONTRAST` levels of that median: paper with ink on it, not a page's text on
#: white or a photograph (:func:`cut_out_white`).
CUT_WHITE = 250
CUT_SHARE = 0.05
SHEET_SHARE = 0.25
SHEET_PAPER = (140, 240)
SHEET_PLAIN = 0.7
SHEET_CONTRAST = 40
#: Where binarization took this share of the cut's edge (the 2 pixels of sheet along the
#: white) for ink, the sheet is binarized again with the white set to its paper. On grey paper
#: with faint ink the edge was ink and read as lines of their own (Testaments validation
#: "Mes dernières" read as six lines; 0.5-0.69 of the edge inked there, at most 0.18 on the
#: other validation lines, where ink cut by the polygon touches the edge). Only then: the
#: white changes the thresholds, and the line model learnt the lines as they binarize with it
#: (the validation writers read 17.28 -> 18.44% as one line with every cut-out filled).
CUT_EDGE_INK = 0.3


def joined_to_edge(mask: np.ndarray) -> np.ndarray:
    """The pixels of ``mask`` joined to the image's edge through ``mask`` (the white a cut-out
    sheet lies on, when ``mask`` is the white). Filled from a frame around the image, one byte
    a pixel whatever the number of pieces (no label image)."""
    framed = cv2.copyMakeBorder(as_u8(mask), 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=1)
    cv2.floodFill(framed, None, (0, 0), 2)
    return framed[1:-1, 1:-1] == 2


def cut_out_white(gray: np.ndarray) -> tuple[np.ndarray, int] | None:
    """The white around a cut-out sheet (see :data:`CUT_WHITE`) as a mask, and the sheet's
    paper level; None for any other image."""
    white = gray >= CUT_WHITE
    share = float(np.count_nonzero(white)) / gray.size
    if share < CUT_SHARE or share > 1 - SHEET_SHARE:
        return None
    outside = joined_to_edge(white)
    del white
    if float(np.count_nonzero(outside)) / gray.size < CUT_SHARE:
        return None
    sheet = gray[~outside]
    paper = int(np.median(sheet))
    plain = np.count_nonzero((sheet >= paper - SHEET_CONTRAST) & (sheet <= paper + SHEET_CONTRAST)) / sheet.size
    if not SHEET_PAPER[0] <= paper <= SHEET_PAPER[1] or plain < SHEET_PLAIN:
        return None
    return outside, paper


def binarized_within_cut(gray: np.ndarray, binary: np.ndarray, method: str,
                         binarization: str) -> tuple[np.ndarray, np.ndarray, str]:
    """(gray, ink mask, method) of a cut-out whose edge was binarized as ink
    (:data:`CUT_EDGE_INK`) again, with its white set to its paper's level; of any other
    image as they are."""
    cut = cut_out_white(gray)
    if cut is None:
        return gray, binary, method
    outside, paper = cut
    edge = cv2.dilate(as_u8(outside), np.ones((5, 5), np.uint8)).astype(bool) & ~outside
    if not edge.any() or float(np.count_nonzero(binary[edge])) / np.count_nonzero(edge) < CUT_EDGE_INK:
        return gray, binary, method
    filled = on_its_paper(gray, cut)
    log.info("a cut-out line's edge binarized as ink: binarizing it again on its own paper")
    return (filled, *binarize(filled, binarization))


def on_its_paper(gray: np.ndarray, cut: tuple[np.ndarray, int]) -> np.ndarray:
    """A copy of ``gray`` with the white round its cut-out sheets (:func:`cut_out_white`'s
    ``cut``) set to their paper's level: no edge, no ink, where the sheets end."""
    filled = gray.copy()
    filled[cut[0]] = cut[1]
    return filled


def impulse_fraction(gray: np.ndarray, contrast: int = 64) -> float:
    """Fraction of pixels darker or lighter than all 8 neighbours by ``contrast``.

    Salt-and-pepper noise is made of such isolated pixels. Edges, thin
    strokes and the dots of small print are not: each of their pixels has a
    neighbour of similar value, so they do not count.
    """
    if gray.size == 0:
        return float("nan")
    ring = np.ones((3, 3), np.uint8)
    ring[1, 1] = 0
    # uint8 throughout: cv2.subtract saturates at 0, so "g - lightest > contrast"
    # is "g > lightest + contrast" without a wider copy of the page. A pixel
    # cannot be above all its neighbours and below them all, so the counts add.
    brighter = cv2.subtract(gray, cv2.dilate(gray, ring))
    n = cv2.countNonZero(cv2.threshold(brighter, contrast, 1, cv2.THRESH_BINARY)[1])
    del brighter
    darker = cv2.subtract(cv2.erode(gray, ring), gray)
    n += cv2.countNonZero(cv2.threshold(darker, contrast, 1, cv2.THRESH_BINARY)[1])
    return n / gray.size


def denoise(gray: np.ndarray, size: int = 3) -> np.ndarray:
    """Median filter: removes salt-and-pepper noise while keeping stroke edges."""
    return cv2.medianBlur(gray, size)


def remove_impulses(gray: np.ndarray, contrast: int = 64, passes: int = 2) -> np.ndarray:
    """Switching median filter: only impulse pixels (darker or lighter than all 8
    neighbours by ``contrast``, as :func:`impulse_fraction` counts them) take
    their 3x3 median; every other pixel is kept.

    A median over the whole page also rounds off the strokes of small print:
    on FUNSD's 100 dpi faxes (text 7 px high) it cost the print model 19 points
    of word-box CER. A second pass takes the pixels of noise pairs that the
    first one left isolated.
    """
    ring = np.ones((3, 3), np.uint8)
    ring[1, 1] = 0
    out = gray.copy()
    for _ in range(passes):
        impulses = (cv2.subtract(out, cv2.dilate(out, ring)) > contrast) | \
                   (cv2.subtract(cv2.erode(out, ring), out) > contrast)
        if not impulses.any():
            break
        out[impulses] = cv2.medianBlur(out, 3)[impulses]
    return out


def binarize_otsu(gray: np.ndarray) -> np.ndarray:
    """Global Otsu threshold. Returns the ink mask."""
    _, out = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return out > 0


#: Rows of the page whose local statistics :func:`binarize_sauvola` holds at once.
SAUVOLA_BAND = 256


def binarize_sauvola(gray: np.ndarray, window: int = 31, k: float = 0.2, r: float = 128.0) -> np.ndarray:
    """Sauvola's local threshold T = m * (1 + k * (s / r - 1)). Returns the ink mask.

    Local statistics come from box filters, so the cost does not depend on ``window``.
    """
    window = max(3, window | 1)
    half = window // 2
    h = gray.shape[0]
    out = np.empty(gray.shape, bool)
    # In bands of rows, each filtered with the ``half`` rows around it: a
    # whole page of float statistics is four copies of it at 4 bytes a pixel.
    # The filters sum in double precision (exact on whole gray levels) and the
    # page's own edges are in the same bands, so every threshold is the same
    # as over the whole page at once.
    for y0 in range(0, h, SAUVOLA_BAND):
        y1 = min(h, y0 + SAUVOLA_BAND)
        a, b = max(0, y0 - half), min(h, y1 + half)
        f = gray[a:b].astype(np.float32)
        mean = cv2.boxFilter(f, -1, (window, window), borderType=cv2.BORDER_REFLECT)
        sq = cv2.sqrBoxFilter(f, -1, (window, window), borderType=cv2.BORDER_REFLECT)
        sq -= mean * mean
        np.maximum(sq, 0.0, out=sq)
        std = np.sqrt(sq, out=sq)
        std *= k / r
        std += 1.0 - k
        std *= mean  # now the threshold m * (1 + k * (s / r - 1))
        np.less(f[y0 - a:y1 - a], std[y0 - a:y1 - a], out=out[y0:y1])
    return out


def otsu3_thresholds(gray: np.ndarray) -> tuple[int, int]:
    """Two thresholds splitting the gray levels into three classes (multi-level Otsu).

    On a textured or patterned background (cheques, security paper) the middle
    class is the pattern and only the darkest class is ink.
    """
    hist = histogram(gray)
    p = hist / max(hist.sum(), 1.0)
    w = np.cumsum(p)
    mu = np.cumsum(p * np.arange(256, dtype=np.float64))
    # Every pair t1 < t2 at once: classes [0, t1], (t1, t2], (t2, 255].
    t1, t2 = np.meshgrid(np.arange(1, 254), np.arange(2, 255), indexing="ij")
    w0, m0 = w[t1], mu[t1]
    w1, m1 = w[t2] - w0, mu[t2] - m0
    w2, m2 = 1.0 - w[t2], mu[-1] - mu[t2]
    ok = (t2 > t1) & (w0 > 0) & (w1 > 0) & (w2 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        between = np.where(ok, m0 * m0 / w0 + m1 * m1 / w1 + m2 * m2 / w2, -1.0)
    if not ok.any():
        return 85, 170
    i, j = np.unravel_index(int(np.argmax(between)), between.shape)
    return int(t1[i, j]), int(t2[i, j])


def _count_components(binary: np.ndarray) -> int:
    return cv2.connectedComponents(as_u8(binary), connectivity=8)[0] - 1


def background_variation(gray: np.ndarray) -> float:
    """Spread (gray levels) of the page background, estimated at a coarse scale.

    A large value means uneven lighting or a textured background, where a
    global threshold fails.
    """
    small = cv2.resize(gray, (max(8, gray.shape[1] // 8), max(8, gray.shape[0] // 8)),
                       interpolation=cv2.INTER_AREA)
    # Closing removes the ink (dark, thin) and leaves the background.
    k = max(3, min(small.shape) // 10) | 1
    bg = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    lo, hi = np.percentile(bg, [5, 95])
    return float(hi - lo)


#: A sheet of paper on a lighter background (a note photographed on a white desk, cut-out lines
#: pasted on white) is darker than the background: Otsu splits the two and takes the whole sheet
#: for ink. Its "ink" is then at least :data:`PAPER_INK` of the image, and more than
#: :data:`THICK_INK` of it lies over :data:`STROKE_RADIUS` pixels from any paper, where
#: three-class Otsu's ink (the darkest class) is strokes: under :data:`THIN_INK` of it that far.
#: Rebuilt pages of the wills' cut-out lines read as one blot (validation page of three lines:
#: "memen" for 49 characters).
PAPER_INK = 0.15
STROKE_RADIUS = 6.0
THICK_INK = 0.3
THIN_INK = 0.05


def thick_ink_share(ink: np.ndarray, radius: float = STROKE_RADIUS) -> float:
    """The share of an ink mask's pixels more than ``radius`` pixels from any background pixel."""
    inked = int(np.count_nonzero(ink))
    if inked == 0:
        return 0.0
    away = cv2.distanceTransform(as_u8(ink), cv2.DIST_L2, 3)
    return float(np.count_nonzero(away > radius)) / inked


def takes_paper_for_ink(otsu: np.ndarray, three_class: np.ndarray) -> bool:
    """Whether Otsu's ink mask is a sheet of paper where three-class Otsu's is its strokes
    (see :data:`PAPER_INK`)."""
    return (float(otsu.mean()) >= PAPER_INK and thick_ink_share(otsu) > THICK_INK
            and thick_ink_share(three_class) < THIN_INK)


def binarize(gray: np.ndarray, method: str = "auto") -> tuple[np.ndarray, str]:
    """Binarize with ``otsu``, ``otsu3``, ``sauvola`` or ``auto``. Returns (ink mask, method used).

    ``auto`` tries Otsu, three-class Otsu (patterned paper) and Sauvola
    (shadows, gradients) and keeps the one that yields text-like ink.
    """
    if method == "otsu":
        return binarize_otsu(gray), "otsu"
    if method == "otsu3":
        return gray <= otsu3_thresholds(gray)[0], "otsu3"
    if method == "sauvola":
        return binarize_sauvola(gray, window=_sauvola_window(gray)), "sauvola"
    if method != "auto":
        raise ValueError(f"unknown binarization method {method!r}")
    if is_bilevel(gray):
        # Already binary (a 1-bit scan): its dark level is the ink. Sauvola would
        # hollow out every solid black area (a scan border, a figure) into an outline.
        return gray == gray.min(), "bilevel"
    # Each method fails differently: Otsu under shading (a dark blob), Otsu
    # and Sauvola on patterned paper (the pattern breaks into many pieces).
    # Text is a moderate amount of ink in few pieces, so the candidate with
    # the fewest pieces among those with a plausible ink fraction wins; Otsu
    # is kept unless another is clearly (30%) better, being the most faithful
    # on clean pages.
    candidates = [("otsu", binarize_otsu(gray)),
                  ("otsu3", gray <= otsu3_thresholds(gray)[0]),
                  ("sauvola", binarize_sauvola(gray, window=_sauvola_window(gray)))]
    lo, hi = gray_percentiles(gray, (1, 99))
    shaded = background_variation(gray) > max(float(hi - lo), 1.0) / 3
    if not shaded and takes_paper_for_ink(candidates[0][1], candidates[1][1]):
        return candidates[1][1], "otsu3"  # the sheet is the middle class, its strokes the darkest
    scored = []
    for name, ink in candidates:
        fraction = float(ink.mean())
        if 0.001 <= fraction <= 0.35:
            scored.append((_count_components(ink), name, ink))
    if not scored:
        return candidates[0][1], "otsu"
    # Under uneven light Sauvola is the principled choice; it wins near-ties.
    best = min(scored, key=lambda t: t[0] * (0.9 if shaded and t[1] == "sauvola" else 1.0))
    otsu = next((t for t in scored if t[1] == "otsu"), None)
    if otsu is not None and best[0] >= 0.7 * otsu[0]:
        return otsu[2], "otsu"
    return best[2], best[1]


def _sauvola_window(gray: np.ndarray) -> int:
    # Wide enough to contain a stroke and its background, small enough to follow shading.
    return int(np.clip(min(gray.shape) // 20, 15, 61)) | 1


def holds_a_glyph(binary: np.ndarray, sparse: float = 0.005) -> bool:
    """Whether an ink mask has at least one component of :data:`MIN_GLYPH_AREA` pixels.

    Heavy salt-and-pepper noise leaves clusters of two to four dark pixels
    that the impulse filter cannot tell from one another's neighbours; a page
    of nothing else holds no glyph and is blank, where reading it gave a page
    of punctuation. Only sparse masks are checked (below ``sparse`` of the
    pixels inked): any page with text has glyphs, and counting its components
    would cost time for nothing.
    """
    inked = int(np.count_nonzero(binary))
    if inked == 0:
        return False
    if inked > sparse * binary.size:
        return True
    _, _, stats, _ = cv2.connectedComponentsWithStats(as_u8(binary), connectivity=8)
    return bool(stats[1:, cv2.CC_STAT_AREA].max(initial=0) >= MIN_GLYPH_AREA)


def remove_specks(binary: np.ndarray, min_area: int = MIN_SPECK_AREA) -> np.ndarray:
    """Drop connected components smaller than ``min_area`` pixels."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(as_u8(binary), connectivity=8)
    out = labels > 0
    # Specks are tiny, so clearing each inside its own box beats relabelling the page.
    for i in np.nonzero(stats[1:, cv2.CC_STAT_AREA] < min_area)[0] + 1:
        x, y, w, h = stats[i, :4]
        box = out[y:y + h, x:x + w]
        box[labels[y:y + h, x:x + w] == i] = False
    return out


#: Degrees of skew below which a page is left as it is.
MIN_SKEW = 0.2
#: The same for an image of one line (:func:`ocr.pipeline.analyse_page`): its projection
#: profile is one line's, and slanted cursive tilts it. On the Testaments validation lines
#: read as one line, straightening those estimated under 2 degrees cost 29 more errors than
#: leaving them; those estimated between 2 and 19 degrees gained 16.
LINE_MIN_SKEW = 2.0


def estimate_skew(binary: np.ndarray, max_angle: float = 20.0, max_points: int = 60_000) -> float:
    """Estimate the text skew in degrees (positive = counter-clockwise) within ±max_angle.

    Projection-profile method: rotate the ink pixel coordinates and keep the
    angle whose horizontal projection is sharpest (largest sum of squares),
    coarse then fine. Working on points, not images, keeps it cheap.
    """
    ys, xs = np.nonzero(binary)
    if len(xs) < 20:
        return 0.0
    if len(xs) > max_points:
        idx = np.random.default_rng(0).choice(len(xs), max_points, replace=False)
        xs, ys = xs[idx], ys[idx]
    xs = xs.astype(np.float64) - xs.mean()
    ys = ys.astype(np.float64) - ys.mean()

    def sharpness(angle: float) -> float:
        t = np.deg2rad(angle)
        # y coordinate after rotating the page by -angle (undoing the skew).
        proj = ys * np.cos(t) + xs * np.sin(t)
        hist = np.bincount(np.round(proj - proj.min()).astype(np.int64))
        return float(np.dot(hist, hist))

    coarse = np.arange(-max_angle, max_angle + 1e-9, 1.0)
    best = coarse[int(np.argmax([sharpness(a) for a in coarse]))]
    fine = np.arange(best - 1.0, best + 1.0 + 1e-9, 0.1)
    best = fine[int(np.argmax([sharpness(a) for a in fine]))]
    return float(np.clip(round(best, 2), -max_angle, max_angle))


def rotation_matrix(shape: tuple[int, int], angle: float) -> tuple[np.ndarray, tuple[int, int]]:
    """Affine matrix rotating an image of ``shape`` by ``angle`` degrees onto an
    enlarged canvas. Returns (2x3 matrix, (new_height, new_width))."""
    h, w = shape[:2]
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(np.ceil(h * sin + w * cos)), int(np.ceil(h * cos + w * sin))
    m[0, 2] += nw / 2.0 - w / 2.0
    m[1, 2] += nh / 2.0 - h / 2.0
    return m, (nh, nw)


def rotate(image: np.ndarray, angle: float, fill: int | bool = 255) -> np.ndarray:
    """Rotate counter-clockwise by ``angle`` degrees onto a canvas that holds the whole page."""
    if abs(angle) < 1e-3:
        return image.copy()
    m, (nh, nw) = rotation_matrix(image.shape, angle)
    if image.dtype == bool:
        out = cv2.warpAffine(as_u8(image) * 255, m, (nw, nh), flags=cv2.INTER_LINEAR,
                             borderValue=255 if fill else 0)
        return out > 127
    return cv2.warpAffine(image, m, (nw, nh), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=int(fill))


def deskew(gray: np.ndarray, binary: np.ndarray, max_angle: float = 20.0,
           min_angle: float = MIN_SKEW, max_pixels: int | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """Estimate the skew and rotate both images to undo it. Returns (gray, binary, angle).

    The rotated page needs a larger canvas (a long thin strip turned by a few
    degrees becomes a huge square); when it would hold more than
    ``max_pixels``, the page is left as it is.
    """
    angle = estimate_skew(binary, max_angle)
    if abs(angle) < min_angle:
        return gray, binary, 0.0
    if max_pixels is not None:
        _, (nh, nw) = rotation_matrix(gray.shape, -angle)
        if nh * nw > max_pixels:
            log.warning("not deskewing a %dx%d page by %.1f degrees: the rotated page (%dx%d) "
                        "would exceed the memory budget of %s pixels", gray.shape[1], gray.shape[0],
                        angle, nw, nh, f"{max_pixels:,}")
            return gray, binary, 0.0
    # The text is rotated by +angle; rotating by -angle straightens it.
    return rotate(gray, -angle, fill=255), rotate(binary, -angle, fill=False), angle


def remove_rules(binary: np.ndarray, char_height: float | None = None,
                 max_thickness: int = 12, min_length: int = MIN_RULE_LENGTH) -> tuple[np.ndarray, np.ndarray]:
    """Remove ruled lines and box borders. Returns (cleaned ink mask, rules mask).

    Strokes that cross a rule would be cut in two; the pixels of the rule that
    have ink directly above and below it (a horizontal rule) or left and right
    of it (a vertical one) are put back to rejoin them. Only across the rule: an
    underline's pixels between two words have ink left and right of them too,
    and putting those back joined the words into one.
    """
    rules = find_rules(binary, char_height, max_thickness, min_length)
    if not rules.any():
        return binary.copy(), rules
    # A scanned rule's ragged edge is ink beside it, not a long run: left, it
    # reads as a row of dashes under the words and bridges the gaps between them.
    rules |= binary & (cv2.dilate(as_u8(rules), np.ones((3, 3), np.uint8)) > 0)
    cleaned = binary & ~rules
    u8 = as_u8(cleaned)
    span = max_thickness + 3
    rect = cv2.getStructuringElement
    closed_v = cv2.morphologyEx(u8, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, (1, span))) > 0
    closed_h = cv2.morphologyEx(u8, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, (span, 1))) > 0
    del u8
    # A run longer than any rule is thick lies along the rule.
    run = 2 * max_thickness + 1
    rules_u8 = as_u8(rules)
    along_x = cv2.morphologyEx(rules_u8, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (run, 1))) > 0
    along_y = cv2.morphologyEx(rules_u8, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (1, run))) > 0
    del rules_u8
    across = np.where(along_x & ~along_y, closed_v, np.where(along_y & ~along_x, closed_h, closed_v | closed_h))
    cleaned |= rules & across
    # Fragments of the rule (its ends, noise) should not become glyphs.
    return remove_specks(cleaned, 4), rules


#: What is left beside taken-off rules is their ragged edge, not text, when it is at most this
#: share of the rules' ink ...
FRINGE_INK_SHARE = 0.5
#: ... and lies within this many times the rules' thickness of them (at least
#: :data:`FRINGE_MIN_REACH` pixels): a book's ornamental rule cut out as a "line" read
#: "LEETEETELE EETE T--rim" from its crumbs (oldbooks dev e045), a blank ruled sheet as a page of
#: "L", "T" and "1". A letter on a rule rises above it by more than its thickness.
FRINGE_REACH = 2.0
FRINGE_MIN_REACH = 3


def only_rule_fringe(binary: np.ndarray, rules: np.ndarray) -> bool:
    """Whether all the ink of ``binary`` (rules taken off) is crumbs of the ``rules`` mask's edges:
    ink of at most :data:`FRINGE_INK_SHARE` of the rules' within :data:`FRINGE_REACH` of their
    thickness of them. Such a page or line image holds no text."""
    inked = int(np.count_nonzero(binary))
    rule_ink = int(np.count_nonzero(rules))
    if inked == 0 or inked > FRINGE_INK_SHARE * rule_ink:
        return False
    reach = int(np.ceil(max(FRINGE_MIN_REACH, FRINGE_REACH * stroke_width(rules))))
    band = cv2.dilate(as_u8(rules), np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)) > 0
    return not np.any(binary & ~band)


@dataclass
class Preprocessed:
    """The result of :func:`preprocess`: images in the deskewed frame and what was done."""

    gray: np.ndarray      # dark ink on light background, deskewed
    binary: np.ndarray    # ink mask, deskewed, rules removed
    angle: float          # skew found in the input, degrees (counter-clockwise positive)
    inverted: bool        # the input had light ink on a dark background
    method: str           # binarization used
    blank: bool           # nothing on the page
    input_shape: tuple[int, int]
    work_shape: tuple[int, int] | None = None  # (h, w) the page was scaled to first, if it was
    orientation: int = 0  # the text lay turned by this (0/90/180/270, counter-clockwise); turned upright
    tables: list[Box] = field(default_factory=list)  # ruled tables whose rules were taken off (x0, y0, x1, y1)
    frames: list[Box] = field(default_factory=list)  # frames (not tables) taken off with the rules


def small_text_scale(gray: np.ndarray, max_pixels: int) -> int:
    """How many times to enlarge a page (dark ink on light) before binarizing it: 1, or
    :data:`SMALL_TEXT_UPSCALE` when its text is small (under :data:`SMALL_TEXT_HEIGHT`, or
    :data:`SMALL_PAGE_TEXT_HEIGHT` on an image of several lines) and the enlarged page fits
    ``max_pixels``."""
    if gray.size * SMALL_TEXT_UPSCALE ** 2 > max_pixels:
        return 1
    cut = cut_out_white(gray)
    if cut is not None:  # the white around cut-out sheets is no ink, their paper no text
        gray = on_its_paper(gray, cut)
    height = text_height(binarize_otsu(gray))  # components under 3 px tall (specks) are not counted
    if 0 < height < SMALL_TEXT_MIN_HEIGHT:
        return SMALL_TEXT_UPSCALE if is_tiny_text(gray, height) else 1
    on_page = gray.shape[0] >= PAGE_TEXT_HEIGHTS * height and not is_bilevel(gray)
    small = SMALL_PAGE_TEXT_HEIGHT if on_page else SMALL_TEXT_HEIGHT
    return SMALL_TEXT_UPSCALE if SMALL_TEXT_MIN_HEIGHT <= height < small else 1


def is_tiny_text(gray: np.ndarray, height: float) -> bool:
    """Whether components that measure ``height``, like paper grain (under
    :data:`SMALL_TEXT_MIN_HEIGHT`), are print too small for a threshold at scan resolution: on
    a line crop (at most :data:`TINY_LINE_HEIGHTS` of them tall) or a page (at least
    :data:`TINY_PAGE_HEIGHTS`), enlarged (cubic), its letters measure
    :data:`TINY_TEXT_ENLARGED_HEIGHT` or more; the grain stays grain.

    A Federal Register page scanned at ~70 dpi and lines cut from it break into 4 px pieces at
    scan resolution and measure 9 px at twice it; grainy paper and salt-and-pepper noise 4-5 px.
    Between the two sizes lie line images of large handwriting on grainy paper (the wills'
    80-row lines, 20 such heights), whose grain measures 4 px and enlarged 5-11: left as they are.
    """
    tall = gray.shape[0] / height
    if TINY_LINE_HEIGHTS < tall < TINY_PAGE_HEIGHTS:
        return False
    enlarged = cv2.resize(gray, (gray.shape[1] * SMALL_TEXT_UPSCALE, gray.shape[0] * SMALL_TEXT_UPSCALE),
                          interpolation=cv2.INTER_CUBIC)
    return text_height(binarize_otsu(enlarged)) >= TINY_TEXT_ENLARGED_HEIGHT


def enlarged_if_small_text(gray: np.ndarray, max_pixels: int = MAX_WORK_PIXELS) -> tuple[np.ndarray, int]:
    """``gray`` enlarged by :func:`small_text_scale` (cubic), and the factor (1: unchanged).

    Reading does it before binarizing, and the print model's training renders
    do it too, so that the model sees the masks reading gives it.
    """
    scale = small_text_scale(gray, max_pixels)
    if scale == 1:
        return gray, 1
    return cv2.resize(gray, (gray.shape[1] * scale, gray.shape[0] * scale), interpolation=cv2.INTER_CUBIC), scale


def speck_area(scale: int = 1) -> int:
    """Components under this many pixels are specks, on a page enlarged ``scale`` times.

    It grows with the scale, not its square: small print (under
    :data:`SMALL_TEXT_HEIGHT`) has stops and colon dots of one or two scan
    pixels, which the enlargement keeps apart from the letters. As a scan
    pixel's worth of area (12 pixels at 2x) it took them: FUNSD's faxed
    labels read "DATE", "By City", "JOB NO" for "DATE:", "By City:", "JOB NO.".
    """
    return MIN_SPECK_AREA * scale


def preprocess(image: np.ndarray, binarization: str = "auto", deskew_pages: bool = True,
               max_angle: float = 20.0, remove_lines: bool = True, denoise_size: int = 3,
               max_pixels: int | None = None, upscale_small_text: bool = True,
               turn: int | None = None, min_skew: float = MIN_SKEW) -> Preprocessed:
    """Grayscale, polarity, noise removal, binarization, deskew and rule removal.

    A page over ``max_pixels`` (default :data:`MAX_WORK_PIXELS`) is first
    scaled down to it; a page of small text (:data:`SMALL_TEXT_HEIGHT`) is
    enlarged (``upscale_small_text``). ``work_shape`` then says to what, and
    the images returned are in that frame. ``turn`` (0/90/180/270, the text's
    counter-clockwise turn) turns the page upright by it instead of detecting
    how its text lies. A skew estimated under ``min_skew`` degrees is left as it is.
    """
    max_pixels = MAX_WORK_PIXELS if max_pixels is None else max_pixels
    gray = to_gray(image)
    shape = gray.shape[:2]
    work_shape = None
    if gray.size > max_pixels:
        f = (max_pixels / gray.size) ** 0.5
        work_shape = (max(1, int(shape[0] * f)), max(1, int(shape[1] * f)))
        log.warning("scaling a %dx%d page down to %dx%d to stay within the memory budget of %s pixels",
                    shape[1], shape[0], work_shape[1], work_shape[0], f"{max_pixels:,}")
        gray = cv2.resize(gray, (work_shape[1], work_shape[0]), interpolation=cv2.INTER_AREA)
    if is_uniform(gray):
        return Preprocessed(gray, np.zeros_like(gray, dtype=bool), 0.0, False, "none", True, shape,
                            work_shape)
    gray, inverted = normalize_polarity(gray)
    scale = 1
    if upscale_small_text:
        gray, scale = enlarged_if_small_text(gray, max_pixels)
    if scale > 1:
        work_shape = gray.shape[:2]
        log.info("small text: binarizing the page at %dx its resolution", scale)
    if denoise_size > 1 and min(gray.shape) > 64:
        smooth = denoise(gray, denoise_size)
        # The median filter smooths ragged edges but erases the i dots and
        # hairlines of small print: it is applied where edges are ragged and
        # strokes thick enough to survive it. Impulse noise alone is removed
        # pixel by pixel (a switching median), which leaves the strokes as they are.
        ragged = np.mean(cv2.absdiff(gray, smooth) > 96) > 0.004
        if ragged and stroke_width(binarize_otsu(gray)) >= denoise_size + 0.5:
            gray = smooth
        elif impulse_fraction(gray) > 2e-4:
            gray = remove_impulses(gray)
        del smooth
    binary, method = binarize(gray, binarization)
    gray, binary, method = binarized_within_cut(gray, binary, method, binarization)
    binary = drop_paper_grain(remove_specks(binary, speck_area(scale)), gray)
    angle = 0.0
    orientation = 0
    if turn:
        orientation = turn % 360
        gray, binary = turn_upright(gray, orientation), turn_upright(binary, orientation)
    char_height = text_height(binary) if deskew_pages or remove_lines else 0.0
    # A single short line (a field, a cheque amount) has too little text for a
    # projection profile: slanted handwriting would be read as skew.
    if deskew_pages and binary.shape[0] >= 3 * max(char_height, 1.0):
        if turn is None:
            orientation = detect_orientation(binary, char_height).angle
            if orientation:
                log.info("page text lies turned by %d degrees: turning it upright", orientation)
                gray, binary = turn_upright(gray, orientation), turn_upright(binary, orientation)
        gray, binary, angle = deskew(gray, binary, max_angle, min_skew, max_pixels=max_pixels)
        if angle:
            # Rule removal's length scale must come from the straightened page.
            char_height = text_height(binary)
    tables: list[Box] = []
    frames: list[Box] = []
    if remove_lines:
        binary, rules = remove_rules(binary, char_height, min_length=MIN_RULE_LENGTH * scale)
        tables, frames = ruled_boxes(rules, char_height)
        if only_rule_fringe(binary, rules):
            log.info("only the ragged edges of rules are left: no text")
            binary = np.zeros_like(binary)
        del rules
    if not holds_a_glyph(binary):
        binary = np.zeros_like(binary)
    blank = not binary.any()
    return Preprocessed(gray, binary, angle, inverted, method, blank, shape, work_shape, orientation,
                        [] if blank else tables, [] if blank else frames)
