"""The Compare tab: race several configurations and overlay their loss curves.

The list holds the open lesson's variants (e.g. SGD, momentum, RMSprop, Adam), each
applied to the current design when the race starts, plus snapshots of the design taken
with "Add current design". Run trains the ticked ones round-robin, one epoch each in turn
(``nncore.compare``), on a worker thread; the curves grow together, one colour per run.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QBrush, QCloseEvent, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.panels.compare_worker import CompareRace
from app.plots.loss_plot import LossAxis
from app.theme import OKABE_ITO, current_theme
from nncore.errors import NNCoreError
from nncore.lessons import Variant, lesson_of
from nncore.project import Project
from nncore.training import EpochRecord

PALETTE = (OKABE_ITO[1], OKABE_ITO[0], OKABE_ITO[2], OKABE_ITO[5], OKABE_ITO[4],
           OKABE_ITO[3], OKABE_ITO[7], OKABE_ITO[8])
"""Blue, orange, green, pink, sky blue, vermillion, black, grey: distinct side by side."""
SHOWN = {"train_loss": "training loss", "val_loss": "validation loss",
         "train_metric": "training accuracy / R²", "val_metric": "validation accuracy / R²"}
ROLE_CONFIG = Qt.ItemDataRole.UserRole
ROLE_TITLE = Qt.ItemDataRole.UserRole + 1


class ComparePanel(QWidget):
    """Configurations to race, Run/Stop, and the overlaid curves."""

    def __init__(self, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.race = CompareRace(self)
        self.histories: dict[str, list[EpochRecord]] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        self._snapshots = 0
        self._build()
        self.race.records_ready.connect(self._on_race_records_ready)
        self.race.failed.connect(self._on_race_failed)
        self.race.finished.connect(self._on_race_finished)
        document.project_replaced.connect(self._on_document_project_replaced)
        self._on_document_project_replaced()

    # -- building -------------------------------------------------------------------------

    def _build(self) -> None:
        self.list = QTreeWidget()
        self.list.setColumnCount(3)
        self.list.setHeaderLabels(["configuration (its curve's colour)", "epoch", "loss"])
        self.list.setRootIsDecorated(False)
        self.list.setToolTip("Tick the configurations to race")
        header = self.list.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, header.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, header.ResizeMode.ResizeToContents)
        self.add_button = QPushButton("Add current design")
        self.add_button.setToolTip("Add a snapshot of the design as it is now (change it "
                                   "afterwards to race it against the original)")
        self.add_button.clicked.connect(self.add_current_design)
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 100_000)
        self.epochs.setToolTip("Epochs each configuration trains")
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Train every ticked configuration, one epoch each in turn")
        self.run_button.clicked.connect(self._on_run_clicked)
        self.status = QLabel()
        self.status.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        row = QHBoxLayout()
        row.addWidget(QLabel("Epochs"))
        row.addWidget(self.epochs)
        row.addWidget(self.run_button, 1)
        left = QWidget()
        side = QVBoxLayout(left)
        side.setContentsMargins(0, 0, 0, 0)
        for widget in (self.list, self.add_button):
            side.addWidget(widget)
        side.addLayout(row)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self._build_plot())
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([300, 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(splitter)

    def _build_plot(self) -> QWidget:
        self.shown = QComboBox()
        for key, text in SHOWN.items():
            self.shown.addItem(text, key)
        self.shown.setToolTip("Which curve of each run to draw")
        self.shown.currentIndexChanged.connect(lambda _i: self._redraw_all())
        self.plot = pg.PlotWidget(axisItems={"left": LossAxis("left")})
        self.plot.setBackground(current_theme().background)
        self.plot.showGrid(x=True, y=True, alpha=current_theme().grid_alpha)
        self.plot.setLabel("bottom", "epoch")
        # No legend in the plot: the list beside it names each run in its curve's colour,
        # and a legend over a short plot hides the curves it explains.
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(QLabel("Show"))
        top.addWidget(self.shown)
        top.addWidget(self.status, 1)
        layout.addLayout(top)
        layout.addWidget(self.plot, 1)
        self._apply_axis()
        return box

    # -- configurations ---------------------------------------------------------------------

    def _add_item(self, name: str, title: str, config: Variant | Project, tip: str) -> None:
        item = QTreeWidgetItem([title, "", ""])
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(0, Qt.CheckState.Checked)
        item.setData(0, ROLE_CONFIG, (name, config))
        item.setData(0, ROLE_TITLE, title)
        item.setToolTip(0, tip)
        color = QColor(PALETTE[self.list.topLevelItemCount() % len(PALETTE)])
        item.setForeground(0, QBrush(color))
        for column in (1, 2):
            item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight)
        self.list.addTopLevelItem(item)

    def add_current_design(self) -> None:
        """Add a snapshot of the document's project as a configuration."""
        self._snapshots += 1
        suffix = "" if self._snapshots == 1 else f" {self._snapshots}"
        project = dataclasses.replace(self.document.project, weights=None, history=None,
                                      optimizer_state=None)
        self._add_item(f"design{suffix}", f"Current design{suffix}", project,
                       "The design as it was when you added it")

    def configurations(self) -> list[tuple[str, Project]]:
        """The ticked configurations as ``(name, project)`` (variants applied now)."""
        configs = []
        for item in self._items():
            if item.checkState(0) != Qt.CheckState.Checked:
                continue
            name, config = item.data(0, ROLE_CONFIG)
            project = config.apply(self.document.project) if isinstance(config, Variant) \
                else config
            configs.append((name, project))
        return configs

    # -- racing -----------------------------------------------------------------------------

    def run(self) -> bool:
        """Start a race of the ticked configurations; False (with a message) if none."""
        try:
            configs = self.configurations()
        except NNCoreError as err:
            self.status.setText(f"A configuration does not fit this design: {err}")
            return False
        if not configs:
            self.status.setText("Tick at least one configuration.")
            return False
        self._clear_curves()
        for name, _ in configs:
            self.histories[name] = []
            self.curves[name] = self.plot.plot([], [], name=self._title(name),
                                               pen=pg.mkPen(self._color(name), width=2))
            self.curves[name].setDownsampling(auto=True, method="peak")
            self.curves[name].setClipToView(True)
        self.race.start(configs, self.epochs.value())
        self.run_button.setText("Stop")
        self.status.setText(f"Racing {len(configs)} configurations…")
        return True

    def stop(self) -> bool:
        """Stop the race (waits for the worker thread); True if nothing is left running."""
        return self.race.stop()

    def shutdown(self) -> None:
        """Stop any race before the window closes."""
        self.race.stop()

    @property
    def running(self) -> bool:
        """True while a race trains."""
        return self.race.running

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()  # a QThread destroyed while running would abort the app
        super().closeEvent(event)

    def _clear_curves(self) -> None:
        for curve in self.curves.values():
            self.plot.removeItem(curve)
        self.curves.clear()
        self.histories.clear()

    def _items(self) -> list[QTreeWidgetItem]:
        return [self.list.topLevelItem(i) for i in range(self.list.topLevelItemCount())]

    def _item(self, name: str) -> QTreeWidgetItem | None:
        return next((item for item in self._items() if item.data(0, ROLE_CONFIG)[0] == name),
                    None)

    def _title(self, name: str) -> str:
        item = self._item(name)
        return item.data(0, ROLE_TITLE) if item is not None else name

    def _color(self, name: str) -> str:
        item = self._item(name)
        return item.foreground(0).color().name() if item is not None else PALETTE[0]

    # -- drawing ----------------------------------------------------------------------------

    def _apply_axis(self) -> None:
        log_y = self.shown.currentData() in ("train_loss", "val_loss")
        self.plot.setLogMode(x=False, y=log_y)
        self.plot.setLabel("left", self.shown.currentText())

    def _redraw_all(self) -> None:
        self._apply_axis()
        for name in self.curves:
            self._redraw(name)

    def _redraw(self, name: str) -> None:
        records = self.histories.get(name, [])
        key = self.shown.currentData()
        x = np.array([r.epoch for r in records], dtype=np.float64)
        y = np.array([getattr(r, key) for r in records], dtype=np.float64)
        if key in ("train_loss", "val_loss"):
            y = np.where(np.isfinite(y) & (y > 0), y, np.nan)
        self.curves[name].setData(x, y, connect="finite")

    def _show_progress(self, name: str) -> None:
        item, records = self._item(name), self.histories.get(name)
        if item is None or not records:
            return
        last = records[-1]
        item.setText(1, str(last.epoch))
        item.setText(2, _fmt(last.train_loss))
        item.setToolTip(2, f"{item.data(0, ROLE_TITLE)} after epoch {last.epoch}: training "
                        f"loss {_fmt(last.train_loss)}, training accuracy (or R²) "
                        f"{_fmt(last.train_metric)}")

    # -- reactions ------------------------------------------------------------------------

    @Slot()
    def _on_run_clicked(self) -> None:
        if self.running:
            self.stop()
        else:
            self.run()

    @Slot(list)
    def _on_race_records_ready(self, batch: list) -> None:
        touched = set()
        for name, record in batch:
            if name in self.histories:
                self.histories[name].append(record)
                touched.add(name)
        for name in touched:
            self._redraw(name)
            self._show_progress(name)

    @Slot(str)
    def _on_race_failed(self, text: str) -> None:
        self.status.setText(f"The race could not run: {text}")

    @Slot()
    def _on_race_finished(self) -> None:
        self.run_button.setText("Run")
        if not self.status.text().startswith("The race could not"):
            best = min(self.histories, default=None, key=lambda n: _last_loss(
                self.histories[n]))
            self.status.setText("Finished." + (f" Lowest training loss: {self._title(best)}."
                                               if best is not None else ""))

    @Slot()
    def _on_document_project_replaced(self) -> None:
        self.race.stop()
        self._clear_curves()
        self.list.clear()
        self._snapshots = 0
        project = self.document.project
        self.epochs.setValue(min(project.training.epochs, 1000))
        lesson = lesson_of(project)
        for variant in lesson.variants if lesson else ():
            if variant.kind in ("race", "working", "failing"):
                self._add_item(variant.name, variant.title, variant,
                               variant.description or variant.title)
        if lesson is not None and any(v.kind == "race" for v in lesson.variants):
            for item in self._items():  # only the contestants are ticked
                if item.data(0, ROLE_CONFIG)[1].kind != "race":
                    item.setCheckState(0, Qt.CheckState.Unchecked)
        self.status.setText("Tick configurations and press Run." if self._items() else
                            "Add the current design, change it, add it again, and race.")


def _last_loss(records: list[EpochRecord]) -> float:
    loss = records[-1].train_loss if records else math.inf
    return loss if math.isfinite(loss) else math.inf


def _fmt(value: float) -> str:
    if not math.isfinite(value):
        return "—"
    return f"{value:.3g}" if abs(value) >= 1e-3 else f"{value:.1e}"
