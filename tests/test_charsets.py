import numpy as np

from ocr.charsets import (DIGITS, EMNIST_BYCLASS, EMNIST_BYMERGE, EMNIST_LETTERS,
                          class_mapping, project_probabilities)


def test_byclass_to_bymerge_merges_lookalike_cases():
    mapping = class_mapping(EMNIST_BYCLASS, EMNIST_BYMERGE)
    assert EMNIST_BYMERGE[mapping[EMNIST_BYCLASS.index("c")]] == "C"
    assert EMNIST_BYMERGE[mapping[EMNIST_BYCLASS.index("a")]] == "a"
    assert (mapping >= 0).all()


def test_restriction_to_digits_drops_letters():
    mapping = class_mapping(EMNIST_BYCLASS, DIGITS)
    assert (mapping[:10] == np.arange(10)).all() and (mapping[10:] == -1).all()


def test_letters_are_case_insensitive():
    mapping = class_mapping(EMNIST_BYCLASS, EMNIST_LETTERS)
    assert mapping[EMNIST_BYCLASS.index("q")] == EMNIST_LETTERS.index("Q")


def test_projection_sums_merged_classes():
    source, target = "cCa", "Ca"
    probs = np.array([[0.3, 0.3, 0.4]])
    out = project_probabilities(probs, class_mapping(source, target), len(target))
    assert np.allclose(out, [[0.6, 0.4]]) and out.argmax() == 0
