"""A table model over a pandas frame: the import dialog's preview of a user's file.

Cells are read from the frame when the view asks for them (``frame.iat``), never copied
cell by cell; only the first ``PREVIEW_ROWS`` rows are offered. Column headers say each
column's name, detected type, role and missing count; the row headers are the file's line
numbers (sheet rows for spreadsheets), so a message naming a line can be found.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt
from PySide6.QtGui import QBrush, QColor

from nncore.data.schema import Column
from nncore.data.table import RawTable

PREVIEW_ROWS = 500
MISSING_BRUSH = QBrush(QColor(255, 228, 225))
IGNORED_BRUSH = QBrush(QColor(150, 150, 150))
TARGET_BRUSH = QBrush(QColor(225, 238, 255))


class FrameModel(QAbstractTableModel):
    """The first rows of a ``RawTable`` with the column schema and roles in the headers."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.table: RawTable | None = None
        self.columns: list[Column] = []
        self.roles: dict[str, str] = {}
        self.target = ""

    def set_table(self, table: RawTable | None, columns: list[Column]) -> None:
        """Show ``table`` (None: nothing) with its detected ``columns``."""
        self.beginResetModel()
        self.table, self.columns = table, list(columns)
        self.endResetModel()

    def set_plan(self, columns: list[Column], roles: dict[str, str], target: str) -> None:
        """New kinds and roles (after an edit): only the headers and colours change."""
        self.columns, self.roles, self.target = list(columns), dict(roles), target
        if self.columnCount():
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.columnCount() - 1)
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(self.rowCount() - 1, self.columnCount() - 1))

    def role_of(self, name: str) -> str:
        """``target``, ``input`` or ``ignore``."""
        return "target" if name == self.target else self.roles.get(name, "ignore")

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() or self.table is None:
            return 0
        return min(len(self.table.frame), PREVIEW_ROWS)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() or self.table is None:
            return 0
        return int(self.table.frame.shape[1])

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.table is None:
            return None
        value = self.table.frame.iat[index.row(), index.column()]
        missing = value is None or (isinstance(value, float) and math.isnan(value))
        if role == Qt.ItemDataRole.DisplayRole:
            return "" if missing else _text(value)
        if role == Qt.ItemDataRole.BackgroundRole:
            if missing:
                return MISSING_BRUSH
            name = self.table.frame.columns[index.column()]
            return TARGET_BRUSH if name == self.target else None
        if role == Qt.ItemDataRole.ForegroundRole:
            name = self.table.frame.columns[index.column()]
            return IGNORED_BRUSH if self.role_of(name) == "ignore" else None
        if role == Qt.ItemDataRole.ToolTipRole and missing:
            return "missing value"
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self.table is None:
            return None
        if orientation == Qt.Orientation.Vertical:
            if role == Qt.ItemDataRole.DisplayRole and section < len(self.table.frame):
                return str(self.table.line_of(self.table.frame.index[section]))
            return None
        if section >= len(self.columns):
            return None
        column = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            missing = f" · {column.n_missing} missing" if column.n_missing else ""
            return f"{column.name}\n{column.kind} · {self.role_of(column.name)}{missing}"
        if role == Qt.ItemDataRole.ToolTipRole:
            note = f"<br>{column.note}" if column.note else ""
            return (f"<b>{column.name}</b>: detected {column.kind}, "
                    f"{column.n_missing} missing value(s){note}<br>Click to change its role "
                    "or type.")
        return None


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)
