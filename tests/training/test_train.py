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


def test_deslant_defaults_to_the_recipe_of_handwriting_line_models_only():
    from ocr.errors import OcrError
    from ocr.models import registry
    from training.config import RECIPE
    from training.train import resolve_deslant

    handline = registry.get_spec("handline")
    hand_trainer = handline.trainer()()
    assert handline.deslant == {"estimate_factor": 0.3}  # the bundled card's rule
    assert resolve_deslant(handline, hand_trainer, RECIPE) == {"estimate_factor": 0.3}
    assert resolve_deslant(handline, hand_trainer, None) is None
    assert resolve_deslant(handline, hand_trainer, {"shear": 1}) == {"shear": 1.0}
    with pytest.raises(OcrError, match="deslant rule"):
        resolve_deslant(handline, hand_trainer, {"shear": 7})
    for name in ("lenet", "textline", "digitline"):  # no deslanting in their recipes
        spec = registry.get_spec(name)
        assert resolve_deslant(spec, spec.trainer()(), RECIPE) is None
    textline = registry.get_spec("textline")
    with pytest.raises(OcrError, match="handwriting"):
        resolve_deslant(textline, textline.trainer()(), {"shear": 0.5})


@pytest.mark.parametrize("started, option", [({"deslant": {"shear": 0.5}}, "deslant"),  # recipe: estimate x 0.3
                                              ({"average": 0.998}, "average")])  # this run: none
def test_a_run_resumes_only_with_the_settings_it_started_with(tmp_path, started, option):
    import json

    from ocr.errors import OcrError
    from training.config import TrainConfig
    from training.train import checkpoint_paths, train

    out = tmp_path / "handline.keras"
    state = checkpoint_paths(out)[1]
    state.write_text(json.dumps({"epoch": 1, "history": [{}], "config": started}))
    with pytest.raises(OcrError, match=f"pass the same --{option}"):
        train(TrainConfig(model="handline", out=str(out), resume=True))


def test_a_warm_start_from_a_model_that_deslants_otherwise_is_said(tmp_path, caplog):
    import logging

    from training.train import _warn_if_init_reads_otherwise

    path = save_model(builders.crnn(num_classes=3, **SMALL), tmp_path / "old.keras",
                      {"labels": list("abc"), "input": {"deslant": {"shear": 0.5}}})
    with caplog.at_level(logging.WARNING, logger="training.train"):
        _warn_if_init_reads_otherwise(str(path), {"shear": 0.5})
        assert not caplog.records
        _warn_if_init_reads_otherwise(str(path), None)
    assert len(caplog.records) == 1 and '{"shear": 0.5}' in caplog.records[0].getMessage()


def test_the_print_line_models_card_says_its_lines_are_rendered_print():
    from types import SimpleNamespace

    from training.kinds.line import RENDERED_PRINT_LINES

    from ocr.models import registry

    textline, digitline = registry.get_spec("textline"), registry.get_spec("digitline")
    assert textline.trainer()().augmentation(textline, SimpleNamespace(dataset=None)) == {"kind": RENDERED_PRINT_LINES}
    assert "composed strings" in digitline.trainer()().augmentation(digitline, SimpleNamespace(dataset=None))["kind"]
