"""Sweeps: the same network trained many times, one field of its specs varied at a time.

A sweep is a list of ``Run``s built from a base design (network, training and data specs)
and ``Axis``es — ``lr=1e-4..1e-1:log:8``, ``hidden=8;16,16;32,32``, ``activation=tanh;relu``
— as a grid (every combination) or a random sample (ranges drawn uniformly, or
log-uniformly with ``:log``), each configuration trained with ``seeds`` different seeds
(the base seed, +1, +2...: weights and batch order change, the data split does not).

Every run is a plain, JSON-ready task (``Run.task``) that ``run_task`` turns into a
``Session`` and trains exactly as ``nncore train`` or the app would train that design
alone with that seed: same specs, same seed, same code, so the same bits, whichever
executor (``nncore.sweep_pool``) ran it. ``run_sweep`` drives an executor, writes every
run's JSON report (and trained project) under ``DIR/runs/`` and ``DIR/results.csv``, and
skips runs whose report is already there, so a stopped sweep resumes where it stopped.

``lr_range_test`` is the learning-rate range test (Smith, 2017): one run whose rate grows
geometrically every step until the loss blows up; a tenth of the rate at the smoothed
loss's minimum is a good starting rate.

``summarise`` and ``grid_2d`` aggregate results over seeds (mean, standard deviation, min,
max) for the app's plots.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import functools
import hashlib
import io
import itertools
import json
import math
import os
import threading
import time
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import numpy as np

from nncore.errors import NNCoreError
from nncore.spec import (
    DataSpec,
    DenseSpec,
    DropoutSpec,
    NetworkSpec,
    OptimizerSpec,
    ScheduleSpec,
    TrainingSpec,
    data_from_dict,
    mlp_spec,
    network_from_dict,
    to_dict,
    training_from_dict,
)


class SweepError(NNCoreError, ValueError):
    """A sweep that cannot be set up (bad ``--vary``, a field that does not exist...)."""


class Specs(NamedTuple):
    """The three specs of one design."""

    network: NetworkSpec
    training: TrainingSpec
    data: DataSpec


# --------------------------------------------------------------------------- fields


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value


def _parse_widths(text: str) -> tuple[int, ...]:
    text = text.strip()
    if text.lower() in ("", "none", "-"):
        return ()
    return tuple(int(v) for v in text.split(",") if v.strip())


def _parse_batch(text: str) -> int | None:
    return None if text.strip().lower() in ("full", "none", "all") else int(text)


def _parse_scalar(text: str) -> Any:
    """A data-set option: a whole number, a number, true/false, or the text itself."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            continue
    return text.strip()


PARSERS: dict[str, Callable[[str], Any]] = {
    "float": _parse_float, "int": int, "str": str.strip, "widths": _parse_widths,
    "batch": _parse_batch, "option": _parse_scalar, "bool": lambda t: _parse_scalar(t) is True}


@dataclass(frozen=True)
class Field:
    """A spec field a sweep can vary: how to read a value and how to apply it."""

    name: str
    kind: str
    apply: Callable[[Specs, Any], Specs]
    help: str = ""
    log: bool = False

    def parse(self, text: str) -> Any:
        """One value from its text; ``SweepError`` naming the field if it does not parse."""
        try:
            return PARSERS[self.kind](text)
        except ValueError:
            raise SweepError(f"--vary {self.name}: {text!r} is not a valid value "
                             f"({KIND_TEXT[self.kind]})") from None

    @property
    def numeric(self) -> bool:
        """True if values are numbers (ranges allowed, plotted on a numeric axis)."""
        return self.kind in ("float", "int", "option")


KIND_TEXT = {"float": "a number", "int": "a whole number", "str": "a name",
             "widths": "hidden widths such as 16,16", "batch": "a whole number or 'full'",
             "option": "a value", "bool": "true or false"}


def _replaced(obj: Any, path: Sequence[str], value: Any) -> Any:
    """A copy of ``obj`` (specs or a spec) with the field at ``path`` set to ``value``."""
    head, rest = path[0], path[1:]
    new = _replaced(getattr(obj, head), rest, value) if rest else value
    return obj._replace(**{head: new}) if isinstance(obj, Specs) else \
        dataclasses.replace(obj, **{head: new})


def _setter(*path: str) -> Callable[[Specs, Any], Specs]:
    def apply(specs: Specs, value: Any) -> Specs:
        return _replaced(specs, path, value)
    return apply


def _optimizer(name: str) -> Callable[[Specs, Any], Specs]:
    return _setter("training", "optimizer", name)


def _training(name: str) -> Callable[[Specs, Any], Specs]:
    return _setter("training", name)


def _schedule(name: str) -> Callable[[Specs, Any], Specs]:
    return _setter("training", "schedule", name)


def _data(name: str) -> Callable[[Specs, Any], Specs]:
    return _setter("data", name)


