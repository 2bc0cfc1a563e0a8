"""hOCR 1.2 with Tesseract's structure, so tools written for Tesseract's hOCR read it.

``ocr_page`` (image, bbox, ppageno, scan_res) › ``ocr_carea`` (a block) ›
``ocr_par`` (a paragraph, with ``lang``) › ``ocr_line`` (bbox, ``baseline``
slope and offset from the box's bottom-left corner, ``x_size``,
``x_descenders``, ``x_ascenders``) › ``ocrx_word`` (bbox, ``x_wconf``) ›
``ocrx_cinfo`` (one per glyph: ``x_bboxes`` and ``x_confs``, the spec's names).
OCRmyPDF's renderer walks exactly this: page › par › line › word.
"""

from __future__ import annotations

import html

from ocr import __version__
from ocr.document import Document, Line, Page

#: Language written on paragraphs: the models read Latin-script text, their
#: training data (EMNIST, fonts, cheques) is English or language-neutral.
LANGUAGE = "en"
CAPABILITIES = "ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrx_cinfo ocrp_lang ocrp_wconf"


def _bbox(box) -> str:
    return "bbox {} {} {} {}".format(*box)


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


def line_properties(line: Line) -> str:
    """bbox, baseline (slope, offset from the bottom-left corner) and font sizes, as Tesseract writes them."""
    x0, y0, x1, y1 = line.box
    props = [_bbox(line.box)]
    if len(line.baseline) >= 2:
        (xa, ya), (xb, yb) = line.baseline[0], line.baseline[-1]
        slope = (yb - ya) / (xb - xa) if xb != xa else 0.0
        offset = ya + slope * (x0 - xa) - y1
        props.append(f"baseline {slope:.3f} {offset:.0f}")
        descenders = max(0.0, y1 - 1 - (ya + slope * (x0 - xa)))
    else:
        descenders = 0.0
    if line.cap_height:
        props.append(f"x_size {line.cap_height + descenders:.0f}")
        props.append(f"x_descenders {descenders:.0f}")
        if line.x_height:
            props.append(f"x_ascenders {line.cap_height - line.x_height:.0f}")
    return "; ".join(props)


def _page(page: Page, p_no: int, dpi: float | None) -> list[str]:
    src = page.source.replace(";", "%3B").replace('"', "%22")
    title = (f'image "{src}"; {_bbox((0, 0, page.width, page.height))}; ppageno {p_no - 1}')
    res = dpi or page.dpi
    if res:
        title += f"; scan_res {res:.0f} {res:.0f}"
    if page.rotation:
        title += f"; textangle {round(page.rotation, 3):g}"
    out = [f'  <div class="ocr_page" id="page_{p_no}" title="{_attr(title)}">']
    b_no = par_no = l_no = w_no = c_no = 0
    for block in page.blocks:
        b_no += 1
        if block.kind != "text":
            kind = {"image": "ocr_photo", "rule": "ocr_separator", "table": "ocr_table"}[block.kind]
            out.append(f'   <div class="{kind}" id="block_{p_no}_{b_no}" title="{_bbox(block.box)}"></div>')
            continue
        out.append(f'   <div class="ocr_carea" id="block_{p_no}_{b_no}" title="{_bbox(block.box)}">')
        for paragraph in block.paragraphs:
            par_no += 1
            out.append(f'    <p class="ocr_par" id="par_{p_no}_{par_no}" lang="{LANGUAGE}" '
                       f'title="{_bbox(paragraph.box)}">')
            for line in paragraph.lines:
                l_no += 1
                out.append(f'     <span class="ocr_line" id="line_{p_no}_{l_no}" title="{line_properties(line)}">')
                for word in line.words:
                    w_no += 1
                    glyphs = []
                    for g in word.glyphs:
                        c_no += 1
                        glyphs.append(f'<span class="ocrx_cinfo" id="glyph_{p_no}_{c_no}" '
                                      f'title="x_bboxes {" ".join(map(str, g.box))}; '
                                      f'x_confs {g.confidence * 100:.2f}">{html.escape(g.text)}</span>')
                    out.append(f'      <span class="ocrx_word" id="word_{p_no}_{w_no}" '
                               f'title="{_bbox(word.box)}; x_wconf {word.confidence * 100:.0f}">'
                               f'{"".join(glyphs)}</span>')
                out.append("     </span>")
            out.append("    </p>")
        out.append("   </div>")
    out.append("  </div>")
    return out


def write(doc: Document, dpi: float | None = None) -> str:
    """The document as one hOCR file; ``dpi``, when given, is written as every page's ``scan_res``."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">',
        f'<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="{LANGUAGE}" lang="{LANGUAGE}">',
        " <head>",
        "  <title></title>",
        '  <meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>',
        f'  <meta name="ocr-system" content="ocr {__version__}"/>',
        f'  <meta name="ocr-capabilities" content="{CAPABILITIES}"/>',
        f'  <meta name="ocr-number-of-pages" content="{len(doc.pages)}"/>',
        f'  <meta name="ocr-langs" content="{LANGUAGE}"/>',
        '  <meta name="ocr-scripts" content="Latn"/>',
        " </head>",
        " <body>",
    ]
    for p_no, page in enumerate(doc.pages, start=1):
        out += _page(page, p_no, dpi)
    out += [" </body>", "</html>", ""]
    return "\n".join(out)
