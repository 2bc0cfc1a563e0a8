"""What every trainer provides (:class:`Trainer`), and helpers they share."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ocr.errors import OcrError


def split_validation(x, y, size: int, rng: np.random.Generator):
    """Shuffle, then hold out ``size`` samples (at most a tenth) for validation."""
    order = rng.permutation(len(y))
    x, y = x[order], y[order]
    size = min(size, len(y) // 10)
    return (x[size:], y[size:]), (x[:size], y[:size])


class Trainer:
    """The training side of a model kind. Subclasses override what their kind supports."""

    kind: ClassVar[str] = ""
    #: The input format written into the model card.
    input_format: ClassVar[dict[str, Any]] = {}
    #: What :meth:`finetune` learns from: ``"glyphs"`` (a folder DIR/<label>/*.png) or
    #: ``"lines"`` (line images with a ``.gt.txt`` transcript beside each).
    samples: ClassVar[str] = ""
    #: Options of :meth:`evaluate` this kind understands besides dataset and split.
    evaluation_options: ClassVar[tuple[str, ...]] = ()
    #: Whether its training lines can be deslanted (``TrainConfig.deslant``): line models of handwriting.
    deslants: ClassVar[bool] = False

    def unsupported(self, what: str) -> OcrError:
        return OcrError(f"{what} is not available for {self.kind} models")

    def augmentation(self, spec, config) -> dict[str, Any]:
        """How training data is randomized, for the card."""
        return {}

    def arrays(self, spec, config, rng: np.random.Generator):
        """(x_train, y_train), (x_val, y_val), and a description of the data used."""
        raise self.unsupported("training with the generic loop")

    def fit_inputs(self, train, validation, batch_size: int, seed: int) -> dict[str, Any]:
        """Keyword arguments of ``keras.Model.fit`` for the training and validation data
        (arrays by default; a trainer that draws batches anew each epoch returns datasets)."""
        (x, y) = train
        return {"x": x, "y": y, "batch_size": batch_size, "validation_data": validation}

    def training_model(self, spec, config, net):
        """(model to fit, loss, metrics) around the freshly built ``net``."""
        raise self.unsupported("training with the generic loop")

    def network(self, model, spec):
        """The plain network inside a trained (or resumed) training model."""
        raise self.unsupported("training with the generic loop")

    def test_sets(self, spec, config) -> list:
        """Arrays to watch for early stopping at a target accuracy (none by default)."""
        return []

    def score(self, net, spec, config) -> dict[str, dict[str, Any]]:
        """Scores on the registry's test protocols, for the card."""
        return {}

    def evaluate(self, model, dataset: str, split: str = "test", exclude=(), data_dir=None,
                 confusion=None):
        """A report of ``model`` (a loaded model) on a dataset split."""
        raise self.unsupported("evaluation on a named dataset")

    def companions(self, spec, config, model_path) -> list[str]:
        """Files a trained model is written with (a line model's language model); none by default."""
        return []

    def finetune(self, config, base_path):
        """Adapt the base model to a user's samples; returns a :class:`training.finetune.FinetuneResult`."""
        raise self.unsupported("fine-tuning")
