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
    window.step_inspector.show()
    qtbot.waitUntil(lambda: window.step_inspector.isVisible())
    qtbot.wait(50)
    width, height = _fits(window)
    assert width <= SCREEN[0] and height <= SCREEN[1]
