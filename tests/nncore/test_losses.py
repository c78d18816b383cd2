"""Losses: values against closed forms written here, gradients against central differences
(float64), the fused ``p - y`` gradients, stability at extreme logits, the batch-mean
convention, dtype preservation and the registry."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nncore.activations import Sigmoid, Softmax
from nncore.losses import LOSSES, Huber, get_loss
from tests.helpers import assert_grad_close, numeric_gradient

F64_RTOL = 1e-6  # finite differences, float64
VALUE_RTOL = 1e-12  # closed forms in float64 (math.fsum), only summation order differs

# --------------------------------------------------------------------------- closed forms


def _mean(terms) -> float:
    terms = [float(t) for t in np.ravel(terms)]
    return math.fsum(terms) / len(terms)


def mse_reference(y, p) -> float:
    return _mean([(b - a) ** 2 for a, b in zip(np.ravel(y), np.ravel(p))])


def mae_reference(y, p) -> float:
    return _mean([abs(b - a) for a, b in zip(np.ravel(y), np.ravel(p))])


def huber_reference(y, p, delta) -> float:
    def term(d):
        return 0.5 * d * d if abs(d) <= delta else delta * (abs(d) - 0.5 * delta)
    return _mean([term(b - a) for a, b in zip(np.ravel(y), np.ravel(p))])


def bce_reference(y, z) -> float:
    """Naive ``-y log s - (1-y) log(1-s)``: only valid for moderate logits."""
    def term(t, v):
        s = 1.0 / (1.0 + math.exp(-v))
        return -t * math.log(s) - (1.0 - t) * math.log(1.0 - s)
    return _mean([term(t, v) for t, v in zip(np.ravel(y), np.ravel(z))])


def softmax_reference(z) -> np.ndarray:
    rows = []
    for row in z:
        exps = [math.exp(v) for v in row]
        total = math.fsum(exps)
        rows.append([e / total for e in exps])
    return np.array(rows)


def ce_reference(y, z) -> float:
    """Naive ``-sum_k y_k log softmax(z)_k``, mean over rows."""
    p = softmax_reference(z)
    return math.fsum(-math.fsum(t * math.log(q) for t, q in zip(yr, pr))
                     for yr, pr in zip(y, p)) / len(z)


def _one_hot(labels, k) -> np.ndarray:
    return np.eye(k)[labels]


def _probability_rows(rng, n, k) -> np.ndarray:
    w = rng.random((n, k)) + 0.05
    return w / w.sum(axis=1, keepdims=True)


def test_every_registered_loss_is_covered_here():
    assert set(LOSSES) == {"mse", "mae", "huber", "bce", "cross_entropy"}


# --------------------------------------------------------------------------- values


@given(st.data())
def test_mse_value(data):
    shape = data.draw(st.tuples(st.integers(1, 6), st.integers(1, 3)))
    y = data.draw(arrays(np.float64, shape, elements=st.floats(-10, 10)))
    p = data.draw(arrays(np.float64, shape, elements=st.floats(-10, 10)))
    assert get_loss("mse").value(y, p) == pytest.approx(mse_reference(y, p), rel=VALUE_RTOL,
                                                        abs=1e-300)


@given(st.data())
def test_mae_value(data):
    shape = data.draw(st.tuples(st.integers(1, 6), st.integers(1, 3)))
    y = data.draw(arrays(np.float64, shape, elements=st.floats(-10, 10)))
    p = data.draw(arrays(np.float64, shape, elements=st.floats(-10, 10)))
    assert get_loss("mae").value(y, p) == pytest.approx(mae_reference(y, p), rel=VALUE_RTOL,
                                                        abs=1e-300)


@pytest.mark.parametrize("delta", [0.1, 0.5, 1.0, 3.0])
@pytest.mark.parametrize("regime", ["quadratic", "linear", "mixed"])
def test_huber_value(delta, regime, rng):
    magnitude = {"quadratic": rng.uniform(0, delta, (20, 2)),
                 "linear": rng.uniform(delta * 1.01, delta * 10, (20, 2)),
                 "mixed": rng.uniform(0, delta * 4, (20, 2))}[regime]
    y = rng.normal(size=(20, 2))
    p = y + magnitude * rng.choice([-1.0, 1.0], size=(20, 2))
    value = get_loss("huber", huber_delta=delta).value(y, p)
    assert value == pytest.approx(huber_reference(y, p, delta), rel=VALUE_RTOL)


def test_huber_regimes_reduce_to_half_mse_and_shifted_mae(rng):
    y = rng.normal(size=(10, 1))
    small = y + rng.uniform(-0.5, 0.5, (10, 1))
    large = y + rng.choice([-1.0, 1.0], (10, 1)) * rng.uniform(2.0, 5.0, (10, 1))
    huber = Huber(delta=1.0)
    assert huber.value(y, small) == pytest.approx(0.5 * mse_reference(y, small), rel=1e-12)
    assert huber.value(y, large) == pytest.approx(mae_reference(y, large) - 0.5, rel=1e-12)


@pytest.mark.parametrize("soft", [False, True], ids=["hard-labels", "soft-labels"])
def test_bce_value_matches_naive_formula(soft, rng):
    z = rng.uniform(-8, 8, size=(16, 3))
    y = rng.random((16, 3)) if soft else rng.integers(0, 2, (16, 3)).astype(float)
    assert get_loss("bce").value(y, z) == pytest.approx(bce_reference(y, z), rel=VALUE_RTOL)


@pytest.mark.parametrize("soft", [False, True], ids=["one-hot", "probability-rows"])
def test_cross_entropy_value_matches_naive_formula(soft, rng):
    z = rng.uniform(-8, 8, size=(12, 4))
    y = _probability_rows(rng, 12, 4) if soft else _one_hot(rng.integers(0, 4, 12), 4)
    value = get_loss("cross_entropy").value(y, z)
    assert value == pytest.approx(ce_reference(y, z), rel=VALUE_RTOL)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_value_agrees_with_value_and_gradient(name, rng):
    y, p = _targets_and_outputs(name, rng, 9, 3)
    loss = get_loss(name)
    value, grad = loss.value_and_gradient(y, p)
    assert loss.value(y, p) == value
    np.testing.assert_array_equal(loss.gradient(y, p), grad)


# --------------------------------------------------------------------------- gradients


def _targets_and_outputs(name, rng, n, k):
    """Targets and outputs (logits for fused losses) away from every kink."""
    if name == "cross_entropy":
        return _one_hot(rng.integers(0, k, n), k), rng.normal(size=(n, k)) * 3
    if name == "bce":
        return rng.integers(0, 2, (n, k)).astype(float), rng.normal(size=(n, k)) * 3
    y = rng.normal(size=(n, k))
    # |y_pred - y| in [0.05, 3], never exactly at MAE's kink or Huber's delta (1.0)
    d = rng.uniform(0.05, 3.0, (n, k)) * rng.choice([-1.0, 1.0], (n, k))
    d[np.abs(np.abs(d) - 1.0) < 1e-3] = 0.5
    return y, y + d


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("shape", [(1, 1), (5, 1), (7, 3)])
def test_gradient_matches_central_differences(name, shape, rng):
    y, p = _targets_and_outputs(name, rng, *shape)
    loss = get_loss(name)
    numeric = numeric_gradient(lambda pp: loss.value(y, pp), p.copy())
    assert_grad_close(loss.gradient(y, p.copy()), numeric, rtol=F64_RTOL)


@pytest.mark.parametrize("delta", [0.25, 2.0])
def test_huber_gradient_with_other_delta_matches_central_differences(delta, rng):
    y = rng.normal(size=(8, 2))
    p = y + rng.uniform(-3 * delta, 3 * delta, (8, 2))
    loss = get_loss("huber", huber_delta=delta)
    numeric = numeric_gradient(lambda pp: loss.value(y, pp), p.copy())
    assert_grad_close(loss.gradient(y, p), numeric, rtol=F64_RTOL)


def test_bce_gradient_is_sigmoid_minus_target_over_n(rng):
    # (p - y)/n up to rounding: the loss forms it as ((1 - y) p - y (1 - p))/n, which
    # does not cancel where p rounds to 1 (test_numerics.py checks the tails).
    z = rng.normal(size=(8, 1)) * 4
    y = rng.integers(0, 2, (8, 1)).astype(float)
    p = Sigmoid().forward(z)
    np.testing.assert_allclose(get_loss("bce").gradient(y, z), (p - y) / 8, rtol=1e-13)
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-z)), rtol=1e-12)


def test_cross_entropy_gradient_is_softmax_minus_target_over_n(rng):
    z = rng.normal(size=(8, 5)) * 4
    y = _one_hot(rng.integers(0, 5, 8), 5)
    p = Softmax().forward(z)
    np.testing.assert_array_equal(get_loss("cross_entropy").gradient(y, z), (p - y) / 8)
    np.testing.assert_allclose(p, softmax_reference(z), rtol=1e-12)


# --------------------------------------------------------------------------- stability


def test_bce_is_finite_and_exact_at_extreme_logits():
    z = np.array([[1e3], [-1e3], [1e3], [-1e3]])
    y = np.array([[1.0], [0.0], [0.0], [1.0]])
    value, grad = get_loss("bce").value_and_gradient(y, z)
    # per element: 0 (right and sure), 0, 1000 (wrong and sure), 1000
    assert value == 500.0
    np.testing.assert_array_equal(grad, [[0.0], [0.0], [0.25], [-0.25]])


def test_cross_entropy_is_finite_and_exact_at_extreme_logits():
    z = np.array([[1e3, -1e3, 0.0], [1e3, -1e3, 0.0], [-1e3, -1e3, -1e3]])
    y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    value, grad = get_loss("cross_entropy").value_and_gradient(y, z)
    assert value == pytest.approx((0.0 + 2000.0 + math.log(3)) / 3, rel=1e-15)
    expected = np.array([[0.0, 0.0, 0.0], [1.0, -1.0, 0.0], [1 / 3, 1 / 3, -2 / 3]]) / 3
    np.testing.assert_allclose(grad, expected, rtol=1e-15, atol=1e-300)


@pytest.mark.parametrize("name", ["bce", "cross_entropy"])
@pytest.mark.parametrize("scale", [1e3, 1e6])
def test_fused_losses_finite_for_huge_logits(name, scale, rng):
    y, z = _targets_and_outputs(name, rng, 6, 3)
    value, grad = get_loss(name).value_and_gradient(y, np.sign(z) * scale)
    assert math.isfinite(value) and value >= 0
    assert np.all(np.isfinite(grad))


# --------------------------------------------------------------------------- conventions


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_duplicating_the_batch_keeps_the_value_and_halves_each_row_gradient(name, rng):
    y, p = _targets_and_outputs(name, rng, 6, 2)
    loss = get_loss(name)
    value, grad = loss.value_and_gradient(y, p.copy())
    value2, grad2 = loss.value_and_gradient(np.vstack([y, y]), np.vstack([p, p]))
    assert value2 == pytest.approx(value, rel=1e-14)
    np.testing.assert_allclose(grad2[:6], grad / 2, rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(grad2[6:], grad / 2, rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_inputs_are_not_modified(name, rng):
    y, p = _targets_and_outputs(name, rng, 5, 3)
    y0, p0 = y.copy(), p.copy()
    get_loss(name).value_and_gradient(y, p)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(p, p0)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_float32_gradient_stays_float32(name, rng):
    y, p = _targets_and_outputs(name, rng, 5, 3)
    _, grad = get_loss(name).value_and_gradient(y.astype(np.float32), p.astype(np.float32))
    assert grad.dtype == np.float32


def test_gradient_points_from_target_towards_prediction():
    # argument order is (y_true, y_pred): the gradient is with respect to y_pred
    y, p = np.array([[0.0]]), np.array([[2.0]])
    for name in ("mse", "mae", "huber"):
        assert get_loss(name).gradient(y, p)[0, 0] > 0
        assert get_loss(name).gradient(p, y)[0, 0] < 0


# --------------------------------------------------------------------------- registry


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_registered_name_builds(name):
    assert get_loss(name).name == name


def test_huber_delta_is_passed_through():
    assert get_loss("huber", huber_delta=0.3).delta == 0.3


def test_unknown_loss_raises_value_error_listing_choices():
    with pytest.raises(ValueError, match="unknown loss 'msee'") as info:
        get_loss("msee")
    for name in LOSSES:
        assert repr(name) in str(info.value)
