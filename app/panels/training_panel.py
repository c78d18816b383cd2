"""The TRAINING panel: loss, optimizer, learning rate, schedule, batch, epochs, seed.

Every control edits ``document.training`` through ``set_training`` (one undo step per
edit; spin-box drags merge under a ``merge_key``) and every control is re-read from the
document on ``training_changed`` / ``project_replaced``, so undo, file open, lessons and
the doctor's fixes all show up here. Settings that need new weights mid-run (loss, seed,
dtype...) are marked ↻ in their tooltips; the controller detects such changes itself.
"""

from __future__ import annotations

import dataclasses
import secrets
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.document import ProjectDocument
from app.widgets.batch_fields import BatchFields
from app.widgets.collapsible import CollapsibleSection
from app.widgets.form_layout import CompactComboBox, compact_form, form_label, panel_title
from app.widgets.learning_rate import LearningRateField
from app.widgets.loss_chooser import LossChooser
from app.widgets.number_fields import IntField, NumberField, format_number
from app.widgets.optimizer_fields import OptimizerFields
from app.widgets.schedule_fields import ScheduleFields
from app.widgets.tooltips import rich_tooltip
from nncore.data import BUILTIN
from nncore.losses import LOSSES
from nncore.optimizers import OPTIMIZERS
from nncore.spec import AUTO, OptimizerSpec, TrainingSpec, resolve_output

ADAPTIVE = ("adam", "adamw", "rmsprop")
SEED_LIMIT = 2**31 - 1

LR_TIP = (
    "Learning rate η: how big a step each update takes along the negative gradient. "
    "Too high: the loss jumps about, grows, or becomes NaN (training diverges). Too low: the "
    "loss falls very slowly and may stall on a plateau. Typical: 0.001–0.01 for Adam, "
    "0.01–0.3 for SGD. The arrows step 0.001 → 0.003 → 0.01; ▾ lists common rates.")


def learning_rate_hint(lr: float, optimizer: str) -> str:
    """A warning for a learning rate outside the usual range ('' when it looks sane)."""
    if lr >= 1:
        return f"⚠ lr = {format_number(lr)} is likely to diverge"
    if optimizer in ADAPTIVE and lr >= 0.1:
        return f"⚠ high for {optimizer}: try 0.001–0.01"
    if lr < 1e-4:
        return "slow: the loss will fall very gradually"
    return ""


