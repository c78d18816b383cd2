"""The doctor, gradient-check, lesson and compare panels, driven by real engine updates.

Updates come from an ``nncore.runner.Runner`` run in the test itself and are emitted through
a small stand-in for the training controller, so nothing runs on another thread except the
compare panel's race (which must end cleanly).
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMenu

from app.data_source import DataSource
from app.document import ProjectDocument, default_project
from app.lessons import LessonPanel, open_lesson, populate_lessons_menu
from app.panels.compare_panel import ComparePanel
from app.panels.doctor_panel import DoctorPanel
from app.panels.gradcheck_panel import GradCheckPanel
from nncore.lessons import load_lesson
from nncore.runner import Runner, Update
from nncore.spec import DataSpec

TIMEOUT = 20_000


class FakeController(QObject):
    """The signals and the one command the panels use."""

    update_received = Signal(object)
    history_reset = Signal()
    gradcheck_finished = Signal(object)
    error_occurred = Signal(str)

    def __init__(self, document) -> None:
        super().__init__()
        self.document = document
        self.gradient_checks = 0

    def check_gradients(self, batch_size: int = 16) -> None:
        self.gradient_checks += 1


def _updates(project, seconds: float = 20.0) -> tuple[Runner, list[Update]]:
    runner = Runner(project)
    messages = runner.handle("run")
    while runner.running:
        messages += runner.run_for(0.05)
    return runner, [m[1] for m in messages if m[0] == "update"]


@pytest.fixture
def lesson_document():
    documents = []

    def make(lesson_id: str, variant: str | None = None) -> ProjectDocument:
        documents.append(ProjectDocument(load_lesson(lesson_id, variant)))
        return documents[-1]

    yield make
    for document in documents:
        document.undo_stack.clear()


@pytest.fixture
def doctor(qtbot, lesson_document):
    """A doctor panel on a lesson, with its data loaded and callbacks recorded."""

    def make(lesson_id: str):
        document = lesson_document(lesson_id)
        source = DataSource()
        source.load_now(document.data)
        controller = FakeController(document)
        calls: dict[str, list] = {"highlight": [], "evidence": []}
        panel = DoctorPanel(document, controller,
                            lambda layer, severity: calls["highlight"].append((layer, severity)),
                            lambda view: calls["evidence"].append(view), data_source=source)
        qtbot.addWidget(panel)
        panel.resize(1200, 400)
        return panel, document, controller, source, calls

    return make


# --------------------------------------------------------------------------- doctor panel


def test_runtime_findings_arrive_with_updates_and_badge_the_tab(doctor, qtbot):
    panel, document, controller, _, _ = doctor("fit-x-squared")
    counts = []
    panel.count_changed.connect(counts.append)
    assert panel.card("output-activation-mismatch", "dense-3") is not None  # before training
    _, updates = _updates(document.project)
    for update in updates:
        controller.update_received.emit(update)
    assert panel.card("dead-relu", "dense-3") is not None
    assert panel.card("dead-relu", "dense-3").finding.severity == "problem"
    assert counts[-1] == panel.open_count >= 2
    controller.history_reset.emit()
    assert panel.card("dead-relu", "dense-3") is None


def test_apply_fix_changes_the_spec_as_one_undo_step(doctor, qtbot):
    panel, document, _, _, _ = doctor("fit-x-squared")
    card = panel.card("output-activation-mismatch", "dense-3")
    qtbot.mouseClick(card.fix_button, Qt.MouseButton.LeftButton)
    assert document.network.output.activation == "linear"
    assert document.undo_stack.undoText() == card.finding.fix.description
    assert panel.card("output-activation-mismatch", "dense-3") is None
    document.undo_stack.undo()
    assert document.network.output.activation == "relu"
    assert panel.card("output-activation-mismatch", "dense-3") is not None


def test_clicking_a_finding_highlights_its_layer_and_shows_the_evidence(doctor, qtbot):
    panel, _, _, _, calls = doctor("fit-x-squared")
    card = panel.card("output-activation-mismatch", "dense-3")
    qtbot.mouseClick(card, Qt.MouseButton.LeftButton)
    assert calls["highlight"] == [("dense-3", "warning")]
    assert calls["evidence"] == ["design"]


def test_a_data_fix_reaches_the_data_spec(doctor, qtbot):
    panel, document, _, source, _ = doctor("sigmoid-tanh-normalise")
    card = panel.card("unnormalized-inputs", None)
    assert card is not None and "proline" in card.evidence.text()
    qtbot.mouseClick(card.fix_button, Qt.MouseButton.LeftButton)
    assert document.data.normalize == "standard"
    source.load_now(document.data)
    assert panel.card("unnormalized-inputs", None) is None


def test_chance_level_offers_the_gradient_check(doctor, qtbot):
    panel, document, controller, _, calls = doctor("iris-wrong-gradient")
    _, updates = _updates(document.project)
    for update in updates:
        controller.update_received.emit(update)
    card = panel.card("chance-level-plateau", "dense-2")
    assert card is not None and card.extra_button.isVisibleTo(panel)
    qtbot.mouseClick(card.extra_button, Qt.MouseButton.LeftButton)
    assert controller.gradient_checks == 1 and calls["evidence"] == ["gradcheck"]


# --------------------------------------------------------------------------- gradient check


def test_the_gradient_check_shows_failing_tensors_and_the_fix(qtbot, lesson_document):
    document = lesson_document("iris-wrong-gradient")
    controller = FakeController(document)
    panel = GradCheckPanel(controller)
    qtbot.addWidget(panel)
    qtbot.mouseClick(panel.check_button, Qt.MouseButton.LeftButton)
    assert controller.gradient_checks == 1 and not panel.check_button.isEnabled()
    (_, result), = Runner(document.project).handle("gradcheck")
    controller.gradcheck_finished.emit(result)
    assert panel.table.rowCount() == 4 and panel.check_button.isEnabled()
    assert {panel.table.item(r, 5).text() for r in range(4)} == {"✗ wrong"}
    assert panel.finding_card.finding.code == "gradient-check-failed"
    qtbot.mouseClick(panel.finding_card.fix_button, Qt.MouseButton.LeftButton)
    assert document.training.bugs == ()
    (_, result), = Runner(document.project).handle("gradcheck")
    controller.gradcheck_finished.emit(result)
    assert {panel.table.item(r, 5).text() for r in range(4)} == {"✓ agrees"}
    assert panel.finding_card is None


# --------------------------------------------------------------------------- lessons


def test_the_lesson_panel_shows_the_text_and_applies_variants(qtbot, lesson_document):
    document = lesson_document("two-spirals")
    panel = LessonPanel(document)
    qtbot.addWidget(panel)
    panel.resize(380, 700)
    assert panel.lesson.id == "two-spirals" and len(panel.step_boxes) == 6
    assert set(panel.variant_buttons) == {"working", "no-hidden", "two-units", "relu",
                                          "learning-rate-high"}
    qtbot.mouseClick(panel.variant_buttons["no-hidden"], Qt.MouseButton.LeftButton)
    assert len(document.network.layers) == 1
    assert document.undo_stack.undoText() == "Lesson: No hidden layer"
    document.undo_stack.undo()
    assert len(document.network.layers) == 3
    document.replace_project(default_project())
    assert panel.lesson is None and panel.empty.isVisibleTo(panel)


def test_the_lesson_panel_says_when_the_data_is_no_longer_the_lessons(qtbot, lesson_document,
                                                                      tmp_path):
    document = lesson_document("fit-x-squared")
    panel = LessonPanel(document)
    qtbot.addWidget(panel)
    assert not panel.data_note.isVisibleTo(panel)
    qtbot.mouseClick(panel.variant_buttons["relu-output-sine"], Qt.MouseButton.LeftButton)
    assert document.data.source == "sine"  # a variant's own data: no note
    assert not panel.data_note.isVisibleTo(panel)
    own = tmp_path / "heights.csv"
    own.write_text("x,y\n1,2\n2,4\n3,6\n", encoding="utf-8")
    document.set_data(DataSpec("file", path=str(own)), "Open heights.csv")
    assert panel.data_note.isVisibleTo(panel)
    assert "heights" in panel.data_note.text() and "Parabola" in panel.data_note.text()
    document.undo_stack.undo()
    assert not panel.data_note.isVisibleTo(panel)
    document.replace_project(default_project())  # no lesson: no note
    document.set_data(DataSpec("iris"), "Iris")
    assert not panel.data_note.isVisibleTo(panel)


def test_the_lessons_menu_and_opening_a_lesson(qtbot):
    document = ProjectDocument()
    menu = QMenu()
    opened = []
    actions = populate_lessons_menu(menu, opened.append)
    assert len(actions) == 7 and actions[0].text() == "1. Two spirals"
    actions[2].trigger()
    assert opened == ["iris-wrong-gradient"]
    assert open_lesson(document, "iris-wrong-gradient")
    assert document.project.title == "Iris: softmax and a wrong gradient"
    assert document.project.lesson["id"] == "iris-wrong-gradient"
    assert not open_lesson(document, "no-such-lesson")
    assert document.project.lesson["id"] == "iris-wrong-gradient"


# --------------------------------------------------------------------------- compare


def _tick_only(panel: ComparePanel, names: set[str]) -> None:
    for item in panel._items():
        name = item.data(0, Qt.ItemDataRole.UserRole)[0]
        item.setCheckState(0, Qt.CheckState.Checked if name in names else
                           Qt.CheckState.Unchecked)


def test_the_compare_panel_races_two_configurations(qtbot, lesson_document):
    document = lesson_document("optimizers-race")
    panel = ComparePanel(document)
    qtbot.addWidget(panel)
    assert len(panel._items()) == 4
    _tick_only(panel, {"sgd", "adam"})
    panel.epochs.setValue(15)
    with qtbot.waitSignal(panel.race.finished, timeout=TIMEOUT):
        assert panel.run()
    assert {name: len(r) for name, r in panel.histories.items()} == {"sgd": 15, "adam": 15}
    assert set(panel.curves) == {"sgd", "adam"} and not panel.running
    assert panel.run_button.text() == "Run"


def test_the_compare_panel_stops_cleanly_and_adds_the_design(qtbot, lesson_document):
    document = lesson_document("optimizers-race")
    panel = ComparePanel(document)
    qtbot.addWidget(panel)
    panel.add_current_design()
    assert panel._items()[-1].text(0) == "Current design"
    _tick_only(panel, {"adam", "design"})
    panel.epochs.setValue(100_000)
    assert panel.run()
    qtbot.waitUntil(lambda: len(panel.histories["design"]) >= 3, timeout=TIMEOUT)
    assert panel.stop()
    assert not panel.running and panel.race._thread is None
    assert panel.run_button.text() == "Run"
