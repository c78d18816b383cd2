"""Assignments: authoring, goals checked against independent numbers, locks, grading."""

from __future__ import annotations

import csv
import dataclasses
import json
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nncore.assignments import (
    Assignment,
    AssignmentError,
    Evidence,
    Goal,
    Lock,
    all_met,
    assignment_of,
    count_parameters,
    enforce_locks,
    evaluate,
    evidence_from_session,
    hand_in,
    hidden_units,
    lock_violations,
    make_assignment,
    parse_assignment,
)
from nncore.cli import main
from nncore.grading import grade_all
from nncore.network import build
from nncore.project import Project, load_project, save_project
from nncore.session import Session, session_to_project
from nncore.spec import (
    DataSpec,
    OptimizerSpec,
    TrainingSpec,
    mlp_spec,
    resolve_output,
)
from nncore.training import EpochRecord

DATA = DataSpec("moons", {"n": 300, "noise": 0.1})
GOALS = (Goal("metric", metric="val_accuracy", min=0.95),
         Goal("epochs", max=50),
         Goal("optimizer", name="adam"),
         Goal("finding", code="learning-rate-too-high", present=False))
LOCKS = (Lock("data", "everyone uses the same moons"), Lock("architecture", "one layer of 8"),
         Lock("seed", "so runs can be compared"))


def _start() -> Project:
    return Project(mlp_spec([8], "tanh"),
                   TrainingSpec(optimizer=OptimizerSpec("adam", 0.001), epochs=40, seed=1),
                   DATA, title="start")


def _assignment(tmp_path):
    project = make_assignment(_start(), title="Moons in 40 epochs",
                              text="Reach 95% validation accuracy.",
                              steps=["Change the learning rate.", "Train."],
                              hints=["Try ten or thirty times the rate."], goals=GOALS,
                              locks=LOCKS)
    path = tmp_path / "moons.json"
    save_project(project, path)
    # an assignment file is plain JSON a teacher can edit: keep only the readable part
    with zipfile.ZipFile(path) as zf:
        path.write_bytes(zf.read("project.json"))
    return path


def _record(epoch: int, val_metric: float, train_loss: float = 0.5) -> EpochRecord:
    return EpochRecord(epoch, epoch * 10, train_loss, train_loss, 0.5, val_metric, 0.01,
                       train_loss, 0.1)


# --------------------------------------------------------------------------- schema


def test_authored_assignment_round_trips_as_plain_json(tmp_path):
    path = _assignment(tmp_path)
    document = json.loads(path.read_text())
    assert document["lesson"]["assignment"]["version"] == 1
    project = load_project(path)
    assignment = assignment_of(project)
    assert assignment == Assignment(GOALS, LOCKS, ("Try ten or thirty times the rate.",))
    assert project.lesson["steps"] == ["Change the learning rate.", "Train."]
    assert project.weights is None and project.history is None


@pytest.mark.parametrize("bad, message", [
    ({"goals": [{"kind": "speed"}]}, "'kind' must be one of"),
    ({"goals": [{"kind": "metric", "metric": "val_accuracy"}]}, "one bound"),
    ({"goals": [{"kind": "metric", "metric": "val_f1", "min": 1}]}, "'metric' must be"),
    ({"goals": [{"kind": "epochs"}]}, "needs 'max'"),
    ({"goals": [{"kind": "finding"}]}, "needs 'code'"),
    ({"goals": [{"kind": "epochs", "max": 3, "colour": 1}]}, "unknown field 'colour'"),
    ({"locks": [{"control": "everything"}]}, "'control' must be one of"),
    ({"version": 99}, "update Backprop Lab"),
    ({"hints": "read the docs"}, "must be a list"),
    ({"goals": [{"kind": "epochs", "max": 10 ** 400}]}, "finite number"),
    ({"locks": [{"control": ["data"]}]}, "'control' must be one of"),
])
def test_malformed_assignments_name_the_field(bad, message):
    with pytest.raises(AssignmentError, match=message):
        parse_assignment(bad)


# --------------------------------------------------------------------------- goals


