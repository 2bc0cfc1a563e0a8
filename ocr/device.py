"""Accelerator detection and mixed precision, behind explicit backend checks."""

from __future__ import annotations

import logging
import os
import sys

log = logging.getLogger(__name__)


def import_keras_quietly():
    """Import Keras with TensorFlow's C++ start-up banner kept off stderr.

    TensorFlow writes oneDNN and CUDA notices from C++ before its logging is
    set up, ignoring TF_CPP_MIN_LOG_LEVEL; they would bury the one-line errors
    the CLI promises. Only file descriptor 2 is silenced, and only during the
    import; a failing import still raises with stderr restored.
    """
    if "keras" in sys.modules:
        return sys.modules["keras"]
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import keras
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return keras


def _gpu_compute_capability() -> tuple[int, int] | None:
    """Return the first GPU's compute capability, or None without a GPU."""
    import keras

    backend = keras.backend.backend()
    try:
        if backend == "jax":
            import jax

            gpus = [d for d in jax.devices() if d.platform == "gpu"]
            if not gpus:
                return None
            major, _, minor = str(getattr(gpus[0], "compute_capability", "8.0")).partition(".")
            return int(major), int(minor or 0)
        if backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            if not gpus:
                return None
            details = tf.config.experimental.get_device_details(gpus[0])
            return tuple(details.get("compute_capability", (8, 0)))
        if backend == "torch":
            import torch

            return torch.cuda.get_device_capability(0) if torch.cuda.is_available() else None
    except Exception as exc:  # a broken driver must not stop CPU training
        log.warning("could not query the GPU (%s); using the CPU", exc)
    return None


def configure(mixed_precision: bool = True) -> str:
    """Use the GPU's fast number format when one is present; describe the device.

    Keras places work on the GPU by itself on every backend; what is left is the
    dtype policy: bfloat16 on Ampere and newer, float16 on Volta/Turing.
    """
    import keras

    capability = _gpu_compute_capability()
    if capability is None:
        keras.mixed_precision.set_global_policy("float32")
        return f"CPU ({keras.backend.backend()} backend)"
    policy = "float32"
    if mixed_precision and capability >= (8, 0):
        policy = "mixed_bfloat16"
    elif mixed_precision and capability >= (7, 0):
        policy = "mixed_float16"
    keras.mixed_precision.set_global_policy(policy)
    return f"GPU sm_{capability[0]}{capability[1]} ({keras.backend.backend()} backend, {policy})"
