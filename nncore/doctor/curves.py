"""Checks on the loss and metric curves: learning rate, chance level, capacity, overfitting.

``Curves`` keeps the last ``WINDOW`` epoch records and a few running aggregates (first and
best losses), so every check costs O(window) whatever the length of the run. Each check
returns a ``Finding`` or None; ``nncore.doctor.runtime.Doctor`` adds hysteresis.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from nncore.doctor import fixes
from nncore.doctor.findings import Finding
from nncore.doctor.reference import Reference
from nncore.doctor.thresholds import (
    ATTAINABLE_MARGIN,
    CAPACITY_IMPROVEMENT,
    CAPACITY_MAX_WIDTH,
    CAPACITY_METRIC,
    CAPACITY_MIN_EPOCHS,
    CAPACITY_WINDOW,
    CHANCE_ACCURACY_MARGIN,
    CHANCE_CLEAR,
    CHANCE_EPOCHS,
    CHANCE_EXACT,
    CHANCE_TOLERANCE,
    GAP_ABSOLUTE,
    GAP_METRIC,
    GAP_RATIO,
    HEALTHY_METRIC,
    LR_HIGH_RISE,
    LR_HIGH_RISE_EPOCHS,
    LR_HIGH_RISE_OF_INITIAL,
    LR_LOW_MAX_FACTOR,
    LR_LOW_MIN_EPOCHS,
    LR_LOW_RELATIVE_CHANGE,
    LR_LOW_STEP_RATIO,
    LR_LOW_TARGET_STEP,
    LR_LOW_WINDOW,
    MIN_EPOCHS,
    OSCILLATION_AMPLITUDE,
    OSCILLATION_AMPLITUDE_OF_INITIAL,
    OSCILLATION_SIGN_CHANGES,
    OSCILLATION_TREND,
    OSCILLATION_WINDOW,
    OVERFIT_ABSOLUTE_FLOOR,
    OVERFIT_EPOCHS,
    OVERFIT_FLOOR,
    OVERFIT_MIN_EPOCHS,
    OVERFIT_RISE,
    OVERFIT_RISE_OF_INITIAL,
    OVERFIT_TRAIN_DROP,
    WINDOW,
)
from nncore.spec import DenseSpec
from nncore.training import EpochRecord


@dataclass
class Curves:
    """The recent history of a run and its running aggregates."""

    records: deque[EpochRecord] = field(default_factory=lambda: deque(maxlen=WINDOW))
    first_train: float = math.nan
    first_val: float = math.nan
    best_val: float = math.inf
    best_val_epoch: int = 0
    train_at_best_val: float = math.nan
    lr_start_epoch: int = 0        # lr checks only look at epochs after the last lr change
    lr_first: float = math.nan
    lr_best: float = math.inf
    lr_best_epoch: int = 0
    chance_streak: int = 0         # epochs in a row at chance level (strict)
    near_chance: int = 0           # epochs in a row near it (the clearing band)

    @property
    def last_epoch(self) -> int:
        """Epoch of the newest record (0 before the first)."""
        return self.records[-1].epoch if self.records else 0

    def add(self, record: EpochRecord) -> None:
        """Take in one epoch record (in order)."""
        self.records.append(record)
        if math.isnan(self.first_train):
            self.first_train, self.first_val = record.train_loss, record.val_loss
        if math.isnan(self.lr_first):
            self.lr_first = record.train_loss
        if math.isfinite(record.train_loss) and record.train_loss < self.lr_best:
            self.lr_best, self.lr_best_epoch = record.train_loss, record.epoch
        if math.isfinite(record.val_loss) and record.val_loss < self.best_val:
            self.best_val, self.best_val_epoch = record.val_loss, record.epoch
            self.train_at_best_val = record.train_loss

    def restart_lr_window(self) -> None:
        """The learning rate changed: judge it on the epochs from now on only."""
        self.lr_start_epoch = self.last_epoch
        self.lr_first, self.lr_best = math.nan, math.inf

    def recent(self, n: int, since: int = 0) -> list[EpochRecord]:
        """Up to the last ``n`` records with an epoch after ``since``."""
        return [r for r in list(self.records)[-n:] if r.epoch > since]

    def column(self, name: str, n: int, since: int = 0) -> np.ndarray:
        """One field of ``recent(n, since)`` as floats."""
        return np.array([getattr(r, name) for r in self.recent(n, since)], dtype=np.float64)


@dataclass(frozen=True)
class Context:
    """What the curve checks need to know about the design and the data."""

    specs: fixes.Specs
    task: str
    loss: str
    class_frequencies: tuple[float, ...] = ()
    reference: Reference | None = None

    @property
    def healthy_bar(self) -> float:
        """The training score from which a run counts as fitting: ``HEALTHY_METRIC``, or
        less on data where less is all that is attainable (noisy sets)."""
        attainable = self.reference.attainable if self.reference is not None else math.nan
        if not math.isfinite(attainable):
            return HEALTHY_METRIC
        return min(HEALTHY_METRIC, attainable - ATTAINABLE_MARGIN)

    @property
    def entropy(self) -> float:
        """Loss of predicting the class frequencies for every input (nats)."""
        p = np.array([f for f in self.class_frequencies if f > 0], dtype=np.float64)
        return float(-(p * np.log(p)).sum()) if p.size else math.nan

    @property
    def majority(self) -> float:
        """Accuracy of always answering the most frequent class."""
        return max(self.class_frequencies, default=math.nan)


def _metric_name(task: str) -> str:
    return "R²" if task == "regression" else "accuracy"


# --------------------------------------------------------------------------- learning rate


def non_finite(ctx: Context, curves: Curves, message: str, lr: float) -> Finding:
    """``learning-rate-too-high`` (problem): the NaN guard stopped the run."""
    losses = [r.train_loss for r in curves.recent(5)]
    return Finding(
        "learning-rate-too-high", "problem", "The loss exploded",
        f"the loss became infinite or NaN and training stopped (learning rate {lr:g})",
        "Each step moved the weights so far that the loss grew instead of shrinking, and "
        "every step made it worse until the numbers overflowed. Steps that are too large "
        "overshoot the valley of the loss. A learning rate ten times smaller usually "
        "trains; clipping the gradient norm is a safety net.",
        None, {"learning_rate": lr, "last_losses": losses, "stop_message": message},
        fixes.learning_rate_fix(ctx.specs, 0.1), "loss")


def climbing_or_bouncing(ctx: Context, curves: Curves, lr: float) -> Finding | None:
    """``learning-rate-too-high`` (warning): the loss climbs, or bounces without falling."""
    since = curves.lr_start_epoch
    if curves.last_epoch - since < MIN_EPOCHS:
        return None
    evidence = {"learning_rate": lr}
    recent = curves.column("train_loss", LR_HIGH_RISE_EPOCHS, since)
    median = float(np.median(recent))
    rise = median - curves.lr_best
    # the best must be older than the window: a dip inside it is noise of a fast descent
    settled = curves.last_epoch - curves.lr_best_epoch >= LR_HIGH_RISE_EPOCHS
    if settled and rise > LR_HIGH_RISE * curves.lr_best and \
            rise > LR_HIGH_RISE_OF_INITIAL * curves.lr_first:
        evidence.update(best_loss=curves.lr_best, recent_loss=median)
        return _too_high(ctx, f"the loss climbed from {curves.lr_best:.3g} back up to "
                         f"{median:.3g} (learning rate {lr:g})", evidence)
    losses = curves.column("train_loss", OSCILLATION_WINDOW, since)
    if losses.size < OSCILLATION_WINDOW // 2:
        return None
    diffs = np.diff(losses)
    signs = np.sign(diffs)
    flips = float(np.mean(signs[1:] != signs[:-1])) if signs.size > 1 else 0.0
    swing = float(np.mean(np.abs(diffs)))
    half = losses.size // 2
    trend = float(np.mean(losses[half:]) / max(np.mean(losses[:half]), 1e-300))
    if flips >= OSCILLATION_SIGN_CHANGES and swing >= OSCILLATION_AMPLITUDE * losses.mean() \
            and swing >= OSCILLATION_AMPLITUDE_OF_INITIAL * curves.lr_first \
            and trend > OSCILLATION_TREND and curves.records[-1].train_metric < ctx.healthy_bar:
        evidence.update(sign_changes=flips, mean_swing=swing, mean_loss=float(losses.mean()))
        return _too_high(ctx, f"the loss bounces by {swing:.3g} per epoch around "
                         f"{losses.mean():.3g} without falling (learning rate {lr:g})",
                         evidence)
    return None


def _too_high(ctx: Context, message: str, evidence: dict) -> Finding:
    return Finding(
        "learning-rate-too-high", "warning", "The learning rate is too high", message,
        "The steps are so large that they jump across the valley of the loss instead of "
        "going down into it: the loss bounces from epoch to epoch, or climbs back up after "
        "a good start. A smaller learning rate takes smaller, surer steps.",
        None, evidence, fixes.learning_rate_fix(ctx.specs, 0.1), "loss")


def barely_moving(ctx: Context, curves: Curves, lr: float, step_ratio: float) -> Finding | None:
    """``learning-rate-too-low``: the loss barely changes while the steps are tiny."""
    epochs = curves.last_epoch - curves.lr_start_epoch
    last = curves.records[-1] if curves.records else None
    if last is None or epochs < LR_LOW_MIN_EPOCHS or not math.isfinite(step_ratio):
        return None
    window = max(MIN_EPOCHS, int(LR_LOW_WINDOW * epochs))
    losses = curves.column("train_loss", window + 1, curves.lr_start_epoch)
    per_epoch = abs(losses[-1] - losses[0]) / max(abs(losses[0]), 1e-300) / (losses.size - 1)
    if per_epoch >= LR_LOW_RELATIVE_CHANGE or step_ratio >= LR_LOW_STEP_RATIO \
            or last.train_metric >= ctx.healthy_bar:
        return None
    factor = min(LR_LOW_MAX_FACTOR, max(10.0, LR_LOW_TARGET_STEP / max(step_ratio, 1e-300)))
    return Finding(
        "learning-rate-too-low", "warning", "The learning rate is too low",
        f"the loss changes by only {per_epoch:.2%} per epoch; each step moves the weights by "
        f"about {step_ratio:.1e} of their size",
        "The gradient points the right way, but each step is so small that the loss "
        "hardly moves: training would take forever. Steps of about a thousandth of the "
        "weights' size train well; a larger learning rate gets there.",
        None, {"learning_rate": lr, "change_per_epoch": per_epoch,
               "epochs": float(losses.size - 1), "step_ratio": step_ratio,
               "train_loss": last.train_loss},
        fixes.learning_rate_fix(ctx.specs, factor), "loss")


# --------------------------------------------------------------------------- outcomes


def chance_level(ctx: Context, curves: Curves, active: bool,
                 output_spread: float | None) -> Finding | None:
    """``chance-level-plateau``: the loss sits at the entropy of the class frequencies."""
    entropy = ctx.entropy
    last = curves.records[-1] if curves.records else None
    if last is None or ctx.loss not in ("cross_entropy", "bce") or not entropy > 0:
        return None
    if curves.chance_streak < CHANCE_EPOCHS and not (active and curves.near_chance):
        return None
    evidence = {"train_loss": last.train_loss, "chance_loss": entropy,
                "accuracy": last.train_metric, "majority_rate": ctx.majority,
                "epochs_at_chance": float(curves.near_chance)}
    if output_spread is not None:
        evidence["output_std"] = output_spread
    k = len(ctx.class_frequencies)
    balanced = " = ln " + str(k) if max(ctx.class_frequencies) - min(
        ctx.class_frequencies) < 0.02 else ""
    fix = fixes.symmetric_init_fix(ctx.specs)
    return Finding(
        "chance-level-plateau", "problem", "Stuck at chance level",
        f"the loss has stayed at {last.train_loss:.4g}, the loss of guessing the class "
        f"frequencies ({entropy:.4g}{balanced}), for {curves.near_chance} epochs",
        "The network gives the same answer for every input: the class frequencies it has "
        "seen. That is the best it can do without looking at the input, so something stops "
        "the input from mattering: identical units (constant initial weights), dead or "
        "saturated units that block the signal, or a wrong gradient. Check the layer health "
        "and run the gradient check.",
        ctx.specs[0].output.id, evidence, fix, "loss")


def update_chance_streak(ctx: Context, curves: Curves, record: EpochRecord) -> None:
    """Count consecutive epochs at (and near) chance level (call once per record)."""
    entropy = ctx.entropy
    if not entropy > 0:
        return
    gap = abs(record.train_loss - entropy)
    exact = gap <= CHANCE_EXACT * entropy  # outputs = frequencies: accuracy is tie noise
    at_chance = gap <= CHANCE_TOLERANCE * entropy and (
        exact or record.train_metric <= ctx.majority + CHANCE_ACCURACY_MARGIN)
    near = record.train_loss >= CHANCE_CLEAR * entropy and (
        exact or record.train_metric <= ctx.majority + 2 * CHANCE_ACCURACY_MARGIN)
    curves.chance_streak = curves.chance_streak + 1 if at_chance else 0
    curves.near_chance = curves.near_chance + 1 if near else 0


def capacity(ctx: Context, curves: Curves) -> Finding | None:
    """``capacity-too-low``: a tiny network whose training score is stuck low."""
    network = ctx.specs[0]
    last = curves.records[-1] if curves.records else None
    if last is None or last.epoch < CAPACITY_MIN_EPOCHS or len(curves.records) < CAPACITY_WINDOW:
        return None
    hidden = [layer for layer in network.hidden if isinstance(layer, DenseSpec)]
    narrowest = min(hidden, key=lambda layer: layer.units or 0, default=None)
    if narrowest is not None and (narrowest.units or 0) > CAPACITY_MAX_WIDTH:
        return None
    metric = curves.column("train_metric", CAPACITY_WINDOW)
    gain = float(np.mean(metric[-5:]) - np.mean(metric[:5]))
    if last.train_metric >= CAPACITY_METRIC or gain >= CAPACITY_IMPROVEMENT:
        return None
    name = _metric_name(ctx.task)
    shape = "no hidden layer" if narrowest is None else \
        f"a hidden layer of only {narrowest.units} unit{'s' if narrowest.units != 1 else ''}"
    return Finding(
        "capacity-too-low", "warning", "The network is too small",
        f"training {name} is stuck at {last.train_metric:.3g} with {shape}",
        "A network can only draw boundaries (or curves) as complicated as its layers allow. "
        "Without a hidden layer it can only separate classes with a straight line; a "
        "layer of one or two units squeezes everything through a bottleneck. The loss has "
        "stopped improving because the network has reached the best it can represent, not "
        "because training is over. More units and layers give it room.",
        narrowest.id if narrowest is not None else network.output.id,
        {f"train_{'r2' if ctx.task == 'regression' else 'accuracy'}": last.train_metric,
         "improvement": gain, "hidden_layers": float(len(hidden)),
         "narrowest_width": float(narrowest.units if narrowest else 0)},
        fixes.capacity_fix(ctx.specs), "loss")


def _score_kept(ctx: Context, curves: Curves) -> bool:
    """True when the validation score is within noise of its best: a drop under two
    validation samples' worth (and 2 points) is over-confidence, not yet lost accuracy."""
    n_val = ctx.reference.n_val if ctx.reference is not None else 0
    scores = curves.column("val_metric", len(curves.records))
    scores = scores[np.isfinite(scores)]
    if scores.size < 5:
        return False
    drop = float(scores.max() - np.median(scores[-5:]))
    return drop < max(0.02, 2.0 / n_val if n_val else 0.0)


