"""Line recognition: CTC decoding, line inputs and placing characters back on the page."""

import numpy as np

from ocr.normalize import LINE_HEIGHT, LINE_MIN_WIDTH, LINE_STRIDE, to_line_input
from ocr.recognize_lines import best_path, line_mask
from ocr.segment import segment


def frames(*classes, n_classes=4):
    """One-hot-ish frame probabilities (column 0 is the blank)."""
    probs = np.full((len(classes), n_classes + 1), 0.02)
    for t, c in enumerate(classes):
        probs[t, c] = 1.0
    return probs / probs.sum(axis=1, keepdims=True)


def test_best_path_merges_repeats_unless_a_blank_separates_them():
    decoded = best_path(frames(0, 1, 1, 0, 1, 2, 2, 0, 3))
    assert [c.label for c in decoded] == [0, 0, 1, 2]
    assert decoded[0].peak in (1, 2) and decoded[1].peak == 4
    assert all(0 < c.confidence <= 1 for c in decoded)
    assert decoded[2].alternatives[0][0] == 1 and len(decoded[2].alternatives) == 3


def test_whitelist_changes_the_reading_instead_of_dropping_it():
    probs = frames(0, 1, 0)
    probs[1, 2] = 0.5  # the second label is a close runner-up
    assert [c.label for c in best_path(probs)] == [0]
    allowed = np.array([False, True, True, True])
    assert [c.label for c in best_path(probs, allowed)] == [1]


def test_line_input_keeps_aspect_and_maps_columns_back():
    mask = np.zeros((60, 300), bool)
    mask[10:50, 100:220] = True  # 40 rows x 120 columns of ink
    inp = to_line_input(mask)
    assert inp.image.shape[0] == LINE_HEIGHT and inp.image.shape[1] % LINE_STRIDE == 0
    assert inp.image.shape[1] >= LINE_MIN_WIDTH
    cols = np.nonzero(inp.image.max(axis=0) > 127)[0]
    assert abs((cols[-1] - cols[0] + 1) - 120 * 28 / 40) <= 2
    assert abs(inp.to_source_x(cols[0]) - 100) <= 2 and abs(inp.to_source_x(cols[-1] + 1) - 220) <= 2


def test_line_input_of_a_long_line_is_wider_not_squeezed():
    mask = np.zeros((40, 2000), bool)
    mask[5:35, 10:1990] = True
    assert to_line_input(mask).image.shape[1] > 1000


def test_line_mask_holds_only_that_lines_ink():
    page = np.zeros((120, 200), bool)
    page[10:40, 20:30] = page[10:40, 50:60] = True   # line 1
    page[70:100, 20:30] = True                       # line 2
    layout = segment(page)
    assert len(layout.lines) == 2
    first = line_mask(layout.components, layout.lines[0])
    assert first.shape == (30, 40) and first.sum() == 600


class FrameModel:
    """A stand-in line model: every line gets the same per-frame probabilities."""

    def __init__(self, labels, frames):
        self.labels, self.frames = list(labels), np.asarray(frames, np.float64)

    def predict(self, batch):
        return np.repeat(self.frames[None], len(batch), axis=0)


def test_characters_land_in_the_words_under_their_frames():
    from ocr.recognize_lines import DecodedChar, LineRecognizer
    from ocr.word_spaces import into_words

    page = np.zeros((100, 400), bool)
    page[30:70, 60:80] = page[30:70, 95:115] = True     # word 1: two glyphs
    page[30:70, 250:270] = page[30:70, 285:305] = True  # word 2
    layout = segment(page)
    line = layout.lines[0]
    assert len(line.words) == 2
    mask = line_mask(layout.components, line)
    inp = to_line_input(mask, line_height=line.height)
    reader = LineRecognizer(FrameModel("0123456789", np.zeros((1, 11))))
    # A frame over the middle of each glyph, as CTC would fire.
    peaks = [int(round((inp.pad + (cx - line.box[0] - inp.x0) * inp.scale) / LINE_STRIDE))
             for cx in (70, 105, 260, 295)]
    decoded = [DecodedChar(k, t, 0.9, [(k, 0.9)]) for k, t in enumerate(peaks)]
    chars = reader._place(decoded, line, mask, inp)
    words = into_words(chars, line)
    assert ["".join(c.text for c in w) for w in words] == ["01", "23"]
    for ch, (x0, x1) in zip(chars, [(60, 80), (95, 115), (250, 270), (285, 305)]):
        assert abs(ch.box[0] - x0) <= 2 and abs(ch.box[2] - x1) <= 2 and ch.box[1] == 30 and ch.box[3] == 70


