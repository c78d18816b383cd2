"""Messages the doctor used to get wrong (issue 12), each with the situation that caused it.

- an overfitting check dividing by a validation loss of about 0 ("rose from 0 to 0");
- a memorised training set (validation loss 0.17 against training loss 0.0002) unreported;
- a gradient check at a loss floor accusing backprop of rounding noise;
- a gradient check failing because the targets do not fit the fused loss, read as a bug;
- a red "problem" for a design mistake on a run that reached 95 %;
- saturation and learning-rate alarms on noisy data whose attainable accuracy is low.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from nncore.doctor import Doctor, examine_session, findings_from_gradcheck
from nncore.doctor.reference import reference_for
from nncore.gradcheck import GradCheckResult, TensorCheck
from nncore.session import Session
from nncore.spec import DataSpec, DenseSpec, NetworkSpec, OptimizerSpec, TrainingSpec, mlp_spec
from nncore.training import EpochRecord, Snapshot, StopReason
from tests.helpers import make_splits

ADAM = OptimizerSpec("adam", 0.01)


def _record(epoch: int, train: float, val: float, metric: float = 0.99,
            val_metric: float = 0.99) -> EpochRecord:
    return EpochRecord(epoch, epoch * 10, train, val, metric, val_metric, 0.01, train, 0.0)


def _doctor(n_val: int = 40) -> Doctor:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200 + n_val, 2))
    y = (x[:, 0] > 0).astype(int)
    splits = make_splits(x[:200], y[:200], "binary", x_val=x[200:], y_val=y[200:])
    return Doctor(mlp_spec([8], "tanh"), TrainingSpec(optimizer=ADAM), DataSpec("moons"),
                  splits)


def _snapshot(epoch: int) -> Snapshot:
    return Snapshot(epoch, epoch * 10, 0, 10, 100, 0.5, 0.5, 0.01, 0.0, 0.0, "accuracy",
                    stop_reason=StopReason.COMPLETED)


def test_a_validation_loss_rising_from_about_zero_is_not_overfitting():
    for first, later in ((0.0, 0.0), (0.5, 3e-9), (1e-8, 5e-9)):
        doctor = _doctor()  # "validation loss rose from 0 (epoch 1) to 0" was the message
        records = [_record(e, 1e-3 / e, first if e == 1 else (1e-9 if e < 10 else later))
                   for e in range(1, 41)]
        findings = doctor.observe(_snapshot(40), records)
        assert "overfitting" not in {f.code for f in findings}, (first, later)


def test_a_memorised_training_set_is_overfitting_even_without_a_rise():
    doctor = _doctor()
    # validation loss flat at 0.173 from the start, training loss down to 0.0002
    records = [_record(e, max(2e-4, 0.5 / e ** 2), 0.173, 1.0, 0.9) for e in range(1, 41)]
    overfit = next(f for f in doctor.observe(_snapshot(40), records) if f.code == "overfitting")
    assert "memorised" in overfit.message and "0.173" in overfit.message


def _check(analytic: float, numeric: float, loss: float) -> GradCheckResult:
    error = abs(analytic - numeric) / (abs(analytic) + abs(numeric))
    tensor = TensorCheck("dense-1.weight", (2, 8), 16, error, abs(analytic - numeric),
                         analytic, numeric)
    return GradCheckResult((tensor,), 1e-6, loss)


def test_a_gradient_check_at_a_loss_floor_does_not_accuse_backprop():
    specs = (mlp_spec([8]), TrainingSpec(), DataSpec())
    assert findings_from_gradcheck(_check(0.0, 3e-7, 1e-9), specs) == []
    assert findings_from_gradcheck(_check(0.0, 0.02, 0.3), specs)  # a real disagreement


def test_a_gradient_check_failing_on_targets_the_fused_loss_cannot_take_says_so():
    network = NetworkSpec((DenseSpec("dense-1", 8, "tanh"), DenseSpec("dense-2", 1, "softmax")))
    session = Session(network, TrainingSpec(loss="cross_entropy", epochs=5), DataSpec("moons"))
    findings = examine_session(session, 5)
    check = next(f for f in findings if f.code == "gradient-check-failed")
    assert "not a bug in backprop" in check.message and check.severity == "warning"
    assert check.fix is not None and check.fix.network.output.activation == "auto"


def test_severity_follows_the_outcome_of_the_run():
    network = mlp_spec([32], "relu", init="he_normal", output_activation="sigmoid")
    train = TrainingSpec(loss="bce", optimizer=ADAM, epochs=30)
    session = Session(network, train, DataSpec("digits"))
    session.trainer.run()
    assert session.trainer.history.records[-1].train_metric > 0.95
    trained = next(f for f in examine_session(session, gradient_check=False)
                   if f.code == "loss-output-mismatch")
    assert trained.severity == "warning"  # the run fits: worth knowing, not red
    stalled = Session(network, dataclasses.replace(train, optimizer=OptimizerSpec("sgd", 1e-4)),
                      DataSpec("digits"))
    stalled.trainer.run()
    before = next(f for f in examine_session(stalled, gradient_check=False)
                  if f.code == "loss-output-mismatch")
    assert before.severity == "problem"


def test_noisy_data_is_judged_against_what_is_attainable():
    data = DataSpec("circles", {"noise": 1.0})
    session = Session(mlp_spec([16, 16], "tanh"), TrainingSpec(optimizer=ADAM, epochs=100),
                      data)
    ref = reference_for(session.splits)
    assert ref.knn_val_metric < 0.9  # nothing reaches 0.9 on this data
    findings = examine_session(session, 100)
    assert [f.code for f in findings if f.is_open] == []
    assert math.isfinite(ref.attainable)
