"""Network: building from specs, the flat parameter buffer, full-network gradients against
finite differences (nncore.gradcheck and the test helper, independently), predictions,
target encoding and weights I/O."""

from __future__ import annotations

import numpy as np
import pytest

import nncore.network as network_module
from nncore.gradcheck import gradient_check
from nncore.layers import Dense, Dropout
from nncore.network import build, encode_targets, predicted_labels
from nncore.spec import (
    ActivationSpec,
    DenseSpec,
    DropoutSpec,
    NetworkSpec,
    Resolved,
    TrainingSpec,
    mlp_spec,
    resolve_output,
)
from tests.helpers import assert_grad_close, numeric_gradient

F64_RTOL = 1e-6


def make_network(spec, task="multiclass", *, n_inputs=3, n_classes=3, n_targets=1,
                 loss="auto", seed=0, dtype=np.float64, resolved=None, huber_delta=1.0):
    resolved = resolved or resolve_output(spec, TrainingSpec(loss=loss), task, n_classes,
                                          n_targets)
    return build(spec, n_inputs=n_inputs, resolved=resolved, rng=np.random.default_rng(seed),
                 dtype=dtype, huber_delta=huber_delta)


def batch(net, task, rng, n=7):
    """Inputs and encoded targets for ``net``."""
    x = rng.normal(size=(n, net.n_inputs))
    if task == "regression":
        y = rng.normal(size=(n, net.n_outputs))
    else:
        y = rng.integers(0, max(net.n_outputs, 2), n)
        y[: min(n, max(net.n_outputs, 2))] = np.arange(min(n, max(net.n_outputs, 2)))
    return x, encode_targets(y, task, net.n_outputs, np.float64)


# --------------------------------------------------------------------------- building


def test_mlp_spec_layer_ids_and_parameter_names():
    net = make_network(mlp_spec([5, 4]))
    assert [layer.id for layer in net.layers] == ["dense-1", "dense-2", "dense-3"]
    assert [p.name for p in net.parameters()] == [
        "dense-1.weight", "dense-1.bias", "dense-2.weight", "dense-2.bias",
        "dense-3.weight", "dense-3.bias"]


def test_mlp_spec_with_dropout_interleaves_dropout_layers():
    net = make_network(mlp_spec([5, 4], dropout=0.25))
    assert [layer.id for layer in net.layers] == [
        "dense-1", "dropout-1", "dense-2", "dropout-2", "dense-3"]
    assert [type(layer) for layer in net.layers] == [Dense, Dropout, Dense, Dropout, Dense]
    assert net.layer("dropout-2").rate == 0.25


def test_build_shapes_follow_the_spec_and_resolved_output():
    net = make_network(mlp_spec([5, 4]), n_inputs=3, n_classes=6)
    shapes = [p.value.shape for p in net.parameters()]
    assert shapes == [(3, 5), (5,), (5, 4), (4,), (4, 6), (6,)]
    assert net.n_parameters == 3 * 5 + 5 + 5 * 4 + 4 + 4 * 6 + 6
    assert net.n_outputs == 6


@pytest.mark.parametrize(("task", "loss", "layer_activation", "predict_activation"), [
    ("multiclass", "auto", "linear", "softmax"),     # fused: the layer outputs logits
    ("binary", "auto", "linear", "sigmoid"),
    ("regression", "auto", "linear", "linear"),
    ("multiclass", "mse", "softmax", "linear"),      # not fused: softmax inside the layer
])
def test_output_activation_is_fused_only_with_its_loss(task, loss, layer_activation,
                                                       predict_activation):
    net = make_network(mlp_spec([4]), task, loss=loss)
    assert net.layers[-1].activation.name == layer_activation
    assert net.output_activation.name == predict_activation


def test_same_seed_builds_identical_weights_and_other_seed_does_not():
    a = make_network(mlp_spec([5]), seed=3).flat.values
    b = make_network(mlp_spec([5]), seed=3).flat.values
    c = make_network(mlp_spec([5]), seed=4).flat.values
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_adding_dropout_does_not_change_the_initial_weights():
    plain = make_network(mlp_spec([5, 4]), seed=1).get_weights()
    dropped = make_network(mlp_spec([5, 4], dropout=0.3), seed=1).get_weights()
    assert plain.keys() == dropped.keys()
    for name in plain:
        np.testing.assert_array_equal(plain[name], dropped[name])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_parameters_are_views_into_the_flat_buffer(dtype):
    net = make_network(mlp_spec([5, 4]), dtype=dtype)
    assert net.flat.values.dtype == dtype and net.flat.values.ndim == 1
    assert net.flat.values.size == net.n_parameters
    for p in net.parameters():
        assert np.shares_memory(p.value, net.flat.values)
        assert np.shares_memory(p.grad, net.flat.grads)