def _memorised(curves: Curves, val: float, name: str, attainable: float) -> str | None:
    """The message for a validation loss far above a training loss near 0 (the network
    has memorised its training set), or None."""
    last = curves.records[-1]
    train = last.train_loss
    if not (math.isfinite(val) and math.isfinite(train)) or val < GAP_RATIO * train or \
            val - train < GAP_ABSOLUTE:
        return None
    behind = last.val_metric <= last.train_metric - GAP_METRIC or (
        math.isfinite(attainable) and last.val_metric < attainable - GAP_METRIC / 2)
    if not behind:
        return None
    return (f"validation loss {val:.3g} against training loss {train:.2g}: the network has "
            f"memorised its training set ({name} {last.train_metric:.3g} there, "
            f"{last.val_metric:.3g} on validation)")


def overfitting(ctx: Context, curves: Curves) -> Finding | None:
    """``overfitting``: validation loss rises well above its minimum as training loss falls."""
    last = curves.records[-1] if curves.records else None
    if last is None or last.epoch < OVERFIT_MIN_EPOCHS or not math.isfinite(last.val_loss):
        return None
    val = float(np.median(curves.column("val_loss", 5)))
    ref = ctx.reference
    if ref is not None and math.isfinite(ref.knn_val_metric) and ref.n_val >= 100 and \
            last.val_metric >= ref.knn_val_metric - ATTAINABLE_MARGIN / 5:
        return None  # it generalises as well as the data allows: over-confidence at most
    knn = ref.knn_val_metric if ref is not None else math.nan
    gap = _memorised(curves, val, _metric_name(ctx.task), knn)
    if gap is not None:
        message = gap
    else:
        if last.epoch - curves.best_val_epoch < OVERFIT_EPOCHS:
            return None
        rise = val - curves.best_val
        train_drop = 1 - last.train_loss / max(curves.train_at_best_val, 1e-300)
        # a rise from (almost) 0 is rounding, not overfitting: judge it against the start
        if rise < OVERFIT_RISE * curves.best_val or rise < OVERFIT_RISE_OF_INITIAL * \
                curves.first_val or train_drop < OVERFIT_TRAIN_DROP or \
                not val > max(OVERFIT_FLOOR * curves.first_val, OVERFIT_ABSOLUTE_FLOOR):
            return None
        message = (f"validation loss rose from {curves.best_val:.3g} (epoch "
                   f"{curves.best_val_epoch}) to {val:.3g} while the training loss kept falling")
    severity = "warning"
    if gap is None and _score_kept(ctx, curves):
        severity = "info"
        message += f"; the validation {_metric_name(ctx.task)} has not dropped (over-confidence)"
    return Finding(
        "overfitting", severity, "Overfitting", message,
        "The network has started to learn the training samples by heart, noise included, "
        "instead of the pattern behind them: it gets better on them and worse on data it "
        "has not seen. Stop at the best validation loss (early stopping), use more data, a "
        "smaller network, or a penalty on large weights (L2, dropout).",
        None, {"best_val_loss": curves.best_val, "best_epoch": float(curves.best_val_epoch),
               "val_loss": val, "train_loss": last.train_loss,
               "train_loss_at_best": curves.train_at_best_val},
        fixes.overfitting_fix(ctx.specs), "loss")

