"""``gradient-check-failed``: backprop and central differences disagree."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from nncore.doctor import fixes
from nncore.doctor.findings import Finding
from nncore.gradcheck import GradCheckResult

LOSS_FLOOR_NOISE = 1e-5
"""Gradients whose backprop and numeric norms are both below this (times max(1, loss)) are
'about zero' in both: nothing to compare."""


def layer_of(tensor_name: str) -> str:
    """The layer id of a parameter name such as ``dense-2.weight``."""
    return tensor_name.rpartition(".")[0] or tensor_name


def findings_from_gradcheck(result: GradCheckResult, specs: fixes.Specs,
                            design: Sequence[Finding] = ()) -> list[Finding]:
    """One ``gradient-check-failed`` problem if any tensor is above the threshold.

    The finding's layer is the failing layer nearest the output (the evidence lists every
    tensor's relative error). ``design``: the design's findings (``examine_design``); an
    output/loss mismatch among them explains the failure (see ``explained_by_design``).
    """
    found = _failed(result, specs)
    return [explained_by_design(f, list(design), specs[1].bugs) for f in found]


def _failed(result: GradCheckResult, specs: fixes.Specs) -> list[Finding]:
    # at a loss floor backprop may be exactly 0 while central differences return rounding
    # noise (relative error 1): both tiny is agreement, not a bug
    floor = LOSS_FLOOR_NOISE * max(1.0, abs(result.loss))
    failures = [t for t in result.failures()
                if max(t.analytic_norm, t.numeric_norm) > floor]
    if not failures:
        return []
    worst = max(failures, key=lambda t: t.relative_error)
    order = {layer.id: i for i, layer in enumerate(specs[0].layers)}
    failing = sorted({layer_of(t.name) for t in failures}, key=lambda lid: order.get(lid, -1))
    # A wrong gradient corrupts its own layer and every layer before it (backprop runs from
    # the output back), so the failing layer nearest the output is where the bug is.
    layer = failing[-1]
    evidence: dict[str, float | str] = {t.name: t.relative_error for t in result.tensors}
    evidence["threshold"] = result.threshold
    where = ", ".join(failing)
    return [Finding(
        "gradient-check-failed", "problem", "The gradient is wrong",
        f"backprop disagrees with finite differences in {where} (relative error up to "
        f"{worst.relative_error:.3g}, threshold {result.threshold:.0e})",
        "The gradient check nudges each weight a tiny bit up and down and measures how the "
        "loss changes: (L(w + h) − L(w − h)) / 2h. Back-propagation must give the same "
        "numbers; a correct implementation agrees to about 1e-9. Errors this large mean the "
        "backward pass has a bug, so the network follows the wrong direction: it may still "
        "learn slowly, or collapse to the same answer for every input.",
        layer, evidence, fixes.remove_bugs_fix(specs), "gradcheck", "gradcheck")]


DESIGN_MISMATCH = frozenset({"output-activation-mismatch", "loss-output-mismatch"})


def explained_by_design(f: Finding, findings: Sequence[Finding],
                        bugs: Sequence[str]) -> Finding:
    """A gradient check that fails because the targets do not fit the fused loss (softmax on
    one unit, cross-entropy on a regression) is not a bug in backprop: say so, as a warning,
    and offer the design's fix. Unchanged with lesson bugs on, or without such a mismatch."""
    design = next((d for d in findings if d.code in DESIGN_MISMATCH and d.stage == "design"
                   and d.severity == "problem"), None)
    if f.code != "gradient-check-failed" or design is None or bugs:
        return f
    return dataclasses.replace(
        f, severity="warning", title="The gradient check fails because of the loss",
        message=f"backprop and finite differences disagree because {design.message}: the "
        "fused loss assumes targets this output cannot produce, not a bug in backprop",
        explanation="Softmax with cross-entropy (and sigmoid with binary cross-entropy) are "
        "computed together, with the short gradient p − y. That shortcut is exact only for "
        "targets the output can produce (one-hot rows, 0/1 labels). With other targets the "
        "short gradient is not the derivative of the loss, and the check says so. Fix the "
        "output and loss; the check then passes.", fix=design.fix)
