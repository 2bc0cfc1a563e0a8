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
    words = reader._into_words(chars, line)
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
