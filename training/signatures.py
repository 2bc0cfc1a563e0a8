"""Training and calibration of the Siamese signature verifier (``ocr train signature``).

Data: ``DIR/<writer>/genuine/*`` and ``DIR/<writer>/forged/*``, or the SigComp
2011 "sign_data" layout (``<split>/<WWW>/`` genuine, ``<split>/<WWW>_forg/``
skilled forgeries), recognized by :func:`find_writers`.

Writers, never images, are split: training writers teach the embedding,
validation writers calibrate the threshold at the equal-error point, and the
benchmark (``bench/signatures.py``) scores writers that took part in neither.
Each batch holds a few genuine signatures and skilled forgeries of several
writers; every genuine-genuine pair of a writer is a positive and every
genuine-forgery or cross-writer genuine pair a negative (see
:class:`ocr.models.siamese.PairwiseContrastiveLoss`). Augmentation (rotation,
scale, translation, stroke width) runs in numpy with OpenCV.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import cv2
import numpy as np

from ocr import signature
from ocr.errors import DataError, DatasetNotFoundError, OcrError
from ocr.io import RASTER_SUFFIXES
from ocr.models.store import check_writable, save_model
from ocr.paths import env_data_dir
from training.config import SignatureTrainConfig
from training.datasets.registry import DATASETS, SIGN_DATA

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = RASTER_SUFFIXES
SIGN_DATA_SUBDIR = Path(DATASETS[SIGN_DATA].folder)
#: Reference counts calibrated; more references use the threshold of 5 (ModelCard.threshold_for).
REFERENCE_COUNTS = (1, 2, 3, 4, 5)
#: Reference counts whose mean validation EER chooses the epoch kept.
SELECTION_COUNTS = (1, 5)


# ----------------------------------------------------------------------- data
@dataclass
class Writer:
    """One person's genuine signatures and the skilled forgeries of them."""

    id: str
    genuine: list[Path]
    forged: list[Path] = field(default_factory=list)


def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def default_data_dir() -> Path | None:
    """``$OCR_DATA_DIR/signatures/sign_data_sigcomp2011`` when the variable is set."""
    root = env_data_dir()
    return root / SIGN_DATA_SUBDIR if root else None


def find_writers(data_dir: str | os.PathLike) -> dict[str, Writer]:
    """Find writers in the generic layout or the sign_data (SigComp 2011) layout."""
    root = Path(data_dir)
    if not root.is_dir():
        raise DatasetNotFoundError(f"{root}: signature data folder not found")
    writers: dict[str, Writer] = {}
    # Generic layout: <writer>/genuine and <writer>/forged.
    for sub in sorted(p for p in root.iterdir() if (p / "genuine").is_dir()):
        forged = _images(sub / "forged") if (sub / "forged").is_dir() else []
        writers[sub.name] = Writer(sub.name, _images(sub / "genuine"), forged)
    if not writers:
        writers = _find_sign_data(root)
    writers = {k: w for k, w in writers.items() if len(w.genuine) >= 2}
    if len(writers) < 2:
        raise DataError(f"{root}: need at least 2 writers with 2+ genuine signatures each, found "
                        f"{len(writers)} (expected <writer>/genuine/* and <writer>/forged/*, "
                        "or the sign_data <split>/<WWW>/ and <WWW>_forg/ layout)")
    return writers


def _find_sign_data(root: Path, max_depth: int = 4) -> dict[str, Writer]:
    """sign_data: any folder holding ``WWW/`` beside ``WWW_forg/`` is a split."""
    writers: dict[str, Writer] = {}
    for current, dirs, _ in os.walk(root):
        depth = len(Path(current).relative_to(root).parts)
        if depth >= max_depth:
            dirs[:] = []
        names = set(dirs)
        for name in sorted(names):
            if name.endswith("_forg") or f"{name}_forg" not in names:
                continue
            folder = Path(current)
            wid = name if name not in writers else f"{folder.name}/{name}"  # ids repeat across splits
            writers[wid] = Writer(wid, _images(folder / name), _images(folder / f"{name}_forg"))
    return writers


