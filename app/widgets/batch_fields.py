"""Batch mode and size: full batch, mini-batches of B samples, or stochastic (one).

``TrainingSpec.batch_size`` is None for full batch, 1 for stochastic and B otherwise; the
mode combo and the size box are two views of that one field. The size steps by doubling
(16, 32, 64...). Switching back to mini-batch restores the last size used.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QWidget

from app.widgets.form_layout import CompactComboBox
from app.widgets.number_fields import IntField
from app.widgets.tooltips import rich_tooltip

BATCH_MODES = (("full batch", "full"), ("mini-batch", "mini"), ("stochastic (1)", "single"))
BATCH_TEXT = ("How many samples each weight update averages its gradient over. Full batch: "
              "all of them (smooth but few updates); mini-batch: a handful (noisy but many "
              "updates, the usual choice); stochastic: one sample per update (very noisy).")


class BatchFields(QWidget):
    """Mode combo + size box; emits ``edited(batch_size or None, text, merge_key)``."""

    edited = Signal(object, str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._last_size = 32
        self.mode = CompactComboBox(self)
        for text, mode in BATCH_MODES:
            self.mode.addItem(text, mode)
        self.size = IntField(2, 10_000_000, doubling=True, parent=self)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(self.mode, 3)
        row.addWidget(self.size, 2)
        self.mode.currentIndexChanged.connect(self._on_mode_changed)
        self.size.valueChanged.connect(self._on_size_edited)
        self.set_train_count(None, 32)

    def set_batch_size(self, size: int | None) -> None:
        """Show ``size`` (None: full batch, 1: stochastic) without emitting."""
        mode = "full" if size is None else "single" if size == 1 else "mini"
        for widget in (self.mode, self.size):
            widget.blockSignals(True)
        self.mode.setCurrentIndex(self.mode.findData(mode))
        if mode == "mini":
            self._last_size = size
            self.size.setValue(size)
        for widget in (self.mode, self.size):
            widget.blockSignals(False)
        self.size.setVisible(mode == "mini")

    def set_train_count(self, n_train: int | None, size: int | None) -> None:
        """Tell in the tooltip how many updates an epoch makes with ``n_train`` samples."""
        steps = None
        if n_train:
            per_epoch = 1 if size is None else -(-n_train // size)
            steps = f"With {n_train} training samples: {per_epoch} update(s) per epoch."
        tip = rich_tooltip(BATCH_TEXT, formula="g = (1/B) Σ_{i in batch} ∂Lᵢ/∂p", extra=steps)
        for widget in (self, self.mode, self.size):
            widget.setToolTip(tip)

    def _on_mode_changed(self, _index: int) -> None:
        mode = self.mode.currentData()
        size = {"full": None, "single": 1}.get(mode, self._last_size)
        text = {"full": "Train on the full batch",
                "single": "Train on one sample at a time"}.get(mode, f"Use mini-batches of {size}")
        self.size.setVisible(mode == "mini")
        self.edited.emit(size, text, "")

    def _on_size_edited(self, value: int) -> None:
        self._last_size = int(value)
        self.edited.emit(int(value), f"Set batch size to {value}", "batch_size")
