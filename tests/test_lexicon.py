"""The print model's word list: a word read that is none is spelt from the model's own choices."""

import gzip
from dataclasses import replace

import pytest

from ocr.errors import ModelError
from ocr.lexicon import LEXICON_SUFFIX, MIN_CHOICE, Lexicon, lexicon_for, spell_word, spelled
from ocr.postprocess import RecognizedChar
from ocr.recognize_lines import LineRecognizer

WORDS = Lexicon(["snatch", "course", "Powers", "the", "snitch", "scratch", "coolly", "ten", "dots"])


def read(text: str, others: dict[int, list[tuple[str, float]]] | None = None) -> list[RecognizedChar]:
    """Characters as the model read ``text``: sure of each letter, but at the positions in
    ``others``, whose alternatives (after the letter read) are given."""
    chars = []
    for k, ch in enumerate(text):
        rest = (others or {}).get(k, [])
        p = 1.0 - sum(q for _, q in rest)
        chars.append(RecognizedChar(ch, (10 * k, 0, 10 * k + 8, 20), p, [(ch, p), *rest]))
    return chars


def text(chars) -> str:
    return "".join(c.text for c in chars)


def test_a_word_list_is_read_in_lower_case_and_round_trips(tmp_path):
    assert "SNATCH" in WORDS and "Snatch" in WORDS and "snateh" not in WORDS and len(WORDS) == 9
    path = Lexicon(["Zebra", "zebra", "naïve", "", "apple"], "three words\nfor a test").save(
        tmp_path / f"m{LEXICON_SUFFIX}")
    loaded = Lexicon.load(path)
    assert len(loaded) == 3 and "naïve" in loaded and "Zebra" in loaded and loaded.about == "three words\nfor a test"
    assert gzip.decompress(path.read_bytes()).decode() == "# three words\n# for a test\napple\nnaïve\nzebra\n"
    assert loaded.words() == ["apple", "naïve", "zebra"]
    assert "appl" not in loaded and "apples" not in loaded and "" not in loaded and "a" not in loaded
    assert len(Lexicon([])) == 0 and "word" not in Lexicon([])
    assert lexicon_for(tmp_path / "m.keras") is not None and lexicon_for(tmp_path / "x.keras") is None
    (tmp_path / f"bad{LEXICON_SUFFIX}").write_bytes(b"not gzip")
    with pytest.raises(ModelError, match="not a readable word list"):
        Lexicon.load(tmp_path / f"bad{LEXICON_SUFFIX}")
    damaged = bytearray(gzip.compress("".join(f"w{k}\n" for k in range(5000)).encode()))
    damaged[20:40] = bytes(20)  # a damaged stream: zlib's own error, no OSError
    (tmp_path / f"bad{LEXICON_SUFFIX}").write_bytes(bytes(damaged))
    with pytest.raises(ModelError, match="not a readable word list"):
        Lexicon.load(tmp_path / f"bad{LEXICON_SUFFIX}")


def test_a_word_that_is_none_is_spelt_from_the_models_second_choice():
    # An old book's c with its ball terminal, read e at 0.74, c at 0.26.
    word = read("snateh,", {4: [("c", 0.26)]})
    assert text(spell_word(word, WORDS)) == "snatch,"  # the comma stays
    fixed = spell_word(word, WORDS)[4]
    assert fixed.confidence == pytest.approx(0.26) and fixed.box == word[4].box
    # A choice far less likely still makes the word, where the read one makes none.
    assert text(spell_word(read("eoolly", {0: [("c", 0.004)]}), WORDS)) == "coolly"
    assert spell_word(read("Povers", {2: [("w", MIN_CHOICE / 2)]}), WORDS) is None
    # Of two words the choices make, the likelier: "snitch" needs a letter less likely.
    assert text(spell_word(read("snateh", {2: [("i", 0.01)], 4: [("c", 0.26)]}), WORDS)) == "snatch"


def test_words_and_what_is_no_misspelling_stay_as_read():
    assert spell_word(read("course", {0: [("e", 0.3)]}), WORDS) is None  # a word already
    assert spell_word(read("snatoh"), WORDS) is None  # no other reading makes a word
    assert spell_word(read("snat-", {}), WORDS) is None  # half a word, hyphenated across lines
    assert spell_word(read("tcn", {1: [("e", 0.3)]}), WORDS) is not None
    assert spell_word(read("TCN", {1: [("E", 0.3)]}), WORDS) is None  # a short code in capitals
    assert spell_word(read("a", {0: [("I", 0.3)]}), Lexicon(["a", "I"])) is None  # too short to tell
    two = Lexicon(["we", "as", "of"])  # an old book's two-letter words read wrong
    assert text(spell_word(read("Ve", {0: [("W", 0.1)]}), two)) == "We"
    assert text(spell_word(read("ns", {0: [("a", 0.2)]}), two)) == "as"
    assert spell_word(read("NS", {0: [("A", 0.2)]}), two) is None  # capitals: a code
    # Each part of hyphen-joined words on its own: an old book's dash joins words as well.
    joined = Lexicon(["self", "control", "body", "servant"])
    assert text(spell_word(read("self-eontrol,", {5: [("c", 0.1)]}), joined)) == "self-control,"
    assert text(spell_word(read("boly-servant", {2: [("d", 0.1)]}), joined)) == "body-servant"
    assert spell_word(read("self-control"), joined) is None  # words already
    assert spell_word(read("d0ts", {1: [("o", 0.3)]}), WORDS) is None  # a digit in it: a code
    # Only letters of the case read: the model's "W" under a small "v" makes no "Powers".
    assert spell_word(read("Povers", {2: [("W", 0.2)]}), WORDS) is None
    assert text(spell_word(read("Povers", {2: [("w", 0.2)]}), WORDS)) == "Powers"
    # Two letters change only in a word of five or more.
    assert text(spell_word(read("seratoh", {1: [("c", 0.2)], 5: [("c", 0.2)]}), WORDS)) == "scratch"
    assert spell_word(read("tcu", {1: [("e", 0.3)], 2: [("n", 0.3)]}), WORDS) is None


