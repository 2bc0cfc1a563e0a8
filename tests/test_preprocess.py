"""Tests for ocr.preprocess on small synthetic pages."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ocr import preprocess as pp


def text_page(h=200, w=300) -> np.ndarray:
    """Dark bars in rows, like lines of text, on white."""
    img = np.full((h, w), 255, np.uint8)
    for y in range(30, h - 30, 40):
        for x in range(20, w - 30, 22):
            cv2.rectangle(img, (x, y), (x + 12, y + 18), 0, -1)
    return img


def test_to_gray_from_rgb_and_rgba():
    rgb = np.zeros((5, 6, 3), np.uint8)
    assert pp.to_gray(rgb).shape == (5, 6)
    assert pp.to_gray(np.zeros((5, 6, 4), np.uint8)).shape == (5, 6)


def test_polarity_detected_and_inverted():
    page = text_page()
    assert not pp.is_inverted(page)
    fixed, inverted = pp.normalize_polarity(255 - page)
    assert inverted and np.array_equal(fixed, page)


def test_grey_paper_with_a_white_patch_is_not_inverted():
    # Faint dark digits on grey paper, a white patch over a third of the field (as on some
    # cheques): most pixels are darker than the Otsu split, yet the ink is dark.
    field = np.full((80, 240), 150, np.uint8)
    field[:, 160:] = 230
    for i, digit in enumerate("6443"):
        cv2.putText(field, digit, (8 + 36 * i, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 80, 3)
    assert not pp.is_inverted(field)


def test_light_writing_on_grey_sheets_laid_on_black_is_inverted():
    # Lines cut out along their polygons, laid edge to edge on a black page and the whole
    # inverted: the black ground is the Otsu dark class, under half the page; the strokes are
    # light on the grey sheets.
    page = np.zeros((240, 400), np.uint8)
    for row in range(5):
        top = 10 + 40 * row
        page[top:top + 40, 10:10 + 250 + 10 * (row % 2)] = 90
        cv2.putText(page, "hand mail", (20, top + 30), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 1.0, 210, 2)
    t, _ = cv2.threshold(page, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    assert pp.DARK_INK_SHARE < np.mean(page <= t) <= 0.5  # the case: no dark majority
    assert pp.is_inverted(page)
    assert not pp.is_inverted(255 - page)


def sheets_laid_on_a_page(ground: int, sheet: int, ink: int) -> np.ndarray:
    """Grey sheets laid 2 px apart on a page of ``ground``, over half of it, a line written on each row."""
    page = np.full((240, 400), ground, np.uint8)
    for row in range(8):
        top = 4 + 29 * row
        for left in range(4, 250, 42):
            page[top:top + 27, left:left + 40] = sheet
        cv2.putText(page, "mail hand", (10, top + 20), cv2.FONT_HERSHEY_PLAIN, 1.2, ink, 1)
    return page


def test_dark_writing_on_sheets_laid_on_white_is_not_inverted():
    # The white between and round the sheets stands out light from them as strokes would, over
    # more pixels than the thin dark writing: it is the cut-outs' ground, not writing.
    page = sheets_laid_on_a_page(255, 190, 120)
    t, _ = cv2.threshold(page, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    assert np.mean(page <= t) > 0.5  # a dark majority: the strokes decide by a simple majority
    residual = page.astype(np.int16) - cv2.medianBlur(page, 31)
    assert np.count_nonzero(residual > 30) > np.count_nonzero(residual < -30)  # the case
    assert not pp.is_inverted(page)


def test_otsu_and_sauvola_find_the_ink():
    page = text_page()
    for method in ("otsu", "sauvola"):
        ink, used = pp.binarize(page, method)
        assert used == method
        assert ink[35, 25] and not ink[5, 5]


def test_auto_binarization_uses_sauvola_on_uneven_light():
    page = text_page().astype(np.float64)
    gradient = np.linspace(0.25, 1.0, page.shape[1])[None, :]
    shaded = (page * gradient).astype(np.uint8)
    ink, used = pp.binarize(shaded, "auto")
    assert used == "sauvola"
    # Ink found on both the dark and the bright side, background clear on both.
    assert ink[35, 25] and ink[35, 262] and not ink[5, 25] and not ink[5, 280]
    # A two-level page (black bars on white) is its own ink mask; with noise, Otsu.
    assert pp.binarize(text_page(), "auto")[1] == "bilevel"
    noisy = np.clip(text_page() + np.random.default_rng(0).normal(0, 8, (200, 300)), 0, 255).astype(np.uint8)
    assert pp.binarize(noisy, "auto")[1] == "otsu"


def test_a_sheet_of_paper_on_a_lighter_background_is_not_ink():
    """Grey sheets with writing on white (cut-out lines pasted on a page, a note photographed
    on a white desk): Otsu splits white from grey and takes the sheets for ink, in two blots;
    their strokes are the ink."""
    rng = np.random.default_rng(0)
    img = np.full((400, 900), 255, np.uint8)
    for top, left in ((30, 30), (200, 60)):
        img[top:top + 70, left:left + 760] = 195 + rng.integers(-6, 7, (70, 760))
        for k, word in enumerate(("Ceci est mon", "testament")):
            cv2.putText(img, word, (left + 20 + 380 * k, top + 45), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 1.4, 40, 3)
    otsu = pp.binarize_otsu(img)
    assert pp.PAPER_INK < otsu.mean() < 0.35 and otsu[35, 600]      # the sheets as ink
    ink, used = pp.binarize(img, "auto")
    assert used == "otsu3"
    assert ink.mean() < 0.1 and ink[40:80, 40:800].any() and not ink[35, 600]
    assert pp.binarize(text_page(), "auto")[1] == "bilevel"           # ink pages as before


def cut_out_line(paper_from: int, paper_to: int) -> np.ndarray:
    """A line cut out along its polygon, as HTR tools export lines: grey paper (shaded from
    ``paper_from`` to ``paper_to`` left to right) with faint writing, white around it."""
    rng = np.random.default_rng(0)
    img = np.full((80, 600), 255, np.uint8)
    poly = np.array([[0, 40], [250, 45], [330, 12], [600, 8], [600, 70], [300, 76], [0, 66]], np.int32)
    sheet = np.zeros_like(img)
    cv2.fillPoly(sheet, [poly], 1)
    paper = (np.linspace(paper_from, paper_to, 600)[None, :] + rng.integers(-8, 9, img.shape)).astype(np.uint8)
    img[sheet > 0] = paper[sheet > 0]
    cv2.putText(img, "volontes", (340, 58), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 1.3, 100, 2)
    cv2.putText(img, "Mes", (40, 62), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 0.8, 100, 2)
    return img


def test_a_cut_out_lines_edge_is_not_ink():
    img = cut_out_line(150, 200)
    outside, paper = pp.cut_out_white(img)
    assert outside[0, 0] and outside[79, 599] and not outside[60, 300] and 150 <= paper <= 200
    edge = cv2.dilate(outside.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool) & ~outside
    ink, _ = pp.binarize(img)
    assert ink[edge].mean() > pp.CUT_EDGE_INK                        # the polygon's edge as ink
    binary = pp.preprocess(img, deskew_pages=False).binary
    assert binary[edge].mean() < 0.05 and binary.mean() < 0.05
    assert binary[30:65, 340:560].mean() > 0.05                      # the word is still there


def test_a_cut_out_whose_edge_stays_paper_binarizes_as_it_did():
    """The line model learnt the cut-out lines as they binarize with their white: only an edge
    taken for ink has them binarized again."""
    img = cut_out_line(150, 150)
    assert pp.cut_out_white(img) is not None
    ink, method = pp.binarize(img)
    gray, again, method_again = pp.binarized_within_cut(img, ink, method, "auto")
    assert gray is img and again is ink and method_again == method
    assert pp.cut_out_white(text_page()) is None                      # text on white: no cut-out
    assert pp.cut_out_white(np.full((80, 600), 200, np.uint8)) is None


@pytest.mark.parametrize("angle", [-12.0, -3.0, 4.5, 17.0])
def test_skew_estimate_within_half_a_degree(angle):
    page = text_page(300, 400)
    rotated = pp.rotate(page, angle, fill=255)
    est = pp.estimate_skew(pp.binarize_otsu(rotated))
    assert abs(est - angle) < 0.5


def test_deskew_reports_and_corrects_angle():
    rotated = pp.rotate(text_page(300, 400), 6.0, fill=255)
    result = pp.preprocess(rotated)
    assert abs(result.angle - 6.0) < 0.5
    assert abs(pp.estimate_skew(result.binary)) < 0.5


def test_rules_removed_but_strokes_kept():
    img = np.full((120, 400), 255, np.uint8)
    cv2.line(img, (0, 80), (399, 80), 0, 2)          # ruled line under the text
    for x in range(40, 360, 40):
        cv2.rectangle(img, (x, 50), (x + 16, 79), 0, -1)  # glyphs sitting on the line
    cv2.line(img, (380, 50), (380, 79), 0, 3)        # a '1'-like stroke: not a rule
    ink = pp.binarize_otsu(img)
    cleaned, rules = pp.remove_rules(ink)
    assert rules[80, 10] and not cleaned[80, 10]
    assert cleaned[60, 45] and cleaned[60, 380]


def test_underline_between_words_and_its_ragged_edge_are_removed():
    """An underline under two words: its pixels between them have ink left and right, and its
    ragged lower edge is not a long run; neither may survive to join the words."""
    img = np.full((120, 400), 255, np.uint8)
    for x in list(range(40, 150, 22)) + list(range(170, 280, 22)):
        cv2.rectangle(img, (x, 50), (x + 14, 79), 0, -1)  # two words' letters on the line
    img[80:83, 30:300] = 0                                 # the underline
    img[83, 30:300:3] = 0                                  # its ragged edge
    cleaned, _ = pp.remove_rules(pp.binarize_otsu(img))
    assert not cleaned[80:84, 152:168].any()               # the gap between the words stays empty
    assert not cleaned[83:85, 30:300].any()
    assert cleaned[60, 45] and cleaned[60, 175]


def _ragged_rule(img: np.ndarray, row: int, rng: np.random.Generator, thickness: int = 3) -> None:
    """A printed rule across ``img`` at ``row``, its edges ragged as a scan leaves them."""
    w = img.shape[1]
    img[row:row + thickness, 20:w - 20] = 0
    for x in range(20, w - 20):
        if rng.random() < 0.15:
            img[row - 1, x] = 0
        if rng.random() < 0.15:
            img[row + thickness, x] = 0
        if rng.random() < 0.03:
            img[row + thickness:row + thickness + int(rng.integers(1, 4)), x:x + 2] = 0


def test_a_rule_and_its_ragged_edges_alone_are_blank():
    rng = np.random.default_rng(3)
    crop = np.full((14, 1380), 255, np.uint8)  # a book's rule cut out as a "line"
    _ragged_rule(crop, 4, rng)
    assert pp.preprocess(crop).blank
    sheet = np.full((1000, 1200), 255, np.uint8)  # a blank ruled sheet
    for row in (200, 400, 600, 800):
        _ragged_rule(sheet, row, rng)
    assert pp.preprocess(sheet).blank


def test_words_on_a_ragged_rule_are_kept():
    rng = np.random.default_rng(4)
    img = np.full((120, 1200), 255, np.uint8)
    _ragged_rule(img, 80, rng)
    cv2.putText(img, "Name", (40, 76), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2)  # short, on a long rule
    result = pp.preprocess(img, deskew_pages=False, upscale_small_text=False)
    assert not result.blank and result.binary[55:78, 40:120].sum() > 100
    assert not pp.preprocess(img).blank
    rules = np.zeros((40, 400), bool)
    rules[30:33, 10:390] = True
    assert not pp.only_rule_fringe(np.zeros_like(rules), rules)  # no ink left: not a question of edges


def test_small_text_is_binarized_at_twice_the_resolution_and_read_in_input_pixels():
    img = np.full((60, 300), 255, np.uint8)
    cv2.putText(img, "small print here", (5, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.3, 0, 1)
    pre = pp.preprocess(img, deskew_pages=False)
    assert pre.work_shape == (120, 600) and pre.binary.shape == (120, 600)
    assert pp.preprocess(img, deskew_pages=False, upscale_small_text=False).work_shape is None
    big = np.full((120, 600), 255, np.uint8)
    cv2.putText(big, "large print here", (5, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 2)
    assert pp.preprocess(big, deskew_pages=False).work_shape is None


def test_tiny_print_is_enlarged_though_its_letters_measure_like_grain():
    """A line cut from a page of 6 pt print at ~70 dpi: Otsu at scan resolution breaks its
    letters into pieces 3-4 px high, under the height below which components are grain;
    enlarged, they are letters again, and the line and its page are binarized enlarged."""
    line = np.full((13, 150), 255, np.uint8)
    for x in range(4, 140, 5):          # letters 7 px high, 2 px wide, each broken at mid-height
        line[3:6, x:x + 2] = line[7:10, x:x + 2] = 60
        line[6, x:x + 2] = 180
    height = pp.text_height(pp.binarize_otsu(line))
    assert 0 < height < pp.SMALL_TEXT_MIN_HEIGHT
    assert pp.is_tiny_text(line, height)
    assert pp.small_text_scale(line, pp.MAX_WORK_PIXELS) == 2
    assert pp.small_text_scale(np.tile(line, (20, 1)), pp.MAX_WORK_PIXELS) == 2   # a page of it
    grain = np.clip(235 + np.random.default_rng(1).normal(0, 4, (300, 200)), 0, 255).astype(np.uint8)
    grain_height = pp.text_height(pp.binarize_otsu(grain))
    assert 0 < grain_height < pp.SMALL_TEXT_MIN_HEIGHT
    assert not pp.is_tiny_text(grain, grain_height) and pp.small_text_scale(grain, pp.MAX_WORK_PIXELS) == 1
    # A line image some 20 such heights tall is neither a crop of tiny print nor a page of it.
    assert not pp.is_tiny_text(np.tile(line, (6, 1)), height)


def test_text_of_14_pixels_is_enlarged_on_a_page_of_lines_but_not_in_a_line_crop():
    """A crop of one line of it is read at its size: enlarged, the pieces of its neighbours that
    the crop cut through come apart into lines of their own."""
    page = np.full((300, 500), 255, np.uint8)
    for row in range(8):
        cv2.putText(page, "a page of print", (5, 30 + 34 * row), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 1)
    height = pp.text_height(pp.binarize_otsu(page))
    assert pp.SMALL_TEXT_HEIGHT <= height < pp.SMALL_PAGE_TEXT_HEIGHT
    assert pp.small_text_scale(page, pp.MAX_WORK_PIXELS) == 2
    assert pp.small_text_scale(page[10:50], pp.MAX_WORK_PIXELS) == 1   # one of its lines
    one_bit = np.where(page < 128, 0, 255).astype(np.uint8)  # a 1-bit scan: no grey edges to redo
    assert pp.is_bilevel(one_bit) and not pp.is_bilevel(page)
    assert pp.small_text_scale(one_bit, pp.MAX_WORK_PIXELS) == 1


def test_small_writing_on_cut_out_lines_is_enlarged_as_on_one_sheet():
    """Lines cut out along their polygons and laid on white (a page rebuilt from an HTR tool's
    line images): Otsu takes the grey sheets for ink, whose height is no text's; measured on
    the sheets' paper, the writing is small and enlarged before binarizing, as it is on one sheet."""
    rng = np.random.default_rng(1)
    page = np.full((330, 520), 255, np.uint8)
    sheet = np.full_like(page, 255)
    for k in range(8):
        top, left = 15 + 38 * k, 10 + int(rng.integers(0, 30))
        poly = np.array([[left, top + 6], [left + 200, top], [left + 470, top + 4], [left + 470, top + 36],
                         [left + 240, top + 40], [left, top + 34]], np.int32)
        cut = np.zeros_like(page)
        cv2.fillPoly(cut, [poly], 1)
        page[cut > 0] = (205 + rng.integers(-6, 7, page.shape)).astype(np.uint8)[cut > 0]
        for img in (page, sheet):
            cv2.putText(img, "ma femme et mes enfants", (left + 12, top + 26), cv2.FONT_HERSHEY_SIMPLEX,
                        0.6, 90, 1)
    assert pp.cut_out_white(page) is not None
    assert pp.text_height(pp.binarize_otsu(page)) > 100               # the sheets as the "text"
    assert pp.small_text_scale(page, pp.MAX_WORK_PIXELS) == 2 == pp.small_text_scale(sheet, pp.MAX_WORK_PIXELS)


