"""Sizes, fonts and colours of the network drawing, decided once per theme.

The drawing is laid out in scene pixels and scaled to fit the view (never above
``MAX_ZOOM``), so the sizes here are the sizes at 100 %.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette

from app.theme import INFO, PROBLEM, WARNING, current_theme

NODE = 20          # side of a unit's square (its heat map)
SLOT = 24          # vertical distance between units
DOT = 10           # diameter of an element-wise (dropout / activation) unit
BLOCK_W = 44       # width of a compact block
BLOCK_SLOTS = 9    # height of a compact block, in slots
REPRESENTATIVES = (2, 2)  # units drawn at the top and bottom of a compact block
LINK_LEN = 96      # horizontal room for links into a Dense layer
SHORT_LINK = 44    # ... into a Dropout / Activation layer
HEADER = 40        # room above the tallest column for the two header lines
MAX_ZOOM = 1.25    # small networks are not blown up beyond this
MAX_TEXT_ZOOM = 1.4

SEVERITY_COLORS = {"problem": PROBLEM, "warning": WARNING, "info": INFO}


@dataclass(frozen=True)
class DesignerLook:
    """Colours and fonts for one theme."""

    dark: bool
    background: QColor
    text: QColor
    muted: QColor
    node_fill: QColor
    node_border: QColor
    link: QColor
    frame_hover: QColor
    selection: QColor
    accent: QColor
    text_zoom: float = 1.0  # > 1 while the view shrinks the drawing, so text stays legible

    def font(self, pixels: float, bold: bool = False) -> QFont:
        """The application font at ``pixels`` (scene pixels at 100 %) times the text zoom."""
        return scene_font(round(pixels * self.text_zoom), bold)

    @staticmethod
    def current() -> DesignerLook:
        """The look for the application's current theme."""
        theme = current_theme()
        app = QGuiApplication.instance()
        palette = app.palette() if app is not None else QPalette()
        text = QColor(theme.foreground)
        muted = QColor(text)
        muted.setAlphaF(0.62)
        link = QColor(text)
        link.setAlphaF(0.22)
        hover = QColor(text)
        hover.setAlphaF(0.05)
        accent = QColor(palette.color(QPalette.ColorRole.Highlight))
        selection = QColor(accent)
        selection.setAlphaF(0.16)
        node_fill = QColor("#3a3f44" if theme.dark else "#f3f4f5")
        node_border = QColor("#8a9096" if theme.dark else "#9aa1a8")
        return DesignerLook(theme.dark, QColor(theme.background), text, muted, node_fill,
                            node_border, link, hover, selection, accent)


def scene_font(pixels: int, bold: bool = False) -> QFont:
    """The application font at a size in scene pixels."""
    font = QFont(QGuiApplication.font())
    font.setPixelSize(pixels)
    font.setBold(bold)
    return font
