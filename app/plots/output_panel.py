"""The OUTPUT column: what the network answers, how training goes, and the big numbers.

The main view follows the data: a decision map for 2-D classification, a heat map for
2-D regression, the fitted curve for 1-D regression, an image gallery for image data,
and for other tables the confusion matrix (classification) or the loss and R² curves
(regression). Under it: the "Discretise output" toggle (2-D classification), a loss
sparkline and the big numbers (epoch, losses, accuracy or R²).
"""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from app.plots.big_numbers import BigNumbers
from app.plots.confusion import ConfusionMatrixView
from app.plots.decision_boundary import DecisionMap
from app.plots.export import export_button
from app.plots.fit_curve import FitCurvePlot
from app.plots.gallery import ImageGallery
from app.plots.loss_plot import LossPlot
from app.training.controller import shown_history
from nncore.data.dataset import Splits
from nncore.runner import Update

CAPTIONS = {
    "map": "Colour: the network's answer (paler = less sure) · ringed dots: validation",
    "heat": "Colour: the predicted value · dots: the data by target · ringed: validation",
    "fit": "Line: the network · dots: training (blue) and validation (orange) data",
    "gallery": "Validation images with the predicted class; red: mistakes (true→predicted)",
    "confusion": "Rows: true class · columns: predicted · blue = right, orange = mistaken",
    "loss": "Loss and R² per epoch",
}


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
        self.stack = QStackedWidget()
        for widget in dict.fromkeys(self.pages.values()):
            self.stack.addWidget(widget)
        layout.addLayout(self._build_toolbar())
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
        bar.addWidget(title)
        bar.addStretch(1)
        bar.addWidget(self.discrete_box)
        bar.addWidget(export_button(self, self._export_target, "output"))
        return bar

    def _export_target(self):
        widget = self.stack.currentWidget()
        return getattr(widget, "view", widget)

    # -- data and runs ------------------------------------------------------------------

    @Slot(object)
    def _on_data_source_splits_changed(self, splits: Splits | None) -> None:
        self.kind = view_kind(splits)
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

    def _set_caption(self) -> None:
        text = CAPTIONS[self.kind]
        if self.kind == "heat":
            low, high = self.decision_map.levels
            text = (f"Colour: predicted value, orange {low:.3g} → blue {high:.3g} · dots: "
                    "the data by target · ringed: validation")
        self.caption.setText(text)

    @Slot()
    def _on_document_project_replaced(self) -> None:
        self._rebuild_history()

    @Slot()
    def _on_controller_history_reset(self) -> None:
        self.gallery.reset()
        self.confusion.reset()
        self.decision_map.clear_map()
        self.fit_curve.clear_curve()
        self._rebuild_history()

    def _rebuild_history(self) -> None:
        """Redraw the curves and numbers from the controller's history (e.g. a loaded run;
        none while the run is stale)."""
        history = list(shown_history(self.controller))
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
        for plot in (self.sparkline, self.loss_view):
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
