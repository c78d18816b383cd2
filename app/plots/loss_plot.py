"""Loss and accuracy (or R²) against epochs, updated live while a run trains.

The epoch-end values come from the run's ``EpochRecord``s (exact evaluations). Between
epoch ends a thin line follows the *running* loss, the mean of the batch losses so far in
the epoch, plotted at the fractional epoch ``epoch + step_in_epoch / steps_per_epoch``, so
a long MNIST epoch (469 steps) still moves on screen. Histories live in bounded
``HistoryBuffer``s and the curves downsample to the screen, so a 100,000-epoch run stays
fast and small.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.plots.buffers import HistoryBuffer
from app.plots.export import export_button
from app.plots.throttle import LazyRefresh
from app.theme import TRAIN_COLOR, VALIDATION_COLOR, current_theme
from nncore.training import EpochRecord, Snapshot

RECORD_COLUMNS = ("epoch", "train_loss", "val_loss", "train_metric", "val_metric", "lr")
NICE_STEPS = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.5, 2, 3, 4, 5, 6, 8 x 10^k that is >= ``value`` (> 0)."""
    if not np.isfinite(value) or value <= 0:
        return 1.0
    scale = 10.0 ** np.floor(np.log10(value))
    return next(step * scale for step in NICE_STEPS if step * scale >= value * (1 - 1e-12))
METRIC_LABELS = {"accuracy": "accuracy", "r2": "R²"}
R2_FLOOR = -1.0


class LossAxis(pg.AxisItem):
    """A log axis labelled only at 1, 2 and 5 times a power of ten (or only at powers of
    ten), instead of at every minor tick (1, 2, 3, ... 9 crowd a small plot)."""

    def __init__(self, orientation: str, mantissas: tuple[int, ...] = (1, 2, 5)) -> None:
        super().__init__(orientation)
        self.mantissas = mantissas
        self.enableAutoSIPrefix(False)  # "0.001", never "1 (x0.001)"

    def logTickStrings(self, values, scale, spacing) -> list[str]:
        strings = super().logTickStrings(values, scale, spacing)
        mantissa = np.round(10 ** (np.asarray(values, dtype=np.float64) % 1.0), 6)
        return [text if m in self.mantissas else "" for text, m in zip(strings, mantissa)]


