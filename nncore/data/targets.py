"""The target column of a table: rows without a target, the task, labels or values.

Rules in ``nncore.data.tabular``'s docstring (task and ambiguity notes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nncore.data.assemble import FLOAT32_MAX, check_class_count, describe_bad
from nncore.data.recipe import MAX_AUTO_CLASSES, MIN_CLASS_SIZE, ImportPlan, Recipe
from nncore.data.schema import Column
from nncore.data.table import RawTable
from nncore.errors import DataError

SMALL_RANGE = 100_000  # whole-number targets spanning at most this are counted, not sorted

# --------------------------------------------------------------------------- the target


def _class_name(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _numeric_target(column: Column, keep: np.ndarray, task: str, plan: ImportPlan,
                    table: RawTable) -> tuple[np.ndarray, tuple[str, ...]]:
    values = column.numbers if keep.all() else column.numbers[keep]  # (no NaN left)
    if len(values) and max(-values.min(), values.max()) > FLOAT32_MAX:
        bad = np.abs(values) > FLOAT32_MAX
        row = np.flatnonzero(keep)[np.argmax(bad)]
        raise DataError(f"{table.path}: {table.place} {table.line_of(table.frame.index[row])}: "
                        f"the target column {column.name!r} holds "
                        f"{describe_bad(float(values[bad][0]))}; targets must be finite "
                        "numbers")
    whole = _integers_only(values)
    offsets = _small_offsets(values) if whole else None
    if offsets is not None:  # whole numbers in a short range: count, do not sort
        distinct = np.flatnonzero(np.bincount(offsets)) + values.min()
    else:
        distinct = np.unique(values) if whole or task == "classification" else None
    if task == "auto":
        few = whole and (len(distinct) <= 2 or (len(distinct) <= MAX_AUTO_CLASSES
                                                and len(distinct) * MIN_CLASS_SIZE <= len(values)))
        task = "classification" if few else "regression"
        if whole and len(distinct) > 2:
            other = "regression" if task == "classification" else "classification"
            why = "classes" if task == "classification" else "amounts (a count?)"
            plan.notes.append(f"the target {column.name!r} holds {len(distinct)} different "
                              f"whole numbers: read as {why}, so the task is {task}; if that "
                              f"is wrong, choose the task {other!r} (--task {other})")
    plan.task = task
    if task == "regression":
        return values.astype(np.float32).reshape(-1, 1), ()
    if offsets is None:
        return _labels(values, distinct, table, column.name)
    names = tuple(_class_name(c) for c in distinct.tolist())
    check_class_count(names, table.path, f"the target column {column.name!r}")
    label_of = np.zeros(int(offsets.max()) + 1, dtype=np.int64)
    label_of[(distinct - values.min()).astype(np.int64)] = np.arange(len(distinct))
    return label_of[offsets], names


def _integers_only(values: np.ndarray) -> bool:
    return bool(len(values)) and bool(np.all(values == np.floor(values)))


def _small_offsets(values: np.ndarray) -> np.ndarray | None:
    """Whole ``values`` minus their least, if they span at most ``SMALL_RANGE``."""
    low, high = values.min(), values.max()
    if high - low > SMALL_RANGE:
        return None
    return (values - low).astype(np.int64)


def _labels(values: np.ndarray, classes: np.ndarray, table: RawTable,
            name: str) -> tuple[np.ndarray, tuple[str, ...]]:
    names = tuple(_class_name(c) if not isinstance(c, str) else c for c in classes.tolist())
    check_class_count(names, table.path, f"the target column {name!r}")
    return np.searchsorted(classes, values).astype(np.int64), names


def _text_target(column: Column, keep: np.ndarray, task: str, plan: ImportPlan,
                 table: RawTable) -> tuple[np.ndarray, tuple[str, ...]]:
    strings = column.strings[keep]
    if task == "regression":
        numbers = pd.to_numeric(strings, errors="coerce")
        bad = numbers.isna().to_numpy()
        row = strings.index[np.argmax(bad)]
        raise DataError(f"{table.path}: {table.place} {table.line_of(row)}: {strings[row]!r} in "
                        f"the target column {column.name!r} is not a number, but regression "
                        "needs numeric targets")
    if column.kind == "date":
        raise DataError(f"{table.path}: the target column {column.name!r} holds dates; choose "
                        "another target column")
    plan.task = "classification"
    if column.codes is None:
        values = strings.to_numpy(dtype=str)
        return _labels(values, np.unique(values), table, column.name)
    # the level codes of the schema: sort the few distinct texts, not a million cells
    levels = np.array(column.levels, dtype=str)
    order = np.argsort(levels, kind="stable")
    names = tuple(levels[order].tolist())
    check_class_count(names, table.path, f"the target column {column.name!r}")
    label_of = np.empty(len(order), dtype=np.int64)
    label_of[order] = np.arange(len(order))
    return label_of[column.codes[keep]], names


def _uci_target(column: Column, plan: ImportPlan, table: RawTable,
                keep: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    names = table.uci_classes or ()
    codes = column.numbers[keep] if column.numbers is not None else None
    k = len(names)
    if codes is None or not _integers_only(codes) or codes.min() < 0 or codes.max() >= k:
        raise DataError(f"{table.path}: the last column must hold class numbers 0 to {k - 1} "
                        f"(the header names {k} classes)")
    if len(table.frame) != table.uci_rows:
        raise DataError(f"{table.path}: the header (line {table.header_line}) announces "
                        f"{table.uci_rows} rows but the file holds {len(table.frame)}; the file "
                        "is incomplete or the header is wrong")
    labels = codes.astype(np.int64)
    if len(np.unique(labels)) < 2:
        raise DataError(f"{table.path}: has a single class; a classifier needs at least two")
    plan.task = "classification"
    return labels, names


def decode_target(column: Column, recipe: Recipe, plan: ImportPlan,
            table: RawTable) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """(rows kept, y, class names): rows with a missing target are dropped and counted."""
    if column.numbers is not None and column.kind in ("numeric", "identifier"):
        keep = ~np.isnan(column.numbers)
    elif column.strings is not None:
        keep = column.strings.notna().to_numpy()
    else:
        keep = np.zeros(len(table.frame), dtype=bool)
    if not keep.any():
        raise DataError(f"{table.path}: the target column {column.name!r} has no values; "
                        "choose another target column")
    plan.dropped_target = int((~keep).sum())
    if plan.dropped_target:
        plan.notes.append(f"dropped {plan.dropped_target} of {len(keep)} rows with no value "
                          f"in the target {column.name!r}")
    if table.uci_classes is not None and recipe.task != "regression" and \
            column.name == table.names[-1]:
        y, names = _uci_target(column, plan, table, keep)
    elif column.numbers is not None and column.kind in ("numeric", "identifier"):
        y, names = _numeric_target(column, keep, recipe.task, plan, table)
    else:
        y, names = _text_target(column, keep, recipe.task, plan, table)
    return keep, y, names


