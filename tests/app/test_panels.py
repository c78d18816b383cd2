"""The DATA and TRAINING panels edit the document's specs, follow undo and reloads."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from app.data_source import DataSource
from app.document import ProjectDocument, default_project
from app.panels import DataPanel, TrainingPanel
from app.widgets.optimizer_fields import shown_fields
from app.widgets.tooltips import RESET_MARK
from nncore.data import BUILTIN
from nncore.optimizers import OPTIMIZERS
from nncore.spec import DataSpec, OptimizerSpec, ScheduleSpec

TIMEOUT = 10_000


@pytest.fixture
def document():
    """A fresh default project: two spirals, Adam at 0.01, mini-batches of 32."""
    doc = ProjectDocument()
    yield doc
    # an unclean stack emits cleanChanged while Qt destroys it, after Python's side is gone
    doc.undo_stack.clear()


@pytest.fixture
def data_source(document):
    """A data source with the document's data loaded synchronously."""
    source = DataSource()
    source.load_now(document.data)
    yield source
    source.wait()


@pytest.fixture
def training_panel(qtbot, document, data_source) -> TrainingPanel:
    panel = TrainingPanel(document, None, data_source=data_source)
    qtbot.addWidget(panel)
    return panel


@pytest.fixture
def data_panel(qtbot, document, data_source) -> DataPanel:
    panel = DataPanel(document, data_source)
    qtbot.addWidget(panel)
    yield panel
    panel.probe.wait()
    data_source.wait()


def _load(data_source: DataSource, document: ProjectDocument) -> None:
    data_source.wait()
    data_source.load_now(document.data)


# --------------------------------------------------------------------------- training


def test_learning_rate_drag_is_one_undo_step_and_undo_moves_the_widget(training_panel,
                                                                      document):
    steps = document.undo_stack.count()
    for value in (0.02, 0.03, 0.05):
        training_panel.learning_rate.spin.setValue(value)
    assert document.training.optimizer.lr == pytest.approx(0.05)
    assert document.undo_stack.count() == steps + 1
    assert "learning rate" in document.undo_stack.undoText()
    document.undo_stack.undo()
    assert document.training.optimizer.lr == pytest.approx(0.01)
    assert training_panel.learning_rate.value() == pytest.approx(0.01)


def test_typing_a_learning_rate_commits_on_enter(qtbot, training_panel, document):
    spin = training_panel.learning_rate.spin
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, "3e-3")
    assert document.training.optimizer.lr == pytest.approx(0.01)  # not yet: no keyboard tracking
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert document.training.optimizer.lr == pytest.approx(0.003)


def test_learning_rate_arrows_step_on_a_log_ladder(training_panel, document):
    training_panel.learning_rate.spin.stepBy(1)
    assert document.training.optimizer.lr == pytest.approx(0.03)
    training_panel.learning_rate.spin.stepBy(-2)
    assert document.training.optimizer.lr == pytest.approx(0.003)


def test_learning_rate_presets_set_the_rate(training_panel, document):
    actions = training_panel.learning_rate.presets.menu().actions()
    assert [a.text() for a in actions][:3] == ["1e-5", "0.0001", "0.001"]
    next(a for a in actions if a.text() == "0.3").trigger()
    assert document.training.optimizer.lr == pytest.approx(0.3)


@pytest.mark.parametrize(("lr", "warned"), [(0.01, False), (1.0, True), (3.0, True),
                                            (0.3, True), (1e-6, True)])
def test_learning_rate_hint_flags_unusual_rates(training_panel, lr, warned):
    training_panel.learning_rate.spin.setValue(lr)
    assert training_panel.learning_rate.hint.isVisibleTo(training_panel) is warned
    if lr >= 1:
        assert "diverge" in training_panel.learning_rate.hint.text()


def _select(combo, data) -> None:
    index = combo.findData(data)
    assert index >= 0, data
    combo.setCurrentIndex(index)


def test_loss_combo_sets_the_loss_and_undo_restores_it(training_panel, document):
    _select(training_panel.loss, "mae")
    assert document.training.loss == "mae"
    document.undo_stack.undo()
    assert document.training.loss == "auto"
    assert training_panel.loss.currentData() == "auto"


