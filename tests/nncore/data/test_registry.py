"""The registry of built-in sets: names, metadata, option schemas and their validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nncore.data import (
    BUILTIN,
    GROUPS,
    canonical_name,
    load_builtin,
    load_dataset,
    validate_options,
)
from nncore.errors import DataError
from nncore.spec import DataSpec

from .samples import assert_valid_dataset

REQUIRED = ("spirals", "xor", "circles", "moons", "blobs", "checkerboard", "multi-spiral",
            "square", "hyperbola", "sine", "abs", "step", "plane", "bump", "and", "or",
            "xor-gate", "mnist", "iris", "wine", "breast-cancer", "digits")
FAST = [name for name in BUILTIN if name != "mnist"]  # MNIST has its own tests


def test_every_required_name_is_built_in() -> None:
    assert set(REQUIRED) <= set(BUILTIN)


@pytest.mark.parametrize("name", list(BUILTIN))
def test_registry_entries_are_complete_for_the_picker(name: str) -> None:
    entry = BUILTIN[name]
    assert entry.name == name and entry.title and entry.description
    assert entry.group in GROUPS and entry.task in ("binary", "multiclass", "regression")
    for option in entry.options:
        assert option.kind in ("int", "float", "bool") and option.help
        assert option.minimum <= option.default <= option.maximum
        assert isinstance(option.default, {"int": int, "float": float, "bool": bool}[option.kind])


@pytest.mark.parametrize("name", FAST)
def test_defaults_load_with_full_metadata(name: str) -> None:
    data = load_dataset(DataSpec(source=name))
    info = data.info
    assert_valid_dataset(data)
    assert info.name == name and info.task == BUILTIN[name].task
    assert info.description and info.source
    assert len(info.class_names) == info.n_classes
    if info.n_features <= 2:
        assert info.domain is not None and len(info.domain) == info.n_features
        assert all(lo < hi for lo, hi in info.domain)
    if BUILTIN[name].group == "classification 2-D":
        assert info.recommended_normalize == "none"


@pytest.mark.parametrize(("options", "message"), [
    ({"n": 0}, "n must be between 10 and 1000000, got 0"),
    ({"n": 2_000_000}, "n must be between"),
    ({"n": 10.5}, "n must be a whole number"),
    ({"n": True}, "n must be a number"),
    ({"noise": -0.1}, "noise must be between 0 and 10"),
    ({"noise": math.nan}, "noise must be a number"),
    ({"turns": "lots"}, "turns must be a number, got 'lots'"),
    ({"colour": 3}, "unknown option 'colour'; valid options: n, noise, turns"),
])
def test_bad_options_are_refused_with_the_reason(options: dict, message: str) -> None:
    with pytest.raises(DataError, match="spirals") as err:
        load_builtin("spirals", options)
    assert message in str(err.value)


def test_options_are_filled_with_defaults_and_converted() -> None:
    assert validate_options("spirals", {"n": 200.0, "turns": "3"}) == \
        {"n": 200, "noise": 0.0, "turns": 3.0}
    with pytest.raises(DataError, match="k must be between 2 and 10"):
        validate_options("blobs", {"k": 1})
    with pytest.raises(DataError, match="no options"):
        validate_options("iris", {"n": 3})


def test_unknown_name_lists_the_built_in_names() -> None:
    with pytest.raises(DataError, match="unknown data set 'spiralz'") as err:
        load_dataset(DataSpec(source="spiralz"))
    assert "spirals" in str(err.value) and "breast-cancer" in str(err.value)


@pytest.mark.parametrize(("alias", "name"), [("Breast_Cancer", "breast-cancer"),
                                             ("spiral-k", "multi-spiral"), ("MNIST", "mnist"),
                                             ("two spirals", "spirals")])
def test_names_are_forgiving(alias: str, name: str) -> None:
    assert canonical_name(alias) == name


def test_data_seed_drives_generation() -> None:
    a = load_dataset(DataSpec(source="moons", options={"noise": 0.2}, seed=1))
    b = load_dataset(DataSpec(source="moons", options={"noise": 0.2}, seed=2))
    assert not np.array_equal(a.x, b.x)
    with pytest.raises(DataError, match="seed must be a whole number >= 0"):
        load_builtin("moons", seed=-1)


def test_spec_mistakes_are_data_errors() -> None:
    with pytest.raises(DataError, match="applies to files only"):
        load_dataset(DataSpec(source="iris", target="species"))
    with pytest.raises(DataError, match="needs a path"):
        load_dataset(DataSpec(source="file"))
