"""Driving the real window and controller from tests: wait for the engine, list what runs."""

from __future__ import annotations

import multiprocessing
import threading

from PySide6.QtCore import QThread

from app.training.controller import STARTING
from nncore.runner import RunState

STATES = {s.value for s in RunState} | {STARTING}


def settle(qtbot, controller, timeout: int = 20000) -> None:
    """Wait until the engine has answered every command sent so far.

    ``export`` is answered in order after the commands before it (the engine reads one
    queue or pipe), and its answer reaches the GUI thread after their messages.
    """
    done: list[object] = []
    controller.export(done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=timeout)


def running_qthreads(*objects) -> list[QThread]:
    """The QThreads of a window's services (or of the given controllers) still running."""
    threads = []
    for obj in objects:
        for name in ("controller", "visualiser", "compare_panel"):
            threads += _threads_of(getattr(obj, name, None))
        threads += _threads_of(obj)
    return [t for t in threads if t.isRunning()]


def _threads_of(obj) -> list[QThread]:
    if obj is None:
        return []
    return [value for value in vars(obj).values() if isinstance(value, QThread)]


def alive_counts() -> tuple[int, int]:
    """(Python threads, child processes) alive now."""
    return threading.active_count(), len(multiprocessing.active_children())
