"""The CLI's table-import flags and ``nncore inspect`` (a dry run of importing a file).

Flags (with ``--data FILE`` or a project whose data is a file): ``--task``, ``--ignore``,
``--inputs``, ``--categorical``, ``--missing``, ``--missing-indicator``, ``--delimiter``,
``--header/--no-header``, ``--max-levels``; ``--data-seed`` sets the split's seed for any
data set. They become the ``DataSpec``'s import recipe, so a saved project re-applies them.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
from typing import Any

from nncore.spec import MISSING_POLICIES, DataSpec

TASKS = ("auto", "classification", "regression")
_RECIPE_FLAGS = ("task", "ignore", "inputs", "categorical", "missing", "missing_indicator",
                 "delimiter", "header", "max_levels")


def add_import_flags(group: Any, *, with_seed: bool = True) -> None:
    """Add the table-import flags to an argparse group."""
    group.add_argument("--task", choices=TASKS, help="classification or regression "
                       "(default: decided from the target column)")
    group.add_argument("--inputs", metavar="COL[,COL...]",
                       help="use only these columns as inputs (others are ignored)")
    group.add_argument("--ignore", metavar="COL[,COL...]", help="columns not to use as inputs")
    group.add_argument("--categorical", metavar="COL[,COL...]",
                       help="read these columns as categories (one-hot), e.g. integer codes")
    group.add_argument("--missing", choices=MISSING_POLICIES,
                       help="missing input values: drop the rows, or fill with the column's "
                       "mean, median or most frequent value (default auto)")
    group.add_argument("--missing-indicator", action="store_true", default=None,
                       help="add a 0/1 input per filled column saying where values were missing")
    group.add_argument("--delimiter", help="',', ';', tab, '|' or whitespace (default: detected)")
    group.add_argument("--header", action=argparse.BooleanOptionalAction, default=None,
                       help="whether the first row names the columns (default: detected)")
    group.add_argument("--max-levels", type=int, metavar="N",
                       help="one-hot columns per categorical column at most (rare levels "
                       "grouped as 'other'; default 20)")
    if with_seed:
        group.add_argument("--data-seed", type=int, metavar="N",
                           help="seed of the train/validation/test split (and of a generated "
                           "data set)")


def _names(text: str | None) -> list[str]:
    return [] if text is None else [n.strip() for n in text.split(",") if n.strip()]


def recipe_changes(args: argparse.Namespace, spec: DataSpec) -> dict[str, Any]:
    """The ``DataSpec`` fields the import flags set (``{}`` if none was given)."""
    from nncore.cli import UsageError

    given = [f for f in _RECIPE_FLAGS if getattr(args, f, None) is not None]
    if not given:
        return {}
    if spec.source != "file":
        flag = "--" + given[0].replace("_", "-")
        raise UsageError(f"{flag} applies to your own files; the built-in set "
                         f"{spec.source!r} has its own columns and task")
    options = dict(spec.options)
    for flag, key in (("task", "task"), ("delimiter", "delimiter"), ("header", "header"),
                      ("max_levels", "max_levels")):
        if getattr(args, flag, None) is not None:
            options[key] = getattr(args, flag)
    roles = dict(spec.roles)
    if args.inputs is not None:
        roles = dict.fromkeys(_names(args.inputs), "input")
        roles["*"] = "ignore"
    roles.update(dict.fromkeys(_names(args.ignore), "ignore"))
    kinds = dict(spec.kinds)
    kinds.update(dict.fromkeys(_names(args.categorical), "categorical"))
    changes: dict[str, Any] = {"options": options, "roles": roles, "kinds": kinds}
    if args.missing is not None:
        changes["missing"] = args.missing
    if args.missing_indicator:
        changes["missing_indicator"] = True
    return changes


def apply_import_flags(args: argparse.Namespace, spec: DataSpec, new_file: bool) -> DataSpec:
    """``spec`` with the import flags and ``--data-seed`` applied.

    A file named on the command line (``new_file``) gets its fingerprint recorded, so a
    project saved from this run notices when the file is later moved or changed.
    """
    from nncore.cli import UsageError

    changes = recipe_changes(args, spec)
    seed = getattr(args, "data_seed", None)
    if seed is not None:
        if seed < 0:
            raise UsageError(f"--data-seed must be a whole number >= 0, got {seed}")
        changes["seed"] = seed
    if new_file and spec.source == "file" and spec.path:
        from nncore.data.provenance import file_fingerprint
        from nncore.errors import DataError

        with contextlib.suppress(DataError):  # loading the file reports what is wrong
            changes["fingerprint"] = file_fingerprint(spec.path)
    return dataclasses.replace(spec, **changes) if changes else spec


def _recipe_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    spec = dataclasses.replace(DataSpec(source="file", path=args.file),
                               **recipe_changes(args, DataSpec(source="file", path="-")))
    from nncore.data.registry import recipe_of

    return {"target": args.target, **spec.options, **recipe_of(spec)}


def cmd_inspect(args: argparse.Namespace) -> int:
    """Print what importing a table would do: schema, roles, missing, balance, inputs."""
    from nncore.data.csvfile import inspect_file

    plan = inspect_file(args.file, **_recipe_kwargs(args))
    if args.json:
        print(json.dumps(plan.to_dict(), indent=2, allow_nan=False))
        return 0
    print(f"{args.file}: {plan.n_rows} rows, {len(plan.columns)} columns ({plan.source})")
    width = max(len("column"), *(len(c.name) for c in plan.columns))
    print(f"  {'column':<{width}}  {'type':<11} {'missing':>7}  {'role':<6}  example")
    for column in plan.columns:
        role = plan.roles.get(column.name, "target")
        print(f"  {column.name:<{width}}  {column.kind:<11} {column.n_missing:>7}  "
              f"{role:<6}  {column.example}")
    print(f"target {plan.target!r}: {plan.task}")
    if plan.class_names:
        print("  class balance: " + ", ".join(
            f"{n} {c}" for n, c in zip(plan.class_names, plan.class_counts, strict=True)))
    elif plan.histogram is not None:
        edges = plan.histogram[1]
        print(f"  values from {edges[0]:.4g} to {edges[-1]:.4g}")
    for note in plan.notes:
        print(f"note: {note}")
    print(f"{plan.n_kept} rows used; {plan.summary}")
    print("inputs: " + ", ".join(plan.feature_names))
    return 0


def add_inspect_parser(sub: Any) -> None:
    """Register ``nncore inspect FILE [--target COL] [--json]`` with the recipe flags."""
    p = sub.add_parser("inspect", help="show how a CSV/XLSX file would be imported (dry run)",
                       description="Show the detected column types, roles, missing values, "
                       "class balance and the resulting number of inputs, without training.")
    p.add_argument("file", help="a .csv/.tsv/.txt (optionally .gz/.zip) or .xlsx file")
    p.add_argument("--target", help="the column to predict (name or 0-based number)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    add_import_flags(p, with_seed=False)
