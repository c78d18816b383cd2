"""One unit (neuron) of the drawing: a square that can show its heat map, or a dot.

Units are children of their ``LayerItem``. Heat maps are swapped in place
(``set_heatmap``), so live updates never create or delete items.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsPixmapItem

from app.designer.look import DOT, NODE, DesignerLook


class UnitItem(QGraphicsPathItem):
    """Unit ``index`` of a column; ``dot=True`` for Dropout / Activation units."""

    def __init__(self, look: DesignerLook, layer_label: str, index: int, width: int,
                 name: str = "", *, dot: bool = False,
                 parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self.layer_label, self.index, self.width, self.name = layer_label, index, width, name
        self.dot = dot
        self.bias: float | None = None
        self.note = ""
        size = DOT if dot else NODE
        self.size = size
        path = QPainterPath()
        rect = QRectF(-size / 2, -size / 2, size, size)
        if dot:
            path.addEllipse(rect)
        else:
            path.addRoundedRect(rect, 3, 3)
        self.setPath(path)
        self.setPen(QPen(look.node_border, 1.0))
        self.setBrush(QBrush(look.node_fill))
        self.setZValue(2)
        self._heat = QGraphicsPixmapItem(self)
        self._heat.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._heat.setVisible(False)
        self._heat.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    @property
    def has_heatmap(self) -> bool:
        """True while a heat map is shown."""
        return self._heat.isVisible()

    def set_heatmap(self, pixmap: QPixmap | None) -> None:
        """Show ``pixmap`` scaled into the square (None hides it)."""
        if pixmap is None or self.dot:
            self._heat.setVisible(False)
            return
        inner = self.size - 2
        self._heat.setPixmap(pixmap)
        self._heat.setScale(inner / max(pixmap.width(), 1))
        self._heat.setPos(-inner / 2, -inner / 2)
        self._heat.setVisible(True)

    def tooltip_text(self) -> str:
        """What hovering the unit says (its layer, index and bias once trained)."""
        if self.layer_label == "input":
            lines = [f"Input {self.name or self.index + 1}: feature {self.index + 1} of "
                     f"{self.width}"]
        else:
            title = f"{self.layer_label} · unit {self.index + 1} of {self.width}"
            lines = [f"{title}  ({self.name})" if self.name else title]
        if self.bias is not None:
            lines.append(f"bias b = {self.bias:+.4g}")
        if self.has_heatmap:
            lines.append("The picture is this unit's output over the input plane "
                         "(orange low, blue high).")
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)
