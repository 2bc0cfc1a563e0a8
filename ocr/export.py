"""Output formats for a :class:`ocr.pipeline.Document`: text, JSON, hOCR, TSV, overlay."""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING

import cv2
import numpy as np

from ocr import __version__

if TYPE_CHECKING:  # pragma: no cover
    from ocr.pipeline import Document, Page

FORMATS = ("text", "json", "hocr", "tsv")
TSV_COLUMNS = ("level", "page_num", "block_num", "par_num", "line_num", "word_num",
               "left", "top", "width", "height", "conf", "text")


def to_text(doc: "Document") -> str:
    """Plain text: lines and word spaces kept, pages separated by form feeds."""
    text = doc.text
    return text + "\n" if text else ""


def to_json(doc: "Document") -> str:
    # Compact: indenting switches json to its pure-Python encoder, 10x slower on
    # pages of thousands of characters, and makes the file 4x larger.
    return json.dumps(doc.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n"


def _bbox(box) -> str:
    return "bbox {} {} {} {}".format(*box)


def to_hocr(doc: "Document") -> str:
    """hOCR 1.2: ocr_page, ocr_carea (blocks), ocr_line, ocrx_word (x_wconf) and ocrx_cinfo."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">',
        '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">',
        "<head>",
        "<title></title>",
        '<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>',
        f'<meta name="ocr-system" content="ocr {__version__}"/>',
        '<meta name="ocr-capabilities" content="ocr_page ocr_carea ocr_line ocrx_word ocrx_cinfo"/>',
        "</head>",
        "<body>",
    ]
    for p_no, page in enumerate(doc.pages, start=1):
        src = html.escape(page.source.replace(";", "%3B").replace('"', "%22"), quote=True)
        out.append(f'<div class="ocr_page" id="page_{p_no}" title="image &quot;{src}&quot;; '
                   f'{_bbox((0, 0, page.width, page.height))}; ppageno {p_no - 1}; '
                   f'textangle {page.angle:g}">')
        blocks: dict[int, list] = {}
        for line in page.lines:
            blocks.setdefault(line.block, []).append(line)
        l_no = w_no = 0
        for b_no, (block, lines) in enumerate(blocks.items(), start=1):
            box = _union_boxes([l.box for l in lines])
            out.append(f' <div class="ocr_carea" id="block_{p_no}_{b_no}" title="{_bbox(box)}">')
            for line in lines:
                l_no += 1
                out.append(f'  <span class="ocr_line" id="line_{p_no}_{l_no}" title="{_bbox(line.box)}">')
                for word in line.words:
                    w_no += 1
                    conf = int(round(word.confidence * 100))
                    chars = "".join(
                        f'<span class="ocrx_cinfo" title="{_bbox(c.box)}; x_conf {c.confidence * 100:.1f}">'
                        f"{html.escape(c.text)}</span>" for c in word.chars)
                    out.append(f'   <span class="ocrx_word" id="word_{p_no}_{w_no}" '
                               f'title="{_bbox(word.box)}; x_wconf {conf}">{chars}</span>')
                out.append("  </span>")
            out.append(" </div>")
        out.append("</div>")
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


def _union_boxes(boxes) -> tuple[int, int, int, int]:
    b = np.asarray(boxes).reshape(-1, 4)
    return int(b[:, 0].min()), int(b[:, 1].min()), int(b[:, 2].max()), int(b[:, 3].max())


def to_tsv(doc: "Document") -> str:
    """Tesseract's TSV: levels 1 page, 2 block, 3 paragraph, 4 line, 5 word; conf 0..100, -1 for containers."""
    rows = ["\t".join(TSV_COLUMNS)]

    def row(level, p, b, par, l, w, box, conf, text=""):
        x0, y0, x1, y1 = box
        rows.append("\t".join(str(v) for v in (level, p, b, par, l, w, x0, y0, x1 - x0, y1 - y0, conf,
                                               text.replace("\t", " "))))

    for p_no, page in enumerate(doc.pages, start=1):
        row(1, p_no, 0, 0, 0, 0, (0, 0, page.width, page.height), -1)
        blocks: dict[int, list] = {}
        for line in page.lines:
            blocks.setdefault(line.block, []).append(line)
        for b_no, lines in enumerate(blocks.values(), start=1):
            box = _union_boxes([l.box for l in lines])
            row(2, p_no, b_no, 0, 0, 0, box, -1)
            row(3, p_no, b_no, 1, 0, 0, box, -1)
            for l_no, line in enumerate(lines, start=1):
                row(4, p_no, b_no, 1, l_no, 0, line.box, -1)
                for w_no, word in enumerate(line.words, start=1):
                    row(5, p_no, b_no, 1, l_no, w_no, word.box, f"{word.confidence * 100:.6f}", word.text)
    return "\n".join(rows) + "\n"


def render(doc: "Document", fmt: str) -> str:
    """Format ``doc`` as ``text``, ``json``, ``hocr`` or ``tsv``."""
    try:
        return {"text": to_text, "json": to_json, "hocr": to_hocr, "tsv": to_tsv}[fmt](doc)
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}") from None


def draw_overlay(image: np.ndarray, page: "Page") -> np.ndarray:
    """Draw lines (blue), words (green) and characters (red) with label and confidence. Returns RGB."""
    if image.ndim == 2:
        canvas = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    else:
        canvas = np.ascontiguousarray(image[..., :3]).copy()
    scale = max(0.3, min(canvas.shape[:2]) / 1500.0)
    thick = max(1, int(round(scale * 2)))
    for line in page.lines:
        cv2.rectangle(canvas, line.box[:2], (line.box[2] - 1, line.box[3] - 1), (0, 0, 255), thick + 1)
        for word in line.words:
            cv2.rectangle(canvas, word.box[:2], (word.box[2] - 1, word.box[3] - 1), (0, 160, 0), thick)
            for c in word.chars:
                x0, y0, x1, y1 = c.box
                cv2.rectangle(canvas, (x0, y0), (x1 - 1, y1 - 1), (220, 0, 0), 1)
                label = f"{c.text if c.text.isascii() else '?'}{int(round(c.confidence * 100))}"
                cv2.putText(canvas, label, (x0, max(10, y0 - 2)), cv2.FONT_HERSHEY_SIMPLEX,
                            0.35 * scale * 1.5, (220, 0, 0), 1, cv2.LINE_AA)
    return canvas


def encode_png(rgb: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:  # pragma: no cover
        raise ValueError("PNG encoding failed")
    return buf.tobytes()
