"""Model builders, the registry and ``.keras`` storage."""

from ocr.models.registry import REGISTRY, get_spec, load, resolve
from ocr.models.store import load_model, read_metadata, save_model

__all__ = ["REGISTRY", "get_spec", "load", "resolve", "load_model", "read_metadata", "save_model"]
