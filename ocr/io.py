"""Loading document pages: images, multi-page TIFF, PDF, directories and stdin.

Every loader returns a list of pages as uint8 arrays, (H, W) grayscale or
(H, W, 3) RGB. Anything wrong with an input (missing, empty, truncated, not an
image, absurdly large, too small) raises :class:`ocr.errors.ImageError` with a
message that names the input, so a caller can report it and go on.
"""

from __future__ import annotations

import io
import logging
import os
import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ocr.errors import ImageError

log = logging.getLogger(__name__)

#: File name suffixes read from a directory (other files there are skipped).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".pdf")
#: The same without PDF: what glyph, line and signature folders are read from.
RASTER_SUFFIXES = tuple(s for s in IMAGE_SUFFIXES if s != ".pdf")
#: Largest page accepted, in pixels: an A3 page at 600 dpi is ~70 Mpx. Larger
#: inputs are almost always decompression bombs or mistakes and would exhaust memory.
MAX_PIXELS = 100_000_000
#: Largest file read from disk or stdin.
MAX_FILE_BYTES = 512 * 1024 * 1024
#: Most pages read from one file (a PDF or TIFF claiming more is suspicious).
MAX_PAGES = 2000
#: Smallest side of a usable page: a glyph needs a few pixels.
MIN_SIDE = 8
#: PDF pages are rendered at this resolution.
PDF_DPI = 300


@dataclass(frozen=True)
class PageImage:
    """One page of an input: its pixels and where it came from."""

    source: str
    index: int  # 0-based page number inside the source
    image: np.ndarray
    dpi: float | None = None  # resolution the file states (PDFs: the one rendered at), if any