def test_rating_ignores_the_whitelist():
    from ocr.recognize_lines import LineRecognizer

    page = np.zeros((100, 200), bool)
    page[30:70, 60:80] = page[30:70, 95:115] = True
    layout = segment(page)
    # Frames: blank, 'a' (0.6, digit 0.3), blank, 'a', blank.
    frames = np.array([[0.9, 0.05, 0.05], [0.1, 0.3, 0.6], [0.9, 0.05, 0.05], [0.1, 0.3, 0.6],
                       [0.9, 0.05, 0.05]])
    reader = LineRecognizer(FrameModel("0a", frames), charset="0")  # digits only
    words, ratings = reader.recognize_and_rate(layout.components, layout.lines)
    text = "".join(c.text for w in words[0] for c in w)
    assert text == "00"                     # forced into the whitelist, sure of it after renormalizing
    assert abs(ratings[0] - 0.6) < 1e-9     # but the model preferred 'a' at 0.6


class CardModel(FrameModel):
    """A stand-in line model with a card, as :func:`ocr.models.load` gives."""

    def __init__(self, labels, frames, input_card):
        from ocr.models.card import ModelCard

        super().__init__(labels, frames)
        self.card = ModelCard.from_metadata({"kind": "line", "labels": list(labels), "input": input_card})


def slanted_page(shear=0.6):
    """One line of three strokes leaning right by ``shear`` columns per row, and their boxes."""
    page = np.zeros((100, 400), bool)
    boxes = []
    for x in (80, 180, 280):
        for y in range(30, 70):
            col = x + int(round(shear * (49.5 - y)))
            page[y, col:col + 4] = True
        ys, xs = np.nonzero(page[:, x - 40:x + 40])
        boxes.append((x - 40 + xs.min(), ys.min(), x - 40 + xs.max() + 1, ys.max() + 1))
    return page, boxes


def test_a_card_without_deslant_gives_the_same_input_as_before():
    from ocr.recognize_lines import LineRecognizer

    page, _ = slanted_page()
    layout = segment(page)
    reader = LineRecognizer(CardModel("abc", np.zeros((1, 4)), {"shape": [48, None]}))
    assert reader.deslant is None
    masks, sheared, inputs = reader.line_inputs(layout.components, layout.lines)
    assert sheared == [None]
    before = to_line_input(line_mask(layout.components, layout.lines[0]), line_height=layout.lines[0].height,
                           height=48)
    assert np.array_equal(inputs[0].image, before.image) and inputs[0].x0 == before.x0


def test_a_card_with_deslant_shears_the_input_and_keeps_boxes_on_the_source_ink():
    from ocr.recognize_lines import DecodedChar, LineRecognizer

    page, boxes = slanted_page(0.6)
    layout = segment(page)
    line = layout.lines[0]
    reader = LineRecognizer(CardModel("abc", np.zeros((1, 4)), {"shape": [48, None], "deslant": {"shear": 0.6}}))
    assert reader.deslant.shear == 0.6
    masks, sheared, inputs = reader.line_inputs(layout.components, [line])
    before = to_line_input(masks[0], line_height=line.height, height=48)
    assert inputs[0].image.shape != before.image.shape or not np.array_equal(inputs[0].image, before.image)
    # Upright: each stroke's columns are narrow in the sheared mask (4 wide, not 4 + 0.6 x 40).
    cols = np.nonzero(sheared[0].mask.any(axis=0))[0]
    assert len(cols) <= 3 * 5
    # A frame over the middle of each upright stroke, as CTC would fire.
    runs = np.split(cols, np.nonzero(np.diff(cols) > 1)[0] + 1)
    inp = inputs[0]
    peaks = [int(round((inp.pad + (r.mean() + 0.5 - inp.x0) * inp.scale) / LINE_STRIDE)) for r in runs]
    decoded = [DecodedChar(k, t, 0.9, [(k, 0.9)]) for k, t in enumerate(peaks)]
    chars = reader._place(decoded, line, masks[0], inp, sheared[0])
    assert [c.text for c in chars] == ["a", "b", "c"]
    lx0, ly0, lx1, ly1 = line.box
    for ch, box in zip(chars, boxes):
        x0, y0, x1, y1 = ch.box
        assert lx0 <= x0 < x1 <= lx1 and ly0 <= y0 < y1 <= ly1
        assert ch.box == tuple(int(v) for v in box)  # the slanted stroke's own box, in page coordinates