def test_the_stops_of_small_print_are_no_specks():
    # 100 dpi fax labels: letters 9 px high, a colon of two-pixel dots after each word.
    # Enlarged 2x, each dot is 4 pixels: as one scan pixel's worth of area (12) they went.
    page = np.full((60, 300), 255, np.uint8)
    for x in range(20, 260, 24):
        page[20:29, x:x + 2] = page[20:29, x + 6:x + 8] = 0
        page[22:24, x + 12] = page[27:29, x + 12] = 0
    pre = pp.preprocess(page, deskew_pages=False)
    assert pre.work_shape == (120, 600)
    for x in range(20, 260, 24):
        assert pre.binary[42:50, 2 * x + 22:2 * x + 28].sum() >= 6
    assert pp.speck_area(1) == pp.MIN_SPECK_AREA  # print at its scan resolution as before


def test_a_page_is_turned_as_asked_instead_of_detected():
    img = np.full((300, 60), 255, np.uint8)
    img[20:280, 25:35] = 0
    pre = pp.preprocess(img, turn=90)
    assert pre.orientation == 90 and pre.binary.shape == (60, 300)
    assert pp.preprocess(img, turn=0).binary.shape == (300, 60)


def test_box_borders_removed():
    img = np.full((100, 300), 255, np.uint8)
    for x in range(20, 260, 40):
        cv2.rectangle(img, (x, 20), (x + 40, 70), 0, 1)     # comb field boxes
        cv2.circle(img, (x + 20, 45), 10, 0, 3)              # a digit in each
    cleaned, _ = pp.remove_rules(pp.binarize_otsu(img))
    assert not cleaned[45, 20] and not cleaned[20, 30]
    assert cleaned[45, 30] or cleaned[45, 31]


