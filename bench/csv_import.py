"""Benchmark: importing a large CSV with nncore against ``pandas.read_csv`` on the same file.

``python -m bench.csv_import [--quick] [--mb 100]`` writes a numeric table (10 float
columns and a 0/1 label), a mixed one (numbers with ``NA`` holes, two text categories,
a label) and a wide one (784 integer pixel columns and a digit, as Kaggle's MNIST CSV) of
about ``--mb`` MB each in a temporary folder, then loads each file in a fresh
child process, once with ``pandas.read_csv`` and once with ``nncore.data.load_csv`` (read,
schema, one-hot, missing values, float32 arrays). Each child reports its wall time and its
peak memory above what it held after the imports (``ru_maxrss`` minus the resident size
before loading), so the ratios compare the loads, not the interpreters. ``watched x`` and
``w. mem x`` are the time and memory ratios of a load with progress and cancel callbacks,
as the app's import dialog reads a file. ``--quick`` uses 1 MB files (a smoke test, not a
measurement). Times are the best of 5 runs; CPU time (user + system) is shown beside wall
time because the wall clock of a shared machine is noisy.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

CHILD = r"""
import json, resource, sys, time
import pandas as pd
from nncore.data.csvfile import load_csv

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()

mode, path = sys.argv[1], sys.argv[2]
before = rss()
start, cpu = time.perf_counter(), time.process_time()
if mode == "pandas":
    frame = pd.read_csv(path)
    shape = frame.shape
elif mode == "watched":  # as the app's import dialog reads: progress and cancel watched
    data = load_csv(path, progress=lambda fraction: None, cancel=lambda: False)
    shape = data.x.shape
else:
    data = load_csv(path)
    shape = data.x.shape
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_extra": peak - before,
                  "shape": list(shape)}))
"""


WIDE_COLUMNS = 784
"""The wide table: a pixel-per-column digits file, as Kaggle's MNIST CSV."""


def _block(kind: str, rows: int, rng: np.random.Generator) -> str:
    """``rows`` lines of CSV text (no header) for a ``numeric``, ``mixed`` or ``wide``
    table."""
    if kind == "wide":  # mostly-zero pixels 0..255 and a digit label
        pixels = (rng.random((rows, WIDE_COLUMNS)) < 0.2) * rng.integers(0, 256, (rows,
                                                                                 WIDE_COLUMNS))
        digits = rng.integers(0, 10, size=rows)
        lines = [",".join(map(str, r)) + f",{d}" for r, d in
                 zip(pixels.tolist(), digits, strict=True)]
        return "\n".join(lines) + "\n"
    x = rng.normal(size=(rows, 10)).round(6)
    label = rng.integers(0, 2, size=rows)
    if kind == "numeric":
        lines = [",".join(map(repr, r)) + f",{y}" for r, y in zip(x.tolist(), label, strict=True)]
        return "\n".join(lines) + "\n"
    colours = np.array(["red", "green", "blue", "amber"])[rng.integers(0, 4, size=rows)]
    sizes = np.array(["S", "M", "L"])[rng.integers(0, 3, size=rows)]
    holes = rng.random(size=(rows, 10)) < 0.01
    cells = np.where(holes, "NA", x.astype(str))
    lines = [",".join(r) + f",{c},{s},{y}" for r, c, s, y in
             zip(cells.tolist(), colours, sizes, label, strict=True)]
    return "\n".join(lines) + "\n"


def write_table(path: Path, kind: str, megabytes: float) -> int:
    """Write a ``kind`` table of about ``megabytes`` MB (a 1 MB block repeated); its size."""
    rng = np.random.default_rng(0)
    names = [f"x{i}" for i in range(10)] + (["colour", "size"] if kind == "mixed" else [])
    if kind == "wide":
        names = [f"pixel{i}" for i in range(WIDE_COLUMNS)]
    block = _block(kind, 12_000 if kind != "wide" else 400, rng)
    repeats = max(1, round(megabytes * 1e6 / len(block)))
    with open(path, "w", encoding="utf-8") as f:
        f.write(",".join([*names, "label"]) + "\n")
        for _ in range(repeats):
            f.write(block)
    return path.stat().st_size


