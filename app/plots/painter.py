"""Draw your own data on the output map: a point painter for drawn data sets.

"Draw" turns the current 2-D classification set (or 1-D regression curve) into a drawn
set (``nncore.data.drawn``) you can edit: pick a class and click or brush points in,
erase them, clear, start from a preset, save them as CSV. For regression you draw y over
x with the mouse, redrawing a stretch replaces it. Each stroke is one undo step (the
document's spec commands merge while the mouse is held) and training goes on with the
new points, so the boundary bends to them. The arithmetic lives in nncore; this widget
turns mouse positions into data coordinates and asks.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer, Slot
from PySide6.QtGui import QColor, QMouseEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.theme import class_colors
from nncore.data import BUILTIN
from nncore.data import drawn as drawn_data
from nncore.errors import DataError
from nncore.spec import DataSpec

BRUSH_RADIUS = 0.6
BRUSH_COUNT = 4
ERASER_RADIUS = 0.6
POINT_SPACING = 0.35
CURVE_SPACING = 0.12
FLUSH_MS = 80
"""How often a stroke in progress is handed to the document (and so to training)."""


def preset_names() -> list[str]:
    """Built-in sets a drawing can start from: 2-D classification, 1-D regression."""
    from app.panels.data_panel import builtin_input_count

    names = []
    for name, info in BUILTIN.items():
        inputs = builtin_input_count(name)
        if (inputs == 2 and info.task != "regression") or \
                (inputs == 1 and info.task == "regression"):
            names.append(name)
    return names


def can_draw(spec: DataSpec) -> bool:
    """True if ``spec`` is drawn data or a set a drawing can start from."""
    return drawn_data.is_drawn(spec) or spec.source in preset_names()


class PointPainter(QWidget):
    """The painter's tool bar; paints on a ``DecisionMap`` or ``FitCurvePlot``."""

    def __init__(self, document, targets: dict[str, QWidget],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.targets = targets  # "classification": DecisionMap, "regression": FitCurvePlot
        self.label = 0
        self._stroke = itertools.count(1)
        self._stroke_id = 0
        self._pending: DataSpec | None = None
        self._last: tuple[float, float] | None = None
        self._curve: list[tuple[float, float]] = []
        self._start: DataSpec | None = None
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(FLUSH_MS)
        self._flush_timer.timeout.connect(self._flush)
        self._build()
        for target in targets.values():
            target.view.viewport().installEventFilter(self)
        document.data_changed.connect(self._on_document_data_changed)
        document.project_replaced.connect(self.sync)
        self.sync()

    # -- building ---------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        row1, row2 = QHBoxLayout(), QHBoxLayout()
        for row in (row1, row2):
            row.setContentsMargins(0, 0, 0, 0)
            row.setSpacing(3)
            outer.addLayout(row)
        self.class_group = QButtonGroup(self)
        self.class_group.setExclusive(True)
        self.class_group.idClicked.connect(self._on_class_clicked)
        self.class_buttons: list[QToolButton] = []
        self.class_box = QWidget()
        self.class_layout = QHBoxLayout(self.class_box)
        self.class_layout.setContentsMargins(0, 0, 0, 0)
        self.class_layout.setSpacing(2)
        self.classes = QSpinBox()
        self.classes.setRange(drawn_data.MIN_CLASSES, drawn_data.MAX_CLASSES)
        self.classes.setPrefix("classes ")
        self.classes.setToolTip("How many classes the drawing has (2 to 6); changing it "
                                "needs a reset, since the output layer changes")
        self.classes.valueChanged.connect(self._on_classes_changed)
        self.tool_group = QButtonGroup(self)
        self.tool_buttons: dict[str, QToolButton] = {}
        for key, text, tip in (
                ("point", "Point", "Click to add a point of the chosen class (drag: a line "
                                   "of points)"),
                ("brush", "Brush", "Drag to spray a cloud of points of the chosen class"),
                ("curve", "Curve", "Drag from left to right to draw y over x; drawing over a "
                                   "stretch again replaces it"),
                ("erase", "Erase", "Click or drag over points to remove them")):
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.setCheckable(True)
            self.tool_group.addButton(button)
            self.tool_buttons[key] = button
        self.tool_buttons["point"].setChecked(True)
        self.clear_button = QToolButton()
        self.clear_button.setText("Clear")
        self.clear_button.setToolTip("Remove every point (Edit > Undo brings them back)")
        self.clear_button.clicked.connect(self.clear)
        self.csv_button = QToolButton()
        self.csv_button.setText("CSV…")
        self.csv_button.setToolTip("Save the drawn points as a CSV table (x1, x2, class or "
                                   "x, y); nncore train --data FILE.csv reads it back")
        self.csv_button.clicked.connect(self._on_csv_clicked)
        self.preset = QComboBox()
        self.preset.setToolTip("Replace the drawing with the points of a built-in set, to "
                               "edit them (move the outliers)")
        self.preset.addItem("Start from…", None)
        for name in preset_names():
            self.preset.addItem(BUILTIN[name].title, name)
        self.preset.activated.connect(self._on_preset_activated)
        self.noise = QDoubleSpinBox()
        self.noise.setRange(0.0, drawn_data.REACH)
        self.noise.setSingleStep(0.1)
        self.noise.setDecimals(2)
        self.noise.setPrefix("noise ")
        self.noise.setToolTip("Gaussian noise (standard deviation) added to the drawn "
                              "inputs (targets, for a curve) when training")
        self.noise.valueChanged.connect(self._on_noise_changed)
        self.count = QLabel()
        self.count.setStyleSheet("color: gray;")
        row1.addWidget(QLabel("Draw:"))
        row1.addWidget(self.class_box)
        row1.addWidget(self.classes)
        row1.addStretch(1)
        for button in self.tool_buttons.values():
            row1.addWidget(button)
        row2.addWidget(self.preset)
        row2.addWidget(self.noise)
        row2.addWidget(self.count, 1)
        row2.addWidget(self.clear_button)
        row2.addWidget(self.csv_button)

    def _set_class_buttons(self, n: int) -> None:
        if len(self.class_buttons) == n:
            return
        for button in self.class_buttons:
            self.class_group.removeButton(button)
            button.deleteLater()
        self.class_buttons = []
        for i, color in enumerate(class_colors(n)):
            button = QToolButton()
            button.setCheckable(True)
            button.setText(str(i + 1))
            button.setToolTip(f"Paint class {i + 1}")
            text = "white" if QColor(color).lightness() < 150 else "black"
            button.setStyleSheet(f"QToolButton {{ background: {color}; color: {text}; "
                                 "border-radius: 3px; padding: 1px 6px; }"
                                 "QToolButton:checked { border: 2px solid #222; }")
            self.class_group.addButton(button, i)
            self.class_layout.addWidget(button)
            self.class_buttons.append(button)
        self.label = min(self.label, n - 1)
        self.class_buttons[self.label].setChecked(True)

    # -- state --------------------------------------------------------------------------

    @property
    def spec(self) -> DataSpec:
        return self.document.data

    @property
    def task(self) -> str:
        return drawn_data.drawn_options(self.spec.options)["task"] \
            if drawn_data.is_drawn(self.spec) else "classification"

    @property
    def tool(self) -> str:
        return next(key for key, b in self.tool_buttons.items() if b.isChecked())

    def set_tool(self, key: str) -> None:
        """Choose ``point``, ``brush``, ``curve`` or ``erase``."""
        self.tool_buttons[key].setChecked(True)

    def set_class(self, label: int) -> None:
        """Paint class ``label`` (0-based) from now on."""
        self.label = label
        self.class_buttons[label].setChecked(True)

    @Slot()
    def sync(self) -> None:
        """Show the document's drawing (classes, noise, count)."""
        spec = self.spec
        if not drawn_data.is_drawn(spec):
            self.count.setText("")
            return
        options = drawn_data.drawn_options(spec.options)
        regression = options["task"] == "regression"
        for widget in (self.class_box, self.classes, self.tool_buttons["point"],
                       self.tool_buttons["brush"]):
            widget.setVisible(not regression)
        self.tool_buttons["curve"].setVisible(regression)
        if regression and self.tool in ("point", "brush"):
            self.set_tool("curve")
        elif not regression and self.tool == "curve":
            self.set_tool("point")
        for widget, value in ((self.classes, options["classes"]),
                              (self.noise, options["noise"])):
            widget.blockSignals(True)
            widget.setValue(value)
            widget.blockSignals(False)
        self._set_class_buttons(options["classes"])
        n = len(spec.points)
        self.count.setText(f"{n} point{'s' if n != 1 else ''}")

    @Slot(object)
    def _on_document_data_changed(self, _spec) -> None:
        self.sync()

    # -- starting and whole-drawing edits ------------------------------------------------------

    def start(self) -> None:
        """Turn the current data into a drawing (one undo step), or start an empty one."""
        spec = self.spec
        if drawn_data.is_drawn(spec):
            return
        try:
            new = drawn_data.preset(spec, spec.source) if spec.source in preset_names() \
                else drawn_data.drawn_spec(base=spec)
        except DataError as err:
            QMessageBox.warning(self, "Cannot draw on this data", str(err))
            return
        self.document.set_data(new, "Draw your own data")

    def clear(self) -> None:
        """Remove every point (one undo step)."""
        if drawn_data.is_drawn(self.spec) and self.spec.points:
            self.document.set_data(self._replace_points(()), "Clear the drawing")

    def _replace_points(self, points) -> DataSpec:
        import dataclasses

        return dataclasses.replace(self.spec, points=tuple(points))

    @Slot(int)
    def _on_class_clicked(self, label: int) -> None:
        self.label = label

    @Slot(int)
    def _on_classes_changed(self, value: int) -> None:
        if drawn_data.is_drawn(self.spec):
            self.document.set_data(drawn_data.with_classes(self.spec, value),
                                   f"Draw {value} classes")

    @Slot(float)
    def _on_noise_changed(self, value: float) -> None:
        if drawn_data.is_drawn(self.spec):
            self.document.set_data(drawn_data.with_noise(self.spec, value),
                                   "Noise of the drawing", merge_key="drawn-noise")

    @Slot(int)
    def _on_preset_activated(self, index: int) -> None:
        name = self.preset.itemData(index)
        self.preset.setCurrentIndex(0)
        if not name:
            return
        try:
            new = drawn_data.preset(self.spec, name)
        except DataError as err:
            QMessageBox.warning(self, "Cannot start from that set", str(err))
            return
        self.document.set_data(new, f"Draw: start from {BUILTIN[name].title}")

    @Slot()
    def _on_csv_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the drawn points", "drawn.csv",
                                              "CSV table (*.csv)")
        if path:
            self.save_csv(Path(path))

    def save_csv(self, path: Path) -> bool:
        """Write the drawing as CSV; False (after saying why) on failure."""
        try:
            path.write_text(drawn_data.to_csv(self.spec), encoding="utf-8")
        except (OSError, DataError) as err:
            QMessageBox.warning(self, "Could not save the points", str(err))
            return False
        return True

    # -- the mouse --------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not (self.isVisible() and drawn_data.is_drawn(self.spec)):
            return False
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and \
                event.button() == Qt.MouseButton.LeftButton:
            self._press(self._data_point(watched, event))
            return True
        if kind == QEvent.Type.MouseMove and event.buttons() & Qt.MouseButton.LeftButton and \
                self._start is not None:
            self._move(self._data_point(watched, event))
            return True
        if kind == QEvent.Type.MouseButtonRelease and self._start is not None:
            self._release()
            return True
        return False

    def _data_point(self, viewport: QObject, event: QMouseEvent) -> tuple[float, float]:
        """Mouse position in data coordinates of the plot under it."""
        target = next(t for t in self.targets.values() if t.view.viewport() is viewport)
        scene = target.view.mapToScene(event.position().toPoint())
        point: QPointF = target.plot.getViewBox().mapSceneToView(scene)
        return float(point.x()), float(point.y())

    def _press(self, at: tuple[float, float]) -> None:
        self._stroke_id = next(self._stroke)
        self._start, self._last, self._curve = self.spec, at, [at]
        self._paint_at(at, first=True)
        self._flush()

    def _move(self, at: tuple[float, float]) -> None:
        self._paint_at(at, first=False)
        self._last = at
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def _release(self) -> None:
        self._flush_timer.stop()
        self._flush()
        self._start = self._last = None
        self._curve = []

    def _paint_at(self, at: tuple[float, float], *, first: bool) -> None:
        spec = self._pending or self.spec
        tool = self.tool
        try:
            if tool == "erase":
                spec = drawn_data.without_points_near(spec, at, ERASER_RADIUS)
            elif tool == "curve":
                if not first:
                    self._curve.extend(map(tuple, drawn_data.stroke_points(
                        self._curve[-1], at, CURVE_SPACING)))
                spec = drawn_data.with_curve(self._start, np.array(self._curve))
            elif tool == "brush":
                if first or _distance(self._last, at) >= BRUSH_RADIUS / 2:
                    spec = drawn_data.with_points(spec, drawn_data.brush_points(
                        at, BRUSH_RADIUS, BRUSH_COUNT, self.label, np.random.default_rng()))
                else:
                    return
            else:
                points = [at] if first else drawn_data.stroke_points(self._curve[-1], at,
                                                                     POINT_SPACING)
                if len(points):
                    self._curve.append(tuple(points[-1]))
                    spec = drawn_data.with_points(spec, [(x, y, self.label) for x, y in points])
        except DataError as err:
            self.count.setText(str(err))
            return
        self._pending = spec

    @Slot()
    def _flush(self) -> None:
        """Hand the stroke so far to the document (merged into one undo step)."""
        spec, self._pending = self._pending, None
        if spec is None or spec == self.spec:
            return
        text = {"erase": "Erase points", "curve": "Draw a curve"}.get(self.tool, "Add points")
        self.document.set_data(spec, text, merge_key=f"paint-{self._stroke_id}")


def _distance(a: tuple[float, float] | None, b: tuple[float, float]) -> float:
    return float("inf") if a is None else float(np.hypot(a[0] - b[0], a[1] - b[1]))