def test_writing_a_parameter_changes_the_flat_values_and_the_output(rng):
    net = make_network(mlp_spec([5]))
    x = rng.normal(size=(4, 3))
    before = net.forward(x).copy()
    layer = net.layer("dense-2")
    layer.weight.value[...] = 0.0
    layer.bias.value[...] = [1.0, 2.0, 3.0]
    start = sum(p.value.size for p in net.parameters()[:2])
    np.testing.assert_array_equal(net.flat.values[start:start + 15], 0.0)
    np.testing.assert_array_equal(net.flat.values[-3:], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(net.forward(x), np.tile([1.0, 2.0, 3.0], (4, 1)))
    assert not np.array_equal(before, net.forward(x))


def test_writing_the_flat_buffer_changes_the_layers():
    net = make_network(mlp_spec([5]))
    net.flat.values[:] = np.arange(net.n_parameters)
    np.testing.assert_array_equal(net.layer("dense-1").weight.value.ravel(), np.arange(15))
    np.testing.assert_array_equal(net.layer("dense-1").bias.value, np.arange(15, 20))


def test_layers_own_the_network_parameters():
    net = make_network(mlp_spec([5]))
    owned = [p for layer in net.layers for p in layer.parameters()]
    assert all(a is b for a, b in zip(owned, net.parameters()))


def test_unknown_layer_id_raises_key_error():
    with pytest.raises(KeyError, match="dense-9"):
        make_network(mlp_spec([5])).layer("dense-9")


# --------------------------------------------------------------------------- gradients

GRADIENT_CASES = {
    "regression-mse": (mlp_spec([5, 4], "tanh"), "regression", "mse", {}),
    "regression-mae": (mlp_spec([5], "sigmoid"), "regression", "mae", {}),
    "regression-huber": (mlp_spec([5], "elu"), "regression", "huber", {"huber_delta": 0.5}),
    "binary-bce": (mlp_spec([6], "tanh"), "binary", "auto", {}),
    "multiclass-cross-entropy": (mlp_spec([5, 4], "gelu"), "multiclass", "auto", {}),
    "multiclass-softmax-mse": (mlp_spec([5], "tanh", output_activation="softmax"),
                               "multiclass", "mse", {}),
    "relu-l1-l2": (NetworkSpec((DenseSpec("dense-1", 6, "relu", l1=0.01, l2=0.02),
                                DenseSpec("dense-2", None, "auto", l2=0.05))),
                   "multiclass", "auto", {}),
    "dropout": (mlp_spec([8, 6], "tanh", dropout=0.3), "multiclass", "auto", {}),
    "activation-layers": (NetworkSpec((DenseSpec("dense-1", 5, "linear"),
                                       ActivationSpec("activation-1", "silu"),
                                       DropoutSpec("dropout-1", 0.2),
                                       DenseSpec("dense-2", 4, "linear", bias=False),
                                       ActivationSpec("activation-2", "softplus"),
                                       DenseSpec("dense-3", None))),
                          "regression", "mse", {}),
}


def _gradient_network(case):
    spec, task, loss, extra = GRADIENT_CASES[case]
    return make_network(spec, task, loss=loss, n_targets=2, seed=11, **extra), task


@pytest.mark.parametrize("case", sorted(GRADIENT_CASES))
def test_backward_matches_gradcheck(case, rng):
    net, task = _gradient_network(case)
    x, t = batch(net, task, rng)
    result = gradient_check(net, x, t, max_entries=1000)
    assert result.passed, [(r.name, r.relative_error) for r in result.failures()]
    assert {r.name for r in result.tensors} == {p.name for p in net.parameters()}
    assert all(r.checked == r.shape[0] * (r.shape[1] if len(r.shape) > 1 else 1)
               for r in result.tensors)


@pytest.mark.parametrize("case", sorted(GRADIENT_CASES))
def test_backward_matches_helper_finite_differences(case, rng):
    net, task = _gradient_network(case)
    x, t = batch(net, task, rng)
    net.compute_gradients(x, t)  # draws dropout masks, then freezes them for the differences
    for layer in net.layers:
        if isinstance(layer, Dropout):
            layer.frozen = True
    analytic = net.flat.grads.copy()
    numeric = numeric_gradient(lambda _: net.objective(x, t, training=True), net.flat.values)
    for p in net.parameters():
        part = net.flat.slice_of(net.parameters().index(p))
        assert_grad_close(analytic[part], numeric[part], rtol=F64_RTOL)


def test_compute_gradients_returns_loss_plus_penalty(rng):
    spec = NetworkSpec((DenseSpec("dense-1", 4, "tanh", l1=0.1, l2=0.2),
                        DenseSpec("dense-2", None, "auto", l2=0.3)))
    net = make_network(spec, "regression", loss="mse")
    x, t = batch(net, "regression", rng)
    objective, _ = net.compute_gradients(x, t)
    data_loss = float(np.mean((net.forward(x) - t) ** 2))
    w1, w2 = net.layer("dense-1").weight.value, net.layer("dense-2").weight.value
    penalty = 0.1 * np.abs(w1).sum() + 0.2 * (w1 ** 2).sum() + 0.3 * (w2 ** 2).sum()
    assert objective == pytest.approx(data_loss + penalty, rel=1e-12)
    assert net.evaluate_loss(x, t) == pytest.approx(data_loss, rel=1e-12)


def test_input_gradient_on_request_matches_finite_differences(rng):
    net = make_network(mlp_spec([5], "tanh"), "regression", loss="mse")
    x, t = batch(net, "regression", rng)
    net.forward(x, training=True)
    grad_x = net.backward(net.loss.gradient(t, net.forward(x, training=True)),
                          need_input_grad=True)
    numeric = numeric_gradient(lambda xx: net.objective(xx, t), x.copy())
    assert_grad_close(grad_x, numeric, rtol=F64_RTOL)


# --------------------------------------------------------------------------- predictions


def test_predict_gives_class_probabilities_for_multiclass(rng):
    net = make_network(mlp_spec([5]), n_classes=4)
    x = rng.normal(size=(10, 3)) * 3
    p = net.predict(x)
    logits = net.forward(x)
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(p, expected, rtol=1e-12)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)


