"""The plain, validated, versioned description of a network, its training and its data.

One spec serves every user: the designer edits it, ``build`` turns it into arrays, project
files store it, lessons ship it and the CLI parses flags into it. Specs are frozen
dataclasses of primitives (names, never list indices), so an edit is
``dataclasses.replace`` and undo is swapping the old spec back.

``validate_*`` functions return every problem found (each with a field path, a message and
a fix) instead of stopping at the first; ``check`` raises them together as a ``SpecError``.
``to_dict`` / ``*_from_dict`` round-trip through JSON; ``migrate`` upgrades old versions.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Union

from nncore._types import DTYPES, TASKS
from nncore.activations import HIDDEN_ONLY_EXCLUDED, canonical_activation
from nncore.bugs import BUGS
from nncore.errors import SpecError
from nncore.initializers import canonical_initializer
from nncore.losses import LOSSES
from nncore.optimizers import OPTIMIZERS
from nncore.schedules import SCHEDULES

SCHEMA_VERSION = 2
AUTO = "auto"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec: where (dotted field path), what, and how to fix it."""

    path: str
    message: str
    fix: str = ""
    layer_id: str | None = None

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}"
        return f"{text} ({self.fix})" if self.fix else text


# --------------------------------------------------------------------------- layers


@dataclass(frozen=True)
class DenseSpec:
    """A fully connected layer ``a = f(x @ W + b)``.

    ``units=None`` is allowed on the output layer only and means "as many as the data
    needs". ``activation="auto"`` (output layer only) means "what suits the task and loss".
    ``activation_alpha`` is the leaky-ReLU slope or the ELU alpha (None: its default).
    ``init_scale`` is the constant for ``constant``, the limit for ``uniform`` and the
    standard deviation for ``normal`` (None: their defaults); other initialisers ignore it.
    ``l1`` / ``l2`` add ``l1 * sum|W|`` and ``l2 * sum W**2`` to the loss.
    """

    id: str
    units: int | None = 16
    activation: str = "tanh"
    activation_alpha: float | None = None
    init: str = "glorot_uniform"
    init_scale: float | None = None
    bias: bool = True
    l1: float = 0.0
    l2: float = 0.0
    kind: Literal["dense"] = "dense"
    ablated: tuple[int, ...] = ()
    """Units switched off (output held at 0, in training too): the step inspector's
    ablation. Hidden layers only."""


@dataclass(frozen=True)
class DropoutSpec:
    """Inverted dropout: zero each input with probability ``rate`` while training."""

    id: str
    rate: float = 0.2
    kind: Literal["dropout"] = "dropout"


@dataclass(frozen=True)
class ActivationSpec:
    """A stand-alone activation function applied element-wise (softmax: row-wise)."""

    id: str
    activation: str = "relu"
    activation_alpha: float | None = None
    kind: Literal["activation"] = "activation"


LayerSpec = Union[DenseSpec, DropoutSpec, ActivationSpec]  # noqa: UP007 - used at runtime
LAYER_KINDS: dict[str, type] = {"dense": DenseSpec, "dropout": DropoutSpec,
                                "activation": ActivationSpec}


@dataclass(frozen=True)
class NetworkSpec:
    """An ordered stack of layers; the last one is the Dense output layer.

    The input width follows the data set and is not stored here.
    """

    layers: tuple[LayerSpec, ...]

    @property
    def output(self) -> DenseSpec:
        """The output layer (the last layer, always Dense in a valid spec)."""
        last = self.layers[-1]
        if not isinstance(last, DenseSpec):
            raise SpecError([Problem("network.layers", "the last layer must be Dense")])
        return last

    @property
    def hidden(self) -> tuple[LayerSpec, ...]:
        """Every layer but the output layer."""
        return self.layers[:-1]

    def layer(self, layer_id: str) -> LayerSpec:
        """The layer with this stable id."""
        for layer in self.layers:
            if layer.id == layer_id:
                return layer
        raise KeyError(f"no layer with id {layer_id!r}")

    def index_of(self, layer_id: str) -> int:
        """Position of the layer with this id."""
        return [layer.id for layer in self.layers].index(layer_id)

    def replace_layer(self, layer_id: str, **changes: Any) -> NetworkSpec:
        """A copy with one layer's fields changed."""
        layers = tuple(dataclasses.replace(layer, **changes) if layer.id == layer_id else layer
                       for layer in self.layers)
        return NetworkSpec(layers)