def test_metric_goals_use_the_final_or_the_best_epoch():
    records = [_record(1, 0.90), _record(2, 0.97), _record(3, 0.93)]
    evidence = Evidence(mlp_spec([8]), TrainingSpec(), records)
    final, best = evaluate([Goal("metric", metric="val_accuracy", min=0.95),
                            Goal("metric", metric="val_accuracy", min=0.95, at="best")],
                           evidence)
    assert (final.met, final.measured) == (False, 0.93)
    assert (best.met, best.measured) == (True, 0.97)
    loss = evaluate([Goal("metric", metric="train_loss", max=0.4)],
                    Evidence(mlp_spec([8]), TrainingSpec(), [_record(1, 0.5, 0.3)]))[0]
    assert loss.met and loss.measured == 0.3


def test_goals_are_pending_until_they_can_be_told():
    evidence = Evidence(mlp_spec([8]), TrainingSpec(), [])
    statuses = evaluate([GOALS[0], GOALS[3]], evidence)
    assert [s.met for s in statuses] == [None, None]
    assert not all_met(statuses)
    # accuracy asked of a regression run is never met (no such numbers)
    regression = Evidence(mlp_spec([8]), TrainingSpec(), [_record(1, 0.99)], "r2")
    assert evaluate([GOALS[0]], regression)[0].met is None


def test_budget_optimizer_and_finding_goals():
    network = mlp_spec([8, 4])
    evidence = Evidence(network, TrainingSpec(optimizer=OptimizerSpec("sgd", 0.1)),
                        [_record(e, 0.9) for e in range(1, 61)], n_parameters=65,
                        findings=(("dead-relu", "dense-1"),))
    statuses = evaluate([Goal("epochs", max=50), Goal("parameters", max=65),
                         Goal("units", max=11), Goal("optimizer", name="adam"),
                         Goal("finding", code="dead-relu", present=False),
                         Goal("finding", code="dead-relu", layer="dense-2", present=False),
                         Goal("finding", code="dead-relu", layer="dense-1", present=True)],
                        evidence)
    assert [s.met for s in statuses] == [False, True, False, False, False, True, True]
    assert [s.measured for s in statuses[:4]] == [60, 65, 12, "sgd"]


def test_parameter_count_matches_the_built_network():
    network = mlp_spec([7, 5], "relu")
    resolved = resolve_output(network, TrainingSpec(), "multiclass", 3)
    built = build(network, n_inputs=4, resolved=resolved, rng=np.random.default_rng(0))
    expected = 4 * 7 + 7 + 7 * 5 + 5 + 5 * 3 + 3
    assert count_parameters(network, 4, 3) == built.n_parameters == expected
    assert hidden_units(network) == 12


def test_a_run_meets_the_goals_and_a_weaker_run_misses_them():
    good = Session(mlp_spec([8], "tanh"),
                   TrainingSpec(optimizer=OptimizerSpec("adam", 0.03), epochs=40, seed=1), DATA)
    good.trainer.run()
    weak = Session(mlp_spec([8], "tanh"),
                   TrainingSpec(optimizer=OptimizerSpec("adam", 0.0005), epochs=10, seed=1),
                   DATA)
    weak.trainer.run()
    met = evaluate(GOALS[:3], evidence_from_session(good))
    missed = evaluate(GOALS[:3], evidence_from_session(weak))
    assert all_met(met), met
    assert [s.met for s in missed] == [False, True, True]
    # the measured number is the run's own final validation accuracy
    assert missed[0].measured == weak.trainer.history.last.val_metric


# --------------------------------------------------------------------------- locks


def test_locks_catch_changes_to_locked_controls_only(tmp_path):
    reference = load_project(_assignment(tmp_path))
    assignment = assignment_of(reference)
    free = dataclasses.replace(reference.training,
                               optimizer=OptimizerSpec("adam", 0.03), epochs=30)
    assert lock_violations(assignment, reference, reference.network, free, DATA) == []
    wider = mlp_spec([16], "tanh")
    other_data = DataSpec("moons", {"n": 300, "noise": 0.3})
    reseeded = dataclasses.replace(free, seed=7)
    broken = lock_violations(assignment, reference, wider, reseeded, other_data)
    assert [lk.control for lk in broken] == ["data", "architecture", "seed"]
    assert broken[0].reason == "everyone uses the same moons"


