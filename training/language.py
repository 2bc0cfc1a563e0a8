"""Building the character language model a line model decodes with (:mod:`ocr.language`).

The corpus is the text the model was trained on and English prose, never
validation or test text: for ``handline`` the training writers' transcripts,
for ``textline`` the lines its renders are drawn from
(:func:`training.textlines.random_text`: Debian word lists, numbers, dates and
amounts, punctuation), each with prose of Debian's ``fortunes``, without their
spaces where the model emits none. Order and weights are chosen on each
model's validation material and stored in the file, so a model and its
language model travel together:

- ``handline``: 7-gram, alpha 0.4, beta 1.0 (Testaments validation writers,
  ``bench/RESULTS.md``: 26.29% -> 21.88% CER at alpha 0.3, beta 0.5 in session 12; for the
  session 32 model 18.32% -> 17.91%, and English tuning lines written in the training
  faces 19.00% -> 18.43%, with alpha 0.4, beta 1.0, handwriting session 34); a beam of 32
  prefixes, each word read weighed against Debian's word lists (+0.5 a word, -1.5 none:
  17.81% -> 17.24% and 18.43% -> 17.41%, handwriting session 40); and an English
  variant (``handline.en.lm.json.gz``, :data:`ENGLISH_VARIANT_RECIPE`): a 6-gram of all the
  English prose, which decodes a page again when its first reading is likely English;
- ``textline``: 4-gram of 50,000 lines, alpha 0.3, beta 0.5, and lines whose
  every frame is 0.8 sure read by best path (FUNSD dev: line crops 14.26% ->
  13.80% CER, forms' bag-of-words F1 56.4% -> 57.8%; synthetic printed pages
  0.12% -> 0.15%, where the language model everywhere gave 0.32% at 2.5x the
  time). A 5-gram read the same (13.82%, 57.8%) at three times the memory
  (177 MB against 60 MB loaded). Since session 25 as many lines of English
  prose are counted with them (:func:`print_prose`): FUNSD dev forms'
  word-box CER / F1 25.55 / 60.35% -> 25.26 / 61.42% (``bench/RESULTS.md``,
  real print session 25).

``ocr train language MODEL --text FILE`` counts a user's own text instead
(their forms' vocabulary, their language).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ocr.language import SPACES_SUFFIX, BeamSettings, CharNgram, language_model_path, variant_suffix
from ocr.lexicon import Lexicon, lexicon_path, variant_lexicon_path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LanguageRecipe:
    """How a model's language model is counted: n-gram order, decoding weights, where they were chosen."""

    order: int
    alpha: float
    beta: float
    chosen_on: str
    #: Lines whose frames are all this sure are read by best path (``CharNgram.sure_frame``).
    sure_frame: float | None = None
    #: The beam search's width and how it weighs each word read against the model's word list.
    beam: BeamSettings = BeamSettings()
    #: For a language variant: how far (nats per character) below the model's own language
    #: model it may score a page's first reading and still read the page (``CharNgram.switch_within``).
    switch_within: float | None = None


HANDWRITING_RECIPE = LanguageRecipe(7, 0.4, 1.0, "testaments-de-poilus:val writers; English tuning lines "
                                                  "in the training faces (common-licenses prose); beam width "
                                                  "and word weights on the same (handwriting session 40)",
                                    beam=BeamSettings(width=32, word_bonus=0.5, nonword_penalty=1.5))
