"""Loading document pages: images, multi-page TIFF, PDF, directories and stdin.

Pages are uint8 arrays, (H, W) grayscale or (H, W, 3) RGB. :func:`open_pages`
decodes them one at a time as they are iterated (a 40-page TIFF or a 200-page
PDF costs one page of memory); :func:`load` returns them all. Anything wrong with an input (missing, empty, truncated, not an
image, absurdly large, too small) raises :class:`ocr.errors.ImageError` with a
message that names the input, so a caller can report it and go on.
"""

from __future__ import annotations

import io
import logging
import os
import re
import stat
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator

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

    Only regular files are taken from a directory (a FIFO or a device there
    would block or never end); a FIFO or ``<(cmd)`` named as an input is kept
    and read. Missing paths, names too long for the system and directories
    that cannot be listed are kept too, so that loading them reports the
    problem in order and the other inputs are still read.
    """
    out: list[str] = []
    for item in inputs:
        if item == "-" or not os.path.isdir(item):  # isdir is False on any OSError
            out.append(item)
            continue
        try:
            with os.scandir(item) as entries:
                names = sorted(e.name for e in entries if _is_image_file(e))
        except OSError:
            out.append(item)  # load() says why it cannot be listed
            continue
        if not names:
            log.warning("%s: directory has no image files", item)
        out.extend(str(Path(item) / name) for name in names)
    return out


def _is_image_file(entry: os.DirEntry) -> bool:
    if os.path.splitext(entry.name)[1].lower() not in IMAGE_SUFFIXES:
        return False
    try:
        return entry.is_file()  # regular files (or links to them) only
    except OSError:
        return False


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
        return np.array(img if img.mode == "L" else img.convert("L"), dtype=np.uint8)
    return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()


class Pages:
    """The pages of one input, decoded one at a time as they are iterated.

    ``len()`` is known from the file's header (a TIFF's frames, a PDF's page
    count) before any page is decoded, so a long multi-page file never sits
    in memory: only the page being read does. Iterating again decodes again.
    A page that cannot be decoded raises :class:`ImageError` when reached,
    after the pages before it.
    """

    def __init__(self, name: str, count: int, frames: Callable[[], Iterator[np.ndarray]],
                 dpi: float | None = None) -> None:
        self.name = name
        self.count = count
        self._frames = frames
        self.dpi = dpi

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[PageImage]:
        for i, image in enumerate(self._frames()):
            yield PageImage(self.name, i, image, self.dpi)


def _open_image(name: str, data: bytes) -> Pages:
    from PIL import Image, UnidentifiedImageError

    # Pillow's own bomb check warns below 2x its limit; ours is stricter and an error.
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS

    def guarded(what: str, step: Callable[[], Any]) -> Any:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                return step()
        except ImageError:
            raise
        except UnidentifiedImageError:
            raise ImageError(f"{what}: not an image or PDF (unrecognized format)") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageError(f"{what}: image too large (decompression bomb guard: {exc})") from None
        except MemoryError:
            raise ImageError(f"{what}: out of memory decoding the image") from None
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            raise ImageError(f"{what}: corrupt or truncated image ({exc})") from None

    def header() -> tuple[Any, int]:
        img = Image.open(io.BytesIO(data))
        try:
            count = int(getattr(img, "n_frames", 1) or 1)
        except Exception:
            img.close()
            raise
        return img, count

    first, count = guarded(name, header)
    dpi = _stated_dpi(first.info.get("dpi"))
    first.close()
    if count > MAX_PAGES:
        raise ImageError(f"{name}: {count} pages, limit {MAX_PAGES}")

    def frames() -> Iterator[np.ndarray]:
        img = guarded(name, lambda: Image.open(io.BytesIO(data)))
        try:
            for i in range(count):
                what = name if count == 1 else f"{name} page {i + 1}"

                def one() -> np.ndarray:
                    img.seek(i)
                    _check_size(what, *img.size)  # before decoding: the header may lie
                    img.load()
                    return _pil_to_array(_upright(img))

                yield guarded(what, one)
        finally:
            img.close()

    return Pages(name, count, frames, dpi)


def _stated_dpi(dpi) -> float | None:
    """A resolution as files state it (a number or an (x, y) pair); 0 or absurd values mean none."""
    try:
        value = float(dpi[0] if isinstance(dpi, tuple) else dpi)
    except (TypeError, ValueError):
        return None
    return value if 1 <= value <= 10_000 else None


def _upright(img):
    """Apply the EXIF orientation (a phone photo stored sideways), as viewers do."""
    from PIL import ImageOps

    return ImageOps.exif_transpose(img) if img.getexif().get(0x0112, 1) != 1 else img


def is_pil_image(obj) -> bool:
    """Whether ``obj`` is a PIL image, without importing PIL for other inputs."""
    return type(obj).__module__.startswith("PIL.") and hasattr(obj, "getexif")


def from_pil(img, name: str | None = None) -> list[PageImage]:
    """The current frame of a PIL image as a page (EXIF orientation applied, like files)."""
    name = name or getattr(img, "filename", "") or "<image>"
    _check_size(name, *img.size)
    return [PageImage(name, 0, _pil_to_array(_upright(img)), _stated_dpi(img.info.get("dpi")))]


def _open_pdf(name: str, data: bytes, dpi: int = PDF_DPI) -> Pages:
    try:
        import pypdfium2 as pdfium
    except ImportError:  # pragma: no cover - declared dependency
        raise ImageError(f"{name}: reading PDF needs the pypdfium2 package") from None

    def document():
        try:
            return pdfium.PdfDocument(data)
        except Exception as exc:  # pdfium raises PdfiumError and others
            # PDFium refuses a document whose page tree is empty; say what is wrong.
            if re.search(rb"/Type\s*/Pages\b", data) and not re.search(rb"/Count\s*[1-9]", data):
                raise ImageError(f"{name}: PDF has no pages") from None
            raise ImageError(f"{name}: corrupt or unreadable PDF ({exc})") from None

    pdf = document()
    try:
        n = len(pdf)
    finally:
        pdf.close()
    if n == 0:
        raise ImageError(f"{name}: PDF has no pages")
    if n > MAX_PAGES:
        raise ImageError(f"{name}: PDF has {n} pages, limit {MAX_PAGES}")
    scale = dpi / 72.0

    def frames() -> Iterator[np.ndarray]:
        # Rendered as reading reaches each page: a 200-page PDF costs one page of memory.
        pdf = document()
        try:
            for i in range(n):
                what = f"{name} page {i + 1}"
                try:
                    page = pdf[i]
                    w_pt, h_pt = page.get_size()
                    _check_size(what, int(w_pt * scale), int(h_pt * scale))
                    bitmap = page.render(scale=scale, grayscale=True)
                    arr = bitmap.to_numpy()
                    out = np.ascontiguousarray(arr[..., 0] if arr.ndim == 3 else arr, dtype=np.uint8)
                    del arr, bitmap, page
                except ImageError:
                    raise
                except Exception as exc:
                    raise ImageError(f"{what}: cannot render PDF ({exc})") from None
                yield out
        finally:
            pdf.close()

    return Pages(name, n, frames, float(dpi))


def open_bytes(data: bytes, name: str = "<bytes>") -> Pages:
    """The pages of an image or PDF file's bytes, decoded lazily (see :class:`Pages`)."""
    if len(data) == 0:
        raise ImageError(f"{name}: empty file (0 bytes)")
    if len(data) > MAX_FILE_BYTES:
        raise ImageError(f"{name}: file too large ({len(data):,} bytes)")
    if data[:5] == b"%PDF-":
        return _open_pdf(name, data)
    return _open_image(name, data)


