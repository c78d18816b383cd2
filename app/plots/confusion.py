"""The confusion matrix: which classes the network mixes up, on the validation data.

Rows are the true classes, columns the predicted ones. The matrix fills the space it is
given (cells need not be square); each cell shows its count and, when there is room, the
share of its row, and its colour that share (so rare classes are as visible as common
ones): blue shades on the diagonal (right), orange shades off it (mistakes). Class names
are shortened to the room a row or column has, so neighbours never overlap, and the line
above says exactly which samples are counted ("5,000 of 12,000 validation samples (random
sample)"). It is painted with QPainter: text fitted to cells is what this view is about.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.plots.colour_maps import background_rgb, rgb
from app.plots.export import export_button
from app.plots.throttle import LazyRefresh
from app.theme import BLUE, ORANGE, current_theme
from nncore.runner import Evaluation

MIN_COUNT_PX = (14, 12)
"""Smallest cell (width, height) that shows its count; smaller cells show colour only."""
AXIS_GAP = 4


def _shorten(name: str, width: float, metrics: QFontMetricsF) -> str:
    """``name`` elided to ``width`` pixels (at least its first character)."""
    text = metrics.elidedText(name, Qt.TextElideMode.ElideRight, max(width, 1.0))
    return text if text and text != "…" else name[:1]


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


SHARE_SEPARATORS = {"none": None, "line": "\n", "beside": "  "}


def cell_texts(confusion: np.ndarray, share: str = "none") -> list[list[str]]:
    """What each cell says: ``"123"``, or with the row share under it (``"123\\n45%"``,
    share ``line``) or beside it (``"123  45%"``, share ``beside``); empty cells say "0"."""
    shares = row_normalised(confusion)
    separator = SHARE_SEPARATORS[share]
    return [[f"{int(c):,}" if separator is None or not c else f"{int(c):,}{separator}{s:.0%}"
             for c, s in zip(row, share_row)] for row, share_row in zip(confusion, shares)]


class MatrixCanvas(QWidget):
    """Paints the matrix, its counts and the class names on both axes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.class_names: tuple[str, ...] = ()
        self.confusion: np.ndarray | None = None
        self.cells = QRectF()
        self.texts: list[list[str]] = []
        self.shown_names: tuple[list[str], list[str]] = ([], [])
        self.setMinimumSize(160, 120)

    def sizeHint(self) -> QSize:
        return QSize(480, 360)

    def _fonts(self, cell_h: float) -> tuple[QFont, QFont]:
        label = QFont(self.font())
        label.setPointSizeF(8.5)
        count = QFont(self.font())
        count.setPointSizeF(float(np.clip(cell_h / 3.2, 6.5, 12.0)))
        return label, count

    def layout_cells(self) -> None:
        """Where the cells go, the texts they show and the names that fit (no painting)."""
        k = len(self.class_names)
        label_font = QFont(self.font())
        label_font.setPointSizeF(8.5)
        metrics = QFontMetricsF(label_font)
        line = metrics.height()
        longest = max((metrics.horizontalAdvance(n) for n in self.class_names), default=0.0)
        left = min(longest, 0.3 * self.width()) + line + 2 * AXIS_GAP  # names + "true class"
        bottom = 2 * line + 2 * AXIS_GAP  # names + "predicted class"
        self.cells = QRectF(left, AXIS_GAP, max(1.0, self.width() - left - AXIS_GAP),
                            max(1.0, self.height() - bottom - AXIS_GAP))
        if not k:
            self.texts, self.shown_names = [], ([], [])
            return
        cell_w, cell_h = self.cells.width() / k, self.cells.height() / k
        self.shown_names = ([_shorten(n, left - line - 2 * AXIS_GAP, metrics)
                             for n in self.class_names],
                            [_shorten(n, cell_w - 2, metrics) for n in self.class_names])
        self.texts = []
        if self.confusion is None or cell_w < MIN_COUNT_PX[0] or cell_h < MIN_COUNT_PX[1]:
            return
        count_font = self._fonts(cell_h)[1]
        count_metrics = QFontMetricsF(count_font)
        widest = count_metrics.horizontalAdvance(f"{int(self.confusion.max()):,}")
        if widest > cell_w - 2:
            return
        share = "none"
        if cell_h >= 2 * count_metrics.height() + 2 and \
                count_metrics.horizontalAdvance("100%") <= cell_w - 2:
            share = "line"
        elif widest + count_metrics.horizontalAdvance("  100%") <= cell_w - 4:
            share = "beside"
        self.texts = cell_texts(self.confusion, share)

    def paintEvent(self, event: QPaintEvent) -> None:
        self.layout_cells()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        theme = current_theme()
        k = len(self.class_names)
        label_font, count_font = self._fonts(self.cells.height() / max(k, 1))
        if k:
            self._paint_cells(painter, k, count_font, theme.foreground)
            self._paint_names(painter, k, label_font, theme.foreground)
        painter.end()

    def _cell(self, i: int, j: int, k: int) -> QRectF:
        w, h = self.cells.width() / k, self.cells.height() / k
        return QRectF(self.cells.left() + j * w, self.cells.top() + i * h, w, h)

    def _paint_cells(self, painter: QPainter, k: int, font: QFont, foreground: str) -> None:
        painter.setFont(font)
        colours = None
        shares = None
        if self.confusion is not None:
            shares = row_normalised(self.confusion)
            colours = confusion_rgba(shares)
        grid = QColor(foreground)
        grid.setAlpha(40)
        for i in range(k):
            for j in range(k):
                rect = self._cell(i, j, k)
                if colours is not None:
                    painter.fillRect(rect, QColor(*colours[i, j, :3].tolist()))
                painter.setPen(grid)
                painter.drawRect(rect)
                if self.texts:
                    painter.setPen(QColor("#ffffff") if shares[i, j] > 0.3 else
                                   QColor(foreground))
                    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.texts[i][j])

    def _paint_names(self, painter: QPainter, k: int, font: QFont, foreground: str) -> None:
        painter.setFont(font)
        painter.setPen(QColor(foreground))
        line = QFontMetricsF(font).height()
        rows, columns = self.shown_names
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        centre = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
        for i in range(k):
            cell = self._cell(i, 0, k)
            painter.drawText(QRectF(line + AXIS_GAP, cell.top(),
                                    cell.left() - line - 2 * AXIS_GAP, cell.height()),
                             right, rows[i])
            cell = self._cell(k - 1, i, k)
            painter.drawText(QRectF(cell.left(), cell.bottom() + AXIS_GAP, cell.width(), line),
                             centre, columns[i])
        painter.drawText(QRectF(self.cells.left(), self.cells.bottom() + AXIS_GAP + line,
                                self.cells.width(), line), centre, "predicted class")
        painter.save()
        painter.translate(0, self.cells.center().y())
        painter.rotate(-90)
        painter.drawText(QRectF(-self.cells.height() / 2, 0, self.cells.height(), line),
                         centre, "true class")
        painter.restore()


