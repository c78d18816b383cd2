"""The step inspector: one training step of backprop, number by number (issue 14).

Four columns a student reads left to right: **Forward** (per layer ``x``, ``z = x·W + b``,
``a = f(z)``, then the loss), **Backward** (from the loss back: ``∂L/∂a``, ``f′(z)``,
``δ``, ``∂L/∂W``'s column for the unit in focus, ``∂L/∂b``, ``∂L/∂x``), **Weight in focus**
(its gradient as the chain's factors with numbers, the path back to the loss and the
finite-difference check) and **Update** (the optimizer's intermediates and the new value),
with **Touch the weights** (set, drag, prune, switch units off) and **Bug mode** below it.
Clicking a cell or a link in the drawing focuses a weight; "Step" trains one batch and
everything follows. Numbers come from ``nncore.explain`` through ``InspectorModel``.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.inspector.arrays import ArrayView
from app.inspector.edits import WeightEditor, edited_weights
from app.inspector.model import InspectorModel
from app.inspector.text import (
    bug_html,
    bug_summary_html,
    loss_html,
    update_html,
    weight_html,
)
from nncore.bugs import BUGS
from nncore.explain import MAX_ROWS, LayerStep, StepExplanation, WeightRef

SLIDER_STEPS = 200


def _label(text: str = "", *, rich: bool = True) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    return label


def _scroll(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(widget)
    return area


def _section(title: str, inner: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(4, 2, 4, 4)
    layout.addWidget(inner)
    return box


class StepInspector(QWidget):
    """The inspector's view; ``model`` holds the state, ``editor`` makes the edits."""

    step_requested = Signal()

    def __init__(self, model: InspectorModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.editor = WeightEditor(model)
        self.arrays: dict[tuple[str, str, str], ArrayView] = {}
        self._slider_origin = (0.0, 1.0)
        self._pending_value: float | None = None
        self._drag_timer = QTimer(self)
        self._drag_timer.setSingleShot(True)
        self._drag_timer.setInterval(120)
        self._drag_timer.timeout.connect(self._apply_drag)
        self._build()
        model.changed.connect(self._on_model_changed)

    # -- layout ---------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(2)
        layout.addLayout(self._top_bar())
        self.columns = QSplitter(Qt.Orientation.Horizontal)
        self.forward_area, self.backward_area = QScrollArea(), QScrollArea()
        for area in (self.forward_area, self.backward_area):
            area.setWidgetResizable(True)
            area.setFrameShape(QFrame.Shape.NoFrame)
        self.weight_label = _label()
        self.update_label, self.bug_label = _label(), _label()
        self.columns.addWidget(_section("1 · Forward", self.forward_area))
        self.columns.addWidget(_section("2 · Backward (from the loss)", self.backward_area))
        self.columns.addWidget(_section("3 · Weight in focus", _scroll(self.weight_label)))
        self.columns.addWidget(self._right_column())
        self.columns.setSizes([312, 330, 370, 344])
        layout.addWidget(self.columns, 1)

    def _top_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.rows_edit = QLineEdit("0")
        self.rows_edit.setMaximumWidth(90)
        self.rows_edit.setToolTip(f"Training-set rows of the batch (up to {MAX_ROWS}), e.g. 0,5")
        self.rows_edit.editingFinished.connect(self._on_rows_edited)
        self.step_button = QPushButton("Step ▶ one batch")
        self.step_button.setToolTip("Train one batch, then explain the next step")
        self.step_button.clicked.connect(self.step_requested)
        self.loss_label = _label()
        self.loss_label.setWordWrap(False)
        bar.addWidget(QLabel("Batch rows:"))
        bar.addWidget(self.rows_edit)
        bar.addWidget(self.step_button)
        bar.addWidget(self.loss_label, 1)
        return bar

    def _right_column(self) -> QWidget:
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(_section("4 · Update", _scroll(self.update_label)))
        splitter.addWidget(_section("Touch the weights", self._touch_controls()))
        bug = QWidget()
        bug_layout = QVBoxLayout(bug)
        bug_layout.setContentsMargins(0, 0, 0, 0)
        self.bug_combo = QComboBox()
        self.bug_combo.addItem("no bug: the correct step", None)
        for code, info in BUGS.items():
            self.bug_combo.addItem(info.title, code)
        self.bug_combo.currentIndexChanged.connect(self._on_bug_chosen)
        self.bug_correct, self.bug_buggy = ArrayView("correct"), ArrayView("buggy")
        bug_layout.addWidget(self.bug_combo)
        bug_layout.addWidget(self.bug_label)
        bug_layout.addWidget(self.bug_correct)
        bug_layout.addWidget(self.bug_buggy)
        bug_layout.addStretch(1)
        splitter.addWidget(_section("5 · Bug mode", _scroll(bug)))
        self.right_splitter = splitter
        splitter.setSizes([160, 70, 150])
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        splitter.setStretchFactor(2, 1)
        return splitter

    def _touch_controls(self) -> QWidget:
        box = QWidget()
        grid = QVBoxLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.value_spin = QDoubleSpinBox()
        self.value_spin.setDecimals(4)
        self.value_spin.setRange(-1e6, 1e6)
        self.value_spin.setSingleStep(0.05)
        self.value_spin.setToolTip("Type the weight's new value (undo with Ctrl+Z)")
        self.value_spin.editingFinished.connect(self._on_value_typed)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setToolTip("Drag to change the weight; the loss and the output follow")
        self.slider.sliderMoved.connect(self._on_slider_moved)
        row.addWidget(QLabel("w ="))
        row.addWidget(self.value_spin)
        row.addWidget(self.slider, 1)
        grid.addLayout(row)
        row = QHBoxLayout()
        self.ablate_button = QPushButton("Switch unit off")
        self.ablate_button.setCheckable(True)
        self.ablate_button.setToolTip("Hold the focused weight's source unit at 0 (training "
                                      "too); click again to switch it back on")
        self.ablate_button.clicked.connect(self._on_ablate_clicked)
        self.prune_spin = QDoubleSpinBox()
        self.prune_spin.setDecimals(3)
        self.prune_spin.setRange(0.0, 100.0)
        self.prune_spin.setValue(0.05)
        self.prune_button = QPushButton("Prune |w| <")
        self.prune_button.setToolTip("Set every weight smaller than this to 0")
        self.prune_button.clicked.connect(lambda: self.editor.prune(self.prune_spin.value()))
        row.addWidget(self.ablate_button)
        row.addWidget(self.prune_button)
        row.addWidget(self.prune_spin)
        grid.addLayout(row)
        return box

    # -- showing an explanation ---------------------------------------------------------------

    def _on_model_changed(self, e: StepExplanation | None) -> None:
        self.arrays = {}
        if e is None:
            message = _label(f"<i>{self.model.error or 'Nothing to explain yet.'}</i>")
            self.forward_area.setWidget(message)
            self.backward_area.setWidget(QWidget())
            for label in (self.weight_label, self.update_label, self.bug_label, self.loss_label):
                label.setText("")
            return
        self.rows_edit.setText(",".join(map(str, e.rows)))
        self.loss_label.setText(loss_html(e) + bug_summary_html(e))
        self.forward_area.setWidget(self._forward(e))
        self.backward_area.setWidget(self._backward(e))
        self.weight_label.setText(weight_html(e))
        self.update_label.setText(update_html(e.update))
        self.bug_label.setText(bug_html(e))
        self._show_bug_arrays(e)
        self._show_touch(e)

    def _column(self) -> tuple[QWidget, QVBoxLayout]:
        widget = QWidget()
        layout = QVBoxLayout(widget)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        return widget, layout

    def _array(self, layout: QVBoxLayout, section: str, record: LayerStep, quantity: str,
               values, focus: int | None, on_click, cell_name=None) -> None:
        view = ArrayView(quantity, cell_name=cell_name)
        ablated = self.model.explanation.ablated.get(record.id, ()) if quantity in ("a", "z") \
            else ()
        view.set_values(values, focus, ablated)
        view.wrong = self._is_wrong(section, record.id, quantity)
        if view.wrong:
            view.setToolTip("bug mode: these numbers differ from the correct step")
        view.cell_clicked.connect(on_click)
        self.arrays[(section, record.id, quantity)] = view
        layout.addWidget(view)

    def _is_wrong(self, section: str, layer_id: str, quantity: str) -> bool:
        """True if bug mode found this array different from the correct step's."""
        bug = self.model.explanation.bug
        if bug is None:
            return False
        quantity = "a" if quantity == "p" else quantity
        return any((d.stage, d.layer, d.quantity) == (section, layer_id, quantity)
                   for d in bug.differences)

    def _forward(self, e: StepExplanation) -> QWidget:
        widget, layout = self._column()
        ref = e.weight
        for record in e.layers:
            focus_col = ref.col if record.id == ref.layer else None
            focus_row = ref.row if record.id == ref.layer else None
            layout.addWidget(_label(f"<b>{record.id}</b> · {record.activation or record.kind}"
                                    f" &nbsp;<span style='color:#555'>"
                                    f"{record.forward_formula}</span>"))
            self._array(layout, "forward", record, "x", record.x, focus_row,
                        partial(self._focus_row, record.id))
            if record.kind == "dense":
                self._array(layout, "forward", record, "z", record.z, focus_col,
                            partial(self._focus_col, record.id))
            self._array(layout, "forward", record, "p" if record is e.layers[-1] and
                        e.loss.fused else "a", record.a, focus_col,
                        partial(self._focus_col, record.id))
        layout.addWidget(_label(loss_html(e)))
        self._array(layout, "forward", e.layers[-1], "y", e.target, None, lambda *_: None)
        layout.addStretch(1)
        return widget

    def _backward(self, e: StepExplanation) -> QWidget:
        widget, layout = self._column()
        ref = e.weight
        for record in reversed(e.layers):
            here = record.id == ref.layer
            col = ref.col if here else None
            header = _label(f"<b>{record.id}</b> &nbsp;<span style='color:#555'>"
                            f"{record.backward_formula}</span>")
            header.setToolTip(record.note)
            layout.addWidget(header)
            click = partial(self._focus_col, record.id)
            for quantity, values in (("∂L/∂a", record.grad_a), ("f′(z)", record.fprime),
                                     ("δ", record.delta)):
                if values is not None:
                    self._array(layout, "backward", record, quantity, values, col, click)
            if record.grad_W is not None:
                c = ref.col if here else 0
                self._array(layout, "backward", record, "∂L/∂W", record.grad_W[:, c],
                            ref.row if here else None,
                            lambda _r, u, lid=record.id, c=c: self.model.focus(
                                WeightRef(lid, u, c)),
                            cell_name=lambda _r, u, c=c: f"∂L/∂W[{u}, {c}] (click: focus it)")
                self._array(layout, "backward", record, "∂L/∂b", record.grad_b, col, click)
            if record is not e.layers[0] and record.grad_x is not None:
                self._array(layout, "backward", record, "∂L/∂x", record.grad_x, None,
                            lambda *_: None)
        layout.addStretch(1)
        return widget

    def _show_bug_arrays(self, e: StepExplanation) -> None:
        first = e.bug.first if e.bug is not None else None
        for view, values in ((self.bug_correct, None if first is None else first.correct),
                             (self.bug_buggy, None if first is None else first.buggy)):
            view.set_values(values)
            view.setVisible(first is not None)

    def _show_touch(self, e: StepExplanation) -> None:
        w = e.weight
        self.value_spin.blockSignals(True)
        self.value_spin.setValue(w.value)
        self.value_spin.blockSignals(False)
        if not self.slider.isSliderDown():
            span = max(0.5, 2 * abs(w.value))
            self._slider_origin = (w.value - span, 2 * span)
            self.slider.blockSignals(True)
            self.slider.setValue(SLIDER_STEPS // 2)
            self.slider.blockSignals(False)
        source = self._source_layer(e)
        self.ablate_button.setEnabled(source is not None)
        off = source is not None and w.row in e.ablated.get(source, ())
        self.ablate_button.setChecked(off)
        self.ablate_button.setText(f"Switch {source or 'input'} unit {w.row} "
                                   f"{'on' if off else 'off'}")

    def _source_layer(self, e: StepExplanation) -> str | None:
        """The hidden Dense layer feeding the focused weight (None: the input)."""
        source = e.weight.source
        return None if source == "input" else source

    # -- user actions ---------------------------------------------------------------------------

    def _focus_col(self, layer_id: str, _row: int, unit: int) -> None:
        ref = self.model.weight
        row = ref.row if ref is not None and ref.layer == layer_id else 0
        self._focus_if_dense(layer_id, row, unit)

    def _focus_row(self, layer_id: str, _row: int, unit: int) -> None:
        ref = self.model.weight
        col = ref.col if ref is not None and ref.layer == layer_id else 0
        self._focus_if_dense(layer_id, unit, col)

    def _focus_if_dense(self, layer_id: str, row: int, col: int) -> None:
        e = self.model.explanation
        if e is not None and e.layer(layer_id).kind == "dense":
            self.model.focus(WeightRef(layer_id, row, col))

    def _on_bug_chosen(self, _index: int) -> None:
        bug = self.bug_combo.currentData()
        total = sum(self.right_splitter.sizes())
        self.right_splitter.setSizes([total // 4, 70, total - total // 4 - 70] if bug else
                                     [total // 2, 70, total - total // 2 - 70])
        self.model.set_bug(bug)

    def _on_rows_edited(self) -> None:
        try:
            rows = tuple(int(v) for v in self.rows_edit.text().replace(" ", "").split(",") if v)
        except ValueError:
            self.model.error = "rows are whole numbers separated by commas, e.g. 0,5"
            self._on_model_changed(None)
            return
        if rows != self.model.rows:
            self.model.set_rows(rows)

    def _on_value_typed(self) -> None:
        e = self.model.explanation
        if e is not None and self.value_spin.value() != e.weight.value:
            self.editor.set_weight(self.model.weight, self.value_spin.value())

    def _on_slider_moved(self, position: int) -> None:
        low, span = self._slider_origin
        self._pending_value = low + span * position / SLIDER_STEPS
        self._drag_timer.start()

    def _apply_drag(self) -> None:
        if self._pending_value is not None and self.model.weight is not None:
            self.editor.set_weight(self.model.weight, self._pending_value, merge=True)
            self._pending_value = None

    def _on_ablate_clicked(self, checked: bool) -> None:
        e = self.model.explanation
        source = None if e is None else self._source_layer(e)
        if source is not None:
            self.editor.set_ablated(source, e.weight.row, checked)

    def edited(self) -> list:
        """The hand-edited weights of the open project (for the drawing's marks)."""
        return edited_weights(self.model.document)
