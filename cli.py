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

from ocr.errors import OcrError

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


class OcrGroup(click.Group):
    """Maps the library's :class:`OcrError`, and any ``OSError`` (a full disk, a
    read-only folder, a closed pipe), to :class:`UserError`: one line, exit 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
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
def main(verbose: int) -> None:
    """OCR for handwriting, digit fields and hand-printed forms."""
    level = logging.WARNING - 10 * min(verbose, 2) if verbose else logging.INFO
    logging.basicConfig(level=level, format="%(levelname)s: %(message)s", stream=sys.stderr)
    for noisy in ("absl", "tensorflow", "h5py"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


# --------------------------------------------------------------------- models
@main.command("models")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def models_command(as_json: bool) -> None:
    """List the bundled models, their classes, sizes and scores."""
    from ocr.models.registry import WEIGHTS_DIR, bundled
    from ocr.models.store import read_metadata

    rows = []
    for spec, meta in bundled():
        size = spec.weights.stat().st_size if meta is not None else None
        rows.append({
            "name": spec.name, "description": spec.description,
            "classes": len(meta["labels"]) if meta else len(spec.labels),
            "labels": "".join(meta["labels"]) if meta else spec.labels,
            "parameters": meta.get("parameters") if meta else None,
            "scores": {k: v["accuracy"] for k, v in (meta or {}).get("scores", {}).items()},
            "cer": {k: v["cer"] for k, v in (meta or {}).get("scores", {}).items() if "cer" in v},
            "file_bytes": size, "path": str(spec.weights),
        })
    signet = WEIGHTS_DIR / "signet.keras"
    if signet.is_file():
        meta = read_metadata(signet)
        rows.append({
            "name": "signet", "description": meta.get("description", "signature verifier"),
            "classes": 2, "labels": "genuine/forged", "parameters": meta.get("parameters"),
            "scores": {}, "thresholds": meta.get("thresholds", {}),
            "file_bytes": signet.stat().st_size, "path": str(signet),
        })
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(f"{row['name']}: {row['description']}")
        if row["file_bytes"] is None:
            click.echo("  weights: missing (train with: ocr train {0} --out {1})".format(row["name"], row["path"]))
            continue
        click.echo(f"  classes: {row['classes']} ({row['labels']})")
        click.echo(f"  parameters: {row['parameters']:,}   file: {row['file_bytes'] / 1e6:.1f} MB")
        for key, acc in row["scores"].items():
            if key in row.get("cer", {}):
                click.echo(f"  CER {row['cer'][key]:.2%}, strings read exactly {acc:.2%} on {key}")
            else:
                click.echo(f"  accuracy {acc:.2%} on {key}")
        for refs, threshold in row.get("thresholds", {}).items():
            click.echo(f"  threshold {threshold:.3f} with {refs} reference(s)")


# ---------------------------------------------------------------------- train
def _training_options(func):
    options = [
        click.option("--dataset", help="Training data as NAME[:SPLIT][,NAME[:SPLIT]...]; "
                                       "default: the model's registry datasets."),
        click.option("--epochs", type=click.IntRange(1), default=15, show_default=True),
        click.option("--batch-size", type=click.IntRange(1), default=128, show_default=True),
        click.option("--learning-rate", type=click.FloatRange(0, min_open=True), default=2e-3,
                     show_default=True),
        click.option("--data-dir", type=click.Path(file_okay=False),
                     help="Dataset folder (default: $OCR_DATA_DIR, then the cache)."),
        click.option("--out", type=click.Path(dir_okay=False), help="Output .keras file "
                     "(default: ./MODEL.keras)."),
        click.option("--resume", is_flag=True, help="Continue from the last epoch checkpoint."),
        click.option("--seed", type=int, default=0, show_default=True),
        click.option("--force", is_flag=True, help="Overwrite an existing --out file."),
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
    """Train a model: lenet, charnet, digitline, textline, signature, or glyphs (fine-tuning)."""


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
    """Train the LeNet digit model (default data: MNIST train)."""
    _run_training("lenet", **options)


@train_group.command("charnet", cls=KerasCommand)
@_training_options
def train_charnet(**options) -> None:
    """Train the character CNN (default data: EMNIST ByClass test + MNIST train)."""
    _run_training("charnet", **options)


@train_group.command("digitline", cls=KerasCommand)
@_training_options
@click.option("--strings", type=click.IntRange(1), default=60_000, show_default=True,
              help="Digit strings composed for training.")
def train_digitline(**options) -> None:
    """Train the digit-line model (CRNN + CTC) on MNIST and cheque digits composed into
    strings, and on real cheque amounts (ORAND-CAR-A's train half, when at hand)."""
    _run_training("digitline", **options)


@train_group.command("textline", cls=KerasCommand)
@_training_options
@click.option("--lines", "strings", type=click.IntRange(1), default=120_000, show_default=True,
              help="Text lines rendered from the system fonts for training.")
def train_textline(**options) -> None:
    """Train the print line model (CRNN + CTC) on text lines rendered from fonts."""
    _run_training("textline", **options)


@train_group.command("glyphs", cls=KerasCommand)
@click.argument("glyphs", type=click.Path(file_okay=False))
@click.option("--base", default="charnet", show_default=True,
              help="Model to start from: charnet, lenet, a line model (digitline, textline: GLYPHS is "
                   "then a folder of line images with .gt.txt transcripts) or a .keras path (never modified).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Output .keras file.")
# Defaults equal training.finetune.FinetuneConfig's (tests/test_cli.py checks),
# which is what bench/custom_glyphs.py measures.
@click.option("--epochs", type=click.IntRange(1), default=20, show_default=True)
@click.option("--batch-size", type=click.IntRange(1), default=64, show_default=True)
@click.option("--learning-rate", type=click.FloatRange(0, min_open=True),
              help="Default: 3e-3 for a glyph model's new head, 5e-4 for a line model.")
@click.option("--replay-per-class", type=click.IntRange(0), default=15, show_default=True,
              help="Rehearsal samples of each old class mixed in against forgetting.")
@click.option("--holdout", type=click.FloatRange(0, 0.9), default=0.2, show_default=True,
              help="Share of each class's samples held out to score before and after.")
@click.option("--train-features", is_flag=True,
              help="Also fine-tune the convolutional features (adapts more, forgets more).")
@click.option("--data-dir", type=click.Path(file_okay=False),
              help="Where the base model's training data is, for rehearsal.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--force", is_flag=True, help="Overwrite an existing --out file.")
def train_glyphs(**options) -> None:
    """Teach a model the glyphs in GLYPHS/<label>/*.png (new classes or adaptation).

    With a line model as --base, adapt it to the line images in GLYPHS that
    have a NAME.gt.txt transcript beside them.
    """
    from training.finetune import FinetuneConfig, finetune
    from training.finetune_lines import LineFinetuneResult

    _check_out_file(options["out"])
    result = finetune(FinetuneConfig(**options))
    if isinstance(result, LineFinetuneResult):
        click.echo(f"adapted on {result.n_train} lines")
        if result.n_heldout:
            click.echo(f"held-out CER on {result.n_heldout} lines: {result.cer_before:.2%} -> "
                       f"{result.cer_after:.2%}")
        click.echo(f"saved {result.path}")
        return
    for text in result.warnings:
        click.echo(f"Warning: {text}", err=True)
    if result.new_labels:
        click.echo(f"added {len(result.new_labels)} classes: {result.new_labels}")
    if result.per_class:
        click.echo("held-out accuracy per class (before -> after):")
        for score in result.per_class:
            before = "new" if score.before is None else f"{score.before:.0%}"
            click.echo(f"  {score.label!r:6} n={score.n:<4} {before:>4} -> {score.after:.0%}")
    else:
        click.echo("no samples held out (classes with fewer than 5 samples are not split)")
    click.echo(f"saved {result.path}")


@main.group("glyphs", cls=OcrGroup)
def glyphs_group() -> None:
    """Make glyph folders for `ocr train glyphs`."""


@glyphs_group.command("extract", cls=KerasCommand)
@click.argument("images", nargs=-1, required=True, type=click.Path())
@click.option("--text", type=click.Path(dir_okay=False),
              help="Transcript of a single page (default: NAME.gt.txt beside each image).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Glyph folder to fill.")
@click.option("--model", default="charnet", show_default=True,
              help="Model used to split touching characters, as in `ocr read`.")
def glyphs_extract(images, text, out, model) -> None:
    """Segment pages or line images like `ocr read` and label their glyphs from the transcript."""
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
              help="Dataset name (mnist, emnist-bymerge, ...; mnist-strings, printed-lines or "
                   "orand-car-a for line models) or a glyph folder DIR/<label>/*.png.")