@dataclass
class SignatureSet:
    """Preprocessed images with their writer index and genuine flag."""

    images: np.ndarray  # (N, H, W) float32, ink high in 0..1
    writer: np.ndarray  # (N,) int index into writer_ids
    genuine: np.ndarray  # (N,) bool
    writer_ids: list[str]
    paths: list[Path] = field(default_factory=list)  # the scans, when read from files

    def indices(self, writer_ids: Sequence[str]) -> list[int]:
        lookup = {w: i for i, w in enumerate(self.writer_ids)}
        return [lookup[w] for w in writer_ids]


def load_signatures(writers: dict[str, Writer], shape: tuple[int, int],
                    ink_normalized: bool = True) -> SignatureSet:
    """Read and preprocess every image of ``writers``."""
    paths, writer, genuine = [], [], []
    ids = sorted(writers)
    for i, wid in enumerate(ids):
        for flag, files in ((True, writers[wid].genuine), (False, writers[wid].forged)):
            paths += files
            writer += [i] * len(files)
            genuine += [flag] * len(files)
    images = signature.preprocess_many(paths, shape, ink_normalized)
    log.info("preprocessed %d signatures of %d writers", len(paths), len(ids))
    return SignatureSet(images, np.array(writer), np.array(genuine, dtype=bool), ids, list(paths))


def split_writers(writer_ids: Sequence[str], n_val: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """Writer-disjoint (train, validation) split."""
    ids = sorted(writer_ids)
    if not 1 <= n_val <= len(ids) - 2:
        raise OcrError(f"validation writers must be between 1 and {len(ids) - 2} for {len(ids)} writers")
    order = np.random.default_rng(seed).permutation(len(ids))
    val = sorted(ids[i] for i in order[:n_val])
    return sorted(set(ids) - set(val)), val


def writer_folds(writer_ids: Sequence[str], k: int, seed: int = 0) -> list[list[str]]:
    """Partition writers into ``k`` disjoint folds for cross-validation."""
    ids = sorted(writer_ids)
    order = np.random.default_rng(seed).permutation(len(ids))
    return [sorted(ids[i] for i in order[f::k]) for f in range(k)]


# --------------------------------------------------------------- augmentation
def augment(image: np.ndarray, rng: np.random.Generator, rotation: float = 6.0,
            scale: float = 0.10, shift: float = 0.05, stroke: float = 0.4) -> np.ndarray:
    """Small random rotation, scale, translation and stroke-width change of an ink-high image."""
    height, width = image.shape
    angle = rng.uniform(-rotation, rotation)
    factor = float(np.exp(rng.uniform(np.log1p(-scale), np.log1p(scale))))
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, factor)
    matrix[:, 2] += (rng.uniform(-shift, shift) * width, rng.uniform(-shift, shift) * height)
    out = cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=0)
    if rng.random() < stroke:
        # Ink is high, so dilation thickens strokes and erosion thins them.
        kernel = np.ones((2, 2), np.uint8)
        thicker = rng.random() < 0.6
        changed = cv2.dilate(out, kernel) if thicker else cv2.erode(out, kernel)
        if changed.max() > 0.2:  # never erase a faint signature entirely
            out = changed
    return out


