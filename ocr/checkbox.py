"""Check boxes on forms: an empty square outline about the size of the text is a ☐.

No recognizer has a check box among its classes: a form's boxes were read as
"O", "CO" or "[]" glued to the label beside them. A check box is found from
its shape instead (:func:`ocr.ink.is_check_box`), and the characters read
over it are replaced by the box, a word of its own. Boxes much taller than the
text are taken off the page with the frames before (:func:`ocr.ink.find_boxes`),
and ticked boxes (☑) are left to the recognizer: by shape alone a crossed box
is a faxed typewriter's "m".
"""

from __future__ import annotations

from ocr.ink import check_box_size, is_check_box
from ocr.postprocess import Box, RecognizedChar, Words
from ocr.segment import Components, LineLayout, glyph_mask

EMPTY_BOX = "\u2610"
#: The check box symbols this stage writes.
CHECK_BOXES = EMPTY_BOX
#: Space, as a share of the box's height, between a box no taller than the line's letters
#: (:data:`LETTER_SIZE`) and the next glyph on its line: a box stands apart, a letter as square
#: as a bold faxed O sits in its word.
MIN_GAP = 0.3
#: Boxes under this many letter heights are the ones that must stand apart.
LETTER_SIZE = 1.3
#: Confidence given to a box found from its shape.
BOX_CONFIDENCE = 0.9


def stands_apart(box: Box, others: list[Box], gap: float) -> bool:
    """Whether none of the ``others`` beside ``box`` (overlapping its rows) comes within ``gap``
    pixels of it on the left or right."""
    x0, y0, x1, y1 = box
    return not any(oy1 > y0 and oy0 < y1 and ox0 < x1 + gap and ox1 > x0 - gap
                   for ox0, oy0, ox1, oy1 in others)


def check_boxes(components: Components, line: LineLayout) -> list[Box]:
    """The boxes of ``line``'s glyphs that are empty check boxes."""
    glyphs = line.glyphs
    found = []
    for k, glyph in enumerate(glyphs):
        x0, y0, x1, y1 = glyph.box
        height = y1 - y0
        # The size first: building the ink mask of every glyph of a dense page costs more.
        if not check_box_size(height, x1 - x0, line.height) \
                or not is_check_box(glyph_mask(components, glyph), line.height):
            continue
        if height < LETTER_SIZE * line.height and not stands_apart(
                glyph.box, [g.box for j, g in enumerate(glyphs) if j != k], MIN_GAP * height):
            continue
        found.append(glyph.box)
    return found


def _centre_x(box: Box) -> float:
    return (box[0] + box[2]) / 2


def with_check_boxes(components: Components, line: LineLayout, words: Words) -> Words:
    """``words`` read on ``line`` with its check boxes put in: the characters whose centres lie
    over a box are replaced by the box, a word of its own in its place from left to right."""
    boxes = check_boxes(components, line)
    if not boxes:
        return words
    out: Words = []
    for word in words:  # split each word where a box lies, dropping what was read over it
        part: list[RecognizedChar] = []
        for char in word:
            if any(b[0] <= _centre_x(char.box) <= b[2] for b in boxes):
                if part:
                    out.append(part)
                part = []
            else:
                part.append(char)
        if part:
            out.append(part)
    for box in boxes:
        mark = RecognizedChar(EMPTY_BOX, tuple(int(v) for v in box), BOX_CONFIDENCE,
                              [(EMPTY_BOX, BOX_CONFIDENCE)])
        at = next((k for k, w in enumerate(out) if _centre_x(w[0].box) > _centre_x(box)), len(out))
        out.insert(at, [mark])
    return out
