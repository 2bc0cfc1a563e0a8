"""The ``ocr`` command line: a thin Click layer over the :mod:`ocr` library.

Commands parse options, call one library function and format its result.
Keras and TensorFlow are imported inside commands so ``ocr --help`` is instant.
"""

from __future__ import annotations

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


class OcrGroup(click.Group):
    """Maps the library's :class:`OcrError` to :class:`UserError`."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except OcrError as exc:
            raise UserError(str(exc)) from None


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
    from ocr.models.registry import bundled

    rows = []
    for spec, meta in bundled():
        size = spec.weights.stat().st_size if meta is not None else None
        rows.append({
            "name": spec.name, "description": spec.description,
            "classes": len(meta["labels"]) if meta else len(spec.labels),
            "labels": "".join(meta["labels"]) if meta else spec.labels,
            "parameters": meta.get("parameters") if meta else None,
            "scores": {k: v["accuracy"] for k, v in (meta or {}).get("scores", {}).items()},
            "file_bytes": size, "path": str(spec.weights),
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
            click.echo(f"  accuracy {acc:.2%} on {key}")


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


@main.group("train", cls=OcrGroup)
def train_group() -> None:
    """Train a model from scratch (lenet, charnet)."""


def _run_training(model: str, **options) -> None:
    from training.train import TrainConfig, train

    out = options.pop("out") or f"{model}.keras"
    result = train(TrainConfig(model=model, out=out, **options))
    for key, score in result.metadata["scores"].items():
        click.echo(f"test accuracy {score['accuracy']:.4f} on {key} ({score['n']} images)")
    click.echo(f"saved {result.path}")


@train_group.command("lenet")
@_training_options
def train_lenet(**options) -> None:
    """Train the LeNet digit model (default data: MNIST train)."""
    _run_training("lenet", **options)


@train_group.command("charnet")
@_training_options
def train_charnet(**options) -> None:
    """Train the character CNN (default data: EMNIST ByClass test + MNIST train)."""
    _run_training("charnet", **options)


# ------------------------------------------------------------------- evaluate
@main.command("evaluate")
@click.argument("model")
@click.option("--dataset", required=True, help="Dataset name, e.g. mnist or emnist-bymerge.")
@click.option("--split", type=click.Choice(["train", "test"]), default="test", show_default=True)
@click.option("--exclude", multiple=True, metavar="DATASET:SPLIT",
              help="Drop images pixel-identical to this split (repeatable).")
@click.option("--data-dir", type=click.Path(file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--confusion", type=click.Path(dir_okay=False), help="Save a confusion-matrix PNG.")
def evaluate_command(model, dataset, split, exclude, data_dir, as_json, confusion) -> None:
    """Score MODEL (a registry name or a .keras file) on a dataset split."""
    from ocr.models import registry
    from training.evaluate import evaluate_model, save_confusion_image

    net, meta = registry.load(model)
    labels = meta.get("labels") or registry.get_spec(model).labels
    report = evaluate_model(net, labels, dataset, split, exclude, data_dir)
    if confusion:
        save_confusion_image(report, confusion)
    if as_json:
        click.echo(json.dumps({"model": str(model), **report.to_dict()}))
        return
    kept = f" (kept {report.n}, excluded {report.excluded} duplicates)" if exclude else ""
    click.echo(f"{model} on {dataset}:{split}: accuracy {report.accuracy:.4f} "
               f"on {report.n} images{kept}")
    pairs = report.most_confused(5)
    if pairs:
        click.echo("most confused: " + ", ".join(f"{t}->{p} ({c})" for t, p, c in pairs))
    if confusion:
        click.echo(f"confusion matrix saved to {confusion}")


if __name__ == "__main__":
    main()
