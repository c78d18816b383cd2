"""The network drawing: columns of units joined by weighted links, data flowing left to right.

``set_columns`` rebuilds the items only when the structure changes (a new spec or data
width); weights, heat maps, selection, problems and highlights update existing items and
survive rebuilds. Gaps (see ``app.designer.edits``) are where a dragged layer can land;
``gap_at`` maps a scene x to a gap and ``show_marker`` draws the insertion line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
from PySide6.QtCore import QEasingCurve, QPointF, QRectF, QVariantAnimation
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QGraphicsLineItem,
    QGraphicsScene,
    QToolTip,
)

from app.designer.columns import Column
from app.designer.heatmap import HeatPalette
from app.designer.layer_item import LayerItem, body_height
from app.designer.link_item import BandItem, LinkItem, PenTable, band_between, insertion_marker
from app.designer.live import apply_frame, apply_weights
from app.designer.look import (
    HEADER,
    LINK_LEN,
    SEVERITY_COLORS,
    SHORT_LINK,
    DesignerLook,
)
from app.designer.unit_item import UnitItem


class NetworkScene(QGraphicsScene):
    """Items for a tuple of ``Column``s, plus the live state drawn on them."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.columns: tuple[Column, ...] = ()
        self.layers: list[LayerItem] = []
        self.links: dict[int, list[LinkItem]] = {}
        self.bands: dict[int, BandItem] = {}
        self.descriptions: dict[str, str] = {}
        self._weights: Mapping[str, np.ndarray] | None = None
        self._frame = None
        self._selected: str | None = None
        self._problems: dict[str, list[str]] = {}
        self._highlight: tuple[str | None, str] = (None, "problem")
        self._marker: QGraphicsLineItem | None = None
        self.base_rect = QRectF()  # the drawing's extent with 100 % text, for the view
        self._pulse = QVariantAnimation(self)
        self._pulse.setDuration(700)
        self._pulse.setStartValue(1.0)
        self._pulse.setKeyValueAt(0.5, 0.25)
        self._pulse.setEndValue(1.0)
        self._pulse.setLoopCount(4)
        self._pulse.setEasingCurve(QEasingCurve.Type.InOutSine)
        self._pulse.valueChanged.connect(self._on_pulse_value_changed)
        self._set_look()

    def _set_look(self) -> None:
        zoom = self.look.text_zoom if hasattr(self, "look") else 1.0
        self.look = dataclasses.replace(DesignerLook.current(), text_zoom=zoom)
        self.heat = HeatPalette(self.look.dark)
        self.pens = PenTable(self.look.link)
        self.setBackgroundBrush(self.look.background)

    # -- structure -----------------------------------------------------------------------

    def set_columns(self, columns: tuple[Column, ...], *, force: bool = False) -> bool:
        """Draw these columns; returns True if the items were rebuilt."""
        if columns == self.columns and not force:
            return False
        if columns != self.columns and self.look.text_zoom != 1.0:
            # measure a new structure at 100 % text first (see ``base_rect``)
            self.look = dataclasses.replace(self.look, text_zoom=1.0)
        self.columns = tuple(columns)
        self._build()
        return True

    @property
    def text_zoom(self) -> float:
        return self.look.text_zoom

    def set_text_zoom(self, zoom: float) -> None:
        """Draw text ``zoom`` times larger (the view asks while it shrinks the drawing)."""
        if zoom != self.look.text_zoom:
            self.look = dataclasses.replace(self.look, text_zoom=zoom)
            self.set_columns(self.columns, force=True)

    def refresh_theme(self) -> None:
        """Re-read the theme's colours and redraw everything."""
        self._set_look()
        self.set_columns(self.columns, force=True)

    def _build(self) -> None:
        self._pulse.stop()
        self.clear()
        self.layers, self.links, self.bands = [], {}, {}
        tallest = max((body_height(c) for c in self.columns), default=0.0)
        header_top = -tallest / 2 - HEADER * self.look.text_zoom
        self.layers = [LayerItem(c, k, self.look, header_top)
                       for k, c in enumerate(self.columns)]
        self._place()
        for layer in self.layers:
            self.addItem(layer)
        for k in range(1, len(self.layers)):
            self._connect(k)
        self._add_marker(header_top, tallest / 2)
        self.setSceneRect(self._content_rect())
        if self.look.text_zoom == 1.0:
            self.base_rect = self.sceneRect()
        self._restore_state()

    def _place(self) -> None:
        x = 0.0
        for k, layer in enumerate(self.layers):
            if k:
                prev = self.layers[k - 1]
                link = SHORT_LINK if layer.column.elementwise else LINK_LEN
                x += max((prev.frame_width + layer.frame_width) / 2 + 6,
                         prev.half_body + layer.half_body + link)
            layer.setPos(x, 0)

    def _content_rect(self) -> QRectF:
        rect = QRectF()
        for layer in self.layers:
            rect = rect.united(layer.mapRectToScene(
                layer.boundingRect().united(layer.childrenBoundingRect())))
        return rect.adjusted(-10, -6, 10, 8)

    def _connect(self, k: int) -> None:
        a, b = self.layers[k - 1], self.layers[k]
        weighted = not b.column.elementwise
        if a.column.compact or b.column.compact:
            self._add_band(k, a, b, weighted)
            return
        x0, x1 = a.x() + a.half_body, b.x() - b.half_body
        items: list[LinkItem] = []
        for i, source in zip(a.unit_indices, a.units):
            for j, target in zip(b.unit_indices, b.units):
                if not weighted and i != j:
                    continue
                link = LinkItem(QPointF(x0, source.y()), QPointF(x1, target.y()),
                                self._unit_name(a, i), self._unit_name(b, j), self.pens,
                                weighted=weighted)
                self.addItem(link)
                items.append(link)
        if items:
            self.links[k] = items

    def _add_band(self, k: int, a: LayerItem, b: LayerItem, weighted: bool) -> None:
        band = band_between(a, b, self.look, weighted=weighted)
        self.addItem(band)
        self.bands[k] = band

    @staticmethod
    def _unit_name(layer: LayerItem, index: int) -> str:
        column = layer.column
        name = column.unit_names[index] if index < len(column.unit_names) else ""
        if column.kind == "input":
            return f"input {name or index + 1}"
        label = f"{column.layer_id} unit {index + 1}"
        return f"{label} ({name})" if name else label

    def _add_marker(self, top: float, bottom: float) -> None:
        self._marker = insertion_marker(self.look, top, bottom)
        self.addItem(self._marker)

    def _restore_state(self) -> None:
        for layer in self.layers:
            layer.description = self.descriptions.get(layer.layer_id or "input", "")
        self.set_weights(self._weights)
        self.set_frame(self._frame)
        self.set_selected(self._selected)
        self.set_problems(self._problems)
        self.highlight(*self._highlight, pulse=False)

    # -- live state ------------------------------------------------------------------------

    def set_weights(self, weights: Mapping[str, np.ndarray] | None) -> None:
        """Colour the links by these weights (None: untrained, neutral links)."""
        self._weights = weights
        apply_weights(self.layers, self.links, self.bands, weights)

    def set_frame(self, frame) -> int:
        """Show a ``VisualFrame``'s heat maps (None clears them); returns how many."""
        self._frame = frame
        return apply_frame(self.layers, frame, self.heat)

    def set_descriptions(self, descriptions: dict[str, str]) -> None:
        """Tooltip text per layer id (``"input"`` for the input column)."""
        self.descriptions = dict(descriptions)
        for layer in self.layers:
            layer.description = self.descriptions.get(layer.layer_id or "input", "")

    def set_selected(self, layer_id: str | None) -> None:
        """Frame the layer the inspector edits."""
        self._selected = layer_id
        for layer in self.layers:
            layer.set_selected(layer_id is not None and layer.layer_id == layer_id)

    def set_problems(self, problems: dict[str, list[str]]) -> None:
        """Mark layers named by validation problems: ``{layer id: [explanations]}``."""
        self._problems = {k: list(v) for k, v in problems.items()}
        for layer in self.layers:
            layer.set_problems(self._problems.get(layer.layer_id or "", []))

    def highlight(self, layer_id: str | None, severity: str = "problem", *,
                  pulse: bool = True) -> None:
        """Outline ``layer_id`` in the severity's colour, pulsing a few times if ``pulse``
        (the outline then stays); None clears it."""
        self._highlight = (layer_id, severity)
        color = QColor(SEVERITY_COLORS.get(severity, SEVERITY_COLORS["info"]))
        for layer in self.layers:
            layer.set_highlight(color if layer_id and layer.layer_id == layer_id else None)
        self._pulse.stop()
        if layer_id is not None and pulse:
            self._pulse.start()

    @property
    def highlighted_layer(self) -> str | None:
        return self._highlight[0]

    def _on_pulse_value_changed(self, alpha: float) -> None:
        layer = self.layer_item(self._highlight[0])
        if layer is not None and layer.highlighted:
            color = QColor(SEVERITY_COLORS.get(self._highlight[1], SEVERITY_COLORS["info"]))
            color.setAlphaF(float(alpha))
            layer.set_highlight(color)

    def helpEvent(self, event) -> None:
        # tooltips are computed when asked, so 30 weight updates a second cost no text
        for item in self.items(event.scenePos()):
            while item is not None and not hasattr(item, "tooltip_text"):
                item = item.parentItem()
            text = item.tooltip_text() if item is not None else ""
            if text:
                QToolTip.showText(event.screenPos(), text, event.widget())
                event.accept()
                return
        QToolTip.hideText()
        event.ignore()

    # -- geometry for the view -----------------------------------------------------------------

    def layer_item(self, layer_id: str | None) -> LayerItem | None:
        """The column drawing ``layer_id`` (None if there is none)."""
        return next((x for x in self.layers if layer_id and x.layer_id == layer_id), None)

    def gap_at(self, x: float) -> int:
        """The gap nearest to scene ``x``: how many hidden-layer columns lie left of it."""
        return sum(1 for layer in self.layers[1:-1] if layer.x() < x)

    def gap_x(self, gap: int) -> float:
        """Scene x of the insertion line for ``gap`` (between columns ``gap`` and
        ``gap + 1``)."""
        if len(self.layers) < 2:
            return 0.0
        gap = max(0, min(gap, len(self.layers) - 2))
        return (self.layers[gap].x() + self.layers[gap + 1].x()) / 2

    def show_marker(self, gap: int | None) -> None:
        """Show the insertion line at ``gap`` (None hides it)."""
        if self._marker is None:
            return
        self._marker.setVisible(gap is not None)
        if gap is not None:
            self._marker.setX(self.gap_x(gap))

    @property
    def marker_gap_x(self) -> float | None:
        """Where the insertion line is (None while hidden); for tests."""
        if self._marker is None or not self._marker.isVisible():
            return None
        return self._marker.x()

    def unit_items(self) -> list[UnitItem]:
        return [unit for layer in self.layers for unit in layer.units]

    def link_items(self) -> list[LinkItem]:
        return [link for items in self.links.values() for link in items]