def decode(data: bytes, name: str = "<bytes>") -> list[np.ndarray]:
    """Decode the bytes of an image or PDF file into its pages."""
    return [p.image for p in open_bytes(data, name)]


def _read_stream(stream: BinaryIO, name: str) -> bytes:
    try:
        data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ImageError(f"{name}: cannot read ({exc.strerror or exc})") from None
    if len(data) > MAX_FILE_BYTES:
        raise ImageError(f"{name}: input too large (over {MAX_FILE_BYTES:,} bytes)")
    return data


def _read_path(text: str, name: str) -> bytes:
    """The bytes of a file, FIFO or device, read up to the size limit, or an ImageError."""
    try:
        st = os.stat(text)
        if stat.S_ISDIR(st.st_mode):
            os.listdir(text)  # says why a directory could not be expanded
            raise ImageError(f"{name}: is a directory")
        if stat.S_ISREG(st.st_mode) and st.st_size > MAX_FILE_BYTES:
            raise ImageError(f"{name}: file too large ({st.st_size:,} bytes)")
        # A FIFO or <(cmd) has no size: it is read up to the limit, like stdin.
        with open(text, "rb") as stream:
            return _read_stream(stream, name)
    except FileNotFoundError:
        raise ImageError(f"{name}: no such file") from None
    except PermissionError:
        raise ImageError(f"{name}: permission denied") from None
    except OSError as exc:
        raise ImageError(f"{name}: cannot read ({exc.strerror or exc})") from None


def open_pages(source: str | os.PathLike | bytes | np.ndarray, name: str | None = None) -> Pages:
    """The pages of ``source`` (a path, ``"-"`` for stdin, raw bytes or an array), decoded lazily.

    The file is read and its header checked now; each page is decoded when
    iteration reaches it. Raises :class:`ImageError` naming the input when it
    cannot be read.
    """
    if isinstance(source, np.ndarray):
        page = _from_array(source, name or "<array>")
        return Pages(name or "<array>", 1, lambda: iter([page]))
    if isinstance(source, (bytes, bytearray)):
        return open_bytes(bytes(source), name or "<bytes>")
    text = os.fspath(source)
    if text == "-":
        name = name or "<stdin>"
        if sys.stdin is None:  # started with stdin closed (`ocr read - <&-`)
            raise ImageError(f"{name}: standard input is closed; give a file or pipe an image into it")
        return open_bytes(_read_stream(sys.stdin.buffer, name), name)
    name = name or text
    return open_bytes(_read_path(text, name), name)


def _from_array(source: np.ndarray, name: str) -> np.ndarray:
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
    return arr


def load(source: str | os.PathLike | bytes | np.ndarray, name: str | None = None) -> list[PageImage]:
    """Load every page of ``source``: a path, ``"-"`` (stdin), raw bytes or an array.

    Raises :class:`ImageError` naming the input when it cannot be read. For
    inputs of many pages, :func:`open_pages` decodes one page at a time.
    """
    return list(open_pages(source, name))
