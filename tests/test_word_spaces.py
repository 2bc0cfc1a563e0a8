"""Word spaces of a line model that reads none: gaps, and a language model for the unsure ones."""

from ocr.language import CharNgram
from ocr.postprocess import RecognizedChar
from ocr.segment import Glyph, LineLayout
from ocr.word_spaces import GAP_WEIGHT, SURE_SPACE, UNSURE_FROM, cells_of, into_words, monospaced

HEIGHT = 20.0


def layout(text: str, gaps: dict[int, int], width: int = 10, letter_gap: int = 2):
    """A line of one glyph per character of ``text`` (spaces are not drawn): ``gaps[k]`` pixels
    before glyph k instead of ``letter_gap``. Returns the line and its characters as read."""
    glyphs, chars, x = [], [], 0
    for k, ch in enumerate(text):
        x += gaps.get(k, letter_gap) if k else 0
        box = (x, 0, x + width, int(HEIGHT))
        glyphs.append(Glyph(box, [k]))
        chars.append(RecognizedChar(ch, box, 0.9, [(ch, 0.9)]))
        x += width
    line = LineLayout((0, 0, x, int(HEIGHT)), [glyphs], 0, HEIGHT)
    return line, chars


def words(groups) -> list[str]:
    return ["".join(c.text for c in w) for w in groups]


def space_log_odds(lm: CharNgram, left: str, right: str) -> float:
    """How much more likely ``lm`` finds ``left`` and ``right`` parted than joined."""
    return lm.text_logprob(left + " " + right) - lm.text_logprob(left + right)


# A line of letter gaps of 2 px and word gaps of 14 px has its threshold at 8 px (halfway):
# a gap of 7 px is unsure but under it (scale (7 - 2) / 6 = 0.83), one of 10 px unsure and
# over it (1.33).
WORD, UNSURE, SPLIT = 14, 7, 10


def english() -> CharNgram:
    texts = ["of the day", "the end of the line", "one of them", "the time of day", "conditions apply",
             "the conditions of sale", "in the end", "out of the way", "so that they", "that they are"] * 20
    return CharNgram.from_texts(texts, order=5)


def test_cells_cut_at_every_gap_that_might_be_a_space():
    line, _ = layout("abcdefghijklm", {3: WORD, 6: UNSURE, 9: WORD, 11: WORD})
    cells, intra, threshold = cells_of(line.glyphs, line.height)
    assert (intra, threshold) == (2, 8)
    assert UNSURE_FROM <= (UNSURE - intra) / (threshold - intra) < 1
    # cut at the word gaps and the unsure one, not at the letters' 2 px
    assert cells[:, :2].tolist() == [[0, 34], [48, 82], [89, 123], [137, 159], [173, 195]]
    assert (cells[:, 2] == HEIGHT).all()  # each piece's tallest glyph


def test_without_a_language_model_the_threshold_decides():
    line, chars = layout("ofthedayxxyy", {2: UNSURE, 5: WORD, 8: WORD, 10: WORD})
    assert words(into_words(chars, line)) == ["ofthe", "day", "xx", "yy"]


def test_the_language_model_parts_an_unsure_gap_where_text_parts():
    lm = english()
    assert space_log_odds(lm, "of", "the") > 0 and space_log_odds(lm, "c", "onditions") < 0
    line, chars = layout("ofthedayxxyy", {2: UNSURE, 5: WORD, 8: WORD, 10: WORD})
    assert words(into_words(chars, line, lm)) == ["of", "the", "day", "xx", "yy"]
    # and joins what the gaps split: a low-resolution scan's letter set apart
    line, chars = layout("conditionsxapply", {1: SPLIT, 10: WORD, 11: WORD})
    assert words(into_words(chars, line)) == ["c", "onditions", "x", "apply"]
    assert words(into_words(chars, line, lm)) == ["conditions", "x", "apply"]


