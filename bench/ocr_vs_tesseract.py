"""Benchmark ``ocr read`` against Tesseract on the same inputs, in the same run.

Three tasks:

1. ORAND-CAR-A cheque amounts (real handwriting): CER and whole-string accuracy
   on the ``test`` half (odd rows of gt.tsv; the bundled digitline trains on
   the even rows); ours with ``--digits`` and each of ``--digit-models``
   (LeNet on segmented glyphs; the digitline model on whole lines; a .keras
   path compares another build), Tesseract with ``--psm 7`` and a digit
   whitelist.
2. Hand-printed pages composed from test images no bundled model trained on:
   MNIST test digits, and EMNIST ByMerge test minus images identical to ByClass
   test (charnet trained on ByClass test). CER (case-insensitive for EMNIST,
   whose ByMerge labels merge 15 letter cases).
3. Synthetic printed pages: several fonts and sizes, noise, skew up to 5
   degrees, one two-column page. CER, WER, pages/s and peak memory, each
   engine run as one process over all pages (``ocr read DIR`` once per
   model of ``--print-models``; ``tesseract LIST``), Tesseract with
   OMP_THREAD_LIMIT=1. The page fonts are system fonts, so they are among
   the faces charnet's glyphs and textline's lines were rendered from; the
   text is not (the models train on random text).

A table is printed at the end; ``--json`` keeps every figure.

Usage::

    python bench/ocr_vs_tesseract.py --data-dir ../shared/data --json bench/out.json

Datasets are read from --data-dir (or $OCR_DATA_DIR); generated pages go to a
temporary folder, never into the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from training.evaluate import edit_distance, string_scores  # noqa: E402
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf",
]
WORDS = ("the of and to in is was for on are with as by at from this that have which or be "
         "not but all were when we there can an your their if has will each about how up out them "
         "then she many some so these would other into her two make like him time see number "
         "Paris London Invoice Total Date Amount Account Street Monday March Order Customer "
         "page form field value signed received payment balance due reference").split()


# ----------------------------------------------------------------- metrics
def normalize_text(text: str) -> str:
    lines = [re.sub(r"\s+", " ", l).strip() for l in text.replace("\f", "\n").splitlines()]
    return "\n".join(l for l in lines if l)


def cer_wer(refs: list[str], hyps: list[str]) -> tuple[float, float]:
    ce = cn = we = wn = 0
    for r, h in zip(refs, hyps):
        r, h = normalize_text(r), normalize_text(h)
        ce += edit_distance(r, h)
        cn += len(r)
        we += edit_distance(r.split(), h.split())
        wn += len(r.split())
    return ce / max(cn, 1), we / max(wn, 1)


# --------------------------------------------------------------- engines
def measured(cmd: list[str], env: dict | None = None) -> tuple[float, int, subprocess.CompletedProcess]:
    """Run ``cmd`` in a fresh wrapper process; return (seconds, peak RSS in MiB, result)."""
    wrapper = ("import resource, subprocess, sys, time\n"
               "t = time.perf_counter()\n"
               "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
               "dt = time.perf_counter() - t\n"
               "print(dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)\n"
               "sys.stderr.write(r.stderr.decode(errors='replace')[-2000:])\n")
    res = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True,
                         env={**os.environ, **(env or {})})
    secs, rss_kb, rc = res.stdout.split()
    if int(rc) != 0:
        print(f"warning: {cmd[0]} exited {rc}: {res.stderr.strip()[-500:]}", file=sys.stderr)
    return float(secs), int(rss_kb) // 1024, res


def tesseract_batch(images: list[Path], work: Path, psm: int, whitelist: str | None = None,
                    processes: int = 1, lang: str | None = None):
    """Tesseract over all images (list files), ``processes`` processes side by side, each
    on a contiguous share of the images. Returns (texts, seconds, MiB)."""
    shares = [images[len(images) * k // processes:len(images) * (k + 1) // processes]
              for k in range(processes)]
    commands, outs = [], []
    for k, share in enumerate(shares):
        listing = work / f"tess_list_{psm}_{processes}_{k}.txt"
        listing.write_text("\n".join(str(p) for p in share) + "\n")
        outs.append(work / f"tess_out_{psm}_{processes}_{k}")
        cmd = ["tesseract", str(listing), str(outs[-1]), "--psm", str(psm)]
        if whitelist:
            cmd += ["-c", f"tessedit_char_whitelist={whitelist}"]
        if lang:
            cmd += ["-l", lang]
        commands.append(" ".join(cmd))
    if processes == 1:
        secs, mib, _ = measured(commands[0].split(), {"OMP_THREAD_LIMIT": "1"})
    else:
        secs, mib, _ = measured(["sh", "-c", " & ".join(commands) + " & wait"], {"OMP_THREAD_LIMIT": "1"})
    pages = []
    for share, out in zip(shares, outs):
        text = out.with_suffix(".txt").read_text(errors="replace").split("\f")
        pages += (text + [""] * len(share))[:len(share)]
    return pages, secs, mib


def ours_batch(folder: Path, work: Path, extra: list[str], jobs: int) -> tuple[list[str], float, int]:
    """One ``ocr read`` process over a folder. Returns (page texts in file order, seconds, MiB)."""
    out = work / "ours.json"
    cmd = [sys.executable, "-m", "cli", "read", str(folder), "--format", "json", "-o", str(out),
           "--jobs", str(jobs), *extra]
    secs, mib, _ = measured(cmd, {"PYTHONPATH": str(ROOT)})
    doc = json.loads(out.read_text())
    return [p["text"] for p in doc["pages"]], secs, mib


# ------------------------------------------------------------ page makers
def printed_pages(out: Path, n: int, seed: int = 0) -> list[str]:
    """Render ``n`` printed pages (1240x1754, about 150 dpi A4). Returns ground truths."""
    rng = random.Random(seed)
    truths = []
    for k in range(n):
        font_path = FONTS[k % len(FONTS)]
        size = rng.choice([22, 26, 30, 34])
        font = ImageFont.truetype(font_path, size)
        W, H = 1240, 1754
        img = Image.new("L", (W, H), 255)
        draw = ImageDraw.Draw(img)
        two_col = k == 0
        cols = [(80, 590), (650, 1160)] if two_col else [(80, 1160)]
        lines_out = []
        for x0, x1 in cols:
            y = 100
            while y < H - 150:
                line = ""
                while True:
                    w = rng.choice(WORDS)
                    if rng.random() < 0.15:
                        w = str(rng.randint(1, 9999))
                    cand = (line + " " + w).strip()
                    if draw.textlength(cand, font=font) > x1 - x0:
                        break
                    line = cand
                draw.text((x0, y), line, font=font, fill=rng.randint(0, 60))
                lines_out.append(line)
                y += int(size * 1.6)
                if rng.random() < 0.12:
                    y += size  # paragraph break
        arr = np.asarray(img.rotate(rng.uniform(-5, 5), resample=Image.BILINEAR, fillcolor=255),
                         dtype=np.float64)
        arr += np.random.default_rng(seed + k).normal(0, 10, arr.shape)  # sensor noise
        Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(out / f"page_{k:03d}.png")
        truths.append("\n".join(lines_out))
    return truths


def _model_opt(model: str | None) -> list[str]:
    return ["--model", model] if model else []


def handprinted_pages(out: Path, images: np.ndarray, labels: list[str], n_pages: int,
                      seed: int = 0, scale: int = 2) -> list[str]:
    """Compose pages of 'words' from 28x28 test glyphs (black on white, scaled)."""
    rng = np.random.default_rng(seed)
    # Words are all letters or all digits, as on forms (names, numbers);
    # random mixes like "J3eD0" would only measure a language prior's cost.
    is_digit = np.array([l.isdigit() for l in labels])
    pools = [rng.permutation(np.nonzero(is_digit)[0]), rng.permutation(np.nonzero(~is_digit)[0])]
    pools = [p for p in pools if len(p)]
    cursor = [0] * len(pools)
    truths = []
    g = 28 * scale
    for k in range(n_pages):
        W, H = 1240, 1000
        page = np.full((H, W), 255, np.uint8)
        lines = []
        y = 60
        while y + g < H - 40:
            x, words = 60, []
            while True:
                n = int(rng.integers(2, 7))
                if x + n * (g - 12) > W - 60:
                    break
                word = ""
                pool = int(rng.integers(0, len(pools)))
                for _ in range(n):
                    i = pools[pool][cursor[pool] % len(pools[pool])]
                    cursor[pool] += 1
                    glyph = np.kron(images[i], np.ones((scale, scale), np.uint8))
                    dy = int(rng.integers(-3, 4))
                    region = page[y + dy:y + dy + g, x:x + g]
                    np.minimum(region, 255 - glyph, out=region)
                    word += labels[i]
                    x += g - 14 + int(rng.integers(0, 6))  # MNIST glyphs carry a 4 px margin
                words.append(word)
                x += int(rng.integers(40, 70))
            lines.append(" ".join(words))
            y += g + 30
        Image.fromarray(page).save(out / f"hand_{k:03d}.png")
        truths.append("\n".join(lines))
    return truths


# ------------------------------------------------------------------ tasks
def orand(data_dir: Path, work: Path, limit: int | None, skip_tess: bool, digit_models: list[str],
          split: str = "test") -> dict:
    from ocr.pipeline import Predictor
    from training.datasets import orand_car_a
    from training.evaluate import read_digit_strings

    rows = orand_car_a(data_dir, split)
    rows = rows[:limit] if limit else rows
    paths = [p for p, _ in rows]
    truth = [t for _, t in rows]
    res: dict = {"n": len(rows), "split": split, "ours": {}}
    for model in digit_models:
        predictor = Predictor(model, digits=True)
        t = time.perf_counter()
        ours = read_digit_strings(predictor, paths)
        res["ours"][model] = {**_string_scores(truth, ours), "seconds": round(time.perf_counter() - t, 1)}
    if not skip_tess:
        tess, secs, _ = tesseract_batch(paths, work, 7, "0123456789")
        res["tesseract"] = {**_string_scores(truth, [re.sub(r"\D", "", t) for t in tess]),
                            "seconds": round(secs, 1)}
    return res


def _string_scores(truth: list[str], hyp: list[str]) -> dict:
    cer, exact = string_scores(truth, hyp)
    return {"cer": round(cer, 4), "string_accuracy": round(exact, 4)}


def handprinted(data_dir: Path, work: Path, n_pages: int, skip_tess: bool, jobs: int,
                digit_models: list[str], hand_models: list[str]) -> dict:
    from training.datasets import drop_duplicates, load

    results = {}
    mnist = load("mnist", "test", data_dir)
    bymerge, dropped = drop_duplicates(load("emnist-bymerge", "test", data_dir),
                                       [load("emnist-byclass", "test", data_dir)])
    runs = [(f"mnist_test_digits_{m}", mnist, ["--digits", "--model", m], "0123456789", False)
            for m in digit_models]
    for m in hand_models:
        runs += [(f"mnist_test_{m}", mnist, _model_opt(m), None, False),
                 (f"emnist_bymerge_test_{m}", bymerge, _model_opt(m), None, True)]
    pages: dict[str, tuple[Path, list[str]]] = {}
    for name, ds, extra, wl, fold in runs:
        # Every digit model reads the same MNIST pages.
        key = "mnist" if ds is mnist else "emnist_bymerge_test"
        if key not in pages:
            folder = work / key
            folder.mkdir()
            labels = [ds.classes[i] for i in ds.labels]
            pages[key] = (folder, handprinted_pages(folder, ds.images, labels, n_pages, seed=len(key)))
        folder, truths = pages[key]
        ours, secs, mib = ours_batch(folder, work, extra, jobs)
        if fold:
            truths, ours = [t.upper() for t in truths], [o.upper() for o in ours]
        cer, wer = cer_wer(truths, ours)
        r = {"pages": n_pages, "chars": sum(len(t.replace(" ", "").replace("\n", "")) for t in truths),
             "ours": {"cer": round(cer, 4), "wer": round(wer, 4), "seconds": round(secs, 1)}}
        if name.startswith("emnist_bymerge_test"):
            r["excluded_duplicates"] = dropped
            r["case_insensitive"] = True
        if not skip_tess:
            tess, tsecs, _ = tesseract_batch(sorted(folder.glob("*.png")), work, 6, wl)
            if fold:
                tess = [t.upper() for t in tess]
            tcer, twer = cer_wer(truths, tess)
            r["tesseract"] = {"cer": round(tcer, 4), "wer": round(twer, 4), "seconds": round(tsecs, 1)}
        results[name] = r
    return results


def printed(work: Path, n_pages: int, skip_tess: bool, jobs: int, models: list[str]) -> dict:
    folder = work / "printed"
    folder.mkdir()
    truths = printed_pages(folder, n_pages)
    r: dict = {"pages": n_pages, "fonts": [Path(f).stem for f in FONTS], "ours": {}}
    for model in models:
        ours, secs, mib = ours_batch(folder, work, _model_opt(model), jobs)
        cer, wer = cer_wer(truths, ours)
        two_col = cer_wer(truths[:1], ours[:1])
        r["ours"][model] = {"cer": round(cer, 4), "wer": round(wer, 4), "seconds": round(secs, 1),
                            "pages_per_s": round(n_pages / secs, 3), "peak_mib": mib, "jobs": jobs,
                            "two_column_page_cer": round(two_col[0], 4)}
    if not skip_tess:
        tess, tsecs, tmib = tesseract_batch(sorted(folder.glob("*.png")), work, 3)
        tcer, twer = cer_wer(truths, tess)
        r["tesseract"] = {"cer": round(tcer, 4), "wer": round(twer, 4), "seconds": round(tsecs, 1),
                          "pages_per_s": round(n_pages / tsecs, 3), "peak_mib": tmib,
                          "two_column_page_cer": round(cer_wer(truths[:1], tess[:1])[0], 4),
                          "empty_pages": sum(not t.strip() for t in tess)}
        # Tesseract's automatic layout analysis (psm 3) gives up on some noisy
        # pages ("Empty page!!"); psm 6 (one uniform block) is its fallback.
        tess6, secs6, mib6 = tesseract_batch(sorted(folder.glob("*.png")), work, 6)
        cer6, wer6 = cer_wer(truths, tess6)
        r["tesseract_psm6"] = {"cer": round(cer6, 4), "wer": round(wer6, 4), "seconds": round(secs6, 1),
                               "pages_per_s": round(n_pages / secs6, 3), "peak_mib": mib6}
        # One Tesseract process uses one core (OMP_THREAD_LIMIT=1, as it thrashes
        # otherwise); two side by side use both, as ``ocr read`` does.
        tess2, secs2, mib2 = tesseract_batch(sorted(folder.glob("*.png")), work, 3, processes=2)
        cer2, wer2 = cer_wer(truths, tess2)
        r["tesseract_2proc"] = {"cer": round(cer2, 4), "wer": round(wer2, 4), "seconds": round(secs2, 1),
                                "pages_per_s": round(n_pages / secs2, 3), "peak_mib": mib2}
    return r


def main(argv=None) -> int:
    from ocr.paths import env_data_dir

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=str(env_data_dir() or ROOT.parent / "shared" / "data"))
    ap.add_argument("--tasks", default="orand,hand,printed")
    ap.add_argument("--orand-limit", type=int, default=None, help="First N ORAND-CAR-A strings only.")
    ap.add_argument("--orand-split", default="test", choices=["test", "train", "all"],
                    help="ORAND-CAR-A rows read: test (odd rows, which no bundled model trains on), "
                         "train (even rows; digitline trains on them) or all.")
    ap.add_argument("--hand-pages", type=int, default=3)
    ap.add_argument("--printed-pages", type=int, default=24)
    ap.add_argument("--hand-models", default="auto,charnet",
                    help="Models compared on hand-printed pages (comma-separated; auto is ocr read's default).")
    ap.add_argument("--print-models", default="auto,charnet,textline",
                    help="Models compared on printed pages (comma-separated).")
    ap.add_argument("--digit-models", default="lenet,digitline",
                    help="Digit models compared with --digits (comma-separated).")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--skip-tesseract", action="store_true")
    ap.add_argument("--keep", help="Keep generated pages in this folder (outside the repository).")
    ap.add_argument("--json", help="Write the results here.")
    args = ap.parse_args(argv)
    if not args.skip_tesseract and not shutil.which("tesseract"):
        ap.error("tesseract not found (apt-get install tesseract-ocr) or pass --skip-tesseract")
    data_dir = Path(args.data_dir)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="ocr-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    tasks = set(args.tasks.split(","))
    results: dict = {"command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
                     "cpus": os.cpu_count()}
    if shutil.which("tesseract"):
        results["tesseract_version"] = subprocess.run(["tesseract", "--version"], capture_output=True,
                                                      text=True).stdout.splitlines()[0]
    try:
        if "orand" in tasks:
            results["orand_car_a"] = orand(data_dir, work, args.orand_limit, args.skip_tesseract,
                                           args.digit_models.split(","), args.orand_split)
            print(json.dumps({"orand_car_a": results["orand_car_a"]}), flush=True)
        if "hand" in tasks:
            results["handprinted"] = handprinted(data_dir, work, args.hand_pages, args.skip_tesseract, args.jobs,
                                                 args.digit_models.split(","), args.hand_models.split(","))
            print(json.dumps({"handprinted": results["handprinted"]}), flush=True)
        if "printed" in tasks:
            results["printed"] = printed(work, args.printed_pages, args.skip_tesseract, args.jobs,
                                         args.print_models.split(","))
            print(json.dumps({"printed": results["printed"]}), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)
    return 0


def print_table(results: dict) -> None:
    """One row per engine and task: CER, WER or whole-string accuracy, speed."""
    rows = [("task", "engine", "CER", "WER / strings", "seconds", "pages/s")]
    orand_res = results.get("orand_car_a")
    if orand_res:
        task = f"ORAND-CAR-A {orand_res.get('split', 'all')} ({orand_res['n']})"
        for model, r in orand_res["ours"].items():
            rows.append((task, f"ocr --digits --model {model}", f"{r['cer']:.2%}",
                         f"{r['string_accuracy']:.2%}", f"{r['seconds']}", ""))
        if "tesseract" in orand_res:
            r = orand_res["tesseract"]
            rows.append((task, "tesseract --psm 7 digits", f"{r['cer']:.2%}", f"{r['string_accuracy']:.2%}",
                         f"{r['seconds']}", ""))
    for name, r in results.get("handprinted", {}).items():
        for engine in ("ours", "tesseract"):
            if engine in r:
                e = r[engine]
                rows.append((f"hand pages {name}", "ocr" if engine == "ours" else "tesseract --psm 6",
                             f"{e['cer']:.2%}", f"{e['wer']:.2%}", f"{e['seconds']}", ""))
    printed_res = results.get("printed")
    if printed_res:
        task = f"printed pages ({printed_res['pages']})"
        engines = [(f"ocr --model {m}", e) for m, e in printed_res["ours"].items()]
        engines += [(name, printed_res[key]) for name, key in (("tesseract --psm 3", "tesseract"),
                                                               ("tesseract --psm 6", "tesseract_psm6"),
                                                               ("tesseract --psm 3, 2 processes",
                                                                "tesseract_2proc"))
                    if key in printed_res]
        for name, e in engines:
            rows.append((task, name, f"{e['cer']:.2%}", f"{e['wer']:.2%}", f"{e['seconds']}",
                         f"{e['pages_per_s']}"))
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))


if __name__ == "__main__":
    sys.exit(main())