def test_predict_gives_probabilities_for_binary(rng):
    net = make_network(mlp_spec([5]), "binary", n_classes=2)
    x = rng.normal(size=(10, 3))
    np.testing.assert_allclose(net.predict(x), 1 / (1 + np.exp(-net.forward(x))), rtol=1e-12)
    assert net.predict(x).shape == (10, 1)


def test_predict_equals_forward_for_regression(rng):
    net = make_network(mlp_spec([5]), "regression", loss="mse", n_targets=2)
    x = rng.normal(size=(10, 3))
    np.testing.assert_array_equal(net.predict(x), net.forward(x))


def test_predict_in_chunks_equals_a_single_pass(rng, monkeypatch):
    net = make_network(mlp_spec([5, 4]), n_classes=3)
    x = rng.normal(size=(50, 3))
    single = net.predict(x)
    monkeypatch.setattr(network_module, "PREDICT_CHUNK", 7)
    np.testing.assert_allclose(net.predict(x), single, rtol=1e-13)


def test_evaluate_loss_in_chunks_equals_the_loss_of_a_single_pass(rng, monkeypatch):
    net = make_network(mlp_spec([5]), n_classes=3)
    x, t = batch(net, "multiclass", rng, n=50)
    single = net.loss.value(t, net.forward(x))
    monkeypatch.setattr(network_module, "PREDICT_CHUNK", 7)
    assert net.evaluate_loss(x, t) == pytest.approx(single, rel=1e-12)


def test_predict_converts_inputs_to_the_network_dtype(rng):
    net = make_network(mlp_spec([5]), dtype=np.float32)
    assert net.predict(rng.normal(size=(4, 3))).dtype == np.float32


def test_predict_ignores_dropout(rng):
    net = make_network(mlp_spec([16], dropout=0.5))
    x = rng.normal(size=(6, 3))
    np.testing.assert_array_equal(net.predict(x), net.predict(x))
    twin = make_network(mlp_spec([16]))
    np.testing.assert_allclose(net.predict(x), twin.predict(x), rtol=1e-14)


def test_trace_records_every_layer_and_ends_with_the_output(rng):
    net = make_network(mlp_spec([5, 4], dropout=0.2))
    x = rng.normal(size=(6, 3))
    traces = net.trace(x)
    assert [t.layer_id for t in traces] == [layer.id for layer in net.layers]
    np.testing.assert_allclose(traces[-1].output, net.forward(x), rtol=1e-14)
    first = net.layer("dense-1")
    np.testing.assert_allclose(traces[0].pre_activation,
                               x @ first.weight.value + first.bias.value, rtol=1e-14)


@pytest.mark.parametrize(("outputs", "expected"), [
    ([[0.2], [0.7], [0.5]], [0, 1, 0]),
    ([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3]], [1, 0]),
])
def test_predicted_labels(outputs, expected):
    np.testing.assert_array_equal(predicted_labels(np.array(outputs)), expected)


# --------------------------------------------------------------------------- targets


