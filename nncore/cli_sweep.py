"""``nncore sweep``: train many variations of one design, on every core or on a cluster.

    nncore sweep --data spirals --epochs 300 --vary lr=1e-4..1e-1:log:8 \\
                 --vary hidden=8;16,16;32,32 --seeds 3 --out runs/lr-width

The train flags describe the base design; each ``--vary`` names a field and its values
(``nncore.sweep.parse_axis``). Writes ``OUT/results.csv``, ``OUT/sweep.json`` and every
run's report and trained project under ``OUT/runs/``. Re-running the same command skips
finished runs; Ctrl+C stops cleanly, keeping them. See docs/cli.md.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from typing import Any

from nncore.sweep import (
    FIELDS,
    Run,
    Specs,
    SweepError,
    check_runs,
    grid_plan,
    parse_axis,
    parse_bounds,
    random_plan,
    range_test_plan,
    run_sweep,
)

HELP = "train many variations of a design (grid, random or lr range test)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The sweep's own flags (the train flags are added by ``nncore.cli``)."""
    g = p.add_argument_group("sweep")
    g.add_argument("--vary", action="append", default=[], metavar="NAME=VALUES",
                   help="a field and its values: lr=1e-4..1e-1:log:8, hidden=8;16,16, "
                   "activation=tanh,relu (repeatable; fields: " + ", ".join(FIELDS) +
                   ", or a dotted path such as training.optimizer.beta2)")
    g.add_argument("--seeds", type=int, default=1, help="seeds per configuration (1)")
    g.add_argument("--random", type=int, metavar="K",
                   help="K random configurations instead of the grid (ranges drawn "
                   "uniformly, log-uniformly with :log)")
    g.add_argument("--sample-seed", type=int, default=0, help="seed of --random's draws")
    g.add_argument("--lr-range-test", metavar="LOW..HIGH",
                   help="the learning-rate range test: one run whose rate grows from LOW "
                   "to HIGH over --steps steps (per seed)")
    g.add_argument("--steps", type=int, default=200, help="steps of the range test (200)")
    g.add_argument("--out", required=True, metavar="DIR", help="folder for the results")
    g.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    g.add_argument("--backend", default="local", choices=["local", "dask", "ray", "serial"],
                   help="local process pool (default), a Dask cluster, or serial")
    g.add_argument("--address", help="the Dask scheduler, e.g. tcp://10.0.0.5:8786 "
                   "(default with --backend dask: a local cluster)")
    g.add_argument("--retries", type=int, default=1,
                   help="tries again a run whose worker died (1)")
    g.add_argument("--no-projects", action="store_true",
                   help="do not save each run's trained project (reports only)")
    g.add_argument("-q", "--quiet", action="store_true")


def _plan(args: argparse.Namespace) -> list[Run]:
    from nncore.cli import UsageError, specs_from_args

    _, network, training, data = specs_from_args(args)
    base = Specs(network, training, data)
    if args.lr_range_test:
        if args.vary or args.random:
            raise UsageError("--lr-range-test is a sweep of its own; drop --vary / --random")
        bounds = parse_bounds(args.lr_range_test)
        return range_test_plan(base, *bounds, steps=args.steps, seeds=args.seeds)
    axes = [parse_axis(text) for text in args.vary]
    if not axes and args.seeds == 1:
        raise UsageError("nothing to sweep: add --vary NAME=VALUES (e.g. --vary "
                         "lr=1e-3..1e-1:log:5) or --seeds N")
    if args.random is not None:
        return random_plan(base, axes, args.random, args.seeds, args.sample_seed)
    return grid_plan(base, axes, args.seeds)


class _Progress:
    def __init__(self, total: int, quiet: bool) -> None:
        self.total, self.quiet, self.done = total, quiet, 0
        self.started = time.perf_counter()
        self.lock = threading.Lock()

    def __call__(self, row: dict[str, Any], run: Run) -> None:
        with self.lock:
            self.done += 1
            if self.quiet:
                return
            values = " ".join(f"{k}={_short(v)}" for k, v in run.values)
            metric = next((f"{k} {_short(row[k])}" for k in ("val_accuracy", "val_r2",
                                                             "train_accuracy", "train_r2")
                           if isinstance(row.get(k), float)), "")
            print(f"[{self.done:>{len(str(self.total))}}/{self.total}] {values} seed "
                  f"{run.seed}: {row['stop_reason']}  {metric}", flush=True)


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, tuple):
        return ",".join(map(str, value)) or "none"
    return str(value)


def cmd_sweep(args: argparse.Namespace) -> int:
    """Plan, run (resuming), and say where the results are."""
    from nncore.cli import EXIT_FAILED, EXIT_OK
    from nncore.sweep_pool import make_executor

    runs = _plan(args)
    check_runs(runs)
    if args.workers is not None and args.workers < 1:
        raise SweepError(f"--workers must be at least 1, got {args.workers}")
    executor = make_executor(args.backend, args.workers, args.address, args.retries)
    progress = _Progress(len(runs), args.quiet)
    if not args.quiet:
        print(f"sweep: {len(runs)} runs on {executor.workers} {args.backend} worker(s); "
              f"results in {args.out}", flush=True)
    try:
        outcome = run_sweep(runs, args.out, executor, on_result=progress,
                            save_projects=not args.no_projects)
    except KeyboardInterrupt:
        print(f"nncore: interrupted: {progress.done} of {len(runs)} runs finished and kept "
              f"in {args.out}; run the same command again to finish", file=sys.stderr)
        return 130
    finally:
        executor.close()
    if not args.quiet:
        elapsed = time.perf_counter() - progress.started
        print(f"{len(outcome.rows)} runs ({outcome.resumed} already done) in "
              f"{elapsed:.1f} s; {len(outcome.failed)} failed; {args.out}/results.csv")
    for row in outcome.failed:
        print(f"run {row['index']} failed: {row.get('message', '')}", file=sys.stderr)
    diverged = sum(1 for r in outcome.rows if r["stop_reason"] == "non-finite-loss")
    if diverged and not args.quiet:
        print(f"{diverged} run(s) diverged (non-finite loss): their rows say so")
    return EXIT_FAILED if outcome.failed else EXIT_OK

