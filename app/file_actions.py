"""New / Open / Save / Save As / recent files, and the "unsaved changes" question.

Saving first copies the engine's trained state into the document (weights, optimizer
state and history), then writes the project atomically. Every failure is shown as a
message naming the file and the problem; nothing here can lose the open project.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from app.document import ProjectDocument, default_project
from nncore.errors import ProjectFileError
from nncore.project import SUFFIX

FILTER = f"Backprop Lab projects (*{SUFFIX});;Lessons and JSON projects (*.json);;All files (*)"
MAX_RECENT = 8


class FileActions(QObject):
    """File handling for one window; ``recent_changed`` fires when the recent list changes."""

    recent_changed = Signal(list)
    message = Signal(str)

    def __init__(self, window: QWidget, document: ProjectDocument, controller,
                 settings: QSettings) -> None:
        super().__init__(window)
        self.window, self.document, self.controller, self.settings = (window, document,
                                                                      controller, settings)
        # Dialogs are attributes so tests (and the smoke mode) can replace them.
        self.ask_open_path: Callable[[], str] = self._ask_open_path
        self.ask_save_path: Callable[[], str] = self._ask_save_path
        self.ask_unsaved: Callable[[], QMessageBox.StandardButton] = self._ask_unsaved
        self.show_error: Callable[[str, str], None] = self._show_error

    # -- commands -------------------------------------------------------------------------

    def new(self) -> bool:
        """Start an empty project (after asking about unsaved changes)."""
        if not self.maybe_save():
            return False
        self.document.replace_project(default_project())
        return True

    def open(self, path: str | Path | None = None) -> bool:
        """Open a project file (asks for one if no path is given)."""
        if not self.maybe_save():
            return False
        path = path or self.ask_open_path()
        if not path:
            return False
        try:
            self.document.open(path)
        except (ProjectFileError, OSError) as err:
            self._error("Could not open the project", str(err))
            self._forget_recent(str(path))
            return False
        self._remember_recent(str(path))
        self.message.emit(f"Opened {Path(path).name}")
        return True

    def save(self) -> bool:
        """Save to the current file, or ask where (Save As) if there is none."""
        if self.document.path is None:
            return self.save_as()
        return self._write(self.document.path)

    def save_as(self) -> bool:
        """Ask for a file name and save there."""
        path = self.ask_save_path()
        if not path:
            return False
        if not path.endswith((SUFFIX, ".json")):
            path += SUFFIX
        return self._write(Path(path))

    def maybe_save(self) -> bool:
        """Ask about unsaved changes; True if it is fine to discard the current project."""
        if not self.document.is_dirty:
            return True
        answer = self.ask_unsaved()
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def export_history(self, records: list, metric_name: str) -> bool:
        """Ask for a file and write the run's per-epoch history as CSV."""
        from app.plots.export import export_history_csv

        path, _ = QFileDialog.getSaveFileName(self.window, "Export history", "history.csv",
                                              "CSV files (*.csv)")
        if not path:
            return False
        try:
            export_history_csv(records, path, metric_name)
        except OSError as err:
            self._error("Could not export the history", f"{path}: {err}")
            return False
        self.message.emit(f"Wrote {path}")
        return True

    def export_window_picture(self, widget) -> bool:
        """Ask for a file and save a PNG picture of ``widget``."""
        path, _ = QFileDialog.getSaveFileName(self.window, "Export window",
                                              "backprop-lab.png", "PNG images (*.png)")
        if not path:
            return False
        if not widget.grab().save(path):
            self._error("Could not save the picture", f"{path}: the file could not be written")
            return False
        self.message.emit(f"Wrote {path}")
        return True

    def recent_files(self) -> list[str]:
        """Recently opened or saved projects, newest first, that still exist."""
        value = self.settings.value("recent_files", [])
        files = [value] if isinstance(value, str) else list(value or [])
        return [f for f in files if isinstance(f, str) and Path(f).is_file()][:MAX_RECENT]

    # -- details --------------------------------------------------------------------------

    def _write(self, path: Path) -> bool:
        if not self.controller.sync_to_document():
            self.message.emit("The training engine did not answer; saving the last "
                              "weights it reported")
        try:
            written = self.document.save(path)
        except (OSError, ValueError) as err:
            self._error("Could not save the project", f"{path}: {err}")
            return False
        self._remember_recent(str(written))
        self.message.emit(f"Saved {written.name}")
        return True

    def _remember_recent(self, path: str) -> None:
        resolved = str(Path(path).resolve())
        files = [resolved] + [f for f in self.recent_files() if f != resolved]
        self.settings.setValue("recent_files", files[:MAX_RECENT])
        self.recent_changed.emit(files[:MAX_RECENT])

    def _forget_recent(self, path: str) -> None:
        resolved = str(Path(path).resolve())
        files = [f for f in self.recent_files() if f != resolved]
        self.settings.setValue("recent_files", files)
        self.recent_changed.emit(files)

    def _error(self, title: str, text: str) -> None:
        self.message.emit(f"{title}: {text}")
        self.show_error(title, text)

    def _show_error(self, title: str, text: str) -> None:
        QMessageBox.warning(self.window, title, text)

    def _ask_open_path(self) -> str:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open project", "", FILTER)
        return path

    def _ask_save_path(self) -> str:
        start = str(self.document.path or Path.home() / f"{self.document.display_name}")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save project", start, FILTER)
        return path

    def _ask_unsaved(self) -> QMessageBox.StandardButton:
        buttons = (QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard |
                   QMessageBox.StandardButton.Cancel)
        return QMessageBox.question(
            self.window, "Unsaved changes",
            f"Save the changes to {self.document.display_name} before closing it?", buttons,
            QMessageBox.StandardButton.Save)
