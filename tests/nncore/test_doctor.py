"""The network doctor: every finding code on a failing setup, silence on the corrected one.

Each code gets (1) a failing situation that must raise it on the right layer, (2) the
corrected situation, which must raise no warning or problem at all, and where a one-click
fix exists (3) that applying it makes the network train. The runner's ``Update.findings``
and the CLI (``nncore doctor``, ``train --report``) are checked at the end.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

from nncore.cli import main
from nncore.diagnostics import LayerStats
from nncore.doctor import (
    CODES,
    Doctor,
    Finding,
    Fix,
    examine_design,
    examine_session,
    thresholds,
)
from nncore.doctor.gradcheck import findings_from_gradcheck
from nncore.gradcheck import GradCheckResult, TensorCheck
from nncore.runner import Runner
from nncore.session import Session
from nncore.spec import (
    DataSpec,
    DenseSpec,
    NetworkSpec,
    OptimizerSpec,
    TrainingSpec,
    mlp_spec,
)
from nncore.training import EpochRecord, Snapshot, StopReason
from tests.helpers import make_splits

ADAM = OptimizerSpec("adam", 0.01)


def training(optimizer: OptimizerSpec = ADAM, **changes) -> TrainingSpec:
    return TrainingSpec(optimizer=optimizer, **changes)


def examine(network: NetworkSpec, train: TrainingSpec, data: DataSpec,
            epochs: int | None = None) -> list[Finding]:
    return examine_session(Session(network, train, data), epochs)


def keys(findings: list[Finding]) -> set[tuple[str, str | None]]:
    return {f.key for f in findings}


def alarms(findings: list[Finding]) -> list[tuple[str, str, str | None]]:
    """Warnings and problems (notes are allowed on a healthy setup)."""
    return [(f.severity, f.code, f.layer) for f in findings if f.is_open]


def train_fixed(finding: Finding, network: NetworkSpec, train: TrainingSpec, data: DataSpec,
                epochs: int) -> list[EpochRecord]:
    assert finding.fix is not None, f"{finding.code} has no fix"
    network, train, data = finding.fix.apply(network, train, data)
    session = Session(network, dataclasses.replace(train, epochs=epochs), data)
    session.trainer.run()
    return session.trainer.history.records


def best_metric(records: list[EpochRecord]) -> float:
    return max(r.train_metric for r in records)


def find(findings: list[Finding], code: str, layer: str | None = ...) -> Finding:
    for f in findings:
        if f.code == code and (layer is ... or f.layer == layer):
            return f
    raise AssertionError(f"no {code} ({layer}) in {sorted(keys(findings), key=str)}")


# --------------------------------------------------------------------------- findings


def test_every_code_is_documented_with_its_threshold():
    text = (Path(__file__).parents[2] / "docs" / "doctor.md").read_text(encoding="utf-8")
    for code in CODES:
        assert f"`{code}`" in text, code


def test_finding_to_dict_has_the_report_fields_and_is_json():
    finding = Finding("dead-relu", "warning", "Dead", "msg", "why", "dense-1",
                      {"dead_fraction": 0.5, "inf": math.inf})
    d = finding.to_dict()
    assert {"code", "severity", "layer", "message", "evidence", "explanation", "fix"} <= set(d)
    assert d["evidence"]["inf"] is None
    json.dumps(d, allow_nan=False)


def test_a_fix_applies_to_the_current_specs_not_only_to_its_own():
    network, train = mlp_spec([8], "relu"), training()
    fix = Fix.build("lr", [("training.optimizer.lr", 0.001), ("network.dense-1.init", "zeros")],
                    network, train, DataSpec())
    assert fix.training.optimizer.lr == 0.001 and fix.network.layer("dense-1").init == "zeros"
    edited = dataclasses.replace(train, epochs=7)
    _, new_training, _ = fix.apply(network, edited, DataSpec())
    assert new_training.epochs == 7 and new_training.optimizer.lr == 0.001
    with pytest.raises(KeyError):
        fix.apply(NetworkSpec((DenseSpec("out", None, "auto"),)), train, DataSpec())


# --------------------------------------------------------------------------- zero-init-symmetry


def test_zero_init_is_found_in_the_design_and_in_the_run():
    network = mlp_spec([8, 8], "relu", init="zeros")
    static = examine_design(network, training(), DataSpec("moons"))
    assert find(static, "zero-init-symmetry").layer == "dense-1"
    findings = examine(network, training(epochs=20), DataSpec("moons"))
    symmetric = find(findings, "zero-init-symmetry", "dense-1")
    assert symmetric.stage == "training" and symmetric.evidence["unit_spread"] == 0


def test_constant_init_in_a_later_layer_is_found_there():
    network = mlp_spec([8, 8], "tanh").replace_layer("dense-2", init="constant")
    assert find(examine_design(network, training()), "zero-init-symmetry").layer == "dense-2"


def test_random_init_is_not_symmetric_and_the_fix_trains():
    network, train, data = mlp_spec([16, 16], "relu", init="zeros"), training(), DataSpec("moons")
    fixed = find(examine(network, dataclasses.replace(train, epochs=20), data),
                 "zero-init-symmetry")
    assert alarms(examine(mlp_spec([16, 16], "relu", init="he_normal"), train, data, 50)) == []
    assert best_metric(train_fixed(fixed, network, train, data, 100)) > 0.95


# --------------------------------------------------------------------------- output / loss


def test_relu_output_on_negative_targets_is_a_problem_and_linear_is_fine():
    network = mlp_spec([16, 16], "tanh", output_activation="relu")
    findings = examine(network, training(loss="mse"), DataSpec("sine"), 30)
    assert find(findings, "output-activation-mismatch").layer == "dense-3"
    assert find(findings, "output-activation-mismatch").severity == "problem"
    linear = mlp_spec([16, 16], "tanh", output_activation="linear")
    assert alarms(examine(linear, training(loss="mse"), DataSpec("sine"), 60)) == []


def test_fixing_the_output_activation_trains():
    network, train = mlp_spec([16, 16], "tanh", output_activation="relu"), training(loss="mse")
    finding = find(examine_design(network, train, DataSpec("sine"), _splits("sine")),
                   "output-activation-mismatch")
    records = train_fixed(finding, network, train, DataSpec("sine"), 200)
    assert best_metric(records) > 0.95  # R²


def test_softmax_on_a_single_output_unit_always_says_one():
    network = NetworkSpec((DenseSpec("dense-1", 8), DenseSpec("dense-2", 1, "softmax")))
    findings = examine_design(network, training(), DataSpec("moons"), _splits("moons"))
    assert find(findings, "output-activation-mismatch", "dense-2").severity == "problem"


def test_sigmoid_outputs_for_exclusive_classes_are_flagged():
    network = mlp_spec([8], "tanh", output_activation="sigmoid")
    findings = examine_design(network, training(loss="mse"), DataSpec("iris"), _splits("iris"))
    assert find(findings, "output-activation-mismatch", "dense-2").severity == "warning"


def test_mse_after_softmax_and_bce_over_classes_are_loss_mismatches():
    iris = _splits("iris")
    softmax_mse = examine_design(mlp_spec([8], output_activation="softmax"), training(loss="mse"),
                                 DataSpec("iris"), iris)
    assert find(softmax_mse, "loss-output-mismatch", "dense-2").severity == "warning"
    bce = examine_design(mlp_spec([8]), training(loss="bce"), DataSpec("iris"), iris)
    assert find(bce, "loss-output-mismatch", "dense-2").severity == "problem"
    regression = examine_design(mlp_spec([8]), training(loss="cross_entropy"), DataSpec("sine"),
                                _splits("sine"))
    assert find(regression, "loss-output-mismatch", "dense-2").severity == "problem"
    assert examine_design(mlp_spec([8]), training(), DataSpec("iris"), iris) == []


def test_fixing_the_loss_trains_iris():
    network, train = mlp_spec([8], output_activation="softmax"), training(loss="mse")
    finding = find(examine_design(network, train, DataSpec("iris"), _splits("iris")),
                   "loss-output-mismatch")
    assert best_metric(train_fixed(finding, network, train, DataSpec("iris"), 100)) > 0.95


# --------------------------------------------------------------------------- units


def _stats(layer_id: str, *, dead: float = 0.0, saturated: float = 0.0, units: int = 8,
           activation: str = "relu", grad: float = 0.1, spread: float = 0.3) -> LayerStats:
    return LayerStats(layer_id, activation, units, 0.1, 0.5, dead, saturated, 3.0, grad, 0.01,
                      spread, 1e-3, 1.0)


def _snapshot(epoch: int, stats: tuple[LayerStats, ...] | None = None,
              stop: StopReason | None = None, lr: float = 0.01) -> Snapshot:
    return Snapshot(epoch, epoch * 10, 0, 10, 100, 0.5, 0.5, lr, 0.0, 0.0, "accuracy",
                    layer_stats=stats, stop_reason=stop)


def _record(epoch: int, loss: float, metric: float = 0.6, val: float = math.nan) -> EpochRecord:
    return EpochRecord(epoch, epoch * 10, loss, val, metric, math.nan, 0.01, loss, 0.0)


def _doctor(network: NetworkSpec | None = None, train: TrainingSpec | None = None) -> Doctor:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    splits = make_splits(x, (x[:, 0] > 0).astype(int), "binary")
    return Doctor(network or mlp_spec([8, 8], "relu", init="he_normal"), train or training(),
                  DataSpec("moons"), splits)


def test_dead_relu_needs_to_persist_and_clears_with_hysteresis():
    doctor = _doctor()
    out = _stats("dense-3", activation="sigmoid", units=1)

    def observe(epoch: int, dead: float) -> set:
        stats = (_stats("dense-1", dead=dead), _stats("dense-2"), out)
        return keys(doctor.observe(_snapshot(epoch, stats), [_record(epoch, 0.5)]))

    assert ("dead-relu", "dense-1") not in observe(1, 0.75)
    assert ("dead-relu", "dense-1") not in observe(1, 0.75)  # 2 observations, same epoch
    assert ("dead-relu", "dense-1") in observe(2, 0.75)
    assert ("dead-relu", "dense-1") in observe(3, 0.45)  # between the two thresholds: kept
    assert ("dead-relu", "dense-1") not in observe(4, 0.3)
    found = find(doctor.observe(_snapshot(5, (_stats("dense-1", dead=0.75), _stats("dense-2"),
                                              out), stop=StopReason.COMPLETED)), "dead-relu")
    assert found.severity == "warning" and found.fix.network.layer("dense-1").activation == \
        "leaky_relu"


def test_dead_units_in_a_network_that_fits_are_only_a_note():
    doctor = _doctor()
    stats = (_stats("dense-1", dead=0.6), _stats("dense-2"),
             _stats("dense-3", activation="sigmoid", units=1))
    findings = doctor.observe(_snapshot(9, stats, StopReason.COMPLETED), [_record(9, 0.05, 0.99)])
    assert find(findings, "dead-relu", "dense-1").severity == "info"


def test_a_dead_relu_output_stops_a_regression_and_a_linear_one_trains():
    network = mlp_spec([16, 16], "relu", output_activation="relu", init="he_normal")
    train = training(loss="mse", seed=4, epochs=300)
    findings = examine(network, train, DataSpec("square"), 60)
    dead = find(findings, "dead-relu", "dense-3")
    assert dead.severity == "problem" and dead.evidence["dead_fraction"] == 1.0
    records = train_fixed(dead, network, train, DataSpec("square"), 300)
    assert best_metric(records) > 0.99


def test_saturated_sigmoids_on_raw_wine_and_none_when_normalised():
    network = mlp_spec([16], "sigmoid")
    raw = examine(network, training(), DataSpec("wine", normalize="none"), 60)
    saturated = find(raw, "saturated-units", "dense-1")
    assert saturated.evidence["saturated_fraction"] >= thresholds.SATURATED_FRACTION
    assert saturated.fix.data.normalize == "standard"
    assert alarms(examine(network, training(), DataSpec("wine", normalize="standard"), 60)) == []


# --------------------------------------------------------------------------- gradients


def _deep(activation: str, init: str = "glorot_uniform", scale: float | None = None,
          depth: int = 5) -> NetworkSpec:
    spec = mlp_spec([16] * depth, activation, init=init)
    return NetworkSpec(tuple(dataclasses.replace(layer, init_scale=scale)
                             if isinstance(layer, DenseSpec) else layer for layer in spec.layers))


def test_a_deep_sigmoid_network_with_small_weights_has_a_vanishing_gradient():
    network = _deep("sigmoid", "normal", 0.05)
    findings = examine(network, training(OptimizerSpec("sgd", 0.1)), DataSpec("moons"), 10)
    vanishing = find(findings, "vanishing-gradient", "dense-1")
    assert vanishing.evidence["gradient_ratio"] < thresholds.GRADIENT_RATIO_LOW
    assert vanishing.fix.network.layer("dense-1").activation == "tanh"
    assert ("gradient-check-failed", "dense-1") not in keys(findings)  # tiny is not wrong


def test_glorot_tanh_layers_keep_the_gradient_and_the_fix_trains():
    healthy = examine(_deep("tanh"), training(), DataSpec("moons"), 40)
    assert not {"vanishing-gradient", "exploding-gradient"} & {f.code for f in healthy}
    network, train = _deep("sigmoid", "normal", 0.05), training(OptimizerSpec("sgd", 0.1))
    finding = find(examine(network, train, DataSpec("moons"), 10), "vanishing-gradient")
    records = train_fixed(finding, network, training(), DataSpec("moons"), 100)
    assert best_metric(records) > 0.95


def test_huge_inputs_into_a_quiet_first_layer_explode_its_gradient():
    network = mlp_spec([16, 16], "relu", init="he_normal").replace_layer(
        "dense-1", init="normal", init_scale=1e-5)
    train = training(OptimizerSpec("sgd", 1e-9))  # keep the weights where they start
    findings = examine(network, train, DataSpec("breast-cancer", normalize="none"), 5)
    exploding = find(findings, "exploding-gradient", "dense-1")
    assert exploding.evidence["gradient_ratio"] > thresholds.GRADIENT_RATIO_HIGH
    assert exploding.fix.data.normalize == "standard"
    corrected = examine(mlp_spec([16, 16], "relu", init="he_normal"), training(),
                        DataSpec("breast-cancer", normalize="standard"), 20)
    assert alarms(corrected) == []


# --------------------------------------------------------------------------- data


def test_raw_wine_is_not_normalised_and_standardised_wine_is():
    design = examine_design(mlp_spec([8]), training(), DataSpec("wine", normalize="none"),
                            _splits("wine", normalize="none"))
    finding = find(design, "unnormalized-inputs", None)
    assert finding.evidence["largest_feature"] == "proline"
    assert finding.fix.data.normalize == "standard"
    assert examine_design(mlp_spec([8]), training(), DataSpec("wine"), _splits("wine")) == []


def test_features_of_very_different_scales_are_flagged_even_when_small():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 2)) * np.array([1.0, 1e-3])
    splits = make_splits(x, (x[:, 0] > 0).astype(int), "binary")
    finding = find(examine_design(mlp_spec([8]), training(), DataSpec("moons"), splits),
                   "unnormalized-inputs")
    assert finding.evidence["ratio"] > thresholds.UNNORMALIZED_RATIO


def test_images_in_zero_to_one_are_not_flagged():
    assert examine_design(mlp_spec([8]), training(), DataSpec("digits"), _splits("digits")) == []


# --------------------------------------------------------------------------- learning rate


def test_an_exploding_loss_is_a_learning_rate_problem_and_ten_times_less_trains():
    network, train = mlp_spec([16, 16], "tanh", output_activation="linear"), \
        training(OptimizerSpec("sgd", 0.3), loss="mse")
    findings = examine(network, train, DataSpec("sine"), 20)
    high = find(findings, "learning-rate-too-high", None)
    assert high.severity == "problem" and high.fix.training.optimizer.lr == pytest.approx(0.03)
    assert [f.code for f in findings if f.stage == "training"] == ["learning-rate-too-high"]
    assert best_metric(train_fixed(high, network, train, DataSpec("sine"), 300)) > 0.95


def test_a_bouncing_loss_is_a_learning_rate_warning():
    # lr 0.5, clearly too high: at 0.25-0.3 the run is chaotic and whether it bounces or
    # saturates first turns on the last bit of a sigmoid (either flips with rounding).
    findings = examine(mlp_spec([16, 16]), training(OptimizerSpec("adam", 0.5)),
                       DataSpec("spirals"), 100)
    assert find(findings, "learning-rate-too-high", None).severity == "warning"
    assert alarms(examine(mlp_spec([16, 16]), training(), DataSpec("spirals"), 100)) == []


def test_a_loss_that_barely_moves_with_tiny_steps_is_a_low_learning_rate():
    train = training(OptimizerSpec("sgd", 1e-4))
    findings = examine(mlp_spec([16, 16]), train, DataSpec("spirals"), 100)
    low = find(findings, "learning-rate-too-low", None)
    assert low.evidence["step_ratio"] < thresholds.LR_LOW_STEP_RATIO
    assert low.fix.training.optimizer.lr >= 10 * 1e-4
    healthy = examine(mlp_spec([16, 16]), training(OptimizerSpec("momentum", 0.1)),
                      DataSpec("spirals"), 100)
    assert alarms(healthy) == []


def test_a_learning_rate_change_mid_run_restarts_its_judgement():
    doctor = _doctor(mlp_spec([8]))
    for epoch in range(1, 30):  # a loss that bounces between 0.4 and 0.8
        doctor.observe(_snapshot(epoch), [_record(epoch, 0.4 if epoch % 2 else 0.8)])
    assert ("learning-rate-too-high", None) in keys(doctor.findings)
    doctor.set_specs(training=training(OptimizerSpec("adam", 0.001)))
    assert ("learning-rate-too-high", None) not in keys(doctor.findings)


# --------------------------------------------------------------------------- outcomes


def test_a_wrong_gradient_sits_at_chance_and_fails_the_gradient_check():
    network = mlp_spec([8], "tanh")
    train = training(OptimizerSpec("sgd", 0.1), batch_size=16, bugs=("ce-labels-not-one-hot",))
    findings = examine(network, train, DataSpec("iris"), 60)
    chance = find(findings, "chance-level-plateau", "dense-2")
    assert chance.evidence["chance_loss"] == pytest.approx(math.log(3), rel=1e-3)
    failed = find(findings, "gradient-check-failed", "dense-2")
    assert failed.fix.training.bugs == ()
    assert best_metric(train_fixed(failed, network, train, DataSpec("iris"), 200)) > 0.95
    correct = examine(network, dataclasses.replace(train, bugs=()), DataSpec("iris"), 60)
    assert alarms(correct) == []


def test_a_hidden_layer_bug_is_located_in_the_hidden_layer():
    train = training(bugs=("chain-rule-one-layer",))
    findings = examine(mlp_spec([8, 8], "tanh"), train, DataSpec("iris"), 5)
    assert find(findings, "gradient-check-failed").layer == "dense-2"


def test_a_tiny_gradient_is_not_a_wrong_gradient():
    tiny = TensorCheck("dense-1.weight", (2, 2), 4, 0.3, 1e-11, 1e-10, 1.2e-10)
    wrong = TensorCheck("dense-2.weight", (2, 1), 2, 0.3, 1e-2, 0.1, 0.12)
    specs = (mlp_spec([2]), training(), DataSpec())
    assert findings_from_gradcheck(GradCheckResult((tiny,), 1e-6, 0.7), specs) == []
    assert find(findings_from_gradcheck(GradCheckResult((tiny, wrong), 1e-6, 0.7), specs),
                "gradient-check-failed").layer == "dense-2"


def test_identical_zero_weights_stall_mnist_at_ln_10():
    data = DataSpec("mnist", {"n": 2000})
    findings = examine(mlp_spec([32], "relu", init="zeros"), training(OptimizerSpec("adam", 1e-3)),
                       data, 12)
    chance = find(findings, "chance-level-plateau", "dense-2")
    assert chance.evidence["chance_loss"] == pytest.approx(math.log(10), rel=0.01)
    assert chance.fix is not None  # the cause is known: random initial weights


def test_no_hidden_layer_cannot_separate_the_spirals_but_two_layers_can():
    network = NetworkSpec((DenseSpec("dense-3", None, "auto"),))
    findings = examine(network, training(), DataSpec("spirals"), 100)
    small = find(findings, "capacity-too-low", "dense-3")
    assert [f.code for f in findings if f.is_open] == ["capacity-too-low"]
    assert best_metric(train_fixed(small, network, training(), DataSpec("spirals"), 300)) > 0.95
    narrow = examine(mlp_spec([2]), training(), DataSpec("spirals"), 100)
    assert find(narrow, "capacity-too-low").layer == "dense-1"


def _overfitting_data() -> DataSpec:
    return DataSpec("moons", {"n": 40, "noise": 0.5}, val_split=0.5)


def test_a_big_network_on_little_noisy_data_overfits():
    findings = examine(mlp_spec([64, 64]), training(epochs=300), _overfitting_data(), 300)
    overfit = find(findings, "overfitting", None)
    assert overfit.evidence["val_loss"] > overfit.evidence["best_val_loss"]
    more_data = DataSpec("moons", {"n": 1000, "noise": 0.2}, val_split=0.3)
    assert alarms(examine(mlp_spec([64, 64]), training(epochs=300), more_data, 100)) == []


def test_early_stopping_settles_overfitting():
    network, train = mlp_spec([64, 64]), training(epochs=300)
    overfit = find(examine(network, train, _overfitting_data(), 300), "overfitting")
    network, train, data = overfit.fix.apply(network, train, _overfitting_data())
    assert train.early_stopping > 0
    session = Session(network, train, data)
    session.trainer.run()
    assert session.trainer.stop_reason is StopReason.EARLY_STOPPING
    assert "overfitting" not in {f.code for f in examine_session(session)}


# --------------------------------------------------------------------------- healthy


@pytest.mark.parametrize(("network", "train", "data"), [
    (mlp_spec([16, 16]), training(epochs=300), DataSpec("spirals")),
    (mlp_spec([16, 16], output_activation="linear"), training(loss="mse", epochs=300),
     DataSpec("sine")),
    (mlp_spec([8]), training(epochs=200), DataSpec("iris")),
    (mlp_spec([16], "relu", init="he_normal"), training(epochs=100), DataSpec("wine")),
    (mlp_spec([8, 8]), training(epochs=200), DataSpec("xor")),
], ids=["spirals", "sine", "iris", "wine", "xor"])
def test_a_healthy_setup_raises_no_warning(network, train, data):
    session = Session(network, train, data)
    session.trainer.run()
    assert alarms(examine_session(session)) == []


def test_examine_session_never_changes_the_session():
    session = Session(mlp_spec([8]), training(epochs=50), DataSpec("moons"))
    before = session.network.get_weights()
    examine_session(session, 10)
    assert len(session.trainer.history) == 0
    after = session.network.get_weights()
    assert all(np.array_equal(before[k], after[k]) for k in before)


# --------------------------------------------------------------------------- runner and CLI


def _runner(project_network: NetworkSpec, train: TrainingSpec, data: DataSpec) -> Runner:
    from nncore.project import Project

    return Runner(Project(project_network, train, data))


def test_the_runner_sends_static_findings_first_and_answers_doctor():
    runner = _runner(mlp_spec([8]), training(epochs=5), DataSpec("wine", normalize="none"))
    _, update = runner._update(force=True, full=True)
    assert ("unnormalized-inputs", None) in keys(update.findings)
    (kind, findings), = runner.handle("doctor")
    assert kind == "findings" and isinstance(findings, tuple)


def test_runner_findings_come_at_most_once_a_second_and_on_finish():
    runner = _runner(mlp_spec([16, 16]), training(OptimizerSpec("sgd", 0.3), loss="mse",
                                                  epochs=100),
                     DataSpec("sine"))
    messages = runner.handle("run")
    while runner.running:
        messages += runner.run_for(0.05)
    updates = [m[1] for m in messages if m[0] == "update"]
    final = updates[-1]
    assert final.snapshot.stop_reason is StopReason.NON_FINITE
    assert ("learning-rate-too-high", None) in keys(final.findings)
    assert sum(u.findings is not None for u in updates) <= 2 + len(updates) // 30


def test_runner_reset_forgets_the_run_but_not_the_design():
    runner = _runner(mlp_spec([16, 16]), training(OptimizerSpec("sgd", 0.3), loss="mse"),
                     DataSpec("sine"))
    runner.handle("run")
    while runner.running:
        runner.run_for(0.05)
    (_, update), = runner.handle("reset")
    assert ("learning-rate-too-high", None) not in keys(update.findings)


def test_cli_doctor_prints_findings_and_fails_on_a_problem(tmp_path, capsys):
    report = tmp_path / "doctor.json"
    code = main(["doctor", "--data", "mnist:n=1000", "--hidden", "16", "--activation", "relu",
                 "--init", "zeros", "--epochs", "3", "--json", str(report)])
    out = capsys.readouterr().out
    assert code == 1 and "zero-init-symmetry [dense-1]" in out and "fix:" in out
    findings = json.loads(report.read_text())["findings"]
    assert findings[0]["code"] == "zero-init-symmetry" and findings[0]["severity"] == "problem"
    assert main(["doctor", "--data", "moons", "--hidden", "8", "--trial-epochs", "20"]) == 0


def test_train_report_lists_findings_with_code_severity_layer_message(tmp_path):
    report = tmp_path / "report.json"
    assert main(["train", "--data", "wine", "--normalize", "none", "--hidden", "16",
                 "--activation", "sigmoid", "--epochs", "40", "-q", "--report",
                 str(report)]) == 0
    findings = json.loads(report.read_text())["findings"]
    assert {"unnormalized-inputs", "saturated-units"} <= {f["code"] for f in findings}
    for finding in findings:
        assert {"code", "severity", "layer", "message"} <= set(finding)


# --------------------------------------------------------------------------- helpers


def _splits(name: str, **changes):
    from nncore.data import load_dataset, prepare

    spec = DataSpec(name, **changes)
    return prepare(load_dataset(spec), spec)
