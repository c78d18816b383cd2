"""nncore.explain (issue 14): one step of backprop, number by number.

Checked against the network's own gradients (a float64 twin's ``compute_gradients``), a
hand-written two-layer backprop, finite differences, the optimizers' own ``step`` and
PyTorch (autograd and ``torch.optim``) when it is installed; bug mode names the number
each lesson bug breaks first; ablation holds units at 0 in training as well.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from nncore.cli import main
from nncore.explain import WeightRef, explain_step
from nncore.session import Session, build_optimizer
from nncore.spec import (
    DataSpec,
    DenseSpec,
    NetworkSpec,
    OptimizerSpec,
    ScheduleSpec,
    TrainingSpec,
    mlp_spec,
)
from tests.helpers import numeric_gradient


def _session(hidden=(16, 16), activation="tanh", data="spirals", optimizer="adam", lr=0.01,
             steps=3, bugs=(), l1=0.0, l2=0.0, **opt):
    net = mlp_spec(list(hidden), activation, l2=l2)
    if l1:
        net = NetworkSpec(tuple(dataclasses.replace(layer, l1=l1) for layer in net.layers))
    training = TrainingSpec(optimizer=OptimizerSpec(optimizer, lr, **opt),
                            schedule=ScheduleSpec(), batch_size=8, epochs=50, bugs=tuple(bugs))
    session = Session(net, training, DataSpec(data))
    for _ in range(steps):
        session.trainer.train_step()
    return session


def _batch(session, rows):
    return (session.data.x_train[list(rows)].astype(np.float64),
            session.data.t_train[list(rows)].astype(np.float64))


CASES = [
    {},                                                       # spirals: sigmoid + BCE
    {"data": "iris", "activation": "relu"},                         # softmax + cross-entropy
    {"data": "square", "hidden": (8,), "activation": "sigmoid"},       # regression, MSE, linear
    {"data": "iris", "activation": "elu", "l1": 1e-3, "l2": 1e-2},        # with penalties
]


@pytest.mark.parametrize("case", CASES, ids=["bce", "softmax-ce", "mse", "penalties"])
@pytest.mark.parametrize("rows", [(0,), (3, 7, 11)])
def test_every_layer_gradient_matches_the_networks_own_backprop(case, rows):
    session = _session(**case)
    e = explain_step(session, rows)
    twin = session.float64_twin()
    x, t = _batch(session, rows)
    objective, _ = twin.compute_gradients(x, t)
    assert e.loss.value == pytest.approx(objective, rel=1e-12)
    for layer in twin.dense_layers():
        record = e.layer(layer.id)
        np.testing.assert_allclose(record.grad_W, layer.weight.grad, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(record.grad_b, layer.bias.grad, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(record.W, layer.weight.value)
    np.testing.assert_array_equal(e.input, x)
    np.testing.assert_array_equal(e.target, t)


def test_a_hand_written_two_layer_backprop_gives_the_same_numbers():
    """tanh hidden layer, softmax + cross-entropy output, two rows: every array by hand."""
    session = _session(hidden=(5,), data="iris", steps=2)
    e = explain_step(session, (4, 9))
    x, y = _batch(session, (4, 9))
    w = {k: v.astype(np.float64) for k, v in session.network.get_weights().items()}
    W1, b1, W2, b2 = w["dense-1.weight"], w["dense-1.bias"], w["dense-2.weight"], w["dense-2.bias"]
    z1 = x @ W1 + b1
    a1 = np.tanh(z1)
    z2 = a1 @ W2 + b2
    p = np.exp(z2) / np.exp(z2).sum(axis=1, keepdims=True)
    loss = -np.mean(np.sum(y * np.log(p), axis=1))
    d2 = (p - y) / 2
    d1 = (d2 @ W2.T) * (1 - a1 ** 2)
    h, o = e.layers
    assert e.loss.value == pytest.approx(loss, rel=1e-12) and e.loss.fused == "softmax"
    for got, want in ((h.z, z1), (h.a, a1), (o.z, z2), (o.a, p), (o.delta, d2),
                      (o.grad_W, a1.T @ d2), (o.grad_b, d2.sum(0)), (o.grad_x, d2 @ W2.T),
                      (h.grad_a, d2 @ W2.T), (h.fprime, 1 - a1 ** 2), (h.delta, d1),
                      (h.grad_W, x.T @ d1), (h.grad_b, d1.sum(0))):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-15)
    assert o.grad_a is None and o.fprime is None and "p − y" in o.backward_formula


@pytest.mark.parametrize("case", CASES[:3], ids=["bce", "softmax-ce", "mse"])
def test_the_weight_in_focus_chain_sums_to_its_gradient_and_matches_finite_differences(case):
    session = _session(**case)
    first = next(session.network.dense_layers()).id
    n_in = session.network.n_inputs
    for ref in (WeightRef(first, n_in - 1, 2), WeightRef(session.network.layers[-1].id, 3, 0)):
        for rows in ((0,), (2, 5)):
            e = explain_step(session, rows, ref)
            w = e.weight
            assert w.chain_sum == pytest.approx(w.grad, rel=1e-12, abs=1e-15)
            for term in w.chain:
                assert term.product == pytest.approx(np.prod([f.value for f in term.factors]))
            assert [term.row for term in w.chain] == list(range(len(rows)))
            assert w.relative_error < 1e-6
            assert w.finite_difference == pytest.approx(w.grad, rel=1e-5, abs=1e-10)
            # an independent finite difference of the whole tensor, our helper's
            twin = session.float64_twin()
            x, t = _batch(session, rows)
            param = twin.layer(ref.layer).weight.value
            numeric = numeric_gradient(lambda _p, n=twin, x=x, t=t: n.objective(x, t), param)
            assert w.grad == pytest.approx(numeric[ref.row, ref.col], rel=1e-5, abs=1e-10)


def test_a_hidden_weight_chain_names_input_upstream_and_slope():
    session = _session()
    e = explain_step(session, (0,), WeightRef("dense-2", 4, 7))
    w, hidden, nxt = e.weight, e.layer("dense-2"), e.layer("dense-3")
    names = [f.name for f in w.chain[0].factors]
    assert names == ["x", "dL/da", "f'(z)"]
    x, grad_a, slope = (f.value for f in w.chain[0].factors)
    assert x == e.layer("dense-1").a[0, 4] and grad_a == hidden.grad_a[0, 7]
    assert slope == pytest.approx(1 - np.tanh(hidden.z[0, 7]) ** 2)
    assert w.upstream_layer == "dense-3" and w.source == "dense-1"
    assert sum(u.product for u in w.upstream[0]) == pytest.approx(grad_a)
    assert w.upstream[0][0].delta == nxt.delta[0, 0]
    assert w.downstream == ("dense-3",)


OPTIMIZERS = [
    ("sgd", {}), ("momentum", {}), ("nesterov", {}), ("adagrad", {}), ("rmsprop", {}),
    ("rmsprop", {"centered": True, "momentum": 0.5}), ("adam", {}),
    ("adam", {"weight_decay": 0.01}), ("adamw", {}), ("sgd", {"clip_norm": 0.01}),
    ("sgd", {"weight_decay": 0.1, "momentum": 0.9}),
]


@pytest.mark.parametrize("name,hyper", OPTIMIZERS)
def test_the_update_terms_give_the_optimizers_own_new_value(name, hyper):
    session = _session(optimizer=name, steps=4, **hyper)
    ref = WeightRef("dense-2", 1, 3)
    e = explain_step(session, (5,), ref)
    twin = session.float64_twin()
    opt = build_optimizer(session.training_spec.optimizer, twin.parameters())
    opt.load_state_dict(session.optimizer.state_dict())
    opt.lr = e.update.lr
    twin.compute_gradients(*_batch(session, (5,)))
    opt.step()
    assert e.update.step == session.optimizer.step_count + 1
    assert e.update.value_before == session.network.layer("dense-2").weight.value[1, 3]
    assert e.update.value_after == pytest.approx(twin.layer("dense-2").weight.value[1, 3],
                                                 rel=1e-12, abs=1e-15)
    names = {t.name for t in e.update.terms}
    expected = {"adam": {"m", "v", "m_hat", "v_hat", "step"}, "adamw": {"decayed", "m_hat"},
                "rmsprop": {"square_avg", "denominator"}, "adagrad": {"sum", "denominator"},
                "momentum": {"velocity"}, "nesterov": {"velocity", "nesterov"}}.get(name, set())
    assert expected <= names
    if hyper.get("clip_norm"):
        assert {"grad_norm", "clip_scale"} <= names


def test_gradients_and_an_adam_step_match_pytorch():
    torch = pytest.importorskip("torch")
    session = _session(data="iris", activation="tanh", steps=0)
    rows = (0, 50, 100)
    e = explain_step(session, rows, WeightRef("dense-1", 2, 5))
    x, t = _batch(session, rows)
    weights = {k: torch.tensor(v.astype(np.float64), requires_grad=True)
               for k, v in session.network.get_weights().items()}
    h = torch.tensor(x)
    for i in (1, 2):
        h = h @ weights[f"dense-{i}.weight"] + weights[f"dense-{i}.bias"]
        h = torch.tanh(h)
    logits = h @ weights["dense-3.weight"] + weights["dense-3.bias"]
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor(t.argmax(1)))
    loss.backward()
    assert e.loss.value == pytest.approx(loss.item(), rel=1e-12)
    for layer in ("dense-1", "dense-2", "dense-3"):
        np.testing.assert_allclose(e.layer(layer).grad_W,
                                   weights[f"{layer}.weight"].grad.numpy(), rtol=1e-9,
                                   atol=1e-14)
    adam = torch.optim.Adam(weights.values(), lr=0.01)
    adam.step()
    assert e.update.value_after == pytest.approx(weights["dense-1.weight"][2, 5].item(),
                                                 rel=1e-12)


@pytest.mark.parametrize("bug,stage,layer,quantity", [
    ("ce-labels-not-one-hot", "loss", None, "∂L/∂output"),
    ("softmax-derivative-twice", "loss", None, "∂L/∂output"),
    ("chain-rule-one-layer", "backward", "dense-2", "f′(z)"),
    ("derivative-of-output", "backward", "dense-2", "f′(z)"),
])
def test_bug_mode_names_the_first_number_each_bug_gets_wrong(bug, stage, layer, quantity):
    session = _session(data="iris", steps=2)
    e = explain_step(session, (0, 1), WeightRef("dense-1", 0, 0), bugs=(bug,))
    first = e.bug.first
    assert (first.stage, first.layer, first.quantity) == (stage, layer, quantity)
    assert first.max_abs_difference > 1e-6
    # the correct side is the plain explanation; the buggy side is what the buggy engine does
    plain = explain_step(session, (0, 1), WeightRef("dense-1", 0, 0), bugs=())
    np.testing.assert_array_equal(e.bug.correct.layer("dense-1").grad_W,
                                  plain.layer("dense-1").grad_W)
    buggy = Session(session.network_spec,
                    dataclasses.replace(session.training_spec, bugs=(bug,)),
                    session.data_spec)
    buggy.load_weights(session.network.get_weights())
    twin = buggy.float64_twin()
    twin.compute_gradients(*_batch(session, (0, 1)))
    np.testing.assert_allclose(e.layer("dense-1").grad_W, twin.layer("dense-1").weight.grad,
                               rtol=1e-10, atol=1e-15)
    assert e.weight.relative_error > 1e-4  # the finite difference sees the bug


def test_rmsprop_bug_shows_only_in_the_update_from_the_second_step():
    first = explain_step(_session(optimizer="rmsprop", lr=1e-4, steps=0,
                                   bugs=("rmsprop-accumulates-lr",)))
    assert first.bug.first is None  # step 1: the compounding has not started yet
    later = explain_step(_session(optimizer="rmsprop", lr=1e-4, steps=1,
                                    bugs=("rmsprop-accumulates-lr",)))
    assert [d.stage for d in later.bug.differences] == ["update"]
    assert "rate" in {t.name for t in later.update.terms}
    # the buggy terms give what the engine's buggy RMSprop does
    session = _session(optimizer="rmsprop", lr=1e-4, steps=1, bugs=("rmsprop-accumulates-lr",))
    e = explain_step(session, (0,))
    twin = session.float64_twin()
    opt = build_optimizer(session.training_spec.optimizer, twin.parameters(),
                          session.training_spec.bugs)
    opt.load_state_dict(session.optimizer.state_dict())
    opt._state[0]["buggy_lr"] = session.optimizer._state[0]["buggy_lr"].astype(np.float64)
    opt.lr = e.update.lr
    twin.compute_gradients(*_batch(session, (0,)))
    opt.step()
    ref = e.weight
    assert e.update.value_after == pytest.approx(
        twin.layer(ref.layer).weight.value[ref.row, ref.col], rel=1e-10)


def test_ablated_units_are_held_at_zero_in_training_and_in_the_explanation():
    session = _session(steps=0)
    session.set_ablated({"dense-1": (2, 5)})
    before = session.network.get_weights()["dense-2.weight"][[2, 5]].copy()
    for _ in range(5):
        session.trainer.train_step()
    after = session.network.get_weights()["dense-2.weight"][[2, 5]]
    np.testing.assert_array_equal(before, after)  # no gradient flows through a dead unit
    e = explain_step(session, (0, 1), WeightRef("dense-2", 2, 0))
    assert np.all(e.layer("dense-1").a[:, [2, 5]] == 0)
    assert e.weight.grad == 0 and e.weight.finite_difference == pytest.approx(0, abs=1e-12)
    assert e.ablated == {"dense-1": (2, 5)}
    twin = session.float64_twin()
    twin.compute_gradients(*_batch(session, (0, 1)))
    np.testing.assert_allclose(e.layer("dense-1").grad_W, twin.layer("dense-1").weight.grad,
                               rtol=1e-10, atol=1e-15)
    session.set_ablated({"dense-1": ()})
    assert session.network.layer("dense-1").unit_mask is None


def test_bad_rows_weights_and_bugs_are_refused_with_a_clear_message():
    session = _session(steps=0)
    with pytest.raises(ValueError, match="not in the training set"):
        explain_step(session, (10 ** 6,))
    with pytest.raises(ValueError, match="at most 8 rows"):
        explain_step(session, tuple(range(9)))
    with pytest.raises(ValueError, match="outside dense-1's 2×16"):
        explain_step(session, (0,), WeightRef("dense-1", 2, 0))
    with pytest.raises(ValueError, match="no Dense layer 'dense-9'"):
        explain_step(session, (0,), WeightRef("dense-9", 0, 0))
    with pytest.raises(ValueError, match="unknown bug"):
        explain_step(session, (0,), bugs=("nope",))
    with pytest.raises(ValueError, match="LAYER:ROW:COL"):
        WeightRef.parse("dense-1:3")


ISSUE_KEYS = {"weights_before", "input", "target", "loss", "layers", "weight", "update"}


def test_cli_writes_the_documented_json(tmp_path, capsys):
    path = tmp_path / "step.json"
    code = main(["explain", "--data", "iris", "--hidden", "4", "--optimizer", "adam",
                 "--seed", "1", "--steps-before", "3", "--rows", "0,5",
                 "--weight", "dense-1:2:3", "--json", str(path)])
    assert code == 0
    out = capsys.readouterr().out
    assert "dense-1:2:3" in out and "finite difference" in out
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert set(doc) >= ISSUE_KEYS
    assert set(doc["weights_before"]) == {"dense-1", "dense-2"}
    assert np.shape(doc["weights_before"]["dense-1"]["W"]) == (4, 4)
    assert np.shape(doc["input"]) == (2, 4) and np.shape(doc["target"]) == (2, 3)
    assert [layer["id"] for layer in doc["layers"]] == ["dense-1", "dense-2"]
    assert {"id", "z", "a", "delta", "grad_W", "grad_b"} <= set(doc["layers"][0])
    w = doc["weight"]
    assert {"layer", "row", "col", "value", "grad", "finite_difference", "chain"} <= set(w)
    assert (w["layer"], w["row"], w["col"]) == ("dense-1", 2, 3)
    assert sum(term["product"] for term in w["chain"]) == pytest.approx(w["grad"])
    assert w["grad"] == pytest.approx(doc["layers"][0]["grad_W"][2][3])
    assert w["finite_difference"] == pytest.approx(w["grad"], rel=1e-5)
    u = doc["update"]
    assert u["rule"] == "adam" and {"m", "v", "m_hat", "v_hat"} <= {t["name"] for t in u["terms"]}
    assert u["value_after"] != u["value_before"]


def test_cli_ablate_holds_a_unit_at_zero_before_and_in_the_step(tmp_path):
    path = tmp_path / "ablated.json"
    assert main(["explain", "--data", "iris", "--hidden", "4", "--steps-before", "2",
                 "--ablate", "dense-1:1", "--rows", "0,1", "--weight", "dense-2:1:0",
                 "--json", str(path), "-q"]) == 0
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert all(row[1] == 0 for row in doc["layers"][0]["a"])
    assert doc["weight"]["grad"] == 0 and abs(doc["weight"]["finite_difference"]) < 1e-12


def test_cli_bug_flag_and_bad_input(tmp_path, capsys):
    path = tmp_path / "bug.json"
    assert main(["explain", "--data", "iris", "--hidden", "4", "--bug",
                 "softmax-derivative-twice", "--json", str(path), "-q"]) == 0
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["bug"]["first_difference"]["quantity"] == "∂L/∂output"
    capsys.readouterr()
    for args, fragment in ((["--weight", "dense-1:x:0"], "whole numbers"),
                           (["--rows", "0,99999"], "not in the training set"),
                           (["--ablate", "dense-1"], "LAYER:UNIT"),
                           (["--steps-before", "-1"], "0 or more")):
        assert main(["explain", "--data", "iris", *args]) == 2
        err = capsys.readouterr().err
        assert fragment in err and err.count("\n") == 1


def test_ablated_layer_spec_round_trips_and_is_validated():
    from nncore.spec import network_from_dict, to_dict, validate_network

    spec = NetworkSpec((DenseSpec("dense-1", 4, ablated=(1, 3)), DenseSpec("out", None, "auto")))
    assert network_from_dict(to_dict(spec)) == spec
    bad = NetworkSpec((DenseSpec("dense-1", 4, ablated=(4,)), DenseSpec("out", None, "auto")))
    assert any("unit 4 is not in this layer" in p.message for p in validate_network(bad))
    out = NetworkSpec((DenseSpec("dense-1", 4), DenseSpec("out", 2, "auto", ablated=(0,))))
    assert any("output units" in p.message for p in validate_network(out))


def test_prune_zeroes_small_weights_only_and_names_them():
    from nncore.explain import prune

    weights = {"d.weight": np.array([[0.5, -0.01], [0.0, -0.3]]), "d.bias": np.array([0.001, 2])}
    pruned, changed = prune(weights, 0.1)
    np.testing.assert_array_equal(pruned["d.weight"], [[0.5, 0.0], [0.0, -0.3]])
    np.testing.assert_array_equal(pruned["d.bias"], weights["d.bias"])  # biases kept
    assert changed == [("d", 0, 1)]  # the weight already 0 did not change
    assert weights["d.weight"][0, 1] == -0.01  # the input is not modified
    with pytest.raises(ValueError, match="threshold"):
        prune(weights, -1)
