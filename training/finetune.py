"""Fine-tuning: a bundled or user model adapted to a user's own samples.

:func:`finetune` checks the output and hands the work to the base model's
kind (:mod:`training.kinds`): a glyph model learns new classes from a glyph
folder (:mod:`training.finetune_glyphs`), a line model adapts to line images
with transcripts (:mod:`training.finetune_lines`). Both return a
:class:`FinetuneResult`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocr.errors import ModelError
from ocr.models import ModelCard, get_kind, read_card, registry
from ocr.models.store import check_writable
from training import datasets
from training.config import FinetuneConfig
from training.data import PRINTED


@dataclass
class ClassScore:
    label: str
    n: int
    before: float | None
    after: float


@dataclass
class FinetuneResult:
    """What fine-tuning made and how the held-out samples read before and after."""

    path: Path
    metadata: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    #: Glyph models: classes added, and held-out accuracy per class.
    new_labels: str = ""
    per_class: list[ClassScore] = field(default_factory=list)
    #: Samples (glyphs or lines) trained on and held out.
    n_train: int = 0
    n_heldout: int = 0
    #: Line models: held-out CER before and after.
    cer_before: float | None = None
    cer_after: float | None = None
    #: What was done and measured, in lines for a person to read.
    report: list[str] = field(default_factory=list)


def replay_sources(card: ModelCard) -> list[tuple[str, str]]:
    """The base model's training datasets, from its card."""
    sources = []
    for entry in card.training.get("datasets", []):
        match = re.match(r"([\w-]+):(\w+)", entry)
        if match and match.group(1) in (*datasets.DATASETS, PRINTED, datasets.ORAND_FOLDER):
            sources.append((match.group(1), match.group(2)))
    return sources


def finetune(config: FinetuneConfig) -> FinetuneResult:
    """Fine-tune ``config.base`` on ``config.glyphs`` and save the result to ``config.out``.

    The base model file is never modified; what the samples must be depends
    on the base model's kind (glyph folder, or line images with transcripts).
    """
    base_path = registry.resolve(config.base)
    check_writable(config.out, config.force)
    if Path(config.out).resolve() == base_path.resolve():
        raise ModelError("the output must not be the base model file; the base is never modified")
    card = read_card(config.base)
    return get_kind(card.kind, str(base_path)).trainer()().finetune(config, base_path)