def abc_frames(frames: int, step: int) -> np.ndarray:
    """Frame probabilities over "abc": blank, with 'a' 'b' 'c' 'a' ... every ``step`` frames."""
    probs = np.full((frames, 4), 0.01)
    probs[:, 0] = 0.97
    for k, t in enumerate(range(4, frames, step)):
        probs[t] = [0.01, 0.01, 0.01, 0.01]
        probs[t, 1 + k % 3] = 0.97
    return probs


def chars_inside_the_line(reader, layout) -> list:
    """The characters ``reader`` reads on the layout's one line, each checked to lie inside its box."""
    words, _ = reader.recognize_and_rate(layout.components, layout.lines)
    chars = [c for w in words[0] for c in w]
    assert chars
    lx0, ly0, lx1, ly1 = layout.lines[0].box
    for ch in chars:
        assert lx0 <= ch.box[0] < ch.box[2] <= lx1 and ly0 <= ch.box[1] < ch.box[3] <= ly1
    return chars


def test_deslanted_reading_places_every_box_inside_its_line():
    from ocr.recognize_lines import LineRecognizer

    page, _ = slanted_page(0.6)
    reader = LineRecognizer(CardModel("abc", abc_frames(40, 8),
                                      {"shape": [48, None], "deslant": {"estimate_factor": 1.0}}))
    chars_inside_the_line(reader, segment(page))


def test_a_print_model_reading_italic_runs_upright_places_boxes_on_their_ink():
    from ocr.recognize_lines import LineRecognizer

    # Four words of three strokes, leaning as an old book's italic does.
    page = np.zeros((100, 600), bool)
    for x in (60, 190, 320, 450):
        for s in (0, 14, 28):
            for y in range(30, 70):
                col = x + s + int(round(0.45 * (49.5 - y)))
                page[y, col:col + 4] = True
    layout = segment(page)
    reader = LineRecognizer(CardModel("abc", abc_frames(60, 6),
                                      {"shape": [32, None], "deslant": {"italic_factor": 1.0}}))
    masks, sheared, _ = reader.line_inputs(layout.components, layout.lines)
    assert sheared[0] is not None and sheared[0].mask.shape[1] > masks[0].shape[1]
    chars = chars_inside_the_line(reader, layout)
    # A character found on sheared ink is boxed tight around that ink, back in page coordinates.
    def tight(x0, y0, x1, y1):
        ink = page[y0:y1, x0:x1]
        return ink[:, 0].any() and ink[:, -1].any() and ink[0].any() and ink[-1].any()

    assert sum(tight(*c.box) for c in chars) >= len(chars) / 2


def test_lines_share_a_batch_only_with_lines_about_as_wide():
    from ocr.recognize_lines import _batches

    widths = [160, 160, 200, 400, 420, 1000]
    assert [list(r) for r in _batches(widths, 64, max_pad=64)] == [[0, 1, 2], [3, 4], [5]]
    assert [list(r) for r in _batches(widths, 2, max_pad=64)] == [[0, 1], [2], [3, 4], [5]]


