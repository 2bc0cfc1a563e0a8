"""Signature preprocessing: scans in, fixed-size network inputs out.

Pure numpy/OpenCV, following the SigNet/Hafemann line of work: smooth, remove
the background with Otsu's threshold, crop to the ink, centre it on a canvas of
the network's aspect ratio, resize, invert (ink high) and scale to 0..1. Last,
:func:`normalize_ink` divides by the ink's own strength, so the pen's darkness
(a property of the pen and the scanner, not of the hand) does not reach the
network; models record in their metadata whether they expect that step.

:func:`ocr.verify.verify_signature` (the library side of ``ocr verify-signature``)
uses these with a model loaded through :mod:`ocr.models`.
"""

from __future__ import annotations

import functools
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple, Sequence

import cv2
import numpy as np

from ocr.errors import ImageError, ModelError, OcrError
from ocr.io import load
from ocr.preprocess import to_gray

log = logging.getLogger(__name__)

INPUT_SHAPE = (150, 240)  # (height, width), near SigNet's 155x220; 80x128 lost the stroke detail
MIN_CONTRAST = 40  # grey levels between paper and ink after smoothing; below this it is blank
MIN_INK_PIXELS = 20
MARGIN = 0.04  # blank border kept around the cropped ink, as a fraction of the canvas
INK_FLOOR = 0.1  # below this (ink high, 0..1) a pixel is resize blur at a stroke's edge, not ink
INK_PERCENTILE = 90  # the ink level mapped to 1; a percentile, so a few dark blots do not set it
PREPROCESS_THREADS = 4  # images read at once by preprocess_many
MIN_INPUT_SIDE = 32  # the embedding network's four poolings need at least this many pixels a side



