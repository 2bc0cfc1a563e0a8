"""Benchmark line reading on real scanned print: FUNSD's annotated lines, ``ocr read`` against Tesseract.

shared/ has no real single-line images, so this cuts them out of the FUNSD
forms (~100 dpi faxes and photocopies; ``training.datasets.documents.form_lines``):
each annotated entity's words are grouped into lines, and a line is the
union of its word boxes with a margin of a quarter of its height. The truth
is the words joined by single spaces; lines of 2 to 80 characters with at
least one letter or digit.

Engines: ``ocr read --layout line`` (one process over all crops, ``--format
json``) and Tesseract ``--psm 7`` (``OMP_THREAD_LIMIT=1``), in the same run.
Metric: whitespace-flattened CER (``real_documents.flatten``) pooled over the
lines, and the share of lines read exactly. Lines are ``dev`` or ``test`` by
the form they come from (``documents.document_split``: the same split as the
page benchmark). Tune on ``dev`` only.

Usage::

    OCR_DATA_DIR=../shared/data python bench/real_lines.py --split test
    OCR_DATA_DIR=../shared/data python bench/real_lines.py --ocr-args "--model textline"
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from ocr_vs_tesseract import tesseract_batch  # noqa: E402
from real_documents import ours  # noqa: E402
from ocr.paths import env_data_dir  # noqa: E402
from training.datasets.documents import FormLine, documents, flatten, form_lines, line_crop  # noqa: E402
from training.evaluate import edit_distance  # noqa: E402


def cut_lines(data_dir: Path, split: str, limit: int | None, work: Path) -> list[tuple[Path, FormLine]]:
    """Write each line crop of the split's forms as a PNG; returns (path, line) pairs."""
    out = []
    for image_path, annotation in documents(data_dir, "funsd", split):
        image = cv2.imread(str(image_path), cv2.IMREAD_GRAYSCALE)
        for k, line in enumerate(form_lines(annotation)):
            crop = line_crop(image, line)
            if crop.size == 0:
                continue
            path = work / f"{image_path.stem}_{k:03d}.png"
            cv2.imwrite(str(path), crop)
            out.append((path, line))
    # A spread over forms when limited: every n-th line.
    if limit and len(out) > limit:
        step = len(out) / limit
        out = [out[int(i * step)] for i in range(limit)]
    return out


def line_scores(refs: list[str], hyps: list[str]) -> dict:
    errors = chars = exact = 0
    for ref, hyp in zip(refs, hyps):
        h = flatten(hyp)
        errors += edit_distance(ref, h)
        chars += len(ref)
        exact += ref == h
    return {"cer": round(errors / max(chars, 1), 4), "exact": round(exact / max(len(refs), 1), 4),
            "lines": len(refs), "ref_chars": chars}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=str(env_data_dir() or ROOT.parent / "shared" / "data"))
    ap.add_argument("--split", default="dev", choices=["dev", "test", "all"])
    ap.add_argument("--limit", type=int, default=None, help="At most N lines (a spread over the forms).")
    ap.add_argument("--ocr-args", default="", help="Extra options for ocr read, e.g. '--model textline'.")
    ap.add_argument("--skip-tesseract", action="store_true")
    ap.add_argument("--keep", help="Keep the crops and readings in this folder.")
    ap.add_argument("--json", help="Write the figures and every line's readings here.")
    args = ap.parse_args(argv)

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="real_lines_"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        crops = cut_lines(Path(args.data_dir), args.split, args.limit, work)
        if not crops:
            print("no FUNSD forms found under", args.data_dir, file=sys.stderr)
            return 2
        images = [p for p, _ in crops]
        refs = [c.text for _, c in crops]
        pages, secs, _ = ours(images, work, ["--layout", "line", *args.ocr_args.split()])
        hyps = ["" if p is None else p["text"] for p in pages]
        results = {"split": args.split, "ours": {**line_scores(refs, hyps), "seconds": round(secs, 1)}}
        tess = None
        if not args.skip_tesseract:
            tess, tsecs, _ = tesseract_batch(images, work, 7)
            results["tesseract"] = {**line_scores(refs, tess), "seconds": round(tsecs, 1)}
        print(f"FUNSD lines, split {args.split}: {len(refs)} lines from "
              f"{len({c.form for _, c in crops})} forms, {sum(map(len, refs))} characters")
        print("| engine | CER | lines exact | seconds |")
        print("| --- | ---: | ---: | ---: |")
        for name, key in (("ocr read --layout line " + args.ocr_args, "ours"), ("tesseract --psm 7", "tesseract")):
            if key in results:
                r = results[key]
                print(f"| {name.strip()} | {100 * r['cer']:.2f}% | {100 * r['exact']:.1f}% | {r['seconds']} |")
        if args.json:
            results["lines"] = [{"image": p.name, "truth": r, "ours": h, "tesseract": None if tess is None
                                 else flatten(tess[i])} for i, (p, r, h) in enumerate(zip(images, refs, hyps))]
            Path(args.json).write_text(json.dumps(results, indent=1, ensure_ascii=False))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
