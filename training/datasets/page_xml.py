"""Transcribed pages in PAGE XML or ALTO, as HTR tools export them: line polygons and their text.

eScriptorium, Transkribus and kraken export a transcribed page as the page
image plus an XML file: each text line has a polygon around its ink and its
transcription. :func:`read_xml_lines` reads both formats (any schema
version: elements are matched by local name), and :func:`cut_line` cuts a
line out along its polygon, the page's paper filling the rest of its box,
so the ascenders of the line below do not come with it.

- PAGE: ``TextLine/Coords@points`` ("x,y x,y ..."), the text from the line's
  own ``TextEquiv/Unicode`` (else its words' joined by spaces); the image
  from ``Page@imageFilename``.
- ALTO: ``TextLine/Shape/Polygon@POINTS`` ("x y x y ..." or "x,y ..."), else
  the line's ``HPOS/VPOS/WIDTH/HEIGHT`` box; the text from its ``String@CONTENT``
  joined by spaces; the image from ``sourceImageInformation/fileName``.
  Only pixel coordinates (``MeasurementUnit`` pixel, the default of kraken
  and eScriptorium) are accepted.

The files are the user's, so they are read with a size cap and without
entity declarations (no entity expansion).
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ocr.errors import DataError

#: Largest XML file read (a dense page's PAGE XML is a few MB).
MAX_XML_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class XmlLine:
    """One transcribed line: its polygon (N x 2, x and y in page pixels) and its text."""

    polygon: np.ndarray
    text: str


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in element if _local(c.tag) == name]


def _descendants(element: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in element.iter() if _local(e.tag) == name]


def _points(text: str, where: str) -> np.ndarray:
    values = [float(v) for v in re.split(r"[\s,]+", text.strip()) if v]
    if len(values) < 6 or len(values) % 2:
        raise DataError(f"{where}: a line polygon needs at least 3 points as x,y pairs, got {text[:60]!r}")
    return np.round(np.asarray(values, np.float64).reshape(-1, 2)).astype(np.int32)


def _parse(path: Path) -> ET.Element:
    with open(path, "rb") as handle:
        data = handle.read(MAX_XML_BYTES + 1)  # bounded whatever the file's size
    if len(data) > MAX_XML_BYTES:
        raise DataError(f"{path}: more than the {MAX_XML_BYTES:,} bytes an XML page may have")
    if b"<!ENTITY" in data:
        raise DataError(f"{path}: XML entity declarations are not accepted in a transcription file")
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise DataError(f"{path}: not well-formed XML ({exc})") from None


def _page_lines(root: ET.Element, where: str) -> tuple[str | None, list[XmlLine]]:
    page = next(iter(_descendants(root, "Page")), None)
    image = page.get("imageFilename") if page is not None else None
    lines = []
    for line in _descendants(root, "TextLine"):
        coords = _children(line, "Coords")
        if not coords or not coords[0].get("points"):
            continue
        own = [u.text or "" for eq in _children(line, "TextEquiv") for u in _children(eq, "Unicode")]
        if own:
            text = own[0]
        else:
            text = " ".join(u.text or "" for word in _children(line, "Word") for eq in _children(word, "TextEquiv")
                            for u in _children(eq, "Unicode")[:1])
        lines.append(XmlLine(_points(coords[0].get("points"), where), " ".join(text.split())))
    return image, lines


def _alto_lines(root: ET.Element, where: str) -> tuple[str | None, list[XmlLine]]:
    unit = next((e.text or "" for e in _descendants(root, "MeasurementUnit")), "pixel").strip()
    if unit != "pixel":
        raise DataError(f"{where}: ALTO coordinates in {unit!r}; only pixel coordinates are supported "
                        "(export the page with pixel units)")
    image = next((e.text.strip() for e in _descendants(root, "fileName") if e.text and e.text.strip()), None)
    lines = []
    for line in _descendants(root, "TextLine"):
        polygons = [p for shape in _children(line, "Shape") for p in _children(shape, "Polygon")]
        if polygons and polygons[0].get("POINTS"):
            polygon = _points(polygons[0].get("POINTS"), where)
        elif all(line.get(k) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT")):
            x, y, w, h = (float(line.get(k)) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT"))
            polygon = np.round(np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])).astype(np.int32)
        else:
            continue
        text = " ".join(s.get("CONTENT", "") for s in _children(line, "String"))
        lines.append(XmlLine(polygon, " ".join(text.split())))
    return image, lines


def read_xml_lines(path: str | os.PathLike) -> tuple[str | None, list[XmlLine]]:
    """(the image file the XML names, or None; its text lines that have a polygon), from PAGE or ALTO."""
    path = Path(path)
    root = _parse(path)
    kind = _local(root.tag)
    if kind == "PcGts":
        return _page_lines(root, str(path))
    if kind.lower() == "alto":
        return _alto_lines(root, str(path))
    raise DataError(f"{path}: neither PAGE XML (PcGts) nor ALTO (alto) but <{kind}>")


def cut_line(gray: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """The line's pixels inside ``polygon``, cropped to its box, the paper's grey elsewhere.

    ``gray`` is the page (dark ink on light paper). The paper is the crop's
    90th grey percentile, so a cut line binarizes like the rest of the page.
    """
    h, w = gray.shape[:2]
    x0, y0 = np.maximum(polygon.min(axis=0), 0)
    x1, y1 = np.minimum(polygon.max(axis=0) + 1, (w, h))
    if x1 <= x0 or y1 <= y0:
        return np.zeros((0, 0), np.uint8)
    crop = gray[y0:y1, x0:x1].copy()
    inside = np.zeros(crop.shape, np.uint8)
    cv2.fillPoly(inside, [(polygon - (x0, y0)).astype(np.int32)], 1)
    crop[inside == 0] = np.uint8(np.percentile(crop, 90))
    return crop


def xml_image(xml_path: Path, named: str | None, suffixes: tuple[str, ...]) -> Path | None:
    """The page image of an XML file: the file it names (beside it), else one with its stem."""
    folder = xml_path.parent
    if named:
        candidate = folder / Path(named.replace("\\", "/")).name
        if candidate.is_file():
            return candidate
    for suffix in suffixes:
        for candidate in (xml_path.with_suffix(suffix), xml_path.with_suffix(suffix.upper())):
            if candidate.is_file():
                return candidate
    return None
