"""prepare(): seeded stratified splits, features, scaling fitted on train only, storage."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from nncore.data import (
    MIN_SPLIT_SAMPLES,
    Dataset,
    DatasetInfo,
    Preprocessing,
    load_builtin,
    one_hot,
    prepare,
    preprocessing_from_dict,
    preprocessing_to_dict,
    split_indices,
)
from nncore.errors import DataError
from nncore.spec import DataSpec


def _prepare(name: str, options: dict | None = None, **spec) -> tuple[Dataset, object]:
    data_spec = DataSpec(source=name, options=options or {}, **spec)
    data = load_builtin(name, data_spec.options, data_spec.seed)
    return data, prepare(data, data_spec)


def _toy(counts: list[int], d: int = 3, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(len(counts)), counts).astype(np.int64)
    info = DatasetInfo("toy", "multiclass" if len(counts) > 2 else "binary", d, len(counts),
                       class_names=tuple(map(str, range(len(counts)))))
    return Dataset(info, rng.normal(3.0, 2.0, size=(len(y), d)).astype(np.float32), y)


def test_splits_are_stratified_in_the_requested_proportions() -> None:
    data = _toy([500, 300, 120, 80])
    splits = prepare(data, DataSpec(source="toy", val_split=0.2, test_split=0.1))
    assert len(splits.x_train) + len(splits.x_val) + len(splits.x_test) == 1000
    assert (len(splits.x_val), len(splits.x_test)) == (200, 100)
    for label, count in enumerate([500, 300, 120, 80]):
        assert np.sum(splits.y_val == label) == pytest.approx(0.2 * count, abs=1)
        assert np.sum(splits.y_test == label) == pytest.approx(0.1 * count, abs=1)


def test_split_indices_partition_the_rows() -> None:
    y = np.repeat([0, 1, 2], [40, 33, 27])
    train, val, test = split_indices(y, stratify=True, val_split=0.25, test_split=0.15,
                                     rng=np.random.default_rng(0))
    everything = np.concatenate([train, val, test])
    assert sorted(everything.tolist()) == list(range(100))
    assert len(val) == 25 and len(test) == 15


def test_regression_splits_are_sized_by_rounding() -> None:
    _, splits = _prepare("square", val_split=0.3, test_split=0.1)
    assert (len(splits.x_val), len(splits.x_test), len(splits.x_train)) == (60, 20, 121)
    assert splits.y_train.shape == (121, 1) and splits.y_train.dtype == np.float32


def test_same_seed_same_split_other_seed_other_split() -> None:
    a = prepare(_toy([50, 50]), DataSpec(source="toy", seed=4))
    b = prepare(_toy([50, 50]), DataSpec(source="toy", seed=4))
    c = prepare(_toy([50, 50]), DataSpec(source="toy", seed=5))
    np.testing.assert_array_equal(a.raw_val, b.raw_val)
    assert not np.array_equal(a.raw_val, c.raw_val)


def test_every_class_keeps_training_samples_even_when_tiny() -> None:
    splits = prepare(_toy([60, 1, 2, 3]), DataSpec(source="toy", val_split=0.5,
                                                   test_split=0.3))
    assert set(splits.y_train.tolist()) == {0, 1, 2, 3}


@pytest.mark.parametrize("val_split", [0.0, 0.2, 0.5])
def test_logic_gates_are_never_split(val_split: float) -> None:
    data, splits = _prepare("xor-gate", val_split=val_split)
    assert len(data.x) < MIN_SPLIT_SAMPLES
    assert splits.x_train.shape == (4, 2) and splits.x_val.shape == (0, 2)
    assert splits.y_val.shape == (0,) and splits.x_test is None
    assert sorted(map(tuple, splits.x_train.tolist())) == [(0, 0), (0, 1), (1, 0), (1, 1)]


def test_a_fixed_test_set_is_kept_and_test_split_ignored() -> None:
    data = _toy([40, 40])
    x_test = np.ones((7, 3), dtype=np.float32)
    data = dataclasses.replace(data, x_test=x_test, y_test=np.zeros(7, dtype=np.int64))
    splits = prepare(data, DataSpec(source="toy", val_split=0.25, test_split=0.5,
                                    normalize="standard"))
    assert len(splits.x_train) == 60 and len(splits.x_val) == 20
    np.testing.assert_array_equal(splits.x_test, splits.preprocessing.transform(x_test))


def test_standardisation_is_fitted_on_the_training_split_only() -> None:
    data = _toy([100, 100])
    splits = prepare(data, DataSpec(source="toy", normalize="standard", val_split=0.3))
    raw = splits.raw_train.astype(np.float64)
    mean, std = raw.mean(axis=0), raw.std(axis=0)
    np.testing.assert_allclose(splits.preprocessing.offset, mean, rtol=1e-6)
    np.testing.assert_allclose(splits.preprocessing.scale, std, rtol=1e-6)
    np.testing.assert_allclose(splits.x_train, (raw - mean) / std, atol=1e-5)
    np.testing.assert_allclose(splits.x_val, (splits.raw_val - mean) / std, atol=1e-5)
    assert not np.allclose(splits.x_val.mean(axis=0), 0, atol=1e-3)  # not refitted on val


def test_minmax_maps_the_training_split_to_the_unit_interval() -> None:
    splits = prepare(_toy([100, 100]), DataSpec(source="toy", normalize="minmax"))
    np.testing.assert_allclose(splits.x_train.min(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(splits.x_train.max(axis=0), 1, atol=1e-6)


def test_auto_normalisation_follows_the_data_set() -> None:
    assert _prepare("iris")[1].preprocessing.method == "standard"
    spirals = _prepare("spirals")[1]
    assert spirals.preprocessing.method == "none" and spirals.x_train is spirals.raw_train


def test_derived_features_are_exact_and_named() -> None:
    features = ("x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
    _, splits = _prepare("circles", features=features, normalize="none")
    raw = splits.raw_train
    expected = np.column_stack([raw, raw[:, 0] ** 2, raw[:, 1] ** 2, raw[:, 0] * raw[:, 1],
                                np.sin(raw[:, 0]), np.sin(raw[:, 1])])
    np.testing.assert_allclose(splits.x_train, expected, rtol=1e-6)
    assert splits.n_inputs == 7
    assert splits.preprocessing.feature_names == ("x1", "x2", *features)


def test_feature_aliases_and_unknown_features() -> None:
    _, splits = _prepare("xor", features=("x1 * x2", "x1**2"))
    assert splits.preprocessing.features == ("x1*x2", "x1^2")
    with pytest.raises(DataError, match=r"unknown derived feature 'cos'.*x1\^2"):
        _prepare("xor", features=("cos",))
    with pytest.raises(DataError, match="needs 2 input features, but the data has 1"):
        _prepare("square", features=("x2^2",))


def test_the_transform_on_new_data_equals_the_training_transform() -> None:
    _, splits = _prepare("moons", options={"noise": 0.3}, features=("x1*x2", "sin(x2)"),
                         normalize="standard")
    np.testing.assert_array_equal(splits.preprocessing.transform(splits.raw_train),
                                  splits.x_train)
    np.testing.assert_array_equal(splits.preprocessing.transform(splits.raw_val), splits.x_val)


def test_preprocessing_survives_a_json_round_trip() -> None:
    _, splits = _prepare("spirals", features=("x1^2", "sin(x1)"), normalize="standard")
    prep = splits.preprocessing
    text = json.dumps(prep.to_dict())
    again = preprocessing_from_dict(json.loads(text))
    assert again.features == prep.features and again.method == prep.method
    assert again.feature_names == prep.feature_names
    np.testing.assert_array_equal(again.offset, prep.offset)
    np.testing.assert_array_equal(again.transform(splits.raw_val), splits.x_val)
    none = preprocessing_from_dict(json.loads(json.dumps(preprocessing_to_dict(Preprocessing()))))
    assert none.method == "none" and none.offset is None


@pytest.mark.parametrize(("d", "message"), [
    ([1, 2], "must be an object"),
    ({"method": "robust"}, "method must be one of"),
    ({"colour": 1}, "unknown field 'colour'"),
    ({"method": "standard", "offset": [0.0]}, "needs offset and scale lists"),
    ({"method": "standard", "offset": [0.0], "scale": [0.0]}, "scale must hold numbers > 0"),
    ({"method": "minmax", "offset": ["a"], "scale": [1.0]}, "offset must be a non-empty list"),
    ({"method": "none", "offset": [1.0]}, "takes no offset or scale"),
    ({"features": ["cube"]}, "unknown derived feature 'cube'"),
    ({"feature_names": "x1"}, "feature_names must be a list of strings"),
    ({"method": "standard", "offset": [0.0], "scale": [1.0], "feature_names": ["a", "b"]},
     "2 feature names but 1 offsets"),
])
def test_bad_stored_preprocessing_is_refused(d, message) -> None:
    with pytest.raises(DataError, match=message):
        preprocessing_from_dict(d)


def test_transform_checks_the_input_shape() -> None:
    _, splits = _prepare("spirals", normalize="standard")
    with pytest.raises(DataError, match=r"have 3 features but the preprocessing was fitted "
                                        r"on 2 \(x1, x2\)"):
        splits.preprocessing.transform(np.zeros((5, 3)))
    with pytest.raises(DataError, match=r"reshape a single feature with x.reshape\(-1, 1\)"):
        splits.preprocessing.transform(np.zeros(5))


def test_a_constant_feature_does_not_divide_by_zero() -> None:
    data = _toy([30, 30])
    data = dataclasses.replace(data, x=np.column_stack([data.x[:, :2],
                                                        np.full(60, 0.1, np.float32)]))
    for method in ("standard", "minmax"):
        splits = prepare(data, DataSpec(source="toy", normalize=method))
        assert np.isfinite(splits.x_train).all() and splits.preprocessing.scale[2] == 1.0


def test_bad_specs_and_data_are_refused() -> None:
    with pytest.raises(DataError, match=r"val_split: must be in \[0, 1\)"):
        prepare(_toy([5, 5]), DataSpec(source="toy", val_split=1.5))
    bad = dataclasses.replace(_toy([5, 5]), y=np.zeros(3, dtype=np.int64))
    with pytest.raises(DataError, match="one target per input row"):
        prepare(bad, DataSpec(source="toy"))


def test_one_hot() -> None:
    np.testing.assert_array_equal(one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
    assert one_hot(np.array([1]), 2).dtype == np.float32
    with pytest.raises(DataError, match=r"labels must be in 0\.\.1"):
        one_hot(np.array([2]), 2)
