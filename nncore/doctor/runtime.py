"""The doctor that watches a run: ``Doctor.observe(snapshot, records)`` as training goes.

It keeps a bounded window of epoch records and layer statistics and re-examines them when
something new arrives: pure Python and NumPy over a few dozen numbers, so it costs training
well under 1 % (``bench/doctor_overhead.py``). Findings are stable by design:

- unit-level conditions (dead, saturated, identical units, gradient flow) must hold in
  ``MIN_OBSERVATIONS`` statistics observations spanning at least an epoch before they are
  raised, and are cleared only past a softer threshold;
- curve-level findings stay for ``HOLD_EPOCHS`` epochs after their condition last held.

Some findings explain others away (a dead first layer *is* why the gradient vanishes);
``SUPPRESSED_BY`` lists which, so the student sees the cause, not every symptom.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from nncore.data.dataset import Splits
from nncore.diagnostics import LayerStats
from nncore.doctor import curves as curve_checks
from nncore.doctor import health, outcome
from nncore.doctor.curves import Context, Curves
from nncore.doctor.design import examine_design
from nncore.doctor.findings import Finding, sort_findings
from nncore.doctor.gradcheck import findings_from_gradcheck
from nncore.doctor.reference import Reference, reference_for
from nncore.doctor.thresholds import (
    GRADIENT_OBSERVATIONS,
    MIN_OBSERVATIONS,
)
from nncore.gradcheck import GradCheckResult
from nncore.spec import DataSpec, NetworkSpec, TrainingSpec, resolve_output
from nncore.training import EpochRecord, Snapshot, StopReason

if TYPE_CHECKING:
    from nncore.session import Session

log = logging.getLogger(__name__)

HOLD_EPOCHS = 5
"""A curve finding stays this many epochs after its condition last held."""

Key = tuple[str, str | None]

AFTER_EXPLOSION = frozenset({"dead-relu", "saturated-units", "vanishing-gradient",
                             "exploding-gradient", "capacity-too-low", "overfitting",
                             "chance-level-plateau", "zero-init-symmetry"})
"""Runtime findings that mean nothing once the NaN guard has stopped a run."""


class Doctor:
    """Static findings for a design plus runtime findings for its current run.

    ``splits`` are the prepared data the run trains on (task, class frequencies, input
    width). Call ``observe`` with every snapshot (or at least every one carrying new
    records or statistics), ``reset`` when a new run starts, ``set_specs`` when settings
    change mid-run, ``from_gradcheck`` with gradient-check results.
    """

    def __init__(self, network: NetworkSpec, training: TrainingSpec, data: DataSpec | None,
                 splits: Splits) -> None:
        self._splits = splits
        try:
            self._reference: Reference | None = reference_for(splits)
        except Exception:  # a doctor bug must never keep a network from training
            log.exception("measuring the data's yardsticks failed; continuing without them")
            self._reference = None
        self._set_context(network, training, data)
        self._gradcheck: list[Finding] = []
        self.reset()

    @classmethod
    def for_session(cls, session: Session) -> Doctor:
        """A doctor for a session's specs and data."""
        return cls(session.network_spec, session.training_spec, session.data_spec,
                   session.splits)

    def _set_context(self, network: NetworkSpec, training: TrainingSpec,
                     data: DataSpec | None) -> None:
        info = self._splits.info
        resolved = resolve_output(network, training, info.task, info.n_classes, info.n_targets)
        frequencies: tuple[float, ...] = ()
        if info.task != "regression" and len(self._splits.y_train):
            counts = np.bincount(np.asarray(self._splits.y_train).reshape(-1).astype(np.int64),
                                 minlength=max(info.n_classes, 2))
            frequencies = tuple(float(c) for c in counts / counts.sum())
        self.context = Context((network, training, data), info.task, resolved.loss, frequencies,
                               self._reference)
        try:
            self.static = tuple(examine_design(network, training, data, self._splits))
        except Exception:  # a doctor bug must never keep a network from training
            log.exception("the static checks failed; continuing without them")
            self.static = ()

    # -- run lifecycle ----------------------------------------------------------------------

    def reset(self) -> None:
        """Forget the run (a new one starts from fresh weights); static findings stay."""
        self.curves = Curves()
        self._ratios: deque[float] = deque(maxlen=GRADIENT_OBSERVATIONS)
        self._streaks: dict[Key, tuple[int, int]] = {}
        self._unit_active: dict[Key, Finding] = {}
        self._curve_active: dict[Key, Finding] = {}
        self._misses: dict[Key, int] = {}
        self._stats: tuple[LayerStats, ...] = ()
        self._non_finite: Finding | None = None
        self._lr = math.nan
        self._finished = False
        self._findings: list[Finding] = sort_findings([*self.static, *self._gradcheck])

    def set_specs(self, network: NetworkSpec | None = None,
                  training: TrainingSpec | None = None) -> None:
        """Settings changed mid-run (learning rate, penalties...): fixes follow the new specs,
        and learning-rate findings are judged afresh from this epoch on."""
        old_net, old_training, data = self.context.specs
        network, training = network or old_net, training or old_training
        self._set_context(network, training, data)
        if training.optimizer != old_training.optimizer or training.schedule != \
                old_training.schedule:
            self.curves.restart_lr_window()
            for key in [k for k in self._curve_active if k[0].startswith("learning-rate")]:
                del self._curve_active[key]
        if training.bugs != old_training.bugs:
            self._gradcheck = []
        self._findings = self._combine()

    # -- observing ----------------------------------------------------------------------------

    def observe(self, snapshot: Snapshot, records: Sequence[EpochRecord] = ()) -> list[Finding]:
        """Take in a snapshot and the epoch records finished since the last call (records
        already seen are skipped, so passing the whole history is fine); return every
        current finding, most urgent first."""
        fresh = _unseen(records, self.curves.last_epoch)
        for record in fresh:
            self.curves.add(record)
            curve_checks.update_chance_streak(self.context, self.curves, record)
        changed = bool(fresh)
        if snapshot.layer_stats:
            self._stats = tuple(snapshot.layer_stats)
            self._observe_stats(snapshot)
            changed = True
        if snapshot.stop_reason is StopReason.NON_FINITE and self._non_finite is None:
            self._non_finite = curve_checks.non_finite(self.context, self.curves,
                                                       snapshot.message, snapshot.lr)
            changed = True
        if changed:
            self._check_curves(snapshot, bool(fresh))
            self._findings = self._combine()
        return list(self._findings)

    @property
    def findings(self) -> list[Finding]:
        """Every current finding (design, run and gradient check), most urgent first."""
        return list(self._findings)

    def from_gradcheck(self, result: GradCheckResult) -> list[Finding]:
        """Findings of a gradient check (kept until the bugs setting changes)."""
        self._gradcheck = findings_from_gradcheck(result, self.context.specs, self.static)
        self._findings = self._combine()
        return list(self._gradcheck)

    # -- statistics -------------------------------------------------------------------------

    def _healthy(self) -> bool:
        records = self.curves.records
        return bool(records) and records[-1].train_metric >= self.context.healthy_bar

    def _observe_stats(self, snapshot: Snapshot) -> None:
        stats, ctx = self._stats, self.context
        counts = health.weight_counts(stats, self._splits.n_inputs)
        ratio = health.gradient_ratio(stats, counts)
        if ratio is not None:
            self._ratios.append(ratio)
        healthy = self._healthy()
        unnormalized = any(f.code == "unnormalized-inputs" for f in self.static)
        signals: list[health.Signal | None] = []
        for i, stat in enumerate(stats):
            is_output = i == len(stats) - 1
            signals.append(health.dead_units(ctx, stat, healthy))
            if not is_output:
                signals.append(health.saturated_units(ctx, stat, healthy, unnormalized))
                signals.append(health.identical_units(ctx, stat, snapshot.step))
        if len(stats) >= 2:
            signals += health.gradient_flow(ctx, list(self._ratios), stats[0].layer_id,
                                            stats[-1].layer_id, unnormalized)
        self._apply_signals([s for s in signals if s is not None], snapshot)

    def _apply_signals(self, signals: list[health.Signal], snapshot: Snapshot) -> None:
        seen: set[Key] = set()
        for signal in signals:
            key = signal.key
            seen.add(key)
            count, first = self._streaks.get(key, (0, snapshot.epoch))
            self._streaks[key] = (count + 1, first) if signal.raised else (0, snapshot.epoch)
            if key in self._unit_active:
                if signal.cleared or signal.finding is None:
                    del self._unit_active[key]
                else:
                    self._unit_active[key] = signal.finding
            elif signal.raised and signal.finding is not None and self._persisted(key, snapshot):
                self._unit_active[key] = signal.finding
        for key in [k for k in self._unit_active if k not in seen]:
            del self._unit_active[key]

    def _persisted(self, key: Key, snapshot: Snapshot) -> bool:
        count, first = self._streaks[key]
        return snapshot.finished or (count >= MIN_OBSERVATIONS and snapshot.epoch - first >= 1)

    # -- curves -------------------------------------------------------------------------------

    def _check_curves(self, snapshot: Snapshot, new_epoch: bool) -> None:
        ctx, curves = self.context, self.curves
        if not curves.records and self._non_finite is None:
            return
        lr = snapshot.lr if math.isfinite(snapshot.lr) else ctx.specs[1].optimizer.lr
        self._lr, self._finished = lr, snapshot.finished
        found: list[Finding | None] = []
        if self._non_finite is not None:
            found.append(self._non_finite)
        elif curves.records:
            found.append(curve_checks.climbing_or_bouncing(ctx, curves, lr))
        if curves.records:
            output = self._stats[-1].output_std if self._stats else None
            found.append(curve_checks.chance_level(
                ctx, curves, ("chance-level-plateau", ctx.specs[0].output.id)
                in self._curve_active, output))
            found.append(curve_checks.capacity(ctx, curves))
            if snapshot.stop_reason is StopReason.EARLY_STOPPING:
                # early stopping has stopped at the best validation loss (and restored
                # those weights): the rise it reacted to is dealt with
                self._curve_active.pop(("overfitting", None), None)
            else:
                found.append(curve_checks.overfitting(ctx, curves))
            found.append(self._lr_low(lr))
            found += self._outcomes(snapshot)
        current = {f.key: f for f in found if f is not None}
        for key, finding in current.items():
            self._curve_active[key] = finding
            self._misses[key] = 0
        for key in [k for k in self._curve_active if k not in current]:
            if new_epoch:
                self._misses[key] = self._misses.get(key, 0) + 1
            if self._misses.get(key, 0) >= HOLD_EPOCHS:
                del self._curve_active[key]

    def _outcomes(self, snapshot: Snapshot) -> list[Finding | None]:
        ctx, curves, finished = self.context, self.curves, snapshot.finished
        try:
            return [outcome.labels_unlearnable(ctx, curves, len(self._splits.y_val), finished),
                    outcome.no_better_than_linear(ctx, curves, finished, self._inputs_raw()),
                    outcome.imbalanced(ctx, curves),
                    outcome.schedule_stalled(ctx, curves, self._lr)]
        except Exception:  # a doctor bug must never keep a network from training
            log.exception("the outcome checks failed")
            return []

    def _inputs_raw(self) -> bool:
        """True when the network sees the inputs unscaled."""
        return self._splits.preprocessing.method == "none"

    def _lr_low(self, lr: float) -> Finding | None:
        if not self._stats:
            return None
        optimizer = self.context.specs[1].optimizer
        counts = health.weight_counts(self._stats, self._splits.n_inputs)
        momentum = optimizer.momentum if optimizer.momentum is not None else (
            0.9 if optimizer.name in ("momentum", "nesterov") else 0.0)
        ratio = health.step_ratio(self._stats, counts, optimizer.name, lr, momentum)
        return curve_checks.barely_moving(self.context, self.curves, lr, ratio)

    # -- combining ----------------------------------------------------------------------------

    def _combine(self) -> list[Finding]:
        runtime = {**self._unit_active, **self._curve_active}
        static = [f for f in self.static if f.key not in runtime]
        every = [*static, *runtime.values(), *self._gradcheck]
        kept = _suppress(every, self.context.specs[0])
        try:
            kept = outcome.name_causes(kept, self.context, self._lr, self._stats,
                                       self._splits.n_inputs, len(self._splits.y_train),
                                       self._healthy())
        except Exception:  # a doctor bug must never keep a network from training
            log.exception("naming the causes failed")
        return sort_findings(kept)


