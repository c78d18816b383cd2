"""The teacher's kit in the window: author an assignment, locked controls, goals ticking
off live with a "goal met" moment, hand in (graded by nncore), export as code."""

from __future__ import annotations

import dataclasses

import pytest

from app.teach import AssignmentDialog
from nncore.assignments import Goal, Lock, make_assignment, save_assignment
from nncore.grading import grade_all
from nncore.project import load_project
from nncore.runner import RunState
from nncore.spec import DataSpec, OptimizerSpec, TrainingSpec, mlp_spec
from tests.app.conftest import make_window

pytestmark = pytest.mark.gui


def _moons_assignment(tmp_path, *, lr: float = 0.03):
    from nncore.project import Project

    start = Project(mlp_spec([8], "tanh"),
                    TrainingSpec(optimizer=OptimizerSpec("adam", lr), epochs=40, seed=1),
                    DataSpec("moons", {"n": 300, "noise": 0.1}), title="moons")
    project = make_assignment(
        start, title="Moons", text="Reach 95 %.", hints=["Raise the rate.", "Train longer."],
        goals=[Goal("metric", metric="val_accuracy", min=0.95), Goal("epochs", max=40)],
        locks=[Lock("data", "same data for all"), Lock("architecture", "one layer of 8")])
    path = tmp_path / "moons.json"
    save_assignment(project, path)
    return path


@pytest.fixture
def assignment_window(qtbot, settings, tmp_path):
    win = make_window(qtbot, settings, lesson=None)
    assert win.files.open(_moons_assignment(tmp_path))
    win.data_source.wait(30000)
    qtbot.waitUntil(lambda: win.data_source.splits is not None, timeout=30000)
    yield win
    win.close()
    assert win.controller._thread.wait(3000)


def test_authoring_dialog_builds_the_assignment(qtbot, window):
    # the two-spirals lesson is an assignment already: the dialog starts from it
    dialog = AssignmentDialog(window.document.project)
    qtbot.addWidget(dialog)
    assert dialog.goal_checks["epochs"].isChecked() and dialog.max_epochs.value() == 300
    assert dialog.steps.toPlainText().startswith("Press Train")
    assert "straight line" in dialog.hints.toPlainText()
    dialog.goal_checks["epochs"].setChecked(False)
    dialog.title_edit.setText("Spirals in 100 epochs")
    dialog.text_edit.setPlainText("Separate the spirals.")
    dialog.steps.setPlainText("Train.\n\nChange the rate.")
    dialog.hints.setPlainText("Try Adam.")
    dialog.metric_value.setValue(0.9)
    dialog.goal_checks["epochs"].setChecked(True)
    dialog.max_epochs.setValue(100)
    dialog.metric_box.setCurrentText("val_accuracy")
    check, reason = dialog.lock_checks["learning_rate"]
    check.setChecked(True)
    reason.setText("keep 0.01")
    project = dialog.assignment_project()
    lesson = project.lesson
    assert lesson["id"] == "spirals-in-100-epochs" and lesson["steps"] == ["Train.",
                                                                          "Change the rate."]
    assert lesson["assignment"]["goals"] == [
        {"kind": "metric", "metric": "val_accuracy", "min": 0.9},
        {"kind": "epochs", "max": 100.0}]
    assert lesson["assignment"]["locks"] == [{"control": "learning_rate",
                                              "reason": "keep 0.01"}]
    assert lesson["assignment"]["hints"] == ["Try Adam."]
    dialog.title_edit.setText(" ")
    dialog._accept()
    assert "needs a title" in dialog.error.text()


def test_locked_controls_are_disabled_and_edits_refused(qtbot, assignment_window):
    win = assignment_window
    qtbot.waitUntil(lambda: not win.data_panel.isEnabled(), timeout=3000)
    assert "same data for all" in win.data_panel.toolTip()
    assert not win.designer.layer_palette.isEnabled()
    assert win.training_panel.learning_rate.isEnabled()  # not locked
    win.document.select_layer("dense-1")  # the inspector enables its buttons for a layer...
    assert not win.designer.inspector.duplicate_button.isEnabled()  # ...but it stays locked
    assert "one layer of 8" in win.designer.inspector.units.toolTip()
    doc = win.document
    before = doc.network
    doc.set_network(mlp_spec([32], "tanh"), "wider")  # e.g. a drop on the designer
    assert doc.network == before
    assert "Locked by the assignment" in win.message_bar.text
    doc.set_data(DataSpec("moons", {"n": 300, "noise": 0.5}), "noisier")
    assert doc.data.options["noise"] == 0.1
    doc.set_training(dataclasses.replace(doc.training, epochs=30), "fewer epochs")
    assert doc.training.epochs == 30  # free controls still change


