"""Benchmark of signature verification on writers never seen in training (issue 4).

Writer-disjoint cross-validation: the writers are split into folds; for each
fold a fresh Siamese network is trained on the other writers minus a few
validation writers, which calibrate the threshold at the equal-error point
(exactly the ``ocr train signature`` recipe), and the fold's writers are scored.
For 1, 3 and 5 references and both score combinations (mean, max) it reports:
EER against skilled forgeries (pooled over folds), and FRR, FAR (skilled), FAR
(random: other test writers' genuine signatures) and accuracy at the threshold
calibrated on validation writers. It also measures how much the decision
depends on the pen: the questioned signatures of the test writers are re-inked
darker or lighter (ink strength times 0.6 to 1.6, references untouched) and
FRR and skilled FAR are read again at the same threshold. Last, it times one
verification on the CPU with the bundled model.

    OCR_DATA_DIR=/work/shared/data python bench/signatures.py --folds 4
    OCR_DATA_DIR=/work/shared/data python bench/signatures.py --raw-ink   # grey levels as scanned
"""

from __future__ import annotations

import argparse
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
from ocr.verify import verify_signature  # noqa: E402
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
                                     input_shape=args.input_size, ink_normalized=not args.raw_ink)
    raw = st.load_signatures(writers, config.input_shape, ink_normalized=False)
    data = st.SignatureSet(reinked(raw.images, 1.0, config.ink_normalized), raw.writer, raw.genuine,
                           raw.writer_ids)
    folds = st.writer_folds(list(writers), args.folds, args.seed)
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
        emb = st.embed(embedding, data.images)
        calibration = st.calibrate(emb, data, data.indices(val_ids), seed=args.seed)
        fold = {"test": test_ids, "validation": val_ids, "train": train_ids,
                "selected_combine": calibration["combine"], "results": {}}
        for method, table in calibration["validation_eer"].items():
            for k in st.REFERENCE_COUNTS:
                if str(k) not in table:
                    continue
                scores = st.trial_scores(emb, data, data.indices(test_ids), k, method,
                                         trials=args.trials, seed=args.seed)
                threshold = table[str(k)]["threshold"]
                eer, _ = st.equal_error_rate(scores["genuine"], scores["skilled"])
                rates = st.rates_at(scores, threshold)
                fold["results"][f"{method}/{k}"] = {"eer": eer, "threshold": threshold, **rates}
                slot = pooled.setdefault((method, k), {"genuine": [], "skilled": [], "random": [],
                                                       "correct": {}, "eers": []})
                slot["eers"].append(eer)
                for key in ("genuine", "skilled", "random"):
                    slot[key].append(scores[key])
                # Decisions use each fold's own calibrated threshold, so count them per fold.
                for key, accept in (("genuine", True), ("skilled", False), ("random", False)):
                    ok = (scores[key] >= threshold) if accept else (scores[key] < threshold)
                    slot["correct"].setdefault(key, []).append(ok)
        fold["pen"] = pen_sensitivity(embedding, emb, raw, data.indices(test_ids), calibration,
                                      config.ink_normalized, args)
        for factor, rates in fold["pen"].items():
            pen_by_factor.setdefault(factor, []).append(rates)
        per_fold.append(fold)
    pen = [{"factor": factor, **{key: float(np.mean([r[key] for r in folds_rates]))
                                 for key in ("frr", "far_skilled")}}
           for factor, folds_rates in sorted(pen_by_factor.items())]
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
    return {"rows": rows, "pen": pen, "folds": per_fold,
            "writers": len(writers), "images": int(len(data.writer)),
            "input": {"shape": list(config.input_shape), "ink_normalized": config.ink_normalized},
            "wall_time_s": round(time.time() - started, 1)}


