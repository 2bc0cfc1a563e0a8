"""Real document sets (training/datasets/documents.py): split, pairs and FUNSD's lines, on tiny fakes."""

import json

import numpy as np
import pytest

from ocr.errors import DataError
from training.datasets.documents import (
    document_split, documents, flatten, form_lines, line_crop,
)


def _word(text, x0, y0, x1, y1):
    return {"text": text, "box": [x0, y0, x1, y1]}


def _form(tmp_path, stem, entities):
    root = tmp_path / "funsd"
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "annotations").mkdir(exist_ok=True)
    (root / "images" / f"{stem}.png").write_bytes(b"")
    path = root / "annotations" / f"{stem}.json"
    path.write_text(json.dumps({"form": [{"words": words} for words in entities]}), encoding="utf-8")
    return path


def test_split_is_fixed_by_the_name_and_about_a_quarter_test():
    names = [f"doc{i:04d}.png" for i in range(2000)]
    splits = [document_split(n) for n in names]
    assert splits == [document_split(n) for n in names]
    assert 0.2 < splits.count("test") / len(names) < 0.3


def test_flatten_maps_typography_and_joins_hyphenated_lines():
    assert flatten("\u201cWell\u201d \u2014 it\u2019s a  tri-\nangle\n") == "\"Well\" - it's a triangle"


def test_form_lines_group_an_entitys_words_by_row(tmp_path):
    path = _form(tmp_path, "f1", [
        [_word("Total", 10, 10, 50, 20), _word("due:", 55, 11, 80, 21),   # one row
         _word("next", 10, 30, 40, 40)],                                   # a second row
        [_word("A", 100, 100, 108, 110), _word("B", 100, 102, 108, 125)],  # union over 1.5 word heights
        [_word("-", 200, 10, 205, 20)],                                    # no letter or digit
    ])
    lines = form_lines(path)
    assert [line.text for line in lines] == ["Total due:", "next"]
    assert lines[0].box == (10, 10, 80, 21) and lines[0].form == "f1"


def test_line_crop_keeps_a_margin_of_a_quarter_of_the_height():
    from training.datasets.documents import FormLine

    image = np.zeros((100, 200), np.uint8)
    crop = line_crop(image, FormLine("f", "ab", (50, 40, 90, 60)))
    assert crop.shape == (20 + 2 * 5, 40 + 2 * 5)


def test_documents_pairs_images_with_their_truth_in_a_split(tmp_path):
    for k in range(12):
        _form(tmp_path, f"form{k:02d}", [[_word("x1", 0, 0, 10, 10)]])
    every = documents(tmp_path, "funsd", "all")
    assert len(every) == 12 and all(a.stem == i.stem for i, a in every)
    dev, test = documents(tmp_path, "funsd", "dev"), documents(tmp_path, "funsd", "test")
    assert len(dev) + len(test) == 12 and not {i for i, _ in dev} & {i for i, _ in test}
    assert len(documents(tmp_path, "funsd", "all", limit=3)) == 3
    with pytest.raises(DataError):
        documents(tmp_path, "funsd", "train")
