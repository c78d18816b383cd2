"""The OUTPUT column: what the network answers, how training goes, and the big numbers.

The main view follows the data: a decision map for 2-D classification, a heat map for
2-D regression, the fitted curve for 1-D regression, an image gallery for image data,
and for other tables the confusion matrix (classification) or the loss and R² curves
(regression). Under it: the "Discretise output" toggle (2-D classification), a loss
sparkline and the big numbers (epoch, losses, accuracy or R²).
"""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.plots.big_numbers import BigNumbers
from app.plots.confusion import ConfusionMatrixView
from app.plots.decision_boundary import DecisionMap
from app.plots.export import export_button
from app.plots.fit_curve import FitCurvePlot
from app.plots.gallery import ImageGallery
from app.plots.loss_plot import LossPlot
from nncore.data.dataset import Splits
from nncore.data.drawn import drawn_options, is_drawn
from nncore.runner import Update

CAPTIONS = {
    "map": "Colour: the network's answer (paler = less sure) · ringed dots: validation",
    "heat": "Colour: the predicted value · dots: the data by target · ringed: validation",
    "fit": "Line: the network · dots: training (blue) and validation (orange) data",
    "gallery": "Validation images with the predicted class; red: mistakes (true→predicted)",
    "confusion": "Rows: true class · columns: predicted · blue = right, orange = mistaken",
    "loss": "Loss and R² per epoch",
}


def drawn_kind(data) -> str | None:
    """The view of a drawn data set (it stays while the drawing has too few points)."""
    if not is_drawn(data):
        return None
    return "fit" if drawn_options(data.options)["task"] == "regression" else "map"


def view_kind(splits: Splits | None) -> str:
    """Which main view suits the data: map, heat, fit, gallery, confusion or loss."""
    if splits is None:
        return "loss"
    info = splits.info
    if info.image_shape is not None:
        return "gallery"
    raw = splits.raw_train if splits.raw_train is not None else splits.x_train
    if raw.shape[1] == 2:
        return "map" if info.is_classification else "heat"
    if raw.shape[1] == 1:
        return "fit"
    return "confusion" if info.is_classification else "loss"


