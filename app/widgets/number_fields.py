"""Compact spin boxes for settings: short number text, log and doubling steps.

Qt's ``QDoubleSpinBox`` shows a fixed number of decimals ("0.001000") and steps by a
constant; learning rates and regularisation strengths live on a log scale, batch sizes
on powers of two. These fields print the shortest exact text ("0.001", "1e-5"), accept
anything ``float()`` reads, and can step along a 1-3-10 ladder or by doubling. Keyboard
tracking is off: a value is committed on Enter, focus loss or an arrow step, so typing
"0.03" does not make the document pass through 0 and 0.0 first.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QValidator, QWheelEvent
from PySide6.QtWidgets import QAbstractSpinBox, QDoubleSpinBox, QSpinBox, QWidget

LOG_LADDER = (1.0, 3.0)
"""Mantissas of the log steps: 1e-5, 3e-5, 1e-4, 3e-4, ... (as TensorFlow Playground)."""


def format_number(value: float) -> str:
    """The shortest readable text for ``value``: 0.03, 1e-5, 1000, 0.999."""
    if value == 0:
        return "0"
    text = f"{value:.6g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def log_step(value: float, steps: int) -> float:
    """``value`` moved ``steps`` rungs along the 1-3-10 ladder (off-ladder: to the next rung)."""
    if value <= 0:
        return 10.0 ** -5 if steps > 0 else value
    rungs = [m * 10.0 ** e for e in range(-9, 7) for m in LOG_LADDER]
    # index of the rung at or just below value (tolerant to float noise)
    below = max((i for i, r in enumerate(rungs) if r <= value * (1 + 1e-9)), default=0)
    on_rung = math.isclose(rungs[below], value, rel_tol=1e-9)
    # stepping down from between two rungs lands on the rung just below first
    index = below + steps + (1 if steps < 0 and not on_rung else 0)
    return rungs[max(0, min(index, len(rungs) - 1))]


MIN_FIELD_WIDTH = 44
"""Spin boxes size themselves for their longest value (10 digits for a seed); the left
column is narrow, so they may shrink to this and let the layout share the width."""


def _compact(box: QAbstractSpinBox) -> None:
    box.setMinimumWidth(MIN_FIELD_WIDTH)
    box.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # no focus (and no edits) from the wheel
    box.setKeyboardTracking(False)
    box.setAccelerated(True)
    box.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)


def _wheel_only_when_focused(box: QAbstractSpinBox, event: QWheelEvent) -> bool:
    """True if ``box`` may take the wheel: scrolling the side panel past a field must
    scroll the panel, not silently change the learning rate."""
    if box.hasFocus():
        return True
    event.ignore()
    return False


class NumberField(QDoubleSpinBox):
    """A real-valued spin box with short text and optional log-scale steps.

    ``special_text`` is shown at the minimum (e.g. "off" for a gradient-clipping norm of 0),
    as ``QAbstractSpinBox.setSpecialValueText`` does.
    """

    def __init__(self, minimum: float, maximum: float, step: float = 0.1, *,
                 log: bool = False, special_text: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._log = log
        self.setDecimals(12)  # storage precision; the text is formatted by textFromValue
        self.setRange(minimum, maximum)
        self.setSingleStep(step)
        if special_text:
            self.setSpecialValueText(special_text)
        _compact(self)

    def textFromValue(self, value: float) -> str:
        return format_number(value)

    def valueFromText(self, text: str) -> float:
        try:
            return float(text.strip().replace(",", "."))
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        stripped = text.strip().replace(",", ".")
        if self.specialValueText() and stripped == self.specialValueText():
            return QValidator.State.Acceptable, text, pos
        try:
            value = float(stripped)
        except ValueError:
            partial = stripped in ("", "-", ".", "-.") or stripped.lower().endswith(
                ("e", "e-", "e+"))
            state = QValidator.State.Intermediate if partial else QValidator.State.Invalid
            return state, text, pos
        if self.minimum() <= value <= self.maximum():
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Intermediate, text, pos

    def wheelEvent(self, event: QWheelEvent) -> None:
        if _wheel_only_when_focused(self, event):
            super().wheelEvent(event)

    def stepBy(self, steps: int) -> None:
        if not self._log:
            super().stepBy(steps)
            return
        value = log_step(self.value(), steps)
        self.setValue(min(max(value, self.minimum()), self.maximum()))


class IntField(QSpinBox):
    """A whole-number spin box; ``doubling`` steps through powers of two (batch sizes)."""

    def __init__(self, minimum: int, maximum: int, step: int = 1, *, doubling: bool = False,
                 special_text: str = "", suffix: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._doubling = doubling
        self.setRange(minimum, maximum)
        self.setSingleStep(step)
        if special_text:
            self.setSpecialValueText(special_text)
        if suffix:
            self.setSuffix(suffix)
        _compact(self)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if _wheel_only_when_focused(self, event):
            super().wheelEvent(event)

    def stepBy(self, steps: int) -> None:
        if not self._doubling:
            super().stepBy(steps)
            return
        value = self.value()
        for _ in range(abs(steps)):
            value = value * 2 if steps > 0 else max(1, value // 2)
        self.setValue(min(max(value, self.minimum()), self.maximum()))
