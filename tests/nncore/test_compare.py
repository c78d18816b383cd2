"""Racing configurations: round-robin epochs, identical to training alone, clean endings."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from nncore.compare import build_sessions, compare_runs, configurations, final_records
from nncore.lessons import lesson_of, load_lesson
from nncore.project import Project
from nncore.session import Session
from nncore.spec import DataSpec, OptimizerSpec, TrainingSpec, mlp_spec


def _project(lr: float = 0.01, optimizer: str = "adam", epochs: int = 5,
             data: DataSpec | None = None) -> Project:
    return Project(mlp_spec([8]), TrainingSpec(optimizer=OptimizerSpec(optimizer, lr),
                                               epochs=epochs), data or DataSpec("moons"))


def test_runs_take_turns_one_epoch_each():
    stream = compare_runs(_project(), [("a", _project()), ("b", _project(0.1))], epochs=3)
    order = [(name, record.epoch) for name, record in stream]
    assert order == [("a", 1), ("b", 1), ("a", 2), ("b", 2), ("a", 3), ("b", 3)]


def test_each_run_trains_exactly_as_it_would_alone():
    project = _project(epochs=4)
    raced = [r for name, r in compare_runs(project, [("x", project), ("y", _project(0.1))])
             if name == "x"]
    alone = Session(project.network, project.training, project.data)
    alone.trainer.run()
    strip = [dataclasses.replace(r, seconds=0.0) for r in raced]
    assert strip == [dataclasses.replace(r, seconds=0.0) for r in alone.trainer.history.records]


def test_a_run_that_explodes_drops_out_and_the_others_go_on():
    sine = DataSpec("sine")
    exploding = Project(mlp_spec([16, 16], output_activation="linear"),
                        TrainingSpec(loss="mse", optimizer=OptimizerSpec("sgd", 0.3), epochs=30),
                        sine)
    calm = dataclasses.replace(exploding, training=dataclasses.replace(
        exploding.training, optimizer=OptimizerSpec("sgd", 0.03)))
    last = final_records(compare_runs(calm, {"calm": calm, "exploding": exploding}))
    assert last["calm"].epoch == 30 and last["exploding"].epoch < 10


def test_the_lesson_race_runs_its_variants_on_one_copy_of_the_data():
    project = load_lesson("optimizers-race")
    variants = lesson_of(project).variants
    sessions = build_sessions(project, variants, epochs=2)
    assert [name for name, _ in sessions] == ["sgd", "momentum", "rmsprop", "adam"]
    assert len({id(session.splits) for _, session in sessions}) == 1
    assert [s.training_spec.optimizer.name for _, s in sessions] == \
        ["sgd", "momentum", "rmsprop", "adam"]


def test_stopping_early_is_just_not_iterating():
    stream = compare_runs(_project(), [("a", _project(epochs=10_000))])
    assert len(list(itertools.islice(stream, 3))) == 3
    stream.close()


def test_bad_configurations_fail_before_the_first_epoch():
    with pytest.raises(ValueError, match="unique"):
        configurations(_project(), [("a", _project()), ("a", _project())])
    broken = _project(data=DataSpec("no-such-set"))
    with pytest.raises(ValueError, match="no-such-set"):
        next(compare_runs(_project(), [("ok", _project()), ("broken", broken)]))
