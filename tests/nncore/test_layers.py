"""Layers: Dense values and gradients (finite differences, float64, with L1/L2 penalties),
buffer reuse, Dropout statistics and masks, the stand-alone activation layer, shape errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nncore.activations import ACTIVATIONS, get_activation
from nncore.layers import ActivationLayer, Dense, Dropout
from tests.helpers import assert_grad_close, numeric_gradient

F64_RTOL = 1e-6


def _dense(n_in, units, activation="tanh", *, bias=True, l1=0.0, l2=0.0, seed=0,
           dtype=np.float64) -> Dense:
    layer = Dense("dense-1", units, get_activation(activation), bias=bias, l1=l1, l2=l2)
    layer.build(n_in, np.random.default_rng(seed), dtype)
    return layer


def _activation_reference(name, z):
    """Independent closed forms for the activations used in these layer tests."""
    return {"linear": lambda: z, "tanh": lambda: np.tanh(z),
            "relu": lambda: np.where(z > 0, z, 0.0),
            "sigmoid": lambda: 1 / (1 + np.exp(-z)),
            "elu": lambda: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
            "softmax": lambda: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)}[name]()


# --------------------------------------------------------------------------- Dense forward


@pytest.mark.parametrize("activation", ["linear", "tanh", "relu", "sigmoid", "elu", "softmax"])
@pytest.mark.parametrize("training", [True, False])
def test_dense_forward_is_activation_of_affine_map(activation, training, rng):
    layer = _dense(3, 4, activation)
    x = rng.normal(size=(5, 3))
    out = layer.forward(x, training=training)
    assert out.shape == (5, 4)
    z = x @ layer.weight.value + layer.bias.value
    np.testing.assert_allclose(out, _activation_reference(activation, z), rtol=1e-12)


def test_dense_without_bias_has_no_bias_parameter(rng):
    layer = _dense(3, 2, "linear", bias=False)
    x = rng.normal(size=(4, 3))
    assert [p.name for p in layer.parameters()] == ["dense-1.weight"]
    np.testing.assert_allclose(layer.forward(x, training=False), x @ layer.weight.value,
                               rtol=1e-14)


def test_dense_parameter_shapes_and_names():
    layer = _dense(3, 5)
    assert layer.weight.value.shape == (3, 5)
    assert layer.bias.value.shape == (5,)
    assert [p.name for p in layer.parameters()] == ["dense-1.weight", "dense-1.bias"]
    np.testing.assert_array_equal(layer.bias.value, 0.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_keeps_its_dtype(dtype, rng):
    layer = _dense(3, 4, "tanh", dtype=dtype)
    x = rng.normal(size=(6, 3)).astype(dtype)
    out = layer.forward(x, training=True)
    grad_in = layer.backward(np.ones((6, 4), dtype=dtype))
    assert out.dtype == dtype
    assert grad_in.dtype == dtype
    assert layer.weight.grad.dtype == dtype and layer.bias.grad.dtype == dtype


# --------------------------------------------------------------------------- Dense backward


def _layer_objective(layer, x, g):
    """``sum(f(x W + b) * g) + penalty``: its gradient is exactly what backward(g) returns."""
    return float(np.sum(layer.forward(x, training=False) * g)) + layer.penalty()


@pytest.mark.parametrize("activation", ["linear", "tanh", "relu", "sigmoid", "elu", "gelu",
                                        "softmax", "leaky_relu"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize(("l1", "l2"), [(0.0, 0.0), (0.0, 0.3), (0.2, 0.0), (0.1, 0.05)],
                         ids=["plain", "l2", "l1", "l1+l2"])
def test_dense_backward_matches_central_differences(activation, bias, l1, l2, rng):
    layer = _dense(3, 4, activation, bias=bias, l1=l1, l2=l2, seed=int(rng.integers(1 << 30)))
    x = rng.normal(size=(5, 3))
    g = rng.normal(size=(5, 4))
    layer.forward(x, training=True)
    grad_in = layer.backward(g.copy())

    def objective(_):
        return _layer_objective(layer, x, g)

    assert_grad_close(layer.weight.grad, numeric_gradient(objective, layer.weight.value),
                      rtol=F64_RTOL)
    if bias:
        assert_grad_close(layer.bias.grad, numeric_gradient(objective, layer.bias.value),
                          rtol=F64_RTOL)
    numeric_x = numeric_gradient(lambda xx: _layer_objective(layer, xx, g), x.copy())
    assert_grad_close(grad_in, numeric_x, rtol=F64_RTOL)


@pytest.mark.parametrize(("l1", "l2"), [(0.0, 0.0), (0.3, 0.0), (0.0, 0.2), (0.1, 0.4)])
def test_dense_penalty_is_l1_plus_l2_of_weights_only(l1, l2):
    layer = _dense(3, 4, l1=l1, l2=l2)
    layer.bias.value[:] = 5.0  # biases are not penalised
    w = layer.weight.value
    expected = l1 * math.fsum(np.abs(w).ravel()) + l2 * math.fsum((w ** 2).ravel())
    assert layer.penalty() == pytest.approx(expected, rel=1e-12, abs=0)


def test_first_layer_skips_input_gradient_but_sets_parameter_gradients(rng):
    layer = _dense(3, 4)
    x, g = rng.normal(size=(5, 3)), rng.normal(size=(5, 4))
    layer.forward(x, training=True)
    expected = layer.backward(g.copy())
    w_grad, b_grad = layer.weight.grad.copy(), layer.bias.grad.copy()
    layer.weight.grad[:] = np.nan
    layer.bias.grad[:] = np.nan
    layer.forward(x, training=True)
    assert layer.backward(g.copy(), need_input_grad=False) is None
    np.testing.assert_array_equal(layer.weight.grad, w_grad)
    np.testing.assert_array_equal(layer.bias.grad, b_grad)
    assert expected.shape == x.shape


def test_backward_overwrites_gradients_instead_of_accumulating(rng):
    layer = _dense(3, 4)
    x, g = rng.normal(size=(5, 3)), rng.normal(size=(5, 4))
    layer.forward(x, training=True)
    layer.backward(g.copy())
    first = layer.weight.grad.copy()
    layer.forward(x, training=True)
    layer.backward(g.copy())
    np.testing.assert_array_equal(layer.weight.grad, first)


def test_backward_before_forward_raises(rng):
    with pytest.raises(RuntimeError, match="dense-1"):
        _dense(3, 4).backward(np.ones((2, 4)))


@pytest.mark.parametrize("activation", ["linear", "tanh", "softmax"])
def test_training_forward_with_changing_batch_sizes_stays_correct(activation, rng):
    layer = _dense(3, 4, activation)
    reference = _dense(3, 4, activation)  # same seed: same weights, fresh buffers
    for n in (10, 4, 25, 1, 10):
        x, g = rng.normal(size=(n, 3)), rng.normal(size=(n, 4))
        out = layer.forward(x, training=True)
        np.testing.assert_allclose(out, reference.forward(x, training=False), rtol=1e-14)
        grad_in = layer.backward(g.copy())
        fresh = _dense(3, 4, activation)
        fresh.forward(x, training=True)
        np.testing.assert_allclose(grad_in, fresh.backward(g.copy()), rtol=1e-14)
        np.testing.assert_allclose(layer.weight.grad, fresh.weight.grad, rtol=1e-14)


@pytest.mark.parametrize("activation", ["linear", "tanh"])
def test_evaluation_forward_returns_fresh_arrays(activation, rng):
    layer = _dense(3, 4, activation)
    x = rng.normal(size=(6, 3))
    train_out = layer.forward(x, training=True)
    eval_out = layer.forward(x, training=False)
    kept = eval_out.copy()
    assert not np.shares_memory(eval_out, train_out)
    layer.forward(rng.normal(size=(6, 3)), training=True)  # reuses the training buffers
    np.testing.assert_array_equal(eval_out, kept)


def test_evaluation_forward_does_not_disturb_the_training_cache(rng):
    layer = _dense(3, 4, "tanh")
    x, g = rng.normal(size=(5, 3)), rng.normal(size=(5, 4))
    layer.forward(x, training=True)
    expected = layer.backward(g.copy())
    layer.forward(x, training=True)
    layer.forward(rng.normal(size=(7, 3)), training=False)
    np.testing.assert_array_equal(layer.backward(g.copy()), expected)


@pytest.mark.parametrize("make", [
    lambda: _dense(3, 4),
    lambda: Dropout("dropout-1", 0.5),
    lambda: ActivationLayer("activation-1", get_activation("relu")),
], ids=["dense", "dropout", "activation"])
@pytest.mark.parametrize("shape", [(5, 2), (5, 4), (3,)])
def test_wrong_input_width_raises_value_error_naming_shapes(make, shape):
    layer = make()
    if not isinstance(layer, Dense):
        layer.build(3, np.random.default_rng(0), np.float64)
    with pytest.raises(ValueError) as info:
        layer.forward(np.zeros(shape), training=True)
    message = str(info.value)
    assert str(shape) in message
    assert "3)" in message  # the expected width: "(n_samples, 3)"


# --------------------------------------------------------------------------- Dropout


def _dropout(rate, seed=0, n_in=1000) -> Dropout:
    layer = Dropout("dropout-1", rate)
    layer.build(n_in, np.random.default_rng(seed), np.float64)
    return layer


def test_dropout_is_identity_in_evaluation(rng):
    x = rng.normal(size=(20, 1000))
    np.testing.assert_array_equal(_dropout(0.5).forward(x, training=False), x)


def test_dropout_rate_zero_is_identity_in_training(rng):
    x = rng.normal(size=(20, 1000))
    np.testing.assert_array_equal(_dropout(0.0).forward(x, training=True), x)


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_dropout_drops_the_stated_fraction(rate):
    n = 1000 * 1000
    out = _dropout(rate).forward(np.ones((1000, 1000)), training=True)
    dropped = np.count_nonzero(out == 0) / n
    sigma = math.sqrt(rate * (1 - rate) / n)  # binomial standard deviation of the fraction
    assert abs(dropped - rate) < 5 * sigma


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_dropout_scales_survivors_so_the_mean_is_kept(rate, rng):
    x = rng.uniform(1.0, 2.0, size=(1000, 1000))
    out = _dropout(rate).forward(x, training=True)
    kept = out != 0
    np.testing.assert_allclose(out[kept], x[kept] / (1 - rate), rtol=1e-15)
    # out - x = x (m / (1 - rate) - 1) with m ~ Bernoulli(1 - rate): mean 0, variance
    # x^2 rate / (1 - rate); the standard deviation of its mean over N entries sets the bound.
    sigma = math.sqrt(np.mean(x ** 2) * rate / (1 - rate) / x.size)
    assert abs(out.mean() - x.mean()) < 5 * sigma


def test_dropout_backward_uses_the_forward_mask(rng):
    layer = _dropout(0.5, n_in=50)
    x = rng.uniform(1.0, 2.0, size=(40, 50))
    out = layer.forward(x, training=True)
    g = rng.normal(size=(40, 50))
    grad = layer.backward(g.copy())
    np.testing.assert_allclose(grad, g * out / x, rtol=1e-15)


def test_dropout_backward_matches_central_differences_with_frozen_mask(rng):
    layer = _dropout(0.3, n_in=6)
    x, g = rng.normal(size=(4, 6)), rng.normal(size=(4, 6))
    layer.forward(x, training=True)
    layer.frozen = True
    analytic = layer.backward(g.copy())
    numeric = numeric_gradient(lambda xx: float(np.sum(layer.forward(xx, training=True) * g)),
                               x.copy())
    assert_grad_close(analytic, numeric, rtol=F64_RTOL)


def test_dropout_frozen_mask_is_reused_and_unfrozen_mask_is_redrawn(rng):
    layer = _dropout(0.5, n_in=100)
    x = rng.normal(size=(10, 100))
    first = layer.forward(x, training=True)
    layer.frozen = True
    np.testing.assert_array_equal(layer.forward(x, training=True), first)
    layer.frozen = False
    assert not np.array_equal(layer.forward(x, training=True), first)


def test_dropout_masks_are_reproducible_from_the_seed(rng):
    x = rng.normal(size=(10, 100))
    a = _dropout(0.5, seed=7, n_in=100).forward(x, training=True)
    b = _dropout(0.5, seed=7, n_in=100).forward(x, training=True)
    np.testing.assert_array_equal(a, b)


def test_dropout_keeps_float32(rng):
    layer = Dropout("dropout-1", 0.5)
    layer.build(8, np.random.default_rng(0), np.float32)
    x = rng.normal(size=(4, 8)).astype(np.float32)
    assert layer.forward(x, training=True).dtype == np.float32
    assert layer.backward(np.ones_like(x)).dtype == np.float32


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5])
def test_dropout_rejects_rates_outside_zero_one(rate):
    with pytest.raises(ValueError, match=repr(rate)):
        Dropout("dropout-1", rate)


def test_dropout_skips_input_gradient_when_not_needed(rng):
    layer = _dropout(0.5, n_in=4)
    layer.forward(rng.normal(size=(3, 4)), training=True)
    assert layer.backward(np.ones((3, 4)), need_input_grad=False) is None


# --------------------------------------------------------------------------- ActivationLayer


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_layer_forward_equals_its_activation(name, rng):
    layer = ActivationLayer("activation-1", get_activation(name))
    layer.build(4, np.random.default_rng(0), np.float64)
    x = rng.normal(size=(5, 4))
    np.testing.assert_array_equal(layer.forward(x.copy(), training=True),
                                  get_activation(name).forward(x.copy()))


@pytest.mark.parametrize("name", ["tanh", "softmax", "sigmoid", "silu", "softplus"])
def test_activation_layer_backward_matches_central_differences(name, rng):
    layer = ActivationLayer("activation-1", get_activation(name))
    layer.build(4, np.random.default_rng(0), np.float64)
    x, g = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    layer.forward(x.copy(), training=True)
    analytic = layer.backward(g.copy())
    numeric = numeric_gradient(
        lambda xx: float(np.sum(layer.forward(xx.copy(), training=False) * g)), x.copy())
    assert_grad_close(analytic, numeric, rtol=F64_RTOL)
    assert layer.parameters() == []
