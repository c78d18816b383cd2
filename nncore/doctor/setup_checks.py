"""Static checks of the data and the settings that ``design.py`` does not cover.

Data: inputs that are all constant, constant or duplicated columns, a regression target on
a large scale, class indices fitted as numbers. Settings: hidden layers without a
non-linearity, and dropout or weight penalties strong enough to dominate the objective.
Each returns findings of the ``design`` stage; ``examine_design`` calls ``setup_findings``.
"""

from __future__ import annotations

import numpy as np

from nncore.activations import canonical_activation
from nncore.data.dataset import Splits
from nncore.doctor import fixes
from nncore.doctor.findings import Finding
from nncore.doctor.thresholds import (
    CLASS_INDEX_MAX_VALUES,
    CONSTANT_FEATURE,
    HEAVY_DROPOUT,
    HEAVY_PENALTY,
    TARGET_SCALE,
)
from nncore.spec import ActivationSpec, DenseSpec, DropoutSpec

SAMPLE = 10_000
LINEAR = frozenset({"linear", "identity", "none"})


def setup_findings(specs: fixes.Specs, splits: Splits | None, loss: str) -> list[Finding]:
    """Every finding of this module for the specs (and the data, when prepared)."""
    found = [no_nonlinearity(specs), heavy_regularization(specs)]
    if splits is not None:
        found += [constant_inputs(specs, splits), redundant_features(specs, splits),
                  target_scale(specs, splits, loss), class_indices(specs, splits)]
    return [f for f in found if f is not None]


# --------------------------------------------------------------------------- design


def _is_linear(name: str) -> bool:
    return canonical_activation(name, allow_auto=True, strict=False) in LINEAR


def no_nonlinearity(specs: fixes.Specs) -> Finding | None:
    """``no-nonlinearity``: hidden layers whose activations are all linear."""
    network = specs[0]
    hidden = [layer for layer in network.hidden if isinstance(layer, DenseSpec)]
    if not hidden or any(not _is_linear(layer.activation) for layer in hidden) or any(
            isinstance(layer, ActivationSpec) and not _is_linear(layer.activation)
            for layer in network.hidden):
        return None
    ids = ", ".join(layer.id for layer in hidden)
    return Finding(
        "no-nonlinearity", "warning", "No non-linearity",
        f"the hidden layers ({ids}) are linear: the whole network is one straight line "
        "(a plane) however many layers it has",
        "A layer computes W·x + b and then its activation. Without a non-linear activation, "
        "two layers in a row are W2·(W1·x + b1) + b2 — again just one matrix times x plus a "
        "constant. Stacking them adds weights but no power: the network can only draw "
        "straight boundaries and fit straight lines. A non-linear activation (tanh, ReLU) "
        "between the layers is what lets it bend.", hidden[0].id,
        {"hidden_layers": float(len(hidden))}, fixes.nonlinearity_fix(specs), "design",
        "design")


def heavy_regularization(specs: fixes.Specs) -> Finding | None:
    """``too-much-regularization``: dropout or a weight penalty strong enough to win."""
    network = specs[0]
    dropout = max((layer.rate for layer in network.layers if isinstance(layer, DropoutSpec)),
                  default=0.0)
    penalty = max((max(layer.l1, layer.l2) for layer in network.layers
                   if isinstance(layer, DenseSpec)), default=0.0)
    if dropout < HEAVY_DROPOUT and penalty < HEAVY_PENALTY:
        return None
    what = []
    if dropout >= HEAVY_DROPOUT:
        what.append(f"dropout drops {dropout:.0%} of the units on every step")
    if penalty >= HEAVY_PENALTY:
        what.append(f"an L1/L2 penalty of {penalty:g} per weight outweighs the data")
    return Finding(
        "too-much-regularization", "warning", "Too much regularisation",
        "; ".join(what),
        "Regularisation trades fit for smoothness: a penalty adds λ·Σw² (or λ·Σ|w|) to the "
        "loss, dropout silences random units. In small doses it stops overfitting. Too "
        "much, and the cheapest way to lower the loss is to shrink every weight toward 0 "
        "(or the network only ever sees a tenth of itself): it cannot even fit the "
        "training data. Typical values: dropout 0.1–0.5, L2 1e-4–1e-2.", None,
        {"dropout": dropout, "penalty": penalty}, fixes.regularization_fix(specs), "design",
        "design")


# --------------------------------------------------------------------------- data


def _raw_x(splits: Splits) -> np.ndarray:
    """Up to ``SAMPLE`` raw training rows as they are (float32: no 60 MB copy for MNIST;
    these checks run on every edit)."""
    raw = splits.raw_train if splits.raw_train is not None else splits.x_train
    return np.asarray(raw[:SAMPLE])


def _names(splits: Splits, width: int) -> tuple[str, ...]:
    names = splits.info.feature_names
    return tuple(names) if len(names) == width else tuple(f"x{i + 1}" for i in range(width))