def test_encode_targets_one_hot_for_several_outputs():
    encoded = encode_targets(np.array([2, 0, 1]), "multiclass", 3, np.float32)
    np.testing.assert_array_equal(encoded, [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    assert encoded.dtype == np.float32


def test_encode_targets_binary_column_for_one_output():
    encoded = encode_targets(np.array([1, 0, 1]), "binary", 1, np.float64)
    np.testing.assert_array_equal(encoded, [[1.0], [0.0], [1.0]])


def test_encode_targets_binary_one_hot_for_two_outputs():
    np.testing.assert_array_equal(encode_targets(np.array([1, 0]), "binary", 2, np.float64),
                                  [[0.0, 1.0], [1.0, 0.0]])


@pytest.mark.parametrize(("y", "n_outputs", "expected_shape"), [
    (np.arange(4.0), 1, (4, 1)), (np.ones((4, 1)), 1, (4, 1)), (np.ones((4, 2)), 2, (4, 2)),
    (np.zeros((0, 1)), 1, (0, 1)), (np.zeros(0), 1, (0, 1)), (np.zeros((0, 3)), 3, (0, 3)),
])
def test_encode_targets_regression_shapes(y, n_outputs, expected_shape):
    assert encode_targets(y, "regression", n_outputs, np.float64).shape == expected_shape


@pytest.mark.parametrize(("y", "task", "n_outputs", "message"), [
    (np.ones((4, 2)), "regression", 1, "2 target column"),
    (np.array([0, 1, 2]), "binary", 1, "3 classes"),
    (np.array([0, 3]), "multiclass", 3, "labels go up to 3"),
    (np.array([0, -1]), "multiclass", 3, "labels"),
    (np.array([0, -1]), "binary", 1, "0/1 labels"),
])
def test_encode_targets_errors_name_the_problem(y, task, n_outputs, message):
    with pytest.raises(ValueError, match=message):
        encode_targets(y, task, n_outputs, np.float64)


# --------------------------------------------------------------------------- weights I/O


def test_get_weights_returns_copies():
    net = make_network(mlp_spec([5]))
    weights = net.get_weights()
    weights["dense-1.weight"][...] = 99.0
    assert not np.any(net.layer("dense-1").weight.value == 99.0)


def test_set_weights_round_trip_reproduces_predictions(rng):
    source = make_network(mlp_spec([5, 4]), seed=1)
    target = make_network(mlp_spec([5, 4]), seed=2)
    target.set_weights(source.get_weights())
    x = rng.normal(size=(6, 3))
    np.testing.assert_array_equal(target.predict(x), source.predict(x))
    np.testing.assert_array_equal(target.flat.values, source.flat.values)


def test_set_weights_accepts_other_float_dtypes():
    net = make_network(mlp_spec([5]), dtype=np.float32)
    weights = {k: v.astype(np.float64) for k, v in make_network(mlp_spec([5]), seed=5)
               .get_weights().items()}
    net.set_weights(weights)
    assert net.flat.values.dtype == np.float32
    np.testing.assert_allclose(net.get_weights()["dense-1.weight"], weights["dense-1.weight"],
                               rtol=1e-7)


def _bad_weights(kind):
    weights = make_network(mlp_spec([5]), seed=9).get_weights()
    if kind == "missing":
        del weights["dense-2.bias"]
    elif kind == "misshapen":
        weights["dense-2.weight"] = np.zeros((5, 4))
    elif kind == "nan":
        weights["dense-2.bias"][1] = np.nan
    elif kind == "inf":
        weights["dense-2.weight"][0, 0] = np.inf
    elif kind == "too-large":  # finite in float64, inf once stored in the float32 network
        weights = {k: v.astype(np.float64) for k, v in weights.items()}
        weights["dense-1.weight"][0, 0] = 1e308
    return weights


@pytest.mark.parametrize(("kind", "message"), [
    ("missing", "'dense-2.bias' are missing"),
    ("misshapen", r"'dense-2.weight' have shape \(5, 4\), the network needs \(5, 3\)"),
    ("nan", "'dense-2.bias' contain NaN"),
    ("inf", "'dense-2.weight' contain NaN or infinite"),
    ("too-large", "'dense-1.weight' .* too large for float32"),
])
def test_set_weights_errors_name_the_parameter(kind, message):
    with pytest.raises(ValueError, match=message):
        make_network(mlp_spec([5]), dtype=np.float32).set_weights(_bad_weights(kind))


@pytest.mark.parametrize("kind", ["missing", "misshapen", "nan", "inf", "too-large"])
def test_set_weights_that_fail_leave_the_network_unchanged(kind):
    net = make_network(mlp_spec([5]), dtype=np.float32)
    before = net.flat.values.copy()
    with pytest.raises(ValueError):
        net.set_weights(_bad_weights(kind))
    np.testing.assert_array_equal(net.flat.values, before)


def test_unfused_resolved_output_can_be_given_explicitly(rng):
    net = make_network(mlp_spec([4]), resolved=Resolved("tanh", "mse", 2))
    assert net.n_outputs == 2
    assert np.all(np.abs(net.predict(rng.normal(size=(5, 3)) * 10)) <= 1)