#: ``handline``'s English variant: all the English prose (``fortunes`` less the held-out
#: collections, 1.9 M characters) where the mixed model holds 213 k, a 6-gram. On the English
#: tuning lines (training faces, licence prose; cached frame probabilities, the model's word
#: list) the mixed model read 17.41% CER, this one 14.73% at the mixed model's weights (a
#: 7-gram 14.80% at twice the size, a 5-gram 14.80%; alpha 0.3 / 0.5: 15.13 / 14.85%), 14.40% with
#: beta 1.5 (2.0: 14.35%; alpha 0.5 and beta 1.5 / 2.0: 14.35 / 14.23%). On the French
#: validation writers it would read 23.57% against 17.24%, so it reads only text it scores at most
#: 1.2 nats per character below the mixed model: pages of five English tuning lines scored
#: -0.68 to +0.32 against it, of five validation lines -4.07 to -1.76 (handwriting session 41).
VARIANT_SWITCH_WITHIN = 1.2
ENGLISH_VARIANT_RECIPE = replace(HANDWRITING_RECIPE, order=6, beta=1.5, switch_within=VARIANT_SWITCH_WITHIN,
                                 chosen_on="English tuning lines in the training faces (common-licenses "
                                           "prose) and testaments-de-poilus:val writers (handwriting session 41)")
PRINT_RECIPE = LanguageRecipe(4, 0.3, 0.5, "FUNSD dev line crops (bench/real_lines.py --split dev --limit 400)",
                              sure_frame=0.8)
#: Lines of the print renders' text counted into the print language model (1.3 MB at order 4).
PRINT_CORPUS_LINES = 50_000
#: Largest text file counted by ``ocr train language --text`` (its counts are held in memory).
MAX_TEXT_BYTES = 64 << 20


def write_language_model(model_path, texts: Sequence[str], source: str,
                         recipe: LanguageRecipe = HANDWRITING_RECIPE, variant: str | None = None) -> Path:
    """Count ``texts`` into an n-gram and write it beside the line model at ``model_path``: its
    language model, or with ``variant`` (a language code) its language variant for that language."""
    lm = CharNgram.from_texts(texts, recipe.order, alpha=recipe.alpha, beta=recipe.beta,
                              sure_frame=recipe.sure_frame, beam=recipe.beam,
                              switch_within=recipe.switch_within if variant else None,
                              about={"corpus": source, "lines": len(texts),
                                     "characters": sum(len(t) for t in texts),
                                     "weights chosen on": recipe.chosen_on,
                                     **({"language": variant} if variant else {})})
    return lm.save(language_model_path(model_path, variant_suffix(variant)) if variant
                   else language_model_path(model_path))


def write_english_variant(model_path, alphabet: str, seed: int = 0,
                          recipe: LanguageRecipe | None = None) -> list[Path]:
    """``handline``'s English variant beside the line model at ``model_path`` (``recipe``,
    default :data:`ENGLISH_VARIANT_RECIPE`) and its word list (:data:`ENGLISH_WORD_LISTS`);
    the paths written, none (with a warning) without ``fortunes`` installed."""
    prose = prose_lines(fortune_files(), alphabet, seed=seed)
    if not prose:
        log.warning("no English prose found (apt-get install fortunes): no English variant is written")
        return []
    written = [write_language_model(model_path, prose, f"{len(prose)} lines of English prose (Debian fortunes)",
                                    recipe or ENGLISH_VARIANT_RECIPE, variant="en")]
    words = write_lexicon(model_path, alphabet, ENGLISH_WORD_LISTS, variant="en",
                          use="telling a short text in English (ocr.language.chosen_variant)")
    return written + ([words] if words is not None else [])


#: Debian's ``fortunes`` collections: English prose (quotations, jokes, verse) for the English
#: side of the handwriting language model and the punctuation of the print one. Pictures drawn
#: in characters are no prose.
FORTUNE_DIR = Path("/usr/share/games/fortunes")
NOT_PROSE = ("art", "ascii-art", "translate-me")
#: Collections no language model counts: ``bench/handwriting.py --english`` writes its lines from them.
HELD_OUT_FORTUNES = ("literature", "wisdom")


def fortune_files(held_out: bool = False, folder: Path | None = None) -> list[Path]:
    """The prose collections of ``fortunes`` installed (in ``folder``, default
    :data:`FORTUNE_DIR`): those a language model may count, or with ``held_out`` only
    :data:`HELD_OUT_FORTUNES`."""
    folder = FORTUNE_DIR if folder is None else folder
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.suffix and p.name not in NOT_PROSE
                  and (p.name in HELD_OUT_FORTUNES) == held_out)


