"""Everything the window holds fits a 1366×768 lab laptop: no tab, dock or bar that several
features add may together force the window taller or wider than the screen."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.gui

SCREEN = (1366, 768)


def _fits(window) -> tuple[int, int]:
    hint = window.minimumSizeHint()
    return hint.width(), hint.height()


def test_every_tab_fits_768_pixels(window, qtbot):
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        qtbot.wait(10)
        width, height = _fits(window)
        assert width <= SCREEN[0] and height <= SCREEN[1], window.tabs.tabText(index)


def test_the_step_inspector_open_still_fits(window, qtbot):
    window.resize(*SCREEN)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == SCREEN)
    window.step_inspector.show()
    qtbot.waitUntil(lambda: window.step_inspector.isVisible())
    # The window first grows to fit the dock beside the tabs, then takes its size back.
    qtbot.waitUntil(lambda: (window.width(), window.height()) == SCREEN, timeout=3000)
    width, height = _fits(window)
    assert width <= SCREEN[0] and height <= SCREEN[1]
    assert not window.tabs.isVisible() and window.step_inspector.height() >= 240
