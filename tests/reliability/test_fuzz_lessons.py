"""Lesson files a teacher edited by hand (or a student broke): the shelf skips a malformed
file with a logged warning and lists the rest; loading it by name is a clear
``LessonError``; nothing raises anything else.

Every shipped lesson is mutated: truncated, bit-flipped, every field of its ``lesson``
object (goal, steps, variants and their changes, targets, expectations, quick settings)
given every wrong type, and hypothesis JSON values in any place.
"""

from __future__ import annotations

import copy
import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nncore.errors import NNCoreError
from nncore.lessons import LessonError, lessons_dir, list_lessons, load_lesson, quick_project
from tests.reliability.mutations import field_paths, replaced

SHIPPED = sorted(lessons_dir().glob("*.json"))
WRONG = (None, True, 0, -1, 2 ** 1000, 1e308, "", "text", [], [1, None], {}, {"x": {"y": 1}})
FUZZ = settings(max_examples=250, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@pytest.fixture(scope="module")
def originals() -> dict[str, dict]:
    return {path.name: json.loads(path.read_text(encoding="utf-8")) for path in SHIPPED}


@pytest.fixture
def shelf(tmp_path) -> Path:
    """A copy of the shipped lessons to damage."""
    folder = tmp_path / "lessons"
    shutil.copytree(lessons_dir(), folder)
    return folder


@pytest.fixture
def alone(tmp_path) -> Path:
    """An empty shelf for one damaged lesson (listing seven lessons per case is slow)."""
    folder = tmp_path / "alone"
    folder.mkdir()
    return folder


def check_shelf(folder: Path, damaged: Path, lesson_id: str, caplog) -> bool:
    """The shelf lists every intact lesson; the damaged one is listed or skipped with a
    warning; loading it gives a project or a LessonError. True if it was skipped."""
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="nncore.lessons"):
        infos = list_lessons(folder)
    total = len(list(folder.glob("*.json")))
    skipped = len(infos) == total - 1
    assert len(infos) == total or skipped  # every intact lesson is still there
    assert not skipped or f"skipping the lesson file {damaged}" in caplog.text
    try:
        project = load_lesson(lesson_id, folder=folder)
    except LessonError as err:
        assert str(err)
    else:
        try:
            quick_project(project)  # the faster settings automated runs use
        except LessonError as err:
            assert "quick" in str(err)
    return skipped


@pytest.mark.parametrize("name", [path.name for path in SHIPPED])
def test_truncated_and_bit_flipped_lesson_files(shelf, alone, originals, caplog, tally, name):
    """On the full shelf (the other six must stay listed) for a few cuts, alone for more."""
    data = (shelf / name).read_bytes()
    lesson_id = originals[name]["lesson"]["id"]
    rng = np.random.default_rng(len(name))
    skipped = 0
    for i, k in enumerate(range(0, len(data), max(1, len(data) // 40))):
        folder = shelf if i % 10 == 0 else alone
        (folder / name).write_bytes(data[:k])
        skipped += check_shelf(folder, folder / name, lesson_id, caplog)
        tally("lessons: truncations")
    for i in range(40):
        damaged = bytearray(data)
        for position in rng.integers(0, len(damaged), size=3):
            damaged[position] ^= 1 << int(rng.integers(0, 8))
        folder = shelf if i % 10 == 0 else alone
        (folder / name).write_bytes(bytes(damaged))
        check_shelf(folder, folder / name, lesson_id, caplog)
        tally("lessons: bit flips")
    assert skipped >= 35


@pytest.mark.parametrize("name", [path.name for path in SHIPPED])
def test_every_lesson_field_gets_wrong_values(alone, originals, caplog, tally, name):
    """Every field of the lesson object gets four of the twelve wrong values (rotating, so
    each value meets every kind of field across the lessons)."""
    document = originals[name]
    lesson_id = document["lesson"]["id"]
    path = alone / name
    paths = [("lesson", *p) for p in field_paths(document["lesson"]) if p != ("id",)]
    outcomes = {True: 0, False: 0}
    for i, where in enumerate(paths):
        for j in range(4):
            value = WRONG[(4 * i + j) % len(WRONG)]
            path.write_text(json.dumps(replaced(document, where, value)), encoding="utf-8")
            outcomes[check_shelf(alone, path, lesson_id, caplog)] += 1
            tally("lessons: fields x wrong values")
    assert outcomes[True] and outcomes[False]


def json_values() -> st.SearchStrategy:
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2 ** 70), 2 ** 70),
                        st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=10))
    return st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
        max_leaves=10)


