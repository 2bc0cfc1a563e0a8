"""Tune ``ocr read``'s default router (``ocr/recognize_mixed.py``) on tuning lines: score the threshold rule's grid, and fit the learnt route.

The router reads every line with the print model and sends the lines it is
unsure of to the cursive and glyph models. What it should keep depends on
what the models and the preprocessing give, so it is tuned again when either
changes. Each tuning line is read once by all three models (their readings
and confidences kept, ``--readings``), then every rule of the grid is scored
without reading again; ``--fit OUT.json`` fits a learnt route
(:class:`ocr.recognize_mixed.LearnedRoute`) on the same readings, scores it
on held-out halves of each set, and writes it (the bundled one is
``ocr/models/weights/router.json``).

Tuning sets, never the benchmarks' test sets:
- FUNSD dev line crops (``bench/real_lines.py``'s crops, real ~100 dpi print);
- pages composed from MNIST *train* digits and EMNIST *ByClass test* glyphs
  (the hand-printed benchmark reads MNIST test and ByMerge test), scored
  case-insensitively as that benchmark scores EMNIST;
- the Testaments *validation* writers' lines (cursive);
- English cursive lines: prose of the ``fortunes`` collections a language
  model may count, written in the *training* handwriting faces with a seed of
  its own (``bench/handwriting.py --english`` writes other prose in the
  held-out faces);
- the dev pages of the printed page sets (``pages/oldbooks``, ``docbank``,
  ``omnidocbench``; ``bench/real_documents.py`` reads their test pages):
  real print at its own resolution, whose lines the print model is not
  always sure of (headings, italics, small print) and which must stay print.

Prints the current rule's CER per set, the best rules by the mean of the
sets' CER, and the chosen one's.

    OCR_DATA_DIR=../shared/data python bench/router.py [--funsd-lines 800] [--hand-pages 6] \
        [--book-pages 8] [--readings R.pkl] [--fit OUT.json]
"""

from __future__ import annotations

import argparse
import functools
import itertools
import pickle
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402

from ocr.paths import env_data_dir  # noqa: E402


@dataclass
class LineReads:
    """One line's readings by the three models, and what the router weighs them with."""

    printed: list
    rating: float           # the print model's mean confidence (recognize_and_rate)
    cursive: list
    hand: list
    glyphs: int             # separate ink components of the line


@dataclass
class Item:
    """A tuning image (one line or one page) with its truth and its lines' readings."""

    truth: str
    lines: list[LineReads]
    fold_case: bool = False
    locate: bool = False    # a page whose lines are found in its truth (located_line_errors)


@dataclass
class Readers:
    """The default pairing's three models, loaded once."""

    printed: object
    cursive: object
    hand: object

    @classmethod
    def load(cls) -> "Readers":
        from ocr.recognize import Recognizer
        from ocr.recognize_lines import LineRecognizer
        from ocr.recognize_mixed import CURSIVE_MODEL, HAND_MODEL, PRINT_MODEL

        return cls(LineRecognizer.load(PRINT_MODEL), LineRecognizer.load(CURSIVE_MODEL),
                   Recognizer.load(HAND_MODEL))


def read_all(readers: Readers, images, layout: str) -> list[list[LineReads]]:
    """Every line of every image (an array or a loaded page) read by the print, cursive and glyph models, with their
    post-processing applied as the pipeline does."""
    from ocr.io import PageImage
    from ocr.pipeline import analyse_page
    from ocr.postprocess import apply_steps

    out = []
    for k, image in enumerate(images):
        page = image if isinstance(image, PageImage) else PageImage(f"tuning{k}", 0, image)
        analysis = analyse_page(page, layout=layout)
        if analysis.layout is None or not analysis.layout.lines:
            out.append([])
            continue
        comp, lines = analysis.layout.components, analysis.layout.lines
        p_words, ratings = readers.printed.recognize_and_rate(comp, lines)
        c_words = readers.cursive.recognize_lines(comp, lines)
        h_words = readers.hand.recognize_lines(comp, lines)
        out.append([LineReads(apply_steps(pw), r, apply_steps(cw), apply_steps(hw), len(line.glyphs))
                    for line, pw, r, cw, hw in zip(lines, p_words, ratings, c_words, h_words)])
    return out