def new_layer_id(spec: NetworkSpec | Sequence[LayerSpec], kind: str) -> str:
    """A fresh stable id such as ``dense-3`` that no layer of ``spec`` uses yet."""
    layers = spec.layers if isinstance(spec, NetworkSpec) else spec
    used = {layer.id for layer in layers}
    n = 1
    while f"{kind}-{n}" in used:
        n += 1
    return f"{kind}-{n}"


def mlp_spec(hidden: Sequence[int], activation: str = "tanh", *,
             output_activation: str = AUTO, init: str = "glorot_uniform",
             l2: float = 0.0, dropout: float = 0.0) -> NetworkSpec:
    """A multi-layer perceptron: Dense hidden layers (optionally each followed by dropout)."""
    layers: list[LayerSpec] = []
    for units in hidden:
        layers.append(DenseSpec(new_layer_id(layers, "dense"), units, activation,
                                init=init, l2=l2))
        if dropout > 0:
            layers.append(DropoutSpec(new_layer_id(layers, "dropout"), dropout))
    layers.append(DenseSpec(new_layer_id(layers, "dense"), None, output_activation,
                            init=init, l2=l2))
    return NetworkSpec(tuple(layers))


# --------------------------------------------------------------------------- training


@dataclass(frozen=True)
class OptimizerSpec:
    """The update rule and its hyper-parameters; ``None`` means the rule's PyTorch default.

    ``momentum`` serves SGD and RMSprop; ``alpha`` is RMSprop's smoothing constant;
    ``clip_norm`` rescales the whole gradient when its global L2 norm exceeds it.
    """

    name: str = "adam"
    lr: float = 0.01
    momentum: float | None = None
    nesterov: bool = False
    beta1: float = 0.9
    beta2: float = 0.999
    alpha: float = 0.99
    eps: float | None = None
    centered: bool = False
    weight_decay: float | None = None
    clip_norm: float | None = None


@dataclass(frozen=True)
class ScheduleSpec:
    """How the learning rate changes over epochs (see ``nncore.schedules``).

    ``warmup_epochs`` ramps the rate linearly from 0 over that many (possibly fractional)
    epochs, on top of any schedule.
    """

    name: str = "constant"
    step_size: int = 10
    gamma: float | None = None
    t_max: int | None = None
    min_lr: float = 0.0
    warmup_epochs: float = 0.0


@dataclass(frozen=True)
class TrainingSpec:
    """Everything about how a network is trained.

    ``batch_size=None`` is full-batch gradient descent; ``1`` is stochastic (one sample per
    step). ``early_stopping`` is the patience in epochs on the validation loss (0: off).
    ``bugs`` deliberately injects classic beginner bugs for lessons (``nncore.bugs``).
    ``steps_per_second`` paces training so people can watch it (0: full speed); it never
    changes the numbers, only how fast they come.
    """

    loss: str = AUTO
    optimizer: OptimizerSpec = OptimizerSpec()
    schedule: ScheduleSpec = ScheduleSpec()
    batch_size: int | None = 32
    epochs: int = 200
    seed: int = 0
    shuffle: bool = True
    early_stopping: int = 0
    min_delta: float = 0.0
    restore_best: bool = True
    huber_delta: float = 1.0
    dtype: str = "float32"
    bugs: tuple[str, ...] = ()
    steps_per_second: float = 0.0


