"""Connections: one curve per weight, or one band between wide layers.

A weight is drawn as in TensorFlow Playground: blue when positive, orange when negative
(``app.theme.weight_color``), thicker as ``|w|`` grows. Pens come from a small table of
quantised strengths, so a 30-per-second update only swaps pens that changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsLineItem,
    QGraphicsPathItem,
    QGraphicsSimpleTextItem,
)

from app.designer.look import DesignerLook, scene_font
from app.theme import weight_color

if TYPE_CHECKING:
    from app.designer.layer_item import LayerItem

LEVELS = 24
MIN_WIDTH, MAX_WIDTH = 0.6, 4.5


class PenTable:
    """``LEVELS`` pens per sign, from faint and thin to strong and thick."""

    def __init__(self, neutral: QColor) -> None:
        self.neutral = QPen(neutral, 1.0)
        self.neutral.setCapStyle(Qt.PenCapStyle.FlatCap)
        self._pens = {sign: [self._pen(sign, level) for level in range(LEVELS + 1)]
                      for sign in (1.0, -1.0)}

    @staticmethod
    def _pen(sign: float, level: int) -> QPen:
        strength = level / LEVELS
        pen = QPen(weight_color(sign * strength, 1.0),
                   MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * strength)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        return pen

    def level(self, value: float, max_abs: float) -> int:
        """The quantised strength of ``value`` on a ``max_abs`` scale (0..LEVELS)."""
        if not np.isfinite(value) or max_abs <= 0:
            return 0
        return round(min(1.0, abs(value) / max_abs) * LEVELS)

    def pen(self, value: float, level: int) -> QPen:
        return self._pens[1.0 if value >= 0 else -1.0][level]


class LinkItem(QGraphicsPathItem):
    """The weight from unit ``i`` of one column to unit ``j`` of the next."""

    def __init__(self, start: QPointF, end: QPointF, source: str, target: str,
                 pens: PenTable, *, weighted: bool = True) -> None:
        super().__init__()
        self.source, self.target, self.weighted = source, target, weighted
        self.value: float | None = None
        self._pens = pens
        self._key: tuple[bool, int] | None = None
        path = QPainterPath(start)
        dx = (end.x() - start.x()) * 0.5
        path.cubicTo(QPointF(start.x() + dx, start.y()), QPointF(end.x() - dx, end.y()), end)
        self.setPath(path)
        stroker = QPainterPathStroker()
        stroker.setWidth(6)
        self._hit_shape = stroker.createStroke(path)
        self.setPen(pens.neutral)
        self.setZValue(0)

    def shape(self) -> QPainterPath:
        # thin curves are hard to hover: hit-test a 6 px wide stroke (computed once)
        return self._hit_shape

    def set_weight(self, value: float | None, max_abs: float = 1.0) -> None:
        """Colour and thickness for ``value`` on a ``max_abs`` scale (None: untrained)."""
        self.value = None if value is None else float(value)
        key = None if value is None else (value >= 0, self._pens.level(value, max_abs))
        if key == self._key:
            return
        self._key = key
        self.setPen(self._pens.neutral if key is None else self._pens.pen(value, key[1]))

    def tooltip_text(self) -> str:
        """The weight's value and the two units it connects."""
        if not self.weighted:
            return f"{self.source} → {self.target} (element-wise, no weight)"
        value = "not trained yet" if self.value is None else f"{self.value:+.4g}"
        return f"w = {value}\nfrom {self.source}\nto {self.target}"


