"""Choose a data set: a combo grouped like ``nncore.data.GROUPS``, with thumbnails.

The picker shows the chosen set's picture (as TensorFlow Playground's tiles do), its
task and a one-line description. The list ends with "Open your own data…", which asks
for ``open_requested`` instead of choosing a set; an opened file appears in its own
"Your data" group while it is the document's data.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont, QStandardItemModel
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QSizePolicy,
    QStyle,
    QToolButton,
    QWidget,
)

from app.widgets.dataset_thumbnails import dataset_icon, dataset_thumbnail
from app.widgets.form_layout import CompactComboBox
from app.widgets.tooltips import rich_tooltip
from nncore.data import BUILTIN, GROUPS

GROUP_TITLES = {"classification 2-D": "2-D classification", "regression": "Regression",
                "logic": "Logic gates", "real": "Real data"}
TASK_TEXT = {"binary": "binary classification", "multiclass": "multi-class classification",
             "regression": "regression"}
FILE_ITEM, OPEN_ITEM = "<file>", "<open>"
THUMBNAIL_SIZE = 52
OPEN_TIP = rich_tooltip("Open your own data: a CSV table (last column = target by default), "
                        "a NumPy .npz with arrays x and y, or MNIST-style IDX files.")


class _LazyIconComboBox(CompactComboBox):
    """Draws the item icons the first time the list opens: rendering every thumbnail
    means generating or parsing every data set, which would slow the app's start-up."""

    def __init__(self, parent: QWidget, characters: int) -> None:
        super().__init__(parent, characters)
        self.icons_drawn = False

    def showPopup(self) -> None:
        if not self.icons_drawn:
            self.draw_icons()
        super().showPopup()

    def draw_icons(self) -> None:
        """Give every data-set item its thumbnail icon."""
        for index in range(self.count()):
            name = self.itemData(index)
            if isinstance(name, str) and name in BUILTIN:
                self.setItemIcon(index, dataset_icon(name, 20))
        self.icons_drawn = True


class DatasetPicker(QWidget):
    """Thumbnail, grouped combo and description of the chosen data set."""

    dataset_chosen = Signal(str)   # a BUILTIN name
    open_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumbnail = QLabel(self)
        self.thumbnail.setFixedSize(THUMBNAIL_SIZE, THUMBNAIL_SIZE)
        self.combo = _LazyIconComboBox(self, 8)
        self.combo.setIconSize(QSize(20, 20))
        self.combo.setMaxVisibleItems(30)
        self.combo.setToolTip(rich_tooltip("The data set the network learns from."))
        self.open_button = QToolButton(self)
        self.open_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_DirOpenIcon))
        self.open_button.setToolTip(OPEN_TIP)
        self.task = QLabel(self)
        self.task.setStyleSheet("font-size: 8pt; font-weight: bold;")
        self.description = QLabel(self)
        self.description.setWordWrap(True)
        self.description.setStyleSheet("font-size: 8pt; color: palette(dark);")
        self.description.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._file_path: str | None = None
        self._fill()
        self._build_layout()
        self.combo.activated.connect(self._on_combo_activated)
        self.open_button.clicked.connect(self.open_requested)

    def _build_layout(self) -> None:
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(1)
        grid.addWidget(self.thumbnail, 0, 0, 3, 1, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.combo, 0, 1)
        grid.addWidget(self.open_button, 0, 2)
        grid.addWidget(self.task, 1, 1, 1, 2)
        grid.addWidget(self.description, 2, 1, 1, 2)
        grid.setColumnStretch(1, 1)

    def _add_header(self, text: str) -> None:
        self.combo.addItem(text)
        model = self.combo.model()
        item = model.item(self.combo.count() - 1) if isinstance(model, QStandardItemModel) \
            else None
        if item is not None:
            item.setEnabled(False)
            font = QFont(item.font())
            font.setBold(True)
            item.setFont(font)

    def _fill(self) -> None:
        self.combo.clear()
        for group in GROUPS:
            self._add_header(GROUP_TITLES.get(group, group))
            for name, info in BUILTIN.items():
                if info.group == group:
                    self.combo.addItem(f"  {info.title}", name)
                    self.combo.setItemData(self.combo.count() - 1, rich_tooltip(
                        info.description, extra=TASK_TEXT.get(info.task, info.task)),
                        Qt.ItemDataRole.ToolTipRole)
        self._add_header("Your data")
        if self._file_path:
            self.combo.addItem(dataset_icon("", 20), f"  {Path(self._file_path).name}",
                               FILE_ITEM)
        self.combo.addItem(self.open_button.icon(), "  Open your own data…", OPEN_ITEM)
        self.combo.setItemData(self.combo.count() - 1, OPEN_TIP, Qt.ItemDataRole.ToolTipRole)
        if self.combo.icons_drawn:
            self.combo.draw_icons()

    def set_current(self, source: str, path: str | None = None) -> None:
        """Show built-in set ``source``, or the file ``path`` when ``source == "file"``."""
        file_path = path if source == "file" else None
        if file_path != self._file_path:
            self._file_path = file_path
            self._fill()
        key = FILE_ITEM if source == "file" else source
        blocked = self.combo.blockSignals(True)
        self.combo.setCurrentIndex(self.combo.findData(key))
        self.combo.blockSignals(blocked)
        info = BUILTIN.get(source)
        self.thumbnail.setPixmap(dataset_thumbnail(source if info else "", THUMBNAIL_SIZE))
        if info is not None:
            self.task.setText(TASK_TEXT.get(info.task, info.task))
            self.description.setText(info.description)
        else:
            self.task.setText("your data" if source == "file" else source)
            self.description.setText(str(path or ""))
        self.description.setToolTip(self.description.text())

    def set_task_text(self, text: str) -> None:
        """Replace the task line (e.g. once a file is loaded and its task known)."""
        self.task.setText(text)

    def current_name(self) -> str | None:
        """The BUILTIN name shown, ``"file"`` for a file, None if nothing is chosen."""
        data = self.combo.currentData()
        return "file" if data == FILE_ITEM else data

    def _on_combo_activated(self, index: int) -> None:
        data = self.combo.itemData(index)
        if data == OPEN_ITEM:
            self.open_requested.emit()
        elif data in BUILTIN:
            self.dataset_chosen.emit(data)
