"""The inspector: every setting of the selected layer, each edit one undo step.

It reads the document (on ``network_changed``, ``selection_changed`` and
``project_replaced``) and writes only through ``document.set_network``; while it fills
its widgets from the spec, edits are ignored, so reading never loops back into writing.
Spin boxes pass a merge key, so dragging or holding an arrow is a single undo step.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.designer.fields import (
    TIPS,
    PenaltyBox,
    activation_box,
    float_box,
    init_box,
    int_box,
    retain_space,
)
from nncore.activations import ACTIVATIONS
from nncore.initializers import INITIALIZERS
from nncore.spec import ActivationSpec, DenseSpec, DropoutSpec

ALPHA_ACTIVATIONS = ("leaky_relu", "elu")
SCALED_INITS = ("constant", "uniform", "normal")
EMPTY_HINT = ("Click a layer in the drawing to edit it here.  Drag a layer from the "
              "palette between two layers to add it;  Del removes the selected layer, "
              "Ctrl+D duplicates it, right-click for more.")


class InspectorPanel(QWidget):
    """Settings of the layer selected in the designer."""

    duplicate_requested = Signal(str)
    remove_requested = Signal(str)

    def __init__(self, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._reading = False
        self._output_hint = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(self._build_header())
        self.pages = QStackedWidget(self)
        layout.addWidget(self.pages)
        self.empty_page = self._build_empty()
        self.dense_page = self._build_dense()
        self.dropout_page = self._build_dropout()
        self.activation_page = self._build_activation()
        for page in (self.empty_page, self.dense_page, self.dropout_page,
                     self.activation_page):
            self.pages.addWidget(page)
        document.network_changed.connect(lambda _spec: self.refresh())
        document.selection_changed.connect(lambda _id: self.refresh())
        document.project_replaced.connect(self.refresh)
        self.refresh()

    # -- building ------------------------------------------------------------------------

    def _build_header(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.title = QLabel(self)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.hint = QLabel(self)
        self.hint.setEnabled(False)
        # a long hint is clipped rather than widening the whole centre column
        self.hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.duplicate_button = QToolButton(self)
        self.duplicate_button.setText("Duplicate")
        self.duplicate_button.setToolTip("Insert a copy of this layer right after it (Ctrl+D)")
        self.remove_button = QToolButton(self)
        self.remove_button.setText("Remove")
        self.remove_button.setToolTip("Take this layer out of the network (Del)")
        self.duplicate_button.clicked.connect(
            lambda: self.layer_id and self.duplicate_requested.emit(self.layer_id))
        self.remove_button.clicked.connect(
            lambda: self.layer_id and self.remove_requested.emit(self.layer_id))
        for widget in (self.title, self.hint):
            row.addWidget(widget)
        row.addStretch(1)
        row.addWidget(self.duplicate_button)
        row.addWidget(self.remove_button)
        return row

    def _build_empty(self) -> QWidget:
        label = QLabel(EMPTY_HINT)
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        label.setEnabled(False)
        return label

    @staticmethod
    def _grid(page: QWidget) -> QGridLayout:
        grid = QGridLayout(page)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        grid.setColumnStretch(7, 1)
        return grid

    @staticmethod
    def _label(grid: QGridLayout, row: int, col: int, text: str, buddy: QWidget) -> None:
        label = QLabel(text)
        label.setBuddy(buddy)
        label.setToolTip(buddy.toolTip())
        grid.addWidget(label, row, col, Qt.AlignmentFlag.AlignRight)

    def _build_dense(self) -> QWidget:
        page = QWidget()
        grid = self._grid(page)
        self.units = int_box(page, TIPS["units"], 1, 65536)
        self.activation = activation_box(page)
        self.alpha = float_box(page, TIPS["alpha"], 0.0, 10.0, 0.01, 3, prefix="α = ")
        self.init = init_box(page)
        self.scale = float_box(page, TIPS["scale"], -10.0, 10.0, 0.01, 4, prefix="scale ")
        self.bias = QCheckBox("bias", page)
        self.bias.setToolTip(TIPS["bias"])
        self.l1, self.l2 = PenaltyBox(page, TIPS["l1"]), PenaltyBox(page, TIPS["l2"])
        for widget in (self.alpha, self.scale):
            retain_space(widget)
        # two rows: what shapes the function | what shapes training
        self._label(grid, 0, 0, "&Units", self.units)
        grid.addWidget(self.units, 0, 1)
        self._label(grid, 0, 2, "&Activation", self.activation)
        grid.addWidget(self.activation, 0, 3)
        grid.addWidget(self.alpha, 0, 4)
        grid.addWidget(self.bias, 0, 6)
        self._label(grid, 1, 0, "L&2", self.l2)
        grid.addWidget(self.l2, 1, 1)
        self._label(grid, 1, 2, "&Initialiser", self.init)
        grid.addWidget(self.init, 1, 3)
        grid.addWidget(self.scale, 1, 4)
        self._label(grid, 1, 5, "L&1", self.l1)
        grid.addWidget(self.l1, 1, 6)
        self.units.valueChanged.connect(self._on_units_changed)
        self.activation.currentTextChanged.connect(self._on_activation_changed)
        self.alpha.valueChanged.connect(lambda v: self._edit_number("activation_alpha", v))
        self.init.currentTextChanged.connect(self._on_init_changed)
        self.scale.valueChanged.connect(lambda v: self._edit_number("init_scale", v))
        self.bias.toggled.connect(self._on_bias_toggled)
        self.l1.valueChanged.connect(lambda v: self._edit_number("l1", v))
        self.l2.valueChanged.connect(lambda v: self._edit_number("l2", v))
        return page

    def _build_dropout(self) -> QWidget:
        page = QWidget()
        grid = self._grid(page)
        self.rate = float_box(page, TIPS["rate"], 0.0, 0.95, 0.05, 2)
        self._label(grid, 0, 0, "&Rate p", self.rate)
        grid.addWidget(self.rate, 0, 1)
        self.rate.valueChanged.connect(lambda v: self._edit_number("rate", v))
        return page

    def _build_activation(self) -> QWidget:
        page = QWidget()
        grid = self._grid(page)
        self.layer_activation = activation_box(page)
        self.layer_alpha = float_box(page, TIPS["alpha"], 0.0, 10.0, 0.01, 3, prefix="α = ")
        retain_space(self.layer_alpha)
        self._label(grid, 0, 0, "&Function", self.layer_activation)
        grid.addWidget(self.layer_activation, 0, 1)
        grid.addWidget(self.layer_alpha, 0, 2)
        self.layer_activation.currentTextChanged.connect(self._on_activation_changed)
        self.layer_alpha.valueChanged.connect(lambda v: self._edit_number("activation_alpha", v))
        return page

    # -- reading -------------------------------------------------------------------------

    @property
    def layer_id(self) -> str | None:
        """The layer being edited (the document's selection, if it still exists)."""
        selected = self.document.selected_layer
        ids = {layer.id for layer in self.document.network.layers}
        return selected if selected in ids else None

    def set_output_hint(self, text: str) -> None:
        """What ``auto`` resolves to for the output layer, e.g. ``auto → sigmoid · 1 unit``."""
        self._output_hint = text
        self.refresh()

    def refresh(self) -> None:
        """Fill the widgets from the selected layer's spec (edits are ignored meanwhile)."""
        self._reading = True
        try:
            self._read()
        finally:
            self._reading = False

    def _read(self) -> None:
        layer_id, network = self.layer_id, self.document.network
        layer = network.layer(layer_id) if layer_id else None
        is_output = layer is not None and network.layers[-1].id == layer_id
        self.duplicate_button.setVisible(layer is not None)
        self.remove_button.setVisible(layer is not None)
        self.duplicate_button.setEnabled(not is_output)
        self.remove_button.setEnabled(not is_output)
        self.hint.setText(self._output_hint if is_output else "")
        if layer is None:
            self.title.setText("Inspector")
            self.pages.setCurrentWidget(self.empty_page)
        elif isinstance(layer, DenseSpec):
            role = "output layer" if is_output else "Dense layer"
            self.title.setText(f"{layer.id} · {role}")
            self._read_dense(layer, is_output)
            self.pages.setCurrentWidget(self.dense_page)
        elif isinstance(layer, DropoutSpec):
            self.title.setText(f"{layer.id} · Dropout layer")
            self.rate.setValue(layer.rate)
            self.pages.setCurrentWidget(self.dropout_page)
        elif isinstance(layer, ActivationSpec):
            self.title.setText(f"{layer.id} · Activation layer")
            self.layer_activation.set_value(layer.activation)
            self._read_alpha(self.layer_alpha, layer.activation, layer.activation_alpha)
            self.pages.setCurrentWidget(self.activation_page)

    def _read_dense(self, layer: DenseSpec, is_output: bool) -> None:
        self.units.setMinimum(0 if is_output else 1)
        self.units.setSpecialValueText("auto" if is_output else "")
        self.units.setToolTip(TIPS["output_units" if is_output else "units"])
        self.units.setValue(layer.units if layer.units is not None else 0)
        self.activation.set_names((["auto"] if is_output else []) + list(ACTIVATIONS))
        self.activation.set_value(layer.activation)
        self._read_alpha(self.alpha, layer.activation, layer.activation_alpha)
        self.init.set_value(layer.init)
        default = INITIALIZERS[layer.init].default_scale if layer.init in INITIALIZERS \
            else None
        self.scale.setVisible(layer.init in SCALED_INITS)
        self.scale.setValue(layer.init_scale if layer.init_scale is not None else
                            default or 0.0)
        self.bias.setChecked(layer.bias)
        self.l1.setValue(layer.l1)
        self.l2.setValue(layer.l2)

    @staticmethod
    def _read_alpha(box, activation: str, alpha: float | None) -> None:
        box.setVisible(activation in ALPHA_ACTIVATIONS)
        default = ACTIVATIONS[activation].default_alpha if activation in ACTIVATIONS else None
        box.setValue(alpha if alpha is not None else default or 0.0)

    # -- writing -------------------------------------------------------------------------

    def _edit(self, text: str, merge_key: str | None = None, **changes) -> None:
        layer_id = self.layer_id
        if self._reading or layer_id is None:
            return
        network = self.document.network
        self.document.set_network(network.replace_layer(layer_id, **changes), text,
                                  f"{layer_id}.{merge_key}" if merge_key else None)

    def _edit_number(self, field: str, value: float) -> None:
        names = {"activation_alpha": "α", "init_scale": "init scale", "l1": "L1", "l2": "L2",
                 "rate": "dropout rate"}
        self._edit(f"Set {self.layer_id} {names[field]} to {value:g}", field,
                   **{field: float(value)})

    def _on_units_changed(self, value: int) -> None:
        units = None if value == 0 else int(value)
        self._edit(f"Set {self.layer_id} units to {units or 'auto'}", "units", units=units)

    def _on_activation_changed(self, name: str) -> None:
        # α means different things for leaky ReLU and ELU: start from the new default
        self._edit(f"Set {self.layer_id} activation to {name}", activation=name,
                   activation_alpha=None)

    def _on_init_changed(self, name: str) -> None:
        self._edit(f"Set {self.layer_id} initialiser to {name}", init=name, init_scale=None)

    def _on_bias_toggled(self, on: bool) -> None:
        self._edit(f"Turn {self.layer_id} bias {'on' if on else 'off'}", bias=bool(on))