def _data_option(name: str) -> Callable[[Specs, Any], Specs]:
    def apply(specs: Specs, value: Any) -> Specs:
        options = {**specs.data.options, name: value}
        return specs._replace(data=dataclasses.replace(specs.data, options=options))
    return apply


def _mlp_parts(network: NetworkSpec) -> dict[str, Any]:
    """The settings of a plain stack of Dense layers (each optionally followed by dropout)."""
    if any(not isinstance(layer, (DenseSpec, DropoutSpec)) for layer in network.layers):
        raise SweepError("varying the widths or the dropout needs a plain stack of Dense "
                         "layers (with optional dropout); remove the stand-alone activation "
                         "layers or vary another field")
    dense = [layer for layer in network.hidden if isinstance(layer, DenseSpec)]
    out = network.output
    return {"widths": [layer.units for layer in dense],
            "activation": dense[0].activation if dense else "tanh",
            "output_activation": out.activation, "init": out.init, "l2": out.l2, "l1": out.l1,
            "dropout": next((layer.rate for layer in network.hidden
                             if isinstance(layer, DropoutSpec)), 0.0)}


def _rebuild(network: NetworkSpec, **changes: Any) -> NetworkSpec:
    """The network as ``mlp_spec`` (what ``--hidden`` builds) with some settings changed."""
    parts = {**_mlp_parts(network), **changes}
    spec = mlp_spec(parts["widths"], parts["activation"],
                    output_activation=parts["output_activation"], init=parts["init"],
                    l2=parts["l2"], dropout=parts["dropout"])
    if parts["l1"]:
        spec = NetworkSpec(tuple(dataclasses.replace(layer, l1=parts["l1"])
                                 if isinstance(layer, DenseSpec) else layer
                                 for layer in spec.layers))
    return spec


def _network(rebuild: Callable[[NetworkSpec, Any], NetworkSpec]) -> Callable[[Specs, Any], Specs]:
    def apply(specs: Specs, value: Any) -> Specs:
        return specs._replace(network=rebuild(specs.network, value))
    return apply


def _dense_field(name: str, hidden_only: bool) -> Callable[[NetworkSpec, Any], NetworkSpec]:
    def rebuild(network: NetworkSpec, value: Any) -> NetworkSpec:
        return NetworkSpec(tuple(
            dataclasses.replace(layer, **{name: value})
            if isinstance(layer, DenseSpec) and not (hidden_only and layer is network.output)
            else layer for layer in network.layers))
    return rebuild


def _dropout(network: NetworkSpec, rate: float) -> NetworkSpec:
    if any(isinstance(layer, DropoutSpec) for layer in network.layers):
        return NetworkSpec(tuple(dataclasses.replace(layer, rate=rate)
                                 if isinstance(layer, DropoutSpec) else layer
                                 for layer in network.layers))
    return _rebuild(network, dropout=rate) if rate > 0 else network


def _width(network: NetworkSpec, width: int) -> NetworkSpec:
    depth = len(_mlp_parts(network)["widths"]) or 1
    return _rebuild(network, widths=[width] * depth)


def _depth(network: NetworkSpec, depth: int) -> NetworkSpec:
    widths = _mlp_parts(network)["widths"]
    return _rebuild(network, widths=[widths[0] if widths else 16] * depth)


FIELDS: dict[str, Field] = {f.name: f for f in (
    Field("lr", "float", _optimizer("lr"), "learning rate", log=True),
    Field("optimizer", "str", _optimizer("name"), "update rule (sgd, momentum, adam...)"),
    Field("momentum", "float", _optimizer("momentum"), "momentum (SGD, RMSprop)"),
    Field("weight_decay", "float", _optimizer("weight_decay"), "weight decay", log=True),
    Field("clip_norm", "float", _optimizer("clip_norm"), "gradient clipping norm", log=True),
    Field("beta1", "float", _optimizer("beta1"), "Adam's beta1"),
    Field("beta2", "float", _optimizer("beta2"), "Adam's beta2"),
    Field("batch", "batch", _training("batch_size"), "batch size ('full' for full batch)",
          log=True),
    Field("epochs", "int", _training("epochs"), "epochs"),
    Field("loss", "str", _training("loss"), "loss function"),
    Field("early_stopping", "int", _training("early_stopping"), "early-stopping patience"),
    Field("schedule", "str", _schedule("name"), "learning-rate schedule"),
    Field("warmup", "float", _schedule("warmup_epochs"), "warm-up epochs"),
    Field("hidden", "widths", _network(lambda n, v: _rebuild(n, widths=list(v))),
          "hidden widths, e.g. 16,16 (width and depth at once)"),
    Field("width", "int", _network(_width), "units of every hidden layer", log=True),
    Field("depth", "int", _network(_depth), "number of hidden layers"),
    Field("activation", "str", _network(_dense_field("activation", hidden_only=True)),
          "hidden activation"),
    Field("init", "str", _network(_dense_field("init", hidden_only=False)),
          "weight initialiser"),
    Field("l1", "float", _network(_dense_field("l1", hidden_only=False)), "L1 penalty",
          log=True),
    Field("l2", "float", _network(_dense_field("l2", hidden_only=False)), "L2 penalty",
          log=True),
    Field("dropout", "float", _network(_dropout), "dropout rate after each hidden layer"),
    Field("noise", "option", _data_option("noise"), "the data set's noise option"),
    Field("n", "option", _data_option("n"), "the data set's number of samples"),
    Field("val_split", "float", _data("val_split"), "validation fraction"),
    Field("normalize", "str", _data("normalize"), "input normalisation"),
)}
"""Short names for the fields people sweep; any other is reachable by its dotted path."""