@pytest.mark.parametrize(("name", "expected"), [
    ("sgd", {"momentum", "nesterov", "weight_decay", "clip_norm"}),
    ("momentum", {"momentum", "nesterov", "weight_decay", "clip_norm"}),
    ("nesterov", {"momentum", "weight_decay", "clip_norm"}),
    ("adagrad", {"eps", "weight_decay", "clip_norm"}),
    ("rmsprop", {"alpha", "momentum", "centered", "eps", "weight_decay", "clip_norm"}),
    ("adam", {"beta1", "beta2", "eps", "weight_decay", "clip_norm"}),
    ("adamw", {"beta1", "beta2", "eps", "weight_decay", "clip_norm"}),
])
def test_optimizer_change_shows_only_its_hyperparameters(training_panel, document, name,
                                                         expected):
    _select(training_panel.optimizer, name)
    assert document.training.optimizer.name == name
    fields = training_panel.optimizer_fields.fields
    shown = {key for key, widget in fields.items()
             if widget.isVisibleTo(training_panel.optimizer_fields)}
    assert shown == expected == set(shown_fields(name))


def test_optimizer_fields_show_the_rules_defaults(training_panel):
    _select(training_panel.optimizer, "adamw")
    fields = training_panel.optimizer_fields.fields
    assert fields["weight_decay"].value() == pytest.approx(
        OPTIMIZERS["adamw"].hyperparameters["weight_decay"])
    _select(training_panel.optimizer, "momentum")
    assert fields["momentum"].value() == pytest.approx(0.9)


def test_optimizer_change_keeps_the_learning_rate_and_resets_the_rest(training_panel,
                                                                      document):
    training_panel.optimizer_fields.fields["beta1"].setValue(0.8)
    training_panel.learning_rate.spin.setValue(0.003)
    _select(training_panel.optimizer, "rmsprop")
    assert document.training.optimizer == OptimizerSpec("rmsprop", lr=0.003)


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("beta1", 0.8, 0.8), ("beta2", 0.99, 0.99), ("eps", 1e-6, 1e-6),
    ("weight_decay", 1e-4, 1e-4), ("clip_norm", 1.0, 1.0), ("clip_norm", 0.0, None),
])
def test_optimizer_fields_edit_the_spec(training_panel, document, field, value, expected):
    training_panel.optimizer_fields.fields["clip_norm"].setValue(5.0)
    training_panel.optimizer_fields.fields[field].setValue(value)
    assert getattr(document.training.optimizer, field) == (
        pytest.approx(expected) if expected is not None else None)


def test_momentum_and_nesterov_edit_sgd(training_panel, document):
    _select(training_panel.optimizer, "sgd")
    fields = training_panel.optimizer_fields.fields
    fields["momentum"].setValue(0.5)
    fields["nesterov"].setChecked(True)
    assert document.training.optimizer.momentum == pytest.approx(0.5)
    assert document.training.optimizer.nesterov is True


@pytest.mark.parametrize(("mode", "batch_size"), [("full", None), ("single", 1),
                                                  ("mini", 32)])
def test_batch_mode_sets_the_batch_size(training_panel, document, mode, batch_size):
    _select(training_panel.batch_mode, "full")
    _select(training_panel.batch_mode, mode)
    assert document.training.batch_size == batch_size
    assert training_panel.batch_size.isVisibleTo(training_panel) is (mode == "mini")


def test_batch_size_drag_merges_and_mode_remembers_it(training_panel, document):
    steps = document.undo_stack.count()
    training_panel.batch_size.stepBy(1)
    training_panel.batch_size.stepBy(1)
    assert document.training.batch_size == 128
    assert document.undo_stack.count() == steps + 1
    _select(training_panel.batch_mode, "full")
    _select(training_panel.batch_mode, "mini")
    assert document.training.batch_size == 128


