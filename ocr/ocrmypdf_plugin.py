"""OCRmyPDF plugin: OCRmyPDF's PDF handling (PDF/A, page rotation, parallel pages,
optimization) with this package as the OCR engine.

    ocrmypdf --plugin ocr.ocrmypdf_plugin in.pdf out.pdf
    ocrmypdf --plugin ocr.ocrmypdf_plugin --ocr-model textline in.pdf out.pdf

OCRmyPDF rasterizes each page and calls :meth:`OcrEngine.generate_hocr`, which
reads the image with :class:`ocr.pipeline.Predictor` and writes this package's
hOCR (:mod:`ocr.formats.hocr`); OCRmyPDF renders that into the text layer.
With ``--pdf-renderer sandwich`` it calls :meth:`generate_pdf` instead, which
writes the text-only PDF with :mod:`ocr.formats.pdf`. Needs OCRmyPDF (the ``ocrmypdf`` extra).
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from ocrmypdf import hookimpl
from ocrmypdf.pluginspec import OcrEngine, OrientationConfidence

from ocr import __version__

log = logging.getLogger(__name__)

_lock = threading.Lock()
_predictors: dict[tuple, object] = {}


@hookimpl
def add_options(parser):
    group = parser.add_argument_group("ocr", "Options of the ocr engine (ocr.ocrmypdf_plugin)")
    group.add_argument("--ocr-model", metavar="MODEL",
                       help="ocr model: auto (default), a registry name (textline, charnet, digitline, "
                            "lenet) or a .keras path.")
    group.add_argument("--ocr-digits", action="store_true", help="Digit fields only (ocr read --digits).")


@hookimpl
def check_options(options):
    """Refuse a missing model file before any page is rasterized."""
    from ocrmypdf.exceptions import BadArgsError

    model = _option(options, "ocr_model")
    if model and (model.endswith(".keras") or os.sep in model) and not os.path.isfile(model):
        raise BadArgsError(f"--ocr-model {model}: model file not found")


def _option(options, name: str, default=None):
    try:
        value = getattr(options, name)
    except AttributeError:
        return default
    return default if value is None else value


def _read(input_file: Path, options):
    """Read one rasterized page with a predictor kept per process (the model loads once)."""
    from ocr.device import import_keras_quietly
    from ocr.io import load
    from ocr.pipeline import Document, Predictor

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import_keras_quietly()
    key = (_option(options, "ocr_model"), bool(_option(options, "ocr_digits", False)))
    with _lock:
        predictor = _predictors.get(key)
        if predictor is None:
            predictor = _predictors[key] = Predictor(key[0], digits=key[1])
        # One recognition at a time per process: OCRmyPDF's parallelism is over processes.
        pages = [predictor.read_page(p) for p in load(str(input_file))]
        return Document(pages, model=predictor.recognizer.model_name)


class OcrPackageEngine(OcrEngine):
    """This package's recognizer behind OCRmyPDF's engine interface."""

    @staticmethod
    def version() -> str:
        return __version__

    @staticmethod
    def creator_tag(options) -> str:
        return f"ocr {__version__}"

    def __str__(self) -> str:
        return f"ocr {__version__}"

    @staticmethod
    def languages(options) -> set[str]:
        # The models read Latin-script text; OCRmyPDF asks for 'eng' unless told otherwise.
        return {"eng"}

    @staticmethod
    def get_orientation(input_file: Path, options) -> OrientationConfidence:
        # No 90-degree page orientation detection: report none, with no confidence.
        return OrientationConfidence(angle=0, confidence=0.0)

    @staticmethod
    def get_deskew(input_file: Path, options) -> float:
        # The pipeline corrects small skew itself and maps its boxes back to the image.
        return 0.0

    @staticmethod
    def generate_hocr(input_file: Path, output_hocr: Path, output_text: Path, options) -> None:
        from ocr.formats import render

        doc = _read(input_file, options)
        Path(output_hocr).write_text(render(doc, "hocr"), encoding="utf-8")
        Path(output_text).write_text(render(doc, "text"), encoding="utf-8")

    @staticmethod
    def generate_pdf(input_file: Path, output_pdf: Path, output_text: Path, options) -> None:
        from ocr.formats import render

        doc = _read(input_file, options)
        Path(output_pdf).write_bytes(render(doc, "pdf", text_only=True))
        Path(output_text).write_text(render(doc, "text"), encoding="utf-8")


@hookimpl
def get_ocr_engine(options):
    """This engine, unless another is named (``--ocr-engine tesseract`` or ``none``)."""
    if options is not None and _option(options, "ocr_engine", "auto") != "auto":
        return None
    return OcrPackageEngine()