def batches(data: SignatureSet, writers: Sequence[int], writers_per_batch: int = 8,
            genuine_per_writer: int = 4, forged_per_writer: int = 2, seed: int = 0,
            augment_images: bool = True) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Endless batches of (images, [writer, genuine]) from the given writer indices."""
    rng = np.random.default_rng(seed)
    by_writer = {w: (np.flatnonzero((data.writer == w) & data.genuine),
                     np.flatnonzero((data.writer == w) & ~data.genuine)) for w in writers}
    writers = list(writers)
    per_batch = min(writers_per_batch, len(writers))
    while True:
        picked = []
        for w in rng.choice(writers, per_batch, replace=False):
            gen, forg = by_writer[w]
            picked += list(rng.choice(gen, genuine_per_writer, replace=len(gen) < genuine_per_writer))
            if len(forg):
                picked += list(rng.choice(forg, forged_per_writer, replace=len(forg) < forged_per_writer))
        idx = np.array(picked)
        x = data.images[idx]
        if augment_images:
            x = np.stack([augment(img, rng) for img in x])
        y = np.stack([data.writer[idx], data.genuine[idx]], axis=1).astype("float32")
        yield x.astype("float32"), y


# ------------------------------------------------------------ scores and EER
def embed(embedding, images: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """Embeddings of preprocessed images (numpy, float64)."""
    return np.asarray(embedding.predict(images, batch_size=batch_size, verbose=0), dtype=np.float64)


def _embed_subset(embedding, data: SignatureSet, writers: Sequence[int]) -> np.ndarray:
    """Embeddings of the given writers' images only (other rows zero): cheap per-epoch checks."""
    pick = np.isin(data.writer, list(writers))
    out = np.zeros((len(data.writer), embedding.output_shape[-1]))
    out[pick] = embed(embedding, data.images[pick])
    return out


