"""The pipeline's stages: page order, background model loading, box mapping."""

from dataclasses import replace

import cv2
import numpy as np
import pytest

from ocr.errors import ModelError
from ocr.io import PageImage
from ocr.pipeline import Predictor, _BoxMapper
from ocr.preprocess import Preprocessed, rotation_matrix
from ocr.postprocess import RecognizedChar
from ocr.segment import segment
from tests.conftest import PROSE, prose_page


class OneCharPerLine:
    """A stand-in recognizer: every line reads as 'x' boxed by the line."""

    model_name = "stub"

    def recognize_lines(self, components, lines):
        return [[[RecognizedChar("x", line.box, 0.9, [("x", 0.9)])]] for line in lines]


def page_with_lines(n_lines: int, index: int) -> PageImage:
    img = np.full((60 + 40 * n_lines, 200), 255, np.uint8)
    for k in range(n_lines):
        img[30 + 40 * k:48 + 40 * k, 20:40] = 0
    return PageImage(f"page{index}", index, img)


@pytest.mark.parametrize("jobs", [1, 3])
def test_read_pages_keeps_order_and_reports_each_page(jobs):
    predictor = Predictor(recognizer=OneCharPerLine(), deskew=False)
    pages = [page_with_lines(k % 4 + 1, k) for k in range(9)]
    seen = []
    results = predictor.read_pages(pages, jobs=jobs, on_page=lambda p: seen.append(p.index))
    assert [p.index for p in results] == list(range(9)) == seen
    assert [len(p.lines) for p in results] == [k % 4 + 1 for k in range(9)]


def test_blank_page_needs_no_recognition():
    predictor = Predictor(recognizer=OneCharPerLine())
    page = predictor.read_page(PageImage("blank", 0, np.full((50, 50), 255, np.uint8)))
    assert page.blank and page.text == ""


def test_missing_model_fails_at_construction(tmp_path):
    with pytest.raises(ModelError):
        Predictor(tmp_path / "missing.keras")


def test_corrupt_model_error_surfaces_from_background_load(tmp_path):
    import json
    import zipfile

    from ocr.models.store import METADATA_MEMBER

    # A readable card (so the constructor accepts it) around a network that cannot load:
    # the error can only come from the background loader.
    bad = tmp_path / "bad.keras"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr(METADATA_MEMBER, json.dumps({"kind": "line", "labels": ["0", "1"]}))
        archive.writestr("model.weights.h5", b"junk")
    predictor = Predictor(bad)
    with pytest.raises(ModelError, match="cannot load model"):
        predictor.recognizer


def test_unreadable_card_fails_at_construction(tmp_path):
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="not a readable .keras"):
        Predictor(bad)


