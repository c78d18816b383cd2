"""Count the NumPy calls a training step makes, through the app's real code path.

At the sizes people teach with, a step costs about 1.3 µs per NumPy call whatever the
array sizes, so the number of calls per step *is* the speed of a small network. There is
no hook in NumPy or CPython 3.11 that sees every ufunc call (``sys.setprofile`` misses
ufuncs and in-place operators), so this module builds the session with NumPy replaced,
inside ``nncore``'s modules, by a proxy whose array-creating functions return a counting
``ndarray`` subclass. Every array the core then makes or derives is of that subclass, and
its ``__array_ufunc__`` / ``__array_function__`` hooks count each ufunc call (operators,
``out=`` calls, reductions such as ``.sum()``) and each NumPy API function (``copyto``,
``vdot``...) and each slice assignment (``a[...] = b``, counted as ``setitem``)
exactly once. Slicing, ``.T`` and ``reshape`` make views, not calls, and are not counted.
Used by the benchmark only; the counted run is not timed.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

_CREATORS = frozenset({"empty", "zeros", "ones", "full", "empty_like", "zeros_like",
                       "ones_like", "full_like", "array", "asarray", "ascontiguousarray",
                       "concatenate", "take", "copy", "arange"})


class _State:
    counts: Counter[str] = Counter()
    depth = 0
    active = False


def _plain(x: Any) -> Any:
    if isinstance(x, CountedArray):
        return x.view(np.ndarray)
    if isinstance(x, tuple):
        return tuple(_plain(i) for i in x)
    if isinstance(x, list):
        return [_plain(i) for i in x]
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    return x


def _counted(x: Any) -> Any:
    if type(x) is np.ndarray:
        return x.view(CountedArray)
    if isinstance(x, tuple):
        return tuple(_counted(i) for i in x)
    return x


class CountedArray(np.ndarray):
    """An ndarray that counts every ufunc and NumPy function applied to it."""

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any):
        if _State.active and _State.depth == 0:
            _State.counts[ufunc.__name__ if method == "__call__"
                          else f"{ufunc.__name__}.{method}"] += 1
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = _plain(out)
        _State.depth += 1
        try:
            result = getattr(ufunc, method)(*_plain(inputs), **kwargs)
        finally:
            _State.depth -= 1
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _counted(result)

    def __setitem__(self, key: Any, value: Any) -> None:
        if _State.active and _State.depth == 0:
            _State.counts["setitem"] += 1
        self.view(np.ndarray)[key] = _plain(value)

    def __array_function__(self, func: Callable, types: Any, args: Any, kwargs: Any):
        if _State.active and _State.depth == 0:
            _State.counts[func.__name__] += 1
        _State.depth += 1
        try:
            result = func(*_plain(args), **_plain(kwargs))
        finally:
            _State.depth -= 1
        out = kwargs.get("out")
        if out is not None:
            return out
        return _counted(result)


class _NumpyProxy:
    """``numpy`` as seen by nncore while counting: creators return ``CountedArray``."""

    def __getattr__(self, name: str) -> Any:
        attr = getattr(np, name)
        if name in _CREATORS:
            def create(*args: Any, **kwargs: Any) -> Any:
                return _counted(attr(*args, **kwargs))
            return create
        return attr


@contextmanager
def counting_numpy() -> Iterator[None]:
    """Within the block, nncore's modules see the counting NumPy proxy."""
    proxy = _NumpyProxy()
    patched = [m for name, m in list(sys.modules.items())
               if name.startswith("nncore") and getattr(m, "np", None) is np]
    for module in patched:
        module.np = proxy
    try:
        yield
    finally:
        for module in patched:
            module.np = np


@contextmanager
def counting() -> Iterator[Counter[str]]:
    """Count the NumPy calls made on counted arrays within the block."""
    _State.counts = Counter()
    _State.active, _State.depth = True, 0
    try:
        yield _State.counts
    finally:
        _State.active = False


def count_step_calls(make_session: Callable[[], Any], steps: int = 20,
                     warmup: int = 3) -> tuple[float, Counter[str]]:
    """NumPy calls per training step (mean over ``steps`` steps inside one epoch).

    ``make_session`` builds a ``nncore.session.Session``; it is called with the counting
    proxy installed, then ``trainer.train_step()`` runs exactly as the app runs it.
    Returns the mean count per step and the per-function totals divided by ``steps``.
    """
    with counting_numpy():
        session = make_session()
        trainer = session.trainer
        for _ in range(warmup):  # the first step of an epoch also shuffles
            trainer.train_step()
        steps = min(steps, trainer.steps_per_epoch - trainer.batch_index - 1)
        with counting() as counts:
            for _ in range(steps):
                trainer.train_step()
    per_function = Counter({k: v / steps for k, v in counts.items()})
    return sum(counts.values()) / max(steps, 1), per_function
