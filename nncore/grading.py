"""Grading a folder of submissions against an assignment (``nncore grade``).

Each submission gets one ``Row``: whether every goal is met, each goal's measured value,
and a reason when it could not be graded (a damaged file, a file handed in for another
assignment, a design that breaks the assignment's locks). Nothing a submission holds is
trusted blindly: the goals are recomputed from the specs, history and weights it holds
(the status the student's app recorded is ignored), and with ``retrain=True`` the design is
trained again from its seed and the goals are checked on that re-run, so a hand-edited
history claiming a result the design did not get is caught (``status = "mismatch"``).

Submissions are graded in parallel in spawned worker processes, one BLAS thread each (so
workers do not fight over the cores and re-runs are bit-for-bit repeatable).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nncore.assignments import (
    Assignment,
    AssignmentError,
    Evidence,
    GoalStatus,
    all_met,
    assignment_of,
    evaluate,
    evidence_from_session,
    lock_violations,
)
from nncore.errors import NNCoreError
from nncore.project import Project, load_project

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
LOSS_TOLERANCE = 1e-3
"""Relative difference of the final training loss above which a re-run disagrees with the
history a submission claims (float32 sums in another order differ by ~1e-6)."""
METRIC_TOLERANCE = 0.01
"""Absolute difference of the final accuracy or R² above which a re-run disagrees."""


@dataclass
class Row:
    """One submission's grade (``status``: pass, fail, mismatch or error)."""

    file: str
    status: str
    reason: str = ""
    student: str = ""
    epochs: int | None = None
    goals: list[GoalStatus] = field(default_factory=list)
    claimed: list[GoalStatus] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "status": self.status, "reason": self.reason,
                "student": self.student, "epochs": self.epochs,
                "goals": [g.to_dict() for g in self.goals]}


def load_assignment(path: str | os.PathLike) -> tuple[Project, Assignment]:
    """The assignment's project and goals; ``AssignmentError`` if it has none."""
    project = load_project(path)
    assignment = assignment_of(project)
    if assignment is None:
        raise AssignmentError(f"{Path(path).name}: not an assignment (its lesson has no "
                              "'assignment' object; see docs/lessons.md)")
    if not assignment.goals:
        raise AssignmentError(f"{Path(path).name}: the assignment has no goals to check")
    return project, assignment


def _assignment_id(project: Project) -> str | None:
    return (project.lesson or {}).get("id")


def _findings(session: Any, wanted: bool) -> list[Any] | None:
    """The doctor's findings on the session's run, only if a goal asks about them (the
    doctor's gradient check is the slowest part of grading a small run)."""
    from nncore.doctor import examine_session

    return examine_session(session) if wanted and len(session.trainer.history) else None


def _evidence(project: Project, findings: bool) -> Evidence:
    """The evidence of a handed-in project (its weights and history)."""
    from nncore.session import session_from_project

    session = session_from_project(project)
    return evidence_from_session(session, _findings(session, findings))


def _rerun(project: Project, epochs: int, findings: bool) -> Evidence:
    """Train the submission's design again from its seed for ``epochs`` epochs."""
    from nncore.session import Session

    training = dataclasses.replace(project.training, epochs=max(1, epochs))
    session = Session(project.network, training, project.data)
    session.trainer.run()
    return evidence_from_session(session, _findings(session, findings))


def _disagreement(claimed: Evidence, rerun: Evidence) -> str:
    """Why a re-run does not back a submission's history ('' when it does)."""
    if not claimed.records or not rerun.records:
        return "" if len(claimed.records) == len(rerun.records) else "the run lengths differ"
    a, b = claimed.records[-1], rerun.records[-1]
    if a.epoch != b.epoch:
        return f"the history ends at epoch {a.epoch}, the re-run at epoch {b.epoch}"
    loss_gap = abs(a.train_loss - b.train_loss) / max(abs(b.train_loss), 1e-12)
    if not (math.isfinite(loss_gap) and loss_gap <= LOSS_TOLERANCE):
        return (f"the history claims a final training loss of {a.train_loss:.4g}; "
                f"the re-run from the seed gives {b.train_loss:.4g}")
    for split in ("train", "val"):
        x, y = getattr(a, f"{split}_metric"), getattr(b, f"{split}_metric")
        if math.isfinite(x) != math.isfinite(y) or (math.isfinite(x)
                                                    and abs(x - y) > METRIC_TOLERANCE):
            return (f"the history claims a final {split} {claimed.metric_name} of {x:.4g}; "
                    f"the re-run from the seed gives {y:.4g}")
    return ""


