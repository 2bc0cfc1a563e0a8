"""Benchmark of signature verification on writers never seen in training (issues 4, 17).

Writer-disjoint cross-validation: the writers are split into folds; for each
fold a fresh Siamese network is trained on the other writers minus a few
validation writers, which calibrate the threshold at the equal-error point
(exactly the ``ocr train signature`` recipe), and the fold's writers are scored.
For 1 to 5 references and each score combination (max, mean, centroid) it reports:
EER against skilled forgeries (pooled over folds), and FRR, FAR (skilled), FAR
(random: other test writers' genuine signatures) and accuracy at the threshold
calibrated on validation writers. It also measures how much the decision
depends on the pen: the questioned signatures of the test writers are re-inked
darker or lighter (ink strength times 0.6 to 1.6, references untouched) and
FRR and skilled FAR are read again at the same threshold. It checks that the
files' encoding (RGB PNG and grey JPEG writers share the set) does not decide,
scores writer-dependent variants (cohort normalization, a per-case linear
classifier against a background of training writers) against the similarity
alone, and last times one verification on the CPU with the bundled model.

    OCR_DATA_DIR=/work/shared/data python bench/signatures.py            # 5 folds
    OCR_DATA_DIR=/work/shared/data python bench/signatures.py --timing-only
    OCR_DATA_DIR=/work/shared/data python bench/signatures.py --raw-ink   # grey levels as scanned
    python bench/signatures.py --rescore DIR   # the tables again from --save-embeddings DIR
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from ocr import signature  # noqa: E402
from ocr.errors import OcrError  # noqa: E402
from ocr.verify import enroll_signatures, verify_signature  # noqa: E402
from training import signatures as st  # noqa: E402

log = logging.getLogger("bench.signatures")
PEN_FACTORS = (0.6, 0.8, 1.0, 1.25, 1.6)  # ink strength of the questioned scans: lighter .. darker pen
PEN_REFERENCES = 5


def reinked(images: np.ndarray, factor: float, ink_normalized: bool) -> np.ndarray:
    """Raw ink-high images as if written with a pen ``factor`` times as dark, then preprocessed."""
    out = np.clip(images * factor, 0.0, 1.0)
    return np.stack([signature.normalize_ink(im) for im in out]) if ink_normalized else out


def cross_validate(args) -> dict:
    writers = st.find_writers(args.data)
    config = st.SignatureTrainConfig(data=str(args.data), epochs=args.epochs,
                                     steps_per_epoch=args.steps_per_epoch, seed=args.seed,
                                     input_shape=args.input_size, ink_normalized=not args.raw_ink,
                                     network_weight=args.network_weight,
                                     hand_features=args.hand_features)
    raw = st.load_signatures(writers, config.input_shape, ink_normalized=False)
    data = st.SignatureSet(reinked(raw.images, 1.0, config.ink_normalized), raw.writer, raw.genuine,
                           raw.writer_ids, raw.paths)
    folds = st.writer_folds(list(writers), args.folds, args.seed)
    features = signature.hand_features(config.hand_features, data.images)
    pooled: dict = {}
    pen_by_factor: dict[float, list[dict[str, float]]] = {}
    per_fold = []
    started = time.time()
    for f, test_ids in enumerate(folds):
        rest = sorted(set(writers) - set(test_ids))
        train_ids, val_ids = st.split_writers(rest, args.val_writers, args.seed + f)
        log.info("fold %d: train %d writers, validate on %s, test on %s", f + 1, len(train_ids),
                 ",".join(val_ids), ",".join(test_ids))
        embedding, history = st.fit_embedding(data, data.indices(train_ids), config,
                                              data.indices(val_ids))
        network = st.embed(embedding, data.images)
        fusion = None
        if config.network_weight < 1.0:  # as ocr train signature: centred on the training writers
            fusion = signature.FeatureFusion(
                config.network_weight, features[np.isin(data.writer, data.indices(train_ids))].mean(0),
                config.hand_features)

        def represent(images: np.ndarray, embedding=embedding, fusion=fusion) -> np.ndarray:
            """What the verifier scores: the network's embedding, fused when the recipe says so."""
            emb = st.embed(embedding, images)
            return emb if fusion is None else fusion.apply(emb, images)

        emb = network if fusion is None else fusion.join(network, features)
        calibration, results = score_fold(emb, data, data.indices(val_ids), data.indices(test_ids),
                                          args, pooled)
        fold = {"test": test_ids, "validation": val_ids, "train": train_ids,
                "selected_combine": calibration["combine"], "results": results}
        fold["pen"] = pen_sensitivity(represent, emb, raw, data.indices(test_ids), calibration,
                                      config.ink_normalized, args)
        fold["encoding"] = encoding_check(represent, emb, data, data.indices(test_ids), calibration,
                                          config, args)
        fold["writer_dependent"] = writer_dependent(emb, data, data.indices(train_ids),
                                                    data.indices(val_ids), data.indices(test_ids), args)
        fold["fused"] = fused_scoring(network, features, config.hand_features, data,
                                      data.indices(train_ids), data.indices(val_ids),
                                      data.indices(test_ids), args)
        if args.save_embeddings:
            args.save_embeddings.mkdir(parents=True, exist_ok=True)
            np.savez_compressed(args.save_embeddings / f"fold{f + 1}.npz", embeddings=network,
                                features=features, hand_features=config.hand_features,
                                writer=data.writer, genuine=data.genuine,
                                train=data.indices(train_ids), val=data.indices(val_ids),
                                test=data.indices(test_ids))
        for factor, rates in fold["pen"].items():
            pen_by_factor.setdefault(factor, []).append(rates)
        per_fold.append(fold)
    pen = [{"factor": factor, **{key: float(np.mean([r[key] for r in folds_rates]))
                                 for key in ("frr", "far_skilled")}}
           for factor, folds_rates in sorted(pen_by_factor.items())]
    rows = pooled_rows(pooled)
    encoding = {key: float(np.nanmean([f["encoding"][key] for f in per_fold]))
                for key in per_fold[0]["encoding"]}
    dependent = {key: {m: float(np.mean([f["writer_dependent"][key][m] for f in per_fold]))
                       for m in per_fold[0]["writer_dependent"][key]}
                 for key in per_fold[0]["writer_dependent"]}
    fused = {key: {m: float(np.mean([f["fused"][key][m] for f in per_fold]))
                   for m in per_fold[0]["fused"][key]}
             for key in per_fold[0]["fused"]}
    return {"rows": rows, "pen": pen, "folds": per_fold, "encoding": encoding,
            "writer_dependent": dependent, "fused": fused,
            "writers": len(writers), "images": int(len(data.writer)),
            "input": {"shape": list(config.input_shape), "ink_normalized": config.ink_normalized,
                      "network_weight": config.network_weight, "hand_features": config.hand_features},
            "wall_time_s": round(time.time() - started, 1)}