def text_of(words) -> str:
    return " ".join("".join(c.text for c in w) for w in words)


def threshold_choice(ln: LineReads, rule: tuple[float, float, float, float]) -> str:
    """Which reading the threshold rule (``MixedRecognizer`` without a learnt route) keeps."""
    from ocr.recognize_mixed import is_cursive, is_hand_print

    threshold, cursive_confidence, chars_per_glyph, hand_margin = rule
    if ln.rating >= threshold:
        return "print"
    if is_cursive(ln.cursive, ln.glyphs, cursive_confidence, chars_per_glyph):
        return "cursive"
    return "hand" if is_hand_print(ln.hand, ln.rating, hand_margin) else "print"


@functools.lru_cache(maxsize=1)
def route_language():
    """The language model the learnt route weighs readings under: the print model's."""
    from ocr.language import language_model_for
    from ocr.models.registry import resolve
    from ocr.recognize_mixed import PRINT_MODEL

    return language_model_for(resolve(PRINT_MODEL))


def features_of(ln: LineReads):
    from ocr.recognize_mixed import route_features

    return route_features(ln.rating, ln.printed, ln.cursive, ln.hand, ln.glyphs, route_language())


def route_choice(ln: LineReads, route) -> str:
    """Which reading a learnt route keeps (lines the print model is sure of stay print)."""
    from ocr.recognize_mixed import PRINT_CONFIDENCE

    if ln.rating >= PRINT_CONFIDENCE:
        return "print"
    return route.choose(features_of(ln))


def choose(ln: LineReads, rule) -> str:
    return threshold_choice(ln, rule) if isinstance(rule, tuple) else route_choice(ln, rule)


def reading(ln: LineReads, reader: str) -> list:
    return {"print": ln.printed, "cursive": ln.cursive, "hand": ln.hand}[reader]


def line_errors(item: Item) -> list[np.ndarray] | None:
    """Each line's character errors under the print, cursive and glyph readings, or None when
    the image's lines cannot be paired with its truth's (a line split or merged)."""
    from ocr.recognize_mixed import READERS
    from training.datasets.documents import flatten
    from training.evaluate import edit_distance

    truths = [item.truth] if len(item.lines) == 1 else item.truth.split("\n")
    if len(truths) != len(item.lines):
        return located_line_errors(item) if item.locate else None
    out = []
    for ln, truth in zip(item.lines, truths):
        truth = flatten(truth)
        row = []
        for reader in READERS:
            read = flatten(text_of(reading(ln, reader)))
            if item.fold_case:
                truth, read = truth.upper(), read.upper()
            row.append(edit_distance(truth, read))
        out.append(np.array(row, np.float64))
    return out


def located_line_errors(item: Item, most: float = 0.5) -> list[np.ndarray]:
    """Each line's character errors under the three readings on a page whose lines do not pair
    with its truth's: the line's truth is the substring of the page's truth that its best
    reading (fewest errors per character) matches; a line none matches within ``most`` errors
    per character (noise, a figure's fragments) has no truth, and every character read is one
    error."""
    from ocr.recognize_mixed import READERS
    from training.datasets.documents import flatten
    from training.evaluate import closest_substring, edit_distance

    page = flatten(item.truth)
    out = []
    for ln in item.lines:
        reads = [flatten(text_of(reading(ln, reader))) for reader in READERS]
        spans = [closest_substring(r, page) + (len(r),) for r in reads if len(r) >= 3]
        best = min(spans, key=lambda s: s[0] / s[3], default=None)
        truth = page[best[1]:best[2]] if best and best[0] <= most * best[3] else ""
        out.append(np.array([edit_distance(truth, r) for r in reads], np.float64))
    return out


