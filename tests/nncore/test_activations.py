"""Activations: values against closed forms written here, derivatives against central
differences (float64), numerical stability, dtype preservation and the registry."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from nncore.activations import ACTIVATIONS, ALIASES, get_activation
from tests.helpers import assert_grad_close, numeric_gradient

F64_RTOL = 1e-6  # finite differences vs backprop, float64 (GUIDE: 1e-6 relative)
VALUE_RTOL = 1e-12  # closed forms are evaluated in float64 with math.*; only rounding differs


def _elementwise(fn):
    """Apply a scalar ``math`` formula to every entry (deliberately not vectorised NumPy)."""
    return lambda z, alpha: np.vectorize(lambda v: fn(float(v), alpha), otypes=[float])(z)


def _softmax(z, alpha):
    rows = []
    for row in np.asarray(z, dtype=float):
        exps = [math.exp(v) for v in row]
        total = math.fsum(exps)
        rows.append([e / total for e in exps])
    return np.array(rows)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
REFERENCE = {
    "linear": _elementwise(lambda v, a: v),
    "relu": _elementwise(lambda v, a: v if v > 0 else 0.0),
    "leaky_relu": _elementwise(lambda v, a: v if v > 0 else (0.01 if a is None else a) * v),
    "elu": _elementwise(lambda v, a: v if v > 0 else (1.0 if a is None else a)
                        * (math.exp(v) - 1.0)),
    "gelu": _elementwise(lambda v, a: 0.5 * v * (1.0 + math.tanh(
        _SQRT_2_OVER_PI * (v + 0.044715 * v ** 3)))),
    "silu": _elementwise(lambda v, a: v / (1.0 + math.exp(-v))),
    "softplus": _elementwise(lambda v, a: math.log1p(math.exp(v))),
    "sigmoid": _elementwise(lambda v, a: 1.0 / (1.0 + math.exp(-v))),
    "tanh": _elementwise(lambda v, a: math.tanh(v)),
    "softmax": _softmax,
}
KINKED = {"relu", "leaky_relu", "elu"}  # not differentiable at exactly 0

CASES = [(name, None) for name in sorted(ACTIVATIONS)] + [("leaky_relu", 0.2), ("elu", 0.5)]
CASE_IDS = [name if alpha is None else f"{name}-alpha{alpha}" for name, alpha in CASES]


def _inputs(kinked: bool, bound: float = 6.0):
    """Float64 2-D batches with moderate values (away from 0 for kinked functions)."""
    values = st.floats(-bound, bound, allow_nan=False)
    if kinked:
        values = values.filter(lambda v: abs(v) > 1e-3)
    return arrays(np.float64, array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=6),
                  elements=values)


def test_every_registered_activation_has_a_reference_formula():
    assert set(ACTIVATIONS) == set(REFERENCE)


@pytest.mark.parametrize(("name", "alpha"), CASES, ids=CASE_IDS)
@given(data=st.data())
def test_forward_matches_closed_form(name, alpha, data):
    z = data.draw(_inputs(kinked=False))
    act = get_activation(name, alpha)
    np.testing.assert_allclose(act.forward(z.copy()), REFERENCE[name](z, alpha),
                               rtol=VALUE_RTOL, atol=1e-15)


@pytest.mark.parametrize(("name", "alpha"), CASES, ids=CASE_IDS)
@given(data=st.data())
def test_backward_matches_central_differences(name, alpha, data):
    # |z| <= 4: central differences resolve f'(z) only where h * f'(z) is far above the
    # rounding of f(z) (~1e-16 |f|). In the saturated tails of tanh (|z| > 5) and GELU
    # (z < -4.5) it is not, and the check would measure rounding, not the derivative.
    z = data.draw(_inputs(kinked=name in KINKED, bound=4.0))
    g = data.draw(arrays(np.float64, z.shape, elements=st.floats(-2.0, 2.0)))
    act = get_activation(name, alpha)

    def weighted_output(zz):  # L = sum(f(z) * g), so dL/dz is the vector-Jacobian product
        return float(np.sum(act.forward(zz.copy()) * g))

    numeric = numeric_gradient(weighted_output, z.copy())
    a = act.forward(z.copy())
    analytic = act.backward(z.copy(), a.copy(), g.copy())  # backward may overwrite grad_out
    # atol: a row-constant g gives softmax an exactly-zero gradient, where the differences
    # are rounding noise (~eps * |L| / h, |L| <= 288 here).
    assert_grad_close(analytic, numeric, rtol=F64_RTOL, atol=1e-7)


@pytest.mark.parametrize(("name", "alpha"), CASES, ids=CASE_IDS)
def test_forward_into_buffer_matches_fresh_result(name, alpha, rng):
    z = rng.normal(size=(7, 4)) * 3
    act = get_activation(name, alpha)
    expected = act.forward(z.copy())
    buffer = np.full_like(z, np.nan)
    result = act.forward(z.copy(), out=buffer)
    np.testing.assert_array_equal(result, expected)
    np.testing.assert_array_equal(buffer, expected)


@pytest.mark.parametrize(("name", "alpha"), CASES, ids=CASE_IDS)
def test_forward_leaves_its_input_unchanged(name, alpha, rng):
    z = rng.normal(size=(5, 3))
    before = z.copy()
    get_activation(name, alpha).forward(z)
    np.testing.assert_array_equal(z, before)


@pytest.mark.parametrize(("name", "alpha"), CASES, ids=CASE_IDS)
def test_float32_stays_float32(name, alpha, rng):
    z = rng.normal(size=(6, 3)).astype(np.float32)
    act = get_activation(name, alpha)
    a = act.forward(z.copy())
    grad = act.backward(z, a.copy(), np.ones_like(z))
    assert a.dtype == np.float32
    assert grad.dtype == np.float32
    buffer = np.empty_like(z)
    assert act.forward(z.copy(), out=buffer).dtype == np.float32


@pytest.mark.parametrize(("name", "alpha"), CASES, ids=CASE_IDS)
def test_finite_at_extreme_inputs(name, alpha):
    # RuntimeWarnings from nncore are errors (pyproject), so this also pins "no overflow".
    z = np.array([[1e3, -1e3, 0.5], [-1e3, -1e3, -1e3], [1e3, 1e3, 999.0]])
    act = get_activation(name, alpha)
    a = act.forward(z.copy())
    grad = act.backward(z.copy(), a.copy(), np.ones_like(z))
    assert np.all(np.isfinite(a))
    assert np.all(np.isfinite(grad))


def test_sigmoid_limits_at_extreme_logits():
    sigmoid = get_activation("sigmoid")
    a = sigmoid.forward(np.array([[1e3, -1e3, 0.0]]))
    np.testing.assert_array_equal(a, [[1.0, 0.0, 0.5]])
    slope = sigmoid.backward(np.array([[1e3, -1e3, 0.0]]), a.copy(), np.ones((1, 3)))
    np.testing.assert_allclose(slope, [[0.0, 0.0, 0.25]], atol=1e-300)


def test_softmax_is_stable_at_extreme_logits():
    z = np.array([[1e3, -1e3, 0.0], [-1e3, -1e3, -1e3], [1e3, 1e3, 999.0]])
    p = get_activation("softmax").forward(z)
    e = math.e
    expected = [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3],
                [e / (2 * e + 1), e / (2 * e + 1), 1 / (2 * e + 1)]]
    np.testing.assert_allclose(p, expected, rtol=1e-12, atol=1e-300)


@given(arrays(np.float64, array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=8),
              elements=st.floats(-1e3, 1e3)))
def test_softmax_rows_sum_to_one(z):
    p = get_activation("softmax").forward(z)
    assert np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("name", [n for n in sorted(ACTIVATIONS) if ACTIVATIONS[n].bounded])
@given(z=arrays(np.float64, (4, 3), elements=st.floats(-50.0, 50.0)))
def test_outputs_stay_within_declared_bounds(name, z):
    low, high = ACTIVATIONS[name].bounded
    a = get_activation(name).forward(z)
    assert np.all((a >= low) & (a <= high))


def test_relu_derivative_at_zero_is_zero():
    relu = get_activation("relu")
    z = np.zeros((1, 3))
    np.testing.assert_array_equal(relu.backward(z, relu.forward(z), np.ones((1, 3))), 0.0)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_registered_name_builds(name):
    act = get_activation(name)
    assert isinstance(act, ACTIVATIONS[name])
    assert act.name == name


@pytest.mark.parametrize(("alias", "target"), sorted(ALIASES.items()))
def test_alias_builds_its_target(alias, target):
    assert type(get_activation(alias)) is ACTIVATIONS[target]


@pytest.mark.parametrize(("name", "alpha", "expected"),
                         [("leaky_relu", None, 0.01), ("elu", None, 1.0), ("elu", 0.3, 0.3)])
def test_alpha_default_and_override(name, alpha, expected):
    assert get_activation(name, alpha).alpha == expected


def test_unknown_activation_raises_value_error_listing_choices():
    with pytest.raises(ValueError, match="unknown activation 'sigmoidd'") as info:
        get_activation("sigmoidd")
    for name in ACTIVATIONS:
        assert repr(name) in str(info.value)
