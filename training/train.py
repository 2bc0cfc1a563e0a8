"""The training loop for registered models, whatever their kind.

What differs between kinds (data, training graph, loss, scores, card
entries) comes from the kind's trainer (:mod:`training.kinds`). The learning rate follows a warm-up
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
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ocr.errors import ModelError, OcrError
from ocr.fileio import write_text_atomic
from ocr.models import registry
from ocr.models.store import check_writable, load_keras, save_model
from training.config import RECIPE, TrainConfig
from training.kinds.base import Trainer

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    path: Path
    metadata: dict[str, Any]


#: Settings a resumed run must share with the run it continues: the deslant rule shapes the
#: inputs, and the checkpoint's optimizer keeps a moving average or not (the card says which).
KEPT_ON_RESUME = ("deslant", "average")


def checkpoint_paths(out: str | os.PathLike) -> tuple[Path, Path]:
    """Where the per-epoch checkpoint and its state file live for ``out``."""
    out = Path(out)
    return out.with_name(out.stem + ".ckpt.keras"), out.with_name(out.stem + ".ckpt.json")


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


def _build_training_model(spec: registry.ModelSpec, trainer: Trainer, config: TrainConfig,
                          steps_per_epoch: int):
    import keras

    net = spec.build()
    if config.init:
        warm_start(net, config.init, spec.labels)
    model, loss, metrics = trainer.training_model(spec, config, net)
    total = max(1, steps_per_epoch * config.epochs)
    warmup = min(total // 10, steps_per_epoch)
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=config.learning_rate / 10, decay_steps=total - warmup,
        warmup_target=config.learning_rate, warmup_steps=warmup, alpha=0.01)
    # Clipping guards CTC's occasional huge gradients early in training.
    # With an average, fit() ends by writing the averaged weights into the network.
    average = {"use_ema": True, "ema_momentum": config.average} if config.average else {}
    model.compile(optimizer=keras.optimizers.AdamW(schedule, weight_decay=1e-4, clipnorm=5.0, **average),
                  loss=loss, metrics=metrics)
    return model


def warm_start(net, init: str, labels: str) -> dict[str, int]:
    """Copy into ``net`` the weights of the model ``init`` (registry name or ``.keras`` path).

    Layers match by name. A layer whose weights have the same shapes is copied
    whole; the output layer (``frame_classes`` or ``classes``: one unit per
    label, after the CTC blank for line models) is copied row by row for the
    labels both models have, so a model can grow its alphabet without
    relearning what it read. Other layers keep their fresh weights. Returns
    counts of the layers copied, mapped and left new.
    """
    from ocr.models.store import read_metadata

    path = registry.resolve(init)
    old_labels = "".join(read_metadata(path).get("labels") or [])
    source = {layer.name: layer for layer in load_keras(path).layers}
    counts = {"copied": 0, "mapped": 0, "new": 0}
    for layer in net.layers:
        old = source.get(layer.name)
        new_weights = layer.get_weights()
        if old is None or not new_weights:
            counts["new"] += bool(new_weights)
            continue
        old_weights = old.get_weights()
        if [w.shape for w in old_weights] == [w.shape for w in new_weights]:
            layer.set_weights(old_weights)
            counts["copied"] += 1
        elif (layer.name in ("frame_classes", "classes") and len(old_weights) == 2 and old_labels
              and old_weights[0].shape[0] == new_weights[0].shape[0]):
            blank = new_weights[1].shape[0] - len(labels)  # 1 for CTC models, 0 for classifiers
            kernel, bias = new_weights
            kernel[:, :blank], bias[:blank] = old_weights[0][:, :blank], old_weights[1][:blank]
            for j, c in enumerate(labels):
                i = old_labels.find(c)
                if i >= 0 and i + blank < old_weights[1].shape[0]:
                    kernel[:, j + blank], bias[j + blank] = old_weights[0][:, i + blank], old_weights[1][i + blank]
            layer.set_weights([kernel, bias])
            counts["mapped"] += 1
        else:
            counts["new"] += 1
    if not counts["copied"] and not counts["mapped"]:
        raise ModelError(f"{init}: no layer of it matches the {net.name} network; --init needs a model "
                         "of the same architecture")
    log.info("warm start from %s: %d layers copied, %d mapped by label, %d new", path,
             counts["copied"], counts["mapped"], counts["new"])
    return counts


def data_parallel(devices: int | None) -> int:
    """Spread training over ``devices`` devices with Keras's ``DataParallel``; the count used.

    ``None`` takes every visible accelerator on the JAX backend (1 without
    any, and on other backends). More than one device needs the JAX backend:
    the model is replicated and each batch split across the devices.
    """
    import keras

    backend = keras.backend.backend()
    if devices is None:
        if backend != "jax":
            return 1
        import jax

        devices = max(1, sum(1 for d in jax.devices() if d.platform != "cpu"))
    if devices == 1:
        return 1
    if backend != "jax":
        raise OcrError(f"--devices {devices} needs the JAX backend: run with KERAS_BACKEND=jax "
                       f"(pip install jax), not {backend}")
    visible = keras.distribution.list_devices()
    if devices > len(visible):
        raise OcrError(f"--devices {devices}: only {len(visible)} device(s) visible ({', '.join(visible)})")
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=visible[:devices]))
    log.info("data parallel over %s", ", ".join(visible[:devices]))
    return devices


def _read_state(path: Path) -> dict[str, Any]:
    """A checkpoint's state file, checked: a corrupt one is a one-line error, not a traceback."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise OcrError(f"{path}: unreadable checkpoint state ({exc}); delete it to start afresh") from None
    if not isinstance(state, dict) or not isinstance(state.get("epoch"), int) \
            or not isinstance(state.get("history"), list):
        raise OcrError(f"{path}: malformed checkpoint state (no epoch count and history); "
                       "delete it to start afresh")
    return state


