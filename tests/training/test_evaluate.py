"""Edit distances that score readings against their truth."""

import itertools

from training.evaluate import closest_substring, edit_distance


def _reference_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        row = [i]
        for j, y in enumerate(b, start=1):
            row.append(min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = row
    return prev[-1]


def test_edit_distance_matches_the_textbook_table():
    words = ["", "a", "ab", "kitten", "sitting", "flaw", "lawn", "intention", "execution"]
    for a, b in itertools.product(words, repeat=2):
        assert edit_distance(a, b) == _reference_distance(a, b)


def test_closest_substring_finds_the_stretch_a_line_was_read_from():
    page = "the corset and the crinoline. it was in this passage: a lady"
    errors, start, end = closest_substring("this passage", page)
    assert errors == 0 and page[start:end] == "this passage"
    errors, start, end = closest_substring("THE C0RSET", page.upper())
    assert errors == 1 and page.upper()[start:end] == "THE CORSET"
    # The distance is that of the stretch returned, and no stretch is closer.
    read = "crinolme, it"
    errors, start, end = closest_substring(read, page)
    assert errors == edit_distance(read, page[start:end]) == 3  # m for "in", a comma for a stop
    assert all(_reference_distance(read, page[i:j]) >= errors
               for i in range(len(page)) for j in range(i, len(page) + 1) if abs(j - i - len(read)) <= 3)
    assert closest_substring("", page) == (0, 0, 0)
