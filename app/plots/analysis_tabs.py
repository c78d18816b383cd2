"""The analysis tabs under the main window: curves, weights, layer health, confusion, images.

Each tab keeps collecting what the run sends while hidden (cheap bookkeeping) and draws
only while it is shown, so watching one view costs the run nothing for the others. The
main window adds the "Doctor" and "Gradient check" tabs with ``addTab``;
``show_tab(key)`` lets the doctor point at the evidence for a finding.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QToolButton,
    QWidget,
)

from app.plots.confusion import ConfusionMatrixView
from app.plots.export import export_history_csv
from app.plots.gallery import FirstLayerWeights, ImageGallery
from app.plots.histograms import WeightHistograms, fractional_epoch
from app.plots.layer_health import LayerHealthView
from app.plots.loss_plot import LossPlot
from nncore.data.dataset import Splits
from nncore.runner import Update
from nncore.spec import DenseSpec

TAB_TITLES = {"loss": "Loss && metrics", "weights": "Weights && gradients",
              "health": "Layer health", "confusion": "Confusion", "images": "Images"}


class AnalysisTabs(QTabWidget):
    """Tabs of live plots; ``gradients_wanted(bool)`` follows the "Show gradients" box."""

    gradients_wanted = Signal(bool)

    def __init__(self, document, data_source, controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document, self.data_source, self.controller = document, data_source, controller
        self.metric_name = "accuracy"
        self._build()
        self.histograms.gradients_wanted.connect(self.gradients_wanted)
        controller.update_received.connect(self._on_controller_update)
        controller.history_reset.connect(self._on_controller_history_reset)
        controller.state_changed.connect(self._on_controller_state_changed)
        document.project_replaced.connect(self._on_document_project_replaced)
        data_source.splits_changed.connect(self._on_data_source_splits_changed)
        self._on_data_source_splits_changed(data_source.splits)

    # -- building ---------------------------------------------------------------------

    def _build(self) -> None:
        self.loss = LossPlot("full")
        self.histograms = WeightHistograms()
        self.health = LayerHealthView()
        self.confusion = ConfusionMatrixView()
        self.gallery = ImageGallery()
        self.first_layer = FirstLayerWeights()
        self.tab_widgets: dict[str, QWidget] = {
            "loss": self._loss_tab(), "weights": self.histograms, "health": self.health,
            "confusion": self.confusion, "images": self._images_tab()}
        for key, widget in self.tab_widgets.items():
            self.addTab(widget, TAB_TITLES[key])
        self.setTabToolTip(0, "Loss and accuracy (or R²) per epoch, and the learning rate")
        self.setTabToolTip(1, "How the weights (and gradients) of each layer are distributed")
        self.setTabToolTip(2, "Dead and saturated units, gradient norms and update ratios")
        self.setTabToolTip(3, "Which classes the network mixes up")
        self.setTabToolTip(4, "Validation images with predictions; first-layer weights")

    def _loss_tab(self) -> QWidget:
        csv_button = QToolButton()
        csv_button.setText("Export CSV…")
        csv_button.setAutoRaise(True)
        csv_button.setToolTip("Save every epoch's losses, metrics and learning rate as a CSV "
                              "table (for a spreadsheet or a report)")
        csv_button.clicked.connect(self._on_csv_button_clicked)
        self.loss.add_tool(csv_button)
        return self.loss

    def _images_tab(self) -> QWidget:
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.gallery)
        splitter.addWidget(self.first_layer)
        splitter.setSizes([600, 400])
        return splitter

    # -- public -------------------------------------------------------------------------

    def show_tab(self, name: str) -> None:
        """Select the tab ``loss``, ``weights``, ``health``, ``confusion`` or ``images``."""
        widget = self.tab_widgets.get(name)
        if widget is None:
            raise ValueError(f"unknown tab {name!r}; choose one of {sorted(self.tab_widgets)}")
        self.setCurrentWidget(widget)

    def is_tab_available(self, name: str) -> bool:
        """False for tabs that do not apply to the current data (hidden)."""
        return self.isTabVisible(self.indexOf(self.tab_widgets[name]))

    # -- data and runs ------------------------------------------------------------------

    @Slot(object)
    def _on_data_source_splits_changed(self, splits: Splits | None) -> None:
        info = splits.info if splits is not None else None
        classification = info is not None and info.is_classification
        images = info is not None and info.image_shape is not None
        self.setTabVisible(self.indexOf(self.tab_widgets["confusion"]), classification)
        self.setTabVisible(self.indexOf(self.tab_widgets["images"]), images)
        self.metric_name = "accuracy" if info is None or classification else "r2"
        if classification:
            self.confusion.set_classes(info.class_names or
                                       tuple(str(i) for i in range(info.n_classes)))
        self.gallery.set_splits(splits)
        self.first_layer.set_image_shape(info.image_shape if images else None)
        self._rebuild_history()

    @Slot()
    def _on_document_project_replaced(self) -> None:
        self._rebuild_history()

    @Slot()
    def _on_controller_history_reset(self) -> None:
        self.histograms.reset()
        self.health.reset()
        self.confusion.reset()
        self.gallery.reset()
        self._rebuild_history()

    def _rebuild_history(self) -> None:
        self.loss.reset(self.metric_name)
        self.loss.add_records(self.controller.history)
        self.loss.refresh()

    def _first_dense_id(self) -> str | None:
        for layer in self.document.network.layers:
            if isinstance(layer, DenseSpec):
                return layer.id
        return None

    @Slot(object)
    def _on_controller_update(self, update: Update) -> None:
        self.loss.mark_epoch(update.snapshot.epoch if update.reason == "rewind" else None)
        if update.reason == "rewind":
            self._show_rewound(update)
            return
        if update.reason == "reset":
            self._on_controller_history_reset()
        self.loss.add_records(update.new_records)
        self.loss.add_snapshot(update.snapshot)
        self.loss.request_refresh()
        self.histograms.add_update(update)
        if update.snapshot.step > 0:  # before the first step there are no gradients yet
            self.health.add_stats(update.snapshot.layer_stats, fractional_epoch(update))
        if update.evaluation is not None:
            self.confusion.show_evaluation(update.evaluation)
            self.gallery.show_evaluation(update.evaluation)
        self.first_layer.show_weights(update.weights, self._first_dense_id())

    def _show_rewound(self, update: Update) -> None:
        """An earlier epoch (the timeline): current panels show it, histories stay."""
        self.histograms.show_weights(update.weights)
        self.health.show_stats(update.snapshot.layer_stats)
        if update.evaluation is not None:
            self.confusion.show_evaluation(update.evaluation)
            self.gallery.show_evaluation(update.evaluation)
        self.first_layer.show_weights(update.weights, self._first_dense_id())

    @Slot(str)
    def _on_controller_state_changed(self, _state: str) -> None:
        self.flush()

    def flush(self) -> None:
        """Draw everything that arrived now (the visible tab), without waiting."""
        for view in (self.loss, self.histograms, self.health, self.confusion, self.gallery,
                     self.first_layer):
            view.refresh()

    @Slot()
    def _on_csv_button_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export training history", "history.csv",
                                              "CSV table (*.csv)")
        if not path:
            return
        try:
            export_history_csv(self.controller.history, Path(path), self.metric_name)
        except OSError as err:
            QMessageBox.warning(self, "Could not export the history", str(err))
