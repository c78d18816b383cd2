"""The timeline under the plots: rewind the run to any kept epoch.

Dragging the slider shows every view (decision map, network drawing, histograms, layer
health, confusion, gallery) as the network was after that epoch; training pauses while
the slider is held and letting go returns to the live network. The epoch let go at stays
picked: "Continue from epoch N" branches the run there (undoable), and "Animation…" saves
the run's kept epochs as an animated GIF (``nncore.animate``). The kept epochs and the
pictures come from ``nncore``; this widget only moves the slider and asks.
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSlider,
    QWidget,
)

from nncore.errors import NNCoreError
from nncore.runner import Update


class Timeline(QWidget):
    """A slider over the kept epochs, a read-out and the branch and animation buttons."""

    animation_saved = Signal(str)  # the path written

    def __init__(self, document, data_source, controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document, self.data_source, self.controller = document, data_source, controller
        self.epochs: tuple[int, ...] = ()
        self.picked: int | None = None
        self._build()
        controller.kept_epochs_changed.connect(self._on_controller_kept_epochs_changed)
        controller.update_received.connect(self._on_controller_update)
        data_source.splits_changed.connect(lambda _splits: self._refresh())
        self._on_controller_kept_epochs_changed(controller.kept_epochs)

    def _build(self) -> None:
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(6)
        title = QLabel("<b>Rewind</b>")
        title.setToolTip("Drag to see the network as it was at an earlier epoch; let go to "
                         "return to the live network")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip(title.toolTip())
        self.slider.setTracking(True)
        self.slider.sliderPressed.connect(self._on_slider_pressed)
        self.slider.sliderMoved.connect(self._on_slider_moved)
        self.slider.sliderReleased.connect(self._on_slider_released)
        self.slider.valueChanged.connect(self._on_slider_value_changed)
        self.readout = QLabel()
        self.readout.setMinimumWidth(230)
        self.continue_button = QPushButton("Continue from here")
        self.continue_button.setToolTip(
            "Go back to the picked epoch and train on from there: its weights, and the "
            "history up to it (Edit > Undo returns to the run as it was). The optimizer's "
            "momentum starts afresh.")
        self.continue_button.clicked.connect(self._on_continue_clicked)
        self.animation_button = QPushButton("Animation…")
        self.animation_button.setToolTip("Save the decision map (or fit curve) at every kept "
                                         "epoch as an animated GIF, for slides (2-D data "
                                         "and 1-D curves)")
        self.animation_button.clicked.connect(self._on_animation_clicked)
        layout.addWidget(title)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.readout)
        layout.addWidget(self.continue_button)
        layout.addWidget(self.animation_button)
        self._refresh()

    # -- state --------------------------------------------------------------------------

    def epoch_at(self, value: int) -> int | None:
        """The kept epoch at slider position ``value``."""
        return self.epochs[value] if 0 <= value < len(self.epochs) else None

    def _refresh(self) -> None:
        usable = len(self.epochs) > 1
        self.slider.setEnabled(usable)
        picked = usable and self.picked is not None and self.picked != self.epochs[-1]
        self.continue_button.setEnabled(bool(picked))
        self.continue_button.setText(f"Continue from epoch {self.picked}" if picked else
                                     "Continue from here")
        self.animation_button.setEnabled(usable and self._animatable())
        if self.controller.is_rewinding:
            return
        if not usable:
            self.readout.setText("Train an epoch to rewind" if not self.epochs else
                                 "Live · train on to rewind")
        else:
            kept = f"{len(self.epochs)} epochs kept"
            self.readout.setText(f"Live · picked epoch {self.picked} · {kept}" if picked
                                 else f"Live · {kept}")

    def _animatable(self) -> bool:
        """True if the data has a picture to animate (a 2-D map or a 1-D curve)."""
        from nncore.animate import kind_of

        splits = self.data_source.splits
        try:
            return splits is not None and bool(kind_of(splits))
        except NNCoreError:
            return False

    @Slot(tuple)
    def _on_controller_kept_epochs_changed(self, epochs: tuple) -> None:
        self.epochs = tuple(epochs)
        if self.picked not in self.epochs:
            self.picked = None
        if not self.slider.isSliderDown():
            self.slider.blockSignals(True)
            self.slider.setRange(0, max(0, len(self.epochs) - 1))
            self.slider.setValue(self.epochs.index(self.picked) if self.picked is not None
                                 else self.slider.maximum())
            self.slider.blockSignals(False)
        self._refresh()

    @Slot(object)
    def _on_controller_update(self, update: Update) -> None:
        if update.reason != "rewind":
            return
        snap = update.snapshot
        record = snap.last_epoch
        text = f"Showing epoch {snap.epoch}"
        if record is not None and math.isfinite(record.train_loss):
            text += f" · loss {record.train_loss:.4g}"
        elif snap.epoch == 0:
            text += " · before training"
        self.readout.setText(text)

    # -- the slider -------------------------------------------------------------------------

    @Slot()
    def _on_slider_pressed(self) -> None:
        self._show(self.slider.value())

    @Slot(int)
    def _on_slider_moved(self, value: int) -> None:
        self._show(value)

    @Slot(int)
    def _on_slider_value_changed(self, value: int) -> None:
        if not self.slider.isSliderDown():  # keyboard, wheel or a click on the groove
            self.picked = self.epoch_at(value)
            self._refresh()

    def _show(self, value: int) -> None:
        epoch = self.epoch_at(value)
        if epoch is not None:
            self.picked = epoch
            self.controller.rewind(epoch)

    @Slot()
    def _on_slider_released(self) -> None:
        self.controller.end_rewind()
        self._refresh()

    # -- buttons ----------------------------------------------------------------------------

    @Slot()
    def _on_continue_clicked(self) -> None:
        if self.picked is None:
            return
        try:
            self.controller.continue_from(self.picked)
        except (KeyError, ValueError) as err:
            QMessageBox.warning(self, "Cannot continue from there", str(err).strip("'\""))

    @Slot()
    def _on_animation_clicked(self) -> None:
        name = (self.document.display_name.rsplit(".", 1)[0] or "training") + ".gif"
        path, _ = QFileDialog.getSaveFileName(self, "Save the training as an animation",
                                              name, "Animated GIF (*.gif)")
        if path:
            self.save_animation(Path(path))

    def save_animation(self, path: Path, fps: float = 10.0, size: int = 400) -> bool:
        """Write the run's kept epochs as an animated GIF at ``path``; False on failure
        (after saying why)."""
        from nncore.animate import animation_frames, write_gif

        if path.suffix.lower() != ".gif":
            path = path.with_suffix(".gif")
        self.controller.sync_to_document()
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            frames = animation_frames(self.document.project, size=size,
                                      splits=self.data_source.splits)
            write_gif(frames, path, fps)
        except (NNCoreError, ValueError, OSError) as err:
            QMessageBox.warning(self, "Could not save the animation", str(err))
            return False
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.animation_saved.emit(str(path))
        return True
