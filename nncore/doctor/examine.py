"""``examine_session``: everything the doctor can say about a session, for the CLI.

Static checks, then the run: a trained session's own history (and its final layer
statistics) is examined as it is; an untrained one gets a short trial training on a
*copy* (same specs, same data, same seed, so the same initial weights). Finally a gradient
check on the session's current weights. The session passed in is never modified.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

from nncore.doctor.findings import Finding
from nncore.doctor.runtime import Doctor

if TYPE_CHECKING:
    from nncore.session import Session

TRIAL_STEPS = 4000
"""A trial training lasts about this many steps ..."""
TRIAL_MIN_EPOCHS = 5
TRIAL_MAX_EPOCHS = 100
"""... but at least 5 and at most 100 epochs (and never more than the spec's epochs).
100 epochs of the two spirals take about 0.2 s; long enough for the 50-epoch checks."""


def trial_epochs_for(session: Session) -> int:
    """The default length of a trial training for this session."""
    steps = max(1, session.trainer.steps_per_epoch)
    epochs = max(TRIAL_MIN_EPOCHS, min(TRIAL_MAX_EPOCHS, math.ceil(TRIAL_STEPS / steps)))
    return max(1, min(epochs, session.training_spec.epochs))


def examine_session(session: Session, trial_epochs: int | None = None, *,
                    gradient_check: bool = True) -> list[Finding]:
    """Static, training and gradient-check findings for ``session``, most urgent first.

    ``trial_epochs``: train a copy for this many epochs. None examines the session's own
    history if it has one (``nncore train --report``), else trains a copy for
    ``trial_epochs_for(session)`` epochs (``nncore doctor``).
    """
    doctor = Doctor.for_session(session)
    trainer = session.trainer
    if trial_epochs is None and len(trainer.history):
        doctor.observe(trainer.snapshot(stats=True), trainer.history.records)
    else:
        _trial(session, doctor, trial_epochs or trial_epochs_for(session))
    if gradient_check:
        doctor.from_gradcheck(session.gradient_check())
    return doctor.findings


def _trial(session: Session, doctor: Doctor, epochs: int) -> None:
    from nncore.session import Session

    training = dataclasses.replace(session.training_spec, epochs=max(1, int(epochs)))
    copy = Session(session.network_spec, training, session.data_spec, splits=session.splits)
    trainer = copy.trainer
    doctor.observe(trainer.snapshot(stats=True))
    while not trainer.finished:
        ended = trainer.train_step()
        if ended or trainer.finished:
            doctor.observe(trainer.snapshot(stats=True), trainer.history.records[-1:])
