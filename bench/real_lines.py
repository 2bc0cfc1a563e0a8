"""Benchmark line reading on real scanned print: line images cut from real forms and pages, ``ocr read`` against Tesseract.

shared/ has no real single-line images. ``--source funsd`` (the default) cuts them out of the FUNSD
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

``--source pages`` cuts the real printed pages (``pages/oldbooks``, ``docbank``,
``omnidocbench``: 300 dpi book scans and rendered papers) into line images
along Tesseract's own line boxes (``tesseract IMG - tsv``, level 4; the cutter
is Tesseract's, so it is no help to ``ocr``), with the same quarter-height
margin, leaving out boxes over 2.5 times the page's median line height
(figures). The pages' truth is per paragraph, not per line, so each engine's
line readings are joined in Tesseract's order and scored as the page
(flattened CER pooled over the pages): a line the cutter misses costs both
engines alike.

Usage::

    OCR_DATA_DIR=../shared/data python bench/real_lines.py --split test
    OCR_DATA_DIR=../shared/data python bench/real_lines.py --ocr-args "--model textline"
    OCR_DATA_DIR=../shared/data python bench/real_lines.py --source pages --sets oldbooks --limit 8
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from ocr_vs_tesseract import tesseract_batch  # noqa: E402
from real_documents import ours, page_scores  # noqa: E402
from ocr.paths import env_data_dir  # noqa: E402
from training.datasets.documents import (PAGE_SETS, FormLine, box_crop, documents, flatten,  # noqa: E402
                                         form_lines, line_crop)
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


#: A Tesseract line box this many times the page's median line height is a figure, not a line.
TALL_LINE = 2.5
#: Boxes narrower or lower than this (pixels) are specks, not line images (``ocr read`` refuses them).
MIN_LINE_BOX = 8


def tesseract_line_boxes(image_path: Path) -> list[tuple[int, int, int, int]]:
    """Tesseract's text lines of a page (``tsv`` level 4) as (x0, y0, x1, y1), in its reading
    order, without specks and the boxes much taller than the page's lines (figures it read as text)."""
    out = subprocess.run(["tesseract", str(image_path), "-", "tsv"], capture_output=True, text=True,
                         check=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"}).stdout
    boxes = []
    for row in csv.DictReader(io.StringIO(out), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row["level"] == "4":
            x, y, w, h = (int(row[k]) for k in ("left", "top", "width", "height"))
            if min(w, h) >= MIN_LINE_BOX:
                boxes.append((x, y, x + w, y + h))
    if not boxes:
        return []
    median = float(np.median([y1 - y0 for _, y0, _, y1 in boxes]))
    return [b for b in boxes if b[3] - b[1] <= TALL_LINE * median]


def cut_page_lines(data_dir: Path, sets: list[str], splits: list[str], limit: int | None,
                   work: Path) -> list[tuple[str, str, Path, list[Path]]]:
    """Write each page's line images as PNGs (at most ``limit`` pages per set and split);
    returns (set, split, ground-truth file, line images in reading order) per page."""
    pages = []
    for name in sets:
        for split in splits:
            for image_path, truth in documents(data_dir, name, split, limit):
                image = cv2.imread(str(image_path), cv2.IMREAD_GRAYSCALE)
                crops = []
                for k, box in enumerate(tesseract_line_boxes(image_path)):
                    path = work / f"{name}_{image_path.stem}_{k:03d}.png"
                    cv2.imwrite(str(path), box_crop(image, box))
                    crops.append(path)
                pages.append((name, split, truth, crops))
    return pages


def run_pages(args, work: Path) -> int:
    """``--source pages``: every set's pages cut into lines, each engine's lines joined per page."""
    sets = args.sets.split(",")
    unknown = [s for s in sets if s not in PAGE_SETS]
    if unknown:
        print(f"unknown page set {unknown[0]!r}; use some of {', '.join(PAGE_SETS)}", file=sys.stderr)
        return 2
    if shutil.which("tesseract") is None:
        print("--source pages cuts lines along Tesseract's line boxes: install tesseract-ocr", file=sys.stderr)
        return 2
    splits = ["dev", "test"] if args.split == "all" else [args.split]
    try:
        pages = cut_page_lines(Path(args.data_dir), sets, splits, args.limit, work)
    except subprocess.CalledProcessError as exc:
        said = (exc.stderr or "").strip().splitlines()
        print(f"tesseract could not lay out {exc.cmd[1]}: {said[-1] if said else f'exit status {exc.returncode}'}",
              file=sys.stderr)
        return 2
    images = [p for *_, crops in pages for p in crops]
    if not images:
        print("no pages found under", args.data_dir, file=sys.stderr)
        return 2
    read, secs, _ = ours(images, work, ["--layout", "line", *args.ocr_args.split()])
    engines = {"ours": ["" if p is None else p["text"].strip() for p in read]}
    if not args.skip_tesseract:
        engines["tesseract"] = [t.strip() for t in tesseract_batch(images, work, 7)[0]]
    results: dict = {"split": args.split, "source": "pages", "sets": {}}
    for name in sets:
        for split in splits:
            at, truths, joined, lines_cut = 0, [], {key: [] for key in engines}, 0
            for page_set, page_split, truth, crops in pages:
                if (page_set, page_split) == (name, split):
                    truths.append(truth.read_text(encoding="utf-8"))
                    lines_cut += len(crops)
                    for key, lines in engines.items():
                        joined[key].append("\n".join(lines[at:at + len(crops)]))
                at += len(crops)
            if truths:
                results["sets"][f"{name} {split}"] = {
                    "pages": len(truths), "lines": lines_cut,
                    **{key: page_scores(truths, joined[key]) for key in engines}}
    print(f"Real page lines: line images cut along Tesseract's line boxes, "
          f"joined per page ({len(images)} lines, ocr {secs:.0f} s)")
    print("| set, split | pages | lines | ocr read --layout line | tesseract --psm 7 |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, r in results["sets"].items():
        tess = f"{100 * r['tesseract']['cer']:.2f}%" if "tesseract" in r else "-"
        print(f"| {name} | {r['pages']} | {r['lines']} | {100 * r['ours']['cer']:.2f}% | {tess} |")
    if args.json:
        results["lines"] = [{"image": p.name, **{key: lines[i] for key, lines in engines.items()}}
                            for i, p in enumerate(images)]
        Path(args.json).write_text(json.dumps(results, indent=1, ensure_ascii=False))
    return 0


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
    ap.add_argument("--source", default="funsd", choices=["funsd", "pages"],
                    help="FUNSD's annotated lines, or the printed pages cut along Tesseract's line boxes.")
    ap.add_argument("--sets", default=",".join(PAGE_SETS), help="With --source pages: which page sets.")
    ap.add_argument("--limit", type=int, default=None,
                    help="At most N lines (a spread over the forms), or N pages per set and split "
                         "with --source pages (--split all: dev and test scored apart).")
    ap.add_argument("--ocr-args", default="", help="Extra options for ocr read, e.g. '--model textline'.")
    ap.add_argument("--skip-tesseract", action="store_true")
    ap.add_argument("--keep", help="Keep the crops and readings in this folder.")
    ap.add_argument("--json", help="Write the figures and every line's readings here.")
    args = ap.parse_args(argv)

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="real_lines_"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if args.source == "pages":
            return run_pages(args, work)
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
