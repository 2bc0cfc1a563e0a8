"""Teaching charnet five new symbols from 20 samples each, and what it costs the old classes.

The symbols (€ § µ ✓ ¶) are not in the bundled charnet. Samples are made by
rendering them from the system's fonts (training/synth.py), then distorting them
like handwriting: an elastic distortion (Simard et al. 2003, alpha 34 px,
sigma 4 px on a 28x28 grid) on top of synth's weight, scale, rotation, blur and
noise. Training and test samples come from *disjoint font families* and
different seeds, so the test measures generalisation to unseen letterforms.

Compared in the same run:
  ours       `ocr train glyphs` defaults: frozen features, rehearsal of the old classes
  features   `--train-features`: all layers trained, with the same rehearsal
  naive      the usual fine-tune: all layers trained, no rehearsal

Adaptation (``--orand``): the ORAND-CAR-A cheque amounts are split by row of
gt.tsv (even rows adapt, odd rows test). The glyphs of the even rows are cut
out with `ocr glyphs extract` logic, the amount string as transcript, and the
digit model is fine-tuned on them; CER on the odd rows is measured before and
after, reading with `ocr read --digits`.

    OCR_DATA_DIR=../shared/data python bench/custom_glyphs.py [--orand] [--no-symbols]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from training.augment import elastic  # noqa: E402

SYMBOLS = "\u20ac\u00a7\u00b5\u2713\u00b6"  # € § µ ✓ ¶


def make_samples(per_class: int, fonts: list[Path], seed: int):
    from training.synth import render_glyphs

    data = render_glyphs(SYMBOLS, per_class, fonts=fonts, seed=seed)
    images = elastic(data.images, np.random.default_rng(seed))  # alpha 34, sigma 4
    return images, np.array([data.classes[i] for i in data.labels])


def write_folder(root: Path, images: np.ndarray, labels: np.ndarray) -> Path:
    for i, (image, label) in enumerate(zip(images, labels)):
        folder = root / f"U+{ord(label):04X}"
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(folder / f"{i:04d}.png")
    return root


def old_class_accuracy(model, labels, data) -> tuple[float, float]:
    """Accuracy on the old classes' test set, two ways.

    Restricted: probabilities summed into the dataset's classes (what `ocr evaluate`
    reports; a new class can never win). Any output: the arg-max over every
    class the model has must be the right one, so a new symbol (or punctuation)
    that outbids the true class counts as an error: this is what forgetting costs
    when reading.
    """
    from ocr.charsets import class_mapping, project_probabilities

    probs = model.predict(data.images, batch_size=1024, verbose=0)
    mapping = class_mapping(labels, data.classes)
    restricted = project_probabilities(probs, mapping, len(data.classes)).argmax(1) == data.labels
    any_output = mapping[probs.argmax(1)] == data.labels
    return float(restricted.mean()), float(any_output.mean())


def split_fonts():
    """Font families alternately into a training and a test group."""
    from training.synth import _covers, _family, find_fonts

    fonts = [f for f in find_fonts() if all(_covers(str(f), s) for s in SYMBOLS)]
    families = sorted({_family(str(f)) for f in fonts})
    train_families = set(families[0::2])
    train = [f for f in fonts if _family(str(f)) in train_families]
    test = [f for f in fonts if _family(str(f)) not in train_families]
    return train, test, families


def orand_adaptation(base: str, limit: int | None, train_features: bool) -> None:
    """Fine-tune the digit model on half of ORAND-CAR-A; CER on the other half before and after."""
    from ocr.models import read_card
    from ocr.pipeline import Predictor
    from ocr.recognize import Recognizer
    from training.datasets import orand_car_a
    from training.evaluate import read_digit_strings, string_scores
    from training.extract import extract_glyphs
    from training.finetune import FinetuneConfig, finetune

    adapt, test = orand_car_a(split="train"), orand_car_a(split="test")
    if limit:
        adapt, test = adapt[:(limit + 1) // 2], test[:limit // 2]

    def cer(model) -> tuple[float, float]:
        reads = read_digit_strings(Predictor(model, digits=True), [path for path, _ in test])
        return string_scores([truth for _, truth in test], reads)

    line_model = read_card(base).kind_object.trainer().samples == "lines"
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        written = lines = 0
        if line_model:
            # Whole cheque amounts as line images with their amount as transcript.
            (Path(tmp) / "lines").mkdir()
            for k, (path, truth) in enumerate(adapt):
                image = Path(tmp) / "lines" / f"{k:04d}{path.suffix}"
                image.symlink_to(path)
                (Path(tmp) / "lines" / f"{k:04d}.gt.txt").write_text(truth + "\n")
            written = lines = len(adapt)
        else:
            recognizer = Recognizer.load(base)
            for path, truth in adapt:
                report = extract_glyphs(path, [truth], f"{tmp}/glyphs", recognizer)
                written += report.written
                lines += bool(report.written)
        extract_s = time.perf_counter() - started
        started = time.perf_counter()
        finetune(FinetuneConfig(glyphs=f"{tmp}/lines" if line_model else f"{tmp}/glyphs", base=base,
                                out=f"{tmp}/adapted.keras", train_features=train_features, holdout=0.1))
        tune_s = time.perf_counter() - started
        before, before_exact = cer(base)
        after, after_exact = cer(f"{tmp}/adapted.keras")
    print()
    print(f"ORAND-CAR-A adaptation of {base}: {len(adapt)} strings to adapt, {len(test)} to test")
    if line_model:
        print(f"  adapted on whole amount images with their transcripts (90%; 10% held out), "
              f"all layers, with as many rehearsal strings; {tune_s:.0f} s")
    else:
        print(f"  extracted {written} digit glyphs from {lines} strings whose digit count matched "
              f"({extract_s:.0f} s); fine-tuned {base} in {tune_s:.0f} s "
              f"({'all layers' if train_features else 'frozen features'})")
    print(f"  {'':8s} {'CER':>7s} {'strings right':>14s}")
    print(f"  {'before':8s} {before:7.2%} {before_exact:14.2%}")
    print(f"  {'after':8s} {after:7.2%} {after_exact:14.2%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train-per-class", type=int, default=20)
    parser.add_argument("--test-per-class", type=int, default=200)
    parser.add_argument("--base", default="charnet")
    parser.add_argument("--orand", action="store_true", help="also run the ORAND-CAR-A adaptation")
    parser.add_argument("--orand-base", default="lenet,digitline",
                        help="Digit models to adapt, comma-separated (glyph or line models).")
    parser.add_argument("--orand-limit", type=int, default=None)
    parser.add_argument("--orand-train-features", action="store_true")
    parser.add_argument("--no-symbols", action="store_true", help="skip the new-symbol part")
    parser.add_argument("--seed", type=int, default=0, help="Fine-tuning seed (the samples stay the same).")
    parser.add_argument("--replay-per-class", type=int, default=None,
                        help="Rehearsal samples per old class for our method (default: ocr train glyphs').")
    args = parser.parse_args()
    if args.orand:
        for base in args.orand_base.split(","):
            orand_adaptation(base, args.orand_limit, args.orand_train_features)
    if args.no_symbols:
        return

    from ocr.models import load, registry
    from training.data import load_evaluation
    from training.finetune import FinetuneConfig, finetune

    train_fonts, test_fonts, families = split_fonts()
    if not train_fonts or not test_fonts:
        raise SystemExit("need at least two font families covering the symbols (apt fonts-dejavu-core "
                         "fonts-freefont-ttf)")
    x_train, y_train = make_samples(args.train_per_class, train_fonts, seed=11)
    x_test, y_test = make_samples(args.test_per_class, test_fonts, seed=12)
    print(f"symbols {SYMBOLS}; {len(families)} font families, train fonts {len(train_fonts)}, "
          f"test fonts {len(test_fonts)} (disjoint families)")
    print(f"train samples {len(y_train)} ({args.train_per_class}/class), test samples {len(y_test)}")

    loaded = load(args.base, runtime="keras")
    base, meta = loaded.net, loaded.card.metadata
    evaluation = registry.get_spec("charnet").evaluations[0]
    old_set, _ = load_evaluation(evaluation.dataset, evaluation.split, evaluation.exclude, None)
    before_restricted, before_any = old_class_accuracy(base, meta["labels"], old_set)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_folder(Path(tmp) / "glyphs", x_train, y_train)
        ours = {} if args.replay_per_class is None else {"replay_per_class": args.replay_per_class}
        for name, options in (("ours (frozen + rehearsal)", ours),
                              ("all layers + rehearsal", {"train_features": True, **ours}),
                              ("naive (all layers, no rehearsal)",
                               {"train_features": True, "replay_per_class": 0})):
            started = time.perf_counter()
            result = finetune(FinetuneConfig(glyphs=str(folder), base=args.base,
                                             out=f"{tmp}/{len(rows)}.keras", holdout=0.0, seed=args.seed,
                                             **options))
            seconds = time.perf_counter() - started
            tuned = load(result.path, runtime="keras")
            model, new_meta = tuned.net, tuned.card.metadata
            labels = "".join(new_meta["labels"])
            predicted = np.array([labels[i] for i in model.predict(x_test, verbose=0).argmax(1)])
            per_symbol = {s: float((predicted[y_test == s] == s).mean()) for s in SYMBOLS}
            restricted, any_output = old_class_accuracy(model, labels, old_set)
            rows.append((name, float((predicted == y_test).mean()), per_symbol,
                         restricted - before_restricted, any_output - before_any, seconds))
    print()
    print(f"base {args.base} on {evaluation.key} ({len(old_set)} images): {before_restricted:.4f} "
          f"restricted to its classes, {before_any:.4f} over all outputs")
    print(f"{'method':34s} {'new symbols':>11s}  {'per symbol':40s} {'old: restricted':>15s} "
          f"{'old: any output':>15s} {'wall s':>7s}")
    for name, acc, per_symbol, d_restricted, d_any, seconds in rows:
        detail = " ".join(f"{s}:{v:.0%}" for s, v in per_symbol.items())
        print(f"{name:34s} {acc:11.2%}  {detail:40s} {d_restricted * 100:+13.2f}pt "
              f"{d_any * 100:+13.2f}pt {seconds:7.1f}")


if __name__ == "__main__":
    main()