def test_goals_tick_off_live_then_hand_in_and_grade(qtbot, assignment_window, tmp_path,
                                                    artifacts_dir):
    win = assignment_window
    box = win.teach.goals_box
    assert box is not None and [s.met for s in box.statuses] == [None, True]
    box.reveal_hint()
    assert len(box.hint_labels) == 1 and "Raise the rate" in box.hint_labels[0].text()
    win.controller.train()
    qtbot.waitUntil(lambda: win.controller.state == RunState.FINISHED.value, timeout=60000)
    qtbot.waitUntil(lambda: box.banner.isVisible(), timeout=5000)
    assert [s.met for s in box.statuses] == [True, True]
    assert box.statuses[0].measured == win.controller.history[-1].val_metric
    assert "goal met" in win.tabs.tabText(win.tabs.indexOf(win.lesson_panel))
    win.tabs.setCurrentWidget(win.lesson_panel)
    win.grab().save(str(artifacts_dir / "assignment_goal_met.png"))
    out = tmp_path / "ada.bplab"
    win.teach.ask_student = lambda: "Ada"
    win.teach.ask_path = lambda *_: str(out)
    assert win.teach.hand_in_work()
    submission = load_project(out)
    assert submission.lesson["submission"]["student"] == "Ada"
    assert submission.lesson["submission"]["all_met"] is True
    rows = grade_all(str(tmp_path / "moons.json"), [str(out)], retrain=True, jobs=1)
    assert rows[0].status == "pass", rows[0].reason


def test_goal_missed_shows_no_banner(qtbot, settings, tmp_path):
    win = make_window(qtbot, settings, lesson=None)
    try:
        assert win.files.open(_moons_assignment(tmp_path, lr=0.0005))
        win.data_source.wait(30000)
        qtbot.waitUntil(lambda: win.data_source.splits is not None, timeout=30000)
        win.controller.train()
        qtbot.waitUntil(lambda: win.controller.state == RunState.FINISHED.value,
                        timeout=60000)
        box = win.teach.goals_box
        qtbot.waitUntil(lambda: box.statuses[0].met is False, timeout=5000)
        assert not box.banner.isVisible()
    finally:
        win.close()
        assert win.controller._thread.wait(3000)


def test_export_as_code_from_the_window(window, tmp_path):
    path = tmp_path / "train.py"
    window.teach.ask_path = lambda *_: str(path)
    window.teach.ask_target = lambda: "numpy"
    assert window.teach.export_as_code()
    assert "def gradients" in path.read_text()
    window.document.set_training(dataclasses.replace(
        window.document.training, optimizer=OptimizerSpec("adagrad", 0.1)), "adagrad")
    assert not window.teach.export_to("pytorch")
    assert "adagrad" in window.message_bar.text


def test_save_report_from_the_window(qtbot, window, tmp_path):
    path = tmp_path / "run.html"
    window.teach.ask_path = lambda *_: str(path)
    assert not window.teach.save_run_report()  # nothing trained yet
    assert "Train first" in window.message_bar.text
    window.document.set_training(dataclasses.replace(window.document.training, epochs=3),
                                 "short")
    window.controller.train()
    qtbot.waitUntil(lambda: window.controller.state == RunState.FINISHED.value, timeout=60000)
    assert window.teach.save_run_report()
    html = path.read_text()
    assert html.count("<img ") == 3 and "Doctor's findings" in html


def test_opening_a_hand_edited_file_restores_the_locked_settings(qtbot, assignment_window,
                                                                 tmp_path):
    from nncore.project import save_project

    win = assignment_window
    assert "start" in win.document.project.lesson  # recorded when the assignment opened
    edited = dataclasses.replace(win.document.project,
                                 network=mlp_spec([64], "tanh"), title="edited")
    save_project(edited, tmp_path / "edited.bplab")
    assert win.files.open(tmp_path / "edited.bplab")
    assert win.document.network.layers[0].units == 8
    assert "set back" in win.message_bar.text


def test_reopening_leaves_no_stale_goal_boxes_behind(qtbot, assignment_window, tmp_path):
    win = assignment_window
    first = win.teach.goals_box
    assert win.files.open(tmp_path / "moons.json")
    assert win.open_lesson("fit-x-squared")
    assert win.teach.goals_box is not first
    win.document.set_training(dataclasses.replace(win.document.training, epochs=3), "short")
    win.controller.train()
    qtbot.waitUntil(lambda: win.controller.state == RunState.FINISHED.value, timeout=60000)
    box = win.teach.goals_box
    qtbot.waitUntil(lambda: box.statuses[1].met is True, timeout=5000)  # at most 300 epochs
    assert box.statuses[0].met is False  # R² of a dead ReLU output after 3 epochs
