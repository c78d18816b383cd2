"""The 1-D regression view: the network's curve over the data points (e.g. y = x² on [0, 1]).

The curve comes ready-made from the visualiser (``VisualFrame.curve``: 400 inputs across
the data's domain and the predictions there); this view only draws it over the training
(filled) and validation (ringed) points in the data's original units.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.theme import OKABE_ITO, TRAIN_COLOR, VALIDATION_COLOR, current_theme
from nncore.data.dataset import Splits


def _raw_x(splits: Splits, which: str) -> np.ndarray:
    raw = getattr(splits, f"raw_{which}")
    x = raw if raw is not None else getattr(splits, f"x_{which}")
    return np.asarray(x[:, 0], dtype=np.float64)


class FitCurvePlot(QWidget):
    """Data points of a 1-D regression and the network's prediction across the domain."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.curves: list[pg.PlotDataItem] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.view = pg.GraphicsLayoutWidget()
        self.view.setToolTip("The network's prediction ŷ(x) across the input range, over the "
                             "data points. A good fit follows the points without wiggling "
                             "between them.")
        self.plot = self.view.addPlot()
        self.plot.showGrid(x=True, y=True, alpha=current_theme().grid_alpha)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.addLegend(offset=(6, 6), labelTextSize="8pt")
        theme = current_theme()
        self.train_points = pg.ScatterPlotItem(size=6, brush=pg.mkBrush(TRAIN_COLOR),
                                               pen=pg.mkPen(theme.background, width=0.8),
                                               name="training data")
        self.val_points = pg.ScatterPlotItem(size=7, brush=pg.mkBrush(VALIDATION_COLOR),
                                             pen=pg.mkPen(theme.foreground, width=1.2),
                                             name="validation data")
        self.plot.addItem(self.train_points)
        self.plot.addItem(self.val_points)
        self._ensure_curves(1)
        layout.addWidget(self.view)

    def _ensure_curves(self, n: int) -> None:
        """One line per target column (usually one)."""
        while len(self.curves) < n:
            color = current_theme().foreground if not self.curves else \
                OKABE_ITO[(len(self.curves) + 1) % len(OKABE_ITO)]
            pen = pg.mkPen(color, width=2.5)
            name = "network" if not self.curves else f"network (target {len(self.curves) + 1})"
            self.curves.append(self.plot.plot([], [], pen=pen, name=name))
        for i, curve in enumerate(self.curves):
            curve.setVisible(i < n)

    def set_splits(self, splits: Splits | None) -> None:
        """Show the points of a data set with one input feature."""
        for curve in self.curves:
            curve.setData([], [])
        if splits is None:
            self.train_points.clear()
            self.val_points.clear()
            return
        info = splits.info
        self.plot.setLabel("bottom", info.feature_names[0] if info.feature_names else "x")
        self.plot.setLabel("left", "y")
        xs, ys = [], []
        for item, which in ((self.train_points, "train"), (self.val_points, "val")):
            x = _raw_x(splits, which)
            y = np.asarray(getattr(splits, f"y_{which}"), dtype=np.float64).reshape(
                len(x), max(1, info.n_targets))  # (an empty validation split too)
            item.setData(x=np.repeat(x, y.shape[1]), y=y.ravel())
            xs.append(x)
            ys.append(y.ravel())
        self._ensure_curves(max(1, info.n_targets))
        self._fix_range(np.concatenate(xs), np.concatenate(ys),
                        info.domain[0] if info.domain else None)

    def _fix_range(self, x: np.ndarray, y: np.ndarray,
                   domain: tuple[float, float] | None) -> None:
        """Axes fitted to the data, fixed, so a wild untrained curve does not rescale them."""
        x0, x1 = domain if domain else (float(x.min()), float(x.max()))
        y0, y1 = float(y.min()), float(y.max())
        pad = 0.15 * (y1 - y0) if y1 > y0 else 1.0
        self.plot.disableAutoRange()
        self.plot.setRange(xRange=(x0, x1), yRange=(y0 - pad, y1 + pad), padding=0.0)

    def show_curve(self, curve: tuple[np.ndarray, np.ndarray] | None) -> None:
        """Draw ``VisualFrame.curve``: inputs ``(n,)`` and predictions ``(n, k)``."""
        if curve is None:
            return
        x, y = curve
        y = np.asarray(y).reshape(len(x), -1)
        self._ensure_curves(y.shape[1])
        for i in range(y.shape[1]):
            self.curves[i].setData(x, y[:, i])
