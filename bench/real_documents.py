"""Benchmark ``ocr read`` against Tesseract on real scanned documents (issue 14), in the same run.

Sets (under --data-dir or $OCR_DATA_DIR):

- ``pages/oldbooks`` (1-bit 300 dpi book scans), ``pages/docbank`` (two-column
  arXiv pages), ``pages/omnidocbench`` (modern pages): ``<stem>.png|jpg`` with
  ``<stem>.gt.txt``. Metric: whitespace-flattened CER (``documents.flatten``), edit
  distance over reference characters pooled over the set.
- ``funsd`` (noisy forms, ~100 dpi): ``images/<id>.png`` with
  ``annotations/<id>.json``. Metrics: word-box CER (each annotated word against
  the engine's words whose box centre lies inside it, 3 px margin, joined left to
  right with spaces) and bag-of-words precision/recall/F1, pooled over the set.

Engines: ``ocr read`` as ONE process per set (``--format json``; FUNSD word
boxes from the JSON result tree) and Tesseract (``tesseract IMG -``, default
``--psm 3``, ``OMP_THREAD_LIMIT=1``; FUNSD from its ``tsv`` output).

Split: every document is ``dev`` or ``test`` by the SHA-1 of its file name
(about 25% test, ``training.datasets.documents.document_split``). The split is fixed here once: tune on
``dev`` only; ``test`` is for reporting. ``--limit N`` takes the first N
documents of each set in SHA-1 order (a spread over books, not the first
book only).

Usage::

    python bench/real_documents.py --limit 12 --split all --json /tmp/real.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from ocr_vs_tesseract import measured, tesseract_batch  # noqa: E402
from training.datasets.documents import ALL_SETS, documents, flatten  # noqa: E402
from training.evaluate import edit_distance  # noqa: E402

#: Margin around an annotated FUNSD word box inside which an engine word's centre counts.
BOX_MARGIN = 3


@dataclass
class Word:
    text: str
    box: tuple[float, float, float, float]


def words_in(box, words: list[Word], margin: int = BOX_MARGIN) -> str:
    """The words whose box centre lies inside ``box`` (grown by ``margin``), left to right."""
    x0, y0, x1, y1 = box
    inside = [w for w in words
              if x0 - margin <= (w.box[0] + w.box[2]) / 2 <= x1 + margin
              and y0 - margin <= (w.box[1] + w.box[3]) / 2 <= y1 + margin]
    return " ".join(w.text for w in sorted(inside, key=lambda w: (w.box[0] + w.box[2]) / 2))


def funsd_scores(refs: list[list[Word]], hyps: list[list[Word]]) -> dict:
    """Word-box CER and bag-of-words precision/recall/F1, pooled over the forms."""
    errors = chars = tp = n_ref = n_hyp = 0
    for ref, hyp in zip(refs, hyps):
        hyp = [Word(flatten(w.text), w.box) for w in hyp if flatten(w.text)]
        for w in ref:
            truth = flatten(w.text)
            errors += edit_distance(truth, flatten(words_in(w.box, hyp)))
            chars += len(truth)
        ref_bag = Counter(t for w in ref for t in flatten(w.text).split())
        hyp_bag = Counter(t for w in hyp for t in w.text.split())
        tp += sum((ref_bag & hyp_bag).values())
        n_ref += sum(ref_bag.values())
        n_hyp += sum(hyp_bag.values())
    p, r = tp / max(n_hyp, 1), tp / max(n_ref, 1)
    return {"word_box_cer": round(errors / max(chars, 1), 4), "precision": round(p, 4),
            "recall": round(r, 4), "f1": round(2 * p * r / max(p + r, 1e-9), 4),
            "ref_words": n_ref, "words_read": n_hyp}


def page_scores(refs: list[str], hyps: list[str]) -> dict:
    """Flattened CER pooled over the pages, and the worst page's."""
    errors = chars = 0
    worst = 0.0
    for ref, hyp in zip(refs, hyps):
        r, h = flatten(ref), flatten(hyp)
        e = edit_distance(r, h)
        errors += e
        chars += len(r)
        worst = max(worst, e / max(len(r), 1))
    return {"cer": round(errors / max(chars, 1), 4), "worst_page_cer": round(worst, 4), "ref_chars": chars}


# ------------------------------------------------------------------ sets
def funsd_truth(path: Path) -> list[Word]:
    form = json.loads(path.read_text(encoding="utf-8"))["form"]
    return [Word(w["text"], tuple(w["box"])) for entity in form for w in entity["words"] if w["text"].strip()]


# --------------------------------------------------------------- engines
def ours(images: list[Path], work: Path, extra: list[str]) -> tuple[list[dict | None], float, int]:
    """One ``ocr read`` process over the images. Returns (page dicts in image order, None where
    a page failed; seconds; peak MiB)."""
    out = work / "ours.json"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "cli", "read", *map(str, images), "--format", "json", "-o", str(out),
           "-q", *extra]
    secs, mib, _ = measured(cmd, {"PYTHONPATH": str(ROOT)})
    pages = json.loads(out.read_text())["pages"] if out.exists() else []
    by_source = {}
    for p in pages:
        by_source.setdefault(p["source"], p)  # first page of each file
    return [by_source.get(str(i)) for i in images], secs, mib


