"""The ``ocr`` command line: a thin Click layer over the :mod:`ocr` library.

Commands parse options, call one library function and format its result.
Keras and TensorFlow are imported inside commands so ``ocr --help`` is instant.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import sys

import click

from ocr.errors import OcrError, OutputExistsError
from ocr.formats import FORMATS
from training.config import FinetuneConfig, SignatureTrainConfig, TrainConfig, default

# TensorFlow's C++ start-up chatter would bury our one-line errors.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


class UserError(click.ClickException):
    """A library error shown as one line on stderr with exit status 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


class KerasCommand(click.Command):
    """A command that uses Keras: imported once options are parsed (so ``--help``
    stays instant), with TensorFlow's C++ start-up banner kept off stderr."""

    def invoke(self, ctx):
        from ocr.device import import_keras_quietly

        import_keras_quietly()
        return super().invoke(ctx)


class ReadCommand(click.Command):
    """A command that reads with models: on ONNX Runtime where the models have
    up-to-date exports (no Keras at all); otherwise Keras is imported quietly,
    as :class:`KerasCommand` does, before any work starts."""

    def models(self, ctx) -> list:
        from ocr.pipeline import models_needed

        return models_needed(ctx.params.get("model"), ctx.params.get("digits", False))

    def invoke(self, ctx):
        from ocr.device import import_keras_quietly
        from ocr.models.loader import runs_on_keras

        try:
            needs_keras = any(runs_on_keras(m) for m in self.models(ctx))
        except OcrError:
            needs_keras = False  # a bad model name: the command itself reports it
        if needs_keras:
            import_keras_quietly()
        return super().invoke(ctx)


class VerifyCommand(ReadCommand):
    """``verify-signature``: the one signature model on ONNX Runtime when it has an
    up-to-date export, else Keras, as for reading."""

    def models(self, ctx) -> list:
        from ocr.verify import DEFAULT_MODEL

        return [ctx.params.get("model") or DEFAULT_MODEL]


