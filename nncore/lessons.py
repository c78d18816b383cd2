"""Lessons: projects that tell a story, shipped in ``resources/lessons/*.json``.

A lesson file is an ordinary project document (``nncore.project``) whose ``lesson`` object
holds the text (goal, steps, what to watch, why) and *variants*: named changes to the
specs ("no hidden layer", "He initialisation", "SGD"...) that the lesson panel applies with
one click and the compare panel races against each other. The format is documented in
``docs/lessons.md``. The project as stored is what opens: ready to press Train.

Variants change the specs in two ways: a whole ``network`` (a network object), and/or
partial objects merged into the current specs: ``layers`` (``{layer id: {field: value}}``),
``training`` and ``data`` (nested objects merge key by key, anything else replaces).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nncore.errors import NNCoreError, SpecError
from nncore.locations import resources_dir
from nncore.project import Project, load_project
from nncore.spec import (
    check,
    data_from_dict,
    network_from_dict,
    to_dict,
    training_from_dict,
)

log = logging.getLogger(__name__)

VARIANT_KINDS = ("failing", "working", "race", "alternative")
"""``failing``: shows a problem the doctor finds; ``working``: a setup that reaches its
target; ``race``: one contestant of a comparison; ``alternative``: anything else to try."""
TARGET_METRICS = ("train_accuracy", "val_accuracy", "train_r2", "val_r2", "train_loss",
                  "val_loss")


class LessonError(NNCoreError, ValueError):
    """A lesson file or variant is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class Target:
    """What a working setup reaches: ``metric`` at least ``min`` (or at most ``max``, for
    losses) at some epoch within ``epochs``."""

    metric: str
    epochs: int
    min: float | None = None
    max: float | None = None

    def reached(self, records: Sequence[Any]) -> bool:
        """True if any of the first ``epochs`` epoch records meets the target."""
        split, _, name = self.metric.partition("_")
        column = f"{split}_{'loss' if name == 'loss' else 'metric'}"
        values = [getattr(r, column) for r in records[:self.epochs]]
        if self.min is not None:
            return any(v >= self.min for v in values)
        return any(v <= self.max for v in values)

    def best(self, records: Sequence[Any]) -> float:
        """The best value of the metric within ``epochs`` (for messages)."""
        split, _, name = self.metric.partition("_")
        column = f"{split}_{'loss' if name == 'loss' else 'metric'}"
        values = [getattr(r, column) for r in records[:self.epochs]] or [float("nan")]
        return max(values) if self.min is not None else min(values)


@dataclass(frozen=True)
class Expectation:
    """What the doctor must find in a failing variant (checked by the tests)."""

    findings: tuple[tuple[str, str | None], ...]
    epochs: int
    after_fix: Target | None = None


@dataclass(frozen=True)
class Variant:
    """A named change to a lesson's specs."""

    name: str
    title: str
    description: str = ""
    kind: str = "alternative"
    network: Mapping[str, Any] | None = None
    layers: Mapping[str, Mapping[str, Any]] | None = None
    training: Mapping[str, Any] | None = None
    data: Mapping[str, Any] | None = None
    expect: Expectation | None = None
    target: Target | None = None

    def apply(self, project: Project) -> Project:
        """``project`` with this variant's changes (``LessonError`` if they are invalid)."""
        return apply_changes(project, network=self.network, layers=self.layers,
                             training=self.training, data=self.data,
                             where=f"variant {self.name!r}")


@dataclass(frozen=True)
class Lesson:
    """The text and variants of a lesson (the specs live in the project)."""

    id: str
    title: str
    order: int
    summary: str
    goal: str = ""
    steps: tuple[str, ...] = ()
    watch: str = ""
    why: str = ""
    variants: tuple[Variant, ...] = ()
    quick: Mapping[str, Any] = field(default_factory=dict)

    def variant(self, name: str) -> Variant:
        """The variant called ``name`` (``LessonError`` naming the choices otherwise)."""
        for variant in self.variants:
            if variant.name == name:
                return variant
        names = ", ".join(v.name for v in self.variants) or "none"
        raise LessonError(f"lesson {self.id!r} has no variant {name!r}; it has: {names}")


@dataclass(frozen=True)
class LessonInfo:
    """What the Lessons menu and the start screen show about a lesson."""

    id: str
    title: str
    order: int
    summary: str
    path: Path
    variants: tuple[tuple[str, str, str], ...] = ()  # (name, title, kind)


