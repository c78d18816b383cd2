"""Remember the window between launches: geometry, splitter positions and the last tab.

Stored in the app's ``QSettings`` (per user, never in a project: a project opened on
another screen should not drag this screen's layout along). Splitter states are saved by
name, so a layout saved by an older version with other splitters is simply ignored.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QPoint, QSettings, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow, QSplitter, QTabWidget

PREFIX = "window"
SPLITTERS = ("outer_splitter", "main_splitter", "top_splitter")
"""The main window's splitters whose positions are remembered (attribute names)."""


def tab_key(tabs: QTabWidget, index: int) -> str:
    """A stable name for a tab: its widget's object name, else its title without counts."""
    widget = tabs.widget(index)
    name = widget.objectName() if widget is not None else ""
    return name or tabs.tabText(index).split(" (")[0].replace("&&", "&")


def save_layout(window: QMainWindow, settings: QSettings) -> None:
    """Store the window's geometry, splitter positions and current tab."""
    maximized = window.isMaximized()
    settings.setValue(f"{PREFIX}/maximized", maximized)
    if not maximized:  # (a maximised window keeps the size it had before)
        settings.setValue(f"{PREFIX}/size", window.size())
        settings.setValue(f"{PREFIX}/position", window.pos())
    for name in SPLITTERS:
        splitter: QSplitter | None = getattr(window, name, None)
        if splitter is not None:
            settings.setValue(f"{PREFIX}/{name}", splitter.saveState())
    tabs: QTabWidget | None = getattr(window, "tabs", None)
    if tabs is not None and tabs.currentIndex() >= 0:
        settings.setValue(f"{PREFIX}/tab", tab_key(tabs, tabs.currentIndex()))
    settings.sync()


def available_size(window: QMainWindow, position: object) -> QSize | None:
    """The usable size of the screen the window will open on (None if there is none)."""
    screen = (QGuiApplication.screenAt(position) if isinstance(position, QPoint) else None) \
        or window.screen() or QGuiApplication.primaryScreen()
    return None if screen is None else screen.availableGeometry().size()


def _restore_geometry(window: QMainWindow, settings: QSettings) -> None:
    """The remembered size, no larger than the screen (a window saved on a projector or a
    taller monitor must not open with its bottom rows out of reach on a 768-pixel laptop),
    and the position if it is still on a screen (a laptop unplugged from its projector must
    not open the window out of sight)."""
    size, position = settings.value(f"{PREFIX}/size"), settings.value(f"{PREFIX}/position")
    if isinstance(size, QSize) and size.width() >= 400 and size.height() >= 300:
        available = available_size(window, position)
        if available is not None and available.expandedTo(window.minimumSizeHint()) == available:
            size = size.boundedTo(available)  # (a screen too small for the window: as saved)
        window.resize(size)
    if isinstance(position, QPoint) and QGuiApplication.screenAt(position) is not None:
        window.move(position)
    if str(settings.value(f"{PREFIX}/maximized", "false")).lower() == "true":
        window.setWindowState(window.windowState() | Qt.WindowState.WindowMaximized)


def restore_layout(window: QMainWindow, settings: QSettings) -> None:
    """Apply what ``save_layout`` stored (anything missing or damaged keeps the default)."""
    _restore_geometry(window, settings)
    for name in SPLITTERS:
        state = settings.value(f"{PREFIX}/{name}")
        splitter: QSplitter | None = getattr(window, name, None)
        if splitter is not None and isinstance(state, QByteArray) and not state.isEmpty():
            splitter.restoreState(state)
    tabs: QTabWidget | None = getattr(window, "tabs", None)
    wanted = settings.value(f"{PREFIX}/tab")
    if tabs is None or not isinstance(wanted, str):
        return
    for index in range(tabs.count()):
        if tab_key(tabs, index) == wanted and tabs.isTabVisible(index):
            tabs.setCurrentIndex(index)
            return
