"""Reading the small text files that come with data: transcripts, label maps, tables.

Each is UTF-8; anything else (random bytes, another encoding, a file far too
large to be a transcript) is one :class:`DataError` naming the file.
"""

from __future__ import annotations

import os
from pathlib import Path

from ocr.errors import DataError

#: Largest text file read as a transcript or label table (a page's text is a few kB).
MAX_TEXT_BYTES = 16 * 1024 * 1024


def read_utf8(path: str | os.PathLike, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """The text of a UTF-8 file (a leading BOM is dropped), or a one-line DataError."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, not a text file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(raw) > max_bytes:
        raise DataError(f"{path}: larger than {max_bytes:,} bytes; not a transcript or label table")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                        "save it as UTF-8") from None
    if "\x00" in text:
        raise DataError(f"{path}: contains NUL bytes; not a text file")
    return text


def transcript_for(image: str | os.PathLike) -> Path:
    """The tesstrain/kraken/Calamari convention: ``line.png`` -> ``line.gt.txt``."""
    path = Path(image)
    return path.with_name(path.name.split(".")[0] + ".gt.txt")


def read_transcript(path: str | os.PathLike) -> list[str]:
    """The lines of a ``.gt.txt`` transcript (UTF-8), for ``glyphs extract`` and line fine-tuning."""
    return read_utf8(path).splitlines()
