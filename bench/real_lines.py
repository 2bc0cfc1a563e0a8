"""Benchmark line reading on real scanned print: FUNSD's annotated lines, ``ocr read`` against Tesseract.

shared/ has no real single-line images, so this cuts them out of the FUNSD
forms (~100 dpi faxes and photocopies): each annotated entity's words are
grouped into lines (each word overlapping the line's median top and bottom by 60% of the
shorter height; a line taller than 1.5 word heights is dropped), and
a line is the union of its word boxes with a margin of a quarter of its height.
The truth is the words joined by single spaces. Only lines of 2 to 80
characters with at least one letter or digit are kept.

Engines: ``ocr read --layout line`` (one process over all crops, ``--format
json``) and Tesseract ``--psm 7`` (``OMP_THREAD_LIMIT=1``), in the same run.
Metric: whitespace-flattened CER (``real_documents.flatten``) pooled over the
lines, and the share of lines read exactly. Lines are ``dev`` or ``test`` by
the form they come from (``real_documents.split_of``: the same split as the
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
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from ocr_vs_tesseract import tesseract_batch  # noqa: E402
from real_documents import documents, flatten, ours  # noqa: E402
from ocr.paths import env_data_dir  # noqa: E402
from training.evaluate import edit_distance  # noqa: E402

MIN_CHARS, MAX_CHARS = 2, 80


@dataclass
class LineCrop:
    form: str
    text: str
    box: tuple[int, int, int, int]


def form_lines(annotation: Path) -> list[LineCrop]:
    """The single-line pieces of a form's entities: words grouped by their vertical centre."""
    out = []
    for entity in json.loads(annotation.read_text(encoding="utf-8"))["form"]:
        words = [w for w in entity["words"] if w["text"].strip()]
        words.sort(key=lambda w: (w["box"][1] + w["box"][3]) / 2)
        rows: list[list[dict]] = []
        for w in words:
            y0, y1 = w["box"][1], w["box"][3]
            if rows:
                last = rows[-1]
                ly0 = np.median([v["box"][1] for v in last])
                ly1 = np.median([v["box"][3] for v in last])
                overlap = min(y1, ly1) - max(y0, ly0)
                if overlap >= 0.6 * min(y1 - y0, ly1 - ly0):
                    last.append(w)
                    continue
            rows.append([w])
        for row in rows:
            row.sort(key=lambda w: w["box"][0])
            text = flatten(" ".join(w["text"] for w in row))
            if not (MIN_CHARS <= len(text) <= MAX_CHARS) or not any(c.isalnum() for c in text):
                continue
            x0 = min(w["box"][0] for w in row)
            y0 = min(w["box"][1] for w in row)
            x1 = max(w["box"][2] for w in row)
            y1 = max(w["box"][3] for w in row)
            # A row whose union is much taller than its words spans two text lines.
            if y1 - y0 > 1.5 * np.median([w["box"][3] - w["box"][1] for w in row]):
                continue
            out.append(LineCrop(annotation.stem, text, (x0, y0, x1, y1)))
    return out


def cut_lines(data_dir: Path, split: str, limit: int | None, work: Path) -> list[tuple[Path, LineCrop]]:
    """Write each line crop of the split's forms as a PNG; returns (path, line) pairs."""
    out = []
    for image_path, annotation in documents(data_dir, "funsd", split, None):
        image = cv2.imread(str(image_path), cv2.IMREAD_GRAYSCALE)
        for k, line in enumerate(form_lines(annotation)):
            x0, y0, x1, y1 = line.box
            m = max(2, (y1 - y0) // 4)
            crop = image[max(0, y0 - m):y1 + m, max(0, x0 - m):x1 + m]
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