def test_a_short_line_reads_the_same_beside_a_long_one():
    # The print model's recurrent layers read a batch's padding as part of the line: a word
    # ending a paragraph, padded to the width of a full line, lost its period (docbank dev
    # "behaviour." read "behaviour").
    import cv2

    from ocr.recognize_lines import LineRecognizer

    def line(text: str) -> np.ndarray:
        img = np.zeros((40, 30 * len(text)), np.uint8)
        cv2.putText(img, text, (4, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 255, 2)
        return to_line_input(img > 0)

    reader = LineRecognizer.load("textline")
    short, long = line("behaviour."), line("the long-range behaviour of certain well-chosen correlators")
    alone = reader.frame_probabilities([short])[0]
    beside = reader.frame_probabilities([short, long])[0]
    assert np.allclose(alone, beside, atol=1e-4)


def test_a_print_model_s_stops_and_commas_are_named_by_their_ink():
    """An old book's square stop read as a comma, a comma read as a stop: the mark's own ink
    says which (a comma reaches below the baseline, a stop sits on it). A mark the model is
    all but sure of stays as read; a cursive model's are left alone."""
    from ocr.recognize_lines import DecodedChar, LineRecognizer

    page = np.zeros((100, 400), bool)
    page[30:70, 60:80] = page[30:70, 95:115] = True      # two letters on the baseline (row 70)
    page[63:70, 120:127] = True                          # a square stop, 7 rows
    page[30:70, 250:270] = page[30:70, 285:305] = True
    page[62:76, 311:316] = True                          # a comma, below the baseline
    layout = segment(page)
    line = layout.lines[0]
    mask = line_mask(layout.components, line)
    inp = to_line_input(mask, line_height=line.height)
    peaks = [int(round((inp.pad + (cx - line.box[0] - inp.x0) * inp.scale) / LINE_STRIDE))
             for cx in (70, 105, 124, 260, 295, 313)]

    def read(labels, marks, confidence):
        reader = LineRecognizer(FrameModel(labels, np.zeros((1, len(labels) + 1))))
        classes = [0, 1, labels.index(marks[0]), 0, 1, labels.index(marks[1])]
        decoded = [DecodedChar(k, t, confidence if labels[k] in ".," else 0.9, [(k, confidence)])
                   for k, t in zip(classes, peaks)]
        return "".join(c.text for c in reader._place(decoded, line, mask, inp))

    assert read("ab.,", ",.", 0.8) == "ab.ab,"
    assert read("ab.,", ".,", 0.8) == "ab.ab,"
    assert read("ab.,", ",.", 0.995) == "ab,ab."            # sure: as read
    assert read("ab., ", ",.", 0.8) == "ab,ab."             # reads its own spaces: cursive


def test_a_mark_s_ink_leaves_out_the_letters_reaching_into_its_columns():
    from ocr.recognize_lines import mark_ink

    page = np.zeros((60, 120), bool)
    page[15:45, 20:30] = True       # a letter ...
    page[15:45, 40:62] = True       # ... and one reaching into the mark's columns (from 55)
    page[38:44, 66:71] = True       # a comma's head ...
    page[45:48, 65:68] = True       # ... and its tail, cut off it by a blank row
    line = segment(page).lines[0]
    assert mark_ink(line, 55, 80) == (65, 38, 71, 48)
    assert mark_ink(line, 72, 80) is None


def test_a_small_mark_on_the_baseline_stays_a_comma():
    """On small print binarization can lose a comma's faint tail: 3 x 4 pixels on the baseline
    are a stop's shape and a comma's head alike, and stay as the model read them."""
    from ocr.normalize import LineMetrics
    from ocr.postprocess import RecognizedChar, stop_or_comma

    metrics = LineMetrics(baseline=100.0, cap_height=22.0, x_height=14.0)
    comma = RecognizedChar(",", (50, 96, 53, 100), 0.6, [(",", 0.6), (".", 0.3)])
    assert stop_or_comma(comma, (50, 96, 53, 100), metrics).text == ","
    assert stop_or_comma(comma, (50, 93, 57, 100), metrics).text == "."      # 7 x 7: a stop
    stop = RecognizedChar(".", (50, 96, 53, 100), 0.6, [(".", 0.6), (",", 0.3)])
    tailed = stop_or_comma(stop, (50, 95, 53, 104), metrics)
    assert tailed.text == "," and tailed.alternatives[0][0] == ","


def test_a_quote_read_as_a_lookalike_is_named_by_its_place_above_the_x_height():
    """An old book's opening quote reads "<" or "c" to a model that sees it without its line:
    raised over the x-height it is the likeliest quote among the model's alternatives; on the
    letters' bodies, or without such an alternative, it stays as read."""
    from ocr.normalize import LineMetrics
    from ocr.postprocess import RecognizedChar, raised_mark

    metrics = LineMetrics(baseline=100.0, cap_height=28.0, x_height=20.0)
    quote = RecognizedChar("<", (50, 72, 60, 88), 0.8, [("<", 0.8), ("€", 0.08), ("“", 0.04)])
    named = raised_mark(quote, (50, 72, 60, 88), metrics)   # ends 12 rows above the baseline
    assert named.text == "“" and named.confidence == 0.8 and named.alternatives[0] == ("“", 0.8)
    assert raised_mark(quote, (50, 84, 60, 99), metrics).text == "<"           # across the body
    assert raised_mark(quote, (50, 70, 60, 91), metrics).text == "“"           # a large one, 9 rows up
    letter = RecognizedChar("c", (50, 72, 60, 88), 0.7, [("c", 0.7), ("e", 0.2), ("o", 0.05)])
    assert raised_mark(letter, (50, 72, 60, 88), metrics).text == "c"          # no quote to be


def test_a_double_quote_set_as_two_single_marks_is_read_double():
    """Books set a closing quote as two single marks with a gap ("anything,’’ said"); CTC reads
    the pair as one "’". A single mark read over two raised marks is the double one, even when
    its box (cut between CTC peaks) misses part of the first; one mark over one tick, two reads
    over three ticks ("’”") and an output without the double stay as read."""
    from ocr.normalize import LineMetrics
    from dataclasses import replace

    from ocr.postprocess import RecognizedChar, doubled_marks, merge_quotes

    metrics = LineMetrics(baseline=100.0, cap_height=28.0, x_height=20.0)
    glyphs = [(20, 80, 36, 100), (40, 95, 44, 106), (50, 72, 56, 86), (62, 72, 68, 86), (80, 80, 95, 100)]
    comma = RecognizedChar(",", (40, 95, 44, 106), 0.9, [(",", 0.9)])
    quote = RecognizedChar("’", (54, 72, 68, 86), 0.6, [("’", 0.6), ("”", 0.38)])
    letters = [RecognizedChar("o", (20, 80, 36, 100), 0.9, [("o", 0.9)]),
               RecognizedChar("s", (80, 80, 95, 100), 0.9, [("s", 0.9)])]
    line = [letters[0], comma, quote, letters[1]]
    allowed = set("os,‘’“”\"'")
    read = doubled_marks(line, glyphs, metrics, allowed)
    assert [c.text for c in read] == ["o", ",", "”", "s"] and read[2].box[0] == 50
    assert read[2].alternatives[0] == ("”", 0.6)
    assert [c.text for c in doubled_marks(line, glyphs, metrics, set("os,’"))] == ["o", ",", "’", "s"]
    apostrophe = [letters[0], RecognizedChar("’", (50, 72, 56, 86), 0.9, [("’", 0.9)]), letters[1]]
    one_tick = [g for g in glyphs if g[0] != 62]
    assert doubled_marks(apostrophe, one_tick, metrics, allowed)[1].text == "’"
    three = glyphs[:4] + [(74, 72, 80, 86), (90, 80, 105, 100)]
    two_reads = [letters[0], comma, RecognizedChar("’", (50, 72, 56, 86), 0.9, [("’", 0.9)]),
                 RecognizedChar("”", (62, 72, 80, 86), 0.9, [("”", 0.9)])]
    assert [c.text for c in doubled_marks(two_reads, three, metrics, allowed)] == ["o", ",", "’", "”"]
    # Read as nothing: a double quote put there, opening before a word, closing after one.
    opening = doubled_marks([letters[1]], [(50, 72, 56, 86), (62, 72, 68, 86), (74, 80, 90, 100)], metrics, allowed)
    assert [c.text for c in opening] == ["“", "s"] and opening[0].box == (50, 72, 68, 86)
    closing = doubled_marks([letters[0]], [(20, 80, 36, 100), (40, 72, 46, 86), (52, 72, 58, 86)], metrics, allowed)
    assert [c.text for c in closing] == ["o", "”"]
    # Read as two marks over one pair (a single for one half, a double for the other): one.
    halves = [letters[0], comma, RecognizedChar("’", (50, 72, 56, 86), 0.9, [("’", 0.9)]),
              RecognizedChar("”", (61, 72, 68, 86), 0.9, [("”", 0.9)]), letters[1]]
    joined = doubled_marks(halves, glyphs, metrics, allowed)
    assert [c.text for c in joined] == ["o", ",", "”", "s"] and joined[2].box[0] == 50 and joined[2].box[2] == 68
    # Read as a lookalike ("<" with no quote among its alternatives): the quote its place says.
    pair_then_s = [(50, 72, 56, 86), (62, 72, 68, 86), (74, 80, 90, 100)]
    lookalike = RecognizedChar("<", (50, 72, 68, 86), 0.8, [("<", 0.8), ("c", 0.1)])
    assert [c.text for c in doubled_marks([lookalike, letters[1]], pair_then_s, metrics, allowed)] == ["“", "s"]
    # A neighbour's box reaching into the first mark does not hide the pair.
    reaching = replace(comma, box=(40, 72, 53, 106))
    assert doubled_marks([letters[0], reaching, quote, letters[1]], glyphs, metrics, allowed)[2].text == "”"
    # A broken letter's raised piece beside an apostrophe is no pair ("Tiger’s").
    piece = [(20, 80, 36, 100), (40, 83, 46, 88), (48, 72, 54, 86), (60, 80, 75, 100)]
    assert doubled_marks([letters[0], apostrophe[1], letters[1]], piece, metrics, allowed)[1].text == "’"
    # Read as two marks: merged into one.
    pair = [RecognizedChar("’", (50, 72, 56, 86), 0.8, [("’", 0.8)]),
            RecognizedChar("’", (62, 72, 68, 86), 0.7, [("’", 0.7)])]
    merged = merge_quotes(pair, allowed)
    assert [c.text for c in merged] == ["”"] and merged[0].box == (50, 72, 68, 86)
    assert [c.text for c in merge_quotes(pair, set("’"))] == ["’", "’"]
