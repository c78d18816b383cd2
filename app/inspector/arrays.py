"""A compact, heat-mapped array: one row per batch sample, one cell per unit.

Wide layers collapse to the units that matter (the first two, the one in focus and its
neighbours, the last) with "…" cells between, so a 512-unit layer still fits in a column.
Cells are coloured as weights are in the drawing (blue positive, orange negative, paler
as they shrink relative to the largest shown) and print the number itself; clicking a
cell reports ``(row, unit)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from app.theme import weight_color

CELL_W, CELL_H, LABEL_W = 44, 17, 48
MAX_CELLS = 5
WRONG = "#c0392b"
GAP = -1
"""A unit index standing for the collapsed units ("…")."""


def shown_units(width: int, focus: int | None, max_cells: int = MAX_CELLS) -> list[int]:
    """Which unit indices a strip of ``width`` units shows, ``GAP`` where some are left out."""
    if width <= max_cells:
        return list(range(width))
    keep = {0, width - 1}
    if focus is not None and 0 <= focus < width:
        keep |= {focus - 1, focus, focus + 1}
    for extra in range(1, width):  # fill up to max_cells from the start
        if len(keep) >= max_cells - 1:
            break
        keep.add(extra)
    keep = sorted(u for u in keep if 0 <= u < width)[:max_cells]
    out: list[int] = []
    for u in keep:
        if out and u != out[-1] + 1:
            out.append(GAP)
        out.append(u)
    return out


def number(value: float) -> str:
    """A number short enough for a cell: three significant digits."""
    if not math.isfinite(value):
        return "nan" if math.isnan(value) else ("∞" if value > 0 else "−∞")
    if value == 0:
        return "0"
    text = f"{value:.3g}" if 1e-3 <= abs(value) < 1e4 else f"{value:.1e}"
    return text.replace("e-0", "e-").replace("e+0", "e").replace("-", "−")


class ArrayView(QWidget):
    """A labelled, heat-mapped ``rows × units`` array; wide arrays collapse with "…"."""

    cell_clicked = Signal(int, int)  # batch row, unit index

    def __init__(self, label: str, parent: QWidget | None = None, *,
                 cell_name=None) -> None:
        super().__init__(parent)
        self.label = label
        self.cell_name = cell_name or (lambda row, unit: f"{label}[{row}, {unit}]")
        self.values: np.ndarray | None = None
        self.units: list[int] = []
        self.focus: int | None = None
        self.marked: set[int] = set()
        self.wrong = False  # bug mode: this array differs from the correct step
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)

    def set_values(self, values: np.ndarray | Sequence | None, focus: int | None = None,
                   marked: Sequence[int] = ()) -> None:
        """Show ``values`` (1-D: one row), outlining unit ``focus``; ``marked`` units are
        drawn hatched (ablated)."""
        if values is None:
            self.values = None
            self.units = []
        else:
            array = np.asarray(values, dtype=np.float64)
            self.values = array.reshape(1, -1) if array.ndim < 2 else array
            self.units = shown_units(self.values.shape[1], focus)
        self.focus, self.marked = focus, set(marked)
        self.updateGeometry()
        self.update()

    def text_of(self, row: int, unit: int) -> str:
        """The number a cell shows (for tests: what the student reads)."""
        return number(float(self.values[row, unit]))

    def sizeHint(self) -> QSize:
        rows = 1 if self.values is None else self.values.shape[0]
        return QSize(LABEL_W + CELL_W * max(1, len(self.units)) + 2, CELL_H * rows + 2)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def _cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        if self.values is None or x < LABEL_W:
            return None
        k, row = int((x - LABEL_W) // CELL_W), int(y // CELL_H)
        if 0 <= k < len(self.units) and 0 <= row < self.values.shape[0] and \
                self.units[k] != GAP:
            return row, self.units[k]
        return None

    def mouseReleaseEvent(self, event) -> None:
        cell = self._cell_at(event.position().x(), event.position().y())
        if cell is not None and event.button() == Qt.MouseButton.LeftButton:
            self.cell_clicked.emit(*cell)

    def mouseMoveEvent(self, event) -> None:
        cell = self._cell_at(event.position().x(), event.position().y())
        if cell is None:
            QToolTip.hideText()
            return
        row, unit = cell
        QToolTip.showText(event.globalPosition().toPoint(),
                          f"{self.cell_name(row, unit)} = {self.values[row, unit]:.10g}", self)

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() - 1.5))
        painter.setFont(font)
        text = self.palette().windowText().color()
        painter.setPen(QColor(WRONG) if self.wrong else text)
        painter.drawText(QRectF(0, 0, LABEL_W - 4, CELL_H), Qt.AlignmentFlag.AlignRight |
                         Qt.AlignmentFlag.AlignVCenter, ("✗ " if self.wrong else "") + self.label)
        if self.values is None:
            painter.drawText(QRectF(LABEL_W, 0, CELL_W * 3, CELL_H),
                             Qt.AlignmentFlag.AlignVCenter, "—")
            return
        shown = [u for u in self.units if u != GAP]
        finite = self.values[:, shown][np.isfinite(self.values[:, shown])]
        scale = float(np.max(np.abs(finite))) if finite.size else 0.0
        for row in range(self.values.shape[0]):
            for k, unit in enumerate(self.units):
                self._paint_cell(painter, QRectF(LABEL_W + k * CELL_W, row * CELL_H,
                                                 CELL_W - 1, CELL_H - 1), row, unit, scale, text)
        if self.wrong:
            painter.setPen(QPen(QColor(WRONG), 2))
            painter.drawRect(QRectF(LABEL_W - 1, 1, CELL_W * len(self.units),
                                    CELL_H * self.values.shape[0] - 1))

    def _paint_cell(self, painter: QPainter, rect: QRectF, row: int, unit: int, scale: float,
                    text: QColor) -> None:
        if unit == GAP:
            painter.setPen(text)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "…")
            return
        value = float(self.values[row, unit])
        painter.fillRect(rect, weight_color(value, scale) if math.isfinite(value)
                         else QColor("#c0392b"))
        if unit in self.marked:
            painter.fillRect(rect, QColor(128, 128, 128, 160))
        painter.setPen(text)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, number(value))
        if unit == self.focus:
            painter.setPen(QPen(QColor("#7b2cbf"), 2))
            painter.drawRect(rect.adjusted(1, 1, -1, -1))