class BandItem(QGraphicsPathItem):
    """All weights between two wide layers, drawn as one band shaded by mean ``|w|``."""

    def __init__(self, path: QPainterPath, description: str, base: QColor,
                 *, weighted: bool = True) -> None:
        super().__init__(path)
        self.description, self.weighted = description, weighted
        self.stats: tuple[float, float, float] | None = None  # mean |w|, min, max
        self._base = QColor(base)
        self.setPen(QPen(Qt.PenStyle.NoPen))
        self.set_weights(None)
        self.setZValue(0)

    def set_weights(self, weights: np.ndarray | None, max_mean: float = 1.0) -> None:
        """Shade by this band's mean ``|w|`` relative to ``max_mean`` (None: untrained)."""
        color = QColor(self._base)
        if weights is None or weights.size == 0:
            self.stats = None
            color.setAlphaF(0.10)
        else:
            mean_abs = float(np.mean(np.abs(weights)))
            self.stats = (mean_abs, float(np.min(weights)), float(np.max(weights)))
            strength = min(1.0, mean_abs / max_mean) if max_mean > 0 else 0.0
            color.setAlphaF(0.08 + 0.27 * strength)
        self.setBrush(QBrush(color))

    def tooltip_text(self) -> str:
        """Size of the connection and, once trained, its weight statistics."""
        if not self.weighted:
            return f"{self.description} (element-wise, no weights)"
        if self.stats is None:
            return f"{self.description}: not trained yet"
        mean_abs, low, high = self.stats
        return (f"{self.description}\nmean |w| = {mean_abs:.4g}, "
                f"range {low:+.3g} … {high:+.3g}\n(too many weights to draw one by one)")


def band_between(a: LayerItem, b: LayerItem, look: DesignerLook, *,
                 weighted: bool) -> BandItem:
    """The band joining two columns when either is a compact block, with the number of
    weights written on it (what a wide layer costs)."""
    x0, x1 = a.x() + a.half_body, b.x() - b.half_body
    (a0, a1), (b0, b1) = _span(a), _span(b)
    dx = (x1 - x0) / 2
    path = QPainterPath(QPointF(x0, a0))
    path.cubicTo(QPointF(x0 + dx, a0), QPointF(x1 - dx, b0), QPointF(x1, b0))
    path.lineTo(x1, b1)
    path.cubicTo(QPointF(x1 - dx, b1), QPointF(x0 + dx, a1), QPointF(x0, a1))
    path.closeSubpath()
    n_in, n_out = a.column.width, b.column.width
    text = f"{a.column.title} ({f'{n_in:,}' if n_in else '?'}) → {b.column.title}"
    count = n_in * n_out if weighted and n_in and n_out else 0
    if count:
        text += f": {count:,} weights"
    band = BandItem(path, text, QColor(look.text), weighted=weighted)
    if count:
        lines = ((short_count(count), True, -17 * look.text_zoom), ("weights", False, 0))
        for line, bold, y in lines:
            label = QGraphicsSimpleTextItem(line, band)
            label.setFont(look.font(11, bold))
            label.setBrush(look.muted)
            label.setPos((x0 + x1 - label.boundingRect().width()) / 2, y)
            label.setZValue(1)
    return band


def _span(layer: LayerItem) -> tuple[float, float]:
    """Top and bottom of a column's body, for the edges of a band."""
    if layer.column.compact or not layer.units:
        return -layer.half_height + 4, layer.half_height - 4
    half = layer.units[0].size / 2
    return layer.units[0].y() - half, layer.units[-1].y() + half


def short_count(n: int) -> str:
    """``100352`` -> ``100k``, ``1200000`` -> ``1.2M``: a weight count at a glance."""
    if n >= 1_000_000:
        return f"{n / 1e6:.3g}M"
    if n >= 10_000:
        return f"{n / 1e3:.0f}k"
    return f"{n:,}"


def insertion_marker(look: DesignerLook, top: float, bottom: float) -> QGraphicsLineItem:
    """The line shown where a dragged layer would land: an accent bar with a "+" badge."""
    marker = QGraphicsLineItem(0, top - 2, 0, bottom + 4)
    marker.setPen(QPen(look.accent, 4.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    badge = QGraphicsEllipseItem(-11, -11, 22, 22, marker)
    badge.setBrush(look.accent)
    badge.setPen(QPen(look.background, 2.0))
    plus = QGraphicsSimpleTextItem("+", badge)
    plus.setFont(scene_font(18, bold=True))
    plus.setBrush(QColor("#ffffff"))
    rect = plus.boundingRect()
    plus.setPos(-rect.width() / 2, -rect.height() / 2 - 1)
    marker.setZValue(10)
    marker.setVisible(False)
    return marker