_PATHS: dict[str, tuple[type, Callable[[str], Callable[[Specs, Any], Specs]]]] = {
    "training.optimizer.": (OptimizerSpec, _optimizer),
    "training.schedule.": (ScheduleSpec, _schedule),
    "training.": (TrainingSpec, _training),
    "data.options.": (dict, _data_option),
    "data.": (DataSpec, _data),
}


def _kind_of(annotation: Any) -> str:
    args = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
    for kind, types_ in (("float", (float,)), ("bool", (bool,)), ("int", (int,)),
                         ("str", (str,))):
        if args[0] in types_:
            return kind
    raise SweepError(f"a field of type {annotation} cannot be swept")


def field(name: str) -> Field:
    """The ``Field`` for a short name (``lr``, ``hidden``...) or a dotted path
    (``training.optimizer.beta2``, ``data.options.turns``)."""
    name = name.strip()
    if name in FIELDS:
        return FIELDS[name]
    for prefix, (cls, make) in _PATHS.items():
        if not name.startswith(prefix):
            continue
        attr = name[len(prefix):]
        if cls is dict:
            return Field(name, "option", make(attr), f"data-set option {attr}")
        hints = typing.get_type_hints(cls)
        if attr in hints and not dataclasses.is_dataclass(hints[attr]) and attr != "seed":
            return Field(name, _kind_of(hints[attr]), make(attr), name)
        break
    if name in ("seed", "training.seed"):
        raise SweepError("use --seeds N to train every configuration with N seeds, instead "
                         "of varying the seed")
    raise SweepError(f"cannot vary {name!r}: use one of {', '.join(FIELDS)}, or a dotted "
                     "path such as training.optimizer.beta2 or data.options.turns")


# --------------------------------------------------------------------------- axes


@dataclass(frozen=True)
class Axis:
    """One varied field: a list of values, or a range ``lo..hi`` (log-spaced if ``log``;
    ``count`` points on a grid, drawn at random in a random sweep)."""

    field: Field
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    log: bool = False
    count: int | None = None
    integral: bool = False

    @property
    def name(self) -> str:
        """The field's name (a column of results.csv)."""
        return self.field.name

    @property
    def is_range(self) -> bool:
        """True for ``lo..hi`` axes."""
        return self.low is not None

    def grid(self) -> tuple[Any, ...]:
        """The values of a grid sweep."""
        if not self.is_range:
            return self.values
        if self.count is None:
            raise SweepError(f"--vary {self.name}: a grid needs the number of points, e.g. "
                             f"{self.name}={self.low:g}..{self.high:g}:8 (or use --random)")
        if self.count == 1:
            points = np.array([self.low])
        elif self.log:
            points = np.geomspace(self.low, self.high, self.count)
        else:
            points = np.linspace(self.low, self.high, self.count)
        return self._typed(points)

    def sample(self, rng: np.random.Generator) -> Any:
        """One value of a random sweep (uniform, or log-uniform for ``:log`` ranges)."""
        if not self.is_range:
            return self.values[int(rng.integers(len(self.values)))]
        if self.log:
            point = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        else:
            point = rng.uniform(self.low, self.high)
        return self._typed(np.array([point]))[0]

    def _typed(self, points: np.ndarray) -> tuple[Any, ...]:
        if self.field.kind in ("int", "batch") or self.integral:
            return tuple(dict.fromkeys(int(np.rint(p)) for p in points))
        return tuple(float(f"{p:.6g}") for p in points)


def parse_axis(text: str) -> Axis:
    """An axis from ``NAME=VALUES``: ``lr=1e-4..1e-1:log:8`` (8 log-spaced points),
    ``lr=0.01..0.1:5`` (5 evenly spaced), ``lr=0.01,0.1`` or ``hidden=8;16,16;32,32``
    (values separated by ``;``, or by ``,`` for fields whose values have no commas)."""
    name, sep, spec = text.partition("=")
    if not sep or not name.strip() or not spec.strip():
        raise SweepError(f"--vary expects NAME=VALUES such as lr=1e-4..1e-1:log:8 or "
                         f"hidden=8;16,16, got {text!r}")
    fld = field(name)
    spec = spec.strip()
    if ".." in spec and fld.kind in ("float", "int", "batch", "option"):
        return _parse_range(fld, spec)
    separator = ";" if ";" in spec or fld.kind == "widths" else ","
    values = tuple(dict.fromkeys(fld.parse(v) for v in spec.split(separator)
                                 if v.strip() or fld.kind == "widths"))
    if not values:
        raise SweepError(f"--vary {fld.name}: no values given")
    return Axis(fld, values)


