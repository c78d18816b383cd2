"""The digit pad: test the network on your own handwriting.

Draw a digit with the mouse on a large canvas (a round pen about as wide, relative to the
digit, as MNIST's strokes); the pad shows it as the data set sees it (MNIST's rule: fitted
in 20 × 20 and centred by its centre of mass in 28 × 28; the 8 × 8 digits' block counts;
other image sets their own shape), and, live while you draw: the network's probability
for each class, the first layer's activations, and which pixels pushed toward the top
class (gradient × input, blue toward, orange away). "Add to training set" stores the
drawing, with the label you give it, as a sample of your own in the data spec (one undo
step). Every number comes from ``nncore.digits``; this window only draws.
"""

from __future__ import annotations

import itertools

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.plots.colour_maps import grey_lut
from app.theme import BLUE, ORANGE, diverging_lut
from nncore.data.drawn import with_sample
from nncore.digits import DigitReading, prepare_drawing, read_digit
from nncore.errors import DataError
from nncore.visual import eval_network

CANVAS = 280
PEN_WIDTH = 22
"""Pen width on the 280-pixel canvas: a digit drawn ~200 px tall comes out with strokes
about 2 pixels wide in MNIST's 20-pixel box, as MNIST's are."""
READ_MS = 40


class DrawingCanvas(QWidget):
    """A square grey canvas drawn with a round, anti-aliased pen (white ink on black,
    as MNIST stores it; shown as dark ink on paper)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(CANVAS, CANVAS)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw a digit with the mouse (hold the left button); right-click "
                        "or Clear to start again")
        self.image = QImage(CANVAS, CANVAS, QImage.Format.Format_Grayscale8)
        self.image.fill(0)
        self._last: QPointF | None = None

    def clear(self) -> None:
        self.image.fill(0)
        self.update()
        self.changed.emit()

    def values(self) -> np.ndarray:
        """The canvas as floats in [0, 1] (ink 1), shape ``(CANVAS, CANVAS)``."""
        bits = np.frombuffer(self.image.constBits(), dtype=np.uint8)
        rows = bits.reshape(CANVAS, self.image.bytesPerLine())[:, :CANVAS]
        return rows.astype(np.float64) / 255.0

    def is_blank(self) -> bool:
        return not self.values().any()

    def stroke(self, points: list[QPointF]) -> None:
        """Draw a stroke through ``points`` (canvas pixels)."""
        painter = QPainter(self.image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(QColor(255, 255, 255), PEN_WIDTH, Qt.PenStyle.SolidLine,
                   Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        if len(points) == 1:
            painter.drawPoint(points[0])
        for a, b in itertools.pairwise(points):
            painter.drawLine(a, b)
        painter.end()
        self.update()
        self.changed.emit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.RightButton:
            self.clear()
            return
        self._last = event.position()
        self.stroke([self._last])

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._last is not None and event.buttons() & Qt.MouseButton.LeftButton:
            point = event.position()
            self.stroke([self._last, point])
            self._last = point

    def mouseReleaseEvent(self, _event: QMouseEvent) -> None:
        self._last = None

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        inverted = self.image.copy()
        inverted.invertPixels()
        painter.drawImage(0, 0, inverted)
        painter.setPen(QPen(QColor("#999999"), 1, Qt.PenStyle.DashLine))
        margin = CANVAS * 4 / 28  # MNIST's 20-pixel box inside 28: draw about this big
        painter.drawRect(QRectF(margin, margin, CANVAS - 2 * margin, CANVAS - 2 * margin))
        painter.end()


def _image_plot(title: str, tooltip: str) -> tuple[pg.GraphicsLayoutWidget, pg.ImageItem]:
    view = pg.GraphicsLayoutWidget()
    view.setToolTip(tooltip)
    plot = view.addPlot(title=title)
    plot.hideAxis("left")
    plot.hideAxis("bottom")
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.setMenuEnabled(False)
    plot.getViewBox().setAspectLocked(True)
    plot.getViewBox().invertY(True)
    image = pg.ImageItem(axisOrder="row-major")
    plot.addItem(image)
    return view, image


class DigitPad(QDialog):
    """The pad's window (non-modal): canvas, preview, probabilities, activations, saliency."""

    def __init__(self, document, data_source, controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Digit pad: test the network on your handwriting")
        self.document, self.data_source, self.controller = document, data_source, controller
        self.weights: dict | None = None
        self.reading: DigitReading | None = None
        self.image: np.ndarray | None = None  # the drawing as the data set sees it
        self._network = None
        self._network_key: tuple | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(READ_MS)
        self._timer.timeout.connect(self.read)
        self._build()
        controller.update_received.connect(self._on_controller_update)
        data_source.splits_changed.connect(self._on_splits_changed)
        self._on_splits_changed(data_source.splits)

    # -- building ---------------------------------------------------------------------------

    def _build(self) -> None:
        self.canvas = DrawingCanvas()
        self.canvas.changed.connect(self._timer.start)
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(self.canvas.clear)
        self.label = QComboBox()
        self.label.setToolTip("The digit you drew (its true label)")
        self.add_button = QPushButton("Add to training set")
        self.add_button.setToolTip("Add this drawing, with the label on the left, to the "
                                   "training data (Edit > Undo removes it)")
        self.add_button.clicked.connect(self.add_to_training_set)
        self.status = QLabel()
        self.status.setWordWrap(True)
        left = QVBoxLayout()
        left.addWidget(self.canvas)
        buttons = QHBoxLayout()
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        buttons.addWidget(QLabel("It is a"))
        buttons.addWidget(self.label)
        buttons.addWidget(self.add_button)
        left.addLayout(buttons)
        left.addWidget(self.status)

        self.preview_view, self.preview = _image_plot(
            "as the network sees it", "Your drawing prepared like the data set's images "
            "(MNIST: fitted in 20 × 20, centre of mass in the middle of 28 × 28)")
        self.preview.setLookupTable(grey_lut())
        self.saliency_view, self.saliency = _image_plot(
            "what pushed the answer", "Gradient × input for the top class: blue pixels "
            "pushed toward it, orange ones away from it")
        self.saliency.setLookupTable(diverging_lut())
        self.bars_view = pg.PlotWidget(title="probability per class")
        self.bars_view.setToolTip("The network's probability for each class (softmax)")
        self.bars_view.setMouseEnabled(x=False, y=False)
        self.bars_view.hideButtons()
        self.bars_view.setMenuEnabled(False)
        self.bars_view.setYRange(0, 1, padding=0.02)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7)
        self.bars_view.addItem(self.bars)
        self.units_view = pg.PlotWidget(title="first layer's activations")
        self.units_view.setToolTip("Each unit's output in the first layer for your drawing")
        self.units_view.setMouseEnabled(x=False, y=False)
        self.units_view.hideButtons()
        self.units_view.setMenuEnabled(False)
        self.units = pg.BarGraphItem(x=[], height=[], width=0.8, brush=BLUE)
        self.units_view.addItem(self.units)
        self.answer = QLabel()
        self.answer.setStyleSheet("font-size: 16pt; font-weight: bold;")
        grid = QGridLayout()
        grid.addWidget(self.answer, 0, 0, 1, 2)
        grid.addWidget(self.preview_view, 1, 0)
        grid.addWidget(self.saliency_view, 1, 1)
        grid.addWidget(self.bars_view, 2, 0)
        grid.addWidget(self.units_view, 2, 1)
        for col in range(2):
            grid.setColumnMinimumWidth(col, 220)
        layout = QHBoxLayout(self)
        layout.addLayout(left)
        layout.addLayout(grid, 1)
        self.resize(820, 470)

    # -- inputs -----------------------------------------------------------------------------

    @Slot(object)
    def _on_splits_changed(self, splits) -> None:
        info = splits.info if splits is not None else None
        names = (info.class_names or tuple(str(i) for i in range(info.n_classes))) \
            if info is not None else ()
        current = self.label.currentIndex()
        self.label.clear()
        self.label.addItems(list(names))
        self.label.setCurrentIndex(max(0, min(current, len(names) - 1)))
        self._network_key = None
        self._timer.start()

    @Slot(object)
    def _on_controller_update(self, update) -> None:
        if update.weights is not None:
            self.weights = dict(update.weights)
            if self.isVisible():
                self._timer.start()

    def _current_weights(self) -> dict | None:
        return self.weights if self.weights is not None else self.document.project.weights

    def _eval_network(self, splits):
        doc = self.document
        key = (doc.network, doc.training.loss, id(splits))
        if key != self._network_key:
            self._network = eval_network(doc.network, doc.training, splits)
            self._network_key = key
        return self._network

    # -- reading ----------------------------------------------------------------------------

    @Slot()
    def read(self) -> None:
        """Prepare the drawing and ask the network (the newest weights) about it."""
        splits = self.data_source.splits
        shape = splits.info.image_shape if splits is not None else None
        if shape is None or len(shape) != 2:
            self._say("The digit pad needs an image data set (MNIST, the 8 × 8 digits…).")
            return
        self.image = prepare_drawing(self.canvas.values(), shape)
        self.preview.setImage(self.image, autoLevels=False, levels=(0.0, 1.0))
        self.add_button.setEnabled(not self.canvas.is_blank())
        weights = self._current_weights()
        if self.canvas.is_blank():
            self._show(None)
            self._say("Draw a digit in the box.")
            return
        if weights is None:
            self._show(None)
            self._say("Train the network first: it has no weights yet.")
            return
        try:
            network = self._eval_network(splits)
            network.set_weights(weights)
        except (ValueError, KeyError):
            self._say("The weights do not fit the current design; train or reset.")
            return
        self.reading = read_digit(network, splits.preprocessing, self.image)
        self._show(self.reading)
        self._say("")

    def _say(self, text: str) -> None:
        self.status.setText(text)

    def _show(self, reading: DigitReading | None) -> None:
        if reading is None:
            self.answer.setText("")
            self.bars.setOpts(x=[], height=[])
            self.units.setOpts(x=[], height=[])
            self.saliency.clear()
            return
        p = reading.probabilities
        names = [self.label.itemText(i) for i in range(self.label.count())] or \
            [str(i) for i in range(p.size)]
        self.answer.setText(f"It looks like a {names[reading.top]} "
                            f"({p[reading.top]:.0%} sure)")
        brushes = [BLUE if i == reading.top else "#9aa5ad" for i in range(p.size)]
        self.bars.setOpts(x=np.arange(p.size), height=p, brushes=brushes)
        self.bars_view.getAxis("bottom").setTicks([list(enumerate(names))])
        a = reading.activations
        self.units.setOpts(x=np.arange(a.size), height=a,
                           brushes=[BLUE if v >= 0 else ORANGE for v in a])
        self.units_view.setTitle(f"first layer: {a.size} units")
        peak = float(np.abs(reading.saliency).max()) or 1.0
        self.saliency.setImage(0.5 + 0.5 * reading.saliency / peak, autoLevels=False,
                               levels=(0.0, 1.0))

    # -- collecting your own data -----------------------------------------------------------

    @Slot()
    def add_to_training_set(self) -> bool:
        """Add the prepared drawing with the chosen label to the data (one undo step)."""
        if self.image is None or self.canvas.is_blank():
            self._say("Draw a digit first.")
            return False
        label = self.label.currentIndex()
        try:
            spec = with_sample(self.document.data, self.image, label)
        except DataError as err:
            self._say(str(err))
            return False
        self.document.set_data(spec, f"Add a drawn {self.label.currentText()}")
        n = len(spec.points)
        self._say(f"Added. {n} drawing{'s' if n != 1 else ''} of your own in the training "
                  "set; they train from the next epoch.")
        self.canvas.clear()
        return True

