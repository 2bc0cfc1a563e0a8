"""Signature verification: a questioned signature against a writer's genuine references.

The library side of ``ocr verify-signature``: images are preprocessed as the
model's card says (:mod:`ocr.signature`), embedded once each by the embedding
branch of the Siamese network loaded through :func:`ocr.models.load`, and the
similarities combined (``max``, ``mean`` or ``centroid``) and compared with the
threshold calibrated for that many references. Models whose card holds a
``stroke_directions`` entry join each embedding with the image's stroke-direction
histograms first (:class:`ocr.signature.DirectionFusion`). A questioned image that is the
same scan as a reference is a copy, not a signature: it is flagged and never
accepted.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np

from ocr.errors import ImageError
from ocr.models import load, read_card
from ocr.models.kinds import embedding_network
from ocr import signature

#: The bundled verifier, used when no model is named.
DEFAULT_MODEL = "signet"
#: The decision for a questioned image that is a copy of a reference.
IDENTICAL = "identical"


def embed(loaded, images: np.ndarray) -> np.ndarray:
    """Embeddings of preprocessed signatures, on ONNX Runtime when the model has an
    up-to-date export of its embedding branch, else with Keras.

    Embedding each image once (n + 1 images) costs half of running the
    Siamese model on n pairs (2n images).
    """
    if loaded.net is None:
        return np.asarray(loaded.predict(images), dtype=np.float64)
    branch = embedding_network(loaded.net)
    return np.asarray(branch.predict_on_batch(images), dtype=np.float64)


def verify_signature(references: Sequence[Any], questioned: Any, *,
                     threshold: float | None = None, model: str | os.PathLike | None = None,
                     combine: str | None = None) -> dict[str, Any]:
    """Check ``questioned`` against genuine ``references`` (paths or image arrays).

    Returns ``{"decision", "score", "threshold", "threshold_references", "combine",
    "references": [{"reference", "score", "identical"}], "identical_to", "model"}``.
    Scores are similarities in 0..1 (1 - embedding distance / 2); the decision is
    ``genuine`` when the combined score reaches the threshold, ``forged`` below it,
    and ``identical`` when the questioned image is the same scan as a reference:
    then the score uses the other references only (None if there are none).
    ``threshold_references`` is the reference count the threshold was calibrated
    for (None when ``threshold`` is given).
    """
    if references is None or len(references) == 0:
        raise ImageError("no reference signature given (at least one is needed)")
    model = model or DEFAULT_MODEL
    # Check the card and the images before importing Keras: bad input fails fast and quietly.
    card = read_card(model)
    shape, ink_normalized = signature.input_format(card.input)
    fusion = signature.DirectionFusion.from_metadata(card.metadata, str(model))
    images = signature.preprocess_many([*references, questioned], shape, ink_normalized)
    refs, query = images[:-1], images[-1]
    identical = np.array([signature.near_identical(ref, query) for ref in refs])
    loaded = load(model, kind="signature")
    embedded = embed(loaded, np.concatenate([refs, query[None]]))
    if fusion is not None:  # the card's thresholds were calibrated on the fused vectors
        embedded = fusion.apply(embedded, images)
    ref_emb, query_emb = embedded[:-1], embedded[-1:]
    per_reference = signature.pairwise_similarity(ref_emb, query_emb)[:, 0]
    method = combine or card.combine or "mean"
    distinct = ~identical
    score = float(signature.combined_scores(ref_emb[distinct], query_emb, method)[0]) if distinct.any() else None
    counted = int(distinct.sum()) or len(refs)
    if threshold is not None:
        used, calibrated_for = float(threshold), None
    else:
        used, calibrated_for = card.threshold_for(counted), card.threshold_count_for(counted)
    names = [str(r) if isinstance(r, (str, os.PathLike)) else f"#{i + 1}"
             for i, r in enumerate(references)]
    if identical.any():
        decision = IDENTICAL
    else:
        decision = "genuine" if score >= used else "forged"
    return {
        "decision": decision,
        "score": None if score is None else round(score, 6),
        "threshold": round(used, 6),
        "threshold_references": calibrated_for,
        "combine": method,
        "references": [{"reference": n, "score": round(float(s), 6), "identical": bool(same)}
                       for n, s, same in zip(names, per_reference, identical)],
        "identical_to": [n for n, same in zip(names, identical) if same],
        "model": str(loaded.path),
    }


def format_verification(result: dict[str, Any]) -> str:
    """The verdict as ``ocr verify-signature`` prints it: one line, then one per reference."""
    n = len(result["references"])
    calibrated = result["threshold_references"]
    source = "given" if calibrated is None else f"calibrated for {calibrated}"
    score = "none" if result["score"] is None else f"{result['score']:.4f}"
    lines = [f"{result['decision']}: score {score}, threshold {result['threshold']:.4f} "
             f"({source}; {result['combine']} of {n} reference{'s' if n != 1 else ''})"]
    if result["identical_to"]:
        lines.append(f"  the questioned image is the same scan as {', '.join(result['identical_to'])}: "
                     "a copy, not a new signature (scored on the other references only)")
    for ref in result["references"]:
        lines.append(f"  {ref['score']:.4f}  {ref['reference']}{'  (same scan)' if ref['identical'] else ''}")
    return "\n".join(lines)