def _parse_range(fld: Field, spec: str) -> Axis:
    bounds, *options = spec.split(":")
    low_text, _, high_text = bounds.partition("..")
    try:
        low, high = _parse_float(low_text), _parse_float(high_text)
    except ValueError:
        raise SweepError(f"--vary {fld.name}: {bounds!r} is not a range like 1e-4..1e-1") \
            from None
    log, count = fld.log and not options, None
    for option in options:
        if option.strip().lower() == "log":
            log = True
        elif option.strip().lower() == "lin":
            log = False
        elif option.strip().isdigit() and int(option) >= 1:
            count = int(option)
        else:
            raise SweepError(f"--vary {fld.name}: unknown range option {option!r}; use "
                             f"':log', ':lin' or a number of points such as ':8'")
    if low > high:
        raise SweepError(f"--vary {fld.name}: the range {bounds} runs backwards")
    if log and low <= 0:
        raise SweepError(f"--vary {fld.name}: a log range needs bounds > 0, got {bounds}")
    # a data-set option between whole numbers (n=100..1000:4) takes whole numbers
    integral = fld.kind == "option" and all(t.strip().lstrip("-").isdigit()
                                            for t in (low_text, high_text))
    return Axis(fld, (), low, high, log, count, integral)


# --------------------------------------------------------------------------- plans


