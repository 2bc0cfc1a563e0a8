"""The result tree (ocr.document): grouping, confidences, JSON form."""

from __future__ import annotations

import pytest

from ocr.document import SCHEMA_VERSION, Block, Document, Glyph, Line, Page, Word, nest_in_tables, text_blocks


def line(text: str, y: int, conf: float = 0.5) -> Line:
    words = []
    x = 0
    for w in text.split():
        glyphs = [Glyph(c, (x + 10 * i, y, x + 10 * i + 8, y + 10), conf) for i, c in enumerate(w)]
        words.append(Word(glyphs, (x, y, x + 10 * len(w) - 2, y + 10)))
        x += 10 * len(w) + 10
    return Line(words, (0, y, x - 12, y + 10))


def test_blocks_keep_reading_order_when_ids_repeat():
    lines = [line("a", 0), line("b", 20), line("c", 40), line("d", 60)]
    blocks = text_blocks(lines, [0, 1, 0, 0])  # the segmenter can fold a line into a later block
    page = Page("p", 0, 100, 100, blocks)
    assert [b.text for b in blocks] == ["a", "b", "c\nd"]
    assert page.text == "a\nb\nc\nd" and page.lines == lines
    assert blocks[2].box == (0, 40, 8, 70) and blocks[2].paragraphs[0].box == blocks[2].box


def test_the_text_blocks_inside_a_table_become_its_paragraphs_in_place():
    blocks = text_blocks([line("title", 0), line("a b", 40), line("c d", 60), line("end", 100)], [0, 1, 2, 3])
    nested = nest_in_tables(blocks, [(0, 30, 200, 80), (0, 150, 200, 190)])
    assert [b.kind for b in nested] == ["text", "table", "text", "table"]
    table = nested[1]
    assert table.box == (0, 30, 200, 80) and table.text == "a b\nc d" and len(table.paragraphs) == 2
    assert not nested[3].paragraphs  # a table with no text read in it
    assert Page("p", 0, 200, 200, nested).text == "title\na b\nc d\nend"
    assert nest_in_tables(blocks, []) == blocks


def test_confidence_is_the_mean_over_glyphs_at_every_level():
    lines = [line("ab c", 0, 0.2), line("d", 20, 0.8)]
    page = Page("p", 0, 100, 100, text_blocks(lines, [0, 0]))
    assert lines[0].words[0].confidence == pytest.approx(0.2)
    assert page.blocks[0].paragraphs[0].confidence == pytest.approx((0.2 * 3 + 0.8) / 4)
    assert page.confidence == page.blocks[0].confidence
    assert Page("blank", 0, 9, 9).confidence == 0.0


def test_block_kinds_are_checked_and_non_text_blocks_hold_no_text():
    with pytest.raises(ValueError, match="block kind 'figure'"):
        Block((0, 0, 1, 1), kind="figure")
    page = Page("p", 0, 100, 100, [Block((0, 0, 50, 50), kind="image"), *text_blocks([line("x", 60)], [0])])
    assert page.text == "x" and [b.kind for b in page.blocks] == ["image", "text"]


def test_old_names_still_work():
    from ocr.pipeline import Char, Document as PipelineDocument, Page as PipelinePage

    word = line("hi", 0).words[0]
    assert word.chars is word.glyphs and Char is Glyph
    assert PipelineDocument is Document and PipelinePage is Page


def test_json_form_has_the_version_and_failures():
    from ocr.document import Failure

    data = Document([Page("p", 0, 9, 9)], model="m", failed=[Failure("bad.png", "bad.png: no such file")]).to_dict()
    assert data["version"] == SCHEMA_VERSION
    assert data["failed"] == [{"source": "bad.png", "error": "bad.png: no such file"}]
