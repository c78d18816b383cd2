"""Layer health: is every layer alive, unsaturated and learning at a sensible pace?

From the run's per-layer statistics (``Snapshot.layer_stats``, a few times per second):
bars for the latest values per Dense layer, and the same figures over training time below.
- dead units: fraction of ReLU units that output 0 for every probe sample (they no longer
  learn); saturated: fraction of sigmoid/tanh outputs near their limits (slope ≈ 0);
- gradient norm ‖∂L/∂W‖ (log scale): vanishing (≪ 1e-6) or exploding (≫ 1e2) gradients;
- update ratio lr·‖∂L/∂W‖ / ‖W‖ (log scale): about 1e-3 per step is the usual healthy
  pace (a rule of thumb from Karpathy's CS231n notes).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.plots.buffers import HistoryBuffer
from app.plots.export import export_button
from app.plots.throttle import LazyRefresh
from app.theme import OKABE_ITO, PROBLEM, WARNING, current_theme
from nncore.diagnostics import LayerStats

HEALTHY_RATIO = 1e-3
FLOOR = 1e-12  # log plots: zero and infinity are drawn at the edges
COLUMNS = ("x", "dead", "saturated", "grad_norm", "update_ratio")


def _log10(values: Sequence[float]) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    v = np.where(np.isfinite(v), v, 1e12)
    return np.log10(np.clip(v, FLOOR, 1e12))


def layer_color(index: int) -> str:
    """A distinct line colour per layer (orange and blue are left to the classes)."""
    palette = OKABE_ITO[2:] + OKABE_ITO[:2]
    return palette[index % len(palette)]


class LayerHealthView(LazyRefresh, QWidget):
    """Bars per layer (now) and lines per layer (over time) of the layer statistics."""

    refresh_interval_ms = 200

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stats: tuple[LayerStats, ...] = ()
        self.layer_ids: list[str] = []
        self.histories: dict[str, HistoryBuffer] = {}
        self.lines: dict[str, dict[str, pg.PlotDataItem]] = {}
        self._dirty = False
        self._init_refresh()
        self._build()

    # -- building ---------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 0, 4, 0)
        hint = QLabel("Bars: each layer now; lines: the same over training. Dead ReLUs and "
                      "saturated sigmoid/tanh units stop learning; an update ratio near 1e-3 "
                      "is a healthy pace.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: gray;")
        self.view = pg.GraphicsLayoutWidget()
        bar.addWidget(hint, 1)
        bar.addWidget(export_button(self, self.view, "layer-health"))
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        self._build_bars()
        self._build_time_plots()

    def _plot(self, row: int, col: int, title: str, y_label: str = "") -> pg.PlotItem:
        plot = self.view.addPlot(row=row, col=col)
        plot.getAxis("bottom").setHeight(40)
        plot.setTitle(title, size="9pt")
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.showGrid(y=True, alpha=current_theme().grid_alpha)
        if y_label:
            plot.setLabel("left", y_label)
        return plot

    def _build_bars(self) -> None:
        self.units_plot = self._plot(0, 0, "Dead (red) / saturated (amber)")
        self.units_plot.setYRange(0.0, 1.0, padding=0.02)
        self.dead_bars = pg.BarGraphItem(x=[], height=[], width=0.38, brush=PROBLEM, pen=None)
        self.saturated_bars = pg.BarGraphItem(x=[], height=[], width=0.38, brush=WARNING,
                                              pen=None)
        self.units_plot.addItem(self.dead_bars)
        self.units_plot.addItem(self.saturated_bars)
        self.grad_plot = self._plot(0, 2, "Gradient norm ‖∂L/∂W‖")
        self.ratio_plot = self._plot(0, 4, "Update ratio lr·‖∂L/∂W‖/‖W‖")
        foreground = current_theme().foreground
        self.grad_bars = pg.BarGraphItem(x=[], height=[], width=0.6, brush=foreground, pen=None)
        self.ratio_bars = pg.BarGraphItem(x=[], height=[], width=0.6, brush=foreground, pen=None)
        for plot, bars in ((self.grad_plot, self.grad_bars), (self.ratio_plot, self.ratio_bars)):
            plot.getAxis("left").setLogMode(False, True)  # bars hold log10 values
            plot.addItem(bars)
        self.ratio_plot.addItem(self._healthy_line())
        self.units_plot.setToolTip(
            "Dead: share of ReLU units whose output is 0 for every probe sample (they get no "
            "gradient and never recover).\nSaturated: share of sigmoid/tanh outputs within 3% "
            "of their limits, where the slope is almost 0.\nThe output layer saturates when "
            "it is confident, which is fine.")
        self.grad_plot.setToolTip("‖∂L/∂W‖: the Frobenius norm of the last weight gradient. "
                                  "Tiny values mean vanishing gradients, huge ones exploding")
        self.ratio_plot.setToolTip("Update ratio = lr · ‖∂L/∂W‖ / ‖W‖: how much one plain "
                                   "step changes the weights, relative to their size. About "
                                   "1e-3 is healthy; 1e-6 barely learns; 1e-1 is unstable")

    def _healthy_line(self) -> pg.InfiniteLine:
        return pg.InfiniteLine(math.log10(HEALTHY_RATIO), angle=0, pen=pg.mkPen(
            "#2ca02c", width=1.5, style=Qt.PenStyle.DashLine), label="healthy ≈ 1e-3",
            labelOpts={"position": 0.5, "color": "#2ca02c", "anchors": [(0.5, 0), (0.5, 0)]})

    def _build_time_plots(self) -> None:
        self.bad_time = self._plot(0, 1, "over epochs")
        self.bad_time.setYRange(0.0, 1.0, padding=0.02)
        self.grad_time = self._plot(0, 3, "over epochs")
        self.grad_time.setLogMode(y=True)
        self.ratio_time = self._plot(0, 5, "over epochs")
        self.ratio_time.setLogMode(y=True)
        self.ratio_time.addItem(pg.InfiniteLine(math.log10(HEALTHY_RATIO), angle=0, pen=pg.mkPen(
            "#2ca02c", width=1, style=Qt.PenStyle.DashLine)))
        # each time plot shares the y axis of the bars to its left (log10 values for the
        # norms: the bars hold log10 and the curves are in log mode), so it needs none
        for plot, bars in ((self.bad_time, self.units_plot), (self.grad_time, self.grad_plot),
                           (self.ratio_time, self.ratio_plot)):
            plot.hideAxis("left")
            plot.setYLink(bars)
        self.grad_time.setXLink(self.bad_time)
        self.ratio_time.setXLink(self.bad_time)
        for col, stretch in enumerate((3, 2, 3, 2, 3, 2)):
            self.view.ci.layout.setColumnStretchFactor(col, stretch)

    def _set_layers(self, stats: Sequence[LayerStats]) -> None:
        """New layer list: ticks, per-layer buffers and lines."""
        self.layer_ids = [s.layer_id for s in stats]
        ticks = [[(i, f"{s.layer_id}\n{s.activation or 'linear'}") for i, s in enumerate(stats)]]
        for plot in (self.units_plot, self.grad_plot, self.ratio_plot):
            plot.getAxis("bottom").setTicks(ticks)
            plot.getAxis("bottom").setHeight(40)
            plot.setXRange(-0.6, len(stats) - 0.4, padding=0.0)
        for plot in (self.bad_time, self.grad_time, self.ratio_time):
            for item in list(plot.listDataItems()):
                plot.removeItem(item)
        self.histories, self.lines = {}, {}
        for i, layer_id in enumerate(self.layer_ids):
            self.histories[layer_id] = HistoryBuffer(COLUMNS, max_points=5000)
            pen = pg.mkPen(layer_color(i), width=1.8)
            self.lines[layer_id] = {
                "bad": self.bad_time.plot([], [], pen=pen),
                "grad_norm": self.grad_time.plot([], [], pen=pen),
                "update_ratio": self.ratio_time.plot([], [], pen=pen)}

    # -- updating ---------------------------------------------------------------------

    def reset(self) -> None:
        """Forget the histories (a new run)."""
        for history in self.histories.values():
            history.clear()
        self._dirty = True
        self.refresh()

    def add_stats(self, stats: Sequence[LayerStats] | None, x: float) -> None:
        """Record the layer statistics of a snapshot taken at epoch ``x``."""
        if not stats:
            return
        if [s.layer_id for s in stats] != self.layer_ids:
            self._set_layers(stats)
        self.stats = tuple(stats)
        for s in stats:
            history = self.histories[s.layer_id]
            if len(history) and x < history.last("x"):
                history.clear()  # time went backwards: a new run
            history.append(x, s.dead_fraction, s.saturated_fraction,
                           max(s.grad_norm, FLOOR), min(max(s.update_ratio, FLOOR), 1e12))
        self._dirty = True
        self.request_refresh()

    def show_stats(self, stats: Sequence[LayerStats] | None) -> None:
        """Show a rewound epoch's statistics in the bars; the lines over time stay."""
        if stats and [s.layer_id for s in stats] == self.layer_ids:
            self.stats = tuple(stats)
            self._dirty = True
            self.request_refresh()

    def refresh(self, force: bool = False) -> None:
        """Redraw (only while visible, unless ``force``)."""
        if not self._dirty or not (force or self.isVisible()):
            return
        self._dirty = False
        self._refresh_bars()
        for layer_id, history in self.histories.items():
            x = history.column("x")
            lines = self.lines[layer_id]
            lines["bad"].setData(x, np.maximum(history.column("dead"),
                                               history.column("saturated")))
            lines["grad_norm"].setData(x, history.column("grad_norm"))
            lines["update_ratio"].setData(x, history.column("update_ratio"))

    def _refresh_bars(self) -> None:
        stats = self.stats
        index = np.arange(len(stats), dtype=np.float64)
        self.dead_bars.setOpts(x=index - 0.2, height=[s.dead_fraction for s in stats])
        self.saturated_bars.setOpts(x=index + 0.2,
                                    height=[s.saturated_fraction for s in stats])
        brushes = [layer_color(i) for i in range(len(stats))]
        for plot, bars, name in ((self.grad_plot, self.grad_bars, "grad_norm"),
                                 (self.ratio_plot, self.ratio_bars, "update_ratio")):
            logs = _log10([getattr(s, name) for s in stats])
            low, high = self._log_range(name, logs, bars is self.ratio_bars)
            bars.setOpts(x=index, y0=low, height=logs - low, brushes=brushes)
            plot.setYRange(low, high, padding=0.0)

    def _log_range(self, column: str, now: np.ndarray, healthy: bool) -> tuple[float, float]:
        """Whole decades covering the bars, the history lines and the healthy mark."""
        values = [now] + [_log10(h.column(column)) for h in self.histories.values() if len(h)]
        if healthy:
            values.append(np.array([math.log10(HEALTHY_RATIO)]))
        every = np.concatenate(values)
        return math.floor(every.min()) - 1.0, math.ceil(every.max() + 0.6)
