"""Plots as PNG images with NumPy and zlib only: no display, no Qt, no plotting library.

The run report (``nncore.report``) embeds its loss curves and decision maps as PNG images
so the HTML file is self-contained and prints anywhere. Matplotlib would be a large extra
dependency of the engine and Qt must never be imported here, so this module draws the few
things a report needs on an RGB ``Canvas`` (polylines, dots, rectangles, images, numbers in
a small bitmap font) and encodes it as a PNG (RFC 2083: one IHDR, one IDAT, filter 0).
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Sequence

import numpy as np

Color = tuple[int, int, int]
WHITE: Color = (255, 255, 255)
GRID: Color = (228, 228, 228)
AXIS: Color = (90, 90, 90)
SERIES: tuple[Color, ...] = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40))

# 3 x 5 glyphs for tick labels (rows top to bottom, '#' = ink)
_GLYPHS = {
    "0": "###|#.#|#.#|#.#|###", "1": ".#.|##.|.#.|.#.|###", "2": "###|..#|###|#..|###",
    "3": "###|..#|###|..#|###", "4": "#.#|#.#|###|..#|..#", "5": "###|#..|###|..#|###",
    "6": "###|#..|###|#.#|###", "7": "###|..#|.#.|.#.|.#.", "8": "###|#.#|###|#.#|###",
    "9": "###|#.#|###|..#|###", ".": "...|...|...|...|.#.", "-": "...|...|###|...|...",
    "e": "...|###|#.#|##.|###", "+": "...|.#.|###|.#.|...", "%": "#.#|..#|.#.|#..|#.#",
    " ": "...|...|...|...|...",
}
GLYPHS = {ch: np.array([[c == "#" for c in row] for row in rows.split("|")])
          for ch, rows in _GLYPHS.items()}


def png_bytes(pixels: np.ndarray) -> bytes:
    """Encode an ``(height, width, 3)`` uint8 RGB array as a PNG file."""
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    height, width, _ = pixels.shape
    rows = np.concatenate([np.zeros((height, 1), np.uint8), pixels.reshape(height, -1)], axis=1)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 9)) + chunk(b"IEND", b""))


class Canvas:
    """An RGB image to draw on, in pixel coordinates (x right, y down)."""

    def __init__(self, width: int, height: int, background: Color = WHITE) -> None:
        self.pixels = np.empty((height, width, 3), np.uint8)
        self.pixels[...] = background

    @property
    def size(self) -> tuple[int, int]:
        return self.pixels.shape[1], self.pixels.shape[0]

    def _stamp(self, xs: np.ndarray, ys: np.ndarray, color: Color, radius: float) -> None:
        """Fill discs of ``radius`` around the points (clipped to the image)."""
        r = math.ceil(radius)
        dy, dx = np.mgrid[-r:r + 1, -r:r + 1]
        keep = dx * dx + dy * dy <= radius * radius + 0.25
        px = (np.rint(xs)[:, None] + dx[keep][None, :]).astype(np.int64).ravel()
        py = (np.rint(ys)[:, None] + dy[keep][None, :]).astype(np.int64).ravel()
        width, height = self.size
        inside = (px >= 0) & (px < width) & (py >= 0) & (py < height)
        self.pixels[py[inside], px[inside]] = color

    def polyline(self, xs: Sequence[float], ys: Sequence[float], color: Color,
                 width: float = 2.0) -> None:
        """A line through the points; non-finite points break it into pieces."""
        xs, ys = np.asarray(xs, float), np.asarray(ys, float)
        finite = np.isfinite(xs) & np.isfinite(ys)
        breaks = np.flatnonzero(~finite)
        for piece in np.split(np.arange(len(xs)), breaks):
            piece = piece[finite[piece]]
            if len(piece) == 0:
                continue
            px, py = xs[piece], ys[piece]
            arc = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(px), np.diff(py)))])
            t = np.append(np.arange(0.0, arc[-1], 0.5), arc[-1])
            self._stamp(np.interp(t, arc, px), np.interp(t, arc, py), color, width / 2)

    def dots(self, xs: Sequence[float], ys: Sequence[float], colors: np.ndarray,
             radius: float = 2.5, outline: Color | None = (40, 40, 40)) -> None:
        """Filled dots, each in its own colour (``colors``: ``(n, 3)``)."""
        xs, ys = np.asarray(xs, float), np.asarray(ys, float)
        colors = np.asarray(colors, np.uint8).reshape(-1, 3)
        if outline is not None:
            self._stamp(xs, ys, outline, radius + 1)
        for color in np.unique(colors, axis=0):  # one stamp per colour, not per dot
            same = np.all(colors == color, axis=1)
            self._stamp(xs[same], ys[same], tuple(int(c) for c in color), radius)

    def rect(self, x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
        """Fill the rectangle ``[x0, x1) x [y0, y1)``."""
        self.pixels[max(0, y0):max(0, y1), max(0, x0):max(0, x1)] = color

    def image(self, x: int, y: int, rgb: np.ndarray) -> None:
        """Copy an ``(h, w, 3)`` image with its top-left corner at ``(x, y)``."""
        h, w = rgb.shape[:2]
        self.pixels[y:y + h, x:x + w] = rgb[:self.size[1] - y, :self.size[0] - x]

    def text(self, x: int, y: int, text: str, color: Color = AXIS, scale: int = 2,
             align: str = "left") -> None:
        """Numbers in the 3 x 5 bitmap font (other characters are skipped)."""
        glyphs = [GLYPHS[c] for c in text if c in GLYPHS]
        width = len(glyphs) * 4 * scale - scale
        x = x - width if align == "right" else x - width // 2 if align == "center" else x
        for i, glyph in enumerate(glyphs):
            big = np.kron(glyph, np.ones((scale, scale), bool))
            gy, gx = np.nonzero(big)
            px, py = gx + x + i * 4 * scale, gy + y
            inside = (px >= 0) & (px < self.size[0]) & (py >= 0) & (py < self.size[1])
            self.pixels[py[inside], px[inside]] = color

    def png(self) -> bytes:
        return png_bytes(self.pixels)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering ``[low, high]`` (steps of 1, 2 or 5 times a power of 10)."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else []
    raw = (high - low) / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9) * step
    return [round(first + i * step, 12) for i in range(int((high - first) / step + 1e-9) + 1)]


def tick_text(value: float) -> str:
    """A short label: 0.05, 120, 1e-05."""
    if value == 0:
        return "0"
    if abs(value) >= 1e5 or abs(value) < 1e-3:
        mantissa, exponent = f"{value:.0e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    return f"{value:.6g}"


class Chart:
    """A line chart: maps data to pixels inside margins, with a grid and tick labels."""

    def __init__(self, x_range: tuple[float, float], y_range: tuple[float, float], *,
                 width: int = 640, height: int = 300, log_y: bool = False) -> None:
        self.canvas = Canvas(width, height)
        self.left, self.right, self.top, self.bottom = 64, width - 12, 10, height - 26
        self.log_y = log_y
        self.x0, self.x1 = x_range if x_range[1] > x_range[0] else (x_range[0],
                                                                     x_range[0] + 1)
        y0, y1 = y_range
        if log_y:
            y0, y1 = math.log10(y0), math.log10(y1)
        if not y1 > y0:
            y0, y1 = y0 - 0.5, y1 + 0.5
        self.y0, self.y1 = y0, y1
        self._axes()

    def px(self, x: np.ndarray) -> np.ndarray:
        """Pixel columns of data x values."""
        x = np.asarray(x, float)
        return self.left + (x - self.x0) / (self.x1 - self.x0) * (self.right - self.left)

    def py(self, y: np.ndarray) -> np.ndarray:
        """Pixel rows of data y values (non-positive values are not finite on a log axis)."""
        y = np.asarray(y, float)
        if self.log_y:
            with np.errstate(divide="ignore", invalid="ignore"):
                y = np.where(y > 0, np.log10(np.where(y > 0, y, 1.0)), np.nan)
        return self.bottom - (y - self.y0) / (self.y1 - self.y0) * (self.bottom - self.top)

    def _axes(self) -> None:
        c = self.canvas
        if self.log_y:
            first, last = math.ceil(self.y0 - 1e-9), math.floor(self.y1 + 1e-9)
            every = max(1, math.ceil((last - first + 1) / 6))  # at most ~6 decades labelled
            ticks = [10.0 ** p for p in range(first, last + 1, every)]
        else:
            ticks = nice_ticks(self.y0, self.y1)
        for value in ticks:
            row = round(float(self.py(np.array([value]))[0]))
            c.rect(self.left, row, self.right, row + 1, GRID)
            c.text(self.left - 6, row - 5, tick_text(value), align="right")
        for value in nice_ticks(self.x0, self.x1, 6):
            col = round(float(self.px(np.array([value]))[0]))
            c.rect(col, self.top, col + 1, self.bottom, GRID)
            c.text(col, self.bottom + 8, tick_text(value), align="center")
        c.rect(self.left, self.top, self.left + 1, self.bottom + 1, AXIS)
        c.rect(self.left, self.bottom, self.right, self.bottom + 1, AXIS)

    def line(self, xs: Sequence[float], ys: Sequence[float], color: Color) -> None:
        """Draw one series."""
        self.canvas.polyline(self.px(np.asarray(xs)), self.py(np.asarray(ys)), color)
