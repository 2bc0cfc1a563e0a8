"""The layout stage: large dark regions set aside as image/rule blocks, text kept."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ocr import preprocess as pp
from ocr.io import PageImage
from ocr.layout import analyse_layout, ruled_boxes
from ocr.pipeline import Predictor
from ocr.postprocess import RecognizedChar
from ocr.segment import segment

LINES = ["THE QUICK BROWN FOX", "JUMPS OVER THE LAZY", "DOG AND RUNS AWAY"]


def text_page(rectangle: bool = True, border: bool = False) -> np.ndarray:
    """Three lines of Hershey text (any machine has it), a black rectangle beside them."""
    img = np.full((400, 900), 255, np.uint8)
    for k, line in enumerate(LINES):
        cv2.putText(img, line, (40, 80 + 50 * k), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    if rectangle:
        img[40:360, 560:860] = 0
    if border:
        img[:, :25] = 0
        img[:, -25:] = 0
        for y in range(20, 380, 30):
            img[y:y + 4, 27:30] = 0  # specks on the border's ragged edge
    return img


def test_black_rectangle_is_an_image_region_and_the_text_stays():
    ink = text_page() < 128
    layout = analyse_layout(ink)
    assert [r.kind for r in layout.regions] == ["image"]
    assert layout.regions[0].box == (560, 40, 860, 360)
    assert not layout.text[:, 560:].any()
    assert (layout.text[:, :540] == ink[:, :540]).all()
    lines = segment(layout.text).lines
    assert len(lines) == len(LINES)


def test_ink_in_a_hole_of_a_photo_goes_with_the_photo():
    # A medal on a portrait's coat: a lighter patch of the photo with ink in it, level with a
    # text line. Not near the photo's ink, it used to join that line, read then as noise.
    img = text_page()
    img[105:155, 590:660] = 255
    cv2.putText(img, "+", (605, 145), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    layout = analyse_layout(img < 128)
    assert not layout.text[:, 560:].any()
    lines = segment(layout.text).lines
    assert len(lines) == len(LINES) and all(line.box[2] < 560 for line in lines)


def test_text_framed_by_a_thick_border_stays():
    # The page a black scan border or a thick frame encloses is a hole too, but a large one.
    img = text_page(rectangle=False)
    img[:25], img[-25:], img[:, :25], img[:, -25:] = 0, 0, 0, 0
    layout = analyse_layout(img < 128)
    assert [r.kind for r in layout.regions] == ["image"]
    assert len(segment(layout.text).lines) == len(LINES)


def cell_text(img: np.ndarray) -> np.ndarray:
    """Write "AB" in the 3 x 8 cells of a table on ``img``; the letters' ink mask."""
    for k in range(24):
        row, col = divmod(k, 8)
        cv2.putText(img, "AB", (60 + 105 * col, 110 + 100 * row), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    return img < 128


def table_page() -> tuple[np.ndarray, np.ndarray]:
    """A table of 3 x 8 cells with "AB" in each, ruled 8 pixels thick; and its letters' ink."""
    img = np.full((400, 900), 255, np.uint8)
    letters = cell_text(img)
    for y in (40, 140, 240, 340):
        img[y:y + 8, 40:888] = 0
    for x in range(40, 890, 105):
        img[40:348, x:x + 8] = 0
    return img, letters


def test_text_in_the_cells_of_a_table_grid_stays():
    # A form's table: its grid is one component with small holes too, but it is thin ink over
    # a large box, not a picture, and its cells hold the form's text.
    img, letters = table_page()
    layout = analyse_layout(img < 128)
    assert [r.kind for r in layout.regions] == ["table"]  # rules inside its outline, both ways
    assert (layout.text == letters).all()
    assert layout.tables == [layout.regions[0].box]
    lines = segment(layout.text, tables=layout.tables).lines
    assert len(lines) == 3 and all(len(line.words) == 8 for line in lines)  # row by row


def test_a_drawing_of_curves_is_set_aside_as_a_picture_is():
    # An old book's ornament: thin curves, sparse like a form's frame, but no straight runs.
    # Taken for rules, its small pieces went back to the text and read as noise.
    img = text_page(rectangle=False)
    for k in range(12):
        angle = np.pi * k / 6
        centre = (int(720 + 50 * np.cos(angle)), int(200 + 50 * np.sin(angle)))
        cv2.circle(img, centre, 70, 0, 3)
    for dx, dy in ((0, 0), (-20, 30), (25, -25)):
        cv2.circle(img, (720 + dx, 200 + dy), 4, 0, -1)  # its dots, apart from the curves
    layout = analyse_layout(img < 128)
    assert [r.kind for r in layout.regions] == ["image"]
    assert not layout.text[:, 600:].any()
    assert len(segment(layout.text).lines) == len(LINES)


def test_a_frame_is_no_table():
    # A frame around text, or one with a single rule across it, has no cells: its text keeps
    # its own columns.
    img = np.full((400, 900), 255, np.uint8)
    for k, line in enumerate(LINES):
        cv2.putText(img, line, (60, 110 + 50 * k), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    img[40:46, 30:880], img[370:376, 30:880], img[40:376, 30:36], img[40:376, 874:880] = 0, 0, 0, 0
    img[70:76, 30:880] = 0
    layout = analyse_layout(img < 128)
    assert layout.regions and not layout.tables


def test_words_touching_a_slanted_table_rule_are_kept():
    # A scanned table sits a degree askew and its header words touch the rules (the descender of
    # "Quantity" on its cell's bottom line): they are one component with the grid. The grid's
    # straight runs are taken off it and the letters go back to the text.
    img = np.full((420, 900), 255, np.uint8)
    words = cell_text(img)
    slope = np.tan(np.radians(1.0))
    for y in (40, 140, 240, 340):
        cv2.line(img, (40, y), (888, y + int(848 * slope)), 0, 2)
    for x in range(40, 890, 105):
        cv2.line(img, (x, 40 + int((x - 40) * slope)), (x - 6, 355 + int((x - 40) * slope)), 0, 2)
    # Words sitting on the second rule, touching it.
    touching = np.zeros_like(words)
    for col in (0, 3, 6):
        x = 55 + 105 * col
        y = 140 + int((x - 40) * slope)
        cv2.putText(img, "pq", (x + 5, y - 3), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
        touching[y - 30:y - 8, x:x + 60] = True
    ink = img < 128
    layout = analyse_layout(ink)
    assert layout.regions
    letters_above = ink & touching  # the bowls of p and q, clear of the rule
    assert layout.text[letters_above].mean() > 0.9
    assert (layout.text[words] | ~ink[words]).all()  # the cells' own text stays
    rules = ink & ~words & ~touching
    assert layout.text[rules].mean() < 0.02


def test_without_the_layout_stage_the_rectangle_swallows_the_page():
    # The failure the stage exists for: the segmenter's ink-weighted height is the rectangle's.
    seg = segment(text_page() < 128)
    assert seg.char_height > 100


def test_scan_border_and_its_fragments_are_set_aside():
    ink = text_page(rectangle=False, border=True) < 128
    layout = analyse_layout(ink)
    assert sorted(r.kind for r in layout.regions) == ["rule", "rule"]
    assert not layout.text[:, :40].any() and not layout.text[:, -30:].any()
    assert len(segment(layout.text).lines) == len(LINES)


def test_text_pages_and_drop_caps_are_untouched():
    ink = text_page(rectangle=False) < 128
    layout = analyse_layout(ink)
    assert layout.regions == [] and (layout.text == ink).all()
    img = text_page(rectangle=False)
    cv2.putText(img, "W", (600, 250), cv2.FONT_HERSHEY_SIMPLEX, 5.0, 0, 8)  # a big initial
    ink = img < 128
    assert analyse_layout(ink).regions == []


class LineBoxes:
    """A stand-in recognizer: every line reads as 'x'."""

    model_name = "stub"

    def recognize_lines(self, components, lines):
        return [[[RecognizedChar("x", line.box, 0.9, [("x", 0.9)])]] for line in lines]


def test_pipeline_reports_the_region_as_an_image_block():
    page = Predictor(recognizer=LineBoxes(), deskew=False).read_page(PageImage("p", 0, text_page()))
    kinds = [b.kind for b in page.blocks]
    assert kinds.count("image") == 1 and kinds[-1] == "image"
    assert page.blocks[-1].box == (560, 40, 860, 360)
    assert len(page.lines) == len(LINES)


def test_pipeline_reads_a_table_row_by_row_inside_a_table_block():
    img, _ = table_page()
    page = Predictor(recognizer=LineBoxes(), deskew=False).read_page(PageImage("p", 0, img))
    assert [b.kind for b in page.blocks] == ["table"]
    assert page.blocks[0].box == (40, 40, 888, 348)
    assert [(l.box[0], l.box[2]) for l in page.lines] == [(60, 834)] * 3  # each row one line, all 8 cells


def thin_table_page() -> np.ndarray:
    """The table of :func:`table_page` ruled 2 pixels thick, as a clean PDF's grid is."""
    img = np.full((400, 900), 255, np.uint8)
    cell_text(img)
    for y in (40, 140, 240, 340):
        img[y:y + 2, 40:882] = 0
    for x in range(40, 890, 105):
        img[40:342, x:x + 2] = 0
    return img


def test_a_thin_grid_taken_off_as_rules_is_still_a_table():
    # Preprocessing takes a thin grid off the page as rules, before the layout sees it: the
    # table is found among the rules taken off, and its cells are still read row by row.
    img = thin_table_page()
    pre = pp.preprocess(img, deskew_pages=False)
    assert not pre.binary[40:42, 40:882].any()  # the rules are gone from the text's mask
    assert len(pre.tables) == 1 and np.abs(np.subtract(pre.tables[0], (40, 40, 882, 342))).max() <= 2
    page = Predictor(recognizer=LineBoxes(), deskew=False).read_page(PageImage("p", 0, img))
    assert [b.kind for b in page.blocks] == ["table"]
    assert [(l.box[0], l.box[2]) for l in page.lines] == [(60, 834)] * 3  # each row one line
    # Without the rules' judgement the same cells were read column by column.
    columns = segment(pre.binary).lines
    assert len(columns) > 3


def test_rules_that_make_no_grid_are_no_table():
    frame = np.zeros((400, 900), bool)
    frame[40:42, 30:880], frame[370:372, 30:880], frame[40:372, 30:32], frame[40:372, 878:880] = 1, 1, 1, 1
    assert ruled_boxes(frame, 24) == ([], [(30, 40, 880, 372)])  # a frame
    frame[200:202, 30:880] = 1  # one rule across: a form's two sections, no cells
    assert ruled_boxes(frame, 24)[0] == []
    frame[40:372, 450:452] = 1  # and one down: four cells, not yet a table (TABLE_RULES)
    assert ruled_boxes(frame, 24)[0] == []
    frame[40:372, 650:652] = 1  # six cells
    assert ruled_boxes(frame, 24) == ([(30, 40, 880, 372)], [])
    assert ruled_boxes(np.zeros((400, 900), bool), 24) == ([], [])


def test_two_sides_or_a_small_box_are_no_frame():
    rules = np.zeros((400, 900), bool)
    rules[40:42, 30:880], rules[370:372, 30:880] = 1, 1  # a rule above and below: no frame
    assert ruled_boxes(rules, 24) == ([], [])
    rules[40:372, 30:32] = 1  # three sides: a frame whose fourth side broke in the scan
    assert ruled_boxes(rules, 24)[1] == [(30, 40, 880, 372)]
    box = np.zeros((400, 900), bool)
    box[40:42, 30:200], box[200:202, 30:200], box[40:202, 30:32], box[40:202, 198:200] = 1, 1, 1, 1
    assert ruled_boxes(box, 24) == ([], [])  # under FRAME_SIZE heights: a form's box


def map_page(drawing: bool) -> np.ndarray:
    """Three lines of text above a thin frame holding a map (curves and a few place names) or,
    with ``drawing`` False, three more lines of text."""
    img = np.full((720, 900), 255, np.uint8)
    for k, line in enumerate(LINES):
        cv2.putText(img, line, (40, 60 + 50 * k), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    img[220:222, 40:860], img[660:662, 40:860], img[220:662, 40:42], img[220:662, 858:860] = 0, 0, 0, 0
    if not drawing:
        for k, line in enumerate(LINES):
            cv2.putText(img, line, (80, 300 + 50 * k), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
        return img
    x = np.arange(70, 830, 4)
    for k in range(7):  # coastlines and rivers
        y = 260 + 55 * k + 25 * np.sin(x / (40 + 7 * k) + k)
        cv2.polylines(img, [np.stack([x, y], 1).astype(np.int32)], False, 0, 2)
    for k, name in enumerate(["ALEPPO", "SIVAS", "ADANA"]):
        cv2.putText(img, name, (120 + 230 * k, 300 + 110 * k), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 0, 2)
    return img


def test_a_framed_map_is_set_aside_with_its_lettering():
    # A book's map in a ruled box: the box is taken off with the rules, and its coastlines and
    # place names read as lines of noise (oldbooks dev a014: 28% CER, the page's text right).
    pre = pp.preprocess(map_page(drawing=True), deskew_pages=False)
    assert len(pre.frames) == 1 and np.abs(np.subtract(pre.frames[0], (40, 220, 860, 662))).max() <= 2
    page = Predictor(recognizer=LineBoxes(), deskew=False).read_page(PageImage("p", 0, map_page(True)))
    images = [b.box for b in page.blocks if b.kind == "image"]
    assert len(images) == 1 and np.abs(np.subtract(images[0], (40, 220, 860, 662))).max() <= 2
    assert len(page.lines) == len(LINES) and all(l.box[3] < 220 for l in page.lines)


def test_a_frame_around_text_keeps_its_text():
    page = Predictor(recognizer=LineBoxes(), deskew=False).read_page(PageImage("p", 0, map_page(False)))
    assert not [b for b in page.blocks if b.kind == "image"]
    assert len(page.lines) == 2 * len(LINES)


def test_one_bit_scans_keep_solid_black_areas():
    # Sauvola would hollow out a solid black area into its outline.
    gray = text_page()
    gray = np.where(gray < 128, 0, 255).astype(np.uint8)
    ink, method = pp.binarize(gray)
    assert method == "bilevel"
    assert ink[200, 700] and ink[:, :540].sum() == (gray[:, :540] == 0).sum()


@pytest.mark.parametrize("letter", ["H", "L", "E"])
def test_letters_are_not_box_frames(letter):
    img = np.full((100, 100), 255, np.uint8)
    cv2.putText(img, letter, (20, 80), cv2.FONT_HERSHEY_PLAIN, 4.5, 0, 3)
    ink = img < 128
    assert not pp.find_boxes(ink, char_height=20).any()
    img[10:90, 10] = img[10:90, 89] = img[10, 10:90] = img[89, 10:90] = 0
    assert pp.find_boxes(img < 128, char_height=20)[10, 50]


#: A capital H of a 1-bit book scan (oldbooks d034, 300 dpi): its serifs ran together into full
#: top and bottom rows, so it has a frame's full sides, top and bottom, and a bar across.
SERIF_H = """
############......###..##....####.
##################################
################.#################
#############......###############
......######...........######.....
......######...........#####......
""" + "......#####............#####......\n" * 7 + """\
......##########.....#######......
......#####################.......
......#####################.......
""" + "......#####............####.......\n" * 9 + """\
.....######...........######......
############..........#######.....
################.###############..
###############..###############..
"""


def test_a_serif_H_whose_serifs_ran_together_is_a_letter_not_a_box():
    rows = [r for r in SERIF_H.splitlines() if r]
    ink = np.zeros((60, 60), bool)
    ink[10:10 + len(rows), 10:10 + len(rows[0])] = np.array([[c == "#" for c in r] for r in rows])
    assert not pp.find_boxes(ink, char_height=21).any()
    # The same outline with nothing across its middle is a box.
    hollow = ink.copy()
    hollow[23:26, 21:33] = False
    assert pp.find_boxes(hollow, char_height=21).any()


@pytest.mark.parametrize("fmt", ["text", "json", "tsv", "hocr", "alto", "page"])
def test_every_format_writes_a_page_with_an_image_block(fmt):
    from ocr.document import Document

    page = Predictor(recognizer=LineBoxes(), deskew=False).read_page(PageImage("p", 0, text_page()))
    out = Document([page], model="stub").to(fmt)
    assert out and "x" in out


def test_small_fields_are_never_laid_out():
    """A cheque amount or field image has no room for a photo: noise there is not an image."""
    from ocr.layout import MIN_PAGE_SIDE, analyse_layout

    field = np.zeros((MIN_PAGE_SIDE - 1, 300), bool)
    field[20:200, 150:290] = True                     # a big dark patch
    for k in range(30):                               # and enough text-size specks
        x = 5 + 4 * k
        field[220:232, x:x + 2] = True
    layout = analyse_layout(field, char_height=12)
    assert layout.regions == [] and np.array_equal(layout.text, field)


def ornament_page() -> np.ndarray:
    """The text page and, right of it, an ornament: a ring of curves and, inside its box but away
    from its strokes, scrolls they do not join."""
    img = text_page(rectangle=False)
    for k in range(12):
        angle = np.pi * k / 6
        cv2.circle(img, (int(720 + 50 * np.cos(angle)), int(200 + 50 * np.sin(angle))), 70, 0, 3)
    for x, y in ((615, 95), (825, 95), (615, 305), (825, 305)):
        cv2.ellipse(img, (x, y), (14, 9), 30, 0, 300, 0, 3)  # in the box's corners
    return img


def test_the_scrolls_inside_an_ornament_go_with_it():
    layout = analyse_layout(ornament_page() < 128)
    assert [r.kind for r in layout.regions] == ["image"]
    assert not layout.text[:, 600:].any()
    assert len(segment(layout.text).lines) == len(LINES)


def test_a_border_of_curves_keeps_the_text_it_surrounds():
    """Its box holds the page, most of it far from its strokes: the text inside stays."""
    img = np.full((700, 1300), 255, np.uint8)
    for k, line in enumerate(LINES * 3):
        cv2.putText(img, line, (120, 160 + 50 * k), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    for x in range(40, 1261, 30):
        cv2.circle(img, (x, 40), 20, 0, 3)
        cv2.circle(img, (x, 660), 20, 0, 3)
    for y in range(40, 661, 30):
        cv2.circle(img, (40, y), 20, 0, 3)
        cv2.circle(img, (1260, y), 20, 0, 3)
    ink = img < 128
    layout = analyse_layout(ink)
    assert [r.kind for r in layout.regions] == ["image"]
    assert (layout.text[100:600, 100:1200] == ink[100:600, 100:1200]).all()


def framed_page(frame: bool = True) -> np.ndarray:
    """Eight lines of Hershey text, each starting "I ", and a frame line left of them printed in pieces."""
    img = np.full((560, 900), 255, np.uint8)
    for k in range(8):
        cv2.putText(img, f"I {LINES[k % 3]}", (80, 60 + 60 * k), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    if frame:
        for top in range(20, 520, 70):            # 40-row pieces with 30-row gaps, wandering by a pixel
            x = 20 + (top // 70) % 2
            img[top:top + 40, x:x + 3] = 0
        img[300:306, 21] = 0                       # and a short one in a gap
    return img


def test_a_frame_line_in_pieces_is_a_rule_and_the_lines_starting_with_I_stay():
    ink = framed_page() < 128
    layout = analyse_layout(ink)
    assert [r.kind for r in layout.regions] == ["rule"]
    x0, y0, x1, y1 = layout.regions[0].box
    assert x0 >= 19 and x1 <= 25 and y0 == 20 and y1 >= 500
    assert not layout.text[:, :40].any()
    assert (layout.text[:, 40:] == ink[:, 40:]).all()   # the column of "I"s is text
    assert len(segment(layout.text).lines) == 8


def test_the_crumbs_of_a_frame_line_in_pieces_go_with_it():
    """Pieces as thin as the frame line, in its gaps, too short or too thick to be slivers."""
    img = framed_page()
    img[64:75, 20:23] = 0     # 3 x 11
    img[205:219, 19:23] = 0   # 4 x 14
    layout = analyse_layout(img < 128)
    assert [r.kind for r in layout.regions] == ["rule"]
    assert not layout.text[:, :40].any()
    assert len(segment(layout.text).lines) == 8


def test_a_column_of_I_alone_is_not_a_rule():
    ink = framed_page(frame=False) < 128
    layout = analyse_layout(ink)
    assert layout.regions == [] and (layout.text == ink).all()


def test_two_pieces_or_a_short_column_are_no_rule():
    img = framed_page(frame=False)
    img[20:60, 20:23] = img[460:500, 20:23] = 0            # two pieces only, far apart
    assert analyse_layout(img < 128).regions == []
    img = framed_page(frame=False)
    for top in (100, 150, 200):                             # three, within 140 rows (under 10 character heights)
        img[top:top + 40, 20:23] = 0
    assert analyse_layout(img < 128).regions == []


def test_scattered_slivers_do_not_chain_into_a_page_wide_rule():
    from ocr.layout import broken_rules

    rng = np.random.default_rng(0)
    ink = np.zeros((600, 900), bool)
    for y, x in zip(rng.integers(0, 580, 3000), rng.integers(0, 895, 3000)):
        ink[y:y + 8, x] = True                      # vertical scratches everywhere
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    _, boxes = broken_rules(labels, stats, 12.0)
    assert all(x1 - x0 <= 12 for x0, _, x1, _ in boxes)


def banner_page(banner: str = "type") -> np.ndarray:
    """The three lines of :func:`text_page` on grey paper, and a dark banner under them that
    holds light type (``type``), a photo's scattered highlights (``photo``) or nothing (``plain``)."""
    img = np.full((500, 900), 235, np.uint8)
    for k, line in enumerate(LINES):
        cv2.putText(img, line, (40, 80 + 50 * k), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 20, 2)
    img[260:400, 40:860] = 70
    if banner == "type":
        cv2.putText(img, "WARMING UP", (80, 350), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 250, 4)
    elif banner == "photo":
        rng = np.random.default_rng(3)
        for _ in range(40):  # highlights of every size, anywhere
            x, y, r = int(rng.integers(60, 840)), int(rng.integers(270, 390)), int(rng.integers(2, 30))
            cv2.circle(img, (x, y), r, 250, -1)
    return img


def test_light_type_on_a_dark_banner_is_found_and_nothing_else_is():
    from ocr.layout import light_type

    for kind, found in (("type", True), ("photo", False), ("plain", False)):
        page = banner_page(kind)
        mask = light_type(page, (40, 260, 860, 400), 22.0)
        assert (mask is not None) == found, kind
    mask = light_type(banner_page(), (40, 260, 860, 400), 22.0)
    letters = banner_page()[260:400, 40:860] > 200
    assert mask.shape == letters.shape and mask.sum() >= 0.9 * letters.sum()


def test_a_banners_light_type_is_read_as_a_line_and_the_banner_is_no_longer_an_image():
    from ocr.pipeline import analyse_page

    analysis = analyse_page(PageImage("banner.png", 0, banner_page()), deskew=False)
    assert not [r for r in analysis.regions if r.kind == "image"]
    tops = sorted(line.box[1] for line in analysis.layout.lines)
    assert len(tops) == 4 and 260 <= tops[-1] < 400          # the three lines, then the banner's
    photo = analyse_page(PageImage("photo.png", 0, banner_page("photo")), deskew=False)
    assert [r.kind for r in photo.regions] == ["image"] and len(photo.layout.lines) == 3
    one_bit = np.where(banner_page() < 128, 0, 255).astype(np.uint8)   # no grey: left as it is
    assert [r.kind for r in analyse_page(PageImage("1bit.png", 0, one_bit), deskew=False).regions] == ["image"]


def test_a_region_of_hundreds_of_light_strokes_is_a_texture_not_type():
    """Their pairwise row test would cost their number squared: past BANNER_MAX_LETTERS, no type."""
    from ocr.layout import BANNER_MAX_LETTERS, light_type

    img = np.full((600, 900), 70, np.uint8)
    for y in range(10, 590, 20):
        for x in range(10, 890, 12):
            img[y:y + 12, x:x + 2] = 250                 # a stroke 12 px tall, 2 px wide
    assert ((580 // 20 + 1) * (880 // 12 + 1)) > BANNER_MAX_LETTERS
    assert light_type(img, (0, 0, 900, 600), 12.0) is None