def grade_one(assignment_path: str, submission_path: str, retrain: bool = False) -> Row:
    """Grade one submission; every failure becomes a row with the reason, never an error."""
    name = Path(submission_path).name
    try:
        reference, assignment = load_assignment(assignment_path)
        return _grade(reference, assignment, submission_path, retrain)
    except (NNCoreError, ValueError, OSError, KeyError, TypeError, MemoryError) as err:
        return Row(name, "error", _one_line(err))


def _one_line(err: BaseException) -> str:
    text = str(err).strip().replace("\n", " ") or type(err).__name__
    return text if len(text) < 300 else text[:297] + "..."


def _grade(reference: Project, assignment: Assignment, path: str, retrain: bool) -> Row:
    name = Path(path).name
    project = load_project(path)
    lesson = project.lesson or {}
    if "assignment" not in lesson:
        return Row(name, "error", "foreign file: a project, but not one made from an "
                   "assignment (it has no goals)")
    if _assignment_id(project) != _assignment_id(reference):
        return Row(name, "error", f"foreign file: handed in for {lesson.get('id')!r}, not "
                   f"for this assignment ({_assignment_id(reference)!r})")
    student = str((lesson.get("submission") or {}).get("student", "")) or project.title
    if not project.history or not len(project.history):
        return Row(name, "error", "no training history: the project was handed in untrained",
                   student)
    broken = lock_violations(assignment, reference, project.network, project.training,
                             project.data)
    doctor = any(goal.kind == "finding" for goal in assignment.goals)
    claimed = _evidence(project, doctor)
    epochs = claimed.records[-1].epoch
    row = Row(name, "pass", "", student, epochs, evaluate(assignment.goals, claimed))
    if retrain:
        row.claimed = row.goals
        rerun = _rerun(project, epochs, doctor)
        row.goals = evaluate(assignment.goals, rerun)
        gap = _disagreement(claimed, rerun)
        if gap:
            row.status, row.reason = "mismatch", f"tampered or not reproducible: {gap}"
            return row
    if broken:
        row.status = "fail"
        row.reason = "changed locked controls: " + ", ".join(lk.control for lk in broken)
    elif not all_met(row.goals):
        row.status = "fail"
        row.reason = "goals not met: " + "; ".join(s.goal.describe() for s in row.goals
                                                    if s.met is not True)
    return row


# --------------------------------------------------------------------------- many at once


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Child processes spawned inside this block use one BLAS/OpenMP thread each."""
    saved = {k: os.environ.get(k) for k in THREAD_VARIABLES}
    os.environ.update(dict.fromkeys(THREAD_VARIABLES, "1"))
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def default_jobs() -> int:
    """Worker processes to use: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def grade_all(assignment_path: str, submissions: Sequence[str], *, retrain: bool = False,
              jobs: int | None = None) -> list[Row]:
    """Grade every submission (in the given order), in parallel when ``jobs`` > 1."""
    load_assignment(assignment_path)  # a broken assignment is the caller's error, once
    jobs = max(1, min(jobs or default_jobs(), len(submissions)))
    if jobs == 1:
        return [grade_one(assignment_path, path, retrain) for path in submissions]
    import multiprocessing

    with one_blas_thread(), ProcessPoolExecutor(
            jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(grade_one, assignment_path, path, retrain)
                   for path in submissions]
        rows = []
        for path, future in zip(submissions, futures):
            try:
                rows.append(future.result())
            except Exception as err:  # a worker that died (out of memory...)
                rows.append(Row(Path(path).name, "error", f"grading crashed: {_one_line(err)}"))
        return rows


def expand_submissions(items: Sequence[str]) -> list[str]:
    """Files named, with folders replaced by the project files they hold (sorted)."""
    out: list[str] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            out += sorted(str(p) for p in path.iterdir()
                          if p.is_file() and not p.name.startswith("."))
        else:
            out.append(item)
    return out
