"""ocr: handwriting-first OCR on Keras 3."""

from __future__ import annotations

import os

__version__ = "0.1.0"


def _quiet_tensorflow() -> None:
    """Keep TensorFlow's C++ start-up lines (oneDNN, cuInit) off stderr, unless asked for.

    Setting ``TF_CPP_MIN_LOG_LEVEL`` yourself (``0`` shows everything) is asking:
    then it is left alone and Keras is imported as usual.
    """
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    from ocr.device import import_keras_quietly

    import_keras_quietly()


def read(source, **options):
    """Read the text of an image, file, PDF, directory, array or PIL image; see :func:`ocr.pipeline.read`.

    Imported lazily so ``import ocr`` stays cheap (no Keras until it is needed).
    """
    # Reading runs on ONNX Runtime where it can; Keras, if a model needs it, is
    # imported quietly by the loader (ocr.models.store.load_keras).
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from ocr.pipeline import read as _read

    return _read(source, **options)


def verify_signature(references, questioned, **options):
    """Check a questioned signature against genuine references; see :func:`ocr.verify.verify_signature`.

    Imported lazily, like :func:`read`.
    """
    _quiet_tensorflow()
    from ocr.verify import verify_signature as _verify

    return _verify(references, questioned, **options)


def enroll_signatures(references, **options):
    """Read and embed a writer's genuine references once, for many checks; see
    :func:`ocr.verify.enroll_signatures` (pass the result to :func:`verify_signature`)."""
    _quiet_tensorflow()
    from ocr.verify import enroll_signatures as _enroll

    return _enroll(references, **options)
