"""Page overlays (boxes drawn on the image), and the output formats under their old names.

The format writers live in :mod:`ocr.formats`, one module per format.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

from ocr.formats import FORMATS, render  # noqa: F401  (the names callers used before)
from ocr.formats.tsv import COLUMNS as TSV_COLUMNS  # noqa: F401

if TYPE_CHECKING:  # pragma: no cover
    from ocr.document import Page


#: Overlay colours (RGB) of the block kinds.
BLOCK_COLOURS = {"text": (255, 150, 0), "image": (200, 0, 200), "rule": (0, 170, 200), "table": (120, 90, 0)}


def draw_overlay(image: np.ndarray, page: "Page") -> np.ndarray:
    """Draw blocks (text orange; image, rule and table regions tinted and labelled), lines
    (blue), words (green) and characters (red) with label and confidence. Returns RGB."""
    if image.ndim == 2:
        canvas = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    else:
        canvas = np.ascontiguousarray(image[..., :3]).copy()
    scale = max(0.3, min(canvas.shape[:2]) / 1500.0)
    thick = max(1, int(round(scale * 2)))
    for block in page.blocks:
        x0, y0, x1, y1 = block.box
        colour = BLOCK_COLOURS.get(block.kind, (128, 128, 128))
        if block.kind != "text" and x1 > x0 and y1 > y0:
            # Set-aside regions are tinted, so what was not read shows at a glance.
            region = canvas[y0:y1, x0:x1].astype(np.float32)
            canvas[y0:y1, x0:x1] = (0.7 * region + 0.3 * np.array(colour, np.float32)).astype(np.uint8)
            cv2.putText(canvas, block.kind, (x0 + 3, y0 + int(14 * scale * 1.5)), cv2.FONT_HERSHEY_SIMPLEX,
                        0.5 * scale * 1.5, colour, max(1, thick - 1), cv2.LINE_AA)
        cv2.rectangle(canvas, (x0, y0), (x1 - 1, y1 - 1), colour, thick + 2)
    for line in page.lines:
        cv2.rectangle(canvas, line.box[:2], (line.box[2] - 1, line.box[3] - 1), (0, 0, 255), thick + 1)
        for word in line.words:
            cv2.rectangle(canvas, word.box[:2], (word.box[2] - 1, word.box[3] - 1), (0, 160, 0), thick)
            for c in word.glyphs:
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
