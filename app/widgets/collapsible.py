"""A titled section whose content folds away, for advanced settings.

Beginners see the few settings that matter; the rest waits behind a ▸ header line, as in
most scientific tools' "Advanced" boxes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QSizePolicy, QToolButton, QVBoxLayout, QWidget


class CollapsibleSection(QWidget):
    """A header button (▸/▾ title) that shows or hides ``content``."""

    toggled = Signal(bool)

    def __init__(self, title: str, content: QWidget, *, expanded: bool = False,
                 bold: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.content = content
        self.header = QToolButton(self)
        self.header.setText(title)
        self.header.setCheckable(True)
        self.header.setAutoRaise(True)
        self.header.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.header.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.header.setMinimumWidth(40)  # a long summary in the title may be clipped
        weight = "bold" if bold else "normal"
        self.header.setStyleSheet(f"QToolButton {{ border: none; font-weight: {weight}; "
                                  "text-align: left; padding: 1px 0px; }")
        self.header.toggled.connect(self._on_header_toggled)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.header)
        layout.addWidget(content)
        self.header.setChecked(expanded)
        self._on_header_toggled(expanded)

    @property
    def is_expanded(self) -> bool:
        """True while the content is shown."""
        return self.header.isChecked()

    def set_expanded(self, expanded: bool) -> None:
        """Open or fold the section (as a click on the header would)."""
        self.header.setChecked(expanded)

    def _on_header_toggled(self, expanded: bool) -> None:
        self.header.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.content.setVisible(expanded)
        self.toggled.emit(expanded)
