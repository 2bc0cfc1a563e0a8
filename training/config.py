"""Options of the training commands, one dataclass each: the single source of their defaults.

The CLI reads its option defaults from these (:func:`default`), and the
benchmarks measure what they say. Import-light on purpose (no numpy, no
Keras): ``cli.py`` imports this module to build ``--help``.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Any


def default(config: type, name: str) -> Any:
    """The default of option ``name`` in the dataclass ``config``."""
    for f in fields(config):
        if f.name == name:
            if f.default is not MISSING:
                return f.default
            break
    raise KeyError(f"{config.__name__}.{name} has no default")


#: ``TrainConfig.deslant``'s default: the rule of the model's registry recipe.
RECIPE = "recipe"


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
    #: Devices to train on in data parallel (JAX backend); None: every visible accelerator, else 1.
    #: ``batch_size`` is per device: the global batch and the learning rate scale with the count.
    devices: int | None = None
    #: Warm start: a registry name or .keras file whose weights the new network starts from.
    init: str | None = None
    #: Line models that read handwriting: how every training and validation line's ink is sheared
    #: upright before its random variants are drawn, written into the card (``input.deslant``):
    #: ``{"estimate_factor": F}`` or ``{"shear": S}``; None: no deslanting; :data:`RECIPE`: the
    #: registry recipe's rule (``ModelSpec.deslant``; handline's bundled card's).
    deslant: dict[str, float] | None | str = RECIPE
    #: Save an exponential moving average of the weights, updated every step with this momentum
    #: (e.g. 0.998), instead of the last step's weights; None: the last step's. A fine-tune of a
    #: small real set ends where its last batches pushed it; the average sits amid the epochs.
    average: float | None = None


@dataclass
class FinetuneConfig:
    """Options of ``ocr train glyphs``."""

    glyphs: str
    base: str
    out: str
    epochs: int = 20
    batch_size: int = 64
    #: None: 3e-3 for a glyph model's new head, 5e-4 when a line model adapts every layer.
    learning_rate: float | None = None
    replay_per_class: int = 15
    holdout: float = 0.2
    train_features: bool = False
    data_dir: str | None = None
    seed: int = 0
    force: bool = False


@dataclass
class SignatureTrainConfig:
    """Options of ``ocr train signature``."""

    data: str
    out: str = "signet.keras"
    epochs: int = 20
    steps_per_epoch: int = 10
    writers_per_batch: int = 8
    genuine_per_writer: int = 4
    forged_per_writer: int = 2
    learning_rate: float = 1e-3
    margin: float = 1.0
    positive_margin: float = 0.3
    skilled_weight: float = 0.7
    val_writers: int = 5
    seed: int = 0
    force: bool = False
    #: (height, width); None: the verifier's standard input (:data:`ocr.signature.INPUT_SHAPE`).
    input_shape: tuple[int, int] | None = None
    ink_normalized: bool = True
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    #: The network's share of the squared distance when its embedding is joined with a
    #: hand-crafted descriptor (:class:`ocr.signature.FeatureFusion`); 1: the network alone.
    #: 0.3 with stroke_texture, chosen on the validation writers of 5 writer folds
    #: (bench/signatures.py; bench/RESULTS.md, session 19).
    network_weight: float = 0.3
    #: The descriptor joined: a key of :data:`ocr.signature.HAND_FEATURES`.
    hand_features: str = "stroke_texture"

    def __post_init__(self) -> None:
        if self.input_shape is None:
            from ocr.signature import INPUT_SHAPE

            self.input_shape = INPUT_SHAPE
