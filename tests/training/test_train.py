"""The training loop's warm start (``ocr train MODEL --init``)."""

import numpy as np
import pytest

from ocr.errors import ModelError
from ocr.models import builders
from ocr.models.store import save_model
from training.train import warm_start

SMALL = {"widths": (4, 8, 8, 8, 8), "rnn_units": 8}


def test_warm_start_copies_layers_and_maps_the_output_rows_by_label(tmp_path):
    old = builders.crnn(num_classes=3, **SMALL)
    path = save_model(old, tmp_path / "old.keras", {"labels": list("abc")})
    new = builders.crnn(num_classes=4, **SMALL)
    fresh_x = new.get_layer("frame_classes").get_weights()[0][:, 1].copy()
    counts = warm_start(new, str(path), "xcab")
    assert counts["mapped"] == 1 and counts["new"] == 0 and counts["copied"] >= 10
    for name in ("stage1_conv", "stage5_bn", "frame_proj", "context"):
        for a, b in zip(old.get_layer(name).get_weights(), new.get_layer(name).get_weights()):
            assert np.array_equal(a, b)
    k_old, b_old = old.get_layer("frame_classes").get_weights()
    k_new, b_new = new.get_layer("frame_classes").get_weights()
    assert np.array_equal(k_new[:, 0], k_old[:, 0]) and b_new[0] == b_old[0]  # the CTC blank
    for j, c in enumerate("cab", start=2):
        i = "abc".index(c) + 1
        assert np.array_equal(k_new[:, j], k_old[:, i]) and b_new[j] == b_old[i]
    assert np.array_equal(k_new[:, 1], fresh_x)  # a new label keeps its fresh weights


def test_warm_start_from_another_architecture_is_an_error(tmp_path):
    path = save_model(builders.lenet(filters=(4, 8), dense_units=(16,)), tmp_path / "g.keras",
                      {"labels": list("0123456789")})
    with pytest.raises(ModelError, match="same architecture"):
        warm_start(builders.crnn(num_classes=3, **SMALL), str(path), "abc")