def test_enforcing_locks_restores_locked_values_and_keeps_free_ones(tmp_path):
    reference = load_project(_assignment(tmp_path))
    assignment = assignment_of(reference)
    network = mlp_spec([16, 4], "relu")  # architecture locked, activations free
    student = dataclasses.replace(
        reference, network=network,
        training=dataclasses.replace(reference.training, seed=9,
                                     optimizer=OptimizerSpec("adam", 0.05)))
    fixed = enforce_locks(assignment, reference, student)
    assert [layer.id for layer in fixed.network.layers] == ["dense-1", "dense-2"]
    assert fixed.network.layers[0].units == 8
    assert fixed.network.layers[0].activation == "relu"  # free: the student's choice stays
    assert fixed.training.seed == 1 and fixed.training.optimizer.lr == 0.05
    assert lock_violations(assignment, reference, fixed.network, fixed.training,
                           fixed.data) == []


def test_hand_in_needs_an_assignment():
    with pytest.raises(AssignmentError, match="not an assignment"):
        hand_in(_start(), [])


# --------------------------------------------------------------------------- grading


def _submission(tmp_path, name: str, lr: float, epochs: int, *, tamper: bool = False,
                **training_changes):
    reference = load_project(tmp_path / "moons.json")
    training = dataclasses.replace(reference.training, optimizer=OptimizerSpec("adam", lr),
                                   epochs=epochs, **training_changes)
    session = Session(reference.network, training, reference.data)
    session.trainer.run()
    project = session_to_project(session, lesson=reference.lesson, title=name)
    statuses = evaluate(GOALS, evidence_from_session(session))
    if tamper:  # a hand-edited history claiming a result the run did not get
        records = [dataclasses.replace(r, val_metric=0.99, train_metric=0.99)
                   for r in project.history.records]
        project.history = dataclasses.replace(project.history, records=records)
    path = tmp_path / "in" / f"{name}.bplab"
    path.parent.mkdir(exist_ok=True)
    save_project(hand_in(project, statuses, student=name), path)
    return path


@pytest.fixture
def folder(tmp_path):
    _assignment(tmp_path)
    _submission(tmp_path, "ada", 0.03, 40)
    _submission(tmp_path, "bob", 0.0005, 10)
    _submission(tmp_path, "eve", 0.0005, 10, tamper=True)
    _submission(tmp_path, "lin", 0.03, 40, seed=5)  # changed a locked control
    (tmp_path / "in" / "zed.bplab").write_bytes(b"PK\x03\x04 not really a zip")
    other = make_assignment(_start(), title="Another assignment", goals=GOALS)
    save_project(other, tmp_path / "in" / "foreign.bplab")
    return tmp_path


def _rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return {row["file"]: row for row in csv.DictReader(f)}


def test_grade_a_folder_without_retraining_trusts_the_history(folder, capsys):
    out = folder / "grades.csv"
    assert main(["grade", str(folder / "moons.json"), str(folder / "in"), "--csv", str(out),
                 "--jobs", "1"]) == 0
    rows = _rows(out)
    assert rows["ada.bplab"]["status"] == "pass"
    assert rows["bob.bplab"]["status"] == "fail"
    assert rows["eve.bplab"]["status"] == "pass"  # the edit is only caught by --retrain
    assert rows["lin.bplab"]["status"] == "fail" and "seed" in rows["lin.bplab"]["reason"]
    assert rows["zed.bplab"]["status"] == "error" and rows["zed.bplab"]["reason"]
    assert rows["foreign.bplab"]["status"] == "error"
    assert "foreign" in rows["foreign.bplab"]["reason"]
    assert rows["bob.bplab"]["goal1 val_accuracy met"] == "False"
    assert rows["ada.bplab"]["goal2 epochs measured"] == "40"
    assert "2 pass, 2 fail, 0 mismatch, 2 error of 6" in capsys.readouterr().out


def test_grade_with_retrain_catches_the_tampered_submission(folder):
    out = folder / "grades.csv"
    assert main(["grade", str(folder / "moons.json"), str(folder / "in"), "--csv", str(out),
                 "--retrain", "--jobs", "2"]) == 0
    rows = _rows(out)
    assert rows["ada.bplab"]["status"] == "pass"
    assert rows["bob.bplab"]["status"] == "fail"
    assert rows["eve.bplab"]["status"] == "mismatch"
    assert "tampered" in rows["eve.bplab"]["reason"]
    # the goals of the tampered file are those of the re-run: it did not reach 95 %
    assert rows["eve.bplab"]["goal1 val_accuracy met"] == "False"
    assert float(rows["eve.bplab"]["goal1 val_accuracy measured"]) < 0.9
    assert rows["zed.bplab"]["status"] == "error"


