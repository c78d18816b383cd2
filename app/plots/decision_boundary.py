"""The 2-D output view: the network's answer over the whole input plane, with the data on top.

Classification: the class probability as a pale orange -> white -> blue map (binary), or
each pixel's winning class colour faded toward white by its uncertainty (more classes);
*discretised*, only the decision (threshold 0.5 / the winning class) in hard colours.
Regression: the predicted value as a heat map, with the points coloured by their target
on the same scale. The map comes ready-made from the visualiser's ``VisualFrame``
(200 x 200 by default); this view only paints it: one ``setImage`` with fixed levels.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.plots.colour_maps import map_lut, multiclass_image, point_lut, value_colors
from app.theme import class_colors, current_theme
from nncore.data.dataset import Splits
from nncore.visual import GridMap, plot_extent

POINT_SIZE = 7
ASPECT_LIMIT = 3.0
"""Up to this ratio between the two inputs' ranges the map keeps true proportions (a circle
stays round); beyond it, as for a file whose features differ in scale by orders of
magnitude, each axis gets its own scale and the map stays square instead of a thin strip."""
TOOLTIPS = {
    "binary": "The network's probability of the blue class at every point of the plane: "
              "p = σ(output). White is p = 0.5, the decision boundary; the paler the colour, "
              "the less sure the network. Dots: training data; ringed dots: validation data.",
    "multiclass": "The most likely class at every point (softmax), faded toward white where "
                  "the network is unsure (colour blended by 1 − p). Dots: the data.",
    "regression": "The network's prediction ŷ at every point, on the colour scale of the "
                  "targets (orange low, blue high). Dots: the data coloured by their target y.",
}


def _raw(splits: Splits, which: str) -> tuple[np.ndarray, np.ndarray]:
    """Inputs in original coordinates and targets of ``train`` or ``val``."""
    raw = getattr(splits, f"raw_{which}")
    x = raw if raw is not None else getattr(splits, f"x_{which}")
    return np.asarray(x[:, :2], dtype=np.float64), np.asarray(getattr(splits, f"y_{which}"))


def pixel_rect(extent: tuple[float, float, float, float], shape: tuple[int, int]) -> QRectF:
    """The rectangle an image of grid *centres* covers: half a pixel beyond the extent."""
    x0, x1, y0, y1 = extent
    rows, cols = shape
    dx = (x1 - x0) / max(cols - 1, 1)
    dy = (y1 - y0) / max(rows - 1, 1)
    return QRectF(x0 - dx / 2, y0 - dy / 2, (x1 - x0) + dx, (y1 - y0) + dy)


def aspect_ratio(extent: tuple[float, float, float, float]) -> float:
    """pyqtgraph's locked aspect (x units per pixel over y units per pixel) for a map of
    ``extent``: 1 (true proportions) unless the ranges differ more than ``ASPECT_LIMIT``
    times, then whatever draws the extent as a square."""
    x0, x1, y0, y1 = extent
    width, height = abs(x1 - x0), abs(y1 - y0)
    if not (width > 0 and height > 0 and np.isfinite(width) and np.isfinite(height)):
        return 1.0
    ratio = height / width
    return 1.0 if 1.0 / ASPECT_LIMIT <= ratio <= ASPECT_LIMIT else ratio


class DecisionMap(QWidget):
    """Decision map (classification) or heat map (regression) of 2-D data, with points."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.task = "binary"
        self.n_classes = 2
        self.discrete = False
        self.levels = (0.0, 1.0)
        self.extent: tuple[float, float, float, float] | None = None
        self.grid: GridMap | None = None
        self.shown: np.ndarray | None = None  # the values (or RGBA) the image displays
        self._build()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.view = pg.GraphicsLayoutWidget()
        self.view.ci.setContentsMargins(0, 0, 0, 0)
        self.plot = self.view.addPlot()
        tick_font = QFont()
        tick_font.setPointSize(7)
        for side in ("left", "bottom"):  # the inputs' own units: scales differ between sets
            axis = self.plot.getAxis(side)
            axis.setStyle(tickFont=tick_font, tickLength=-4)
            axis.setPen(pg.mkPen(current_theme().foreground))
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.getViewBox().setAspectLocked(True)
        self.plot.getViewBox().setDefaultPadding(0.0)
        self._lut = map_lut()
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLookupTable(self._lut)
        self.plot.addItem(self.image)
        theme = current_theme()
        self.train_points = pg.ScatterPlotItem(size=POINT_SIZE, pen=pg.mkPen(
            theme.background, width=1.0), pxMode=True, name="training")
        self.val_points = pg.ScatterPlotItem(size=POINT_SIZE, pen=pg.mkPen(
            theme.foreground, width=1.6), pxMode=True, name="validation")
        self.plot.addItem(self.train_points)
        self.plot.addItem(self.val_points)
        layout.addWidget(self.view)

    # -- data ---------------------------------------------------------------------------

    def set_splits(self, splits: Splits | None) -> None:
        """Show the points of ``splits`` (2-D inputs) and forget the previous map."""
        self.grid, self.shown = None, None
        self.image.clear()
        if splits is None:
            self.train_points.clear()
            self.val_points.clear()
            return
        info = splits.info
        self._lut = map_lut()  # follows a theme change
        self.task = info.task
        self.n_classes = max(info.n_classes, 2)
        self.view.setToolTip(TOOLTIPS.get(self.task, TOOLTIPS["multiclass"]))
        (x_train, y_train), (x_val, y_val) = _raw(splits, "train"), _raw(splits, "val")
        if self.task == "regression":
            targets = np.concatenate([y_train[:, 0], y_val[:, 0]]) if len(y_val) else \
                y_train[:, 0]
            self.levels = (float(targets.min()), float(targets.max()))
        else:
            self.levels = (0.0, 1.0)
        self._set_points(self.train_points, x_train, y_train)
        self._set_points(self.val_points, x_val, y_val)
        raw = x_train if len(x_val) == 0 else np.concatenate([x_train, x_val])
        names = info.feature_names[:2] if len(info.feature_names) >= 2 else ("x1", "x2")
        self.plot.setLabel("bottom", names[0], **{"font-size": "8pt"})
        self.plot.setLabel("left", names[1], **{"font-size": "8pt"})
        self.extent = None  # new data: set the range (and proportions) again
        self._set_extent(plot_extent(raw, info.domain))
        self._label_axes(info.feature_names)

    def _label_axes(self, names: tuple[str, ...]) -> None:
        """Real column names on the axes (a file's); the built-ins' x1, x2 stay unlabelled."""
        named = len(names) == 2 and tuple(names) != ("x1", "x2")
        for side, name in zip(("bottom", "left"), names[:2], strict=False):
            if named:
                self.plot.showAxis(side)
                self.plot.setLabel(side, name)
            else:
                self.plot.hideAxis(side)

    def _set_points(self, item: pg.ScatterPlotItem, x: np.ndarray, y: np.ndarray) -> None:
        if self.task == "regression":
            rgba = value_colors(y[:, 0], *self.levels, point_lut())
            brushes = [QBrush(QColor(*row)) for row in rgba.tolist()]
        else:
            palette = [QBrush(QColor(c)) for c in class_colors(self.n_classes)]
            brushes = [palette[int(c)] for c in y]
        item.setData(x=x[:, 0], y=x[:, 1], brush=brushes)

    def _set_extent(self, extent: tuple[float, float, float, float]) -> None:
        if extent == self.extent:
            return
        self.extent = extent
        x0, x1, y0, y1 = extent
        self.plot.getViewBox().setAspectLocked(True, ratio=aspect_ratio(extent))
        self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.0)
        self._fit_plot_to_extent()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_plot_to_extent()

    def _fit_plot_to_extent(self) -> None:
        """Pad the plot so its drawing area has the map's own proportions: with the aspect
        locked, a wide, short panel would otherwise widen the x range and show empty axis
        beside the data (e.g. x from -30 to 40 around spirals that span -5 to 5)."""
        if self.extent is None:
            return
        x0, x1, y0, y1 = self.extent
        dx, dy = abs(x1 - x0), abs(y1 - y0)
        if not (dx > 0 and dy > 0 and np.isfinite(dx) and np.isfinite(dy)):
            return
        want = (dx / dy) * aspect_ratio(self.extent)  # width / height of the drawing area
        width = self.view.width() - self.plot.getAxis("left").width()
        height = self.view.height() - self.plot.getAxis("bottom").height()
        if width <= 0 or height <= 0:
            return
        side = max(0.0, (width - height * want) / 2)
        top = max(0.0, (height - width / want) / 2)
        self.view.ci.setContentsMargins(side, top, side, top)
        self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.0)

    # -- frames -------------------------------------------------------------------------

    def show_map(self, grid: GridMap | None) -> None:
        """Paint a decision map or regression map (``VisualFrame.boundary``)."""
        self.grid = grid
        if grid is None:
            return
        self._set_extent(grid.extent)
        self._paint()
        self.image.setRect(pixel_rect(grid.extent, grid.values.shape))

    def clear_map(self) -> None:
        """Forget the painted map (its network is gone); the data points stay."""
        self.grid, self.shown = None, None
        self.image.clear()

    def set_discrete(self, on: bool) -> None:
        """Hard decisions (True) or probabilities (False); regression ignores it."""
        self.discrete = bool(on)
        if self.grid is not None:
            self._paint()

    def _paint(self) -> None:
        grid = self.grid
        if self.task == "regression":
            self.shown = grid.values
            self.image.setImage(self.shown, autoLevels=False, levels=self.levels,
                                lut=self._lut)
        elif grid.classes is not None:
            self.shown = multiclass_image(grid.classes, grid.values, self.n_classes,
                                          self.discrete)
            self.image.setImage(self.shown, autoLevels=False, levels=(0, 255), lut=None)
        else:
            values = grid.values
            if self.discrete:
                values = (values >= 0.5).astype(np.float32)
            self.shown = values
            self.image.setImage(values, autoLevels=False, levels=(0.0, 1.0), lut=self._lut)