def prose_lines(paths: Iterable[str | Path], alphabet: str, words: tuple[int, int] = (3, 10),
                seed: int = 0) -> list[str]:
    """The sentences of fortune files wrapped into lines of ``words`` words (a hand's line):
    the ``%`` separators, attributions (``-- Author``) and indentation dropped, and any
    piece holding a character outside ``alphabet`` left out."""
    from training.datasets import normalize_transcript

    rng = np.random.default_rng(seed)
    allowed = set(alphabet) | {" "}
    out = []
    for path in paths:
        text = Path(path).read_text(encoding="utf-8", errors="ignore")
        for entry in text.split("\n%\n"):
            body = " ".join(ln.strip() for ln in entry.splitlines() if not ln.strip().startswith("--"))
            tokens = normalize_transcript(body).split()
            while tokens:
                take = int(rng.integers(words[0], words[1] + 1))
                line, tokens = " ".join(tokens[:take]), tokens[take:]
                if line and set(line) <= allowed:
                    out.append(line)
    return out


def print_corpus(alphabet: str, lines: int = PRINT_CORPUS_LINES, seed: int = 0) -> list[str]:
    """``lines`` texts drawn as the print model's training lines are (with their spaces: the
    language model takes them out, the word-space model counts them)."""
    from training.textlines import random_text

    rng = np.random.default_rng([seed, 7])
    return [random_text(rng, alphabet=alphabet) for _ in range(lines)]


def print_prose(alphabet: str, lines: int, seed: int = 0, folder: Path | None = None) -> list[str]:
    """Up to ``lines`` lines of English prose (``fortunes``, the held-out collections left out)
    for the print language model (without their spaces) and its word-space model.

    Why: the renders' text puts any punctuation after any word it draws, so its counts know no
    "Mr.", "Inc." or "Date:"; read with them alone, the forms' trailing periods and colons were
    dropped or read as hyphens ("Mr." -> "Mr-", "Co." -> "Co"). Prose has them where text has them.
    """
    prose = prose_lines(fortune_files(folder=folder), alphabet, seed=seed)
    order = np.random.default_rng([seed, 13]).permutation(len(prose))[:lines]
    return [prose[k] for k in order]


def write_print_language_model(model_path, alphabet: str, lines: int = PRINT_CORPUS_LINES, seed: int = 0,
                               recipe: LanguageRecipe = PRINT_RECIPE) -> list[Path]:
    """The print model's language model, from :func:`print_corpus` and as many lines of
    :func:`print_prose`, beside the model at ``model_path``, its word-space model: the
    same text with its spaces (:func:`write_space_model`), and its word list
    (:func:`write_lexicon`, when one is installed). Returns the paths written."""
    rendered, prose = print_corpus(alphabet, lines, seed), print_prose(alphabet, lines, seed)
    spaced = rendered + prose
    source = f"{lines} lines of training.textlines.random_text"
    if prose:
        source += f" and {len(prose)} lines of English prose (Debian fortunes)"
    else:
        log.warning("no English prose found (apt-get install fortunes): the print language model is "
                    "the renders' text alone")
    written = [write_language_model(model_path, [t.replace(" ", "") for t in spaced], source + ", spaces removed",
                                    recipe),
               write_space_model(model_path, spaced, source)]
    lexicon = write_lexicon(model_path, alphabet)
    return written + ([lexicon] if lexicon is not None else [])


def write_language_and_words(model_path, texts: Sequence[str], source: str, alphabet: str,
                             recipe: LanguageRecipe = HANDWRITING_RECIPE, own_words: Sequence[str] = ()
                             ) -> list[Path]:
    """The language model of ``texts`` beside the line model at ``model_path``
    (:func:`write_language_model`) and, when ``recipe`` weighs the words read, its word list:
    the installed word lists and the words of ``own_words`` (a user's text, :func:`write_lexicon`).
    Returns the paths written."""
    written = [write_language_model(model_path, texts, source, recipe)]
    if recipe.beam.weighs_words:
        lexicon = write_lexicon(model_path, alphabet, extra=own_words,
                                use="words weighed by the beam search (ocr.language.beam_decode)")
        written += [lexicon] if lexicon is not None else []
    return written