def ours_words(page: dict | None) -> list[Word]:
    if page is None:
        return []
    return [Word(w["text"], tuple(w["box"])) for b in page["blocks"] for p in b["paragraphs"]
            for l in p["lines"] for w in l["words"]]


def tesseract_words(images: list[Path]) -> tuple[list[list[Word]], float]:
    """Tesseract's words (``--psm 3 tsv``) of each image, and the seconds it took."""
    out = []
    t = time.perf_counter()
    for img in images:
        res = subprocess.run(["tesseract", str(img), "-", "--psm", "3", "tsv"], capture_output=True,
                             text=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"})
        words = []
        for row in res.stdout.splitlines()[1:]:
            cols = row.split("\t")
            if len(cols) == 12 and cols[0] == "5" and cols[11].strip():
                x, y, w, h = map(float, cols[6:10])
                words.append(Word(cols[11], (x, y, x + w, y + h)))
        out.append(words)
    return out, time.perf_counter() - t


# ------------------------------------------------------------------ main
def run_set(data_dir: Path, name: str, split: str, limit: int | None, work: Path, skip_tess: bool,
            extra: list[str]) -> dict | None:
    docs = documents(data_dir, name, split, limit)
    if not docs:
        return None
    images = [i for i, _ in docs]
    res: dict = {"documents": len(docs), "files": [i.name for i in images]}
    pages, secs, mib = ours(images, work, extra)
    failed = sum(p is None for p in pages)
    if name == "funsd":
        refs = [funsd_truth(g) for _, g in docs]
        res["ours"] = funsd_scores(refs, [ours_words(p) for p in pages])
        if not skip_tess:
            words, tsecs = tesseract_words(images)
            res["tesseract"] = {**funsd_scores(refs, words), "seconds": round(tsecs, 1)}
    else:
        refs = [g.read_text(encoding="utf-8", errors="replace") for _, g in docs]
        res["ours"] = page_scores(refs, ["" if p is None else p["text"] for p in pages])
        if not skip_tess:
            texts, tsecs, _ = tesseract_batch(images, work, 3)
            res["tesseract"] = {**page_scores(refs, texts), "seconds": round(tsecs, 1)}
    res["ours"].update({"seconds": round(secs, 1), "peak_mib": mib, "failed_pages": failed})
    return res


def main(argv=None) -> int:
    from ocr.paths import env_data_dir

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=str(env_data_dir() or ROOT.parent / "shared" / "data"))
    ap.add_argument("--sets", default=",".join(ALL_SETS), help=f"Comma-separated, of {', '.join(ALL_SETS)}.")
    ap.add_argument("--limit", type=int, default=None, help="At most N documents per set and split.")
    ap.add_argument("--split", default="all", choices=["dev", "test", "all"],
                    help="dev (tune on these), test (report only) or all (both, one column each).")
    ap.add_argument("--ocr-args", default="", help="Extra options for ocr read, e.g. '--model textline'.")
    ap.add_argument("--skip-tesseract", action="store_true")
    ap.add_argument("--json", help="Write every figure here.")
    args = ap.parse_args(argv)
    sets = [s for s in args.sets.split(",") if s]
    unknown = set(sets) - set(ALL_SETS)
    if unknown:
        ap.error(f"unknown set(s) {', '.join(sorted(unknown))}; expected {', '.join(ALL_SETS)}")
    if not args.skip_tesseract and not shutil.which("tesseract"):
        ap.error("tesseract not found (apt-get install tesseract-ocr) or pass --skip-tesseract")
    data_dir = Path(args.data_dir)
    splits = ["dev", "test"] if args.split == "all" else [args.split]
    results: dict = {"command": " ".join(["bench/real_documents.py", *(argv or sys.argv[1:])]),
                     "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpus": os.cpu_count(),
                     "sets": {}}
    if shutil.which("tesseract"):
        results["tesseract_version"] = subprocess.run(["tesseract", "--version"], capture_output=True,
                                                      text=True).stdout.splitlines()[0]
    with tempfile.TemporaryDirectory(prefix="ocr-real-") as tmp:
        for name in sets:
            for split in splits:
                r = run_set(data_dir, name, split, args.limit, Path(tmp), args.skip_tesseract,
                            args.ocr_args.split())
                if r is None:
                    print(f"warning: {name} {split}: no documents under {data_dir}", file=sys.stderr)
                    continue
                results["sets"].setdefault(name, {})[split] = r
                print(json.dumps({name: {split: {k: v for k, v in r.items() if k != "files"}}}), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    print_table(results, splits)
    return 0


def print_table(results: dict, splits: list[str]) -> None:
    """One row per set and engine; one column group per split."""
    head = ["set", "metric", "engine"]
    for s in splits:
        head += [f"{s} docs", f"{s}", f"{s} s"]
    rows = [head]
    for name, by_split in results["sets"].items():
        metrics = (("word-box CER", "word_box_cer"), ("bag-of-words F1", "f1")) if name == "funsd" \
            else (("flattened CER", "cer"),)
        for label, key in metrics:
            for engine, title in (("ours", "ocr read"), ("tesseract", "tesseract --psm 3")):
                row = [name, label, title]
                for s in splits:
                    r = by_split.get(s, {})
                    e = r.get(engine)
                    row += [str(r.get("documents", "")), f"{e[key]:.1%}" if e else "",
                            str(e["seconds"]) if e else ""]
                rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))


if __name__ == "__main__":
    sys.exit(main())
