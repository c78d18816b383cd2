"""The built-in data sets by name, their options, and ``load_dataset``.

``BUILTIN`` is what the GUI's data-set picker and the CLI's ``--data`` list: a title, a
task, a group, a one-line description and an options schema per set. Options are checked
against the schema (type and range) before anything is generated.

One seed drives a synthetic set: ``DataSpec.seed`` seeds the generator through the stream
``[seed, 0]`` (``prepare`` splits with the independent stream ``[seed, 1]``), so the same
spec always gives the same samples and the same split.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nncore.data import logic, real, regression, synthetic
from nncore.data.dataset import Dataset
from nncore.data.files import load_file
from nncore.errors import DataError
from nncore.spec import DataSpec

MAX_SAMPLES = 1_000_000
GENERATE_STREAM = 0

GROUPS = ("classification 2-D", "regression", "logic", "real")
"""Groups of the picker, in display order."""


@dataclass(frozen=True)
class OptionInfo:
    """One setting of a built-in data set, with its type, default and allowed range."""

    name: str
    kind: str  # "int" | "float" | "bool"
    default: int | float | bool
    minimum: float | None = None
    maximum: float | None = None
    help: str = ""


@dataclass(frozen=True)
class BuiltinInfo:
    """A built-in data set as the picker shows it; ``make(options, rng)`` builds it."""

    name: str
    title: str
    task: str  # with the default options ("binary" | "multiclass" | "regression")
    group: str
    description: str
    options: tuple[OptionInfo, ...]
    make: Callable[[dict[str, Any], np.random.Generator], Dataset] = field(
        repr=False, compare=False)


def _n(default: int, minimum: int = 10, maximum: int = MAX_SAMPLES) -> OptionInfo:
    return OptionInfo("n", "int", default, minimum, maximum, "number of samples")


def _noise(default: float = 0.0, what: str = "each coordinate") -> OptionInfo:
    return OptionInfo("noise", "float", default, 0.0, 10.0,
                      f"standard deviation of the Gaussian noise added to {what}")


def _turns(default: float) -> OptionInfo:
    return OptionInfo("turns", "float", default, 0.25, 10.0, "turns of each spiral arm")


def _k(default: int, what: str) -> OptionInfo:
    return OptionInfo("k", "int", default, 2, 10, f"number of {what} (classes)")


_CLASSIFY = "classification 2-D"
_TITLES = {"square": "Parabola y = x^2", "hyperbola": "Hyperbola y = 1/x",
           "sine": "Sine y = sin(x)", "abs": "Absolute value y = |x|", "step": "Step",
           "plane": "Plane (2-D)", "bump": "Gaussian bump (2-D)"}

_ENTRIES = [
    BuiltinInfo("spirals", "Two spirals", "binary", _CLASSIFY,
                "Two interleaved spirals: the classic hard benchmark.",
                (_n(1000), _noise(), _turns(1.75)),
                lambda o, rng: synthetic.spirals(o["n"], o["noise"], o["turns"], rng)),
    BuiltinInfo("xor", "XOR (four quadrants)", "binary", _CLASSIFY,
                "Four quadrants; the class is 1 where x1 and x2 have opposite signs.",
                (_n(1000), _noise()), lambda o, rng: synthetic.xor(o["n"], o["noise"], rng)),
    BuiltinInfo("circles", "Circles", "binary", _CLASSIFY, "A disc inside a ring.",
                (_n(1000), _noise()), lambda o, rng: synthetic.circles(o["n"], o["noise"], rng)),
    BuiltinInfo("moons", "Moons", "binary", _CLASSIFY, "Two interleaving half moons.",
                (_n(1000), _noise()), lambda o, rng: synthetic.moons(o["n"], o["noise"], rng)),
    BuiltinInfo("blobs", "Gaussian blobs", "multiclass", _CLASSIFY,
                "k Gaussian clusters; noise is their spread.",
                (_n(1000), _k(3, "blobs"), _noise(1.0, "each blob's points (their spread)")),
                lambda o, rng: synthetic.blobs(o["n"], o["k"], o["noise"], rng)),
    BuiltinInfo("checkerboard", "Checkerboard", "binary", _CLASSIFY,
                "Squares of alternating classes.",
                (_n(1000), OptionInfo("cells", "int", 4, 2, 16, "squares per side"), _noise()),
                lambda o, rng: synthetic.checkerboard(o["n"], o["cells"], o["noise"], rng)),
    BuiltinInfo("multi-spiral", "Multi-class spiral", "multiclass", _CLASSIFY,
                "k interleaved spiral arms, one class each.",
                (_n(1000), _k(3, "arms"), _noise(), _turns(1.0)),
                lambda o, rng: synthetic.multi_spiral(o["n"], o["k"], o["noise"], o["turns"],
                                                      rng)),
    *[BuiltinInfo(name, _TITLES[name], "regression", "regression", description,
                  (_n(201, 2), _noise(what="the target")),
                  lambda o, rng, name=name: regression.curve(name, o["n"], o["noise"], rng))
      for name, (_, _, _, description) in regression.CURVES.items()],
    *[BuiltinInfo(name, _TITLES[name], "regression", "regression", description,
                  (_n(500, 2), _noise(what="the target")),
                  lambda o, rng, name=name: regression.surface(name, o["n"], o["noise"], rng))
      for name, (_, _, _, description) in regression.SURFACES.items()],
    *[BuiltinInfo(name, f"{name.upper().replace('-GATE', '')} gate", "binary", "logic",
                  f"The 4-sample {name.upper().replace('-GATE', '')} truth table.", (),
                  lambda o, rng, name=name: logic.gate(name))
      for name in logic.GATES],
    BuiltinInfo("mnist", "MNIST digits", "multiclass", "real",
                "70,000 handwritten digits, 28x28 pixels (10,000 kept for testing).",
                (_n(real.MNIST_TRAIN, 10, real.MNIST_TRAIN),),
                lambda o, rng: real.load_mnist(o["n"])),
    *[BuiltinInfo(name, title, "binary" if len(real.TABLES[name].class_names) == 2
                  else "multiclass", "real", real.TABLES[name].description, (),
                  lambda o, rng, name=name: real.load_table(name))
      for name, title in (("iris", "Iris flowers"), ("wine", "Wine"),
                          ("breast-cancer", "Breast cancer (Wisconsin)"),
                          ("digits", "Digits 8x8"))],
]

BUILTIN: dict[str, BuiltinInfo] = {entry.name: entry for entry in _ENTRIES}
"""Every built-in data set by name, in picker order."""

ALIASES = {"two-spirals": "spirals", "spiral": "spirals", "spiral-k": "multi-spiral",
           "spirals-k": "multi-spiral", "multispiral": "multi-spiral", "gauss": "blobs",
           "gaussian": "blobs", "circle": "circles", "moon": "moons", "checker": "checkerboard",
           "parabola": "square", "x^2": "square", "sin": "sine",
           "xorgate": "xor-gate", "cancer": "breast-cancer", "handwritten-digits": "digits"}


def canonical_name(name: str) -> str:
    """The ``BUILTIN`` key for ``name`` (any case, ``_`` or space for ``-``, aliases).

    Raises
    ------
    DataError
        For an unknown name, listing the known ones.
    """
    key = str(name).strip().lower().replace("_", "-").replace(" ", "-")
    key = ALIASES.get(key, key)
    if key not in BUILTIN:
        raise DataError(f"unknown data set {name!r}; the built-in sets are "
                        f"{', '.join(BUILTIN)} (or give a path to a .csv, .npz or IDX file)")
    return key


def parse_value(text: str, option: OptionInfo, where: str) -> int | float | bool:
    """A command-line option value converted to the option's kind."""
    text = text.strip()
    if option.kind == "bool":
        words = {"true": True, "yes": True, "on": True, "1": True,
                 "false": False, "no": False, "off": False, "0": False}
        if text.lower() not in words:
            raise DataError(f"{where}: {option.name} must be true or false, got {text!r}")
        return words[text.lower()]
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{where}: {option.name} must be a number, got {text!r} "
                        f"({option.help})") from None
    return int(value) if option.kind == "int" and value.is_integer() else value


