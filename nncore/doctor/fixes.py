"""The fixes the doctor suggests, each computed from the current specs.

Every builder returns a ``Fix`` (or None when there is no safe one-click change) whose
changes touch as little as possible: a field of a layer, the learning rate, the
normalisation. The lessons' tests apply them and check that the network then trains.
"""

from __future__ import annotations

import dataclasses
import math

from nncore.activations import canonical_activation
from nncore.doctor.findings import Change, Fix
from nncore.doctor.thresholds import CONSTANT_INITIALIZERS, RELU_LIKE
from nncore.spec import (
    AUTO,
    DataSpec,
    DenseSpec,
    NetworkSpec,
    TrainingSpec,
    new_layer_id,
)

Specs = tuple[NetworkSpec, TrainingSpec, DataSpec | None]

OVERFIT_PATIENCE = 20
OVERFIT_L2 = 1e-3
CAPACITY_WIDTH = 16
CAPACITY_DEPTH = 2


def good_init(activation: str) -> str:
    """He initialisation for ReLU-like activations, Glorot for the rest."""
    return "he_normal" if canonical_activation(activation, allow_auto=True,
                                               strict=False) in RELU_LIKE else "glorot_uniform"


def _dense(network: NetworkSpec, hidden_only: bool = False) -> list[DenseSpec]:
    layers = network.hidden if hidden_only else network.layers
    return [layer for layer in layers if isinstance(layer, DenseSpec)]


def nice_number(value: float) -> float:
    """``value`` rounded to one significant digit (0.0300000001 -> 0.03)."""
    if not (math.isfinite(value) and value > 0):
        return value
    exponent = math.floor(math.log10(value))
    return round(value, -exponent)


def symmetric_init_fix(specs: Specs) -> Fix | None:
    """Random initialisation (He or Glorot) for every layer that starts constant."""
    network, training, data = specs
    layers = [layer for layer in _dense(network) if layer.init in CONSTANT_INITIALIZERS]
    if not layers:
        return None
    changes: list[Change] = []
    for layer in layers:
        changes.append((f"network.{layer.id}.init", good_init(layer.activation)))
        changes.append((f"network.{layer.id}.init_scale", None))
    names = sorted({good_init(layer.activation) for layer in layers})
    label = " / ".join("He" if n == "he_normal" else "Glorot" for n in names)
    return Fix.build(f"Use random initial weights ({label})", changes, network, training,
                     data)


def output_activation_fix(specs: Specs, task: str) -> Fix:
    """A linear output for regression; the task's own output (auto) for classification."""
    network, training, data = specs
    out = network.output.id
    if task == "regression":
        changes: list[Change] = [(f"network.{out}.activation", "linear")]
        if training.loss not in (AUTO, "mse", "mae", "huber"):
            changes.append(("training.loss", AUTO))
        return Fix.build("Use a linear output activation", changes, network, training, data)
    changes = [(f"network.{out}.activation", AUTO), (f"network.{out}.units", None)]
    if training.loss != AUTO:
        changes.append(("training.loss", AUTO))
    what = "softmax" if task == "multiclass" else "sigmoid"
    return Fix.build(f"Use a {what} output (as the task needs)", changes, network, training,
                     data)


def loss_fix(specs: Specs, task: str) -> Fix:
    """Cross-entropy with the matching output for classification, MSE for regression."""
    network, training, data = specs
    out = network.output.id
    if task == "regression":
        return Fix.build("Use mean squared error with a linear output",
                         [("training.loss", "mse"), (f"network.{out}.activation", "linear")],
                         network, training, data)
    what = "cross-entropy with softmax" if task == "multiclass" else \
        "binary cross-entropy with sigmoid"
    return Fix.build(f"Use {what}",
                     [("training.loss", AUTO), (f"network.{out}.activation", AUTO),
                      (f"network.{out}.units", None)], network, training, data)