def pen_sensitivity(embedding, emb: np.ndarray, raw: st.SignatureSet, test: list[int],
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
        questioned[rows] = st.embed(embedding, reinked(raw.images[rows], factor, ink_normalized))
        scores = st.trial_scores(emb, raw, test, PEN_REFERENCES, method, trials=args.trials,
                                 seed=args.seed, questioned_emb=questioned)
        rates = st.rates_at(scores, threshold)
        out[factor] = {"frr": rates["frr"], "far_skilled": rates["far_skilled"]}
    return out


def time_verification(args, repeats: int = 20) -> dict:
    """Median time of one reference/questioned verification on the CPU (bundled model)."""
    from ocr.models import load

    writers = st.find_writers(args.data)
    first = writers[sorted(writers)[0]]
    ref, questioned = first.genuine[0], first.genuine[1]
    loaded = load(args.model or "signet", kind="signature", runtime="keras")
    net = loaded.net
    shape, normalized = signature.input_format(loaded.card.input)

    def prepared(path):
        return signature.preprocess(path, shape, normalized)[None]

    def once():
        return net.predict_on_batch([prepared(ref), prepared(questioned)])

    def model_only(a=prepared(ref), b=prepared(questioned)):
        return net.predict_on_batch([a, b])

    out = {}
    for name, func in (("pair_with_preprocessing_ms", once), ("pair_model_only_ms", model_only)):
        func()  # warm-up: graph tracing
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            func()
            times.append(time.perf_counter() - t)
        out[name] = 1000 * float(np.median(times))
    t = time.perf_counter()
    verify_signature([ref], questioned, model=args.model)
    out["api_call_ms"] = 1000 * (time.perf_counter() - t)  # model already cached
    return out


def print_table(result: dict, timing: dict | None) -> None:
    shape, normalized = result["input"]["shape"], result["input"]["ink_normalized"]
    print(f"Writer-disjoint {len(result['folds'])}-fold cross-validation: {result['writers']} writers, "
          f"{result['images']} images, input {shape[0]}x{shape[1]}, "
          f"{'ink normalized' if normalized else 'raw grey levels'}, {result['wall_time_s']} s")
    print("| combine | refs | EER skilled (pooled) | EER (fold mean) | FRR | FAR skilled | "
          "FAR random | accuracy | genuine/skilled/random |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in result["rows"]:
        print(f"| {r['combine']} | {r['references']} | {r['eer_pooled']:.2%} | {r['eer_fold_mean']:.2%} | "
              f"{r['frr']:.2%} | {r['far_skilled']:.2%} | {r['far_random']:.2%} | {r['accuracy']:.2%} | "
              f"{r['n_genuine']}/{r['n_skilled']}/{r['n_random']} |")
    print(f"\nPen change of the questioned scans ({PEN_REFERENCES} references, calibrated threshold, "
          "fold means):")
    print("| ink strength | FRR | FAR skilled |")
    print("|---|---|---|")
    for r in result["pen"]:
        print(f"| x{r['factor']} | {r['frr']:.2%} | {r['far_skilled']:.2%} |")
    if timing:
        print(f"CPU time per verification (1 reference, median of 20): "
              f"{timing['pair_with_preprocessing_ms']:.1f} ms with preprocessing of both images, "
              f"{timing['pair_model_only_ms']:.1f} ms model only; "
              f"ocr.verify_signature call (model cached) {timing['api_call_ms']:.1f} ms")


def parse_size(text: str) -> tuple[int, int]:
    try:
        return signature.parse_input_size(text)
    except OcrError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=st.default_data_dir(),
                        help="Signature folder (default: $OCR_DATA_DIR/signatures/sign_data_sigcomp2011)")
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--val-writers", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=st.SignatureTrainConfig.epochs)
    parser.add_argument("--steps-per-epoch", type=int, default=st.SignatureTrainConfig.steps_per_epoch)
    parser.add_argument("--input-size", type=parse_size, default=signature.INPUT_SHAPE,
                        help="Network input HxW (default %(default)s).")
    parser.add_argument("--raw-ink", action="store_true",
                        help="Train and test on the scans' grey levels, without ink normalization.")
    parser.add_argument("--trials", type=int, default=10, help="Random reference draws per writer.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default=None, help="Model to time (default: bundled).")
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--json", type=Path, help="Also write the full results here.")
    args = parser.parse_args(argv)
    if args.data is None:
        parser.error("pass --data or set OCR_DATA_DIR")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    for noisy in ("absl", "tensorflow"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    result = cross_validate(args)
    timing = None if args.no_timing else time_verification(args)
    print_table(result, timing)
    if args.json:
        args.json.write_text(json.dumps({**result, "timing": timing}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