def test_a_wide_gap_joined_into_no_word_is_parted_where_both_halves_are_words():
    """An old book's "charge lies": the gap is a word space, but the character n-gram, which has
    seen the letters joined, joins them; the word list parts them again. A narrower gap, a join
    that is a word, or halves that are not both words stay joined."""
    from ocr.lexicon import Lexicon, parted

    lm = CharNgram.from_texts(["chargelies", "the chargelies"] * 20, order=4)
    words_known = Lexicon(["charge", "lies", "the"])
    line, chars = layout("chargeliesxxyy", {6: SPLIT, 10: WORD, 12: WORD})
    assert words(into_words(chars, line, lm)) == ["chargelies", "xx", "yy"]
    assert words(into_words(chars, line, lm, words_known)) == ["charge", "lies", "xx", "yy"]
    assert words(into_words(chars, line, lm, Lexicon(["charge", "lies", "chargelies"])))[0] == "chargelies"
    assert words(into_words(chars, line, lm, Lexicon(["charge"])))[0] == "chargelies"
    # 0.83 of a word space ("of fondness": an f's hook reaches over it) is parted; 0.67 (a
    # name's or a misread word's pieces) is not.
    line, chars = layout("chargeliesxxyy", {6: UNSURE, 10: WORD, 12: WORD})
    assert words(into_words(chars, line, lm, words_known))[:2] == ["charge", "lies"]
    line, chars = layout("chargeliesxxyy", {6: UNSURE - 1, 10: WORD, 12: WORD})
    assert words(into_words(chars, line, lm, words_known))[0] == "chargelies"
    # Punctuation stays with its half; one letter is a word only as "a" or "I".
    _, quoted = layout("“chargelies,”", {})
    assert words(parted(quoted, [7], words_known)) == ["“charge", "lies,”"]
    _, article = layout("abook", {})
    assert words(parted(article, [1], Lexicon(["a", "book"]))) == ["a", "book"]
    _, capitals = layout("CHARGELIES", {})  # a form's label in capitals too
    assert words(parted(capitals, [6], words_known)) == ["CHARGE", "LIES"]
    _, hyphenated = layout("chargelies-", {})
    assert words(parted(hyphenated, [6], words_known)) == ["chargelies-"]
    _, letter = layout("xbook", {})
    assert words(parted(letter, [1], Lexicon(["book", "x"]))) == ["xbook"]


def test_sure_gaps_are_never_overruled():
    lm = english()
    # "c onditions" with a word gap: the language model would join it, the gap is too wide.
    wide = int(2 + SURE_SPACE * 6) + 2
    line, chars = layout("conditionsxapply", {1: wide, 10: wide, 11: wide})
    assert words(into_words(chars, line, lm)) == ["c", "onditions", "x", "apply"]
    # "of the" with a letter's gap stays one word: a gap under UNSURE_FROM is not asked about.
    line, chars = layout("ofthedayxxyy", {2: 2, 5: WORD, 8: WORD, 10: WORD})
    assert words(into_words(chars, line, lm)) == ["ofthe", "day", "xx", "yy"]


def test_a_speck_no_model_read_is_part_of_the_gap():
    # "abcd . efgh": the speck's glyph has no character; each gap beside it is under the threshold.
    line, chars = layout("abcd.efghxxxxyyyy", {4: 5, 5: 5, 9: WORD, 13: WORD})
    speck = line.words[0][4]
    line.words[0][4] = Glyph((speck.box[0], 8, speck.box[2], 12), speck.parts)  # a dot, not a letter
    assert len(cells_of(line.glyphs, line.height)[0]) == 5  # the speck is a cell of its own
    del chars[4]
    assert words(into_words(chars, line)) == ["abcd", "efgh", "xxxx", "yyyy"]


def test_a_letter_in_two_pieces_whose_box_is_on_one_is_no_gap():
    # An "n" broken into its stem and arch, the letter's box on the arch: the stem is no speck
    # in a gap ("evaporatio n"), it is ink of the nearer word.
    line, chars = layout("evaporatioNnxxxx", {10: 3, 11: 4, 12: WORD})
    del chars[10]  # the stem no character went to
    assert words(into_words(chars, line)) == ["evaporation", "xxxx"]


