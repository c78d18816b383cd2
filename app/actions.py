"""The window's actions (menus, toolbar, shortcuts), created in one place."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QStyle, QWidget


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


def create_actions(window: QWidget, document) -> Actions:
    """Build the actions; undo/redo come from the document's undo stack."""
    sp = QStyle.StandardPixmap
    key = QKeySequence.StandardKey
    undo = document.undo_stack.createUndoAction(window, "&Undo")
    undo.setShortcut(QKeySequence(key.Undo))
    redo = document.undo_stack.createRedoAction(window, "&Redo")
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence(key.Redo)])
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