def trial_scores(emb: np.ndarray, data: SignatureSet, writers: Sequence[int], n_refs: int,
                 combine: str | Callable[[np.ndarray, np.ndarray], np.ndarray] = "mean",
                 trials: int = 10, n_random: int = 10, seed: int = 0,
                 questioned_emb: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Scores of questioned signatures against ``n_refs`` random genuine references.

    For each writer and trial: the remaining genuine signatures (genuine),
    the writer's skilled forgeries (skilled) and ``n_random`` genuine
    signatures of other writers in ``writers`` (random forgeries).
    ``questioned_emb`` (rows as in ``emb``) embeds the questioned signatures
    differently from the references, e.g. re-inked with another pen. ``combine``
    names a :data:`ocr.signature.COMBINE_METHODS` entry or is a function of
    (reference embeddings, questioned embeddings) returning one score per questioned.
    """
    score = combine if callable(combine) else functools.partial(signature.combined_scores, method=combine)
    questioned_emb = emb if questioned_emb is None else questioned_emb
    rng = np.random.default_rng(seed)
    out: dict[str, list[float]] = {"genuine": [], "skilled": [], "random": []}
    writers = list(writers)
    for w in writers:
        gen = np.flatnonzero((data.writer == w) & data.genuine)
        forg = np.flatnonzero((data.writer == w) & ~data.genuine)
        others = np.flatnonzero(np.isin(data.writer, writers) & (data.writer != w) & data.genuine)
        if len(gen) <= n_refs:
            continue
        for _ in range(trials):
            refs = rng.choice(gen, n_refs, replace=False)
            groups = {"genuine": np.setdiff1d(gen, refs), "skilled": forg,
                      "random": rng.choice(others, min(n_random, len(others)), replace=False)}
            for key, idx in groups.items():
                if len(idx):
                    out[key] += list(score(emb[refs], questioned_emb[idx]))
    return {k: np.asarray(v) for k, v in out.items()}


def equal_error_rate(genuine: np.ndarray, forged: np.ndarray) -> tuple[float, float]:
    """(EER, threshold): the threshold where false accepts and false rejects balance.

    Candidate thresholds are midpoints between consecutive distinct scores, so
    the stored threshold sits between the two classes rather than on a sample.
    """
    genuine, forged = np.asarray(genuine, float), np.asarray(forged, float)
    if not len(genuine) or not len(forged):
        raise DataError("need genuine and forged scores to compute an equal error rate")
    values = np.unique(np.concatenate([genuine, forged]))
    candidates = np.concatenate([[values[0] - 1e-6], (values[:-1] + values[1:]) / 2, [values[-1] + 1e-6]])
    g, f = np.sort(genuine), np.sort(forged)
    frr = np.searchsorted(g, candidates, side="left") / len(g)  # genuine below threshold
    far = 1.0 - np.searchsorted(f, candidates, side="left") / len(f)  # forgeries at or above
    best = int(np.argmin(np.abs(far - frr) + 1e-9 * np.abs(candidates - np.median(values))))
    return float((far[best] + frr[best]) / 2), float(candidates[best])


def rates_at(scores: dict[str, np.ndarray], threshold: float) -> dict[str, float]:
    """FRR, FAR (skilled), FAR (random) and accuracy at ``threshold``.

    Accuracy counts every questioned signature: genuine ones must be accepted,
    skilled and random forgeries rejected.
    """
    gen, sk, rnd = scores["genuine"], scores["skilled"], scores["random"]
    correct = (gen >= threshold).sum() + (sk < threshold).sum() + (rnd < threshold).sum()
    total = len(gen) + len(sk) + len(rnd)
    return {
        "frr": float((gen < threshold).mean()) if len(gen) else float("nan"),
        "far_skilled": float((sk >= threshold).mean()) if len(sk) else float("nan"),
        "far_random": float((rnd >= threshold).mean()) if len(rnd) else float("nan"),
        "accuracy": float(correct / total) if total else float("nan"),
        "n_genuine": int(len(gen)), "n_skilled": int(len(sk)), "n_random": int(len(rnd)),
    }


def calibrate(emb: np.ndarray, data: SignatureSet, writers: Sequence[int],
              counts: Sequence[int] = REFERENCE_COUNTS, seed: int = 0) -> dict[str, Any]:
    """EER thresholds on validation writers for each reference count and combination.

    The combination (:data:`ocr.signature.COMBINE_METHODS`) with the lowest
    mean EER is kept.
    """
    table: dict[str, dict[str, Any]] = {}
    for method in signature.COMBINE_METHODS:
        table[method] = {}
        for k in counts:
            scores = trial_scores(emb, data, writers, k, method, seed=seed)
            if not len(scores["genuine"]) or not len(scores["skilled"]):
                continue
            err, thr = equal_error_rate(scores["genuine"], scores["skilled"])
            table[method][str(k)] = {"eer": err, "threshold": thr}
    if not table["mean"]:
        raise DataError("validation writers have too few signatures (or no forgeries) to calibrate")
    mean_eer = {m: np.mean([v["eer"] for v in t.values()]) for m, t in table.items() if t}
    best = min(mean_eer, key=mean_eer.get)
    return {"combine": best,
            "thresholds": {k: v["threshold"] for k, v in table[best].items()},
            "validation_eer": table}


# ------------------------------------------------------------------- training
def fit_embedding(data: SignatureSet, train_writers: Sequence[int], config: SignatureTrainConfig,
                  val_writers: Sequence[int] | None = None):
    """Train a fresh embedding network on ``train_writers``. Returns (embedding, history).

    With ``val_writers``, the weights of the epoch with the lowest validation
    EER (skilled forgeries, mean over :data:`SELECTION_COUNTS` references) are
    kept: with a few dozen writers the network soon starts to memorize its
    training writers.
    """
    import keras

    from ocr.models import siamese

    keras.utils.set_random_seed(config.seed)
    embedding = siamese.signet_embedding(input_shape=config.input_shape, **config.model_kwargs)
    total = config.epochs * config.steps_per_epoch
    schedule = keras.optimizers.schedules.CosineDecay(
        config.learning_rate, decay_steps=total, alpha=0.05)
    embedding.compile(optimizer=keras.optimizers.Adam(schedule),
                      loss=siamese.PairwiseContrastiveLoss(
                          margin=config.margin, skilled_weight=config.skilled_weight,
                          positive_margin=config.positive_margin))
    stream = batches(data, train_writers, config.writers_per_batch, config.genuine_per_writer,
                     config.forged_per_writer, seed=config.seed)
    history: list[dict[str, float]] = []
    best = (float("inf"), None, 0)
    for epoch in range(config.epochs):
        result = embedding.fit(stream, steps_per_epoch=config.steps_per_epoch, epochs=1, verbose=0,
                               shuffle=False)  # batches are already random
        row = {"epoch": epoch + 1, "loss": float(result.history["loss"][-1])}
        if val_writers is not None:
            # The mean over 1 and 5 references: one count alone on a few writers is
            # noisy enough to keep a second-epoch model.
            emb = _embed_subset(embedding, data, val_writers)
            eers = []
            for k in SELECTION_COUNTS:
                scores = trial_scores(emb, data, val_writers, k, "max", seed=config.seed)
                if len(scores["genuine"]) and len(scores["skilled"]):
                    eers.append(equal_error_rate(scores["genuine"], scores["skilled"])[0])
            row["val_eer"] = float(np.mean(eers)) if eers else float("nan")
            if row["val_eer"] < best[0]:
                best = (row["val_eer"], embedding.get_weights(), epoch + 1)
        log.info("epoch %d: %s", epoch + 1, ", ".join(f"{k} {v:.4f}" for k, v in row.items() if k != "epoch"))
        history.append(row)
    if best[1] is not None:
        embedding.set_weights(best[1])
        log.info("kept epoch %d (validation EER %.4f)", best[2], best[0])
    return embedding, history


def score_description(fusion: signature.FeatureFusion | None) -> str:
    """The card's one-line account of how a score is made."""
    return ("similarity = 1 - euclidean distance / 2 between unit-length embeddings"
            + (f" joined with the hand-crafted descriptor {fusion.kind}" if fusion else "")
            + "; several references give one score by the 'combine' rule (scaled: the distance "
              "to their mean in units of their own spread, ocr.signature.reference_spread)"
            + "; genuine when the combined score >= threshold")


def fused_calibration(emb: np.ndarray, data: SignatureSet, train_ids: Sequence[str],
                      val_ids: Sequence[str], network_weight: float, hand_features: str,
                      seed: int = 0) -> tuple[dict[str, Any], float]:
    """Join the embeddings with the hand-crafted descriptor (centred on the training writers)
    unless ``network_weight`` is 1, calibrate on the validation writers, and return the card's
    scoring entries (score description, descriptor entry, rule, thresholds) and the
    validation EER."""
    fusion = None
    if network_weight < 1.0:
        train_rows = np.isin(data.writer, data.indices(train_ids))
        fusion = signature.FeatureFusion.fit(data.images[train_rows], network_weight, hand_features)
        emb = fusion.apply(emb, data.images)
    calibration = calibrate(emb, data, data.indices(val_ids), seed=seed)
    thresholds = calibration["thresholds"]
    entries = {"score": score_description(fusion),
               **({fusion.kind: fusion.to_metadata()} if fusion else {}),
               "combine": calibration["combine"],
               "threshold": thresholds.get("1", next(iter(thresholds.values()))),
               "thresholds": thresholds}
    return entries, calibration["validation_eer"]


def train_signature(config: SignatureTrainConfig) -> tuple[Path, dict[str, Any]]:
    """Train, calibrate on validation writers and save the Siamese model with its thresholds."""
    check_writable(config.out, config.force)
    writers = find_writers(config.data)
    train_ids, val_ids = split_writers(list(writers), config.val_writers, config.seed)
    data = load_signatures(writers, config.input_shape, config.ink_normalized)
    log.info("training on %d writers, calibrating on %d: %s", len(train_ids), len(val_ids),
             ", ".join(val_ids))

    import keras

    from ocr import device
    from ocr.models import siamese

    device_name = device.configure(mixed_precision=False)
    started = time.time()
    embedding, history = fit_embedding(data, data.indices(train_ids), config, data.indices(val_ids))
    elapsed = time.time() - started
    scoring, eer = fused_calibration(embed(embedding, data.images), data, train_ids, val_ids,
                                     config.network_weight, config.hand_features, config.seed)
    model = siamese.signet(embedding, name="signet")
    n_images = int(np.isin(data.writer, data.indices(train_ids)).sum())
    metadata = {
        "name": "signet",
        "description": "SigNet-style Siamese CNN for writer-independent offline signature verification",
        "task": "signature-verification",
        "input": {"shape": list(config.input_shape), "dtype": "float32", "range": [0, 1],
                  "ink": "high (white on black)", "ink_normalized": config.ink_normalized,
                  "preprocessing": "ocr.signature.preprocess: Gaussian blur, Otsu background "
                                   "removal, crop to ink, centre on canvas keeping aspect ratio, "
                                   "resize, invert, scale to 0..1"
                                   + (", ink's 90th percentile scaled to 1"
                                      if config.ink_normalized else "")},
        **scoring,
        "calibration": {"writers": val_ids, "criterion": "equal error rate, genuine vs skilled "
                        "forgeries, random reference draws", "eer": eer},
        "training": {
            "data": str(Path(config.data).name),
            "writers": train_ids,
            "images": n_images,
            "config": {k: v for k, v in asdict(config).items() if k not in ("data", "out", "force")},
            "loss": f"double-margin contrastive (margins {config.positive_margin}, {config.margin}) "
                    "over all pairs in a batch",
            "selected_epoch": min(history, key=lambda r: r.get("val_eer", 0))["epoch"]
            if history and "val_eer" in history[0] else len(history),
            "augmentation": "rotation, scale, translation, stroke width (numpy/OpenCV)",
            "wall_time_s": round(elapsed, 1),
            "device": device_name,
            "host": f"{platform.machine()}, {os.cpu_count()} CPU cores",
            "history": history,
        },
        "parameters": int(embedding.count_params()),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
    }
    path = save_model(model, config.out, metadata, force=config.force)
    return path, metadata


def refit_fusion(model: str | os.PathLike, data_dir: str | os.PathLike, out: str | os.PathLike,
                 network_weight: float, hand_features: str, force: bool = False,
                 seed: int = 0) -> tuple[Path, dict[str, Any]]:
    """Keep ``model``'s network; join it with another descriptor and calibrate again.

    The descriptor's centre comes from the model's own training writers and the
    thresholds from its own calibration writers (both named in its card), so
    they stay writers the network never trained on. Only the card changes:
    a better descriptor is worth a new card without an hour of training.
    """
    from ocr.models import load
    from ocr.verify import embed

    out = check_writable(out, force)
    loaded = load(model, kind="signature", runtime="keras")  # a wrong model fails before the images are read
    meta = loaded.card.metadata
    try:
        train_ids, val_ids = list(meta["training"]["writers"]), list(meta["calibration"]["writers"])
    except (KeyError, TypeError):
        raise DataError(f"{model}: its card names no training and calibration writers "
                        "(only models made by `ocr train signature` can be recalibrated)") from None
    writers = find_writers(data_dir)
    missing = sorted(set(train_ids + val_ids) - set(writers))
    if missing:
        raise DataError(f"{data_dir}: the model's writers {', '.join(missing[:5])} are not there; "
                        "give the --data it was trained on")
    shape, ink_normalized = signature.input_format(meta.get("input", {}))
    data = load_signatures({w: writers[w] for w in sorted(set(train_ids + val_ids))}, shape, ink_normalized)
    scoring, eer = fused_calibration(embed(loaded, data.images), data, train_ids, val_ids,
                                     network_weight, hand_features, seed)
    metadata = {k: v for k, v in meta.items() if k not in signature.HAND_FEATURES}
    metadata.update({
        **scoring,
        "calibration": {**meta["calibration"], "eer": eer},
        "recalibrated": {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                         "network_weight": network_weight,
                         "hand_features": hand_features if network_weight < 1.0 else None,
                         "network": "unchanged (weights of the model recalibrated)"},
    })
    path = save_model(loaded.net, out, metadata, force=force)
    return path, metadata