def score_fold(emb: np.ndarray, data: st.SignatureSet, val: list[int], test: list[int], args,
               pooled: dict) -> tuple[dict, dict]:
    """Calibrate every combine rule on the validation writers, score the test writers.

    Returns the calibration and the fold's results by ``method/k``; adds the
    scores and each fold's decisions at its own threshold to ``pooled``.
    """
    calibration = st.calibrate(emb, data, val, seed=args.seed)
    results = {}
    for method, table in calibration["validation_eer"].items():
        for k in st.REFERENCE_COUNTS:
            if str(k) not in table:
                continue
            scores = st.trial_scores(emb, data, test, k, method, trials=args.trials, seed=args.seed)
            threshold = table[str(k)]["threshold"]
            eer, _ = st.equal_error_rate(scores["genuine"], scores["skilled"])
            results[f"{method}/{k}"] = {"eer": eer, "threshold": threshold, **st.rates_at(scores, threshold)}
            slot = pooled.setdefault((method, k), {"genuine": [], "skilled": [], "random": [],
                                                   "correct": {}, "eers": []})
            slot["eers"].append(eer)
            for key in ("genuine", "skilled", "random"):
                slot[key].append(scores[key])
            # Decisions use each fold's own calibrated threshold, so count them per fold.
            for key, accept in (("genuine", True), ("skilled", False), ("random", False)):
                ok = (scores[key] >= threshold) if accept else (scores[key] < threshold)
                slot["correct"].setdefault(key, []).append(ok)
    return calibration, results