def test_blank_pages():
    assert pp.preprocess(np.full((50, 50), 255, np.uint8)).blank
    assert pp.preprocess(np.zeros((50, 50), np.uint8)).blank


def test_a_single_word_on_a_large_page_is_not_blank():
    # 0.02% of the pixels: beyond the percentiles that find most blank pages.
    page = np.full((2000, 1500), 255, np.uint8)
    cv2.putText(page, "Total 12", (100, 300), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    assert (page < 128).mean() < 0.001
    result = pp.preprocess(page, deskew_pages=False)
    assert not result.blank and result.binary.sum() >= 0.8 * (page < 128).sum()
    rng = np.random.default_rng(0)
    grainy = np.clip(page.astype(float) - 20 + rng.normal(0, 4, page.shape), 0, 255).astype(np.uint8)
    result = pp.preprocess(grainy, deskew_pages=False)
    assert not result.blank
    assert result.binary.sum() <= 1.5 * (page < 128).sum()  # the word, not the paper's grain


def test_grainy_paper_with_a_speck_is_blank():
    rng = np.random.default_rng(1)
    page = np.clip(235 + rng.normal(0, 4, (1200, 900)), 0, 255).astype(np.uint8)
    assert pp.preprocess(page, deskew_pages=False).blank
    page[50:52, 50:52] = 0  # a speck of dust is not text
    assert pp.preprocess(page, deskew_pages=False).blank
    coarse = np.clip(235 + rng.normal(0, 6, page.shape), 0, 255).astype(np.uint8)  # coarser grain
    coarse[rng.random(page.shape) < 0.001] = 0  # and scattered impulse noise
    assert pp.preprocess(coarse, deskew_pages=False).blank


def test_heavy_salt_and_pepper_alone_is_a_blank_page_and_text_under_it_is_kept():
    rng = np.random.default_rng(2)
    page = np.full((1100, 850), 255, np.uint8)
    noise = rng.random(page.shape) < 0.03  # 3%: clusters survive the impulse filter
    page[noise] = np.where(rng.random(int(noise.sum())) < 0.5, 0, 255)
    assert not pp.holds_a_glyph(pp.remove_specks(pp.binarize_otsu(pp.remove_impulses(page)), 3))
    assert pp.preprocess(page).blank
    cv2.putText(page, "Total 12", (100, 300), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    result = pp.preprocess(page, deskew_pages=False)
    assert not result.blank and result.binary[280:305, 100:230].sum() > 200


def test_denoise_removes_salt_and_pepper():
    page = text_page()
    noisy = page.copy()
    rng = np.random.default_rng(0)
    ys, xs = rng.integers(0, page.shape[0], 600), rng.integers(0, page.shape[1], 600)
    noisy[ys, xs] = 0
    result = pp.preprocess(noisy, deskew_pages=False)
    assert abs(result.binary.mean() - pp.binarize_otsu(page).mean()) < 0.01


def test_small_print_is_not_median_filtered():
    # Stems with 2x2 dots above them, like the i's of 10-point print at 150 dpi:
    # a 3x3 median filter would erase every dot.
    page = np.full((120, 300), 255, np.uint8)
    for x in range(20, 280, 12):
        page[40:52, x:x + 2] = 0
        page[36:38, x:x + 2] = 0
    rng = np.random.default_rng(0)
    noisy = np.clip(page + rng.normal(0, 10, page.shape), 0, 255).astype(np.uint8)
    assert pp.impulse_fraction(noisy) < 2e-4
    result = pp.preprocess(noisy, deskew_pages=False, upscale_small_text=False)  # the dots at scan size
    assert result.binary[36:38].sum() >= 0.8 * 4 * 22


def test_impulse_noise_on_small_print_is_removed_pixel_by_pixel():
    # A fax: small print (2x2 i dots) with salt-and-pepper noise. A median over
    # the page would erase the dots; only the noise pixels may change.
    page = np.full((120, 300), 255, np.uint8)
    for x in range(20, 280, 12):
        page[40:52, x:x + 2] = 0
        page[36:38, x:x + 2] = 0
    noisy = page.copy()
    rng = np.random.default_rng(1)
    ys, xs = rng.integers(60, 120, 200), rng.integers(0, 300, 200)
    noisy[ys, xs] = 0
    assert pp.impulse_fraction(noisy) > 2e-4
    result = pp.preprocess(noisy, deskew_pages=False, upscale_small_text=False)  # the dots at scan size
    assert result.binary[36:38].sum() >= 0.8 * 4 * 22
    assert result.binary[60:].sum() <= 10  # the specks are gone
    cleaned = pp.remove_impulses(noisy)
    assert np.array_equal(cleaned[:60], page[:60])  # the print is untouched


def test_impulse_fraction_finds_salt_and_pepper():
    page = text_page()
    assert pp.impulse_fraction(page) == 0.0
    noisy = page.copy()
    rng = np.random.default_rng(0)
    noisy[rng.integers(0, 200, 300), rng.integers(0, 300, 300)] = 0
    assert pp.impulse_fraction(noisy) > 1e-3


def test_stroke_width_estimate():
    page = np.zeros((100, 200), bool)
    page[20:80, 30:32] = True      # a 2 px stroke
    assert 1.5 <= pp.stroke_width(page) <= 2.5
    page[:] = False
    page[20:80, 30:36] = True      # a 6 px stroke
    assert 5.0 <= pp.stroke_width(page) <= 7.0
    assert pp.stroke_width(np.zeros((5, 5), bool)) == 0.0
