"""Bad settings: a clear message up front when the design is invalid, a guarded run when it
is merely bad.

Every case goes through ``nncore.Session`` and its ``Trainer`` as the app does. An invalid
design raises ``SpecError`` (each problem naming its field and a fix) or ``DataError``; any
other run must end (completed, or stopped by the NaN guard) with finite weights. A
representative subset then goes through the window: the document, its problem list and the
controller in thread mode.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from nncore.errors import DataError, SpecError
from nncore.optimizers import OPTIMIZERS
from nncore.session import Session
from nncore.spec import (
    DataSpec,
    DenseSpec,
    DropoutSpec,
    NetworkSpec,
    OptimizerSpec,
    ScheduleSpec,
    TrainingSpec,
    mlp_spec,
)
from nncore.training import StopReason
from tests.helpers import make_splits

SPIRALS = DataSpec("spirals", {"n": 200})
BASE = TrainingSpec(optimizer=OptimizerSpec("adam", 0.01), batch_size=32, epochs=3, seed=4)
ENDED = (StopReason.COMPLETED, StopReason.NON_FINITE, StopReason.EARLY_STOPPING)


def attempt(network: NetworkSpec, training: TrainingSpec, data: DataSpec | None = SPIRALS, *,
            splits=None, max_steps: int = 400) -> str:
    """Build and train; returns "spec:<paths>", "data", or the stop reason of the run."""
    try:
        session = Session(network, training, data, splits=splits)
    except SpecError as err:
        assert err.problems and all(p.path and p.message and p.fix for p in err.problems), err
        return "spec:" + ",".join(sorted({p.path for p in err.problems}))
    except DataError as err:
        assert str(err)
        return "data"
    trainer = session.trainer
    for _ in range(max_steps):
        trainer.train_step()
        if trainer.finished:
            break
    weights = session.network.get_weights()
    assert all(np.isfinite(w).all() for w in weights.values()), "non-finite weights kept"
    for record in trainer.history.records:
        assert math.isfinite(record.train_loss)
    if trainer.finished:
        assert trainer.stop_reason in ENDED and trainer.message
        if trainer.stop_reason is StopReason.NON_FINITE:
            assert "Lower the learning rate" in trainer.message
        return trainer.stop_reason.value
    return "running"


def optimizer(name: str, lr: float, **changes) -> TrainingSpec:
    return dataclasses.replace(BASE, optimizer=OptimizerSpec(name, lr, **changes))


# --------------------------------------------------------------------------- the core grid


LEARNING_RATES = (0.0, -1.0, float("nan"), float("inf"), 1e-12, 1e-6, 1e-3, 0.1, 1.0, 10.0,
                  1e3, 1e6, 1e9)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_learning_rates_from_zero_to_a_billion(tally, name, activation):
    outcomes = []
    for lr in LEARNING_RATES:
        outcomes.append(attempt(mlp_spec([8], activation), optimizer(name, lr)))
        tally("settings: learning rates x optimizers (engine)")
    assert outcomes[:4] == ["spec:training.optimizer.lr"] * 4  # 0, -1, NaN, inf
    assert set(outcomes[4:]) <= {"completed", "non-finite-loss"}
    if name in ("sgd", "momentum", "nesterov") and activation == "relu":
        assert outcomes[-1] == "non-finite-loss"  # no adaptive step: a billion diverges


@pytest.mark.parametrize(("batch_size", "expected"), [
    (0, "spec:training.batch_size"), (-5, "spec:training.batch_size"), (1, "completed"),
    (7, "completed"), (160, "completed"), (161, "completed"), (10 ** 6, "completed"),
    (None, "completed")])
def test_batch_sizes_including_larger_than_the_data(tally, batch_size, expected):
    training = dataclasses.replace(BASE, batch_size=batch_size)
    assert attempt(mlp_spec([8]), training, max_steps=5000) == expected
    tally("settings: batch sizes")


@pytest.mark.parametrize(("epochs", "expected"), [
    (0, "spec:training.epochs"), (-1, "spec:training.epochs"), (1, "completed"),
    (10 ** 8, "spec:training.epochs"), (10 ** 7, "running")])
def test_epochs(tally, epochs, expected):
    assert attempt(mlp_spec([4]), dataclasses.replace(BASE, epochs=epochs),
                   max_steps=50) == expected
    tally("settings: epochs")


@pytest.mark.parametrize(("hidden", "expected"), [
    ([0], "spec:network.layers[0].units"), ([-3], "spec:network.layers[0].units"),
    ([65537], "spec:network.layers[0].units"), ([1], "completed"), ([1, 1, 1], "completed"),
    ([4096], "running"), ([4096, 4096], "running"), ([8] * 20, "completed"),
    ([2] * 20, "completed"), ([4] * 199, "running"), ([4] * 200, "spec:network.layers")])
def test_widths_from_1_to_4096_and_depths_up_to_200(tally, hidden, expected):
    """4096 wide and 20 deep build and train a few steps without hanging (the step limit
    keeps the 4096 x 4096 case, 67 MB of weights, to a few seconds); 200 layers in all is
    the most a design may have."""
    steps = 3 if max(hidden) >= 4096 or len(hidden) > 20 else 400
    training = dataclasses.replace(BASE, epochs=2)
    outcome = attempt(mlp_spec(hidden, "tanh"), training, max_steps=steps)
    assert outcome == expected or (expected == "running" and outcome == "completed")
    tally("settings: widths and depths")


@pytest.mark.parametrize("activation", ["sigmoid", "relu", "tanh", "elu", "leaky_relu"])
def test_twenty_layers_deep_with_every_activation(tally, activation):
    assert attempt(mlp_spec([8] * 20, activation), dataclasses.replace(BASE, epochs=2)) in \
        ENDED_VALUES
    tally("settings: widths and depths")


ENDED_VALUES = tuple(reason.value for reason in ENDED)

EXTREMES = {
    "clip_norm 1e-30": optimizer("sgd", 0.1, clip_norm=1e-30),
    "clip_norm 0": optimizer("sgd", 0.1, clip_norm=0.0),
    "weight_decay 1e9": optimizer("sgd", 0.1, weight_decay=1e9),
    "weight_decay -1": optimizer("sgd", 0.1, weight_decay=-1.0),
    "momentum 0.9999": optimizer("momentum", 0.1, momentum=0.9999),
    "momentum 1": optimizer("momentum", 0.1, momentum=1.0),
    "eps 1e-300": optimizer("adam", 0.01, eps=1e-300),
    "eps 0": optimizer("adam", 0.01, eps=0.0),
    "beta2 0": optimizer("adam", 0.01, beta2=0.0),
    "beta1 1": optimizer("adam", 0.01, beta1=1.0),
    "rmsprop alpha 0": optimizer("rmsprop", 0.01, alpha=0.0),
    "warm-up 1e9 epochs": dataclasses.replace(BASE, schedule=ScheduleSpec(warmup_epochs=1e9)),
    "step schedule gamma 1e-300": dataclasses.replace(
        BASE, schedule=ScheduleSpec("step", step_size=1, gamma=1e-300)),
    "cosine t_max 1": dataclasses.replace(BASE, schedule=ScheduleSpec("cosine", t_max=1)),
    "huber delta 1e-30": dataclasses.replace(BASE, loss="huber", huber_delta=1e-30),
    "float64": dataclasses.replace(BASE, dtype="float64"),
    "early stopping 1": dataclasses.replace(BASE, early_stopping=1, epochs=50),
    "seed 2**63-1": dataclasses.replace(BASE, seed=2 ** 63 - 1),
    "seed 2**63": dataclasses.replace(BASE, seed=2 ** 63),
}


@pytest.mark.parametrize("case", sorted(EXTREMES))
def test_extreme_optimizer_schedule_and_loss_settings(tally, case):
    outcome = attempt(mlp_spec([8], "tanh"), EXTREMES[case])
    assert outcome in ENDED_VALUES or outcome.startswith("spec:training"), outcome
    tally("settings: extreme hyper-parameters")


LAYER_EXTREMES = {
    "init_scale 1e30": DenseSpec("dense-1", 8, "tanh", init="normal", init_scale=1e30),
    "init_scale inf": DenseSpec("dense-1", 8, "tanh", init="normal", init_scale=float("inf")),
    "constant init 1e6": DenseSpec("dense-1", 8, "relu", init="constant", init_scale=1e6),
    "l2 1e9": DenseSpec("dense-1", 8, "tanh", l2=1e9),
    "l1 1e9": DenseSpec("dense-1", 8, "tanh", l1=1e9),
    "alpha 1e30": DenseSpec("dense-1", 8, "leaky_relu", activation_alpha=1e30),
    "softmax hidden": DenseSpec("dense-1", 8, "softmax"),
}


@pytest.mark.parametrize("case", sorted(LAYER_EXTREMES))
def test_extreme_layer_settings(tally, case):
    network = NetworkSpec((LAYER_EXTREMES[case], DenseSpec("dense-2", None, "auto")))
    outcome = attempt(network, BASE)
    assert outcome in ENDED_VALUES or outcome.startswith("spec:network"), outcome
    tally("settings: extreme layer settings")


def test_dropout_rates(tally):
    for rate, expected in ((0.0, "completed"), (0.999, "completed"), (1.0, "spec"),
                           (-0.1, "spec"), (float("nan"), "spec")):
        network = NetworkSpec((DenseSpec("dense-1", 8), DropoutSpec("dropout-1", rate),
                               DenseSpec("dense-2", None, "auto")))
        assert attempt(network, BASE).startswith(expected)
        tally("settings: dropout rates")


# --------------------------------------------------------------------------- the data


def test_one_sample_and_one_class_give_clear_messages(tmp_path, tally):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 2)).astype(np.float32)
    files = {"one-row.csv": "a,b,y\n1,2,0\n",
             "one-class.csv": "a,b,y\n" + "".join(f"{i},{i * 2},0\n" for i in range(30))}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        spec = DataSpec("file", path=str(tmp_path / name))
        with pytest.raises(DataError, match="single class"):
            Session(mlp_spec([4]), BASE, spec)
        tally("settings: tiny data")
    for n in (0, 1, 5, 9):
        with pytest.raises(DataError, match="n must be between 10"):
            Session(mlp_spec([4]), BASE, DataSpec("spirals", {"n": n}))
        tally("settings: tiny data")
    with pytest.raises(DataError, match="single class"):  # hand-made data, same message
        Session(mlp_spec([4]), BASE, splits=make_splits(x, np.zeros(30, int), "binary"))
    one = make_splits(x[:1], x[:1, :1], "regression")  # one sample can still be fitted
    assert attempt(mlp_spec([4]), BASE, None, splits=one) == "completed"
    tally("settings: tiny data", 2)


@pytest.mark.parametrize("where", ["x_train", "y_train", "x_val", "y_val"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_in_the_data_are_refused_up_front(tally, where, bad):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(40, 2)).astype(np.float32), rng.normal(size=(40, 1))
    arrays = {"x_train": x[:30].copy(), "y_train": y[:30].copy(), "x_val": x[30:].copy(),
              "y_val": y[30:].copy()}
    arrays[where][3, 0] = bad
    splits = make_splits(arrays["x_train"], arrays["y_train"], "regression",
                         x_val=arrays["x_val"], y_val=arrays["y_val"])
    with pytest.raises(DataError, match="NaN or infinite"):
        Session(mlp_spec([4]), BASE, splits=splits)
    tally("settings: NaN and inf in the data")


def test_huge_but_finite_inputs_are_a_guarded_run(tally):
    rng = np.random.default_rng(2)
    x = (rng.normal(size=(40, 2)) * 1e30).astype(np.float32)
    splits = make_splits(x, (np.arange(40) % 2), "binary")
    for lr in (0.01, 1e3):
        assert attempt(mlp_spec([8], "relu"), optimizer("sgd", lr), None,
                       splits=splits) in ENDED_VALUES
        tally("settings: NaN and inf in the data")


# --------------------------------------------------------------------------- in the window


@pytest.mark.gui
def test_bad_settings_in_the_window(qtbot, settings, tmp_path, tally):
    """Through the document and a thread-mode controller, as a student sets them."""
    from nncore.runner import RunState
    from tests.app.conftest import make_window
    from tests.reliability.driving import settle

    window = make_window(qtbot, settings)
    doc, ctl = window.document, window.controller
    errors: list[str] = []
    ctl.error_occurred.connect(errors.append)

    def set_training(**changes) -> None:
        doc.set_training(dataclasses.replace(doc.training, **changes), "test")

    def set_lr(lr: float) -> None:
        set_training(optimizer=dataclasses.replace(doc.training.optimizer, lr=lr))

    def fresh() -> None:
        window.controller.reset()
        settle(qtbot, ctl)

    try:
        for lr in (0.0, float("nan")):  # refused up front
            set_lr(lr)
            assert not window.actions.train.isEnabled()
            assert "learning rate" in window.statusBar().currentMessage()
            doc.undo_stack.undo()
            assert window.actions.train.isEnabled()
            tally("settings: in the window")
        set_training(epochs=0)
        assert not window.actions.train.isEnabled() and "epoch" in \
            window.statusBar().currentMessage()
        doc.undo_stack.undo()
        tally("settings: in the window")

        doc.set_network(mlp_spec([16, 16], "relu"), "relu")  # merely bad: the NaN guard
        doc.set_training(dataclasses.replace(doc.training, optimizer=OptimizerSpec(
            "sgd", 1e9)), "sgd")  # stops the run and says what to do
        fresh()
        ctl.train()
        qtbot.waitUntil(lambda: ctl.state == RunState.FINISHED.value, timeout=30000)
        assert ctl.last_update.snapshot.stop_reason is StopReason.NON_FINITE
        assert window.message_bar.isVisible() and window.message_bar.kind == "problem"
        assert "Lower the learning rate" in window.message_bar.text
        qtbot.waitUntil(lambda: doc.project.weights is not None, timeout=10000)
        assert all(np.isfinite(w).all() for w in doc.project.weights.values())
        ctl.train()  # pressing Train again is refused with a reason, not a crash
        settle(qtbot, ctl)
        tally("settings: in the window")

        doc.undo_stack.undo()
        doc.undo_stack.undo()
        assert doc.training.optimizer.name == "adam"
        set_training(batch_size=10 ** 6)  # larger than the data: full batch
        fresh()
        ctl.step_epoch()
        settle(qtbot, ctl)
        assert ctl.last_update.snapshot.steps_per_epoch == 1
        tally("settings: in the window")

        for hidden in ([4096], [8] * 20):
            doc.set_network(mlp_spec(hidden, "tanh"), "design")
            fresh()
            for _ in range(3):
                ctl.step_batch()
            settle(qtbot, ctl)
            assert ctl.last_update.snapshot.step == 3
            tally("settings: in the window")

        one_class = tmp_path / "one-class.csv"
        one_class.write_text("a,b,y\n" + "".join(f"{i},{i},0\n" for i in range(20)))
        doc.set_data(DataSpec("file", path=str(one_class)), "data")
        qtbot.waitUntil(lambda: "single class" in window.data_source.error, timeout=30000)
        assert ctl.is_stale  # the trained network cannot continue on other data
        ctl.reset()  # "Reset and apply"
        qtbot.waitUntil(lambda: bool(errors) and "single class" in errors[-1], timeout=30000)
        assert ctl.state == RunState.FAILED.value
        assert "single class" in window.message_bar.text
        doc.undo_stack.undo()  # and back to data that works
        ctl.train()
        qtbot.waitUntil(lambda: ctl.state == RunState.RUNNING.value, timeout=30000)
        tally("settings: in the window")
    finally:
        window.close()
    assert ctl._thread.wait(3000)
