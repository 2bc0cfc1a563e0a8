"""Fitting the learnt route (training/router.py) on lines whose best reader a feature tells."""

import numpy as np
import pytest

from training.router import expected_errors, fit_route


def _lines(n=300, seed=0):
    """Three kinds of line: cursive where feature 3 (characters per glyph) is high, hand print where
    feature 2 (glyph model's confidence) is high, print otherwise; the wrong reader costs errors."""
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, 3, n)
    features = rng.normal(0, 0.3, (n, 5))
    features[kind == 1, 3] += 2.0
    features[kind == 2, 2] += 2.0
    errors = np.full((n, 3), 10.0)
    errors[np.arange(n), kind] = 1.0
    return features, errors, kind


def test_the_fitted_route_picks_the_reader_with_fewer_errors():
    features, errors, kind = _lines()
    route = fit_route(features, errors, np.full(len(features), 1 / len(features)), steps=600)
    test_features, _, test_kind = _lines(seed=1)
    chosen = np.array([["print", "cursive", "hand"].index(route.choose(f)) for f in test_features])
    assert (chosen == test_kind).mean() > 0.95


def test_the_gradient_is_the_loss_slope():
    features, errors, _ = _lines(20)
    x = np.hstack([np.ones((20, 1)), features])
    weights = np.random.default_rng(2).normal(0, 0.5, (3, 6))
    line_weight = np.full(20, 0.05)
    loss, grad = expected_errors(weights, x, errors, line_weight)
    step = np.zeros_like(weights)
    step[1, 3] = 1e-6
    numeric = (expected_errors(weights + step, x, errors, line_weight)[0] - loss) / 1e-6
    assert numeric == pytest.approx(grad[1, 3], rel=1e-3)


def test_mismatched_shapes_are_refused():
    with pytest.raises(ValueError):
        fit_route(np.zeros((4, 5)), np.zeros((4, 2)), np.ones(4))
