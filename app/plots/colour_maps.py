"""Colour tables and colour blending shared by the plots (orange/blue, as in app.theme).

The decision map is drawn like TensorFlow Playground's: the class colours laid over the
background at alpha 160/255, so the map reads as pale orange and blue and the data points,
drawn in full colour on top, stand out against it.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor

from app.theme import BLUE, ORANGE, class_colors, current_theme, diverging_lut

MAP_ALPHA = 160 / 255
"""Opacity of the decision map over the background (TensorFlow Playground's value)."""


def rgb(color: str | QColor) -> np.ndarray:
    """``(3,)`` float64 RGB in 0..255 of a colour name or ``QColor``."""
    return np.array(QColor(color).getRgb()[:3], dtype=np.float64)


def background_rgb() -> np.ndarray:
    """The plot background of the current theme as RGB."""
    return rgb(current_theme().background)


def over_background(colors: np.ndarray, alpha: float = MAP_ALPHA) -> np.ndarray:
    """Colours (``(..., 3)`` in 0..255) laid over the theme background with ``alpha``."""
    return alpha * colors + (1.0 - alpha) * background_rgb()


def _as_lut(colors: np.ndarray) -> np.ndarray:
    lut = np.empty((colors.shape[0], 4), dtype=np.uint8)
    lut[:, :3] = np.clip(np.round(colors), 0, 255)
    lut[:, 3] = 255
    return lut


def map_lut(n: int = 256) -> np.ndarray:
    """The diverging orange -> neutral -> blue table, paled for map backgrounds."""
    dark = current_theme().dark
    return _as_lut(over_background(diverging_lut(n, dark=dark)[:, :3].astype(np.float64)))


def point_lut(n: int = 256) -> np.ndarray:
    """The full-strength diverging table, for points coloured by a value."""
    return diverging_lut(n, dark=current_theme().dark)


def sequential_lut(color: str = BLUE, n: int = 256) -> np.ndarray:
    """Background colour -> ``color``, for densities and counts."""
    t = np.linspace(0.0, 1.0, n)[:, None]
    return _as_lut(background_rgb() + t * (rgb(color) - background_rgb()))


def grey_lut(n: int = 256) -> np.ndarray:
    """White (0) -> black (1): ink on paper, for images of handwritten digits."""
    values = np.linspace(255.0, 0.0, n)[:, None].repeat(3, axis=1)
    return _as_lut(values)


def class_rgb(n_classes: int) -> np.ndarray:
    """``(max(n, 2), 3)`` RGB of each class colour."""
    return np.array([rgb(c) for c in class_colors(max(n_classes, 2))])


def multiclass_image(classes: np.ndarray, probability: np.ndarray, n_classes: int,
                     discrete: bool) -> np.ndarray:
    """RGBA ``(r, c, 4)`` uint8 map of winning classes for more than two classes.

    Each pixel is its winning class's colour blended toward white by ``1 - probability``
    (so uncertain regions fade out), or the plain class colour when ``discrete``; then
    laid over the background like the binary map.
    """
    colors = class_rgb(n_classes)[classes]
    if not discrete:
        p = np.clip(probability, 0.0, 1.0)[..., None]
        colors = p * colors + (1.0 - p) * 255.0
    out = np.empty((*classes.shape, 4), dtype=np.uint8)
    out[..., :3] = np.clip(np.round(over_background(colors)), 0, 255)
    out[..., 3] = 255
    return out


def value_colors(values: np.ndarray, low: float, high: float, lut: np.ndarray) -> np.ndarray:
    """Row of ``lut`` for each value scaled from ``[low, high]`` (clipped): ``(n, 4)``."""
    span = high - low if high > low else 1.0
    index = np.clip((np.asarray(values, dtype=np.float64) - low) / span, 0.0, 1.0)
    return lut[np.round(index * (len(lut) - 1)).astype(np.intp)]


__all__ = ["BLUE", "MAP_ALPHA", "ORANGE", "class_rgb", "grey_lut", "map_lut",
           "multiclass_image", "over_background", "point_lut", "rgb", "sequential_lut",
           "value_colors"]
