"""Small heat maps of unit outputs: float arrays to pixmaps through a colour lookup table.

Each hidden unit of a 2-D problem is drawn, as in TensorFlow Playground, as a tiny map of
its output over the input plane: orange for low, blue for high. One vectorised LUT lookup
per layer, then one ``QImage`` per unit; nothing is allocated per pixel in Python.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage, QPixmap

from app.theme import diverging_lut


def layer_range(values: np.ndarray, bounds: tuple[float, float] | None) -> tuple[float, float]:
    """The value range mapped to the colour scale: the activation's own bounds (tanh:
    -1..1, sigmoid: 0..1) or, when unbounded, symmetric around 0 by the largest value."""
    if bounds is not None:
        return bounds
    finite = values[np.isfinite(values)]
    m = float(np.abs(finite).max()) if finite.size else 1.0
    m = m if m > 1e-6 else 1.0
    return (-m, m)


def lut_indices(values: np.ndarray, lo: float, hi: float, n: int = 256) -> np.ndarray:
    """``values`` scaled from ``[lo, hi]`` to LUT indices ``0..n-1`` (NaN -> the middle)."""
    scaled = (np.asarray(values, dtype=np.float32) - lo) * ((n - 1) / max(hi - lo, 1e-12))
    scaled = np.nan_to_num(scaled, nan=(n - 1) / 2, posinf=n - 1, neginf=0)
    return np.clip(np.rint(scaled), 0, n - 1).astype(np.uint8)


def rgba_maps(maps: np.ndarray, lo: float, hi: float, lut: np.ndarray) -> np.ndarray:
    """``(k, r, r)`` floats -> ``(k, r, r, 4)`` uint8 RGBA, rows flipped so y points up."""
    return np.ascontiguousarray(lut[lut_indices(maps, lo, hi, len(lut))][:, ::-1])


def rgba_pixmap(rgba: np.ndarray) -> QPixmap:
    """One ``(r, c, 4)`` uint8 image as a pixmap (the pixels are copied)."""
    rgba = np.ascontiguousarray(rgba)
    height, width = rgba.shape[:2]
    image = QImage(rgba.data, width, height, 4 * width, QImage.Format.Format_RGBA8888)
    return QPixmap.fromImage(image.copy())


class HeatPalette:
    """The colour table for heat maps, following the light or dark theme."""

    def __init__(self, dark: bool = False) -> None:
        self.lut = diverging_lut(256, dark=dark)

    def pixmaps(self, maps: np.ndarray, bounds: tuple[float, float] | None,
                indices: list[int] | None = None) -> list[QPixmap]:
        """Pixmaps for ``maps[indices]`` of a ``(k, r, r)`` stack, all on the colour range
        of the whole layer (so units of a layer can be compared)."""
        lo, hi = layer_range(maps, bounds)
        chosen = maps if indices is None else maps[indices]
        return [rgba_pixmap(image) for image in rgba_maps(chosen, lo, hi, self.lut)]

    def pixmaps_each(self, maps: np.ndarray, indices: list[int] | None = None) -> list[QPixmap]:
        """A pixmap per map, each on its own symmetric range (inputs: x1 and x1² differ)."""
        chosen = maps if indices is None else maps[indices]
        return [self.pixmaps(m[None], None)[0] for m in chosen]
