"""How fast sweeps go: the local pool against one run after another, and the overhead per run.

``python -m bench.sweep_speed`` trains 24 runs of the two spirals (the lesson's network,
300 epochs each; lr x width x seeds) three ways: serially in this process (the baseline,
``SerialExecutor``), on the local pool with one worker per core (``LocalPool``), and on a
local Dask cluster of as many single-threaded workers (when the ``cluster`` extra is
installed). Reported, never asserted (docs/benchmarks.md, "Sweeps"):

- throughput: runs per second of wall time, and pool / serial (target on 2 cores: ≥ 1.7);
- overhead per run: the wall time a run costs beyond its training,
  ``wall × workers / runs − mean training seconds``, which counts starting the workers
  (amortised), loading the data, building the network, sending the task and the result,
  and writing the report and project; in per cent of a 2-second run (target ≤ 5 %);
- the same without starting the workers or the cluster (timed apart, as "started");
- inside the worker: ``run_seconds − seconds`` (data, build, report) per run;
- saving: writing each run's report and trained project, in the parent, per run;
- CPU per run: CPU seconds of this process and its workers (or cluster) per run, and the
  speed-up that predicts on ``workers`` idle cores, ``workers × serial CPU / CPU``: on a
  machine other programs keep busy the wall-clock ratio measures them, this does not.

``--quick`` (4 runs of 20 epochs) is the smoke test; its numbers mean nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from nncore.lessons import load_lesson
from nncore.sweep import Specs, SweepStore, grid_plan, parse_axis, run_sweep
from nncore.sweep_pool import LocalPool, SerialExecutor, cores

REFERENCE_RUN_SECONDS = 2.0


def plan(quick: bool):
    """24 two-spiral runs (3 rates x 2 widths x 4 seeds) of 300 epochs; 4 of 20 if quick."""
    project = load_lesson("two-spirals")
    epochs = 20 if quick else 300
    training = dataclasses.replace(project.training, epochs=epochs)
    base = Specs(project.network, training, project.data)
    if quick:
        return grid_plan(base, [parse_axis("lr=0.01,0.03")], seeds=2)
    return grid_plan(base, [parse_axis("lr=0.003,0.01,0.03"), parse_axis("width=8,16")],
                     seeds=4)


def measure(name: str, make_executor, runs, workers: int) -> dict[str, Any]:
    """Wall time of the whole sweep (executor start included) and the per-run figures."""
    saving = [0.0]
    save = SweepStore.save

    def timed_save(store, run, result):
        begun = time.perf_counter()
        try:
            return save(store, run, result)
        finally:
            saving[0] += time.perf_counter() - begun

    with tempfile.TemporaryDirectory(prefix="sweep-bench-") as folder:
        SweepStore.save = timed_save  # type: ignore[method-assign]
        started, cpu_started = time.perf_counter(), _cpu_seconds()
        try:
            executor = make_executor()
            if hasattr(executor, "start"):
                executor.start()  # the pool's workers, like the cluster, before the clock
            ready = time.perf_counter()
            try:
                outcome = run_sweep(runs, folder, executor)
            finally:
                executor.close()
        finally:
            SweepStore.save = save  # type: ignore[method-assign]
        wall = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_started
    rows = outcome.rows
    training = statistics.fmean(float(r["seconds"]) for r in rows)
    inside = statistics.fmean(float(r["run_seconds"]) - float(r["seconds"]) for r in rows)
    overhead = wall * workers / len(rows) - training
    warm = (wall - (ready - started)) * workers / len(rows) - training
    return {"backend": name, "workers": workers, "runs": len(rows),
            "failed": len(outcome.failed), "wall_s": round(wall, 3),
            "start_s": round(ready - started, 3),
            "runs_per_s": round(len(rows) / wall, 3),
            "training_s_per_run": round(training, 4),
            "overhead_s_per_run": round(overhead, 4),
            "overhead_of_2s_run": round(overhead / REFERENCE_RUN_SECONDS, 4),
            "warm_overhead_s_per_run": round(warm, 4),
            "in_worker_overhead_s": round(inside, 4),
            "saving_s_per_run": round(saving[0] / len(rows), 4),
            "cpu_s_per_run": round(cpu / len(rows), 4)}


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (pool workers, the Dask
    cluster's processes: all joined when their executor closes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _load() -> list[float]:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


def _executors(workers: int, dask: bool) -> dict[str, tuple[Any, int]]:
    executors: dict[str, tuple[Any, int]] = {"serial": (SerialExecutor, 1),
                                             "local": (lambda: LocalPool(workers), workers)}
    if dask:
        from nncore.sweep_pool import DaskExecutor

        executors["dask"] = (lambda: DaskExecutor(workers=workers), workers)
    return executors


def run(quick: bool = False, workers: int | None = None, dask: bool = True,
        repeat: int = 1) -> dict[str, Any]:
    """Every measurement, as a dict (see the module's docstring). With ``repeat`` > 1 the
    backends take turns (the order rotating every round) and each keeps its fastest
    round: on a shared machine the least disturbed one."""
    runs = plan(quick)
    workers = workers or cores()
    out: dict[str, Any] = {"quick": quick, "cores": cores(), "repeat": repeat,
                           "load_before": _load(), "results": []}
    try:
        executors = _executors(workers, dask)
    except Exception as err:  # Dask not installed: say so, measure the rest
        out["dask_error"] = f"{type(err).__name__}: {err}"
        executors = _executors(workers, False)
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in executors}
    names = list(executors)
    for r in range(max(1, repeat)):
        for name in names[r % len(names):] + names[:r % len(names)]:
            make, count = executors[name]
            try:
                rounds[name].append(measure(name, make, runs, count))
            except Exception as err:  # e.g. the cluster cannot start: keep the rest
                out[f"{name}_error"] = f"{type(err).__name__}: {err}"
    out["results"] = [min(rounds[n], key=lambda m: m["wall_s"]) for n in names if rounds[n]]
    serial = out["results"][0]
    for entry in out["results"]:
        entry["speed_up"] = round(entry["runs_per_s"] / serial["runs_per_s"], 3)
        # what the CPU work predicts on `workers` idle cores: each worker a core of its own
        entry["cpu_speed_up"] = round(entry["workers"] * serial["cpu_s_per_run"]
                                      / entry["cpu_s_per_run"], 3)
    out["load_after"] = _load()
    return out


def markdown(results: dict[str, Any]) -> str:
    """The table docs/benchmarks.md shows."""
    lines = ["| backend | workers | runs | wall | runs/s | × serial | training/run | "
             "overhead/run | of a 2-s run | started | without the start | in the worker | "
             "saving | CPU/run | × serial by CPU |", "|" + "---|" * 15]
    for r in results["results"]:
        lines.append(f"| {r['backend']} | {r['workers']} | {r['runs']} | {r['wall_s']:.2f} s "
                     f"| {r['runs_per_s']:.2f} | {r['speed_up']:.2f} | "
                     f"{r['training_s_per_run']:.3f} s | {r['overhead_s_per_run'] * 1e3:.0f} ms"
                     f" | {r['overhead_of_2s_run']:.1%} | {r['start_s']:.2f} s | "
                     f"{r['warm_overhead_s_per_run'] * 1e3:.0f} ms | "
                     f"{r['in_worker_overhead_s'] * 1e3:.1f} ms | "
                     f"{r['saving_s_per_run'] * 1e3:.1f} ms | {r['cpu_s_per_run']:.3f} s | "
                     f"{r['cpu_speed_up']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sweep_speed",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run (4 short runs)")
    parser.add_argument("--workers", type=int, help="pool workers (default: one per core)")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask cluster")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds per backend, taking turns; the fastest is kept (1)")
    parser.add_argument("--json", type=Path, help="write the numbers to this file")
    args = parser.parse_args(argv)
    results = run(args.quick, args.workers, dask=not args.no_dask, repeat=args.repeat)
    print(markdown(results))
    print(f"\nload average before {results['load_before']}, after {results['load_after']}"
          + (" (--quick: the numbers mean nothing)" if args.quick else ""))
    for key in [k for k in results if k.endswith("_error")]:
        print(f"{key[:-6]}: {results[key]}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
