"""What the runner sends the views: which samples a confusion matrix counts, and at
which pace training steps come."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import nncore.runner as runner_module
from nncore.project import Project
from nncore.runner import GALLERY_SIZE, Runner
from nncore.spec import DataSpec, TrainingSpec, mlp_spec, to_dict


def _digits_runner(**training) -> Runner:
    return Runner(Project(mlp_spec([16]), TrainingSpec(batch_size=64, **training),
                          DataSpec("digits")))


def _independent_confusion(runner: Runner, indices: np.ndarray | None) -> np.ndarray:
    """Counted cell by cell with a Python loop over pairs, from the network's outputs."""
    data = runner.session.data
    x, labels = data.x_val, data.labels_val
    if indices is not None:
        x, labels = x[indices], labels[indices]
    predicted = runner.session.network.predict(x).argmax(axis=1)
    k = runner.session.splits.info.n_classes
    counts = np.zeros((k, k), dtype=np.int64)
    for true, guess in zip(labels.tolist(), predicted.tolist()):
        counts[true, guess] += 1
    return counts


def test_a_small_validation_set_is_counted_whole():
    runner = _digits_runner()
    runner.handle("step", "epoch")
    evaluation = runner._evaluate()
    n_val = runner.session.data.x_val.shape[0]
    assert evaluation.sample is None and evaluation.split_size == n_val
    np.testing.assert_array_equal(evaluation.confusion, _independent_confusion(runner, None))
    assert evaluation.coverage() == f"{n_val:,} validation samples (all)"


def test_while_running_a_large_set_is_sampled_and_says_so(monkeypatch):
    monkeypatch.setattr(runner_module, "EVALUATION_SAMPLE", 100)
    runner = _digits_runner()
    runner.handle("step", "epoch")
    n_val = runner.session.data.x_val.shape[0]
    evaluation = runner._evaluate()
    sample = evaluation.sample
    assert len(sample) == 100 == evaluation.confusion.sum() == evaluation.evaluated
    assert len(np.unique(sample)) == 100 and sample.max() < n_val
    np.testing.assert_array_equal(sample[:GALLERY_SIZE], np.arange(GALLERY_SIZE))
    np.testing.assert_array_equal(evaluation.confusion, _independent_confusion(runner, sample))
    assert evaluation.coverage() == f"100 of {n_val:,} validation samples (random sample)"
    np.testing.assert_array_equal(runner._evaluate().sample, sample)  # the same sample
    complete = runner._evaluate(complete=True)  # a pause or a step counts every sample
    assert complete.sample is None and complete.confusion.sum() == n_val


@pytest.mark.parametrize("command", [("pause",), ("step", "batch")])
def test_a_forced_update_evaluates_every_sample(monkeypatch, command):
    monkeypatch.setattr(runner_module, "EVALUATION_SAMPLE", 100)
    runner = _digits_runner()
    (_, update), = runner.handle(*command)
    assert update.evaluation.sample is None
    np.testing.assert_array_equal(update.evaluation.confusion,
                                  _independent_confusion(runner, None))


# -- pacing ---------------------------------------------------------------------------------


def _steps_in(runner: Runner, seconds: float) -> int:
    """Drive the runner as ``serve`` does for ``seconds``; how many steps it took."""
    import time

    runner.handle("run")
    end = time.perf_counter() + seconds
    while time.perf_counter() < end and runner.running:
        runner.run_for(0.02)
        time.sleep(min(runner.wait_seconds(), max(0.0, end - time.perf_counter())))
    return runner.session.trainer.step


def _spirals_runner(pace: float) -> Runner:
    return Runner(Project(mlp_spec([8]), TrainingSpec(epochs=100_000, steps_per_second=pace),
                          DataSpec("spirals")))


def test_a_paced_run_takes_fewer_steps_than_a_full_speed_one():
    seconds = 0.5
    paced = _steps_in(_spirals_runner(10.0), seconds)
    full = _steps_in(_spirals_runner(0.0), seconds)
    assert 1 <= paced < full
    # the pace is a ceiling whatever the machine: one step now, then one per 1/10 s
    assert paced <= 1 + seconds * 10 + 1


def test_the_pace_changes_mid_run_without_a_reset():
    runner = _spirals_runner(0.0)
    runner.handle("run")
    assert runner.wait_seconds() == 0.0
    spec = dataclasses.replace(runner.session.training_spec, steps_per_second=2.0)
    (kind, _), = runner.handle("set_training", to_dict(spec))
    assert kind == "update" and runner.pace == 2.0
    runner.run_for(0.05)
    assert runner.session.trainer.step == 1  # then it waits half a second
    assert 0 < runner.wait_seconds() <= 0.5


def test_the_pace_round_trips_through_a_saved_project(tmp_path):
    from nncore.project import load_project, save_project

    project = Project(mlp_spec([8]), TrainingSpec(steps_per_second=25.0), DataSpec("spirals"))
    loaded = load_project(save_project(project, tmp_path / "paced.bplab"))
    assert loaded.training.steps_per_second == 25.0
    older = Project(mlp_spec([8]), TrainingSpec(), DataSpec("spirals"))
    assert load_project(save_project(older, tmp_path / "old.bplab")).training \
        .steps_per_second == 0.0


@pytest.mark.parametrize("pace", [-1.0, float("nan"), 1e9])
def test_an_impossible_pace_is_refused_with_a_message(pace):
    from nncore.spec import validate_training

    problems = validate_training(TrainingSpec(steps_per_second=pace))
    assert [p.path for p in problems] == ["training.steps_per_second"]
    assert "full speed" in problems[0].message + problems[0].fix


def test_a_slow_run_reports_every_step_it_takes():
    import time

    runner = _spirals_runner(20.0)
    runner.handle("run")
    steps = []
    end = time.perf_counter() + 0.4
    while time.perf_counter() < end:
        steps += [u.snapshot.step for _, u in runner.run_for(0.02)]
        time.sleep(runner.wait_seconds())
    assert steps == list(range(1, runner.session.trainer.step + 1))
