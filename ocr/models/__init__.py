"""Models: the registry of bundled models, their kinds, cards, storage and the loader.

``load(name_or_path)`` is the one way to get a model: see :mod:`ocr.models.loader`.
Imported lazily so ``import ocr.models`` does not pull in Keras.
"""

from ocr.models.card import ModelCard
from ocr.models.kinds import KINDS, ModelKind, get_kind
from ocr.models.loader import LoadedModel, clear_cache, load, read_card
from ocr.models.registry import REGISTRY, get_spec, resolve
from ocr.models.store import read_metadata, save_model

__all__ = ["KINDS", "LoadedModel", "ModelCard", "ModelKind", "REGISTRY", "clear_cache", "get_kind",
           "get_spec", "load", "read_card", "read_metadata", "resolve", "save_model"]
