"""Small pictures of the built-in data sets for the picker, drawn once and cached.

Like TensorFlow Playground's four data-set tiles: each synthetic set is generated once
with a fixed seed and few samples and drawn as a tiny scatter (orange/blue classes), a
curve (1-D regression) or a coloured scatter (2-D regression); real data sets get a
table glyph. Generation costs a few milliseconds per set; pixmaps are cached per size.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

from app.theme import BLUE, class_colors, current_theme, diverging_lut

THUMBNAIL_SAMPLES = 240
THUMBNAIL_SEED = 7
_CACHE: dict[tuple[str, int, bool], QPixmap] = {}


HEAVY_SETS = ("mnist",)
"""Real sets too slow to load just for a picture (they get the table glyph)."""


def _sample(name: str) -> tuple[np.ndarray, np.ndarray, str, tuple] | None:
    """(x, y, task, domain) of a small copy of built-in set ``name``; None: draw a glyph.

    Real tables are drawn by their first two features; image sets by their first image
    (``task`` is then ``"image"`` and ``x`` the image).
    """
    from nncore.data import BUILTIN, load_builtin

    info = BUILTIN.get(name)
    if info is None or name in HEAVY_SETS:
        return None
    options = {"n": THUMBNAIL_SAMPLES} if any(o.name == "n" for o in info.options) else {}
    data = load_builtin(name, options, THUMBNAIL_SEED)
    if data.info.image_shape is not None:
        return data.x[0].reshape(data.info.image_shape), data.y, "image", ()
    if data.info.domain is None:  # a real table: its first two features, padded a little
        x = data.x[:, :2]
        lo, hi = x.min(axis=0), x.max(axis=0)
        pad = 0.08 * (hi - lo)
        domain = tuple((float(a - p), float(b + p)) for a, b, p in zip(lo, hi, pad))
        return x, data.y, data.info.task, domain
    return data.x, data.y, data.info.task, data.info.domain


def _draw_image(painter: QPainter, image: np.ndarray, size: int) -> None:
    """A grey-level image (values in [0, 1]) scaled to the square, dark ink on light."""
    rows, cols = image.shape[:2]
    cell = (size - 4) / max(rows, cols)
    painter.setPen(Qt.PenStyle.NoPen)
    for r in range(rows):
        for c in range(cols):
            level = int(255 * (1 - float(np.clip(image[r, c], 0, 1))))
            painter.setBrush(QColor(level, level, level))
            painter.drawRect(QRectF(2 + c * cell, 2 + r * cell, cell + 0.5, cell + 0.5))


def _to_pixels(values: np.ndarray, lo: float, hi: float, size: int, flip: bool) -> np.ndarray:
    margin = 3.0
    t = (values - lo) / (hi - lo if hi > lo else 1.0)
    if flip:
        t = 1.0 - t
    return margin + t * (size - 2 * margin)


def _draw_points(painter: QPainter, px: np.ndarray, py: np.ndarray, colors: list[QColor],
                 radius: float) -> None:
    painter.setPen(Qt.PenStyle.NoPen)
    for x, y, color in zip(px, py, colors):
        painter.setBrush(color)
        painter.drawEllipse(QPointF(float(x), float(y)), radius, radius)


def _draw_sample(painter: QPainter, sample: tuple, size: int) -> None:
    x, y, task, domain = sample
    if task == "image":
        _draw_image(painter, x, size)
        return
    (x0, x1) = domain[0]
    px = _to_pixels(x[:, 0], x0, x1, size, flip=False)
    if x.shape[1] == 1:  # a 1-D curve: y against x
        order = np.argsort(x[:, 0])
        values = y.reshape(-1)[order]
        lo, hi = float(values.min()), float(values.max())
        pad = 0.1 * (hi - lo or 1.0)
        py = _to_pixels(values, lo - pad, hi + pad, size, flip=True)
        path = QPainterPath(QPointF(float(px[order][0]), float(py[0])))
        for a, b in zip(px[order][1:], py[1:]):
            path.lineTo(float(a), float(b))
        painter.setPen(QPen(QColor(BLUE), 1.6))
        painter.drawPath(path)
        return
    (y0, y1) = domain[1]
    py = _to_pixels(x[:, 1], y0, y1, size, flip=True)
    radius = max(1.2, size / 40) if len(x) > 8 else size / 9
    if len(x) > 2 * THUMBNAIL_SAMPLES:  # a real table: draw every few points
        keep = slice(None, None, len(x) // THUMBNAIL_SAMPLES)
        x, y, px, py = x[keep], y[keep], px[keep], py[keep]
    if task == "regression":
        values = y.reshape(-1)
        t = (values - values.min()) / (np.ptp(values) or 1.0)
        lut = diverging_lut(64, dark=current_theme().dark)
        colors = [QColor(*lut[int(v * 63)][:3]) for v in t]
    else:
        palette = [QColor(c) for c in class_colors(int(y.max()) + 1)]
        colors = [palette[int(label)] for label in y]
    _draw_points(painter, px, py, colors, radius)


def _draw_table_glyph(painter: QPainter, size: int, color: QColor) -> None:
    painter.setPen(QPen(color, 1.2))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    inset = size * 0.2
    rect = QRectF(inset, inset, size - 2 * inset, size - 2 * inset)
    painter.drawRect(rect)
    for i in (1, 2):
        y = rect.top() + rect.height() * i / 3
        painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
    x = rect.left() + rect.width() / 3
    painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))


def dataset_thumbnail(name: str, size: int = 48) -> QPixmap:
    """A ``size``-pixel square picture of built-in set ``name`` (cached)."""
    theme = current_theme()
    key = (name, size, theme.dark)
    if key in _CACHE:
        return _CACHE[key]
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(theme.background))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    try:
        sample = _sample(name)
    except Exception:  # a thumbnail is decoration: never let it break the picker
        sample = None
    if sample is None:
        _draw_table_glyph(painter, size, QColor(theme.foreground))
    else:
        _draw_sample(painter, sample, size)
    painter.setPen(QPen(QColor(theme.foreground).lighter(250) if not theme.dark
                        else QColor("#555"), 1))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(0, 0, size - 1, size - 1)
    painter.end()
    _CACHE[key] = pixmap
    return pixmap


def dataset_icon(name: str, size: int = 24) -> QIcon:
    """``dataset_thumbnail`` as an icon for combo boxes and lists."""
    return QIcon(dataset_thumbnail(name, size))
