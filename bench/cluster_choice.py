"""Ray or Dask.distributed for sweeps? The numbers behind docs/decisions.md (D23).

For each engine that is importable: start a local cluster of two single-threaded worker
processes (what the tests start), time the start, then the round trip of one no-op task
(median of 20), the overhead per task of 48 no-op tasks submitted at once, the round trip
of a task that carries a small sweep's payload (specs in, a report with weights out), the
shutdown, and the resident memory of the cluster's processes. ``python -m bench.cluster_choice``.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from typing import Any

PAYLOAD_OUT = 40_000  # bytes of a typical run's result (report + small weights)


def noop(x: Any) -> Any:
    """The task: returns what it was given (or a result of PAYLOAD_OUT bytes)."""
    if isinstance(x, dict) and x.get("big"):
        return {"report": x, "weights": b"\0" * PAYLOAD_OUT}
    return x


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return round(total / 1024, 1)


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    out.append(int(entry))
                    out += _children(int(entry))
            except OSError:
                pass
    return out


def measure_dask() -> dict[str, float]:
    from distributed import Client, LocalCluster

    started = time.perf_counter()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)
    client.wait_for_workers(2)
    out = {"start_s": time.perf_counter() - started}
    trips = []
    for i in range(20):
        t = time.perf_counter()
        client.submit(noop, i, pure=False).result()
        trips.append(time.perf_counter() - t)
    out["round_trip_ms"] = statistics.median(trips) * 1e3
    t = time.perf_counter()
    client.gather(client.map(noop, range(48), pure=False))
    out["per_task_ms_48"] = (time.perf_counter() - t) / 48 * 1e3
    t = time.perf_counter()
    client.submit(noop, {"big": True, "spec": "x" * 2000}, pure=False).result()
    out["payload_trip_ms"] = (time.perf_counter() - t) * 1e3
    out["rss_mb"] = _rss_mb([os.getpid(), *_children(os.getpid())])
    t = time.perf_counter()
    client.close()
    cluster.close()
    out["stop_s"] = time.perf_counter() - t
    return out


def measure_ray() -> dict[str, float]:
    import ray

    started = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    task = ray.remote(num_cpus=1)(noop)
    ray.get([task.remote(i) for i in range(2)])  # the first tasks start the worker processes
    out = {"start_s": time.perf_counter() - started}
    trips = []
    for i in range(20):
        t = time.perf_counter()
        ray.get(task.remote(i))
        trips.append(time.perf_counter() - t)
    out["round_trip_ms"] = statistics.median(trips) * 1e3
    t = time.perf_counter()
    ray.get([task.remote(i) for i in range(48)])
    out["per_task_ms_48"] = (time.perf_counter() - t) / 48 * 1e3
    t = time.perf_counter()
    ray.get(task.remote({"big": True, "spec": "x" * 2000}))
    out["payload_trip_ms"] = (time.perf_counter() - t) * 1e3
    out["rss_mb"] = _rss_mb([os.getpid(), *_children(os.getpid())])
    t = time.perf_counter()
    ray.shutdown()
    out["stop_s"] = time.perf_counter() - t
    return out


def main(argv: list[str] | None = None) -> int:
    names = argv if argv else ["dask", "ray"]
    results = {}
    for name in names:
        t = time.perf_counter()
        try:
            __import__({"dask": "distributed", "ray": "ray"}[name])
        except ImportError:
            results[name] = {"error": "not installed"}
            continue
        import_s = time.perf_counter() - t
        results[name] = {"import_s": import_s,
                         **(measure_dask() if name == "dask" else measure_ray())}
        results[name] = {k: round(v, 3) for k, v in results[name].items()}
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
