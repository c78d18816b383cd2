"""Autosave and crash recovery: at most one autosave interval of work can be lost.

While the app runs, the open project (with its trained weights) is written every few
minutes while it has unsaved changes or a run is training, and after each run ends, to
``<user data>/autosave/autosave-<pid>.bplab`` plus a
small JSON note saying which file it belongs to and when. A clean exit deletes both. At
the next start, an autosave whose process is gone means the app crashed (or was killed):
the user is offered to recover it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QMessageBox

from nncore.errors import ProjectFileError
from nncore.locations import ensure_dir, user_data_dir
from nncore.project import Project, load_project, save_project
from nncore.runner import RunState

INTERVAL_MS = 2 * 60 * 1000
log = logging.getLogger(__name__)


def autosave_dir() -> Path:
    """Where autosaves live (created on demand)."""
    return ensure_dir(user_data_dir() / "autosave")


@dataclass(frozen=True)
class Recoverable:
    """An autosave left behind by a process that is no longer running."""

    project_path: Path
    note_path: Path
    original: str | None
    saved_at: float

    @property
    def age_text(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.saved_at))


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform == "win32":
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # QUERY_LIMITED_INFO
        if not handle:
            return False
        ctypes.windll.kernel32.CloseHandle(handle)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def find_recoverable(folder: Path | None = None) -> list[Recoverable]:
    """Autosaves of crashed sessions, newest first (unreadable notes are skipped)."""
    folder = folder or autosave_dir()
    found = []
    for note in folder.glob("autosave-*.json"):
        try:
            meta = json.loads(note.read_text(encoding="utf-8"))
            pid, project = int(meta["pid"]), folder / meta["file"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if project.is_file() and not _pid_alive(pid):
            original = meta.get("original") if isinstance(meta.get("original"), str) else None
            found.append(Recoverable(project, note, original, float(meta.get("time", 0))))
    return sorted(found, key=lambda r: r.saved_at, reverse=True)


def discard(recoverable: Recoverable) -> None:
    """Delete an autosave the user chose not to recover."""
    for path in (recoverable.project_path, recoverable.note_path):
        path.unlink(missing_ok=True)


class Autosaver(QObject):
    """Saves the document periodically and after training; cleans up on a clean exit."""

    saved = Signal(str)

    def __init__(self, document, controller, *, interval_ms: int = INTERVAL_MS,
                 folder: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document, self.controller = document, controller
        self.folder = folder or autosave_dir()
        stem = f"autosave-{os.getpid()}"
        self.project_path = self.folder / f"{stem}.bplab"
        self.note_path = self.folder / f"{stem}.json"
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.autosave)
        self._timer.start()
        controller.state_changed.connect(self._on_controller_state_changed)

    @Slot(str)
    def _on_controller_state_changed(self, state: str) -> None:
        if state == RunState.FINISHED.value:
            QTimer.singleShot(300, self.autosave)  # after the trained state has arrived

    def set_interval(self, interval_ms: int) -> None:
        """Autosave every ``interval_ms`` from now on (``--autosave-interval-ms``)."""
        self._timer.start(max(1, int(interval_ms)))

    @Slot()
    def autosave(self) -> None:
        """Write the project now if it has unsaved changes or a run is training (async:
        waits for the engine's trained state). A run that trains for an hour without a pause
        leaves the document clean until it stops, yet an hour of training is work to keep."""
        if not (self.document.is_dirty or self.controller.is_running):
            return
        self.controller.export(self._write)

    def _with_trained_state(self, exported: Project) -> Project:
        """The document's project (specs, lesson, view, title: what the engine's export
        lacks) with the engine's weights, optimizer state and history, as Save writes it."""
        from_document = exported is self.document.project
        project = self.document.collect_views()
        if from_document or self.controller.is_stale:  # the weights fit another design
            return project
        return dataclasses.replace(
            project, weights=exported.weights, optimizer_state=exported.optimizer_state,
            optimizer_step=exported.optimizer_step, history=exported.history,
            preprocessing=exported.preprocessing or project.preprocessing)

    def _write(self, exported: Project) -> None:
        project = self._with_trained_state(exported)
        try:
            save_project(project, self.project_path)
            note = {"pid": os.getpid(), "file": self.project_path.name, "time": time.time(),
                    "original": str(self.document.path) if self.document.path else None}
            tmp = self.note_path.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(note), encoding="utf-8")
            os.replace(tmp, self.note_path)
        except (OSError, ValueError) as err:  # a full disk must not interrupt the lesson
            log.warning("autosave failed: %s", err)
            return
        self.saved.emit(str(self.project_path))

    def clean_exit(self) -> None:
        """Remove this session's autosave: nothing needs recovering."""
        self._timer.stop()
        for path in (self.project_path, self.note_path):
            path.unlink(missing_ok=True)


def recover_latest(document, folder: Path, ask) -> tuple[str, str] | None:
    """Offer the newest crashed session's autosave and open it if the user agrees.

    ``ask(name, when)`` answers ``Open`` (recover), ``Discard`` (delete every leftover
    autosave) or anything else (keep them for next time). Returns the message to show
    (text, kind) or None when there was nothing to recover.
    """
    found = find_recoverable(folder)
    if not found:
        return None
    latest = found[0]
    name = Path(latest.original).name if latest.original else "an unsaved project"
    answer = ask(name, latest.age_text)
    if answer == QMessageBox.StandardButton.Discard:
        for item in found:
            discard(item)
        return None
    if answer != QMessageBox.StandardButton.Open:
        return None
    try:
        project = load_project(latest.project_path)
    except ProjectFileError as err:
        return f"The autosave could not be read: {err}", "problem"
    document.replace_project(project, latest.original, modified=True)
    discard(latest)
    return f"Recovered {name} as autosaved at {latest.age_text}. Save it to keep it.", "info"


def ask_to_recover(parent, name: str, when: str) -> QMessageBox.StandardButton:
    """Ask whether to recover an autosave: ``Open`` to recover, ``Discard`` or ``Cancel``."""
    box = QMessageBox(QMessageBox.Icon.Question, "Recover unsaved work?",
                      f"Backprop Lab did not close properly last time. Recover "
                      f"{name} as it was autosaved at {when}?", parent=parent)
    box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole).setObjectName("recover")
    box.setStandardButtons(QMessageBox.StandardButton.Discard |
                           QMessageBox.StandardButton.Cancel)
    box.exec()
    clicked = box.clickedButton()
    if clicked is not None and clicked.objectName() == "recover":
        return QMessageBox.StandardButton.Open
    return box.standardButton(clicked) if clicked else QMessageBox.StandardButton.Cancel
