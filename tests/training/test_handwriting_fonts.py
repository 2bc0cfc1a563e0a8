"""Synthetic handwritten lines: font discovery, word-list text, renders, and the trainer's source."""

from __future__ import annotations

import numpy as np
import pytest

from ocr import charsets
from ocr.errors import DataError, OcrError
from training import handwriting_fonts as hf
from ocr.normalize import LINE_STRIDE, to_line_input
from training.datasets import handwritten_lines
from training.handwriting import frames_needed

BUILTIN = {"pil": [None]}  # PIL's own face: the tests depend on no installed font
TRANSCRIPTS = ["Ceci est mon testament", "Je lègue à ma femme", "le 3 août 1914"]


@pytest.fixture()
def word_list(tmp_path, monkeypatch):
    (tmp_path / "french").write_text("maison\nfrère\nlettre\nété\nsoldat\n", encoding="utf-8")
    monkeypatch.setattr(hf, "DICT_DIR", tmp_path)
    return tmp_path


def test_fonts_are_found_by_package_pattern_and_the_measuring_faces_kept_apart(tmp_path):
    for folder, name in (("truetype/kristi", "Kristi.ttf"), ("truetype/ecolier-court", "Ecolier-court.ttf"),
                         ("truetype/dustin", "Domestic_Manners.ttf"), ("truetype/dustin", "Wargames.ttf")):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / folder / name).write_bytes(b"")
    (tmp_path / "truetype" / "kristi" / "README").write_text("not a font")
    (tmp_path / "opentype" / "unrelated").mkdir(parents=True)
    (tmp_path / "opentype" / "unrelated" / "Serif.otf").write_bytes(b"")
    found = hf.handwriting_fonts(tmp_path)
    assert list(found) == ["fonts-ecolier-court", "fonts-dustin"]  # Kristi is a held-out face: never trained on
    assert [p.rsplit("/", 1)[-1] for p in found["fonts-dustin"]] == ["Domestic_Manners.ttf"]  # not its display faces
    held_out = hf.handwriting_fonts(tmp_path, held_out=True)
    assert list(held_out) == ["fonts-kristi"]
    assert [p.rsplit("/", 1)[-1] for p in held_out["fonts-kristi"]] == ["Kristi.ttf"]
    assert set(hf.HELD_OUT_PACKAGES) <= set(hf.HAND_FONT_PACKAGES)


def test_no_font_is_a_data_error_that_names_the_packages():
    with pytest.raises(DataError, match="fonts-ecolier-court"):
        hf.hand_font_lines(4, charsets.HANDWRITING, fonts={})


def test_word_list_lines_are_words_of_the_list(word_list):
    rng = np.random.default_rng(0)
    words = {"maison", "frère", "lettre", "été", "soldat"}
    for _ in range(20):
        text = hf.word_list_text(rng, charsets.HANDWRITING)
        assert set(text) <= set(charsets.HANDWRITING)
        for token in text.split():
            token = token.rstrip(",.;:-")
            assert token.isdigit() or token.lower() in words


def test_lines_are_ink_masks_labelled_with_what_was_drawn(word_list):
    inks, texts = hf.hand_font_lines(24, charsets.HANDWRITING, TRANSCRIPTS, seed=1, workers=1, fonts=BUILTIN)
    assert len(inks) == len(texts) >= 20
    assert any(t in TRANSCRIPTS for t in texts) and any(t not in TRANSCRIPTS for t in texts)
    for ink, text in zip(inks, texts):
        assert ink.dtype == bool and ink.ndim == 2 and ink.any()
        assert text == text.strip() and "  " not in text and set(text) <= set(charsets.HANDWRITING)
        # The render is a line: wider than high, and tall enough to read (shrunk to a scan size).
        rows = np.nonzero(ink.any(axis=1))[0]
        assert rows[-1] - rows[0] + 1 >= 8 and ink.shape[1] > ink.shape[0]
    again, again_texts = hf.hand_font_lines(24, charsets.HANDWRITING, TRANSCRIPTS, seed=1, workers=1,
                                            fonts=BUILTIN)
    assert again_texts == texts and all(np.array_equal(a, b) for a, b in zip(again, inks))


