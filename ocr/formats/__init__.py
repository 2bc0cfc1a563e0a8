"""Output formats: one module per format, one registry from name to writer.

Every writer takes a :class:`ocr.document.Document` and returns ``str``
(text formats) or ``bytes`` (``pdf``); the CLI and :meth:`Document.to` only
call :func:`render`. A new format is a new module here plus one registry line.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ocr.errors import FormatError  # noqa: F401  (raised by the writers)

if TYPE_CHECKING:  # pragma: no cover
    from ocr.document import Document


@dataclass(frozen=True)
class Format:
    name: str
    module: str       # module in this package with a ``write(doc, **options)`` function
    suffix: str       # file name suffix
    binary: bool = False
    one_page: bool = False  # the format holds one page per file
    description: str = ""


#: Name -> format, in the order ``--format`` lists them.
FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("text", "text", ".txt", description="plain text, pages separated by form feeds"),
    Format("json", "jsonfmt", ".json", description="the result tree (ocr/schemas/document.schema.json)"),
    Format("hocr", "hocr", ".hocr", description="hOCR 1.2 with Tesseract's structure"),
    Format("tsv", "tsv", ".tsv", description="Tesseract's TSV (one row per page, block, paragraph, line, word)"),
    Format("alto", "alto", ".xml", description="ALTO 4.4 XML"),
    Format("page", "pagexml", ".xml", one_page=True, description="PAGE XML 2019-07-15, one file per page"),
    Format("pdf", "pdf", ".pdf", binary=True, description="searchable PDF: page image + invisible text"),
)}


def get(fmt: str) -> Format:
    try:
        return FORMATS[fmt]
    except KeyError:
        raise FormatError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}") from None


def render(doc: "Document", fmt: str, **options) -> str | bytes:
    """Write ``doc`` in format ``fmt`` (see :data:`FORMATS`); options go to the writer
    (``pdf``: ``images``, ``dpi``; ``page``: ``page`` index)."""
    spec = get(fmt)
    module = importlib.import_module(f"{__name__}.{spec.module}")
    return module.write(doc, **options)


def render_pages(doc: "Document", fmt: str, **options) -> list[str | bytes]:
    """One output per page, for formats that hold one page per file (``page``)."""
    if not get(fmt).one_page:
        return [render(doc, fmt, **options)]
    return [render(doc, fmt, page=i, **options) for i in range(len(doc.pages))]