#: Debian's word lists (``wamerican``, ``wbritish``, ``wfrench``): the print model's word list
#: (:mod:`ocr.lexicon`). French as well as English, so that a French page's words are words
#: and stay as read.
WORD_LISTS = (Path("/usr/share/dict/american-english"), Path("/usr/share/dict/british-english"),
              Path("/usr/share/dict/french"))
#: The English ones: the words of ``handline``'s English variant.
ENGLISH_WORD_LISTS = WORD_LISTS[:2]


def write_lexicon(model_path, alphabet: str, word_lists: Sequence[Path] | None = None,
                  extra: Sequence[str] = (), use: str = "spelling of the words read (ocr.lexicon)",
                  variant: str | None = None) -> Path | None:
    """The word list beside the line model at ``model_path`` (``NAME.lexicon.txt.gz``, or with
    ``variant`` its language variant's, ``NAME.<variant>.lexicon.txt.gz``): the words of those
    ``word_lists`` (default :data:`WORD_LISTS`) installed and the words of the texts ``extra``
    that are letters of ``alphabet`` only (no possessives, no hyphenated words). None, with a
    warning, when there is no word at all."""
    from training.datasets.textfiles import read_utf8

    found = [Path(p) for p in (WORD_LISTS if word_lists is None else word_lists) if Path(p).is_file()]
    letters = {c for c in alphabet if c.isalpha()}
    texts = [read_utf8(path, MAX_TEXT_BYTES) for path in found] + list(extra)
    words = [w for text in texts for w in text.split() if w.isalpha() and set(w) <= letters]
    if not words:
        log.warning("no word list found (apt-get install wamerican wbritish wfrench): the model gets no "
                    "word list, and its words are read as the letters say")
        return None
    sources = [str(p) for p in found] + ([f"{len(extra)} lines of the counted text"] if extra else [])
    about = f"words of {', '.join(sources)} written in the model's letters\nuse: {use}"
    log.info("word list: %d words of %s", len(words), ", ".join(sources))
    return Lexicon(words, about).save(variant_lexicon_path(model_path, variant) if variant
                                      else lexicon_path(model_path))


#: How the word-space model of a model that reads no spaces is counted (:mod:`ocr.word_spaces`).
#: A 4-gram, as the print model's language model: on the dev pages and forms a 5-gram read
#: nearly the same (FUNSD dev F1 63.68% against 63.49%) at 180 MB more memory, and prose alone
#: lost the forms' codes and numbers (bench/RESULTS.md, real print session 28).
SPACE_RECIPE = LanguageRecipe(4, 0.0, 0.0, "dev pages of oldbooks, docbank, omnidocbench and FUNSD dev forms "
                                           "(bench/real_documents.py --split dev)")


def write_space_model(model_path, texts: Sequence[str], source: str) -> Path:
    """Count ``texts`` with their spaces into the word-space model beside the line model at
    ``model_path`` (``NAME.spaces.lm.json.gz``); its decoding weights are unused."""
    lm = CharNgram.from_texts(texts, SPACE_RECIPE.order, alpha=SPACE_RECIPE.alpha, beta=SPACE_RECIPE.beta,
                              about={"corpus": source + ", spaces kept", "lines": len(texts),
                                     "characters": sum(len(t) for t in texts),
                                     "use": "word spaces (ocr.word_spaces)",
                                     "order chosen on": SPACE_RECIPE.chosen_on})
    return lm.save(language_model_path(model_path, SPACES_SUFFIX))


#: English prose counted into the handwriting language model, in characters per character of
#: the training writers' (French) transcripts. A 7-gram tells the languages apart by their
#: contexts: on the validation writers, French alone 18.46% CER, with 1x English 18.53%, with
#: 3x 18.38% (bench/RESULTS.md, session 22).
ENGLISH_PER_TRANSCRIPT = 3