def pooled_rows(pooled: dict) -> list[dict]:
    """One table row per (combine, reference count): EER pooled and fold mean, rates at the thresholds."""
    rows = []
    for (method, k), slot in sorted(pooled.items()):
        gen, sk = np.concatenate(slot["genuine"]), np.concatenate(slot["skilled"])
        eer, _ = st.equal_error_rate(gen, sk)
        ok = {key: np.concatenate(v) for key, v in slot["correct"].items()}
        total = sum(len(v) for v in ok.values())
        rows.append({
            "combine": method, "references": k, "eer_pooled": eer,
            "eer_fold_mean": float(np.mean(slot["eers"])),
            "frr": float(1 - ok["genuine"].mean()), "far_skilled": float(1 - ok["skilled"].mean()),
            "far_random": float(1 - ok["random"].mean()),
            "accuracy": float(sum(v.sum() for v in ok.values()) / total),
            "n_genuine": int(len(ok["genuine"])), "n_skilled": int(len(ok["skilled"])),
            "n_random": int(len(ok["random"])),
        })
    return rows


def saved_folds(folder: Path):
    """Each fold a run wrote with ``--save-embeddings``, in fold order: (file name, a
    SignatureSet of its labels only, train, val and test writer indices, network
    embeddings, hand-crafted features, their kind). Runs before session 19 saved
    ``directions`` (stroke_directions)."""
    files = sorted(folder.glob("fold*.npz"), key=lambda p: int(p.stem[4:]))
    if not files:
        raise SystemExit(f"{folder}: no fold*.npz (write them with --save-embeddings)")
    for path in files:
        with np.load(path) as saved:
            fold = {key: saved[key] for key in saved.files}
        data = st.SignatureSet(np.empty((len(fold["writer"]), 0, 0), np.float32), fold["writer"],
                               fold["genuine"], [str(i) for i in range(int(fold["writer"].max()) + 1)])
        train, val, test = (list(map(int, fold[key])) for key in ("train", "val", "test"))
        kind = str(fold["hand_features"]) if "hand_features" in fold else "stroke_directions"
        features = fold["features"] if "features" in fold else fold["directions"]
        yield path.name, data, train, val, test, fold["embeddings"], features, kind


def fused_with_features(weight: float, network: np.ndarray, features: np.ndarray, kind: str,
                        data: st.SignatureSet, train: list[int]) -> np.ndarray:
    """The vectors the recipe scores at ``weight``, the features centred on the training writers."""
    centre = features[np.isin(data.writer, train)].mean(0)
    return signature.FeatureFusion(weight, centre, kind).join(network, features)


def rescore(args) -> dict:
    """The score tables again from the fold embeddings a run saved (``--save-embeddings``).

    No network is trained: each fold's saved embeddings are joined with the
    ``--hand-features`` descriptor at ``--network-weight`` (centred on that
    fold's training writers), every combine rule is calibrated on its
    validation writers and the test writers scored, as in
    :func:`cross_validate`. A descriptor the run did not save is computed from
    the images (``--data``). The pen and encoding checks of the network need
    the networks; with ``--data`` they are run for the descriptor alone.
    """
    pooled: dict = {}
    per_fold = []
    started = time.time()
    images: st.SignatureSet | None = None
    for name, data, train, val, test, network, features, kind in saved_folds(args.rescore):
        if images is None and (kind != args.hand_features or args.data):
            images = read_images(args, data)
        if kind != args.hand_features:
            features = signature.hand_features(args.hand_features, reinked(images.images, 1.0, True))
            kind = args.hand_features
        emb = fused_with_features(args.network_weight, network, features, kind, data, train)
        calibration, results = score_fold(emb, data, val, test, args, pooled)
        fold = {"file": name, "selected_combine": calibration["combine"], "results": results,
                "fused": fused_scoring(network, features, kind, data, train, val, test, args)}
        if args.data:
            fold["descriptor_checks"] = descriptor_checks(features, kind, images, train, val, test, args)
        per_fold.append(fold)
    fused = {key: {m: float(np.mean([f["fused"][key][m] for f in per_fold]))
                   for m in per_fold[0]["fused"][key]}
             for key in per_fold[0]["fused"]}
    out = {"rows": pooled_rows(pooled), "folds": per_fold, "fused": fused,
           "writers": len(np.unique(data.writer)), "images": int(len(data.writer)),
           "input": {"network_weight": args.network_weight, "hand_features": args.hand_features,
                     "from": str(args.rescore)},
           "wall_time_s": round(time.time() - started, 1)}
    if args.data:
        checks = [f["descriptor_checks"] for f in per_fold]
        out["descriptor_pen"] = [
            {"factor": factor, **{key: float(np.mean([c["pen"][factor][key] for c in checks]))
                                  for key in ("frr", "far_skilled")}}
            for factor in PEN_FACTORS]
        out["descriptor_encoding"] = {key: float(np.nanmean([c["encoding"][key] for c in checks]))
                                      for key in checks[0]["encoding"]}
    return out


