"""Plain text: lines and word spaces kept, pages separated by form feeds (as Tesseract)."""

from __future__ import annotations

from ocr.document import Document


def write(doc: Document) -> str:
    text = doc.text
    return text + "\n" if text else ""