def spec_key(specs: Specs, kind: str = "train", extra: Any = None) -> str:
    """A stable name for a run: a hash of its specs (the same design, the same key)."""
    document = {"network": to_dict(specs.network), "training": to_dict(specs.training),
                "data": to_dict(specs.data), "kind": kind, "extra": extra}
    text = json.dumps(document, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Run:
    """One run of a sweep: the varied values, the seed and the full specs."""

    index: int
    values: tuple[tuple[str, Any], ...]
    seed: int
    specs: Specs
    kind: str = "train"
    extra: Mapping[str, Any] | None = None

    @functools.cached_property
    def key(self) -> str:
        """The run's stable name (its report is ``runs/<key>.json``)."""
        return spec_key(self.specs, self.kind, self.extra)

    def task(self) -> dict[str, Any]:
        """What a worker needs, as plain JSON-ready data."""
        return {"kind": self.kind, "key": self.key, "index": self.index,
                "network": to_dict(self.specs.network),
                "training": to_dict(self.specs.training), "data": to_dict(self.specs.data),
                "extra": dict(self.extra or {})}


def _with_values(base: Specs, axes: Sequence[Axis], values: Sequence[Any]) -> Specs:
    specs = base
    for axis, value in zip(axes, values):
        try:
            specs = axis.field.apply(specs, value)
        except (TypeError, ValueError) as err:
            raise SweepError(f"--vary {axis.name}={value!r}: {err}") from None
    return specs


def _seeded(base: Specs, configurations: Iterable[tuple[Any, ...]], axes: Sequence[Axis],
            seeds: int) -> list[Run]:
    if seeds < 1:
        raise SweepError(f"--seeds must be at least 1, got {seeds}")
    runs: list[Run] = []
    seen: set[str] = set()
    for values in configurations:
        specs = _with_values(base, axes, values)
        for i in range(seeds):
            seed = base.training.seed + i
            run = Run(len(runs), tuple((a.name, v) for a, v in zip(axes, values)), seed,
                      specs._replace(training=dataclasses.replace(specs.training, seed=seed)))
            if run.key not in seen:  # the same design twice trains once
                seen.add(run.key)
                runs.append(run)
    return runs


def grid_plan(base: Specs, axes: Sequence[Axis], seeds: int = 1) -> list[Run]:
    """Every combination of the axes' values, each with ``seeds`` seeds."""
    names = [a.name for a in axes]
    if len(set(names)) != len(names):
        raise SweepError(f"a field is varied twice: {names}")
    return _seeded(base, itertools.product(*(a.grid() for a in axes)), axes, seeds)


def random_plan(base: Specs, axes: Sequence[Axis], samples: int, seeds: int = 1,
                sample_seed: int = 0) -> list[Run]:
    """``samples`` random configurations (ranges drawn uniformly or log-uniformly), each
    with ``seeds`` seeds; the same ``sample_seed`` draws the same configurations."""
    if samples < 1:
        raise SweepError(f"--random needs at least 1 sample, got {samples}")
    rng = np.random.default_rng(sample_seed)
    configurations = [tuple(a.sample(rng) for a in axes) for _ in range(samples)]
    return _seeded(base, configurations, axes, seeds)


def check_runs(runs: Sequence[Run]) -> None:
    """Refuse a sweep holding a design that cannot be built, before any worker starts
    (``SweepError`` naming the varied values and every problem)."""
    from nncore.errors import SpecError
    from nncore.spec import check

    for run in runs:
        try:
            check(*run.specs)
        except SpecError as err:
            values = ", ".join(f"{k}={format_value(v)}" for k, v in run.values)
            raise SweepError(f"{values or 'the design'}: {err}") from None


def parse_bounds(text: str, what: str = "--lr-range-test") -> tuple[float, float]:
    """``LOW..HIGH`` as two numbers (``SweepError`` naming ``what`` if it is not)."""
    low, sep, high = str(text).partition("..")
    if sep:
        with contextlib.suppress(ValueError):
            return _parse_float(low), _parse_float(high)
    raise SweepError(f"{what} expects LOW..HIGH such as 1e-5..1, got {text!r}")


def range_test_plan(base: Specs, low: float, high: float, steps: int = 200,
                    seeds: int = 1) -> list[Run]:
    """The learning-rate range test as a sweep: one growing-rate run per seed."""
    if not (0 < low < high):
        raise SweepError(f"--lr-range-test needs 0 < low < high, got {low:g}..{high:g}")
    if steps < 5:
        raise SweepError(f"--lr-range-test needs at least 5 steps, got {steps}")
    extra = {"low": low, "high": high, "steps": steps}
    runs = []
    for i in range(seeds):
        seed = base.training.seed + i
        specs = base._replace(training=dataclasses.replace(base.training, seed=seed))
        runs.append(Run(i, (), seed, specs, "range", extra))
    return runs


# --------------------------------------------------------------------------- one run

_SPLITS_CACHE: dict[str, Any] = {}
_CACHE_SIZE = 2


def _splits_for(data: DataSpec) -> Any:
    """The prepared data, cached per worker process (consecutive runs share a data set;
    loading is deterministic, so a cached copy trains exactly as a fresh one)."""
    from nncore.data import load_dataset, prepare

    key = json.dumps(to_dict(data), sort_keys=True, default=str)
    if key not in _SPLITS_CACHE:
        if len(_SPLITS_CACHE) >= _CACHE_SIZE:
            _SPLITS_CACHE.pop(next(iter(_SPLITS_CACHE)))
        _SPLITS_CACHE[key] = prepare(load_dataset(data), data)
    return _SPLITS_CACHE[key]


def session_for(task: Mapping[str, Any]):
    """The ``Session`` a task describes (specs read back from their dictionaries)."""
    from nncore.session import Session

    data = data_from_dict(task["data"])
    return Session(network_from_dict(task["network"]), training_from_dict(task["training"]),
                   data, splits=_splits_for(data))


def weights_digest(session) -> str:
    """SHA-256 of the trained weights' bytes: equal digests mean bit-for-bit equal runs."""
    return hashlib.sha256(session.network.flat.values.tobytes()).hexdigest()


def run_task(task: Mapping[str, Any]) -> dict[str, Any]:
    """Train one run of a sweep; what every executor calls in its worker.

    Returns ``{"key", "report", "project", "pid", "run_seconds"}``: the JSON report (as
    ``nncore train --report`` writes it, plus the weights' digest) and the trained state
    (weights, optimizer state, history columns) for a project file. A design that cannot
    be built returns ``{"key", "error"}`` instead of raising: it is a result, not a crash.
    """
    from nncore.cli import build_report

    started = time.perf_counter()
    try:
        session = session_for(task)
    except (NNCoreError, ValueError) as err:
        return {"key": task["key"], "error": f"{type(err).__name__}: {err}"}
    if task.get("kind") == "range":
        extra = task["extra"]
        curve = lr_range_test(session, extra["low"], extra["high"], extra["steps"])
        report = {"range_test": curve, "stop_reason": session.trainer.stop_reason or
                  "completed", "steps": session.trainer.step,
                  "network": task["network"], "training": task["training"],
                  "data": task["data"]}
        return {"key": task["key"], "report": report, "project": None, "pid": os.getpid(),
                "run_seconds": time.perf_counter() - started}
    session.trainer.run()
    report = build_report(session)
    report["weights_sha256"] = weights_digest(session)
    return {"key": task["key"], "report": report, "project": _trained_state(session),
            "pid": os.getpid(), "run_seconds": time.perf_counter() - started}


def _trained_state(session) -> dict[str, Any]:
    optimizer = session.optimizer.state_dict()
    return {"weights": session.network.get_weights(),
            "optimizer_state": optimizer["state"] or None,
            "optimizer_step": session.optimizer.step_count,
            "history": session.trainer.history.to_arrays(),
            "metric": session.trainer.history.metric_name,
            "preprocessing": session.splits.preprocessing.to_dict()}


def project_of(task: Mapping[str, Any], state: Mapping[str, Any] | None):
    """A ``Project`` for a run: its specs, and its trained state if there is one."""
    from nncore.project import Project
    from nncore.training import History

    project = Project(network_from_dict(task["network"]), training_from_dict(task["training"]),
                      data_from_dict(task["data"]))
    if state:
        project.weights = dict(state["weights"])
        project.optimizer_state = state["optimizer_state"]
        project.optimizer_step = int(state["optimizer_step"])
        project.history = History.from_arrays(state["history"], state["metric"])
        project.preprocessing = state["preprocessing"]
    return project


# --------------------------------------------------------------------------- range test


def lr_range_test(session, low: float, high: float, steps: int = 200,
                  stop_factor: float = 4.0, smoothing: float = 0.98) -> dict[str, Any]:
    """Train ``session`` one batch per rate, the rate growing geometrically from ``low``
    to ``high``; stop early once the smoothed loss exceeds ``stop_factor`` times its best
    (or is no longer finite). Returns the rates, raw and smoothed batch losses, the
    suggested rate (``suggested_lr``) and where the smoothed loss falls fastest per decade
    of rate (``steepest_lr``)."""
    from nncore.schedules import Schedule

    trainer = session.trainer
    trainer.schedule = Schedule()  # constant: the rate is exactly the one set below
    trainer.epochs = steps // trainer.steps_per_epoch + 2
    rates = np.geomspace(low, high, steps)
    lrs: list[float] = []
    losses: list[float] = []
    smoothed: list[float] = []
    average, best = 0.0, math.inf
    for i, lr in enumerate(rates):
        trainer.set_base_lr(float(lr))
        trainer.train_step()
        loss = trainer.last_batch_loss
        if trainer.finished or not math.isfinite(loss):
            break
        average = smoothing * average + (1 - smoothing) * loss
        value = average / (1 - smoothing ** (i + 1))
        lrs.append(float(lr))
        losses.append(float(loss))
        smoothed.append(float(value))
        best = min(best, value)
        if value > stop_factor * best:
            break
    return {"lr": lrs, "loss": losses, "smoothed": smoothed,
            "suggested_lr": suggested_lr(lrs, smoothed),
            "steepest_lr": steepest_lr(lrs, smoothed)}


def suggested_lr(lrs: Sequence[float], smoothed: Sequence[float]) -> float | None:
    """A tenth of the rate at the smoothed loss's minimum (fastai's ``lr_min``): the
    loss still falls there, well below where training starts to diverge. Robust on
    curves that stay flat for decades, where the steepest slope is noise. None with fewer
    than 5 points."""
    if len(lrs) < 5:
        return None
    return float(lrs[int(np.argmin(smoothed))]) / 10


def steepest_lr(lrs: Sequence[float], smoothed: Sequence[float]) -> float | None:
    """The rate of steepest descent of the smoothed loss against log(rate), before its
    minimum; None with too few points."""
    stop = int(np.argmin(smoothed)) + 1 if len(lrs) >= 5 else 0
    if stop < 3:
        return None
    slope = np.gradient(np.asarray(smoothed[:stop]), np.log(np.asarray(lrs[:stop])))
    return float(lrs[int(np.argmin(slope))])


# --------------------------------------------------------------------------- results

FINAL_COLUMNS = ("train_loss", "val_loss", "train_accuracy", "val_accuracy", "train_r2",
                 "val_r2", "test_loss", "test_accuracy", "test_r2")
LOST = "worker-lost"
ERROR = "error"


def format_value(value: Any) -> str:
    """A varied value as results.csv writes it (widths as ``16,16``, full batch ``full``)."""
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value) or "none"
    if value is None:
        return "full"
    return repr(value) if isinstance(value, float) else str(value)


