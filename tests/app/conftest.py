"""Fixtures for tests that need the whole main window."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@pytest.fixture(autouse=True)
def _collect_cycles_on_the_gui_thread(qapp):
    """As the app does (``app.gc_guard``): a cycle collection started by the training or
    visualiser thread once deadlocked the suite while freeing a closed window's menus."""
    from app.gc_guard import GuiThreadCollector

    collector = GuiThreadCollector()
    yield
    collector.stop()
    collector.deleteLater()


@pytest.fixture
def settings(tmp_path) -> QSettings:
    """Preferences in a throw-away INI file, never the user's."""
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def make_window(qtbot, settings, engine_mode: str = "thread", lesson: str | None = "two-spirals"):
    """A main window on a lesson whose "unsaved changes?" and recovery questions answer
    Discard, so closing it in a test never blocks on a dialog."""
    from app.main_window import MainWindow

    window = MainWindow(engine_mode=engine_mode, settings=settings)
    window.files.ask_unsaved = lambda: QMessageBox.StandardButton.Discard
    window.ask_recover = lambda *_: QMessageBox.StandardButton.Cancel
    qtbot.addWidget(window)
    if lesson:
        assert window.open_lesson(lesson)
    window.data_source.wait(30000)
    qtbot.waitUntil(lambda: window.data_source.splits is not None, timeout=30000)
    window.show()
    return window


@pytest.fixture
def window(qtbot, settings):
    """The main window on the two-spirals lesson, training in a thread (deterministic)."""
    win = make_window(qtbot, settings)
    yield win
    win.close()
    assert win.controller._thread.wait(3000)


@pytest.fixture
def artifacts_dir() -> Path:
    """Where GUI tests leave pictures for people (and CI) to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
