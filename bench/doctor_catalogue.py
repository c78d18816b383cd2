"""The doctor against the classic catalogues of why networks fail to train.

Broken set-ups reproduce failure modes from Karpathy's "A Recipe for Training Neural
Networks", Slav Ivanov's "37 Reasons why your Neural Network is not working" and the Cross
Validated answer "What should I do when my neural network doesn't learn?"; each names the
finding code(s) the doctor must raise for it. Correct set-ups cover every built-in data set,
several optimizers and schedules, early stopping, dropout and a one-epoch MNIST: the doctor
must raise no warning or problem on any of them.

``python -m bench.doctor_catalogue`` prints the detection rate and the false-alarm count
(``--quick`` skips the cases marked slow). ``tests/nncore/test_doctor_catalogue.py`` runs
the same cases as tests.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from nncore.data import load_dataset, prepare
from nncore.data.dataset import Dataset, DatasetInfo, Splits
from nncore.doctor import Finding, examine_session
from nncore.session import Session
from nncore.spec import (
    DataSpec,
    DenseSpec,
    DropoutSpec,
    NetworkSpec,
    OptimizerSpec,
    ScheduleSpec,
    TrainingSpec,
    mlp_spec,
)

ADAM = OptimizerSpec("adam", 0.01)


@dataclass(frozen=True)
class Case:
    """One set-up: specs, optionally hand-made data, and what the doctor must say.

    ``expect`` lists the acceptable finding codes for a broken set-up (any one of them,
    as a warning or a problem); empty for a correct set-up (no warning at all).
    ``make_data`` builds the raw data for set-ups no built-in data set reproduces.
    """

    name: str
    source: str
    network: NetworkSpec
    training: TrainingSpec
    data: DataSpec
    expect: tuple[str, ...] = ()
    make_data: Callable[[], Dataset] | None = None
    trial_epochs: int | None = None
    slow: bool = False
    fixed_metric: float | None = None
    """After applying the offered fix, the run must reach this training metric (None: the
    fix is only required to make the loss fall)."""
    note: str = field(default="", compare=False)

    @property
    def broken(self) -> bool:
        """True for a set-up with a failure to find."""
        return bool(self.expect)

    def splits(self, data: DataSpec | None = None) -> Splits:
        """The prepared data for ``data`` (default: the case's own DataSpec)."""
        data = data or self.data
        raw = self.make_data() if self.make_data is not None else load_dataset(data)
        return prepare(raw, data)

    def session(self, network: NetworkSpec | None = None, training: TrainingSpec | None = None,
                data: DataSpec | None = None) -> Session:
        """A session of this case (or of the specs given instead of its own)."""
        data = data or self.data
        return Session(network or self.network, training or self.training, data,
                       splits=self.splits(data))

    def with_seed(self, seed: int) -> Case:
        """The same set-up with another training seed (initial weights, batch order) and
        data seed (split, generated samples): how robust is the diagnosis?"""
        return dataclasses.replace(
            self, training=dataclasses.replace(self.training, seed=seed),
            data=dataclasses.replace(self.data, seed=seed))

    def examine(self) -> list[Finding]:
        """Everything ``nncore doctor`` would say about the set-up."""
        return examine_session(self.session(), self.trial_epochs)


def _train(**changes) -> TrainingSpec:
    return TrainingSpec(**{"optimizer": ADAM, **changes})


def _dataset(name: str, task: str, x: np.ndarray, y: np.ndarray, n_classes: int = 0) -> Dataset:
    x = np.asarray(x, dtype=np.float32)
    if task == "regression":
        y = np.asarray(y, dtype=np.float32).reshape(len(x), -1)
    else:
        y = np.asarray(y, dtype=np.int64)
    info = DatasetInfo(name, task, x.shape[1], n_classes, 1,
                       tuple(f"class {i}" for i in range(n_classes)),
                       tuple(f"x{i + 1}" for i in range(x.shape[1])))
    return Dataset(info, x, y)


def _builtin(name: str, **options) -> Dataset:
    return load_dataset(DataSpec(name, options))


def shuffled_moons() -> Dataset:
    """Moons whose labels are permuted: no relation left between inputs and labels."""
    raw = _builtin("moons", n=400)
    y = np.random.default_rng(5).permutation(raw.y)
    return _dataset("shuffled moons", "binary", raw.x, y, 2)


def overlapping_classes() -> Dataset:
    """Two classes drawn from the same Gaussian: the best possible accuracy is chance."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((600, 2))
    return _dataset("identical classes", "binary", x, rng.integers(0, 2, 600), 2)


def zero_inputs() -> Dataset:
    """Circles whose inputs were all lost (zeros, as after a broken loader)."""
    raw = _builtin("circles", n=400)
    return _dataset("zeroed circles", "binary", np.zeros_like(raw.x), raw.y, 2)


def constant_columns() -> Dataset:
    """Moons with a constant column and a copy of the first column."""
    raw = _builtin("moons", n=400)
    x = np.column_stack([raw.x, np.full(len(raw.x), 3.0), raw.x[:, 0]])
    return _dataset("moons with a constant and a duplicated column", "binary", x, raw.y, 2)


def large_target() -> Dataset:
    """y = 3000 x² + 2000 on [-1, 1]: house prices in dollars, say."""
    x = np.linspace(-1, 1, 300)[:, None]
    return _dataset("large target", "regression", x, 3000 * x ** 2 + 2000)


def class_indices_as_numbers() -> Dataset:
    """Iris with its class index (0, 1, 2) as a regression target."""
    raw = _builtin("iris")
    return _dataset("iris as numbers", "regression", raw.x, raw.y.astype(np.float32))


def imbalanced() -> Dataset:
    """95 % of one class; the minority hides in a ring the majority surrounds."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1000, 2)) * 3
    y = (np.hypot(x[:, 0] - 1, x[:, 1] - 1) < 1.0).astype(np.int64)
    return _dataset("imbalanced", "binary", x, y, 2)


def square_01() -> Dataset:
    """y = x² on [0, 1]: the best straight line leaves an MSE of exactly 1/180."""
    x = np.linspace(0, 1, 200)[:, None]
    return _dataset("parabola on [0, 1]", "regression", x, x ** 2)


def _deep(depth: int, units: int, activation: str, init: str = "glorot_uniform",
          init_scale: float | None = None) -> NetworkSpec:
    layers = [DenseSpec(f"dense-{i + 1}", units, activation, init=init, init_scale=init_scale)
              for i in range(depth)]
    return NetworkSpec((*layers, DenseSpec(f"dense-{depth + 1}", None, "auto")))


def broken_cases() -> list[Case]:
    """Set-ups that do not train, each with the cause the doctor must name."""
    moons, spirals, circles = DataSpec("moons"), DataSpec("spirals"), DataSpec("circles")
    tanh16 = mlp_spec([16, 16], "tanh")
    relu16 = mlp_spec([16, 16], "relu", init="he_normal")
    custom = DataSpec("moons", normalize="standard")
    sgd = OptimizerSpec("sgd", 0.1)
    return [
        # -- initialisation and architecture (Ivanov 12, 26; Karpathy "init well")
        Case("zero init", "Ivanov #26", mlp_spec([8, 8], "relu", init="zeros"), _train(),
             moons, ("zero-init-symmetry",)),
        Case("constant init in a tanh net", "CV answer", mlp_spec([8, 8], "tanh",
             init="constant"), _train(), circles, ("zero-init-symmetry",)),
        Case("no hidden layer on the spirals", "CV answer", mlp_spec([]), _train(), spirals,
             ("capacity-too-low", "no-better-than-linear")),
        Case("a one-unit bottleneck", "Ivanov #33", mlp_spec([1], "tanh"), _train(), spirals,
             ("capacity-too-low", "no-better-than-linear")),
        Case("linear hidden layers", "Karpathy: a linear model", mlp_spec([16, 16], "linear"),
             _train(), circles, ("no-nonlinearity",)),
        Case("tanh network fits y = x² with a straight line", "issue 12",
             mlp_spec([64], "tanh"), _train(loss="mse", epochs=500, batch_size=None),
             DataSpec("moons", normalize="none"),
             ("no-better-than-linear",), square_01, trial_epochs=300),
        Case("deep ReLU net exploding from its init scale", "Ivanov #26",
             _deep(8, 32, "relu", "normal", 1.0), _train(optimizer=OptimizerSpec("sgd", 0.01)),
             moons, ("init-scale-too-large",)),
        Case("deep tanh net with tiny init", "CV answer: vanishing gradient",
             _deep(8, 16, "sigmoid", "normal", 0.01), _train(optimizer=OptimizerSpec("sgd",
             0.1)), moons, ("vanishing-gradient", "init-scale-too-small")),
        # -- output layer and loss (Ivanov 21, 22; Karpathy "verify loss @ init")
        Case("softmax on one output unit", "Ivanov #21", NetworkSpec((
             DenseSpec("dense-1", 16, "tanh"), DenseSpec("dense-2", 1, "softmax"))),
             _train(loss="cross_entropy"), moons,
             ("output-activation-mismatch", "loss-output-mismatch")),
        Case("sigmoid output on a regression beyond [0, 1]", "Ivanov #21",
             mlp_spec([16], "tanh", output_activation="sigmoid"), _train(loss="mse"),
             DataSpec("sine"), ("output-activation-mismatch",)),
        Case("relu output on a target going negative", "CV answer",
             mlp_spec([16], "tanh", output_activation="relu"), _train(loss="mse"),
             DataSpec("sine"), ("output-activation-mismatch", "dead-relu")),
        Case("BCE over three classes", "Ivanov #22", mlp_spec([16], "tanh",
             output_activation="sigmoid"), _train(loss="bce"), DataSpec("iris"),
             ("loss-output-mismatch",)),
        Case("cross-entropy on a regression", "Ivanov #22", mlp_spec([16], "tanh"),
             _train(loss="cross_entropy"), DataSpec("sine"),
             ("loss-output-mismatch", "output-activation-mismatch")),
        Case("MSE on sigmoid probabilities", "CV answer", mlp_spec([16], "tanh"),
             _train(loss="mse"), moons, ("loss-output-mismatch",)),
        # -- learning rate and optimisation (Ivanov 35, 36; Karpathy "adam is safe")
        Case("learning rate far too high", "Ivanov #35", tanh16,
             _train(optimizer=OptimizerSpec("sgd", 50.0)), moons, ("learning-rate-too-high",)),
        Case("learning rate far too low", "Ivanov #35", tanh16,
             _train(optimizer=OptimizerSpec("sgd", 1e-6)), moons, ("learning-rate-too-low",)),
        Case("Adam at lr 1", "Karpathy: 3e-4", relu16, _train(optimizer=OptimizerSpec("adam",
             1.0)), spirals, ("learning-rate-too-high", "dead-relu")),
        Case("ReLU net at SGD lr 3", "issue 12: a fix must work where it is offered",
             relu16, _train(optimizer=OptimizerSpec("sgd", 3.0)), moons,
             ("learning-rate-too-high", "dead-relu")),
        Case("schedule decays the lr to zero", "CV answer: schedules", tanh16,
             _train(optimizer=sgd, schedule=ScheduleSpec("step", step_size=2, gamma=0.01),
                    epochs=100), moons, ("schedule-decayed-lr",)),
        Case("clipping throttles every step", "CV answer: clipping", tanh16,
             _train(optimizer=OptimizerSpec("sgd", 0.1, clip_norm=1e-4)), moons,
             ("clipping-throttles",)),
        Case("batch size 1 with a mini-batch lr", "Ivanov #31", relu16,
             _train(optimizer=OptimizerSpec("sgd", 2.0), batch_size=1, epochs=20), moons,
             ("batch-size-too-small",)),
        Case("the deliberate backprop bug", "Karpathy: gradient check", tanh16,
             _train(bugs=("chain-rule-one-layer",)), moons, ("gradient-check-failed",)),
        # -- regularisation (Ivanov 27, 28)
        Case("dropout 0.9", "Ivanov #28", mlp_spec([16, 16], "relu", init="he_normal",
             dropout=0.9), _train(), spirals, ("too-much-regularization",)),
        Case("L2 = 1", "Ivanov #27", mlp_spec([16, 16], "tanh", l2=1.0), _train(), spirals,
             ("too-much-regularization",)),
        Case("L1 = 1", "Ivanov #27", NetworkSpec(tuple(dataclasses.replace(layer, l1=1.0)
             for layer in tanh16.layers)), _train(), circles, ("too-much-regularization",)),
        Case("overfitting a small noisy set", "Karpathy: overfit", mlp_spec([128, 128],
             "relu", init="he_normal"), _train(epochs=300, optimizer=OptimizerSpec("adam",
             0.01)), DataSpec("moons", {"n": 60, "noise": 0.5}, val_split=0.5),
             ("overfitting",), trial_epochs=300),
        # -- data and labels (Ivanov 1-11; Karpathy "become one with the data")
        Case("unnormalised Wine", "Ivanov #8", mlp_spec([16], "sigmoid"), _train(),
             DataSpec("wine", normalize="none"), ("unnormalized-inputs",)),
        Case("unnormalised breast cancer", "Ivanov #8", mlp_spec([16], "tanh"), _train(),
             DataSpec("breast-cancer", normalize="none"), ("unnormalized-inputs",)),
        Case("shuffled labels", "Ivanov #4", mlp_spec([64, 64], "relu", init="he_normal"),
             _train(), custom, ("labels-unlearnable",), shuffled_moons),
        Case("classes that overlap completely", "CV answer", mlp_spec([16], "tanh"), _train(),
             custom, ("labels-unlearnable",), overlapping_classes),
        Case("all-zero inputs", "Ivanov #3", mlp_spec([16], "tanh"), _train(),
             DataSpec("circles", normalize="none"), ("constant-inputs",), zero_inputs),
        Case("a constant and a duplicated column", "Ivanov #6", mlp_spec([16], "tanh"),
             _train(), custom, ("redundant-features",), constant_columns),
        Case("a regression target in the thousands", "CV answer: scale the target",
             mlp_spec([32], "tanh"), _train(loss="mse"), custom, ("target-scale",),
             large_target),
        Case("class indices fitted as numbers", "Ivanov #22", mlp_spec([16], "tanh"),
             _train(loss="mse"), DataSpec("iris", normalize="standard"),
             ("class-labels-as-regression",), class_indices_as_numbers),
        Case("imbalanced classes at the majority share", "Ivanov #11", mlp_spec([8], "tanh"),
             _train(optimizer=OptimizerSpec("sgd", 0.01)), custom, ("imbalanced-classes",),
             imbalanced),
    ]


def correct_cases() -> list[Case]:
    """Set-ups that train as they should: not one warning allowed."""
    from nncore.data import BUILTIN

    tanh16 = mlp_spec([16, 16], "tanh")
    recipes = {
        "spirals": (mlp_spec([32, 32], "tanh"), _train(epochs=300)),
        "checkerboard": (mlp_spec([32, 32], "relu", init="he_normal"), _train(epochs=200)),
        "multi-spiral": (mlp_spec([32, 32], "tanh"), _train(epochs=200)),
        "mnist": (mlp_spec([64], "relu", init="he_normal"), _train(epochs=1,
                                                                     batch_size=64)),
        "digits": (mlp_spec([32], "relu", init="he_normal"), _train(epochs=50)),
        # four rows, one step an epoch: 8 units and 1,000 steps train from any seed
        "and": (mlp_spec([8], "tanh"), _train(epochs=1000, batch_size=4)),
        "or": (mlp_spec([8], "tanh"), _train(epochs=1000, batch_size=4)),
        "xor-gate": (mlp_spec([8], "tanh"), _train(epochs=1000, batch_size=4)),
    }
    # the parabola's raw inputs keep tanh near its linear middle for ~150 epochs (the
    # doctor rightly says "no better than a straight line" meanwhile): standardise them
    data_changes = {"square": {"normalize": "standard"}}
    cases = []
    for name in BUILTIN:
        network, train = recipes.get(name, (tanh16, _train()))
        options = {"n": 20_000} if name == "mnist" else {}
        cases.append(Case(f"{name} (defaults)", "built-in", network, train,
                          DataSpec(name, options, **data_changes.get(name, {})),
                          slow=name == "mnist"))
    moons = DataSpec("moons")
    cases += [
        Case("moons, SGD with momentum", "optimizers", tanh16,
             _train(optimizer=OptimizerSpec("momentum", 0.1)), moons),
        Case("moons, RMSprop", "optimizers", tanh16,
             _train(optimizer=OptimizerSpec("rmsprop", 0.005)), moons),
        Case("circles, AdamW", "optimizers", tanh16,
             _train(optimizer=OptimizerSpec("adamw", 0.01)), DataSpec("circles")),
        Case("spirals, Nesterov", "optimizers", mlp_spec([32, 32], "tanh"),
             _train(optimizer=OptimizerSpec("nesterov", 0.03), epochs=300), DataSpec("spirals")),
        Case("moons, step schedule", "schedules", tanh16,
             _train(schedule=ScheduleSpec("step", step_size=50, gamma=0.5)), moons),
        Case("spirals, cosine schedule", "schedules", mlp_spec([32, 32], "tanh"),
             _train(schedule=ScheduleSpec("cosine"), epochs=300), DataSpec("spirals")),
        Case("moons, early stopping", "early stopping", tanh16,
             _train(early_stopping=10), DataSpec("moons", {"noise": 0.3})),
        Case("circles, dropout 0.2", "dropout", mlp_spec([32, 32], "relu", init="he_normal",
             dropout=0.2), _train(), DataSpec("circles")),
        Case("moons, L2 1e-4", "penalties", mlp_spec([16, 16], "tanh", l2=1e-4), _train(),
             moons),
        Case("noisy moons (noise 1)", "noise caps accuracy", tanh16, _train(),
             DataSpec("moons", {"noise": 1.0})),
        Case("noisy circles (noise 1)", "noise caps accuracy", tanh16, _train(),
             DataSpec("circles", {"noise": 1.0})),
        Case("ten overlapping blobs", "noise caps accuracy", tanh16, _train(),
             DataSpec("blobs", {"k": 10, "noise": 3.0})),
        Case("noisy sine", "noise caps R²", tanh16, _train(loss="mse"),
             DataSpec("sine", {"noise": 0.5})),
        Case("iris, batch 8", "batch size", tanh16, _train(batch_size=8), DataSpec("iris")),
        Case("wine, full batch SGD", "batch size", tanh16,
             _train(optimizer=OptimizerSpec("sgd", 0.5), batch_size=None), DataSpec("wine")),
        Case("moons with dropout layer and ReLU", "dropout", NetworkSpec((
            DenseSpec("dense-1", 32, "relu", init="he_normal"), DropoutSpec("dropout-1", 0.3),
            DenseSpec("dense-2", None, "auto"))), _train(), moons),
    ]
    return cases


def all_cases(quick: bool = False) -> list[Case]:
    """Every broken and correct case (without the slow ones when ``quick``)."""
    return [c for c in [*broken_cases(), *correct_cases()] if not (quick and c.slow)]


def judge(case: Case, findings: list[Finding]) -> tuple[bool, list[str]]:
    """(passed, the open findings' codes): a broken case passes when an expected code is
    open; a correct one when nothing is."""
    codes = [f.code for f in findings if f.is_open]
    if case.broken:
        return bool(set(case.expect) & set(codes)), codes
    return not codes, codes


def run(quick: bool = False, verbose: bool = False, cases: list[Case] | None = None,
        seed: int = 0) -> dict:
    """Examine every case (or ``cases``), with ``seed`` unless 0; the detection rate, the
    false alarms and the misses."""
    detected = broken = alarms = correct = 0
    misses, false_alarms = [], []
    started = time.perf_counter()
    for case in all_cases(quick) if cases is None else cases:
        if seed:
            case = case.with_seed(seed)
        ok, codes = judge(case, case.examine())
        if verbose:
            print(f"{'ok  ' if ok else 'FAIL'} {case.name}: {codes}", file=sys.stderr)
        if case.broken:
            broken += 1
            detected += ok
            if not ok:
                misses.append({"case": case.name, "expected": case.expect, "got": codes})
        else:
            correct += 1
            if not ok:
                alarms += 1
                false_alarms.append({"case": case.name, "got": codes})
    return {"broken": broken, "detected": detected,
            "detection_rate": round(detected / max(broken, 1), 3), "correct": correct,
            "false_alarms": alarms, "misses": misses, "false_alarm_cases": false_alarms,
            "seconds": round(time.perf_counter() - started, 1)}


def main(argv: list[str] | None = None) -> int:
    """Print the catalogue's numbers as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the slow cases")
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per case")
    parser.add_argument("--seed", type=int, default=0,
                        help="training and data seed of every case (robustness check)")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.quick, args.verbose, seed=args.seed), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
