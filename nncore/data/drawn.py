"""Data you draw yourself: points painted on the output map, stored in the ``DataSpec``.

``DataSpec(source="drawn", options={...}, points=(...))`` is a data set whose samples are
the spec's ``points``, so it is saved in the project file like any setting and every edit
is one undoable spec change. Options:

- ``task``: ``classification`` (points ``(x1, x2, class)``) or ``regression`` (1-D,
  points ``(x, y)``: y drawn over x);
- ``classes``: 2 to 6 (classification; the network's output width, fixed while you paint
  so training can go on);
- ``noise``: the standard deviation of Gaussian noise added to the inputs (classification)
  or the targets (regression) when the set is loaded, seeded by ``seed``.

The usual validation split and scaling apply. The pure functions here do the painting's
arithmetic (adding, brushing, erasing, presets, CSV) so the GUI does none.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from nncore.data.dataset import Dataset, DatasetInfo
from nncore.errors import DataError
from nncore.spec import DataSpec

SOURCE = "drawn"
MAX_POINTS = 5000
"""Most points a drawn set holds (they live in the project's JSON)."""
MIN_CLASSES, MAX_CLASSES = 2, 6
REACH = 6.0
"""Drawn inputs live in [-6, 6] (y too, for regression), like the generated 2-D sets."""
DOMAIN = ((-REACH, REACH), (-REACH, REACH))
TASKS = ("classification", "regression")
DEFAULTS: dict[str, Any] = {"task": "classification", "classes": 2, "noise": 0.0}


def is_drawn(spec: DataSpec | None) -> bool:
    """True for a drawn data set."""
    return spec is not None and spec.source == SOURCE


def drawn_options(options: Mapping[str, Any] | None) -> dict[str, Any]:
    """Every option, checked, with defaults; ``DataError`` names a bad one."""
    options = dict(options or {})
    unknown = set(options) - set(DEFAULTS)
    if unknown:
        raise DataError(f"drawn data: unknown option {sorted(unknown)[0]!r}; valid options: "
                        f"{', '.join(DEFAULTS)}")
    out = {**DEFAULTS, **options}
    if out["task"] not in TASKS:
        raise DataError(f"drawn data: task must be one of {', '.join(TASKS)}, got "
                        f"{out['task']!r}")
    classes = out["classes"]
    if isinstance(classes, bool) or not isinstance(classes, int) or \
            not MIN_CLASSES <= classes <= MAX_CLASSES:
        raise DataError(f"drawn data: classes must be a whole number from {MIN_CLASSES} to "
                        f"{MAX_CLASSES}, got {classes!r}")
    noise = out["noise"]
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or \
            not (math.isfinite(noise) and 0 <= noise <= REACH):
        raise DataError(f"drawn data: noise must be a number from 0 to {REACH:g}, got "
                        f"{noise!r}")
    out["noise"] = float(noise)
    return out


def point_array(spec: DataSpec) -> np.ndarray:
    """The spec's points as a float64 array ``(n, 3)`` (classification) or ``(n, 2)``,
    checked: finite, inside the drawing area, class labels in range."""
    options = drawn_options(spec.options)
    width = 3 if options["task"] == "classification" else 2
    points = getattr(spec, "points", ())
    if len(points) > MAX_POINTS:
        raise DataError(f"drawn data: {len(points)} points, more than the {MAX_POINTS} "
                        "allowed; erase some")
    if any(len(p) != width for p in points):
        raise DataError(f"drawn data: every point must have {width} numbers "
                        f"({'x1, x2, class' if width == 3 else 'x, y'})")
    array = np.array(points, dtype=np.float64).reshape(-1, width)
    if not np.all(np.isfinite(array)) or np.any(np.abs(array[:, :2]) > REACH * 1.5):
        raise DataError(f"drawn data: points must be finite and within ±{REACH * 1.5:g}")
    if width == 3:
        labels = array[:, 2]
        if np.any(labels != np.round(labels)) or np.any(labels < 0) or \
                np.any(labels >= options["classes"]):
            raise DataError(f"drawn data: class labels must be whole numbers from 0 to "
                            f"{options['classes'] - 1}")
    return array


def load_drawn(spec: DataSpec) -> Dataset:
    """The drawn points as a ``Dataset`` (noise added, seeded); at least two are needed."""
    options = drawn_options(spec.options)
    array = point_array(spec)
    if array.shape[0] < 2:
        raise DataError("drawn data: there are no points yet (at least 2 are needed); "
                        "click on the map to add some, or start from a preset")
    rng = np.random.default_rng([spec.seed, 7])
    noise = options["noise"]
    if options["task"] == "classification":
        x = array[:, :2] + (rng.normal(0.0, noise, (array.shape[0], 2)) if noise else 0.0)
        k = options["classes"]
        info = DatasetInfo(
            name="drawn", task="binary" if k == 2 else "multiclass", n_features=2,
            n_classes=k, class_names=tuple(f"class {i + 1}" for i in range(k)),
            feature_names=("x1", "x2"), description="Points you drew", source="drawn",
            recommended_normalize="none", domain=DOMAIN)
        return Dataset(info, x.astype(np.float32), array[:, 2].astype(np.int64))
    y = array[:, 1:2] + (rng.normal(0.0, noise, (array.shape[0], 1)) if noise else 0.0)
    info = DatasetInfo(
        name="drawn", task="regression", n_features=1, n_classes=0, n_targets=1,
        feature_names=("x",), description="A curve you drew", source="drawn",
        recommended_normalize="none", domain=DOMAIN[:1])
    return Dataset(info, array[:, :1].astype(np.float32), y.astype(np.float32))


# --------------------------------------------------------------------------- editing


def drawn_spec(task: str = "classification", classes: int = 2,
               points: Iterable[Iterable[float]] = (), base: DataSpec | None = None) -> DataSpec:
    """A drawn data spec (keeping ``base``'s split, seed and noise settings)."""
    base = base if base is not None else DataSpec()
    noise = float((base.options or {}).get("noise", 0.0) or 0.0)
    options = drawn_options({"task": task, "classes": classes, "noise": min(noise, REACH)})
    return dataclasses.replace(
        base, source=SOURCE, options=options, path=None, target=None, features=base.features
        if task == "classification" else (), points=_rounded(points))


def _rounded(points: Iterable[Iterable[float]]) -> tuple[tuple[float, ...], ...]:
    """Points as tuples of plain floats, 4 decimals (readable JSON, no false precision)."""
    return tuple(tuple(round(float(v), 4) for v in p) for p in points)


def with_points(spec: DataSpec, new: Iterable[Iterable[float]]) -> DataSpec:
    """``spec`` with ``new`` points appended (clipped to the drawing area); ``DataError``
    past ``MAX_POINTS``."""
    added = np.array(list(new), dtype=np.float64)
    if added.size == 0:
        return spec
    added[:, :2] = np.clip(added[:, :2], -REACH, REACH)
    points = spec.points + _rounded(added)
    if len(points) > MAX_POINTS:
        raise DataError(f"drawn data holds at most {MAX_POINTS} points; erase some first")
    return dataclasses.replace(spec, points=points)


def without_points_near(spec: DataSpec, centre: tuple[float, float], radius: float) -> DataSpec:
    """``spec`` without the points within ``radius`` of ``centre`` (the eraser)."""
    array = point_array(spec)
    if array.shape[0] == 0:
        return spec
    far = np.hypot(array[:, 0] - centre[0], array[:, 1] - centre[1]) > radius
    if far.all():
        return spec
    return dataclasses.replace(spec, points=tuple(p for p, keep in zip(spec.points, far)
                                                  if keep))


def brush_points(centre: tuple[float, float], radius: float, count: int, label: int | None,
                 rng: np.random.Generator) -> np.ndarray:
    """``count`` points spread uniformly over a disc (the brush), with ``label`` appended
    (classification) or as ``(x, y)`` pairs (``label=None``)."""
    r = radius * np.sqrt(rng.random(count))
    angle = rng.random(count) * 2 * np.pi
    xy = np.column_stack([centre[0] + r * np.cos(angle), centre[1] + r * np.sin(angle)])
    if label is None:
        return xy
    return np.column_stack([xy, np.full(count, float(label))])


def stroke_points(start: tuple[float, float], end: tuple[float, float],
                  spacing: float) -> np.ndarray:
    """Points every ``spacing`` along a mouse stroke from ``start`` (excluded) to ``end``:
    a curve drawn for 1-D regression, evenly sampled however fast the mouse moved."""
    length = math.hypot(end[0] - start[0], end[1] - start[1])
    n = int(length // spacing)
    if n == 0:
        return np.zeros((0, 2))
    t = np.arange(1, n + 1) * (spacing / length)
    return np.column_stack([start[0] + t * (end[0] - start[0]),
                            start[1] + t * (end[1] - start[1])])


def with_curve(spec: DataSpec, stroke: np.ndarray) -> DataSpec:
    """``spec`` (1-D regression) with a drawn curve: the points whose x lies within the
    stroke's x range are replaced by the stroke's points, so drawing over a stretch
    redraws it."""
    stroke = np.asarray(stroke, dtype=np.float64).reshape(-1, 2)
    if stroke.shape[0] == 0:
        return spec
    array = point_array(spec)
    lo, hi = stroke[:, 0].min(), stroke[:, 0].max()
    keep = (array[:, 0] < lo) | (array[:, 0] > hi) if stroke.shape[0] > 1 else \
        np.ones(array.shape[0], dtype=bool)
    kept = dataclasses.replace(spec, points=tuple(p for p, k in zip(spec.points, keep) if k))
    return with_points(kept, stroke)


def with_classes(spec: DataSpec, classes: int) -> DataSpec:
    """``spec`` with ``classes`` classes; points of classes that no longer exist go."""
    options = drawn_options({**spec.options, "classes": classes})
    points = tuple(p for p in spec.points if len(p) != 3 or p[2] < classes)
    return dataclasses.replace(spec, options=options, points=points)


def with_noise(spec: DataSpec, noise: float) -> DataSpec:
    """``spec`` with another noise level."""
    return dataclasses.replace(spec, options=drawn_options({**spec.options, "noise": noise}))


def preset(spec: DataSpec, name: str, n: int = 200) -> DataSpec:
    """A drawn spec holding the points of built-in set ``name`` (2-D classification or
    1-D regression, at most ``n`` points), to edit ("move the outliers")."""
    from nncore.data.registry import BUILTIN, canonical_name, load_builtin, validate_options

    entry = BUILTIN[canonical_name(name)]
    options = validate_options(entry.name, {})
    if "n" in options:
        options["n"] = min(int(n), MAX_POINTS)
    data = load_builtin(entry.name, options, spec.seed)
    x, y = np.asarray(data.x, dtype=np.float64), np.asarray(data.y)
    if x.shape[1] == 2 and data.info.is_classification:
        if data.info.n_classes > MAX_CLASSES:
            raise DataError(f"{entry.name}: {data.info.n_classes} classes, more than the "
                            f"{MAX_CLASSES} a drawing holds")
        scale = _fit_scale(x)
        points = np.column_stack([x * scale, y.astype(np.float64)])
        return drawn_spec("classification", max(2, data.info.n_classes), points[:n], spec)
    if x.shape[1] == 1 and data.info.task == "regression":
        xy = np.column_stack([x[:, 0], y.reshape(-1)])
        points = xy * _fit_scale(xy)
        return drawn_spec("regression", 2, points[:n], spec)
    raise DataError(f"{entry.name}: only 2-D classification sets and 1-D regression curves "
                    "can be drawn on")


def _fit_scale(values: np.ndarray) -> float:
    """A factor that brings ``values`` inside the drawing area (1 if they fit)."""
    peak = float(np.abs(values).max()) if values.size else 0.0
    return 1.0 if peak <= REACH else REACH / peak


def to_csv(spec: DataSpec) -> str:
    """The drawn points as CSV text with a header (``x1,x2,class`` or ``x,y``); the
    file reads back with ``nncore train --data FILE.csv``."""
    array = point_array(spec)
    classification = array.shape[1] == 3
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["x1", "x2", "class"] if classification else ["x", "y"])
    for row in array:
        writer.writerow([f"{row[0]:.4f}", f"{row[1]:.4f}", int(row[2])] if classification
                        else [f"{row[0]:.4f}", f"{row[1]:.4f}"])
    return out.getvalue()


def live_change(old: DataSpec | None, new: DataSpec | None) -> bool:
    """True when ``old`` → ``new`` may leave a running network training: the drawing's
    points or noise changed, a drawing started from the current set, or samples of your
    own were added. (The session still checks that inputs, task and classes match.)"""
    if old is None or new is None or old == new:
        return False
    if not is_drawn(new):
        return not is_drawn(old) and dataclasses.replace(new, points=old.points) == old
    same_rest = dataclasses.replace(new, source=old.source, options=old.options,
                                    points=old.points) == old
    if not is_drawn(old):
        return same_rest and not old.points
    return same_rest and drawn_options(old.options)["task"] == \
        drawn_options(new.options)["task"]


# --------------------------------------------------------------------------- your own samples

MAX_OWN_SAMPLES = 500
"""Most samples of your own (drawn digits) added to a data set that is not drawn."""


def with_sample(spec: DataSpec, inputs: np.ndarray, label: int) -> DataSpec:
    """``spec`` with one sample of your own (e.g. a drawn digit) added to its training
    split: stored in ``points`` as the inputs (3 decimals) followed by the label."""
    if is_drawn(spec):
        raise DataError("drawn data: add points by drawing them on the map")
    if len(spec.points) >= MAX_OWN_SAMPLES:
        raise DataError(f"at most {MAX_OWN_SAMPLES} samples of your own can be added")
    row = (*tuple(round(float(v), 3) for v in np.asarray(inputs).reshape(-1)), float(label))
    if spec.points and len(spec.points[0]) != len(row):
        raise DataError("the new sample has a different number of inputs than the ones "
                        "added before")
    return dataclasses.replace(spec, points=(*spec.points, row))


def own_samples(spec: DataSpec, info: DatasetInfo) -> tuple[np.ndarray, np.ndarray] | None:
    """Samples of your own added to a (not drawn) data set: ``(x, y)`` float32 inputs
    and labels, or None. ``DataError`` if they do not fit the data set."""
    if is_drawn(spec) or not spec.points:
        return None
    if len(spec.points) > MAX_OWN_SAMPLES:
        raise DataError(f"{len(spec.points)} samples of your own, more than the "
                        f"{MAX_OWN_SAMPLES} allowed")
    if not info.is_classification:
        raise DataError(f"{info.name}: samples of your own can be added to classification "
                        "data only")
    if any(len(p) != info.n_features + 1 for p in spec.points):
        raise DataError(f"{info.name}: each sample of your own needs {info.n_features} "
                        "inputs and a label")
    array = np.array(spec.points, dtype=np.float64)
    labels = array[:, -1]
    if not np.all(np.isfinite(array)) or np.any(labels != np.round(labels)) or \
            np.any((labels < 0) | (labels >= info.n_classes)):
        raise DataError(f"{info.name}: samples of your own need finite inputs and labels "
                        f"from 0 to {info.n_classes - 1}")
    return array[:, :-1].astype(np.float32), labels.astype(np.int64)