# --------------------------------------------------------------------------- reading


def _text(d: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = d.get(key, default)
    if not isinstance(value, str) or (default is None and not value):
        raise LessonError(f"{where}: '{key}' must be a non-empty text")
    return value


def _object(value: Any, where: str) -> Mapping[str, Any] | None:
    if value is not None and not isinstance(value, dict):
        raise LessonError(f"{where} must be an object")
    return value


def _target(value: Any, where: str) -> Target | None:
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("metric") not in TARGET_METRICS:
        raise LessonError(f"{where}: a target needs a 'metric' among {list(TARGET_METRICS)}")
    epochs = value.get("epochs")
    bounds = [value.get("min"), value.get("max")]
    if not isinstance(epochs, int) or epochs < 1 or sum(b is not None for b in bounds) != 1 \
            or not all(isinstance(b, (int, float)) for b in bounds if b is not None):
        raise LessonError(f"{where}: a target needs 'epochs' (>= 1) and one number, "
                          "'min' or 'max'")
    return Target(value["metric"], epochs, *(None if b is None else float(b) for b in bounds))


def _expectation(value: Any, where: str) -> Expectation | None:
    if value is None:
        return None
    findings = value.get("findings") if isinstance(value, dict) else None
    if not isinstance(findings, list) or not findings or not all(
            isinstance(f, dict) and isinstance(f.get("code"), str) for f in findings):
        raise LessonError(f"{where}: 'expect' needs 'findings', a list of {{code, layer}}")
    epochs = value.get("epochs", 100)
    if not isinstance(epochs, int) or epochs < 1:
        raise LessonError(f"{where}: 'expect.epochs' must be a whole number >= 1")
    return Expectation(tuple((f["code"], f.get("layer")) for f in findings), epochs,
                       _target(value.get("after_fix"), f"{where}.after_fix"))


def _variant(value: Any, where: str) -> Variant:
    if not isinstance(value, dict):
        raise LessonError(f"{where} must be an object")
    kind = value.get("kind", "alternative")
    if kind not in VARIANT_KINDS:
        raise LessonError(f"{where}: kind must be one of {list(VARIANT_KINDS)}, got {kind!r}")
    layers = _object(value.get("layers"), f"{where}.layers")
    if layers and not all(isinstance(v, dict) for v in layers.values()):
        raise LessonError(f"{where}.layers: each layer's changes must be an object")
    return Variant(_text(value, "name", where), _text(value, "title", where),
                   _text(value, "description", where, ""), kind,
                   _object(value.get("network"), f"{where}.network"), layers,
                   _object(value.get("training"), f"{where}.training"),
                   _object(value.get("data"), f"{where}.data"),
                   _expectation(value.get("expect"), f"{where}.expect"),
                   _target(value.get("target"), f"{where}.target"))


def parse_lesson(value: Any, source: str = "lesson") -> Lesson:
    """A ``Lesson`` from a project's ``lesson`` object; ``LessonError`` says what is wrong."""
    if not isinstance(value, dict):
        raise LessonError(f"{source}: the project has no 'lesson' object")
    order = value.get("order")
    if not isinstance(order, int) or isinstance(order, bool):
        raise LessonError(f"{source}: 'order' must be a whole number")
    steps = value.get("steps", [])
    if not isinstance(steps, list) or not all(isinstance(s, str) for s in steps):
        raise LessonError(f"{source}: 'steps' must be a list of texts")
    raw_variants = value.get("variants", [])
    if not isinstance(raw_variants, list):
        raise LessonError(f"{source}: 'variants' must be a list")
    variants = tuple(_variant(v, f"{source}: variants[{i}]") for i, v in enumerate(raw_variants))
    names = [v.name for v in variants]
    if len(set(names)) != len(names):
        raise LessonError(f"{source}: variant names must be unique, got {names}")
    return Lesson(_text(value, "id", source), _text(value, "title", source), order,
                  _text(value, "summary", source), _text(value, "goal", source, ""),
                  tuple(steps), _text(value, "watch", source, ""), _text(value, "why", source, ""),
                  variants, _object(value.get("quick"), f"{source}: quick") or {})


def lesson_of(project: Project) -> Lesson | None:
    """The lesson a project carries, or None (also None, logged, if it is malformed)."""
    if project.lesson is None:
        return None
    try:
        return parse_lesson(project.lesson, project.title or "project")
    except LessonError as err:
        log.warning("ignoring the lesson of %s: %s", project.title or "the project", err)
        return None


# --------------------------------------------------------------------------- changing specs


def _merge(base: Any, changes: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def apply_changes(project: Project, *, network: Mapping[str, Any] | None = None,
                  layers: Mapping[str, Mapping[str, Any]] | None = None,
                  training: Mapping[str, Any] | None = None,
                  data: Mapping[str, Any] | None = None, where: str = "changes") -> Project:
    """``project`` with a whole network and/or partial changes merged into its specs.

    The result is validated (``nncore.spec.check``); ``LessonError`` names what is wrong.
    """
    for name, value in (("network", network), ("layers", layers), ("training", training),
                        ("data", data)):
        if value is not None and not isinstance(value, Mapping):
            raise LessonError(f"{where}: '{name}' must be an object")
    try:
        net_dict = dict(network) if network is not None else to_dict(project.network)
        if layers:
            listed = net_dict.get("layers")
            if not isinstance(listed, list) or not all(isinstance(x, dict) for x in listed) \
                    or not all(isinstance(v, Mapping) for v in layers.values()):
                raise LessonError(f"{where}: 'layers' changes need a network whose layers "
                                  "are objects, and an object of changes per layer id")
            ids = {layer.get("id") for layer in listed}
            unknown = sorted(set(layers) - ids)
            if unknown:
                raise LessonError(f"{where}: no layer {unknown[0]!r} (layers: "
                                  f"{sorted(map(str, ids))})")
            net_dict["layers"] = [_merge(layer, layers.get(layer.get("id"), {}))
                                  for layer in listed]
        new_network = network_from_dict(net_dict)
        new_training = training_from_dict(_merge(to_dict(project.training), training or {}))
        new_data = data_from_dict(_merge(to_dict(project.data), data or {}))
        check(new_network, new_training, new_data)
    except SpecError as err:
        raise LessonError(f"{where}: {err}") from None
    return dataclasses.replace(project, network=new_network, training=new_training,
                               data=new_data, weights=None, optimizer_state=None,
                               optimizer_step=0, history=None)


def quick_project(project: Project) -> Project:
    """The project with its lesson's ``quick`` changes (fewer samples, for automated runs)."""
    lesson = lesson_of(project)
    if lesson is None or not lesson.quick:
        return project
    quick = lesson.quick
    return apply_changes(project, training=quick.get("training"), data=quick.get("data"),
                         where=f"lesson {lesson.id!r} quick")


# --------------------------------------------------------------------------- the shelf


def lessons_dir() -> Path:
    """The folder holding the shipped lessons."""
    return resources_dir() / "lessons"


def _read(path: Path) -> tuple[Project, Lesson]:
    project = load_project(path)
    lesson = parse_lesson(project.lesson, path.name)
    for variant in lesson.variants:
        variant.apply(project)
    return project, lesson


def list_lessons(folder: Path | None = None) -> list[LessonInfo]:
    """Every valid lesson in ``folder`` (default: the shipped ones), sorted by order.

    A malformed file is skipped with a logged warning, never an exception.
    """
    folder = folder or lessons_dir()
    infos = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            _, lesson = _read(path)
        except (NNCoreError, OSError, json.JSONDecodeError) as err:
            log.warning("skipping the lesson file %s: %s", path, err)
            continue
        infos.append(LessonInfo(lesson.id, lesson.title, lesson.order, lesson.summary, path,
                                tuple((v.name, v.title, v.kind) for v in lesson.variants)))
    infos.sort(key=lambda info: (info.order, info.title))
    ids = [info.id for info in infos]
    for duplicate in {i for i in ids if ids.count(i) > 1}:
        log.warning("two lesson files have the id %r; the first is used", duplicate)
    return infos


def load_lesson(lesson_id: str, variant: str | None = None,
                folder: Path | None = None) -> Project:
    """The project of lesson ``lesson_id`` (with ``variant`` applied), titled as the lesson.

    Raises ``LessonError`` for an unknown lesson or variant, or a malformed file.
    """
    infos = list_lessons(folder)
    info = next((i for i in infos if i.id == lesson_id), None)
    if info is None:
        known = ", ".join(i.id for i in infos) or "none"
        raise LessonError(f"there is no lesson {lesson_id!r}; the lessons are: {known}")
    project, lesson = _read(info.path)
    if variant is not None:
        project = lesson.variant(variant).apply(project)
    return dataclasses.replace(project, title=lesson.title)
