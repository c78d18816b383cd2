"""Sigmoid and everything it feeds, and the ELU slope, against 50-digit arithmetic.

The reference is Python's ``decimal`` at 50 significant digits, evaluated on the exact
binary value of every input; it shares no code and no formula with ``nncore``. The tails
are where cheap forms break: ``(1 + tanh(z/2))/2`` loses every digit of a small sigmoid,
``1 - sigmoid(z)`` every digit of a small complement, ``alpha*expm1(z) + alpha`` every
digit of a small ELU slope. Relative error must stay within 1e-6 over z in [-700, 700]
in float64, and in float32 wherever the true value is a normal float.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

import numpy as np
import pytest

from nncore.activations import ELU, Sigmoid, SiLU, Softplus
from nncore.losses import BCEWithLogits

RTOL = 1e-6
DIGITS = 50


def _grid(dtype: type, low: float, high: float) -> np.ndarray:
    """Dense points over [low, high], both tails and the centre, in ``dtype``."""
    points = np.concatenate([np.linspace(low, high, 2801), np.linspace(-40, 40, 801),
                             [0.0, -1e-30, 1e-30, low, high]])
    return np.unique(points.astype(dtype))


def _reference(z: np.ndarray, formula) -> np.ndarray:
    """``formula(Decimal(z_i))`` for every entry, at ``DIGITS`` digits, then float64."""
    with localcontext() as context:
        context.prec = DIGITS
        return np.array([float(formula(Decimal(float(v)))) for v in z.ravel()])


def _sigmoid(v: Decimal) -> Decimal:
    return 1 / (1 + (-v).exp())


def _relative_error(computed: np.ndarray, reference: np.ndarray) -> np.ndarray:
    return np.abs(computed.astype(np.float64) - reference) / np.abs(reference)


def _check(computed: np.ndarray, reference: np.ndarray, z: np.ndarray, dtype: type,
           what: str) -> int:
    """Assert the bound where the true value is a normal ``dtype`` float; return the count."""
    normal = np.abs(reference) >= np.finfo(dtype).tiny
    error = _relative_error(computed[normal], reference[normal])
    worst = int(np.argmax(error))
    assert error[worst] <= RTOL, (
        f"{what} ({np.dtype(dtype).name}): relative error {error[worst]:.3g} at "
        f"z = {z[normal][worst]!r}")
    return int(normal.sum())


DTYPES = [(np.float64, -700.0, 700.0), (np.float32, -100.0, 100.0)]


@pytest.mark.parametrize(("dtype", "low", "high"), DTYPES)
def test_sigmoid_and_its_slope_are_exact_in_both_tails(dtype, low, high):
    z = _grid(dtype, low, high)
    a = Sigmoid().forward(z)
    assert a.dtype == dtype
    _check(a, _reference(z, _sigmoid), z, dtype, "sigmoid")
    slope = Sigmoid().backward(z, a, np.ones_like(z))
    checked = _check(slope, _reference(z, lambda v: _sigmoid(v) * _sigmoid(-v)), z, dtype,
                     "sigmoid'")
    assert checked > 0.8 * z.size if dtype is np.float64 else checked > 0.5 * z.size


@pytest.mark.parametrize(("dtype", "low", "high"), DTYPES)
def test_sigmoid_in_place_matches_a_fresh_result(dtype, low, high):
    z = _grid(dtype, low, high)
    fresh = Sigmoid().forward(z)
    buffer = z.copy()
    assert Sigmoid().forward(buffer, out=buffer) is buffer  # as a layer reuses its buffer
    np.testing.assert_array_equal(buffer, fresh)


@pytest.mark.parametrize(("dtype", "low", "high"), DTYPES)
def test_softplus_gradient_is_an_exact_sigmoid(dtype, low, high):
    z = _grid(dtype, low, high)
    gradient = Softplus().backward(z, Softplus().forward(z), np.ones_like(z))
    _check(gradient, _reference(z, _sigmoid), z, dtype, "softplus'")


@pytest.mark.parametrize(("dtype", "low", "high"), DTYPES)
def test_silu_and_its_slope_are_exact_where_sigmoid_is_normal(dtype, low, high):
    z = _grid(dtype, low, high)
    # Where sigmoid(z) itself is subnormal (z < -87 in float32), z * sigmoid(z) can still
    # be normal but carries the subnormal's lost digits: the range tested is where the
    # sigmoid that feeds SiLU is normal.
    z = z[_reference(z, _sigmoid) >= np.finfo(dtype).tiny]
    a = SiLU().forward(z)
    _check(a, _reference(z, lambda v: v * _sigmoid(v)), z, dtype, "silu")
    slope = SiLU().backward(z, a, np.ones_like(z))
    true_slope = _reference(z, lambda v: _sigmoid(v) * (1 + v * _sigmoid(-v)))
    # The slope is a sum, s + z s (1 - s), with a root near z = -1.2785: there the terms
    # cancel and any float evaluation keeps only its rounding relative to the terms. The
    # bound is relative to the larger term, i.e. relative to the slope away from the root.
    terms = _reference(z, lambda v: _sigmoid(v) * max(1, abs(v * _sigmoid(-v))))
    error = np.abs(slope.astype(np.float64) - true_slope)
    worst = int(np.argmax(error / terms))
    assert error[worst] <= RTOL * terms[worst], f"silu' at z = {z[worst]!r}"
    _check(slope[np.abs(z + 1.2785) > 0.5], true_slope[np.abs(z + 1.2785) > 0.5],
           z[np.abs(z + 1.2785) > 0.5], dtype, "silu' away from its root")


@pytest.mark.parametrize(("dtype", "low", "high"), DTYPES)
@pytest.mark.parametrize("alpha", [1.0, 0.3])
def test_elu_slope_is_alpha_exp_z_without_cancellation(dtype, low, high, alpha):
    z = _grid(dtype, low, high)
    elu = ELU(alpha)
    a = elu.forward(z)
    with localcontext() as context:
        context.prec = DIGITS
        alpha_d = Decimal(alpha)
    true_value = _reference(z, lambda v: v if v > 0 else alpha_d * (v.exp() - 1))
    _check(a, true_value, z, dtype, "elu")
    slope = elu.backward(z, a, np.ones_like(z))
    _check(slope, _reference(z, lambda v: Decimal(1) if v > 0 else alpha_d * v.exp()), z,
           dtype, "elu'")


@pytest.mark.parametrize(("dtype", "low", "high"), DTYPES)
@pytest.mark.parametrize("target", [0.0, 1.0])
def test_bce_gradient_is_exact_in_both_tails_for_either_class(dtype, low, high, target):
    z = _grid(dtype, low, high)[:, None]
    y = np.full_like(z, target)
    value, gradient = BCEWithLogits().value_and_gradient(y, z)
    n = Decimal(z.size)
    # dL/dz = (sigmoid(z) - y)/n: sigmoid(z)/n for y = 0, -sigmoid(-z)/n for y = 1.
    formula = (lambda v: _sigmoid(v) / n) if target == 0 else (lambda v: -_sigmoid(-v) / n)
    _check(gradient.ravel(), _reference(z, formula), z.ravel(), dtype, f"bce' (y={target})")
    assert np.isfinite(value)


def test_predicted_probabilities_of_a_sigmoid_output_are_exact_far_below_zero():
    from nncore.network import build
    from nncore.spec import DenseSpec, NetworkSpec, Resolved

    spec = NetworkSpec((DenseSpec("out", units=1, activation="sigmoid"),))
    network = build(spec, n_inputs=1, resolved=Resolved("sigmoid", "bce", 1),
                    rng=np.random.default_rng(0), dtype=np.float64)
    network.set_weights({name: np.ones_like(value) if value.ndim == 2 else np.zeros_like(value)
                         for name, value in network.get_weights().items()})
    z = np.array([[-700.0], [-300.0], [-50.0], [0.0], [50.0]])
    _check(network.predict(z).ravel(), _reference(z, _sigmoid), z.ravel(), np.float64,
           "predict")
