"""The toolbar's run read-out: epoch, samples per second, progress and time left."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QGridLayout, QLabel, QProgressBar, QWidget

from app.theme import big_number_font
from nncore.runner import Update


def format_duration(seconds: float) -> str:
    """``2:05``, ``1:02:05`` or ``—`` for an unknown duration."""
    if not math.isfinite(seconds) or seconds < 0:
        return "—"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def time_left(update: Update, pace: float = 0.0) -> float:
    """Seconds until the planned epochs are done, from the throughput so far, or from
    the pace (steps per second) when the run is held to a slower one."""
    snap = update.snapshot
    remaining = snap.epochs_total * snap.steps_per_epoch - snap.step
    if remaining <= 0:
        return 0.0
    if snap.elapsed <= 0 or snap.step <= 0:
        return remaining / pace if pace > 0 else math.nan
    rate = snap.step / snap.elapsed
    return remaining / (min(rate, pace) if pace > 0 else rate)


class RunStatus(QWidget):
    """``epoch 123.4/300`` beside a progress bar, with the step, the time left and the
    speed in two small lines: compact enough for a 1366-pixel-wide toolbar, fixed-width
    digits so nothing jitters."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pace = 0.0  # steps per second the run is held to (0: full speed)
        small = big_number_font(8)
        self.epoch_label = QLabel("epoch 0")
        self.epoch_label.setFont(big_number_font(11))
        self.epoch_label.setMinimumWidth(
            QFontMetrics(self.epoch_label.font()).horizontalAdvance("epoch 123.4/1,000"))
        self.epoch_label.setAlignment(Qt.AlignmentFlag.AlignRight |
                                      Qt.AlignmentFlag.AlignVCenter)  # digits stay put
        self.epoch_label.setToolTip("Completed epochs (passes over the training data) / "
                                    "planned epochs")
        self.step_label = QLabel("")
        self.step_label.setToolTip("Training steps (batches) done: one weight update each")
        self.rate_label = QLabel("")
        self.rate_label.setToolTip("Training speed, measured over the last second")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setFixedSize(90, 8)
        self.progress.setToolTip("Progress through the planned epochs")
        self.left_label = QLabel("")
        self.left_label.setToolTip("Estimated time until the planned epochs are done")
        width = QFontMetrics(small).horizontalAdvance("99,999,999 samples/s")
        for label in (self.step_label, self.rate_label, self.left_label):
            label.setFont(small)
        self.rate_label.setMinimumWidth(width)
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 0, 6, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(0)
        centre = Qt.AlignmentFlag.AlignVCenter
        grid.addWidget(self.epoch_label, 0, 0, 2, 1, centre)
        grid.addWidget(self.progress, 0, 1, centre)
        grid.addWidget(self.left_label, 1, 1, centre)
        grid.addWidget(self.step_label, 0, 2, centre)
        grid.addWidget(self.rate_label, 1, 2, centre)
        grid.setColumnStretch(3, 1)

    @Slot(object)
    def show_update(self, update: Update) -> None:
        """Refresh from a training update."""
        snap = update.snapshot
        fraction = snap.step_in_epoch / snap.steps_per_epoch if snap.steps_per_epoch else 0.0
        self.epoch_label.setText(f"epoch {snap.epoch:,}/{snap.epochs_total:,}"
                                 if fraction == 0 else
                                 f"epoch {snap.epoch + fraction:,.1f}/{snap.epochs_total:,}")
        self.step_label.setText(f"step {snap.step:,}")
        running = update.state.value == "running"
        self.rate_label.setText(f"{snap.samples_per_s:>9,.0f} samples/s" if running else "")
        self.progress.setValue(round(1000 * snap.progress))
        left = time_left(update, self.pace) if running else math.nan
        self.left_label.setText(f"{format_duration(left)} left" if math.isfinite(left) else "")

    def clear(self) -> None:
        """Back to the state of a run that has not started."""
        self.epoch_label.setText("epoch 0")
        self.step_label.setText("")
        self.rate_label.setText("")
        self.progress.setValue(0)
        self.left_label.setText("")


def final_summary(update: Update) -> str:
    """One line for the status bar when a run ends: why, and where it got to."""
    snap = update.snapshot
    record = snap.last_epoch
    if record is None:
        return snap.message
    metric = "R²" if snap.metric_name == "r2" else "accuracy"
    value = (f"{record.train_metric:.4f}" if snap.metric_name == "r2"
             else f"{record.train_metric:.1%}")
    return (f"{snap.message}: loss {record.train_loss:.4g}, {metric} {value} "
            f"after {record.epoch} epochs")
