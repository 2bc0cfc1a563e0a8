"""PAGE XML 2019-07-15 (PRImA), as eScriptorium, Transkribus and OCR-D read it.

One file holds one page, so :func:`write` writes page ``page`` of the document
(the CLI writes one file per page). Text blocks become ``TextRegion``\\ s of
type paragraph (one per paragraph, in ``ReadingOrder``), with ``TextLine``
(Coords, Baseline) › ``Word`` › ``Glyph``; every level has its ``TextEquiv``
with a confidence, and a glyph's alternatives are further ``TextEquiv``\\ s
ranked by ``index``. Image, rule and table blocks become ``ImageRegion``,
``SeparatorRegion`` and ``TableRegion``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ocr import __version__
from ocr.document import Document, Line, Page, Paragraph
from ocr.formats import FormatError
from ocr.formats.xmlutil import now, num, serialize

NS = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{NS} {NS}/pagecontent.xsd"


def _points(box) -> str:
    """A box as its four corners, pixel positions inclusive as PAGE counts them."""
    x0, y0, x1, y1 = box
    x1, y1 = max(x0, x1 - 1), max(y0, y1 - 1)
    return f"{x0},{y0} {x1},{y0} {x1},{y1} {x0},{y1}"


def _coords(parent: ET.Element, box, conf: float | None = None) -> None:
    el = ET.SubElement(parent, "Coords", points=_points(box))
    if conf is not None:
        el.set("conf", num(round(conf, 4)))


def _text_equiv(parent: ET.Element, text: str, conf: float | None = None, index: int | None = None) -> None:
    te = ET.SubElement(parent, "TextEquiv")
    if index is not None:
        te.set("index", str(index))
    if conf is not None:
        te.set("conf", num(round(min(max(conf, 0.0), 1.0), 4)))
    ET.SubElement(te, "Unicode").text = text


def _line(parent: ET.Element, line: Line, ids: dict) -> None:
    ids["line"] += 1
    tl = ET.SubElement(parent, "TextLine", id=f"l{ids['line']}")
    _coords(tl, line.box)
    if len(line.baseline) >= 2:
        ET.SubElement(tl, "Baseline", points=" ".join(f"{x},{y}" for x, y in line.baseline))
    for word in line.words:
        ids["word"] += 1
        w = ET.SubElement(tl, "Word", id=f"w{ids['word']}")
        _coords(w, word.box)
        for g in word.glyphs:
            ids["glyph"] += 1
            gl = ET.SubElement(w, "Glyph", id=f"g{ids['glyph']}")
            _coords(gl, g.box)
            _text_equiv(gl, g.text, g.confidence, 1)
            rank = 1
            for text, p in g.alternatives:
                if text and text != g.text:
                    rank += 1
                    _text_equiv(gl, text, p, rank)
        _text_equiv(w, word.text, word.confidence)
    _text_equiv(tl, line.text, line.confidence)


def _text_region(parent: ET.Element, paragraph: Paragraph, ids: dict, order: list[str]) -> None:
    ids["region"] += 1
    rid = f"r{ids['region']}"
    order.append(rid)
    region = ET.SubElement(parent, "TextRegion", id=rid, type="paragraph")
    _coords(region, paragraph.box)
    for line in paragraph.lines:
        _line(region, line, ids)
    _text_equiv(region, paragraph.text, paragraph.confidence)


def _page(pcgts: ET.Element, page: Page, dpi: float | None) -> None:
    el = ET.SubElement(pcgts, "Page", imageFilename=page.source, imageWidth=str(page.width),
                       imageHeight=str(page.height))
    res = dpi or page.dpi
    if res:
        el.set("imageXResolution", num(res))
        el.set("imageYResolution", num(res))
        el.set("imageResolutionUnit", "PPI")
    if page.rotation:
        # The quarter turn and skew found: the content is rotated by this much, counter-clockwise.
        el.set("orientation", num(round(page.rotation, 3)))
    reading = ET.SubElement(el, "ReadingOrder")
    group = ET.SubElement(reading, "OrderedGroup", id="ro1")
    ids = {"region": 0, "line": 0, "word": 0, "glyph": 0}
    order: list[str] = []
    for block in page.blocks:
        if block.kind in ("image", "rule"):
            ids["region"] += 1
            rid = f"r{ids['region']}"
            order.append(rid)
            _coords(ET.SubElement(el, "ImageRegion" if block.kind == "image" else "SeparatorRegion", id=rid),
                    block.box)
        elif block.kind == "table":
            ids["region"] += 1
            rid = f"r{ids['region']}"
            order.append(rid)
            table = ET.SubElement(el, "TableRegion", id=rid)
            _coords(table, block.box)
            for paragraph in block.paragraphs:
                _text_region(table, paragraph, ids, [])
        else:
            for paragraph in block.paragraphs:
                _text_region(el, paragraph, ids, order)
    if order:
        for i, rid in enumerate(order):
            ET.SubElement(group, "RegionRefIndexed", index=str(i), regionRef=rid)
    else:
        el.remove(reading)  # an empty OrderedGroup is not allowed


def write(doc: Document, page: int | None = None, dpi: float | None = None) -> str:
    """PAGE XML of one page: ``page`` (0-based) or the document's only page."""
    if page is None:
        if len(doc.pages) != 1:
            raise FormatError(f"PAGE XML holds one page and the document has {len(doc.pages)}: "
                              "write each page on its own (page=N, or ocr.formats.render_pages)")
        page = 0
    ET.register_namespace("", NS)
    ET.register_namespace("xsi", XSI)
    root = ET.Element("PcGts", {f"{{{XSI}}}schemaLocation": SCHEMA_LOCATION})
    metadata = ET.SubElement(root, "Metadata")
    ET.SubElement(metadata, "Creator").text = f"ocr {__version__}" + (f" (model {doc.model})" if doc.model else "")
    stamp = now()
    ET.SubElement(metadata, "Created").text = stamp
    ET.SubElement(metadata, "LastChange").text = stamp
    _page(root, doc.pages[page], dpi)
    for el in root.iter():
        if not el.tag.startswith("{"):
            el.tag = f"{{{NS}}}{el.tag}"
    return serialize(root)