def route_samples(sets: dict[str, list[Item]], keep=lambda k: True):
    """Features, per-reader errors and weights of the unsure lines of the items ``keep`` admits
    (by index in their set): each set weighs as its CER does, 1 / its characters, times its
    :data:`SET_WEIGHTS`."""
    from ocr.recognize_mixed import PRINT_CONFIDENCE
    from training.datasets.documents import flatten

    features, errors, weights = [], [], []
    skipped = 0
    for name, items in sets.items():
        chosen = [item for k, item in enumerate(items) if keep(k)]
        chars = sum(len(flatten(item.truth)) for item in chosen) or 1
        for item in chosen:
            per_line = line_errors(item)
            if per_line is None:
                skipped += 1
                continue
            for ln, errs in zip(item.lines, per_line):
                if ln.rating < PRINT_CONFIDENCE:
                    features.append(features_of(ln))
                    errors.append(errs)
                    weights.append(SET_WEIGHTS.get(name, 1.0) / chars)
    if skipped:
        print(f"{skipped} images left out of the fit: their lines do not pair with their truth's")
    return np.array(features), np.array(errors), np.array(weights)


def fit(sets: dict[str, list[Item]], current, out: str | None) -> None:
    """Fit a learnt route on half of each set and score the other half, then fit on all and
    score it beside the threshold rule; write it to ``out``."""
    from training.router import fit_route

    names = list(sets)
    halves = {}
    for part in (0, 1):
        route = fit_route(*route_samples(sets, lambda k: k % 2 == part))
        held = {n: [it for k, it in enumerate(sets[n]) if k % 2 != part] for n in names}
        halves[part] = [set_cer(held[n], route) for n in names], [set_cer(held[n], current) for n in names]
    print("\nlearnt route fitted on one half of each set, scored on the other (route / threshold rule):")
    for part, (learnt, rule) in halves.items():
        print(f"  fitted on {'even' if part == 0 else 'odd'} items: " + " | ".join(
            f"{n} {a:.2%} / {b:.2%}" for n, a, b in zip(names, learnt, rule)))
    features, errors, weights = route_samples(sets)
    route = fit_route(features, errors, weights)
    cers = {n: set_cer(sets[n], route) for n in names}
    print("\n| rule | " + " | ".join(names) + " | mean |")
    print("|" + " --- |" * (len(names) + 2))
    for label, rule in (("threshold rule " + str(current), current), ("learnt route", route)):
        values = [set_cer(sets[n], rule) for n in names]
        print(f"| {label} | " + " | ".join(f"{c:.2%}" for c in values) + f" | {sum(values) / len(values):.2%} |")
    if out:
        from ocr.recognize_mixed import CURSIVE_MODEL, HAND_MODEL, PRINT_CONFIDENCE, PRINT_MODEL

        about = {"fitted_by": "bench/router.py --fit", "models": {"print": PRINT_MODEL, "cursive": CURSIVE_MODEL,
                                                                  "hand": HAND_MODEL},
                 "unsure_below": PRINT_CONFIDENCE, "lines": int(len(features)),
                 "sets": {n: len(sets[n]) for n in names}, "set_weights": SET_WEIGHTS,
                 "tuning_cer": {n: round(c, 5) for n, c in cers.items()},
                 "held_out_halves_cer": {n: [round(halves[0][0][k], 5), round(halves[1][0][k], 5)]
                                         for k, n in enumerate(names)}}
        replace(route, about=about).save(out)
        print(f"wrote {out}")


_scored: dict[tuple[int, tuple[str, ...]], tuple[int, int]] = {}


def set_cer(items: list[Item], rule) -> float:
    """The items' CER when each line keeps the reading ``rule`` chooses (scored once per item
    and set of choices: most rules of the grid choose alike)."""
    from training.datasets.documents import flatten
    from training.evaluate import edit_distance

    errors = chars = 0
    for item in items:
        choices = tuple(choose(ln, rule) for ln in item.lines)
        key = (id(item), choices)
        if key not in _scored:
            truth = flatten(item.truth)
            read = flatten("\n".join(text_of(reading(ln, c)) for ln, c in zip(item.lines, choices)))
            if item.fold_case:
                truth, read = truth.upper(), read.upper()
            _scored[key] = edit_distance(truth, read), len(truth)
        errors += _scored[key][0]
        chars += _scored[key][1]
    return errors / max(chars, 1)


