"""A benchmark side runs in its own process and answers JSON requests, one per line.

Each side (nncore, PyTorch) is started once per thread count with the BLAS/OpenMP
thread variables set before NumPy or PyTorch is imported, then asked to run workloads in
turn, alternating with the other side. Only one side computes at a time: the other waits
on its pipe. Anything a side prints goes to stderr; stdout carries the answers only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import traceback
from collections.abc import Callable, Mapping
from typing import Any, TextIO

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


def thread_environment(threads: int, blas_core: str | None = None) -> dict[str, str]:
    """The environment of a side limited to ``threads`` BLAS / OpenMP threads, and with
    OpenBLAS's kernels forced to ``blas_core`` (``OPENBLAS_CORETYPE``) if given."""
    env = dict(os.environ)
    for name in THREAD_VARIABLES:
        env[name] = str(threads)
    if blas_core:
        env["OPENBLAS_CORETYPE"] = blas_core
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def serve(handlers: Mapping[str, Callable[..., Any]]) -> None:
    """Answer requests ``{"cmd": name, ...}`` from stdin until ``quit`` or end of input."""
    answers: TextIO = sys.stdout
    sys.stdout = sys.stderr  # stray prints must not corrupt the protocol
    for line in sys.stdin:
        request = json.loads(line)
        command = request.pop("cmd")
        if command == "quit":
            break
        try:
            reply = {"ok": True, "result": handlers[command](**request)}
        except Exception as error:  # reported to the parent, which decides
            reply = {"ok": False, "error": f"{type(error).__name__}: {error}",
                     "traceback": traceback.format_exc()}
        answers.write(json.dumps(reply) + "\n")
        answers.flush()


class SideError(RuntimeError):
    """A side failed to answer a request."""


class Side:
    """The parent's handle on a side process (``python -m <module>``)."""

    def __init__(self, module: str, threads: int, args: tuple[str, ...] = (),
                 cwd: str | None = None, blas_core: str | None = None) -> None:
        self.module, self.threads = module, threads
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, *args], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, env=thread_environment(threads, blas_core),
            cwd=cwd)

    def ask(self, command: str, **kwargs: Any) -> Any:
        """Send one request and wait for its answer."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"cmd": command, **kwargs}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise SideError(f"{self.module} exited (code {self.process.wait()}) during "
                            f"{command!r}")
        reply = json.loads(line)
        if not reply["ok"]:
            raise SideError(f"{self.module} {command}: {reply['error']}\n{reply['traceback']}")
        return reply["result"]

    def close(self) -> None:
        """Ask the side to quit and wait for it."""
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
                self.process.stdin.close()
                self.process.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Side:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
