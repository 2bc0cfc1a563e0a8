"""``ocr train --devices N``: Keras DataParallel on the JAX backend, 2 CPU devices forced by XLA_FLAGS."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from ocr.models.store import read_metadata
from tests.conftest import write_dataset
from training.config import TrainConfig, default

ROOT = Path(__file__).resolve().parents[2]


def test_several_devices_need_jax(tmp_path):
    import keras

    if keras.backend.backend() == "jax":
        pytest.skip("this process runs Keras on JAX")
    result = CliRunner().invoke(main, ["train", "lenet", "--data-dir", str(tmp_path), "--devices", "2",
                                       "--out", str(tmp_path / "l.keras")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1 and "KERAS_BACKEND=jax" in errors[0]


def _train(tmp_path, *options):
    env = {**os.environ, "KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]), "OCR_OFFLINE": "1"}
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), "-q", "train", "lenet", "--data-dir",
                           str(tmp_path / "data"), "--epochs", "1", "--batch-size", "16", "--limit", "101",
                           *options, "--out", str(tmp_path / "l.keras")],
                          env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed (pip install jax)")
def test_two_cpu_devices_data_parallel(tmp_path):
    write_dataset(tmp_path / "data", n_train=101, n_test=20)
    too_many = _train(tmp_path, "--devices", "3")
    assert too_many.returncode == 2 and "only 2 device(s) visible" in too_many.stderr
    done = _train(tmp_path, "--devices", "2")
    assert done.returncode == 0, done.stderr[-2000:]
    training = read_metadata(tmp_path / "l.keras")["training"]
    # Per-device batch 16 -> global 32; the learning rate scaled linearly with it.
    assert training["devices"] == 2 and training["batch_size"] == 32
    assert training["learning_rate"] == pytest.approx(2 * default(TrainConfig, "learning_rate"))
    assert training["device"].startswith("2 x CPU")