@click.option("--split", type=click.Choice(["train", "test", "all"]), default="test", show_default=True,
              help="For orand-car-a: test (odd rows of gt.tsv, never trained on), train or all.")
@click.option("--exclude", multiple=True, metavar="DATASET:SPLIT",
              help="Drop images pixel-identical to this split (repeatable).")
@click.option("--data-dir", type=click.Path(file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--confusion", type=click.Path(dir_okay=False), help="Save a confusion-matrix PNG.")
def evaluate_command(model, dataset, split, exclude, data_dir, as_json, confusion) -> None:
    """Score MODEL (a registry name or a .keras file) on a dataset split."""
    from ocr.models import registry
    from training.evaluate import evaluate_model, save_confusion_image

    if registry.model_kind(model) == "line":
        unused = [name for name, given in (("--exclude", exclude), ("--confusion", confusion),
                                           ("--split", split != "test" and dataset != "orand-car-a")) if given]
        if unused:
            raise UserError(f"{', '.join(unused)}: not for a line model, which is scored by "
                            "CER on mnist-strings, printed-lines or orand-car-a[:split]")
        _evaluate_line_model(model, dataset, split, data_dir, as_json)
        return
    if split == "all":
        raise UserError("--split all is for orand-car-a; glyph datasets have train and test splits")
    if confusion:
        from ocr.fileio import check_target

        check_target(confusion, what="--confusion image")
    net, meta = registry.load_classifier(model)
    report = evaluate_model(net, meta["labels"], dataset, split, exclude, data_dir)
    if confusion:
        save_confusion_image(report, confusion)
    if as_json:
        click.echo(json.dumps({"model": str(model), **report.to_dict()}))
        return
    kept = f" (kept {report.n}, excluded {report.excluded} duplicates)" if exclude else ""
    where = dataset if report.split == "all" else f"{dataset}:{split}"
    click.echo(f"{model} on {where}: accuracy {report.accuracy:.4f} "
               f"on {report.n} images{kept}")
    pairs = report.most_confused(5)
    if pairs:
        click.echo("most confused: " + ", ".join(f"{t}->{p} ({c})" for t, p, c in pairs))
    if confusion:
        click.echo(f"confusion matrix saved to {confusion}")


def _evaluate_line_model(model, dataset, split, data_dir, as_json) -> None:
    from ocr.models import registry
    from training.evaluate import evaluate_line_model

    net, meta = registry.load_line_model(model)
    report = evaluate_line_model(net, meta["labels"], dataset, split, data_dir=data_dir)
    if as_json:
        click.echo(json.dumps({"model": str(model), **report.to_dict()}))
        return
    click.echo(f"{model} on {dataset}:{report.split}: CER {report.cer:.4f}, strings read exactly "
               f"{report.accuracy:.4f} on {report.n} strings")
    if report.mistakes:
        click.echo("e.g. " + ", ".join(f"{t}->{r or '(nothing)'}" for t, r in report.mistakes[:5]))


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


@main.command("read", cls=KerasCommand)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "hocr", "tsv"]), default="text",
              show_default=True, help="Output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE (atomically) "
              "instead of stdout.")
