"""The in-memory form every glyph dataset is loaded into."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Dataset:
    """Images (N, 28, 28) uint8, upright, white on black, with integer labels into ``classes``."""

    name: str
    split: str
    images: np.ndarray
    labels: np.ndarray
    classes: str
    source_files: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.labels.shape[0])