PRINTED_PAGES = "printed dev pages"
HAND_PRINT_PAGES = "EMNIST ByClass test pages"
#: How much more than its CER a set weighs in the fit. A cursive model trained on lines drawn
#: in handwriting faces (some of them print hands) is sure of more hand-printed lines, and a
#: route fitted with every set alike sent EMNIST lines to it: the hand-printed benchmark's
#: ByMerge pages 24.43 -> 27.02% (bench/RESULTS.md, handwriting session 23).
SET_WEIGHTS = {HAND_PRINT_PAGES: 5.0}
ENGLISH_LINES = "English font lines"
TUNING_SETS = ("FUNSD dev lines", "MNIST train pages", HAND_PRINT_PAGES, "Testaments val lines",
               ENGLISH_LINES, PRINTED_PAGES)
#: English tuning lines, and their seed (no training run or benchmark draws with it).
ENGLISH_TUNING_LINES, ENGLISH_TUNING_SEED = 120, 77
PAGE_SETS = ("oldbooks", "docbank", "omnidocbench")


def tuning_sets(data_dir: Path, funsd_lines: int, hand_pages: int, book_pages: int, work: Path,
                have: dict[str, list[Item]] | None = None) -> dict[str, list[Item]]:
    """The tuning sets (:data:`TUNING_SETS`) read by the three models; those in ``have`` (kept
    readings) are not read again, so dropping a set from a readings file reads it anew."""
    from ocr.io import load as load_pages
    from training.datasets.documents import documents

    readers = Readers.load()
    sets: dict[str, list[Item]] = dict(have or {})
    read_hand_and_lines(readers, sets, data_dir, funsd_lines, hand_pages, work)
    if PRINTED_PAGES not in sets:
        docs = [d for name in PAGE_SETS for d in documents(data_dir, name, "dev", book_pages)]
        pages = [load_pages(image)[0] for image, _ in docs]
        sets[PRINTED_PAGES] = [Item(truth.read_text(encoding="utf-8", errors="replace"), reads, locate=True)
                               for (_, truth), reads in zip(docs, read_all(readers, pages, "auto"))]
    return {name: sets[name] for name in TUNING_SETS}


def read_hand_and_lines(readers: Readers, sets: dict[str, list[Item]], data_dir: Path, funsd_lines: int,
                        hand_pages: int, work: Path) -> None:
    import cv2

    from ocr_vs_tesseract import handprinted_pages
    from real_lines import cut_lines
    from training.datasets import handwritten_lines, load

    if "FUNSD dev lines" not in sets:
        (work / "funsd").mkdir()
        crops = cut_lines(data_dir, "dev", funsd_lines, work / "funsd")
        images = [cv2.imread(str(path), cv2.IMREAD_GRAYSCALE) for path, _ in crops]
        sets["FUNSD dev lines"] = [Item(line.text, reads) for (_, line), reads in
                                   zip(crops, read_all(readers, images, "line"))]
    for name, dataset, split, fold in (("MNIST train pages", "mnist", "train", False),
                                       (HAND_PRINT_PAGES, "emnist-byclass", "test", True)):
        if name in sets:
            continue
        ds = load(dataset, split, data_dir)
        folder = work / dataset
        folder.mkdir()
        truths = handprinted_pages(folder, ds.images, [ds.classes[i] for i in ds.labels], hand_pages, seed=7)
        pages = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in sorted(folder.glob("*.png"))]
        sets[name] = [Item(t, reads, fold) for t, reads in zip(truths, read_all(readers, pages, "auto"))]
    if "Testaments val lines" not in sets:
        lines = handwritten_lines(data_dir, "val")
        images = [cv2.imread(str(ln.path), cv2.IMREAD_GRAYSCALE) for ln in lines]
        sets["Testaments val lines"] = [Item(ln.text, reads) for ln, reads in
                                        zip(lines, read_all(readers, images, "line"))]
    if ENGLISH_LINES not in sets:
        from ocr import charsets
        from training.handwriting_fonts import hand_font_lines
        from training.language import fortune_files, prose_lines

        prose = prose_lines(fortune_files(), charsets.HANDWRITING, seed=ENGLISH_TUNING_SEED)
        prose = [prose[i] for i in np.random.default_rng(ENGLISH_TUNING_SEED).permutation(len(prose))[:2000]]
        scans, texts = hand_font_lines(ENGLISH_TUNING_LINES, charsets.HANDWRITING, prose, seed=ENGLISH_TUNING_SEED,
                                       workers=1, scans=True, transcript_share=1.0)
        sets[ENGLISH_LINES] = [Item(t, reads) for t, reads in zip(texts, read_all(readers, scans, "line"))]