def handwriting_corpus(transcripts: Sequence[str], alphabet: str, seed: int = 0) -> tuple[list[str], str]:
    """The handwriting language model's text and its description: the training writers'
    transcripts and :data:`ENGLISH_PER_TRANSCRIPT` times as many characters of English prose
    (``fortunes``, the collections :data:`HELD_OUT_FORTUNES` left out), so English cursive
    is not read into French. Without ``fortunes`` installed, the transcripts alone."""
    prose = prose_lines(fortune_files(), alphabet, seed=seed)
    budget = ENGLISH_PER_TRANSCRIPT * sum(len(t) for t in transcripts)
    english: list[str] = []
    for k in np.random.default_rng([seed, 11]).permutation(len(prose)):
        if budget <= 0:
            break
        english.append(prose[k])
        budget -= len(prose[k])
    source = f"transcripts of {len(transcripts)} real training lines"
    if english:
        source += f" and {len(english)} lines of English prose (Debian fortunes)"
    else:
        log.warning("no English prose found (apt-get install fortunes): the language model is the "
                    "transcripts' alone")
    return [*transcripts, *english], source


def text_file_lines(paths: Iterable[str | Path], alphabet: str) -> list[str]:
    """The non-empty lines of UTF-8 text files, normalised as transcripts are
    (:func:`training.datasets.normalize_transcript`) and kept to the characters of ``alphabet``."""
    from training.datasets import normalize_transcript
    from training.datasets.textfiles import read_utf8

    allowed = set(alphabet)
    out = []
    for path in paths:
        for line in read_utf8(path, MAX_TEXT_BYTES).splitlines():
            kept = "".join(c for c in normalize_transcript(line) if c in allowed).strip()
            if kept:
                out.append(kept)
    return out


def _line_model(model: str):
    """The file and card of the line model ``model`` (registry name or path); a model error for
    a model of another kind."""
    from ocr.errors import ModelError
    from ocr.models.loader import read_card
    from ocr.models.registry import resolve

    path, card = resolve(model), read_card(model)
    if card.kind != "line":
        raise ModelError(f"{model}: a {card.kind} model reads no lines; a language model needs a line model")
    return path, card


def _overridden(recipe: LanguageRecipe, order: int | None, alpha: float | None, beta: float | None
                ) -> LanguageRecipe:
    """``recipe`` with the order and weights given on the command line, where given."""
    return replace(recipe, order=order or recipe.order, alpha=recipe.alpha if alpha is None else alpha,
                   beta=recipe.beta if beta is None else beta,
                   chosen_on=recipe.chosen_on if alpha is None and beta is None else "given on the command line")


