"""Start-up time: from launching the app to a usable window, from source and packaged.

Each launch runs ``backprop-lab --startup-probe`` (the window is built, shown and has
answered one event-loop turn, then the app quits) and times launch → the ``window-ready``
line. Run: ``python -m bench.startup`` (add ``--packaged PATH`` to time a built executable).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def time_launch(command: list[str], env: dict[str, str]) -> float:
    """Seconds from launching ``command`` to its ``window-ready`` line."""
    started = time.perf_counter()
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True, env=env, cwd=tempfile.gettempdir()) as process:
        for line in process.stdout:
            if line.strip() == "window-ready":
                elapsed = time.perf_counter() - started
                process.wait(timeout=30)
                return elapsed
        process.wait(timeout=30)
    raise RuntimeError(f"{command[0]} exited with {process.returncode} before its window "
                       "was ready")


def measure(command: list[str], repeat: int) -> dict[str, float]:
    """Median and extremes over ``repeat`` launches (the first one warms caches)."""
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    with tempfile.TemporaryDirectory() as home:
        env["BACKPROP_LAB_HOME"] = home
        times = [time_launch(command, env) for _ in range(repeat)]
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
            "first_s": times[0], "launches": len(times)}


def run(packaged: str | None = None, repeat: int = 5) -> dict[str, dict[str, float]]:
    """Start-up times from source (and of a packaged executable if given)."""
    results = {"source": measure([sys.executable, "-m", "app", "--startup-probe"], repeat)}
    if packaged:
        results["packaged"] = measure([str(Path(packaged).resolve()), "--startup-probe"], repeat)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--packaged", help="path of a built backprop-lab executable")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)
    results = run(args.packaged, args.repeat)
    for name, r in results.items():
        print(f"{name:<9} launch to usable window: median {r['median_s']:.2f} s "
              f"(first {r['first_s']:.2f} s, range {r['min_s']:.2f}-{r['max_s']:.2f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
