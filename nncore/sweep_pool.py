"""Where a sweep's runs train: in this process, a local process pool, or a Dask cluster.

All three call ``nncore.sweep.run_task`` on the same plain task, so a run's result does
not depend on the executor (docs/decisions.md, "Sweeps").

- ``SerialExecutor``: one run after another in this process (the baseline, and tests).
- ``LocalPool``: the default. One spawned process per core, each with one BLAS thread
  (set in the environment the child starts with, since BLAS reads it when NumPy is first
  imported), each given one task at a time over its own pipe. The parent knows which run
  each worker holds, so a worker that dies (killed, out of memory) loses only that run: it
  is retried ``retries`` times on a fresh worker, then reported as lost. Nothing to set up;
  the packaged app needs nothing else.
- ``DaskExecutor``: an existing Dask.distributed cluster (``address``) or a local one it
  starts; the optional ``cluster`` extra. Dask reschedules the runs of a worker that dies.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import Any

from nncore.sweep import SweepError, run_task

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
POLL_SECONDS = 0.1
BACKENDS = ("local", "dask", "serial")


def cores() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


_ENV_LOCK = threading.Lock()


@contextlib.contextmanager
def blas_threads(threads: int) -> Iterator[None]:
    """Set the BLAS thread variables while a child process is started (it copies the
    environment at start), then put them back."""
    with _ENV_LOCK:
        saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
        os.environ.update({name: str(threads) for name in THREAD_VARIABLES})
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def worker_main(conn: Any) -> None:
    """A pool worker: run each task it receives and send back the result, until ``None``.

    Ctrl+C goes to the parent, which decides (the terminal sends it to the whole group).
    """
    with contextlib.suppress(ValueError, AttributeError):  # not the main thread / Windows
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    import nncore.cli
    import nncore.data
    import nncore.session  # noqa: F401 - what run_task needs, imported before "ready"

    try:
        conn.send(("ready", os.getpid()))
    except (BrokenPipeError, OSError):
        return
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            reply = ("ok", run_task(task))
        except Exception as err:  # a bug, not the user's design: report it with its trace
            reply = ("ok", {"key": task["key"], "error": f"{type(err).__name__}: {err}",
                            "traceback": traceback.format_exc()})
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


class SerialExecutor:
    """Every run in this process, one after another."""

    workers = 1

    def run(self, tasks: Sequence[dict], stop: threading.Event | None = None,
            ) -> Iterator[tuple[dict, dict]]:
        """Yield ``(task, result)`` in order."""
        for task in tasks:
            if stop is not None and stop.is_set():
                return
            yield task, run_task(task)

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class _Worker:
    process: Any
    conn: Any
    task: dict | None = None
    started: float = field(default_factory=time.perf_counter)


class LocalPool:
    """A process per worker (default: one per core), one BLAS thread each."""

    def __init__(self, workers: int | None = None, retries: int = 1,
                 threads_per_worker: int = 1) -> None:
        self.workers = max(1, int(workers or cores()))
        self.retries = max(0, int(retries))
        self.threads = max(1, int(threads_per_worker))
        self._context = multiprocessing.get_context("spawn")  # never fork a Qt process
        self._pool: list[_Worker] = []

    def busy(self) -> dict[int, str]:
        """``{pid: task key}`` of the workers running a task now (for tests and the app)."""
        return {w.process.pid: w.task["key"] for w in list(self._pool) if w.task is not None}

    def start(self, timeout: float = 120.0) -> None:
        """Start every worker now and wait until each has imported the engine (``run``
        otherwise starts them as it needs them)."""
        while len(self._pool) < self.workers:
            self._start_worker()
        for worker in self._pool:
            if worker.task is None and worker.conn.poll(timeout):
                with contextlib.suppress(EOFError, OSError):
                    worker.conn.recv()  # its "ready" note

    def _start_worker(self) -> _Worker:
        parent, child = self._context.Pipe(duplex=True)
        with blas_threads(self.threads):
            process = self._context.Process(target=worker_main, args=(child,), daemon=True,
                                            name="backprop-lab-sweep")
            process.start()
        child.close()
        worker = _Worker(process, parent)
        self._pool.append(worker)
        return worker

    def run(self, tasks: Sequence[dict], stop: threading.Event | None = None,
            ) -> Iterator[tuple[dict, dict]]:
        """Yield ``(task, result)`` as runs finish; stopping ends the runs in flight."""
        queue = deque(tasks)
        attempts: dict[str, int] = {}
        try:
            for _ in range(min(self.workers, len(queue)) - len(self._pool)):
                self._start_worker()
            while queue or any(w.task is not None for w in self._pool):
                if stop is not None and stop.is_set():
                    return
                self._assign(queue, attempts)
                yield from self._collect(queue, attempts)
        finally:
            self.close()

    def _assign(self, queue: deque, attempts: dict[str, int]) -> None:
        for worker in self._pool:
            if worker.task is None and queue:
                task = queue.popleft()
                attempts[task["key"]] = attempts.get(task["key"], 0) + 1
                worker.task, worker.started = task, time.perf_counter()
                with contextlib.suppress(BrokenPipeError, OSError):  # died idle: retried
                    worker.conn.send(task)

    def _collect(self, queue: deque, attempts: dict[str, int]) -> Iterator[tuple[dict, dict]]:
        busy = [w for w in self._pool if w.task is not None]
        ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy],
                     timeout=POLL_SECONDS)
        for worker in busy:
            if worker.conn in ready:
                result = self._receive(worker)
                if result is not None:
                    task, worker.task = worker.task, None
                    result["attempts"] = attempts[task["key"]]
                    yield task, result
                    continue
            if worker.task is not None and not worker.process.is_alive():
                yield from self._lost(worker, queue, attempts)

    @staticmethod
    def _receive(worker: _Worker) -> dict | None:
        """The worker's result, or None (only its "ready" note came, or it died: the
        liveness check handles that)."""
        try:
            while True:
                kind, result = worker.conn.recv()
                if kind == "ok":
                    return result
                if not worker.conn.poll():
                    return None
        except (EOFError, OSError):
            return None

    def _lost(self, worker: _Worker, queue: deque,
              attempts: dict[str, int]) -> Iterator[tuple[dict, dict]]:
        task = worker.task
        worker.process.join(0.5)
        code = worker.process.exitcode
        self._pool.remove(worker)
        worker.conn.close()
        tries = attempts[task["key"]]
        if tries <= self.retries:
            queue.appendleft(task)  # retried first, on a fresh worker
        else:
            yield task, {"key": task["key"], "lost": True, "attempts": tries,
                         "error": f"its worker process died (exit code {code}) "
                                  f"{_times(tries)} while training it"}
        if queue:
            self._start_worker()

    def close(self) -> None:
        """End every worker (idle ones are asked, busy ones terminated)."""
        pool, self._pool = self._pool, []
        for worker in pool:
            if worker.task is None:
                with contextlib.suppress(BrokenPipeError, OSError):
                    worker.conn.send(None)
            else:
                worker.process.terminate()
        for worker in pool:
            worker.process.join(2.0)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(1.0)
            worker.conn.close()


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


class DaskExecutor:
    """Runs on a Dask.distributed cluster: ``address`` (``tcp://host:8786``) or, without
    one, a local cluster of ``workers`` single-threaded processes started here."""

    def __init__(self, address: str | None = None, workers: int | None = None,
                 retries: int = 1) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise SweepError("the dask backend needs Dask.distributed: pip install "
                             "'backprop-lab[cluster]' (or use --backend local)") from None
        self.retries = retries
        self._cluster = None
        try:
            if address:
                # 30 s: a scheduler still winding down a stopped sweep's runs on a busy
                # machine can take more than 10 s to answer a new client.
                self.client = Client(address, timeout="30s")
            else:
                self._cluster = LocalCluster(n_workers=workers or cores(),
                                             threads_per_worker=1, processes=True,
                                             dashboard_address=None)
                self.client = Client(self._cluster)
        except (OSError, TimeoutError) as err:
            raise SweepError(f"cannot reach the Dask scheduler at {address}: {err}") from None
        self.workers = max(1, sum(w["nthreads"] for w in
                                  self.client.scheduler_info()["workers"].values()))

    def run(self, tasks: Sequence[dict], stop: threading.Event | None = None,
            ) -> Iterator[tuple[dict, dict]]:
        """Submit every task; yield ``(task, result)`` as they finish."""
        from distributed import wait as dask_wait

        tag = uuid.uuid4().hex[:8]
        futures = {self.client.submit(run_task, task, key=f"sweep-{tag}-{task['key']}",
                                      pure=False, retries=self.retries): task
                   for task in tasks}
        pending = set(futures)
        try:
            while pending:
                if stop is not None and stop.is_set():
                    return
                with contextlib.suppress(TimeoutError):
                    dask_wait(list(pending), timeout=0.25, return_when="FIRST_COMPLETED")
                for future in [f for f in pending if f.done()]:
                    pending.discard(future)
                    yield futures[future], self._result(future, futures[future])
        finally:
            for future in pending:
                future.cancel()

    @staticmethod
    def _result(future: Any, task: dict) -> dict:
        from distributed import KilledWorker

        try:
            return future.result()
        except KilledWorker as err:
            return {"key": task["key"], "lost": True,
                    "error": f"the Dask workers running it died repeatedly: {err}"}
        except Exception as err:  # a bug in the run; reported as that run's error
            return {"key": task["key"], "error": f"{type(err).__name__}: {err}"}

    def worker_pids(self) -> list[int]:
        """Process ids of the cluster's workers (for the kill test)."""
        return list(self.client.run(os.getpid).values())

    def close(self) -> None:
        """Disconnect (and stop the local cluster if this executor started it)."""
        with contextlib.suppress(Exception):
            self.client.close()
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close()


def make_executor(backend: str = "local", workers: int | None = None,
                  address: str | None = None, retries: int = 1):
    """The executor a ``--backend`` names (``local``, ``dask``, or ``serial``)."""
    if backend == "local":
        if address:
            raise SweepError("--address is for --backend dask; the local pool needs none")
        return LocalPool(workers, retries)
    if backend == "dask":
        return DaskExecutor(address, workers, retries)
    if backend == "serial":
        return SerialExecutor()
    if backend == "ray":
        raise SweepError("the cluster backend is Dask.distributed (docs/decisions.md); "
                         "use --backend dask")
    raise SweepError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")
