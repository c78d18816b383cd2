"""Turn a table into training data by an import recipe: roles, encodings, missing values.

The recipe (``Recipe``; stored in ``DataSpec`` so a project re-applies it exactly):

- **target**: a column name (with or without surrounding quotes, any case) or a 0-based
  number; default the last column. Rows whose target is missing are dropped and counted.
- **task**: ``auto`` decides from the target: text, two values or at most
  ``MAX_AUTO_CLASSES`` distinct whole numbers (with ``MIN_CLASS_SIZE`` rows per value on
  average) are classes; other numbers regression.
  Whole-number targets with three or more values are ambiguous and get a note saying
  which task was chosen and how to choose the other.
- **roles** (``input``/``ignore`` per column; the key ``*`` sets the default for columns
  not named): by default numeric and categorical columns are inputs, identifiers, free
  text, dates and empty columns are ignored.
- **kinds** override the detected kind (``numeric``, ``categorical``, ``date``...).
- **encoding**: numbers stay as they are (scaled later by ``prepare``); categorical inputs
  become one-hot columns named ``column=level`` (at most ``max_levels`` per column: the
  rarest levels are grouped as ``column=other``); date inputs become year, month, day and
  weekday; identifiers or text made inputs are treated as categorical.
- **missing** input values: ``drop`` the rows, or fill with the column's ``mean``,
  ``median`` or most frequent value (``mode``; categorical columns always take the most
  frequent level); ``auto`` drops when at most ``AUTO_DROP_FRACTION`` of the rows are
  affected, else fills with the median (numbers) / the most frequent level.
  ``indicator`` adds a 0/1 ``column missing`` input per filled column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nncore.data.assemble import FLOAT32_MAX, describe_bad
from nncore.data.recipe import (
    AUTO_DROP_FRACTION,
    DEFAULT_INPUT_KINDS,
    ImportPlan,
    Recipe,
    check_recipe,
    match_column,
)
from nncore.data.schema import Column, date_parts, infer_schema, levels_of
from nncore.data.table import RawTable
from nncore.data.targets import decode_target
from nncore.errors import DataError


def _apply_kinds(columns: list[Column], recipe: Recipe, table: RawTable) -> list[Column]:
    names = [c.name for c in columns]
    wanted = {match_column(names, k, table.path): v for k, v in recipe.kinds.items()}
    out = []
    for column in columns:
        kind = wanted.get(column.name)
        if kind is not None and kind != column.kind:
            column = _convert(column, kind, table)
        out.append(column)
    return out


def _convert(column: Column, kind: str, table: RawTable) -> Column:
    """``column`` read as ``kind`` (numbers must all parse: else a message naming the cell)."""
    if kind == "numeric" and column.numbers is None:
        strings = column.strings
        numbers = pd.to_numeric(strings, errors="coerce").to_numpy(np.float64, na_value=np.nan)
        bad = strings.notna().to_numpy() & np.isnan(numbers)
        if bad.any():
            row = strings.index[np.argmax(bad)]
            raise DataError(f"{table.path}: {table.place} {table.line_of(row)}, column "
                            f"{column.position + 1} ({column.name!r}): {strings[row]!r} is not "
                            "a number; fix the cell, or read the column as categorical")
        return Column(column.name, column.position, kind, column.n_missing, column.n_unique,
                      column.example, numbers=numbers)
    if kind == "date":
        parts, _ = date_parts(column)
        if np.isnan(parts[:, 0]).sum() > column.n_missing:
            raise DataError(f"{table.path}: column {column.name!r} does not hold dates "
                            "(e.g. 2024-03-01); read it as another type")
    strings = levels_of(column) if kind != "numeric" else column.strings
    numbers = column.numbers if kind == "numeric" else None
    strings = None if kind == "numeric" and column.strings is None else strings
    n_unique = None if strings is None else int(strings.dropna().nunique())
    return Column(column.name, column.position, kind, column.n_missing, n_unique,
                  column.example, f"{column.name!r} read as {kind} (detected {column.kind})",
                  numbers=numbers, strings=strings)


def _roles(columns: list[Column], target: str, recipe: Recipe, path: Any) -> dict[str, str]:
    names = [c.name for c in columns]
    default = recipe.roles.get("*")
    given = {match_column(names, k, path): v for k, v in recipe.roles.items() if k != "*"}
    roles: dict[str, str] = {}
    for column in columns:
        if column.name == target:
            continue
        role = given.get(column.name) or default or (
            "input" if column.kind in DEFAULT_INPUT_KINDS else "ignore")
        if role == "input" and column.kind == "empty":
            raise DataError(f"{path}: column {column.name!r} holds no values; it cannot be an "
                            "input")
        roles[column.name] = role
    if not any(r == "input" for r in roles.values()):
        raise DataError(f"{path}: no input columns: every column other than the target "
                        f"{target!r} is ignored (identifiers, text, dates, empty); choose "
                        "inputs with --inputs or make a column an input")
    return roles


# --------------------------------------------------------------------------- inputs


@dataclass
class _Block:
    """The input columns one table column becomes, over the rows that have a target.

    Not expanded until ``write``: numbers and date parts keep their float64 columns and
    categories their codes, so the missing-value policy looks at one mask per column and
    ``x`` is written in a single pass with the dropped rows left out.
    """

    column: Column
    names: list[str]
    missing: np.ndarray  # bool per row
    numbers: np.ndarray | None = None  # (n, k) float64, NaN where missing
    codes: np.ndarray | None = None  # (n,) the output column of a category, -1 missing
    fill: np.ndarray | None = None  # per output column: the value of a missing cell
    fill_code: int | None = None  # categories: the output column a missing cell gets

    def write(self, x: np.ndarray, first: int, rows: np.ndarray | None) -> None:
        """Write into ``x[:, first:first + k]`` the ``rows`` kept (None: every row)."""
        if self.codes is not None:
            codes = self.codes if rows is None else self.codes[rows]
            if self.fill_code is not None:
                codes = np.where(codes < 0, self.fill_code, codes)
            for k in range(len(self.names)):
                np.equal(codes, k, out=x[:, first + k])
            return
        for k in range(len(self.names)):
            out = x[:, first + k]
            if rows is None:
                out[:] = self.numbers[:, k]
            elif self.numbers.dtype.kind == "f":  # the kept rows straight into x's column
                np.compress(rows, self.numbers[:, k], out=out)
            else:  # (compress will not cast integers into a float32 out)
                out[:] = np.compress(rows, self.numbers[:, k])
            if self.fill is not None:
                out[self.missing] = self.fill[k]


def _check_finite(column: Column, values: np.ndarray, table: RawTable,
                  keep: np.ndarray | None) -> None:
    """Refuse a value float32 cannot hold (``values``: the rows ``keep``, None: all)."""
    if not len(values) or max(-np.fmin.reduce(values), np.fmax.reduce(values)) <= FLOAT32_MAX \
            or np.isnan(values).all():  # (fmin/fmax skip NaN: two passes, no temporaries)
        return
    with np.errstate(invalid="ignore"):
        bad = np.abs(values) > FLOAT32_MAX  # infinities too; NaN (missing) compares False
    if bad.any():
        i = int(np.argmax(bad))
        row = table.frame.index[i if keep is None else np.flatnonzero(keep)[i]]
        raise DataError(f"{table.path}: {table.place} {table.line_of(row)}, column "
                        f"{column.position + 1} ({column.name!r}): "
                        f"{describe_bad(float(values[i]))} is not a finite float32 number; "
                        "remove or replace infinite and huge values")


def _categories(column: Column, keep: np.ndarray | None, max_levels: int,
                plan: ImportPlan) -> _Block:
    """One 0/1 column per level, most frequent first (ties: the first seen in the file)."""
    if column.codes is not None:  # coded while the schema was inferred
        codes, uniques = column.codes, column.levels
    else:
        codes, uniques = pd.factorize(levels_of(column), use_na_sentinel=True)
    if keep is not None:
        codes = codes[keep]
    counts = np.bincount(codes + 1, minlength=len(uniques) + 1)[1:]  # bin 0: missing
    order = np.argsort(-counts, kind="stable")
    order = order[counts[order] > 0]  # not levels seen only in rows without a target
    names = [f"{column.name}={uniques[i]}" for i in order]
    if len(names) > max_levels:
        plan.notes.append(f"column {column.name!r}: {len(names)} levels, the "
                          f"{len(names) - max_levels + 1} rarest grouped as 'other'")
        names = [*names[:max_levels - 1], f"{column.name}=other"]
    output = np.full(len(uniques) + 1, -1, dtype=np.int32)  # the last entry: code -1
    output[order] = np.minimum(np.arange(len(order)), len(names) - 1)
    columns = output[codes]
    return _Block(column, names, columns < 0, codes=columns)


def _block(column: Column, keep: np.ndarray | None, recipe: Recipe, plan: ImportPlan,
           table: RawTable) -> _Block:
    """``column`` as input columns, over the rows ``keep`` (None: all) that have a target."""
    if column.kind == "numeric" or (column.kind == "identifier" and column.strings is None):
        values = column.numbers if keep is None else column.numbers[keep]
        _check_finite(column, values, table, keep)
        return _Block(column, [column.name], np.isnan(values), numbers=values.reshape(-1, 1))
    if column.kind == "date":
        parts, names = date_parts(column)
        parts = parts if keep is None else parts[keep]
        return _Block(column, names, np.isnan(parts[:, 0]), numbers=parts)
    return _categories(column, keep, recipe.max_levels, plan)


def _mode(values: np.ndarray) -> float:
    present = values[~np.isnan(values)]
    if not len(present):
        return 0.0
    uniques, counts = np.unique(present, return_counts=True)
    return float(uniques[np.argmax(counts)])


def _choose_fill(block: _Block, policy: str, plan: ImportPlan) -> None:
    """Set the value each missing cell of ``block`` gets under ``policy``."""
    if block.codes is not None:
        counts = np.bincount(block.codes + 1, minlength=len(block.names) + 1)[1:]
        block.fill_code = int(np.argmax(counts))
        plan.filled[block.column.name] = "most frequent"
        return
    statistic = {"mean": np.nanmean, "median": np.nanmedian}.get(policy, _mode)
    present = ~block.missing
    block.fill = np.array([statistic(block.numbers[:, k]) if present.any() else 0.0
                           for k in range(len(block.names))])
    plan.filled[block.column.name] = "most frequent" if policy == "mode" else policy


def _apply_missing(blocks: list[_Block], recipe: Recipe, plan: ImportPlan,
                   n: int) -> np.ndarray | None:
    """Rows to keep (None: all) after the missing-value policy; sets the fill values."""
    missing = np.zeros(n, dtype=bool)
    for block in blocks:
        if block.names:  # (an empty column made categorical has no input to miss)
            missing |= block.missing
    affected = int(missing.sum())
    policy = recipe.missing
    if policy == "auto":
        policy = "drop" if affected <= AUTO_DROP_FRACTION * n else "median"
    plan.missing_policy = policy
    if not affected:
        return None
    if policy == "drop":
        if affected == n:
            raise DataError("every row has a missing input value; fill them in (missing: "
                            "median) or ignore the columns that are mostly empty")
        plan.dropped_missing = affected
        plan.notes.append(f"dropped {affected} of {n} rows with a missing value")
        return ~missing
    indicators = []
    for block in blocks:
        if not block.names or not block.missing.any():
            continue
        _choose_fill(block, policy, plan)
        if recipe.indicator:
            flags = block.missing.astype(np.float64).reshape(-1, 1)
            indicators.append(_Block(block.column, [f"{block.column.name} missing"],
                                     np.zeros(n, dtype=bool), numbers=flags))
    blocks.extend(indicators)
    filled = ", ".join(plan.filled)
    plan.notes.append(f"filled missing values in {affected} of {n} rows ({policy} of each "
                      f"column; most frequent level for categories) in: {filled}")
    return None


# --------------------------------------------------------------------------- entry point


def build(table: RawTable, recipe: Recipe, *, dry_run: bool = False,
          schema: list[Column] | None = None
          ) -> tuple[np.ndarray | None, np.ndarray | None, ImportPlan]:
    """Apply ``recipe`` to ``table``: (x float32, y, plan); x and y None if ``dry_run``.

    ``schema`` is ``infer_schema(table)`` if already computed (the import dialog keeps it
    while the user edits the recipe).

    Raises
    ------
    DataError
        Naming the file, the line and column and what to do.
    """
    check_recipe(recipe, table.path)
    columns = _apply_kinds(schema or infer_schema(table), recipe, table)
    names = [c.name for c in columns]
    target = match_column(names, recipe.target if recipe.target is not None else -1,
                          table.path, "target column")
    plan = ImportPlan(columns, _roles(columns, target, recipe, table.path), target,
                      recipe.task, len(table.frame))
    plan.notes.extend(c.note for c in columns if c.note and plan.roles.get(c.name) != "ignore")
    column = next(c for c in columns if c.name == target)
    keep, y, plan.class_names = decode_target(column, recipe, plan, table)
    kept = None if plan.dropped_target == 0 else keep
    blocks = [_block(c, kept, recipe, plan, table) for c in columns
              if plan.roles.get(c.name) == "input"]
    rows = _apply_missing(blocks, recipe, plan, len(y))
    if rows is not None:
        y = y[rows]
    plan.feature_names = [name for b in blocks for name in b.names]
    plan.n_kept = len(y)
    _target_summary(plan, y)
    if dry_run:
        return None, None, plan
    # column-major, so each column is one contiguous write (the rows of a block are not)
    x = np.empty((len(y), plan.n_inputs), dtype=np.float32, order="F")
    first = 0
    for block in blocks:
        block.write(x, first, rows)
        first += len(block.names)
    return x, y, plan


def _target_summary(plan: ImportPlan, y: np.ndarray) -> None:
    if plan.class_names:
        plan.class_counts = tuple(int(c) for c in np.bincount(y, minlength=len(plan.class_names)))
        if min(plan.class_counts) == 0:
            plan.notes.append("after dropping rows, a class has no samples left")
    elif len(y):
        values = y[:, 0].astype(np.float64)
        try:
            counts, edges = np.histogram(values, bins=min(20, max(len(y) // 5, 1)))
        except ValueError:  # a range too narrow for the bins
            counts, edges = np.array([len(values)]), np.array([values.min(), values.max()])
        plan.histogram = (tuple(int(c) for c in counts), tuple(float(e) for e in edges))
