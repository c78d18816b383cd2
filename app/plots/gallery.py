"""Image data: validation images with the network's answers, and first-layer weights as images.

The gallery shows the first validation images as the student would see them (the raw
pixels, dark ink on white), each labelled with the predicted class; mistakes get a red
frame and a red "true→predicted" label ("7→1"). The weight view reshapes each of the first
Dense layer's weight columns (the pixels one unit listens to) to the image shape: blue
where a bright pixel excites the unit, orange where it inhibits it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.plots.colour_maps import grey_lut
from app.plots.export import export_button
from app.plots.throttle import LazyRefresh
from app.theme import PROBLEM, current_theme, diverging_lut
from nncore.data.dataset import Splits
from nncore.runner import Evaluation

MAX_UNITS = 64
LABEL_SPACE = 0.6  # room under each image for its label, as a fraction of image height
PAD = 0.15          # gap between tiles, as a fraction of image width


def tile_layout(n: int, shape: tuple[int, int], cols: int,
                label_space: float = 0.0) -> tuple[np.ndarray, tuple[int, int]]:
    """Top-left pixel of each of ``n`` tiles in a grid, and the mosaic's ``(rows, cols)``."""
    h, w = shape
    pad = max(1, round(PAD * w))
    cell_h, cell_w = h + pad + round(label_space * h), w + pad
    grid_rows = max(1, math.ceil(n / cols))
    index = np.arange(n)
    origins = np.column_stack([(index // cols) * cell_h + pad, (index % cols) * cell_w + pad])
    return origins, (grid_rows * cell_h + pad, min(n, cols) * cell_w + pad)


def best_columns(n: int, shape: tuple[int, int], width: float, height: float,
                 label_space: float = 0.0) -> int:
    """The number of grid columns that shows ``n`` tiles largest in ``width x height``."""
    if n <= 0 or width <= 0 or height <= 0:
        return max(1, min(n, 8))
    best, best_scale = 1, 0.0
    for cols in range(1, n + 1):
        _, (rows_px, cols_px) = tile_layout(n, shape, cols, label_space)
        scale = min(width / cols_px, height / rows_px)
        if scale > best_scale:
            best, best_scale = cols, scale
    return best


def mosaic(images: np.ndarray, cols: int, fill: float,
           label_space: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(n, h, w)`` laid out in a grid (float32), and each tile's top-left pixel."""
    n, h, w = images.shape
    origins, size = tile_layout(n, (h, w), cols, label_space)
    out = np.full(size, fill, dtype=np.float32)
    for (r, c), image in zip(origins, images):
        out[r:r + h, c:c + w] = image
    return out, origins


def _image_view(widget: QWidget, name: str, save: bool) -> tuple[
        pg.GraphicsLayoutWidget, pg.PlotItem, pg.ImageItem, QLabel]:
    """A heading (with a save button) over an axis-free, aspect-locked image plot."""
    layout = QVBoxLayout(widget)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    view = pg.GraphicsLayoutWidget()
    heading = QLabel()
    bar = QHBoxLayout()
    bar.setContentsMargins(4, 0, 4, 0)
    bar.addWidget(heading, 1)
    if save:
        bar.addWidget(export_button(widget, view, name))
    layout.addLayout(bar)
    layout.addWidget(view, 1)
    plot = view.addPlot()
    for side in ("left", "bottom"):
        plot.hideAxis(side)
    plot.hideButtons()
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(x=False, y=False)
    plot.getViewBox().invertY(True)
    plot.getViewBox().setAspectLocked(True)
    image = pg.ImageItem(axisOrder="row-major")
    plot.addItem(image)
    return view, plot, image, heading


class ImageGallery(LazyRefresh, QWidget):
    """Validation images with predicted labels; wrong ones framed in red.

    Shows at most ``max_images`` (all the evaluation sends if None), in as many columns
    as make them largest in the space the widget has; ``save`` adds a save button.
    """

    refresh_interval_ms = 250

    def __init__(self, max_images: int | None = None, save: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.max_images = max_images
        self.cols = 0
        self._last: Evaluation | None = None
        self.splits: Splits | None = None
        self.wrong = np.zeros(0, dtype=bool)
        self.labels: list[pg.TextItem] = []
        self._key: tuple | None = None
        self._pending: Evaluation | None = None
        self.origins = np.zeros((0, 2), dtype=np.intp)
        self._init_refresh()
        self.view, self.plot, self.image, self.heading = _image_view(self, "gallery", save)
        self.view.setToolTip("Validation images (raw pixels) with the class the network "
                             "predicts under each; mistakes are framed in red and labelled "
                             "true→predicted.")
        self.image.setLookupTable(grey_lut())
        self.frames = self.plot.plot([], [], pen=pg.mkPen(PROBLEM, width=2.5), connect="finite")

    def set_splits(self, splits: Splits | None) -> None:
        """Use this data set's images (only if it has an image shape)."""
        self.splits = splits if splits is not None and splits.info.image_shape else None
        self.reset()

    def reset(self) -> None:
        """Clear the gallery (a new run or new data)."""
        self._key, self._pending, self._last = None, None, None
        self.image.clear()
        self.frames.setData([], [])
        self.wrong = np.zeros(0, dtype=bool)
        for label in self.labels:
            label.setText("")
        self.heading.setText("")

    def _images(self, split: str, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raw images ``(n, h, w)`` and true labels of ``indices`` into a split."""
        which = "val" if split == "validation" else "train"
        raw = getattr(self.splits, f"raw_{which}")
        x = raw if raw is not None else getattr(self.splits, f"x_{which}")
        shape = self.splits.info.image_shape[:2]
        images = np.asarray(x[indices], dtype=np.float32)[:, :shape[0] * shape[1]]
        return images.reshape(-1, *shape), np.asarray(getattr(self.splits, f"y_{which}"))[
            indices]

    def show_evaluation(self, evaluation: Evaluation | None) -> None:
        """Take the gallery of a new evaluation (drawn when visible)."""
        if evaluation is None or evaluation.gallery_indices is None or self.splits is None:
            return
        self._pending = evaluation
        self.request_refresh()

    def refresh(self, force: bool = False) -> None:
        """Redraw (only while visible, unless ``force``)."""
        evaluation = self._pending
        if evaluation is None or not (force or self.isVisible()):
            return
        self._pending, self._last = None, evaluation
        indices = np.asarray(evaluation.gallery_indices)[:self.max_images]
        images, truth = self._images(evaluation.split, indices)
        cols = self._columns(images.shape)
        key = (evaluation.split, indices.tobytes(), cols)
        if key != self._key:
            self.cols = cols
            self._draw_images(images)
            self._key = key
        predicted = np.asarray(evaluation.gallery_predictions)[:len(indices)].astype(int)
        self.wrong = predicted != truth
        self._draw_labels(truth, predicted)
        n_wrong = int(self.wrong.sum())
        self.heading.setText(f"{len(indices) - n_wrong} of {len(indices)} {evaluation.split} "
                             "images right")

    def _columns(self, shape: tuple[int, ...]) -> int:
        size = self.view.size()
        return best_columns(shape[0], shape[1:3], size.width(), size.height(), LABEL_SPACE)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._last is not None and self._pending is None:
            self._pending = self._last  # redraw in the columns that suit the new size
            self.request_refresh()

    def _draw_images(self, images: np.ndarray) -> None:
        low, high = float(images.min()), float(images.max())
        picture, self.origins = mosaic(images, self.cols, low, LABEL_SPACE)
        self.image.setImage(picture, autoLevels=False,
                            levels=(low, high if high > low else low + 1))
        self.image.setRect(QRectF(0, 0, picture.shape[1], picture.shape[0]))
        self.plot.setRange(xRange=(0, picture.shape[1]), yRange=(0, picture.shape[0]),
                           padding=0.0)
        font = QFont()
        font.setPointSize(8)
        while len(self.labels) < len(images):
            label = pg.TextItem("", anchor=(0.5, 0.0))
            label.setFont(font)
            self.plot.addItem(label)
            self.labels.append(label)
        h, w = images.shape[1:]
        for label, (r, c) in zip(self.labels, self.origins):
            label.setPos(c + w / 2, r + h)

    def _draw_labels(self, truth: np.ndarray, predicted: np.ndarray) -> None:
        names = self.splits.info.class_names
        name = (lambda i: names[i] if i < len(names) else str(i))  # noqa: E731
        foreground = current_theme().foreground
        for label, t, p, bad in zip(self.labels, truth, predicted, self.wrong):
            label.setText(f"{name(t)}→{name(p)}" if bad else name(p))
            label.setColor(PROBLEM if bad else foreground)
        for label in self.labels[len(truth):]:
            label.setText("")
        h, w = self.splits.info.image_shape[:2]
        xs, ys = [], []
        for r, c in self.origins[:len(truth)][self.wrong]:
            xs += [c - 0.5, c + w + 0.5, c + w + 0.5, c - 0.5, c - 0.5, np.nan]
            ys += [r - 0.5, r - 0.5, r + h + 0.5, r + h + 0.5, r - 0.5, np.nan]
        self.frames.setData(xs, ys)


class FirstLayerWeights(LazyRefresh, QWidget):
    """The first Dense layer's weight columns drawn as images (up to 64 units)."""

    refresh_interval_ms = 250

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image_shape: tuple[int, int] | None = None
        self.tiles = np.zeros((0, 0, 0), dtype=np.float32)
        self._weights: np.ndarray | None = None
        self._last: np.ndarray | None = None
        self._init_refresh()
        self.view, self.plot, self.image, self.heading = _image_view(self, "first-layer", True)
        self.view.setToolTip("Each tile is one unit of the first layer: its weights w_ij "
                             "for every pixel i, drawn as an image and scaled to its largest "
                             "|w|. Blue pixels excite the unit, orange ones inhibit it.")
        self.image.setLookupTable(diverging_lut(dark=current_theme().dark))

    def set_image_shape(self, shape: tuple[int, ...] | None) -> None:
        """The shape of one input image (None: not image data)."""
        self.image_shape = tuple(shape[:2]) if shape else None
        self._weights = self._last = None
        self.image.clear()
        self.heading.setText("")

    def show_weights(self, weights: Mapping[str, np.ndarray] | None, layer_id: str | None) -> None:
        """Take the first layer's weights from an update (drawn when visible)."""
        if weights is None or layer_id is None or self.image_shape is None:
            return
        w = weights.get(f"{layer_id}.weight")
        if w is None:
            return
        self._weights = np.asarray(w)
        self.request_refresh()

    def refresh(self, force: bool = False) -> None:
        """Redraw (only while visible, unless ``force``)."""
        w, shape = self._weights, self.image_shape
        if w is None or shape is None or not (force or self.isVisible()):
            return
        self._weights, self._last = None, w
        pixels = shape[0] * shape[1]
        if w.shape[0] != pixels:  # derived features: the columns are not images
            self.heading.setText("The first layer's inputs are not the image pixels")
            return
        units = min(MAX_UNITS, w.shape[1])
        columns = w[:, :units].T.astype(np.float32)
        peak = np.abs(columns).max(axis=1, keepdims=True)
        self.tiles = (columns / np.where(peak > 0, peak, 1.0)).reshape(units, *shape)
        size = self.view.size()
        picture, _ = mosaic(self.tiles, best_columns(units, shape, size.width(),
                                                     size.height()), 0.0)
        self.image.setImage(picture, autoLevels=False, levels=(-1.0, 1.0))
        self.image.setRect(QRectF(0, 0, picture.shape[1], picture.shape[0]))
        self.plot.setRange(xRange=(0, picture.shape[1]), yRange=(0, picture.shape[0]),
                           padding=0.0)
        self.heading.setText(weights_heading(columns, w.shape[1]))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._last is not None and self._weights is None:
            self._weights = self._last  # redraw in the columns that suit the new size
            self.request_refresh()


def weights_heading(columns: np.ndarray, total_units: int) -> str:
    """The caption over the first layer's weight images; it says so when they are blank
    because every weight is zero, or when every unit holds the same picture, so an empty
    or repeated mosaic reads as the symmetry problem it shows, not as a drawing fault."""
    units = columns.shape[0]
    text = (f"First-layer weights of {units} of {total_units} units: the pixels each one "
            "looks for (blue +, orange −)")
    if not np.any(columns):
        return text + " — all zero: no unit looks for anything (see the doctor)"
    if units > 1 and np.all(columns == columns[:1]):
        return text + " — every unit identical: symmetry was never broken (see the doctor)"
    return text
