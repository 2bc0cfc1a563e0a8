"""The glyph kind's trainer: classifiers of one normalized 28x28 glyph.

Training augments inside the graph (:class:`ocr.models.layers.RandomAffine`,
so it runs on the GPU when there is one) with sparse categorical
cross-entropy; scores are accuracies on the registry's test protocols;
fine-tuning widens the output layer (:mod:`training.finetune_glyphs`).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from ocr.models.registry import ModelSpec
from training.data import load_training_arrays, parse_dataset_list
from training.kinds.base import Trainer, split_validation

log = logging.getLogger(__name__)

GLYPH_INPUT = {"shape": [28, 28], "dtype": "uint8", "ink": "white on black", "range": [0, 255],
               "normalization": "MNIST-style: glyph fitted to 20x20 keeping aspect ratio, "
                                "centred by centre of mass in 28x28; scaled to 0..1 inside the model"}


class GlyphTrainer(Trainer):
    """Builds, trains, scores, evaluates and fine-tunes glyph classifiers."""

    kind = "glyph"
    input_format = GLYPH_INPUT
    samples = "glyphs"
    evaluation_options = ("exclude", "confusion")

    def augmentation(self, spec: ModelSpec, config) -> dict[str, Any]:
        return {"kind": "random affine", **augment_settings(spec, config)}

    def arrays(self, spec: ModelSpec, config, rng: np.random.Generator):
        train_specs = parse_dataset_list(config.dataset, spec.train_datasets, "train")
        x, y, used = load_training_arrays(train_specs, spec.labels, config.data_dir)
        if config.limit:
            pick = rng.permutation(len(y))[: config.limit]
            x, y = x[pick], y[pick]
        return *split_validation(x, y, config.validation_size, rng), used

    def training_model(self, spec: ModelSpec, config, net):
        import keras

        from ocr.models.layers import RandomAffine

        augment = RandomAffine(seed=config.seed, name="augment", **augment_settings(spec, config))
        inputs = keras.Input(shape=net.input_shape[1:], name="glyph")
        model = keras.Model(inputs, net(augment(inputs)), name=f"{spec.name}_training")
        return model, "sparse_categorical_crossentropy", ["accuracy"]

    def network(self, model, spec: ModelSpec):
        return model.get_layer(spec.name)

    def test_sets(self, spec: ModelSpec, config) -> list:
        from training.evaluate import protocol_arrays

        return [protocol_arrays(ev, spec.labels, config.data_dir) for ev in spec.evaluations[:1]]

    def score(self, net, spec: ModelSpec, config) -> dict[str, dict[str, Any]]:
        from training.evaluate import evaluate_model

        scores = {}
        for ev in spec.evaluations:
            report = evaluate_model(net, spec.labels, ev.dataset, ev.split, ev.exclude, config.data_dir)
            scores[ev.key] = {"accuracy": report.accuracy, "n": report.n, "excluded": report.excluded}
            log.info("test accuracy on %s: %.4f (%d images)", ev.key, report.accuracy, report.n)
        return scores

    def evaluate(self, model, dataset: str, split: str = "test", exclude=(), data_dir=None,
                 confusion=None):
        from ocr.errors import OcrError
        from training.evaluate import evaluate_model, save_confusion_image

        if split == "all":
            raise OcrError("the split 'all' is for orand-car-a; glyph datasets have train and test splits")
        report = evaluate_model(model.net, model.labels, dataset, split, exclude, data_dir)
        if confusion:
            save_confusion_image(report, confusion)
        return report

    def finetune(self, config, base_path):
        from training.finetune_glyphs import finetune_glyphs

        return finetune_glyphs(config, base_path)


def augment_settings(spec: ModelSpec, config) -> dict[str, float]:
    from ocr.models.layers import RandomAffine

    defaults = RandomAffine().get_config()
    keys = ("rotation", "scale", "aspect", "shear", "shift")
    return {k: {**{k: defaults[k] for k in keys}, **spec.augment, **config.augment}[k] for k in keys}


