"""Signature verification: a questioned signature against a writer's genuine references.

The library side of ``ocr verify-signature``: images are preprocessed as the
model's card says (:mod:`ocr.signature`), embedded once each by the embedding
branch of the Siamese network loaded through :func:`ocr.models.load`, and the
similarities combined (``max``, ``mean``, ``centroid`` or ``scaled``) and compared with
the threshold calibrated for that many references. Models whose card holds a
``stroke_texture`` (or older ``stroke_directions``) entry join each embedding with
that hand-crafted descriptor of the image first
(:class:`ocr.signature.FeatureFusion`). A questioned image that is the same scan as
a reference is a copy, not a signature: it is flagged and never accepted.
:func:`enroll_signatures` reads and embeds a writer's references once
(:func:`save_enrollment` / :func:`load_enrollment` keep them in a file), so each
later check reads and embeds the questioned image only.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ocr import signature
from ocr.errors import ImageError, ModelError, OutputExistsError
from ocr.fileio import InputFiles, check_target, is_special, write_bytes_atomic
from ocr.models import REGISTRY, load, read_card, resolve
from ocr.models.kinds import embedding_network
from ocr.models.runtime import model_sha256

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


@dataclass(frozen=True)
class Enrollment:
    """A writer's genuine references, read, preprocessed and embedded once.

    A bank or an archive checks many questioned signatures against the same
    few references; reading and embedding those again for every check was
    five sixths of a 5-reference verification. ``vectors`` are what the
    verifier scores (fused with the card's hand-crafted descriptor when it says
    so), ``inputs`` the preprocessed references (float16), kept for the copy
    check. ``model_sha256`` ties the enrollment to the weights that made it.
    """

    model: str
    model_sha256: str
    names: tuple[str, ...]
    vectors: np.ndarray
    inputs: np.ndarray

    def __len__(self) -> int:
        return len(self.names)


#: Format of an enrollment file (``.npz``, no pickles), and the caps checked before reading it.
ENROLLMENT_FORMAT = "ocr-signature-enrollment/1"
MAX_ENROLLED = 64
MAX_ENROLLMENT_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class _Verifier:
    """What verification needs of a model, read once per call."""

    model: str
    card: Any
    shape: tuple[int, int]
    ink_normalized: bool
    fusion: signature.FeatureFusion | None

    @classmethod
    def of(cls, model: str | os.PathLike | None) -> "_Verifier":
        model = str(model or DEFAULT_MODEL)
        # The card and the images are checked before Keras is imported: bad input fails fast and quietly.
        card = read_card(model)
        shape, ink_normalized = signature.input_format(card.input)
        return cls(model, card, shape, ink_normalized,
                   signature.FeatureFusion.from_metadata(card.metadata, model))

    def preprocess(self, images: Sequence[Any]) -> np.ndarray:
        return signature.preprocess_many(images, self.shape, self.ink_normalized)

    def vectors(self, images: np.ndarray) -> tuple[np.ndarray, Any]:
        """What is scored for preprocessed ``images``, and the loaded model."""
        loaded = load(self.model, kind="signature")
        embedded = embed(loaded, images)
        if self.fusion is not None:  # the card's thresholds were calibrated on the fused vectors
            embedded = self.fusion.apply(embedded, images)
        return embedded, loaded


def _check_references(references: Sequence[Any] | None) -> None:
    if references is None or len(references) == 0:
        raise ImageError("no reference signature given (at least one is needed)")


def _names(references: Sequence[Any]) -> list[str]:
    return [str(r) if isinstance(r, (str, os.PathLike)) else f"#{i + 1}" for i, r in enumerate(references)]


def enroll_signatures(references: Sequence[Any], *, model: str | os.PathLike | None = None) -> Enrollment:
    """Read and embed a writer's genuine ``references`` (paths or arrays) once, for many checks."""
    _check_references(references)
    if len(references) > MAX_ENROLLED:
        raise ImageError(f"{len(references)} references given; at most {MAX_ENROLLED} can be enrolled")
    verifier = _Verifier.of(model)
    images = verifier.preprocess(references)
    vectors, loaded = verifier.vectors(images)
    named = verifier.model if verifier.model in REGISTRY else str(Path(loaded.path).resolve())
    return Enrollment(named, model_sha256(loaded.path), tuple(_names(references)),
                      vectors.astype(np.float32), images.astype(np.float16))


def check_enrollment_target(path: str | os.PathLike, *, force: bool = False,
                            inputs: Sequence[Any] = ()) -> None:
    """Refuse, before any work, a target that is one of the ``inputs``, cannot be
    written, or is an existing file (unless ``force``)."""
    check_target(path, InputFiles(i for i in inputs if isinstance(i, (str, os.PathLike))),
                 what="enrollment")
    if os.path.exists(path) and not is_special(path) and not force:
        raise OutputExistsError(f"{path} already exists")


def save_enrollment(enrollment: Enrollment, path: str | os.PathLike, *, force: bool = False) -> None:
    """Write ``enrollment`` to ``path`` (``.npz``) atomically; an existing file only with ``force``."""
    check_enrollment_target(path, force=force)
    meta = {"format": ENROLLMENT_FORMAT, "model": enrollment.model,
            "model_sha256": enrollment.model_sha256, "names": list(enrollment.names)}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, meta=np.array(json.dumps(meta)), vectors=enrollment.vectors,
                        inputs=enrollment.inputs)
    write_bytes_atomic(path, buffer.getvalue())


