"""Where the time of ``ocr read`` goes, stage by stage, on the printed benchmark pages.

Prints one table: importing Keras, loading the model, and per page the time
to preprocess + segment, to run the line model, and for the whole
pipelined ``read_pages`` (stages overlapping on the cores), all in one process.

    python bench/read_stages.py [--pages 24] [--model textline]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=24)
    parser.add_argument("--model", default="textline")
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()

    from ocr_vs_tesseract import printed_pages

    from ocr.io import expand_inputs, load
    from ocr.normalize import to_line_input
    from ocr.recognize_lines import line_mask

    with tempfile.TemporaryDirectory() as tmp:
        printed_pages(Path(tmp), args.pages)
        pages = [p for f in expand_inputs([tmp]) for p in load(f)]
    rows = []
    started = time.perf_counter()
    import keras  # noqa: F401

    rows.append(("import keras (TensorFlow backend)", time.perf_counter() - started, "s once"))
    from ocr.pipeline import Predictor

    started = time.perf_counter()
    predictor = Predictor(args.model)
    predictor.recognizer
    rows.append((f"load {args.model}", time.perf_counter() - started, "s once"))
    predictor.read_page(pages[0])  # traces the graph once

    started = time.perf_counter()
    analyses = [predictor.analyse(p) for p in pages]
    rows.append(("preprocess + segment, one thread", (time.perf_counter() - started) / len(pages), "s/page"))
    recognizer = predictor.recognizer
    if hasattr(recognizer, "frame_probabilities"):
        inputs = [[to_line_input(line_mask(a.layout.components, l), line_height=l.height)
                   for l in a.layout.lines] for a in analyses if a.layout is not None]
        started = time.perf_counter()
        for page_inputs in inputs:
            recognizer.frame_probabilities(page_inputs)
        rows.append(("line model forward pass", (time.perf_counter() - started) / len(pages), "s/page"))
    started = time.perf_counter()
    for a in analyses:
        predictor.recognize(a)
    rows.append(("recognize (model + decoding + boxes)", (time.perf_counter() - started) / len(pages), "s/page"))
    started = time.perf_counter()
    predictor.read_pages(pages, jobs=args.jobs)
    rows.append((f"read_pages, stages overlapped (--jobs {args.jobs})",
                 (time.perf_counter() - started) / len(pages), "s/page"))

    print(f"{args.pages} printed benchmark pages, model {args.model}, {os.cpu_count()} CPU cores")
    width = max(len(r[0]) for r in rows)
    for name, seconds, unit in rows:
        print(f"{name:{width}s}  {seconds:7.3f} {unit}")


if __name__ == "__main__":
    main()
