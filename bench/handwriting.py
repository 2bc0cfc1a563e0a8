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
  ``ocr read`` does, no segmentation, i.e. what the model itself reads;
- ``ocr read`` with its default model (``auto``: print line model, glyph
  model for unsure lines), what a user got before the handwriting model;
- Tesseract 5 (``--psm 7``, one line, ``-l fra+eng``, ``OMP_THREAD_LIMIT=1``).

Metrics: CER (edit distance over reference characters, whitespace runs
collapsed) and WER, pooled over the lines.

Usage::

    OCR_DATA_DIR=../shared/data python bench/handwriting.py --split test
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


def line_model_reads(model: str, split: str, data_dir, limit: int | None) -> list[str]:
    """The line model on each line image as one line (Keras, the reference runtime)."""
    from ocr.models import load
    from training.evaluate import read_handwritten_lines

    loaded = load(model, runtime="keras")
    return read_handwritten_lines(loaded.net, loaded.labels, data_dir, split, limit)[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="Data folder (default: $OCR_DATA_DIR).")
    parser.add_argument("--split", default="test", choices=["train", "val", "test"])
    parser.add_argument("--models", default="handline", help="Comma-separated line models to read with.")
    parser.add_argument("--limit", type=int, help="First N lines of the split only.")
    parser.add_argument("--skip-tesseract", action="store_true")
    parser.add_argument("--skip-default", action="store_true", help="Skip ocr read's default model.")
    parser.add_argument("--json", help="Also write the results and the first mistakes here.")
    args = parser.parse_args(argv)

    from ocr.paths import env_data_dir
    from training.datasets import handwritten_lines

    data_dir = args.data_dir or env_data_dir()
    lines = handwritten_lines(data_dir, args.split)[:args.limit]
    refs = [ln.text for ln in lines]
    images = [ln.path for ln in lines]
    writers = len({ln.writer for ln in lines})
    rows, samples = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for model in [m for m in args.models.split(",") if m]:
            hyps = line_model_reads(model, args.split, data_dir, args.limit)
            rows.append((f"{model}, each image read as one line", *cer_wer(refs, hyps), None))
            samples[f"{model} line"] = hyps
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
            hyps, secs, _ = tesseract_batch(images, work, psm=7, lang="fra+eng")
            rows.append(("Tesseract `--psm 7 -l fra+eng`", *cer_wer(refs, hyps), secs))
            samples["tesseract"] = hyps

    print(f"Testaments de Poilus, {args.split} writers: {len(lines)} lines of {writers} writers\n")
    print("| engine | CER | WER | seconds |")
    print("| --- | ---: | ---: | ---: |")
    for name, cer, wer, secs in rows:
        print(f"| {name} | {cer:.2%} | {wer:.2%} | {'' if secs is None else f'{secs:.1f}'} |")
    if args.json:
        out = {"split": args.split, "lines": len(lines), "writers": writers,
               "rows": [{"engine": n, "cer": c, "wer": w, "seconds": s} for n, c, w, s in rows],
               "examples": [{"truth": r, **{k: v[i] for k, v in samples.items()}}
                            for i, r in enumerate(refs[:40])]}
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
