"""Import a table file: preview, column types and roles, missing values, task, summary.

In the spirit of Orange's File widget or a spreadsheet's import wizard. The file is read
off the GUI thread (``TableLoader``: progress bar and Cancel), with the same parser as the
loader (``nncore.data.table.read_table``). Every edit re-runs the engine's dry run
(``nncore.data.tabular.build(dry_run=True)``) and shows its numbers: the inputs it makes,
the target's class balance or histogram, rows dropped or filled, and a one-line summary.
Accepting gives a ``DataSpec`` holding the recipe (roles, types, missing policy, task,
delimiter, header) and the file's fingerprint.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.theme import PROBLEM, current_theme
from app.widgets.frame_model import FrameModel
from nncore.data.provenance import file_fingerprint
from nncore.data.recipe import KIND_CHOICES, MISSING_POLICIES, TASK_CHOICES, Recipe
from nncore.data.schema import Column, infer_schema
from nncore.data.table import LoadCancelled, RawTable, read_table
from nncore.data.tabular import build
from nncore.errors import DataError, NNCoreError
from nncore.spec import DataSpec

DELIMITER_CHOICES = (("detect", None), ("comma ,", ","), ("semicolon ;", ";"), ("tab", "\t"),
                     ("bar |", "|"), ("whitespace", " "))
HEADER_CHOICES = (("detect", None), ("first row", True), ("none", False))


class TableLoader(QThread):
    """Reads a table and its schema in the background; ``cancel()`` stops it between chunks."""

    progressed = Signal(int)  # percent
    finished_reading = Signal(object, object, str)  # RawTable | None, columns, error

    def __init__(self, path: str, delimiter: str | None, header: bool | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path, self.delimiter, self.header = path, delimiter, header
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Ask the read to stop (it does after the current chunk)."""
        self._cancel.set()

    def run(self) -> None:
        try:
            table = read_table(self.path, delimiter=self.delimiter, header=self.header,
                               progress=lambda f: self.progressed.emit(round(100 * f)),
                               cancel=self._cancel.is_set)
            columns = infer_schema(table)
        except LoadCancelled:
            self.finished_reading.emit(None, [], "cancelled")
        except NNCoreError as err:
            self.finished_reading.emit(None, [], str(err))
        except MemoryError:
            self.finished_reading.emit(None, [], "not enough memory to read this file")
        except Exception as err:  # a bug must reach the user as text, not kill the thread
            self.finished_reading.emit(None, [], f"{type(err).__name__}: {err}")
        else:
            self.finished_reading.emit(table, columns, "")


