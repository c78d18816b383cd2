"""The Sweep tab: train the current design many times, one field varied at a time.

Up to three rows say what to vary (a field and its values, as ``nncore sweep --vary``
takes them: ``1e-3..1e-1:log:5``, ``8;16,16;32,32``, ``tanh,relu``), plus the plan (a
grid of every combination, or K random configurations), seeds per configuration, epochs
and worker processes. Run trains them on the local process pool (``nncore.sweep``, off
the GUI thread, stoppable); each finished run appears at once in the table (sortable by
any column) and in the plot: a line with a band of ±1 standard deviation over seeds for
one varied field; a heat map of the seeds' mean for two (click a cell to select its runs
in the table), or a dot per random configuration coloured by that mean. Double-click a
run (or select it and press Open) to open that trained run as a project.

"Range test" runs the learning-rate range test on the design instead (one run per seed,
the rate growing every batch) and plots the loss against the rate; "Use suggested rate"
puts the suggestion into the design. Results, reports and projects are kept in a folder
under the user's data folder.
"""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.panels.sweep_worker import SweepJob
from app.plots.loss_plot import LossAxis
from app.theme import OKABE_ITO, current_theme
from nncore.errors import NNCoreError
from nncore.locations import user_data_dir
from nncore.sweep import (
    FIELDS,
    Run,
    Specs,
    check_runs,
    csv_columns,
    field,
    format_value,
    grid_2d,
    grid_plan,
    median_suggestion,
    metric_columns,
    parse_axis,
    parse_bounds,
    random_plan,
    range_test_curves,
    range_test_plan,
    summarise,
)
from nncore.sweep_pool import cores

NONE = "—"
AXIS_ROWS = 3
HIDDEN_COLUMNS = ("key", "message", "run_seconds", "attempts")
SORT_ROLE = Qt.ItemDataRole.UserRole
_ROOT = QModelIndex()
EXAMPLES = {"hidden": "8;16,16;32,32", "activation": "tanh,relu,sigmoid",
            "optimizer": "sgd,momentum,adam", "init": "glorot_uniform,he_normal",
            "batch": "8;32;full", "width": "4..64:log:5", "depth": "1,2,3",
            "dropout": "0,0.1,0.3", "l2": "1e-5..1e-2:log:4", "noise": "0,0.2,0.4",
            "epochs": "50,100,200", "momentum": "0,0.5,0.9"}


def suggested_values(name: str, specs: Specs) -> str:
    """A sensible first list of values for ``name`` around the current design."""
    if name == "lr":
        lr = specs.training.optimizer.lr
        return f"{lr / 10:.3g}..{lr * 10:.3g}:log:5"
    return EXAMPLES.get(name, "")


class SweepTableModel(QAbstractTableModel):
    """One row per finished run; sorts numbers as numbers (``SORT_ROLE``)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.columns: list[str] = []
        self.axes: list[str] = []
        self.rows: list[dict[str, Any]] = []

    def reset(self, axes: list[str]) -> None:
        """Empty the table for a sweep varying ``axes``."""
        self.beginResetModel()
        self.axes, self.rows = list(axes), []
        self.columns = [c for c in csv_columns(axes, []) if c not in HIDDEN_COLUMNS]
        self.endResetModel()

    def add(self, row: dict[str, Any]) -> None:
        """Add (or replace, same index) a finished run's row; new metric columns appear."""
        columns = [c for c in csv_columns(self.axes, [*self.rows, row])
                   if c not in HIDDEN_COLUMNS]
        if columns != self.columns:
            self.beginResetModel()
            self.columns = columns
            self.rows.append(row)
            self.endResetModel()
            return
        self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows))
        self.rows.append(row)
        self.endInsertRows()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = self.rows[index.row()], self.columns[index.column()]
        value = row.get(column)
        if role == Qt.ItemDataRole.DisplayRole:
            return _text(value, column in self.axes)
        if role == SORT_ROLE:
            return _sort_key(value)
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.get("message") or None
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, (int, float)):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section].replace("_", " ")
        return None


def _text(value: Any, varied: bool) -> str:
    if varied:
        return format_value(value)
    if isinstance(value, float):
        return "—" if not math.isfinite(value) else f"{value:.4g}"
    return "" if value is None else str(value)


def _label(value: Any) -> str:
    """A varied value on a plot's axis: numbers to 3 significant digits."""
    return f"{value:.3g}" if isinstance(value, float) else format_value(value)