def _child(mode: str, path: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", CHILD, mode, str(path)], capture_output=True,
                          text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{mode} failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


MODES = ("pandas", "nncore", "watched")


def _best(path: Path, repeats: int) -> dict[str, dict[str, Any]]:
    """Per loader, the fastest of ``repeats`` fresh-process loads: the least wall time,
    the least CPU time and the least peak memory. The loaders take turns, each going first
    in turn, so a slow spell of the machine (here, memory another process just freed can
    cost several times more to touch for a while) hits all of them alike."""
    runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
    for turn in range(repeats):
        for mode in MODES[turn % 3:] + MODES[:turn % 3]:  # each goes first in turn
            runs[mode].append(_child(mode, path))
    return {mode: {"seconds": min(r["seconds"] for r in done),
                   "cpu": min(r["cpu"] for r in done),
                   "peak_extra": min(r["peak_extra"] for r in done),
                   "shape": done[0]["shape"]} for mode, done in runs.items()}


def run(quick: bool = False, megabytes: float = 100.0, repeats: int = 5) -> dict[str, Any]:
    """Every table, every loader: seconds, peak memory and the nncore/pandas ratios (the
    best of ``repeats`` runs each, the loaders taking turns)."""
    size = 1.0 if quick else megabytes
    repeats = 1 if quick else repeats
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bplab-csv-bench-") as folder:
        for kind in ("numeric", "mixed", "wide"):
            path = Path(folder) / f"{kind}.csv"
            nbytes = write_table(path, kind, size)
            best = _best(path, repeats)
            pandas, ours, watched = best["pandas"], best["nncore"], best["watched"]
            results[kind] = {
                "file_mb": nbytes / 1e6, "rows": pandas["shape"][0],
                "pandas_s": pandas["seconds"], "nncore_s": ours["seconds"],
                "pandas_peak_mb": pandas["peak_extra"] / 1e6,
                "nncore_peak_mb": ours["peak_extra"] / 1e6,
                "time_ratio": ours["seconds"] / pandas["seconds"],
                "pandas_cpu_s": pandas["cpu"], "nncore_cpu_s": ours["cpu"],
                "cpu_ratio": ours["cpu"] / pandas["cpu"],
                "memory_ratio": ours["peak_extra"] / max(pandas["peak_extra"], 1),
                "nncore_shape": ours["shape"], "watched_s": watched["seconds"],
                "watched_ratio": watched["seconds"] / pandas["seconds"],
                "watched_memory_ratio": watched["peak_extra"] / max(pandas["peak_extra"], 1)}
            path.unlink()
    return results


def main(argv: list[str] | None = None) -> None:
    """Print the comparison as a table."""
    parser = argparse.ArgumentParser(prog="python -m bench.csv_import")
    parser.add_argument("--quick", action="store_true", help="1 MB files (smoke test)")
    parser.add_argument("--mb", type=float, default=100.0, help="size of each file in MB")
    args = parser.parse_args(argv)
    results = run(args.quick, args.mb)
    print(f"{'table':<9}{'MB':>5}{'rows':>11}{'pandas s':>10}{'nncore s':>10}{'time x':>8}"
          f"{'cpu x':>7}{'pandas MB':>11}{'nncore MB':>11}{'memory x':>10}{'watched x':>11}"
          f"{'w. mem x':>10}")
    for kind, r in results.items():
        print(f"{kind:<9}{r['file_mb']:>5.0f}{r['rows']:>11,}{r['pandas_s']:>10.2f}"
              f"{r['nncore_s']:>10.2f}{r['time_ratio']:>8.2f}{r['cpu_ratio']:>7.2f}"
              f"{r['pandas_peak_mb']:>11.0f}{r['nncore_peak_mb']:>11.0f}"
              f"{r['memory_ratio']:>10.2f}{r['watched_ratio']:>11.2f}"
              f"{r['watched_memory_ratio']:>10.2f}")


if __name__ == "__main__":
    main()