def dead_relu_fix(specs: Specs, layer_id: str, task: str) -> Fix:
    """Leaky ReLU (with He initialisation) in a hidden layer; the task's output otherwise."""
    network, training, data = specs
    if layer_id == network.output.id:
        return output_activation_fix(specs, task)
    changes: list[Change] = [(f"network.{layer_id}.activation", "leaky_relu"),
                             (f"network.{layer_id}.init", "he_normal"),
                             (f"network.{layer_id}.init_scale", None)]
    text = f"Use leaky ReLU (He init) in {layer_id}"
    safe = safe_lr(training)
    if safe is not None:  # large steps killed the units: leaky ones would blow up instead
        changes.append(("training.optimizer.lr", safe))
        text += f" and lower the learning rate to {safe:g}"
    return Fix.build(text, changes, network, training, data)


LARGE_LR = {"adaptive": 0.05, "sgd": 1.0}
"""Learning rates from which a fix that keeps them would not train (Adam-like rules at 0.05
and above, plain SGD at 1 and above, on standardised data)."""
SAFE_LR = {"adaptive": 0.01, "sgd": 0.1}
ADAPTIVE_RULES = frozenset({"adam", "adamw", "rmsprop", "adagrad"})


def safe_lr(training: TrainingSpec) -> float | None:
    """A learning rate that trains where the current one is large, or None if it is not."""
    kind = "adaptive" if training.optimizer.name in ADAPTIVE_RULES else "sgd"
    return SAFE_LR[kind] if training.optimizer.lr >= LARGE_LR[kind] else None


def normalize_fix(specs: Specs) -> Fix | None:
    """Standardise every input feature (mean 0, standard deviation 1 on the training set)."""
    network, training, data = specs
    if data is None:
        return None
    return Fix.build("Standardise the inputs",
                     [("data.normalize", "standard")], network, training, data)


def saturation_fix(specs: Specs, layer_id: str, inputs_unnormalized: bool) -> Fix | None:
    """Normalise the inputs if they are large, else tanh for sigmoid, else Glorot init."""
    network, training, data = specs
    if inputs_unnormalized:
        return normalize_fix(specs)
    layer = network.layer(layer_id)
    if not isinstance(layer, DenseSpec):
        return None
    if layer.init not in ("glorot_uniform", "glorot_normal", "lecun_normal"):
        return Fix.build(f"Use Glorot initialisation in {layer_id}",
                         [(f"network.{layer_id}.init", "glorot_uniform"),
                          (f"network.{layer_id}.init_scale", None)], network, training, data)
    if layer.activation == "sigmoid":
        return Fix.build(f"Use tanh instead of sigmoid in {layer_id}",
                         [(f"network.{layer_id}.activation", "tanh")], network, training, data)
    return None


def gradient_flow_fix(specs: Specs, exploding: bool,
                      inputs_unnormalized: bool = False) -> Fix | None:
    """Normalised inputs (when they are large), else He/Glorot initialisation in every
    hidden layer (and tanh for sigmoid), else gradient clipping."""
    network, training, data = specs
    if inputs_unnormalized:
        return normalize_fix(specs)
    changes: list[Change] = []
    tanh = False
    for layer in _dense(network, hidden_only=True):
        activation = layer.activation
        if activation == "sigmoid" and not exploding:
            changes.append((f"network.{layer.id}.activation", "tanh"))
            activation, tanh = "tanh", True
        if layer.init != good_init(activation) or layer.init_scale is not None:
            changes.append((f"network.{layer.id}.init", good_init(activation)))
            changes.append((f"network.{layer.id}.init_scale", None))
    if changes:
        text = "Use He/Glorot initialisation in hidden layers"
        if tanh:  # a fix does exactly what its text says
            text = "Use tanh instead of sigmoid, with Glorot initialisation, in hidden layers"
        return Fix.build(text, changes, network, training, data)
    if exploding and training.optimizer.clip_norm is None:
        return Fix.build("Clip the gradient norm at 1", [("training.optimizer.clip_norm", 1.0)],
                         network, training, data)
    return None


