"""Shared look of the settings panels: small caps titles and compact label/field forms.

Both left-column panels use the same label width, spacing and title style, so their
fields line up in one column like TensorFlow Playground's side bar.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QWidget

LABEL_WIDTH = 64
"""Width of the label column in pixels (fits "Optimizer", "Features")."""


def panel_title(text: str, parent: QWidget | None = None) -> QLabel:
    """A small, bold, upper-case heading such as DATA or TRAINING."""
    label = QLabel(text.upper(), parent)
    label.setStyleSheet("font-weight: bold; font-size: 8pt; letter-spacing: 1px; "
                        "color: palette(mid); padding-top: 2px;")
    return label


def form_label(text: str, tooltip: str = "", parent: QWidget | None = None) -> QLabel:
    """A fixed-width row label that shares its field's tooltip."""
    label = QLabel(text, parent)
    label.setFixedWidth(LABEL_WIDTH)
    if tooltip:
        label.setToolTip(tooltip)
    return label


def compact_form(parent: QWidget | None = None) -> QFormLayout:
    """A form layout with tight spacing and fields that grow to the panel's width."""
    form = QFormLayout(parent)
    form.setContentsMargins(0, 0, 0, 0)
    form.setHorizontalSpacing(6)
    form.setVerticalSpacing(4)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
    return form


class CompactComboBox(QComboBox):
    """A combo box that may shrink below its longest item (the popup still shows it whole)
    and ignores the mouse wheel unless it has the focus, so scrolling the side panel
    never switches the optimizer by accident (the wheel then scrolls the panel)."""

    def __init__(self, parent: QWidget | None = None, characters: int = 3) -> None:
        super().__init__(parent)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(characters)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()
