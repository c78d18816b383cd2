"""Run-time checks that judge a run against what the data allows, and that name causes.

The yardsticks come from ``nncore.doctor.reference`` (majority share, the best straight
line, a nearest-neighbour estimate). With them the doctor can say:

- ``labels-unlearnable``: the labels cannot be predicted from the inputs at all (shuffled
  labels, classes that overlap completely): nothing about the network is to blame;
- ``no-better-than-linear``: the network fits no better than a straight line although the
  data is clearly curved;
- ``imbalanced-classes``: the network answers the majority class for everything.

``name_causes`` then replaces symptoms by the setting that causes them (a schedule that
decayed the learning rate, clipping on every step, single-sample batches, the initial
weight scale, heavy regularisation, broken data), and lets severity follow the outcome: a
design mistake on a run that fits anyway is a warning, not a problem.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

from nncore.diagnostics import LayerStats
from nncore.doctor import fixes
from nncore.doctor.curves import Context, Curves
from nncore.doctor.findings import Finding, severity_rank
from nncore.doctor.gradcheck import DESIGN_MISMATCH, explained_by_design
from nncore.doctor.thresholds import (
    ATTAINABLE_MARGIN,
    CLIP_ACTIVE,
    EXTREME_LR,
    IMBALANCE_EPOCHS,
    IMBALANCE_SHARE,
    INIT_GROWTH,
    LINEAR_GAP,
    LINEAR_MIN_EPOCHS,
    LINEAR_TOLERANCE,
    LR_LOW_RELATIVE_CHANGE,
    MIN_EPOCHS,
    SCHEDULE_DECAYED,
    SMALL_BATCH,
    UNLEARNABLE_MIN_EPOCHS,
)
from nncore.spec import DenseSpec, NetworkSpec

# --------------------------------------------------------------------------- outcomes


def labels_unlearnable(ctx: Context, curves: Curves, n_val: int,
                       finished: bool) -> Finding | None:
    """``labels-unlearnable``: neither the network nor k-NN nor a line beats chance on the
    validation set."""
    ref, last = ctx.reference, curves.records[-1] if curves.records else None
    if ref is None or last is None or ctx.task == "regression" or not math.isfinite(
            ref.knn_val_metric) or not (last.epoch >= UNLEARNABLE_MIN_EPOCHS or finished):
        return None
    bound = ref.chance_bound(n_val)
    best_val = float(np.nanmax(curves.column("val_metric", len(curves.records))))
    if not (best_val <= bound and ref.knn_val_metric <= bound and ref.linear_val_metric <= bound):
        return None
    memorising = last.train_metric > bound + 0.1
    how = (f"the network memorises the training set (accuracy {last.train_metric:.3g}) but "
           "gets no better than chance on new samples" if memorising else
           "the training accuracy stays at chance too")
    return Finding(
        "labels-unlearnable", "warning", "The labels cannot be predicted from the inputs",
        f"validation accuracy {best_val:.3g}, nearest neighbours {ref.knn_val_metric:.3g}, a "
        f"straight line {ref.linear_val_metric:.3g}: all at chance (majority share "
        f"{ref.majority:.3g}); {how}",
        "Samples that look alike should get the same label; here the nearest neighbours of a "
        "sample are no better at predicting its label than a coin, and neither is a "
        "straight line nor the network. Then no network setting helps: the labels are "
        "shuffled or attached to the wrong rows, or the classes overlap so completely that "
        "chance is the ceiling. Check how inputs and labels were paired.", None,
        {"val_accuracy": best_val, "knn_val_accuracy": ref.knn_val_metric,
         "linear_val_accuracy": ref.linear_val_metric, "majority_share": ref.majority,
         "train_accuracy": last.train_metric}, None, "data")


def no_better_than_linear(ctx: Context, curves: Curves, finished: bool,
                          inputs_raw: bool) -> Finding | None:
    """``no-better-than-linear``: the run's training score is that of the best straight
    line, while nearest neighbours show the data is not straight."""
    ref, last = ctx.reference, curves.records[-1] if curves.records else None
    if ref is None or last is None or not (last.epoch >= LINEAR_MIN_EPOCHS or (
            finished and last.epoch >= LINEAR_MIN_EPOCHS // 2)):
        return None
    lin, knn = ref.linear_train_metric, ref.knn_val_metric
    best_line = max(lin, ref.linear_val_metric)
    if not (math.isfinite(lin) and math.isfinite(knn)) or knn - best_line < LINEAR_GAP or \
            1 - knn > 0.5 * (1 - best_line):
        return None  # k-NN must beat the line clearly: half its error, and some points
    metric = curves.column("train_metric", 20)
    if ctx.task == "regression":
        at_line = 1 - last.train_metric >= (1 - LINEAR_TOLERANCE) * (1 - lin)
    else:
        at_line = last.train_metric <= lin + 0.01
    if not at_line or float(metric[-1] - metric[0]) >= 0.01:
        return None
    name = "R²" if ctx.task == "regression" else "accuracy"
    return Finding(
        "no-better-than-linear", "warning", "No better than a straight line",
        f"training {name} {last.train_metric:.3g} is what the best straight line gets "
        f"({lin:.3g}), while nearest neighbours reach {knn:.3g} on validation",
        "The least-squares straight line (a plane, for several inputs) is computed in closed "
        "form from the same data. A network that fits no better has not used its hidden "
        "layers at all: its units act as one linear map (inputs or targets on a scale that "
        "keeps tanh in its linear middle, too few or too small steps to bend the fit, no "
        "non-linearity). Nearest neighbours show the data allows much better.", None,
        {f"train_{'r2' if ctx.task == 'regression' else 'accuracy'}": last.train_metric,
         "linear_fit": lin, "knn_val": knn},
        fixes.linear_fit_fix(ctx.specs, ctx.task, inputs_raw), "loss")


def imbalanced(ctx: Context, curves: Curves) -> Finding | None:
    """``imbalanced-classes``: accuracy sits at the majority share of an imbalanced set."""
    ref = ctx.reference
    if ctx.task == "regression" or not ctx.majority >= IMBALANCE_SHARE or len(
            curves.records) < IMBALANCE_EPOCHS or ref is None or not math.isfinite(
            ref.knn_val_metric):
        return None  # (a truth table of 4 rows is not 'imbalanced data')
    metric = curves.column("train_metric", IMBALANCE_EPOCHS)
    if np.any(np.abs(metric - ctx.majority) > 0.01):
        return None
    if ref is not None and math.isfinite(ref.knn_val_metric) and \
            ref.knn_val_metric <= ctx.majority + 0.01:
        return None  # nothing better is attainable: that is labels-unlearnable's case
    last = curves.records[-1]
    return Finding(
        "imbalanced-classes", "warning", "Only the majority class is predicted",
        f"accuracy {last.train_metric:.3g} is the share of the largest class "
        f"({ctx.majority:.3g}) for {IMBALANCE_EPOCHS} epochs: the network answers that class "
        "for everything", "When one class is most of the data, answering it always already "
        "scores its share — an accuracy that looks high and means nothing. The gradient "
        "from the few other samples is small, so slow optimisers stay there. Look at the "
        "confusion matrix (or per-class recall), give the optimiser stronger steps (Adam), "
        "or balance the classes (resample, weight the loss).", None,
        {"accuracy": last.train_metric, "majority_share": ctx.majority},
        fixes.adam_fix(ctx.specs), "confusion")


def schedule_stalled(ctx: Context, curves: Curves, lr: float) -> Finding | None:
    """``schedule-decayed-lr``: the schedule has taken the rate to ~0 while the loss is flat
    and the training score is clearly below what the data allows."""
    training, last = ctx.specs[1], curves.records[-1] if curves.records else None
    start = training.optimizer.lr
    if last is None or training.schedule.name == "constant" or not lr < SCHEDULE_DECAYED * \
            start or len(curves.records) < 2 * MIN_EPOCHS:
        return None
    window = max(MIN_EPOCHS, len(curves.records) // 5)
    losses = curves.column("train_loss", window + 1)
    change = abs(losses[-1] - losses[0]) / max(abs(losses[0]), 1e-300) / (losses.size - 1)
    attainable = ctx.reference.attainable if ctx.reference is not None else math.nan
    bar = attainable - ATTAINABLE_MARGIN if math.isfinite(attainable) else ctx.healthy_bar
    if change >= LR_LOW_RELATIVE_CHANGE or last.train_metric >= bar:
        return None
    return Finding(
        "schedule-decayed-lr", "warning", "The schedule has stopped the learning",
        f"the {training.schedule.name} schedule has decayed the learning rate from {start:g} "
        f"to {lr:.2g}; the loss no longer moves while the training score ({last.train_metric:.3g}) "
        f"is below what the data allows ({attainable:.3g})", SCHEDULE_TEXT, None,
        {"start_lr": start, "current_lr": lr, "change_per_epoch": change,
         "train_metric": last.train_metric}, fixes.schedule_fix(ctx.specs), "loss")


SCHEDULE_TEXT = (
    "A schedule lowers the learning rate as training goes, to settle into a minimum. Decayed "
    "too fast (a small gamma, a short step size), it reaches about 0 long before the network "
    "has learnt anything, and training stalls with the loss still high. Raising the "
    "starting rate does not help: the schedule shrinks it again. Keep the rate constant, or "
    "decay it more gently.")


# --------------------------------------------------------------------------- causes


def init_growth(network: NetworkSpec, n_inputs: int) -> float:
    """Product over the Dense layers (output excluded) of their initial weight scale
    relative to the He/Glorot scale: how much the initial weights alone grow the signal."""
    from nncore.activations import canonical_activation
    from nncore.doctor.thresholds import RELU_LIKE

    growth, width = 1.0, n_inputs
    for layer in network.hidden:
        if not isinstance(layer, DenseSpec):
            continue
        units = layer.units or 1
        if layer.init in ("normal", "uniform"):
            scale = layer.init_scale if layer.init_scale is not None else 0.05
            std = scale if layer.init == "normal" else scale / math.sqrt(3)
            relu = canonical_activation(layer.activation, allow_auto=True,
                                        strict=False) in RELU_LIKE
            good = math.sqrt(2 / width) if relu else math.sqrt(2 / (width + units))
            growth *= std / good
        width = units
    return growth


def _stats_norm(stats: Sequence[LayerStats]) -> float:
    return math.sqrt(sum(s.grad_norm ** 2 + s.bias_grad_norm ** 2 for s in stats))


def _replace(finding: Finding, code: str, title: str, message: str, explanation: str,
             fix, evidence: dict) -> Finding:
    return dataclasses.replace(finding, code=code, title=title, message=message,
                               explanation=explanation, fix=fix, layer=None,
                               evidence={**finding.evidence, **evidence})


def _lr_too_low_cause(f: Finding, ctx: Context, lr: float,
                      stats: Sequence[LayerStats]) -> Finding:
    training = ctx.specs[1]
    start = training.optimizer.lr
    if training.schedule.name != "constant" and lr < SCHEDULE_DECAYED * start:
        return _replace(
            f, "schedule-decayed-lr", "The schedule has stopped the learning",
            f"the {training.schedule.name} schedule has decayed the learning rate from "
            f"{start:g} to {lr:.2g}: the steps are too small to learn", SCHEDULE_TEXT,
            fixes.schedule_fix(ctx.specs), {"start_lr": start, "current_lr": lr})
    clip = training.optimizer.clip_norm
    if clip is not None and stats and abs(_stats_norm(stats) - clip) <= CLIP_ACTIVE * clip:
        return _replace(
            f, "clipping-throttles", "Gradient clipping throttles every step",
            f"the gradient norm is clipped to {clip:g} on every step, so each step moves the "
            "weights by only a sliver", "Clipping rescales the gradient whenever its norm "
            "exceeds the threshold: a safety net against rare huge steps. With a threshold "
            "far below the gradient's usual size it fires on every step, and every step "
            "becomes lr × threshold long, whatever the gradient says. Clip at about the "
            "gradient's normal size (1–10), or not at all.", fixes.clipping_fix(ctx.specs),
            {"clip_norm": clip, "gradient_norm": _stats_norm(stats)})
    return f


def _mini_batch_lr(ctx: Context) -> bool:
    optimizer = ctx.specs[1].optimizer
    adaptive = optimizer.name in ("adam", "adamw", "rmsprop", "adagrad")
    return optimizer.lr >= (0.005 if adaptive else 0.05)


def _small_batch(f: Finding, ctx: Context) -> Finding:
    batch = ctx.specs[1].batch_size
    return _replace(
        f, "batch-size-too-small", "Single-sample steps with a mini-batch learning rate",
        f"batch size {batch} with learning rate {ctx.specs[1].optimizer.lr:g}: every step "
        "follows the gradient of one sample", "The gradient of one sample points in its own "
        "direction; averaged over a mini-batch of 32 the noise cancels. A learning rate "
        "chosen for mini-batches makes single-sample steps far too wild: the loss jumps, "
        "units die or saturate. Use mini-batches (or a learning rate about 30 times "
        "smaller).", fixes.batch_fix(ctx.specs), {"batch_size": float(batch or 0)})


def _init_too_large(f: Finding, ctx: Context, growth: float) -> Finding:
    return _replace(
        f, "init-scale-too-large", "The initial weights are too large",
        f"the initial weight scale grows the signal about {growth:.2g}-fold through the "
        "hidden layers: the network explodes from the start", "Each layer multiplies its "
        "input by its weights; with weights larger than about 1/√fan-in the signal (and "
        "the gradient on its way back) grows layer after layer, exponentially in depth. The "
        "first steps are then huge and the loss overflows — whatever the learning rate. "
        "He (ReLU) or Glorot (tanh, sigmoid) initialisation scales the weights to keep the "
        "signal steady.", fixes.good_init_fix(ctx.specs),
        {"init_growth": growth})


def _init_too_small(f: Finding, ctx: Context, growth: float) -> Finding:
    return _replace(
        f, "init-scale-too-small", "The initial weights are too small",
        f"the initial weight scale shrinks the signal about {1 / growth:.2g}-fold through the "
        "hidden layers: nothing reaches the output and no gradient comes back",
        "Each layer multiplies its input by its weights; with weights far below about "
        "1/√fan-in the signal (and the gradient on its way back) shrinks layer after "
        "layer, exponentially in depth. He (ReLU) or Glorot (tanh, sigmoid) "
        "initialisation keeps it steady.",
        fixes.good_init_fix(ctx.specs, tanh_for_sigmoid=True), {"init_growth": growth})


DATA_CAUSES = {"labels-unlearnable", "constant-inputs", "too-much-regularization",
               "target-scale", "imbalanced-classes"}
SYMPTOMS = {"chance-level-plateau", "dead-relu", "saturated-units", "vanishing-gradient",
            "exploding-gradient", "learning-rate-too-low", "capacity-too-low", "overfitting",
            "no-better-than-linear"}
"""Findings that a data or regularisation cause explains (they are dropped under it)."""


def name_causes(findings: list[Finding], ctx: Context, lr: float,
                stats: Sequence[LayerStats], n_inputs: int, n_train: int,
                fitting: bool) -> list[Finding]:
    """Replace symptoms by their cause where the settings or the data explain them, and let
    the severity of design findings follow the run's outcome (see the module docstring)."""
    codes = {f.code for f in findings if f.is_open}
    causes = codes & DATA_CAUSES
    training = ctx.specs[1]
    growth = init_growth(ctx.specs[0], n_inputs)
    small_batch = (training.batch_size or n_train) <= SMALL_BATCH and n_train >= 100 and \
        _mini_batch_lr(ctx)
    findings = _extreme_lr(findings, ctx, codes)
    out: list[Finding] = []
    for f in findings:
        if f.code == "no-better-than-linear" and codes - {f.code}:
            continue  # a last resort: any other open finding says why it is a straight line
        if f.code in SYMPTOMS and f.stage == "training" and (causes - {f.code}) and not (
                f.code == "overfitting" and causes <= {"target-scale"}):
            continue
        if f.code == "zero-init-symmetry" and f.stage == "training" and \
                "too-much-regularization" in codes:
            continue  # weights pulled to 0 by the penalty, not a constant start
        if f.code == "learning-rate-too-low":
            f = _lr_too_low_cause(f, ctx, lr, stats)
        elif f.code in ("learning-rate-too-high", "exploding-gradient") and growth > INIT_GROWTH:
            f = _init_too_large(f, ctx, growth)
        elif f.code in ("learning-rate-too-high", "dead-relu", "saturated-units") and \
                f.severity != "info" and small_batch:
            f = _small_batch(f, ctx)
        elif f.code in ("vanishing-gradient", "chance-level-plateau") and \
                growth < 1 / INIT_GROWTH:
            f = _init_too_small(f, ctx, growth)
        elif (f.code in DESIGN_MISMATCH | {"too-much-regularization"} and fitting and \
                f.severity == "problem") or (f.code == "too-much-regularization" and fitting):
            f = dataclasses.replace(f, severity="warning" if f.code in DESIGN_MISMATCH
                                    else "info")
        elif f.code == "gradient-check-failed":
            f = explained_by_design(f, findings, ctx.specs[1].bugs)
        out.append(f)
    return _unique(out)


