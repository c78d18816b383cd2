"""The learning-rate schedule: its rule, the rule's own settings, and warm-up.

Only the settings the chosen rule reads are shown (step: every s epochs × γ; exponential:
γ; cosine: T and η_min). ``gamma`` / ``t_max`` left at None mean the rule's default (0.1
for step, 0.95 for exponential; T = the number of epochs), shown as such.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.widgets.form_layout import CompactComboBox
from app.widgets.number_fields import IntField, NumberField, format_number
from app.widgets.tooltips import rich_tooltip
from nncore.schedules import SCHEDULES
from nncore.spec import ScheduleSpec

GAMMA_DEFAULTS = {"step": 0.1, "exponential": 0.95}
SCHEDULE_PARAMETERS = {"constant": (), "step": ("step_size", "gamma"),
                       "exponential": ("gamma",), "cosine": ("t_max", "min_lr")}
"""Spec fields each rule reads (warm-up applies to all)."""

_TIPS = {
    "step_size": ("Every how many epochs the rate is multiplied by γ.", "η(t) = η₀·γ^⌊t / s⌋"),
    "gamma": ("The factor the rate is multiplied by (each step, or each epoch).", "η ← γ·η"),
    "t_max": ("Length T of the cosine glide in epochs (auto = the number of epochs).",
              "η(t) = η_min + (η₀ − η_min)(1 + cos(πt / T)) / 2"),
    "min_lr": ("The rate the cosine glide ends at.", "η(T) = η_min"),
    "warmup_epochs": ("Start from a rate of 0 and ramp it up linearly over this many epochs "
                      "(0 = no warm-up). Helps big rates and Adam settle at the start.",
                      "η ← η·min(1, progress / warm-up)"),
}
_LABELS = {"step_size": "every", "gamma": "γ", "t_max": "T", "min_lr": "η min",
           "warmup_epochs": "warm-up"}


class ScheduleFields(QWidget):
    """Schedule editor; emits ``edited(ScheduleSpec, text, merge_key)`` on user edits."""

    edited = Signal(object, str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._spec = ScheduleSpec()
        self.name = CompactComboBox(self)
        for name, info in SCHEDULES.items():
            self.name.addItem(name, name)
            self.name.setItemData(self.name.count() - 1,
                                  rich_tooltip(info.advice, formula=info.formula),
                                  Qt.ItemDataRole.ToolTipRole)
        self.name.setToolTip(rich_tooltip(
            "How the learning rate changes over the epochs.",
            formula="\n".join(f"{n}: {i.formula}" for n, i in SCHEDULES.items())))
        self.name.currentIndexChanged.connect(self._on_name_changed)
        self.fields: dict[str, QWidget] = {
            "warmup_epochs": NumberField(0.0, 1e6, 1.0, parent=self),
            "step_size": IntField(1, 10_000_000, 5, suffix=" ep", parent=self),
            "gamma": NumberField(1e-6, 1.0, 0.05, parent=self),
            "t_max": IntField(0, 10_000_000, 50, special_text="auto", parent=self),
            "min_lr": NumberField(0.0, 100.0, log=True, parent=self),
        }
        self.labels: dict[str, QLabel] = {}
        for key, widget in self.fields.items():
            text, formula = _TIPS[key]
            widget.setToolTip(rich_tooltip(text, formula=formula))
            label = QLabel(_LABELS[key], self)
            label.setToolTip(widget.toolTip())
            label.setBuddy(widget)
            self.labels[key] = label
            widget.valueChanged.connect(lambda value, k=key: self._on_field_edited(k, value))
        self._build_layout()
        self.set_spec(self._spec)

    def _build_layout(self) -> None:
        top = QHBoxLayout()
        top.setSpacing(4)
        top.addWidget(self.name, 3)
        top.addWidget(self.labels["warmup_epochs"])
        top.addWidget(self.fields["warmup_epochs"], 2)
        grid = QGridLayout()
        grid.setHorizontalSpacing(4)
        for key, column in (("step_size", 0), ("t_max", 0), ("gamma", 2), ("min_lr", 2)):
            grid.addWidget(self.labels[key], 0, column)
            grid.addWidget(self.fields[key], 0, column + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addLayout(top)
        layout.addLayout(grid)

    def visible_parameters(self) -> tuple[str, ...]:
        """The rule's own settings currently shown."""
        return SCHEDULE_PARAMETERS.get(self._spec.name, ())

    def set_spec(self, spec: ScheduleSpec) -> None:
        """Show ``spec`` (defaults for None) without emitting."""
        self._spec = spec
        values = {"warmup_epochs": spec.warmup_epochs, "step_size": spec.step_size,
                  "gamma": spec.gamma if spec.gamma is not None
                  else GAMMA_DEFAULTS.get(spec.name, 0.1),
                  "t_max": spec.t_max or 0, "min_lr": spec.min_lr}
        for widget in (self.name, *self.fields.values()):
            widget.blockSignals(True)
        self.name.setCurrentIndex(max(0, self.name.findData(spec.name)))
        for key, value in values.items():
            self.fields[key].setValue(value)
        for widget in (self.name, *self.fields.values()):
            widget.blockSignals(False)
        shown = SCHEDULE_PARAMETERS.get(spec.name, ())
        for key in ("step_size", "gamma", "t_max", "min_lr"):
            self.fields[key].setVisible(key in shown)
            self.labels[key].setVisible(key in shown)

    def _on_name_changed(self, _index: int) -> None:
        name = self.name.currentData()
        # gamma's default differs per rule: a new rule starts from its own default
        spec = dataclasses.replace(self._spec, name=name, gamma=None)
        self.edited.emit(spec, f"Use the {name} learning-rate schedule", "")

    def _on_field_edited(self, key: str, value: float) -> None:
        if key == "t_max":
            new_value: float | int | None = int(value) or None
        elif key == "step_size":
            new_value = int(value)
        else:
            new_value = float(value)
        spec = dataclasses.replace(self._spec, **{key: new_value})
        shown = "auto" if new_value is None else format_number(value)
        self.edited.emit(spec, f"Set schedule {key.replace('_', ' ')} to {shown}",
                         f"schedule.{key}")
