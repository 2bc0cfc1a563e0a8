"""Adapting a line model (``digitline``, ``textline``, ``handline``) to a user's own lines.

The samples are line images with their transcripts beside them
(``line.png`` + ``line.gt.txt``, the tesstrain / kraken / Calamari
convention), or page images with PAGE or ALTO XML beside them (line polygons
and transcriptions, as eScriptorium, Transkribus and kraken export them;
:mod:`training.datasets.page_xml`). Each image goes through the same preprocessing and
segmentation as ``ocr read``, so the model is tuned on exactly what it will
be given when reading. Synthetic lines of the base model's own training
recipe are mixed in (rehearsal), so what it could read before is kept.
Part of the user's lines is held out and its CER printed before and after.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ocr.deslant import upright
from ocr.errors import DataError, OcrError
from ocr.fileio import write_bytes_atomic
from ocr.language import (SPACES_SUFFIX, language_model_for, language_model_path, variant_languages,
                          variant_suffix)
from ocr.lexicon import Lexicon, lexicon_for, lexicon_path, variant_lexicon_path
from ocr.models import load
from ocr.models.store import save_model
from ocr.normalize import LINE_HEIGHT, stack_lines, to_line_input
from ocr.recognize_lines import line_input_height
from training.data import TEXT_LINES
from training.datasets import GLYPH_SUFFIXES, TESTAMENTS, read_transcript, transcript_for
from training.evaluate import read_line_images, string_scores
from training.finetune import FinetuneConfig, FinetuneResult, replay_sources

log = logging.getLogger(__name__)

#: Longest transcript a training line may have (CTC target width).
MAX_LENGTH = 96
#: Every layer adapts (not only a new head, as for glyphs), so steps are smaller.
LEARNING_RATE = 5e-4


@dataclass
class LineSamples:
    """Model inputs of a folder of line images and their transcripts."""

    images: list[np.ndarray]   # (model input height, W) each, white ink on black
    texts: list[str]           # in the model's labels (no spaces where it reads none)
    paths: list[str]
    spaced: list[str]          # the same transcripts with their word spaces


def whole_line_mask(analysis) -> tuple[np.ndarray, float] | None:
    """The ink of a page that holds one line, as (mask, line height), or None when blank.

    Every segmented line is kept, side by side in x, so a stroke the
    segmenter put on a line of its own is not lost.
    """
    from ocr.recognize_lines import line_mask

    layout = analysis.layout
    if layout is None or not layout.lines:
        return None
    x0 = min(l.box[0] for l in layout.lines)
    y0 = min(l.box[1] for l in layout.lines)
    x1 = max(l.box[2] for l in layout.lines)
    y1 = max(l.box[3] for l in layout.lines)
    mask = np.zeros((y1 - y0, x1 - x0), bool)
    for line in layout.lines:
        lx0, ly0, lx1, ly1 = line.box
        mask[ly0 - y0:ly1 - y0, lx0 - x0:lx1 - x0] |= line_mask(layout.components, line)
    return mask, float(np.median([l.height for l in layout.lines]))


def _line_sources(root: Path) -> list[tuple[str, str, object]]:
    """(name, raw transcript, function giving the line's PageImage) for every line of ``root``:
    line images with a ``.gt.txt`` beside them, and the lines of PAGE / ALTO XML pages."""
    from ocr.io import PageImage, load
    from ocr.preprocess import to_gray
    from training.datasets.page_xml import cut_line, read_xml_lines, xml_image

    sources: list[tuple[str, str, object]] = []
    for path in sorted(p for p in root.iterdir() if p.suffix.lower() in GLYPH_SUFFIXES
                       and transcript_for(p).is_file()):
        sources.append((str(path), "".join(read_transcript(transcript_for(path))),
                        lambda path=path: load(str(path))[0]))
    # A page's lines are read one after another: it is decoded once, and only one is held.
    page_gray = functools.lru_cache(maxsize=1)(lambda path: to_gray(load(str(path))[0].image))
    for xml in sorted(p for p in root.iterdir() if p.suffix.lower() == ".xml"):
        named, lines = read_xml_lines(xml)
        image_path = xml_image(xml, named, GLYPH_SUFFIXES)
        if image_path is None:
            log.warning("%s: its page image (%s) is not in %s; skipped", xml, named or xml.stem, root)
            continue
        for k, line in enumerate(lines, start=1):
            name = f"{xml}#{k}"
            sources.append((name, line.text, lambda path=image_path, polygon=line.polygon, name=name:
                            PageImage(name, 0, cut_line(page_gray(path), polygon))))
    return sources


def load_line_folder(folder: str | os.PathLike, labels: str, height: int = LINE_HEIGHT,
                     deslant=None) -> LineSamples:
    """Read ``folder``'s lines as model inputs ``height`` rows high: line images that have a
    ``.gt.txt`` beside them, and pages with PAGE or ALTO XML (line polygons and their text, as
    eScriptorium, Transkribus and kraken export them), cut along each polygon. A model that
    reads word spaces keeps them in the transcripts (single spaces); for the others,
    segmentation places them and they are dropped. ``deslant`` (the base card's
    :class:`ocr.deslant.DeslantRule`) shears each line's ink as reading will."""
    from ocr.pipeline import analyse_page

    root = Path(folder)
    if not root.is_dir():
        raise DataError(f"line folder {root} does not exist")
    sources = _line_sources(root)
    if not sources:
        raise DataError(f"{root} has no line images with a .gt.txt transcript beside them "
                        "(line.png + line.gt.txt) and no PAGE or ALTO XML pages (page.png + page.xml)")
    joiner = " " if " " in labels else ""
    transcripts = [joiner.join(text.split()) for _, text, _ in sources]
    unknown = set("".join(transcripts)) - set(labels)
    if unknown:
        raise DataError(f"transcripts in {root} use characters the model cannot output: "
                        f"{''.join(sorted(unknown))!r}; a line model learns new characters only "
                        "by retraining (ocr train)")
    images, texts, paths, spaced = [], [], [], []
    for (name, spaced_text, page), text in zip(sources, transcripts):
        page = page()
        ink = whole_line_mask(analyse_page(page)) if page.image.size else None
        if not text or ink is None:
            log.warning("%s: no ink or an empty transcript; skipped", name)
            continue
        images.append(to_line_input(upright(ink[0], deslant, ink[1]), line_height=ink[1], height=height).image)
        texts.append(text[:MAX_LENGTH])
        paths.append(name)
        spaced.append(" ".join(spaced_text.split()))
    if not images:
        raise DataError(f"no usable line in {root}")
    return LineSamples(images, texts, paths, spaced)


def _rehearsal_lines(card, labels: str, n: int, width: int, data_dir, seed: int, height: int = LINE_HEIGHT):
    """``n`` lines made the way the base model was trained (synthetic, or random variants of
    its real training lines, deslanted as the card reads them), or none."""
    if n == 0:
        return np.zeros((0, height, width), np.uint8), []
    trained_on = " ".join(card.training.get("datasets", []))
    try:
        if f"{TESTAMENTS}:train" in trained_on:
            x, texts = _real_rehearsal_lines(labels, n, data_dir, seed, height, card.deslant)
        elif TEXT_LINES in trained_on:
            from training.textlines import textline_dataset

            x, _, texts = textline_dataset(n, labels, seed=seed, deslant=card.deslant)
        else:
            from training.data import load_training_arrays
            from training.strings import line_dataset

            sources = replay_sources(card)
            if not sources:
                raise DataError("the base model's metadata names no training data")
            glyphs, targets, _ = load_training_arrays(sources, labels, data_dir)
            x, _, texts = line_dataset(glyphs, targets, n, labels, seed=seed)
    except OcrError as exc:
        log.warning("no rehearsal lines (%s); old skills may fade", exc)
        return np.zeros((0, height, width), np.uint8), []
    return stack_lines(list(x), width), texts


def _real_rehearsal_lines(labels: str, n: int, data_dir, seed: int, height: int, deslant=None):
    """Random variants of ``n`` of the real handwritten training lines (never test writers),
    each sheared upright by ``deslant`` first when the base card asks for it, as
    ``ocr train handline`` trains: the variants vary around the upright line."""
    from training.datasets import handwritten_lines
    from training.handwriting import augment_ink, handwriting_arrays

    rng = np.random.default_rng(seed)
    lines = handwritten_lines(data_dir, "train")
    picked = [lines[i] for i in rng.choice(len(lines), min(n, len(lines)), replace=False)]
    inks, texts = handwriting_arrays(picked, labels, height, deslant)
    x = [to_line_input(augment_ink(ink, rng), height=height).image for ink in inks]
    return x, [t[:MAX_LENGTH] for t in texts]


def finetune_lines(config: FinetuneConfig, base_path: Path) -> FinetuneResult:
    """Fine-tune a line model on ``config.glyphs`` (a folder of line images + .gt.txt).

    Called by :func:`training.finetune.finetune`, which has resolved the base
    (``base_path``) and checked ``--out``. ``config`` is its
    :class:`~training.finetune.FinetuneConfig`; as many rehearsal lines as
    user lines are mixed in unless ``replay_per_class`` is 0.
    """
    import keras

    from ocr.models.layers import CTCLoss
    from training.strings import encode_texts

    loaded = load(config.base, kind="line", runtime="keras")
    base, card = loaded.net, loaded.card
    labels = loaded.card.label_text
    height = line_input_height(loaded)
    samples = load_line_folder(config.glyphs, labels, height, card.deslant)
    rng = np.random.default_rng(config.seed)
    order = rng.permutation(len(samples.texts))
    n_test = int(round(len(order) * config.holdout)) if len(order) >= 5 else 0
    test_idx, train_idx = order[:n_test], order[n_test:]
    test_images = [samples.images[i] for i in test_idx]
    test_texts = [samples.texts[i] for i in test_idx]
    cer_before = string_scores(test_texts, read_line_images(base, labels, test_images))[0] if n_test else None

    keras.utils.set_random_seed(config.seed)
    user_x = stack_lines([samples.images[i] for i in train_idx])
    width = user_x.shape[2]
    # As many rehearsal lines as user lines: each batch is about half of each.
    n_replay = len(train_idx) if config.replay_per_class else 0
    replay_x, replay_texts = _rehearsal_lines(card, labels, n_replay, width, config.data_dir, config.seed,
                                              height)
    x = np.concatenate([user_x, replay_x])
    texts = [samples.texts[i] for i in train_idx] + list(replay_texts)
    y = encode_texts(texts, labels, max(len(t) for t in texts))
    # Train a copy: the base model object stays as loaded.
    net = keras.models.clone_model(base)
    net.set_weights(base.get_weights())
    steps = int(np.ceil(len(x) / config.batch_size)) * config.epochs
    learning_rate = config.learning_rate or LEARNING_RATE
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, steps, alpha=0.05)
    net.compile(optimizer=keras.optimizers.Adam(schedule, clipnorm=5.0), loss=CTCLoss())
    net.fit(x, y, batch_size=config.batch_size, epochs=config.epochs, shuffle=True,
            verbose=1 if log.isEnabledFor(logging.INFO) else 0)
    cer_after = string_scores(test_texts, read_line_images(net, labels, test_images))[0] if n_test else None
    net = keras.Model(net.inputs, net.outputs, name=base.name)  # no optimizer state in the file

    metadata = dict(card.metadata)
    metadata.update({
        "name": Path(config.out).stem,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "lineage": list(card.lineage) + [{
            "base": str(config.base), "base_file": str(base_path), "base_date": card.date,
            "lines": os.path.abspath(config.glyphs), "user_lines": int(len(train_idx)),
            "held_out": int(n_test), "rehearsal_lines": int(len(replay_texts)),
            "epochs": config.epochs, "learning_rate": learning_rate,
            "heldout_cer_before": cer_before, "heldout_cer_after": cer_after,
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        }],
    })
    metadata["base_scores"] = metadata.pop("scores", {})
    metadata["scores"] = {}
    path = save_model(net, config.out, metadata, force=config.force)
    report = [f"adapted on {len(train_idx)} lines"]
    source = f"{os.path.abspath(config.glyphs)} ({len(train_idx)} lines)"
    base_lm = language_model_for(base_path)
    if base_lm is not None:  # the base's language, with the user's own lines counted in
        lm_path = base_lm.extended([samples.texts[i] for i in train_idx], source).save(language_model_path(path))
        report.append(f"language model: {lm_path.name}")
    base_spaces = language_model_for(base_path, SPACES_SUFFIX)
    if base_spaces is not None:  # where the user's words part, counted in too
        spaces_path = base_spaces.extended([samples.spaced[i] for i in train_idx], source
                                           ).save(language_model_path(path, SPACES_SUFFIX))
        report.append(f"word-space model: {spaces_path.name}")
    for language in variant_languages(base_path):  # the base's languages, as they were: copied, not read
        for beside in (lambda m: language_model_path(m, variant_suffix(language)),
                       lambda m: variant_lexicon_path(m, language)):
            if beside(base_path).is_file():
                write_bytes_atomic(beside(path), beside(base_path).read_bytes())
        report.append(f"{language} language variant: {language_model_path(path, variant_suffix(language)).name}")
    base_words = lexicon_for(base_path)
    if base_words is not None:  # the base's words, and the user's
        own = [w for i in train_idx for w in samples.spaced[i].split() if w.isalpha()]
        words_path = Lexicon(base_words.words() + own, f"{base_words.about}\nand the words of {source}"
                             ).save(lexicon_path(path))
        report.append(f"word list: {words_path.name}")
    if n_test:
        report.append(f"held-out CER on {n_test} lines: {cer_before:.2%} -> {cer_after:.2%}")
    return FinetuneResult(path, metadata, n_train=int(len(train_idx)), n_heldout=int(n_test),
                          cer_before=cer_before, cer_after=cer_after, report=report)
