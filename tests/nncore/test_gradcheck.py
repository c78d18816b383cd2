"""nncore.gradcheck: passes for correct networks of every activation and loss (with L1/L2
and dropout), refuses float32, catches every gradient bug of nncore.bugs in the expected
tensors; and the lesson bugs show their documented symptoms when training."""

from __future__ import annotations

import numpy as np
import pytest

from nncore.activations import ACTIVATIONS
from nncore.bugs import BUGS
from nncore.gradcheck import gradient_check, relative_error
from nncore.layers import Dropout
from nncore.losses import LOSSES
from nncore.network import build, encode_targets
from nncore.session import Session
from nncore.spec import (
    DenseSpec,
    DropoutSpec,
    NetworkSpec,
    OptimizerSpec,
    TrainingSpec,
    mlp_spec,
    resolve_output,
)
from nncore.training import StopReason
from tests.helpers import make_splits

TASK_OF_LOSS = {"mse": "regression", "mae": "regression", "huber": "regression",
                "bce": "binary", "cross_entropy": "multiclass"}
HIDDEN = sorted(set(ACTIVATIONS) - {"softmax"})


def _network(spec, loss, *, seed=0, dtype=np.float64, bugs=()):
    task = TASK_OF_LOSS[loss]
    resolved = resolve_output(spec, TrainingSpec(loss=loss), task, n_classes=3, n_targets=2)
    return build(spec, n_inputs=3, resolved=resolved, rng=np.random.default_rng(seed),
                 dtype=dtype, bugs=bugs), task


def _batch(net, task, n=6, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    if task == "regression":
        return x, rng.normal(size=(n, net.n_outputs))
    labels = np.arange(n) % max(net.n_outputs, 2)
    return x, encode_targets(labels, task, net.n_outputs, np.float64)


def _spec(activation, *, l1=0.0, l2=0.0, dropout=0.0, output="auto"):
    layers = [DenseSpec("dense-1", 5, activation, l1=l1, l2=l2)]
    if dropout:
        layers.append(DropoutSpec("dropout-1", dropout))
    layers += [DenseSpec("dense-2", 4, activation, l2=l2), DenseSpec("dense-3", None, output,
                                                                     l1=l1)]
    return NetworkSpec(tuple(layers))


@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("activation", HIDDEN)
def test_passes_for_every_hidden_activation_and_loss(activation, loss):
    net, task = _network(_spec(activation), loss)
    result = gradient_check(net, *_batch(net, task))
    assert result.passed, [(t.name, t.relative_error) for t in result.tensors]
    assert result.worst.relative_error < 1e-6


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_passes_with_l1_l2_and_dropout(loss):
    net, task = _network(_spec("tanh", l1=0.01, l2=0.03, dropout=0.4), loss)
    result = gradient_check(net, *_batch(net, task))
    assert result.passed, [(t.name, t.relative_error) for t in result.tensors]


@pytest.mark.parametrize("output", ["softmax", "sigmoid", "tanh", "relu", "linear", "softplus"])
def test_passes_for_unfused_output_activations_with_mse(output):
    net, task = _network(_spec("tanh", output=output), "mse")
    result = gradient_check(net, *_batch(net, task))
    assert result.passed, [(t.name, t.relative_error) for t in result.tensors]


def test_reports_every_tensor_and_samples_large_ones():
    net, task = _network(mlp_spec([30, 5]), "mse")
    result = gradient_check(net, *_batch(net, task), max_entries=20)
    assert [t.name for t in result.tensors] == [p.name for p in net.parameters()]
    assert [t.checked for t in result.tensors] == [20, 20, 20, 5, 10, 2]
    assert [t.shape for t in result.tensors] == [p.value.shape for p in net.parameters()]
    assert result.failures() == []


def test_restores_weights_and_unfreezes_dropout():
    net, task = _network(_spec("relu", dropout=0.5), "cross_entropy")
    before = net.flat.values.copy()
    gradient_check(net, *_batch(net, task))
    np.testing.assert_array_equal(net.flat.values, before)
    assert not any(layer.frozen for layer in net.layers if isinstance(layer, Dropout))


def test_relative_error_formula():
    a, b = np.array([3.0, 4.0]), np.array([3.0, 4.5])
    assert relative_error(a, b) == pytest.approx(0.5 / (5.0 + np.hypot(3.0, 4.5)), rel=1e-15)
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0


def test_refuses_float32_networks_with_a_clear_message():
    net, task = _network(mlp_spec([4]), "mse", dtype=np.float32)
    with pytest.raises(ValueError, match="float64 network"):
        gradient_check(net, *_batch(net, task))


def test_session_checks_a_float32_run_through_a_float64_twin():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2))
    splits = make_splits(x, (x[:, 0] > 0).astype(int) + (x[:, 1] > 0), "multiclass")
    session = Session(mlp_spec([6], "gelu"), TrainingSpec(epochs=2), splits=splits)
    session.trainer.run()
    assert session.network.dtype == np.float32
    result = session.gradient_check()
    assert result.passed, [(t.name, t.relative_error) for t in result.tensors]


