"""Building the character language model a line model decodes with (:mod:`ocr.language`).

The corpus is the training lines' own transcripts, never validation or test
text. Order and weights are the ones chosen on the Testaments validation
writers (``bench/RESULTS.md``: 7-gram, alpha 0.3, beta 0.5 took the bundled
``handline`` from 26.29% to 21.88% CER there); they are stored in the file,
so a model and its language model travel together.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ocr.language import CharNgram, language_model_path

LM_ORDER = 7
LM_ALPHA = 0.3
LM_BETA = 0.5


def write_language_model(model_path, texts: Sequence[str], source: str, order: int = LM_ORDER,
                         alpha: float = LM_ALPHA, beta: float = LM_BETA) -> Path:
    """Count ``texts`` into an n-gram and write it beside the line model at ``model_path``."""
    lm = CharNgram.from_texts(texts, order, alpha=alpha, beta=beta,
                              about={"corpus": source, "lines": len(texts),
                                     "characters": sum(len(t) for t in texts),
                                     "weights chosen on": "testaments-de-poilus:val writers"})
    return lm.save(language_model_path(model_path))
