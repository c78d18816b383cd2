"""The training speed control: steps per second, from slow motion to full speed.

At full speed the two spirals train 300 epochs in about a second: nothing to watch. The
slider holds the engine to a pace (``TrainingSpec.steps_per_second``, saved with the
project, one undo step per drag); the engine sleeps between steps, the live views show
every step at slow paces. TensorFlow Playground's pace is the reference: it trains one
epoch of its 250 points in batches of 10 per screen refresh, up to 25 × 60 = 1,500 steps
per second, so "1,000/s" is about Playground's pace and the slower stops are slow motion.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QSlider, QWidget

from app.document import ProjectDocument

STOPS: tuple[float, ...] = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 0)
"""The slider's steps per second, slowest first; 0 is full speed."""
PLAYGROUND_PACE = 1000


def speed_text(pace: float) -> str:
    """``full``, ``20/s`` or ``1,000/s``."""
    return "full" if not pace else f"{pace:,.0f}/s" if pace >= 1 else f"{pace:.2g}/s"


def nearest_stop(pace: float) -> int:
    """The slider position closest to ``pace`` (0: the full-speed end)."""
    if not pace:
        return len(STOPS) - 1
    paced = STOPS[:-1]
    return min(range(len(paced)), key=lambda i: abs(paced[i] - pace) / max(paced[i], pace))


class SpeedControl(QWidget):
    """``Speed ▭▭▭▭▭▯ 20/s``: edits ``document.training.steps_per_second``."""

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._syncing = False
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, len(STOPS) - 1)
        self.slider.setPageStep(1)
        self.slider.setFixedWidth(84)
        self.slider.setTickPosition(QSlider.TickPosition.NoTicks)
        self.value = QLabel()
        self.value.setFixedWidth(QFontMetrics(self.value.font()).horizontalAdvance("5,000/s")
                                 + 4)
        title = QLabel("Speed")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(4)
        for widget in (title, self.slider, self.value):
            layout.addWidget(widget, 0, Qt.AlignmentFlag.AlignVCenter)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self.setToolTip(
            "Training speed in steps (weight updates) per second. Slow it down to watch the "
            "network learn step by step; 1,000/s is about TensorFlow Playground's pace; "
            "'full' trains as fast as the computer can. Saved with the project.")
        self.slider.valueChanged.connect(self._on_slider_value_changed)
        document.training_changed.connect(lambda _spec: self._sync())
        document.project_replaced.connect(self._sync)
        self._sync()

    @property
    def pace(self) -> float:
        """The pace the slider shows (0: full speed)."""
        return STOPS[self.slider.value()]

    @Slot()
    def _sync(self) -> None:
        self._syncing = True
        self.slider.setValue(nearest_stop(self.document.training.steps_per_second))
        self._syncing = False
        self.value.setText(speed_text(self.document.training.steps_per_second))

    @Slot(int)
    def _on_slider_value_changed(self, _position: int) -> None:
        self.value.setText(speed_text(self.pace))
        if self._syncing or self.pace == self.document.training.steps_per_second:
            return
        self.document.set_training(
            dataclasses.replace(self.document.training, steps_per_second=float(self.pace)),
            f"Set the training speed to {speed_text(self.pace)}",
            merge_key="training.steps_per_second")
