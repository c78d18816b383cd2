"""Benchmark: MNIST's first load (decode the gzip IDX files) against its cached second load.

Runs in a temporary ``BACKPROP_LAB_HOME`` so the cache starts empty and the user's real
cache is never touched. ``python -m bench.data_loading`` prints a small table.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from nncore.data import load_builtin


@contextmanager
def _private_home() -> Iterator[str]:
    """A fresh, empty BACKPROP_LAB_HOME for the duration of the block."""
    previous = os.environ.get("BACKPROP_LAB_HOME")
    with tempfile.TemporaryDirectory(prefix="backprop-lab-bench-") as home:
        os.environ["BACKPROP_LAB_HOME"] = home
        try:
            yield home
        finally:
            if previous is None:
                os.environ.pop("BACKPROP_LAB_HOME", None)
            else:
                os.environ["BACKPROP_LAB_HOME"] = previous


def _timed_load() -> float:
    start = time.perf_counter()
    data = load_builtin("mnist")
    elapsed = time.perf_counter() - start
    if data.x.shape != (60000, 784):
        raise RuntimeError(f"MNIST loaded with shape {data.x.shape}")
    return elapsed


def run(repeats: int = 3) -> dict[str, float]:
    """Time MNIST loads: cold (empty cache) and cached; the best of ``repeats`` each.

    Returns
    -------
    dict
        ``first_load_s``, ``cached_load_s`` (seconds) and ``speedup`` (their ratio).
    """
    cold, warm = [], []
    for _ in range(repeats):
        with _private_home():
            cold.append(_timed_load())
            warm.append(_timed_load())
    first, cached = min(cold), min(warm)
    return {"first_load_s": first, "cached_load_s": cached, "speedup": first / cached}


def main() -> None:
    """Print the timings as a table."""
    result = run()
    print("MNIST loading (60,000 train + 10,000 test images, best of 3)")
    print(f"{'load':<28}{'seconds':>10}")
    print(f"{'first (decode gzip IDX)':<28}{result['first_load_s']:>10.3f}")
    print(f"{'second (from the cache)':<28}{result['cached_load_s']:>10.3f}")
    print(f"{'speed-up':<28}{result['speedup']:>9.1f}x")


if __name__ == "__main__":
    main()
