"""How much the runtime doctor costs training: the two spirals through a ``Runner``.

The runner feeds the doctor every update (up to 30 a second, layer statistics at 5 Hz),
exactly as in the app. We time the doctor's ``observe`` calls directly and compare them with
the total training time, and also time the same run with the doctor replaced by a stub.
The doctor also measures the data once per run (``nncore.doctor.reference``: the best
straight line and a nearest-neighbour estimate of what is attainable); ``reference_cost``
times that against training (the spirals here, MNIST with ``--mnist``).
Run ``python bench/doctor_overhead.py``; ``run()`` returns the numbers (no asserts: timing
belongs in benchmarks, not tests). Budget: under 5 % of training time, both together.
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
    reference = reference_cost(load_lesson("two-spirals"))
    return {
        "seconds_reference": reference,
        "doctor_and_reference_share": round((inside[best] + reference) / with_doctor[best], 4),
        "epochs": epochs,
        "updates": updates,
        "seconds_with_doctor": round(min(with_doctor), 4),
        "seconds_without_doctor": round(min(without), 4),
        "seconds_in_doctor": round(inside[best], 4),
        "doctor_share": round(inside[best] / with_doctor[best], 4),
        "wall_clock_overhead": round(min(with_doctor) / min(without) - 1, 4),
    }


def reference_cost(project) -> float:
    """Seconds to measure the yardsticks of ``project``'s data (uncached)."""
    from nncore.data import load_dataset, prepare
    from nncore.doctor.reference import _measure

    splits = prepare(load_dataset(project.data), project.data)
    started = time.perf_counter()
    _measure(splits)
    return round(time.perf_counter() - started, 4)


def mnist_reference_share(epochs: int = 1) -> dict:
    """The yardsticks' cost on MNIST against ``epochs`` epochs of a 784-64-10 network."""
    import dataclasses

    from nncore.session import Session
    from nncore.spec import DataSpec, TrainingSpec, mlp_spec

    data = DataSpec("mnist")
    session = Session(mlp_spec([64], "relu", init="he_normal"),
                      TrainingSpec(epochs=epochs, batch_size=64), data)
    started = time.perf_counter()
    session.trainer.run()
    training = time.perf_counter() - started
    project = dataclasses.replace(load_lesson("two-spirals"), data=data)
    reference = reference_cost(project)
    return {"mnist_training_seconds": round(training, 3), "mnist_reference_seconds": reference,
            "mnist_reference_share": round(reference / training, 4)}


if __name__ == "__main__":
    import sys

    result = run()
    if "--mnist" in sys.argv:
        result.update(mnist_reference_share())
    print(json.dumps(result, indent=2))
