"""Every shipped lesson loads and trains headless, and tells the truth.

Failing variants must raise the findings the lesson promises (on the promised layers), and
applying the first one's fix must reach the documented target; working variants must reach
their targets without a single warning. Runs use the lesson's ``quick`` changes (MNIST
with fewer samples).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import pytest

from nncore.doctor import CODES, examine_session
from nncore.lessons import (
    LessonError,
    Target,
    apply_changes,
    lesson_of,
    lessons_dir,
    list_lessons,
    load_lesson,
    parse_lesson,
    quick_project,
)
from nncore.project import load_project
from nncore.session import Session

EXPECTED_IDS = ["two-spirals", "fit-x-squared", "iris-wrong-gradient", "sigmoid-tanh-normalise",
                "mnist-from-zeros", "optimizers-race", "learning-rate-too-high"]
SLOW_LESSONS = {"mnist-from-zeros"}


def _variants(kinds: tuple[str, ...]) -> list:
    cases = []
    for info in list_lessons():
        lesson = lesson_of(load_lesson(info.id))
        for variant in lesson.variants:
            if variant.kind in kinds and (variant.expect or variant.target):
                marks = [pytest.mark.slow] if info.id in SLOW_LESSONS else []
                cases.append(pytest.param(info.id, variant.name, marks=marks,
                                          id=f"{info.id}/{variant.name}"))
    return cases


def _run(project, target: Target) -> list:
    training = dataclasses.replace(project.training, epochs=target.epochs)
    session = Session(project.network, training, project.data)
    session.trainer.run()
    return session.trainer.history.records


# --------------------------------------------------------------------------- the shelf


def test_the_seven_lessons_are_listed_in_order():
    infos = list_lessons()
    assert [info.id for info in infos] == EXPECTED_IDS
    assert [info.order for info in infos] == list(range(1, 8))
    for info in infos:
        assert info.summary and info.title and info.variants


@pytest.mark.parametrize("lesson_id", EXPECTED_IDS)
def test_each_lesson_is_a_project_with_complete_text(lesson_id):
    path = next(i.path for i in list_lessons() if i.id == lesson_id)
    project = load_project(path)  # an ordinary project document
    lesson = parse_lesson(project.lesson, path.name)
    assert lesson.goal and lesson.steps and lesson.watch and lesson.why
    opened = load_lesson(lesson_id)
    assert opened.title == lesson.title and opened.weights is None
    for variant in lesson.variants:
        assert load_lesson(lesson_id, variant.name).lesson == project.lesson
        if variant.expect:
            assert all(code in CODES for code, _ in variant.expect.findings)


def test_the_default_lesson_opens_on_a_network_that_learns_the_spirals():
    project = load_lesson("two-spirals")
    assert project.data.source == "spirals" and project.training.optimizer.name == "adam"
    records = _run(project, Target("train_accuracy", 300, min=0.95))
    assert max(r.train_metric for r in records) >= 0.95
    assert next(r.epoch for r in records if r.train_metric >= 0.95) <= 150


def test_docs_tell_each_lessons_story():
    text = (Path(__file__).parents[2] / "docs" / "lessons.md").read_text(encoding="utf-8")
    for lesson_id in EXPECTED_IDS:
        assert f"`{lesson_id}`" in text


# --------------------------------------------------------------------------- variants


@pytest.mark.parametrize(("lesson_id", "variant_name"), _variants(("failing",)))
def test_a_failing_variant_raises_its_findings_and_its_fix_trains(lesson_id, variant_name):
    project = quick_project(load_lesson(lesson_id, variant_name))
    expect = lesson_of(project).variant(variant_name).expect
    findings = examine_session(Session(project.network, project.training, project.data),
                               expect.epochs)
    found = {f.key for f in findings}
    for key in expect.findings:
        assert key in found, f"{key} not among {sorted(found, key=str)}"
    if expect.after_fix is not None:
        first = next(f for f in findings if f.key == expect.findings[0])
        assert first.fix is not None
        network, training, data = first.fix.apply(project.network, project.training,
                                                  project.data)
        fixed = dataclasses.replace(project, network=network, training=training, data=data)
        records = _run(fixed, expect.after_fix)
        assert expect.after_fix.reached(records), \
            f"{expect.after_fix.metric} best {expect.after_fix.best(records):.3f}"


@pytest.mark.parametrize(("lesson_id", "variant_name"),
                         _variants(("working", "race", "alternative")))
def test_a_working_variant_reaches_its_target(lesson_id, variant_name):
    project = quick_project(load_lesson(lesson_id, variant_name))
    variant = lesson_of(project).variant(variant_name)
    target = variant.target
    training = dataclasses.replace(project.training, epochs=target.epochs)
    session = Session(project.network, training, project.data)
    session.trainer.run()
    records = session.trainer.history.records
    assert target.reached(records), f"{target.metric} best {target.best(records):.3f}"
    if variant.kind == "working":
        alarms = [(f.code, f.layer) for f in examine_session(session) if f.is_open]
        assert alarms == []


# --------------------------------------------------------------------------- errors


def _write(folder: Path, name: str, document: dict) -> Path:
    path = folder / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _lesson_document(**lesson) -> dict:
    base = json.loads((lessons_dir() / "01-two-spirals.json").read_text(encoding="utf-8"))
    base["lesson"] = {**base["lesson"], "id": "mine", "order": 9, **lesson}
    return base


def test_a_broken_lesson_file_is_skipped_with_a_warning(tmp_path, caplog):
    _write(tmp_path, "good.json", _lesson_document())
    (tmp_path / "not-json.json").write_text("{", encoding="utf-8")
    _write(tmp_path, "no-order.json", _lesson_document(order="first"))
    _write(tmp_path, "bad-variant.json", _lesson_document(
        id="bad", variants=[{"name": "x", "title": "X", "layers": {"dense-9": {"units": 3}}}]))
    with caplog.at_level(logging.WARNING, logger="nncore.lessons"):
        infos = list_lessons(tmp_path)
    assert [info.id for info in infos] == ["mine"]
    assert len([r for r in caplog.records if "skipping" in r.message]) == 3


def test_unknown_lessons_and_variants_are_clear_errors():
    with pytest.raises(LessonError, match=r"no lesson 'nope'.*two-spirals"):
        load_lesson("nope")
    with pytest.raises(LessonError, match=r"no variant 'nope'.*no-hidden"):
        load_lesson("two-spirals", "nope")


def test_partial_changes_merge_into_the_specs():
    project = load_lesson("two-spirals")
    changed = apply_changes(project, layers={"dense-1": {"units": 4}},
                            training={"optimizer": {"lr": 0.5}}, data={"options": {"noise": 0.1}})
    assert changed.network.layer("dense-1").units == 4
    assert changed.training.optimizer.lr == 0.5 and changed.training.optimizer.name == "adam"
    assert changed.data.options == {"n": 1000, "noise": 0.1, "turns": 1.75}
    with pytest.raises(LessonError, match="lr"):
        apply_changes(project, training={"optimizer": {"lr": -1}})
