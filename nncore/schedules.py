"""Learning-rate schedules: the rate as a function of training progress.

``epoch`` counts completed epochs (0 during the first), as PyTorch's epoch-wise
schedulers do; the step, exponential and cosine rules are the closed forms of
``StepLR``, ``ExponentialLR`` and ``CosineAnnealingLR`` (held at ``min_lr`` after
``t_max``). Warm-up multiplies any of them by ``min(1, progress / warmup_epochs)``, where
``progress`` is the fractional number of epochs including the current step, so the very
first step already moves.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ScheduleInfo:
    """A named rule ``lr(base_lr, epoch, settings) -> float`` and its text for the GUI."""

    name: str
    formula: str
    advice: str
    rate: Callable[[float, int, Schedule], float]


def _constant(base: float, epoch: int, s: Schedule) -> float:
    return base


def _step(base: float, epoch: int, s: Schedule) -> float:
    return base * s.gamma_or(0.1) ** (epoch // s.step_size)


def _exponential(base: float, epoch: int, s: Schedule) -> float:
    return base * s.gamma_or(0.95) ** epoch


def _cosine(base: float, epoch: int, s: Schedule) -> float:
    t = min(epoch, s.t_max)
    return s.min_lr + (base - s.min_lr) * (1 + math.cos(math.pi * t / s.t_max)) / 2


SCHEDULES: dict[str, ScheduleInfo] = {i.name: i for i in (
    ScheduleInfo("constant", "η(t) = η₀", "The same rate throughout.", _constant),
    ScheduleInfo("step", "η(t) = η₀·γ^⌊t / s⌋", "Divide the rate by 1/γ every s epochs.",
                 _step),
    ScheduleInfo("exponential", "η(t) = η₀·γᵗ", "Shrink the rate a little every epoch.",
                 _exponential),
    ScheduleInfo("cosine", "η(t) = η_min + (η₀ − η_min)(1 + cos(πt / T)) / 2",
                 "Glide smoothly from η₀ down to η_min over T epochs.", _cosine),
)}


@dataclass(frozen=True)
class Schedule:
    """A concrete schedule (spec values with defaults filled in)."""

    name: str = "constant"
    step_size: int = 10
    gamma: float | None = None
    t_max: int = 100
    min_lr: float = 0.0
    warmup_epochs: float = 0.0

    def gamma_or(self, default: float) -> float:
        """``gamma``, or the rule's default when none was given."""
        return default if self.gamma is None else self.gamma

    def lr(self, base_lr: float, epoch: int, progress: float) -> float:
        """The rate for a step in epoch ``epoch`` at fractional ``progress`` (epochs)."""
        rate = SCHEDULES[self.name].rate(base_lr, epoch, self)
        if self.warmup_epochs > 0:
            rate *= min(1.0, progress / self.warmup_epochs)
        return rate
