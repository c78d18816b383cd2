"""The 2-D classification generators: shapes, balance, seeds and exact geometry."""

from __future__ import annotations

import numpy as np
import pytest

from nncore.data import load_builtin
from nncore.data import synthetic as syn

from .samples import assert_valid_dataset

CLASSIFICATION_2D = {"spirals": 2, "xor": 2, "circles": 2, "moons": 2, "blobs": 3,
                     "checkerboard": 2, "multi-spiral": 3}


@pytest.mark.parametrize(("name", "k"), CLASSIFICATION_2D.items())
def test_shapes_and_classes_are_balanced(name: str, k: int) -> None:
    data = load_builtin(name, {"n": 1001, "noise": 0.2})
    assert_valid_dataset(data)
    assert data.x.shape == (1001, 2) and data.info.n_classes == k
    counts = np.bincount(data.y, minlength=k)
    assert counts.sum() == 1001 and counts.max() - counts.min() <= 1
    assert data.info.recommended_normalize == "none"
    (lo1, hi1), (lo2, hi2) = data.info.domain
    assert lo1 <= data.x[:, 0].min() and data.x[:, 0].max() <= hi1
    assert lo2 <= data.x[:, 1].min() and data.x[:, 1].max() <= hi2


@pytest.mark.parametrize("name", CLASSIFICATION_2D)
def test_same_seed_gives_identical_data_and_another_seed_differs(name: str) -> None:
    first = load_builtin(name, {"noise": 0.1}, seed=7)
    again = load_builtin(name, {"noise": 0.1}, seed=7)
    other = load_builtin(name, {"noise": 0.1}, seed=8)
    np.testing.assert_array_equal(first.x, again.x)
    np.testing.assert_array_equal(first.y, again.y)
    assert not np.array_equal(first.x, other.x)


def test_samples_are_shuffled_not_grouped_by_class() -> None:
    y = load_builtin("spirals").y
    assert np.count_nonzero(np.diff(y)) > len(y) // 4


@pytest.mark.parametrize(("k", "turns"), [(2, 1.75), (2, 3.0), (4, 0.5), (3, 1.0)])
def test_spiral_points_lie_on_their_arms(k: int, turns: float) -> None:
    name, options = ("spirals", {"turns": turns}) if k == 2 else \
        ("multi-spiral", {"k": k, "turns": turns})
    data = load_builtin(name, {**options, "n": 600})
    x = data.x.astype(np.float64)
    radius = np.hypot(x[:, 0], x[:, 1])
    s = (radius / syn.SPIRAL_RADIUS - syn.SPIRAL_START) / (1 - syn.SPIRAL_START)
    assert s.min() > -1e-5 and s.max() < 1 + 1e-5
    expected = 2 * np.pi * (turns * s + data.y / k)
    angle_error = np.angle(np.exp(1j * (np.arctan2(x[:, 1], x[:, 0]) - expected)))
    np.testing.assert_allclose(angle_error, 0, atol=1e-4)
    # each arm runs from the inner to the outer radius
    for arm in range(k):
        r = radius[data.y == arm]
        assert r.min() == pytest.approx(syn.SPIRAL_RADIUS * syn.SPIRAL_START, rel=1e-5)
        assert r.max() == pytest.approx(syn.SPIRAL_RADIUS, rel=1e-5)


def test_circles_radii_are_separated() -> None:
    data = load_builtin("circles", {"n": 2000})
    radius = np.hypot(data.x[:, 0], data.x[:, 1])
    inner, outer = radius[data.y == 0], radius[data.y == 1]
    assert inner.max() <= syn.CIRCLE_INNER + 1e-5
    assert outer.min() >= syn.CIRCLE_RING[0] - 1e-5 and outer.max() <= syn.CIRCLE_RING[1] + 1e-5


def test_xor_labels_follow_the_quadrants() -> None:
    data = load_builtin("xor", {"n": 2000})
    opposite = np.sign(data.x[:, 0]) != np.sign(data.x[:, 1])
    np.testing.assert_array_equal(data.y, opposite.astype(np.int64))
    assert np.abs(data.x).min() >= syn.XOR_GAP - 1e-6
    quadrant = (data.x[:, 0] > 0) * 2 + (data.x[:, 1] > 0)
    assert np.bincount(quadrant).tolist() == [500] * 4


@pytest.mark.parametrize("cells", [2, 3, 4, 7])
def test_checkerboard_class_is_the_square_parity(cells: int) -> None:
    data = load_builtin("checkerboard", {"n": 3000, "cells": cells})
    side = 2 * syn.BOARD_HALF / cells
    position = (data.x.astype(np.float64) + syn.BOARD_HALF) / side
    inside = np.all(np.abs(position - np.round(position)) > 1e-4, axis=1)  # skip edges
    parity = (np.floor(position[:, 0]) + np.floor(position[:, 1])) % 2
    np.testing.assert_array_equal(data.y[inside], parity[inside])
    assert np.abs(data.x).max() <= syn.BOARD_HALF + 1e-5


def test_moons_lie_on_two_shifted_half_circles() -> None:
    data = load_builtin("moons", {"n": 1000})
    x = data.x.astype(np.float64)
    shift = syn.MOONS_SCALE * np.array(syn.MOONS_SHIFT)
    upper = x[data.y == 0] + shift
    lower = x[data.y == 1] + shift - syn.MOONS_SCALE * np.array([1.0, 0.5])
    np.testing.assert_allclose(np.hypot(*upper.T), syn.MOONS_SCALE, rtol=1e-5)
    np.testing.assert_allclose(np.hypot(*lower.T), syn.MOONS_SCALE, rtol=1e-5)
    assert upper[:, 1].min() >= -1e-5 and lower[:, 1].max() <= 1e-5


@pytest.mark.parametrize("k", [2, 3, 5])
def test_blobs_gather_around_their_centres(k: int) -> None:
    data = load_builtin("blobs", {"n": 4000, "k": k, "noise": 0.5})
    centres = syn.blob_centers(k)
    for label in range(k):
        points = data.x[data.y == label]
        np.testing.assert_allclose(points.mean(axis=0), centres[label], atol=0.06)
        np.testing.assert_allclose(points.std(axis=0), 0.5, rtol=0.1)
    assert data.info.task == ("binary" if k == 2 else "multiclass")


def test_class_counts_share_samples_evenly() -> None:
    assert syn.class_counts(10, 3).tolist() == [4, 3, 3]
    assert syn.class_counts(9, 3).tolist() == [3, 3, 3]


def test_domain_grows_to_hold_very_noisy_points() -> None:
    data = load_builtin("spirals", {"noise": 3.0})
    (lo, hi), _ = data.info.domain
    assert lo <= data.x.min() and data.x.max() <= hi and hi > syn.PLANE
