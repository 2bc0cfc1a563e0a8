"""ALTO 4.4 XML (Library of Congress): pages, blocks, lines with baselines,
strings with word confidence (``WC``) and glyphs with their alternatives
(``Glyph`` › ``Variant``), in pixels. A document is one file with one ``Page``
per page. ALTO has no paragraph level: each paragraph is a ``TextBlock``, and
a block of several paragraphs a ``ComposedBlock`` of them."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ocr import __version__
from ocr.document import Block, Document, Line, Paragraph
from ocr.formats.xmlutil import now, num, serialize

NS = "http://www.loc.gov/standards/alto/ns-v4#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{NS} http://www.loc.gov/alto/v4/alto-4-4.xsd"


def _pos(el: ET.Element, box) -> ET.Element:
    x0, y0, x1, y1 = box
    el.set("HPOS", str(x0))
    el.set("VPOS", str(y0))
    el.set("WIDTH", str(x1 - x0))
    el.set("HEIGHT", str(y1 - y0))
    return el


class _Ids:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def __call__(self, prefix: str) -> str:
        self.counts[prefix] = self.counts.get(prefix, 0) + 1
        return f"{prefix}_{self.counts[prefix]}"


def _text_block(parent: ET.Element, paragraph: Paragraph, ids: _Ids) -> None:
    tb = _pos(ET.SubElement(parent, "TextBlock", ID=ids("block")), paragraph.box)
    for line in paragraph.lines:
        _text_line(tb, line, ids)


def _text_line(parent: ET.Element, line: Line, ids: _Ids) -> None:
    tl = _pos(ET.SubElement(parent, "TextLine", ID=ids("line")), line.box)
    if line.baseline:
        tl.set("BASELINE", " ".join(f"{x},{y}" for x, y in line.baseline))
    for i, word in enumerate(line.words):
        if i:
            previous = line.words[i - 1].box
            sp = ET.SubElement(tl, "SP", WIDTH=str(max(0, word.box[0] - previous[2])),
                               HPOS=str(previous[2]), VPOS=str(min(previous[1], word.box[1])))
            sp.set("HEIGHT", str(max(previous[3], word.box[3]) - int(sp.get("VPOS"))))
        s = _pos(ET.SubElement(tl, "String", ID=ids("string")), word.box)
        s.set("CONTENT", word.text)
        s.set("WC", num(round(word.confidence, 4)))
        # CC: one digit per character, 0 sure .. 9 unsure.
        s.set("CC", " ".join(str(min(9, int((1 - g.confidence) * 10))) for g in word.glyphs))
        for g in word.glyphs:
            gl = _pos(ET.SubElement(s, "Glyph", ID=ids("glyph")), g.box)
            gl.set("CONTENT", g.text)
            gl.set("GC", num(round(g.confidence, 4)))
            for text, p in g.alternatives:
                if text != g.text and text:
                    ET.SubElement(gl, "Variant", CONTENT=text, VC=num(round(min(max(p, 0.0), 1.0), 4)))


def _block(parent: ET.Element, block: Block, ids: _Ids) -> None:
    if block.kind == "image":
        _pos(ET.SubElement(parent, "Illustration", ID=ids("block")), block.box)
    elif block.kind == "rule":
        _pos(ET.SubElement(parent, "GraphicalElement", ID=ids("block")), block.box)
    elif block.kind == "table" or len(block.paragraphs) > 1:
        cb = _pos(ET.SubElement(parent, "ComposedBlock", ID=ids("block")), block.box)
        if block.kind == "table":
            cb.set("TYPE", "table")
        for paragraph in block.paragraphs:
            _text_block(cb, paragraph, ids)
    elif block.paragraphs:
        _text_block(parent, block.paragraphs[0], ids)


def write(doc: Document) -> str:
    ET.register_namespace("", NS)
    ET.register_namespace("xsi", XSI)
    root = ET.Element("alto", {f"{{{XSI}}}schemaLocation": SCHEMA_LOCATION})
    description = ET.SubElement(root, "Description")
    ET.SubElement(description, "MeasurementUnit").text = "pixel"
    sources = list(dict.fromkeys(p.source for p in doc.pages))
    if sources:
        info = ET.SubElement(description, "sourceImageInformation")
        ET.SubElement(info, "fileName").text = "; ".join(sources)
    processing = ET.SubElement(description, "Processing", ID="processing_1")
    ET.SubElement(processing, "processingDateTime").text = now()
    step = ET.SubElement(processing, "processingStepSettings")
    step.text = f"model={doc.model}" if doc.model else "model=unknown"
    software = ET.SubElement(processing, "processingSoftware")
    ET.SubElement(software, "softwareName").text = "ocr"
    ET.SubElement(software, "softwareVersion").text = __version__
    layout = ET.SubElement(root, "Layout")
    ids = _Ids()
    for n, page in enumerate(doc.pages, start=1):
        pg = ET.SubElement(layout, "Page", ID=f"page_{n}", PHYSICAL_IMG_NR=str(n),
                           WIDTH=str(page.width), HEIGHT=str(page.height), PROCESSINGREFS="processing_1")
        if page.blocks:
            pg.set("PC", num(round(page.confidence, 4)))
        if page.rotation:
            pg.set("ROTATION", num(round(page.rotation, 3)))
        space = _pos(ET.SubElement(pg, "PrintSpace"), (0, 0, page.width, page.height))
        for block in page.blocks:
            _block(space, block, ids)
    for el in root.iter():  # every element in the ALTO namespace (written as the default one)
        if not el.tag.startswith("{"):
            el.tag = f"{{{NS}}}{el.tag}"
    return serialize(root)