@pytest.mark.parametrize(("widget", "value", "field"), [
    ("epochs", 750, "epochs"), ("seed", 42, "seed"), ("early_stopping", 20,
                                                      "early_stopping"),
    ("huber_delta", 2.5, "huber_delta"), ("min_delta", 0.001, "min_delta"),
])
def test_number_fields_edit_the_training_spec(training_panel, document, widget, value,
                                              field):
    old = getattr(document.training, field)
    getattr(training_panel, widget).setValue(value)
    assert getattr(document.training, field) == pytest.approx(value)
    document.undo_stack.undo()
    assert getattr(document.training, field) == old
    assert getattr(training_panel, widget).value() == pytest.approx(old)


def test_epoch_edits_merge_into_one_undo_step(training_panel, document):
    steps = document.undo_stack.count()
    for value in (600, 700, 800):
        training_panel.epochs.setValue(value)
    assert document.undo_stack.count() == steps + 1
    document.undo_stack.undo()
    assert document.training.epochs == 500


def test_advanced_switches_edit_the_spec(training_panel, document):
    training_panel.dtype.setCurrentText("float64")
    training_panel.shuffle.setChecked(False)
    training_panel.restore_best.setChecked(False)
    training = document.training
    assert (training.dtype, training.shuffle, training.restore_best) == ("float64", False, False)


def test_advanced_section_starts_folded(training_panel):
    assert not training_panel.advanced.is_expanded
    assert not training_panel.dtype.isVisibleTo(training_panel)
    training_panel.advanced.set_expanded(True)
    assert training_panel.dtype.isVisibleTo(training_panel)


def test_new_seed_button_draws_a_seed(qtbot, training_panel, document):
    qtbot.mouseClick(training_panel.new_seed, Qt.MouseButton.LeftButton)
    assert document.training.seed != 0
    assert training_panel.seed.value() == document.training.seed


@pytest.mark.parametrize(("name", "params"), [
    ("constant", set()), ("step", {"step_size", "gamma"}), ("exponential", {"gamma"}),
    ("cosine", {"t_max", "min_lr"})])
def test_schedule_shows_only_its_parameters(training_panel, document, name, params):
    _select(training_panel.schedule.name, name)
    assert document.training.schedule.name == name
    shown = {key for key, widget in training_panel.schedule.fields.items()
             if widget.isVisibleTo(training_panel)}
    assert shown == params | {"warmup_epochs"}


def test_schedule_fields_edit_the_spec(training_panel, document):
    _select(training_panel.schedule.name, "step")
    assert training_panel.schedule.fields["gamma"].value() == pytest.approx(0.1)
    training_panel.schedule.fields["step_size"].setValue(25)
    training_panel.schedule.fields["gamma"].setValue(0.5)
    training_panel.schedule.fields["warmup_epochs"].setValue(3)
    assert document.training.schedule == ScheduleSpec("step", step_size=25, gamma=0.5,
                                                      warmup_epochs=3.0)
    _select(training_panel.schedule.name, "cosine")
    training_panel.schedule.fields["t_max"].setValue(0)
    assert document.training.schedule.t_max is None
    assert training_panel.schedule.fields["t_max"].text() == "auto"


@pytest.mark.parametrize(("source", "loss"), [("spirals", "bce"), ("iris", "cross_entropy"),
                                              ("square", "mse")])
def test_auto_loss_shows_what_it_resolves_to(training_panel, document, data_source, source,
                                             loss):
    document.set_data(DataSpec(source), "use it")
    assert training_panel.loss.itemText(0) == f"auto (→ {loss})"  # from the registry
    _load(data_source, document)
    assert training_panel.loss.itemText(0) == f"auto (→ {loss})"  # from the loaded data
    assert training_panel.resolved_loss() == loss


def test_training_panel_follows_project_replaced(training_panel, document):
    project = default_project()
    training = dataclasses.replace(
        project.training, loss="mse", epochs=42, seed=7, batch_size=None,
        optimizer=OptimizerSpec("sgd", lr=0.3, momentum=0.5))
    document.replace_project(dataclasses.replace(project, training=training))
    panel = training_panel
    assert panel.loss.currentData() == "mse"
    assert panel.optimizer.currentData() == "sgd"
    assert panel.learning_rate.value() == pytest.approx(0.3)
    assert panel.optimizer_fields.fields["momentum"].value() == pytest.approx(0.5)
    assert (panel.epochs.value(), panel.seed.value()) == (42, 7)
    assert panel.batch_mode.currentData() == "full"
    assert document.undo_stack.count() == 0  # syncing made no edits