def build_language_model(model: str, texts: Sequence[str | Path] = (), order: int | None = None,
                         alpha: float | None = None, beta: float | None = None, seed: int = 0,
                         force: bool = False, data_dir: str | Path | None = None) -> list[Path]:
    """``ocr train language``: count a line model's language model and write it beside the model;
    for a model that reads no spaces, its word-space model too (the same text, spaces kept), and
    for ``textline`` without ``texts`` or a model whose recipe weighs words (``handline``), its
    word list (:func:`write_lexicon`; with ``texts``, their words too).

    ``texts`` are text files to count; without them the model's own training
    text is drawn again: the print model's renders' text (:func:`print_corpus`),
    or for ``handline`` the training writers' transcripts (under ``data_dir``,
    default $OCR_DATA_DIR) and English prose (:func:`handwriting_corpus`). The
    model's recipe gives the order and weights unless they are given.
    Returns the paths written.
    """
    from ocr.errors import DataError, OutputExistsError

    path, card = _line_model(model)
    if not texts and card.name not in ("textline", "handline"):
        raise DataError(f"{model}: give the text to count with --text FILE (only textline's and handline's "
                        "training text can be drawn again)")
    recipe = _overridden(HANDWRITING_RECIPE if card.name == "handline" else PRINT_RECIPE, order, alpha, beta)
    alphabet = "".join(card.labels)
    reads_spaces = " " in alphabet
    corpus, spaced, source = [], [], ""  # the inputs are checked and read before the output
    if texts:
        corpus, source = text_file_lines(texts, alphabet), ", ".join(Path(t).name for t in texts)
        if not corpus:
            raise DataError(f"{source}: no line of it is written in the model's characters")
        if not reads_spaces:
            spaced = text_file_lines(texts, alphabet + " ")
    elif card.name == "handline":
        from ocr.paths import env_data_dir
        from training.datasets import handwritten_lines

        transcripts = [ln.text for ln in handwritten_lines(data_dir or env_data_dir(), "train")]
        if not transcripts:
            raise DataError("testaments-de-poilus: no training writer's line to count")
        corpus, source = handwriting_corpus(transcripts, alphabet, seed)
        source = f"testaments-de-poilus:train: {source}"
    targets = [language_model_path(path)] + ([] if reads_spaces else [language_model_path(path, SPACES_SUFFIX)])
    if not corpus or recipe.beam.weighs_words:  # textline's own text drawn again, or words weighed: a word list too
        targets.append(lexicon_path(path))
    english = card.name == "handline" and not texts  # handline's own text: its English variant too
    if english:
        targets.append(language_model_path(path, variant_suffix("en")))
    for target in targets:
        if target.exists() and not force:
            raise OutputExistsError(f"{target} already exists")
    if not corpus:  # textline without --text: its renders' text drawn again
        return write_print_language_model(path, alphabet, seed=seed, recipe=recipe)
    written = write_language_and_words(path, corpus, source, alphabet, recipe, corpus if texts else ())
    if spaced:
        written.append(write_space_model(path, spaced, source))
    if english:
        written += write_english_variant(path, alphabet, seed)
    return written


def build_language_variant(model: str, language: str, texts: Sequence[str | Path] = (), order: int | None = None,
                           alpha: float | None = None, beta: float | None = None, seed: int = 0,
                           force: bool = False) -> list[Path]:
    """``ocr train language MODEL --variant LANG``: count ``texts`` into the line model's
    language variant for ``language`` (``NAME.LANG.lm.json.gz``): a page whose first reading
    it explains nearly as well as the model's own language model is decoded with it
    (:func:`ocr.language.chosen_variant`), and its word list of the text's words. Without
    ``texts`` only ``handline``'s English one can be drawn (English prose,
    :func:`write_english_variant`). Weights and order are
    :data:`ENGLISH_VARIANT_RECIPE`'s for ``handline``, the model's recipe's otherwise,
    unless given."""
    from ocr.errors import DataError, OutputExistsError

    try:
        suffix = variant_suffix(language)
    except ValueError as exc:
        raise DataError(str(exc)) from None
    path, card = _line_model(model)
    drawn = not texts and card.name == "handline" and language == "en"
    if not texts and not drawn:
        raise DataError(f"{model}: give the {language} text to count with --text FILE (only handline's English "
                        "variant can be drawn again)")
    alphabet = "".join(card.labels)
    corpus = [] if drawn else text_file_lines(texts, alphabet)
    if not drawn and not corpus:
        raise DataError(f"{', '.join(Path(t).name for t in texts)}: no line of it is written in the model's "
                        "characters")
    target = language_model_path(path, suffix)
    if target.exists() and not force:
        raise OutputExistsError(f"{target} already exists")
    recipe = _overridden(ENGLISH_VARIANT_RECIPE if card.name == "handline"
                         else replace(PRINT_RECIPE, switch_within=VARIANT_SWITCH_WITHIN), order, alpha, beta)
    if drawn:
        written = write_english_variant(path, alphabet, seed, recipe)
        if not written:
            raise DataError("no English prose to count: apt-get install fortunes, or give --text FILE")
        return written
    written = [write_language_model(path, corpus, ", ".join(Path(t).name for t in texts), recipe, variant=language)]
    words = write_lexicon(path, alphabet, (), extra=corpus, variant=language,
                          use=f"telling a short text in {language} (ocr.language.chosen_variant)")
    return written + ([words] if words is not None else [])
