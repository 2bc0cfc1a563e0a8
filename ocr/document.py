"""The result tree of a read, defined once for every stage that fills or writes it.

Document › Page › Block › Paragraph › Line › Word › Glyph. Every node has a
box ``(x0, y0, x1, y1)`` (exclusive ends, pixels of the input image, after
EXIF orientation) and a confidence in 0..1. The recognizer fills glyphs; the
pipeline groups them; the layout stage decides blocks and paragraphs; the
writers in :mod:`ocr.formats` only read the tree. Pure dataclasses (numpy at
most), so importing it costs nothing.

Blocks are ``text`` (paragraphs of lines), ``image``, ``rule`` or ``table``;
only text blocks hold paragraphs today, the others carry their box so a layout
stage can add them without changing any writer's input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator, Sequence

Box = tuple[int, int, int, int]
Point = tuple[int, int]

#: Version of the JSON form (:meth:`Document.to_dict`, ``ocr/schemas/document.schema.json``).
#: The major number changes when a field is removed, renamed or changes meaning;
#: the minor one when a field is added.
SCHEMA_VERSION = "2.1"
BLOCK_KINDS = ("text", "image", "rule", "table")


def union(boxes: Iterable[Box]) -> Box:
    """The smallest box holding all ``boxes``."""
    x0, y0, x1, y1 = zip(*boxes)
    return (int(min(x0)), int(min(y0)), int(max(x1)), int(max(y1)))


def _mean(values: Sequence[float]) -> float:
    return float(sum(values) / len(values)) if values else 0.0


@dataclass
class Glyph:
    """A recognized character: its text, box, confidence (0..1) and best alternatives (text, probability)."""

    text: str
    box: Box
    confidence: float
    alternatives: list[tuple[str, float]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"text": self.text, "box": list(self.box), "confidence": round(self.confidence, 4),
                "alternatives": [[a, round(p, 4)] for a, p in self.alternatives]}


#: The name the pipeline used before the tree had glyphs.
Char = Glyph


class _Container:
    """Shared text and confidence of nodes made of glyphs."""

    def glyphs_iter(self) -> Iterator[Glyph]:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def confidence(self) -> float:
        """Mean glyph confidence (0..1); 0 when there are no glyphs."""
        return _mean([g.confidence for g in self.glyphs_iter()])


@dataclass
class Word(_Container):
    glyphs: list[Glyph]
    box: Box

    @property
    def chars(self) -> list[Glyph]:
        """The glyphs (the name used before the tree had glyphs)."""
        return self.glyphs

    @property
    def text(self) -> str:
        return "".join(g.text for g in self.glyphs)

    def glyphs_iter(self) -> Iterator[Glyph]:
        return iter(self.glyphs)

    def to_dict(self) -> dict:
        return {"box": list(self.box), "text": self.text, "confidence": round(self.confidence, 4),
                "glyphs": [g.to_dict() for g in self.glyphs]}


@dataclass
class Line(_Container):
    """A text line. ``baseline`` is a polyline in image pixels, left to right (empty
    when unknown); ``x_height`` and ``cap_height`` in pixels when they were measured."""

    words: list[Word]
    box: Box
    baseline: list[Point] = field(default_factory=list)
    x_height: float | None = None
    cap_height: float | None = None

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    def glyphs_iter(self) -> Iterator[Glyph]:
        return (g for w in self.words for g in w.glyphs)

    def to_dict(self) -> dict:
        return {"box": list(self.box), "baseline": [list(p) for p in self.baseline],
                "x_height": None if self.x_height is None else round(self.x_height, 2),
                "cap_height": None if self.cap_height is None else round(self.cap_height, 2),
                "text": self.text, "confidence": round(self.confidence, 4),
                "words": [w.to_dict() for w in self.words]}


@dataclass
class Paragraph(_Container):
    lines: list[Line]
    box: Box

    @property
    def text(self) -> str:
        return "\n".join(l.text for l in self.lines)

    def glyphs_iter(self) -> Iterator[Glyph]:
        return (g for l in self.lines for g in l.glyphs_iter())

    def to_dict(self) -> dict:
        return {"box": list(self.box), "text": self.text, "confidence": round(self.confidence, 4),
                "lines": [l.to_dict() for l in self.lines]}


@dataclass
class Block(_Container):
    """A region of the page: ``kind`` is one of :data:`BLOCK_KINDS`; text blocks hold paragraphs."""

    box: Box
    paragraphs: list[Paragraph] = field(default_factory=list)
    kind: str = "text"

    def __post_init__(self) -> None:
        if self.kind not in BLOCK_KINDS:
            raise ValueError(f"block kind {self.kind!r}; expected one of {', '.join(BLOCK_KINDS)}")

    @property
    def lines(self) -> list[Line]:
        return [l for p in self.paragraphs for l in p.lines]

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.paragraphs)

    def glyphs_iter(self) -> Iterator[Glyph]:
        return (g for p in self.paragraphs for g in p.glyphs_iter())

    def to_dict(self) -> dict:
        return {"kind": self.kind, "box": list(self.box), "confidence": round(self.confidence, 4),
                "paragraphs": [p.to_dict() for p in self.paragraphs]}


@dataclass
class Page(_Container):
    """One page: its blocks in reading order and what preprocessing found.

    ``dpi`` is the input's resolution when it says (image metadata, or the
    resolution a PDF was rendered at), else None. ``angle`` is the skew found
    and corrected, degrees counter-clockwise; ``orientation`` the quarter turn the
    text lay at (0, 90, 180, 270 counter-clockwise), undone before reading.
    """

    source: str
    index: int
    width: int
    height: int
    blocks: list[Block] = field(default_factory=list)
    dpi: float | None = None
    angle: float = 0.0
    inverted: bool = False      # light ink on a dark background was inverted
    binarization: str = "none"
    blank: bool = False
    orientation: int = 0

    @property
    def lines(self) -> list[Line]:
        """Every text line, in reading order."""
        return [l for b in self.blocks for p in b.paragraphs for l in p.lines]

    @property
    def text(self) -> str:
        return "\n".join(l.text for l in self.lines)

    @property
    def rotation(self) -> float:
        """The whole turn of the content, quarter turn and skew, degrees counter-clockwise in
        (-180, 180]: what ALTO's ROTATION, PAGE's orientation and hOCR's textangle say."""
        turn = (self.orientation + self.angle) % 360.0
        return turn - 360.0 if turn > 180.0 else turn

    def glyphs_iter(self) -> Iterator[Glyph]:
        return (g for b in self.blocks for g in b.glyphs_iter())

    def to_dict(self) -> dict:
        return {"source": self.source, "index": self.index, "width": self.width, "height": self.height,
                "dpi": self.dpi, "angle": self.angle, "orientation": self.orientation,
                "inverted": self.inverted,
                "binarization": self.binarization, "blank": self.blank, "text": self.text,
                "blocks": [b.to_dict() for b in self.blocks]}


