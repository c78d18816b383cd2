"""The GEMM peak of NumPy's BLAS: the physical limit of a matrix-bound training step.

``peak_at_shapes`` times exactly the matrix products one training step of a workload
needs (same shapes, float32, the operand layouts nncore uses: ``x @ W``, ``x.T @ g`` and
``g @ W.T``, written into preallocated outputs) and nothing else. No training step can be
faster than that sequence on this BLAS with these threads, so a step's achieved GFLOP/s
divided by this figure is its efficiency. The benchmark measures it once per round,
between the timed runs, and keeps the best (a busy machine only ever lowers it).
``square_peak`` is the usual big square SGEMM figure, for reference.
"""

from __future__ import annotations

import statistics
import time

import numpy as np


def _time_block(fn, min_seconds: float) -> float:
    """Seconds per call of ``fn``, over enough calls to last ``min_seconds``."""
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return elapsed / calls
        calls = max(calls * 2, int(calls * min_seconds / max(elapsed, 1e-9)) + 1)


def peak_at_shapes(layer_widths: list[tuple[int, int]], batch: int, *, repeat: int = 1,
                   min_seconds: float = 0.2, seed: int = 0) -> dict[str, float]:
    """GFLOP/s of one step's matrix products alone (see the module docstring): the median
    over ``repeat`` blocks of at least ``min_seconds`` each."""
    rng = np.random.default_rng(seed)
    products = []
    flops = 0.0
    for i, (n_in, n_out) in enumerate(layer_widths):
        x = rng.standard_normal((batch, n_in), dtype=np.float32)
        w = rng.standard_normal((n_in, n_out), dtype=np.float32)
        g = rng.standard_normal((batch, n_out), dtype=np.float32)
        z = np.empty((batch, n_out), np.float32)
        dw = np.empty((n_in, n_out), np.float32)
        products.append((x, w, z))
        products.append((x.T, g, dw))
        flops += 4.0 * batch * n_in * n_out
        if i > 0:
            products.append((g, w.T, np.empty((batch, n_in), np.float32)))
            flops += 2.0 * batch * n_in * n_out

    def step() -> None:
        for a, b, out in products:
            np.matmul(a, b, out=out)

    step()
    times = [_time_block(step, min_seconds) for _ in range(repeat)]
    seconds = statistics.median(times)
    return {"gflop_per_step": flops / 1e9, "seconds": seconds, "gflops": flops / seconds / 1e9,
            "best_gflops": flops / min(times) / 1e9}


def square_peak(n: int = 2048, *, repeat: int = 3, min_seconds: float = 0.3) -> float:
    """Best GFLOP/s of an ``n x n x n`` float32 matrix product."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    c = np.empty((n, n), np.float32)
    np.matmul(a, b, out=c)
    best = min(_time_block(lambda: np.matmul(a, b, out=c), min_seconds) for _ in range(repeat))
    return 2.0 * n ** 3 / best / 1e9