MAX_STEPS_PER_SECOND = 100_000.0
"""The fastest pace that can be asked for (faster than any step takes: 0 means full speed)."""


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class DataSpec:
    """Which data set, with which options, and how it is prepared.

    ``source`` is a built-in name (``spirals``, ``mnist``, ``iris``...) or ``"file"`` with
    ``path``. ``options`` holds the generator's settings (``n``, ``noise``, ``turns``...).
    ``features`` adds derived inputs (``x1^2``, ``x2^2``, ``x1*x2``, ``sin(x1)``,
    ``sin(x2)``). ``normalize`` is ``auto`` (what suits the set), ``none``, ``standard``
    or ``minmax``, fitted on the training split only. ``standardize_target`` (regression
    only) trains on ``(y - mean) / std`` of the training targets; predictions, plots and
    R² stay in the target's own units.
    """

    source: str = "spirals"
    options: Mapping[str, Any] = field(default_factory=dict)
    path: str | None = None
    target: str | None = None
    features: tuple[str, ...] = ()
    normalize: str = AUTO
    val_split: float = 0.2
    test_split: float = 0.0
    seed: int = 0
    points: tuple[tuple[float, ...], ...] = ()
    """The samples of a drawn data set (``source="drawn"``, ``nncore.data.drawn``)."""
    standardize_target: bool = False
    # the import recipe of a table file (nncore.data.tabular); defaults detect everything
    roles: Mapping[str, str] = field(default_factory=dict)  # column -> input|ignore ("*": rest)
    kinds: Mapping[str, str] = field(default_factory=dict)  # column -> numeric|categorical|...
    missing: str = "auto"  # auto | drop | mean | median | mode
    missing_indicator: bool = False  # add a 0/1 "column missing" input per filled column
    fingerprint: str = ""  # the file's size and hash when the recipe was made ("" unchecked)


MISSING_POLICIES = ("auto", "drop", "mean", "median", "mode")
NORMALIZATIONS = (AUTO, "none", "standard", "minmax")


# --------------------------------------------------------------------------- resolution


@dataclass(frozen=True)
class Resolved:
    """The concrete output activation, loss and output width for a task."""

    output_activation: str
    loss: str
    n_outputs: int


