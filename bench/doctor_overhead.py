"""How much the runtime doctor costs training: the two spirals through a ``Runner``.

The runner feeds the doctor every update (up to 30 a second, layer statistics at 5 Hz),
exactly as in the app. We time the doctor's ``observe`` calls directly and compare them with
the total training time, and also time the same run with the doctor replaced by a stub.
Run ``python bench/doctor_overhead.py``; ``run()`` returns the numbers (no asserts: timing
belongs in benchmarks, not tests). Budget: under 5 % of training time.
"""

from __future__ import annotations

import json
import time

from nncore.lessons import load_lesson
from nncore.runner import Runner


def _train(epochs: int, doctor: bool) -> tuple[float, float, int]:
    project = load_lesson("two-spirals")
    runner = Runner(project)
    runner.session.trainer.epochs = epochs
    inside = [0.0]
    observe = runner.doctor.observe

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return observe(*args, **kwargs) if doctor else []
        finally:
            inside[0] += time.perf_counter() - started

    runner.doctor.observe = timed  # type: ignore[method-assign]
    runner.handle("run")
    started = time.perf_counter()
    updates = 0
    while runner.running:
        updates += sum(1 for kind, *_ in runner.run_for(0.02) if kind == "update")
    return time.perf_counter() - started, inside[0], updates


def run(epochs: int = 300, repeats: int = 3) -> dict:
    """Seconds with and without the doctor, and the doctor's share of training time."""
    with_doctor, without, inside, updates = [], [], [], 0
    for _ in range(repeats):
        total, spent, updates = _train(epochs, doctor=True)
        with_doctor.append(total)
        inside.append(spent)
        without.append(_train(epochs, doctor=False)[0])
    best = min(range(repeats), key=lambda i: with_doctor[i])
    return {
        "epochs": epochs,
        "updates": updates,
        "seconds_with_doctor": round(min(with_doctor), 4),
        "seconds_without_doctor": round(min(without), 4),
        "seconds_in_doctor": round(inside[best], 4),
        "doctor_share": round(inside[best] / with_doctor[best], 4),
        "wall_clock_overhead": round(min(with_doctor) / min(without) - 1, 4),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