def _wheel(widget) -> None:
    event = QWheelEvent(QPointF(5, 5), QPointF(5, 5), QPoint(0, 0), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_the_wheel_leaves_unfocused_fields_alone(training_panel, document):
    _wheel(training_panel.epochs)
    _wheel(training_panel.optimizer)
    _wheel(training_panel.learning_rate.spin)
    assert document.training == default_project().training
    assert document.undo_stack.count() == 0


def test_every_training_control_explains_itself(training_panel):
    panel = training_panel
    for widget in (panel.loss, panel.optimizer, panel.learning_rate, panel.schedule.name,
                   panel.batch_mode, panel.batch_size, panel.epochs, panel.seed,
                   panel.new_seed, panel.early_stopping, panel.dtype, panel.huber_delta,
                   panel.min_delta, panel.shuffle, panel.restore_best,
                   *panel.optimizer_fields.fields.values(), *panel.schedule.fields.values()):
        assert widget.toolTip(), widget
    for widget in (panel.loss, panel.seed, panel.dtype):
        assert RESET_MARK in widget.toolTip()
    assert "diverge" in panel.learning_rate.toolTip()
    assert "m ←" in panel.optimizer.toolTip()  # Adam's formula


# --------------------------------------------------------------------------- data


def test_data_panel_shows_the_loaded_splits(data_panel):
    assert data_panel.picker.current_name() == "spirals"
    assert "800 train · 200 val · 0 test" in data_panel.summary.text()
    assert "2 classes" in data_panel.summary.text()


def test_choosing_a_data_set_loads_its_splits(qtbot, data_panel, document, data_source):
    index = data_panel.picker.combo.findData("iris")
    with qtbot.waitSignal(data_source.splits_changed, timeout=TIMEOUT):
        data_panel.picker.combo.activated.emit(index)
    assert document.data.source == "iris"
    assert data_source.splits.info.n_classes == 3
    qtbot.waitUntil(lambda: "120 train" in data_panel.summary.text(), timeout=TIMEOUT)
    assert "3 classes" in data_panel.summary.text()
    assert not data_panel.options.isVisibleTo(data_panel)  # iris has no options
    document.undo_stack.undo()
    assert data_panel.picker.current_name() == "spirals"


@pytest.mark.parametrize("name", ["spirals", "blobs", "checkerboard", "sine", "mnist", "and"])
def test_option_widgets_follow_the_registry_schema(data_panel, document, name):
    document.set_data(DataSpec(name), "use it")
    options = BUILTIN[name].options
    assert list(data_panel.options.fields) == [o.name for o in options]
    for option in options:
        field = data_panel.options.fields[option.name]
        assert field.value() == pytest.approx(option.default)
        assert (field.minimum(), field.maximum()) == (option.minimum, option.maximum)
        assert option.help[:10].lower() in field.toolTip().lower()


def test_option_edits_go_through_the_document_and_merge(data_panel, document):
    steps = document.undo_stack.count()
    for value in (0.1, 0.2, 0.3):
        data_panel.options.fields["noise"].setValue(value)
    assert document.data.options["noise"] == pytest.approx(0.3)
    assert document.undo_stack.count() == steps + 1
    data_panel.options.fields["turns"].setValue(2.5)
    assert dict(document.data.options) == pytest.approx({"noise": 0.3, "turns": 2.5})
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert dict(document.data.options) == {}
    assert data_panel.options.fields["noise"].value() == 0.0


def test_option_edit_reloads_the_data(qtbot, data_panel, document, data_source):
    with qtbot.waitSignal(data_source.splits_changed, timeout=TIMEOUT):
        data_panel.options.fields["n"].setValue(400)
    assert len(data_source.splits.x_train) + len(data_source.splits.x_val) == 400


def test_feature_toggles_add_derived_inputs(qtbot, data_panel, document, data_source):
    button = data_panel.features.buttons["x1^2"]
    with qtbot.waitSignal(data_source.splits_changed, timeout=TIMEOUT):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert document.data.features == ("x1^2",)
    data_panel.features.buttons["sin(x2)"].setChecked(True)
    assert document.data.features == ("x1^2", "sin(x2)")
    data_source.wait()
    qtbot.waitUntil(lambda: "→ 4 inputs" in data_panel.summary.text(), timeout=TIMEOUT)
    document.undo_stack.undo()
    assert not data_panel.features.buttons["sin(x2)"].isChecked()


def test_features_are_hidden_for_wide_data_and_limited_for_1d(data_panel, document,
                                                             data_source):
    document.set_data(DataSpec("iris"), "iris")
    _load(data_source, document)
    assert not data_panel.features.isVisibleTo(data_panel)
    document.set_data(DataSpec("sine"), "sine")
    assert data_panel.features.isVisibleTo(data_panel)
    assert data_panel.features.buttons["x1^2"].isEnabled()
    assert not data_panel.features.buttons["x1*x2"].isEnabled()


def test_preparation_controls_edit_the_data_spec(data_panel, document):
    data_panel.val_split.setValue(30)
    data_panel.test_split.setValue(10)
    data_panel.seed.setValue(5)
    _select(data_panel.normalize, "standard")
    data = document.data
    assert (data.val_split, data.test_split, data.seed, data.normalize) == (
        pytest.approx(0.3), pytest.approx(0.1), 5, "standard")
    document.undo_stack.undo()
    assert data_panel.normalize.currentData() == "auto"


def test_auto_scaling_says_what_it_picks(data_panel, document, data_source):
    assert data_panel.normalize.itemText(0) == "auto (→ none)"
    assert "auto uses: none" in data_panel.normalize.toolTip()
    assert "mean 0" in data_panel.normalize.toolTip()
    assert data_panel.scaling.header.text() == "Scaling: none · data seed 0"
    assert not data_panel.scaling.is_expanded  # folded: the header says it all


def test_changing_set_keeps_split_and_features_only_between_2d_sets(data_panel, document):
    document.set_data(dataclasses.replace(document.data, features=("x1^2",), val_split=0.3),
                      "setup")
    data_panel.picker.combo.activated.emit(data_panel.picker.combo.findData("circles"))
    assert document.data.features == ("x1^2",)
    assert document.data.val_split == pytest.approx(0.3)
    data_panel.picker.combo.activated.emit(data_panel.picker.combo.findData("wine"))
    assert document.data.features == ()


def test_loading_indicator_and_load_errors(data_panel, data_source):
    data_source.loading_changed.emit(True)
    assert "loading" in data_panel.summary.text()
    data_source.loading_changed.emit(False)
    data_source.failed.emit("the file vanished")
    assert data_panel.error.isVisibleTo(data_panel)
    assert "the file vanished" in data_panel.error.text()


MALFORMED = "a,b,label\n1,2,x\n3,4,y,oops\n5,6,x\n"  # a row with an extra field


def test_a_malformed_csv_shows_the_error_and_keeps_the_working_data(qtbot, data_panel,
                                                                   document, tmp_path,
                                                                   monkeypatch):
    path = tmp_path / "broken.csv"
    path.write_text(MALFORMED)
    steps = document.undo_stack.count()
    with qtbot.waitSignal(data_panel.probe.failed, timeout=TIMEOUT):
        data_panel.open_file(str(path))
    assert data_panel.error.isVisibleTo(data_panel)
    text = data_panel.error.text()
    assert "broken.csv" in text and "line 3 has 4 fields" in text and "still Two spirals" in text
    assert document.data == DataSpec("spirals")
    assert document.undo_stack.count() == steps
    assert data_panel.picker.current_name() == "spirals"


def test_a_good_csv_becomes_the_data_with_a_target_chooser(qtbot, data_panel, document,
                                                          data_source, tmp_path,
                                                          monkeypatch):
    path = tmp_path / "pets.csv"
    rows = [f"{i % 7},{(i * 3) % 5},{i % 4},{'cat' if i % 2 else 'dog'}" for i in range(40)]
    path.write_text("height,weight,age,kind\n" + "\n".join(rows) + "\n")
    with qtbot.waitSignal(data_source.splits_changed, timeout=TIMEOUT):
        data_panel.open_file(str(path))
    assert document.data.source == "file" and document.data.path == str(path)
    assert data_panel.picker.current_name() == "file"
    assert data_panel.target.isVisibleTo(data_panel)
    assert [data_panel.target.itemText(i) for i in range(4)] == ["height", "weight", "age",
                                                                 "kind"]
    assert data_panel.target.currentText() == "kind"
    qtbot.waitUntil(lambda: "40 rows" in data_panel.summary.text(), timeout=TIMEOUT)
    assert "2 classes (cat, dog)" in data_panel.summary.text()
    document.undo_stack.undo()
    assert document.data == DataSpec("spirals")


def test_choosing_another_target_column_reloads_or_explains(qtbot, data_panel, document,
                                                            data_source, tmp_path):
    path = tmp_path / "pets.csv"
    rows = [f"{i % 7},{i % 4},{'cat' if i % 2 else 'dog'}" for i in range(40)]
    path.write_text("height,age,kind\n" + "\n".join(rows) + "\n")
    with qtbot.waitSignal(data_source.splits_changed, timeout=TIMEOUT):
        data_panel.open_file(str(path))
    # a file whose other columns all become ignored cannot predict "age": explained
    path.write_text("height,age,kind\n" + "\n".join(f"h{i},{i % 4},k{i}" for i in range(40))
                    + "\n")
    data_panel.target.setCurrentIndex(1)
    with qtbot.waitSignal(data_panel.probe.failed, timeout=TIMEOUT):
        data_panel.target.activated.emit(1)
    assert document.data.target is None
    assert data_panel.target.currentText() == "kind"
    assert "age" in data_panel.error.text() and data_panel.error.isVisibleTo(data_panel)
    path.write_text("height,age,kind\n" + "\n".join(r.replace("cat", "1").replace("dog", "0")
                                                     for r in rows) + "\n")
    data_panel.target.setCurrentIndex(1)
    with qtbot.waitSignal(data_source.splits_changed, timeout=TIMEOUT):
        data_panel.target.activated.emit(1)
    assert document.data.target == "age"
    assert data_source.splits.info.n_classes == 4
    assert not data_panel.error.isVisibleTo(data_panel)


def test_an_npz_offers_its_target_arrays(qtbot, data_panel, document, data_source, tmp_path,
                                        rng):
    path = tmp_path / "arrays.npz"
    x = rng.normal(size=(30, 3)).astype(np.float32)
    np.savez(path, x=x, y=(x[:, 0] > 0).astype(np.int64), size=x.sum(axis=1, keepdims=True))
    with qtbot.waitSignal(data_source.splits_changed, timeout=TIMEOUT):
        data_panel.open_file(str(path))
    items = [data_panel.target.itemText(i) for i in range(data_panel.target.count())]
    assert sorted(items) == ["size", "y"]
    assert data_panel.target.currentText() == "y"
    assert "binary classification" in data_panel.picker.task.text()


def test_opening_via_the_combo_item_asks_for_a_file(data_panel, monkeypatch):
    asked = []
    monkeypatch.setattr(data_panel, "ask_file_path", lambda: asked.append(1))
    combo = data_panel.picker.combo
    combo.activated.emit(combo.count() - 1)
    assert asked == [1]
    assert data_panel.picker.current_name() == "spirals"


def test_data_panel_follows_project_replaced(data_panel, document):
    project = default_project()
    data = DataSpec("moons", {"noise": 0.5}, features=("x1*x2",), val_split=0.25, seed=3)
    document.replace_project(dataclasses.replace(project, data=data))
    assert data_panel.picker.current_name() == "moons"
    assert data_panel.options.fields["noise"].value() == pytest.approx(0.5)
    assert data_panel.features.features() == ("x1*x2",)
    assert (data_panel.val_split.value(), data_panel.seed.value()) == (25, 3)
    assert document.undo_stack.count() == 0


def test_every_data_control_explains_itself(data_panel):
    panel = data_panel
    for widget in (panel.picker.combo, panel.picker.open_button, panel.val_split,
                   panel.test_split, panel.normalize, panel.seed, panel.new_seed,
                   panel.target, *panel.features.buttons.values(),
                   *panel.options.fields.values()):
        assert widget.toolTip(), widget
