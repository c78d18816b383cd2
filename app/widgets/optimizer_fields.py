"""The hyper-parameters of the chosen optimizer, and only those.

Adam shows β₁, β₂, ε and weight decay; SGD shows momentum and Nesterov; RMSprop shows α,
momentum and "centred". Which ones appear comes from ``OPTIMIZERS[name].hyperparameters``
(PyTorch's defaults), so the GUI and the engine agree. ``None`` spec fields mean "the
rule's default" and show that default. Gradient clipping (off or a norm) is always shown.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QGridLayout, QLabel, QWidget

from app.widgets.number_fields import NumberField, format_number
from app.widgets.tooltips import rich_tooltip
from nncore.optimizers import OPTIMIZERS
from nncore.spec import OptimizerSpec


@dataclass(frozen=True)
class HyperField:
    """How one OptimizerSpec field is edited: label, range, step and explanation."""

    name: str
    label: str
    text: str
    formula: str = ""
    minimum: float = 0.0
    maximum: float = 1.0
    step: float = 0.01
    log: bool = False
    special: str = ""
    kind: str = "float"  # "float" | "bool"


HYPER_FIELDS = (
    HyperField("momentum", "μ", "Momentum: how much of the previous step is kept, so updates "
               "roll through ravines and plateaus (0 = none, 0.9 is usual).",
               "b ← μ·b + g;  p ← p − η·b", 0.0, 0.999, 0.05),
    HyperField("nesterov", "Nesterov", "Nesterov momentum: take the gradient step from where "
               "momentum is about to carry the weights (needs μ > 0).",
               "p ← p − η·(g + μ·b)", kind="bool"),
    HyperField("beta1", "β₁", "Decay of the running mean of gradients (Adam's momentum).",
               "m ← β₁·m + (1 − β₁)·g", 0.0, 0.9999, 0.01),
    HyperField("beta2", "β₂", "Decay of the running mean of squared gradients (how long Adam "
               "remembers each weight's gradient size).", "v ← β₂·v + (1 − β₂)·g²",
               0.0, 0.99999, 0.001),
    HyperField("alpha", "α", "RMSprop's smoothing constant for the running mean of squared "
               "gradients.", "v ← α·v + (1 − α)·g²", 0.0, 0.9999, 0.01),
    HyperField("centered", "centred", "Centred RMSprop: divide by the gradient's variance "
               "instead of its raw second moment (steadier, a little slower).",
               "d = √(v − m²) + ε", kind="bool"),
    HyperField("eps", "ε", "A tiny number added to the denominator so it is never zero.",
               "p ← p − η·g / (√v + ε)", 1e-12, 1.0, log=True),
    HyperField("weight_decay", "decay", "Weight decay λ: pulls every weight towards zero "
               "each step, a simple regulariser (0 = off).", "g ← g + λ·p", 0.0, 1.0,
               log=True, special="0"),
    HyperField("clip_norm", "clip", "Gradient clipping: if the gradient's overall length "
               "exceeds this norm, shrink it to that length before the step (off = never). "
               "Tames exploding gradients.", "g ← g · min(1, c / ‖g‖)", 0.0, 1000.0,
               log=True, special="off"),
)


def shown_fields(name: str) -> tuple[str, ...]:
    """Names of the spec fields that optimizer ``name`` uses, in display order."""
    hyper = OPTIMIZERS[name].hyperparameters
    shown = [f.name for f in HYPER_FIELDS if f.name in hyper]
    if hyper.get("nesterov") is True:  # the "nesterov" preset: always on, nothing to choose
        shown.remove("nesterov")
    return (*shown, "clip_norm")


def effective_value(spec: OptimizerSpec, name: str) -> float | bool:
    """The value the engine will use: the spec's, or the rule's default when it is None."""
    value = getattr(spec, name)
    if name == "clip_norm":
        return value or 0.0
    default = OPTIMIZERS[spec.name].hyperparameters.get(name)
    if name in ("nesterov", "centered"):
        return bool(value or default)
    if value is None:
        return 0.0 if default is None else default  # None: a field this rule does not use
    return value


class OptimizerFields(QWidget):
    """Hyper-parameter editors for one optimizer; emits ``edited(spec, text, merge_key)``."""

    edited = Signal(object, str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fields: dict[str, QWidget] = {}
        self.labels: dict[str, QLabel] = {}
        self._spec = OptimizerSpec()
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(4)
        self._grid.setVerticalSpacing(3)
        for field in HYPER_FIELDS:
            self._build_field(field)
        self._grid.setColumnStretch(1, 1)
        self._grid.setColumnStretch(3, 1)
        self._arrange(shown_fields(self._spec.name))

    def _build_field(self, field: HyperField) -> None:
        tip = rich_tooltip(field.text, formula=field.formula)
        if field.kind == "bool":
            widget: QWidget = QCheckBox(field.label, self)
            widget.toggled.connect(lambda value, f=field: self._on_field_edited(f, bool(value)))
        else:
            widget = NumberField(field.minimum, field.maximum, field.step, log=field.log,
                                 special_text=field.special, parent=self)
            widget.valueChanged.connect(lambda value, f=field: self._on_field_edited(f, value))
            label = QLabel(field.label, self)
            label.setToolTip(tip)
            label.setBuddy(widget)
            self.labels[field.name] = label
        widget.setToolTip(tip)
        self.fields[field.name] = widget

    def _arrange(self, names: tuple[str, ...]) -> None:
        """Lay the shown fields out two per row; hide the rest."""
        for widget in [*self.fields.values(), *self.labels.values()]:
            self._grid.removeWidget(widget)
            widget.hide()
        for i, name in enumerate(names):
            row, column = divmod(i, 2)
            widget, label = self.fields[name], self.labels.get(name)
            if label is None:
                self._grid.addWidget(widget, row, 2 * column, 1, 2)
            else:
                self._grid.addWidget(label, row, 2 * column)
                self._grid.addWidget(widget, row, 2 * column + 1)
                label.show()
            widget.show()

    def visible_fields(self) -> tuple[str, ...]:
        """Names of the fields currently offered (for tests and the panel)."""
        return shown_fields(self._spec.name)

    def set_spec(self, spec: OptimizerSpec) -> None:
        """Show ``spec``'s values (effective defaults for None) without emitting."""
        if spec.name != self._spec.name:
            self._arrange(shown_fields(spec.name))
        self._spec = spec
        for name, widget in self.fields.items():
            value = effective_value(spec, name)
            blocked = widget.blockSignals(True)
            if isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            else:
                widget.setValue(float(value))
            widget.blockSignals(blocked)

    def summary(self) -> str:
        """'adam settings', plus the values that differ from the rule's defaults."""
        spec, defaults = self._spec, OPTIMIZERS[self._spec.name].hyperparameters
        changed = []
        for field in HYPER_FIELDS:
            if field.name not in shown_fields(spec.name):
                continue
            value = effective_value(spec, field.name)
            default = 0.0 if field.name == "clip_norm" else defaults.get(field.name)
            if value != default:
                text = field.label if field.kind == "bool" else \
                    f"{field.label} {format_number(value)}"
                changed.append(text)
        return f"{spec.name} settings" + (f": {', '.join(changed)}" if changed else "")

    def _on_field_edited(self, field: HyperField, value: float | bool) -> None:
        if field.kind == "bool":
            new_value: float | bool | None = bool(value)
            text = f"{'Use' if value else 'Do not use'} {field.label}"
        elif field.name == "clip_norm" and value == 0:
            new_value, text = None, "Switch gradient clipping off"
        else:
            new_value = float(value)
            text = f"Set {field.name.replace('_', ' ')} to {format_number(value)}"
        spec = dataclasses.replace(self._spec, **{field.name: new_value})
        self.edited.emit(spec, text, f"optimizer.{field.name}")
