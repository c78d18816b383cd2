"""Assignments: lessons with goals that are checked automatically, and locked controls.

An assignment is a lesson (``nncore.lessons``) whose ``lesson`` object also holds an
``assignment`` object (schema in ``docs/lessons.md``)::

    "assignment": {
      "version": 1,
      "goals": [{"kind": "metric", "metric": "val_accuracy", "min": 0.95},
                {"kind": "epochs", "max": 300},
                {"kind": "finding", "code": "dead-relu", "present": false}],
      "locks": [{"control": "data", "reason": "everyone uses the same data"}],
      "hints": ["Revealed one at a time, on request."]
    }

``evaluate(goals, evidence)`` checks every goal against an ``Evidence`` (the specs, the
history, the parameter count and the doctor's findings of one run), so the app's live
panel, ``nncore grade`` and the tests judge a run the same way. ``lock_violations`` and
``enforce_locks`` keep a student's specs to what the author allowed them to change.
A submission is the student's project with a ``submission`` object added to its lesson
(``submission_document``): the goals' status as the student saw it when handing in.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nncore.errors import NNCoreError, SpecError
from nncore.project import Project
from nncore.spec import (
    DenseSpec,
    NetworkSpec,
    data_from_dict,
    network_from_dict,
    to_dict,
    training_from_dict,
)

ASSIGNMENT_VERSION = 1
"""The version of the ``assignment`` object this code writes; it reads versions <= this."""
SUBMISSION_VERSION = 1
GOAL_KINDS = ("metric", "epochs", "parameters", "units", "optimizer", "finding")
METRICS = tuple(f"{split}_{name}" for split in ("train", "val", "test")
                for name in ("accuracy", "r2", "loss"))

LAYER_FIELDS = {"activations": ("activation", "activation_alpha"),
                "init": ("init", "init_scale"),
                "regularisation": ("l1", "l2", "rate")}
"""Per-layer fields of the lockable controls that live on layers."""
TRAINING_FIELDS = {
    "loss": (("loss",), ("huber_delta",)),
    "optimizer": tuple(("optimizer", f.name) for f in dataclasses.fields(
        training_from_dict({}).optimizer) if f.name != "lr"),
    "learning_rate": (("optimizer", "lr"),),
    "schedule": (("schedule",),),
    "batch_size": (("batch_size",),),
    "epochs": (("epochs",),),
    "seed": (("seed",),),
    "advanced": (("dtype",), ("shuffle",), ("early_stopping",), ("min_delta",),
                 ("restore_best",), ("bugs",)),
}
"""Training-spec paths of the lockable controls that live in the training settings."""
CONTROLS = {
    "architecture": "the layers: adding, removing or reordering them, their units and bias",
    "activations": "every layer's activation function",
    "init": "every layer's weight initialiser",
    "regularisation": "L1, L2 and dropout rates",
    "loss": "the loss function",
    "optimizer": "the optimizer and its settings (except the learning rate)",
    "learning_rate": "the learning rate",
    "schedule": "the learning-rate schedule",
    "batch_size": "the batch size",
    "epochs": "the number of epochs",
    "seed": "the random seed",
    "advanced": "the advanced training settings (precision, shuffling, early stopping)",
    "data": "the data set and how it is prepared",
}
"""Every lockable control and what it covers (the authoring dialog's list)."""


class AssignmentError(NNCoreError, ValueError):
    """An assignment or submission is malformed; the message names the field."""


# --------------------------------------------------------------------------- the schema


@dataclass(frozen=True)
class Goal:
    """One automatically checked goal (see ``GOAL_KINDS`` and ``docs/lessons.md``).

    ``metric``: ``metric`` (e.g. ``val_accuracy``) at least ``min`` or at most ``max``,
    at the ``final`` epoch or the ``best`` one. ``epochs`` / ``parameters`` / ``units``:
    at most ``max``. ``optimizer``: the optimizer is ``name``. ``finding``: the doctor's
    finding ``code`` (on ``layer``, or any layer when None) is ``present`` or absent.
    """

    kind: str
    metric: str | None = None
    min: float | None = None
    max: float | None = None
    at: str = "final"
    name: str | None = None
    code: str | None = None
    layer: str | None = None
    present: bool = False
    label: str = ""

    def describe(self) -> str:
        """The goal in words (the panel's check list and the grade table's header)."""
        if self.label:
            return self.label
        if self.kind == "metric":
            bound = f"≥ {self.min:g}" if self.min is not None else f"≤ {self.max:g}"
            when = " (best epoch)" if self.at == "best" else ""
            return f"{self.metric} {bound}{when}"
        if self.kind in ("epochs", "parameters", "units"):
            noun = {"units": "hidden units"}.get(self.kind, self.kind)
            return f"at most {self.max:g} {noun}"
        if self.kind == "optimizer":
            return f"optimizer is {self.name}"
        where = f" on {self.layer}" if self.layer else ""
        return f"doctor finding {self.code}{where} {'present' if self.present else 'absent'}"

    @property
    def column(self) -> str:
        """A short, stable name for CSV columns."""
        if self.kind == "metric":
            return self.metric or "metric"
        if self.kind == "finding":
            return f"finding:{self.code}"
        return self.kind

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of this goal, without the fields at their defaults."""
        out: dict[str, Any] = {"kind": self.kind}
        for f in dataclasses.fields(self)[1:]:
            value = getattr(self, f.name)
            if value != f.default:
                out[f.name] = value
        if self.kind == "finding":
            out["present"] = self.present
        return out


@dataclass(frozen=True)
class Lock:
    """A control the student may not change, and the reason shown on it."""

    control: str
    reason: str = ""


@dataclass(frozen=True)
class Assignment:
    """The goals, locks and hints of an assignment."""

    goals: tuple[Goal, ...] = ()
    locks: tuple[Lock, ...] = ()
    hints: tuple[str, ...] = ()
    version: int = ASSIGNMENT_VERSION

    def lock(self, control: str) -> Lock | None:
        """The lock on ``control``, if it is locked."""
        return next((lock for lock in self.locks if lock.control == control), None)

    def to_dict(self) -> dict[str, Any]:
        """The ``assignment`` JSON object."""
        return {"version": self.version, "goals": [g.to_dict() for g in self.goals],
                "locks": [{"control": lk.control, "reason": lk.reason} for lk in self.locks],
                "hints": list(self.hints)}


def _number(value: Any, where: str) -> float | None:
    if value is None:
        return None
    try:
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            raise OverflowError
        return float(value)
    except OverflowError:
        text = str(value)[:20]
        raise AssignmentError(f"{where} must be a finite number, got {text}") from None


def parse_goal(value: Any, where: str = "goal") -> Goal:
    """A ``Goal`` from its JSON object; ``AssignmentError`` names what is wrong."""
    if not isinstance(value, dict):
        raise AssignmentError(f"{where} must be an object")
    known = {f.name for f in dataclasses.fields(Goal)}
    unknown = sorted(set(value) - known)
    if unknown:
        raise AssignmentError(f"{where}: unknown field {unknown[0]!r} (known: {sorted(known)})")
    kind = value.get("kind")
    if kind not in GOAL_KINDS:
        raise AssignmentError(f"{where}: 'kind' must be one of {list(GOAL_KINDS)}, got {kind!r}")
    low, high = _number(value.get("min"), f"{where}.min"), _number(value.get("max"), f"{where}.max")
    goal = Goal(kind, value.get("metric"), low, high, value.get("at", "final"),
                value.get("name"), value.get("code"), value.get("layer"),
                bool(value.get("present", False)), value.get("label", ""))
    _check_goal(goal, where)
    return goal


def _check_goal(goal: Goal, where: str) -> None:
    if not isinstance(goal.label, str):
        raise AssignmentError(f"{where}.label must be a text")
    if goal.layer is not None and not isinstance(goal.layer, str):
        raise AssignmentError(f"{where}.layer must be a layer id (text) or null")
    if goal.kind == "metric":
        if goal.metric not in METRICS:
            raise AssignmentError(f"{where}: 'metric' must be one of {list(METRICS)}, "
                                  f"got {goal.metric!r}")
        if (goal.min is None) == (goal.max is None):
            raise AssignmentError(f"{where}: a metric goal needs one bound, 'min' or 'max'")
        if goal.at not in ("final", "best"):
            raise AssignmentError(f"{where}: 'at' must be 'final' or 'best', got {goal.at!r}")
    elif goal.kind in ("epochs", "parameters", "units"):
        if goal.max is None or goal.max < 0:
            raise AssignmentError(f"{where}: a {goal.kind} goal needs 'max', a number >= 0")
    elif goal.kind == "optimizer":
        if not isinstance(goal.name, str) or not goal.name:
            raise AssignmentError(f"{where}: an optimizer goal needs 'name' (e.g. 'sgd')")
    elif not isinstance(goal.code, str) or not goal.code:
        raise AssignmentError(f"{where}: a finding goal needs 'code' (e.g. 'dead-relu')")


def parse_assignment(value: Any, where: str = "assignment") -> Assignment:
    """An ``Assignment`` from its JSON object; ``AssignmentError`` names what is wrong."""
    if not isinstance(value, dict):
        raise AssignmentError(f"{where} must be an object")
    version = value.get("version", ASSIGNMENT_VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise AssignmentError(f"{where}.version must be a whole number >= 1")
    if version > ASSIGNMENT_VERSION:
        raise AssignmentError(f"{where}: version {version} is newer than this Backprop Lab "
                              f"reads ({ASSIGNMENT_VERSION}); update Backprop Lab")
    goals, locks, hints = (value.get(k, []) for k in ("goals", "locks", "hints"))
    for key, items in (("goals", goals), ("locks", locks), ("hints", hints)):
        if not isinstance(items, list):
            raise AssignmentError(f"{where}.{key} must be a list")
    if not all(isinstance(h, str) for h in hints):
        raise AssignmentError(f"{where}.hints must be a list of texts")
    parsed_locks = []
    for i, lock in enumerate(locks):
        if not isinstance(lock, dict) or not isinstance(lock.get("control"), str) \
                or lock["control"] not in CONTROLS:
            raise AssignmentError(f"{where}.locks[{i}]: 'control' must be one of "
                                  f"{list(CONTROLS)}")
        parsed_locks.append(Lock(lock["control"], str(lock.get("reason", ""))))
    return Assignment(tuple(parse_goal(g, f"{where}.goals[{i}]") for i, g in enumerate(goals)),
                      tuple(parsed_locks), tuple(hints), version)


def assignment_of(project: Project) -> Assignment | None:
    """The assignment a project's lesson carries, or None (``AssignmentError`` if broken)."""
    lesson = project.lesson or {}
    if "assignment" not in lesson:
        return None
    return parse_assignment(lesson["assignment"], f"{project.title or 'project'}: assignment")


# --------------------------------------------------------------------------- evidence


@dataclass(frozen=True)
class Evidence:
    """What goals are checked against: one run's specs, history and doctor findings.

    ``records`` are the run's ``EpochRecord``s; ``findings`` the doctor's ``(code, layer)``
    pairs (None: the doctor has not looked yet, so finding goals are pending);
    ``test`` the final test-split scores (``{"test_loss": .., "test_accuracy": ..}``).
    """

    network: NetworkSpec
    training: Any
    records: Sequence[Any] = ()
    metric_name: str = "accuracy"
    n_parameters: int | None = None
    findings: tuple[tuple[str, str | None], ...] | None = None
    test: Mapping[str, float] | None = None


@dataclass(frozen=True)
class GoalStatus:
    """A goal's outcome: ``met`` (None while it cannot be told yet) and the measured value."""

    goal: Goal
    met: bool | None
    measured: Any
    detail: str

    def to_dict(self) -> dict[str, Any]:
        measured = self.measured
        if isinstance(measured, float) and not math.isfinite(measured):
            measured = None
        return {"goal": self.goal.to_dict(), "met": self.met, "measured": measured,
                "detail": self.detail}


def hidden_units(network: NetworkSpec) -> int:
    """Units in the hidden Dense layers (the output layer does not count)."""
    return sum(layer.units or 0 for layer in network.hidden if isinstance(layer, DenseSpec))


def count_parameters(network: NetworkSpec, n_inputs: int, n_outputs: int) -> int:
    """Weights and biases of the network for ``n_inputs`` inputs and ``n_outputs`` outputs."""
    total, width = 0, n_inputs
    for layer in network.layers:
        if isinstance(layer, DenseSpec):
            units = n_outputs if layer is network.layers[-1] and layer.units is None \
                else layer.units or n_outputs
            total += width * units + (units if layer.bias else 0)
            width = units
    return total


def _metric_values(goal: Goal, evidence: Evidence) -> list[float]:
    split, _, name = (goal.metric or "").partition("_")
    if split == "test":
        value = (evidence.test or {}).get(goal.metric, float("nan"))
        return [] if value is None else [float(value)]
    if name != "loss" and name != evidence.metric_name:
        return []  # accuracy asked of a regression (or R² of a classifier): never met
    column = f"{split}_{'loss' if name == 'loss' else 'metric'}"
    return [float(getattr(r, column)) for r in evidence.records]


def _check_metric(goal: Goal, evidence: Evidence) -> GoalStatus:
    values = [v for v in _metric_values(goal, evidence) if math.isfinite(v)]
    if not values:
        detail = f"no {goal.metric} yet"
        if (goal.metric or "").startswith("test_"):
            detail = "checked on the test split when graded" if evidence.test is None \
                else "the data has no test split"
        return GoalStatus(goal, None, None, detail)
    higher = goal.min is not None
    value = (max(values) if higher else min(values)) if goal.at == "best" else values[-1]
    met = value >= goal.min if higher else value <= goal.max
    return GoalStatus(goal, met, value, f"{goal.metric} = {value:.4g}")


def _check_budget(goal: Goal, value: int | None, noun: str) -> GoalStatus:
    if value is None:
        return GoalStatus(goal, None, None, f"{noun} not known yet")
    return GoalStatus(goal, value <= goal.max, value, f"{value} {noun}")


def _check_finding(goal: Goal, evidence: Evidence) -> GoalStatus:
    if evidence.findings is None:
        return GoalStatus(goal, None, None, "the doctor has not examined the run yet")
    present = any(code == goal.code and (goal.layer is None or layer == goal.layer)
                  for code, layer in evidence.findings)
    return GoalStatus(goal, present == goal.present, "present" if present else "absent",
                      f"{goal.code} {'present' if present else 'absent'}")


def check_goal(goal: Goal, evidence: Evidence) -> GoalStatus:
    """The status of one goal for one run."""
    if goal.kind == "metric":
        return _check_metric(goal, evidence)
    if goal.kind == "epochs":
        epochs = evidence.records[-1].epoch if evidence.records else 0
        return _check_budget(goal, epochs, "epochs")
    if goal.kind == "parameters":
        return _check_budget(goal, evidence.n_parameters, "parameters")
    if goal.kind == "units":
        return _check_budget(goal, hidden_units(evidence.network), "hidden units")
    if goal.kind == "optimizer":
        name = evidence.training.optimizer.name
        return GoalStatus(goal, name == goal.name, name, f"optimizer {name}")
    return _check_finding(goal, evidence)


def evaluate(goals: Sequence[Goal], evidence: Evidence) -> list[GoalStatus]:
    """The status of every goal for one run, in order."""
    return [check_goal(goal, evidence) for goal in goals]


def all_met(statuses: Sequence[GoalStatus]) -> bool:
    """True when there are goals and every one is met."""
    return bool(statuses) and all(s.met is True for s in statuses)


def findings_pairs(findings: Sequence[Any]) -> tuple[tuple[str, str | None], ...]:
    """``(code, layer)`` of doctor findings (objects with ``code``/``layer`` or dicts)."""
    pairs = []
    for f in findings:
        if isinstance(f, Mapping):
            pairs.append((str(f.get("code")), f.get("layer")))
        else:
            pairs.append((f.code, f.layer))
    return tuple(pairs)


def evidence_from_session(session: Any, findings: Sequence[Any] | None = None,
                          *, test: bool = True) -> Evidence:
    """The evidence of a ``Session``'s run (``findings``: the doctor's, if examined)."""
    trainer = session.trainer
    scores = None
    if test:
        from nncore.cli import _test_scores

        scores = _test_scores(session)
    return Evidence(session.network_spec, session.training_spec,
                    tuple(trainer.history.records), trainer.data.metric_name,
                    session.network.n_parameters,
                    None if findings is None else findings_pairs(findings), scores)


# --------------------------------------------------------------------------- locks


def _specs_dict(network: NetworkSpec, training: Any, data: Any) -> dict[str, Any]:
    return {"network": to_dict(network), "training": to_dict(training), "data": to_dict(data)}


def _get(d: Mapping[str, Any], path: Sequence[str]) -> Any:
    for key in path:
        d = d.get(key) if isinstance(d, Mapping) else None
    return d


def _set(d: dict[str, Any], path: Sequence[str], value: Any) -> None:
    for key in path[:-1]:
        d = d[key]
    d[path[-1]] = value


def _architecture(layers: Sequence[Mapping[str, Any]]) -> list[tuple]:
    return [(x.get("kind"), x.get("id"), x.get("units"), x.get("bias")) for x in layers]


def _control_value(control: str, specs: Mapping[str, Any]) -> Any:
    """What a control covers, as a comparable value."""
    layers = specs["network"]["layers"]
    if control == "architecture":
        return _architecture(layers)
    if control in LAYER_FIELDS:
        return {x["id"]: tuple(x.get(f) for f in LAYER_FIELDS[control]) for x in layers}
    if control == "data":
        return specs["data"]
    return [_get(specs["training"], path) for path in TRAINING_FIELDS[control]]


def lock_violations(assignment: Assignment, reference: Project, network: NetworkSpec,
                    training: Any, data: Any) -> list[Lock]:
    """The locks of ``assignment`` that the specs break, compared with ``reference`` (the
    assignment's own project)."""
    ref = _specs_dict(reference.network, reference.training, reference.data)
    now = _specs_dict(network, training, data)
    out = []
    for lock in assignment.locks:
        ref_value, value = _control_value(lock.control, ref), _control_value(lock.control, now)
        if lock.control in LAYER_FIELDS:  # only the layers both have (architecture is apart)
            value = {k: v for k, v in value.items() if k in ref_value}
            ref_value = {k: v for k, v in ref_value.items() if k in value}
        if value != ref_value:
            out.append(lock)
    return out


def enforce_locks(assignment: Assignment, reference: Project, project: Project) -> Project:
    """``project`` with every locked control set back to ``reference``'s value.

    Trained state is kept only if nothing had to change (a run under other settings would
    not belong to these specs).
    """
    broken = lock_violations(assignment, reference, project.network, project.training,
                             project.data)
    if not broken:
        return project
    ref = _specs_dict(reference.network, reference.training, reference.data)
    now = _specs_dict(project.network, project.training, project.data)
    controls = {lock.control for lock in broken}
    if "architecture" in controls:
        mine = {x["id"]: x for x in now["network"]["layers"]}
        free = [f for c, fs in LAYER_FIELDS.items() if c not in controls for f in fs]
        now["network"]["layers"] = [
            {**x, **{f: mine[x["id"]][f] for f in free if f in mine.get(x["id"], {})}}
            for x in ref["network"]["layers"]]
    for control in controls & set(LAYER_FIELDS):
        theirs = {x["id"]: x for x in ref["network"]["layers"]}
        for layer in now["network"]["layers"]:
            for f in LAYER_FIELDS[control]:
                if layer["id"] in theirs and f in theirs[layer["id"]]:
                    layer[f] = theirs[layer["id"]][f]
    for control in controls & set(TRAINING_FIELDS):
        for path in TRAINING_FIELDS[control]:
            _set(now["training"], path, _get(ref["training"], path))
    if "data" in controls:
        now["data"] = ref["data"]
    try:
        specs = (network_from_dict(now["network"]), training_from_dict(now["training"]),
                 data_from_dict(now["data"]))
    except SpecError as err:
        raise AssignmentError(f"the locked settings cannot be restored: {err}") from None
    return dataclasses.replace(project, network=specs[0], training=specs[1], data=specs[2],
                               weights=None, optimizer_state=None, optimizer_step=0,
                               history=None)


def with_lock_reference(project: Project) -> tuple[Project, Project, list[Lock]]:
    """Prepare an opened project for its locks: ``(project, reference, restored)``.

    The first time an assignment is opened its specs are recorded in the lesson as
    ``start`` (saved with the student's work); a later load compares the locked controls
    with that record and sets back any that a hand-edited file changed (``restored``).
    Projects without an assignment come back unchanged, as their own reference.
    """
    assignment = assignment_of(project)
    if assignment is None:
        return project, project, []
    lesson = dict(project.lesson or {})
    start = lesson.get("start")
    if start is None:
        lesson["start"] = _specs_dict(project.network, project.training, project.data)
        project = dataclasses.replace(project, lesson=lesson)
        return project, project, []
    try:
        reference = dataclasses.replace(
            project, network=network_from_dict(start.get("network")),
            training=training_from_dict(start.get("training")),
            data=data_from_dict(start.get("data")))
    except (SpecError, AttributeError) as err:
        raise AssignmentError(f"the assignment's recorded start is damaged: {err}") from None
    broken = lock_violations(assignment, reference, project.network, project.training,
                             project.data)
    if broken:
        project = enforce_locks(assignment, reference, project)
    return project, reference, broken


# --------------------------------------------------------------------------- authoring


def make_assignment(project: Project, *, title: str, text: str = "",
                    steps: Sequence[str] = (), hints: Sequence[str] = (),
                    goals: Sequence[Goal] = (), locks: Sequence[Lock] = (),
                    assignment_id: str | None = None) -> Project:
    """An assignment project from ``project``'s specs (untrained): what "Save as
    assignment…" writes. The lesson text and variants the project had are replaced."""
    if not title.strip():
        raise AssignmentError("an assignment needs a title")
    for goal in goals:
        _check_goal(goal, "goal")
    for lock in locks:
        if lock.control not in CONTROLS:
            raise AssignmentError(f"unknown control {lock.control!r}; choose from "
                                  f"{list(CONTROLS)}")
    ident = assignment_id or _slug(title)
    assignment = Assignment(tuple(goals), tuple(locks), tuple(h for h in hints if h.strip()))
    lesson = {"id": ident, "title": title.strip(), "order": 100,
              "summary": (text.strip().splitlines() or [title.strip()])[0][:200],
              "goal": text.strip(), "steps": [s for s in steps if s.strip()],
              "assignment": assignment.to_dict()}
    return dataclasses.replace(project, weights=None, optimizer_state=None, optimizer_step=0,
                               history=None, lesson=lesson, title=title.strip())


def _slug(title: str) -> str:
    chars = [c.lower() if c.isalnum() else "-" for c in title.strip()]
    return "-".join(part for part in "".join(chars).split("-") if part) or "assignment"


# --------------------------------------------------------------------------- submissions


def hand_in(project: Project, statuses: Sequence[GoalStatus], *, student: str = "",
            when: str | None = None) -> Project:
    """The project to save as a submission: the lesson gains a ``submission`` object with
    the goals' status as the student saw it (the grader recomputes them; this is a record)."""
    import datetime

    from nncore import __version__

    if project.lesson is None or "assignment" not in project.lesson:
        raise AssignmentError("this project is not an assignment: open the assignment file "
                              "the teacher gave you, work on it, then hand it in")
    stamp = when or datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    lesson = dict(project.lesson)
    lesson["submission"] = {"version": SUBMISSION_VERSION, "student": student,
                            "handed_in": stamp, "app_version": __version__,
                            "goals": [s.to_dict() for s in statuses],
                            "all_met": all_met(statuses)}
    return dataclasses.replace(project, lesson=lesson)


def save_assignment(project: Project, path: Any) -> None:
    """Write an assignment as plain JSON (readable and editable by hand), atomically."""
    import json
    import os
    import tempfile
    from pathlib import Path

    from nncore.project import to_document

    if assignment_of(project) is None:
        raise AssignmentError("the project has no assignment to save")
    path = Path(path)
    text = json.dumps(to_document(project), indent=2, allow_nan=False, ensure_ascii=False)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def live_evidence(network: NetworkSpec, training: Any, records: Sequence[Any],
                  splits: Any = None, findings: Sequence[Any] | None = None) -> Evidence:
    """Evidence for a run in progress (the app's lesson panel): the parameter count comes
    from the specs and the prepared data (``splits``; None while it loads)."""
    from nncore.spec import resolve_output

    metric, n_parameters = "accuracy", None
    if splits is not None:
        info = splits.info
        metric = "r2" if info.task == "regression" else "accuracy"
        try:
            resolved = resolve_output(network, training, info.task, info.n_classes,
                                      info.n_targets)
            n_parameters = count_parameters(network, splits.n_inputs, resolved.n_outputs)
        except (ValueError, SpecError):
            n_parameters = None
    pairs = None if findings is None or not records else findings_pairs(findings)
    return Evidence(network, training, tuple(records), metric, n_parameters, pairs)
