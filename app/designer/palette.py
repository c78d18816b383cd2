"""The layer palette: Dense, Dropout and Activation chips the user drags into the network.

A drag carries one of two MIME types: a new layer's kind (from the palette) or the id of
a layer being moved (started in the drawing). ``run_drag`` is the one place a ``QDrag``
is executed, so tests (where ``QDrag.exec`` would block offscreen) can replace it and
deliver the drag's own ``QMimeData`` to the view as drop events.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QMimeData, QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDrag,
    QFont,
    QFontMetrics,
    QIcon,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QToolButton, QWidget

from app.designer.edits import LAYER_TITLES

LAYER_KIND_MIME = "application/x-backprop-lab-layer-kind"
"""Payload: the kind of a new layer (``dense``, ``dropout``, ``activation``)."""
LAYER_MOVE_MIME = "application/x-backprop-lab-layer-move"
"""Payload: the id of the layer being moved."""

TOOLTIPS = {
    "dense": "Dense layer: each unit computes a = f(x·W + b) from every unit of the "
             "previous layer.\nMore units or layers let the network bend its decision "
             "boundary more.\nDrag it between two layers, or click to add it before the "
             "output.",
    "dropout": "Dropout: while training, zeroes each input with probability p and scales "
               "the rest by 1/(1 − p);\nat test time it does nothing. Fights overfitting "
               "of big networks.\nDrag it between two layers, or click to add it before "
               "the output.",
    "activation": "Activation layer: applies f element-wise to the previous layer's "
                  "outputs, a = f(x).\nDense(linear) + Activation(f) is the same as "
                  "Dense(f).\nDrag it between two layers, or click to add it before the "
                  "output.",
}


def kind_mime_data(kind: str) -> QMimeData:
    """What a palette drag carries: the kind of layer to create."""
    mime = QMimeData()
    mime.setData(LAYER_KIND_MIME, QByteArray(kind.encode()))
    mime.setText(LAYER_TITLES.get(kind, kind))
    return mime


def move_mime_data(layer_id: str) -> QMimeData:
    """What dragging a layer in the drawing carries: the layer's id."""
    mime = QMimeData()
    mime.setData(LAYER_MOVE_MIME, QByteArray(layer_id.encode()))
    mime.setText(layer_id)
    return mime


def read_drag(mime: QMimeData | None) -> tuple[str, str] | None:
    """``("new", kind)``, ``("move", layer_id)`` or None for a foreign drag."""
    if mime is None:
        return None
    if mime.hasFormat(LAYER_KIND_MIME):
        kind = bytes(mime.data(LAYER_KIND_MIME).data()).decode()
        return ("new", kind) if kind in LAYER_TITLES else None
    if mime.hasFormat(LAYER_MOVE_MIME):
        return "move", bytes(mime.data(LAYER_MOVE_MIME).data()).decode()
    return None


def run_drag(drag: QDrag) -> Qt.DropAction:
    """Execute a drag (replaced in tests: ``QDrag.exec`` blocks on offscreen platforms)."""
    return drag.exec(Qt.DropAction.CopyAction | Qt.DropAction.MoveAction)


def chip_pixmap(text: str, color: QColor, text_color: QColor) -> QPixmap:
    """A rounded label to show under the cursor while dragging."""
    font = QFont(QApplication.font())
    font.setBold(True)
    width = QFontMetrics(font).horizontalAdvance(text) + 28
    pixmap = QPixmap(width, 26)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(color)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(QRectF(0, 0, width, 26), 13, 13)
    painter.setPen(text_color)
    painter.setFont(font)
    painter.drawText(QRectF(0, 0, width, 26), Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return pixmap


def kind_icon(kind: str, color: QColor) -> QIcon:
    """A small pictogram: stacked units, dropped units, or an activation curve."""
    pixmap = QPixmap(18, 18)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(color, 1.6)
    if kind == "dense":
        painter.setPen(pen)
        for y in (1.5, 7, 12.5):
            painter.drawRoundedRect(QRectF(5, y, 8, 4.5), 1, 1)
    elif kind == "dropout":
        for k, y in enumerate((2, 7.5, 13)):
            pen.setStyle(Qt.PenStyle.DotLine if k == 1 else Qt.PenStyle.SolidLine)
            painter.setPen(pen)
            painter.drawEllipse(QPointF(9, y + 1.5), 2.6, 2.6)
    else:
        painter.setPen(pen)
        path = QPainterPath(QPointF(1.5, 14))
        path.cubicTo(QPointF(9, 14), QPointF(9, 4), QPointF(16.5, 4))
        painter.drawPath(path)
    painter.end()
    return QIcon(pixmap)


class PaletteButton(QToolButton):
    """A chip for one layer kind: drag it into the network, or click it."""

    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self._press: QPoint | None = None
        self.setText(LAYER_TITLES[kind])
        self.setToolTip(TOOLTIPS[kind])
        self.setIcon(kind_icon(kind, self.palette().color(self.foregroundRole())))
        self.setIconSize(QSize(18, 18))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setAutoRaise(False)
        self.setObjectName(f"palette-{kind}")

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._press is not None and (event.position().toPoint() - self._press) \
                .manhattanLength() >= QApplication.startDragDistance():
            self._press = None
            self.setDown(False)
            self.start_drag()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        self._press = None
        super().mouseReleaseEvent(event)

    def start_drag(self) -> Qt.DropAction:
        """Drag a new layer of this kind (returns what the drop did)."""
        drag = QDrag(self)
        drag.setMimeData(kind_mime_data(self.kind))
        highlight = self.palette().color(self.palette().ColorRole.Highlight)
        text = self.palette().color(self.palette().ColorRole.HighlightedText)
        drag.setPixmap(chip_pixmap(self.text(), highlight, text))
        drag.setHotSpot(QPoint(14, 13))
        return run_drag(drag)


class LayerPalette(QWidget):
    """The row of layer chips above the drawing."""

    layer_requested = Signal(str)  # a chip was clicked: add this kind of layer

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.buttons: dict[str, PaletteButton] = {}
        for kind in LAYER_TITLES:
            button = PaletteButton(kind, self)
            button.clicked.connect(lambda _=False, k=kind: self.layer_requested.emit(k))
            layout.addWidget(button)
            self.buttons[kind] = button
        hint = QLabel("← drag a layer into the network", self)
        hint.setEnabled(False)
        layout.addWidget(hint)
        layout.addStretch(1)
