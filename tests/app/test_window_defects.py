"""Interaction defects of issue 11 seen in the window, each driven as a user drives it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut

from app.actions import redo_shortcuts

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[2]
CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


# -- 1. redo from the keyboard -------------------------------------------------------------


@pytest.mark.parametrize("keys", [(Qt.Key.Key_Z, CTRL | SHIFT), (Qt.Key.Key_Y, CTRL)],
                         ids=["ctrl-shift-z", "ctrl-y"])
def test_redo_from_the_keyboard(qtbot, window, keys):
    doc = window.document
    before = doc.network
    window.designer.add_layer("dropout", 1)
    after = doc.network
    qtbot.keyClick(window, Qt.Key.Key_Z, CTRL)
    assert doc.network == before
    qtbot.keyClick(window, *keys)
    assert doc.network == after


@pytest.mark.parametrize("platform", [["Ctrl+Shift+Z"], ["Ctrl+Y", "Ctrl+Shift+Z"],
                                      ["Ctrl+Y", "Alt+Shift+Backspace", "Ctrl+Shift+Z"],
                                      ["Shift+Ctrl+Z"], []],
                         ids=["x11", "windows", "offscreen", "mac", "none"])
def test_redo_keys_are_listed_once_whatever_the_platform_binds(platform):
    keys = [k.toString() for k in redo_shortcuts([QKeySequence(p) for p in platform])]
    assert len(keys) == len(set(keys))  # a repeated key is ambiguous: Qt fires neither
    assert {"Ctrl+Shift+Z", "Ctrl+Y"} <= set(keys)


def test_no_key_is_bound_twice_in_the_window(window):
    bound: dict[str, str] = {}
    shortcuts = [(a.text(), a.shortcuts()) for a in window.findChildren(QAction)]
    shortcuts += [(s.objectName() or "shortcut", s.keys()) for s in
                  window.findChildren(QShortcut)]
    for owner, keys in shortcuts:
        for key in keys:
            text = key.toString()
            assert text not in bound or bound[text] == owner, \
                f"{text} is bound to {bound.get(text)!r} and {owner!r}"
            bound[text] = owner


XCB_PROBE = textwrap.dedent("""
    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from app.main_window import MainWindow
    w = MainWindow(engine_mode="thread", settings=QSettings(r"{ini}", QSettings.IniFormat))
    w.show(); w.activateWindow()
    QTest.qWaitForWindowActive(w, 5000)
    doc = w.document
    results = []
    for key, mods in ((Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier),
                      (Qt.Key_Y, Qt.ControlModifier)):
        w.designer.add_layer("dropout", 1)  # something to undo
        doc.undo_stack.undo()
        before = doc.undo_stack.index()
        QTest.keyClick(w, key, mods)
        QApplication.processEvents()
        results.append(doc.undo_stack.index() == before + 1)
    print("REDO", results, [k.toString() for k in w.actions.redo.shortcuts()])
    w.shutdown()
""")


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb for a real X11 session")
def test_redo_keys_work_under_a_real_x11_server(tmp_path):
    """Linux's own key bindings only exist on xcb: run the window there, off this process."""
    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1366x768x24"],
                            pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    try:
        display = os.read(read, 32).decode().strip()
        env = dict(os.environ, DISPLAY=f":{display}", QT_QPA_PLATFORM="xcb",
                   PYTHONPATH=str(ROOT))
        script = XCB_PROBE.format(ini=tmp_path / "settings.ini")
        done = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
    finally:
        os.close(read)
        xvfb.kill()
        xvfb.wait()
    assert "REDO [True, True]" in done.stdout, done.stdout + done.stderr