def resolve_output(network: NetworkSpec, training: TrainingSpec, task: str,
                   n_classes: int = 0, n_targets: int = 1) -> Resolved:
    """Fill in every ``auto``: output activation, loss and output width for the task.

    Both auto: binary -> sigmoid + bce (1 unit), multiclass -> softmax + cross_entropy
    (K units), regression -> linear + mse. One given: the other is chosen to go with it.
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {list(TASKS)}")
    classification = task != "regression"
    activation = canonical_activation(network.output.activation, allow_auto=True)
    loss = training.loss
    if activation == AUTO:
        activation = {"cross_entropy": "softmax", "bce": "sigmoid"}.get(loss) or (
            {"binary": "sigmoid", "multiclass": "softmax"}.get(task, "linear"))
    if loss == AUTO:
        if activation == "softmax":
            loss = "cross_entropy"
        elif activation == "sigmoid" and classification:
            loss = "bce"
        else:
            loss = "mse"
    if network.output.units is not None:
        n_outputs = network.output.units
    elif task == "regression":
        n_outputs = n_targets
    elif task == "binary" and activation != "softmax" and loss != "cross_entropy":
        n_outputs = 1
    else:
        n_outputs = max(n_classes, 2)
    return Resolved(activation, loss, n_outputs)


# --------------------------------------------------------------------------- validation


def _finite(x: float) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def _validate_activation(name: str, alpha: float | None, path: str, layer_id: str,
                         *, allow_auto: bool) -> list[Problem]:
    problems: list[Problem] = []
    try:
        canonical_activation(name, allow_auto=allow_auto)
    except ValueError as err:
        fix = "use 'auto' or one of those" if allow_auto else "pick one of those"
        problems.append(Problem(f"{path}.activation", str(err), fix, layer_id))
    if alpha is not None and not (_finite(alpha) and alpha >= 0):
        problems.append(Problem(f"{path}.activation_alpha",
                                f"must be a finite number >= 0, got {alpha!r}",
                                "use e.g. 0.01 for leaky ReLU or 1.0 for ELU", layer_id))
    return problems


def _validate_dense(layer: DenseSpec, path: str, is_output: bool) -> list[Problem]:
    problems = _validate_activation(layer.activation, layer.activation_alpha, path, layer.id,
                                    allow_auto=is_output)
    units_ok = layer.units is None if is_output else False
    if not units_ok and not (isinstance(layer.units, int) and not isinstance(layer.units, bool)
                             and layer.units >= 1):
        problems.append(Problem(f"{path}.units",
                                f"must be a positive whole number, got {layer.units!r}",
                                "give the layer at least 1 unit", layer.id))
    elif isinstance(layer.units, int) and layer.units > 65536:
        problems.append(Problem(f"{path}.units", f"{layer.units} units is too many",
                                "use at most 65536 units", layer.id))
    if not is_output and canonical_activation(layer.activation, allow_auto=True,
                                              strict=False) in HIDDEN_ONLY_EXCLUDED:
        problems.append(Problem(f"{path}.activation",
                                f"{layer.activation} only makes sense on the output layer",
                                "use relu, tanh or another element-wise activation", layer.id))
    try:
        canonical_initializer(layer.init)
    except ValueError as err:
        problems.append(Problem(f"{path}.init", str(err), "pick one of those", layer.id))
    if layer.init_scale is not None and not _finite(layer.init_scale):
        problems.append(Problem(f"{path}.init_scale", f"must be finite, got {layer.init_scale!r}",
                                "use a small number such as 0.05", layer.id))
    problems += _validate_ablated(layer, path, is_output)
    for name in ("l1", "l2"):
        value = getattr(layer, name)
        if not (_finite(value) and value >= 0):
            problems.append(Problem(f"{path}.{name}", f"must be >= 0, got {value!r}",
                                    "use 0 to switch it off or a small value like 1e-4",
                                    layer.id))
    return problems


def _validate_ablated(layer: DenseSpec, path: str, is_output: bool) -> list[Problem]:
    units = layer.ablated
    if not units:
        return []
    if is_output:
        return [Problem(f"{path}.ablated", "output units cannot be switched off",
                        "switch off hidden units instead", layer.id)]
    limit = layer.units if isinstance(layer.units, int) else 0
    bad = [u for u in units if not (isinstance(u, int) and 0 <= u < limit)]
    if bad:
        return [Problem(f"{path}.ablated", f"unit {bad[0]!r} is not in this layer (units 0 to "
                        f"{limit - 1})", "switch that unit on again", layer.id)]
    return []


def _validate_layer(layer: Any, path: str, is_output: bool) -> list[Problem]:
    if isinstance(layer, DenseSpec):
        return _validate_dense(layer, path, is_output)
    if is_output:
        return [Problem(path, f"the output layer must be Dense, not {layer.kind}",
                        "end the network with a Dense layer", layer.id)]
    if isinstance(layer, DropoutSpec):
        if not (_finite(layer.rate) and 0 <= layer.rate < 1):
            return [Problem(f"{path}.rate", f"must be in [0, 1), got {layer.rate!r}",
                            "use a rate such as 0.2", layer.id)]
        return []
    if isinstance(layer, ActivationSpec):
        problems = _validate_activation(layer.activation, layer.activation_alpha, path,
                                        layer.id, allow_auto=False)
        if not problems and canonical_activation(layer.activation) in HIDDEN_ONLY_EXCLUDED:
            problems.append(Problem(f"{path}.activation",
                                    f"{layer.activation} only makes sense on the output layer",
                                    "set it as the output layer's activation", layer.id))
        return problems
    return [Problem(path, f"unknown layer {layer!r}", "use dense, dropout or activation")]


def validate_network(spec: NetworkSpec) -> list[Problem]:
    """Every problem in a network spec (empty when it can be built)."""
    if not spec.layers:
        return [Problem("network.layers", "the network has no layers",
                        "add a Dense output layer")]
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, layer in enumerate(spec.layers):
        path = f"network.layers[{i}]"
        if not isinstance(layer.id, str) or not layer.id:
            problems.append(Problem(f"{path}.id", "every layer needs a non-empty id", ""))
        elif layer.id in seen:
            problems.append(Problem(f"{path}.id", f"id {layer.id!r} is used twice",
                                    "give each layer its own id", layer.id))
        seen.add(layer.id)
        problems += _validate_layer(layer, path, is_output=i == len(spec.layers) - 1)
    if len(spec.layers) > 200:
        problems.append(Problem("network.layers", f"{len(spec.layers)} layers is too many",
                                "use at most 200 layers"))
    return problems


def _validate_optimizer(opt: OptimizerSpec) -> list[Problem]:
    p = "training.optimizer"
    problems: list[Problem] = []
    if opt.name not in OPTIMIZERS:
        problems.append(Problem(f"{p}.name", f"unknown optimizer {opt.name!r}; choose one of "
                                f"{sorted(OPTIMIZERS)}", "pick one of those"))
    if not (_finite(opt.lr) and opt.lr > 0):
        problems.append(Problem(f"{p}.lr", f"the learning rate must be > 0, got {opt.lr!r}",
                                "try 0.01 for Adam or 0.1 for SGD"))
    if opt.momentum is not None and not (_finite(opt.momentum) and 0 <= opt.momentum < 1):
        problems.append(Problem(f"{p}.momentum", f"must be in [0, 1), got {opt.momentum!r}",
                                "use 0.9"))
    for name in ("beta1", "beta2", "alpha"):
        value = getattr(opt, name)
        if not (_finite(value) and 0 <= value < 1):
            problems.append(Problem(f"{p}.{name}", f"must be in [0, 1), got {value!r}",
                                    "use the default (0.9, 0.999, 0.99)"))
    if opt.eps is not None and not (_finite(opt.eps) and opt.eps > 0):
        problems.append(Problem(f"{p}.eps", f"must be > 0, got {opt.eps!r}", "use 1e-8"))
    if opt.weight_decay is not None and not (_finite(opt.weight_decay) and opt.weight_decay >= 0):
        problems.append(Problem(f"{p}.weight_decay", f"must be >= 0, got {opt.weight_decay!r}",
                                "use 0 or a small value like 1e-4"))
    if opt.clip_norm is not None and not (_finite(opt.clip_norm) and opt.clip_norm > 0):
        problems.append(Problem(f"{p}.clip_norm", f"must be > 0, got {opt.clip_norm!r}",
                                "leave it empty for no clipping, or use e.g. 1.0"))
    sgd_family = ("sgd", "momentum", "nesterov")
    if opt.nesterov and opt.name not in sgd_family:
        problems.append(Problem(f"{p}.nesterov", f"Nesterov momentum is part of SGD, not "
                                f"{opt.name}", "switch it off, or choose 'nesterov'"))
    uses_nesterov = opt.name == "nesterov" or (opt.nesterov and opt.name in sgd_family)
    momentum = opt.momentum if opt.momentum is not None else \
        (0.0 if opt.name == "sgd" else 0.9)
    if uses_nesterov and not momentum > 0:
        problems.append(Problem(f"{p}.nesterov", "Nesterov needs a momentum > 0",
                                "set momentum to 0.9"))
    return problems


def _validate_schedule(s: ScheduleSpec) -> list[Problem]:
    p = "training.schedule"
    problems: list[Problem] = []
    if s.name not in SCHEDULES:
        problems.append(Problem(f"{p}.name", f"unknown schedule {s.name!r}; choose one of "
                                f"{sorted(SCHEDULES)}", "pick one of those"))
    if not (isinstance(s.step_size, int) and s.step_size >= 1):
        problems.append(Problem(f"{p}.step_size", f"must be >= 1 epoch, got {s.step_size!r}",
                                "use e.g. 10"))
    if s.gamma is not None and not (_finite(s.gamma) and 0 < s.gamma <= 1):
        problems.append(Problem(f"{p}.gamma", f"must be in (0, 1], got {s.gamma!r}",
                                "use e.g. 0.5 for step or 0.95 for exponential"))
    if s.t_max is not None and not (isinstance(s.t_max, int) and s.t_max >= 1):
        problems.append(Problem(f"{p}.t_max", f"must be >= 1 epoch, got {s.t_max!r}",
                                "leave it empty to use the number of epochs"))
    if not (_finite(s.min_lr) and s.min_lr >= 0):
        problems.append(Problem(f"{p}.min_lr", f"must be >= 0, got {s.min_lr!r}", "use 0"))
    if not (_finite(s.warmup_epochs) and s.warmup_epochs >= 0):
        problems.append(Problem(f"{p}.warmup_epochs", f"must be >= 0, got {s.warmup_epochs!r}",
                                "use 0 for no warm-up"))
    return problems


def validate_training(spec: TrainingSpec) -> list[Problem]:
    """Every problem in a training spec on its own (see ``validate`` for pairings)."""
    problems = _validate_optimizer(spec.optimizer) + _validate_schedule(spec.schedule)
    if spec.loss != AUTO and spec.loss not in LOSSES:
        problems.append(Problem("training.loss", f"unknown loss {spec.loss!r}; choose one of "
                                f"{sorted(LOSSES)}", "pick one of those or 'auto'"))
    if spec.batch_size is not None and not (isinstance(spec.batch_size, int)
                                            and spec.batch_size >= 1):
        problems.append(Problem("training.batch_size",
                                f"must be a whole number >= 1, got {spec.batch_size!r}",
                                "use 32, 1 for stochastic, or empty for full batch"))
    if not (isinstance(spec.epochs, int) and spec.epochs >= 1):
        problems.append(Problem("training.epochs", f"must be at least 1, got {spec.epochs!r}",
                                "train for at least one epoch"))
    elif spec.epochs > 10_000_000:
        problems.append(Problem("training.epochs", f"{spec.epochs} epochs is too many",
                                "use at most 10,000,000"))
    if not (isinstance(spec.seed, int) and 0 <= spec.seed < 2**63):
        problems.append(Problem("training.seed", f"must be a whole number >= 0, got "
                                f"{spec.seed!r}", "use e.g. 0"))
    if not (isinstance(spec.early_stopping, int) and spec.early_stopping >= 0):
        problems.append(Problem("training.early_stopping",
                                f"patience must be >= 0 epochs, got {spec.early_stopping!r}",
                                "use 0 to switch early stopping off"))
    if not (_finite(spec.min_delta) and spec.min_delta >= 0):
        problems.append(Problem("training.min_delta", f"must be >= 0, got {spec.min_delta!r}",
                                "use 0"))
    if not (_finite(spec.huber_delta) and spec.huber_delta > 0):
        problems.append(Problem("training.huber_delta",
                                f"must be > 0, got {spec.huber_delta!r}", "use 1.0"))
    if not (_finite(spec.steps_per_second) and
            0 <= spec.steps_per_second <= MAX_STEPS_PER_SECOND):
        problems.append(Problem("training.steps_per_second",
                                f"must be between 0 (full speed) and {MAX_STEPS_PER_SECOND:,.0f}"
                                f", got {spec.steps_per_second!r}",
                                "use 0 for full speed or e.g. 20 to watch"))
    if spec.dtype not in DTYPES:
        problems.append(Problem("training.dtype", f"unknown dtype {spec.dtype!r}",
                                f"use one of {sorted(DTYPES)}"))
    for bug in spec.bugs:
        if bug not in BUGS:
            problems.append(Problem("training.bugs", f"unknown bug {bug!r}; known: "
                                    f"{sorted(BUGS)}", "remove it"))
    return problems


def validate_data(spec: DataSpec) -> list[Problem]:
    """Problems in a data spec that need no file access (names are checked when loading)."""
    problems: list[Problem] = []
    if not isinstance(spec.source, str) or not spec.source:
        problems.append(Problem("data.source", "no data set chosen", "pick a data set"))
    if spec.source == "file" and not spec.path:
        problems.append(Problem("data.path", "a file data set needs a path", "choose a file"))
    if spec.normalize not in NORMALIZATIONS:
        problems.append(Problem("data.normalize", f"unknown normalisation {spec.normalize!r}",
                                f"use one of {list(NORMALIZATIONS)}"))
    for name in ("val_split", "test_split"):
        value = getattr(spec, name)
        if not (_finite(value) and 0 <= value < 1):
            problems.append(Problem(f"data.{name}", f"must be in [0, 1), got {value!r}",
                                    "use e.g. 0.2"))
    if _finite(spec.val_split) and _finite(spec.test_split) and \
            spec.val_split + spec.test_split >= 0.95:
        problems.append(Problem("data.val_split", "validation and test splits leave almost "
                                "nothing to train on", "keep their sum below 0.95"))
    if not isinstance(spec.standardize_target, bool):
        problems.append(Problem("data.standardize_target", "must be true or false, got "
                                f"{spec.standardize_target!r}", "use true or false"))
    if not (isinstance(spec.seed, int) and spec.seed >= 0):
        problems.append(Problem("data.seed", f"must be a whole number >= 0, got {spec.seed!r}",
                                "use e.g. 0"))
    if spec.missing not in MISSING_POLICIES:
        problems.append(Problem("data.missing", f"unknown missing-value policy "
                                f"{spec.missing!r}", f"use one of {list(MISSING_POLICIES)}"))
    for column, role in spec.roles.items():
        if role not in ("input", "ignore"):
            problems.append(Problem("data.roles", f"column {column!r} has unknown role "
                                    f"{role!r}", "use input or ignore"))
    return problems


def validate(network: NetworkSpec, training: TrainingSpec,
             data: DataSpec | None = None) -> list[Problem]:
    """Every problem in the specs, including a loss that cannot go with the output layer."""
    problems = validate_network(network) + validate_training(training)
    if data is not None:
        problems += validate_data(data)
    if problems:
        return problems
    output = canonical_activation(network.output.activation, allow_auto=True)
    needs = {"cross_entropy": "softmax", "bce": "sigmoid"}.get(training.loss)
    if needs and output not in (AUTO, needs):
        problems.append(Problem(
            "training.loss",
            f"{training.loss} is computed together with a {needs} output, but the output "
            f"layer uses {output}",
            f"set the output activation to {needs} (or auto), or choose another loss",
            network.output.id))
    return problems


def check(network: NetworkSpec, training: TrainingSpec, data: DataSpec | None = None) -> None:
    """Raise ``SpecError`` listing every problem, if there is any."""
    problems = validate(network, training, data)
    if problems:
        raise SpecError(problems)


# --------------------------------------------------------------------------- (de)serialisation


def to_dict(spec: Any) -> Any:
    """A JSON-ready copy of any spec (dataclasses become dicts, tuples lists)."""
    if dataclasses.is_dataclass(spec) and not isinstance(spec, type):
        return {f.name: to_dict(getattr(spec, f.name)) for f in dataclasses.fields(spec)}
    if isinstance(spec, (tuple, list)):
        return [to_dict(v) for v in spec]
    if isinstance(spec, Mapping):
        return {str(k): to_dict(v) for k, v in spec.items()}
    return spec


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")


def _coerce(value: Any, annotation: Any, path: str) -> Any:
    """Check ``value`` against a type annotation; convert JSON lists/dicts back."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is Any:
        return value
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        if annotation == LayerSpec or set(args) <= set(LAYER_KINDS.values()):
            return _layer_from_dict(value, path)
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, path)
            except SpecError as err:
                errors.append(err)
        raise errors[0]
    if origin is Literal:
        if value not in args:
            raise SpecError([Problem(path, f"must be one of {list(args)}, got {value!r}")])
        return value
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise SpecError([Problem(path, f"must be a list, got {type(value).__name__}")])
        item_type = args[0]
        return tuple(_coerce(v, item_type, f"{path}[{i}]") for i, v in enumerate(value))
    if origin in (Mapping, dict) or annotation in (dict, Mapping):
        if not isinstance(value, dict):
            raise SpecError([Problem(path, f"must be an object, got {type(value).__name__}")])
        if not all(isinstance(k, str) for k in value):
            raise SpecError([Problem(path, "keys must be strings")])
        return _plain_mapping(value, path)
    if dataclasses.is_dataclass(annotation):
        return _dataclass_from_dict(annotation, value, path)
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError([Problem(path, f"must be a number, got {value!r}")])
        if isinstance(value, int) and abs(value) > 2 ** 1023:  # float() would overflow
            raise SpecError([Problem(path, "is too large a number")])
        return float(value)
    if annotation in (int, bool, str):
        if type(value) is not annotation:
            raise SpecError([Problem(path, f"must be {_type_name(annotation)}, got {value!r}")])
        return value
    raise SpecError([Problem(path, f"cannot read a value of type {_type_name(annotation)}")])


