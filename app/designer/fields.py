"""The inspector's input widgets, each with a tooltip saying what it does and its formula.

Choices (activations, initialisers) carry their registry's ``formula`` and ``advice`` as
per-item tooltips, and the combo box's own tooltip follows the current choice.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QDoubleSpinBox, QSpinBox, QWidget

from nncore.activations import ACTIVATIONS
from nncore.initializers import INITIALIZERS

AUTO_ACTIVATION_TIP = ("auto: chosen from the task and the loss — sigmoid for binary "
                       "classification (with BCE), softmax for several classes (with "
                       "cross-entropy), linear for regression (with MSE).")

TIPS = {
    "units": "Units (neurons) in the layer. More units make a more flexible function, "
             "but train slower and overfit more easily.",
    "output_units": "Units of the output layer. auto: as many as the task needs (1 for "
                    "binary classification, one per class, one per regression target).",
    "activation": "The function each unit applies to its weighted sum: a = f(z), "
                  "z = x·W + b.",
    "alpha": "α: the slope for z < 0 of leaky ReLU (default 0.01), or the value −α that "
             "ELU approaches for very negative z (default 1.0).",
    "init": "How the weights W are drawn before training (biases start at 0).",
    "scale": "The constant c (constant), the limit a of U(−a, a) (uniform) or the standard "
             "deviation σ (normal). Leave the default unless you are experimenting.",
    "bias": "Give every unit a learnable bias b: a = f(x·W + b). Without a bias each "
            "unit's boundary must pass through the origin.",
    "l1": "L1 penalty: adds λ₁·Σ|W| to the loss. Pushes weights to exactly zero (sparse "
          "weights). Try 1e-4 … 1e-2; 0 switches it off.",
    "l2": "L2 penalty (weight decay): adds λ₂·ΣW² to the loss. Keeps weights small, "
          "which smooths the decision boundary and fights overfitting. Try 1e-4 … 1e-2.",
    "rate": "Dropout rate p: while training each input is zeroed with probability p and "
            "the others are scaled by 1/(1 − p). At test time nothing is dropped. "
            "0.1 – 0.5 is usual.",
}


def choice_tip(kind: str, name: str) -> str:
    """Formula and advice for an activation or initialiser name (or ``auto``)."""
    if name == "auto":
        return AUTO_ACTIVATION_TIP
    if kind == "activation" and name in ACTIVATIONS:
        cls = ACTIVATIONS[name]
        return f"{name}:  {cls.formula}\n{cls.advice}"
    if kind == "init" and name in INITIALIZERS:
        init = INITIALIZERS[name]
        return f"{name}:  {init.formula}\n{init.advice}"
    return name


class ChoiceBox(QComboBox):
    """A combo box of registry names whose tooltip explains the current choice."""

    def __init__(self, kind: str, names: list[str], intro: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind, self.intro = kind, intro
        self.set_names(names)
        self.currentIndexChanged.connect(lambda _i: self._update_tip())
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)

    def set_names(self, names: list[str]) -> None:
        """Replace the choices (keeping the current one if it is still offered)."""
        current = self.currentText()
        self.blockSignals(True)
        self.clear()
        for i, name in enumerate(names):
            self.addItem(name)
            self.setItemData(i, choice_tip(self.kind, name), Qt.ItemDataRole.ToolTipRole)
        if current in names:
            self.setCurrentText(current)
        self.blockSignals(False)
        self._update_tip()

    def set_value(self, name: str) -> None:
        """Show ``name``, adding it if it is unknown (a file can hold any text)."""
        if self.findText(name) < 0:
            self.addItem(name)
        self.setCurrentText(name)
        self._update_tip()

    def _update_tip(self) -> None:
        self.setToolTip(f"{self.intro}\n\n{choice_tip(self.kind, self.currentText())}")


def activation_box(parent: QWidget, *, auto: bool = False) -> ChoiceBox:
    names = (["auto"] if auto else []) + list(ACTIVATIONS)
    return ChoiceBox("activation", names, TIPS["activation"], parent)


def init_box(parent: QWidget) -> ChoiceBox:
    return ChoiceBox("init", list(INITIALIZERS), TIPS["init"], parent)


def int_box(parent: QWidget, tip: str, low: int, high: int) -> QSpinBox:
    """A whole-number spin box that commits on Enter, focus-out or arrow steps."""
    box = QSpinBox(parent)
    box.setRange(low, high)
    box.setToolTip(tip)
    box.setKeyboardTracking(False)
    box.setAccelerated(True)
    return box


def float_box(parent: QWidget, tip: str, low: float, high: float, step: float,
              decimals: int, *, off_text: str = "", prefix: str = "") -> QDoubleSpinBox:
    """A number spin box; ``off_text`` is shown at the minimum (e.g. ``off`` for 0)."""
    box = QDoubleSpinBox(parent)
    box.setRange(low, high)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setToolTip(tip)
    box.setKeyboardTracking(False)
    box.setPrefix(prefix)
    box.setStepType(QAbstractSpinBox.StepType.DefaultStepType)
    if off_text:
        box.setSpecialValueText(off_text)
    return box


def retain_space(widget: QWidget) -> None:
    """Keep the widget's place in the layout while it is hidden (no jumping rows)."""
    policy = widget.sizePolicy()
    policy.setRetainSizeWhenHidden(True)
    widget.setSizePolicy(policy)


PENALTY_STEPS = (0.0, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0)


class PenaltyBox(QDoubleSpinBox):
    """An L1/L2 strength: arrows step 0 → 1e-5 → 3e-5 → 1e-4 …; typing ``1e-4`` works."""

    def __init__(self, parent: QWidget, tip: str) -> None:
        super().__init__(parent)
        self.setRange(0.0, 10.0)
        self.setDecimals(8)
        self.setToolTip(tip)
        self.setKeyboardTracking(False)
        self.setSpecialValueText("off")

    def stepBy(self, steps: int) -> None:
        value = self.value()
        index = min(range(len(PENALTY_STEPS)), key=lambda i: abs(PENALTY_STEPS[i] - value))
        index = max(0, min(len(PENALTY_STEPS) - 1, index + steps))
        self.setValue(PENALTY_STEPS[index])

    def textFromValue(self, value: float) -> str:
        return f"{value:g}"

    def valueFromText(self, text: str) -> float:
        try:
            return 0.0 if text.strip() == "off" else float(text.strip() or 0)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> object:
        stripped = text.strip()
        if stripped == "off":
            return QValidator.State.Acceptable, text, pos
        if stripped == "" or stripped.endswith(("e", "e-", ".")):
            return QValidator.State.Intermediate, text, pos
        try:
            ok = 0 <= float(stripped) <= self.maximum()
        except ValueError:
            return QValidator.State.Invalid, text, pos
        return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate), text, pos
