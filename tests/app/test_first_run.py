"""The first five minutes: the start screen, and what happens when something breaks."""

from __future__ import annotations

import logging
import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.crash import CrashDialog, CrashReporter, configure_logging, describe
from app.start_screen import SHOW_AT_START, StartScreen
from nncore.lessons import list_lessons
from tests.app.conftest import make_window

pytestmark = pytest.mark.gui


def test_start_screen_lists_every_lesson_and_the_recent_projects(qtbot, tmp_path):
    lessons = list_lessons()
    recent = [str(tmp_path / "mine.bplab")]
    screen = StartScreen(lessons, recent, True)
    qtbot.addWidget(screen)
    ids = [screen.lesson_list.item(i).data(Qt.ItemDataRole.UserRole)
           for i in range(screen.lesson_list.count())]
    assert ids == [info.id for info in lessons]
    assert len(ids) >= 7 and ids[0] == "two-spirals"
    assert screen.recent_list.item(0).data(Qt.ItemDataRole.UserRole) == recent[0]


def test_the_two_spirals_are_one_click_away(qtbot, settings):
    window = make_window(qtbot, settings, lesson="fit-x-squared")
    window.show_start_screen(force=True)
    screen = window.start_screen
    qtbot.waitUntil(screen.isVisible, timeout=5000)
    qtbot.mouseClick(screen.start_button, Qt.MouseButton.LeftButton)
    assert window.document.project.lesson["id"] == "two-spirals"
    assert not screen.isVisible()
    window.close()


def test_start_screen_remembers_when_switched_off(qtbot, settings):
    window = make_window(qtbot, settings)
    window.show_start_screen()
    screen = window.start_screen
    screen.show_check.setChecked(False)
    screen.reject()
    assert settings.value(SHOW_AT_START, True, type=bool) is False
    window.start_screen = None
    window.show_start_screen()
    assert window.start_screen is None  # not shown again unless asked from the menu
    window.close()


def test_crash_dialog_shows_the_details_and_copies_them(qtbot):
    try:
        raise ValueError("a deliberate failure")
    except ValueError:
        details = describe(*sys.exc_info())
    dialog = CrashDialog("ValueError: a deliberate failure", details, None)
    qtbot.addWidget(dialog)
    assert "a deliberate failure" in dialog.details.toPlainText()
    assert "Traceback" in dialog.details.toPlainText()
    dialog.copy_details()
    assert QApplication.clipboard().text() == details


def test_an_exception_in_a_slot_is_logged_reported_and_survived(qtbot, settings, tmp_path):
    log_path = configure_logging()
    reporter = CrashReporter(log_path, show_dialogs=False)
    previous = sys.excepthook
    reporter.install()
    window = make_window(qtbot, settings)
    try:
        def broken_slot() -> None:
            raise RuntimeError("a bug in a slot")

        window.actions.about.triggered.disconnect()
        window.actions.about.triggered.connect(broken_slot)
        window.actions.about.trigger()  # PySide6 routes the exception to sys.excepthook
        qtbot.waitUntil(lambda: bool(reporter.reports), timeout=5000)
        assert "a bug in a slot" in reporter.reports[0]
        for handler in logging.getLogger().handlers:
            handler.flush()
        assert "a bug in a slot" in log_path.read_text(encoding="utf-8")
        window.controller.train()  # the app still works
        qtbot.waitUntil(lambda: len(window.controller.history) >= 2, timeout=30000)
    finally:
        sys.excepthook = previous
        window.close()
