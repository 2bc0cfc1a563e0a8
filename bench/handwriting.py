"""Benchmark handwriting recognition against Tesseract on real cursive lines (issue 16), same run.

Set: the Testaments de Poilus lines (``handwriting/testaments-de-poilus`` under
--data-dir or $OCR_DATA_DIR), split by writer once and for all
(``training.datasets.writer_split``): the ``test`` writers are never trained
on or tuned on, ``val`` is for model selection. Ground truth normalised as the
model is trained (``normalize_transcript``).

Engines, each over the same line images:

- ``ocr read --model M --layout line`` and ``ocr read --model M`` (one
  process for all lines, ``--format json``): the whole pipeline a user gets,
  preprocessing, segmentation (each image one line, or found lines), the
  line model;
- the line model on each image as one line (``line`` rows): binarized as
  ``ocr read`` does, no segmentation, i.e. what the model itself reads, by
  best path and with its language model (``NAME.lm.json.gz``) when it has one;
- ``ocr read`` with its default model (``auto``: print line model, glyph
  model for unsure lines), what a user got before the handwriting model;
- Tesseract 5 (``--psm 7``, one line, ``-l fra+eng``, ``OMP_THREAD_LIMIT=1``).

Metrics: CER (edit distance over reference characters, whitespace runs
collapsed) and WER, pooled over the lines.

``--pages``: paragraphs. shared/ has no handwritten pages, so each page of a
will is put back together from its line images (in order, at least three),
stacked ``--overlap`` pixels closer than their 80-row crops so that
ascenders and descenders of neighbouring lines touch, each shifted left or
right at random; ``ocr read`` (segmentation finds the lines) and Tesseract
(``--psm 6``) read the page, scored on the page's text. ``--page-kinds`` adds
what real paragraphs do that a stack of straight crops does not, a table row
each (:data:`PAGE_KINDS`): ``tilted`` (each line turned by up to 2 degrees),
``bent`` (the rows rising and falling along a sine wave, a curled sheet),
``ruled`` (a black rule along each line's baseline, lined paper), ``small``
(the page at half its resolution), ``inverted`` (white on black).

``--english N``: shared/ has no English cursive, so instead of the wills N
lines of English prose (Debian's ``fortunes`` collections no language model
counts, ``training.language.HELD_OUT_FORTUNES``) are written in the
handwriting faces no training run draws with
(``training.handwriting_fonts.HELD_OUT_PACKAGES``: Kristi, a quick joined
hand, and Femke Klaver, a print hand), made irregular and scanned as the
training renders are, a tenth white on black; with ``--pages`` also
paragraphs of 4 to 7 of them (every other one at half the resolution, every
third one white on black). Tesseract reads them ``-l eng``. A proxy for
English hands, not one: a face is steadier than a hand.

``--english N --tuning``: the set to choose settings on instead, so that the
held-out faces and prose stay unseen: N lines of the licence texts Debian
installs (``/usr/share/common-licenses``) written in the training faces, and
paragraphs of them as above.

Usage::

    OCR_DATA_DIR=../shared/data python bench/handwriting.py --split test
    OCR_DATA_DIR=../shared/data python bench/handwriting.py --split test --pages
    OCR_DATA_DIR=../shared/data python bench/handwriting.py --split val --pages \\
        --models '' --page-kinds plain,tilted,bent,ruled,small,inverted
    python bench/handwriting.py --english 150 --pages
    python bench/handwriting.py --english 150 --tuning --pages --skip-tesseract
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ocr_vs_tesseract import cer_wer, tesseract_batch  # noqa: E402
from real_documents import ours  # noqa: E402


def line_model_reads(model: str, paths: list, deslant: str | None = None) -> dict[str, list[str]]:
    """The line model on each line image as one line (Keras, the reference runtime), decoded
    by best path and, when the model has a language model beside it, with that too; the ink
    deslanted first when the model's card asks for it (``input.deslant``), as reading does.
    ``deslant`` (JSON such as ``{"estimate_factor": 0.3}``, or ``none``) replaces the card's
    rule: how a rule is chosen on the validation writers."""
    from ocr.language import language_model_for
    from ocr.models import load
    from training.evaluate import read_line_files

    loaded = load(model, runtime="keras")
    if deslant is None:
        deslant = loaded.card.deslant
    else:
        from ocr.deslant import DeslantRule
        deslant = DeslantRule.parse(deslant)
    reads = {"best path": read_line_files(loaded.net, loaded.labels, paths, deslant=deslant)}
    lm = language_model_for(loaded.path)
    if lm is not None:
        reads[f"{lm.order}-gram beam search"] = read_line_files(loaded.net, loaded.labels, paths, lm, deslant)
    return reads


ENGLISH_SEED = 20261204  # no training run draws with it
#: The English tuning set (``--english N --tuning``): its prose's order, its lines' and its
#: paragraphs' seeds (handwriting session 43).
TUNING_PROSE_SEED, TUNING_LINE_SEED, TUNING_PARAGRAPH_SEED = 7, 77, 5
#: Where the tuning prose comes from: the licence texts Debian installs, which neither the
#: language models nor the English benchmark count.
LICENCE_DIR = Path("/usr/share/common-licenses")


def tuning_lines(n: int, work: Path) -> tuple[list[Path], list[str]]:
    """``n`` English lines to choose settings on, not to report as held out: licence prose
    written in the training faces (``handwriting_fonts()``), scanned as the English benchmark's
    lines are; the held-out faces and prose stay for the benchmark."""
    from training.handwriting_fonts import handwriting_fonts

    texts = sorted(p for p in LICENCE_DIR.glob("*") if p.is_file()) if LICENCE_DIR.is_dir() else []
    return written_lines(n, work, handwriting_fonts(), texts, TUNING_PROSE_SEED, TUNING_LINE_SEED, "line",
                         "--tuning needs the training handwriting faces and Debian's licence texts "
                         f"({LICENCE_DIR}): apt-get install fonts-dkg-handwriting fonts-breip base-files")


def english_lines(n: int, work: Path) -> tuple[list[Path], list[str]]:
    """``n`` English cursive line scans (written to ``work``; their paths) and their texts:
    English prose (``fortunes`` collections no language model counts, ``HELD_OUT_FORTUNES``)
    written in the handwriting faces no training run uses (``HELD_OUT_PACKAGES``), made
    irregular and scanned as training lines are (a tenth white on black), with a seed no
    training run uses."""
    from training.handwriting_fonts import handwriting_fonts
    from training.language import fortune_files

    return written_lines(n, work, handwriting_fonts(held_out=True), fortune_files(held_out=True), ENGLISH_SEED,
                         ENGLISH_SEED, "english", "--english needs the held-out handwriting faces and English "
                         "prose: apt-get install fonts-kristi fonts-femkeklaver fortunes")


def written_lines(n: int, work: Path, fonts: dict, prose_files: list[Path], prose_seed: int, line_seed: int,
                  stem: str, missing: str) -> tuple[list[Path], list[str]]:
    """``n`` lines of the prose in ``prose_files`` (shuffled with ``prose_seed``) written in
    ``fonts`` with ``line_seed``, made irregular and scanned as training lines are, saved in
    ``work`` as ``<stem>_NNNN.png``: (paths, texts). Without fonts or prose, ``missing`` in
    one line on stderr and exit status 2."""
    import cv2
    import numpy as np

    from ocr import charsets
    from training.handwriting_fonts import hand_font_lines
    from training.language import prose_lines

    prose = prose_lines(prose_files, charsets.HANDWRITING, seed=prose_seed)
    if not fonts or not prose:
        print(missing, file=sys.stderr)
        raise SystemExit(2)
    prose = [prose[i] for i in np.random.default_rng(prose_seed).permutation(len(prose))]
    scans, texts = hand_font_lines(n, charsets.HANDWRITING, prose, seed=line_seed, workers=1, fonts=fonts,
                                   scans=True, transcript_share=1.0)
    paths = []
    for k, scan in enumerate(scans):
        paths.append(work / f"{stem}_{k:04d}.png")
        cv2.imwrite(str(paths[-1]), scan)
    return paths, texts


def english_paragraphs(paths: list[Path], texts: list[str], work: Path, seed: int = 0
                       ) -> tuple[list[Path], list[str]]:
    """Paragraphs of 4 to 7 of the English line scans: their inks (binarized as reading
    binarizes a line) stacked so that ascenders and descenders of neighbouring lines nearly
    touch, on one sheet of paper; every other one at half the resolution (a small photo of
    a note), every third one white on black."""
    import cv2
    import numpy as np

    from training.handwriting import line_ink
    from training.textlines import paper

    inks = [line_ink(path) for path in paths]
    rng = np.random.default_rng(seed)
    images, truths, start, k = [], [], 0, 0
    while start < len(inks):
        group = list(range(start, min(start + int(rng.integers(4, 8)), len(inks))))
        start = group[-1] + 1
        height = int(np.median([inks[i].shape[0] for i in group]))
        rows = [cv2.resize(inks[i].astype(np.uint8) * 255, (max(1, inks[i].shape[1] * height // inks[i].shape[0]),
                                                             height), interpolation=cv2.INTER_AREA)
                for i in group]
        pitch = int(height * 0.8)
        canvas = np.zeros((pitch * (len(rows) - 1) + height + 40, max(r.shape[1] for r in rows) + 40), np.uint8)
        for j, row in enumerate(rows):
            region = canvas[20 + j * pitch:20 + j * pitch + height, 20:20 + row.shape[1]]
            np.maximum(region, row, out=region)
        sheet = paper(canvas.astype(np.float32), rng)
        if k % 2 == 1:
            sheet = cv2.resize(sheet, (sheet.shape[1] // 2, sheet.shape[0] // 2), interpolation=cv2.INTER_AREA)
        if k % 3 == 2:
            sheet = 255 - sheet
        images.append(work / f"english_paragraph_{k:03d}.png")
        cv2.imwrite(str(images[-1]), sheet)
        truths.append("\n".join(texts[i] for i in group))
        k += 1
    return images, truths


#: How a rebuilt page may be written and scanned (``--page-kinds``), beyond the lines as they were
#: cut: what real paragraphs do that a stack of straight crops does not.
PAGE_KINDS = ("plain", "tilted", "bent", "ruled", "small", "inverted")
#: ``tilted``: each line turned by up to this many degrees either way (a hand's lines drift).
TILT_DEGREES = 2.0
#: ``bent``: rows moved up or down by up to this share of a line crop's height, along three
#: quarters of a sine wave across the page (a curled or photographed sheet).
BEND_SHARE = 0.1
#: ``ruled``: a dark rule this many rows thick at this share of each line crop's height (lined
#: paper printed in black: the rule runs along the writing's baseline and through descenders).
RULE_ROWS, RULE_AT, RULE_GREY = 2, 0.72, 60


def compose_pages(lines, work: Path, overlap: int, seed: int = 0, kind: str = "plain"
                  ) -> tuple[list[Path], list[str]]:
    """Pages of a will rebuilt from their line images, lines ``overlap`` rows closer than their
    crops, written and scanned as ``kind`` (:data:`PAGE_KINDS`) says."""
    import cv2
    import numpy as np

    from ocr.preprocess import rotate

    by_page: dict[str, list] = {}
    for ln in lines:
        by_page.setdefault(ln.page, []).append(ln)
    rng = np.random.default_rng(seed)
    images, truths = [], []
    for k, (page, group) in enumerate(sorted(by_page.items())):
        if len(group) < 3:
            continue
        crops = [cv2.imread(str(ln.path), cv2.IMREAD_GRAYSCALE) for ln in group]
        shifts = [int(rng.integers(0, 40)) for _ in crops]
        if kind == "tilted":  # each crop turned about its centre onto a canvas holding its corners
            crops = [rotate(crop, rng.uniform(-TILT_DEGREES, TILT_DEGREES)) for crop in crops]
        width = max(c.shape[1] + s for c, s in zip(crops, shifts)) + 40
        pitch = [c.shape[0] - overlap for c in crops]
        canvas = np.full((sum(pitch) + overlap + 40, width), 255, np.uint8)
        y = 20
        for crop, shift, step in zip(crops, shifts, pitch):
            region = canvas[y:y + crop.shape[0], 20 + shift:20 + shift + crop.shape[1]]
            np.minimum(region, crop, out=region)  # darker wins where the lines touch
            if kind == "ruled":
                rule = y + int(RULE_AT * crop.shape[0])
                canvas[rule:rule + RULE_ROWS] = np.minimum(canvas[rule:rule + RULE_ROWS], RULE_GREY)
            y += step
        if kind == "bent":
            canvas = bent(canvas, BEND_SHARE * float(np.median([c.shape[0] for c in crops])))
        elif kind == "small":
            canvas = cv2.resize(canvas, (canvas.shape[1] // 2, canvas.shape[0] // 2), interpolation=cv2.INTER_AREA)
        elif kind == "inverted":
            canvas = 255 - canvas
        path = work / f"page_{kind}_{k:03d}.png"
        cv2.imwrite(str(path), canvas)
        images.append(path)
        truths.append("\n".join(ln.text for ln in group))
    return images, truths


def bent(gray, amplitude: float):
    """A page whose rows rise and fall by ``amplitude`` pixels along three quarters of a sine wave."""
    import cv2
    import numpy as np

    h, w = gray.shape
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    dy = (amplitude * np.sin(1.5 * np.pi * xs / w + 0.3)).astype(np.float32)
    return cv2.remap(gray, xs, ys + dy, cv2.INTER_LINEAR, borderValue=255)


def page_kinds(text: str) -> list[str]:
    """``--page-kinds``: refused by argparse in one line when a kind is unknown."""
    kinds = [k for k in text.split(",") if k]
    unknown = [k for k in kinds if k not in PAGE_KINDS]
    if unknown or not kinds:
        raise argparse.ArgumentTypeError(f"{','.join(unknown) or text!r}: page kinds are {', '.join(PAGE_KINDS)}")
    return kinds


def checked_deslant(text: str) -> str:
    """``--deslant``: refused by argparse in one line when it is not a rule."""
    from ocr.deslant import DeslantRule

    try:
        DeslantRule.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="Data folder (default: $OCR_DATA_DIR).")
    parser.add_argument("--split", default="test", choices=["train", "val", "test"])
    parser.add_argument("--models", default="handline", help="Comma-separated line models to read with.")
    parser.add_argument("--limit", type=int, help="First N lines of the split only.")
    parser.add_argument("--skip-tesseract", action="store_true")
    parser.add_argument("--skip-default", action="store_true", help="Skip ocr read's default model.")
    parser.add_argument("--json", help="Also write the results and the first mistakes here.")
    parser.add_argument("--deslant", metavar="RULE", type=checked_deslant,
                        help='The line rows\' deslant rule instead of the card\'s: JSON such as '
                             '\'{"estimate_factor": 0.3}\' or \'{"shear": 0.5}\', or none.')
    parser.add_argument("--pages", action="store_true", help="Also read the wills' pages rebuilt from their lines.")
    parser.add_argument("--overlap", type=int, default=16, help="Rows each line of a rebuilt page overlaps the last.")
    parser.add_argument("--page-kinds", type=page_kinds, default=["plain"], metavar="KIND[,KIND...]",
                        help="With --pages: how the rebuilt pages are written and scanned, each a table "
                             f"row: {', '.join(PAGE_KINDS)} (default: plain).")
    parser.add_argument("--english", type=int, metavar="N",
                        help="Instead of the wills: N English lines written in the held-out handwriting "
                             "faces, and paragraphs of them (--pages).")
    parser.add_argument("--tuning", action="store_true",
                        help="With --english: the tuning set instead (licence prose in the training faces), "
                             "to choose settings on; the held-out faces stay for the benchmark.")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        return run(args, Path(tmp))


def run(args, work: Path) -> int:
    from ocr.paths import env_data_dir
    from training.datasets import handwritten_lines

    if args.tuning and not args.english:
        print("--tuning goes with --english N", file=sys.stderr)
        return 2
    if args.english and args.page_kinds != ["plain"]:
        print("--page-kinds is for the wills' rebuilt pages; the English paragraphs have their kinds built in",
              file=sys.stderr)
        return 2
    if args.english and args.tuning:
        images, refs = tuning_lines(args.english, work)
        title, writers, lang = f"English tuning lines in the training faces: {len(images)} lines", 0, "eng"
    elif args.english:
        images, refs = english_lines(args.english, work)
        title, writers, lang = f"English lines in held-out handwriting faces: {len(images)} lines", 0, "eng"
    else:
        lines = handwritten_lines(args.data_dir or env_data_dir(), args.split)[:args.limit]
        refs = [ln.text for ln in lines]
        images = [ln.path for ln in lines]
        writers = len({ln.writer for ln in lines})
        title, lang = f"Testaments de Poilus, {args.split} writers: {len(lines)} lines of {writers} writers", "fra+eng"
    models = [m for m in args.models.split(",") if m]
    rows, samples = [], {}
    for model in models:
        for decoding, hyps in line_model_reads(model, images, args.deslant).items():
            rows.append((f"{model}, each image read as one line, {decoding}", *cer_wer(refs, hyps), None))
            samples[f"{model} line {decoding}"] = hyps
        for extra in (["--layout", "line"], []):
            pages, secs, _ = ours(images, work, ["--model", model, *extra])
            hyps = [p["text"] if p else "" for p in pages]
            rows.append((f"`ocr read --model {' '.join([model, *extra])}`", *cer_wer(refs, hyps), secs))
            samples[f"{model} read {' '.join(extra)}".strip()] = hyps
    if not args.skip_default:
        pages, secs, _ = ours(images, work, [])
        hyps = [p["text"] if p else "" for p in pages]
        rows.append(("`ocr read` (default model)", *cer_wer(refs, hyps), secs))
        samples["default read"] = hyps
    if not args.skip_tesseract and shutil.which("tesseract"):
        hyps, secs, _ = tesseract_batch(images, work, psm=7, lang=lang)
        rows.append((f"Tesseract `--psm 7 -l {lang}`", *cer_wer(refs, hyps), secs))
        samples["tesseract"] = hyps

    page_rows, page_title = [], ""
    if args.pages:
        if args.english:
            page_images, page_refs = english_paragraphs(images, refs, work,
                                                        seed=TUNING_PARAGRAPH_SEED if args.tuning else 0)
            page_title = (f"Paragraphs of these lines ({len(page_images)}; every other one at half the "
                          "resolution, every third one white on black)")
        for kind in (["plain"] if args.english else args.page_kinds):
            if args.english:
                label = ""
            else:
                page_images, page_refs = compose_pages(lines, work, args.overlap, kind=kind)
                page_title = (f"Pages rebuilt from the lines ({len(page_images)} pages, lines overlapping by "
                              f"{args.overlap} rows)")
                label = f"{kind}: " if len(args.page_kinds) > 1 else ""
            for model in models + ([] if args.skip_default else [None]):
                pages, secs, _ = ours(page_images, work, ["--model", model] if model else [])
                hyps = [p["text"] if p else "" for p in pages]
                name = f"`ocr read --model {model}`" if model else "`ocr read` (default model)"
                page_rows.append((label + name, *cer_wer(page_refs, hyps), secs))
            if not args.skip_tesseract and shutil.which("tesseract"):
                hyps, secs, _ = tesseract_batch(page_images, work, psm=6, lang=lang)
                page_rows.append((f"{label}Tesseract `--psm 6 -l {lang}`", *cer_wer(page_refs, hyps), secs))

    print(f"{title}\n")
    print("| engine | CER | WER | seconds |")
    print("| --- | ---: | ---: | ---: |")
    for name, cer, wer, secs in rows:
        print(f"| {name} | {cer:.2%} | {wer:.2%} | {'' if secs is None else f'{secs:.1f}'} |")
    if page_rows:
        print(f"\n{page_title}:\n")
        print("| engine | CER | WER | seconds |")
        print("| --- | ---: | ---: | ---: |")
        for name, cer, wer, secs in page_rows:
            print(f"| {name} | {cer:.2%} | {wer:.2%} | {secs:.1f} |")
    if args.json:
        out = {"set": "english" if args.english else args.split, "lines": len(images), "writers": writers,
               "rows": [{"engine": n, "cer": c, "wer": w, "seconds": s} for n, c, w, s in rows],
               "page_rows": [{"engine": n, "cer": c, "wer": w, "seconds": s} for n, c, w, s in page_rows],
               "examples": [{"truth": r, **{k: v[i] for k, v in samples.items()}}
                            for i, r in enumerate(refs[:40])]}
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
