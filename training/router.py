"""Fitting the learnt route of ``ocr read``'s default pairing (:class:`ocr.recognize_mixed.LearnedRoute`).

Each tuning line the print model is unsure of has been read by all three
models; for each reading we know its character errors. The route is a
multinomial linear rule over :func:`ocr.recognize_mixed.route_features`, and
what it is fitted to lower is the expected number of character errors of the
reading it picks (each line's softmax over the readers times their errors),
not a label: a line that two readers read equally well costs nothing either
way, and a line where the wrong choice costs 30 errors weighs 30 times one
that costs one. Sets are weighted so that each counts by its CER, as
``bench/router.py`` scores them.
"""

from __future__ import annotations

import numpy as np

from ocr.recognize_mixed import READERS, LearnedRoute

#: L2 penalty on the standardised weights (not the biases). Chosen on held-out halves of the
#: tuning sets (bench/RESULTS.md): 1e-2 and above pull the weights that keep print lines print
#: too far down, and FUNSD lines go to the other readers.
L2 = 1e-4
STEPS = 4000
LEARNING_RATE = 0.5


def expected_errors(weights: np.ndarray, x: np.ndarray, errors: np.ndarray,
                    line_weight: np.ndarray) -> tuple[float, np.ndarray]:
    """The weighted expected errors of a softmax rule and their gradient in ``weights``.

    ``x`` is (lines, 1 + features) with a leading column of ones, ``errors`` (lines, readers).
    """
    logits = x @ weights.T
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    expected = (p * errors).sum(axis=1)
    loss = float(line_weight @ expected)
    d_logits = line_weight[:, None] * p * (errors - expected[:, None])
    return loss, d_logits.T @ x


def fit_route(features: np.ndarray, errors: np.ndarray, line_weight: np.ndarray, l2: float = L2,
              steps: int = STEPS, learning_rate: float = LEARNING_RATE) -> LearnedRoute:
    """A route fitted by gradient descent (Adam) on the weighted expected errors plus ``l2``."""
    features = np.asarray(features, np.float64)
    errors = np.asarray(errors, np.float64)
    line_weight = np.asarray(line_weight, np.float64)
    if features.ndim != 2 or len(features) == 0 or errors.shape != (len(features), len(READERS)):
        raise ValueError("features must be (lines, features) and errors (lines, readers), both non-empty")
    mean = features.mean(axis=0)
    scale = np.maximum(features.std(axis=0), 1e-6)
    x = np.hstack([np.ones((len(features), 1)), (features - mean) / scale])
    weights = np.zeros((len(READERS), x.shape[1]))
    m = np.zeros_like(weights)
    v = np.zeros_like(weights)
    penalised = np.ones_like(weights)
    penalised[:, 0] = 0.0
    for t in range(1, steps + 1):
        _, grad = expected_errors(weights, x, errors, line_weight)
        grad = grad + 2 * l2 * penalised * weights
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad ** 2
        weights -= learning_rate / np.sqrt(t) * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    return LearnedRoute(mean, scale, weights)
