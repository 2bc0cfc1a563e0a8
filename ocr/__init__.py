"""ocr: handwriting-first OCR on Keras 3."""

__version__ = "0.1.0"


def read(source, **options):
    """Read the text of an image, file, PDF, directory or array; see :func:`ocr.pipeline.read`.

    Imported lazily so ``import ocr`` stays cheap (no Keras until it is needed).
    """
    from ocr.pipeline import read as _read

    return _read(source, **options)


def verify_signature(references, questioned, **options):
    """Check a questioned signature against genuine references; see :func:`ocr.verify.verify_signature`.

    Imported lazily, like :func:`read`.
    """
    from ocr.verify import verify_signature as _verify

    return _verify(references, questioned, **options)
