"""``python -m bench``: nncore against PyTorch on the CPU, side by side (docs/benchmarks.md).

For every BLAS thread count asked for, nncore and the PyTorch peer each run in a process
of their own with that many threads, and take turns on each workload (the order rotates
every round, after one untimed warm-up round), so both see the same machine conditions.
The report gives medians, the ratio nncore / PyTorch per pair, the GEMM peak of NumPy's
BLAS at each workload's shapes, the NumPy calls per step, MNIST accuracy after 5
epochs, the data-loading benchmark and which targets were met. Timings are reported,
never asserted: a loaded machine gives slow numbers, not failures.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import inspect
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import report
from bench.protocol import Side, thread_environment
from bench.workloads import WORKLOADS

ROOT = Path(__file__).resolve().parent.parent
GEMM_BOUND = ("mnist-mlp", "wide")
"""Workloads whose efficiency is reported against the GEMM peak at their shapes."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="tiny smoke run (a few steps each, < 30 s); timings meaningless")
    parser.add_argument("--threads", default="1,2",
                        help="BLAS / OpenMP thread counts to measure, e.g. 1,2 (default)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="timed rounds per workload (default: 21 for spiral-small, "
                        "5 for the others)")
    parser.add_argument("--only", choices=sorted(WORKLOADS), action="append",
                        help="run only this workload (repeatable)")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch peer")
    parser.add_argument("--no-accuracy", action="store_true",
                        help="skip the 5-epoch MNIST accuracy run")
    parser.add_argument("--no-data-loading", action="store_true",
                        help="skip the data-loading benchmark")
    parser.add_argument("--blas-core", metavar="NAME",
                        help="force OpenBLAS's kernels (OPENBLAS_CORETYPE), e.g. SkylakeX on "
                        "an AVX-512 CPU that OpenBLAS does not recognise (it then falls back "
                        "to Haswell); default: the environment's choice, as the app runs")
    parser.add_argument("--busy-core", action="store_true",
                        help="keep one core busy with a spinning process during the timings "
                        "(what a GUI drawing plots, or any other program, does to BLAS "
                        "threads on a 2-core machine)")
    parser.add_argument("--json", type=Path, help="write every number to this JSON file")
    parser.add_argument("--markdown", type=Path,
                        help="write the result tables as Markdown to this file")
    return parser.parse_args(argv)


def _load_average() -> list[float]:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _torch_available() -> bool:
    return importlib.util.find_spec("torch") is not None


def run_block(threads: int, names: list[str], args: argparse.Namespace, tmp: Path,
              use_torch: bool, results: dict[str, Any]) -> dict[str, Any]:
    """Everything measured at one thread count."""
    block: dict[str, Any] = {"workloads": {}}
    with contextlib.ExitStack() as stack:
        ours = stack.enter_context(Side("bench.nncore_side", threads, cwd=str(ROOT),
                                        blas_core=args.blas_core))
        peer = stack.enter_context(Side("bench.torch_peer", threads, cwd=str(ROOT),
                                        blas_core=args.blas_core)) if use_torch else None
        results.setdefault("machine", ours.ask("info"))
        block["blas"] = ours.ask("info")["blas"]
        if peer is not None:
            results.setdefault("torch", peer.ask("info"))
        for name in names:
            _log(f"[threads {threads}] {name}")
            npz = tmp / f"{name}.npz"
            meta = ours.ask("prepare", workload=name,
                            export_to=str(npz) if peer is not None and not npz.exists()
                            else None, quick=args.quick)
            steps = meta["timed_steps"]
            runs = {"nncore": lambda name=name: ours.ask("run", workload=name,
                                                         quick=args.quick)}
            if peer is not None:
                peer.ask("load", workload=name, path=str(npz))
                runs["torch"] = lambda name=name, steps=steps: peer.ask(
                    "run", workload=name, fused=False, steps=steps)
                runs["torch-fused"] = lambda name=name, steps=steps: peer.ask(
                    "run", workload=name, fused=True, steps=steps)
            repeat = 1 if args.quick else (args.repeat or WORKLOADS[name].repeat)
            if not args.quick:
                for fn in runs.values():  # warm-up round, untimed
                    fn()
            if name in GEMM_BOUND:  # its GEMM peak is measured in every round too
                runs["gemm"] = lambda name=name: ours.ask("gemm", workload=name,
                                                          quick=args.quick)
            samples: dict[str, list[dict[str, Any]]] = {side: [] for side in runs}
            order = list(runs)
            for r in range(repeat):
                for side in order[r % len(order):] + order[:r % len(order)]:
                    samples[side].append(runs[side]())
            peaks = samples.pop("gemm", [])
            entry = {"meta": meta, "samples": samples,
                     "median": {side: report.median(s) for side, s in samples.items()}}
            if peaks:
                best = max(peaks, key=lambda p: p["gflops"])
                entry["gemm"] = {**best, "median_gflops": report.median(peaks, "gflops"),
                                 "samples": len(peaks)}
            entry["breakdown"] = ours.ask("breakdown", workload=name, quick=args.quick)
            block["workloads"][name] = entry
        block["square_peak"] = ours.ask("square", quick=args.quick)
        if not args.no_accuracy:
            _log(f"[threads {threads}] mnist-accuracy")
            block["accuracy"] = ours.ask("accuracy", epochs=5, quick=args.quick)
        if "calls" not in results:
            results["calls"] = {name: ours.ask("calls", workload=name) for name in names}
    return block


@contextlib.contextmanager
def _busy_core(enabled: bool):
    """A process spinning on one core for the duration of the block (if enabled)."""
    if not enabled:
        yield
        return
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        spinner.kill()
        spinner.wait()


MNIST_LOAD = """
import json, time
from nncore.data import load_dataset
from nncore.spec import DataSpec
start = time.perf_counter()
load_dataset(DataSpec("mnist"))
print(json.dumps(time.perf_counter() - start))
"""


def data_loading(quick: bool) -> dict[str, Any]:
    """``bench/data_loading.py``'s results when it exists, plus MNIST's cached load time.

    The cached load is also timed in fresh processes after a first one made sure the cache
    exists (the best of two): what a second launch of the app pays.
    """
    out: dict[str, Any] = {}
    try:
        from bench import data_loading as module
    except ImportError:
        module = None
    if module is not None and hasattr(module, "run"):
        parameters = inspect.signature(module.run).parameters
        kwargs = {"repeats": 1} if quick and "repeats" in parameters else {}
        try:
            out["data_loading"] = module.run(**kwargs)
        except Exception as error:  # report it, keep the other results
            out["data_loading_error"] = f"{type(error).__name__}: {error}"
    else:
        out["data_loading_error"] = "bench/data_loading.py (run()) not found"
    times = []
    for _ in range(1 if quick else 3):  # the first run makes sure the cache exists
        done = subprocess.run([sys.executable, "-c", MNIST_LOAD], capture_output=True,
                              text=True, cwd=str(ROOT), env=thread_environment(1), check=False)
        if done.returncode != 0:
            out["mnist_load_error"] = (done.stderr.strip().splitlines() or ["failed"])[-1]
            return out
        times.append(json.loads(done.stdout.strip().splitlines()[-1]))
    out["mnist_cached_seconds"] = min(times[1:] or times)
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    threads = [int(t) for t in str(args.threads).split(",") if t.strip()]
    names = args.only or list(WORKLOADS)
    use_torch = not args.no_torch and _torch_available()
    started = time.perf_counter()
    results: dict[str, Any] = {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "quick": args.quick, "load_before": _load_average(), "blocks": {},
        "blas_core_forced": args.blas_core,
        "torch_hint": "" if use_torch else
        ("skipped (--no-torch)" if args.no_torch else
         "PyTorch is not installed: pip install torch==2.13.0 to compare with it")}
    if results["torch_hint"]:
        _log(results["torch_hint"])
    results["busy_core"] = args.busy_core
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, _busy_core(args.busy_core):
        for t in threads:
            results["blocks"][str(t)] = run_block(t, names, args, Path(tmp), use_torch,
                                                  results)
    if not args.no_data_loading:
        _log("data loading")
        results["data_loading"] = data_loading(args.quick)
    results["load_after"] = _load_average()
    results["targets"] = report.evaluate(results)
    results["seconds"] = time.perf_counter() - started

    print(report.machine_text(results))
    print()
    print(report.tables(results))
    advice = report.thread_advice(results)
    if advice:
        print()
        print(advice)
    loading = results.get("data_loading") or {}
    if loading:
        print("\n== data-loading ==")
        if "data_loading" in loading:
            print("bench/data_loading.py (MNIST, in process, best of 3): "
                  + ", ".join(f"{k} {v:.3f}" for k, v in loading["data_loading"].items()))
        if "data_loading_error" in loading:
            print(f"bench/data_loading.py: {loading['data_loading_error']}")
        if "mnist_cached_seconds" in loading:
            print("MNIST load in a fresh process (as a second launch of the app): "
                  f"{report.seconds_text(loading['mnist_cached_seconds'])}")
    if max(results["load_before"] or [0]) > 0.5:
        print(f"\nWARNING: load average {results['load_before'][0]:.2f} before the run: "
              "other processes were busy, timings (2 threads especially) are unreliable.")
    print(f"\nbenchmark took {results['seconds']:.0f} s"
          + (" (--quick: a smoke run, the timings mean nothing)" if args.quick else ""))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    if args.markdown:
        args.markdown.write_text(report.machine_text(results) + "\n\n"
                                 + report.tables(results, markdown=True) + "\n")
    return 0



if __name__ == "__main__":
    sys.exit(main())
