"""Small helpers shared by the XML writers (stdlib ElementTree: no dependency to write)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone


def now() -> str:
    """The current time, ISO 8601 in UTC, as both formats' date fields want it."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def num(value: float) -> str:
    """A number without a needless fraction ("12", "0.875")."""
    return f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def serialize(root: ET.Element) -> str:
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