class TrainingPanel(QWidget):
    """Training settings of ``document``; ``data_source`` (optional) tells what auto means."""

    def __init__(self, document: ProjectDocument, controller: Any = None,
                 parent: QWidget | None = None, *, data_source: Any = None) -> None:
        super().__init__(parent)
        self.document, self.controller, self.data_source = document, controller, data_source
        self._syncing = False
        self._loading = False  # the data source's splits are stale while it loads
        self._labels: list[tuple[QLabel, QWidget]] = []
        self._build_widgets()
        self._build_advanced()
        self._build_layout()
        self._connect()
        self._sync()

    # -- building ----------------------------------------------------------------------

    def _build_widgets(self) -> None:
        self.loss = LossChooser(self)
        self.optimizer = CompactComboBox(self)
        for name, factory in OPTIMIZERS.items():
            self.optimizer.addItem(name, name)
            self.optimizer.setItemData(self.optimizer.count() - 1, rich_tooltip(
                factory.advice, formula=factory.formula), Qt.ItemDataRole.ToolTipRole)
        self.optimizer_fields = OptimizerFields(self)
        self.learning_rate = LearningRateField(self)
        self.learning_rate.setToolTip(rich_tooltip(LR_TIP, formula="p ← p − η·∂L/∂p"))
        self.learning_rate.spin.setToolTip(self.learning_rate.toolTip())
        self.schedule = ScheduleFields(self)
        self.batch = BatchFields(self)
        self.batch_mode, self.batch_size = self.batch.mode, self.batch.size
        self.epochs = IntField(1, 10_000_000, 100, parent=self)
        self.epochs.setToolTip(rich_tooltip(
            "How many times training goes through the whole training set."))
        self.seed = IntField(0, SEED_LIMIT, parent=self)
        self.seed.setToolTip(rich_tooltip(
            "Seed of the random numbers for the initial weights, shuffling and dropout: the "
            "same seed gives exactly the same run.", needs_reset=True))
        self.new_seed = QToolButton(self)
        self.new_seed.setText("⚄")
        self.new_seed.setToolTip(rich_tooltip("Draw a new random seed: try the same "
                                              "settings from other initial weights.",
                                              needs_reset=True))
        self.early_stopping = IntField(0, 1_000_000, 5, special_text="off", parent=self)
        self.early_stopping.setToolTip(rich_tooltip(
            "Patience: stop when the validation loss has not improved for this many epochs "
            "(off = train for all epochs). Guards against over-fitting."))

    def _build_advanced(self) -> None:
        box = QWidget(self)
        form = compact_form(box)
        self.dtype = CompactComboBox(box)
        self.dtype.addItems(["float32", "float64"])
        self.dtype.setToolTip(rich_tooltip(
            "Precision of the numbers: float32 is twice as fast; float64 is what gradient "
            "checks use and shows whether rounding matters.", needs_reset=True))
        self.huber_delta = NumberField(1e-6, 1e6, log=True, parent=box)
        self.huber_delta.setToolTip(rich_tooltip(
            "Where the Huber loss turns from quadratic to linear (only with the huber loss).",
            formula=LOSSES["huber"].formula, needs_reset=True))
        self.min_delta = NumberField(0.0, 1e6, log=True, parent=box)
        self.min_delta.setToolTip(rich_tooltip(
            "Early stopping counts an epoch as an improvement only if the validation loss "
            "falls by more than this."))
        self.shuffle = QCheckBox("shuffle each epoch", box)
        self.shuffle.setToolTip(rich_tooltip(
            "Visit the training samples in a new random order every epoch (recommended for "
            "mini-batches; off shows why it matters).", needs_reset=True))
        self.restore_best = QCheckBox("restore best weights", box)
        self.restore_best.setToolTip(rich_tooltip(
            "When early stopping ends a run, go back to the weights with the lowest "
            "validation loss."))
        self._add_row(form, "Precision", self.dtype)
        self._add_row(form, "Huber δ", self.huber_delta)
        self._add_row(form, "Min. gain", self.min_delta)
        form.addRow(self.shuffle)
        form.addRow(self.restore_best)
        self.advanced = CollapsibleSection("Advanced", box, parent=self)

    def _build_layout(self) -> None:
        # what a student touches first (optimizer, rate, batch, epochs) comes first, so it
        # stays visible when the left column is short; the rest follows, then Advanced
        self.optimizer_section = CollapsibleSection("Optimizer settings",
                                                    self.optimizer_fields, bold=False,
                                                    parent=self)
        form = compact_form()
        self._add_row(form, "Optimizer", self.optimizer)
        self._add_row(form, "", self.optimizer_section)
        self._add_row(form, "Learn. rate", self.learning_rate)
        self._add_row(form, "Batch", self.batch)
        self.seed.setMaximumWidth(64)
        self._add_row(form, "Epochs", self.epochs, self._row(
            (self.epochs, 3), (QLabel("seed", self), 0), (self.seed, 2), (self.new_seed, 0)))
        self._add_row(form, "Loss", self.loss)
        self._add_row(form, "Schedule", self.schedule.name, self.schedule)
        self._add_row(form, "Early stop", self.early_stopping)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(4)
        layout.addWidget(panel_title("Training", self))
        layout.addLayout(form)
        layout.addWidget(self.advanced)
        layout.addStretch(1)

    def _add_row(self, form: QFormLayout, text: str, widget: QWidget,
                 field: QWidget | QHBoxLayout | None = None) -> None:
        """A form row whose label shows ``widget``'s tooltip (kept in step by ``_sync``)."""
        label = form_label(text)
        self._labels.append((label, widget))
        form.addRow(label, field if field is not None else widget)

    @staticmethod
    def _row(*items: tuple[QWidget, int]) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(4)
        for widget, stretch in items:
            row.addWidget(widget, stretch)
        return row

    def _connect(self) -> None:
        doc = self.document
        doc.training_changed.connect(self._on_document_training_changed)
        doc.network_changed.connect(self._on_document_design_changed)
        doc.data_changed.connect(self._on_document_design_changed)
        doc.project_replaced.connect(self._on_document_project_replaced)
        if self.data_source is not None:
            self.data_source.splits_changed.connect(self._on_data_source_splits_changed)
            self.data_source.loading_changed.connect(self._on_data_source_loading_changed)
        self.loss.currentIndexChanged.connect(self._on_loss_changed)
        self.optimizer.currentIndexChanged.connect(self._on_optimizer_changed)
        self.optimizer_fields.edited.connect(self._on_optimizer_fields_edited)
        self.learning_rate.value_edited.connect(self._on_learning_rate_edited)
        self.schedule.edited.connect(self._on_schedule_edited)
        self.batch.edited.connect(lambda size, text, key: self._edit(
            text, key or None, batch_size=size))
        self.new_seed.clicked.connect(self._on_new_seed_clicked)
        self.dtype.currentTextChanged.connect(
            lambda text: self._edit(f"Train in {text}", None, dtype=text))
        self.shuffle.toggled.connect(lambda on: self._edit(
            "Shuffle each epoch" if on else "Do not shuffle", None, shuffle=on))
        self.restore_best.toggled.connect(lambda on: self._edit(
            f"{'Restore' if on else 'Keep'} best weights", None, restore_best=on))
        for field, name, text, kind in ((self.epochs, "epochs", "epochs", int),
                                        (self.seed, "seed", "seed", int),
                                        (self.early_stopping, "early_stopping", "patience", int),
                                        (self.huber_delta, "huber_delta", "Huber delta", float),
                                        (self.min_delta, "min_delta", "minimum gain", float)):
            field.valueChanged.connect(lambda value, n=name, t=text, k=kind: self._edit(
                f"Set {t} to {format_number(value)}", n, **{n: k(value)}))

    # -- editing -----------------------------------------------------------------------

    def _edit(self, text: str, merge_key: str | None, **changes: Any) -> None:
        """Replace fields of the training spec as one (mergeable) undo step."""
        if self._syncing:
            return
        spec = dataclasses.replace(self.document.training, **changes)
        self.document.set_training(spec, text, merge_key)

    def _on_loss_changed(self, _index: int) -> None:
        name = self.loss.currentData()
        self._edit("Let the task choose the loss" if name == AUTO else f"Use the {name} loss",
                   None, loss=name)

    def _on_optimizer_changed(self, _index: int) -> None:
        old = self.document.training.optimizer
        name = self.optimizer.currentData()
        # a new rule starts from its own defaults; the learning rate and clipping stay
        self._edit(f"Use the {name} optimizer", None,
                   optimizer=OptimizerSpec(name=name, lr=old.lr, clip_norm=old.clip_norm))

    def _on_optimizer_fields_edited(self, spec: OptimizerSpec, text: str, key: str) -> None:
        self._edit(text, key or None, optimizer=spec)

    def _on_learning_rate_edited(self, value: float) -> None:
        optimizer = dataclasses.replace(self.document.training.optimizer, lr=float(value))
        self._edit(f"Set learning rate to {format_number(value)}", "lr", optimizer=optimizer)

    def _on_schedule_edited(self, spec: Any, text: str, key: str) -> None:
        self._edit(text, key or None, schedule=spec)

    def _on_new_seed_clicked(self) -> None:
        seed = secrets.randbelow(SEED_LIMIT)
        self._edit(f"Draw a new seed ({seed})", None, seed=seed)

    # -- following the document ----------------------------------------------------------

    def _on_document_training_changed(self, _spec: TrainingSpec) -> None:
        self._sync()

    def _on_document_design_changed(self, _spec: Any) -> None:
        self._sync_loss_label()

    def _on_document_project_replaced(self) -> None:
        self._sync()

    def _on_data_source_loading_changed(self, loading: bool) -> None:
        self._loading = loading

    def _on_data_source_splits_changed(self, _splits: Any) -> None:
        self._sync_loss_label()
        self.batch.set_train_count(self._n_train(), self.document.training.batch_size)

    def _sync(self) -> None:
        """Show ``document.training`` in every control, emitting no edits."""
        spec = self.document.training
        self._syncing = True
        try:
            self.loss.set_loss(spec.loss)
            self._set_combo(self.optimizer, spec.optimizer.name)
            self.optimizer_fields.set_spec(spec.optimizer)
            self.learning_rate.set_value(spec.optimizer.lr)
            self.learning_rate.set_hint(learning_rate_hint(spec.optimizer.lr,
                                                           spec.optimizer.name))
            self.schedule.set_spec(spec.schedule)
            self.batch.set_batch_size(spec.batch_size)
            self.batch.set_train_count(self._n_train(), spec.batch_size)
            self.epochs.setValue(spec.epochs)
            self.seed.setValue(min(spec.seed, SEED_LIMIT))
            self.early_stopping.setValue(spec.early_stopping)
            self.dtype.setCurrentText(spec.dtype)
            self.huber_delta.setValue(spec.huber_delta)
            self.huber_delta.setEnabled(spec.loss == "huber")
            self.min_delta.setValue(spec.min_delta)
            self.shuffle.setChecked(spec.shuffle)
            self.restore_best.setChecked(spec.restore_best)
        finally:
            self._syncing = False
        self._sync_optimizer_tip(spec.optimizer.name)
        self.optimizer_section.header.setText(self.optimizer_fields.summary())
        self._sync_loss_label()  # also copies the tooltips to the row labels

    @staticmethod
    def _set_combo(combo: QComboBox, data: str) -> None:
        index = combo.findData(data)
        combo.setCurrentIndex(index if index >= 0 else 0)

    def _n_train(self) -> int | None:
        splits = None if self._loading else getattr(self.data_source, "splits", None)
        return None if splits is None else len(splits.x_train)

    def _sync_optimizer_tip(self, name: str) -> None:
        factory = OPTIMIZERS.get(name)
        self.optimizer.setToolTip(rich_tooltip(
            "The rule that turns gradients into weight updates. Switching resets its "
            "settings to the rule's defaults.",
            formula=getattr(factory, "formula", None), advice=getattr(factory, "advice", None)))

    def resolved_loss(self) -> str | None:
        """What ``loss = auto`` means for the current network and data (None: unknown yet)."""
        task = self._task()
        if task is None:
            return None
        training = dataclasses.replace(self.document.training, loss=AUTO)
        try:
            return resolve_output(self.document.network, training, *task).loss
        except Exception:  # an invalid design: the doctor reports it; here just say "auto"
            return None

    def _task(self) -> tuple[str, int, int] | None:
        splits = getattr(self.data_source, "splits", None)
        data = self.document.data
        if splits is not None and not self._loading and \
                getattr(self.data_source, "spec", None) == data:
            info = splits.info
            return info.task, info.n_classes, info.n_targets
        if data.source in BUILTIN:
            task = BUILTIN[data.source].task
            return task, 2 if task == "binary" else 3, 1
        if splits is not None:
            return splits.info.task, splits.info.n_classes, splits.info.n_targets
        return None

    def _sync_loss_label(self) -> None:
        self.loss.set_resolved(self.resolved_loss())
        for label, widget in self._labels:
            label.setToolTip(widget.toolTip())
