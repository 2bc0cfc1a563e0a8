"""Training loop for the registered glyph classifiers.

Augmentation runs inside the graph (:class:`ocr.models.layers.RandomAffine`),
so it runs on the GPU when there is one. The learning rate follows a warm-up
then cosine decay. Every epoch the whole training state (weights, optimizer,
epoch) is checkpointed atomically, so ``resume=True`` continues a killed run.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ocr.errors import ModelError, OcrError
from ocr.fileio import write_text_atomic
from ocr.models import registry
from ocr.models.store import check_writable, load_model, save_model
from training.data import TEXT_LINES, load_training_arrays, parse_dataset_list
from training.datasets import ORAND_FOLDER

log = logging.getLogger(__name__)


#: Share of a line model's training lines that are variants of real amounts,
#: when real ones are among its sources.
REAL_LINE_SHARE = 0.15


@dataclass
class TrainConfig:
    """Options of one training run (the CLI's ``ocr train MODEL``)."""

    model: str
    out: str
    dataset: str | None = None
    epochs: int = 15
    batch_size: int = 128
    learning_rate: float = 2e-3
    data_dir: str | None = None
    seed: int = 0
    resume: bool = False
    force: bool = False
    validation_size: int = 5000
    limit: int | None = None  # use only the first N training images (smoke tests)
    augment: dict[str, float] = field(default_factory=dict)
    target_accuracy: float | None = None  # stop early once the test accuracy reaches this
    strings: int = 60_000  # line models: composed training strings


@dataclass
class TrainResult:
    path: Path
    metadata: dict[str, Any]


def checkpoint_paths(out: str | os.PathLike) -> tuple[Path, Path]:
    """Where the per-epoch checkpoint and its state file live for ``out``."""
    out = Path(out)
    return out.with_name(out.stem + ".ckpt.keras"), out.with_name(out.stem + ".ckpt.json")


def _split_validation(x, y, size: int, rng: np.random.Generator):
    order = rng.permutation(len(y))
    x, y = x[order], y[order]
    size = min(size, len(y) // 10)
    return (x[size:], y[size:]), (x[:size], y[:size])


def _make_callbacks(config: TrainConfig, state: dict[str, Any], started: float, test_sets):
    import keras

    ckpt_model, ckpt_state = checkpoint_paths(config.out)

    class EpochCheckpoint(keras.callbacks.Callback):
        """Save the training model and its state atomically after each epoch."""

        def on_epoch_end(self, epoch, logs=None):
            state["epoch"] = epoch + 1
            state["elapsed_s"] = state.get("elapsed_before_s", 0.0) + time.time() - started
            state["history"].append({k: float(v) for k, v in (logs or {}).items()})
            save_model(self.model, ckpt_model, force=True)
            write_text_atomic(ckpt_state, json.dumps(state, indent=2))

    class StopAtAccuracy(keras.callbacks.Callback):
        """Stop once the first test set reaches the target (for speed benchmarks)."""

        def on_epoch_end(self, epoch, logs=None):
            eval_started = time.time()
            x, y = test_sets[0]
            inner = self.model.get_layer(config.model)
            acc = float((inner.predict(x, batch_size=2048, verbose=0).argmax(1) == y).mean())
            # Report training time only: the test pass is the benchmark's, not training's.
            state["eval_s"] = state.get("eval_s", 0.0) + time.time() - eval_started
            state.setdefault("test_curve", []).append(
                {"epoch": epoch + 1, "accuracy": acc,
                 "train_s": time.time() - started - state["eval_s"]})
            log.info("epoch %d: test accuracy %.4f", epoch + 1, acc)
            if acc >= config.target_accuracy:
                self.model.stop_training = True

    callbacks = [EpochCheckpoint()]
    if config.target_accuracy is not None and test_sets:
        callbacks.append(StopAtAccuracy())
    return callbacks


def _augment_settings(spec: registry.ModelSpec, config: TrainConfig) -> dict[str, float]:
    from ocr.models.layers import RandomAffine

    defaults = RandomAffine().get_config()
    keys = ("rotation", "scale", "aspect", "shear", "shift")
    return {k: {**{k: defaults[k] for k in keys}, **spec.augment, **config.augment}[k] for k in keys}


def _build_training_model(spec: registry.ModelSpec, config: TrainConfig, steps_per_epoch: int):
    import keras

    from ocr.models.layers import CTCLoss, RandomAffine

    net = spec.build()
    if spec.kind == "line":
        # Composed strings are already randomized; the network trains as is.
        model, loss, metrics = net, CTCLoss(), []
    else:
        augment = RandomAffine(seed=config.seed, name="augment", **_augment_settings(spec, config))
        inputs = keras.Input(shape=net.input_shape[1:], name="glyph")
        model = keras.Model(inputs, net(augment(inputs)), name=f"{spec.name}_training")
        loss, metrics = "sparse_categorical_crossentropy", ["accuracy"]
    total = max(1, steps_per_epoch * config.epochs)
    warmup = min(total // 10, steps_per_epoch)
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=config.learning_rate / 10, decay_steps=total - warmup,
        warmup_target=config.learning_rate, warmup_steps=warmup, alpha=0.01)
    # Clipping guards CTC's occasional huge gradients early in training.
    model.compile(optimizer=keras.optimizers.AdamW(schedule, weight_decay=1e-4, clipnorm=5.0),
                  loss=loss, metrics=metrics)
    return model


def _training_arrays(spec: registry.ModelSpec, config: TrainConfig, rng: np.random.Generator):
    """(x_train, y_train), (x_val, y_val) and a description of the data used."""
    if spec.kind == "line":
        return _line_arrays(spec, config, rng)
    train_specs = parse_dataset_list(config.dataset, spec.train_datasets, "train")
    x, y, used = load_training_arrays(train_specs, spec.labels, config.data_dir)
    if config.limit:
        pick = rng.permutation(len(y))[: config.limit]
        x, y = x[pick], y[pick]
    return *_split_validation(x, y, config.validation_size, rng), used


def _available(specs: list[tuple[str, str]], data_dir) -> list[tuple[str, str]]:
    """The default sources without ORAND-CAR-A when it is not at hand: it cannot be
    downloaded, and a model can still be trained without it (said in a warning)."""
    from ocr.errors import DatasetNotFoundError
    from training.datasets import orand_folder

    if (ORAND_FOLDER, "train") not in specs:
        return specs
    try:
        orand_folder(data_dir)
    except DatasetNotFoundError as exc:
        log.warning("training without real cheque amounts: %s", exc)
        return [s for s in specs if s[0] != ORAND_FOLDER]
    return specs


def _line_arrays(spec: registry.ModelSpec, config: TrainConfig, rng: np.random.Generator):
    """Training and validation lines: rendered print, or strings composed from glyph datasets.

    Each glyph dataset composes an equal share of the strings; with real
    cheque amounts (``orand-car-a:SPLIT``) among the sources,
    :data:`REAL_LINE_SHARE` of the lines are random variants of its whole
    amounts, and one cheque in twelve is held out for validation.
    """
    n = config.limit or config.strings
    n_val = min(config.validation_size, max(n // 10, 1))
    if spec.train_datasets == (TEXT_LINES,):
        from training.textlines import textline_dataset

        if config.dataset:
            raise OcrError(f"{spec.name} trains on text lines rendered from the system fonts; "
                           "--dataset does not apply (use --lines to choose how many)")
        x_train, y_train, _ = textline_dataset(n, spec.labels, seed=config.seed)
        x_val, y_val, _ = textline_dataset(n_val, spec.labels, seed=config.seed + 1)
        return (x_train, y_train), (x_val, y_val), [f"{TEXT_LINES}: {n} lines rendered from system fonts"]

    from ocr.normalize import LINE_MIN_WIDTH
    from training.strings import encode_texts, line_dataset, line_image

    train_specs = parse_dataset_list(config.dataset, spec.train_datasets, "train")
    if not config.dataset:
        train_specs = _available(train_specs, config.data_dir)
    real = [(name, split) for name, split in train_specs if name == ORAND_FOLDER]
    n_real = int(round(n * REAL_LINE_SHARE)) if real else 0
    xs_train, ys_train, xs_val, ys_val, used = [], [], [], [], []
    for k, (name, split) in enumerate(train_specs):
        x, y, described = load_training_arrays([(name, split)], spec.labels, config.data_dir)
        # Validation strings are composed from glyphs held out of training.
        order = rng.permutation(len(y))
        held, rest = order[: max(len(y) // 12, 1)], order[max(len(y) // 12, 1):]
        n_source = (n - n_real) // len(train_specs) + (k < (n - n_real) % len(train_specs))
        x_train, _, t_train = line_dataset(x[rest], y[rest], n_source, spec.labels, seed=config.seed + 10 * k)
        x_val, _, t_val = line_dataset(x[held], y[held], max(n_val // len(train_specs), 1), spec.labels,
                                       seed=config.seed + 10 * k + 1)
        xs_train.append(x_train)
        ys_train.extend(t_train)
        xs_val.append(x_val)
        ys_val.extend(t_val)
        used.append(described[0] + f" composed into {n_source} strings")
    if n_real:
        from training.cheques import augmented_lines, orand_cheques, orand_lines

        cheques = [c for name, split in real for c in orand_cheques(split, config.data_dir)]
        order = rng.permutation(len(cheques))
        n_held = max(len(cheques) // 12, 1)
        lines = orand_lines([cheques[i] for i in order[n_held:]])
        x_train, t_train = augmented_lines(lines, n_real, rng)
        held = orand_lines([cheques[i] for i in order[:n_held]])
        xs_train.append(x_train)
        ys_train.extend(t_train)
        xs_val.append(np.stack([line_image(m, LINE_MIN_WIDTH) for m in held.masks]))
        ys_val.extend(held.texts)
        used.append(f"{ORAND_FOLDER}:{'+'.join(s for _, s in real)} ({len(lines.texts)} whole amounts, "
                    f"{n_real} random variants)")
    length = max(len(t) for t in ys_train + ys_val)
    return ((np.concatenate(xs_train), encode_texts(ys_train, spec.labels, length)),
            (np.concatenate(xs_val), encode_texts(ys_val, spec.labels, length)), used)


def _score(net, spec: registry.ModelSpec, config: TrainConfig) -> dict[str, dict[str, Any]]:
    """Scores on the registry's test protocols; a line test set that is not at
    hand (ORAND-CAR-A cannot be downloaded) is skipped with a warning."""
    from ocr.errors import DatasetNotFoundError
    from training.evaluate import evaluate_line_model, evaluate_model

    scores = {}
    for ev in spec.evaluations:
        if spec.kind == "glyph":
            report = evaluate_model(net, spec.labels, ev.dataset, ev.split, ev.exclude, config.data_dir)
            scores[ev.key] = {"accuracy": report.accuracy, "n": report.n, "excluded": report.excluded}
            log.info("test accuracy on %s: %.4f (%d images)", ev.key, report.accuracy, report.n)
            continue
        try:
            report = evaluate_line_model(net, spec.labels, ev.dataset, ev.split, config.data_dir,
                                         limit=config.limit and 200)
        except DatasetNotFoundError as exc:
            log.warning("not scored on %s: %s", ev.key, exc)
            continue
        scores[ev.key] = {"cer": round(report.cer, 5), "accuracy": report.accuracy, "n": report.n}
        log.info("%s: CER %.4f, strings read exactly %.4f (%d)", ev.key, report.cer,
                 report.accuracy, report.n)
    return scores


GLYPH_INPUT = {"shape": [28, 28], "dtype": "uint8", "ink": "white on black", "range": [0, 255],
               "normalization": "MNIST-style: glyph fitted to 20x20 keeping aspect ratio, "
                                "centred by centre of mass in 28x28; scaled to 0..1 inside the model"}
LINE_INPUT = {"shape": [32, None], "dtype": "uint8", "ink": "white on black", "range": [0, 255],
              "normalization": "ocr.normalize.to_line_input: the line's ink cropped, scaled to 28 rows "
                               "keeping aspect ratio, centred in 32 rows, left-aligned, width padded "
                               "to a multiple of 4 (at least 160); scaled to 0..1 inside the model",
              "output": "per 4-column frame: probabilities of [CTC blank] + labels"}


def train(config: TrainConfig) -> TrainResult:
    """Train a registered model and save it, with its scores, to ``config.out``."""
    spec = registry.get_spec(config.model)
    check_writable(config.out, config.force)
    if config.epochs < 1 or config.batch_size < 1:
        raise OcrError("--epochs and --batch-size must be at least 1")
    ckpt_model, ckpt_state = checkpoint_paths(config.out)
    if config.resume and not ckpt_state.is_file():
        raise OcrError(f"nothing to resume: {ckpt_state} not found")

    rng = np.random.default_rng(config.seed)
    (x_train, y_train), (x_val, y_val), used = _training_arrays(spec, config, rng)
    log.info("training %s on %d images, validating on %d", spec.name, len(y_train), len(y_val))

    import keras

    from ocr import device
    from training.evaluate import protocol_arrays

    keras.utils.set_random_seed(config.seed)
    device_name = device.configure()
    steps = int(np.ceil(len(y_train) / config.batch_size))
    test_sets = [protocol_arrays(ev, spec.labels, config.data_dir) for ev in spec.evaluations[:1]] \
        if config.target_accuracy is not None and spec.kind == "glyph" else []

    if config.resume:
        state = json.loads(ckpt_state.read_text())
        model, _ = load_model(ckpt_model, compile=True)
        initial_epoch = state["epoch"]
        state["elapsed_before_s"] = state.get("elapsed_s", 0.0)
        log.info("resuming from epoch %d", initial_epoch)
    else:
        state = {"config": asdict(config), "epoch": 0, "history": []}
        model = _build_training_model(spec, config, steps)
        initial_epoch = 0
    started = time.time()
    if initial_epoch < config.epochs:
        model.fit(x_train, y_train, batch_size=config.batch_size, epochs=config.epochs,
                  initial_epoch=initial_epoch, validation_data=(x_val, y_val),
                  callbacks=_make_callbacks(config, state, started, test_sets), verbose=1)
    elapsed = state.get("elapsed_before_s", 0.0) + time.time() - started
    try:
        # A line model trains as itself: a new functional view of its layers
        # leaves the optimizer state (two more copies of every weight) out of the file.
        net = keras.Model(model.inputs, model.outputs, name=spec.name) if spec.kind == "line" \
            else model.get_layer(spec.name)
    except ValueError:
        raise ModelError(f"{ckpt_model}: checkpoint does not contain a {spec.name} model") from None
    if net.name != spec.name:
        raise ModelError(f"{ckpt_model}: checkpoint does not contain a {spec.name} model")

    scores = _score(net, spec, config)
    line = spec.kind == "line"
    metadata = {
        "name": spec.name,
        "kind": spec.kind,
        "description": spec.description,
        "labels": list(spec.labels),
        "input": LINE_INPUT if line else GLYPH_INPUT,
        "training": {
            "datasets": used,
            "validation_images": int(len(y_val)),
            "epochs": state["epoch"],
            "batch_size": config.batch_size,
            "learning_rate": config.learning_rate,
            "schedule": "linear warm-up then cosine decay, AdamW",
            "augmentation": {"kind": "composed strings (training/strings.py StringStyle)"} if line
            else {"kind": "random affine", **_augment_settings(spec, config)},
            "builder": {"function": spec.builder, **{k: list(v) if isinstance(v, tuple) else v
                                                     for k, v in spec.builder_kwargs.items()}},
            "seed": config.seed,
            "wall_time_s": round(elapsed, 1),
            "device": device_name,
            "host": f"{platform.machine()}, {os.cpu_count()} CPU cores",
            "history": state["history"],
        },
        "protocol": [ev.key for ev in spec.evaluations],
        "scores": scores,
        "parameters": int(net.count_params()),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
    }
    if "test_curve" in state:
        metadata["training"]["test_curve"] = state["test_curve"]
    path = save_model(net, config.out, metadata, force=config.force)
    for leftover in (ckpt_model, ckpt_state):
        leftover.unlink(missing_ok=True)
    return TrainResult(path, metadata)
