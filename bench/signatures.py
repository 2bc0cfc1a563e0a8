"""Benchmark of signature verification on writers never seen in training (issue 4).

Writer-disjoint cross-validation: the writers are split into folds; for each
fold a fresh Siamese network is trained on the other writers minus a few
validation writers, which calibrate the threshold at the equal-error point
(exactly the ``ocr train signature`` recipe), and the fold's writers are scored.
For 1, 3 and 5 references and both score combinations (mean, max) it reports:
EER against skilled forgeries (pooled over folds), and FRR, FAR (skilled), FAR
(random: other test writers' genuine signatures) and accuracy at the threshold
calibrated on validation writers. It also times one verification on the CPU
with the bundled model.

    OCR_DATA_DIR=/work/shared/data python bench/signatures.py --folds 4
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

from training import signatures as st  # noqa: E402

log = logging.getLogger("bench.signatures")


def cross_validate(args) -> dict:
    writers = st.find_writers(args.data)
    config = st.SignatureTrainConfig(data=str(args.data), epochs=args.epochs,
                                     steps_per_epoch=args.steps_per_epoch, seed=args.seed)
    data = st.load_signatures(writers, config.input_shape)
    folds = st.writer_folds(list(writers), args.folds, args.seed)
    pooled: dict = {}
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
        per_fold.append(fold)
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
    return {"rows": rows, "folds": per_fold, "writers": len(writers), "images": int(len(data.writer)),
            "wall_time_s": round(time.time() - started, 1)}


def time_verification(args, repeats: int = 20) -> dict:
    """Median time of one reference/questioned verification on the CPU (bundled model)."""
    from ocr import signature
    from ocr.models import siamese

    writers = st.find_writers(args.data)
    first = writers[sorted(writers)[0]]
    ref, questioned = first.genuine[0], first.genuine[1]
    net, meta = siamese.load_signature_model(args.model)
    shape = tuple(meta["input"]["shape"])

    def once():
        a = signature.preprocess(ref, shape)[None]
        b = signature.preprocess(questioned, shape)[None]
        return net.predict_on_batch([a, b])

    def model_only(a=signature.preprocess(ref, shape)[None], b=signature.preprocess(questioned, shape)[None]):
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
    signature.verify_signature([ref], questioned, model=args.model)
    out["api_call_ms"] = 1000 * (time.perf_counter() - t)  # model already cached
    return out


def print_table(result: dict, timing: dict | None) -> None:
    print(f"Writer-disjoint {len(result['folds'])}-fold cross-validation: {result['writers']} writers, "
          f"{result['images']} images, {result['wall_time_s']} s")
    print("| combine | refs | EER skilled (pooled) | EER (fold mean) | FRR | FAR skilled | "
          "FAR random | accuracy | genuine/skilled/random |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in result["rows"]:
        print(f"| {r['combine']} | {r['references']} | {r['eer_pooled']:.2%} | {r['eer_fold_mean']:.2%} | "
              f"{r['frr']:.2%} | {r['far_skilled']:.2%} | {r['far_random']:.2%} | {r['accuracy']:.2%} | "
              f"{r['n_genuine']}/{r['n_skilled']}/{r['n_random']} |")
    if timing:
        print(f"CPU time per verification (1 reference, median of 20): "
              f"{timing['pair_with_preprocessing_ms']:.1f} ms with preprocessing of both images, "
              f"{timing['pair_model_only_ms']:.1f} ms model only; "
              f"ocr.verify_signature call (model cached) {timing['api_call_ms']:.1f} ms")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=st.default_data_dir(),
                        help="Signature folder (default: $OCR_DATA_DIR/signatures/sign_data_sigcomp2011)")
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--val-writers", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=st.SignatureTrainConfig.epochs)
    parser.add_argument("--steps-per-epoch", type=int, default=st.SignatureTrainConfig.steps_per_epoch)
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
