"""The training path's speed tricks (docs/benchmarks.md) give the same numbers as the plain
computations they replace: the bias carried inside the matrix products, the float32
cross-entropy shifted by the row mean, Adam's paired moments, reused buffers."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import nncore.optimizers as optimizers_module
from nncore.layers import Dense
from nncore.losses import SoftmaxCrossEntropy
from nncore.network import build, encode_targets
from nncore.optimizers import make_optimizer
from nncore.parameters import Parameter, stacked_view
from nncore.session import Session
from nncore.spec import DataSpec, OptimizerSpec, TrainingSpec, mlp_spec, resolve_output


def _network(hidden, n_inputs, dtype, activation="tanh", n_classes=3, seed=0):
    spec = mlp_spec(hidden, activation)
    resolved = resolve_output(spec, TrainingSpec(), "multiclass", n_classes)
    return build(spec, n_inputs=n_inputs, resolved=resolved, rng=np.random.default_rng(seed),
                 dtype=dtype)


def _plain_gradients(net, x, t):
    """Forward and backward with every layer fed a copy (no linked bias), by hand."""
    activations, out = [], x
    for layer in net.layers:
        out = layer.activation.forward(out @ layer.weight.value + layer.bias.value)
        activations.append(out)
    _, grad = net.loss.value_and_gradient(t, out)
    grads = {}
    for i in range(len(net.layers) - 1, -1, -1):
        layer = net.layers[i]
        a_in = x if i == 0 else activations[i - 1]
        z = a_in @ layer.weight.value + layer.bias.value
        grad = layer.activation.backward(z, activations[i], grad.copy())
        grads[layer.weight.name] = a_in.T @ grad
        grads[layer.bias.name] = grad.sum(axis=0)
        grad = grad @ layer.weight.value.T
    return grads


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_inputs", [2, 40], ids=["narrow-input", "wide-input"])
def test_linked_dense_layers_give_the_plain_gradients(dtype, n_inputs, rng):
    net = _network([16, 8], n_inputs, dtype)
    assert net.layers[1]._source is net.layers[0] and net.layers[0]._feeds_dense
    assert net.layers[0]._ones_input == (n_inputs <= 16)
    x = rng.normal(size=(11, n_inputs)).astype(dtype)
    t = encode_targets(rng.integers(0, 3, 11), "multiclass", 3, dtype)
    net.compute_gradients(x, t)
    expected = _plain_gradients(net, x, t)
    rtol = 1e-4 if dtype == np.float32 else 1e-12
    for p in net.parameters():
        np.testing.assert_allclose(p.grad, expected[p.name], rtol=rtol,
                                   atol=1e-6 if dtype == np.float32 else 1e-14)


def test_a_dense_layer_fed_something_else_than_its_source_computes_plainly(rng):
    net = _network([6], 3, np.float64)
    first, second = net.layers
    x = rng.normal(size=(5, 3))
    a = first.forward(x, training=True)
    fused = second.forward(a, training=True).copy()
    plain = second.forward(a.copy(), training=True)
    np.testing.assert_allclose(fused, plain, rtol=1e-13)
    np.testing.assert_allclose(plain, a @ second.weight.value + second.bias.value, rtol=1e-13)


def test_the_output_of_a_linked_layer_keeps_its_shape_and_values(rng):
    net = _network([5, 4], 3, np.float64)
    x = rng.normal(size=(7, 3))
    a = net.layers[0].forward(x, training=True)
    assert a.shape == (7, 5)
    np.testing.assert_allclose(a, np.tanh(x @ net.layers[0].weight.value
                                          + net.layers[0].bias.value), rtol=1e-13)


def test_stacked_view_joins_a_weight_and_the_bias_right_after_it():
    values = np.arange(8.0)
    w, b = values[:6].reshape(3, 2), values[6:]
    joined = stacked_view(w, b)
    np.testing.assert_array_equal(joined, values.reshape(4, 2))
    assert np.shares_memory(joined, values)
    assert stacked_view(values[:6].reshape(3, 2), values[4:6]) is None  # not adjacent
    assert stacked_view(np.zeros((3, 2)), np.zeros(2)) is None  # separate arrays


def test_dense_backward_input_gradient_is_a_reused_buffer(rng):
    layer = Dense("d", 4)
    layer.build(3, rng, np.float64)
    x = rng.normal(size=(5, 3))
    layer.forward(x, training=True)
    first = layer.backward(np.ones((5, 4)))
    np.testing.assert_allclose(first, np.ones((5, 4)) @ layer.weight.value.T)
    assert layer.backward(np.ones((5, 4))) is first


# --------------------------------------------------------------------------- cross-entropy


def _reference_cross_entropy(y, z):
    z = z.astype(np.float64)
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -(y * log_p).sum() / len(z), (np.exp(log_p) - y) / len(z)


@pytest.mark.parametrize("k", [2, 10, 32, 40])
def test_float32_cross_entropy_matches_the_float64_reference(k, rng):
    z = (rng.normal(size=(64, k)) * 6).astype(np.float32)
    y = encode_targets(rng.integers(0, k, 64), "multiclass", k, np.float32)
    value, grad = SoftmaxCrossEntropy().value_and_gradient(y, z)
    ref_value, ref_grad = _reference_cross_entropy(y, z)
    assert grad.dtype == np.float32
    assert value == pytest.approx(ref_value, rel=1e-5)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-4, atol=1e-7)


def test_float32_cross_entropy_with_logits_far_above_their_mean_falls_back_quietly(rng):
    z = rng.normal(size=(8, 3)).astype(np.float32)
    z[2] = [500.0, -300.0, 0.0]  # exp(z - mean) overflows on the fast path
    y = encode_targets(rng.integers(0, 3, 8), "multiclass", 3, np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, grad = SoftmaxCrossEntropy().value_and_gradient(y, z)
    ref_value, ref_grad = _reference_cross_entropy(y, z)
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    assert value == pytest.approx(ref_value, rel=1e-5)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-4, atol=1e-7)


# --------------------------------------------------------------------------- optimizers


def _adam_trajectory(monkeypatch, paired_limit, rng):
    monkeypatch.setattr(optimizers_module, "PAIRED_UPDATE_SIZE", paired_limit)
    p = Parameter.zeros_like("p", rng.normal(size=(6, 5)))
    opt = make_optimizer("adam", [p], 0.05, beta1=0.8, beta2=0.95)
    values = []
    for _ in range(12):
        p.grad[...] = rng.normal(size=p.grad.shape)
        opt.step()
        values.append(p.value.copy())
    return np.array(values), opt.state_dict()


def test_adam_paired_and_separate_moment_updates_agree(monkeypatch):
    paired, paired_state = _adam_trajectory(monkeypatch, 10**9, np.random.default_rng(3))
    separate, separate_state = _adam_trajectory(monkeypatch, 0, np.random.default_rng(3))
    np.testing.assert_allclose(paired, separate, rtol=1e-13, atol=1e-15)
    for key in ("exp_avg", "exp_avg_sq"):
        np.testing.assert_allclose(paired_state["state"]["p"][key],
                                   separate_state["state"]["p"][key], rtol=1e-13, atol=1e-16)


def test_adam_paired_update_follows_a_beta_changed_mid_run(monkeypatch):
    rng = np.random.default_rng(4)
    p = Parameter.zeros_like("p", np.zeros(4))
    q = Parameter.zeros_like("q", np.zeros(4))
    paired, separate = make_optimizer("adam", [p], 0.1), make_optimizer("adam", [q], 0.1)
    for step in range(6):
        if step == 3:
            paired.beta1 = separate.beta1 = 0.5
        g = rng.normal(size=4)
        p.grad[...] = q.grad[...] = g
        paired.step()
        monkeypatch.setattr(optimizers_module, "PAIRED_UPDATE_SIZE", 0)
        separate.step()
        monkeypatch.setattr(optimizers_module, "PAIRED_UPDATE_SIZE", 16384)
    np.testing.assert_allclose(p.value, q.value, rtol=1e-13)


def test_sgd_momentum_keeps_one_buffer():
    p = Parameter.zeros_like("p", np.ones(3))
    opt = make_optimizer("momentum", [p], 0.1)
    p.grad[...] = 1.0
    opt.step()
    buffer = opt._state[0]["momentum_buffer"]
    opt.step()
    assert opt._state[0]["momentum_buffer"] is buffer
    np.testing.assert_allclose(p.value, 1 - 0.1 * (1 + 1.9))


# --------------------------------------------------------------------------- trainer


def test_each_epoch_is_the_shuffled_training_set_in_a_reused_buffer():
    s = Session(mlp_spec([4]), TrainingSpec(optimizer=OptimizerSpec("sgd", lr=0.1),
                                            batch_size=8, epochs=3, seed=2),
                DataSpec("moons", options={"n": 40}, val_split=0.0))
    trainer = s.trainer
    orders = []
    seen = set()
    for _ in range(3):
        rng_copy = np.random.Generator(np.random.PCG64())
        rng_copy.bit_generator.state = trainer.rng.bit_generator.state
        orders.append(rng_copy.permutation(trainer.data.x_train.shape[0]))
        trainer.train_step()
        np.testing.assert_array_equal(trainer._x_epoch, trainer._x[orders[-1]])
        np.testing.assert_array_equal(trainer._t_epoch, trainer._t[orders[-1]])
        seen.add(id(trainer._x_epoch))
        while trainer.batch_index:
            trainer.train_step()
    assert len(seen) == 1


def test_loss_and_predictions_match_evaluate_loss_and_predict(rng, monkeypatch):
    import nncore.network as network_module

    monkeypatch.setattr(network_module, "PREDICT_CHUNK", 4)
    net = _network([5], 3, np.float64)
    x = rng.normal(size=(10, 3))
    t = encode_targets(rng.integers(0, 3, 10), "multiclass", 3, np.float64)
    loss, outputs = net.loss_and_predictions(x, t)
    assert loss == pytest.approx(net.evaluate_loss(x, t), rel=1e-13)
    np.testing.assert_allclose(outputs, net.predict(x), rtol=1e-13)
