"""Toggles for the derived input features x1², x2², x1·x2, sin(x1), sin(x2).

TensorFlow Playground's FEATURES column: with x1² and x2² a single neuron separates the
circles; with sin features a small net fits the spirals. Names are ``DataSpec.features``'s
canonical names; the order of the result follows ``DERIVED_FEATURES``.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QToolButton, QWidget

from app.theme import BLUE
from app.widgets.tooltips import rich_tooltip
from nncore.data import DERIVED_FEATURES

FEATURE_TEXT = {"x1^2": "x₁²", "x2^2": "x₂²", "x1*x2": "x₁x₂", "sin(x1)": "sin x₁",
                "sin(x2)": "sin x₂"}
FEATURE_TIPS = {
    "x1^2": "Adds x₁² as an input: lets one unit draw boundaries curved along x₁.",
    "x2^2": "Adds x₂² as an input: with x₁² one unit can draw a circle (the circles set).",
    "x1*x2": "Adds x₁·x₂ as an input: its sign is the XOR pattern of the four quadrants.",
    "sin(x1)": "Adds sin(x₁) as an input: a periodic feature that helps with spirals.",
    "sin(x2)": "Adds sin(x₂) as an input: a periodic feature that helps with spirals.",
}


BUTTON_STYLE = (
    "QToolButton { border: 1px solid palette(mid); border-radius: 3px; padding: 2px 1px; }"
    f"QToolButton:checked {{ background: {BLUE}; color: white; border-color: {BLUE}; }}"
    "QToolButton:disabled { color: palette(mid); border-color: palette(midlight); }")
"""Checked features light up in the accent blue, as Playground's chosen feature tiles."""


class FeatureToggles(QWidget):
    """A row of checkable buttons; emits ``features_edited(tuple)`` on clicks."""

    features_edited = Signal(tuple)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.buttons: dict[str, QToolButton] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        for name in DERIVED_FEATURES:
            button = QToolButton(self)
            button.setText(FEATURE_TEXT.get(name, name))
            button.setCheckable(True)
            button.setStyleSheet(BUTTON_STYLE)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.setMinimumWidth(20)
            button.setToolTip(rich_tooltip(FEATURE_TIPS.get(name, name), extra=(
                "Derived features are computed from the raw inputs before scaling.")))
            button.toggled.connect(self._on_button_toggled)
            layout.addWidget(button)
            self.buttons[name] = button

    def features(self) -> tuple[str, ...]:
        """The checked features, in canonical order."""
        return tuple(name for name, button in self.buttons.items() if button.isChecked())

    def set_features(self, features: tuple[str, ...]) -> None:
        """Check exactly ``features`` without emitting."""
        for name, button in self.buttons.items():
            blocked = button.blockSignals(True)
            button.setChecked(name in features)
            button.blockSignals(blocked)

    def set_raw_inputs(self, n_inputs: int) -> None:
        """Enable only the features the data's raw inputs allow (x2 needs two inputs)."""
        for name, button in self.buttons.items():
            button.setEnabled(DERIVED_FEATURES[name][0] <= n_inputs)

    def _on_button_toggled(self, _checked: bool) -> None:
        self.features_edited.emit(self.features())
