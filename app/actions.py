"""The window's actions (menus, toolbar, shortcuts), created in one place."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QStyle, QToolBar, QToolButton, QWidget


@dataclass
class Actions:
    """Every QAction of the main window, by name."""

    new: QAction
    open: QAction
    save: QAction
    save_as: QAction
    export_history: QAction
    export_screenshot: QAction
    quit: QAction
    undo: QAction
    redo: QAction
    train: QAction
    step_batch: QAction
    step_epoch: QAction
    stop: QAction
    reset: QAction
    check_gradients: QAction
    about: QAction


def _action(parent: QWidget, text: str, tip: str, shortcut=None, icon=None) -> QAction:
    action = QAction(text, parent)
    action.setToolTip(tip)
    action.setStatusTip(tip)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if icon is not None:
        action.setIcon(parent.style().standardIcon(icon))
    return action


REDO_KEYS = ("Ctrl+Shift+Z", "Ctrl+Y")
"""Redo's keys on every platform (the platform's own bindings are added after them)."""


def redo_shortcuts(platform: list[QKeySequence]) -> list[QKeySequence]:
    """Ctrl+Shift+Z, Ctrl+Y and the platform's other redo keys, each once.

    Linux's standard redo key *is* Ctrl+Shift+Z: listing it twice makes Qt report an
    "Ambiguous shortcut overload" and fire neither, so duplicates are dropped.
    """
    keys: list[QKeySequence] = []
    for sequence in [QKeySequence(k) for k in REDO_KEYS] + list(platform):
        if not sequence.isEmpty() and sequence not in keys:
            keys.append(sequence)
    return keys


def create_actions(window: QWidget, document) -> Actions:
    """Build the actions; undo/redo come from the document's undo stack."""
    sp = QStyle.StandardPixmap
    key = QKeySequence.StandardKey
    undo = document.undo_stack.createUndoAction(window, "&Undo")
    undo.setShortcut(QKeySequence(key.Undo))
    redo = document.undo_stack.createRedoAction(window, "&Redo")
    redo.setShortcuts(redo_shortcuts(QKeySequence.keyBindings(key.Redo)))
    return Actions(
        new=_action(window, "&New", "Start a new project (Ctrl+N)", key.New, sp.SP_FileIcon),
        open=_action(window, "&Open…", "Open a project or lesson file (Ctrl+O)", key.Open,
                     sp.SP_DialogOpenButton),
        save=_action(window, "&Save", "Save the project with its trained weights (Ctrl+S)",
                     key.Save, sp.SP_DialogSaveButton),
        save_as=_action(window, "Save &As…", "Save the project under a new name",
                        key.SaveAs),
        export_history=_action(window, "Export history as CSV…",
                               "Write the loss and metrics of every epoch to a CSV file"),
        export_screenshot=_action(window, "Export window as PNG…",
                                  "Save a picture of the whole window"),
        quit=_action(window, "&Quit", "Close Backprop Lab", key.Quit),
        undo=undo, redo=redo,
        train=_action(window, "Train", "Start or pause training (Space)", "Space",
                      sp.SP_MediaPlay),
        step_batch=_action(window, "Step batch", "Train on one batch, then pause (Ctrl+B)",
                           "Ctrl+B", sp.SP_MediaSeekForward),
        step_epoch=_action(window, "Step epoch",
                           "Train to the end of the epoch, then pause (Ctrl+E)", "Ctrl+E",
                           sp.SP_MediaSkipForward),
        stop=_action(window, "Stop", "End the run; Train continues from its weights",
                     None, sp.SP_MediaStop),
        reset=_action(window, "Reset", "New random weights from the seed: start over (Ctrl+R)",
                      "Ctrl+R", sp.SP_BrowserReload),
        check_gradients=_action(window, "Check gradients",
                                "Compare backprop with finite differences on a batch "
                                "(Ctrl+G)", "Ctrl+G"),
        about=_action(window, "About Backprop Lab", "Version and credits"),
    )


def build_toolbar(a: Actions, run_status: QWidget,
                  speed: QWidget | None = None) -> tuple[QToolBar, QToolButton]:
    """File actions, the lessons drop-down, the run controls, the speed and the read-out.

    Sized for 1366 pixels (the common teaching-lab laptop): the file actions show their
    well-known icons only, and Train keeps the width of its wider text ("Pause"), so
    starting a run never pushes the read-out into the toolbar's overflow menu.
    """
    bar = QToolBar("Main")
    bar.setObjectName("main-toolbar")
    bar.setMovable(False)
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    for action in (a.new, a.open, a.save):
        bar.addAction(action)
        bar.widgetForAction(action).setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    bar.addSeparator()
    lessons = QToolButton()
    lessons.setText("Lessons")
    lessons.setToolTip("Open a lesson: a ready-made experiment with a story")
    lessons.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    lessons.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    bar.addWidget(lessons)
    bar.addSeparator()
    for action in (a.train, a.step_batch, a.step_epoch, a.stop, a.reset):
        bar.addAction(action)
    _fix_width(bar.widgetForAction(a.train), ("Train", "Pause"))
    if speed is not None:
        bar.addSeparator()
        bar.addWidget(speed)
    bar.addSeparator()
    bar.addWidget(run_status)
    return bar, lessons


def _fix_width(button: QToolButton, texts: tuple[str, ...]) -> None:
    """Give ``button`` the width of its widest text, so changing text moves nothing."""
    shown = button.text()
    widths = []
    for text in texts:
        button.setText(text)
        widths.append(button.sizeHint().width())
    button.setText(shown)
    button.setFixedWidth(max(widths))


def build_menus(menu: QMenuBar, a: Actions) -> tuple[QMenu, QMenu]:
    """File, Edit, Training, Lessons and Help menus; returns (recent files, lessons)."""
    file_menu = menu.addMenu("&File")
    for action in (a.new, a.open):
        file_menu.addAction(action)
    recent = file_menu.addMenu("Open &Recent")
    file_menu.addSeparator()
    for action in (a.save, a.save_as, None, a.export_history, a.export_screenshot, None, a.quit):
        if action is None:
            file_menu.addSeparator()
        else:
            file_menu.addAction(action)
    edit = menu.addMenu("&Edit")
    edit.addAction(a.undo)
    edit.addAction(a.redo)
    training = menu.addMenu("&Training")
    for action in (a.train, a.step_batch, a.step_epoch, a.stop, a.reset):
        training.addAction(action)
    training.addSeparator()
    training.addAction(a.check_gradients)
    lessons = menu.addMenu("&Lessons")
    menu.addMenu("&Help").addAction(a.about)
    return recent, lessons