def _sort_key(value: Any) -> Any:
    """Numbers sort as numbers and before text; widths by their total units."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else math.inf
    if isinstance(value, tuple):
        return float(sum(value) + len(value) / 100)
    return str(value)


class SweepPanel(QWidget):
    """What to vary, Run/Stop, the plot and the table of runs."""

    open_requested = Signal(str)  # the .bplab of a finished run

    def __init__(self, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.job = SweepJob(self)
        self.folder: Path | None = None
        self.runs: list[Run] = []
        self.mode = "grid"
        self.suggestion: float | None = None
        self.model = SweepTableModel(self)
        self._build()
        self.job.row_ready.connect(self._on_job_row_ready)
        self.job.failed.connect(self._on_job_failed)
        self.job.finished.connect(self._on_job_finished)
        document.project_replaced.connect(self._on_document_project_replaced)
        self._on_document_project_replaced()

    # -- building -------------------------------------------------------------------------

    def _build(self) -> None:
        form = QFormLayout()
        self.fields: list[QComboBox] = []
        self.values: list[QLineEdit] = []
        for i in range(AXIS_ROWS):
            combo, edit = QComboBox(), QLineEdit()
            combo.addItem(NONE, "")
            for name, fld in FIELDS.items():
                combo.addItem(name, name)
                combo.setItemData(combo.count() - 1, fld.help, Qt.ItemDataRole.ToolTipRole)
            combo.setToolTip("The field to vary (see docs/cli.md, nncore sweep)")
            edit.setPlaceholderText("values: 0.01,0.1  or  1e-3..1e-1:log:5  or  8;16,16")
            combo.currentIndexChanged.connect(lambda _i, c=combo, e=edit: self._suggest(c, e))
            row = QHBoxLayout()
            row.addWidget(combo)
            row.addWidget(edit, 1)
            form.addRow(f"Vary {i + 1}", row)
            self.fields.append(combo)
            self.values.append(edit)
        self.seeds, self.epochs, self.workers = QSpinBox(), QSpinBox(), QSpinBox()
        self.seeds.setRange(1, 100)
        self.seeds.setValue(3)
        self.seeds.setToolTip("Seeds per configuration: the band shows their spread")
        self.epochs.setRange(1, 100_000)
        self.workers.setRange(1, max(64, cores()))
        self.workers.setValue(cores())
        self.workers.setToolTip("Worker processes, one per core by default")
        self.samples = QSpinBox()
        self.samples.setRange(0, 10_000)
        self.samples.setSpecialValueText("grid: every combination")
        self.samples.setSuffix(" random configurations")
        self.samples.setToolTip("0: a grid of every combination. K: K random configurations "
                                "(ranges drawn uniformly, log-uniformly with :log)")
        form.addRow("Plan", self.samples)
        form.addRow("Seeds", self.seeds)
        form.addRow("Epochs", self.epochs)
        form.addRow("Workers", self.workers)
        self.range_edit = QLineEdit("1e-5..10")
        self.range_edit.setToolTip("The learning-rate range test's rates, LOW..HIGH: one "
                                   "run per seed, the rate growing every batch")
        self.range_button = QPushButton("Range test")
        self.range_button.setToolTip("Run the learning-rate range test on this design")
        self.range_button.clicked.connect(self._on_range_clicked)
        self.use_button = QPushButton("Use suggested rate")
        self.use_button.setToolTip("Set the design's learning rate to the range test's "
                                   "suggestion (undoable)")
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(self.use_suggestion)
        range_row = QHBoxLayout()
        range_row.addWidget(self.range_edit, 1)
        range_row.addWidget(self.range_button)
        form.addRow("LR range", range_row)
        self.run_button = QPushButton("Run sweep")
        self.run_button.clicked.connect(self._on_run_clicked)
        self.open_button = QPushButton("Open run")
        self.open_button.setToolTip("Open the selected run as a project (or double-click it)")
        self.open_button.clicked.connect(self.open_selected)
        self.status = QLabel()
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button, 1)
        buttons.addWidget(self.open_button)
        left = QWidget()
        side = QVBoxLayout(left)
        side.setContentsMargins(0, 0, 0, 0)
        side.addLayout(form)
        side.addLayout(buttons)
        side.addWidget(self.use_button)
        side.addWidget(self.status)
        side.addStretch(1)
        # The settings scroll when the tab is short (at 768 px the analysis tabs share the
        # height with the drawing), so this tab never forces the window taller.
        scroll = QScrollArea()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(left.sizeHint().width() + 16)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(self._build_results())
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([340, 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(splitter)

    def _build_results(self) -> QWidget:
        self.metric = QComboBox()
        self.metric.setToolTip("The final metric to plot")
        self.metric.currentIndexChanged.connect(lambda _i: self.redraw())
        self.line_plot = pg.PlotWidget(axisItems={"bottom": LossAxis("bottom")})
        self.heat_plot = pg.PlotWidget()
        for plot in (self.line_plot, self.heat_plot):
            plot.setBackground(current_theme().background)
        self.line_plot.showGrid(x=True, y=True, alpha=current_theme().grid_alpha)
        self.heat_image = pg.ImageItem(axisOrder="row-major")
        self.heat_image.setColorMap(pg.colormap.get("viridis"))
        self.heat_plot.addItem(self.heat_image)
        self.heat_plot.invertY(False)
        self.heat_cells: tuple[list[Any], list[Any]] = ([], [])
        self.heat_plot.scene().sigMouseClicked.connect(self._on_heat_plot_clicked)
        self.heat_labels: list[pg.TextItem] = []
        self.many = QLabel("Three varied fields: sort the table by any column.")
        self.many.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.plots = QStackedWidget()
        self.scatter_plot = pg.PlotWidget(axisItems={"bottom": LossAxis("bottom"),
                                                     "left": LossAxis("left")})
        self.scatter_plot.setBackground(current_theme().background)
        self.scatter_plot.showGrid(x=True, y=True, alpha=current_theme().grid_alpha)
        self.scatter = pg.ScatterPlotItem(size=14, pen=pg.mkPen("k"))
        self.scatter_plot.addItem(self.scatter)
        self.scatter.sigClicked.connect(self._on_scatter_clicked)
        for plot in (self.line_plot, self.heat_plot, self.scatter_plot):
            for side in ("bottom", "left"):  # rates read as 0.001, not "1 (x0.001)"
                plot.getAxis(side).enableAutoSIPrefix(False)
        for widget in (self.line_plot, self.heat_plot, self.many, self.scatter_plot):
            self.plots.addWidget(widget)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # plan order, first on top
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.doubleClicked.connect(lambda _index: self.open_selected())
        top = QHBoxLayout()
        top.addWidget(QLabel("Plot"))
        top.addWidget(self.metric, 1)
        # side by side: the tab is short on a 1366x768 screen, and both need its height
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.plots)
        split.addWidget(self.table)
        split.setSizes([520, 480])
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        return box

    # -- planning and running ---------------------------------------------------------------

    def set_axis(self, row: int, name: str, values: str | None = None) -> None:
        """Choose what row ``row`` varies (and its values; default: a suggestion)."""
        self.fields[row].setCurrentIndex(max(0, self.fields[row].findData(name)))
        if values is not None:
            self.values[row].setText(values)

    def _suggest(self, combo: QComboBox, edit: QLineEdit) -> None:
        name = combo.currentData()
        edit.setText(suggested_values(name, self._base()) if name else "")

    def _base(self) -> Specs:
        training = dataclasses.replace(self.document.training, epochs=self.epochs.value())
        return Specs(self.document.network, training, self.document.data)

    def plan(self) -> list[Run]:
        """The runs the form describes (``NNCoreError`` with a readable message if not)."""
        axes = [parse_axis(f"{combo.currentData()}={edit.text()}")
                for combo, edit in zip(self.fields, self.values) if combo.currentData()]
        if not axes and self.seeds.value() == 1:
            raise NNCoreError("choose a field to vary (or more than one seed)")
        if self.samples.value():
            runs = random_plan(self._base(), axes, self.samples.value(), self.seeds.value())
        else:
            runs = grid_plan(self._base(), axes, self.seeds.value())
        check_runs(runs)
        return runs

    def run(self) -> bool:
        """Start the sweep; False (with the reason in the status line) if it cannot."""
        try:
            runs = self.plan()
        except NNCoreError as err:
            self.status.setText(f"Cannot sweep: {err}")
            return False
        return self._start(runs, "random" if self.samples.value() else "grid")

    def run_range_test(self) -> bool:
        """Start the learning-rate range test (one run per seed) on the design."""
        try:
            low, high = parse_bounds(self.range_edit.text(), "the LR range")
            runs = range_test_plan(self._base(), low, high, seeds=self.seeds.value())
        except NNCoreError as err:
            self.status.setText(f"Cannot run the range test: {err}")
            return False
        return self._start(runs, "range")

    def _start(self, runs: list[Run], mode: str) -> bool:
        self.runs, self.mode, self.suggestion = runs, mode, None
        self.use_button.setEnabled(False)
        self.folder = user_data_dir() / "sweeps" / time.strftime("%Y%m%d-%H%M%S")
        axes = [name for name, _ in runs[0].values]
        self.model.reset(axes)
        self.metric.clear()
        page = min(len(axes), 3) - 1 if axes else 0
        self.plots.setCurrentIndex(3 if mode == "random" and len(axes) == 2 else page)
        self.job.start(runs, str(self.folder), self.workers.value())
        self.run_button.setText("Stop")
        self.range_button.setEnabled(False)
        self.status.setText(f"Training {len(runs)} runs on {self.workers.value()} "
                            f"processes…")
        return True

    def use_suggestion(self) -> bool:
        """Put the range test's suggested rate into the design (one undo step)."""
        if self.suggestion is None:
            return False
        training = self.document.training
        optimizer = dataclasses.replace(training.optimizer, lr=self.suggestion)
        self.document.set_training(dataclasses.replace(training, optimizer=optimizer),
                                   "Learning rate from the range test")
        return True

    def stop(self) -> bool:
        """Stop the sweep (finished runs are kept); True if nothing is left running."""
        return self.job.stop()

    def shutdown(self) -> None:
        """Stop any sweep before the window closes."""
        self.job.stop()

    @property
    def running(self) -> bool:
        """True while a sweep runs."""
        return self.job.running

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()  # a QThread destroyed while running would abort the app
        super().closeEvent(event)

    def open_selected(self) -> bool:
        """Ask the window to open the selected run's trained project."""
        rows = self.table.selectionModel().selectedRows()
        if not rows or self.folder is None:
            self.status.setText("Select a finished run in the table first.")
            return False
        row = self.model.rows[self.proxy.mapToSource(rows[0]).row()]
        path = self.folder / "runs" / f"{row['key']}.bplab"
        if not path.exists():
            self.status.setText("That run did not finish, so it has no trained project.")
            return False
        self.open_requested.emit(str(path))
        return True

    # -- drawing ------------------------------------------------------------------------------

    def redraw(self) -> None:
        """Draw the plot for the current metric from the rows so far."""
        metric, axes = self.metric.currentData(), self.model.axes
        if self.mode == "range" and self.folder is not None:
            self._draw_range()
            return
        if not metric or not self.model.rows:
            return
        if len(axes) == 1:
            self._draw_line(axes[0], metric)
        elif len(axes) == 2 and self.mode == "random":
            self._draw_scatter(axes[0], axes[1], metric)
        elif len(axes) == 2:
            self._draw_heat(axes[0], axes[1], metric)

    def _draw_line(self, name: str, metric: str) -> None:
        plot = self.line_plot
        plot.clear()
        summaries = sorted(summarise(self.model.rows, [name], metric),
                           key=lambda s: _sort_key(s.values[0]))
        numeric = field(name).numeric and all(isinstance(s.values[0], (int, float))
                                              for s in summaries)
        log_x = numeric and field(name).log and all(s.values[0] > 0 for s in summaries)
        x = np.array([s.values[0] if numeric else i for i, s in enumerate(summaries)],
                     dtype=np.float64)
        mean = np.array([s.mean for s in summaries])
        std = np.array([s.std for s in summaries])
        plot.setLogMode(x=log_x, y=False)
        upper = plot.plot(x, mean + std, pen=None)
        lower = plot.plot(x, mean - std, pen=None)
        band = pg.FillBetweenItem(upper, lower, brush=pg.mkBrush(OKABE_ITO[1] + "40"))
        plot.addItem(band)
        plot.plot(x, mean, pen=pg.mkPen(OKABE_ITO[1], width=2), symbol="o", symbolSize=7,
                  symbolBrush=OKABE_ITO[1], connect="finite")
        axis = plot.getAxis("bottom")
        axis.setTicks(None if numeric else [[(i, format_value(s.values[0]))
                                             for i, s in enumerate(summaries)]])
        plot.setLabel("bottom", name)
        plot.setLabel("left", f"{metric.replace('_', ' ')} (mean ± 1 sd over seeds)")

    def _draw_scatter(self, x_name: str, y_name: str, metric: str) -> None:
        """Random configurations of two fields: a dot each, coloured by the seeds' mean."""
        summaries = [s for s in summarise(self.model.rows, [x_name, y_name], metric)
                     if all(isinstance(v, (int, float)) for v in s.values)]
        logs = [field(n).log and all(s.values[k] > 0 for s in summaries)
                for k, n in enumerate((x_name, y_name))]
        self.scatter_plot.setLogMode(x=logs[0], y=logs[1])
        means = np.array([s.mean for s in summaries])
        finite = means[np.isfinite(means)]
        low, high = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
        colors = pg.colormap.get("viridis")
        spots = [{"pos": (math.log10(s.values[0]) if logs[0] else s.values[0],
                          math.log10(s.values[1]) if logs[1] else s.values[1]),
                  "brush": colors.map((s.mean - low) / (high - low) if high > low else 0.5)
                  if math.isfinite(s.mean) else pg.mkBrush("#999999"),
                  "data": s.values} for s in summaries]
        self.scatter.setData(spots)
        self.scatter_plot.setLabel("bottom", x_name)
        self.scatter_plot.setLabel("left", y_name)
        self.scatter_plot.setTitle(f"{metric.replace('_', ' ')}: dark {low:.3g}, "
                                   f"bright {high:.3g} (mean over seeds)")

    def _draw_range(self) -> None:
        plot = self.line_plot
        plot.clear()
        plot.setLogMode(x=True, y=False)
        curves = range_test_curves(self.folder, self.runs)
        for i, curve in enumerate(curves):
            color = OKABE_ITO[(1 + i) % len(OKABE_ITO)]
            plot.plot(curve["lr"], curve["loss"], pen=pg.mkPen(color + "50"))
            plot.plot(curve["lr"], curve["smoothed"], pen=pg.mkPen(color, width=2))
        self.suggestion = median_suggestion(self.model.rows)
        if self.suggestion is not None:
            line = pg.InfiniteLine(math.log10(self.suggestion), angle=90,
                                   pen=pg.mkPen(OKABE_ITO[3], width=2,
                                                style=Qt.PenStyle.DashLine),
                                   label=f"suggested {self.suggestion:.3g}",
                                   labelOpts={"position": 0.9})
            plot.addItem(line)
        self.use_button.setEnabled(self.suggestion is not None)
        lowest = min((min(c["smoothed"]) for c in curves if c["smoothed"]), default=None)
        if lowest is not None and lowest > 0:  # the test stops at 4x the best loss
            plot.setYRange(0, 4 * lowest, padding=0.05)
        plot.getAxis("bottom").setTicks(None)
        plot.setLabel("bottom", "learning rate (growing every batch)")
        plot.setLabel("left", "batch loss, smoothed (thick)")

    def _draw_heat(self, x_name: str, y_name: str, metric: str) -> None:
        xs, ys, grid = grid_2d(self.model.rows, x_name, y_name, metric)
        self.heat_image.setImage(grid, autoLevels=False)
        finite = grid[np.isfinite(grid)]
        if finite.size:
            low, high = float(finite.min()), float(finite.max())
            self.heat_image.setLevels((low, high if high > low else low + 1e-12))
        for label in self.heat_labels:
            self.heat_plot.removeItem(label)
        self.heat_labels = []
        levels = self.heat_image.getLevels()
        middle = (levels[0] + levels[1]) / 2 if levels is not None else math.inf
        for j in range(len(ys)):
            for i in range(len(xs)):
                if math.isfinite(grid[j, i]):
                    # viridis is bright at the top: dark text there, white text below
                    label = pg.TextItem(f"{grid[j, i]:.3g}", anchor=(0.5, 0.5),
                                        color="k" if grid[j, i] > middle else "w")
                    label.setPos(i + 0.5, j + 0.5)
                    self.heat_plot.addItem(label)
                    self.heat_labels.append(label)
        self.heat_plot.getAxis("bottom").setTicks(
            [[(i + 0.5, _label(v)) for i, v in enumerate(xs)]])
        self.heat_plot.getAxis("left").setTicks(
            [[(j + 0.5, _label(v)) for j, v in enumerate(ys)]])
        self.heat_plot.setLabel("bottom", x_name)
        self.heat_plot.setLabel("left", y_name)
        self.heat_plot.setTitle(f"{metric.replace('_', ' ')}, mean over seeds")
        self.heat_plot.setRange(xRange=(0, len(xs)), yRange=(0, len(ys)), padding=0.02)
        self.heat_cells = (xs, ys)

    def select_cell(self, i: int, j: int) -> int:
        """Select (in the table) the runs of the heat map's cell ``i`` across, ``j`` up;
        returns how many."""
        xs, ys = self.heat_cells
        if not (0 <= i < len(xs) and 0 <= j < len(ys)):
            return 0
        return self.select_runs(dict(zip(self.model.axes, (xs[i], ys[j]))))

    def select_runs(self, values: dict[str, Any]) -> int:
        """Select the table rows whose varied values are ``values`` (every seed)."""
        selection = self.table.selectionModel()
        selection.clearSelection()
        flags = (selection.SelectionFlag.Select | selection.SelectionFlag.Rows)
        count = 0
        for r in range(self.proxy.rowCount()):
            row = self.model.rows[self.proxy.mapToSource(self.proxy.index(r, 0)).row()]
            if all(row.get(k) == v for k, v in values.items()):
                selection.select(self.proxy.index(r, 0), flags)
                if not count:
                    self.table.scrollTo(self.proxy.index(r, 0))
                count += 1
        if count:
            self.status.setText(f"Selected the {count} run(s) of "
                                + ", ".join(f"{k}={format_value(v)}" for k, v in values.items())
                                + ": double-click one to open it.")
        return count

    # -- reactions ----------------------------------------------------------------------------

    @Slot()
    def _on_run_clicked(self) -> None:
        if self.running:
            self.stop()
        else:
            self.run()

    def _on_scatter_clicked(self, _item, points, _event) -> None:
        if len(points):
            self.select_runs(dict(zip(self.model.axes, points[0].data())))

    def _on_heat_plot_clicked(self, event) -> None:
        if self.plots.currentWidget() is not self.heat_plot:
            return
        point = self.heat_plot.plotItem.vb.mapSceneToView(event.scenePos())
        self.select_cell(math.floor(point.x()), math.floor(point.y()))

    @Slot()
    def _on_range_clicked(self) -> None:
        self.run_range_test()

    @Slot(dict)
    def _on_job_row_ready(self, row: dict) -> None:
        self.model.add(row)
        self._update_metrics()
        self.redraw()
        self.status.setText(f"{len(self.model.rows)} of {len(self.runs)} runs finished…")

    def _update_metrics(self) -> None:
        available = [m for m in metric_columns(self.model.rows) if m != "seconds"]
        if [self.metric.itemData(i) for i in range(self.metric.count())] == available:
            return
        current = self.metric.currentData()
        self.metric.blockSignals(True)
        self.metric.clear()
        for name in available:
            self.metric.addItem(name.replace("_", " "), name)
        preferred = current or next((m for m in ("val_accuracy", "val_r2", "val_loss")
                                     if m in available), None)
        self.metric.setCurrentIndex(max(0, self.metric.findData(preferred)))
        self.metric.blockSignals(False)

    @Slot(str)
    def _on_job_failed(self, text: str) -> None:
        self.status.setText(f"The sweep could not run: {text}")

    @Slot(bool)
    def _on_job_finished(self, stopped: bool) -> None:
        self.run_button.setText("Run sweep")
        self.range_button.setEnabled(True)
        if self.status.text().startswith("The sweep could not"):
            return
        done = len(self.model.rows)
        failed = sum(1 for r in self.model.rows if r.get("stop_reason") in
                     ("error", "worker-lost"))
        self.status.setText(
            (f"Stopped: {done} of {len(self.runs)} runs finished." if stopped else
             f"Finished {done} runs.") + (f" {failed} failed (see the table)." if failed else "")
            + (f" Suggested learning rate: {self.suggestion:.3g}." if self.suggestion else "")
            + f" Results: {self.folder}")

    @Slot()
    def _on_document_project_replaced(self) -> None:
        self.epochs.setValue(min(self.document.training.epochs, 1000))
        if not any(c.currentData() for c in self.fields):
            self.set_axis(0, "lr")
            self.set_axis(1, "hidden")
        self.status.setText("Choose what to vary and press Run sweep; the design is the "
                            "one in the designer.")
