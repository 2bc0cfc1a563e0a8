"""ORAND-CAR-A cheque amounts: the image list (``gt.tsv``) and the digit boxes (COCO export).

The images are for research use and have no canonical download, so a missing
folder is an error saying where to put it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ocr.errors import DataError, DatasetNotFoundError
from training.datasets.registry import DATASETS, ORAND_FOLDER
from training.datasets.textfiles import read_utf8

#: ORAND-CAR-A splits: gt.tsv lists the images in an order unrelated to their
#: content (sorted by a hash in the file name), so alternate rows make two
#: halves drawn at random: ``train`` (even rows) for training and adaptation,
#: ``test`` (odd rows) for scores; ``all`` is every row.
ORAND_SPLITS = ("all", "train", "test")
ORAND_COCO = "ORAND-CAR-2014-coco/annotations/instances_train2017.json"


def orand_folder(data_dir: str | os.PathLike | None = None) -> Path:
    """The ORAND-CAR-A folder (the one holding ``gt.tsv``) found in the search directories."""
    return DATASETS[ORAND_FOLDER].require(data_dir)


def orand_car_a(data_dir: str | os.PathLike | None = None, split: str = "all") -> list[tuple[Path, str]]:
    """ORAND-CAR-A cheque amounts: (image path, digit string) pairs, from ``gt.tsv``.

    ``split`` is one of :data:`ORAND_SPLITS`.
    """
    if split not in ORAND_SPLITS:
        raise DataError(f"{ORAND_FOLDER} has no split {split!r}; use one of {', '.join(ORAND_SPLITS)}")
    table = orand_folder(data_dir) / "gt.tsv"
    rows = [line.split("\t") for line in read_utf8(table).splitlines()[1:] if line.strip()]
    out = [(table.parent / r[0], r[1].strip()) for r in rows if len(r) >= 2]
    missing = [p for p, _ in out if not p.is_file()]
    if missing:
        raise DataError(f"{table}: {len(missing)} listed images are missing, e.g. {missing[0]}")
    out = out if split == "all" else out[0::2] if split == "train" else out[1::2]
    if not out:
        raise DataError(f"{table}: no images listed for the {split} split (rows: image path, digit string)")
    return out


def orand_digit_boxes(data_dir: str | os.PathLike | None = None) -> dict[str, list[tuple[tuple[int, int, int, int], str]]]:
    """Per ORAND-CAR-A image file name, its digits' boxes (x, y, w, h) and digits, left to right."""
    path = orand_folder(data_dir) / ORAND_COCO
    if not path.is_file():
        raise DatasetNotFoundError(f"{path} not found: the digit boxes come with ORAND-CAR-A's COCO export")
    try:
        coco = json.loads(read_utf8(path, max_bytes=256 * 1024 * 1024))
        names = {c["id"]: str(c["name"]) for c in coco["categories"]}
        files = {im["id"]: im["file_name"] for im in coco["images"]}
        boxes: dict[str, list] = {name: [] for name in files.values()}
        for ann in coco["annotations"]:
            x, y, w, h = (int(round(v)) for v in ann["bbox"])
            boxes[files[ann["image_id"]]].append(((x, y, w, h), names[ann["category_id"]]))
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{path}: not a COCO annotation file ({exc})") from None
    return {name: sorted(b, key=lambda item: item[0][0]) for name, b in boxes.items()}
