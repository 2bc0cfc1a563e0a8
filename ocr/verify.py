"""Signature verification: a questioned signature against a writer's genuine references.

The library side of ``ocr verify-signature``: images are preprocessed as the
model's card says (:mod:`ocr.signature`), embedded by the Siamese network
loaded through :func:`ocr.models.load`, and the per-reference similarities
combined and compared with the threshold calibrated for that many references.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np

from ocr.errors import ImageError
from ocr.models import load, read_card
from ocr import signature

#: The bundled verifier, used when no model is named.
DEFAULT_MODEL = "signet"


def verify_signature(references: Sequence[Any], questioned: Any, *,
                     threshold: float | None = None, model: str | os.PathLike | None = None,
                     combine: str | None = None) -> dict[str, Any]:
    """Check ``questioned`` against genuine ``references`` (paths or image arrays).

    Returns ``{"decision", "score", "threshold", "references": [{"reference", "score"}],
    "combine", "model"}``. The score is a similarity in 0..1 (1 - embedding distance / 2);
    the decision is ``genuine`` when the combined score reaches the threshold.
    """
    if references is None or len(references) == 0:
        raise ImageError("no reference signature given (at least one is needed)")
    model = model or DEFAULT_MODEL
    # Check the card and the images before importing Keras: bad input fails fast and quietly.
    card = read_card(model)
    shape, ink_normalized = signature.input_format(card.input)
    refs = signature.preprocess_many(list(references), shape, ink_normalized)
    query = signature.preprocess(questioned, shape, ink_normalized)
    loaded = load(model, kind="signature", runtime="keras")
    distances = np.asarray(loaded.net.predict_on_batch([refs, np.repeat(query[None], len(refs), 0)]))
    scores = [float(s) for s in signature.similarity(distances.reshape(-1))]
    method = combine or card.combine or "mean"
    score = signature.combine_scores(scores, method)
    used = float(threshold) if threshold is not None else card.threshold_for(len(refs))
    names = [str(r) if isinstance(r, (str, os.PathLike)) else f"#{i + 1}"
             for i, r in enumerate(references)]
    return {
        "decision": "genuine" if score >= used else "forged",
        "score": round(score, 6),
        "threshold": round(used, 6),
        "combine": method,
        "references": [{"reference": n, "score": round(s, 6)} for n, s in zip(names, scores)],
        "model": str(loaded.path),
    }
