"""Throughput of a batch (``ocr read DIR --out-dir OUT``): one process, then a local Ray cluster
with 1 and 2 actors.

Dense A4 pages at 300 dpi (``bench/speed.py``'s), read with the default models into a
fresh output folder each time. Each figure is the wall time of the batch itself:
for Ray, the cluster is started once before (about 3 s, not counted), but each run's
actors start and load the models inside the timed part, as a real batch does.

    python bench/batch_scale.py [--pages 12] [--workers 1,2] [--jobs 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=12)
    parser.add_argument("--workers", default="1,2", help="Ray actor counts to measure")
    parser.add_argument("--jobs", type=int, default=1, help="preprocessing threads per reader")
    args = parser.parse_args()

    from speed import dense_pages

    from ocr.batch import plan, run_batch
    from ocr.pipeline import Predictor

    with tempfile.TemporaryDirectory() as tmp:
        pages = Path(tmp) / "pages"
        pages.mkdir()
        dense_pages(pages, args.pages)
        rows = []

        started = time.perf_counter()
        batch = plan([str(pages)], Path(tmp) / "out-local")
        summary = run_batch(batch, Predictor(), jobs=args.jobs)
        rows.append(("1 process", time.perf_counter() - started, summary))

        from ocr.ray_batch import connect, run_on_ray

        import ray

        connect("local")
        try:
            for workers in (int(w) for w in args.workers.split(",")):
                started = time.perf_counter()
                batch = plan([str(pages)], Path(tmp) / f"out-ray{workers}")
                summary = run_on_ray(batch, "local", {}, workers=workers, jobs=args.jobs)
                rows.append((f"Ray, {workers} actor(s)", time.perf_counter() - started, summary))
        finally:
            ray.shutdown()

    print(f"{args.pages} dense A4 pages, --jobs {args.jobs}")
    print("| run | seconds | pages/s | read, skipped, failed |")
    print("|---|---|---|---|")
    for name, seconds, summary in rows:
        print(f"| {name} | {seconds:.1f} | {args.pages / seconds:.2f} | {summary.line()} |")


if __name__ == "__main__":
    main()
