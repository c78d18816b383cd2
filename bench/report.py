"""Targets, medians, ratios and the printed / Markdown tables of a benchmark run."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SIDES = ("nncore", "torch", "torch-fused")
SIDE_TITLES = {"nncore": "nncore", "torch": "PyTorch", "torch-fused": "PyTorch fused"}


@dataclass(frozen=True)
class Target:
    """``value(results for one thread count) <= limit`` (or ``>=`` when ``at_least``)."""

    name: str
    text: str
    value: Callable[[dict[str, Any]], float | None]
    limit: float
    at_least: bool = False

    def check(self, value: float | None) -> bool | None:
        """True/False, or None when the value could not be measured."""
        if value is None or not math.isfinite(value):
            return None
        return value >= self.limit if self.at_least else value <= self.limit


def median(samples: list[dict[str, Any]], key: str = "per_step") -> float:
    """Median of one field over the samples (NaN when there are none)."""
    values = [s[key] for s in samples if s.get(key) is not None]
    return statistics.median(values) if values else math.nan


def ratio(block: dict[str, Any], workload: str, peer: str) -> float | None:
    """nncore's median time per step over ``peer``'s (None if either is missing)."""
    medians = block.get("workloads", {}).get(workload, {}).get("median", {})
    ours, theirs = medians.get("nncore"), medians.get(peer)
    if ours is None or theirs is None or not theirs > 0:
        return None
    return ours / theirs


def gemm_fraction(block: dict[str, Any], workload: str, side: str = "nncore") -> float | None:
    """Achieved GEMM GFLOP/s of ``side`` over the GEMM peak at the workload's shapes."""
    entry = block.get("workloads", {}).get(workload, {})
    seconds = entry.get("median", {}).get(side)
    peak = entry.get("gemm", {}).get("gflops")
    flops = entry.get("meta", {}).get("gemm_flops")
    if not seconds or not peak or not flops:
        return None
    return flops / seconds / 1e9 / peak


