"""``gradient-check-failed``: backprop and central differences disagree."""

from __future__ import annotations

from nncore.doctor import fixes
from nncore.doctor.findings import Finding
from nncore.gradcheck import GradCheckResult

LOSS_FLOOR_NOISE = 1e-5
"""Gradients whose backprop and numeric norms are both below this (times max(1, loss)) are
'about zero' in both: nothing to compare."""


def layer_of(tensor_name: str) -> str:
    """The layer id of a parameter name such as ``dense-2.weight``."""
    return tensor_name.rpartition(".")[0] or tensor_name


def findings_from_gradcheck(result: GradCheckResult, specs: fixes.Specs) -> list[Finding]:
    """One ``gradient-check-failed`` problem if any tensor is above the threshold.

    The finding's layer is the failing layer nearest the output (the evidence lists every
    tensor's relative error).
    """
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