@click.option("--model", help="Model: auto (default: textline for printed lines, charnet for the lines "
              "it is unsure of), a registry name (charnet, lenet; line models digitline, textline) "
              "or a .keras path.")
@click.option("--digits", is_flag=True, help="Digit fields: output digits only, read with the digitline "
              "line model (--model lenet: glyph by glyph with LeNet).")
@click.option("--charset", help="Only output these characters (a whitelist), e.g. '0123456789.,'.")
@click.option("--binarize", "binarization", type=click.Choice(["auto", "otsu", "otsu3", "sauvola"]),
              default="auto", show_default=True)
@click.option("--no-deskew", is_flag=True, help="Do not estimate and correct skew.")
@click.option("--keep-lines", is_flag=True, help="Do not remove ruled lines and box borders.")
@click.option("--overlay", type=click.Path(dir_okay=False),
              help="Save a PNG with lines, words and characters drawn (OUT-N.png per page when "
                   "there are several inputs or pages).")
@click.option("--jobs", type=click.IntRange(1), default=1, show_default=True,
              help="Threads preparing pages (preprocessing, segmentation) ahead of recognition.")
@click.pass_context
def read_command(ctx, inputs, fmt, output, model, digits, charset, binarization, no_deskew,
                 keep_lines, overlay, jobs) -> None:
    """Read the text of images, PDFs or directories of them ('-' reads stdin).

    -o and --overlay write through devices, FIFOs and symbolic links, refuse
    to overwrite an input, and leave an existing file untouched when no page
    was read.
    """
    from ocr import export
    from ocr.errors import ImageError
    from ocr.fileio import InputFiles, check_target, write_bytes_atomic, write_text_atomic
    from ocr.io import expand_inputs, open_pages
    from ocr.pipeline import Document, Predictor

    items = expand_inputs(list(inputs))
    # Before any work: a target that is an input, or that cannot be written, is found now.
    protected = InputFiles(items)
    if output:
        check_target(output, protected, "-o output")
    if overlay:
        check_target(overlay, protected, "--overlay")
    predictor = Predictor(model, digits=digits, charset=charset, binarization=binarization,
                          deskew=not no_deskew, remove_lines=not keep_lines)
    failed = 0
    page_counts: dict[str, int] = {}
    bar = None

    def report(exc: Exception) -> None:
        nonlocal failed
        click.echo(f"Error: {exc}", err=True)
        failed += 1

    def pages():
        # One input opened at a time and its pages decoded as reading reaches
        # them: a long batch or a long PDF never sits in memory.
        for item in items:
            try:
                source = open_pages(item)
                page_counts[source.name] = len(source)
                yield from source
            except ImageError as exc:  # one line per bad input; the others are still read
                report(exc)
                if bar:
                    bar.update(1)

    def page_failed(page, exc: Exception) -> None:
        report(exc)
        if bar and page.index + 1 == page_counts.get(page.source):
            bar.update(1)

    results = []
    with contextlib.ExitStack() as stack:
        if len(items) > 1:
            bar = stack.enter_context(click.progressbar(length=len(items), label="reading", file=sys.stderr))
        for image, page in predictor.iter_read(pages(), jobs=jobs, on_error=page_failed):
            results.append(page)
            last_of_input = page.index + 1 == page_counts[page.source]
            if page.blank:
                click.echo(f"Warning: {page.source}: page {page.index + 1} is blank (uniform image), "
                           "no text", err=True)
            if overlay:
                png = export.encode_png(export.draw_overlay(image.image, page))
                several = len(items) > 1 or page_counts[page.source] > 1
                target = _overlay_path(overlay, len(results), several)
                if target != overlay:
                    check_target(target, protected, "--overlay")
                write_bytes_atomic(target, png)
            if bar and last_of_input:
                bar.update(1)
    if not results:
        # Nothing was read: an earlier result in -o is worth more than an empty one.
        predictor.recognizer  # a model that failed to load is still reported
        if output:
            click.echo(f"Error: no page was read; {output} left unchanged", err=True)
        ctx.exit(2)
    doc = Document(results, model=predictor.recognizer.model_name)
    text = export.render(doc, fmt)
    if output:
        write_text_atomic(output, text)
    elif text:
        click.echo(text, nl=False)
    if failed:
        ctx.exit(2)