# --------------------------------------------------------------------------- lesson bugs

# bug -> loss it needs, and which tensors its wrong gradient reaches
GRADIENT_BUGS = {
    # the loss gradient itself is wrong: every tensor behind it is wrong
    "ce-labels-not-one-hot": ("cross_entropy", {"dense-1", "dense-2", "dense-3"}),
    "softmax-derivative-twice": ("cross_entropy", {"dense-1", "dense-2", "dense-3"}),
    # hidden layers skip f'(z) or evaluate it at a: the output layer's own gradient is right
    "chain-rule-one-layer": ("cross_entropy", {"dense-1", "dense-2"}),
    "derivative-of-output": ("mse", {"dense-1", "dense-2"}),
}


def test_every_gradient_bug_is_covered():
    assert set(GRADIENT_BUGS) == set(BUGS) - {"rmsprop-accumulates-lr"}


@pytest.mark.parametrize("bug", sorted(GRADIENT_BUGS))
def test_gradient_bug_is_detected_in_the_expected_tensors(bug):
    loss, wrong_layers = GRADIENT_BUGS[bug]
    net, task = _network(_spec("tanh"), loss, bugs=(bug,))
    result = gradient_check(net, *_batch(net, task))
    assert not result.passed
    failing = {t.name for t in result.failures()}
    expected = {f"{layer}.{kind}" for layer in wrong_layers for kind in ("weight", "bias")}
    assert failing == expected
    assert all(t.relative_error > 1e-3 for t in result.failures())  # not a rounding issue


@pytest.mark.parametrize("bug", sorted(GRADIENT_BUGS))
def test_gradient_bug_leaves_the_forward_pass_alone(bug):
    loss, _ = GRADIENT_BUGS[bug]
    buggy, task = _network(_spec("tanh"), loss, bugs=(bug,))
    correct, _ = _network(_spec("tanh"), loss)
    x, t = _batch(buggy, task)
    np.testing.assert_array_equal(buggy.predict(x), correct.predict(x))
    assert buggy.objective(x, t) == correct.objective(x, t)


def _three_blobs():
    rng = np.random.default_rng(0)
    centers = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    y = np.repeat(np.arange(3), 40)
    return make_splits(centers[y] + 0.5 * rng.normal(size=(120, 2)), y, "multiclass")


SGD = OptimizerSpec("sgd", lr=0.1)


def _blob_session(bugs=(), optimizer=SGD, epochs=300):
    training = TrainingSpec(optimizer=optimizer, batch_size=None, epochs=epochs, seed=0,
                            bugs=bugs)
    return Session(mlp_spec([16, 16], "tanh"), training, splits=_three_blobs())


def test_labels_not_one_hot_collapses_probabilities_to_one_third():
    # With (p - label)/n the only part of the gradient that moves the probabilities is
    # p - 1/K, so gradient descent drives every prediction to the uniform 1/3.
    buggy, correct = _blob_session(("ce-labels-not-one-hot",)), _blob_session()
    buggy.trainer.run()
    correct.trainer.run()
    p_buggy = buggy.network.predict(buggy.data.x_train)
    p_correct = correct.network.predict(correct.data.x_train)
    assert np.abs(p_buggy - 1 / 3).max() < 0.01
    assert correct.trainer.history.last.train_metric == 1.0
    assert np.median(p_correct.max(axis=1)) > 0.9


def test_rmsprop_accumulating_the_learning_rate_diverges():
    rmsprop = OptimizerSpec("rmsprop", lr=0.001)
    buggy = _blob_session(("rmsprop-accumulates-lr",), rmsprop, epochs=200)
    correct = _blob_session((), rmsprop, epochs=200)
    buggy_history, correct_history = buggy.trainer.run(), correct.trainer.run()
    losses = buggy_history.column("train_loss")
    assert buggy.trainer.stop_reason is StopReason.NON_FINITE or losses[-1] > 10 * losses[0]
    assert losses.max() > 10 * losses[0]  # it climbed before it blew up
    good = correct_history.column("train_loss")
    assert correct.trainer.stop_reason is StopReason.COMPLETED
    assert good[-1] < 0.1 * good[0]
    assert np.all(np.isfinite(buggy.network.flat.values))