def resolve_deslant(spec: registry.ModelSpec, trainer: Trainer, deslant) -> dict[str, float] | None:
    """The deslant rule a run trains with, as the card stores it: ``deslant`` checked, or the
    registry recipe's (``spec.deslant``) for :data:`~training.config.RECIPE`; None: none."""
    from ocr.deslant import DeslantRule

    if deslant == RECIPE:
        deslant = spec.deslant if trainer.deslants else None
    if deslant is None:
        return None
    if not trainer.deslants:
        raise OcrError(f"deslanting is for line models that read handwriting, not {spec.name}")
    try:
        return DeslantRule.from_card(deslant).to_card()
    except ValueError as exc:
        raise OcrError(f"deslant rule: {exc}") from None


def _warn_if_init_reads_otherwise(init: str, deslant: dict[str, float] | None) -> None:
    """A warm start from a model whose card deslants otherwise: allowed, but said."""
    from ocr.models.store import read_metadata

    try:
        theirs = (read_metadata(registry.resolve(init)).get("input") or {}).get("deslant")
    except (OcrError, OSError, ValueError):
        return  # warm_start reports an unreadable --init
    if theirs != deslant:
        log.warning("--init %s reads lines with deslant %s; this run trains with %s", init,
                    json.dumps(theirs), json.dumps(deslant))