def _pen(color: str, width: float = 2.0, alpha: int = 255,
         style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> pg.QtGui.QPen:
    qcolor = QColor(color)
    qcolor.setAlpha(alpha)
    pen = pg.mkPen(qcolor, width=width, style=style)
    pen.setCosmetic(True)
    return pen


def _curve(plot: pg.PlotItem, pen) -> pg.PlotDataItem:
    item = plot.plot([], [], pen=pen, connect="finite")
    item.setDownsampling(auto=True, method="peak")
    # pyqtgraph's default keeps ~5 samples per pixel; peak mode already keeps each
    # pixel's extremes, so 1 is visually the same and strokes 5x fewer segments
    item.opts["autoDownsampleFactor"] = 1.0
    item.setClipToView(True)
    return item


class LossPlot(LazyRefresh, QWidget):
    """Loss (train, validation, running) and the metric per epoch; learning rate too.

    ``mode`` is ``"full"`` (loss, metric and learning rate side by side, for the analysis
    tab), ``"column"`` (loss over metric, for a narrow column) or ``"spark"`` (the loss
    alone, without toolbar, legend or epoch axis: the sparkline under the output view).
    """

    refresh_interval_ms = 50

    def __init__(self, mode: str = "full", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if mode not in ("full", "column", "spark"):
            raise ValueError(f"unknown LossPlot mode {mode!r}")
        self.mode = mode
        self.compact = mode == "spark"
        self.metric_name = "accuracy"
        self.records = HistoryBuffer(RECORD_COLUMNS)
        self.running = HistoryBuffer(("x", "loss"))
        self._dirty = False
        self._ranges: tuple = ()
        self._init_refresh()
        self._build_view()
        self._build_layout()
        self.set_log(True)

    # -- building ---------------------------------------------------------------------

    def _build_view(self) -> None:
        self.view = pg.GraphicsLayoutWidget()
        self.view.ci.setContentsMargins(2, 2, 2, 2)
        axis = LossAxis("left", (1,) if self.compact else (1, 2, 5))
        self.loss_plot = self.view.addPlot(row=0, col=0, axisItems={"left": axis})
        self._style(self.loss_plot, "loss")
        self.running_curve = _curve(self.loss_plot, _pen(TRAIN_COLOR, 1.0, 110))
        self.train_curve = _curve(self.loss_plot, _pen(TRAIN_COLOR))
        self.val_curve = _curve(self.loss_plot, _pen(VALIDATION_COLOR))
        self.metric_plot = self.lr_plot = None
        self.train_metric_curve = self.val_metric_curve = self.lr_curve = None
        if self.compact:
            self.loss_plot.hideAxis("bottom")
            self.loss_plot.getAxis("left").setWidth(34)
            return
        self._build_metric_plots()

    def _build_metric_plots(self) -> None:
        full = self.mode == "full"
        self.metric_plot = self.view.addPlot(row=0 if full else 1, col=1 if full else 0)
        self._style(self.metric_plot, "accuracy")
        self.train_metric_curve = _curve(self.metric_plot, _pen(TRAIN_COLOR))
        self.val_metric_curve = _curve(self.metric_plot, _pen(VALIDATION_COLOR))
        self.metric_plot.setXLink(self.loss_plot)
        self._set_metric_range()
        if not full:
            return
        self.lr_plot = self.view.addPlot(row=0, col=2)
        self._style(self.lr_plot, "learning rate")
        self.lr_plot.getAxis("left").enableAutoSIPrefix(False)
        self.lr_curve = _curve(self.lr_plot, _pen(current_theme().foreground, 1.5))
        self.lr_plot.setXLink(self.loss_plot)
        for col, stretch in enumerate((5, 4, 2)):
            self.view.ci.layout.setColumnStretchFactor(col, stretch)

    def _style(self, plot: pg.PlotItem, y_label: str) -> None:
        plot.showGrid(x=True, y=True, alpha=current_theme().grid_alpha)
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        if not self.compact:
            plot.setLabel("left", y_label)
            plot.setLabel("bottom", "epoch")
        # ranges are set by _fit_ranges in coarse steps: axes that change on every update
        # would be re-laid out and repainted 30 times a second, and would jitter
        plot.disableAutoRange()

    def _build_layout(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.log_box = QCheckBox("Log scale", self)
        self.log_box.setToolTip("Show the loss on a logarithmic axis: equal steps are equal "
                                "factors (0.1 → 0.01 looks like 1 → 0.1)")
        self.log_box.toggled.connect(self.set_log)
        self.toolbar = QHBoxLayout()
        if self.compact:
            self.log_box.hide()
        else:
            self.toolbar.setContentsMargins(4, 0, 4, 0)
            self.toolbar.addWidget(self.log_box)
            self.toolbar.addWidget(self._legend(), 1)
            self.toolbar.addWidget(export_button(self, self.view, "loss"))
            layout.addLayout(self.toolbar)
        layout.addWidget(self.view, 1)

    def mark_epoch(self, epoch: float | None) -> None:
        """A dashed vertical line at ``epoch`` (None: no line): the epoch the timeline
        shows the network at."""
        if not hasattr(self, "_marks"):
            if epoch is None:
                return
            pen = pg.mkPen(current_theme().foreground, width=1, style=Qt.PenStyle.DashLine)
            plots = [p for p in (self.loss_plot, self.metric_plot) if p is not None]
            self._marks = [pg.InfiniteLine(angle=90, pen=pen) for _ in plots]
            for plot, line in zip(plots, self._marks):
                plot.addItem(line)
        for line in self._marks:
            line.setVisible(epoch is not None)
            if epoch is not None:
                line.setPos(epoch)

    def _legend(self) -> QLabel:
        """A one-line legend in the toolbar (a legend inside a short plot hides the lines)."""
        items = [(TRAIN_COLOR, "<b>━━</b>", "training"),
                 (VALIDATION_COLOR, "<b>━━</b>", "validation")]
        if self.mode == "full":
            items.append((TRAIN_COLOR, "──", "running mean in the current epoch"))
        label = QLabel("&nbsp;&nbsp;".join(
            f'<span style="color:{color}">{line}</span> {text}' for color, line, text in items))
        label.setToolTip("Thick lines: the exact loss on all training (blue) and validation "
                         "(orange) data at the end of each epoch.\nThin line: the mean of the "
                         "batch losses so far in the current epoch, so long epochs move too.")
        return label

    def add_tool(self, widget: QWidget) -> None:
        """Put a widget in the toolbar, before the save button."""
        self.toolbar.insertWidget(max(0, self.toolbar.count() - 1), widget)

    # -- updating ---------------------------------------------------------------------

    def set_log(self, on: bool) -> None:
        """Logarithmic (True) or linear loss axis."""
        if self.log_box.isChecked() != on:
            self.log_box.setChecked(on)
            return
        self.loss_plot.setLogMode(y=on)
        self._dirty = True
        self.refresh(force=True)

    @property
    def is_log(self) -> bool:
        return bool(self.loss_plot.getAxis("left").logMode)

    def reset(self, metric_name: str | None = None) -> None:
        """Forget the curves (a new run); ``metric_name`` is ``accuracy`` or ``r2``."""
        self.records.clear()
        self.running.clear()
        if metric_name is not None and metric_name != self.metric_name:
            self.metric_name = metric_name
            self._set_metric_range()
        self._dirty = True
        self.refresh()

    def _set_metric_range(self) -> None:
        if self.metric_plot is None:
            return
        self.metric_plot.setLabel("left", METRIC_LABELS.get(self.metric_name, self.metric_name))
        low = R2_FLOOR if self.metric_name == "r2" else 0.0  # an untrained net's R² can be -50
        self.metric_plot.setYRange(low - 0.03, 1.04, padding=0.0)
        self.metric_plot.getAxis("left").setToolTip(
            "R² = 1 − (squared error / variance of the targets): 1 is a perfect fit, 0 is no "
            "better than predicting the mean; values below −1 are drawn at −1"
            if self.metric_name == "r2" else "Fraction of samples classified correctly")

    def add_records(self, records: Iterable[EpochRecord]) -> None:
        """Append epoch-end records (in order)."""
        for r in records:
            self.records.append(r.epoch, r.train_loss, r.val_loss, r.train_metric,
                                r.val_metric, r.lr)
            self.running.append(r.epoch, r.running_loss)
            self._dirty = True

    def add_snapshot(self, snapshot: Snapshot) -> None:
        """Add the running loss of a snapshot taken inside an epoch."""
        if snapshot.step_in_epoch <= 0 or snapshot.steps_per_epoch <= 1 or \
                not np.isfinite(snapshot.running_loss):
            return
        x = snapshot.epoch + snapshot.step_in_epoch / snapshot.steps_per_epoch
        if len(self.running) and x <= self.running.last("x"):
            return
        self.running.append(x, snapshot.running_loss)
        self._dirty = True

    def refresh(self, force: bool = False) -> None:
        """Push the buffers to the curves (skipped while hidden, unless ``force``)."""
        if not self._dirty or not (force or self.isVisible()):
            return
        self._dirty = False
        epoch = self.records.column("epoch")
        self.train_curve.setData(*self._loss_data(epoch, self.records.column("train_loss")))
        self.val_curve.setData(*self._loss_data(epoch, self.records.column("val_loss")))
        self.running_curve.setData(*self._loss_data(self.running.column("x"),
                                                    self.running.column("loss")))
        self._fit_ranges()
        if self.metric_plot is not None:
            self.train_metric_curve.setData(epoch, self._metric_data("train_metric"))
            self.val_metric_curve.setData(epoch, self._metric_data("val_metric"))
        if self.lr_plot is not None:
            lr = self.records.column("lr")
            self.lr_curve.setData(epoch, lr)
            top = nice_ceiling(float(np.nanmax(lr)) * 1.1) if len(lr) else 1.0
            if self.lr_plot.viewRange()[1][1] != top:
                self.lr_plot.setYRange(0.0, top, padding=0.0)

    def _metric_data(self, column: str) -> np.ndarray:
        """The metric as drawn: R² below the axis floor (-1) sits on the floor, so a fit
        worse than predicting the mean shows as a line along the bottom, not nothing."""
        values = self.records.column(column)
        return np.maximum(values, R2_FLOOR) if self.metric_name == "r2" else values

    def _fit_ranges(self) -> None:
        """Epochs from 0 to a round number; the loss over whole decades (log) or from 0."""
        last = max(self.records.last("epoch") if len(self.records) else 0.0,
                   self.running.last("x") if len(self.running) else 0.0)
        x_range = (0.0, nice_ceiling(last))
        losses = np.concatenate([self.records.column("train_loss"),
                                 self.records.column("val_loss"), self.running.column("loss")])
        losses = losses[np.isfinite(losses)]
        if self.is_log:
            losses = losses[losses > 0]
            low, high = (np.floor(np.log10(losses.min())), np.ceil(np.log10(losses.max()))) \
                if losses.size else (-2.0, 0.0)
            y_range = (low, max(high, low + 1))
        else:
            y_range = (0.0, nice_ceiling(float(losses.max())) if losses.size else 1.0)
        view = self.loss_plot.getViewBox()
        if self._ranges != (x_range, y_range):
            self._ranges = (x_range, y_range)
            view.setRange(xRange=x_range, yRange=y_range, padding=0.02)

    def _loss_data(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """On a log axis, leave out losses <= 0 (a float32 loss can round to 0), which
        would otherwise cut the line into dashes; the line joins the points around them."""
        if not self.is_log:
            return x, y
        keep = ~(y <= 0)  # NaN stays: it marks a real gap (no validation data)
        return (x, y) if keep.all() else (x[keep], y[keep])
