"""Race several configurations on the same problem, one epoch each in turn.

``compare_runs`` builds a session per configuration (each from its own seed, so a
configuration trains exactly as it would alone) and trains them round-robin, yielding
every finished epoch as ``(name, record)``, so loss curves drawn from the stream grow
together. A run that ends early (the NaN guard, early stopping) drops out; the others go
on. Stop by closing the generator (or just stop iterating). Used by the lessons' optimizer
race and the GUI's Compare tab.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping, Sequence

from nncore.data.dataset import Splits
from nncore.lessons import Variant
from nncore.project import Project
from nncore.session import Session
from nncore.spec import DataSpec, to_dict
from nncore.training import EpochRecord

Configurations = Sequence[Variant] | Sequence[tuple[str, Project]] | Mapping[str, Project]


def configurations(project: Project, variants: Configurations) -> list[tuple[str, Project]]:
    """``(name, project)`` pairs: lesson variants applied to ``project``, or given projects."""
    if isinstance(variants, Mapping):
        return list(variants.items())
    pairs = []
    for item in variants:
        if isinstance(item, Variant):
            pairs.append((item.name, item.apply(project)))
        else:
            name, config = item
            pairs.append((str(name), config))
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        raise ValueError(f"configuration names must be unique, got {names}")
    return pairs


def _data_key(data: DataSpec) -> str:
    return json.dumps(to_dict(data), sort_keys=True, default=str)


def build_sessions(project: Project, variants: Configurations,
                   epochs: int | None = None) -> list[tuple[str, Session]]:
    """A fresh session per configuration (data loaded once per distinct data spec)."""
    from nncore.data import load_dataset, prepare

    splits: dict[str, Splits] = {}
    sessions = []
    for name, config in configurations(project, variants):
        training = config.training if epochs is None else \
            dataclasses.replace(config.training, epochs=int(epochs))
        key = _data_key(config.data)
        if key not in splits:
            splits[key] = prepare(load_dataset(config.data), config.data)
        sessions.append((name, Session(config.network, training, config.data,
                                       splits=splits[key])))
    return sessions


def _one_epoch(session: Session) -> EpochRecord | None:
    trainer = session.trainer
    while not trainer.finished:
        if trainer.train_step():
            return trainer.history.last
    return None


def race(sessions: Sequence[tuple[str, Session]]) -> Iterator[tuple[str, EpochRecord]]:
    """Train the sessions round-robin, one epoch each in turn, yielding every record."""
    active = list(sessions)
    while active:
        for entry in list(active):
            name, session = entry
            record = _one_epoch(session)
            if record is not None:
                yield name, record
            if session.trainer.finished:
                active.remove(entry)


def compare_runs(project: Project, variants: Configurations,
                 epochs: int | None = None) -> Iterator[tuple[str, EpochRecord]]:
    """Race ``variants`` (lesson variants applied to ``project``, ``(name, project)`` pairs
    or a ``{name: project}`` mapping) for ``epochs`` each (default: each one's own).

    Sessions are built before the first record is yielded, so a broken configuration
    raises at once (``SpecError``, ``DataError``...).
    """
    sessions = build_sessions(project, variants, epochs)
    yield from race(sessions)


def final_records(stream: Iterator[tuple[str, EpochRecord]]) -> dict[str, EpochRecord]:
    """Run a race to the end; the last record of each configuration (for scripts)."""
    last: dict[str, EpochRecord] = {}
    for name, record in stream:
        last[name] = record
    return last