def learning_rate_fix(specs: Specs, factor: float) -> Fix:
    """The learning rate times ``factor`` (0.1: ten times smaller; 10: ten times larger)."""
    network, training, data = specs
    if factor < 1 and "rmsprop-accumulates-lr" in training.bugs \
            and training.optimizer.name == "rmsprop":
        bugs = tuple(b for b in training.bugs if b != "rmsprop-accumulates-lr")
        return Fix.build("Fix RMSprop's learning rate (remove the bug)",
                         [("training.bugs", bugs)], network, training, data)
    lr = nice_number(training.optimizer.lr * factor)
    safe = SAFE_LR["adaptive" if training.optimizer.name in ADAPTIVE_RULES else "sgd"]
    if factor > 1 and lr > safe:  # raising: not beyond a rate that trains on its own
        lr = max(nice_number(training.optimizer.lr * 10), safe)
    verb = "Lower" if factor < 1 else "Raise"
    return Fix.build(f"{verb} the learning rate to {lr:g}", [("training.optimizer.lr", lr)],
                     network, training, data)


def remove_bugs_fix(specs: Specs) -> Fix | None:
    """Switch the lesson's deliberate bugs off."""
    network, training, data = specs
    if not training.bugs:
        return None
    return Fix.build("Use the correct gradient (remove the bug)",
                     [("training.bugs", ())], network, training, data)


def capacity_fix(specs: Specs) -> Fix:
    """At least two hidden layers of at least 16 units (keeping the existing ones' ids)."""
    network, training, data = specs
    dense = _dense(network, hidden_only=True)
    activation = dense[0].activation if dense else "tanh"
    layers = [dataclasses.replace(layer, units=CAPACITY_WIDTH)
              if isinstance(layer, DenseSpec) and (layer.units or 0) < CAPACITY_WIDTH else layer
              for layer in network.hidden]
    for _ in range(CAPACITY_DEPTH - len(dense)):
        layers.append(DenseSpec(new_layer_id([*layers, network.output], "dense"),
                                CAPACITY_WIDTH, activation, init=good_init(activation)))
    new = NetworkSpec((*layers, network.output))
    return Fix.build(f"Use {CAPACITY_DEPTH} hidden layers of {CAPACITY_WIDTH} {activation} "
                     "units", [("network", new)], network, training, data)


def overfitting_fix(specs: Specs) -> Fix:
    """Early stopping (restoring the best weights), or an L2 penalty if it is already on."""
    network, training, data = specs
    if training.early_stopping == 0:
        return Fix.build(f"Stop early when validation stops improving ({OVERFIT_PATIENCE} "
                         "epochs)",
                         [("training.early_stopping", OVERFIT_PATIENCE),
                          ("training.restore_best", True)], network, training, data)
    changes = [(f"network.{layer.id}.l2", OVERFIT_L2) for layer in _dense(network)
               if layer.l2 < OVERFIT_L2]
    return Fix.build(f"Penalise large weights (L2 = {OVERFIT_L2:g})", changes, network,
                     training, data)


def nonlinearity_fix(specs: Specs) -> Fix:
    """tanh (with Glorot initialisation) in every linear hidden layer."""
    network, training, data = specs
    changes: list[Change] = []
    for layer in _dense(network, hidden_only=True):
        changes.append((f"network.{layer.id}.activation", "tanh"))
        if layer.init != "glorot_uniform" or layer.init_scale is not None:
            changes += [(f"network.{layer.id}.init", "glorot_uniform"),
                        (f"network.{layer.id}.init_scale", None)]
    return Fix.build("Use tanh in the hidden layers", changes, network, training, data)


HEAVY_DROPOUT_FIX = 0.2
PENALTY_FIX = 1e-4


def regularization_fix(specs: Specs) -> Fix | None:
    """Dropout 0.2 and L1/L2 penalties of 1e-4 where they were larger."""
    from nncore.doctor.thresholds import HEAVY_DROPOUT, HEAVY_PENALTY
    from nncore.spec import DropoutSpec

    network, training, data = specs
    changes: list[Change] = []
    parts = []
    for layer in network.layers:
        if isinstance(layer, DropoutSpec) and layer.rate >= HEAVY_DROPOUT:
            changes.append((f"network.{layer.id}.rate", HEAVY_DROPOUT_FIX))
            parts.append(f"dropout {HEAVY_DROPOUT_FIX:g}")
        if isinstance(layer, DenseSpec):
            for name in ("l1", "l2"):
                if getattr(layer, name) >= HEAVY_PENALTY:
                    changes.append((f"network.{layer.id}.{name}", PENALTY_FIX))
                    parts.append(f"{name.upper()} {PENALTY_FIX:g}")
    if not changes:
        return None
    what = " and ".join(dict.fromkeys(parts))
    return Fix.build(f"Regularise less ({what})", changes, network, training, data)