class OutputPanel(QWidget):
    """The right-hand column of the main window."""

    def __init__(self, document, data_source, controller, visualiser,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document, self.data_source = document, data_source
        self.controller, self.visualiser = controller, visualiser
        self.kind = "loss"
        self._build()
        controller.update_received.connect(self._on_controller_update)
        controller.history_reset.connect(self._on_controller_history_reset)
        controller.state_changed.connect(self._on_controller_state_changed)
        document.project_replaced.connect(self._on_document_project_replaced)
        document.data_changed.connect(lambda _spec: self._sync_draw_button())
        data_source.failed.connect(self._on_data_source_failed)
        data_source.splits_changed.connect(self._on_data_source_splits_changed)
        visualiser.frame_ready.connect(self._on_visualiser_frame_ready)
        self._on_data_source_splits_changed(data_source.splits)
        self._rebuild_history()

    # -- building ---------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        self.decision_map = DecisionMap()
        self.fit_curve = FitCurvePlot()
        self.gallery = ImageGallery(max_images=24, save=False)
        self.confusion = ConfusionMatrixView(compact=True)
        self.loss_view = LossPlot("column")
        self.pages = {"map": self.decision_map, "heat": self.decision_map,
                      "fit": self.fit_curve, "gallery": self.gallery,
                      "confusion": self.confusion, "loss": self.loss_view}
        from app.plots.painter import PointPainter

        self.painter = PointPainter(self.document, {"classification": self.decision_map,
                                                    "regression": self.fit_curve})
        self.painter.hide()
        self.stack = QStackedWidget()
        for widget in dict.fromkeys(self.pages.values()):
            self.stack.addWidget(widget)
        layout.addLayout(self._build_toolbar())
        layout.addWidget(self.painter)
        layout.addWidget(self.stack, 1)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet("color: gray; font-size: 8pt;")
        layout.addWidget(self.caption)
        self.sparkline = LossPlot("spark")
        self.sparkline.setFixedHeight(64)
        self.sparkline.setToolTip("Loss per epoch (log scale): training blue, validation "
                                  "orange")
        layout.addWidget(self.sparkline)
        self.numbers = BigNumbers()
        layout.addWidget(self.numbers)

    def _build_toolbar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        title = QLabel("<b>OUTPUT</b>")
        self.discrete_box = QCheckBox("Discretise")
        self.discrete_box.setToolTip(
            "Show only the decision (probability ≥ 0.5, or the most likely class) in hard "
            "colours instead of how sure the network is")
        self.discrete_box.toggled.connect(self.decision_map.set_discrete)
        self.draw_button = QToolButton()
        self.draw_button.setText("✎ Draw")
        self.draw_button.setCheckable(True)
        self._draw_tip = ("Draw your own data on the map: click or brush points in, erase "
                          "them, or start from a built-in set")
        self.draw_button.setToolTip(self._draw_tip)
        self.draw_button.toggled.connect(self._on_draw_button_toggled)
        bar.addWidget(title)
        bar.addStretch(1)
        bar.addWidget(self.draw_button)
        bar.addWidget(self.discrete_box)
        bar.addWidget(export_button(self, self._export_target, "output"))
        return bar

    @Slot(bool)
    def _on_draw_button_toggled(self, on: bool) -> None:
        if self.kind == "gallery":  # image data: the digit pad
            if on:
                self.draw_button.setChecked(False)
                self.open_digit_pad()
            return
        if on:
            self.painter.start()
        self.painter.setVisible(on and is_drawn(self.document.data))

    def open_digit_pad(self):
        """Show the digit pad (one per window), for testing on your own handwriting."""
        from app.plots.digit_pad import DigitPad

        if getattr(self, "digit_pad", None) is None:
            self.digit_pad = DigitPad(self.document, self.data_source, self.controller,
                                      self.window())
        self.digit_pad.show()
        self.digit_pad.raise_()
        self.digit_pad.read()
        return self.digit_pad

    def _sync_draw_button(self) -> None:
        from app.plots.painter import can_draw

        data = self.document.data
        images = self.kind == "gallery"
        self.draw_button.setText("✎ Draw a digit" if images else "✎ Draw")
        self.draw_button.setToolTip(
            "Test the network on your own handwriting: draw a digit and see its answer"
            if images else self._draw_tip)
        self.draw_button.setVisible(images or can_draw(data))
        if is_drawn(data) and not self.draw_button.isChecked():
            self.draw_button.setChecked(True)
        self.painter.setVisible(self.draw_button.isChecked() and is_drawn(data))

    def _export_target(self):
        widget = self.stack.currentWidget()
        return getattr(widget, "view", widget)

    # -- data and runs ------------------------------------------------------------------

    @Slot(object)
    def _on_data_source_splits_changed(self, splits: Splits | None) -> None:
        self.kind = drawn_kind(self.document.data) or view_kind(splits)
        self.stack.setCurrentWidget(self.pages[self.kind])
        self.discrete_box.setVisible(self.kind == "map")
        self.sparkline.setVisible(self.kind != "loss")
        metric = "r2" if splits is not None and not splits.info.is_classification else \
            "accuracy"
        self.numbers.set_metric_name(metric)
        self.loss_view.reset(metric)
        self.decision_map.set_splits(splits if self.kind in ("map", "heat") else None)
        self.fit_curve.set_splits(splits if self.kind == "fit" else None)
        self.gallery.set_splits(splits if self.kind == "gallery" else None)
        if splits is not None and splits.info.is_classification:
            self.confusion.set_classes(splits.info.class_names or
                                       tuple(str(i) for i in range(splits.info.n_classes)))
        self._set_caption()
        self._rebuild_history()
        self._sync_draw_button()

    def _set_caption(self) -> None:
        text = CAPTIONS[self.kind]
        if self.kind == "heat":
            low, high = self.decision_map.levels
            text = (f"Colour: predicted value, orange {low:.3g} → blue {high:.3g} · dots: "
                    "the data by target · ringed: validation")
        self.caption.setText(text)

    @Slot(str)
    def _on_data_source_failed(self, _message: str) -> None:
        if is_drawn(self.document.data):  # e.g. a cleared drawing: no points to show
            self._on_data_source_splits_changed(None)

    @Slot()
    def _on_document_project_replaced(self) -> None:
        self._rebuild_history()

    @Slot()
    def _on_controller_history_reset(self) -> None:
        self.gallery.reset()
        self.confusion.reset()
        self._rebuild_history()

    def _rebuild_history(self) -> None:
        """Redraw the curves and numbers from the controller's history (e.g. a loaded run)."""
        history = list(self.controller.history)
        for plot in (self.sparkline, self.loss_view):
            plot.reset()
            plot.add_records(history)
            plot.refresh()
        self.numbers.show_record(history[-1] if history else None,
                                 epochs_total=self.document.training.epochs)

    @Slot(object)
    def _on_controller_update(self, update: Update) -> None:
        if update.reason == "reset":
            self._on_controller_history_reset()
        snapshot = update.snapshot
        mark = snapshot.epoch if update.reason == "rewind" else None
        for plot in (self.sparkline, self.loss_view):
            plot.mark_epoch(mark)
            plot.add_records(update.new_records)
            plot.add_snapshot(snapshot)
            plot.request_refresh()
        self.numbers.show_record(snapshot.last_epoch, snapshot.epoch, snapshot.epochs_total)
        if update.evaluation is not None:
            self.gallery.show_evaluation(update.evaluation)
            self.confusion.show_evaluation(update.evaluation)

    @Slot(str)
    def _on_controller_state_changed(self, _state: str) -> None:
        self.flush()

    def flush(self) -> None:
        """Draw everything that arrived now, without waiting for the redraw throttle."""
        for view in (self.sparkline, self.loss_view, self.gallery, self.confusion):
            view.refresh()

    @Slot(object)
    def _on_visualiser_frame_ready(self, frame) -> None:
        if self.kind in ("map", "heat"):
            self.decision_map.show_map(frame.boundary)
        elif self.kind == "fit":
            self.fit_curve.show_curve(frame.curve)