def test_scans_are_the_grey_images_the_inks_are_binarized_from(word_list):
    inks, texts = hf.hand_font_lines(12, charsets.HANDWRITING, TRANSCRIPTS, seed=4, workers=1, fonts=BUILTIN)
    scans, scan_texts = hf.hand_font_lines(12, charsets.HANDWRITING, TRANSCRIPTS, seed=4, workers=1,
                                           fonts=BUILTIN, scans=True)
    assert scan_texts == texts
    for scan, ink in zip(scans, inks):
        assert scan.dtype == np.uint8 and scan.shape == ink.shape
        # Ink is where the scan departs from its paper (dark on light, or light on dark).
        paper = np.median(scan)
        assert np.abs(scan[ink].astype(int) - paper).mean() > np.abs(scan[~ink].astype(int) - paper).mean() + 20


def test_a_face_with_lower_case_letters_is_not_taken_for_capitals():
    assert not hf.draws_capitals_only(None)


def test_the_trainer_adds_rendered_lines_to_the_real_ones(word_list, monkeypatch, tmp_path):
    from tests.training.test_handwriting import write_handwriting_set
    from training.config import TrainConfig
    from training.kinds.handwriting import HandwritingLineTrainer
    from ocr.models.registry import get_spec

    monkeypatch.setattr(hf, "handwriting_fonts", lambda root=hf.FONT_ROOT: BUILTIN)
    data = write_handwriting_set(tmp_path / "data", writers=30, lines_per_writer=1)
    spec = get_spec("handline")
    trainer = HandwritingLineTrainer()
    config = TrainConfig(model="handline", out=str(tmp_path / "h.keras"), dataset="testaments-de-poilus:train,handwriting-fonts:12",
                         data_dir=str(data))
    (inks, y), (val_inks, _), used = trainer.arrays(spec, config, np.random.default_rng(0))
    assert len([u for u in used if u.startswith("testaments")]) == 1 and any(u.startswith("handwriting-fonts:12") for u in used)
    real = [ln.text for ln in handwritten_lines(data, "train")]
    assert len(inks) > len(real) + 6 and len(y) == len(inks) and len(val_inks) >= 1
    texts = ["".join(spec.labels[i - 1] for i in row if i > 0) for row in y]
    assert sum(t in real for t in texts) > len(real)  # training transcripts, rewritten in the fonts
    for ink, text in zip(inks, texts):  # every line has a frame per character for CTC
        assert text and frames_needed(text) <= to_line_input(ink, height=48).image.shape[1] // LINE_STRIDE

    only_fonts = TrainConfig(model="handline", out=str(tmp_path / "h.keras"), dataset="handwriting-fonts:12", data_dir=str(data))
    with pytest.raises(OcrError, match="adds to real lines"):
        trainer.arrays(spec, only_fonts, np.random.default_rng(0))
    bad = TrainConfig(model="handline", out=str(tmp_path / "h.keras"), dataset="testaments-de-poilus:train,handwriting-fonts:many",
                      data_dir=str(data))
    with pytest.raises(OcrError, match="number of lines"):
        trainer.arrays(spec, bad, np.random.default_rng(0))


def test_print_renders_leave_the_handwriting_and_display_fonts_out():
    from training.font_packages import is_hand_or_display_font

    fonts = "/usr/share/fonts/truetype"
    for path in ("tlwg/Purisa-Bold.ttf", "dustin/Domestic_Manners.ttf", "dustin/Wargames.ttf",
                 "isabella/Isabella.ttf", "ecolier-court/Ecolier-court.ttf", "kristi/Kristi.ttf"):
        assert is_hand_or_display_font(f"{fonts}/{path}"), path
    assert is_hand_or_display_font("/usr/share/fonts/opentype/lobster/lobster.otf")
    for path in ("tlwg/Loma.ttf", "dejavu/DejaVuSans.ttf", "liberation2/LiberationSerif-Regular.ttf"):
        assert not is_hand_or_display_font(f"{fonts}/{path}"), path