TARGETS = (
    Target("spiral-small vs fused", "spiral-small: nncore / PyTorch-fused <= 0.25",
           lambda b: ratio(b, "spiral-small", "torch-fused"), 0.25),
    Target("mnist-mlp vs default", "mnist-mlp: nncore / PyTorch <= 0.65",
           lambda b: ratio(b, "mnist-mlp", "torch"), 0.65),
    Target("mnist-mlp vs fused", "mnist-mlp: nncore / PyTorch-fused <= 0.8",
           lambda b: ratio(b, "mnist-mlp", "torch-fused"), 0.8),
    Target("wide vs fused", "wide: nncore / PyTorch-fused <= 1.0",
           lambda b: ratio(b, "wide", "torch-fused"), 1.0),
    Target("wide GEMM efficiency", "wide: nncore at >= 75% of the GEMM peak",
           lambda b: gemm_fraction(b, "wide"), 0.75, at_least=True),
    Target("MNIST accuracy", "MNIST test accuracy >= 97% within 5 epochs",
           lambda b: (b.get("accuracy") or {}).get("best_accuracy"), 0.97, at_least=True),
)


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target at every thread count: value, limit, met (True/False/None)."""
    rows = []
    for threads, block in results["blocks"].items():
        for target in TARGETS:
            value = target.value(block)
            rows.append({"target": target.text, "threads": int(threads), "value": value,
                         "limit": target.limit, "met": target.check(value)})
    loading = results.get("data_loading") or {}
    cached = (loading.get("data_loading") or {}).get("cached_load_s",
                                                    loading.get("mnist_cached_seconds"))
    if cached is not None or loading:
        rows.append({"target": "MNIST second (cached) load < 0.3 s", "threads": None,
                     "value": cached, "limit": 0.3,
                     "met": None if cached is None else cached < 0.3})
    return rows


def seconds_text(seconds: float | None) -> str:
    """``41.8 µs``, ``2.05 ms`` or ``1.23 s``."""
    if seconds is None or not math.isfinite(seconds):
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def _ratio_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _met_text(met: bool | None) -> str:
    return {True: "met", False: "MISSED", None: "n/a"}[met]


def _table(header: list[str], rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(header) + " |",
                 "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    return "\n".join([fmt.format(*header), fmt.format(*("-" * w for w in widths)),
                      *(fmt.format(*r) for r in rows)])


def machine_text(results: dict[str, Any]) -> str:
    """One paragraph: date, CPU, cores, versions, BLAS kernels, load."""
    m = results.get("machine") or {}
    blas = m.get("blas") or {}
    torch = results.get("torch")
    torch_text = (f"torch {torch['version']} (MKL {'yes' if torch['mkl'] else 'no'}, "
                  f"{torch['cpu_capability']})" if torch else
                  f"torch not installed ({results.get('torch_hint', '')})")
    load = results.get("load_before") or []
    return (f"{results['date']}; {m.get('cpu', '?')}, {m.get('cores', '?')} cores "
            f"({m.get('simd', '?')}); {m.get('system', '')}; Python {m.get('python', '?')}; "
            f"numpy {m.get('numpy', '?')} with {blas.get('name', '?')} "
            f"{blas.get('version', '')} ({blas.get('core') or '?'} kernels"
            f"{', forced by OPENBLAS_CORETYPE' if results.get('blas_core_forced') else ''}); "
            f"{torch_text}; "
            f"load average before the run {' '.join(f'{x:.2f}' for x in load[:3])}"
            + ("; one core kept busy by a spinning process (--busy-core)"
               if results.get("busy_core") else "")
            + ("; QUICK smoke run, not a measurement" if results.get("quick") else ""))


def _titled(title: str, table: str, markdown: bool) -> str:
    return f"### {title}\n\n{table}" if markdown else f"== {title} ==\n{table}"


def tables(results: dict[str, Any], markdown: bool = False) -> str:
    """The results as text (or Markdown) tables, one titled section each."""
    out = []
    header = ["workload", "threads", "nncore / step", "PyTorch / step",
              "PyTorch fused / step", "nncore / PyTorch", "nncore / fused", "samples"]
    rows = []
    for threads, block in results["blocks"].items():
        for name, entry in block["workloads"].items():
            med = entry["median"]
            rows.append([name, str(threads), seconds_text(med.get("nncore")),
                         seconds_text(med.get("torch")), seconds_text(med.get("torch-fused")),
                         _ratio_text(ratio(block, name, "torch")),
                         _ratio_text(ratio(block, name, "torch-fused")),
                         str(len(entry["samples"].get("nncore", [])))])
    out.append(_titled("time per training step (median)", _table(header, rows, markdown),
                       markdown))

    header = ["workload", "threads", "GEMM GFLOP/step", "GEMM peak at its shapes",
              "square SGEMM peak", "nncore GFLOP/s (of peak)", "fused GFLOP/s (of peak)"]
    rows = []
    for threads, block in results["blocks"].items():
        for name, entry in block["workloads"].items():
            if "gemm" not in entry:
                continue
            flops, peak = entry["meta"]["gemm_flops"], entry["gemm"]["gflops"]
            cells = []
            for side in ("nncore", "torch-fused"):
                seconds = entry["median"].get(side)
                if seconds:
                    achieved = flops / seconds / 1e9
                    cells.append(f"{achieved:.0f} ({achieved / peak:.0%})")
                else:
                    cells.append("-")
            rows.append([name, str(threads), f"{flops / 1e9:.3f}", f"{peak:.0f} GFLOP/s",
                         f"{block.get('square_peak', math.nan):.0f} GFLOP/s", *cells])
    if rows:
        out.append(_titled("GEMM efficiency", _table(header, rows, markdown), markdown))

    rows = []
    for threads, block in results["blocks"].items():
        for name, entry in block["workloads"].items():
            parts, step = entry.get("breakdown"), entry["median"].get("nncore")
            if not parts or not step:
                continue
            peak = (entry.get("gemm") or {}).get("gflops")
            gemm = entry["meta"]["gemm_flops"] / peak / 1e9 if peak else None
            rest = step - parts["gradients"] - parts["optimizer"]
            rows.append([name, str(threads), seconds_text(step),
                         f"{seconds_text(parts['gradients'])} ({parts['gradients'] / step:.0%})",
                         "-" if gemm is None else f"{seconds_text(gemm)} ({gemm / step:.0%})",
                         f"{seconds_text(parts['optimizer'])} ({parts['optimizer'] / step:.0%})",
                         f"{seconds_text(rest)} ({rest / step:.0%})"])
    if rows:
        out.append(_titled("where an nncore step goes (parts timed on their own)",
                           _table(["workload", "threads", "step", "forward+loss+backward",
                                   "of which GEMMs at peak", "optimizer", "rest (trainer, guard)"],
                                  rows, markdown), markdown))

    rows = []
    for threads, block in results["blocks"].items():
        acc = block.get("accuracy")
        if acc and not acc.get("quick"):
            per_epoch = ", ".join(f"{e['test_accuracy']:.2%}" for e in acc["epochs"])
            rows.append([str(threads), per_epoch, f"{acc['seconds_per_epoch']:.2f} s",
                         str(acc.get("epoch_reaching_97") or "never")])
        elif acc:
            rows.append([str(threads), f"{acc['test_accuracy']:.2%} after "
                         f"{acc.get('steps', '?')} steps (quick)", "-", "-"])
    if rows:
        out.append(_titled("mnist-accuracy (784-128-64-10 ReLU, Adam 0.001, batch 128)",
                           _table(["threads", "MNIST test accuracy after each epoch",
                                   "seconds per epoch", "epoch reaching 97%"], rows, markdown),
                           markdown))

    rows = []
    for threads, block in results["blocks"].items():
        for name, entry in block["workloads"].items():
            samples = entry["samples"]
            if len(samples) < 2 or not all(samples.values()):
                continue
            first = {side: samples[side][0] for side in samples}
            rows.append([name, str(threads),
                         " / ".join(f"{first[side]['first_loss']:.5f}" for side in first),
                         " / ".join(f"{first[side]['last_loss']:.5f}" for side in first)])
    if rows:
        out.append(_titled("same data and initial weights: batch losses (nncore / PyTorch / "
                           "fused)", _table(["workload", "threads", "first step",
                                             "last timed step"], rows, markdown), markdown))

    calls = results.get("calls") or {}
    if calls:
        rows = [[name, f"{c['calls']:.0f}", ", ".join(f"{k} {v:g}" for k, v in
                                                       c["by_function"].items())]
                for name, c in calls.items()]
        out.append(_titled("NumPy calls per training step (nncore)",
                           _table(["workload", "calls", "by function"], rows, markdown),
                           markdown))

    rows = [[r["target"], "-" if r["threads"] is None else str(r["threads"]),
             "-" if r["value"] is None else f"{r['value']:.3f}", _met_text(r["met"])]
            for r in results.get("targets", [])]
    if rows:
        out.append(_titled("targets", _table(["target", "threads", "value", "result"], rows,
                                             markdown), markdown))
    return "\n\n".join(out)


def thread_advice(results: dict[str, Any]) -> str:
    """Which BLAS thread count was faster for nncore, workload by workload."""
    blocks = results["blocks"]
    if len(blocks) < 2:
        return ""
    lines = []
    names = next(iter(blocks.values()))["workloads"].keys()
    for name in names:
        times = {t: b["workloads"].get(name, {}).get("median", {}).get("nncore")
                 for t, b in blocks.items()}
        times = {t: v for t, v in times.items() if v}
        if len(times) < 2:
            continue
        best = min(times, key=times.get)
        parts = ", ".join(f"{t} thread{'s' if int(t) > 1 else ''} {seconds_text(v)}"
                          for t, v in times.items())
        lines.append(f"  {name}: {parts} -> fastest with {best}")
    return "nncore by BLAS threads:\n" + "\n".join(lines)
