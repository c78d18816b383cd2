"""The teacher's lab kit in the app: goals in the lesson panel, locked controls, "Save as
assignment…", "Hand in…" and "Export as code…" (File menu).

All judging is ``nncore.assignments``' (``live_evidence`` + ``evaluate``): this module only
gathers the run's records, the prepared data and the doctor's findings, and shows the
result. Locks are enforced in ``ProjectDocument`` (``locked_edit`` refuses an edit that
would change a locked control) and shown here: the controls are disabled, with the reason
as their tooltip.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.theme import OK, PROBLEM
from nncore.assignments import (
    CONTROLS,
    METRICS,
    AssignmentError,
    Goal,
    GoalStatus,
    Lock,
    all_met,
    assignment_of,
    evaluate,
    hand_in,
    live_evidence,
    lock_violations,
    make_assignment,
    save_assignment,
    with_lock_reference,
)
from nncore.errors import NNCoreError

log = logging.getLogger(__name__)

FINDING_CODES = ("dead-relu", "capacity-too-low", "chance-level-plateau", "exploding-gradient",
                 "gradient-check-failed", "learning-rate-too-high", "learning-rate-too-low",
                 "output-activation-mismatch", "saturated-units", "unnormalized-inputs",
                 "vanishing-gradient", "zero-init-symmetry", "overfitting")
OPTIMIZER_NAMES = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")


def _assignment(project):
    try:
        return assignment_of(project)
    except AssignmentError as err:
        log.warning("ignoring a malformed assignment: %s", err)
        return None


# --------------------------------------------------------------------------- locks


def prepare_locks(project) -> tuple[Any, Any, str]:
    """``(project, lock reference, message)`` for a project being opened: a file whose
    locked controls were changed by hand gets them back (``with_lock_reference``)."""
    try:
        project, reference, restored = with_lock_reference(project)
    except AssignmentError as err:
        log.warning("ignoring the locks of a malformed assignment: %s", err)
        return project, project, ""
    if not restored:
        return project, reference, ""
    names = ", ".join(CONTROLS[lk.control] for lk in restored)
    return project, reference, (f"This file changed what the assignment locks ({names}); "
                                "those settings were set back to the assignment's")


def locked_edit(document, part: str, new: Any) -> str | None:
    """Why an edit of ``part`` to ``new`` is refused (a lock it would break), or None."""
    assignment = _assignment(document.project)
    reference = getattr(document, "lock_reference", None)
    if assignment is None or not assignment.locks or reference is None:
        return None
    specs = {"network": document.network, "training": document.training,
             "data": document.data}
    before = lock_violations(assignment, reference, **specs)
    specs[part] = new
    broken = [lk for lk in lock_violations(assignment, reference, **specs) if lk not in before]
    if not broken:
        return None
    lock = broken[0]
    return f"Locked by the assignment: {CONTROLS[lock.control]}" + (
        f" ({lock.reason})" if lock.reason else "")


def lock_widgets(window) -> dict[str, list[QWidget]]:
    """The widgets that edit each lockable control."""
    tp, ins = window.training_panel, window.designer.inspector
    return {
        "architecture": [window.designer.layer_palette, ins.units, ins.bias,
                         ins.duplicate_button, ins.remove_button],
        "activations": [ins.activation, ins.alpha, ins.layer_activation, ins.layer_alpha],
        "init": [ins.init, ins.scale],
        "regularisation": [ins.l1, ins.l2, ins.rate],
        "loss": [tp.loss, tp.huber_delta],
        "optimizer": [tp.optimizer, tp.optimizer_fields],
        "learning_rate": [tp.learning_rate],
        "schedule": [tp.schedule],
        "batch_size": [tp.batch],
        "epochs": [tp.epochs],
        "seed": [tp.seed, tp.new_seed],
        "advanced": [tp.advanced],
        "data": [window.data_panel],
    }


def show_locks(window, *_args) -> None:
    """Disable the locked controls, with the reason as their tooltip; give back the ones a
    previous assignment locked. Runs after the panels' own updates (which may enable a
    control for their own reasons), so a locked control stays locked."""
    assignment = _assignment(window.document.project)
    locks = {lk.control: lk for lk in (assignment.locks if assignment else ())}
    for control, widgets in lock_widgets(window).items():
        lock = locks.get(control)
        for widget in widgets:
            if lock is not None:
                if not widget.property("assignmentLocked"):
                    widget.setProperty("unlockedTip", widget.toolTip())
                    widget.setProperty("assignmentLocked", True)
                reason = f": {escape(lock.reason)}" if lock.reason else ""
                widget.setEnabled(False)
                widget.setToolTip(f"<qt><b>Locked by the assignment</b>{reason}</qt>")
            elif widget.property("assignmentLocked"):
                widget.setProperty("assignmentLocked", False)
                widget.setEnabled(True)
                widget.setToolTip(widget.property("unlockedTip") or "")


# --------------------------------------------------------------------------- goals


class GoalsBox(QWidget):
    """The assignment's goals, ticking off live, the "goal met" moment and the hints."""

    def __init__(self, window, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.main = window
        self.assignment = _assignment(window.document.project)
        self.statuses: list[GoalStatus] = []
        self.was_met = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(_rich("<b>Goals</b> <i>(checked automatically as you train)</i>"))
        self.rows: list[QLabel] = []
        for _goal in self.assignment.goals:
            self.rows.append(_rich(""))
            layout.addWidget(self.rows[-1])
        self.banner = _rich("")
        self.banner.setStyleSheet(f"background: {OK}; color: white; padding: 6px; "
                                  "border-radius: 4px; font-weight: bold;")
        self.banner.hide()
        layout.addWidget(self.banner)
        self.locks = _rich(self._locks_text())
        layout.addWidget(self.locks)
        self.hint_button = QPushButton("Show a hint")
        self.hint_button.setVisible(bool(self.assignment.hints))
        self.hint_button.clicked.connect(self.reveal_hint)
        self.hint_labels: list[QLabel] = []
        self.hints_layout = QVBoxLayout()
        layout.addLayout(self.hints_layout)
        layout.addWidget(self.hint_button, 0, Qt.AlignmentFlag.AlignLeft)
        ctl = window.controller
        ctl.update_received.connect(self._on_update)
        ctl.history_reset.connect(self.refresh)
        window.document.network_changed.connect(self.refresh)
        window.document.training_changed.connect(self.refresh)
        window.doctor_panel.count_changed.connect(self.refresh)
        window.data_source.splits_changed.connect(self.refresh)
        self.refresh()

    def _locks_text(self) -> str:
        if not self.assignment.locks:
            return ""
        items = "".join(f"<li>{escape(CONTROLS[lk.control])}"
                        + (f" — <i>{escape(lk.reason)}</i>" if lk.reason else "") + "</li>"
                        for lk in self.assignment.locks)
        return f"<b>Locked</b> (you may change everything else)<ul>{items}</ul>"

    def reveal_hint(self) -> None:
        """Show the next hint; the button goes when none are left."""
        shown = len(self.hint_labels)
        if shown >= len(self.assignment.hints):
            return
        label = _rich(f"<b>Hint {shown + 1}.</b> {escape(self.assignment.hints[shown])}")
        self.hint_labels.append(label)
        self.hints_layout.addWidget(label)
        left = len(self.assignment.hints) - len(self.hint_labels)
        self.hint_button.setText(f"Show another hint ({left} left)")
        self.hint_button.setVisible(left > 0)

    def _on_update(self, update) -> None:
        if getattr(update, "new_records", ()) or getattr(update, "findings", None) is not None:
            self.refresh()

    def evidence(self):
        """What the goals are checked against now (``nncore.assignments.live_evidence``)."""
        w = self.main
        return live_evidence(w.document.network, w.document.training, w.controller.history,
                             w.data_source.splits, w.doctor_panel.findings)

    def refresh(self, *_args) -> None:
        """Re-check every goal and update the marks (and the banner)."""
        self.statuses = evaluate(self.assignment.goals, self.evidence())
        for row, status in zip(self.rows, self.statuses):
            mark, color = {True: ("✓", OK), False: ("✗", PROBLEM)}.get(status.met, ("…", "gray"))
            row.setText(f"<span style='color:{color}; font-weight:bold'>{mark}</span> "
                        f"{escape(status.goal.describe())} "
                        f"<span style='color:gray'>— {escape(status.detail)}</span>")
        met = all_met(self.statuses)
        if met and not self.was_met:
            self.banner.setText("✓ Goal met! Every goal is reached. Hand it in with "
                                "File › Hand in…")
        self.banner.setVisible(met)
        self.was_met = met
        tabs, panel = self.main.tabs, self.main.lesson_panel
        index = tabs.indexOf(panel)
        if index >= 0:  # seen from any tab: the Lesson tab says so too
            tabs.setTabText(index, "Lesson ✓ goal met" if met else "Lesson")


def _rich(html: str) -> QLabel:
    label = QLabel(html)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


# --------------------------------------------------------------------------- authoring


class AssignmentDialog(QDialog):
    """"Save as assignment…": title, text, steps, hints, goals and locks."""

    def __init__(self, project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Save as assignment")
        self.project = project
        tabs = QTabWidget(self)
        tabs.addTab(self._text_page(), "Text")
        tabs.addTab(self._goals_page(), "Goals")
        tabs.addTab(self._locks_page(), "Locks")
        self.error = _rich("")
        self.error.setStyleSheet(f"color: {PROBLEM}")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(620, 520)
        self._prefill()

    def _prefill(self) -> None:
        """Start from the project's own lesson text, goals, locks and hints, if any (editing
        an assignment, or turning a lesson into one)."""
        lesson = self.project.lesson or {}
        self.text_edit.setPlainText(str(lesson.get("goal", "")))
        self.steps.setPlainText("\n".join(lesson.get("steps", [])))
        assignment = _assignment(self.project)
        if assignment is None:
            return
        self.hints.setPlainText("\n".join(assignment.hints))
        if assignment.goals:
            self.goal_checks["metric"].setChecked(False)
        for goal in assignment.goals:
            self.goal_checks[goal.kind].setChecked(True)
            if goal.kind == "metric":
                self.metric_box.setCurrentText(goal.metric or "")
                self.metric_sign.setCurrentText("≥" if goal.min is not None else "≤")
                self.metric_value.setValue(goal.min if goal.min is not None else goal.max)
            elif goal.kind in ("epochs", "parameters", "units"):
                {"epochs": self.max_epochs, "parameters": self.max_parameters,
                 "units": self.max_units}[goal.kind].setValue(int(goal.max))
            elif goal.kind == "optimizer":
                self.optimizer_box.setCurrentText(goal.name or "")
            else:
                self.finding_box.setCurrentText(goal.code or "")
                self.finding_sign.setCurrentText("present" if goal.present else "absent")
        for lock in assignment.locks:
            check, reason = self.lock_checks[lock.control]
            check.setChecked(True)
            reason.setText(lock.reason)

    def _text_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.title_edit = QLineEdit(self.project.title or "")
        self.text_edit = QPlainTextEdit()
        self.text_edit.setPlaceholderText("What the student should achieve, and why.")
        self.steps = QPlainTextEdit()
        self.steps.setPlaceholderText("One step per line")
        self.hints = QPlainTextEdit()
        self.hints.setPlaceholderText("One hint per line; students reveal them one at a time")
        form.addRow("Title", self.title_edit)
        form.addRow("Text", self.text_edit)
        form.addRow("Steps", self.steps)
        form.addRow("Hints", self.hints)
        return page

    def _goals_page(self) -> QWidget:
        page = QWidget()
        grid = QGridLayout(page)
        grid.addWidget(_rich("<b>Ticked goals are checked automatically</b> as the student "
                             "trains, and by <tt>nncore grade</tt>. (More goals of a kind: "
                             "edit the saved JSON, see docs/lessons.md.)"), 0, 0, 1, 4)
        self.goal_checks: dict[str, QCheckBox] = {}

        def row(key: str, text: str, *widgets: QWidget) -> None:
            check = QCheckBox(text)
            self.goal_checks[key] = check
            r = grid.rowCount()
            grid.addWidget(check, r, 0)
            for i, widget in enumerate(widgets, start=1):
                grid.addWidget(widget, r, i)

        self.metric_box = QComboBox()
        self.metric_box.addItems(METRICS)
        self.metric_box.setCurrentText("val_accuracy")
        self.metric_sign = QComboBox()
        self.metric_sign.addItems(["≥", "≤"])
        self.metric_value = _spin(0.95, 0, 1e9, 4)
        row("metric", "Metric", self.metric_box, self.metric_sign, self.metric_value)
        self.max_epochs, self.max_parameters, self.max_units = (
            _ispin(self.project.training.epochs), _ispin(1000), _ispin(32))
        row("epochs", "At most epochs", self.max_epochs)
        row("parameters", "At most parameters", self.max_parameters)
        row("units", "At most hidden units", self.max_units)
        self.optimizer_box = QComboBox()
        self.optimizer_box.addItems(OPTIMIZER_NAMES)
        self.optimizer_box.setCurrentText(self.project.training.optimizer.name)
        row("optimizer", "Optimizer must be", self.optimizer_box)
        self.finding_box = QComboBox()
        self.finding_box.addItems(FINDING_CODES)
        self.finding_box.setEditable(True)
        self.finding_box_sign = QComboBox()
        self.finding_box_sign.addItems(["absent", "present"])
        row("finding", "Doctor finding", self.finding_box, self.finding_box_sign)
        self.goal_checks["metric"].setChecked(True)
        grid.setRowStretch(grid.rowCount(), 1)
        return page

    def _locks_page(self) -> QWidget:
        page = QWidget()
        grid = QGridLayout(page)
        grid.addWidget(_rich("<b>Lock what the student may not change</b>"), 0, 0, 1, 2)
        self.lock_checks: dict[str, tuple[QCheckBox, QLineEdit]] = {}
        for r, (control, what) in enumerate(CONTROLS.items(), start=1):
            check = QCheckBox(control.replace("_", " "))
            check.setToolTip(what)
            reason = QLineEdit()
            reason.setPlaceholderText("the reason shown to the student")
            grid.addWidget(check, r, 0)
            grid.addWidget(reason, r, 1)
            self.lock_checks[control] = (check, reason)
        return page

    def goals(self) -> list[Goal]:
        """The goals ticked in the dialog."""
        on = {k for k, c in self.goal_checks.items() if c.isChecked()}
        goals = []
        if "metric" in on:
            bound = self.metric_value.value()
            low = self.metric_sign.currentText() == "≥"
            goals.append(Goal("metric", metric=self.metric_box.currentText(),
                              min=bound if low else None, max=None if low else bound))
        for key, box in (("epochs", self.max_epochs), ("parameters", self.max_parameters),
                         ("units", self.max_units)):
            if key in on:
                goals.append(Goal(key, max=float(box.value())))
        if "optimizer" in on:
            goals.append(Goal("optimizer", name=self.optimizer_box.currentText()))
        if "finding" in on:
            goals.append(Goal("finding", code=self.finding_box.currentText().strip(),
                              present=self.finding_box_sign.currentText() == "present"))
        return goals

    def locks(self) -> list[Lock]:
        """The locks ticked in the dialog."""
        return [Lock(control, reason.text().strip())
                for control, (check, reason) in self.lock_checks.items() if check.isChecked()]

    def assignment_project(self):
        """The assignment project the dialog describes (``AssignmentError`` if invalid)."""
        return make_assignment(
            self.project, title=self.title_edit.text(), text=self.text_edit.toPlainText(),
            steps=self.steps.toPlainText().splitlines(),
            hints=self.hints.toPlainText().splitlines(), goals=self.goals(),
            locks=self.locks())

    def _accept(self) -> None:
        try:
            self.result_project = self.assignment_project()
        except AssignmentError as err:
            self.error.setText(str(err))
            return
        self.accept()


def _spin(value: float, low: float, high: float, decimals: int) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(decimals)
    box.setValue(value)
    return box


def _ispin(value: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(0, 100_000_000)
    box.setValue(int(value))
    return box


# --------------------------------------------------------------------------- file actions


class TeachActions:
    """The File menu's teacher and student actions, and the goals in the lesson panel."""

    def __init__(self, window) -> None:
        self.window = window
        self.goals_box: GoalsBox | None = None
        # dialogs are attributes so tests can replace them
        self.ask_path = self._ask_path
        self.ask_student = self._ask_student
        self.edit_assignment = self._edit_assignment
        self.ask_target = self._ask_target
        parent = window
        self.save_assignment = QAction("Save as &assignment…", parent)
        self.save_assignment.setToolTip("Turn this design into an assignment: text, goals "
                                        "checked automatically, locked controls")
        self.save_assignment.triggered.connect(self.save_as_assignment)
        self.hand_in_action = QAction("&Hand in…", parent)
        self.hand_in_action.setToolTip("Write one file with your project and the goals' status")
        self.hand_in_action.triggered.connect(self.hand_in_work)
        self.export_code = QAction("Export as &code…", parent)
        self.export_code.setToolTip("A standalone NumPy or PyTorch script that trains this "
                                    "network the same way")
        self.export_code.triggered.connect(self.export_as_code)
        self.save_report = QAction("Save &report…", parent)
        self.save_report.setToolTip("A printable HTML report of this run: curves, design, "
                                    "settings and the doctor's findings")
        self.save_report.triggered.connect(self.save_run_report)
        window.document.project_replaced.connect(self._on_project_replaced)
        self._on_project_replaced()

    def install(self, file_menu, before: QAction) -> None:
        """Add the actions to the File menu (before ``before``) and the goals to the lesson
        panel."""
        for action in (self.save_report, self.export_code, self.save_assignment,
                       self.hand_in_action):
            file_menu.insertAction(before, action)
        file_menu.insertSeparator(before)
        self.window.lesson_panel.section_factories.append(self._make_goals_box)
        self.window.lesson_panel.show_lesson(self.window.lesson_panel.lesson)

    def refresh_locks(self, *_args) -> None:
        """Show the locks again after a panel updated its controls."""
        show_locks(self.window)

    def _make_goals_box(self) -> QWidget | None:
        if _assignment(self.window.document.project) is None:
            self.goals_box = None
            return None
        self.goals_box = GoalsBox(self.window)
        return self.goals_box

    def _on_project_replaced(self) -> None:
        self.hand_in_action.setEnabled(_assignment(self.window.document.project) is not None)
        show_locks(self.window)

    def _message(self, text: str, kind: str = "info") -> None:
        self.window.message_bar.show_message(text, kind)

    # -- dialogs -----------------------------------------------------------------------

    def _ask_path(self, caption: str, file_filter: str, suggested: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self.window, caption, suggested, file_filter)
        return path

    def _ask_student(self) -> str | None:
        name, ok = QInputDialog.getText(self.window, "Hand in", "Your name:")
        return name if ok else None

    def _edit_assignment(self, project):
        dialog = AssignmentDialog(project, self.window)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.result_project

    # -- commands ----------------------------------------------------------------------

    def _write_file(self, caption: str, file_filter: str, suggested: str, suffix: str,
                    write: Callable[[str], None], done: str) -> bool:
        """Ask where, add ``suffix`` if missing, ``write(path)``; messages either way."""
        path = self.ask_path(caption, file_filter, suggested)
        if not path:
            return False
        path = path if path.endswith(suffix) else path + suffix
        try:
            write(path)
        except (OSError, NNCoreError) as err:
            self._message(f"{caption}: could not write {Path(path).name}: {err}", "problem")
            return False
        self._message(done.format(name=Path(path).name))
        return True

    def save_as_assignment(self) -> bool:
        """Author an assignment from the current project and save it as plain JSON."""
        project = self.edit_assignment(self.window.document.project)
        if project is None:
            return False
        return self._write_file("Save assignment", "Assignments (*.json)",
                                f"{project.lesson['id']}.json", ".json",
                                lambda path: save_assignment(project, path),
                                "Saved the assignment {name}; give it to the students")

    def hand_in_work(self) -> bool:
        """Save the project with the goals' status as one file to hand in."""
        from nncore.project import save_project

        window = self.window
        if _assignment(window.document.project) is None:
            self._message("Only an assignment can be handed in: open the teacher's file.",
                          "warning")
            return False
        student = self.ask_student()
        if student is None:
            return False
        window.controller.sync_to_document()
        statuses = self.goals_box.statuses if self.goals_box is not None else []
        met = sum(s.met is True for s in statuses)
        return self._write_file(
            "Hand in", "Backprop Lab projects (*.bplab)", f"{student or 'submission'}.bplab",
            ".bplab", lambda path: save_project(
                hand_in(window.document.project, statuses, student=student), path),
            f"Handed in {{name}}: {met} of {len(statuses)} goals met")

    def save_run_report(self) -> bool:
        """Write the printable HTML report of the current run."""
        from nncore.report import project_report

        window = self.window
        window.controller.sync_to_document()
        project = window.document.project
        if not project.history:
            self._message("Train first: the report shows a run.", "warning")
            return False
        return self._write_file(
            "Save report", "HTML reports (*.html)", "run.html", ".html",
            lambda path: Path(path).write_text(project_report(project, train_if_needed=False),
                                               encoding="utf-8"),
            "Saved the report {name}: open it in a browser to print it")

    def export_as_code(self) -> bool:
        """Write the design as a standalone NumPy or PyTorch script."""
        to = self.ask_target()
        return to is not None and self.export_to(to)

    def _ask_target(self) -> str | None:
        choice, ok = QInputDialog.getItem(self.window, "Export as code", "Write a script for:",
                                          ["numpy", "pytorch"], 0, False)
        return choice if ok else None

    def export_to(self, to: str) -> bool:
        """Export the design as a ``to`` (numpy or pytorch) script, asking where."""
        from nncore.export import export_project

        project = self.window.document.project

        def write(path: str) -> None:
            Path(path).write_text(export_project(project, to, Path(path)), encoding="utf-8")

        return self._write_file("Export as code", "Python scripts (*.py)", f"train_{to}.py",
                                ".py", write, f"Exported {{name}} ({to}): python {{name}}")


def install(window) -> TeachActions:
    """Add the teacher's kit to a main window (one call from ``MainWindow``)."""
    teach = TeachActions(window)
    file_menu = window.menuBar().actions()[0].menu()
    teach.install(file_menu, window.actions.quit)
    window.document.edit_refused.connect(
        lambda text: window.message_bar.show_message(text, "warning"))
    doc = window.document  # connected last: after the panels have (re-)enabled controls
    for signal in (doc.selection_changed, doc.network_changed, doc.training_changed,
                   doc.data_changed):
        signal.connect(teach.refresh_locks)
    return teach