def train(config: TrainConfig) -> TrainResult:
    """Train a registered model and save it, with its scores, to ``config.out``."""
    spec = registry.get_spec(config.model)
    trainer = spec.trainer()()
    config = replace(config, deslant=resolve_deslant(spec, trainer, config.deslant))
    check_writable(config.out, config.force)
    if config.epochs < 1 or config.batch_size < 1:
        raise OcrError("epochs and batch size must be at least 1")
    ckpt_model, ckpt_state = checkpoint_paths(config.out)
    if config.resume and not ckpt_state.is_file():
        raise OcrError(f"nothing to resume: {ckpt_state} not found")
    resumed = _read_state(ckpt_state) if config.resume else None  # checked before any work
    before = resumed.get("config") if resumed is not None else None
    for setting in KEPT_ON_RESUME if isinstance(before, dict) else ():  # the checkpoint was built with them
        if setting in before and before[setting] != getattr(config, setting):
            raise OcrError(f"{ckpt_state}: the run being resumed trains with {setting} "
                           f"{json.dumps(before[setting])}, not {json.dumps(getattr(config, setting))}; "
                           f"pass the same --{setting}")
    if config.init and trainer.deslants:
        _warn_if_init_reads_otherwise(config.init, config.deslant)
    devices = data_parallel(config.devices)  # before the data: a wrong backend fails at once

    rng = np.random.default_rng(config.seed)
    (x_train, y_train), (x_val, y_val), used = trainer.arrays(spec, config, rng)
    if devices > 1:  # every batch, the last one too, must split evenly across the devices
        keep, keep_val = len(y_train) - len(y_train) % devices, len(y_val) - len(y_val) % devices
        x_train, y_train, x_val, y_val = x_train[:keep], y_train[:keep], x_val[:keep_val], y_val[:keep_val]
    log.info("training %s on %d images, validating on %d", spec.name, len(y_train), len(y_val))

    import keras

    from ocr import device
    keras.utils.set_random_seed(config.seed)
    device_name = device.configure()
    if devices > 1:  # --batch-size per device; linear scaling of the learning rate with the global batch
        device_name = f"{devices} x {device_name}"
    run = replace(config, batch_size=config.batch_size * devices,
                  learning_rate=config.learning_rate * devices)
    fit_inputs = trainer.fit_inputs((x_train, y_train), (x_val, y_val), run.batch_size, config.seed)
    steps = int(np.ceil(len(y_train) / run.batch_size)) if "batch_size" in fit_inputs else len(fit_inputs["x"])
    test_sets = trainer.test_sets(spec, config) if config.target_accuracy is not None else []

    if resumed is not None:
        state = resumed
        model = load_keras(ckpt_model, compile=True)
        initial_epoch = state["epoch"]
        state["elapsed_before_s"] = state.get("elapsed_s", 0.0)
        log.info("resuming from epoch %d", initial_epoch)
    else:
        state = {"config": asdict(config), "epoch": 0, "history": []}
        model = _build_training_model(spec, trainer, run, steps)
        initial_epoch = 0
    started = time.time()
    if initial_epoch < config.epochs:
        model.fit(**fit_inputs, epochs=config.epochs, initial_epoch=initial_epoch,
                  callbacks=_make_callbacks(config, state, started, test_sets), verbose=1)
    elif config.average:
        # Stopped after its last checkpoint: no fit() is left to write the average in.
        model.optimizer.finalize_variable_values(model.trainable_weights)
    elapsed = state.get("elapsed_before_s", 0.0) + time.time() - started
    if devices > 1:  # scoring reads test sets of any size, on one device
        keras.distribution.set_distribution(None)
    try:
        net = trainer.network(model, spec)
    except ValueError:
        raise ModelError(f"{ckpt_model}: checkpoint does not contain a {spec.name} model") from None
    if net.name != spec.name:
        raise ModelError(f"{ckpt_model}: checkpoint does not contain a {spec.name} model")

    scores = trainer.score(net, spec, config)
    metadata = {
        "name": spec.name,
        "kind": spec.kind,
        "description": spec.description,
        "labels": list(spec.labels),
        "input": trainer.input_format,
        "training": {
            "datasets": used,
            "validation_images": int(len(y_val)),
            "epochs": state["epoch"],
            "batch_size": run.batch_size,
            "learning_rate": run.learning_rate,
            "devices": devices,
            "schedule": "linear warm-up then cosine decay, AdamW"
                        + (f"; weights saved as their moving average, momentum {config.average}"
                           if config.average else ""),
            "initialized_from": config.init,
            "augmentation": trainer.augmentation(spec, config),
            **({"deslant": config.deslant} if trainer.deslants else {}),
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
    for companion in trainer.companions(spec, config, path):
        log.info("wrote %s", companion)
    for leftover in (ckpt_model, ckpt_state):
        leftover.unlink(missing_ok=True)
    return TrainResult(path, metadata)
