"""Speed and memory of ``ocr read`` against Tesseract, measured in the same run.

Single page: the whole process (start, imports, model load, reading, output)
for one dense A4 page at 300 dpi, several paired runs, median wall time, CPU
time and peak RSS; ``ocr read`` on its ONNX runtime (the default) and on Keras
(``OCR_RUNTIME=keras``), Tesseract 5 with ``OMP_THREAD_LIMIT=1``.
Batches: 1, 6 and 24 pages read by one ``ocr read`` process (``--jobs 2``)
against Tesseract run once per page (one thread each), and as two processes
side by side. The same for real book pages from ``$OCR_DATA_DIR/pages/oldbooks``.

    OCR_DATA_DIR=../shared/data python bench/speed.py [--runs 5] [--batches 1,6,24]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WRAPPER = ("import resource, subprocess, sys, time\n"
           "t = time.perf_counter()\n"
           "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
           "dt = time.perf_counter() - t\n"
           "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
           "print(dt, u.ru_utime + u.ru_stime, u.ru_maxrss, r.returncode)\n"
           "sys.stderr.write(r.stderr.decode(errors='replace')[-1000:])\n")
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation",
             "/usr/share/fonts/truetype/liberation2")
WORDS = ("the of and to in is was for that with as on by at from this which be are or an it not "
         "report market system results table page number value data method section figure model "
         "paper order letter account company office record service council report").split()


def run(cmd: list[str], env: dict | None = None) -> tuple[float, float, int]:
    """(wall s, CPU s, peak RSS MiB) of ``cmd`` in a fresh wrapper process."""
    res = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], capture_output=True, text=True,
                         env={**os.environ, **(env or {})})
    wall, cpu, rss, rc = res.stdout.split()
    if int(rc) != 0:
        raise SystemExit(f"{cmd[0]} exited {rc}: {res.stderr.strip()[-500:]}")
    return float(wall), float(cpu), int(rss) // 1024


def dense_pages(out: Path, n: int, seed: int = 0) -> list[Path]:
    """``n`` dense A4 pages at 300 dpi (2480x3508), 11 pt text in DejaVu and Liberation faces."""
    from PIL import Image, ImageDraw, ImageFont

    fonts = sorted(p for d in FONT_DIRS if Path(d).is_dir() for p in Path(d).glob("*.ttf")
                   if not any(k in p.name for k in ("Bold", "Italic", "Oblique", "Mono", "Narrow")))
    if not fonts:
        raise SystemExit("no DejaVu or Liberation fonts found (apt-get install fonts-dejavu-core "
                         "fonts-liberation2)")
    rng = random.Random(seed)
    paths = []
    for k in range(n):
        font = ImageFont.truetype(str(fonts[k % len(fonts)]), 46)
        img = Image.new("L", (2480, 3508), 255)
        draw = ImageDraw.Draw(img)
        y = 250
        while y < 3508 - 300:
            line = ""
            while True:
                word = rng.choice(WORDS) if rng.random() > 0.1 else str(rng.randint(1, 9999))
                candidate = (line + " " + word).strip()
                if draw.textlength(candidate, font=font) > 2480 - 500:
                    break
                line = candidate
            draw.text((250, y), line, font=font, fill=0)
            y += 72
        path = out / f"page_{k:03d}.png"
        img.save(path)
        paths.append(path)
    return paths


def ocr_cmd(inputs: list[str]) -> list[str]:
    return [sys.executable, str(ROOT / "cli.py"), "read", *inputs, "--jobs", "2"]  # stdout is discarded


def tesseract_each(pages: list[Path]) -> list[str]:
    """One Tesseract process per page, one after the other, as a script calling it per file does."""
    return ["sh", "-c", " ; ".join(f"tesseract {p} - >/dev/null 2>&1" for p in pages)]


def tesseract_two(pages: list[Path]) -> list[str]:
    halves = [pages[::2], pages[1::2]]
    jobs = [" ; ".join(f"tesseract {p} - >/dev/null 2>&1" for p in half) for half in halves if half]
    return ["sh", "-c", " & ".join(f"( {j} )" for j in jobs) + " & wait"]


def median_of(cmd: list[str], runs: int, env: dict | None = None) -> tuple[float, float, int]:
    results = [run(cmd, env) for _ in range(runs)]
    return (statistics.median(r[0] for r in results), statistics.median(r[1] for r in results),
            max(r[2] for r in results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="runs per single-page measurement")
    parser.add_argument("--batches", default="1,6,24")
    parser.add_argument("--data-dir", default=os.environ.get("OCR_DATA_DIR"))
    args = parser.parse_args()
    if not shutil.which("tesseract"):
        raise SystemExit("tesseract is not installed (apt-get install tesseract-ocr)")
    tess_env = {"OMP_THREAD_LIMIT": "1"}
    sizes = [int(n) for n in args.batches.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        synthetic = dense_pages(Path(tmp), max(sizes))
        sets = [("dense A4 pages, 300 dpi", synthetic)]
        if args.data_dir and Path(args.data_dir, "pages", "oldbooks").is_dir():
            books = sorted(Path(args.data_dir, "pages", "oldbooks").glob("*.png"))[:max(sizes)]
            sets.append(("oldbooks (real 1-bit scans)", books))

        print("single page, whole process (median of %d runs; peak RSS is the largest)" % args.runs)
        print(f"{'pages':30} {'engine':34} {'wall s':>7} {'CPU s':>7} {'peak MiB':>9}")
        for label, pages in sets:
            one = [str(pages[0])]
            rows = [("ocr read (ONNX Runtime)", ocr_cmd(one), {"OCR_RUNTIME": "auto"}),
                    ("ocr read (Keras, OCR_RUNTIME=keras)", ocr_cmd(one), {"OCR_RUNTIME": "keras"}),
                    ("tesseract (OMP_THREAD_LIMIT=1)", ["tesseract", one[0], "-"], tess_env)]
            for name, cmd, env in rows:
                wall, cpu, rss = median_of(cmd, args.runs, env)
                print(f"{label:30} {name:34} {wall:7.2f} {cpu:7.2f} {rss:9d}")
        print()
        print("batches: pages/s (wall s); one ocr read process with --jobs 2, Tesseract once per page")
        print(f"{'pages':30} {'n':>3} {'ocr read':>16} {'tesseract x1':>16} {'tesseract x2':>16} "
              f"{'vs x1':>6} {'vs x2':>6}")
        for label, pages in sets:
            for n in sizes:
                if n > len(pages):
                    continue
                batch = pages[:n]
                ours = run(ocr_cmd([str(p) for p in batch]), {"OCR_RUNTIME": "auto"})[0]
                t1 = run(tesseract_each(batch), tess_env)[0]
                t2 = run(tesseract_two(batch), tess_env)[0]
                print(f"{label:30} {n:3d} {n / ours:7.3f} ({ours:6.1f}) {n / t1:7.3f} ({t1:6.1f}) "
                      f"{n / t2:7.3f} ({t2:6.1f}) {t1 / ours:6.2f} {t2 / ours:6.2f}")
    help_runs = [run([sys.executable, str(ROOT / "cli.py"), "--help"])[0] for _ in range(args.runs)]
    print(f"\nocr --help: {statistics.median(help_runs):.3f} s (median of {args.runs})")


if __name__ == "__main__":
    main()
