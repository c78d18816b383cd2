"""Checks on the insides of a network: dead, saturated and identical units, gradient flow.

They read ``LayerStats`` (``nncore.diagnostics``), computed by the trainer on a probe batch
a few times per second. Each check returns a ``Signal`` per layer: whether the raise
condition holds in this observation, whether the (softer) clear condition holds, and the
finding to show. ``nncore.doctor.runtime.Doctor`` decides when a signal has persisted long
enough to be raised, and when it is cleared.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nncore.diagnostics import LayerStats
from nncore.doctor import fixes
from nncore.doctor.curves import Context
from nncore.doctor.findings import Finding
from nncore.doctor.thresholds import (
    DEAD_RELU_CLEAR,
    DEAD_RELU_FRACTION,
    GRADIENT_FLOOR,
    GRADIENT_RATIO_HIGH,
    GRADIENT_RATIO_LOW,
    SATURATED_CLEAR,
    SATURATED_FRACTION,
    SYMMETRY_SPREAD,
)

ADAPTIVE = frozenset({"adam", "adamw", "rmsprop", "adagrad"})


@dataclass(frozen=True)
class Signal:
    """One observation of one condition for one layer."""

    key: tuple[str, str | None]
    raised: bool
    cleared: bool
    finding: Finding | None


def weight_counts(stats: Sequence[LayerStats], n_inputs: int) -> list[int]:
    """Number of weights of each Dense layer in ``stats`` (in network order)."""
    counts, width = [], n_inputs
    for s in stats:
        counts.append(max(1, width * s.units))
        width = s.units
    return counts


def _healthy_severity(healthy: bool) -> str:
    return "info" if healthy else "warning"


def dead_units(ctx: Context, stat: LayerStats, healthy: bool) -> Signal | None:
    """``dead-relu``: ReLU units that output 0 for every probe sample."""
    if stat.activation != "relu":
        return None
    fraction = stat.dead_fraction
    key = ("dead-relu", stat.layer_id)
    if fraction < DEAD_RELU_CLEAR:
        return Signal(key, False, True, None)
    dead = round(fraction * stat.units)
    severity = "problem" if fraction >= 1.0 else _healthy_severity(healthy)
    if fraction >= 1.0:
        message = (f"the output of {stat.layer_id} is 0 for every training sample: the unit is "
                   "dead and passes no gradient back" if stat.units == 1 else
                   f"all {stat.units} units of {stat.layer_id} output 0 for every training "
                   "sample: no gradient passes through the layer")
    else:
        message = (f"{dead} of {stat.units} units of {stat.layer_id} output 0 for every "
                   f"training sample ({fraction:.0%})")
    hint = " The network fits the data anyway, so they only waste capacity." if \
        severity == "info" else ""
    finding = Finding(
        "dead-relu", severity, "Dead ReLU units",
        message,
        "A ReLU unit outputs 0 whenever its input is negative, and its slope there is 0 too, "
        "so no gradient reaches its weights. A unit whose input is negative for every "
        "sample is 'dead': it neither contributes nor learns, and it rarely comes back. "
        "Large learning rates, a large negative bias or inputs that are all positive kill "
        "units. Leaky ReLU keeps a small slope for negative inputs, so units can recover."
        + hint, stat.layer_id,
        {"dead_fraction": fraction, "dead_units": float(dead), "units": float(stat.units)},
        fixes.dead_relu_fix(ctx.specs, stat.layer_id, ctx.task), "health")
    return Signal(key, fraction >= DEAD_RELU_FRACTION, False, finding)


def saturated_units(ctx: Context, stat: LayerStats, healthy: bool,
                    inputs_unnormalized: bool) -> Signal | None:
    """``saturated-units``: tanh/sigmoid outputs stuck near their limits."""
    if stat.activation not in ("tanh", "sigmoid"):
        return None
    fraction = stat.saturated_fraction
    key = ("saturated-units", stat.layer_id)
    if fraction < SATURATED_CLEAR:
        return Signal(key, False, True, None)
    severity = _healthy_severity(healthy)
    limits = "±1" if stat.activation == "tanh" else "0 or 1"
    finding = Finding(
        "saturated-units", severity, "Saturated units",
        f"{fraction:.0%} of the outputs of {stat.layer_id} ({stat.activation}) sit at "
        f"{limits}, where the slope is almost 0",
        f"{stat.activation} flattens out for large inputs: once a unit's input is far from "
        "0 its output is stuck at a limit and its slope, which multiplies every gradient "
        "passing through it, is nearly 0. The unit stops learning and blocks the layers "
        "before it. Large inputs (not normalised) or large weights cause it."
        + (" The network fits the data anyway." if severity == "info" else ""),
        stat.layer_id, {"saturated_fraction": fraction, "units": float(stat.units),
                        "pre_activation_std": stat.pre_activation_std},
        fixes.saturation_fix(ctx.specs, stat.layer_id, inputs_unnormalized), "health")
    return Signal(key, fraction >= SATURATED_FRACTION, False, finding)


def identical_units(ctx: Context, stat: LayerStats, step: int) -> Signal | None:
    """``zero-init-symmetry`` at run time: every unit of a layer still has the same weights."""
    spread = stat.unit_spread
    if stat.units < 2 or not math.isfinite(spread):
        return None
    key = ("zero-init-symmetry", stat.layer_id)
    if spread > SYMMETRY_SPREAD:
        return Signal(key, False, True, None)
    finding = Finding(
        "zero-init-symmetry", "problem", "All units are identical",
        f"after {step} steps the {stat.units} units of {stat.layer_id} still have identical "
        "weights", "Every unit of this layer started with the same weights, so each one "
        "computes the same output and receives the same gradient: they stay copies of each "
        "other and the layer acts like one unit. Random initial weights break the symmetry.",
        stat.layer_id, {"unit_spread": spread, "units": float(stat.units), "steps": float(step)},
        fixes.symmetric_init_fix(ctx.specs), "weights")
    return Signal(key, True, False, finding)


def gradient_ratio(stats: Sequence[LayerStats], counts: Sequence[int]) -> float | None:
    """RMS weight gradient of the first Dense layer over that of the last one."""
    if len(stats) < 2:
        return None
    first = stats[0].grad_norm / math.sqrt(counts[0])
    last = stats[-1].grad_norm / math.sqrt(counts[-1])
    if not (math.isfinite(first) and math.isfinite(last)) or last < GRADIENT_FLOOR:
        return None
    return first / last


def gradient_flow(ctx: Context, ratios: Sequence[float], first: str, last: str,
                  inputs_unnormalized: bool) -> list[Signal]:
    """``vanishing-gradient`` / ``exploding-gradient`` from the median of recent ratios."""
    if not ratios:
        return []
    ratio = float(np.median(ratios))
    evidence = {"gradient_ratio": ratio, "first_layer": first, "last_layer": last,
                "observations": float(len(ratios))}
    vanish_key, explode_key = ("vanishing-gradient", first), ("exploding-gradient", first)
    vanishing = Finding(
        "vanishing-gradient", "warning", "Vanishing gradient",
        f"the gradient per weight in {first} is {ratio:.1e} times that of the output layer",
        "Back-propagation multiplies the gradient by each layer's weights and activation "
        "slopes on its way back. When those factors are below 1 (small initial weights, "
        "sigmoid's slope of at most 0.25, saturated units), the gradient shrinks layer by "
        "layer and the first layers hardly learn. Initialisation scaled to the layer size "
        "(Glorot for tanh, He for ReLU) keeps it steady.", first, evidence,
        fixes.gradient_flow_fix(ctx.specs, False, inputs_unnormalized), "health")
    exploding = Finding(
        "exploding-gradient", "warning", "Exploding gradient",
        f"the gradient per weight in {first} is {ratio:.1e} times that of the output layer",
        "Back-propagation multiplies the gradient by each layer's weights on its way back. "
        "When those factors are above 1 (initial weights too large), the gradient grows "
        "layer by layer and the first layers take huge, erratic steps. Initialisation "
        "scaled to the layer size (Glorot, He) or clipping the gradient norm tames it.",
        first, evidence, fixes.gradient_flow_fix(ctx.specs, True, inputs_unnormalized), "health")
    # cleared only a factor 10 back inside the healthy range (hysteresis)
    return [Signal(vanish_key, ratio < GRADIENT_RATIO_LOW, ratio >= 10 * GRADIENT_RATIO_LOW,
                   vanishing),
            Signal(explode_key, ratio > GRADIENT_RATIO_HIGH, ratio <= GRADIENT_RATIO_HIGH / 10,
                   exploding)]


def step_ratio(stats: Sequence[LayerStats], counts: Sequence[int], optimizer: str, lr: float,
               momentum: float) -> float:
    """The largest relative size of a weight step over the layers (see ``LR_LOW_STEP_RATIO``)."""
    best = 0.0
    for s, count in zip(stats, counts):
        if not (s.weight_norm > 0 and math.isfinite(s.weight_norm)):
            continue
        if optimizer in ADAPTIVE:
            ratio = lr / (s.weight_norm / math.sqrt(count))
        else:
            ratio = lr * s.grad_norm / s.weight_norm / max(1e-3, 1.0 - momentum)
        best = max(best, ratio)
    return best