@FUZZ
@given(data=st.data(), value=json_values())
def test_hypothesis_values_anywhere_in_a_lesson(alone, originals, caplog, tally, data, value):
    name = data.draw(st.sampled_from(sorted(originals)))
    document = originals[name]
    where = data.draw(st.sampled_from([("lesson", *p) for p in field_paths(document["lesson"])]
                                      + [("lesson",), ("network",), ("training",), ("data",)]))
    if where == ("lesson", "id"):
        return
    path = alone / "lesson.json"  # one file, whatever the lesson (examples share the folder)
    path.write_text(json.dumps(replaced(document, where, value)), encoding="utf-8")
    check_shelf(alone, path, document["lesson"]["id"], caplog)
    tally("lessons: hypothesis values")


QUICK_BREAKERS = ({"data": True}, {"training": [1]}, {"data": {"options": 5}},
                  {"training": {"epochs": "many"}}, {"data": {"val_split": 2}})


@pytest.mark.parametrize("quick", QUICK_BREAKERS)
def test_broken_quick_settings_are_a_lesson_error(alone, originals, caplog, tally, quick):
    name = next(n for n, d in originals.items() if d["lesson"].get("quick"))
    document = replaced(originals[name], ("lesson", "quick"), quick)
    (alone / name).write_text(json.dumps(document), encoding="utf-8")
    project = load_lesson(document["lesson"]["id"], folder=alone)  # the lesson itself is fine
    with pytest.raises(LessonError, match="quick"):
        quick_project(project)
    tally("lessons: broken quick settings")


VARIANT_BREAKERS = {
    "network without layers": {"network": {}},
    "network layers not a list": {"network": {"layers": {"a": 1}}},
    "network layer not an object": {"network": {"layers": [1, 2]}},
    "network layer without id": {"network": {"layers": [{"kind": "dense", "units": 3}]},
                                 "layers": {"dense-1": {"units": 3}}},
    "layers for an unknown layer": {"layers": {"nobody": {"units": 3}}},
    "layers change to a bad type": {"layers": {"dense-1": {"units": "many"}}},
    "layers change an unknown field": {"layers": {"dense-1": {"colour": "red"}}},
    "training change invalid": {"training": {"optimizer": {"lr": -1}}},
    "training change unknown field": {"training": {"speed": "fast"}},
    "data change invalid": {"data": {"val_split": 2}},
    "data change not an object": {"data": ["spirals"]},
}


@pytest.mark.parametrize("breaker", sorted(VARIANT_BREAKERS))
def test_broken_variants_are_skipped_with_a_warning(alone, originals, caplog, tally, breaker):
    name = next(n for n, d in originals.items() if d["lesson"].get("variants"))
    document = copy.deepcopy(originals[name])
    variant = document["lesson"]["variants"][0]
    for key in ("network", "layers", "training", "data"):
        variant.pop(key, None)
    variant.update(VARIANT_BREAKERS[breaker])
    path = alone / name
    path.write_text(json.dumps(document), encoding="utf-8")
    assert check_shelf(alone, path, document["lesson"]["id"], caplog)
    with pytest.raises(LessonError, match=f"no lesson {document['lesson']['id']!r}"):
        load_lesson(document["lesson"]["id"], folder=alone)
    tally("lessons: broken variants")


def test_unreadable_and_odd_files_on_the_shelf(shelf, caplog, tally):
    (shelf / "00-empty.json").write_bytes(b"")
    (shelf / "00-binary.json").write_bytes(bytes(range(256)))
    (shelf / "00-folder.json").mkdir()
    (shelf / "00-latin1.json").write_bytes('{"title": "café"}'.encode("latin-1"))
    (shelf / "00-list.json").write_text("[1, 2, 3]")
    (shelf / "00-deep.json").write_text("[" * 50_000 + "]" * 50_000)
    with caplog.at_level(logging.WARNING, logger="nncore.lessons"):
        infos = list_lessons(shelf)
    assert len(infos) == len(SHIPPED)
    assert caplog.text.count("skipping the lesson file") == 6
    with pytest.raises(LessonError, match="no lesson 'nonsense'"):
        load_lesson("nonsense", folder=shelf)
    with pytest.raises(LessonError, match="has no variant 'nope'"):
        load_lesson(infos[0].id, "nope", folder=shelf)
    tally("lessons: odd files", 7)


def test_a_missing_shelf_lists_nothing(tmp_path):
    assert list_lessons(tmp_path / "nowhere") == []
    with pytest.raises(NNCoreError):
        load_lesson("two-spirals", folder=tmp_path / "nowhere")
