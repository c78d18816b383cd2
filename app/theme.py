"""Colours, fonts and the light/dark theme, decided once for every widget and plot.

Two classes are orange and blue everywhere (points, decision map, confusion matrix, link
signs), as in TensorFlow Playground: a pair colour-blind viewers tell apart. More classes
use the Okabe-Ito palette. Positive weights are blue, negative orange.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QPalette

ORANGE = "#f59322"
BLUE = "#0877bd"
NEUTRAL = "#e8eaeb"
OKABE_ITO = ("#E69F00", "#0072B2", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442",
             "#000000", "#999999", "#882255")
PROBLEM = "#d62728"
WARNING = "#e6a000"
INFO = "#4a90d9"
OK = "#2ca02c"
TRAIN_COLOR = "#0877bd"
VALIDATION_COLOR = "#f59322"


def class_colors(n_classes: int) -> tuple[str, ...]:
    """A colour per class: orange/blue for two, Okabe-Ito beyond."""
    if n_classes <= 2:
        return (ORANGE, BLUE)
    return tuple(OKABE_ITO[i % len(OKABE_ITO)] for i in range(n_classes))


def diverging_lut(n: int = 256, dark: bool = False) -> np.ndarray:
    """RGBA lookup table orange (0) -> neutral (0.5) -> blue (1), uint8 of shape (n, 4)."""
    low, mid, high = (np.array(QColor(c).getRgb()[:3], dtype=np.float64)
                      for c in (ORANGE, "#2b2f33" if dark else "#ffffff", BLUE))
    t = np.linspace(0.0, 1.0, n)[:, None]
    rgb = np.where(t < 0.5, low + (mid - low) * (t / 0.5), mid + (high - mid) * ((t - 0.5) / 0.5))
    lut = np.empty((n, 4), dtype=np.uint8)
    lut[:, :3] = np.clip(np.round(rgb), 0, 255)
    lut[:, 3] = 255
    return lut


def weight_color(value: float, max_abs: float) -> QColor:
    """Blue for positive, orange for negative weights, paler as they shrink."""
    strength = 0.0 if max_abs <= 0 else min(1.0, abs(value) / max_abs)
    color = QColor(BLUE if value >= 0 else ORANGE)
    color.setAlphaF(0.15 + 0.85 * strength)
    return color


@dataclass(frozen=True)
class Theme:
    """What plots need to follow the application's light or dark look."""

    dark: bool
    background: str
    foreground: str
    grid_alpha: float


def current_theme() -> Theme:
    """The theme matching the application palette (which follows the system)."""
    app = QGuiApplication.instance()
    dark = False
    if app is not None:
        hints = app.styleHints()
        scheme = getattr(hints, "colorScheme", None)
        if scheme is not None:
            dark = scheme() == Qt.ColorScheme.Dark
        else:
            dark = app.palette().color(QPalette.ColorRole.Window).lightness() < 128
    if dark:
        return Theme(True, "#1e2124", "#dcdcdc", 0.25)
    return Theme(False, "#ffffff", "#333333", 0.15)


def big_number_font(point_size: int = 18) -> QFont:
    """Large digits of fixed width, so watched numbers do not jitter."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSize(point_size)
    font.setStyleHint(QFont.StyleHint.Monospace)
    return font


def configure_pyqtgraph() -> None:
    """Global pyqtgraph options: row-major images, antialiasing, theme colours."""
    import pyqtgraph as pg

    theme = current_theme()
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=True,
                        background=theme.background, foreground=theme.foreground)