def test_box_mapper_maps_deskewed_boxes_back_to_the_input():
    shape, angle = (300, 400), 7.0
    pre = Preprocessed(np.zeros(shape, np.uint8), np.zeros(shape, bool), angle, False, "otsu", False, shape)
    forward, _ = rotation_matrix(shape, -angle)  # input -> deskewed frame
    box_in = np.array([120.0, 80.0, 200.0, 110.0])
    corners = np.array([[box_in[0], box_in[1], 1], [box_in[2], box_in[3], 1]])
    deskewed = corners @ forward.T
    mapped = _BoxMapper(pre).many(np.array([[*deskewed.min(axis=0), *deskewed.max(axis=0)]]))[0]
    # The bounding box of a rotated box is larger, but holds the original corners.
    assert mapped[0] <= 120 + 1 and mapped[1] <= 80 + 1 and mapped[2] >= 200 - 1 and mapped[3] >= 110 - 1
    assert mapped[2] - mapped[0] < 130 and mapped[3] - mapped[1] < 90
    clipped = _BoxMapper(pre).many(np.array([[-50, -50, 5000, 5000]]))[0]
    assert list(clipped) == [0, 0, 400, 300]


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_a_turned_page_is_read_upright_and_its_boxes_land_on_its_ink(turn):
    from ocr.pipeline import analyse_page

    upright = np.where(prose_page(), 0, 255).astype(np.uint8)  # dark ink on white paper
    turned = np.ascontiguousarray(np.rot90(upright, turn // 90))
    analysis = analyse_page(PageImage("turned.png", 0, turned))
    assert analysis.pre.orientation == turn
    assert len(analysis.layout.lines) == len(PROSE)
    page = Predictor(recognizer=OneCharPerLine()).recognize(analysis)
    assert page.orientation == turn and page.width == turned.shape[1] and page.height == turned.shape[0]
    for line in page.lines:  # every box, mapped back, holds ink of the turned input
        x0, y0, x1, y1 = line.box
        assert (turned[y0:y1, x0:x1] < 128).mean() > 0.05
        # A line of the sideways page is tall and narrow in the input.
        assert ((y1 - y0) > (x1 - x0)) == (turn in (90, 270))


def test_a_page_of_small_print_is_read_enlarged_and_its_boxes_land_on_its_ink():
    from ocr.pipeline import analyse_page

    img = np.full((90, 320), 255, np.uint8)
    for k, text in enumerate(("small print one", "and line two")):
        cv2.putText(img, text, (6, 30 + 30 * k), cv2.FONT_HERSHEY_SIMPLEX, 0.35, 0, 1)
    analysis = analyse_page(PageImage("fax.png", 0, img), deskew=False)
    assert analysis.pre.work_shape == (180, 640) and len(analysis.layout.lines) == 2
    page = Predictor(recognizer=OneCharPerLine()).recognize(analysis)
    assert (page.width, page.height) == (320, 90)
    for line in page.lines:
        x0, y0, x1, y1 = line.box
        assert x1 <= 320 and y1 <= 90 and (img[y0:y1, x0:x1] < 128).mean() > 0.1


def test_iter_read_takes_pages_lazily():
    predictor = Predictor(recognizer=OneCharPerLine(), deskew=False)
    taken = []

    def pages():
        for k in range(30):
            taken.append(k)
            yield page_with_lines(1, k)

    for n_read, (image, page) in enumerate(predictor.iter_read(pages(), jobs=1), start=1):
        assert image.index == page.index == n_read - 1
        # A bounded number of pages is decoded ahead of the one just read, never the whole batch.
        assert len(taken) <= n_read + 5
    assert n_read == 30


def test_layout_line_reads_the_whole_image_as_one_line():
    """Ascenders, descenders and a word written higher than the rest stay on the one line."""
    from ocr.pipeline import analyse_page

    img = np.full((90, 420), 255, np.uint8)
    cv2.putText(img, "ab", (10, 50), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 3)
    cv2.putText(img, "cd", (150, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 3)   # higher up
    cv2.putText(img, "ef", (290, 80), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 3)   # lower down
    page = PageImage("line.png", 0, img)
    line = analyse_page(page, deskew=False, layout="line")
    split = segment(line.pre.binary)  # the segmenter alone makes it several lines
    assert len(split.lines) > 1
    assert len(line.layout.lines) == 1
    glyphs = line.layout.lines[0].glyphs
    assert len(glyphs) == sum(len(l.glyphs) for l in split.lines)
    assert [g.box[0] for g in glyphs] == sorted(g.box[0] for g in glyphs)
    assert len(line.layout.lines[0].words) == 3


def test_layout_line_leaves_out_pieces_of_the_lines_a_crop_cut_through():
    """A field cut from a form with the bottoms of the line above and the tops of the line below."""
    from ocr.pipeline import analyse_page

    img = np.full((70, 420), 255, np.uint8)
    cv2.putText(img, "HEBE", (10, 8), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)      # cut by the top edge
    cv2.putText(img, "abc def", (10, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 3)  # the field's line
    cv2.putText(img, "HTHT", (200, 85), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)    # cut by the bottom edge
    analysis = analyse_page(PageImage("field.png", 0, img), deskew=False, layout="line")
    line, rows = analysis.layout.lines[0], analysis.pre.binary.shape[0]  # the (enlarged) work frame
    assert len(line.glyphs) == 6 and len(line.words) == 2
    assert all(g.box[1] > 0 and g.box[3] < rows for g in line.glyphs)


def test_layout_line_leaves_out_descenders_of_the_line_above_off_the_edge_row():
    """The crop cut the line above just above its descenders: they start a row below the edge."""
    from ocr.pipeline import analyse_page

    img = np.full((60, 420), 255, np.uint8)
    cv2.putText(img, "gyp qgy jpg", (10, 1), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)  # descenders only
    img[:2] = 255  # one blank row at least above them
    cv2.putText(img, "abc def", (10, 42), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 3)
    line = analyse_page(PageImage("field.png", 0, img), deskew=False, layout="line").layout.lines[0]
    assert len(line.glyphs) == 6 and len(line.words) == 2
    assert min(g.box[1] for g in line.glyphs) > 12


def test_layout_line_keeps_the_end_of_a_line_that_drifts_down_to_the_edge():
    """Handwriting drifts: the last words sit lower, their descenders on the bottom row, beside
    the first words rather than under them. They are the line's own, not the line below's."""
    from ocr.pipeline import analyse_page

    img = np.full((56, 460), 255, np.uint8)
    cv2.putText(img, "abc def", (10, 32), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 3)
    cv2.putText(img, "gypjq", (260, 48), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 3)  # lower, cut at the bottom
    page = PageImage("drift.png", 0, img)
    line = analyse_page(page, deskew=False, layout="line")
    assert len(segment(line.pre.binary).lines) > 1  # the segmenter splits it
    assert len(line.layout.lines[0].glyphs) == 11 and len(line.layout.lines[0].words) == 3
    auto = analyse_page(page, deskew=False).layout  # auto sees a line image, and reads it so
    assert len(auto.lines) == 1 and len(auto.lines[0].glyphs) == 11


def test_auto_layout_reads_a_row_of_accents_over_a_line_image_with_its_line():
    """The segmenter put the accents over three words on a line of their own, as wide as the
    words (too wide for one mark): they are the line's marks, not a line to read apart."""
    from ocr.pipeline import analyse_page

    def page(rise: int) -> PageImage:
        img = np.full((64, 420), 255, np.uint8)
        cv2.putText(img, "mum non vum", (10, 52), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 3)
        for x in (60, 150, 260):
            cv2.line(img, (x, 30 - rise), (x + 8, 25 - rise), 0, 3)
        return PageImage("accents.png", 0, img)

    near = analyse_page(page(8), deskew=False)
    assert len(segment(near.pre.binary).lines) == 2
    assert [len(line.glyphs) for line in near.layout.lines] == [12]
    # Further up than a mark sits (MARK_GAP), the same strokes are a line of their own.
    assert len(analyse_page(page(16), deskew=False).layout.lines) == 2


def test_auto_layout_leaves_out_cut_pieces_that_the_segmenter_joined_to_a_line_image():
    """The tips of the next line's ascenders, cut by the bottom edge, joined the one line found
    as marks of its letters: with room above and below its line, auto reads the image as
    ``--layout line`` does, without them (in a FUNSD field the descender of the line above
    joined to the "y" of "By City:" made it "By Cuy")."""
    from ocr.pipeline import analyse_page
    from ocr.segment import has_room_at_edges

    img = np.full((52, 300), 255, np.uint8)
    cv2.putText(img, "abc def", (10, 36), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 3)
    img[47:, 30:34] = 0
    img[47:, 120:124] = 0
    page = PageImage("field.png", 0, img)
    auto = analyse_page(page, deskew=False)
    assert len(segment(auto.pre.binary).lines) == 1  # one line, the pieces in it
    assert has_room_at_edges(segment(auto.pre.binary))
    line = auto.layout.lines[0]
    assert len(auto.layout.lines) == 1 and len(line.glyphs) == 6
    assert line.box[3] < 40
    assert line.box == analyse_page(page, deskew=False, layout="line").layout.lines[0].box
    # Cut tight about its line (a cheque amount's digits), a crop's edge rows are the line's own.
    tight = np.full((40, 300), 255, np.uint8)
    cv2.putText(tight, "2400", (10, 34), cv2.FONT_HERSHEY_SIMPLEX, 1.3, 0, 3)
    one = segment(analyse_page(PageImage("amount.png", 0, tight), deskew=False).pre.binary)
    assert len(one.lines) == 1 and not has_room_at_edges(one)


class SureOfWideLines:
    """A stand-in recognizer: a line reads as 'x', surely when it is wide (a line of text),
    at a third of that when it is narrow (a piece of a line the crop cut through)."""

    model_name = "stub"

    def recognize_lines(self, components, lines):
        return [[[RecognizedChar("x", line.box, 0.9 if line.box[2] - line.box[0] > 100 else 0.3,
                                 [("x", 0.9)])]] for line in lines]


def test_a_line_image_leaves_out_a_line_read_far_less_surely_than_its_line_and_a_page_does_not():
    from ocr.pipeline import PIECE_CONFIDENCE_SHARE, without_unsure_pieces

    def image(rows: int) -> PageImage:
        img = np.full((rows, 400), 255, np.uint8)
        for x in range(20, 380, 24):
            img[10:34, x:x + 16] = 0        # the line: sixteen glyphs
        img[60:76, 30:46] = img[60:76, 60:76] = 0  # two glyphs of the next line, cut off
        return PageImage("crop.png", 0, img)

    crop = Predictor(recognizer=SureOfWideLines(), deskew=False).read_page(image(80))
    assert [line.box[1] for line in crop.lines] == [10]
    # Five times as tall as its line, the same ink is a paragraph's (low resolution), not a crop's.
    short = Predictor(recognizer=SureOfWideLines(), deskew=False).read_page(image(130))
    assert len(short.lines) == 2
    page = Predictor(recognizer=SureOfWideLines(), deskew=False).read_page(image(300))
    assert len(page.lines) == 2             # a page's lines are its own, however unsure
    block = Predictor(recognizer=SureOfWideLines(), deskew=False, layout="block").read_page(image(80))
    assert len(block.lines) == 2            # so are the lines of a block the user asked for
    # The share is of the surest line: a line a little less sure stays.
    sure, less = [[RecognizedChar("a", (0, 0, 1, 1), 0.8, [])]], [[RecognizedChar("b", (0, 0, 1, 1), 0.6, [])]]
    assert without_unsure_pieces([sure, less]) == [sure, less]
    unsure = [[RecognizedChar("c", (0, 0, 1, 1), 0.8 * PIECE_CONFIDENCE_SHARE - 0.01, [])]]
    assert without_unsure_pieces([unsure, sure]) == [[], sure]
    assert without_unsure_pieces([unsure]) == [unsure]
    # Measured against lines of a word's length: a descender's hook the glyph model is sure is
    # "0" does not leave out the line read in cursive at half that confidence.
    hook = [[RecognizedChar("0", (0, 0, 1, 1), 0.98, [])]]
    words = [[RecognizedChar(c, (0, 0, 1, 1), 0.54, []) for c in "vie"]]
    assert without_unsure_pieces([hook, words]) == [hook, words]
    no_word = [[RecognizedChar("x", (0, 0, 1, 1), 0.54, [])]]
    assert without_unsure_pieces([hook, no_word]) == [hook, []]  # no line of a word's length: as before
    # The line holding the most ink is the one the crop was made for, however unsure.
    assert without_unsure_pieces([unsure, sure], main=0) == [unsure, sure]
    assert without_unsure_pieces([unsure, sure, unsure], main=2) == [[], sure, unsure]


def test_a_small_note_taken_for_a_line_crop_keeps_its_unsure_main_line():
    """A low-resolution note whose first line of capitals touches the next line's ascenders has
    a main line about as tall as the image over four: taken for a line crop, its unsure main
    line was left out as a piece cut off a neighbour."""
    img = np.full((120, 400), 255, np.uint8)
    for x in range(20, 380, 24):
        img[6:40, x:x + 18] = 0             # the main line: fifteen tall glyphs, the most ink
    for x in (30, 60, 90):
        img[70:90, x:x + 14] = 0            # three glyphs below: a narrow line, read surely
    class SureOfNarrowLines(SureOfWideLines):
        def recognize_lines(self, components, lines):
            return [[[RecognizedChar("x", line.box, 0.3 if line.box[2] - line.box[0] > 100 else 0.9,
                                     [("x", 0.9)])]] for line in lines]

    crop = Predictor(recognizer=SureOfNarrowLines(), deskew=False).read_page(PageImage("note.png", 0, img))
    assert [line.box[1] for line in crop.lines] == [6, 70]


def test_auto_layout_keeps_two_whole_lines_apart_even_in_a_tight_crop():
    """Two lines, the second against the bottom edge: whole lines, not pieces of a cut one."""
    from ocr.pipeline import analyse_page

    img = np.full((66, 300), 255, np.uint8)
    cv2.putText(img, "Hold the", (6, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2)
    cv2.putText(img, "light by", (6, 58), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2)  # its g and y cut
    assert len(analyse_page(PageImage("two.png", 0, img), deskew=False).layout.lines) == 2


class SureOfLowLines:
    """A stand-in recognizer: a line reads as 'x' at ``low`` confidence when its box is at
    most ``rows`` tall (one line of text), at ``tall`` when taller (two lines read as one)."""

    model_name = "stub"

    def __init__(self, rows: int, low: float = 0.8, tall: float = 0.3) -> None:
        self.rows, self.low, self.tall = rows, low, tall

    def recognize_lines(self, components, lines):
        return [[[RecognizedChar("x", line.box, self.low if line.box[3] - line.box[1] <= self.rows else self.tall,
                                 [("x", 0.9)])]] for line in lines]


def stepped_line() -> np.ndarray:
    """A line crop whose second half lies lower than its first: two lines to the segmenter."""
    img = np.full((60, 300), 255, np.uint8)
    for x in range(10, 150, 20):
        img[10:26, x:x + 12] = 0
    for x in range(150, 290, 20):
        img[34:50, x:x + 12] = 0
    return img


def test_a_line_crop_found_as_several_lines_is_read_as_one_line_when_that_reading_is_as_sure():
    from ocr.pipeline import analyse_page

    page = PageImage("stepped.png", 0, stepped_line())
    analysis = analyse_page(page, deskew=False)
    assert len(analysis.layout.lines) == 2 and len(analysis.one_line.lines) == 1
    # As one line, read as surely as each half: one line.
    assert len(Predictor(recognizer=SureOfLowLines(60), deskew=False).read_page(page).lines) == 1
    # Read as one line unsurely (two lines squeezed into one): the two lines stay.
    assert len(Predictor(recognizer=SureOfLowLines(20), deskew=False).read_page(page).lines) == 2
    # Only auto layout compares: a block the user asked for keeps its lines.
    assert len(Predictor(recognizer=SureOfLowLines(60), deskew=False, layout="block").read_page(page).lines) == 2
    # A page's lines are its own.
    tall = np.full((300, 300), 255, np.uint8)
    tall[:60] = stepped_line()
    assert analyse_page(PageImage("page.png", 0, tall), deskew=False).one_line is None
    # A second whole line against the crop's bottom edge, which one line leaves out as a cut
    # neighbour's piece: however sure, one line would lose its text, and is not kept.
    img = np.full((66, 300), 255, np.uint8)
    cv2.putText(img, "Hold the", (6, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2)
    cv2.putText(img, "light by", (6, 58), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2)
    two = PageImage("two.png", 0, img)
    assert analyse_page(two, deskew=False).one_line is not None
    assert len(Predictor(recognizer=SureOfLowLines(100), deskew=False).read_page(two).lines) == 2


def test_one_line_is_kept_only_as_sure_and_holding_the_ink_read():
    from ocr.pipeline import ONE_LINE_MARGIN, surer_as_one_line
    from ocr.segment import as_one_line, without_split_off

    full = segment(stepped_line() < 128)
    several, one = without_split_off(full), as_one_line(full)
    assert len(several.lines) == 2 and len(one.lines) == 1

    def read(*confidences):
        return [[RecognizedChar("a", (0, 0, 1, 1), c, []) for c in confidences]]

    both = [read(0.7, 0.9), read(0.5)]
    assert surer_as_one_line(several, both, one, [read(0.7 - ONE_LINE_MARGIN + 0.01)])
    assert not surer_as_one_line(several, both, one, [read(0.7 - ONE_LINE_MARGIN - 0.01)])
    assert not surer_as_one_line(several, both, one, [[]])
    assert not surer_as_one_line(several, [[], []], one, [read(0.9)])
    # One line without the first half's ink leaves text out ...
    line = one.lines[0]
    second = replace(one, lines=[replace(line, words=[[g for g in line.glyphs if g.box[0] >= 150]])])
    assert not surer_as_one_line(several, both, second, [read(0.9)])
    # ... unless that half was read as nothing: only what was read counts.
    first_read = [[], read(0.7)] if several.lines[0].box[0] < 150 else [read(0.7), []]
    assert surer_as_one_line(several, first_read, second, [read(0.9)])


def test_a_small_image_looks_for_sideways_columns_at_its_own_text_height(monkeypatch):
    """Two lines in an image under the layout's minimum page side: the column search gets the
    ink's text height, not the layout's 0 (with 0, the cut edges of the Testaments line crops
    passed for columns and were read turned)."""
    import ocr.pipeline as pipeline
    from ocr.ink import text_height

    heights = []
    monkeypatch.setattr(pipeline, "sideways_lines", lambda binary, height: heights.append(height) or [])
    img = np.full((66, 300), 255, np.uint8)
    cv2.putText(img, "Hold the", (6, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2)
    cv2.putText(img, "light by", (6, 58), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2)
    analysis = pipeline.analyse_page(PageImage("two.png", 0, img), deskew=False)
    assert heights == [text_height(analysis.pre.binary)] and heights[0] > 10


def test_layout_line_keeps_a_tall_letter_that_reaches_the_top_edge():
    """A cursive word whose ascender touches the crop's top row covers the line's core: kept,
    though its centre lies above the core."""
    from ocr.pipeline import analyse_page

    img = np.full((70, 420), 255, np.uint8)
    cv2.putText(img, "ace mor", (10, 50), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 3)
    cv2.ellipse(img, (300, 26), (6, 25), 0, 0, 360, 0, 3)  # a cursive l's loop, top row to baseline
    line = analyse_page(PageImage("tall.png", 0, img), deskew=False, layout="line").layout.lines[0]
    assert max(g.box[0] for g in line.glyphs) >= 290
    assert min(g.box[1] for g in line.glyphs) <= 2


class ReadsOnlyRows:
    """A stand-in recognizer sure of lines wider than tall, and unsure of the others."""

    model_name = "stub"

    def recognize_lines(self, components, lines):
        return [[[RecognizedChar("x", line.box, 0.9 if line.box[2] - line.box[0] > line.box[3] - line.box[1]
                                 else 0.3, [])]] for line in lines]


def test_a_line_image_printed_sideways_is_read_turned_the_surer_way():
    img = np.full((60, 330), 255, np.uint8)
    for x in range(10, 300, 36):
        img[15:45, x:x + 24] = 0  # glyphs in a row
    sideways = PageImage("margin.png", 0, np.ascontiguousarray(np.rot90(img, -1)))
    predictor = Predictor(recognizer=ReadsOnlyRows(), layout="line")
    page = predictor.recognize(predictor.analyse(sideways))
    assert page.orientation in (90, 270) and page.confidence == pytest.approx(0.9)
    assert page.width == 60 and page.height == 330  # the input's own frame
    upright = Predictor(recognizer=ReadsOnlyRows(), layout="line")
    assert upright.recognize(upright.analyse(PageImage("row.png", 0, img))).orientation == 0
    auto = Predictor(recognizer=ReadsOnlyRows())  # only line images are turned
    assert auto.recognize(auto.analyse(sideways)).orientation == 0


class ReadsOnlyLongRows:
    """A stand-in recognizer sure of lines over three times wider than tall, less of others."""

    model_name = "stub"

    def __init__(self, sure: float = 0.9, unsure: float = 0.3) -> None:
        self.sure, self.unsure = sure, unsure

    def recognize_lines(self, components, lines):
        def sure(line):
            return self.sure if line.box[2] - line.box[0] > 3 * (line.box[3] - line.box[1]) else self.unsure
        return [[[RecognizedChar("x", g.box, sure(line), []) for g in line.glyphs]] for line in lines]


def _page_with_a_number_up_its_margin() -> np.ndarray:
    img = np.full((420, 700), 255, np.uint8)
    for y in (40, 120, 200):
        for x in range(20, 500, 40):  # rows of upright glyphs
            cv2.ellipse(img, (x + 12, y + 16), (12, 16), 0, 0, 360, 0, -1)
    for y in range(60, 380, 36):  # glyphs on their side, one below the other, up the margin
        cv2.ellipse(img, (636, y + 13), (16, 13), 0, 0, 360, 0, -1)
    return img


def test_a_number_printed_up_a_pages_margin_is_read_turned():
    predictor = Predictor(recognizer=ReadsOnlyLongRows())
    page = predictor.recognize(predictor.analyse(PageImage("form.png", 0, _page_with_a_number_up_its_margin())))
    lines = page.lines
    assert len(lines) == 4 and all(line.confidence == pytest.approx(0.9) for line in lines)
    x0, y0, x1, y1 = lines[-1].box  # its own block, after the page's text, in input pixels
    assert x0 <= 620 and x1 >= 653 and y0 <= 60 and y1 >= 374 and x1 - x0 < 50
    assert [b.box for b in page.blocks][-1] == lines[-1].box


@pytest.mark.parametrize("turned, as_it_lies, kept", [(0.97, 0.92, True), (0.93, 0.88, False), (0.8, 0.65, True)])
def test_a_column_read_turned_must_be_surer_by_a_margin_or_nearly_sure(turned, as_it_lies, kept):
    predictor = Predictor(recognizer=ReadsOnlyLongRows(turned, as_it_lies))
    page = predictor.recognize(predictor.analyse(PageImage("form.png", 0, _page_with_a_number_up_its_margin())))
    assert (len(page.lines) == 4) == kept


def test_a_column_read_no_surer_turned_keeps_its_upright_reading():
    predictor = Predictor(recognizer=ReadsOnlyRows())  # sure of its pieces as they lie, of nothing turned
    analysis = predictor.analyse(PageImage("form.png", 0, _page_with_a_number_up_its_margin()))
    assert len(analysis.sideways) == 1
    page = predictor.recognize(analysis)
    assert all(line.box[2] - line.box[0] > 100 or line.box[0] >= 600 for line in page.lines)
    assert not any(line.box[3] - line.box[1] > 300 for line in page.lines)


def test_layout_word_and_block_modes():
    from ocr.pipeline import analyse_page

    img = np.full((200, 600), 255, np.uint8)
    for row in range(3):  # two columns of three lines
        cv2.putText(img, "abc de", (10, 50 + 50 * row), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
        cv2.putText(img, "fgh ij", (420, 50 + 50 * row), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    page = PageImage("cols.png", 0, img)
    auto = analyse_page(page, deskew=False).layout
    block = analyse_page(page, deskew=False, layout="block").layout
    word = analyse_page(page, deskew=False, layout="word").layout
    assert len({line.block for line in auto.lines}) > 1
    assert {line.block for line in block.lines} == {0} and len(block.lines) == len(auto.lines)
    tops = [line.box[1] for line in block.lines]
    assert tops == sorted(tops)  # top to bottom across the columns
    assert len(word.lines) == 1 and len(word.lines[0].words) == 1
    assert len(word.lines[0].glyphs) == sum(len(line.glyphs) for line in auto.lines)


def test_unknown_layout_mode_is_an_error():
    from ocr.errors import OcrError
    from ocr.pipeline import Predictor

    with pytest.raises(OcrError, match="unknown layout mode 'page'"):
        Predictor(recognizer=object(), layout="page")


@pytest.mark.parametrize("angle", [1.2, 5.0])
def test_a_line_image_is_straightened_only_when_its_skew_is_clear(angle):
    """One line's projection profile is a poor skew estimate (slanted cursive tilts it): a line
    image is left as it is under 2 degrees, by auto layout and by --layout line, while a page
    of lines at the same small skew is straightened."""
    from ocr.pipeline import analyse_page
    from ocr.preprocess import rotate

    line = np.full((160, 900), 255, np.uint8)
    cv2.putText(line, "the quick brown fox jumps", (20, 95), cv2.FONT_HERSHEY_SIMPLEX, 1.6, 0, 3)
    line = rotate(line, angle, fill=255)
    for layout in ("auto", "line"):
        found = analyse_page(PageImage("line.png", 0, line), layout=layout)
        assert len(found.layout.lines) == 1
        if angle < 2:
            assert found.pre.angle == 0.0
        else:
            assert abs(found.pre.angle - angle) < 0.5
    page = np.full((700, 900), 255, np.uint8)
    for row in range(6):
        cv2.putText(page, "the quick brown fox jumps", (20, 90 + 100 * row), cv2.FONT_HERSHEY_SIMPLEX, 1.6, 0, 3)
    page = rotate(page, angle, fill=255)
    assert abs(analyse_page(PageImage("page.png", 0, page)).pre.angle - angle) < 0.5