def test_retrained_goals_equal_the_original_run(folder):
    rows = grade_all(str(folder / "moons.json"), [str(folder / "in" / "ada.bplab")],
                     retrain=True, jobs=1)
    assert rows[0].status == "pass"
    assert [s.measured for s in rows[0].goals] == [s.measured for s in rows[0].claimed]


def test_grade_refuses_a_file_that_is_not_an_assignment(tmp_path, capsys):
    path = tmp_path / "plain.bplab"
    save_project(_start(), path)
    assert main(["grade", str(path), str(path)]) == 2
    assert "not an assignment" in capsys.readouterr().err


def test_opening_records_the_start_and_restores_hand_edited_locks(tmp_path):
    from nncore.assignments import with_lock_reference

    opened, reference, restored = with_lock_reference(load_project(_assignment(tmp_path)))
    assert restored == [] and reference is opened
    assert opened.lesson["start"]["training"]["seed"] == 1
    # the student saves, then edits the file by hand: other data, another seed, a new rate
    edited = dataclasses.replace(
        opened, data=DataSpec("moons", {"n": 300, "noise": 0.0}),
        training=dataclasses.replace(opened.training, seed=3,
                                     optimizer=OptimizerSpec("adam", 0.05)))
    again, _, restored = with_lock_reference(edited)
    assert sorted(lk.control for lk in restored) == ["data", "seed"]
    assert again.data == DATA and again.training.seed == 1
    assert again.training.optimizer.lr == 0.05  # not locked: the student's value stays


@pytest.mark.slow
def test_shipped_lessons_goals_are_met_by_the_working_variant_only():
    from nncore.doctor import examine_session
    from nncore.lessons import lesson_of, list_lessons, load_lesson, quick_project

    checked = 0
    for info in list_lessons():
        opened = load_lesson(info.id)
        assignment = assignment_of(opened)
        if assignment is None:
            continue
        lesson = lesson_of(opened)
        working = next(v for v in lesson.variants if v.kind == "working")
        runs = {"working": working.apply(opened)}
        if lesson.variants[0].kind == "failing" and not any(
                (lesson.variants[0].network, lesson.variants[0].layers,
                 lesson.variants[0].training, lesson.variants[0].data)):
            runs["as opened"] = opened  # the lesson opens on its failing setup
        for name, project in runs.items():
            project = quick_project(project)
            session = Session(project.network, project.training, project.data)
            session.trainer.run()
            statuses = evaluate(assignment.goals,
                                evidence_from_session(session, examine_session(session)))
            assert all_met(statuses) == (name == "working"), (info.id, name, statuses)
            checked += 1
    assert checked >= 10


def test_test_split_goals_use_the_final_weights():
    data = DataSpec("moons", {"n": 300, "noise": 0.1}, test_split=0.2)
    session = Session(mlp_spec([8], "tanh"),
                      TrainingSpec(optimizer=OptimizerSpec("adam", 0.03), epochs=20, seed=1),
                      data)
    session.trainer.run()
    goal = Goal("metric", metric="test_accuracy", min=0.5)
    status = evaluate([goal], evidence_from_session(session))[0]
    # independently: threshold the predicted probabilities of the test inputs
    p = session.network.predict(session.splits.x_test)[:, 0]
    expected = float(np.mean((p > 0.5) == session.splits.y_test.reshape(-1)))
    assert status.met and status.measured == pytest.approx(expected)
    pending = evaluate([goal], Evidence(session.network_spec, session.training_spec,
                                        session.trainer.history.records))[0]
    assert pending.met is None and "when graded" in pending.detail


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), value=JSON)
def test_any_value_anywhere_gives_an_assignment_or_a_clear_error(data, value):
    document = Assignment(GOALS, LOCKS, ("a hint",)).to_dict()
    paths = [("goals", i, k) for i, g in enumerate(document["goals"]) for k in g] + [
        ("locks", 0, "control"), ("locks", 0, "reason"), ("hints", 0), ("version",),
        ("goals",), ("locks",), ("hints",), ("goals", 0)]
    *parents, last = data.draw(st.sampled_from(paths))
    target = document
    for key in parents:
        target = target[key]
    target[last] = value
    try:
        parsed = parse_assignment(document)
    except AssignmentError as err:
        assert str(err)
    else:
        for goal in parsed.goals:
            assert goal.describe()
