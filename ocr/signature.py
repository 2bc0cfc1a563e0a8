"""Signature preprocessing: scans in, fixed-size network inputs out.

Pure numpy/OpenCV, following the SigNet/Hafemann line of work: smooth, remove
the background with Otsu's threshold, crop to the ink, centre it on a canvas of
the network's aspect ratio, resize, invert (ink high) and scale to 0..1. Last,
:func:`normalize_ink` divides by the ink's own strength, so the pen's darkness
(a property of the pen and the scanner, not of the hand) does not reach the
network; models record in their metadata whether they expect that step.

:func:`verify_signature` (the library side of ``ocr verify-signature``) imports
Keras only when it is called.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Sequence

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
    keep = np.zeros(count, dtype=bool)
    keep[1:] = areas >= max(4, 0.01 * areas.max())
    return keep[labels]


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
    """Preprocess several signatures into one (N, H, W) float32 array."""
    out = np.empty((len(images), *shape), dtype=np.float32)
    for i, image in enumerate(images):
        out[i] = preprocess(image, shape, ink_normalized)
    return out


def parse_input_size(text: str) -> tuple[int, int]:
    """``"150x240"`` -> ``(150, 240)``: a network input size, checked against what the network takes."""
    try:
        height, width = (int(v) for v in str(text).lower().split("x"))
    except ValueError:
        raise OcrError(f"expected HxW such as 150x240, not {text!r}") from None
    if min(height, width) < MIN_INPUT_SIDE:
        raise OcrError(f"{text!r} is too small: both sides must be at least {MIN_INPUT_SIDE}")
    return height, width


def input_format(metadata: dict[str, Any]) -> tuple[tuple[int, int], bool]:
    """(shape, ink_normalized) a signature model expects, from its metadata.

    Models saved before ink normalization carry no ``ink_normalized`` key and
    were trained on raw grey levels.
    """
    spec = metadata.get("input", {})
    return tuple(spec.get("shape") or INPUT_SHAPE), bool(spec.get("ink_normalized", False))


# ---------------------------------------------------------------- verification
BUNDLED_MODEL = Path(__file__).resolve().parent / "models" / "weights" / "signet.keras"


def _resolve_model(model: str | os.PathLike | None) -> Path:
    """The bundled model for ``None``/``"signet"``, else the given ``.keras`` path."""
    if model is None or str(model) == "signet":
        if not BUNDLED_MODEL.is_file():
            raise ModelError(f"bundled signature model is missing ({BUNDLED_MODEL}); train it "
                             f"with: ocr train signature --data DIR --out {BUNDLED_MODEL}")
        return BUNDLED_MODEL
    path = Path(model)
    if not path.is_file():
        raise ModelError(f"{path}: model file not found")
    return path

def combine_scores(scores: Sequence[float], method: str) -> float:
    """Combine per-reference similarities: ``mean`` or ``max``."""
    scores = np.asarray(scores, dtype=np.float64)
    if method == "mean":
        return float(scores.mean())
    if method == "max":
        return float(scores.max())
    raise ModelError(f"unknown score combination {method!r} (use mean or max)")


def threshold_for(metadata: dict[str, Any], n_references: int) -> float:
    """The calibrated threshold for ``n_references`` (nearest calibrated count not above it)."""
    table = {int(k): float(v) for k, v in metadata.get("thresholds", {}).items()}
    if table:
        usable = [k for k in table if k <= n_references] or [min(table)]
        return table[max(usable)]
    if "threshold" in metadata:
        return float(metadata["threshold"])
    raise ModelError("model metadata holds no calibrated threshold; pass --threshold")


def verify_signature(references: Sequence[Any], questioned: Any, *,
                     threshold: float | None = None, model: str | os.PathLike | None = None,
                     combine: str | None = None) -> dict[str, Any]:
    """Check ``questioned`` against genuine ``references`` (paths or image arrays).

    Returns ``{"decision", "score", "threshold", "references": [{"reference", "score"}],
    "combine", "model"}``. The score is a similarity in 0..1 (1 - embedding distance / 2);
    the decision is ``genuine`` when the combined score reaches the threshold.
    """
    if references is None or len(references) == 0:
        raise ImageError("no reference signature given (use --reference at least once)")
    from ocr.models.store import read_metadata

    # Check the images before importing Keras: bad input fails fast and quietly.
    path = _resolve_model(model)
    metadata = read_metadata(path)
    shape, ink_normalized = input_format(metadata)
    refs = preprocess_many(list(references), shape, ink_normalized)
    query = preprocess(questioned, shape, ink_normalized)
    from ocr.models import siamese

    net, metadata = siamese.load_signature_model(path)
    distances = np.asarray(net.predict_on_batch([refs, np.repeat(query[None], len(refs), 0)]))
    scores = [float(s) for s in siamese.similarity(distances.reshape(-1))]
    method = combine or metadata.get("combine", "mean")
    score = combine_scores(scores, method)
    used = float(threshold) if threshold is not None else threshold_for(metadata, len(refs))
    names = [str(r) if isinstance(r, (str, os.PathLike)) else f"#{i + 1}"
             for i, r in enumerate(references)]
    return {
        "decision": "genuine" if score >= used else "forged",
        "score": round(score, 6),
        "threshold": round(used, 6),
        "combine": method,
        "references": [{"reference": n, "score": round(s, 6)} for n, s in zip(names, scores)],
        "model": str(path),
    }