def main(argv=None) -> int:
    from ocr.recognize_mixed import CURSIVE_CHARS_PER_GLYPH, CURSIVE_CONFIDENCE, HAND_MARGIN, PRINT_CONFIDENCE

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=str(env_data_dir() or ROOT.parent / "shared" / "data"))
    # The bundled route was fitted with these. With 400 lines and 2 pages of each hand the fit
    # moved with a few lines: it read the hand-printed benchmark's ByMerge pages at 26.56%
    # against 24.12% (bench/RESULTS.md, real print session 27).
    ap.add_argument("--funsd-lines", type=int, default=800)
    ap.add_argument("--hand-pages", type=int, default=6)
    ap.add_argument("--book-pages", type=int, default=8, help="Dev pages of each printed page set.")
    ap.add_argument("--top", type=int, default=8, help="Rules to list.")
    ap.add_argument("--fit", metavar="OUT.json", nargs="?", const="",
                    help="Also fit a learnt route (ocr.recognize_mixed.LearnedRoute) on the tuning lines, "
                         "score it on held-out halves and beside the threshold rule, and write it to OUT.json "
                         "when given (ocr/models/weights/router.json is the bundled one).")
    ap.add_argument("--readings", help="Keep the three models' readings in this pickle file, and score "
                                       "from it when it exists (no reading again; a set missing from it "
                                       "is read and added).")
    args = ap.parse_args(argv)
    sets = None
    if args.readings and Path(args.readings).is_file():
        try:
            with open(args.readings, "rb") as f:
                sets = pickle.load(f)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
            ap.error(f"{args.readings}: not readings this script kept ({exc}); delete it to read again")
        if not isinstance(sets, dict):
            ap.error(f"{args.readings}: not readings this script kept; delete it to read again")
    if sets is None or set(sets) != set(TUNING_SETS):  # some not read yet (or kept by an older version)
        from ocr.errors import OcrError

        try:
            with tempfile.TemporaryDirectory() as tmp:
                sets = tuning_sets(Path(args.data_dir), args.funsd_lines, args.hand_pages, args.book_pages,
                                   Path(tmp), sets)
        except OcrError as exc:  # a dataset or model missing: one line, exit 2
            ap.error(str(exc))
        if args.readings:
            from ocr.fileio import write_bytes_atomic

            write_bytes_atomic(args.readings, pickle.dumps(sets))
    names = list(sets)
    grid = list(itertools.product((0.8, 0.85, 0.9, 0.93, 0.95, 0.97), (0.5, 0.6, 0.65, 0.7, 0.8, 0.9),
                                  (1.8, 2.2, 2.6, 99.0), (0.0, 0.05, 0.1, 0.2)))
    current = (PRINT_CONFIDENCE, CURSIVE_CONFIDENCE, CURSIVE_CHARS_PER_GLYPH, HAND_MARGIN)
    if current not in grid:
        grid.append(current)
    scored = [(rule, [set_cer(sets[n], rule) for n in names]) for rule in grid]
    scored.sort(key=lambda rc: sum(rc[1]) / len(rc[1]))
    header = "| print < | cursive >= | chars/glyph >= | hand margin | " + " | ".join(names) + " | mean |"
    print(header)
    print("|" + " --- |" * (4 + len(names) + 1))
    for rule, cers in [(current, dict(scored)[current])] + [rc for rc in scored[:args.top] if rc[0] != current]:
        mark = " (current)" if rule == current else ""
        print(f"| {rule[0]}{mark} | {rule[1]} | {rule[2]} | {rule[3]} | "
              + " | ".join(f"{c:.2%}" for c in cers) + f" | {sum(cers) / len(cers):.2%} |")
    print("lines/pages:", {n: len(sets[n]) for n in names})
    for k, name in enumerate(names):
        rule, cers = min(scored, key=lambda rc: rc[1][k])
        print(f"best for {name} alone: {rule} -> {cers[k]:.2%}")
    never = (0.0, 2.0, 99.0, 2.0)  # every line stays with the print model
    print("print model alone:", " | ".join(f"{n} {set_cer(sets[n], never):.2%}" for n in names))
    if args.fit is not None:
        fit(sets, current, args.fit or None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