def remove_background(grey: np.ndarray, blur: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Otsu's threshold after Gaussian smoothing; returns (cleaned, ink_mask).

    The cleaned image keeps the ink's grey levels (pressure information) and
    sets every background pixel to white, as in Hafemann et al. Smoothing first
    keeps paper texture and scanner noise out of the threshold.
    """
    smooth = cv2.GaussianBlur(grey, (blur, blur), 0)
    if int(smooth.max()) - int(smooth.min()) < MIN_CONTRAST:
        raise ImageError("image is blank (no ink found)")
    threshold, _ = cv2.threshold(smooth, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    mask = smooth <= threshold
    mask = _drop_specks(mask)
    if int(mask.sum()) < MIN_INK_PIXELS:
        raise ImageError("image is blank (no ink found)")
    cleaned = np.where(mask, smooth, 255).astype(np.uint8)
    return cleaned, mask


def _drop_specks(mask: np.ndarray) -> np.ndarray:
    """Remove dust: components far smaller than the largest stroke would skew the crop."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if count <= 2:
        return mask
    areas = stats[1:, cv2.CC_STAT_AREA]
    out = mask.copy()
    # Dust is small: clearing each speck inside its own box beats relabelling the whole scan.
    for i in np.flatnonzero(areas < max(4, 0.01 * areas.max())) + 1:
        x, y, w, h = stats[i, :4]
        box = out[y:y + h, x:x + w]
        box[labels[y:y + h, x:x + w] == i] = False
    return out


def crop_to_ink(cleaned: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Crop to the bounding box of the ink."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return cleaned[rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1]


def centre_on_canvas(crop: np.ndarray, shape: tuple[int, int] = INPUT_SHAPE,
                     margin: float = MARGIN) -> np.ndarray:
    """Fit ``crop`` into a ``shape`` canvas keeping its aspect ratio, centred, on white."""
    height, width = shape
    inner_h, inner_w = height * (1 - 2 * margin), width * (1 - 2 * margin)
    scale = min(inner_h / crop.shape[0], inner_w / crop.shape[1])
    new_w = max(1, min(width, round(crop.shape[1] * scale)))
    new_h = max(1, min(height, round(crop.shape[0] * scale)))
    # INTER_AREA averages when shrinking, so thin strokes fade instead of vanishing.
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(crop, (new_w, new_h), interpolation=interp)
    canvas = np.full((height, width), 255, dtype=np.uint8)
    top, left = (height - new_h) // 2, (width - new_w) // 2
    canvas[top: top + new_h, left: left + new_w] = resized
    return canvas


def normalize_ink(image: np.ndarray) -> np.ndarray:
    """Scale an ink-high 0..1 image so its strong ink is 1: the same input for any pen.

    The ink's ``INK_PERCENTILE``-th percentile becomes 1 and the rest scales
    with it, so pressure variation along the strokes stays while the overall
    darkness of the pen goes. Without this step a verifier can learn the pen:
    re-inking genuine signatures 25% darker made a 150x240 model trained on
    raw grey levels reject 76% of them (see ``bench/RESULTS.md``).
    """
    ink = image[image > INK_FLOOR]
    if not ink.size:
        return image.astype(np.float32)
    return np.clip(image / np.percentile(ink, INK_PERCENTILE), 0.0, 1.0).astype(np.float32)


#: Cell grids and orientation bins of :func:`stroke_directions`: a coarse and a fine
#: pyramid level, chosen on the 59 sign_data writers by cross-validation (bench/RESULTS.md).
DIRECTION_GRIDS = ((5, 8), (10, 16))
DIRECTION_BINS = 16

#: Cell grids of :func:`stroke_texture`, the ink level (0..1, after :func:`normalize_ink`)
#: above which a pixel is strong ink, and the power applied to the unit-length cell
#: histograms. Chosen on the training writers of 5 writer folds (bench/RESULTS.md, session 19):
#: ink levels 0.1-0.3 and 0.9+ scored 1-6 points worse, uniform patterns (59 codes) 5 points worse.
TEXTURE_GRIDS = ((3, 4), (6, 8))
TEXTURE_INK_LEVEL = 0.75
TEXTURE_POWER = 0.5
TEXTURE_CODES = 256  # every 8-neighbour pattern, not only the "uniform" ones
_NEIGHBOURS = ((-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1))


def _cell_histograms(shape: tuple[int, int], ys: np.ndarray, xs: np.ndarray, codes: np.ndarray,
                     weights: np.ndarray, n_codes: int, rows: int, cols: int) -> np.ndarray:
    """Per-cell histograms of ``codes`` at pixels (ys, xs), each vote shared bilinearly
    between the four nearest cell centres: (rows * cols, n_codes).

    Sharing the votes keeps a stroke that moves by a pixel from jumping to the
    next cell; on the sign_data writers it was worth 1.5 points of EER against
    hard cell borders.
    """
    height, width = shape
    cy = (ys + 0.5) * rows / height - 0.5
    cx = (xs + 0.5) * cols / width - 0.5
    y0, x0 = np.floor(cy).astype(np.int64), np.floor(cx).astype(np.int64)
    fy, fx = cy - y0, cx - x0
    codes = np.asarray(codes, np.int64)
    hist = np.zeros(rows * cols * n_codes)
    for dy, wy in ((0, 1.0 - fy), (1, fy)):
        yy = np.clip(y0 + dy, 0, rows - 1)
        for dx, wx in ((0, 1.0 - fx), (1, fx)):
            cell = yy * cols + np.clip(x0 + dx, 0, cols - 1)
            hist += np.bincount(cell * n_codes + codes, weights=weights * wy * wx, minlength=hist.size)
    return hist.reshape(rows * cols, n_codes)


def stroke_texture(image: np.ndarray, grids: Sequence[tuple[int, int]] = TEXTURE_GRIDS,
                   ink_level: float = TEXTURE_INK_LEVEL, power: float = TEXTURE_POWER) -> np.ndarray:
    """How the strong ink is shaped, cell by cell: local binary patterns of the stroke cores.

    Each pixel of a preprocessed (ink-high, ink-normalized) signature above
    ``ink_level`` gets the 8-bit code of which neighbours are at least as
    dark; the codes are counted per cell of each grid (votes shared between
    neighbouring cells), each cell scaled to unit length and raised to
    ``power``. The codes record stroke width, pen lifts and where pressure
    falls, which a slow forger's copy gets wrong even when the shape is right;
    the ink normalization makes them the same for a lighter or darker pen
    (bench/RESULTS.md: FRR moved by under 1 point for ink 0.6x to 1.6x). Learnt
    from no data.
    """
    img = np.asarray(image, dtype=np.float32)
    height, width = img.shape
    padded = np.pad(img, 1)
    code = np.zeros(img.shape, np.int64)
    for bit, (dy, dx) in enumerate(_NEIGHBOURS):
        code |= (padded[1 + dy: 1 + dy + height, 1 + dx: 1 + dx + width] >= img).astype(np.int64) << bit
    ys, xs = np.nonzero(img > ink_level)
    weights = np.ones(len(ys))
    parts = []
    for rows, cols in grids:
        hist = _cell_histograms(img.shape, ys, xs, code[ys, xs], weights, TEXTURE_CODES, rows, cols)
        hist /= np.linalg.norm(hist, axis=1, keepdims=True) + 1e-6
        parts.append((hist ** power).ravel())
    return np.concatenate(parts).astype(np.float32)


def stroke_directions(image: np.ndarray, grids: Sequence[tuple[int, int]] = DIRECTION_GRIDS,
                      bins: int = DIRECTION_BINS) -> np.ndarray:
    """Where the strokes run which way: a pyramid of gradient-orientation histograms.

    For each cell of each grid, the gradient magnitude of a preprocessed
    (ink-high) signature summed per unsigned orientation bin, L2-normalised per
    cell and square-rooted (a Hellinger map, so one heavy stroke does not
    dominate). The descriptor of the classic writer-identification features,
    and of models trained before :func:`stroke_texture` replaced it (session 19).
    """
    img = np.asarray(image, dtype=np.float32)
    gx = cv2.Sobel(img, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(img, cv2.CV_32F, 0, 1, ksize=3)
    weights = np.hypot(gx, gy).ravel()
    orientation = (np.mod(np.arctan2(gy, gx), np.pi) * (bins / np.pi)).astype(np.int32).ravel()
    np.minimum(orientation, bins - 1, out=orientation)
    parts = []
    for rows, cols in grids:
        cell = _cell_index(img.shape, rows, cols, bins)
        hist = np.bincount(cell + orientation, weights=weights, minlength=rows * cols * bins)
        hist = hist.reshape(rows * cols, bins)
        hist /= np.linalg.norm(hist, axis=1, keepdims=True) + 1e-6
        parts.append(np.sqrt(hist).ravel())
    return np.concatenate(parts).astype(np.float32)


@functools.lru_cache(maxsize=16)
def _cell_index(shape: tuple[int, int], rows: int, cols: int, bins: int) -> np.ndarray:
    """Each pixel's grid cell times ``bins``, flattened: the same for every image of a shape."""
    height, width = shape
    cell = (np.minimum(np.arange(height) * rows // height, rows - 1)[:, None] * cols
            + np.minimum(np.arange(width) * cols // width, cols - 1)[None, :])
    out = (cell * bins).astype(np.int32).ravel()
    out.flags.writeable = False
    return out


class HandFeature(NamedTuple):
    """A hand-crafted descriptor: the function of one preprocessed image, its default settings."""

    function: Callable[..., np.ndarray]
    defaults: dict[str, Any]


#: The hand-crafted descriptors a signature model can join to its network, by the key of
#: their entry in the model's card.
HAND_FEATURES: dict[str, HandFeature] = {
    "stroke_texture": HandFeature(stroke_texture, {"grids": TEXTURE_GRIDS, "ink_level": TEXTURE_INK_LEVEL,
                                                   "power": TEXTURE_POWER}),
    "stroke_directions": HandFeature(stroke_directions, {"grids": DIRECTION_GRIDS, "bins": DIRECTION_BINS}),
}


def hand_feature(kind: str) -> HandFeature:
    """The :data:`HAND_FEATURES` entry ``kind``, or a clear error."""
    try:
        return HAND_FEATURES[kind]
    except KeyError:
        raise OcrError(f"unknown signature features {kind!r} (use {', '.join(HAND_FEATURES)})") from None


def hand_features(kind: str, images: np.ndarray, **settings: Any) -> np.ndarray:
    """The ``kind`` descriptor (a :data:`HAND_FEATURES` key) of each preprocessed image: (N, D)."""
    function = hand_feature(kind).function
    return np.stack([function(im, **settings) for im in images])


@dataclass(frozen=True)
class FeatureFusion:
    """The network's embeddings joined with a hand-crafted descriptor of the same input.

    The descriptor (:func:`stroke_texture`, or :func:`stroke_directions` in
    models before session 19) is centred on ``centre`` (its mean over the
    training writers, stored in the model's card) and scaled to unit length;
    squared distances between fused vectors are then ``weight`` x the
    network's plus ``1 - weight`` x the descriptor's, so every score
    combination and threshold works on them unchanged. With a few dozen
    training writers the network and the fixed descriptor err on different
    signatures (``bench/RESULTS.md``).
    """

    weight: float
    centre: np.ndarray
    kind: str = "stroke_texture"
    settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "settings", {**hand_feature(self.kind).defaults, **self.settings})

    @classmethod
    def fit(cls, images: np.ndarray, weight: float, kind: str = "stroke_texture") -> "FeatureFusion":
        """The fusion with its centre taken from preprocessed training images."""
        return cls(float(weight), hand_features(kind, images).mean(0).astype(np.float32), kind)

    @classmethod
    def from_metadata(cls, meta: dict[str, Any] | None, where: str = "model") -> "FeatureFusion | None":
        """The fusion a signature model's card describes (its ``stroke_texture`` or
        ``stroke_directions`` entry), or None."""
        kinds = [k for k in HAND_FEATURES if k in (meta or {})]
        if not kinds:
            return None
        kind = kinds[0]
        spec = meta[kind]
        try:
            settings = {"grids": tuple((int(r), int(c)) for r, c in spec["grids"])}
            for name, default in HAND_FEATURES[kind].defaults.items():
                if name != "grids":
                    settings[name] = type(default)(spec[name])
            weight = float(spec["weight"])
            centre = np.asarray(spec["centre"], dtype=np.float32)
            # The descriptor's length, from a blank image: it depends on the settings only.
            length = hand_features(kind, np.zeros((1, 16, 16), np.float32), **settings).shape[1]
            if not 0.0 <= weight <= 1.0 or centre.shape != (length,):
                raise ValueError("weight outside 0..1 or centre of the wrong length")
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"{where}: malformed model metadata ({kind}: {exc})") from None
        return cls(weight, centre, kind, settings)

    def to_metadata(self) -> dict[str, Any]:
        """The card entry, stored under the key :attr:`kind`."""
        settings = {k: [list(g) for g in v] if k == "grids" else v for k, v in self.settings.items()}
        return {"weight": self.weight, **settings,
                "centre": [round(float(v), 5) for v in self.centre],
                "features": f"ocr.signature.{self.kind} of the preprocessed input; centre = "
                            "their mean over the training writers"}

    def features(self, images: np.ndarray) -> np.ndarray:
        return hand_features(self.kind, images, **self.settings)

    def apply(self, embeddings: np.ndarray, images: np.ndarray) -> np.ndarray:
        """Fused unit vectors of preprocessed ``images`` whose network embeddings are ``embeddings``."""
        return self.join(embeddings, self.features(images))

    def join(self, embeddings: np.ndarray, features: np.ndarray) -> np.ndarray:
        """Fused unit vectors from network embeddings and :meth:`features` already computed."""
        net = np.asarray(embeddings, np.float64)
        net = net / np.maximum(np.linalg.norm(net, axis=1, keepdims=True), 1e-12)
        feats = np.asarray(features, np.float64) - self.centre
        feats /= np.maximum(np.linalg.norm(feats, axis=1, keepdims=True), 1e-12)
        return np.concatenate([np.sqrt(self.weight) * net, np.sqrt(1.0 - self.weight) * feats], axis=1)


def preprocess(image: str | os.PathLike | np.ndarray, shape: tuple[int, int] = INPUT_SHAPE,
               ink_normalized: bool = True) -> np.ndarray:
    """Turn a scanned signature (path or array) into a float32 (H, W) input, ink high in 0..1.

    ``ink_normalized=False`` keeps the scan's grey levels, the input of models
    trained before :func:`normalize_ink` existed.
    """
    source = image if isinstance(image, (str, os.PathLike)) else None
    try:
        # The document reader's loader: same formats, size guards and error messages.
        grey = to_gray(load(image)[0].image)
        cleaned, mask = remove_background(grey)
    except ImageError as exc:
        if source is not None and not str(exc).startswith(str(source)):
            raise ImageError(f"{source}: {exc}") from None
        raise
    canvas = centre_on_canvas(crop_to_ink(cleaned, mask), tuple(shape))
    ink_high = (255 - canvas).astype(np.float32) / 255.0
    return normalize_ink(ink_high) if ink_normalized else ink_high


def preprocess_many(images: Sequence[Any], shape: tuple[int, int] = INPUT_SHAPE,
                    ink_normalized: bool = True) -> np.ndarray:
    """Preprocess several signatures into one (N, H, W) float32 array.

    Images are read and cleaned on a few threads (decoding and OpenCV release
    the GIL): half of a 5-reference verification's time was this step.
    """
    out = np.empty((len(images), *shape), dtype=np.float32)

    def one(i: int) -> None:
        out[i] = preprocess(images[i], shape, ink_normalized)

    if len(images) <= 1 or (os.cpu_count() or 1) <= 1:
        for i in range(len(images)):
            one(i)
        return out
    for _ in _preprocess_pool().map(one, range(len(images))):  # re-raises the first image's error
        pass
    return out


@functools.lru_cache(maxsize=1)
def _preprocess_pool() -> ThreadPoolExecutor:
    """One pool for the process: starting threads anew cost a verification about a millisecond each."""
    return ThreadPoolExecutor(min(os.cpu_count() or 1, PREPROCESS_THREADS), thread_name_prefix="ocr-signature")


def parse_input_size(text: str) -> tuple[int, int]:
    """``"150x240"`` -> ``(150, 240)``: a network input size, checked against what the network takes."""
    try:
        height, width = (int(v) for v in str(text).lower().split("x"))
    except ValueError:
        raise OcrError(f"expected HxW such as 150x240, not {text!r}") from None
    if min(height, width) < MIN_INPUT_SIDE:
        raise OcrError(f"{text!r} is too small: both sides must be at least {MIN_INPUT_SIDE}")
    return height, width


def input_format(spec: dict[str, Any]) -> tuple[tuple[int, int], bool]:
    """(shape, ink_normalized) a signature model expects, from its card's ``input``.

    Models saved before ink normalization carry no ``ink_normalized`` key and
    were trained on raw grey levels.
    """
    shape = spec.get("shape") or INPUT_SHAPE
    if not (isinstance(shape, (list, tuple)) and len(shape) == 2 and all(isinstance(v, int) for v in shape)):
        raise OcrError(f"a signature model's input shape must be [height, width], not {shape!r}")
    return (int(shape[0]), int(shape[1])), bool(spec.get("ink_normalized", False))


#: Ways to turn a questioned signature's embedding and the references' into one score.
#: ``max``/``mean`` of the per-reference similarities, ``centroid``: the similarity
#: to the references' mean direction, which averages out one odd reference, or
#: ``scaled``: the centroid's distance measured in units of the references' own spread
#: (:func:`reference_spread`), so one threshold fits steady and variable hands.
COMBINE_METHODS = ("max", "mean", "centroid", "scaled")

#: How strongly ``scaled`` divides by the references' spread: distance x (typical / spread)
#: ** exponent. 0.5 was chosen on the training writers of each of 5 writer folds (stroke
#: directions alone, ``bench/signatures.py --rescore DIR --spread-exponents``: all 5 folds
#: chose it over 0, 0.25, 0.75 and 1; bench/RESULTS.md, session 15).
SPREAD_EXPONENT = 0.5
#: The typical spread of a writer's references (median over the training writers, fused
#: vectors of the bundled recipe: 0.55-0.57 for 2 to 5 references). Only a unit: it keeps
#: ``scaled`` scores where ``centroid`` scores of a typical writer are.
TYPICAL_SPREAD = 0.57
#: A spread below this fraction of the typical one is taken as this: references that are
#: near-copies of each other would otherwise make every other signature look far away.
MIN_SPREAD_FRACTION = 0.1

#: Mean absolute difference of two network inputs (0..1) below which they are the same
#: scan. Re-saving a scan as grey JPEG q95 moves its input by 0.00004 (median; 99th
#: percentile 0.004); the closest two signatures of one writer in sign_data differ by
#: 0.0089 (bench/RESULTS.md, "Identical questioned signatures").
IDENTICAL_INPUT_DIFF = 0.003


def similarity(distance) -> np.ndarray:
    """Map embedding distances (0..2 for unit vectors) to similarity scores in 0..1."""
    return np.clip(1.0 - np.asarray(distance, dtype=np.float64) / 2.0, 0.0, 1.0)


def pairwise_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Similarity (1 - distance / 2) between every row of ``a`` and every row of ``b``: (len a, len b)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    # Row by row rather than a @ b.T: a BLAS product of fused vectors this long wakes
    # threads whose spinning cost a 2-core verification 20-30 ms (see _length).
    distance = np.stack([np.sqrt(np.add.reduce((b - row) ** 2, axis=1)) for row in a]) if len(a) else \
        np.zeros((0, len(b)))
    return similarity(distance)


def _length(vector: np.ndarray) -> float:
    """A vector's length (at least 1e-12), without BLAS: ``np.linalg.norm`` of a long
    1-D vector is a threaded dot product whose spinning threads slowed a 2-core
    verification by a third (15k-dimensional fused vectors)."""
    return max(float(np.sqrt(np.add.reduce(vector * vector))), 1e-12)


def reference_spread(references: np.ndarray) -> float | None:
    """How far a writer's references lie from their unit mean direction (None for one).

    The mean distance to the centroid, times sqrt(n / (n - 1)) because each
    reference pulled the centroid towards itself: without it two references
    would look steadier than five of the same hand.
    """
    refs = np.asarray(references, np.float64)
    if len(refs) < 2:
        return None
    centre = refs.mean(0)
    centre /= _length(centre)
    return float(np.linalg.norm(refs - centre, axis=1).mean() * np.sqrt(len(refs) / (len(refs) - 1)))


def combined_scores(references: np.ndarray, questioned: np.ndarray, method: str,
                    exponent: float = SPREAD_EXPONENT) -> np.ndarray:
    """One score per questioned embedding (rows) against the reference embeddings (rows).

    ``scaled`` is writer-dependent normalisation without training: a writer whose
    genuine signatures vary a lot is given room to vary, and a steady writer's
    forger none. On the 59 sign_data writers (5 writer folds, 5 references) it lowered
    the skilled-forgery EER of the bundled recipe from 15.3% to 13.3%, and of the stroke
    directions alone from 19.3% to 15.8% (bench/RESULTS.md, session 15).
    With one reference it is ``centroid``; ``exponent`` is for choosing :data:`SPREAD_EXPONENT`.
    """
    if method in ("centroid", "scaled"):
        centre = np.asarray(references, np.float64).mean(0)
        centre /= _length(centre)
        q = np.asarray(questioned, np.float64)
        distance = np.linalg.norm(q - centre, axis=1)
        spread = reference_spread(references) if method == "scaled" else None
        if spread is not None:
            spread = max(spread, MIN_SPREAD_FRACTION * TYPICAL_SPREAD)
            distance = distance * (TYPICAL_SPREAD / spread) ** exponent
        return similarity(distance)
    per_reference = pairwise_similarity(references, questioned)
    if method == "max":
        return per_reference.max(0)
    if method == "mean":
        return per_reference.mean(0)
    raise OcrError(f"unknown score combination {method!r} (use {', '.join(COMBINE_METHODS)})")


def near_identical(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two preprocessed signatures are the same scan (a copy, not a second signature).

    No one signs twice to the pixel: a questioned image this close to a
    reference is a copy of it, which a similarity score would call genuine.
    """
    return a.shape == b.shape and float(np.abs(a - b).mean()) < IDENTICAL_INPUT_DIFF
