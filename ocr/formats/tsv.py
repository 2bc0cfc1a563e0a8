"""Tesseract's TSV: levels 1 page, 2 block, 3 paragraph, 4 line, 5 word; conf 0..100, -1 for containers."""

from __future__ import annotations

from ocr.document import Document

COLUMNS = ("level", "page_num", "block_num", "par_num", "line_num", "word_num",
           "left", "top", "width", "height", "conf", "text")


def write(doc: Document) -> str:
    rows = ["\t".join(COLUMNS)]

    def row(level, p, b, par, l, w, box, conf, text=""):
        x0, y0, x1, y1 = box
        rows.append("\t".join(str(v) for v in (level, p, b, par, l, w, x0, y0, x1 - x0, y1 - y0, conf,
                                               text.replace("\t", " "))))

    for p_no, page in enumerate(doc.pages, start=1):
        row(1, p_no, 0, 0, 0, 0, (0, 0, page.width, page.height), -1)
        for b_no, block in enumerate(page.blocks, start=1):
            row(2, p_no, b_no, 0, 0, 0, block.box, -1)
            for par_no, paragraph in enumerate(block.paragraphs, start=1):
                row(3, p_no, b_no, par_no, 0, 0, paragraph.box, -1)
                for l_no, line in enumerate(paragraph.lines, start=1):
                    row(4, p_no, b_no, par_no, l_no, 0, line.box, -1)
                    for w_no, word in enumerate(line.words, start=1):
                        row(5, p_no, b_no, par_no, l_no, w_no, word.box, f"{word.confidence * 100:.6f}",
                            word.text)
    return "\n".join(rows) + "\n"
