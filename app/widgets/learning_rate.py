"""The learning-rate control: a log-scale spin box, quick presets and a warning hint.

The learning rate spans orders of magnitude, so the arrows step along 1-3-10 rungs
(0.001, 0.003, 0.01...) and a ▾ menu offers TensorFlow Playground's presets. Values
outside the usual range are allowed (students should see divergence happen) but the
hint line under the box says what to expect.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.theme import WARNING
from app.widgets.number_fields import NumberField, format_number

LR_PRESETS = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
LR_MINIMUM, LR_MAXIMUM = 1e-7, 100.0


class LearningRateField(QWidget):
    """Learning-rate editor; ``value_edited`` fires on every user change."""

    value_edited = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spin = NumberField(LR_MINIMUM, LR_MAXIMUM, log=True, parent=self)
        self.spin.setValue(0.01)
        self.spin.valueChanged.connect(self.value_edited)
        self.presets = QToolButton(self)
        self.presets.setText("▾")
        self.presets.setToolTip("Common learning rates")
        self.presets.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.presets.setStyleSheet("QToolButton::menu-indicator { image: none; }")
        menu = QMenu(self.presets)
        for value in LR_PRESETS:
            action = menu.addAction(format_number(value))
            action.triggered.connect(lambda _checked=False, v=value: self.spin.setValue(v))
        self.presets.setMenu(menu)
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet(f"color: {WARNING}; font-size: 8pt;")
        self.hint.setVisible(False)
        self._build_layout()

    def _build_layout(self) -> None:
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        self.spin.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        row.addWidget(self.spin)
        row.addWidget(self.presets)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(row)
        layout.addWidget(self.hint)

    def value(self) -> float:
        """The learning rate shown."""
        return self.spin.value()

    def set_value(self, value: float) -> None:
        """Show ``value`` without emitting ``value_edited``."""
        blocked = self.spin.blockSignals(True)
        self.spin.setValue(value)
        self.spin.blockSignals(blocked)

    def set_hint(self, text: str) -> None:
        """A warning under the box ('' hides it)."""
        self.hint.setText(text)
        self.hint.setVisible(bool(text))

    def preset_values(self) -> tuple[float, ...]:
        """The learning rates offered in the ▾ menu."""
        return LR_PRESETS
