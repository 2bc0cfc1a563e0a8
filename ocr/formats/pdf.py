"""Searchable PDF: each page image with an invisible text layer over it.

One PDF page per page, sized from the page's resolution (``dpi``, else the
one its file states, else 300: a 2480x3508 scan at 300 dpi is A4). Each word is
written in invisible text (rendering mode 3, as Tesseract and OCRmyPDF do) on
its line's baseline, stretched to its box, so search, selection and copy find
it where it is on the image. Needs the optional ``fpdf2`` package
(``pip install fpdf2``, the ``pdf`` extra).
"""

from __future__ import annotations

import io
import os
from typing import Sequence

import numpy as np

from ocr import __version__
from ocr.document import Document, Line, Page, Word
from ocr.formats import FormatError

DEFAULT_DPI = 300.0
#: Helvetica's cap height, in ems: a line's cap height in pixels gives the font size.
CAP_HEIGHT_EM = 0.718
INSTALL_HINT = "pip install fpdf2 (the pdf extra: pip install '.[pdf]' in the ocr checkout)"


def _fpdf():
    try:
        import fpdf
    except ImportError:
        raise FormatError(f"writing PDF needs the fpdf2 package: {INSTALL_HINT}") from None
    return fpdf


def encode_image(image: np.ndarray) -> bytes:
    """A page image compressed for embedding: PNG (lossless) for gray, JPEG for colour photos."""
    import cv2

    if image.ndim == 2:
        ok, buf = cv2.imencode(".png", image)
    else:
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:  # pragma: no cover
        raise FormatError("could not encode the page image")
    return buf.tobytes()


def page_dpi(page: Page, dpi: float | None = None) -> float:
    """The resolution a page is laid out at: ``dpi`` if given, else the page's, else 300."""
    return float(dpi or page.dpi or DEFAULT_DPI)


def _image_for(page: Page) -> bytes:
    from ocr.errors import ImageError
    from ocr.io import load

    if not os.path.isfile(page.source):
        raise FormatError(f"{page.source}: the page image is needed for a PDF; pass images= "
                          "(ocr read keeps them itself)")
    try:
        return encode_image(load(page.source)[page.index].image)
    except (ImageError, IndexError) as exc:
        raise FormatError(f"{page.source}: cannot reload the page image for the PDF ({exc})") from None


def _latin1(text: str) -> str:
    # The standard Helvetica font encodes Latin-1; anything else becomes '?' in the text layer.
    return text.encode("latin-1", "replace").decode("latin-1")


def _baseline_y(line: Line, word: Word) -> float:
    """The baseline's y below the word's centre, in pixels (the word box's bottom when unknown)."""
    if len(line.baseline) >= 2:
        (xa, ya), (xb, yb) = line.baseline[0], line.baseline[-1]
        x = (word.box[0] + word.box[2]) / 2
        return ya + (yb - ya) * (x - xa) / (xb - xa) if xb != xa else float(ya)
    return float(word.box[3])


def _text_layer(pdf, page: Page, scale: float) -> None:
    for line in page.lines:
        cap = line.cap_height or 0.75 * (line.box[3] - line.box[1])
        pdf.set_font("helvetica", size=max(cap / CAP_HEIGHT_EM * scale, 1.0))
        words = [w for w in line.words if _latin1(w.text).strip()]
        for i, word in enumerate(words):
            text = _latin1(word.text)
            natural = pdf.get_string_width(text)
            width = (word.box[2] - word.box[0]) * scale
            pdf.set_stretching(100.0 * width / natural if natural > 0 and width > 0 else 100.0)
            # The word fills its box; a space follows inside the same run (PDF readers drop a
            # separate narrow space), so text extraction and search see the words apart.
            pdf.text(word.box[0] * scale, _baseline_y(line, word) * scale,
                     text + " " if i + 1 < len(words) else text)
        pdf.set_stretching(100.0)


def write(doc: Document, images: Sequence[bytes | np.ndarray | None] | None = None,
          dpi: float | None = None, text_only: bool = False) -> bytes:
    """The document as a searchable PDF.

    ``images`` holds each page's image (encoded bytes, or an array); without it
    the images are loaded again from the pages' source files. ``text_only``
    writes the text layer alone (what OCRmyPDF grafts onto its own page).
    """
    fpdf = _fpdf()
    pdf = fpdf.FPDF(unit="pt")
    pdf.set_creator(f"ocr {__version__}")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    if images is not None and len(images) != len(doc.pages):
        raise ValueError(f"{len(images)} images for {len(doc.pages)} pages")
    for n, page in enumerate(doc.pages):
        scale = 72.0 / page_dpi(page, dpi)  # points per pixel
        w_pt, h_pt = page.width * scale, page.height * scale
        pdf.add_page(format=(w_pt, h_pt))
        if not text_only:
            image = images[n] if images is not None else _image_for(page)
            if isinstance(image, np.ndarray):
                image = encode_image(image)
            pdf.image(io.BytesIO(image), x=0, y=0, w=w_pt, h=h_pt)
        pdf.text_mode = fpdf.enums.TextMode.INVISIBLE
        _text_layer(pdf, page, scale)
        pdf.text_mode = fpdf.enums.TextMode.FILL
    return bytes(pdf.output())