def constant_inputs(specs: fixes.Specs, splits: Splits) -> Finding | None:
    """``constant-inputs``: every input is the same for every sample (often all 0)."""
    x = _raw_x(splits)
    if x.size == 0 or len(x) < 2 or np.any(np.ptp(x, axis=0) > CONSTANT_FEATURE):
        return None
    value = float(np.abs(x).max())
    what = "all 0" if value == 0 else "the same for every sample"
    return Finding(
        "constant-inputs", "problem", "The inputs carry no information",
        f"every input feature is {what}: the network sees the same input for every sample",
        "If every sample looks the same to the network, the best it can do is answer the "
        "same thing for all of them — the average target, or the class frequencies. No "
        "setting of the network can fix that: the data is broken (a loader that returned "
        "zeros, a wrong column, images read as blank). Look at a few raw samples.", None,
        {"largest_abs_value": value, "features": float(x.shape[1])}, None, "data", "design")


def redundant_features(specs: fixes.Specs, splits: Splits) -> Finding | None:
    """``redundant-features``: constant columns or exact copies of another column
    (tables only: an image's blank border pixels are expected)."""
    if splits.info.image_shape is not None:
        return None
    x = _raw_x(splits)
    if x.ndim != 2 or x.shape[1] < 2 or len(x) < 2:
        return None
    names = _names(splits, x.shape[1])
    constant = np.flatnonzero(np.ptp(x, axis=0) <= CONSTANT_FEATURE)
    if len(constant) == x.shape[1]:
        return None  # constant-inputs says it
    _, first, inverse = np.unique(x.T, axis=0, return_index=True, return_inverse=True)
    copies = [i for i in range(x.shape[1]) if first[inverse.reshape(-1)[i]] != i
              and i not in constant]
    if not len(constant) and not copies:
        return None
    parts = []
    if len(constant):
        parts.append("constant: " + ", ".join(names[i] for i in constant))
    if copies:
        parts.append("copies of another column: " + ", ".join(
            f"{names[i]} = {names[first[inverse.reshape(-1)[i]]]}" for i in copies))
    return Finding(
        "redundant-features", "warning", "Useless input columns", "; ".join(parts),
        "A column that never changes tells the network nothing, and a copy of another "
        "column tells it nothing new; both add weights to learn and, unnormalised, can "
        "distort the scale of the others. Such columns usually point to a mistake in how "
        "the table was put together (a join, an ID, a leftover). Leave them out when "
        "importing the data.", None,
        {"constant_columns": [names[i] for i in constant],
         "duplicated_columns": [names[i] for i in copies]}, None, "data", "design")


def target_scale(specs: fixes.Specs, splits: Splits, loss: str) -> Finding | None:
    """``target-scale``: a regression target in the tens or thousands."""
    data = specs[2]
    if splits.info.task != "regression" or loss not in ("mse", "mae", "huber"):
        return None
    if data is not None and getattr(data, "standardize_target", False):
        return None
    y = np.asarray(splits.y_train, dtype=np.float64)
    if y.size == 0:
        return None
    scale = float(np.sqrt(np.mean(y * y)))
    if scale <= TARGET_SCALE:
        return None
    return Finding(
        "target-scale", "warning", "The target is on a large scale",
        f"the targets are about {scale:.3g} in size (mean {y.mean():.3g}, standard deviation "
        f"{y.std():.3g}); the network's outputs start near 0",
        "A network starts by predicting about 0, and its weights are sized for numbers "
        "around 1. To reach targets in the thousands the last layer's weights must grow "
        "huge, the squared error (and its gradient) is in the millions, and hidden tanh or "
        "sigmoid units are driven into their flat tails. Standardising the target (mean 0, "
        "standard deviation 1, fitted on the training set) lets the network work with "
        "numbers near 1; predictions and metrics are converted back to the target's units.",
        specs[0].output.id, {"target_rms": scale, "target_mean": float(y.mean()),
                             "target_std": float(y.std())},
        fixes.standardize_target_fix(specs), "data", "design")


def class_indices(specs: fixes.Specs, splits: Splits) -> Finding | None:
    """``class-labels-as-regression``: a regression target with a few consecutive integer
    values, like class indices."""
    if splits.info.task != "regression":
        return None
    y = np.asarray(splits.y_train, dtype=np.float64)
    if (y.ndim == 2 and y.shape[1] != 1) or y.size < 30:
        return None
    values = np.unique(y)
    if not 3 <= len(values) <= CLASS_INDEX_MAX_VALUES or np.any(values != np.round(values)):
        return None
    if np.any(np.diff(values) != 1) or y.size < 10 * len(values):
        return None
    shown = ", ".join(f"{v:g}" for v in values)
    return Finding(
        "class-labels-as-regression", "warning", "Class labels fitted as numbers",
        f"the target takes only the values {shown}: these look like class indices, fitted "
        "here as a number by regression",
        "Regression treats the target as a quantity: it predicts 1.4 between classes 1 and "
        "2, assumes class 2 lies between 1 and 3 and that confusing 0 with 2 is twice as bad "
        "as 0 with 1. Class indices have no such order. Load the target as a class label "
        "(classification: softmax with cross-entropy) instead.",
        specs[0].output.id, {"distinct_values": float(len(values)),
                             "smallest": float(values[0]), "largest": float(values[-1])},
        None, "data", "design")

