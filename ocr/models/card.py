"""The model card: what a ``.keras`` file says about itself, typed and checked.

Every model file carries a JSON metadata member (:mod:`ocr.models.store`).
Code used to read that dict by key in a dozen places, so a file with
``"labels": 10`` or a list for metadata failed wherever it was first touched,
with a traceback. :meth:`ModelCard.from_metadata` checks the shape of every
field once, when the file is opened, and the rest of the code reads typed
attributes. The raw dict stays available (``metadata``) for copying into a
fine-tuned model's metadata.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ocr.deslant import DeslantRule
from ocr.errors import ModelError
from ocr.models.kinds import ModelKind, get_kind

#: The kind a file without a ``kind`` key is: glyph classifiers predate the key.
DEFAULT_KIND = "glyph"
#: Older signature models said what they are with ``task`` instead of ``kind``.
_TASK_KINDS = {"signature-verification": "signature"}


def _fail(where: str, what: str) -> ModelError:
    return ModelError(f"{where}: malformed model metadata ({what})")


def _mapping(meta: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    value = meta.get(key, {})
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(where, f"{key!r} must be an object, not {type(value).__name__}")
    return value


def _labels(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(value)
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _fail(where, "'labels' must be a list of characters")
    return tuple(value)


def _thresholds(meta: Mapping[str, Any], where: str) -> dict[int, float]:
    table = _mapping(meta, "thresholds", where)
    try:
        return {int(k): float(v) for k, v in table.items()}
    except (TypeError, ValueError):
        raise _fail(where, "'thresholds' must map reference counts to numbers") from None


@dataclass(frozen=True)
class ModelCard:
    """What a model is, what it takes, what it was trained on and how it scored."""

    name: str
    kind: str
    labels: tuple[str, ...] = ()
    description: str = ""
    #: Input format: shape, ink polarity, normalization (and ``ink_normalized`` for signatures).
    input: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    #: Test scores by protocol key (``mnist:test``): accuracy, and CER for line models.
    scores: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Signature models: decision threshold per number of references, and the combination
    #: rule (:data:`ocr.signature.COMBINE_METHODS`).
    thresholds: dict[int, float] = field(default_factory=dict)
    threshold: float | None = None
    combine: str | None = None
    #: Fine-tuning steps from the base model, oldest first.
    lineage: tuple[dict[str, Any], ...] = ()
    parameters: int | None = None
    date: str | None = None
    #: Line models: how each line's ink is sheared upright before it is read
    #: (``input.deslant``, :class:`ocr.deslant.DeslantRule`); None reads it as it is.
    deslant: DeslantRule | None = None
    #: The metadata as stored, for writing a derived model's card.
    metadata: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_metadata(cls, meta: Any, where: str | Path = "model",
                      fallback_labels: str | None = None) -> "ModelCard":
        """Check and type a metadata dict; ``fallback_labels`` serve files that predate label metadata."""
        where = str(where)
        if not isinstance(meta, dict):
            raise _fail(where, f"expected an object, not {type(meta).__name__}")
        kind = meta.get("kind") or _TASK_KINDS.get(meta.get("task"), DEFAULT_KIND)
        if not isinstance(kind, str):
            raise _fail(where, "'kind' must be a string")
        labels = _labels(meta.get("labels"), where) or _labels(fallback_labels, where)
        scores = _mapping(meta, "scores", where)
        if not all(isinstance(v, dict) for v in scores.values()):
            raise _fail(where, "every entry of 'scores' must be an object")
        lineage = meta.get("lineage", [])
        if not isinstance(lineage, list) or not all(isinstance(v, dict) for v in lineage):
            raise _fail(where, "'lineage' must be a list of objects")
        threshold, combine, parameters = meta.get("threshold"), meta.get("combine"), meta.get("parameters")
        if threshold is not None and not isinstance(threshold, (int, float)):
            raise _fail(where, "'threshold' must be a number")
        if combine is not None:
            from ocr.signature import COMBINE_METHODS  # only signature cards name one

            if combine not in COMBINE_METHODS:
                raise _fail(where, f"'combine' must be one of {', '.join(COMBINE_METHODS)}")
        if parameters is not None and not isinstance(parameters, int):
            raise _fail(where, "'parameters' must be an integer")
        inputs = _mapping(meta, "input", where)
        try:
            deslant = DeslantRule.from_card(inputs.get("deslant"))
        except ValueError as exc:
            raise _fail(where, str(exc)) from None
        name, description = meta.get("name", Path(where).stem), meta.get("description", "")
        if not isinstance(name, str) or not isinstance(description, str):
            raise _fail(where, "'name' and 'description' must be strings")
        return cls(
            name=name, kind=kind, labels=labels, description=description,
            input=inputs, training=_mapping(meta, "training", where),
            scores=scores, thresholds=_thresholds(meta, where),
            threshold=None if threshold is None else float(threshold), combine=combine,
            lineage=tuple(lineage), parameters=parameters, deslant=deslant,
            date=meta.get("date") if isinstance(meta.get("date"), str) else None,
            metadata=dict(meta),
        )

    @property
    def kind_object(self) -> ModelKind:
        """The :class:`~ocr.models.kinds.ModelKind` this card names."""
        return get_kind(self.kind, self.name)

    @property
    def label_text(self) -> str:
        return "".join(self.labels)

    def threshold_count_for(self, n_references: int) -> int | None:
        """The reference count whose calibrated threshold serves ``n_references``.

        The nearest calibrated count not above it (5 for 7 references), else the
        smallest; None when the model has no per-count table.
        """
        if not self.thresholds:
            return None
        usable = [k for k in self.thresholds if k <= n_references] or [min(self.thresholds)]
        return max(usable)

    def threshold_for(self, n_references: int) -> float:
        """The calibrated threshold for ``n_references`` (see :meth:`threshold_count_for`)."""
        count = self.threshold_count_for(n_references)
        if count is not None:
            return self.thresholds[count]
        if self.threshold is not None:
            return self.threshold
        raise ModelError(f"{self.name}: the model holds no calibrated threshold; give one explicitly")
