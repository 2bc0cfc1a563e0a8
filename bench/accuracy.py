"""Print the table of the bundled models' test scores.

By default the scores recorded in each model's metadata at training time are
shown; ``--recompute`` evaluates again on the datasets in $OCR_DATA_DIR, and
``--check`` also fails (exit 1) unless every recomputed score equals the
recorded one to 4 decimals: the exact-reproduction check that the test suite
leaves out (its tests keep floors and ceilings that hold on any machine).
``printed-lines`` is rendered from the system fonts, so it reproduces only on
a machine with the fonts the model was scored with.

    python bench/accuracy.py [--recompute] [--check]
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from ocr.models import load, registry  # noqa: E402

# Published figures for context only; they use other protocols and are not measured here.
PUBLISHED = {
    "mnist:test": "LeNet-5 with distortions 99.2% (LeCun et al. 1998)",
    "emnist-bymerge:test -emnist-byclass:test": "official ByMerge SOTA ~91.8% (other protocol)",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recompute", action="store_true", help="evaluate again on the datasets")
    parser.add_argument("--check", action="store_true",
                        help="with --recompute implied: exit 1 unless every score matches the recorded one")
    args = parser.parse_args()
    args.recompute = args.recompute or args.check
    rows, mismatches = [], []
    for spec, card in registry.bundled():
        if card is None:
            rows.append((spec.name, "-", "weights missing", "", "-", "-", "-", "-"))
            continue
        trainer = spec.trainer()() if args.recompute else None
        size_mb = spec.weights.stat().st_size / 1e6
        training = card.training
        for ev in spec.evaluations:
            score = card.scores.get(ev.key, {})
            acc, cer, n = score.get("accuracy"), score.get("cer"), score.get("n")
            if trainer is not None:
                report = trainer.evaluate(load(spec.name, runtime="keras"), ev.dataset, ev.split, ev.exclude)
                acc, n, cer = report.accuracy, report.n, getattr(report, "cer", None)
                # A line model is judged by its CER, a glyph model by its accuracy.
                key = "cer" if cer is not None else "accuracy"
                recorded, measured = score.get(key), (cer if cer is not None else acc)
                if recorded is None or abs(measured - recorded) > 1e-4:
                    mismatches.append(f"{spec.name} {ev.key}: measured {measured:.4f}, recorded {recorded}")
            rows.append((spec.name, ev.key, f"{acc:.4f}" if acc is not None else "-",
                         f"{cer:.4f}" if cer is not None else "", str(n),
                         f"{card.parameters:,}", f"{size_mb:.2f}",
                         f"{training['epochs']} ep, {training['wall_time_s'] / 60:.0f} min, {training['device']}"))
    # Line models: accuracy is whole strings read exactly, CER the character error rate.
    header = ("model", "protocol", "accuracy", "CER", "n", "params", "MB", "training")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths)] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))
    print()
    for key, text in PUBLISHED.items():
        print(f"published, for context ({key}): {text}")
    if args.check:
        for line in mismatches:
            print(f"MISMATCH {line}")
        print("reproduced: all recorded scores" if not mismatches else f"{len(mismatches)} score(s) differ")
        raise SystemExit(1 if mismatches else 0)


if __name__ == "__main__":
    main()
