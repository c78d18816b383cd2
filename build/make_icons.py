"""Render resources/icons/backprop-lab.svg to the PNG sizes desktops expect, and an .ico.

Run once after changing the SVG (the PNGs are committed):
``QT_QPA_PLATFORM=offscreen python build/make_icons.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"


def render(renderer: QSvgRenderer, size: int) -> QImage:
    """The icon as a transparent ``size`` x ``size`` image."""
    image = QImage(QSize(size, size), QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv)  # noqa: F841 - needed by Qt
    renderer = QSvgRenderer(str(ICONS / "backprop-lab.svg"))
    if not renderer.isValid():
        print("the SVG icon could not be read", file=sys.stderr)
        return 1
    for size in SIZES:
        out = ICONS / "hicolor" / f"{size}x{size}" / "apps" / "backprop-lab.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        render(renderer, size).save(str(out))
    ico = render(renderer, 256)
    if not ico.save(str(ICONS / "backprop-lab.ico")):
        print("note: this Qt has no ICO writer; Windows builds fall back to the PNG")
    return 0


if __name__ == "__main__":
    sys.exit(main())
