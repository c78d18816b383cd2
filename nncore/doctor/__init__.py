"""The network doctor: why a network is not learning, with evidence and a one-click fix.

``examine_design`` checks a design and its data before training; ``Doctor`` watches a run
(``observe(snapshot, records)``); ``findings_from_gradcheck`` reads a gradient check;
``examine_session`` does all three for the CLI (``nncore doctor``, ``nncore train
--report``). Every threshold is in ``nncore.doctor.thresholds`` and explained in
``docs/doctor.md``. No Qt here: the GUI's doctor panel only displays these findings.
"""

from __future__ import annotations

from nncore.doctor.design import examine_design
from nncore.doctor.examine import examine_session, trial_epochs_for
from nncore.doctor.findings import (
    EVIDENCE_VIEWS,
    SEVERITIES,
    Finding,
    Fix,
    open_count,
    severity_rank,
    sort_findings,
)
from nncore.doctor.gradcheck import findings_from_gradcheck
from nncore.doctor.runtime import Doctor

CODES = ("zero-init-symmetry", "output-activation-mismatch", "loss-output-mismatch",
         "dead-relu", "saturated-units", "vanishing-gradient", "exploding-gradient",
         "unnormalized-inputs", "learning-rate-too-high", "learning-rate-too-low",
         "chance-level-plateau", "gradient-check-failed", "capacity-too-low", "overfitting",
         "no-nonlinearity", "no-better-than-linear", "too-much-regularization",
         "labels-unlearnable", "constant-inputs", "redundant-features", "target-scale",
         "class-labels-as-regression", "imbalanced-classes", "schedule-decayed-lr",
         "clipping-throttles", "batch-size-too-small", "init-scale-too-large",
         "init-scale-too-small")
"""Every finding code the doctor can raise (stable: tests, reports and docs use them)."""

__all__ = ["CODES", "EVIDENCE_VIEWS", "SEVERITIES", "Doctor", "Finding", "Fix",
           "examine_design", "examine_session", "findings_from_gradcheck", "open_count",
           "severity_rank", "sort_findings", "trial_epochs_for"]
