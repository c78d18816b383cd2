"""Regression curves and surfaces, and the logic gates: exact values at noise 0."""

from __future__ import annotations

import numpy as np
import pytest

from nncore.data import load_builtin
from nncore.data.regression import CURVES, SURFACES, formula

from .samples import assert_valid_dataset

EXACT = {
    "square": lambda x: x ** 2,
    "hyperbola": lambda x: 1 / x,
    "sine": np.sin,
    "abs": np.abs,
    "step": lambda x: np.where(x >= 0, 1.0, 0.0),
    "plane": lambda x: 2 * x[:, 0] - x[:, 1] + 0.5,
    "bump": lambda x: np.exp(-(x[:, 0] ** 2 + x[:, 1] ** 2)),
}


def test_square_is_set_up_as_a_beginner_would() -> None:
    data = load_builtin("square")
    expected = np.linspace(0, 1, 201)
    np.testing.assert_array_equal(data.x[:, 0], expected.astype(np.float32))
    np.testing.assert_allclose(data.y[:, 0], expected ** 2, rtol=1e-6, atol=1e-7)
    assert data.x.shape == (201, 1) and data.y.shape == (201, 1)
    assert data.info.recommended_normalize == "none"


@pytest.mark.parametrize("name", list(CURVES))
def test_curves_are_exact_at_noise_zero(name: str) -> None:
    data = load_builtin(name, {"n": 101})
    assert_valid_dataset(data)
    x = data.x[:, 0].astype(np.float64)
    lo, hi = CURVES[name][1]
    np.testing.assert_allclose(x, np.linspace(lo, hi, 101), rtol=1e-6)
    np.testing.assert_allclose(data.y[:, 0], EXACT[name](x), rtol=1e-5, atol=1e-6)
    assert np.all(np.diff(x) > 0)  # kept in increasing order for line plots
    assert data.info.domain[0][0] < lo and data.info.domain[0][1] > hi


@pytest.mark.parametrize("name", list(SURFACES))
def test_surfaces_are_exact_at_noise_zero(name: str) -> None:
    data = load_builtin(name, {"n": 300})
    assert_valid_dataset(data)
    assert data.x.shape == (300, 2)
    half = SURFACES[name][1]
    assert np.abs(data.x).max() <= half
    np.testing.assert_allclose(data.y[:, 0], EXACT[name](data.x.astype(np.float64)),
                               rtol=1e-5, atol=1e-6)


def test_noise_is_gaussian_with_the_requested_standard_deviation() -> None:
    data = load_builtin("sine", {"n": 40001, "noise": 0.1}, seed=3)
    residual = data.y[:, 0] - np.sin(data.x[:, 0].astype(np.float64))
    assert abs(residual.mean()) < 0.003 and residual.std() == pytest.approx(0.1, rel=0.02)


def test_formulas_are_named() -> None:
    assert formula("square") == "y = x^2" and "exp" in formula("bump")


@pytest.mark.parametrize(("name", "truth"), [("and", [0, 0, 0, 1]), ("or", [0, 1, 1, 1]),
                                             ("xor-gate", [0, 1, 1, 0])])
def test_logic_gates_are_their_truth_tables(name: str, truth: list[int]) -> None:
    data = load_builtin(name)
    assert_valid_dataset(data)
    np.testing.assert_array_equal(data.x, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(data.y, truth)
    expected = {"and": np.logical_and, "or": np.logical_or, "xor-gate": np.logical_xor}[name]
    np.testing.assert_array_equal(data.y, expected(data.x[:, 0], data.x[:, 1]))