def test_an_e_read_sure_of_itself_may_be_a_c():
    """The print model reads an old book's "c" as "e" with no "c" among its choices
    ("diseovery"): "c" is tried for an "e" as if the model gave it, never "e" for a "c"."""
    assert text(spell_word(read("snateh"), WORDS)) == "snatch"
    assert spell_word(read("snateh"), WORDS)[4].confidence == MIN_CHOICE
    assert spell_word(read("tcn"), WORDS) is None  # "e" for "c": not tried


def test_a_g_that_lost_its_lower_loop_is_spelt_a_g():
    """A worn scan's "g" whose loop broke off reads "c" ("becan"): a "c", "e" or "o" whose ink
    ends above the word's baseline is tried as a "g"; one that stands on it is a "c"."""
    words = Lexicon(["began", "bean", "bog", "cage"])

    def boxed(word: str, bottoms: dict[int, int]) -> list[RecognizedChar]:
        chars = read(word)
        for k, bottom in bottoms.items():  # the x-height letters stand on row 20, 10 rows tall
            chars[k] = replace(chars[k], box=(chars[k].box[0], 10, chars[k].box[2], bottom))
        return [replace(c, box=(c.box[0], 10 if c.text in "ecan" else 0, c.box[2], c.box[3]))
                for c in chars]

    assert text(spell_word(boxed("becan", {2: 17}), words)) == "began"
    assert spell_word(boxed("becan", {2: 17}), words)[2].confidence == MIN_CHOICE
    assert spell_word(boxed("becan", {2: 20}), words) is None  # a "c" on the baseline stays
    assert spell_word(boxed("becan", {2: 19}), words) is None  # 0.1 x-heights up: ink, not a break
    assert text(spell_word(boxed("caoe", {2: 16}), words)) == "cage"
    assert spell_word(boxed("boc", {2: 16}), words) is None  # one x-height letter beside it: no baseline


def test_a_ligature_read_as_its_first_letter_is_spelt_whole():
    """An old book's "ﬁ" and "ﬄ" read "f": a word none of the model's choices makes gets the
    ligature's other letters, in the box of the letter read, when only one ligature makes a word."""
    words = Lexicon(["confine", "scuffle", "fine", "file", "coffee"])
    confine = spell_word(read("confne"), words)
    assert text(confine) == "confine" and confine[4].box == confine[3].box
    assert text(spell_word(read("scufle"), words)) == "scuffle"
    assert spell_word(read("fne"), words) is not None and spell_word(read("fe"), words) is None  # too short
    assert spell_word(read("fle"), Lexicon(["file", "flle", "ffle"])) is None  # which one: left as read
    assert spell_word(read("cofee,"), words) is not None and text(spell_word(read("cofee,"), words)) == "coffee,"


def test_lines_are_spelt_in_reading_order_and_a_hyphenated_word_is_left_whole():
    line1 = [read("the"), read("snat-")]
    line2 = [read("eourse", {0: [("c", 0.2)]}), read("tcn", {1: [("e", 0.3)]})]
    out = spelled([line1, line2], WORDS)
    # "eourse" ends the word begun with "snat-": not a word of its own to spell.
    assert [[text(w) for w in line] for line in out] == [["the", "snat-"], ["eourse", "ten"]]
    out = spelled([[read("the")], line2], WORDS)
    assert [text(w) for w in out[1]] == ["course", "ten"]
    assert [text(w) for w in spelled([[read("the")], line2], WORDS, only=[0])[1]] == ["eourse", "tcn"]
    assert spelled([line2], None)[0] is line2


def test_the_bundled_print_model_spells_with_its_word_list_unless_told_not_to():
    reader = LineRecognizer.load("textline")
    assert reader.lexicon is not None and "snatch" in reader.lexicon and "conditions" in reader.lexicon
    assert "écrit" in reader.lexicon  # French words are words, and stay as read
    assert [text(w) for w in reader.spelled([[read("snateh", {4: [("c", 0.26)]})]])[0]] == ["snatch"]
    assert LineRecognizer.load("textline", language_model=False).lexicon is None
    assert LineRecognizer.load("handline").lexicon is None  # the cursive model has none