@dataclass
class Failure:
    """An input that could not be read (``errors="skip"``)."""

    source: str
    error: str


@dataclass
class Document:
    pages: list[Page] = field(default_factory=list)
    model: str = ""
    failed: list[Failure] = field(default_factory=list)

    @property
    def text(self) -> str:
        """Page texts, each page ended by a newline and separated by form feeds, as Tesseract does."""
        return "\n\f".join(p.text for p in self.pages)

    def to_dict(self) -> dict:
        return {"version": SCHEMA_VERSION, "model": self.model,
                "pages": [p.to_dict() for p in self.pages],
                "failed": [{"source": f.source, "error": f.error} for f in self.failed]}

    def to(self, fmt: str, **options) -> str | bytes:
        """This document in an output format: ``text``, ``json``, ``tsv``, ``hocr``, ``alto``,
        ``page`` (str) or ``pdf`` (bytes); see :func:`ocr.formats.render`."""
        from ocr.formats import render

        return render(self, fmt, **options)


def centre_in(inner: Box, outer: Box) -> bool:
    """Whether the centre of box ``inner`` lies in box ``outer`` (edges included)."""
    cx, cy = (inner[0] + inner[2]) / 2, (inner[1] + inner[3]) / 2
    return outer[0] <= cx <= outer[2] and outer[1] <= cy <= outer[3]


def text_blocks(lines: Sequence[Line], block_ids: Sequence[int]) -> list[Block]:
    """Group lines (in reading order) into text blocks of one paragraph each.

    A new block starts wherever the block id changes, so the reading order of
    the lines is kept even when the segmenter's ids are not contiguous.
    """
    blocks: list[Block] = []
    previous = None
    for line, block_id in zip(lines, block_ids):
        if not blocks or block_id != previous:
            blocks.append(Block(line.box, [Paragraph([], line.box)]))
        paragraph = blocks[-1].paragraphs[-1]
        paragraph.lines.append(line)
        previous = block_id
    for block in blocks:
        for paragraph in block.paragraphs:
            paragraph.box = union(l.box for l in paragraph.lines)
        block.box = union(p.box for p in block.paragraphs)
    return blocks


def nest_in_tables(blocks: list[Block], tables: Sequence[Box]) -> list[Block]:
    """Text ``blocks`` (in reading order) with those whose centre lies in one of the ``tables``
    moved into a ``table`` block of their paragraphs, at the place of the first of them; a
    table without text comes last. Exports write it as a table (ALTO ``ComposedBlock
    TYPE="table"``, PAGE ``TableRegion``, hOCR ``ocr_table``) with its text inside."""
    out: list[Block] = list(blocks)
    empty: list[Block] = []
    for box in tables:
        inside = [b for b in out if b.kind == "text" and centre_in(b.box, box)]
        table = Block(tuple(box), [p for b in inside for p in b.paragraphs], kind="table")
        if not inside:
            empty.append(table)
            continue
        moved = {id(b) for b in inside}
        at = next(k for k, b in enumerate(out) if id(b) in moved)
        out = out[:at] + [table] + [b for b in out[at:] if id(b) not in moved]
    return out + empty