def load_enrollment(path: str | os.PathLike) -> Enrollment:
    """Read an enrollment written by :func:`save_enrollment`; anything else is a one-line ImageError.

    The sizes the archive declares are checked before anything is
    decompressed, so a hostile file cannot claim gigabytes of memory.
    """
    def bad(why: str) -> ImageError:
        return ImageError(f"{path}: not a signature enrollment ({why}); "
                          "make one with ocr enroll-signature")

    try:
        with zipfile.ZipFile(path) as archive:
            members = {info.filename: info.file_size for info in archive.infolist()}
            if set(members) != {"meta.npy", "vectors.npy", "inputs.npy"}:
                raise bad("unexpected contents")
            if sum(members.values()) > MAX_ENROLLMENT_BYTES:
                raise bad(f"over {MAX_ENROLLMENT_BYTES // 2 ** 20} MiB unpacked")
        with np.load(path, allow_pickle=False) as data:
            meta, vectors, inputs = json.loads(str(data["meta"])), data["vectors"], data["inputs"]
    except FileNotFoundError:
        raise ImageError(f"{path}: no such file") from None
    except ImageError:
        raise
    except (zipfile.BadZipFile, ValueError, KeyError, EOFError) as exc:
        raise bad(type(exc).__name__) from None
    if not isinstance(meta, dict) or meta.get("format") != ENROLLMENT_FORMAT:
        raise bad("unknown format")
    names = meta.get("names")
    if (not isinstance(names, list) or not names or len(names) > MAX_ENROLLED
            or not all(isinstance(n, str) for n in names)
            or not isinstance(meta.get("model"), str) or not isinstance(meta.get("model_sha256"), str)):
        raise bad("malformed description")
    if (vectors.ndim != 2 or inputs.ndim != 3 or len(vectors) != len(names) or len(inputs) != len(names)
            or not np.issubdtype(vectors.dtype, np.floating) or not np.issubdtype(inputs.dtype, np.floating)
            or not np.isfinite(vectors).all()):
        raise bad("arrays do not match its description")
    return Enrollment(meta["model"], meta["model_sha256"], tuple(names), vectors, inputs)


def verify_signature(references: Sequence[Any] | Enrollment, questioned: Any, *,
                     threshold: float | None = None, model: str | os.PathLike | None = None,
                     combine: str | None = None) -> dict[str, Any]:
    """Check ``questioned`` against genuine ``references`` (paths, image arrays, or an
    :class:`Enrollment` of them).

    Returns ``{"decision", "score", "threshold", "threshold_references", "combine",
    "references": [{"reference", "score", "identical"}], "identical_to", "model"}``.
    Scores are similarities in 0..1 (1 - embedding distance / 2); the decision is
    ``genuine`` when the combined score reaches the threshold, ``forged`` below it,
    and ``identical`` when the questioned image is the same scan as a reference:
    then the score uses the other references only (None if there are none).
    ``threshold_references`` is the reference count the threshold was calibrated
    for (None when ``threshold`` is given). An enrollment is scored with the model
    that made it (``model`` may name it again, but not another).
    """
    if isinstance(references, Enrollment):
        verifier = _Verifier.of(model or references.model)
        if model_sha256(resolve(verifier.model)) != references.model_sha256:
            raise ModelError(f"{resolve(verifier.model)}: not the model these references were enrolled "
                             f"with ({references.model}); enroll them again with this model")
        if references.inputs.shape[1:] != verifier.shape:
            raise ModelError(f"the enrolled references are {references.inputs.shape[1:]} inputs, "
                             f"the model takes {verifier.shape}; enroll them again")
        query = verifier.preprocess([questioned])
        query_emb, loaded = verifier.vectors(query)
        if references.vectors.shape[1] != query_emb.shape[1]:
            raise ModelError(f"the enrolled embeddings have {references.vectors.shape[1]} values, "
                             f"the model gives {query_emb.shape[1]}; enroll the references again")
        ref_inputs, ref_emb, names = references.inputs.astype(np.float32), references.vectors, list(references.names)
        query = query[0]
    else:
        _check_references(references)
        verifier = _Verifier.of(model)
        images = verifier.preprocess([*references, questioned])
        embedded, loaded = verifier.vectors(images)
        ref_inputs, query = images[:-1], images[-1]
        ref_emb, query_emb, names = embedded[:-1], embedded[-1:], _names(references)
    identical = np.array([signature.near_identical(ref, query) for ref in ref_inputs])
    per_reference = signature.pairwise_similarity(ref_emb, query_emb)[:, 0]
    card = verifier.card
    method = combine or card.combine or "mean"
    distinct = ~identical
    score = float(signature.combined_scores(ref_emb[distinct], query_emb, method)[0]) if distinct.any() else None
    counted = int(distinct.sum()) or len(ref_emb)
    if threshold is not None:
        used, calibrated_for = float(threshold), None
    else:
        used, calibrated_for = card.threshold_for(counted), card.threshold_count_for(counted)
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
