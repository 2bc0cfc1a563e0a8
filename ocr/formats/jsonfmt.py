"""JSON: the result tree as :meth:`Document.to_dict` gives it, described by
``ocr/schemas/document.schema.json`` (its ``version`` field says which)."""

from __future__ import annotations

import json
from importlib import resources

from ocr.document import Document


def write(doc: Document) -> str:
    # Compact: indenting switches json to its pure-Python encoder, 10x slower on
    # pages of thousands of characters, and makes the file 4x larger.
    return json.dumps(doc.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n"


def schema() -> dict:
    """The JSON Schema of this output (shipped as package data)."""
    return json.loads(resources.files("ocr.schemas").joinpath("document.schema.json").read_text("utf-8"))