LR_SYMPTOMS = ("vanishing-gradient", "exploding-gradient", "saturated-units", "dead-relu",
               "no-better-than-linear", "chance-level-plateau")


def _extreme_lr(findings: list[Finding], ctx: Context, codes: set[str]) -> list[Finding]:
    """A learning rate far beyond any that trains (SGD 50) saturates or kills every unit at
    the first steps, without a NaN: name the rate, not the symptoms (open ones; a run that
    fits at such a rate has none)."""
    optimizer = ctx.specs[1].optimizer
    kind = "adaptive" if optimizer.name in fixes.ADAPTIVE_RULES else "sgd"
    if optimizer.lr < EXTREME_LR[kind] or "learning-rate-too-high" in codes:
        return findings
    symptoms = [f for f in findings if f.code in LR_SYMPTOMS and f.is_open]
    if not symptoms:
        return findings
    safe = fixes.SAFE_LR[kind]
    cause = _replace(
        symptoms[0], "learning-rate-too-high", "The learning rate is far too high",
        f"learning rate {optimizer.lr:g} is far above any that trains ({kind} rules train at "
        f"about {safe:g}): the first steps threw every unit into saturation or silence",
        "A step of this size moves each weight by far more than its own size. The first few "
        "steps push every unit's input far from 0, where tanh and sigmoid are flat and ReLU "
        "is 0: the gradient vanishes and the network freezes, often without the loss ever "
        "overflowing. A learning rate in the usual range trains.",
        fixes.learning_rate_fix(ctx.specs, safe / optimizer.lr), {"learning_rate": optimizer.lr})
    dropped = {id(f) for f in symptoms}
    return [cause, *(f for f in findings if id(f) not in dropped)]


def _unique(findings: list[Finding]) -> list[Finding]:
    seen: dict[tuple[str, str | None], Finding] = {}
    for f in findings:
        key = f.key
        if key not in seen or severity_rank(seen[key]) < severity_rank(f):
            seen[key] = f
    return list(seen.values())
