"""Weight (and gradient) histograms per Dense layer, now and over time.

For each layer two small panels side by side: the current histogram of its weight matrix
(bars) and its distribution over training (x = epoch, y = value, colour = share
of the weights in that bin, each column scaled to its peak), like TensorBoard's
distribution view; the same for the weight gradients when "Show gradients" is ticked,
as log10 |gradient| over time since gradients shrink by orders of magnitude (the engine
only sends gradients when asked: ``gradients_wanted(bool)`` tells whoever wires it).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from app.plots.colour_maps import sequential_lut
from app.plots.distribution import DistributionHistory, subsample
from app.plots.export import export_button
from app.plots.throttle import LazyRefresh
from app.theme import BLUE, ORANGE, current_theme
from nncore.runner import Update

CURRENT_BINS = 40
PANEL_WIDTH = 170  # narrower panels scroll sideways
MIN_HEIGHT = 130  # shorter tabs scroll rather than squash the plots


def fractional_epoch(update: Update) -> float:
    """Training time of an update in epochs (``epoch + step_in_epoch / steps_per_epoch``)."""
    s = update.snapshot
    return s.epoch + (s.step_in_epoch / s.steps_per_epoch if s.steps_per_epoch else 0.0)


def _tick_font() -> QFont:
    font = QFont()
    font.setPointSize(7)
    return font


def _small_plot(layout: pg.GraphicsLayout, row: int, col: int, title: str) -> pg.PlotItem:
    plot = layout.addPlot(row=row, col=col)
    plot.setTitle(title, size="8pt")
    plot.hideButtons()
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(x=False, y=False)
    for side in ("left", "bottom"):
        plot.getAxis(side).setStyle(tickFont=_tick_font())
    return plot


class HistogramPair:
    """The current histogram and the distribution over time of one tensor."""

    def __init__(self, layout: pg.GraphicsLayout, col: int, title: str, color: str,
                 log_magnitude: bool = False) -> None:
        self.history = DistributionHistory(log_magnitude=log_magnitude)
        self.values: np.ndarray | None = None
        self.counts = np.zeros(0, dtype=np.int64)
        self.edges = np.zeros(1)
        self.current = _small_plot(layout, 0, col, title)
        brush = pg.mkColor(color)
        brush.setAlpha(170)
        self.bars = pg.PlotDataItem([0.0, 1.0], [0.0], stepMode="center", fillLevel=0,
                                    brush=brush, pen=pg.mkPen(color, width=1))
        self.current.addItem(self.bars)
        self.over_time = _small_plot(layout, 0, col + 1, "|value| over epochs"
                                     if log_magnitude else "over epochs")
        if log_magnitude:  # rows hold log10 |g|: label the axis in powers of ten
            self.over_time.getAxis("left").setLogMode(False, True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLookupTable(sequential_lut(color))
        self.over_time.addItem(self.image)

    def add(self, values: np.ndarray, x: float) -> None:
        """Record a new state of the tensor at time ``x`` (cheap; drawing waits)."""
        self.values = subsample(values)
        self.history.add(self.values, x)

    def refresh(self) -> None:
        """Redraw both panels from the latest values."""
        if self.values is None:
            return
        finite = self.values[np.isfinite(self.values)]
        self.counts, self.edges = np.histogram(finite, bins=CURRENT_BINS) if finite.size else \
            (np.zeros(CURRENT_BINS, dtype=np.int64), np.linspace(-1, 1, CURRENT_BINS + 1))
        self.bars.setData(self.edges, self.counts)
        density = self.history.density
        peak = density.max(axis=0, keepdims=True)
        # square root: a few weights far out stay visible next to the crowded middle
        self.image.setImage(np.sqrt(density / np.where(peak > 0, peak, 1.0)),
                            autoLevels=False, levels=(0.0, 1.0))
        x = self.history.x
        x0, x1 = float(x[0]), float(x[-1]) if len(x) > 1 else float(x[0]) + 1.0
        low, high = self.history.value_range
        self.image.setRect(QRectF(x0, low, max(x1 - x0, 1e-9), high - low))
        self.over_time.setRange(xRange=(x0, x1), yRange=(low, high), padding=0.0)

    def clear(self) -> None:
        self.history.clear()
        self.values = None
        self.bars.setData([0.0, 1.0], [0.0])
        self.image.clear()


class WeightHistograms(LazyRefresh, QWidget):
    """Histogram panels in one row: two per Dense layer (four with gradients)."""

    gradients_wanted = Signal(bool)
    refresh_interval_ms = 200

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layer_ids: list[str] = []
        self.weights: dict[str, HistogramPair] = {}
        self.gradients: dict[str, HistogramPair] = {}
        self._dirty = False
        self._init_refresh()
        self._build()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 0, 4, 0)
        self.gradient_box = QCheckBox("Show gradients")
        self.gradient_box.setToolTip(
            "Also show the gradients ∂L/∂W of each weight matrix (the training process then "
            "sends them with every update, which costs a little speed)")
        self.gradient_box.toggled.connect(self._on_gradient_box_toggled)
        self.hint = QLabel("Bars: the weights now. Heat map: how their spread changed while "
                           "training (darker = more weights with that value).")
        self.hint.setStyleSheet("color: gray;")
        bar.addWidget(self.gradient_box)
        bar.addWidget(self.hint, 1)
        self.view = pg.GraphicsLayoutWidget()
        self.view.setToolTip(
            "Left of each pair: histogram of the layer's weights W now. Right: the same "
            "over training (x: epochs, y: value, darker: more weights). Gradients are "
            "shown as log10 |∂L/∂W| because they shrink by orders of magnitude.")
        bar.addWidget(export_button(self, self.view, "weights"))
        layout.addLayout(bar)
        self.view.setMinimumHeight(MIN_HEIGHT)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.view)
        layout.addWidget(scroll, 1)

    @property
    def show_gradients(self) -> bool:
        return self.gradient_box.isChecked()

    def _on_gradient_box_toggled(self, on: bool) -> None:
        self._rebuild(self.layer_ids)
        self.gradients_wanted.emit(on)

    def _rebuild(self, layer_ids: list[str]) -> None:
        """One row: per layer the histogram and its history (and the same for gradients)."""
        self.view.ci.clear()
        self.layer_ids = list(layer_ids)
        self.weights, self.gradients = {}, {}
        ci, per_layer = self.view.ci, 4 if self.show_gradients else 2
        for i, layer_id in enumerate(self.layer_ids):
            col = per_layer * i
            self.weights[layer_id] = HistogramPair(ci, col, f"{layer_id} weights", BLUE)
            if self.show_gradients:
                self.gradients[layer_id] = HistogramPair(
                    ci, col + 2, f"{layer_id} gradients", ORANGE, log_magnitude=True)
        self.view.setMinimumWidth(PANEL_WIDTH * per_layer * len(self.layer_ids))
        self.view.setBackground(current_theme().background)

    def reset(self) -> None:
        """Forget every history (a new run)."""
        for pair in (*self.weights.values(), *self.gradients.values()):
            pair.clear()

    def add_update(self, update: Update) -> None:
        """Take the weights (and gradients) an update carries, if any."""
        if update.weights is None:
            return
        ids = [name[:-len(".weight")] for name, w in update.weights.items()
               if name.endswith(".weight") and np.ndim(w) == 2]
        if ids != self.layer_ids:
            self._rebuild(ids)
        x = fractional_epoch(update)
        for layer_id, pair in self.weights.items():
            pair.add(update.weights[f"{layer_id}.weight"], x)
        if update.gradients is not None:
            for layer_id, pair in self.gradients.items():
                grad = update.gradients.get(f"{layer_id}.weight")
                if grad is not None:
                    pair.add(grad, x)
        self._dirty = True
        self.request_refresh()

    def show_weights(self, weights) -> None:
        """Show ``weights`` in the current-histogram panels only (a rewound epoch); the
        over-time panels keep the run's history."""
        for layer_id, pair in self.weights.items():
            value = (weights or {}).get(f"{layer_id}.weight")
            if value is not None:
                pair.values = subsample(value)
        self._dirty = True
        self.request_refresh()

    def refresh(self, force: bool = False) -> None:
        """Redraw (only while visible, unless ``force``)."""
        if not self._dirty or not (force or self.isVisible()):
            return
        self._dirty = False
        for pair in (*self.weights.values(), *self.gradients.values()):
            pair.refresh()