# ------------------------------------------------------ verify-signature (issue 4)
@main.command("verify-signature", cls=KerasCommand)
# Plain strings, not click.Path checks: bad files must give our one-line error, not a usage page.
@click.argument("questioned")
@click.option("--reference", "-r", "references", multiple=True, metavar="FILE",
              help="A genuine signature of the writer (repeatable; 3 to 5 work best).")
@click.option("--threshold", type=click.FloatRange(0, 1),
              help="Accept when the score reaches this (default: the model's calibrated one).")
@click.option("--model", help="A signature .keras file (default: the bundled signet).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def verify_signature_command(ctx, questioned, references, threshold, model, as_json) -> None:
    """Check QUESTIONED against genuine --reference signatures.

    Exit status: 0 genuine, 1 forged, 2 error.
    """
    from ocr.signature import verify_signature

    # Library errors propagate to OcrGroup (one line, exit 2); only the verdict sets 0/1,
    # so anything unexpected must be exit 2 as well: 1 would say "forged".
    try:
        result = verify_signature(list(references), questioned, threshold=threshold, model=model)
        if as_json:
            click.echo(json.dumps(result))
        else:
            click.echo(f"{result['decision']}: score {result['score']:.4f}, threshold "
                       f"{result['threshold']:.4f} ({result['combine']} of {len(references)} "
                       f"reference{'s' if len(references) != 1 else ''})")
            for ref in result["references"]:
                click.echo(f"  {ref['score']:.4f}  {ref['reference']}")
        genuine = result["decision"] == "genuine"
    except (OcrError, OSError, MemoryError, click.ClickException):
        raise
    except Exception as exc:
        logging.getLogger("ocr").debug("verify-signature failed", exc_info=True)
        message = f"{type(exc).__name__}: {exc}".splitlines()[0]
        raise UserError(f"cannot verify the signature ({message}); -vv shows the details") from None
    ctx.exit(0 if genuine else 1)


@train_group.command("signature", cls=KerasCommand)
@click.option("--data", type=click.Path(file_okay=False),
              help="Folder of <writer>/genuine/* and <writer>/forged/*, or the sign_data layout "
                   "(default: $OCR_DATA_DIR/signatures/sign_data_sigcomp2011).")
@click.option("--out", type=click.Path(dir_okay=False), default="signet.keras", show_default=True)
@click.option("--epochs", type=click.IntRange(1), default=12, show_default=True,
              help="Epochs; the one with the lowest validation EER is kept.")
@click.option("--steps-per-epoch", type=click.IntRange(1), default=8, show_default=True)
@click.option("--learning-rate", type=click.FloatRange(0, min_open=True), default=1e-3,
              show_default=True)
@click.option("--margin", type=click.FloatRange(0, min_open=True), default=1.0, show_default=True,
              help="Contrastive-loss margin (embedding distances lie in 0..2).")
@click.option("--val-writers", type=click.IntRange(1), default=5, show_default=True,
              help="Writers held out to calibrate the threshold.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--force", is_flag=True, help="Overwrite an existing --out file.")
@click.option("--input-size", metavar="HxW",
              help="Network input size (default 150x240); smaller trains faster and sees less "
                   "stroke detail.")
def train_signature_command(data, input_size, **options) -> None:
    """Train the Siamese signature verifier and calibrate its threshold."""
    from training.signatures import SignatureTrainConfig, default_data_dir, train_signature

    data = data or default_data_dir()
    if data is None:
        raise UserError("no --data folder given and OCR_DATA_DIR is not set")
    extra = {}
    if input_size:
        from ocr.signature import parse_input_size

        try:
            extra["input_shape"] = parse_input_size(input_size)
        except OcrError as exc:
            raise UserError(f"--input-size: {exc}") from None
    _check_out_file(options["out"])
    path, meta = train_signature(SignatureTrainConfig(data=str(data), **options, **extra))
    for k, value in meta["thresholds"].items():
        eer = meta["calibration"]["eer"][meta["combine"]][k]["eer"]
        click.echo(f"{k} reference(s): threshold {value:.4f}, validation EER {eer:.2%} "
                   f"({meta['combine']}, writers {', '.join(meta['calibration']['writers'])})")
    click.echo(f"saved {path}")


if __name__ == "__main__":
    main()