def _plain_mapping(value: dict, path: str, depth: int = 0) -> dict:
    """Options hold only JSON scalars, lists of scalars, or shallow objects."""
    if depth > 4:
        raise SpecError([Problem(path, "is nested too deeply")])
    out: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, dict):
            out[key] = _plain_mapping(item, f"{path}.{key}", depth + 1)
        elif isinstance(item, list):
            if not all(isinstance(v, (str, int, float, bool)) or v is None for v in item):
                raise SpecError([Problem(f"{path}.{key}", "lists may hold only plain values")])
            out[key] = list(item)
        elif isinstance(item, (str, int, float, bool)) or item is None:
            out[key] = item
        else:
            raise SpecError([Problem(f"{path}.{key}", f"unsupported value {item!r}")])
    return out


def _dataclass_from_dict(cls: type, value: Any, path: str) -> Any:
    if not isinstance(value, dict):
        raise SpecError([Problem(path, f"must be an object, got {type(value).__name__}")])
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(value) - names)
    if unknown:
        raise SpecError([Problem(f"{path}.{unknown[0]}", f"unknown field {unknown[0]!r}",
                                 f"known fields: {sorted(names)}")])
    kwargs = {}
    problems: list[Problem] = []
    for f in dataclasses.fields(cls):
        if f.name not in value:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                problems.append(Problem(f"{path}.{f.name}", "is missing"))
            continue
        try:
            kwargs[f.name] = _coerce(value[f.name], hints[f.name], f"{path}.{f.name}")
        except SpecError as err:
            problems += err.problems
    if problems:
        raise SpecError(problems)
    return cls(**kwargs)


