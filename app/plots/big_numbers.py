"""The numbers a student watches: epoch, training and validation loss, accuracy or R².

Large fixed-width digits, right-aligned in labels wide enough for the longest value, so
the numbers change in place without the layout jittering.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from app.theme import TRAIN_COLOR, VALIDATION_COLOR, big_number_font
from nncore.training import EpochRecord

DASH = "–"


def format_loss(value: float) -> str:
    """A loss in at most 8 characters: ``0.0123``, ``12.35``, ``1.23e-05``."""
    if not math.isfinite(value):
        return DASH if math.isnan(value) else "inf"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e4):
        return f"{value:.2e}"
    return f"{value:.4f}" if abs(value) < 10 else f"{value:.2f}"


def format_metric(value: float, metric_name: str) -> str:
    """Accuracy as a percentage (``97.5 %``), R² with three decimals."""
    if not math.isfinite(value):
        return DASH
    if metric_name == "accuracy":
        return f"{100 * value:.1f} %"
    return f"{value:.3f}" if value > -1000 else f"{value:.2e}"


class _Number(QWidget):
    """A small caption over a big value."""

    def __init__(self, caption: str, tooltip: str, color: str | None, width_chars: int,
                 point_size: int) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.caption = QLabel(caption)
        self.caption.setStyleSheet("color: gray;")
        self.value = QLabel(DASH)
        font = big_number_font(point_size)
        self.value.setFont(font)
        self.value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.value.setMinimumWidth(QFontMetrics(font).horizontalAdvance("8" * width_chars) + 4)
        if color:
            self.value.setStyleSheet(f"color: {color};")
        self.setToolTip(tooltip)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)


class BigNumbers(QWidget):
    """Epoch, training loss, validation loss and the metric, in a 2 x 2 grid."""

    def __init__(self, point_size: int = 18, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.metric_name = "accuracy"
        self.epochs_total = 0
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 2, 6, 2)
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(2)
        self.epoch_number = _Number(
            "Epoch", "Epochs completed: full passes over the training data", None, 7,
            point_size)
        self.metric_number = _Number("Validation accuracy", "", None, 7, point_size)
        self.train_loss_number = _Number(
            "Training loss", "Loss on the training data at the end of the last epoch",
            TRAIN_COLOR, 8, point_size)
        self.val_loss_number = _Number(
            "Validation loss", "Loss on the held-out validation data: if it rises while the "
            "training loss falls, the network is overfitting", VALIDATION_COLOR, 8, point_size)
        for i, widget in enumerate(self._numbers):
            grid.addWidget(widget, i // 2, i % 2)
        self.set_metric_name("accuracy")

    @property
    def _numbers(self) -> tuple[_Number, ...]:
        return (self.epoch_number, self.metric_number, self.train_loss_number,
                self.val_loss_number)

    def set_metric_name(self, metric_name: str) -> None:
        """``accuracy`` (classification) or ``r2`` (regression)."""
        self.metric_name = metric_name
        self.metric_number.setToolTip(
            "Fraction of validation samples classified correctly" if metric_name == "accuracy"
            else "R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)² on the validation data: 1 is a perfect fit, "
                 "0 is no better than predicting the mean")

    def clear(self) -> None:
        """Show dashes (no run yet)."""
        for widget in self._numbers:
            widget.value.setText(DASH)
        self.epoch_number.value.setText("0")
        self._set_metric_caption(True)

    def show_record(self, record: EpochRecord | None, epoch: int | None = None,
                    epochs_total: int | None = None) -> None:
        """Show the numbers of an epoch record (``epoch`` overrides the epoch shown)."""
        if epochs_total is not None and epochs_total != self.epochs_total:
            self.epochs_total = epochs_total
            self.epoch_number.caption.setText(f"Epoch (of {epochs_total:,})" if epochs_total
                                       else "Epoch")
        if record is None:
            self.clear()
            if epoch:
                self.epoch_number.value.setText(f"{epoch:,}")
            return
        self.epoch_number.value.setText(f"{record.epoch if epoch is None else epoch:,}")
        self.train_loss_number.value.setText(format_loss(record.train_loss))
        self.val_loss_number.value.setText(format_loss(record.val_loss))
        has_val = math.isfinite(record.val_metric)
        self._set_metric_caption(has_val)
        value = record.val_metric if has_val else record.train_metric
        self.metric_number.value.setText(format_metric(value, self.metric_name))

    def _set_metric_caption(self, validation: bool) -> None:
        name = "accuracy" if self.metric_name == "accuracy" else "R²"
        self.metric_number.caption.setText(f"{'Validation' if validation else 'Training'} {name}")