def read_images(args, saved: st.SignatureSet) -> st.SignatureSet:
    """The preprocessed images of ``--data`` (raw ink levels, as :func:`cross_validate`
    reads them first), checked to be the images a saved run scored."""
    if args.data is None:
        raise SystemExit("the saved run holds other features: pass --data (or set OCR_DATA_DIR) "
                         "to compute them")
    raw = st.load_signatures(st.find_writers(args.data), signature.INPUT_SHAPE, ink_normalized=False)
    if not (np.array_equal(raw.writer, saved.writer) and np.array_equal(raw.genuine, saved.genuine)):
        raise SystemExit(f"{args.data}: not the signatures the saved run scored")
    return raw


def descriptor_checks(features: np.ndarray, kind: str, raw: st.SignatureSet, train: list[int],
                      val: list[int], test: list[int], args) -> dict:
    """Pen and encoding checks of the hand-crafted descriptor alone (network weight 0).

    The fold's networks are not saved, so the fused vectors cannot be re-inked;
    the descriptor is the part a rescore changes. Thresholds and rule are
    calibrated on the validation writers, as for the fused vectors.
    """
    centre = features[np.isin(raw.writer, train)].mean(0)
    fusion = signature.FeatureFusion(0.0, centre, kind)
    blank = np.zeros((len(features), 1))
    emb = fusion.join(blank, features)
    calibration = st.calibrate(emb, raw, val, seed=args.seed)

    def represent(images: np.ndarray) -> np.ndarray:
        return fusion.apply(np.zeros((len(images), 1)), images)

    normalized = st.SignatureSet(reinked(raw.images, 1.0, True), raw.writer, raw.genuine,
                                 raw.writer_ids, raw.paths)
    config = st.SignatureTrainConfig(data=str(args.data))
    return {"pen": pen_sensitivity(represent, emb, raw, test, calibration, True, args),
            "encoding": encoding_check(represent, emb, normalized, test, calibration, config, args)}


def spread_exponent_table(args) -> dict:
    """Choose the ``scaled`` rule's exponent per fold on its TRAINING writers, hand-crafted features alone.

    The features are learnt from no data, so the training writers are a
    fair place to choose on (the networks' embeddings of their own training
    writers are not). Mean skilled EER over 2, 3 and 5 references per
    exponent; the chosen exponent is then scored on the fold's test writers.
    """
    exponents = args.spread_exponents
    out = []
    for name, data, train, _, test, network, features, kind in saved_folds(args.rescore):
        alone = fused_with_features(0.0, network, features, kind, data, train)  # weight 0: features alone

        def eer(writers, exponent, k, trials):
            rule = functools.partial(signature.combined_scores, method="scaled", exponent=exponent)
            scores = st.trial_scores(alone, data, writers, k, rule, trials=trials, seed=args.seed)
            return st.equal_error_rate(scores["genuine"], scores["skilled"])[0]

        on_train = {e: float(np.mean([eer(train, e, k, 5) for k in (2, 3, 5)])) for e in exponents}
        chosen = min(on_train, key=on_train.get)
        out.append({"file": name, "train_eer": on_train, "chosen": chosen,
                    "test_eer": {k: eer(test, chosen, k, args.trials) for k in (3, 5)},
                    "test_eer_centroid": {k: eer(test, 0.0, k, args.trials) for k in (3, 5)}})
    print("Exponent of the scaled rule, chosen per fold on its training writers (hand-crafted "
          "features alone; mean skilled EER over 2, 3, 5 references):")
    print("| fold | " + " | ".join(f"{e:g}" for e in exponents) + " | chosen | test 3 refs | test 5 refs |")
    print("|---" * (len(exponents) + 4) + "|")
    for f in out:
        print(f"| {f['file']} | " + " | ".join(f"{f['train_eer'][e]:.2%}" for e in exponents)
              + f" | {f['chosen']:g} | {f['test_eer'][3]:.2%} | {f['test_eer'][5]:.2%} |")
    for k in (3, 5):
        print(f"Test writers, {k} references, fold mean: centroid (exponent 0) "
              f"{np.mean([f['test_eer_centroid'][k] for f in out]):.2%}, chosen exponent "
              f"{np.mean([f['test_eer'][k] for f in out]):.2%}")
    return {"folds": out}


