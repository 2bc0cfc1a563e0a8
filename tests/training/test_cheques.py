"""Cheque amounts as training material: splits, digit boxes, cutting, real-line variants."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from ocr.errors import DataError
from training.cheques import augment_line, augmented_lines, orand_cheques, orand_glyphs, orand_lines, read_cheque
from training.datasets import ORAND_COCO, orand_car_a, orand_digit_boxes


def draw_amount(digits: str, dot_after: int | None = None) -> tuple[np.ndarray, list]:
    """A dark-on-light amount and its digit boxes (x, y, w, h) measured from the drawn ink."""
    page = np.full((70, 40 + 34 * len(digits)), 255, np.uint8)
    boxes = []
    x = 14
    for i, d in enumerate(digits):
        alone = np.full_like(page, 255)
        cv2.putText(alone, d, (x, 52), cv2.FONT_HERSHEY_SIMPLEX, 1.3, 0, 3)
        ys, xs = np.nonzero(alone < 128)
        boxes.append(((int(xs.min()), int(ys.min()), int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1), d))
        page = np.minimum(page, alone)
        x += 34
        if dot_after == i:
            cv2.circle(page, (x - 3, 50), 3, 0, -1)
            x += 8
    return page, boxes


def write_orand(root: Path, amounts: list[str]) -> Path:
    """A tiny ORAND-CAR-A folder: images, gt.tsv and the COCO digit boxes."""
    folder = root / "orand-car-a"
    images_dir = folder / "ORAND-CAR-2014-coco" / "images" / "train2017"
    images_dir.mkdir(parents=True)
    coco = {"categories": [{"id": d, "name": str(d)} for d in range(10)], "images": [], "annotations": []}
    rows = ["image\tdigits_left_to_right\tn_digit_boxes"]
    for k, amount in enumerate(amounts):
        page, boxes = draw_amount(amount, dot_after=0 if len(amount) > 3 else None)
        name = f"a_car_{k:06d}.png"
        Image.fromarray(page).save(images_dir / name)
        coco["images"].append({"id": k, "file_name": name})
        for box, d in reversed(boxes):  # the COCO file is in no particular order
            coco["annotations"].append({"id": len(coco["annotations"]), "image_id": k,
                                        "category_id": int(d), "bbox": list(box)})
        rows.append(f"ORAND-CAR-2014-coco/images/train2017/{name}\t{amount}\t{len(amount)}")
    (folder / "gt.tsv").write_text("\n".join(rows) + "\n")
    (folder / ORAND_COCO).parent.mkdir(parents=True)
    (folder / ORAND_COCO).write_text(json.dumps(coco))
    return root


def test_splits_are_alternate_rows(tmp_path):
    root = write_orand(tmp_path, ["12", "345", "6789", "10"])
    everything = orand_car_a(root)
    assert [t for _, t in everything] == ["12", "345", "6789", "10"]
    assert [t for _, t in orand_car_a(root, "train")] == ["12", "6789"]
    assert [t for _, t in orand_car_a(root, "test")] == ["345", "10"]
    with pytest.raises(DataError, match="no split 'dev'"):
        orand_car_a(root, "dev")


def test_a_table_without_rows_is_a_clear_error(tmp_path):
    root = write_orand(tmp_path, ["7"])
    assert len(orand_car_a(root, "train")) == 1
    with pytest.raises(DataError, match="no images listed for the test split"):
        orand_car_a(root, "test")


def test_digit_boxes_are_read_left_to_right(tmp_path):
    root = write_orand(tmp_path, ["907"])
    boxes = orand_digit_boxes(root)["a_car_000000.png"]
    assert [d for _, d in boxes] == ["9", "0", "7"]
    assert boxes[0][0][0] < boxes[1][0][0] < boxes[2][0][0]


def test_a_foreign_annotation_file_is_a_clear_error(tmp_path):
    root = write_orand(tmp_path, ["1"])
    (root / "orand-car-a" / ORAND_COCO).write_text('{"images": 3}')
    with pytest.raises(DataError, match="not a COCO annotation file"):
        orand_digit_boxes(root)


def test_cutting_keeps_each_digit_and_finds_the_separator(tmp_path):
    page, boxes = draw_amount("5230", dot_after=0)
    path = tmp_path / "amount.png"
    Image.fromarray(page).save(path)
    cheque = read_cheque(path, boxes)
    assert cheque.labels == [5, 2, 3, 0] and cheque.text == "5.230"
    for digit, ((x, y, w, h), _) in zip(cheque.digits, boxes):
        assert digit.shape == (h, w) and digit.any()
    # The dot belongs to no digit.
    assert sum(d.sum() for d in cheque.digits) < cheque.ink.sum()


def test_a_neighbour_poking_into_a_box_is_left_out(tmp_path):
    page, boxes = draw_amount("11")
    (x, y, w, h), d = boxes[0]
    reach = boxes[1][0][0] + 6 - x  # 6 columns into the second "1"
    widened = [((x, y, reach, h), d), boxes[1]]
    path = tmp_path / "amount.png"
    Image.fromarray(page).save(path)
    cheque = read_cheque(path, widened)
    first = cheque.digits[0]
    assert first.shape[1] == reach and first[:, :w].any()
    assert not first[:, w + 2:].any()  # the second digit's stroke is not in the first box's glyph


def test_cheques_give_glyphs_and_lines_with_separators(tmp_path):
    root = write_orand(tmp_path, ["1234", "56", "7890", "12"])
    cheques = orand_cheques("train", root)
    assert [c.text for c in cheques] == ["1.234", "7.890"]
    assert orand_cheques("train", str(root)) is cheques  # read once per folder and split
    glyphs = orand_glyphs(cheques)
    assert glyphs.images.shape == (8, 28, 28) and list(glyphs.labels) == [1, 2, 3, 4, 7, 8, 9, 0]
    lines = orand_lines(cheques)
    x, texts = augmented_lines(lines, 6, np.random.default_rng(0))
    assert x.shape == (6, 32, 160) and set(texts) <= {"1.234", "7.890"}
    assert all(img.any() for img in x)


def test_augmented_line_keeps_the_ink():
    mask = np.zeros((40, 120), bool)
    mask[10:30, 10:110:12] = True
    for seed in range(5):
        out = augment_line(mask, np.random.default_rng(seed))
        assert out.dtype == bool and out.sum() > 0.5 * mask.sum()


def test_digit_line_training_data_mixes_real_amounts(tmp_path):
    from ocr.models import registry
    from tests.conftest import write_dataset
    from training.config import TrainConfig
    from training.kinds.line import line_arrays

    root = write_orand(write_dataset(tmp_path), ["1234", "56", "7890", "12", "345", "6789"] * 4)
    config = TrainConfig(model="digitline", out=str(tmp_path / "d.keras"), data_dir=str(root), limit=200)
    (x, y), (x_val, y_val), used = line_arrays(registry.get_spec("digitline"), config,
                                                np.random.default_rng(0))
    assert len(x) == len(y) == 200 and x.shape[1:] == (32, 160) and len(x_val) == len(y_val)
    assert any(u.startswith("mnist:train") for u in used)
    assert any("orand-car-a:train" in u and "composed" in u for u in used)  # cut digits
    assert any("whole amounts" in u for u in used)  # real lines
    # The last 15% are variants of the real amounts, with the separators the boxes did not label.
    labels = registry.get_spec("digitline").labels
    texts = ["".join(labels[i - 1] for i in row if i) for row in y[-30:]]
    assert set(texts) <= {"1.234", "56", "7.890", "12", "345", "6.789"} and "1.234" in texts
