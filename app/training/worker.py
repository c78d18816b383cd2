"""The one place where Qt meets the training engine.

``TrainingWorker`` lives on its own ``QThread`` and relays messages between the GUI and an
``nncore.runner`` engine. By default the engine runs in a spawned child process: training
then has its own core and its own GIL, so live plots cannot make it stutter and it cannot
make the GUI stutter (measured in ``docs/decisions.md``). ``mode="thread"`` runs the same
engine on the worker thread itself, for tests and debugging.

Commands go in through ``send`` (any thread, never blocks); every message from the engine
comes out as ``message_received(tuple)`` on the GUI thread. If the child dies, the worker
reports ``engine_lost`` and starts a fresh one on the next command.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
import traceback
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

POLL_SECONDS = 0.01
QUIT_SECONDS = 0.8


class _QueueChannel:
    """``nncore.runner.Channel`` over a queue (in) and a callback (out): thread mode."""

    def __init__(self, inbox: queue.Queue, emit) -> None:
        self._inbox, self._emit, self._next = inbox, emit, None

    def poll(self, timeout: float | None) -> bool:
        if self._next is None:
            try:
                self._next = self._inbox.get(timeout=timeout) if timeout else \
                    self._inbox.get_nowait()
            except queue.Empty:
                return False
        return True

    def recv(self) -> Any:
        self.poll(None)
        message, self._next = self._next, None
        return message

    def send(self, message: Any) -> None:
        self._emit(message)


class TrainingWorker(QObject):
    """Relays commands to the engine and its messages back, from a worker thread."""

    message_received = Signal(object)   # ("update", Update), ("error", str), ...
    # ("worker_error", str): the worker itself could not relay a message (a bug)
    engine_lost = Signal(str)           # the child process died; the text says how
    engine_started = Signal()
    engine_fallback = Signal(str)       # the child could not start: running in-thread

    def __init__(self, mode: str = "process", blas_threads: int = 1) -> None:
        super().__init__()
        if mode not in ("process", "thread"):
            raise ValueError(f"mode must be 'process' or 'thread', got {mode!r}")
        self.mode = mode
        self.blas_threads = blas_threads
        self._inbox: queue.Queue = queue.Queue()
        self._quit = threading.Event()
        self._process = None
        self._commands = self._updates = None

    # -- called from the GUI thread ------------------------------------------------------

    def send(self, *message: Any) -> None:
        """Queue a command for the engine (thread-safe, returns at once)."""
        self._inbox.put(message)

    def request_quit(self) -> None:
        """Ask the loop to shut the engine down and return."""
        self._quit.set()
        self._inbox.put(("quit",))

    # -- the worker thread ----------------------------------------------------------------

    @Slot()
    def run(self) -> None:
        """The worker thread's loop (connected to ``QThread.started``)."""
        try:
            if self.mode == "process":
                try:
                    self._start_process()
                except Exception as err:  # e.g. no __main__ guard, or a sandbox without fork
                    self._process = None
                    self.mode = "thread"
                    self.engine_fallback.emit(
                        f"training runs inside the app because a separate process could not "
                        f"start ({type(err).__name__}: {err}); the window may be less "
                        "responsive while training")
            if self.mode == "thread":
                self._run_in_thread()
            else:
                self._run_with_process()
        finally:
            self._stop_process()
            QThread.currentThread().quit()  # end the thread's event loop too

    def _run_in_thread(self) -> None:
        from nncore.runner import serve

        self.engine_started.emit()
        serve(_QueueChannel(self._inbox, self.message_received.emit))

    def _start_process(self) -> None:
        ctx = multiprocessing.get_context("spawn")  # never fork a process that runs Qt
        command_out, command_in = ctx.Pipe(duplex=False)
        update_out, update_in = ctx.Pipe(duplex=False)
        from nncore.runner import process_main

        with _BlasEnvironment(self.blas_threads):
            self._process = ctx.Process(target=process_main, args=(command_out, update_in),
                                        name="backprop-lab-training", daemon=True)
            self._process.start()
        command_out.close()
        update_in.close()
        self._commands, self._updates = command_in, update_out
        self.engine_started.emit()

    def _run_with_process(self) -> None:
        while True:
            if not self._forward_commands():
                return
            self._forward_updates()
            if not self._process.is_alive():
                code = self._process.exitcode
                self._stop_process()
                if self._quit.is_set():
                    return
                self.engine_lost.emit(f"the training process stopped unexpectedly "
                                      f"(exit code {code})")
                self._start_process()

    def _forward_commands(self) -> bool:
        """Send queued commands to the child; False once ``quit`` has been handled."""
        while True:
            try:
                message = self._inbox.get_nowait()
            except queue.Empty:
                return True
            if message[0] == "quit":
                self._quit_child()
                return False
            try:
                self._commands.send(message)
            except (BrokenPipeError, OSError):
                return True  # the child died; the liveness check restarts it
            except Exception as err:  # e.g. a value pickle cannot send: report, keep relaying
                self.message_received.emit(("worker_error", _bug_report(
                    f"cannot send the command {message[0]!r} to the training process", err)))

    def _forward_updates(self) -> None:
        try:
            if not self._updates.poll(POLL_SECONDS):
                return
            while self._updates.poll(0):
                self.message_received.emit(self._updates.recv())
        except (EOFError, OSError):
            pass  # the child is gone; the liveness check reports it
        except Exception as err:  # a message that cannot be unpickled: report, keep relaying
            self.message_received.emit(("worker_error", _bug_report(
                "a message from the training process was unreadable", err)))

    def _quit_child(self) -> None:
        try:
            self._commands.send(("quit",))
            if self._updates.poll(QUIT_SECONDS):
                while self._updates.poll(0):
                    if self._updates.recv()[0] == "closed":
                        break
        except (BrokenPipeError, EOFError, OSError):
            pass

    def _stop_process(self) -> None:
        process = self._process
        if process is None or process.pid is None:  # never started
            self._process = None
            return
        process.join(0.2)
        if process.is_alive():
            process.terminate()
            process.join(1.0)
        for conn in (self._commands, self._updates):
            if conn is not None:
                conn.close()
        self._process = self._commands = self._updates = None


def _bug_report(what: str, err: Exception) -> str:
    """The error text for a relaying failure, traceback included: it is a bug in the app,
    not something the user did, so the crash reporter offers the details."""
    details = "".join(traceback.format_exception(err))
    return f"{type(err).__name__}: {what}: {err}\n\n{details}"


class _BlasEnvironment:
    """Temporarily set the BLAS thread count the child process will read at import."""

    NAMES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

    def __init__(self, threads: int) -> None:
        self.threads = str(max(1, int(threads)))
        self.saved: dict[str, str | None] = {}

    def __enter__(self) -> None:
        for name in self.NAMES:
            self.saved[name] = os.environ.get(name)
            os.environ[name] = self.threads

    def __exit__(self, *exc: object) -> None:
        for name, value in self.saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def start_worker(mode: str = "process", blas_threads: int = 1) -> tuple[TrainingWorker, QThread]:
    """A worker moved to a new, started ``QThread`` (the caller owns both)."""
    worker = TrainingWorker(mode, blas_threads)
    thread = QThread()
    thread.setObjectName("training-worker")
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    thread.start()
    return worker, thread