def pen_sensitivity(represent, emb: np.ndarray, raw: st.SignatureSet, test: list[int],
                    calibration: dict, ink_normalized: bool, args) -> dict[float, dict[str, float]]:
    """FRR and skilled FAR when the test writers' questioned signatures change pen.

    References keep their original scans; the threshold and combination are
    the fold's calibrated ones for ``PEN_REFERENCES`` references.
    """
    method = calibration["combine"]
    threshold = calibration["thresholds"][str(PEN_REFERENCES)]
    rows = np.flatnonzero(np.isin(raw.writer, test))
    out = {}
    for factor in PEN_FACTORS:
        questioned = emb.copy()
        questioned[rows] = represent(reinked(raw.images[rows], factor, ink_normalized))
        scores = st.trial_scores(emb, raw, test, PEN_REFERENCES, method, trials=args.trials,
                                 seed=args.seed, questioned_emb=questioned)
        rates = st.rates_at(scores, threshold)
        out[factor] = {"frr": rates["frr"], "far_skilled": rates["far_skilled"]}
    return out


def as_grey_jpeg(path: Path, quality: int = 95) -> np.ndarray:
    """A scan as the dataset stored writers 012-048: PIL's grey conversion, JPEG at ``quality``."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    with Image.open(path) as image:
        image.convert("L").save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as image:
        return np.array(image)


def encoding_check(represent, emb: np.ndarray, data: st.SignatureSet, test: list[int],
                   calibration: dict, config, args) -> dict[str, float]:
    """Whether the verifier can tell the files' encoding (RGB PNG or grey JPEG) apart.

    Two measures, 5 references at the fold's threshold: (1) FAR on random
    forgeries split by whether the questioned scan has the references' encoding
    or the other one: a shortcut would show as a lower FAR across encodings;
    (2) the test writers' PNG scans re-encoded as grey JPEG q95 and verified
    again as questioned signatures: FRR and skilled FAR should not move.
    """
    method = calibration["combine"]
    threshold = calibration["thresholds"][str(PEN_REFERENCES)]
    suffix = np.array([p.suffix.lower() for p in data.paths])
    out = {"far_random_same_encoding": [], "far_random_other_encoding": []}
    rng = np.random.default_rng(args.seed)
    for w in test:
        gen = np.flatnonzero((data.writer == w) & data.genuine)
        others = np.flatnonzero(np.isin(data.writer, test) & (data.writer != w) & data.genuine)
        if len(gen) <= PEN_REFERENCES or not len(others):
            continue
        for _ in range(args.trials):
            refs = rng.choice(gen, PEN_REFERENCES, replace=False)
            same = suffix[others] == suffix[refs[0]]
            scores = signature.combined_scores(emb[refs], emb[others], method)
            for key, pick in (("far_random_same_encoding", same), ("far_random_other_encoding", ~same)):
                if pick.any():
                    out[key].append(float((scores[pick] >= threshold).mean()))
    result = {k: float(np.mean(v)) if v else float("nan") for k, v in out.items()}
    rows = np.flatnonzero(np.isin(data.writer, test) & (suffix != ".jpg"))
    if len(rows):
        images = np.stack([signature.preprocess(as_grey_jpeg(data.paths[i]), config.input_shape,
                                                config.ink_normalized) for i in rows])
        result["input_change_jpeg_q95"] = float(np.abs(images - data.images[rows]).mean())
        questioned = emb.copy()
        questioned[rows] = represent(images)
        writers = sorted(set(data.writer[rows].tolist()))
        for name, q in (("png", emb), ("jpeg_q95", questioned)):
            scores = st.trial_scores(emb, data, writers, PEN_REFERENCES, method, trials=args.trials,
                                     seed=args.seed, questioned_emb=q)
            rates = st.rates_at(scores, threshold)
            result[f"frr_{name}"], result[f"far_skilled_{name}"] = rates["frr"], rates["far_skilled"]
    return result


def writer_dependent(emb: np.ndarray, data: st.SignatureSet, train: list[int], val: list[int],
                     test: list[int], args, background_size: int = 300) -> dict[str, dict[str, float]]:
    """Writer-dependent scoring on top of the embeddings, against the similarity alone.

    A background set of ``background_size`` genuine signatures of the fold's
    training writers (never its test writers) stands for "other people": ``znorm``
    normalizes each reference's similarities by the background's (cohort score
    normalization), ``logistic`` fits a per-case linear classifier of the
    references against the background. Thresholds come from the validation
    writers, as for the similarity. Returns skilled EER and random FAR per
    method and reference count.
    """
    rng = np.random.default_rng(args.seed)
    pool = np.flatnonzero(np.isin(data.writer, train) & data.genuine)
    background = emb[rng.choice(pool, min(background_size, len(pool)), replace=False)]

    def znorm(refs, questioned):
        cohort = signature.pairwise_similarity(refs, background)
        z = (signature.pairwise_similarity(refs, questioned) - cohort.mean(1, keepdims=True)) \
            / (cohort.std(1, keepdims=True) + 1e-6)
        return z.mean(0)

    def logistic(refs, questioned, steps: int = 200, l2: float = 1e-2):
        x = np.concatenate([refs, background])
        y = np.r_[np.ones(len(refs)), np.zeros(len(background))]
        weight = np.where(y == 1, 0.5 / len(refs), 0.5 / len(background))  # classes balanced
        w, b = np.zeros(x.shape[1]), 0.0
        for _ in range(steps):
            grad = weight * (1 / (1 + np.exp(-(x @ w + b))) - y)
            w -= x.T @ grad + l2 * w
            b -= grad.sum()
        return questioned @ w + b

    def similarity(refs, questioned):
        return signature.combined_scores(refs, questioned, "max")

    out: dict[str, dict[str, float]] = {}
    for name, score in (("similarity (max)", similarity), ("znorm", znorm), ("logistic", logistic)):
        for k in (1, 3, 5):
            val_scores = st.trial_scores(emb, data, val, k, score, trials=args.trials, seed=args.seed)
            _, threshold = st.equal_error_rate(val_scores["genuine"], val_scores["skilled"])
            scores = st.trial_scores(emb, data, test, k, score, trials=args.trials, seed=args.seed)
            eer, _ = st.equal_error_rate(scores["genuine"], scores["skilled"])
            out[f"{name}/{k}"] = {"eer": eer, "far_random": st.rates_at(scores, threshold)["far_random"]}
    return out


FUSION_WEIGHTS = (0.0, 0.3, 0.5, 0.7, 1.0)  # share of the network in the fused squared distance
FUSION_COMBINES = ("centroid", "scaled")  # the fusion table's score rules


def fused_scoring(emb: np.ndarray, features: np.ndarray, kind: str, data: st.SignatureSet, train: list[int],
                  val: list[int], test: list[int], args) -> dict[str, dict[str, float]]:
    """The network's embeddings joined with the hand-crafted ``kind`` features, by weight.

    ``signature.FeatureFusion`` centres the features on the fold's training
    writers' mean (never the test writers'); weight 1 is the network alone and
    0 the features alone. Centroid and scaled scores; thresholds from the
    validation writers. Skilled EER, FRR and random FAR per rule, weight and count.
    """
    out: dict[str, dict[str, float]] = {}
    for weight in FUSION_WEIGHTS:
        fused = fused_with_features(weight, emb, features, kind, data, train)
        for method in FUSION_COMBINES:
            for k in (1, 3, 5):
                val_scores = st.trial_scores(fused, data, val, k, method, trials=args.trials, seed=args.seed)
                _, threshold = st.equal_error_rate(val_scores["genuine"], val_scores["skilled"])
                scores = st.trial_scores(fused, data, test, k, method, trials=args.trials, seed=args.seed)
                eer, _ = st.equal_error_rate(scores["genuine"], scores["skilled"])
                rates = st.rates_at(scores, threshold)
                out[f"{method}/{weight}/{k}"] = {"eer": eer, "frr": rates["frr"],
                                                 "far_skilled": rates["far_skilled"],
                                                 "far_random": rates["far_random"]}
    return out


def time_verification(args, repeats: int = 20) -> dict:
    """Median wall time of one ``ocr.verify_signature`` call on the CPU, model loaded.

    The call reads and preprocesses every image, embeds them and scores: all
    of a verification but the one-off model load. 1 and 5 references.
    """
    writers = st.find_writers(args.data)
    first = writers[sorted(writers)[0]]
    questioned = first.genuine[-1]
    verify_signature(first.genuine[:1], questioned, model=args.model)  # load and trace once

    def median_ms(call) -> float:
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            call()
            times.append(time.perf_counter() - t)
        return 1000 * float(np.median(times))

    out = {f"verify_{n}_refs_ms": median_ms(lambda n=n: verify_signature(first.genuine[:n], questioned,
                                                                          model=args.model))
           for n in (1, PEN_REFERENCES)}
    # The references enrolled once (ocr enroll-signature): each check reads and embeds one scan.
    enrolled = enroll_signatures(first.genuine[:PEN_REFERENCES], model=args.model)
    out[f"verify_{PEN_REFERENCES}_enrolled_ms"] = median_ms(
        lambda: verify_signature(enrolled, questioned, model=args.model))
    return out


def print_fusion_table(fused: dict, kind: str) -> None:
    print(f"\nNetwork embedding fused with {kind} (thresholds from the validation "
          "writers, fold means; weight = the network's share, 1 = network alone):")
    print("| combine | weight | refs | EER skilled | FRR | FAR skilled | FAR random |")
    print("|---|---|---|---|---|---|---|")
    for key, r in fused.items():
        method, weight, k = key.split("/")
        print(f"| {method} | {weight} | {k} | {r['eer']:.2%} | {r['frr']:.2%} | {r['far_skilled']:.2%} | "
              f"{r['far_random']:.2%} |")


def print_rows(rows: list[dict]) -> None:
    print("| combine | refs | EER skilled (pooled) | EER (fold mean) | FRR | FAR skilled | "
          "FAR random | accuracy | genuine/skilled/random |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['combine']} | {r['references']} | {r['eer_pooled']:.2%} | {r['eer_fold_mean']:.2%} | "
              f"{r['frr']:.2%} | {r['far_skilled']:.2%} | {r['far_random']:.2%} | {r['accuracy']:.2%} | "
              f"{r['n_genuine']}/{r['n_skilled']}/{r['n_random']} |")


def print_checks(pen: list[dict], enc: dict, what: str) -> None:
    """The pen and encoding tables (``what`` says whose vectors, when not the fused ones)."""
    print(f"\nPen change of the questioned scans{what} ({PEN_REFERENCES} references, calibrated "
          "threshold, fold means):")
    print("| ink strength | FRR | FAR skilled |")
    print("|---|---|---|")
    for r in pen:
        print(f"| x{r['factor']} | {r['frr']:.2%} | {r['far_skilled']:.2%} |")
    print(f"\nEncoding{what} ({PEN_REFERENCES} references, calibrated threshold, fold means): FAR on random "
          f"forgeries whose scan has the references' encoding {enc['far_random_same_encoding']:.2%}, "
          f"the other encoding (RGB PNG vs grey JPEG) {enc['far_random_other_encoding']:.2%}.")
    if "frr_png" in enc:
        print(f"PNG scans of the test writers re-encoded as grey JPEG q95: network input moves by "
              f"{enc['input_change_jpeg_q95']:.5f} (mean absolute, 0..1); FRR {enc['frr_png']:.2%} -> "
              f"{enc['frr_jpeg_q95']:.2%}, FAR skilled {enc['far_skilled_png']:.2%} -> "
              f"{enc['far_skilled_jpeg_q95']:.2%}.")


def print_table(result: dict, timing: dict | None) -> None:
    shape, normalized = result["input"]["shape"], result["input"]["ink_normalized"]
    print(f"Writer-disjoint {len(result['folds'])}-fold cross-validation: {result['writers']} writers, "
          f"{result['images']} images, input {shape[0]}x{shape[1]}, "
          f"{'ink normalized' if normalized else 'raw grey levels'}, network weight "
          f"{result['input']['network_weight']} against {result['input']['hand_features']}, "
          f"{result['wall_time_s']} s")
    print_rows(result["rows"])
    print_checks(result["pen"], result["encoding"], "")
    print("\nWriter-dependent scoring against a background of 300 training-writer signatures "
          "(fold means):")
    print("| scoring | refs | EER skilled | FAR random |")
    print("|---|---|---|---|")
    for key, r in result["writer_dependent"].items():
        name, k = key.rsplit("/", 1)
        print(f"| {name} | {k} | {r['eer']:.2%} | {r['far_random']:.2%} |")
    print_fusion_table(result["fused"], result["input"]["hand_features"])
    if timing:
        print(f"\nOne ocr.verify_signature call on the CPU, model loaded (reading and preprocessing "
              f"every scan included), median of 20: {timing['verify_1_refs_ms']:.1f} ms with 1 "
              f"reference, {timing[f'verify_{PEN_REFERENCES}_refs_ms']:.1f} ms with {PEN_REFERENCES}; "
              f"{timing[f'verify_{PEN_REFERENCES}_enrolled_ms']:.1f} ms with {PEN_REFERENCES} enrolled "
              "references (ocr enroll-signature: only the questioned scan is read)")


def parse_size(text: str) -> tuple[int, int]:
    try:
        return signature.parse_input_size(text)
    except OcrError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parse_exponents(text: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, not {text!r}") from None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=st.default_data_dir(),
                        help="Signature folder (default: $OCR_DATA_DIR/signatures/sign_data_sigcomp2011)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--val-writers", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=st.SignatureTrainConfig.epochs)
    parser.add_argument("--steps-per-epoch", type=int, default=st.SignatureTrainConfig.steps_per_epoch)
    parser.add_argument("--input-size", type=parse_size, default=signature.INPUT_SHAPE,
                        help="Network input HxW (default %(default)s).")
    parser.add_argument("--raw-ink", action="store_true",
                        help="Train and test on the scans' grey levels, without ink normalization.")
    parser.add_argument("--network-weight", type=float, default=st.SignatureTrainConfig.network_weight,
                        help="The network's share when fused with the hand-crafted features "
                             "(1: the network alone; the fusion table shows other weights).")
    parser.add_argument("--hand-features", choices=sorted(signature.HAND_FEATURES),
                        default=st.SignatureTrainConfig.hand_features,
                        help="The hand-crafted descriptor joined to the network (default %(default)s).")
    parser.add_argument("--trials", type=int, default=10, help="Random reference draws per writer.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default=None, help="Model to time (default: bundled).")
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--timing-only", action="store_true",
                        help="Only time verification with the model (no cross-validation).")
    parser.add_argument("--json", type=Path, help="Also write the full results here.")
    parser.add_argument("--rescore", type=Path, metavar="DIR",
                        help="Score again the fold embeddings a run wrote with --save-embeddings "
                             "(no training; no pen, encoding or writer-dependent tables).")
    parser.add_argument("--spread-exponents", metavar="LIST", type=parse_exponents,
                        help="With --rescore: choose the scaled rule's exponent among these "
                             "(e.g. 0,0.25,0.5,0.75,1) on each fold's training writers instead.")
    parser.add_argument("--save-embeddings", type=Path, metavar="DIR",
                        help="Write each fold's embeddings, features and writer split here (npz).")
    args = parser.parse_args(argv)
    if args.data is None and not args.rescore:
        parser.error("pass --data or set OCR_DATA_DIR")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    for noisy in ("absl", "tensorflow"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    if args.timing_only:
        timing = time_verification(args)
        print(f"One ocr.verify_signature call, model loaded, median of 20: "
              f"{timing['verify_1_refs_ms']:.1f} ms with 1 reference, "
              f"{timing[f'verify_{PEN_REFERENCES}_refs_ms']:.1f} ms with {PEN_REFERENCES}, "
              f"{timing[f'verify_{PEN_REFERENCES}_enrolled_ms']:.1f} ms with {PEN_REFERENCES} enrolled")
        return 0
    if args.rescore and args.spread_exponents:
        result = spread_exponent_table(args)
        if args.json:
            args.json.write_text(json.dumps(result, indent=2))
        return 0
    if args.rescore:
        result = rescore(args)
        print(f"{len(result['folds'])} folds rescored from {args.rescore}: {result['images']} images, "
              f"network weight {args.network_weight} against {args.hand_features}, {result['wall_time_s']} s")
        print_rows(result["rows"])
        print_fusion_table(result["fused"], args.hand_features)
        if "descriptor_pen" in result:
            print_checks(result["descriptor_pen"], result["descriptor_encoding"],
                         f", {args.hand_features} alone")
        if args.json:
            args.json.write_text(json.dumps(result, indent=2))
        return 0
    result = cross_validate(args)
    timing = None if args.no_timing else time_verification(args)
    print_table(result, timing)
    if args.json:
        args.json.write_text(json.dumps({**result, "timing": timing}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
