"""The teacher's commands: ``nncore grade``, ``nncore report`` and ``nncore export``.

Registered in ``nncore.cli.make_parser`` through ``TEACH_COMMANDS``; each entry is
(function, help text, parser setup). Errors follow ``nncore.cli``'s rules: bad input exits
2 with one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nncore.cli import EXIT_OK, UsageError, _add_model_flags, make_session, specs_from_args

# --------------------------------------------------------------------------- grade


def _setup_grade(p: argparse.ArgumentParser) -> None:
    p.add_argument("assignment", help="the assignment file (.json or .bplab) the class got")
    p.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                   help="handed-in files, or folders of them")
    p.add_argument("--csv", metavar="OUT.csv", help="write one row per submission")
    p.add_argument("--retrain", action="store_true",
                   help="re-run each design from its seed and check the goals on the re-run")
    p.add_argument("--jobs", type=int, default=None,
                   help="worker processes (default: the local cores)")


def _measured_text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else "-"
    return str(value)


def cmd_grade(args: argparse.Namespace) -> int:
    """Grade submissions; prints a table and optionally writes a CSV file."""
    from nncore.grading import expand_submissions, grade_all, load_assignment

    _, assignment = load_assignment(args.assignment)
    assignment_file = Path(args.assignment).resolve()
    files = [f for f in expand_submissions(args.submissions)
             if Path(f).resolve() != assignment_file]
    if not files:
        raise UsageError("no submission files to grade")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    rows = grade_all(args.assignment, files, retrain=args.retrain, jobs=args.jobs)
    goals = assignment.goals
    _print_table(goals, rows)
    counts = {s: sum(r.status == s for r in rows) for s in ("pass", "fail", "mismatch", "error")}
    print(", ".join(f"{n} {s}" for s, n in counts.items()) + f" of {len(rows)} submission(s)"
          + (" (re-trained from their seeds)" if args.retrain else ""))
    if args.csv:
        _write_grades_csv(args.csv, goals, rows)
    return EXIT_OK


def _csv_number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.10g}" if math.isfinite(value) else ""
    return str(value)


def _print_table(goals, rows) -> None:
    """One line per submission: status, then ✓/✗ and the measured value per goal."""
    cells = [[f"{'✓' if s.met else '✗' if s.met is False else '…'} "
              f"{_measured_text(s.measured)}" for s in row.goals] for row in rows]
    widths = [max([len(f"{i}. {g.describe()}")] + [len(c[i - 1]) for c in cells
                                                    if len(c) >= i])
              for i, g in enumerate(goals, start=1)]
    name = max([len("submission")] + [len(r.file) for r in rows])
    print(f"{'submission':<{name}}  {'status':<8}  " + "  ".join(
        f"{f'{i}. {g.describe()}':<{w}}" for i, (g, w) in enumerate(zip(goals, widths), 1)))
    for row, marks in zip(rows, cells):
        line = f"{row.file:<{name}}  {row.status:<8}  " + "  ".join(
            f"{m:<{w}}" for m, w in zip(marks, widths))
        print(line.rstrip() + (f"  ({row.reason})" if row.reason else ""))


def _write_grades_csv(path: str, goals, rows) -> None:
    header = ["file", "student", "status", "passed", "epochs", "reason"]
    for i, goal in enumerate(goals, start=1):
        header += [f"goal{i} {goal.column} met", f"goal{i} {goal.column} measured"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for row in rows:
            cells = [row.file, row.student, row.status, row.status == "pass",
                     "" if row.epochs is None else row.epochs, row.reason]
            by_goal = list(row.goals) + [None] * (len(goals) - len(row.goals))
            for status in by_goal:
                cells += ["", ""] if status is None else [
                    "" if status.met is None else status.met,
                    "" if status.measured is None else _csv_number(status.measured)]
            writer.writerow(cells)


# --------------------------------------------------------------------------- export


def _setup_export(p: argparse.ArgumentParser) -> None:
    _add_model_flags(p)
    p.add_argument("--to", choices=("numpy", "pytorch"), default="numpy",
                   help="plain NumPy (default) or PyTorch")
    p.add_argument("-o", "--output", metavar="TRAIN.py",
                   help="the script to write (default: print it)")


def cmd_export(args: argparse.Namespace) -> int:
    """Write a standalone script that trains the design the same way."""
    from nncore.export import export_script
    from nncore.session import Session

    project, network, training, data = specs_from_args(args)
    session = Session(network, training, data)
    output = Path(args.output) if args.output else None
    text = export_script(session, args.to, title=project.title if project else "",
                         sidecar=output.with_suffix(".npz") if output else None)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        print(f"wrote {output} ({args.to}); run it with: python {output} [--epochs N]")
    return EXIT_OK


# --------------------------------------------------------------------------- report


def _setup_report(p: argparse.ArgumentParser) -> None:
    _add_model_flags(p)
    p.add_argument("-o", "--output", metavar="RUN.html", required=True,
                   help="the HTML file to write")


def cmd_report(args: argparse.Namespace) -> int:
    """Write a printable HTML report of a run (training it first if it has none)."""
    from nncore.report import session_report

    project, *_ = specs_from_args(args)
    session = make_session(args)
    if not len(session.trainer.history):
        print(f"training {session.trainer.epochs} epochs first (the project holds no run)")
    html = session_report(session, title=project.title if project else "",
                          lesson=project.lesson if project else None)
    Path(args.output).write_text(html, encoding="utf-8")
    print(f"wrote {args.output}: {session.trainer.epoch} epochs; open it in a browser and "
          "print it for your lab notebook")
    return EXIT_OK


TEACH_COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], str,
                                Callable[[argparse.ArgumentParser], None]]] = {
    "grade": (cmd_grade, "grade submissions against an assignment's goals", _setup_grade),
    "report": (cmd_report, "write a printable HTML report of a run", _setup_report),
    "export": (cmd_export, "write the design as a standalone NumPy or PyTorch script",
               _setup_export),
}
