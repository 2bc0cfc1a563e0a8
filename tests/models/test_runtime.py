"""ONNX exports run by ONNX Runtime: same outputs as Keras, never stale, no TensorFlow on the read path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ocr.errors import ModelError
from ocr.models import builders, load, registry
from ocr.models.runtime import export_onnx, export_path, source_matches
from ocr.models.store import save_model

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tiny(tmp_path):
    labels = list("0123456789")
    path = save_model(builders.lenet(num_classes=10, filters=(4, 8), dense_units=(16,)),
                      tmp_path / "tiny.keras", {"labels": labels})
    return path


def test_export_runs_on_onnx_runtime_with_keras_outputs(tiny):
    exported = export_onnx(load(tiny, runtime="keras").net, tiny)
    assert exported == export_path(tiny) and source_matches(tiny)
    x = np.random.default_rng(0).integers(0, 255, (5, 28, 28)).astype(np.float32)
    onnx_model, keras_model = load(tiny), load(tiny, runtime="keras")
    assert onnx_model.runtime == "onnx" and onnx_model.net is None and keras_model.runtime == "keras"
    np.testing.assert_allclose(onnx_model.predict(x), keras_model.predict(x), atol=1e-5)


def test_a_stale_export_is_never_used(tiny):
    export_onnx(load(tiny, runtime="keras").net, tiny)
    # The model is retrained (here: saved again with other weights); its old export no longer matches.
    save_model(builders.lenet(num_classes=10, filters=(4, 8), dense_units=(16,)), tiny,
               {"labels": list("0123456789")}, force=True)
    assert not source_matches(tiny)
    assert load(tiny).runtime == "keras"
    with pytest.raises(ModelError, match="exported from another version"):
        load(tiny, runtime="onnx")


def test_missing_export_with_onnx_runtime_required(tiny, monkeypatch):
    monkeypatch.setenv("OCR_RUNTIME", "onnx")
    with pytest.raises(ModelError, match="no ONNX export"):
        load(tiny)
    monkeypatch.setenv("OCR_RUNTIME", "tflite")
    with pytest.raises(ModelError, match="unknown runtime 'tflite'"):
        load(tiny)


@pytest.mark.parametrize("name", ["lenet", "charnet", "digitline", "textline", "handline", "signet"])
def test_bundled_exports_are_up_to_date(name):
    """A retrained bundled model needs `ocr export NAME` again; this catches a forgotten one."""
    assert source_matches(registry.get_spec(name).weights), f"run: ocr export {name}"


def test_reading_needs_no_tensorflow():
    code = ("import sys, ocr; text = ocr.read('data/samples/form_ruled.png').text; "
            "print(text.splitlines()[0]); print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True, env={"PATH": "/usr/bin:/bin", "OCR_RUNTIME": "auto"})
    assert out.stdout.split("\n")[:2] == ["Name Maria Lopez", "False False"], out.stderr


def test_inference_threads_make_a_new_session_and_reset(tiny):
    """A batch with --jobs runs forward passes on one thread; the outputs do not change."""
    from ocr.models.runtime import inference_threads, set_inference_threads

    export_onnx(load(tiny, runtime="keras").net, tiny)
    x = np.random.default_rng(1).integers(0, 255, (3, 28, 28)).astype(np.float32)
    default = load(tiny)
    assert default.runtime == "onnx" and inference_threads() == 0
    try:
        set_inference_threads(1)
        single = load(tiny)
        assert single is not default and load(tiny) is single
        assert single._forward.session.get_session_options().intra_op_num_threads == 1
        np.testing.assert_allclose(single.predict(x), default.predict(x), atol=1e-6)
    finally:
        set_inference_threads(0)
    assert load(tiny) is default