def result_row(run: Run, result: Mapping[str, Any]) -> dict[str, Any]:
    """One row of results.csv: the varied values, the seed, final metrics, stop reason,
    seconds (inside training) and run seconds (the worker's whole run)."""
    row: dict[str, Any] = {"index": run.index, **dict(run.values), "seed": run.seed}
    if "error" in result:
        row.update(stop_reason=LOST if result.get("lost") else ERROR,
                   message=result["error"])
    else:
        report = result["report"]
        row.update(report.get("final", {}))
        row.update(stop_reason=report.get("stop_reason"), message=report.get("message", ""),
                   epochs=report.get("epochs"), seconds=report.get("seconds"),
                   run_seconds=round(float(result.get("run_seconds") or 0.0), 4))
        if "range_test" in report:
            row["suggested_lr"] = report["range_test"]["suggested_lr"]
            row["epochs"] = report.get("steps")
    row["attempts"] = result.get("attempts", 1)
    row["key"] = run.key
    return row


def csv_columns(axes: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """results.csv's columns: index, the varied fields, seed, then what the rows hold."""
    present = set().union(*(row.keys() for row in rows)) if rows else set()
    tail = ["stop_reason", "epochs", *FINAL_COLUMNS, "suggested_lr", "seconds",
            "run_seconds", "attempts", "message", "key"]
    return ["index", *axes, "seed", *[c for c in tail if c in present or c in
                                      ("stop_reason", "seconds", "key")]]


def write_csv(path: Path, axes: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    """Write results.csv atomically (a reader never sees half a file)."""
    columns = csv_columns(axes, rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in sorted(rows, key=lambda r: r["index"]):
        writer.writerow({k: format_value(v) if k in axes else _cell(v) for k, v in row.items()})
    _atomic_write(path, buffer.getvalue())


def _cell(value: Any) -> Any:
    return "" if value is None else value


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def read_csv(path: str | os.PathLike) -> list[dict[str, str]]:
    """The rows of a results.csv, as text (for scripts and the tests)."""
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


class SweepStore:
    """A sweep's folder: ``results.csv``, ``sweep.json`` and ``runs/<key>.json`` (+ .bplab)."""

    def __init__(self, folder: str | os.PathLike, save_projects: bool = True) -> None:
        self.folder = Path(folder)
        self.runs = self.folder / "runs"
        self.save_projects = save_projects
        try:
            self.runs.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise SweepError(f"cannot create the sweep folder {self.folder}: {err}") from None

    def report_path(self, run: Run) -> Path:
        """Where the run's JSON report goes."""
        return self.runs / f"{run.key}.json"

    def project_path(self, run: Run) -> Path:
        """Where the run's trained project goes."""
        return self.runs / f"{run.key}.bplab"

    def finished(self, run: Run) -> dict[str, Any] | None:
        """The saved result of a run that finished in an earlier invocation, if any."""
        try:
            document = json.loads(self.report_path(run).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        sweep = document.get("sweep") if isinstance(document, dict) else None
        if not isinstance(sweep, dict) or sweep.get("key") != run.key:
            return None
        return {"key": run.key, "report": document,
                "run_seconds": sweep.get("run_seconds"), "attempts": sweep.get("attempts", 1),
                "resumed": True}

    def save(self, run: Run, result: Mapping[str, Any]) -> None:
        """Write a finished run's report (and project), the report last: it marks done."""
        report = dict(result["report"])
        report["sweep"] = {"key": run.key, "index": run.index, "seed": run.seed,
                           "values": {k: format_value(v) for k, v in run.values},
                           "run_seconds": round(float(result.get("run_seconds") or 0), 4),
                           "attempts": result.get("attempts", 1)}
        if self.save_projects and result.get("project") is not None:
            from nncore.project import save_project

            save_project(project_of(run.task(), result["project"]), self.project_path(run))
        _atomic_write(self.report_path(run),
                      json.dumps(report, indent=1, allow_nan=False, default=_json_default)
                      + "\n")

    def write_plan(self, runs: Sequence[Run], axes: Sequence[str]) -> None:
        """``sweep.json``: the varied fields and every run's values, seed and key."""
        document = {"axes": list(axes), "runs": [
            {"index": r.index, "key": r.key, "seed": r.seed, "kind": r.kind,
             "values": {k: format_value(v) for k, v in r.values}} for r in runs]}
        _atomic_write(self.folder / "sweep.json", json.dumps(document, indent=1) + "\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


# --------------------------------------------------------------------------- driving


class Executor(Protocol):
    """Runs tasks somewhere (``nncore.sweep_pool``) and yields ``(task, result)`` as they
    finish. A result with ``"error"`` is a run that could not finish (``"lost": True``
    when its worker died); ``"attempts"`` counts the tries."""

    workers: int

    def run(self, tasks: Sequence[dict[str, Any]],
            stop: threading.Event | None = None) -> Iterator[tuple[dict, dict]]: ...

    def close(self) -> None: ...


@dataclass
class SweepOutcome:
    """What a sweep did: every row (in plan order), how many were resumed, stopped early."""

    rows: list[dict[str, Any]]
    resumed: int
    stopped: bool

    @property
    def failed(self) -> list[dict[str, Any]]:
        """Rows of runs that could not finish (errors, lost workers)."""
        return [r for r in self.rows if r["stop_reason"] in (ERROR, LOST)]


def axes_of(runs: Sequence[Run]) -> list[str]:
    """The varied fields' names, in order."""
    return [name for name, _ in runs[0].values] if runs else []


def run_sweep(runs: Sequence[Run], folder: str | os.PathLike, executor: Executor, *,
              on_result: Callable[[dict[str, Any], Run], None] | None = None,
              stop: threading.Event | None = None, save_projects: bool = True,
              csv_every: float = 0.5) -> SweepOutcome:
    """Run every run not already finished in ``folder``, writing reports and results.csv.

    ``on_result(row, run)`` is called for every run, resumed ones first. Stopping (the
    ``stop`` event, or KeyboardInterrupt) ends the runs in flight and keeps every one
    that finished; running the same sweep again completes it.
    """
    store = SweepStore(folder, save_projects)
    axes = axes_of(runs)
    store.write_plan(runs, axes)
    by_key = {run.key: run for run in runs}
    rows: dict[int, dict[str, Any]] = {}
    pending = []
    for run in runs:
        previous = store.finished(run)
        if previous is None:
            pending.append(run.task())
            continue
        rows[run.index] = result_row(run, previous)
        if on_result:
            on_result(rows[run.index], run)
    resumed = len(rows)
    csv_path = store.folder / "results.csv"
    write_csv(csv_path, axes, list(rows.values()))
    last_write = time.perf_counter()
    stopped = False
    try:
        for task, result in executor.run(pending, stop):
            run = by_key[task["key"]]
            if "error" not in result:
                store.save(run, result)
            rows[run.index] = result_row(run, result)
            if on_result:
                on_result(rows[run.index], run)
            if time.perf_counter() - last_write >= csv_every:
                write_csv(csv_path, axes, list(rows.values()))
                last_write = time.perf_counter()
        stopped = stop is not None and stop.is_set()
    finally:
        write_csv(csv_path, axes, list(rows.values()))
    stopped = stopped or len(rows) < len(runs)
    return SweepOutcome([rows[i] for i in sorted(rows)], resumed, stopped)


# --------------------------------------------------------------------------- aggregation


@dataclass(frozen=True)
class Summary:
    """One configuration's metric over its seeds."""

    values: tuple[Any, ...]
    mean: float
    std: float
    low: float
    high: float
    count: int


def _number(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number


def summarise(rows: Sequence[Mapping[str, Any]], fields: Sequence[str],
              metric: str) -> list[Summary]:
    """Mean, standard deviation (over seeds; 0 for one), min and max of ``metric`` per
    combination of ``fields``' values, in first-seen order; runs without a finite value
    (errors, diverged) are left out of the statistics."""
    groups: dict[tuple[Any, ...], list[float]] = {}
    for row in rows:
        key = tuple(_hashable(row.get(f)) for f in fields)
        value = _number(row.get(metric))
        groups.setdefault(key, [])
        if math.isfinite(value):
            groups[key].append(value)
    out = []
    for key, values in groups.items():
        a = np.asarray(values, dtype=np.float64)
        if a.size:
            out.append(Summary(key, float(a.mean()), float(a.std(ddof=1)) if a.size > 1
                               else 0.0, float(a.min()), float(a.max()), int(a.size)))
        else:
            out.append(Summary(key, math.nan, math.nan, math.nan, math.nan, 0))
    return out


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def grid_2d(rows: Sequence[Mapping[str, Any]], x_field: str, y_field: str,
            metric: str) -> tuple[list[Any], list[Any], np.ndarray]:
    """``(x values, y values, means)`` with ``means[j, i]`` the mean of ``metric`` over
    seeds at (x_i, y_j) (NaN where no run finished): what a heat map draws."""
    summaries = summarise(rows, (x_field, y_field), metric)
    xs = list(dict.fromkeys(s.values[0] for s in summaries))
    ys = list(dict.fromkeys(s.values[1] for s in summaries))
    xs, ys = _sorted_values(xs), _sorted_values(ys)
    grid = np.full((len(ys), len(xs)), np.nan)
    for s in summaries:
        grid[ys.index(s.values[1]), xs.index(s.values[0])] = s.mean
    return xs, ys, grid


def _sorted_values(values: list[Any]) -> list[Any]:
    try:
        return sorted(values, key=lambda v: (v is None, v))
    except TypeError:
        return values


def range_test_curves(folder: str | os.PathLike, runs: Sequence[Run]) -> list[dict[str, Any]]:
    """The curves (``lr``, ``loss``, ``smoothed``, ``suggested_lr``) of a range-test
    sweep's finished runs, in run order."""
    store = SweepStore(folder)
    found = (store.finished(run) for run in runs)
    return [f["report"]["range_test"] for f in found if f and "range_test" in f["report"]]


def median_suggestion(rows: Sequence[Mapping[str, Any]]) -> float | None:
    """The median of the seeds' suggested learning rates (None if there is none)."""
    values = [v for v in (_number(r.get("suggested_lr")) for r in rows) if math.isfinite(v)]
    return float(np.median(values)) if values else None


def metric_columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The final-metric columns the rows hold (for choosing what to plot)."""
    present = set().union(*(row.keys() for row in rows)) if rows else set()
    return [c for c in (*FINAL_COLUMNS, "suggested_lr", "seconds") if c in present]
