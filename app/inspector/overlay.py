"""The inspector's marks on the network drawing, and clicks on its links.

The weight in focus is traced in violet from its source unit through its link to its
unit, and every unit downstream (through which its effect reaches the loss) is outlined;
hand-edited weights get a dot on their link and switched-off units a grey cross. The marks
are extra items laid over the designer's scene (it is not modified), recreated whenever
the inspector changes and after the drawing is rebuilt. A click on a link is caught by an
event filter on the view and reported as the weight it draws.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsPathItem, QGraphicsRectItem

from app.designer.link_item import LinkItem
from nncore.explain import WeightRef

FOCUS = QColor("#7b2cbf")
EDITED = QColor("#222222")
ABLATED = QColor(110, 110, 110, 220)


class DrawingOverlay(QObject):
    """Marks for the focus path, edited weights and ablated units; link clicks."""

    link_clicked = Signal(object)  # WeightRef

    def __init__(self, scene, view, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.scene, self.view = scene, view
        self._items: list = []
        self._last: tuple | None = None
        view.viewport().installEventFilter(self)
        # the designer rebuilds its items (a new design, a text zoom): draw the marks again
        scene.sceneRectChanged.connect(lambda _rect: QTimer.singleShot(0, self._redraw))

    # -- which weight a link draws ----------------------------------------------------------

    def link_refs(self) -> dict[LinkItem, WeightRef]:
        """Every weighted link of the drawing and the weight it stands for."""
        refs: dict[LinkItem, WeightRef] = {}
        for k, items in self.scene.links.items():
            a, b = self.scene.layers[k - 1], self.scene.layers[k]
            if not items or not items[0].weighted or not b.layer_id:
                continue
            pairs = [(i, j) for i in a.unit_indices for j in b.unit_indices]
            for item, (i, j) in zip(items, pairs):
                refs[item] = WeightRef(b.layer_id, i, j)
        return refs

    def link_for(self, ref: WeightRef) -> LinkItem | None:
        """The link drawing ``ref`` (None when it is inside a band)."""
        return next((item for item, r in self.link_refs().items() if r == ref), None)

    def link_at(self, pos) -> LinkItem | None:
        """The link nearest to viewport point ``pos`` among those under it (links cross
        and overlap where a layer fans out: the topmost is rarely the one meant)."""
        refs = self.link_refs()
        candidates = [item for item in self.view.items(pos) if item in refs]
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        point = self.view.mapToScene(pos)
        return min(candidates, key=lambda item: _distance(item.path(), point))

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.MouseButtonRelease and \
                event.button() == Qt.MouseButton.LeftButton:
            link = self.link_at(event.position().toPoint())
            if link is not None:
                self.link_clicked.emit(self.link_refs()[link])
        return False

    # -- marks ------------------------------------------------------------------------------

    def clear(self, *, forget: bool = True) -> None:
        """Remove every mark (``forget``: and do not redraw them after a rebuild)."""
        if forget:
            self._last = None
        for item in self._items:
            if shiboken6.isValid(item) and item.scene() is self.scene:
                self.scene.removeItem(item)
        self._items = []

    def show(self, focus: WeightRef | None, downstream: tuple[str, ...] = (),
             edited: list | tuple = (), ablated: dict | None = None) -> None:
        """Redraw every mark for the current state of the inspector."""
        self.clear()
        self._last = (focus, downstream, edited, ablated)
        refs = self.link_refs()
        for item, ref in refs.items():
            if [ref.layer, ref.row, ref.col] in [list(e) for e in edited]:
                self._dot(item)
        for layer_id, units in (ablated or {}).items():
            for unit in units:
                self._cross(layer_id, unit)
        if focus is not None:
            self._focus(focus, downstream, refs)

    def _redraw(self) -> None:
        if self._last is not None:
            self.show(*self._last)

    def marks(self) -> list:
        """The marks on the drawing now (for tests)."""
        return [item for item in self._items if shiboken6.isValid(item)]

    def _focus(self, focus: WeightRef, downstream: tuple[str, ...], refs: dict) -> None:
        link = next((item for item, r in refs.items() if r == focus), None)
        if link is not None:
            path = QGraphicsPathItem(link.path())
            path.setPen(QPen(FOCUS, 5.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            self._add(path, 6)
        layers = {layer.layer_id: (k, layer) for k, layer in enumerate(self.scene.layers)}
        if focus.layer in layers:
            k, layer = layers[focus.layer]
            self._outline(self.scene.layers[k - 1].unit_item(focus.row), 3.0)
            self._outline(layer.unit_item(focus.col), 3.0)
        for layer_id in downstream:
            if layer_id in layers:
                for unit in layers[layer_id][1].units:
                    self._outline(unit, 1.5)

    def _outline(self, unit, width: float) -> None:
        if unit is None:
            return
        half = unit.size / 2 + 3
        rect = QGraphicsRectItem(QRectF(-half, -half, 2 * half, 2 * half))
        rect.setPen(QPen(FOCUS, width))
        rect.setBrush(QBrush(Qt.BrushStyle.NoBrush))
        rect.setPos(unit.scenePos())
        self._add(rect, 7)

    def _dot(self, link: LinkItem) -> None:
        point = link.path().pointAtPercent(0.5)
        dot = QGraphicsEllipseItem(QRectF(-4, -4, 8, 8))
        dot.setBrush(QBrush(EDITED))
        dot.setPen(QPen(QColor("#ffffff"), 1.0))
        dot.setPos(point)
        dot.setToolTip("edited by hand")
        self._add(dot, 8)

    def _cross(self, layer_id: str, unit: int) -> None:
        layer = next((x for x in self.scene.layers if x.layer_id == layer_id), None)
        item = layer.unit_item(unit) if layer is not None else None
        if item is None:
            return
        half = item.size / 2
        path = QPainterPath(QPointF(-half, -half))
        path.lineTo(half, half)
        path.moveTo(half, -half)
        path.lineTo(-half, half)
        cross = QGraphicsPathItem(path)
        cross.setPen(QPen(ABLATED, 3.0))
        cross.setPos(item.scenePos())
        cross.setToolTip("switched off: output held at 0")
        self._add(cross, 8)

    def _add(self, item, z: float) -> None:
        item.setZValue(z)
        item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.scene.addItem(item)
        self._items.append(item)


SAMPLES = 64


def _distance(path: QPainterPath, point: QPointF) -> float:
    """Distance from ``point`` to a link's curve (sampled; links are ~100 px long)."""
    best = float("inf")
    for k in range(SAMPLES + 1):
        p = path.pointAtPercent(k / SAMPLES)
        best = min(best, (p.x() - point.x()) ** 2 + (p.y() - point.y()) ** 2)
    return best ** 0.5
