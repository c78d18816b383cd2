"""A training session: everything built from the three specs, in one place.

``Session(network, training, data)`` validates the specs, loads and prepares the data,
resolves the output layer and loss for the task, builds the network and optimizer from
one seed and wraps them in a ``Trainer``. The CLI, the GUI's worker, the lessons and the
tests all start here, so they cannot drift apart.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from nncore._types import DTYPES, Array
from nncore.data.dataset import Splits
from nncore.errors import DataError, ProjectFileError, SpecError
from nncore.gradcheck import DEFAULT_THRESHOLD, GradCheckResult, gradient_check
from nncore.network import Network, build, encode_targets
from nncore.optimizers import Optimizer, RMSprop, make_optimizer
from nncore.parameters import Parameter
from nncore.rewind import SnapshotKeeper
from nncore.schedules import Schedule
from nncore.spec import (
    DataSpec,
    DenseSpec,
    DropoutSpec,
    NetworkSpec,
    OptimizerSpec,
    Problem,
    Resolved,
    TrainingSpec,
    check,
    resolve_output,
)
from nncore.training import History, Trainer, TrainingData

if TYPE_CHECKING:
    from nncore.project import Project


def build_optimizer(spec: OptimizerSpec, params: list[Parameter],
                    bugs: tuple[str, ...] = ()) -> Optimizer:
    """The optimizer a spec describes (``None`` fields take the rule's PyTorch default)."""
    hyper = {"momentum": spec.momentum, "beta1": spec.beta1, "beta2": spec.beta2,
             "alpha": spec.alpha, "eps": spec.eps, "weight_decay": spec.weight_decay}
    if spec.nesterov:
        hyper["nesterov"] = True
    if spec.centered:
        hyper["centered"] = True
    optimizer = make_optimizer(spec.name, params, spec.lr, clip_norm=spec.clip_norm, **hyper)
    if "rmsprop-accumulates-lr" in bugs and isinstance(optimizer, RMSprop):
        optimizer.accumulate_lr_bug = True
    return optimizer


def build_schedule(training: TrainingSpec) -> Schedule:
    """The concrete schedule, with ``t_max`` defaulting to the number of epochs."""
    s = training.schedule
    return Schedule(s.name, s.step_size, s.gamma, s.t_max or training.epochs, s.min_lr,
                    s.warmup_epochs)


def training_data(splits: Splits, resolved: Resolved, dtype: type) -> TrainingData:
    """Encode a data set's targets for the loss (one-hot, 0/1 column or values)."""
    task = splits.info.task
    classification = task != "regression"

    def encode(y: np.ndarray) -> Array:
        return encode_targets(y, task, resolved.n_outputs, dtype)

    return TrainingData(
        splits.x_train.astype(dtype, copy=False), encode(splits.y_train),
        splits.x_val.astype(dtype, copy=False), encode(splits.y_val), task,
        np.asarray(splits.y_train).reshape(-1) if classification else None,
        np.asarray(splits.y_val).reshape(-1) if classification else None)


def _check_splits(splits: Splits) -> None:
    """Refuse data no network can learn from, with a message instead of a silent run
    (the loaders already refuse these; prepared ``Splits`` may come from anywhere)."""
    info = splits.info
    if info.is_classification and info.n_classes < 2:
        raise DataError(f"{info.name}: has a single class; a classifier needs at least two")
    for split, x, y in (("training", splits.x_train, splits.y_train),
                        ("validation", splits.x_val, splits.y_val)):
        for what, values in (("inputs", x), ("targets", y)):
            values = np.asarray(values)
            if values.dtype.kind == "f" and values.size and not np.isfinite(values).all():
                raise DataError(f"{info.name}: the {split} {what} contain NaN or infinite "
                                "values; remove or replace them")


RESET_FIELDS = ("loss", "seed", "dtype", "bugs", "huber_delta", "shuffle")
"""Training fields whose change needs a fresh network (the others apply mid-run)."""


def changes_needing_reset(old: TrainingSpec, new: TrainingSpec,
                          old_net: NetworkSpec | None = None,
                          new_net: NetworkSpec | None = None) -> list[str]:
    """Names of the changes that cannot be applied to a running session.

    Learning rate, optimizer hyper-parameters, schedule, epochs, batch size, early stopping
    and the layers' L1/L2 and dropout rates apply on the next step; everything else needs
    a reset.
    """
    changed = [f"training.{name}" for name in RESET_FIELDS
               if getattr(old, name) != getattr(new, name)]
    if old.optimizer.name != new.optimizer.name:
        changed.append("training.optimizer.name")
    if old_net is not None and new_net is not None and not _only_safe_layer_changes(old_net,
                                                                                    new_net):
        changed.append("network")
    return changed


def _only_safe_layer_changes(old: NetworkSpec, new: NetworkSpec) -> bool:
    if [(x.id, x.kind) for x in old.layers] != [(x.id, x.kind) for x in new.layers]:
        return False
    for a, b in zip(old.layers, new.layers):
        if isinstance(a, DenseSpec):
            if dataclasses.replace(a, l1=b.l1, l2=b.l2, ablated=b.ablated) != b:
                return False
        elif isinstance(a, DropoutSpec):
            continue
        elif a != b:
            return False
    return True


class Session:
    """Specs, prepared data, network, optimizer and trainer for one run."""

    def __init__(self, network: NetworkSpec, training: TrainingSpec,
                 data: DataSpec | None = None, *, splits: Splits | None = None) -> None:
        check(network, training, data)
        if splits is None:
            if data is None:
                raise ValueError("a session needs a DataSpec or prepared Splits")
            from nncore.data import load_dataset, prepare

            splits = prepare(load_dataset(data), data)
        self.network_spec, self.training_spec, self.data_spec = network, training, data
        _check_splits(splits)
        self.splits = splits
        info = splits.info
        self.resolved = resolve_output(network, training, info.task, info.n_classes,
                                       info.n_targets)
        self._check_output_width()
        self.dtype = DTYPES[training.dtype]
        self.data = training_data(splits, self.resolved, self.dtype)
        self.reset()

    def _check_output_width(self) -> None:
        info, n = self.splits.info, self.resolved.n_outputs
        wanted = None
        if info.task == "regression" and n != info.n_targets:
            wanted = info.n_targets
        elif info.task == "multiclass" and n != info.n_classes:
            wanted = info.n_classes
        elif info.task == "binary" and n not in (1, 2):
            wanted = 1
        if wanted is not None:
            raise SpecError([Problem(
                "network.layers[-1].units",
                f"the output layer has {n} units but {info.name} needs {wanted}",
                "leave the output units on auto", self.network_spec.output.id)])

    def _build_network(self, dtype: type) -> Network:
        seed = np.random.SeedSequence(self.training_spec.seed)
        init_seq, _ = seed.spawn(2)
        return build(self.network_spec, n_inputs=self.splits.n_inputs, resolved=self.resolved,
                     rng=np.random.default_rng(init_seq), dtype=dtype,
                     huber_delta=self.training_spec.huber_delta, bugs=self.training_spec.bugs)

    def reset(self) -> None:
        """Fresh weights (from the seed), optimizer state and trainer: a run from scratch."""
        training = self.training_spec
        self.network = self._build_network(self.dtype)
        self.optimizer = build_optimizer(training.optimizer, self.network.parameters(),
                                         training.bugs)
        _, shuffle_seq = np.random.SeedSequence(training.seed).spawn(2)
        self.trainer = Trainer(
            self.network, self.optimizer, self.data, epochs=training.epochs,
            batch_size=training.batch_size, rng=np.random.default_rng(shuffle_seq),
            schedule=build_schedule(training), shuffle=training.shuffle,
            early_stopping=training.early_stopping, min_delta=training.min_delta,
            restore_best=training.restore_best)
        self.trainer.keeper = SnapshotKeeper()
        self.trainer.keeper.observe(self.network)  # epoch 0: the starting weights

    # -- mid-run changes ----------------------------------------------------------------

    def apply_training(self, training: TrainingSpec) -> list[str]:
        """Apply the safe changes of ``training`` to the running session.

        Returns the changes that need a reset (nothing is applied if there are any).
        """
        blocked = changes_needing_reset(self.training_spec, training)
        if blocked:
            return blocked
        check(self.network_spec, training)
        opt, trainer = self.optimizer, self.trainer
        hyper = build_optimizer(training.optimizer, self.network.parameters())
        for key in opt.hyperparameters:
            setattr(opt, key, getattr(hyper, key))
        opt.clip_norm = training.optimizer.clip_norm
        trainer.set_base_lr(training.optimizer.lr)
        trainer.schedule = build_schedule(training)
        trainer.epochs = training.epochs
        trainer.early_stopping, trainer.min_delta = training.early_stopping, training.min_delta
        trainer.restore_best = training.restore_best
        trainer.set_batch_size(training.batch_size)
        self.training_spec = training
        return []

    def apply_network(self, network: NetworkSpec) -> list[str]:
        """Apply L1/L2 and dropout-rate changes mid-run; returns blocking changes, if any."""
        if not _only_safe_layer_changes(self.network_spec, network):
            return ["network"]
        check(network, self.training_spec)
        for layer_spec in network.layers:
            layer = self.network.layer(layer_spec.id)
            if isinstance(layer_spec, DenseSpec):
                layer.l1, layer.l2 = layer_spec.l1, layer_spec.l2
                if layer is not self.network.layers[-1]:
                    layer.set_ablated(layer_spec.ablated)
            elif isinstance(layer_spec, DropoutSpec):
                layer.rate = layer_spec.rate
        self.network_spec = network
        return []

    def set_ablated(self, units: Mapping[str, tuple[int, ...]]) -> None:
        """Switch off hidden units by layer id (output held at 0 while training too);
        ``SpecError``/``ValueError`` name a layer or unit that does not exist."""
        ids = {layer.id for layer in self.network_spec.layers}
        unknown = sorted(set(units) - ids)
        if unknown:
            raise ValueError(f"no layer {unknown[0]!r} to ablate; the layers are {sorted(ids)}")
        layers = tuple(dataclasses.replace(layer, ablated=tuple(units[layer.id]))
                       if layer.id in units else layer for layer in self.network_spec.layers)
        blocked = self.apply_network(dataclasses.replace(self.network_spec, layers=layers))
        if blocked:
            raise ValueError("ablation needs a network that is already built")

    def apply_data(self, data: DataSpec) -> list[str]:
        """Train on changed drawn points from the next epoch on (the network keeps its
        weights); returns ``["data"]`` if the change needs a reset instead."""
        from nncore.data import load_dataset, prepare
        from nncore.data.drawn import live_change

        if not live_change(self.data_spec, data):
            return ["data"]
        splits = prepare(load_dataset(data), data)
        _check_splits(splits)
        before, after = self.splits.info, splits.info
        if splits.n_inputs != self.splits.n_inputs or before.task != after.task or \
                before.n_classes != after.n_classes or before.n_targets != after.n_targets:
            return ["data"]
        self.data = training_data(splits, self.resolved, self.dtype)
        self.trainer.set_data(self.data)
        self.splits, self.data_spec = splits, data
        return []

    # -- weights and checks ---------------------------------------------------------------

    def load_weights(self, weights: Mapping[str, Array]) -> None:
        """Set the network's weights (names and shapes must match)."""
        self.network.set_weights(dict(weights))

    def float64_twin(self) -> Network:
        """A float64 copy of the network with the same weights (for gradient checks)."""
        twin = self._build_network(np.float64)
        twin.set_weights({k: v.astype(np.float64) for k, v in self.network.get_weights().items()})
        return twin

    def gradient_check(self, batch_size: int = 16, seed: int = 0, max_entries: int = 40,
                       threshold: float = DEFAULT_THRESHOLD) -> GradCheckResult:
        """Check backprop against central differences on a batch of training data."""
        rng = np.random.default_rng(seed)
        n = self.data.x_train.shape[0]
        rows = rng.choice(n, size=min(batch_size, n), replace=False)
        return gradient_check(self.float64_twin(), self.data.x_train[rows],
                              self.data.t_train[rows], rng=rng, max_entries=max_entries,
                              threshold=threshold)

    def predict_raw(self, x_raw: Array) -> Array:
        """Predictions for inputs in the data set's original coordinates."""
        return self.network.predict(self.splits.preprocessing.transform(x_raw))


# --------------------------------------------------------------------------- projects


def session_to_project(session: Session, **extras) -> Project:
    """A ``Project`` holding the session's specs, weights, optimizer state and history.

    ``extras`` are passed to ``Project`` (``view``, ``lesson``, ``title``).
    """
    from nncore.project import Project

    data_spec = session.data_spec if session.data_spec is not None else DataSpec()
    optimizer_state = session.optimizer.state_dict()
    history = session.trainer.history  # a copy: a live one would grow while it is saved
    history = History(history.metric_name, list(history.records))
    return Project(
        session.network_spec, session.training_spec, data_spec,
        weights=session.network.get_weights(),
        optimizer_state=optimizer_state["state"] or None,
        optimizer_step=session.optimizer.step_count,
        history=history,
        preprocessing=session.splits.preprocessing.to_dict(),
        snapshots=session.trainer.keeper.copy() if session.trainer.keeper else None, **extras)


def session_from_project(project: Project, *, splits: Splits | None = None) -> Session:
    """A session for ``project``, continuing from its weights, optimizer state and history."""
    session = Session(project.network, project.training, project.data, splits=splits)
    if project.weights:
        try:
            session.load_weights(project.weights)
            if project.optimizer_state:
                session.optimizer.load_state_dict({
                    "name": session.optimizer.name, "step": project.optimizer_step,
                    "state": project.optimizer_state})
        except ValueError as err:  # a damaged file, or weights saved for another design
            raise ProjectFileError(f"the saved trained state does not fit this design: {err}. "
                                   "Reset to train from new weights") from None
        if project.history is not None and len(project.history):
            session.trainer.restore_progress(project.history)
        _restore_snapshots(session, project)
    return session


def _restore_snapshots(session: Session, project: Project) -> None:
    """Continue the project's snapshots; without any, start from the loaded weights
    (epoch 0 of an untrained project; nothing earlier for an old trained one)."""
    keeper = SnapshotKeeper()
    if project.snapshots is not None and len(project.snapshots):
        expected = {name: w.shape for name, w in session.network.get_weights().items()}
        for snapshot in project.snapshots.kept:
            shapes = {name: np.shape(w) for name, w in snapshot.weights.items()}
            if shapes != expected:
                raise ProjectFileError(f"the saved snapshot of epoch {snapshot.epoch} does "
                                       "not fit this design. Reset to train from new weights")
        keeper = project.snapshots.truncate(session.trainer.epoch)
    elif not len(session.trainer.history):
        keeper.observe(session.network)
    session.trainer.keeper = keeper
