"""ocr: handwriting-first OCR on Keras 3."""

__version__ = "0.1.0"