class ConfusionMatrixView(LazyRefresh, QWidget):
    """Counts and row shares of an ``Evaluation.confusion`` matrix, and what it covers."""

    refresh_interval_ms = 250

    def __init__(self, compact: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.confusion: np.ndarray | None = None
        self._pending: Evaluation | None = None
        self.split = "validation"
        self._init_refresh()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.coverage = QLabel("")
        self.coverage.setToolTip("Which samples the matrix counts")
        self.caption = QLabel("· blue = right, orange = mistaken")
        self.caption.setStyleSheet("color: gray;")
        self.caption.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.canvas = MatrixCanvas(self)
        self.view = self.canvas  # what the export button saves
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 0, 4, 0)
        bar.addWidget(self.coverage)
        bar.addWidget(self.caption, 1)
        if not compact:  # the output column has its own caption and save button
            bar.addWidget(export_button(self, self.canvas, "confusion"))
        else:
            self.caption.hide()
        layout.addLayout(bar)
        layout.addWidget(self.canvas, 1)
        self.canvas.setToolTip("Cell (row i, column j): how many samples of true class i the "
                               "network predicted as class j, and their share of row i. The "
                               "diagonal holds the right answers.")

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.canvas.class_names

    @property
    def texts(self) -> list[list[str]]:
        """The text of every cell as painted (empty when the cells are too small)."""
        self.canvas.layout_cells()
        return self.canvas.texts

    def set_classes(self, class_names: tuple[str, ...]) -> None:
        """Label the axes with the class names (and forget the previous matrix)."""
        self.canvas.class_names = tuple(class_names)
        self.reset()

    def reset(self) -> None:
        """Forget the matrix (a new run, new data or a stale design)."""
        self.confusion = self.canvas.confusion = None
        self._pending = None
        self.coverage.setText("")
        self.canvas.update()

    def show_evaluation(self, evaluation: Evaluation | None) -> None:
        """Take the confusion matrix of a new evaluation (drawn when visible)."""
        if evaluation is None or evaluation.confusion is None:
            return
        self._pending = evaluation
        self.request_refresh()

    def refresh(self, force: bool = False) -> None:
        """Redraw (only while visible, unless ``force``)."""
        evaluation = self._pending
        if evaluation is None or not (force or self.isVisible()):
            return
        self._pending = None
        matrix = np.asarray(evaluation.confusion)
        if matrix.shape[0] != len(self.class_names):
            self.canvas.class_names = tuple(str(i) for i in range(matrix.shape[0]))
        self.confusion = self.canvas.confusion = matrix
        self.split = evaluation.split
        right = int(np.trace(matrix))
        total = int(matrix.sum())
        covers = evaluation.coverage() if evaluation.split_size else \
            f"{total:,} {evaluation.split} samples"
        self.coverage.setText(f"<b>{covers}</b>: {right:,} right "
                              f"({right / max(total, 1):.1%})")
        self.canvas.update()
