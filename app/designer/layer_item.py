"""One column of the drawing: a layer's header, its units (or a compact block) and frame.

The frame shows the layer's state: hovered, selected (the inspector edits it), invalid
(red outline and a warning sign, with the problem in the tooltip) and highlighted by the
doctor (a pulsing outline in the finding's colour that stays until cleared).
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsSimpleTextItem

from app.designer.columns import Column
from app.designer.look import (
    BLOCK_SLOTS,
    BLOCK_W,
    DOT,
    NODE,
    REPRESENTATIVES,
    SLOT,
    DesignerLook,
)
from app.designer.unit_item import UnitItem
from app.theme import PROBLEM

TITLE_PX, SUBTITLE_PX, NAME_PX = 13, 12, 12


def body_height(column: Column) -> float:
    """Height of the units (or block) of a column, in scene pixels."""
    return BLOCK_SLOTS * SLOT if column.compact else max(column.width, 1) * SLOT


class LayerItem(QGraphicsPathItem):
    """The items of one ``Column``, positioned around ``(0, 0)`` (the body's centre)."""

    def __init__(self, column: Column, index: int, look: DesignerLook,
                 header_top: float) -> None:
        super().__init__()
        self.column, self.index, self.look = column, index, look
        self.layer_id = column.layer_id
        self.units: list[UnitItem] = []
        self.unit_indices: list[int] = []  # which unit each UnitItem stands for
        self.description = ""
        self.problems: list[str] = []
        self._selected = self._hovered = False
        self._title_width = 0.0
        self.half_body = (BLOCK_W if column.compact else DOT if column.elementwise else NODE) / 2
        self.half_height = body_height(column) / 2
        self.setZValue(-1)
        self.setAcceptHoverEvents(column.kind != "input")
        labels_width = self._add_header(header_top)
        if column.compact:
            self._add_block()
        else:
            self._add_units()
        self.frame_width = max(2 * self.half_body + 16, labels_width + 10)
        self._frame_rect = QRectF(-self.frame_width / 2, header_top - 5, self.frame_width,
                                  self.half_height - header_top + 10)
        path = QPainterPath()
        path.addRoundedRect(self._frame_rect, 7, 7)
        self.setPath(path)
        self._halo = QGraphicsPathItem(self)
        halo = QPainterPath()
        halo.addRoundedRect(self._frame_rect.adjusted(-3, -3, 3, 3), 9, 9)
        self._halo.setPath(halo)
        self._halo.setVisible(False)
        self._halo.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._badge = self._text("⚠", TITLE_PX + 2, True, QColor(PROBLEM))
        self._badge.setPos(self._title_width / 2 + 3, header_top - 2 * look.text_zoom)
        self._badge.setVisible(False)
        self._refresh()

    # -- building ------------------------------------------------------------------------

    def _text(self, text: str, pixels: int, bold: bool, color: QColor) -> QGraphicsSimpleTextItem:
        item = QGraphicsSimpleTextItem(text, self)
        item.setFont(self.look.font(pixels, bold))
        item.setBrush(QBrush(color))
        item.setZValue(3)
        return item

    def _centred(self, text: str, pixels: int, bold: bool, color: QColor, y: float) -> float:
        item = self._text(text, pixels, bold, color)
        width = QFontMetricsF(item.font()).horizontalAdvance(text)
        item.setPos(-width / 2, y)
        return width

    def _add_header(self, top: float) -> float:
        look, column = self.look, self.column
        self._title_width = self._centred(column.title, TITLE_PX, True, look.text, top)
        subtitle = self._centred(column.subtitle, SUBTITLE_PX, False, look.muted,
                                 top + 18 * look.text_zoom)
        # room for the warning sign right of the title, so marking never re-lays out
        return max(self._title_width + 36 * look.text_zoom, subtitle)

    def _add_units(self) -> None:
        n = self.column.width or 0
        for j in range(n):
            self._add_unit(j, (j - (n - 1) / 2) * SLOT)

    def _add_unit(self, j: int, y: float) -> None:
        column = self.column
        name = column.unit_names[j] if j < len(column.unit_names) else ""
        unit = UnitItem(self.look, column.layer_id or "input", j, column.width or 0, name,
                        dot=column.elementwise, parent=self)
        unit.setPos(0, y)
        self.units.append(unit)
        self.unit_indices.append(j)
        if name and column.kind in ("input", "output"):
            self._add_name(name, y)

    def _add_name(self, name: str, y: float) -> None:
        label = self._text(name, NAME_PX, False, self.look.text)
        metrics = QFontMetricsF(label.font())
        x = -self.half_body - 5 - metrics.horizontalAdvance(name) \
            if self.column.kind == "input" else self.half_body + 5
        label.setPos(x, y - metrics.height() / 2)

    def _add_block(self) -> None:
        look, column = self.look, self.column
        block = QGraphicsPathItem(self)
        path = QPainterPath()
        path.addRoundedRect(QRectF(-BLOCK_W / 2, -self.half_height, BLOCK_W,
                                   2 * self.half_height), 8, 8)
        block.setPath(path)
        block.setPen(QPen(look.node_border, 1.0))
        block.setBrush(QBrush(look.node_fill))
        block.setZValue(1)
        block.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        width = column.width
        if width is not None:
            top, bottom = REPRESENTATIVES
            top, bottom = min(top, width), min(bottom, max(width - top, 0))
            for k in range(top):
                self._add_unit(k, -self.half_height + SLOT / 2 + 2 + k * SLOT)
            for k in range(bottom):
                self._add_unit(width - 1 - k, self.half_height - SLOT / 2 - 2 - k * SLOT)
        label = "?" if width is None else f"{width:,}"
        z = look.text_zoom
        self._centred("⋮", TITLE_PX + 3, True, look.muted, -44 * z)
        self._centred(label, TITLE_PX + 1, True, look.text, -20 * z)
        self._centred("inputs" if column.kind == "input" else "units", SUBTITLE_PX, False,
                      look.muted, -2 * z)
        self._centred("⋮", TITLE_PX + 3, True, look.muted, 16 * z)

    # -- state ---------------------------------------------------------------------------

    @property
    def movable(self) -> bool:
        """Hidden layers can be dragged, duplicated and removed; input and output cannot."""
        return self.column.kind in ("dense", "dropout", "activation")

    @property
    def selectable(self) -> bool:
        return self.column.kind != "input"

    def set_selected(self, selected: bool) -> None:
        """Show that the inspector is editing this layer."""
        self._selected = selected
        self._refresh()

    def set_problems(self, messages: list[str]) -> None:
        """Mark the layer invalid (red outline, warning sign) with these explanations."""
        self.problems = list(messages)
        self._badge.setVisible(bool(messages))
        self._refresh()

    def set_highlight(self, color: QColor | None) -> None:
        """Draw (or clear, with None) the doctor's attention outline in ``color``."""
        if color is None:
            self._halo.setVisible(False)
            return
        pen = QPen(color, 3.0)
        self._halo.setPen(pen)
        self._halo.setVisible(True)

    @property
    def highlighted(self) -> bool:
        return self._halo.isVisible()

    def hoverEnterEvent(self, event) -> None:
        self._hovered = True
        self._refresh()
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:
        self._hovered = False
        self._refresh()
        super().hoverLeaveEvent(event)

    def _refresh(self) -> None:
        look = self.look
        if self.problems:
            pen = QPen(QColor(PROBLEM), 2.0)
        elif self._selected:
            pen = QPen(look.accent, 1.5)
        else:
            pen = QPen(Qt.PenStyle.NoPen)
        self.setPen(pen)
        brush = look.selection if self._selected else \
            look.frame_hover if self._hovered else QColor(Qt.GlobalColor.transparent)
        self.setBrush(QBrush(brush))

    def tooltip_text(self) -> str:
        """The layer's description, then each problem with its fix."""
        parts = [self.description] if self.description else []
        parts += [f"⚠ {message}" for message in self.problems]
        return "\n".join(parts)

    def unit_item(self, index: int) -> UnitItem | None:
        """The item drawn for unit ``index`` (None if a compact block hides it)."""
        try:
            return self.units[self.unit_indices.index(index)]
        except ValueError:
            return None


def owning_layer(item: QGraphicsItem | None) -> LayerItem | None:
    """The ``LayerItem`` that ``item`` belongs to (itself or an ancestor)."""
    while item is not None and not isinstance(item, LayerItem):
        item = item.parentItem()
    return item