class OcrGroup(click.Group):
    """Maps the library's :class:`OcrError`, and any ``OSError`` (a full disk, a
    read-only folder, a closed pipe), to :class:`UserError`: one line, exit 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except OutputExistsError as exc:
            raise UserError(f"{exc}; pass --force to overwrite it") from None
        except OcrError as exc:
            raise UserError(str(exc)) from None
        except OSError as exc:
            from ocr.fileio import describe_os_error

            if exc.filename is None:
                _silence_stdout()  # what is left in stdout's buffer cannot be written either
            raise UserError(describe_os_error(exc)) from None
        except MemoryError:
            raise UserError("out of memory; try fewer or smaller inputs, or --jobs 1") from None


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that flushing it at exit does not print a second error."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        pass
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass


@click.group(cls=OcrGroup)
@click.version_option(package_name="ocr")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Errors only on stderr (no notes, warnings or progress).")
def main(verbose: int, quiet: bool) -> None:
    """OCR for handwriting, digit fields and hand-printed forms.

    \b
    Examples:
      ocr read scan.png
      ocr read --format hocr -o scan.hocr scan.png
      ocr models
    """
    level = logging.WARNING - 10 * min(verbose, 2) if verbose else logging.INFO
    if quiet:
        level = logging.ERROR
    logging.basicConfig(level=level, format="%(levelname)s: %(message)s", stream=sys.stderr)
    for noisy in ("absl", "tensorflow", "h5py"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


# --------------------------------------------------------------------- models
@main.command("models")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def models_command(as_json: bool) -> None:
    """List the bundled models, their classes, sizes and scores.

    \b
    Examples:
      ocr models
      ocr models --json
    """
    from ocr.models.registry import bundled

    rows = []
    for spec, card in bundled():
        scores = card.scores if card else {}
        rows.append({
            "name": spec.name, "kind": spec.kind,
            "description": card.description if card and card.description else spec.description,
            "classes": len(card.labels) if card else len(spec.labels),
            "labels": card.label_text if card else spec.labels,
            "parameters": card.parameters if card else None,
            "scores": {k: v["accuracy"] for k, v in scores.items() if "accuracy" in v},
            "cer": {k: v["cer"] for k, v in scores.items() if "cer" in v},
            "thresholds": card.thresholds if card else {},
            "file_bytes": spec.weights.stat().st_size if card else None, "path": str(spec.weights),
            "train_command": spec.train_command,
        })
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(f"{row['name']}: {row['description']}")
        if row["file_bytes"] is None:
            click.echo(f"  weights: missing (train with: {row['train_command']} --out {row['path']})")
            continue
        if row["labels"]:
            click.echo(f"  classes: {row['classes']} ({row['labels']})")
        click.echo(f"  parameters: {row['parameters']:,}   file: {row['file_bytes'] / 1e6:.1f} MB")
        for key, acc in row["scores"].items():
            if key in row.get("cer", {}):
                click.echo(f"  CER {row['cer'][key]:.2%}, strings read exactly {acc:.2%} on {key}")
            else:
                click.echo(f"  accuracy {acc:.2%} on {key}")
        for refs, threshold in row.get("thresholds", {}).items():
            click.echo(f"  threshold {threshold:.3f} with {refs} reference(s)")


@main.command("export", cls=KerasCommand)
@click.argument("model")
@click.option("--out", type=click.Path(dir_okay=False),
              help="ONNX file to write (default: beside the .keras file, same name, .onnx).")
def export_command(model, out) -> None:
    """Export MODEL (a registry name or a .keras file) to ONNX, so reading runs without TensorFlow.

    \b
    Examples:
      ocr export my_digits.keras     # writes my_digits.onnx beside it
      ocr export textline            # after retraining a bundled model
    """
    from ocr.models import load
    from ocr.models.runtime import export_onnx

    loaded = load(model, runtime="keras")
    click.echo(f"exported {export_onnx(loaded.kind.exported_network(loaded.net), loaded.path, out)}")


# ---------------------------------------------------------------------- train
def _training_options(func):
    options = [
        click.option("--dataset", help="Training data as NAME[:SPLIT][,NAME[:SPLIT]...]; "
                                       "default: the model's registry datasets."),
        click.option("--epochs", type=click.IntRange(1), default=default(TrainConfig, "epochs"),
                     show_default=True),
        click.option("--batch-size", type=click.IntRange(1), default=default(TrainConfig, "batch_size"),
                     show_default=True),
        click.option("--learning-rate", type=click.FloatRange(0, min_open=True),
                     default=default(TrainConfig, "learning_rate"), show_default=True),
        click.option("--data-dir", type=click.Path(file_okay=False),
                     help="Dataset folder (default: $OCR_DATA_DIR, then the cache)."),
        click.option("--out", type=click.Path(dir_okay=False), help="Output .keras file "
                     "(default: ./MODEL.keras)."),
        click.option("--resume", is_flag=True, help="Continue from the last epoch checkpoint."),
        click.option("--init", metavar="MODEL", help="Start from this model's weights (a registry name "
                     "or a .keras file of the same architecture): layers of the same name and shape are "
                     "copied, and the output layer row by row for the labels both have, so the label set "
                     "may grow."),
        click.option("--seed", type=int, default=default(TrainConfig, "seed"), show_default=True),
        click.option("--average", type=click.FloatRange(0, 1, min_open=True, max_open=True),
                     metavar="MOMENTUM", help="Save a moving average of the weights, updated every "
                     "step with this momentum (e.g. 0.998), instead of the last step's weights."),
        click.option("--force", is_flag=True, help="Overwrite an existing --out file."),
        click.option("--devices", type=click.IntRange(1), help="Train on N devices in data parallel "
                     "(JAX backend: KERAS_BACKEND=jax): the global batch is N x --batch-size, the learning "
                     "rate N x --learning-rate. Default: every visible accelerator."),
        click.option("--limit", type=click.IntRange(1), hidden=True,
                     help="Train on the first N images only (smoke tests)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _check_out_file(out: str) -> None:
    """Fail now, not after hours of training, when the model could not be saved."""
    from ocr.fileio import check_target

    check_target(out, what="model file")


@main.group("train", cls=OcrGroup)
def train_group() -> None:
    """Train a model: lenet, charnet, digitline, textline, handline, signature, or glyphs (fine-tuning).

    \b
    Examples:
      ocr train lenet --out lenet.keras
      ocr train glyphs my_glyphs/ --out mine.keras
    """


def _deslant_rule(value: str | None) -> dict | None | str:
    """``--deslant RULE``: a card's ``input.deslant`` as JSON, or ``none``; not given: the recipe's."""
    from training.config import RECIPE

    if value is None:
        return RECIPE
    from ocr.deslant import DeslantRule

    try:
        rule = DeslantRule.parse(value)
    except ValueError as exc:
        raise UserError(f"--deslant {value}: {exc}") from None
    return None if rule is None else rule.to_card()


def _run_training(model: str, **options) -> None:
    from training.train import TrainConfig, train

    out = options.pop("out") or f"{model}.keras"
    _check_out_file(out)
    result = train(TrainConfig(model=model, out=out, **options))
    for key, score in result.metadata["scores"].items():
        if "cer" in score:
            click.echo(f"CER {score['cer']:.4f}, strings read exactly {score['accuracy']:.4f} "
                       f"on {key} ({score['n']} strings)")
        else:
            click.echo(f"test accuracy {score['accuracy']:.4f} on {key} ({score['n']} images)")
    click.echo(f"saved {result.path}")


@train_group.command("lenet", cls=KerasCommand)
@_training_options
def train_lenet(**options) -> None:
    """Train the LeNet digit model (default data: MNIST train).

    \b
    Example:
      ocr train lenet --epochs 5 --out lenet.keras
    """
    _run_training("lenet", **options)


@train_group.command("charnet", cls=KerasCommand)
@_training_options
def train_charnet(**options) -> None:
    """Train the character CNN (default data: EMNIST ByClass test + MNIST train).

    \b
    Example:
      ocr train charnet --out charnet.keras
    """
    _run_training("charnet", **options)


@train_group.command("digitline", cls=KerasCommand)
@_training_options
@click.option("--strings", type=click.IntRange(1), default=default(TrainConfig, "strings"), show_default=True,
              help="Digit strings composed for training.")
def train_digitline(**options) -> None:
    """Train the digit-line model (CRNN + CTC) on MNIST and cheque digits composed into
    strings, and on real cheque amounts (ORAND-CAR-A's train half, when at hand).

    \b
    Example:
      ocr train digitline --strings 20000 --out digitline.keras
    """
    _run_training("digitline", **options)


@train_group.command("textline", cls=KerasCommand)
@_training_options
@click.option("--lines", "strings", type=click.IntRange(1), default=120_000, show_default=True,
              help="Text lines rendered from the system fonts for training.")
def train_textline(**options) -> None:
    """Train the print line model (CRNN + CTC) on text lines rendered from fonts.

    \b
    Example:
      ocr train textline --lines 50000 --out textline.keras
    """
    _run_training("textline", **options)


@train_group.command("handline", cls=KerasCommand)
@_training_options
@click.option("--deslant", metavar="RULE",
              help='How every training and validation line is sheared upright before its random '
                   'variants are drawn, written into the card (input.deslant) so the model reads lines '
                   'the same way: JSON \'{"estimate_factor": F}\' (F x the line\'s estimated slant) or '
                   '\'{"shear": S}\', or none.  [default: the bundled recipe\'s, {"estimate_factor": 0.3}]')
def train_handline(deslant, **options) -> None:
    """Train the handwriting line model (CRNN + CTC, 48-row input) on real cursive lines:
    the training writers of Testaments de Poilus (in $OCR_DATA_DIR/handwriting), each line
    deslanted as the bundled card reads it and redrawn at random every epoch; scored on the
    test writers.

    \b
    Example:
      ocr train handline --epochs 60 --batch-size 16 --learning-rate 1e-3 --out handline.keras
    """
    _run_training("handline", deslant=_deslant_rule(deslant), **options)


@train_group.command("language")
@click.argument("model")
@click.option("--text", "texts", multiple=True, type=click.Path(),
              help="UTF-8 text to count, one line per line (repeatable); default: the text the model "
                   "was trained on (textline: its renders' text generator; handline: the training "
                   "writers' transcripts under --data-dir and English prose from Debian's fortunes).")
@click.option("--order", type=click.IntRange(1, 9), help="Characters of context + 1 (default: the model's recipe).")
@click.option("--alpha", type=click.FloatRange(0), help="Weight of the language model in decoding.")
@click.option("--beta", type=float, help="Bonus per character read (longer readings).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--variant", metavar="LANG",
              help="Write the model's language variant for LANG (ISO 639 code, MODEL.LANG.lm.json.gz, and "
                   "the text's words, MODEL.LANG.lexicon.txt.gz) from --text instead: pages whose first "
                   "reading it explains nearly as well as the model's own language model are decoded with "
                   "it (handline: `--variant en` without --text counts English prose again).")
@click.option("--force", is_flag=True, help="Overwrite existing language models.")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Dataset folder (default: $OCR_DATA_DIR).")
def train_language(model, texts, order, alpha, beta, seed, variant, force, data_dir) -> None:
    """Count the character language model a line model decodes with, and write it beside
    the model (MODEL.lm.json.gz): `ocr read` then reads that model's lines with it. For a
    model that reads no spaces (textline, digitline) the same text with its spaces is
    counted too (MODEL.spaces.lm.json.gz): it settles the gaps that could part words or not.
    For textline without --text, its word list is written again too (MODEL.lexicon.txt.gz,
    from Debian's wamerican, wbritish and wfrench): a word read that is none is spelt as
    the word its letters' second readings make. For handline the word list (the same lists,
    and the words of --text) is weighed in the beam search instead: each word read gains
    when it is a word and loses when it is none; its English variant
    (MODEL.en.lm.json.gz, all of the English prose) is written again too.

    A language variant (--variant LANG) holds one language's text on its own: a page
    whose first reading it scores nearly as well as the model's own (mixed) language
    model is decoded again with it.

    \b
    Examples:
      ocr train language textline --force
      ocr train language handline --force
      ocr train language handline --variant de --text german_letters.txt
      ocr train language my_textline.keras --text my_forms_vocabulary.txt
    """
    from training.language import build_language_model, build_language_variant

    if variant is not None:
        paths = build_language_variant(model, variant, texts, order=order, alpha=alpha, beta=beta, seed=seed,
                                       force=force)
    else:
        paths = build_language_model(model, texts, order=order, alpha=alpha, beta=beta, seed=seed, force=force,
                                     data_dir=data_dir)
    for path in paths:
        click.echo(f"saved {path}")


@train_group.command("glyphs", cls=KerasCommand)
@click.argument("glyphs", type=click.Path(file_okay=False))
@click.option("--base", default="charnet", show_default=True,
              help="Model to start from: charnet, lenet, a line model (digitline, textline, handline: GLYPHS is "
                   "then a folder of line images with .gt.txt transcripts, or of pages with PAGE / ALTO XML) "
                   "or a .keras path (never modified).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Output .keras file.")
# Defaults come from training.config.FinetuneConfig, which is what bench/custom_glyphs.py measures.
@click.option("--epochs", type=click.IntRange(1), default=default(FinetuneConfig, "epochs"), show_default=True)
@click.option("--batch-size", type=click.IntRange(1), default=default(FinetuneConfig, "batch_size"),
              show_default=True)
@click.option("--learning-rate", type=click.FloatRange(0, min_open=True),
              help="Default: 3e-3 for a glyph model's new head, 5e-4 for a line model.")
@click.option("--replay-per-class", type=click.IntRange(0), default=default(FinetuneConfig, "replay_per_class"),
              show_default=True,
              help="Rehearsal samples of each old class mixed in against forgetting.")
@click.option("--holdout", type=click.FloatRange(0, 0.9), default=default(FinetuneConfig, "holdout"),
              show_default=True,
              help="Share of each class's samples held out to score before and after.")
@click.option("--train-features", is_flag=True,
              help="Also fine-tune the convolutional features (adapts more, forgets more).")
@click.option("--data-dir", type=click.Path(file_okay=False),
              help="Where the base model's training data is, for rehearsal.")
@click.option("--seed", type=int, default=default(FinetuneConfig, "seed"), show_default=True)
@click.option("--force", is_flag=True, help="Overwrite an existing --out file.")
def train_glyphs(**options) -> None:
    """Teach a model the glyphs in GLYPHS/<label>/*.png (new classes or adaptation).

    With a line model as --base, adapt it to the line images in GLYPHS that
    have a NAME.gt.txt transcript beside them, and to the lines of the pages
    that have a PAGE or ALTO XML file beside them (line polygons and their
    text, as eScriptorium, Transkribus and kraken export them).

    \b
    Examples:
      ocr train glyphs my_glyphs/ --out mine.keras
      ocr train glyphs lines/ --base textline --out mine.keras
    """
    from training.finetune import finetune

    _check_out_file(options["out"])
    result = finetune(FinetuneConfig(**options))
    for text in result.warnings:
        click.echo(f"Warning: {text}", err=True)
    for line in result.report:
        click.echo(line)
    click.echo(f"saved {result.path}")


@main.group("glyphs", cls=OcrGroup)
def glyphs_group() -> None:
    """Make glyph folders for `ocr train glyphs`.

    \b
    Example:
      ocr glyphs extract page.png --out my_glyphs/
    """


@glyphs_group.command("extract", cls=KerasCommand)
@click.argument("images", nargs=-1, required=True, type=click.Path())
@click.option("--text", type=click.Path(dir_okay=False),
              help="Transcript of a single page (default: NAME.gt.txt beside each image).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Glyph folder to fill.")
@click.option("--model", default="charnet", show_default=True,
              help="Model used to split touching characters, as in `ocr read`.")
def glyphs_extract(images, text, out, model) -> None:
    """Segment pages or line images like `ocr read` and label their glyphs from the transcript.

    \b
    Example:
      ocr glyphs extract page.png --text page.txt --out my_glyphs/
    """
    from ocr.io import expand_inputs
    from training.extract import extract_many

    from ocr.fileio import check_folder

    check_folder(out, what="glyph folder")
    report = extract_many(expand_inputs(list(images)), out, model=model, text=text)
    for line in report.skipped:
        click.echo(f"Warning: {line.source} line {line.line}: transcript has {line.expected} "
                   f"characters, segmentation found {line.found}; skipped", err=True)
    for problem in report.problems:
        click.echo(f"Error: {problem}", err=True)
    if report.written == 0:
        raise UserError("no glyphs written: no line's character count matched its transcript")
    kept = sum(1 for line in report.lines if line.written)
    click.echo(f"wrote {report.written} glyphs from {kept} of {len(report.lines)} lines to {out}")
    if report.problems:
        click.get_current_context().exit(2)


# ------------------------------------------------------------------- evaluate
@main.command("evaluate", cls=KerasCommand)
@click.argument("model")
@click.option("--dataset", required=True,
              help="Dataset name (mnist, emnist-bymerge, ...; mnist-strings, printed-lines, "
                   "orand-car-a or testaments-de-poilus for line models) or a glyph folder "
                   "DIR/<label>/*.png.")
@click.option("--split", type=click.Choice(["train", "val", "test", "all"]), default="test", show_default=True,
              help="For orand-car-a: test (odd rows of gt.tsv, never trained on), train or all; for "
                   "testaments-de-poilus: the writer split (val: the validation writers).")
@click.option("--exclude", multiple=True, metavar="DATASET:SPLIT",
              help="Drop images pixel-identical to this split (repeatable).")
@click.option("--data-dir", type=click.Path(file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--confusion", type=click.Path(dir_okay=False), help="Save a confusion-matrix PNG.")
def evaluate_command(model, dataset, split, exclude, data_dir, as_json, confusion) -> None:
    """Score MODEL (a registry name or a .keras file) on a dataset split.

    \b
    Examples:
      ocr evaluate charnet --dataset emnist-bymerge
      ocr evaluate digitline --dataset orand-car-a --split test
    """
    from ocr.models import load, read_card

    if confusion:
        from ocr.fileio import check_target

        check_target(confusion, what="--confusion image")
    trainer = read_card(model).kind_object.trainer()()
    given = {"exclude": exclude, "confusion": confusion}
    unused = [f"--{name}" for name, value in given.items() if value and name not in trainer.evaluation_options]
    if unused:
        raise UserError(f"{', '.join(unused)}: not for a {trainer.kind} model")
    report = trainer.evaluate(load(model, runtime="keras"), dataset, split, exclude, data_dir, confusion)
    if as_json:
        click.echo(json.dumps({"model": str(model), **report.to_dict()}))
        return
    for line in report.summary(str(model)):
        click.echo(line)
    if confusion:
        click.echo(f"confusion matrix saved to {confusion}")


# ---------------------------------------------------------------- read (issue 3)
def _overlay_path(base: str, page: int, several: bool) -> str:
    """One overlay file per page: OUT.png, or OUT-<n>.png when there are several inputs or pages.

    A device or FIFO (/dev/null, a pipe) gets every page: no file is made beside it.
    """
    from ocr.fileio import is_special

    if not several or is_special(base):
        return base
    stem, dot, ext = base.rpartition(".")
    stem, ext = (stem, ext) if dot else (base, "png")
    return f"{stem}-{page}.{ext}"


@main.command("read", cls=ReadCommand)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="text", show_default=True,
              help="Output format: " + "; ".join(f"{f.name}: {f.description}" for f in FORMATS.values()) + ".")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), help="Write to FILE "
              "(atomically) instead of stdout; '-' is stdout. With --format page and several pages: "
              "FILE-1.xml, FILE-2.xml, ...")
@click.option("--dpi", type=click.FloatRange(1, 10_000), help="Resolution of the inputs, for the PDF page "
              "size and hOCR/PAGE (default: what the file states, else 300).")
@click.option("--model", help="Model: auto (default: textline for printed lines, handline for cursive "
              "lines and charnet for hand print among those it is unsure of), a registry name "
              "(charnet, lenet; line models digitline, textline, handline) "
              "or a .keras path.")
@click.option("--digits", is_flag=True, help="Digit fields: output digits only, read with the digitline "
              "line model (--model lenet: glyph by glyph with LeNet).")
@click.option("--charset", help="Only output these characters (a whitelist), e.g. '0123456789.,'.")
@click.option("--no-language-model", is_flag=True,
              help="Decode line models by best path, without the language model, word-space model "
                   "and word list beside them (handline's is French testaments: turn it off for "
                   "other text; textline's word list is English and French words).")
@click.option("--binarize", "binarization", type=click.Choice(["auto", "otsu", "otsu3", "sauvola"]),
              default="auto", show_default=True)
@click.option("--no-deskew", is_flag=True,
              help="Do not estimate and correct skew, nor turn pages that lie at 90/180/270 degrees.")
@click.option("--keep-lines", is_flag=True, help="Do not remove ruled lines and box borders.")
@click.option("--layout", "layout", type=click.Choice(["auto", "block", "line", "word"]), default="auto",
              show_default=True,
              help="Page mode: auto finds image regions, blocks and lines; block reads the page as one "
                   "block, lines top to bottom (no columns); line reads each image as one text line (a "
                   "line image, a field, a cursive line); word as one word.")
@click.option("--overlay", type=click.Path(dir_okay=False),
              help="Save a PNG with blocks (text, image, rule), lines, words and characters drawn "
                   "(OUT-N.png per page when "
                   "there are several inputs or pages).")
@click.option("--jobs", type=click.IntRange(1), default=1, show_default=True,
              help="Threads preparing pages (preprocessing, segmentation) ahead of recognition.")
@click.option("--out-dir", type=click.Path(file_okay=False), metavar="DIR", help="Batch: one result file per input in "
              "DIR (paths inside a folder argument kept), written atomically; inputs whose result exists "
              "are skipped, so a rerun resumes; failures listed in DIR/failures.tsv.")
@click.option("--force", is_flag=True, help="With --out-dir: read again the inputs whose result exists.")
@click.option("--ray", "ray_address", metavar="ADDRESS", help="With --out-dir: run the batch on a Ray "
              "cluster (auto, ray://HOST:PORT, or local to start one here); needs the ray extra, "
              "pip install '.[ray]'.")
@click.option("--ray-workers", type=click.IntRange(1), default=2, show_default=True,
              help="With --ray: actors reading pages, each loading the models once.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar, warnings or notes on stderr; errors only.")
@click.pass_context
def read_command(ctx, inputs, fmt, output, dpi, model, digits, charset, no_language_model, binarization,
                 no_deskew, keep_lines, layout, overlay, jobs, out_dir, force, ray_address, ray_workers, quiet) -> None:
    """Read the text of images, PDFs or directories of them ('-' reads stdin).

    -o and --overlay write through devices, FIFOs and symbolic links, refuse
    to overwrite an input, and leave an existing file untouched when no page
    was read.

    \b
    Examples:
      ocr read scan.png
      ocr read --format pdf -o searchable.pdf scan1.png scan2.png
      ocr read --format alto -o page.xml scan.tif
      ocr read scans/ --out-dir ocr/ --format json
    """
    from ocr import export
    from ocr.errors import ImageError
    from ocr.fileio import InputFiles, check_target, write_bytes_atomic, write_text_atomic
    from ocr.formats import render_pages
    from ocr.formats.pdf import encode_image
    from ocr.io import IMAGE_SUFFIXES, expand_inputs, open_pages
    from ocr.pipeline import Document, Predictor

    quiet = quiet or _quiet(ctx)
    if quiet:  # for this command only (the level is the process's, and tests run many commands)
        root = logging.getLogger()
        ctx.call_on_close(lambda level=root.level: root.setLevel(level))
        root.setLevel(logging.ERROR)
    if out_dir is not None or force or ray_address:
        return _read_batch(inputs, fmt, output, overlay, out_dir, force, ray_address, ray_workers, jobs, dpi,
                           quiet, dict(model=model, digits=digits, charset=charset, binarization=binarization,
                                       deskew=not no_deskew, remove_lines=not keep_lines, layout=layout,
                                       language_model=not no_language_model))
    if output == "-":
        output = None
    items = expand_inputs(list(inputs))
    if not items:
        raise UserError(f"nothing to read: {', '.join(inputs)} holds no image or PDF files "
                        f"({', '.join(sorted(set(IMAGE_SUFFIXES)))})")
    _batch_inference_threads(jobs, len(items))
    # Before any work: a target that is an input, or that cannot be written, is found now.
    protected = InputFiles(items)
    if output:
        check_target(output, protected, "-o output")
    if overlay:
        check_target(overlay, protected, "--overlay")
    predictor = Predictor(model, digits=digits, charset=charset, binarization=binarization,
                          deskew=not no_deskew, remove_lines=not keep_lines, layout=layout,
                          language_model=not no_language_model)
    failed = 0
    page_counts: dict[str, int] = {}
    images: list[bytes] = []
    bar = None
    known = len(items)  # pages: each input counts one until it is opened, then as many as it has
    stack = contextlib.ExitStack()

    def progress():
        nonlocal bar
        if bar is None and not quiet and known > 1:
            bar = stack.enter_context(click.progressbar(length=known, label="reading pages",
                                                        show_pos=True, file=sys.stderr))
        elif bar is not None:
            bar.length = known
        return bar

    def report(exc: Exception) -> None:
        nonlocal failed
        click.echo(f"Error: {exc}", err=True)
        failed += 1

    def pages():
        # One input opened at a time and its pages decoded as reading reaches
        # them: a long batch or a long PDF never sits in memory.
        nonlocal known
        for item in items:
            try:
                source = open_pages(item)
            except ImageError as exc:  # one line per bad input; the others are still read
                report(exc)
                if progress():
                    bar.update(1)
                continue
            page_counts[source.name] = len(source)
            known += len(source) - 1
            progress()
            try:
                yield from source
            except ImageError as exc:  # a page that cannot be decoded, after the pages before it
                report(exc)

    def page_failed(page, exc: Exception) -> None:
        report(exc)
        if bar:
            bar.update(1)

    results = []
    with stack:
        for image, page in predictor.iter_read(pages(), jobs=jobs, on_error=page_failed):
            results.append(page)
            if page.blank and not quiet:
                click.echo(f"Warning: {page.source}: page {page.index + 1} is blank (no ink, or only noise), "
                           "no text", err=True)
            if overlay:
                png = export.encode_png(export.draw_overlay(image.image, page))
                several = len(items) > 1 or page_counts[page.source] > 1
                target = _overlay_path(overlay, len(results), several)
                if target != overlay:
                    check_target(target, protected, "--overlay")
                write_bytes_atomic(target, png)
            if fmt == "pdf":
                images.append(encode_image(image.image))
            if bar:
                bar.update(1)
    if not results:
        # Nothing was read: an earlier result in -o is worth more than an empty one.
        predictor.recognizer  # a model that failed to load is still reported
        if output:
            click.echo(f"Error: no page was read; {output} left unchanged", err=True)
        ctx.exit(2)
    doc = Document(results, model=predictor.recognizer.model_name)
    options = {"images": images} if fmt == "pdf" else {}
    if fmt in ("hocr", "page", "pdf"):
        options["dpi"] = dpi
    outputs = render_pages(doc, fmt, **options)
    if len(outputs) > 1 and not output:
        raise UserError(f"--format {fmt} writes one file per page: give -o FILE for these {len(outputs)} pages")
    for n, text in enumerate(outputs, start=1):
        if output:
            target = _overlay_path(output, n, len(outputs) > 1)
            if target != output:
                check_target(target, protected, "-o output")
            (write_bytes_atomic if isinstance(text, bytes) else write_text_atomic)(target, text)
        elif isinstance(text, bytes):
            sys.stdout.buffer.write(text)
            sys.stdout.buffer.flush()
        elif text:
            click.echo(text, nl=False)
    if failed:
        ctx.exit(2)


def _batch_inference_threads(jobs: int, inputs: int) -> None:
    """Several inputs with --jobs: pages are analysed on other threads while one is
    recognized, so the forward passes take one core (see set_inference_threads)."""
    if jobs > 1 and inputs > 1:
        from ocr.models.runtime import inference_threads, set_inference_threads

        # For this command only: the setting is the process's, and tests run many commands.
        click.get_current_context().call_on_close(lambda n=inference_threads(): set_inference_threads(n))
        set_inference_threads(1)


def _read_batch(inputs, fmt, output, overlay, out_dir, force, ray_address, ray_workers, jobs, dpi, quiet,
                options) -> None:
    """``ocr read --out-dir``: plan, read (here or on Ray), summary line and failures list."""
    from ocr.batch import plan, run_batch, write_failures

    if out_dir is None:
        raise UserError(f"{'--force' if force else '--ray'} is for batches: give --out-dir DIR")
    if output:
        raise UserError("-o and --out-dir exclude each other: --out-dir writes one file per input")
    if overlay:
        raise UserError("--overlay is not available with --out-dir")
    if ray_address:
        from ocr.ray_batch import preflight

        preflight(options)
    batch = plan(list(inputs), out_dir, fmt)
    with contextlib.ExitStack() as stack:
        bar = None if quiet else stack.enter_context(
            click.progressbar(length=len(batch.jobs), label="reading inputs", show_pos=True, file=sys.stderr))

        def outcome(done) -> None:
            if done.status == "failed":
                click.echo(f"Error: {done.error}", err=True)
            if bar is not None:
                bar.update(1)

        if ray_address:
            from ocr.ray_batch import run_on_ray

            summary = run_on_ray(batch, ray_address, options, workers=ray_workers, force=force, jobs=jobs,
                                 dpi=dpi, on_outcome=outcome)
        else:
            from ocr.pipeline import Predictor

            _batch_inference_threads(jobs, len(batch.jobs))
            summary = run_batch(batch, Predictor(**options), force=force, jobs=jobs, dpi=dpi,
                                on_outcome=outcome)
    failures = write_failures(out_dir, summary.failed)
    if not quiet:
        click.echo(summary.line() + (f" (listed in {failures})" if failures else ""), err=True)
    if summary.failed:
        click.get_current_context().exit(2)


def _quiet(ctx) -> bool:
    """Whether ``ocr -q`` was given before the command."""
    return bool(ctx.find_root().params.get("quiet"))


# ------------------------------------------------------ verify-signature (issue 4)
@main.command("verify-signature", cls=VerifyCommand)
# Plain strings, not click.Path checks: bad files must give our one-line error, not a usage page.
@click.argument("questioned")
@click.option("--reference", "-r", "references", multiple=True, metavar="FILE",
              help="A genuine signature of the writer (repeatable; 3 to 5 work best).")
@click.option("--enrolled", "-e", metavar="FILE",
              help="The writer's references as ocr enroll-signature saved them, instead of -r.")
@click.option("--threshold", type=click.FloatRange(0, 1),
              help="Accept when the score reaches this (default: the model's calibrated one).")
@click.option("--model", help="A signature .keras file (default: the bundled signet, or the "
                              "enrollment's model).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def verify_signature_command(ctx, questioned, references, enrolled, threshold, model, as_json) -> None:
    """Check QUESTIONED against genuine --reference signatures (or an --enrolled set).

    Exit status: 0 genuine, 1 forged or a copy of a reference (decision
    "identical"), 2 error.

    \b
    Examples:
      ocr verify-signature questioned.png -r genuine1.png -r genuine2.png -r genuine3.png
      ocr verify-signature questioned.png --enrolled writer.npz
    """
    from ocr.verify import format_verification, load_enrollment, verify_signature

    if enrolled and references:
        raise UserError("give the references either as -r files or as one --enrolled file, not both")
    # Library errors propagate to OcrGroup (one line, exit 2); only the verdict sets 0/1,
    # so anything unexpected must be exit 2 as well: 1 would say "forged".
    try:
        refs = load_enrollment(enrolled) if enrolled else list(references)
        result = verify_signature(refs, questioned, threshold=threshold, model=model)
        if as_json:
            click.echo(json.dumps(result))
        else:
            click.echo(format_verification(result))
        genuine = result["decision"] == "genuine"
    except (OcrError, OSError, MemoryError, click.ClickException):
        raise
    except Exception as exc:
        logging.getLogger("ocr").debug("verify-signature failed", exc_info=True)
        message = f"{type(exc).__name__}: {exc}".splitlines()[0]
        raise UserError(f"cannot verify the signature ({message}); -vv shows the details") from None
    ctx.exit(0 if genuine else 1)


@main.command("enroll-signature", cls=VerifyCommand)
@click.argument("references", nargs=-1, required=True)
@click.option("--out", "-o", required=True, metavar="FILE",
              help="Where to save the enrollment (.npz; - is not allowed, it is binary).")
@click.option("--model", help="A signature .keras file (default: the bundled signet).")
@click.option("--force", is_flag=True, help="Overwrite an existing enrollment.")
def enroll_signature_command(references, out, model, force) -> None:
    """Read and embed a writer's genuine REFERENCES once, for ocr verify-signature --enrolled.

    Each later check then reads and embeds the questioned scan only. The file
    holds the references' embeddings and their preprocessed images (for the
    copy check), not the scans, and works only with the model that made it.

    \b
    Example:
      ocr enroll-signature genuine1.png genuine2.png genuine3.png -o writer.npz
    """
    from ocr.verify import check_enrollment_target, enroll_signatures, save_enrollment

    if out == "-":
        raise UserError("--out -: an enrollment is binary; name a file")
    check_enrollment_target(out, force=force, inputs=references)  # before the work, not after it
    enrollment = enroll_signatures(list(references), model=model)
    save_enrollment(enrollment, out, force=force)
    click.echo(f"enrolled {len(enrollment)} reference{'s' if len(enrollment) != 1 else ''} in {out}")


@train_group.command("signature", cls=KerasCommand)
@click.option("--data", type=click.Path(file_okay=False),
              help="Folder of <writer>/genuine/* and <writer>/forged/*, or the sign_data layout "
                   "(default: $OCR_DATA_DIR/signatures/sign_data_sigcomp2011).")
@click.option("--out", type=click.Path(dir_okay=False), default=default(SignatureTrainConfig, "out"),
              show_default=True)
@click.option("--epochs", type=click.IntRange(1), default=default(SignatureTrainConfig, "epochs"), show_default=True,
              help="Epochs; the one with the lowest validation EER is kept.")
@click.option("--steps-per-epoch", type=click.IntRange(1), default=default(SignatureTrainConfig, "steps_per_epoch"),
              show_default=True)
@click.option("--learning-rate", type=click.FloatRange(0, min_open=True),
              default=default(SignatureTrainConfig, "learning_rate"), show_default=True)
@click.option("--margin", type=click.FloatRange(0, min_open=True), default=default(SignatureTrainConfig, "margin"),
              show_default=True,
              help="Contrastive-loss margin (embedding distances lie in 0..2).")
@click.option("--val-writers", type=click.IntRange(1), default=default(SignatureTrainConfig, "val_writers"),
              show_default=True,
              help="Writers held out to calibrate the threshold.")
@click.option("--network-weight", type=click.FloatRange(0, 1),
              default=default(SignatureTrainConfig, "network_weight"), show_default=True,
              help="The network's share of the score when its embedding is joined with the "
                   "hand-crafted descriptor (1: the network alone).")
@click.option("--hand-features", type=click.Choice(["stroke_texture", "stroke_directions"]),
              default=default(SignatureTrainConfig, "hand_features"), show_default=True,
              help="The descriptor joined to the network: local binary patterns of the strong ink, "
                   "or gradient-direction histograms (models before session 19).")
@click.option("--seed", type=int, default=default(SignatureTrainConfig, "seed"), show_default=True)
@click.option("--force", is_flag=True, help="Overwrite an existing --out file.")
@click.option("--input-size", metavar="HxW",
              help="Network input size (default 150x240); smaller trains faster and sees less "
                   "stroke detail.")
@click.option("--recalibrate", "recalibrate", metavar="MODEL",
              help="Train nothing: keep MODEL's network, join it with --hand-features at "
                   "--network-weight and calibrate the thresholds again on MODEL's own "
                   "calibration writers (found in --data).")
def train_signature_command(data, input_size, recalibrate, **options) -> None:
    """Train the Siamese signature verifier and calibrate its threshold.

    \b
    Examples:
      ocr train signature --data signatures/ --out signet.keras
      ocr train signature --recalibrate signet --out signet_new.keras
    """
    from training.signatures import default_data_dir, refit_fusion, train_signature

    data = data or default_data_dir()
    if data is None:
        raise UserError("no --data folder given and OCR_DATA_DIR is not set")
    if recalibrate:
        _check_out_file(options["out"])
        path, meta = refit_fusion(recalibrate, data, options["out"], options["network_weight"],
                                  options["hand_features"], force=options["force"], seed=options["seed"])
        _echo_thresholds(meta)
        click.echo(f"saved {path}")
        return
    extra = {}
    if input_size:
        from ocr.signature import parse_input_size

        try:
            extra["input_shape"] = parse_input_size(input_size)
        except OcrError as exc:
            raise UserError(f"--input-size: {exc}") from None
    _check_out_file(options["out"])
    path, meta = train_signature(SignatureTrainConfig(data=str(data), **options, **extra))
    _echo_thresholds(meta)
    click.echo(f"saved {path}")


def _echo_thresholds(meta: dict) -> None:
    """One line per reference count: the calibrated threshold and its validation EER."""
    for k, value in meta["thresholds"].items():
        eer = meta["calibration"]["eer"][meta["combine"]][k]["eer"]
        click.echo(f"{k} reference(s): threshold {value:.4f}, validation EER {eer:.2%} "
                   f"({meta['combine']}, writers {', '.join(meta['calibration']['writers'])})")



# ----------------------------------------------------------------------- data
@main.group("data", cls=OcrGroup)
def data_group() -> None:
    """Find and download datasets (nothing else in ocr uses the network).

    \b
    Examples:
      ocr data list
      ocr data download mnist
    """


@data_group.command("list")
@click.option("--data-dir", type=click.Path(file_okay=False),
              help="Dataset folder (default: $OCR_DATA_DIR, then the download cache).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def data_list(data_dir, as_json) -> None:
    """Each dataset: where it was found, or that it is missing and how to get it.

    \b
    Example:
      ocr data list --json
    """
    from ocr.paths import data_search_dirs
    from training.datasets import DATASETS

    rows = []
    for spec in DATASETS.values():
        found = spec.find(data_dir)
        rows.append({"name": spec.name, "description": spec.description,
                     "path": str(found) if found else None, "downloadable": spec.downloadable,
                     "hint": None if found else spec.missing_hint()})
    if as_json:
        click.echo(json.dumps({"searched": [str(d) for d in data_search_dirs(data_dir)], "datasets": rows}))
        return
    click.echo("searched: " + ", ".join(str(d) for d in data_search_dirs(data_dir)))
    for row in rows:
        click.echo(f"{row['name']:16} {row['path'] or 'missing'}")
        if row["hint"]:
            click.echo(f"{'':16} {row['hint']}")


@data_group.command("download")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
def data_download(names) -> None:
    """Download datasets (MNIST, EMNIST) over HTTPS into the user cache, SHA-256 checked.

    \b
    Example:
      ocr data download mnist emnist-byclass
    """
    from training.datasets.download import download
    from training.datasets.registry import get_spec

    for name in names:
        get_spec(name)  # every name checked before the first download
    for name in names:
        paths = download(name)
        click.echo(f"{name}: {len(paths)} files in {paths[0].parent}" if paths else f"{name}: nothing to fetch")


if __name__ == "__main__":
    main()