def expand_inputs(inputs: list[str]) -> list[str]:
    """Replace each directory by its image files, sorted by name; keep other entries.

    Missing paths are kept so that loading them reports the problem in order.
    """
    out: list[str] = []
    for item in inputs:
        path = Path(item)
        if item != "-" and path.is_dir():
            files = sorted(p for p in path.iterdir()
                           if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
            if not files:
                log.warning("%s: directory has no image files", item)
            out.extend(str(p) for p in files)
        else:
            out.append(item)
    return out


def _check_size(name: str, width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise ImageError(f"{name}: image too large ({width}x{height} pixels, "
                         f"limit {MAX_PIXELS:,})")
    if width < MIN_SIDE or height < MIN_SIDE:
        raise ImageError(f"{name}: image too small ({width}x{height} pixels, "
                         f"at least {MIN_SIDE}x{MIN_SIDE} needed)")


def _pil_to_array(img) -> np.ndarray:
    """Convert a PIL image to uint8 gray or RGB, compositing alpha onto white."""
    from PIL import Image

    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float64)
        hi = arr.max() or 1.0
        return np.clip(arr * (255.0 / hi), 0, 255).astype(np.uint8)
    if img.mode == "F":
        arr = np.asarray(img, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        return ((arr - lo) * (255.0 / ((hi - lo) or 1.0))).astype(np.uint8)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        img = img.convert("RGBA")
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, img)
    if img.mode in ("1", "L"):
        return np.asarray(img.convert("L"), dtype=np.uint8).copy()
    return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()


def _decode_image(name: str, data: bytes) -> list[np.ndarray]:
    from PIL import Image, ImageSequence, UnidentifiedImageError

    # Pillow's own bomb check warns below 2x its limit; ours is stricter and an error.
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    pages = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                for i, frame in enumerate(ImageSequence.Iterator(img)):
                    if i >= MAX_PAGES:
                        raise ImageError(f"{name}: more than {MAX_PAGES} pages")
                    _check_size(name, *frame.size)
                    frame.load()
                    pages.append(_pil_to_array(_upright(frame)))
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(f"{name}: not an image or PDF (unrecognized format)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"{name}: image too large (decompression bomb guard: {exc})") from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageError(f"{name}: corrupt or truncated image ({exc})") from None
    return pages


def _upright(img):
    """Apply the EXIF orientation (a phone photo stored sideways), as viewers do."""
    from PIL import ImageOps

    return ImageOps.exif_transpose(img) if img.getexif().get(0x0112, 1) != 1 else img


def image_dpi(data: bytes) -> float | None:
    """The horizontal resolution an image file states (PDFs: the one they are rendered at), or None."""
    if data[:5] == b"%PDF-":
        return float(PDF_DPI)
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            dpi = img.info.get("dpi")
    except Exception:  # undecodable files are reported by decode()
        return None
    try:
        value = float(dpi[0] if isinstance(dpi, tuple) else dpi)
    except (TypeError, ValueError):
        return None
    return value if 1 <= value <= 10_000 else None  # 0 or absurd values mean "not stated"


def is_pil_image(obj) -> bool:
    """Whether ``obj`` is a PIL image, without importing PIL for other inputs."""
    return type(obj).__module__.startswith("PIL.") and hasattr(obj, "getexif")


def from_pil(img, name: str | None = None) -> list[PageImage]:
    """The current frame of a PIL image as a page (EXIF orientation applied, like files)."""
    name = name or getattr(img, "filename", "") or "<image>"
    _check_size(name, *img.size)
    dpi = img.info.get("dpi")
    try:
        dpi = float(dpi[0] if isinstance(dpi, tuple) else dpi) if dpi else None
    except (TypeError, ValueError):
        dpi = None
    return [PageImage(name, 0, _pil_to_array(_upright(img)), dpi)]


def _decode_pdf(name: str, data: bytes, dpi: int = PDF_DPI) -> list[np.ndarray]:
    try:
        import pypdfium2 as pdfium
    except ImportError:  # pragma: no cover - declared dependency
        raise ImageError(f"{name}: reading PDF needs the pypdfium2 package") from None
    try:
        pdf = pdfium.PdfDocument(data)
    except Exception as exc:  # pdfium raises PdfiumError and others
        # PDFium refuses a document whose page tree is empty; say what is wrong.
        if re.search(rb"/Type\s*/Pages\b", data) and not re.search(rb"/Count\s*[1-9]", data):
            raise ImageError(f"{name}: PDF has no pages") from None
        raise ImageError(f"{name}: corrupt or unreadable PDF ({exc})") from None
    try:
        n = len(pdf)
        if n == 0:
            raise ImageError(f"{name}: PDF has no pages")
        if n > MAX_PAGES:
            raise ImageError(f"{name}: PDF has {n} pages, limit {MAX_PAGES}")
        scale = dpi / 72.0
        pages = []
        for i in range(n):
            page = pdf[i]
            w_pt, h_pt = page.get_size()
            _check_size(f"{name} page {i + 1}", int(w_pt * scale), int(h_pt * scale))
            bitmap = page.render(scale=scale, grayscale=True)
            arr = bitmap.to_numpy()
            pages.append(np.ascontiguousarray(arr[..., 0] if arr.ndim == 3 else arr, dtype=np.uint8))
        return pages
    except ImageError:
        raise
    except Exception as exc:
        raise ImageError(f"{name}: cannot render PDF ({exc})") from None
    finally:
        pdf.close()


def decode(data: bytes, name: str = "<bytes>") -> list[np.ndarray]:
    """Decode the bytes of an image or PDF file into its pages."""
    if len(data) == 0:
        raise ImageError(f"{name}: empty file (0 bytes)")
    if len(data) > MAX_FILE_BYTES:
        raise ImageError(f"{name}: file too large ({len(data):,} bytes)")
    if data[:5] == b"%PDF-":
        return _decode_pdf(name, data)
    return _decode_image(name, data)


def _read_stream(stream: BinaryIO, name: str) -> bytes:
    data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ImageError(f"{name}: input too large (over {MAX_FILE_BYTES:,} bytes)")
    return data


def load(source: str | os.PathLike | bytes | np.ndarray, name: str | None = None) -> list[PageImage]:
    """Load every page of ``source``: a path, ``"-"`` (stdin), raw bytes or an array.

    Raises :class:`ImageError` naming the input when it cannot be read.
    """
    if isinstance(source, np.ndarray):
        name = name or "<array>"
        arr = source
        if arr.dtype == bool:
            arr = np.where(arr, 0, 255).astype(np.uint8)  # True = ink
        elif arr.dtype != np.uint8:
            arr = np.asarray(arr, dtype=np.float64)
            if arr.size and arr.max() <= 1.0:
                arr = arr * 255.0
            arr = np.clip(arr, 0, 255).astype(np.uint8)
        if arr.ndim == 3 and arr.shape[2] == 4:
            arr = arr[..., :3]
        if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 3)):
            raise ImageError(f"{name}: expected a (H, W) or (H, W, 3) array, got shape {arr.shape}")
        if arr.ndim == 3 and arr.shape[2] == 1:
            arr = arr[..., 0]
        _check_size(name, arr.shape[1], arr.shape[0])
        return [PageImage(name, 0, arr)]
    if isinstance(source, (bytes, bytearray)):
        name = name or "<bytes>"
        data = bytes(source)
        return [PageImage(name, i, p, dpi) for dpi in [image_dpi(data)] for i, p in enumerate(decode(data, name))]
    text = os.fspath(source)
    if text == "-":
        name = name or "<stdin>"
        data = _read_stream(sys.stdin.buffer, name)
        return [PageImage(name, i, p, dpi) for dpi in [image_dpi(data)] for i, p in enumerate(decode(data, name))]
    name = name or text
    path = Path(text)
    if path.is_dir():
        raise ImageError(f"{name}: is a directory")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImageError(f"{name}: file too large ({size:,} bytes)")
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImageError(f"{name}: no such file") from None
    except PermissionError:
        raise ImageError(f"{name}: permission denied") from None
    except OSError as exc:
        raise ImageError(f"{name}: cannot read file ({exc.strerror or exc})") from None
    return [PageImage(name, i, p, dpi) for dpi in [image_dpi(data)] for i, p in enumerate(decode(data, name))]