def standardize_target_fix(specs: Specs) -> Fix | None:
    """Standardise the regression target (the engine converts predictions back)."""
    network, training, data = specs
    if data is None:
        return None
    return Fix.build("Standardise the target (metrics stay in its units)",
                     [("data.standardize_target", True)], network, training, data)


def good_init_fix(specs: Specs, tanh_for_sigmoid: bool = False) -> Fix | None:
    """He or Glorot initialisation (by activation) in every Dense layer that has another;
    with ``tanh_for_sigmoid`` also tanh for hidden sigmoids (deep sigmoid stacks shrink the
    gradient by 4 per layer whatever the initialisation), and the text says so."""
    network, training, data = specs
    changes: list[Change] = []
    hidden = {layer.id for layer in _dense(network, hidden_only=True)}
    tanh = False
    for layer in _dense(network):
        activation = layer.activation
        if tanh_for_sigmoid and layer.id in hidden and activation == "sigmoid":
            changes.append((f"network.{layer.id}.activation", "tanh"))
            activation, tanh = "tanh", True
        if layer.init != good_init(activation) or layer.init_scale is not None:
            changes += [(f"network.{layer.id}.init", good_init(activation)),
                        (f"network.{layer.id}.init_scale", None)]
    if not changes:
        return None
    text = "Use tanh with Glorot initial weights in hidden layers" if tanh else \
        "Use He/Glorot initial weights"
    return Fix.build(text, changes, network, training, data)


def schedule_fix(specs: Specs) -> Fix:
    """A constant learning rate (the schedule had decayed it to about 0)."""
    from nncore.spec import ScheduleSpec

    network, training, data = specs
    return Fix.build("Keep the learning rate constant (no schedule)",
                     [("training.schedule", ScheduleSpec())], network, training, data)


def clipping_fix(specs: Specs) -> Fix:
    """No gradient clipping (the threshold was throttling every step)."""
    network, training, data = specs
    return Fix.build("Stop clipping the gradient", [("training.optimizer.clip_norm", None)],
                     network, training, data)


MINI_BATCH = 32


def batch_fix(specs: Specs) -> Fix:
    """Mini-batches of 32 samples (the learning rate suits a mini-batch)."""
    network, training, data = specs
    return Fix.build(f"Use mini-batches of {MINI_BATCH}",
                     [("training.batch_size", MINI_BATCH)], network, training, data)


def adam_fix(specs: Specs) -> Fix | None:
    """Adam at 0.01 instead of a plain SGD rule (it adapts per weight)."""
    network, training, data = specs
    if training.optimizer.name not in ("sgd", "momentum", "nesterov", "adagrad"):
        return None
    from nncore.spec import OptimizerSpec

    return Fix.build("Use Adam (learning rate 0.01)",
                     [("training.optimizer", OptimizerSpec("adam", 0.01,
                       clip_norm=training.optimizer.clip_norm))], network, training, data)


def linear_fit_fix(specs: Specs, task: str, inputs_raw: bool) -> Fix | None:
    """Standardised inputs (and target) when they are raw: small raw numbers keep tanh in
    its linear middle; else ReLU (He init) in the hidden layers; with none, add two."""
    network, training, data = specs
    hidden = _dense(network, hidden_only=True)
    if not hidden:
        return capacity_fix(specs)
    changes: list[Change] = []
    if data is not None and inputs_raw:
        changes.append(("data.normalize", "standard"))
        if task == "regression" and not data.standardize_target:
            changes.append(("data.standardize_target", True))
        what = "inputs and the target" if len(changes) == 2 else "inputs"
        return Fix.build(f"Standardise the {what}", changes, network, training, data)
    for layer in hidden:
        changes += [(f"network.{layer.id}.activation", "relu"),
                    (f"network.{layer.id}.init", "he_normal"),
                    (f"network.{layer.id}.init_scale", None)]
    return Fix.build("Use ReLU (He init) in the hidden layers", changes, network, training,
                     data)
