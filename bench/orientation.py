"""Benchmark page orientation detection on real pages turned by 0, 90, 180 and 270 degrees.

Every page of the real sets (``pages/oldbooks``, ``pages/docbank``,
``pages/omnidocbench``, ``funsd``; under --data-dir or $OCR_DATA_DIR) is
turned counter-clockwise by each quarter turn, and each turned page is given to:

- ``ocr``: :func:`ocr.preprocess.preprocess` (what ``ocr read`` runs), whose
  ``orientation`` is the turn it found (0 when unsure: the page is left alone);
- Tesseract's orientation and script detection (``--psm 0``, ``osd``
  traineddata, ``OMP_THREAD_LIMIT=1``), with ``--tesseract``.

Counted per turn: right, unsure (left as it is; only a miss when the page was
turned) and wrong (turned the wrong way: the page is lost). On an upright page,
unsure is right. The figure that matters most is *wrong on upright pages*: a
detector that flips good pages does more harm than one that never turns any.

Usage::

    python bench/orientation.py --limit 20 --tesseract
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from training.datasets.documents import ALL_SETS, documents  # noqa: E402

from ocr.preprocess import preprocess  # noqa: E402

TURNS = (0, 90, 180, 270)


def tesseract_turn(image: np.ndarray, work: Path) -> int | None:
    """The counter-clockwise turn of the text Tesseract's OSD finds; None when it gives none."""
    path = work / "page.png"
    cv2.imwrite(str(path), image)
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    run = subprocess.run(["tesseract", str(path), "-", "--psm", "0"], capture_output=True, text=True, env=env)
    found = re.search(r"Orientation in degrees:\s*(\d+)", run.stdout)
    if found is None:
        return None
    # Tesseract gives the clockwise turn of the text; ours is counter-clockwise.
    return (360 - int(found.group(1))) % 360


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("OCR_DATA_DIR", "data")))
    parser.add_argument("--sets", default=",".join(ALL_SETS))
    parser.add_argument("--split", default="all", choices=("dev", "test", "all"))
    parser.add_argument("--limit", type=int, default=None, help="pages per set (SHA-1 order)")
    parser.add_argument("--tesseract", action="store_true", help="also run Tesseract --psm 0")
    args = parser.parse_args(argv)

    engines = ["ocr"] + (["tesseract"] if args.tesseract else [])
    # counts[engine][turn] = [right, unsure, wrong]; seconds[engine]
    counts = {e: {t: [0, 0, 0] for t in TURNS} for e in engines}
    seconds: dict[str, float] = defaultdict(float)
    wrong_upright: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sets.split(","):
            for image_path, _ in documents(args.data_dir, name, args.split, args.limit):
                page = cv2.imread(str(image_path), cv2.IMREAD_GRAYSCALE)
                if page is None:
                    continue
                for turn in TURNS:
                    turned = np.ascontiguousarray(np.rot90(page, turn // 90))
                    for engine in engines:
                        start = time.perf_counter()
                        if engine == "ocr":
                            found = preprocess(turned).orientation
                        else:
                            found = tesseract_turn(turned, Path(tmp))
                        seconds[engine] += time.perf_counter() - start
                        if found is None or (found == 0 and turn != 0):
                            counts[engine][turn][1] += 1
                        elif found == turn:
                            counts[engine][turn][0] += 1
                        else:
                            counts[engine][turn][2] += 1
                            if turn == 0:
                                wrong_upright.append(f"{engine}: {name}/{image_path.name} -> {found}")
    pages = sum(counts["ocr"][0])
    print(f"{pages} pages ({args.sets}, split {args.split}), each turned by 0/90/180/270\n")
    print("| engine | turn | right | unsure (left as is) | wrong | s per page |")
    print("| --- | --- | --- | --- | --- | --- |")
    for engine in engines:
        for turn in TURNS:
            right, unsure, wrong = counts[engine][turn]
            if turn == 0:  # unsure on an upright page leaves it right
                right, unsure = right + unsure, 0
            print(f"| {engine} | {turn} | {right} | {unsure} | {wrong} | "
                  f"{seconds[engine] / max(4 * pages, 1):.3f} |")
    for line in wrong_upright:
        print("upright page turned:", line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
