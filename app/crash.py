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
    root = logging.getLogger()
    for handler in list(root.handlers):  # one log file: the one for the current folders
        if isinstance(handler, logging.handlers.RotatingFileHandler):
            if Path(handler.baseFilename) == path:
                return path
            root.removeHandler(handler)
            handler.close()
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3,
                                                   encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
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
        self.report(f"{exc_type.__name__}: {exc_value}",
                    describe(exc_type, exc_value, exc_tb, thread_name))

    def report(self, summary: str, details: str) -> None:
        """Log, record and show an error caught elsewhere (e.g. in the training engine,
        which sends its tracebacks as text); safe to call from any thread."""
        log.error(details)
        self.reports.append(details)
        self.reported.emit(summary, details)

    def watch(self, controller) -> None:
        """Log every error the training engine reports (the window shows them in its
        message bar); one carrying a traceback is a bug, so it is also reported here."""
        controller.error_occurred.connect(self._on_engine_error)
        controller.engine_lost.connect(self._on_engine_lost)

    @Slot(str)
    def _on_engine_error(self, text: str) -> None:
        if "Traceback (most recent call last)" not in text:  # a clear message, not a bug
            log.warning("training could not run: %s", text)
            return
        first_line = text.strip().splitlines()[0]
        self.report(f"Training failed: {first_line}", text)

    @Slot(str)
    def _on_engine_lost(self, text: str) -> None:
        log.error("the training engine was lost: %s", text)

    @Slot(str, str)
    def _show(self, summary: str, details: str) -> None:
        if not self.show_dialogs or self._showing or QApplication.instance() is None:
            return
        self._showing = True
        try:
            CrashDialog(summary, details, self.log_path, QApplication.activeWindow()).exec()
        finally:
            self._showing = False
