"""Fine-tuning a trained glyph model on a user's glyph folder.

New characters are added by widening the output layer: every old weight is
kept and the new columns start from small random weights. To avoid forgetting,
the convolutional features stay frozen and each batch mixes the user's glyphs
with rehearsal samples of the base model's own training data.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from pathlib import Path

import numpy as np

from ocr.errors import DataError, ModelError
from ocr.models import load
from ocr.models.store import save_model
from training import datasets
from training.data import PRINTED, load_training_arrays
from training.finetune import ClassScore, FinetuneConfig, FinetuneResult, replay_sources

log = logging.getLogger(__name__)

#: Fewer samples than this for a class get a warning: augmentation can only do so much.
MIN_SAMPLES = 10
#: Heavier than base training, because users give 10 to 20 samples per glyph.
HEAVY_AUGMENT = dict(rotation=15.0, scale=0.2, aspect=0.2, shear=0.25, shift=0.12)


def widen_classifier(model, num_classes: int, seed: int = 0):
    """Return a copy of ``model`` whose final ``Dense`` has ``num_classes`` outputs.

    The old kernel and bias are copied into the first columns. New columns get
    the mean bias of the old ones minus a margin, so new classes do not steal
    old inputs before they have learned anything.
    """
    import keras

    head = model.layers[-1]
    if not isinstance(head, keras.layers.Dense):
        raise ModelError("the base model does not end in a Dense classification layer")
    old_kernel, old_bias = head.get_weights()
    n_old = old_kernel.shape[1]
    if num_classes < n_old:
        raise ModelError("cannot remove classes from a model")
    features = keras.Model(model.inputs, head.input, name="features")
    inputs = keras.Input(model.input_shape[1:], name="glyph")
    outputs = keras.layers.Dense(num_classes, activation="softmax", dtype="float32",
                                 name="classes")(features(inputs))
    widened = keras.Model(inputs, outputs, name=model.name)
    rng = np.random.default_rng(seed)
    kernel = np.concatenate([old_kernel, rng.normal(0, old_kernel.std(), (old_kernel.shape[0],
                                                                        num_classes - n_old))], axis=1)
    bias = np.concatenate([old_bias, np.full(num_classes - n_old, old_bias.mean() - 2.0)])
    widened.get_layer("classes").set_weights([kernel.astype("float32"), bias.astype("float32")])
    return widened


def _new_columns_only(widened, n_old: int):
    """A training graph of ``widened`` in which only the new output columns are trainable.

    Returns the graph and a function that folds the trained columns back into
    ``widened`` (one plain ``Dense`` again, so the result can be widened later).
    """
    import keras

    head = widened.get_layer("classes")
    kernel, bias = head.get_weights()
    features = keras.Model(widened.inputs, head.input, name="features")
    features.trainable = False
    old = keras.layers.Dense(n_old, name="old_logits", trainable=False)
    new = keras.layers.Dense(kernel.shape[1] - n_old, name="new_logits")
    inputs = keras.Input(widened.input_shape[1:], name="glyph")
    f = features(inputs)
    logits = keras.layers.Concatenate(name="logits")([old(f), new(f)])
    outputs = keras.layers.Activation("softmax", dtype="float32", name="classes")(logits)
    graph = keras.Model(inputs, outputs, name=widened.name)
    old.set_weights([kernel[:, :n_old], bias[:n_old]])
    new.set_weights([kernel[:, n_old:], bias[n_old:]])

    def fold_back():
        new_kernel, new_bias = new.get_weights()
        head.set_weights([np.concatenate([kernel[:, :n_old], new_kernel], axis=1),
                          np.concatenate([bias[:n_old], new_bias])])
        return widened

    return graph, fold_back


def _holdout_split(labels: np.ndarray, fraction: float, rng: np.random.Generator):
    """Per class, hold out ``fraction`` of the samples (at least one when a class has 5+)."""
    train_idx, test_idx = [], []
    for cls in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == cls))
        k = int(round(len(idx) * fraction)) if len(idx) >= 5 else 0
        test_idx.extend(idx[:k])
        train_idx.extend(idx[k:])
    return np.array(train_idx, dtype=np.int64), np.array(test_idx, dtype=np.int64)


def _replay_set(card, labels: str, per_class: int, data_dir, rng) -> tuple[np.ndarray, np.ndarray, str]:
    """Rehearsal samples of the old classes from the base model's own training data.

    File datasets come from the data dir; rendered print is rendered afresh
    (``per_class`` samples only). Without any reachable dataset, rendered print
    of the old classes stands in, with a warning.
    """
    if per_class == 0:
        return np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64), "none"
    images, targets, used = [], [], []
    for name, split in replay_sources(card):
        try:
            if name == PRINTED:
                # Render only what is replayed, not the whole printed training set.
                x, y, _ = load_training_arrays([(PRINTED, str(per_class))], labels, data_dir)
            else:
                x, y, _ = load_training_arrays([(name, split)], labels, data_dir)
        except DataError as exc:
            log.warning("rehearsal data %s:%s unavailable (%s)", name, split, exc)
            continue
        images.append(x)
        targets.append(y)
        used.append(f"{name}:{split}")
    if not images:
        log.warning("none of the base model's training data is reachable; "
                    "rehearsing on rendered printed glyphs instead")
        x, y, _ = load_training_arrays([(PRINTED, str(per_class))], labels, data_dir)
        images, targets, used = [x], [y], ["rendered printed glyphs"]
    x, y = np.concatenate(images), np.concatenate(targets)
    picks = np.concatenate([rng.permutation(np.flatnonzero(y == c))[:per_class]
                            for c in range(len(labels))])
    return x[picks], y[picks], ", ".join(used)


def per_class_accuracy(predicted: np.ndarray, truth: np.ndarray, labels: str) -> dict[str, tuple[int, float]]:
    """Accuracy of each class present in ``truth``: label -> (count, accuracy)."""
    return {labels[c]: (int((truth == c).sum()), float((predicted[truth == c] == c).mean()))
            for c in np.unique(truth)}


def finetune_glyphs(config: FinetuneConfig, base_path: Path) -> FinetuneResult:
    """Fine-tune the glyph model ``config.base`` on the glyph folder ``config.glyphs``.

    Called by :func:`training.finetune.finetune`, which has resolved the base
    (``base_path``) and checked ``config.out``.
    """
    user = datasets.load_glyph_folder(config.glyphs)
    loaded = load(config.base, kind="glyph", runtime="keras")
    base, card = loaded.net, loaded.card
    old_labels = loaded.card.label_text
    new_labels = "".join(c for c in user.classes if c not in old_labels)
    labels = old_labels + new_labels

    warnings = []
    counts = np.bincount(user.labels, minlength=len(user.classes))
    for cls, count in zip(user.classes, counts):
        if count < MIN_SAMPLES:
            warnings.append(f"class {cls!r} has only {count} samples; {MIN_SAMPLES}+ recommended")
    for text in warnings:
        log.warning(text)

    rng = np.random.default_rng(config.seed)
    y_user = np.array([labels.index(user.classes[i]) for i in user.labels])
    train_idx, test_idx = _holdout_split(y_user, config.holdout, rng)
    x_replay, y_replay, replay_source = _replay_set(card, old_labels, config.replay_per_class,
                                                    config.data_dir, rng)

    import keras

    from ocr.models.layers import RandomAffine

    keras.utils.set_random_seed(config.seed)
    x_test, y_test = user.images[test_idx], y_user[test_idx]
    before = {}
    if len(test_idx):
        probs = base.predict(x_test, verbose=0)
        before = per_class_accuracy(probs.argmax(1), y_test, labels)

    model = widen_classifier(base, len(labels), config.seed) if new_labels else base
    if not config.train_features:
        for layer in model.layers[:-1]:
            layer.trainable = False
    new_columns = None
    if new_labels and not config.train_features:
        # Only the new classes' weights learn: every old logit stays exactly as it
        # was, so old classes can only lose where a new class outbids them.
        model, new_columns = _new_columns_only(model, len(old_labels))
    # Oversample the user's glyphs so they are about half of each batch.
    x_new, y_new = user.images[train_idx], y_user[train_idx]
    repeat = max(1, len(y_replay) // max(1, len(y_new)))
    x_train = np.concatenate([np.repeat(x_new, repeat, axis=0), x_replay])
    y_train = np.concatenate([np.repeat(y_new, repeat), y_replay])

    inputs = keras.Input(model.input_shape[1:])
    trainer = keras.Model(inputs, model(RandomAffine(seed=config.seed, **HEAVY_AUGMENT)(inputs)))
    steps = int(np.ceil(len(y_train) / config.batch_size)) * config.epochs
    schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate or 3e-3, steps, alpha=0.05)
    trainer.compile(optimizer=keras.optimizers.Adam(schedule),
                    loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    started = time.time()
    trainer.fit(x_train, y_train, batch_size=config.batch_size, epochs=config.epochs,
                shuffle=True, verbose=1 if log.isEnabledFor(logging.INFO) else 0)
    elapsed = time.time() - started
    if new_columns is not None:
        model = new_columns()
    for layer in model.layers:
        layer.trainable = True

    after = {}
    if len(test_idx):
        after = per_class_accuracy(model.predict(x_test, verbose=0).argmax(1), y_test, labels)
    per_class = [ClassScore(c, after[c][0], before.get(c, (0, None))[1] if c in old_labels else None,
                            after[c][1]) for c in sorted(after)]
    metadata = dict(card.metadata)
    metadata.update({
        "name": Path(config.out).stem,
        "labels": list(labels),
        "parameters": int(model.count_params()),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "lineage": list(card.lineage) + [{
            "base": str(config.base), "base_file": str(base_path),
            "base_date": card.date, "glyphs": os.path.abspath(config.glyphs),
            "new_labels": new_labels, "user_samples": int(len(user)),
            "held_out": int(len(test_idx)), "replay": replay_source,
            "replay_per_class": config.replay_per_class, "epochs": config.epochs,
            "features_trained": config.train_features, "wall_time_s": round(elapsed, 1),
            "holdout_accuracy": {s.label: s.after for s in per_class},
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        }],
    })
    # The base model's test scores no longer describe this model.
    metadata["base_scores"] = metadata.pop("scores", {})
    metadata["scores"] = {}
    path = save_model(model, config.out, metadata, force=config.force)
    report = [f"added {len(new_labels)} classes: {new_labels}"] if new_labels else []
    if per_class:
        report.append("held-out accuracy per class (before -> after):")
        for score in per_class:
            was = "new" if score.before is None else f"{score.before:.0%}"
            report.append(f"  {score.label!r:6} n={score.n:<4} {was:>4} -> {score.after:.0%}")
    else:
        report.append("no samples held out (classes with fewer than 5 samples are not split)")
    return FinetuneResult(path, metadata, warnings=warnings, new_labels=new_labels, per_class=per_class,
                          n_train=int(len(train_idx)), n_heldout=int(len(test_idx)), report=report)