def _unseen(records: Sequence[EpochRecord], last_epoch: int) -> list[EpochRecord]:
    """The records after ``last_epoch`` (records are in epoch order; scans from the end)."""
    start = len(records)
    while start > 0 and records[start - 1].epoch > last_epoch:
        start -= 1
    return list(records[start:])


def _suppress(findings: list[Finding], network: NetworkSpec) -> list[Finding]:
    """Drop symptoms whose cause is also reported (see the module docstring)."""
    codes = {f.code for f in findings}
    symmetric = {f.layer for f in findings if f.code == "zero-init-symmetry"}
    blocked = {f.layer for f in findings if f.code in ("dead-relu", "saturated-units")
               and f.severity != "info"} | symmetric
    first = next((layer.id for layer in network.layers if layer.kind == "dense"), None)
    nan_stop = any(f.code == "learning-rate-too-high" and f.severity == "problem"
                   for f in findings)
    high_lr = "learning-rate-too-high" in codes
    dead_output = ("dead-relu", network.output.id) in {
        (f.code, f.layer) for f in findings if f.severity == "problem"}
    kept = []
    for f in findings:
        if f.code in ("dead-relu", "saturated-units") and f.layer in symmetric:
            continue
        if dead_output and f.code == "dead-relu" and f.layer != network.output.id:
            continue  # nothing reaches the hidden layers past a dead output anyway
        if nan_stop and f.code in AFTER_EXPLOSION:
            continue  # the weights are debris of the explosion: its cause is what matters
        if high_lr and f.code == "saturated-units" and f.severity != "info":
            continue
        if f.code in ("vanishing-gradient", "exploding-gradient") and first in blocked:
            continue
        if f.code == "chance-level-plateau" and "capacity-too-low" in codes:
            continue
        if f.code == "learning-rate-too-low" and (blocked or symmetric or codes & {
                "vanishing-gradient", "chance-level-plateau"}):
            continue
        kept.append(f)
    return kept