def test_a_letter_fired_over_the_wrong_word_moves_back_with_a_language_model():
    # "that they": the model fired the second "t" over the first word's last "t" (its box is
    # that ink), so the second word's first glyph has no character over it.
    line, chars = layout("thatthey", {4: WORD, 7: 2})
    t = chars[3]
    chars[4] = RecognizedChar("t", t.box, 0.9, [("t", 0.9)])
    assert words(into_words(chars, line)) == ["thatt", "hey"]
    assert words(into_words(chars, line, english())) == ["that", "they"]
    # With every glyph claimed, nothing moves, whatever the language model prefers.
    line, chars = layout("thatthey", {5: WORD})
    assert words(into_words(chars, line, english())) == ["thatt", "hey"]
    assert into_words([], line) == []


def test_a_dash_is_spaced_as_its_gaps_say_not_as_the_language_model_has_seen_it():
    texts = ["in England \u2014 the end", "of the day \u2014 the time"] * 30
    lm = CharNgram.from_texts(texts, order=5)
    # It has only seen dashes spaced, enough to part the gaps below on its own.
    assert space_log_odds(lm, "England", "\u2014The") > GAP_WEIGHT * (1 - 0.5)
    # Gaps of 5 px beside the dash: unsure (scale 0.5), under the threshold.
    line, chars = layout("England\u2014Thexxxyyyzzz", {7: 5, 8: 5, 11: WORD, 14: WORD, 17: WORD})
    assert words(into_words(chars, line, lm)) == ["England\u2014The", "xxx", "yyy", "zzz"]


NARROW = set(".:/il")


def typewritten(text: str, pitch: int = 12):
    """A monospaced line: one glyph per character of ``text`` in a cell ``pitch`` wide, its ink
    2 px wide for . : / i l and 10 px for the others, centred; a space is an empty cell."""
    glyphs, chars = [], []
    for k, ch in enumerate(text):
        if ch == " ":
            continue
        ink = 2 if ch in NARROW else 10
        x = k * pitch + (pitch - ink) // 2
        box = (x, 0, x + ink, int(HEIGHT))
        glyphs.append(Glyph(box, [k]))
        chars.append(RecognizedChar(ch, box, 0.9, [(ch, 0.9)]))
    return LineLayout((0, 0, len(text) * pitch, int(HEIGHT)), [glyphs], 0, HEIGHT), chars


def test_a_monospaced_line_is_parted_by_its_cells_not_its_ink():
    # A URL's periods and slashes stand in cells as wide as an m: their ink gaps are as wide as
    # the word space, and by ink alone "http://www.rro.ch" came apart at every one of them.
    line, chars = typewritten("4www.idiap.ch/dataset/wallis")
    assert monospaced(line.glyphs) != line.glyphs
    assert words(into_words(chars, line)) == ["4www.idiap.ch/dataset/wallis"]
    assert words(into_words(chars, line, english())) == ["4www.idiap.ch/dataset/wallis"]
    line, chars = typewritten("see http://www.rro.ch for it")
    assert words(into_words(chars, line, english())) == ["see", "http://www.rro.ch", "for", "it"]


def test_a_proportional_line_is_measured_by_its_ink():
    # Print whose letters are as wide as their ink: narrow letters stand closer, no pitch.
    text, glyphs, x = "millions of little things", [], 0
    for k, ch in enumerate(text):
        if ch == " ":
            x += 8
            continue
        ink = 3 if ch in NARROW else 9
        glyphs.append(Glyph((x, 0, x + ink, int(HEIGHT)), [k]))
        x += ink + 2
    assert monospaced(glyphs) is glyphs
    # Too few glyphs to tell a pitch from chance: left as they are.
    short = typewritten("a.b.c")[0].glyphs
    assert monospaced(short) is short
