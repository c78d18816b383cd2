"""Learning-rate schedules against their closed forms (and PyTorch's schedulers when
installed), the warm-up ramp, and the rate the trainer actually uses at every step."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nncore.schedules import SCHEDULES, Schedule
from nncore.session import Session
from nncore.spec import OptimizerSpec, ScheduleSpec, TrainingSpec, mlp_spec
from tests.helpers import make_splits

EPOCHS = range(40)


def test_every_schedule_is_covered():
    assert set(SCHEDULES) == {"constant", "step", "exponential", "cosine"}


@pytest.mark.parametrize("epoch", EPOCHS)
def test_constant(epoch):
    assert Schedule("constant").lr(0.3, epoch, epoch + 0.5) == 0.3


@pytest.mark.parametrize(("step_size", "gamma"), [(10, None), (3, 0.5), (1, 0.9)])
def test_step(step_size, gamma):
    schedule = Schedule("step", step_size=step_size, gamma=gamma)
    g = 0.1 if gamma is None else gamma  # StepLR's default gamma
    for epoch in EPOCHS:
        expected = 0.2 * g ** math.floor(epoch / step_size)
        assert schedule.lr(0.2, epoch, epoch) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("gamma", [None, 0.5, 0.99])
def test_exponential(gamma):
    schedule = Schedule("exponential", gamma=gamma)
    g = 0.95 if gamma is None else gamma
    for epoch in EPOCHS:
        assert schedule.lr(0.2, epoch, epoch) == pytest.approx(0.2 * g ** epoch, rel=1e-12)


@pytest.mark.parametrize(("t_max", "min_lr"), [(10, 0.0), (25, 0.01), (1, 0.05)])
def test_cosine_follows_half_a_cosine_then_holds_min_lr(t_max, min_lr):
    schedule = Schedule("cosine", t_max=t_max, min_lr=min_lr)
    for epoch in EPOCHS:
        if epoch <= t_max:
            expected = min_lr + (0.2 - min_lr) * 0.5 * (1 + math.cos(math.pi * epoch / t_max))
        else:
            expected = min_lr
        assert schedule.lr(0.2, epoch, epoch) == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert schedule.lr(0.2, 0, 0) == pytest.approx(0.2, rel=1e-15)
    assert schedule.lr(0.2, t_max, t_max) == pytest.approx(min_lr, abs=1e-15)


@pytest.mark.parametrize("name", sorted(SCHEDULES))
@pytest.mark.parametrize("warmup", [0.5, 2.0, 3.25])
def test_warmup_ramps_linearly_then_leaves_the_schedule_alone(name, warmup):
    plain = Schedule(name, step_size=2, gamma=0.5, t_max=10)
    warm = Schedule(name, step_size=2, gamma=0.5, t_max=10, warmup_epochs=warmup)
    for progress in np.linspace(0.05, 6.0, 120):
        epoch = int(progress - 1e-9)
        expected = plain.lr(0.2, epoch, progress) * min(1.0, progress / warmup)
        assert warm.lr(0.2, epoch, progress) == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert warm.lr(0.2, 0, 1e-3) > 0  # the very first step already moves


def _torch_rates(torch, make_scheduler, epochs):
    param = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=0.2)
    scheduler = make_scheduler(optimizer)
    rates = []
    for _ in range(epochs):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


@pytest.mark.parametrize(("ours", "theirs", "epochs"), [
    (Schedule("step", step_size=3, gamma=0.5),
     lambda t, o: t.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5), 30),
    (Schedule("step", step_size=10),
     lambda t, o: t.optim.lr_scheduler.StepLR(o, step_size=10), 30),
    (Schedule("exponential", gamma=0.9),
     lambda t, o: t.optim.lr_scheduler.ExponentialLR(o, gamma=0.9), 30),
    (Schedule("cosine", t_max=20, min_lr=0.01),
     lambda t, o: t.optim.lr_scheduler.CosineAnnealingLR(o, T_max=20, eta_min=0.01), 21),
], ids=["step", "step-default-gamma", "exponential", "cosine"])
def test_matches_torch_lr_scheduler(ours, theirs, epochs):
    torch = pytest.importorskip("torch")
    expected = _torch_rates(torch, lambda o: theirs(torch, o), epochs)
    # torch's cosine is recursive (rounding accumulates); ours is the closed form
    np.testing.assert_allclose([ours.lr(0.2, e, e) for e in range(epochs)], expected,
                               rtol=1e-9, atol=1e-15)


def _session(schedule: ScheduleSpec, epochs: int, batch_size: int) -> Session:
    rng = np.random.default_rng(0)
    splits = make_splits(rng.normal(size=(10, 2)), rng.normal(size=10), "regression")
    training = TrainingSpec(optimizer=OptimizerSpec("sgd", lr=0.1), schedule=schedule,
                            epochs=epochs, batch_size=batch_size, seed=1)
    return Session(mlp_spec([3]), training, splits=splits)


def test_trainer_uses_the_scheduled_rate_at_every_step():
    schedule = ScheduleSpec("step", step_size=2, gamma=0.5, warmup_epochs=1.5)
    session = _session(schedule, epochs=6, batch_size=5)  # 2 steps per epoch
    rates = [s.lr for s in session.trainer.snapshots(every_steps=1)]
    expected = []
    for k in range(12):
        epoch, batch = divmod(k, 2)
        progress = epoch + (batch + 1) / 2
        expected.append(0.1 * 0.5 ** (epoch // 2) * min(1.0, progress / 1.5))
    np.testing.assert_allclose(rates, expected, rtol=1e-12)


def test_cosine_t_max_defaults_to_the_number_of_epochs():
    session = _session(ScheduleSpec("cosine", min_lr=0.001), epochs=7, batch_size=10)
    assert session.trainer.schedule.t_max == 7
    rates = [s.lr for s in session.trainer.snapshots()]
    expected = [0.001 + 0.099 * 0.5 * (1 + math.cos(math.pi * e / 7)) for e in range(7)]
    np.testing.assert_allclose(rates, expected, rtol=1e-12)
