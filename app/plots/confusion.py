"""The confusion matrix: which classes the network mixes up, on the validation data.

Rows are the true classes, columns the predicted ones; each cell shows its count, and its
colour the share of its row (so rare classes are as visible as common ones): blue shades
on the diagonal (right), orange shades off it (mistakes).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.plots.colour_maps import background_rgb, rgb
from app.plots.export import export_button
from app.plots.throttle import LazyRefresh
from app.theme import BLUE, ORANGE, current_theme
from nncore.runner import Evaluation

MAX_TEXT_CLASSES = 20  # above this, cells are too small for numbers
MIN_CELL_PX = 20  # smaller cells show their colour only


def _shorten(name: str, chars: int) -> str:
    return name if len(name) <= chars else name[:max(1, chars - 1)] + "…"


def row_normalised(confusion: np.ndarray) -> np.ndarray:
    """Each row divided by its total (rows without samples stay 0)."""
    totals = confusion.sum(axis=1, keepdims=True)
    return confusion / np.where(totals > 0, totals, 1)


def confusion_rgba(shares: np.ndarray) -> np.ndarray:
    """``(k, k, 4)`` uint8: background -> blue on the diagonal, -> orange elsewhere.

    The strength is the square root of the share, so a single mistake among 40 samples
    (2.5 %) is still plainly orange.
    """
    k = shares.shape[0]
    target = np.where(np.eye(k, dtype=bool)[..., None], rgb(BLUE), rgb(ORANGE))
    strength = np.sqrt(np.clip(shares, 0.0, 1.0))[..., None]
    colors = background_rgb() + strength * (target - background_rgb())
    out = np.empty((k, k, 4), dtype=np.uint8)
    out[..., :3] = np.clip(np.round(colors), 0, 255)
    out[..., 3] = 255
    return out


class ConfusionMatrixView(LazyRefresh, QWidget):
    """Counts and row shares of an ``Evaluation.confusion`` matrix."""

    refresh_interval_ms = 250

    def __init__(self, compact: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.class_names: tuple[str, ...] = ()
        self.confusion: np.ndarray | None = None
        self.split = "validation"
        self.texts: list[pg.TextItem] = []
        self._dirty = False
        self._init_refresh()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.caption = QLabel("Rows: true class · columns: predicted class · colour: share "
                              "of the row (blue = right, orange = mistaken)")
        self.caption.setStyleSheet("color: gray;")
        self.caption.setWordWrap(True)
        self.view = pg.GraphicsLayoutWidget()
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 0, 4, 0)
        bar.addWidget(self.caption, 1)
        if not compact:  # the output column has its own caption and save button
            bar.addWidget(export_button(self, self.view, "confusion"))
            layout.addLayout(bar)
        else:
            self.caption.hide()
        layout.addWidget(self.view, 1)
        self.view.setToolTip("Cell (row i, column j): how many samples of true class i the "
                             "network predicted as class j. The diagonal holds the right "
                             "answers; colour is the share of the row.")
        self.plot = self.view.addPlot()
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.getViewBox().invertY(True)
        self.plot.getViewBox().setAspectLocked(True)
        self.plot.setLabel("bottom", "predicted class")
        self.plot.setLabel("left", "true class")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.plot.getViewBox().sigResized.connect(self._fit_column_labels)

    def set_classes(self, class_names: tuple[str, ...]) -> None:
        """Label the axes with the class names (and forget the previous matrix)."""
        self.class_names = tuple(class_names)
        self.confusion = None
        self.image.clear()
        for text in self.texts:
            self.plot.removeItem(text)
        self.texts = []
        k = len(self.class_names)
        self.plot.getAxis("left").setTicks([list(enumerate(_shorten(n, 14)
                                                           for n in self.class_names))])
        if k == 0:
            self._fit_column_labels()
            return
        self.plot.setRange(xRange=(-0.5, k - 0.5), yRange=(-0.5, k - 0.5), padding=0.02)
        if k <= MAX_TEXT_CLASSES:
            font = QFont()
            font.setPointSize(11 if k <= 5 else 8)
            for i in range(k * k):
                text = pg.TextItem("", anchor=(0.5, 0.5))
                text.setFont(font)
                text.setPos(i % k, i // k)
                self.plot.addItem(text)
                self.texts.append(text)
        self._fit_column_labels()

    def _fit_column_labels(self) -> None:
        """Fit the labels to the cell size: column names shortened so neighbours do not
        overlap, counts only where a cell is big enough to hold them."""
        cell_px = 1.0 / max(self.plot.getViewBox().viewPixelSize()[0], 1e-9)
        chars = max(2, int(cell_px // 7))
        self.plot.getAxis("bottom").setTicks(
            [list(enumerate(_shorten(name, chars) for name in self.class_names))])
        for text in self.texts:
            text.setVisible(cell_px >= MIN_CELL_PX)

    def reset(self) -> None:
        """Forget the matrix (a new run)."""
        self.confusion = None
        self.image.clear()
        for text in self.texts:
            text.setText("")

    def show_evaluation(self, evaluation: Evaluation | None) -> None:
        """Take the confusion matrix of a new evaluation (drawn when visible)."""
        if evaluation is None or evaluation.confusion is None:
            return
        self.confusion = np.asarray(evaluation.confusion)
        self.split = evaluation.split
        self._dirty = True
        self.request_refresh()

    def refresh(self, force: bool = False) -> None:
        """Redraw (only while visible, unless ``force``)."""
        if not self._dirty or self.confusion is None or not (force or self.isVisible()):
            return
        self._dirty = False
        self._init_refresh()
        matrix = self.confusion
        k = matrix.shape[0]
        if k != len(self.class_names):
            self.set_classes(tuple(str(i) for i in range(k)))
            self.confusion = matrix
        shares = row_normalised(matrix)
        self.image.setImage(confusion_rgba(shares), autoLevels=False, levels=(0, 255))
        self.image.setRect(QRectF(-0.5, -0.5, k, k))
        dark_text = current_theme().foreground
        for text, count, share in zip(self.texts, matrix.ravel(), shares.ravel()):
            text.setText(str(int(count)) if count or k <= 5 else "")
            text.setColor("#ffffff" if share > 0.3 else dark_text)
        self.plot.setTitle(f"{int(matrix.sum()):,} {self.split} samples, "
                           f"{int(np.trace(matrix)):,} right", size="9pt")
