"""Static checks: what is wrong with a design and its data before a single step is taken.

``examine_design`` looks at the specs and the prepared data only (no training), so it is
cheap enough to run on every edit: output activation against the targets, loss against
the task, constant initialisation, and the scale of the input features.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nncore.activations import canonical_activation
from nncore.data.dataset import Splits
from nncore.doctor import fixes
from nncore.doctor.findings import Finding, sort_findings
from nncore.doctor.setup_checks import setup_findings
from nncore.doctor.thresholds import (
    CONSTANT_FEATURE,
    CONSTANT_INITIALIZERS,
    UNNORMALIZED_RATIO,
    UNNORMALIZED_SCALE,
)
from nncore.spec import (
    AUTO,
    DataSpec,
    DenseSpec,
    NetworkSpec,
    TrainingSpec,
    resolve_output,
    validate,
)

OUTPUT_RANGES: dict[str, tuple[float, float]] = {
    "relu": (0.0, math.inf), "softplus": (0.0, math.inf), "sigmoid": (0.0, 1.0),
    "tanh": (-1.0, 1.0), "elu": (-1.0, math.inf), "softmax": (0.0, 1.0)}
"""What each bounded output activation can produce (ELU with its default alpha of 1)."""
FEATURE_SAMPLE = 10_000


def examine_design(network: NetworkSpec, training: TrainingSpec, data: DataSpec | None = None,
                   splits: Splits | None = None) -> list[Finding]:
    """Findings about the design and the data, most urgent first (no training involved).

    Without ``splits`` only the checks that need no data run (constant initialisation).
    A design with spec problems (``nncore.spec.validate``) gets only the checks that can
    still be made; the spec problems themselves are reported by the designer.
    """
    specs = (network, training, data)
    findings = _symmetry(specs)
    problems = validate(network, training)
    if problems:
        return sort_findings(findings + _pairing(specs, problems, splits))
    if splits is None:
        return sort_findings(findings + setup_findings(specs, None, training.loss))
    info = splits.info
    resolved = resolve_output(network, training, info.task, info.n_classes, info.n_targets)
    findings += _output_activation(specs, splits, resolved.output_activation,
                                   resolved.loss, resolved.n_outputs)
    findings += _loss(specs, info.task, resolved.output_activation, resolved.loss)
    unnormalized = unnormalized_inputs(specs, splits)
    if unnormalized is not None:
        findings.append(unnormalized)
    findings += setup_findings(specs, splits, resolved.loss)
    return sort_findings(findings)


# --------------------------------------------------------------------------- initialisation


def _symmetry(specs: fixes.Specs) -> list[Finding]:
    network = specs[0]
    for layer in network.hidden:
        if isinstance(layer, DenseSpec) and layer.init in CONSTANT_INITIALIZERS \
                and (layer.units or 0) > 1:
            return [Finding(
                "zero-init-symmetry", "problem", "All units start identical",
                f"{layer.id} starts with all weights equal ({layer.init}): its {layer.units} "
                "units will compute the same thing forever",
                "When every weight of a layer starts at the same value, every unit of the "
                "layer computes the same output and receives the same gradient, so the "
                "units stay identical copies of each other: the layer behaves like a single "
                "unit however wide it is. With all-zero weights and ReLU or tanh the "
                "signal is even blocked completely and nothing learns. Random initial "
                "weights break this symmetry.",
                layer.id, {"init": layer.init, "units": float(layer.units or 0)},
                fixes.symmetric_init_fix(specs), "weights", "design")]
    return []


# --------------------------------------------------------------------------- output and loss


def _pairing(specs: fixes.Specs, problems: list, splits: Splits | None) -> list[Finding]:
    """``loss-output-mismatch`` for a loss that cannot be computed with the output layer
    (the spec refuses to train it; the doctor says why and offers the fix)."""
    network, training, _ = specs
    out = network.output.id
    pairing = [p for p in problems if p.path == "training.loss" and p.layer_id == out]
    if not pairing or len(pairing) != len(problems):
        return []
    task = splits.info.task if splits is not None else None
    if task is not None:
        fix = fixes.loss_fix(specs, task)
    else:
        fix = fixes.Fix.build("Use the loss and output the task needs (auto)",
                              [("training.loss", AUTO), (f"network.{out}.activation", AUTO)],
                              *specs)
    activation = canonical_activation(network.output.activation, allow_auto=True,
                                      strict=False)
    return [Finding(
        "loss-output-mismatch", "problem", "This loss cannot go with this output",
        f"{training.loss} needs a "
        f"{'softmax' if training.loss == 'cross_entropy' else 'sigmoid'} output, but {out} "
        f"uses {activation}: training is disabled", "Cross-entropy is computed together "
        "with its output activation (softmax for one class out of several, sigmoid for "
        "yes/no), which gives the short, exact gradient p − y. Any other output activation "
        "breaks that pairing, so the network cannot be trained with it. Pick the output "
        "and loss as a pair; 'auto' chooses the pair the task needs.", out,
        {"loss": training.loss, "activation": activation, "task": task or "unknown"}, fix,
        "design", "design")]


def _target_range(splits: Splits) -> tuple[float, float]:
    y = np.asarray(splits.y_train, dtype=np.float64)
    return (float(y.min()), float(y.max())) if y.size else (0.0, 0.0)


def _output_activation(specs: fixes.Specs, splits: Splits, activation: str, loss: str,
                       n_outputs: int) -> list[Finding]:
    network, task = specs[0], splits.info.task
    out = network.output.id
    name = canonical_activation(activation, strict=False)
    fix = fixes.output_activation_fix(specs, task)
    if task == "regression":
        return _regression_output(specs, splits, name, fix)
    if name == "softmax" and n_outputs == 1:
        return [Finding(
            "output-activation-mismatch", "problem", "Softmax on a single output",
            f"{out} applies softmax to one unit: it outputs 1 for every input",
            "Softmax turns a row of scores into probabilities that sum to 1. With a single "
            "output unit the only such probability is 1, whatever the input, so the "
            "network cannot express anything. A yes/no task needs one sigmoid unit (or two "
            "softmax units).", out, {"activation": name, "outputs": float(n_outputs)},
            fix, "design", "design")]
    if task == "multiclass" and name == "sigmoid" and loss != "bce":
        return [Finding(
            "output-activation-mismatch", "warning", "Sigmoid outputs for exclusive classes",
            f"{out} uses independent sigmoids for {splits.info.n_classes} classes that "
            "exclude each other", "Each sigmoid unit answers its own yes/no question, so "
            "the outputs do not compete and need not sum to 1: the network can say 'yes' to "
            "two classes or to none. For one class out of several, softmax makes the "
            "outputs a probability distribution.", out,
            {"activation": name, "classes": float(splits.info.n_classes)}, fix, "design",
            "design")]
    return []


def _regression_output(specs: fixes.Specs, splits: Splits, name: str, fix) -> list[Finding]:
    out = specs[0].output.id
    low, high = OUTPUT_RANGES.get(name, (-math.inf, math.inf))
    y_min, y_max = _target_range(splits)
    evidence: dict[str, Any] = {"activation": name, "target_min": y_min, "target_max": y_max,
                                "output_min": low, "output_max": high}
    if y_min < low or y_max > high:
        return [Finding(
            "output-activation-mismatch", "problem", "The output cannot reach the targets",
            f"{out} uses {name}, which only produces values in [{low:g}, {high:g}], but the "
            f"targets go from {y_min:.3g} to {y_max:.3g}",
            f"The last activation decides which numbers the network can output at all. "
            f"{name} never leaves [{low:g}, {high:g}], so every target outside that range "
            "is missed however long you train. Regression outputs are usually linear: "
            "any real number is possible.", out, evidence, fix, "design", "design")]
    if name in ("relu", "leaky_relu"):
        return [Finding(
            "output-activation-mismatch", "warning", "ReLU on a regression output",
            f"{out} uses {name}: where its input is negative the output is stuck at 0 "
            "(and gets no gradient)",
            "A ReLU output gives 0 for every input whose pre-activation is negative, and "
            "its slope there is 0, so no gradient flows back to fix it. If that happens for "
            "all samples (which depends on the random start), the output unit is dead and "
            "the network never learns; in part of the input range it flattens the fit. A "
            "linear output has none of these problems.", out, evidence, fix, "design",
            "design")]
    if name in ("sigmoid", "tanh"):
        return [Finding(
            "output-activation-mismatch", "info", f"{name} on a regression output",
            f"{out} uses {name}: fine while the targets stay inside ({low:g}, {high:g}), "
            "but values near the limits are hard to reach",
            f"{name} flattens near its limits, so targets close to {low:g} or {high:g} need "
            "huge pre-activations and learn slowly. A linear output avoids this.", out,
            evidence, fix, "design", "design")]
    return []


def _loss(specs: fixes.Specs, task: str, activation: str, loss: str) -> list[Finding]:
    out = specs[0].output.id
    fix = fixes.loss_fix(specs, task)
    evidence = {"loss": loss, "activation": activation, "task": task}

    def finding(severity: str, title: str, message: str, explanation: str) -> list[Finding]:
        return [Finding("loss-output-mismatch", severity, title, message, explanation, out,
                        evidence, fix, "design", "design")]

    if task == "regression" and loss in ("bce", "cross_entropy"):
        return finding("problem", "A classification loss on numbers",
                       f"{loss} compares probabilities with class labels, but the targets "
                       "are real numbers", "Cross-entropy measures how much probability the "
                       "network gives to the right class. Regression targets are not classes, "
                       "so the loss is meaningless there. Use mean squared error.")
    if task == "multiclass" and loss == "bce":
        return finding("problem", "Binary cross-entropy over several classes",
                       "binary cross-entropy treats each of the one-hot columns as its own "
                       "yes/no question", "With one class out of several, the outputs should "
                       "compete: softmax with cross-entropy makes them a probability "
                       "distribution and rewards probability on the right class only. "
                       "Independent binary losses let the network say 'no' to every class, "
                       "which is right for most columns.")
    if task != "regression" and loss in ("mse", "mae", "huber"):
        if activation in ("softmax", "sigmoid"):
            return finding("warning", f"{loss.upper()} after {activation}",
                           f"a squared-error loss on {activation} probabilities learns "
                           "slowly when the network is confidently wrong",
                           f"The gradient of {loss} through {activation} carries the "
                           "factor p(1 − p), which is almost 0 when p is near 0 or 1, also "
                           "when the answer is wrong. Cross-entropy cancels that factor "
                           "(its gradient is simply p − y), so mistakes are corrected fast.")
        return finding("warning", "A regression loss on class labels",
                       f"{loss} treats class labels as numbers to fit",
                       "Classes are not numbers: fitting 0/1 labels with a squared error "
                       "makes the network pay for being 'too right' and gives no "
                       "probabilities. Cross-entropy with a softmax (or sigmoid) output is "
                       "the loss made for classification.")
    return []


# --------------------------------------------------------------------------- data


def unnormalized_inputs(specs: fixes.Specs, splits: Splits) -> Finding | None:
    """``unnormalized-inputs`` when features are large or of very different scales."""
    x = np.asarray(splits.x_train[:FEATURE_SAMPLE], dtype=np.float64)
    if x.size == 0:
        return None
    rms = np.sqrt(np.mean(x * x, axis=0))
    names = splits.preprocessing.feature_names or splits.info.feature_names
    names = tuple(names) if len(names) == x.shape[1] else tuple(f"x{i + 1}" for i in
                                                                 range(x.shape[1]))
    varying = np.flatnonzero(x.std(axis=0) > CONSTANT_FEATURE)
    big = int(np.argmax(rms))
    evidence: dict[str, Any] = {"largest_feature": names[big], "largest_scale": float(rms[big])}
    ratio = 1.0
    if splits.info.image_shape is None and varying.size >= 2:
        small = int(varying[np.argmin(rms[varying])])
        ratio = float(rms[big] / max(rms[small], 1e-300))
        evidence.update(smallest_feature=names[small], smallest_scale=float(rms[small]),
                        ratio=ratio)
    if rms[big] <= UNNORMALIZED_SCALE and ratio <= UNNORMALIZED_RATIO:
        return None
    if rms[big] > UNNORMALIZED_SCALE:
        message = (f"input '{names[big]}' is about {rms[big]:.3g} in size (the network "
                   f"works best with inputs around 1)")
    else:
        message = f"input scales differ {ratio:.3g}-fold"
    if "ratio" in evidence and ratio > UNNORMALIZED_RATIO and rms[big] > UNNORMALIZED_SCALE:
        message += f"; scales differ {ratio:.3g}-fold"
    return Finding(
        "unnormalized-inputs", "warning", "Inputs are not normalised", message,
        "Each unit adds up weight × input. Inputs in the hundreds push tanh and sigmoid units "
        "into their flat tails at once (their gradient is then about 0), and when one input "
        "is a thousand times larger than another, a learning rate small enough for the "
        "large one is far too small for the small one. Standardising every feature to mean 0 "
        "and standard deviation 1 (fitted on the training set) puts them on an equal footing.",
        None, evidence, fixes.normalize_fix(specs), "data", "design")
