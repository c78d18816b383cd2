"""A form generated from an options schema (``nncore.data`` ``OptionInfo`` records).

Each built-in data set declares its options (name, kind int/float/bool, default, range,
help); this widget turns any such schema into labelled fields, laid out in a grid of
``columns`` label/field pairs so three options take two short rows. It holds no state of
its own: ``set_values`` shows values, ``option_edited`` reports a user's change.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QGridLayout, QLabel, QWidget

from app.widgets.form_layout import LABEL_WIDTH
from app.widgets.number_fields import IntField, NumberField
from app.widgets.tooltips import rich_tooltip

OPTION_LABELS = {"n": "samples", "noise": "noise", "turns": "turns", "k": "classes",
                 "cells": "cells"}
"""Short labels for well-known option names (others show their own name)."""


class OptionLike(Protocol):
    """What the form needs of an option description."""

    name: str
    kind: str
    default: Any
    minimum: float | None
    maximum: float | None
    help: str


def _float_step(option: OptionLike) -> float:
    low = option.minimum if option.minimum is not None else 0.0
    high = option.maximum if option.maximum is not None else low + 10.0
    span = max(high - low, 1e-9)
    return 10.0 ** (round(math.log10(span)) - 2)  # a hundredth of the range, rounded


def _int_step(option: OptionLike) -> int:
    default = max(int(option.default), 1)
    return max(1, 10 ** math.floor(math.log10(default)) // 10)


def option_field(option: OptionLike, parent: QWidget | None = None) -> QWidget:
    """The editor that suits ``option.kind``, with its range, default and help tooltip."""
    if option.kind == "bool":
        widget: QWidget = QCheckBox(parent)
    elif option.kind == "int":
        widget = IntField(int(option.minimum if option.minimum is not None else -2**31 + 1),
                          int(option.maximum if option.maximum is not None else 2**31 - 1),
                          _int_step(option), parent=parent)
    else:
        widget = NumberField(option.minimum if option.minimum is not None else -1e12,
                             option.maximum if option.maximum is not None else 1e12,
                             _float_step(option), parent=parent)
    limits = ""
    if option.kind != "bool" and option.minimum is not None and option.maximum is not None:
        limits = f"From {option.minimum:g} to {option.maximum:g}; default {option.default:g}."
    widget.setToolTip(rich_tooltip(option.help.capitalize() + ".", extra=limits or None))
    return widget


class OptionForm(QWidget):
    """Fields for a schema; emits ``option_edited(name, value)`` on user edits."""

    option_edited = Signal(str, object)

    def __init__(self, columns: int = 2, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.columns = columns
        self.fields: dict[str, QWidget] = {}
        self.labels: dict[str, QLabel] = {}
        self._schema: tuple[OptionLike, ...] = ()
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(6)
        self._grid.setVerticalSpacing(3)

    @property
    def schema(self) -> tuple[OptionLike, ...]:
        """The options currently shown."""
        return self._schema

    def set_schema(self, schema: Sequence[OptionLike]) -> None:
        """Rebuild the fields for ``schema`` (no-op when it is unchanged)."""
        schema = tuple(schema)
        if schema == self._schema:
            return
        for widget in [*self.fields.values(), *self.labels.values()]:
            self._grid.removeWidget(widget)
            widget.deleteLater()
        self.fields, self.labels, self._schema = {}, {}, schema
        for i, option in enumerate(schema):
            self._add(i, option)
        for column in range(self.columns):
            self._grid.setColumnStretch(2 * column + 1, 1)
        self.setVisible(bool(schema))

    def _add(self, index: int, option: OptionLike) -> None:
        field = option_field(option, self)
        label = QLabel(OPTION_LABELS.get(option.name, option.name.replace("_", " ")), self)
        label.setToolTip(field.toolTip())
        label.setBuddy(field)
        row, column = divmod(index, self.columns)
        if column == 0:  # line up with the panels' form labels
            label.setFixedWidth(LABEL_WIDTH)
        self._grid.addWidget(label, row, 2 * column)
        self._grid.addWidget(field, row, 2 * column + 1)
        if isinstance(field, QCheckBox):
            field.toggled.connect(lambda value, name=option.name: self._emit(name, bool(value)))
        elif isinstance(field, IntField):
            field.valueChanged.connect(lambda value, name=option.name: self._emit(name, int(value)))
        else:
            field.valueChanged.connect(
                lambda value, name=option.name: self._emit(name, float(value)))
        self.fields[option.name], self.labels[option.name] = field, label

    def _emit(self, name: str, value: Any) -> None:
        self.option_edited.emit(name, value)

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Show ``values`` (missing ones: the schema default) without emitting."""
        for option in self._schema:
            field = self.fields[option.name]
            value = values.get(option.name, option.default)
            blocked = field.blockSignals(True)
            if isinstance(field, QCheckBox):
                field.setChecked(bool(value))
            else:
                field.setValue(value)
            field.blockSignals(blocked)

    def values(self) -> dict[str, Any]:
        """The values shown, by option name."""
        return {name: (field.isChecked() if isinstance(field, QCheckBox) else field.value())
                for name, field in self.fields.items()}
