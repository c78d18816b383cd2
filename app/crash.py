"""Unexpected errors: logged to a file, shown with details to copy, and survived.

Any exception that escapes to ``sys.excepthook`` or ``threading.excepthook`` is written to
the log file in the user's log folder and shown in a dialog (on the GUI thread, whatever
thread raised it) with a "Copy details" button. The app keeps running: Qt event handlers
return normally once the hook has run.
"""

from __future__ import annotations

import logging
import logging.handlers
import platform
import sys
import threading
import traceback
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from nncore import __version__
from nncore.locations import ensure_dir, user_log_dir

LOG_NAME = "backprop-lab.log"
log = logging.getLogger("backprop_lab")


def configure_logging() -> Path:
    """Log to a rotating file in the user's log folder; returns its path."""
    path = ensure_dir(user_log_dir()) / LOG_NAME
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3,
                                                   encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    if not any(isinstance(h, logging.handlers.RotatingFileHandler) for h in root.handlers):
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path


def describe(exc_type, exc_value, exc_tb, thread_name: str = "") -> str:
    """The report a user copies: versions, where it happened and the traceback."""
    where = f" in thread {thread_name}" if thread_name else ""
    lines = traceback.format_exception(exc_type, exc_value, exc_tb)
    return (f"Backprop Lab {__version__}, Python {platform.python_version()}, "
            f"{platform.platform()}\nUnexpected {exc_type.__name__}{where}:\n\n" + "".join(lines))


class CrashDialog(QDialog):
    """Says what happened in plain words, with the details below and a copy button."""

    def __init__(self, summary: str, details: str, log_path: Path | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Something went wrong")
        text = (f"<b>{summary}</b><br>Backprop Lab is still running and your project is "
                "unchanged. If this keeps happening, please send the details below to your "
                "teacher or the developers.")
        if log_path is not None:
            text += f"<br><small>Also written to {log_path}</small>"
        label = QLabel(text)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QPlainTextEdit(details)
        self.details.setReadOnly(True)
        self.details.setMinimumSize(560, 220)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton("Copy details", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)

    def copy_details(self) -> None:
        """Put the details on the clipboard."""
        QGuiApplication.clipboard().setText(self.details.toPlainText())


class CrashReporter(QObject):
    """Installs the hooks and shows reports on the GUI thread (one dialog at a time)."""

    reported = Signal(str, str)  # summary, details (queued to the GUI thread)

    def __init__(self, log_path: Path | None = None, *, show_dialogs: bool = True) -> None:
        super().__init__()
        self.log_path = log_path
        self.show_dialogs = show_dialogs
        self.reports: list[str] = []
        self._showing = False
        self.reported.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def install(self) -> None:
        """Route uncaught exceptions of every thread here."""
        sys.excepthook = self._hook
        threading.excepthook = lambda args: self._hook(args.exc_type, args.exc_value,
                                                       args.exc_traceback,
                                                       args.thread.name if args.thread else "")

    def _hook(self, exc_type, exc_value, exc_tb, thread_name: str = "") -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            QApplication.quit()
            return
        details = describe(exc_type, exc_value, exc_tb, thread_name)
        log.error(details)
        self.reports.append(details)
        self.reported.emit(f"{exc_type.__name__}: {exc_value}", details)

    @Slot(str, str)
    def _show(self, summary: str, details: str) -> None:
        if not self.show_dialogs or self._showing or QApplication.instance() is None:
            return
        self._showing = True
        try:
            CrashDialog(summary, details, self.log_path, QApplication.activeWindow()).exec()
        finally:
            self._showing = False