class ImportDialog(QDialog):
    """Choose how a table file becomes training data; ``spec()`` is the result."""

    def __init__(self, path: str, base: DataSpec | None = None,
                 parent: QWidget | None = None) -> None:
        """``base``: the file's current spec (its recipe is the starting point), or a fresh
        file spec carrying the splits and scaling to keep."""
        super().__init__(parent)
        self.setWindowTitle(f"Import {Path(path).name}")
        self.path = str(path)
        self.template = base if base is not None and base.path == self.path else \
            DataSpec("file", path=self.path)
        start = self.template
        options = dict(start.options)
        self.recipe = Recipe(start.target, options.get("task", "auto"), dict(start.roles),
                             dict(start.kinds), start.missing, start.missing_indicator,
                             options.get("max_levels", 20))
        self.delimiter, self.header = options.get("delimiter"), options.get("header")
        self.table: RawTable | None = None
        self.schema: list[Column] = []
        self.plan = None
        self.loader: TableLoader | None = None
        self._build()
        self.resize(900, 620)
        self.reload()

    # -- building ----------------------------------------------------------------------

    def _build(self) -> None:
        self.model = FrameModel(self)
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.horizontalHeader().setSectionsClickable(True)
        self.view.horizontalHeader().sectionClicked.connect(self._on_header_clicked)
        self.view.horizontalHeader().setMinimumSectionSize(70)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.progress, self.cancel_button = QProgressBar(self), QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.cancel_loading)
        self.target = QComboBox(self)
        self.task = self._combo([(t, t) for t in TASK_CHOICES], self.recipe.task)
        self.missing = self._combo([(m, m) for m in MISSING_POLICIES], self.recipe.missing)
        self.indicator = QCheckBox("add a 'missing' input per filled column", self)
        self.indicator.setChecked(self.recipe.indicator)
        self.standardize = QCheckBox("standardise the target for training", self)
        self.standardize.setToolTip(
            "Regression: train on (y − mean) / sd of the training split, so a target in the "
            "thousands does not need a tiny learning rate. Predictions, plots and R² stay "
            "in the target's own units.")
        self.standardize.setChecked(bool(self.template.standardize_target))
        self.delimiter_box = self._combo(DELIMITER_CHOICES, self.delimiter)
        self.header_box = self._combo(HEADER_CHOICES, self.header)
        theme = current_theme()
        self.chart = pg.PlotWidget(self, background=theme.background)
        self.chart.setMinimumHeight(130)
        self.chart.setMouseEnabled(False, False)
        self.summary, self.notes, self.error = QLabel(self), QLabel(self), QLabel(self)
        for label in (self.summary, self.notes, self.error):
            label.setWordWrap(True)
        self.summary.setStyleSheet("font-weight: bold;")
        self.error.setStyleSheet(f"color: {PROBLEM};")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Use this data")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._layout()
        self._connect()

    def _combo(self, items: Any, current: Any) -> QComboBox:
        box = QComboBox(self)
        for text, value in items:
            box.addItem(text, value)
        box.setCurrentIndex(max(0, next((i for i, (_, v) in enumerate(items) if v == current),
                                        0)))
        return box

    def _layout(self) -> None:
        loading = QHBoxLayout()
        loading.addWidget(self.progress, 1)
        loading.addWidget(self.cancel_button)
        form = QFormLayout()
        form.addRow("Target", self.target)
        form.addRow("Task", self.task)
        form.addRow("Missing values", self.missing)
        form.addRow("", self.indicator)
        form.addRow("", self.standardize)
        reading = QHBoxLayout()
        reading.addWidget(QLabel("Delimiter", self))
        reading.addWidget(self.delimiter_box)
        reading.addWidget(QLabel("Header", self))
        reading.addWidget(self.header_box)
        reading.addStretch(1)
        side = QHBoxLayout()
        side.addLayout(form, 1)
        side.addWidget(self.chart, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(reading)
        layout.addLayout(loading)
        layout.addWidget(self.view, 1)
        layout.addLayout(side)
        layout.addWidget(self.summary)
        layout.addWidget(self.notes)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def _connect(self) -> None:
        self.target.activated.connect(self._on_recipe_edited)
        self.task.activated.connect(self._on_recipe_edited)
        self.missing.activated.connect(self._on_recipe_edited)
        self.indicator.toggled.connect(self._on_recipe_edited)
        self.delimiter_box.activated.connect(self._on_reading_edited)
        self.header_box.activated.connect(self._on_reading_edited)

    # -- reading -------------------------------------------------------------------------

    def reload(self) -> None:
        """(Re-)read the file in the background with the chosen delimiter and header."""
        self.cancel_loading(wait=True)
        self._set_loading(True)
        self.loader = TableLoader(self.path, self.delimiter, self.header, self)
        self.loader.progressed.connect(self._on_progress)
        self.loader.finished_reading.connect(self._on_read)
        self.loader.start()

    def cancel_loading(self, wait: bool = False) -> None:
        """Stop a read in progress (and wait for its thread when ``wait``)."""
        if self.loader is not None:
            self.loader.cancel()
            if wait:
                self.loader.wait()

    def _set_loading(self, loading: bool) -> None:
        self.progress.setVisible(loading)
        self.cancel_button.setVisible(loading)
        self.progress.setRange(0, 0)  # busy until the first report (a file read whole has one)
        self.progress.setValue(0)
        self._ok().setEnabled(False)
        if loading:
            self.summary.setText(f"reading {Path(self.path).name}…")

    def _on_progress(self, percent: int) -> None:
        self.progress.setRange(0, 100)
        self.progress.setValue(percent)

    def _on_read(self, table: RawTable | None, columns: list[Column], error: str) -> None:
        if self.sender() is not self.loader:
            return  # a superseded read
        self._set_loading(False)
        self.table, self.schema = table, columns
        self.model.set_table(table, columns)
        if table is None:
            self.plan = None
            self.summary.setText("")
            self._show_error("Reading was cancelled." if error == "cancelled" else error)
            return
        names = [c.name for c in columns]
        self.view.resizeColumnsToContents()  # headers too (the first 500 rows only)
        self.target.clear()
        self.target.addItems(names)
        self._select_target(names)
        self.replan()

    def _select_target(self, names: list[str]) -> None:
        wanted = self.recipe.target
        if isinstance(wanted, int) and -len(names) <= wanted < len(names):
            wanted = names[wanted]
        index = self.target.findText(str(wanted)) if wanted is not None else -1
        self.target.setCurrentIndex(index if index >= 0 else len(names) - 1)

    # -- editing -------------------------------------------------------------------------

    def _on_reading_edited(self) -> None:
        self.delimiter = self.delimiter_box.currentData()
        self.header = self.header_box.currentData()
        self.reload()

    def _on_recipe_edited(self, *_: Any) -> None:
        self.recipe = dataclasses.replace(
            self.recipe, target=self.target.currentText() or None,
            task=self.task.currentData(), missing=self.missing.currentData(),
            indicator=self.indicator.isChecked())
        self.replan()

    def set_role(self, column: str, role: str) -> None:
        """Make ``column`` an input, ignore it, or make it the target."""
        if role == "target":
            self.target.setCurrentIndex(self.target.findText(column))
            self._on_recipe_edited()
            return
        roles = {**self.recipe.roles, column: role}
        self.recipe = dataclasses.replace(self.recipe, roles=roles)
        self.replan()

    def set_kind(self, column: str, kind: str) -> None:
        """Read ``column`` as ``kind`` (numeric, categorical, date, identifier, text)."""
        self.recipe = dataclasses.replace(self.recipe, kinds={**self.recipe.kinds, column: kind})
        self.replan()

    def _on_header_clicked(self, section: int) -> None:
        if section >= len(self.schema):
            return
        menu = self.header_menu(section)
        menu.popup(self.view.horizontalHeader().mapToGlobal(
            self.view.horizontalHeader().rect().bottomLeft()))

    def header_menu(self, section: int) -> QMenu:
        """The role/type menu of column ``section`` (also used by tests)."""
        name = self.schema[section].name
        menu = QMenu(self)
        current = self.model.role_of(name)
        for role in ("input", "ignore", "target"):
            action = menu.addAction(f"Role: {role}")
            action.setCheckable(True)
            action.setChecked(role == current)
            action.triggered.connect(lambda _=False, r=role: self.set_role(name, r))
        menu.addSeparator()
        kind = next((c.kind for c in self.model.columns if c.name == name), "")
        for choice in KIND_CHOICES:
            action = menu.addAction(f"Type: {choice}")
            action.setCheckable(True)
            action.setChecked(choice == kind)
            action.triggered.connect(lambda _=False, k=choice: self.set_kind(name, k))
        return menu

    # -- the dry run ---------------------------------------------------------------------

    def replan(self) -> None:
        """Run the engine's dry run for the current recipe and show what it says."""
        if self.table is None:
            return
        try:
            self.plan = build(self.table, self.recipe, dry_run=True, schema=self.schema)[2]
        except DataError as err:
            self.plan = None
            self._show_error(str(err).removeprefix(f"{self.path}: "))
            self.summary.setText("")
            self.notes.setText("")
            self.chart.clear()
            return
        plan = self.plan
        self.error.hide()
        self.model.set_plan(plan.columns, plan.roles, plan.target)
        self.summary.setText(f"{plan.task.capitalize()} of {plan.target!r} from "
                             f"{plan.n_inputs} input{'s' * (plan.n_inputs != 1)}: "
                             f"{plan.summary}")
        self.notes.setText("\n".join(f"• {n}" for n in plan.notes))
        self.standardize.setEnabled(plan.task == "regression")
        self._draw_target()
        self._ok().setEnabled(True)

    def _draw_target(self) -> None:
        plan = self.plan
        self.chart.clear()
        axis = self.chart.getAxis("bottom")
        if plan.class_names:
            shown = list(zip(plan.class_names, plan.class_counts, strict=True))[:30]
            self.chart.addItem(pg.BarGraphItem(x=list(range(len(shown))),
                                               height=[c for _, c in shown], width=0.8,
                                               brush="#4C72B0"))
            axis.setTicks([[(i, n) for i, (n, _) in enumerate(shown)]])
            self.chart.setTitle(f"class balance of {plan.target}", size="8pt")
        elif plan.histogram is not None:
            counts, edges = plan.histogram
            centres = [(a + b) / 2 for a, b in itertools.pairwise(edges)]
            width = (edges[-1] - edges[0]) / max(len(counts), 1) or 1.0
            self.chart.addItem(pg.BarGraphItem(x=centres, height=list(counts),
                                               width=width * 0.9, brush="#4C72B0"))
            axis.setTicks(None)
            self.chart.setTitle(f"histogram of {plan.target}", size="8pt")

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
        self._ok().setEnabled(False)

    def _ok(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    # -- result --------------------------------------------------------------------------

    def spec(self) -> DataSpec:
        """The ``DataSpec`` of the current recipe (with the file's fingerprint)."""
        options: dict[str, Any] = {k: v for k, v in (
            ("delimiter", self.delimiter), ("header", self.header),
            ("task", None if self.recipe.task == "auto" else self.recipe.task))
            if v is not None}
        names = [c.name for c in self.schema]
        target = self.recipe.target
        if target is not None and names and target == names[-1] and \
                self.template.target is None:
            target = None  # the default; keeps the spec equal to a plain "open"
        try:
            fingerprint = file_fingerprint(self.path)
        except DataError:
            fingerprint = ""
        return dataclasses.replace(
            self.template, source="file", path=self.path, options=options, target=target,
            roles=dict(self.recipe.roles), kinds=dict(self.recipe.kinds),
            missing=self.recipe.missing, missing_indicator=self.recipe.indicator,
            fingerprint=fingerprint,
            standardize_target=self.standardize.isChecked() and self.standardize.isEnabled())

    def done(self, result: int) -> None:
        """Close, stopping a read still running."""
        self.cancel_loading(wait=True)
        super().done(result)