def _layer_from_dict(value: Any, path: str) -> LayerSpec:
    if not isinstance(value, dict):
        raise SpecError([Problem(path, f"a layer must be an object, got {type(value).__name__}")])
    kind = value.get("kind")
    if not isinstance(kind, str) or kind not in LAYER_KINDS:  # a list kind is unhashable
        raise SpecError([Problem(f"{path}.kind", f"unknown layer kind {kind!r}",
                                 f"use one of {sorted(LAYER_KINDS)}")])
    return _dataclass_from_dict(LAYER_KINDS[kind], value, path)


def network_from_dict(d: Any) -> NetworkSpec:
    """Read a ``NetworkSpec`` from ``to_dict`` output; raises ``SpecError`` naming the field."""
    return _dataclass_from_dict(NetworkSpec, d, "network")


def training_from_dict(d: Any) -> TrainingSpec:
    """Read a ``TrainingSpec`` from ``to_dict`` output."""
    return _dataclass_from_dict(TrainingSpec, d, "training")


def data_from_dict(d: Any) -> DataSpec:
    """Read a ``DataSpec`` from ``to_dict`` output."""
    return _dataclass_from_dict(DataSpec, d, "data")


# --------------------------------------------------------------------------- versions

def _v1_to_v2(document: dict) -> dict:
    """Version 2 (app 0.2) only added fields with defaults (speed, ablation, drawn points,
    target standardising, the table import recipe, snapshots, view arrays, assignments):
    a version-1 document reads unchanged. The version changed so that a 0.1 app, which
    rejects unknown fields, says "update Backprop Lab" instead of naming a field."""
    return document


MIGRATIONS: dict[int, typing.Callable[[dict], dict]] = {1: _v1_to_v2}
"""``MIGRATIONS[v]`` upgrades a document of version ``v`` to ``v + 1``."""


def migrate(document: dict) -> dict:
    """Upgrade a stored document to ``SCHEMA_VERSION`` one step at a time.

    Raises ``SpecError`` for a missing or future version (a file from a newer app).
    """
    version = document.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SpecError([Problem("schema_version", f"missing or invalid version {version!r}",
                                 "this does not look like a Backprop Lab file")])
    if version > SCHEMA_VERSION:
        raise SpecError([Problem("schema_version",
                                 f"the file has version {version}, this app reads up to "
                                 f"{SCHEMA_VERSION}", "update Backprop Lab to open it")])
    while version < SCHEMA_VERSION:
        document = MIGRATIONS[version](dict(document))
        version += 1
        document["schema_version"] = version
    return document