def _number(value: float | None) -> str:
    if value is None:
        return "any"
    return str(int(value)) if float(value).is_integer() else str(value)


def _checked(value: Any, option: OptionInfo, where: str) -> int | float | bool:
    if isinstance(value, str):
        value = parse_value(value, option, where)
    if option.kind == "bool":
        if not isinstance(value, bool):
            raise DataError(f"{where}: {option.name} must be true or false, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value):
        raise DataError(f"{where}: {option.name} must be a number, got {value!r} "
                        f"({option.help})")
    if option.kind == "int":
        if not float(value).is_integer():
            raise DataError(f"{where}: {option.name} must be a whole number, got {value!r}")
        value = int(value)
    else:
        value = float(value)
    low, high = option.minimum, option.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        raise DataError(f"{where}: {option.name} must be between {_number(low)} and "
                        f"{_number(high)}, got {value!r} ({option.help})")
    return value


def validate_options(name: str, options: Mapping[str, Any] | None) -> dict[str, Any]:
    """Every option of built-in set ``name``: the given ones checked, defaults for the rest.

    Raises
    ------
    DataError
        For an unknown option (naming the valid ones), a wrong type or a value out of range.
    """
    entry = BUILTIN[canonical_name(name)]
    schema = {option.name: option for option in entry.options}
    options = dict(options or {})
    for key in options:
        if key not in schema:
            valid = ", ".join(schema) if schema else "none (it has no options)"
            raise DataError(f"{entry.name}: unknown option {key!r}; valid options: {valid}")
    return {key: _checked(options.get(key, option.default), option, entry.name)
            for key, option in schema.items()}


def load_builtin(name: str, options: Mapping[str, Any] | None = None,
                 seed: int = 0) -> Dataset:
    """Generate or load built-in set ``name`` with ``options``, seeded by ``seed``."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DataError(f"the data seed must be a whole number >= 0, got {seed!r}")
    entry = BUILTIN[canonical_name(name)]
    values = validate_options(entry.name, options)
    return entry.make(values, np.random.default_rng([int(seed), GENERATE_STREAM]))


def load_dataset(spec: DataSpec) -> Dataset:
    """The raw data set a ``DataSpec`` describes (a built-in set, or a file).

    Parameters
    ----------
    spec : DataSpec
        ``source`` is a ``BUILTIN`` name (with ``options`` and ``seed``) or ``"file"``
        (with ``path``, ``target`` and file ``options``, see ``nncore.data.files``).

    Returns
    -------
    Dataset
        Unprepared: pass it with the spec to ``prepare`` for the splits.
    """
    if spec.source == "drawn":
        from nncore.data.drawn import load_drawn

        return load_drawn(spec)
    if spec.source == "file":
        if not spec.path:
            raise DataError("a file data set needs a path; choose a file")
        return load_file(spec.path, target=spec.target, options=spec.options)
    if spec.target is not None:
        raise DataError(f"a target column ({spec.target!r}) applies to files only; the "
                        f"built-in set {spec.source!r} has its own targets")
    return load_builtin(spec.source, spec.options, spec.seed)
