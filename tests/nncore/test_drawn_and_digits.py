"""Drawn data sets and drawn digits (issue 15), against independent computations."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from nncore.cli import main
from nncore.data import drawn, load_dataset, prepare
from nncore.digits import (
    area_weights,
    centre_of_mass,
    class_score_gradient,
    prepare_drawing,
    read_digit,
)
from nncore.errors import DataError
from nncore.session import Session
from nncore.spec import (
    DataSpec,
    OptimizerSpec,
    ScheduleSpec,
    TrainingSpec,
    data_from_dict,
    mlp_spec,
    to_dict,
)

TRAINING = TrainingSpec(optimizer=OptimizerSpec("adam", 0.02), schedule=ScheduleSpec(),
                        epochs=60, batch_size=None, seed=0)


def _two_clusters(n: int = 20) -> DataSpec:
    rng = np.random.default_rng(0)
    left = np.column_stack([rng.normal(-3, 0.5, n), rng.normal(0, 1, n), np.zeros(n)])
    right = np.column_stack([rng.normal(3, 0.5, n), rng.normal(0, 1, n), np.ones(n)])
    return drawn.drawn_spec("classification", 2, np.concatenate([left, right]))


def test_drawn_points_are_the_data_set_and_round_trip_through_json():
    spec = _two_clusters()
    data = load_dataset(spec)
    np.testing.assert_allclose(data.x, np.array(spec.points)[:, :2], atol=1e-6)
    np.testing.assert_array_equal(data.y, np.array(spec.points)[:, 2].astype(int))
    assert data.info.task == "binary" and data.info.domain == drawn.DOMAIN
    assert data_from_dict(to_dict(spec)) == spec
    splits = prepare(data, spec)  # the usual validation split
    assert len(splits.y_val) == round(0.2 * 40)


def test_noise_is_seeded_gaussian_on_the_inputs():
    spec = drawn.with_noise(_two_clusters(200), 0.5)
    clean = np.array(spec.points)[:, :2]
    x = load_dataset(spec).x
    assert np.array_equal(x, load_dataset(spec).x)
    assert np.std(x - clean) == pytest.approx(0.5, rel=0.1)


def test_a_network_learns_the_drawn_clusters():
    session = Session(mlp_spec([8], "tanh"), TRAINING, _two_clusters())
    session.trainer.run()
    p = session.predict_raw(np.array([[-3, 0], [3, 0]], dtype=np.float32))[:, 0]
    assert p[0] < 0.2 and p[1] > 0.8


def test_editing_functions():
    spec = drawn.drawn_spec("classification", 3, [(0, 0, 0), (1, 1, 1), (5, 5, 2)])
    assert drawn.without_points_near(spec, (0.1, 0.1), 0.5).points == ((1, 1, 1), (5, 5, 2))
    assert drawn.with_classes(spec, 2).points == ((0, 0, 0), (1, 1, 1))
    added = drawn.with_points(spec, [(9, -9, 1)])
    assert added.points[-1] == (6.0, -6.0, 1.0)  # clipped to the drawing area
    rng = np.random.default_rng(0)
    brush = drawn.brush_points((1.0, 2.0), 0.5, 500, 1, rng)
    assert np.all(np.hypot(brush[:, 0] - 1, brush[:, 1] - 2) <= 0.5) and np.all(brush[:, 2] == 1)
    line = drawn.stroke_points((0, 0), (3, 4), 1.0)  # a 5-long stroke, a point per unit
    np.testing.assert_allclose(line, [(0.6 * k, 0.8 * k) for k in range(1, 6)])
    curve = drawn.drawn_spec("regression", points=[(-5, 1), (0, 5), (5, 1)])
    redrawn = drawn.with_curve(curve, np.array([(-1, 0), (1, 0)]))
    assert redrawn.points == ((-5, 1), (5, 1), (-1, 0), (1, 0))
    csv = drawn.to_csv(spec).splitlines()
    assert csv == ["x1,x2,class", "0.0000,0.0000,0", "1.0000,1.0000,1", "5.0000,5.0000,2"]


@pytest.mark.parametrize("spec, message", [
    (DataSpec("drawn", {"classes": 7}), "classes must be"),
    (DataSpec("drawn", {"task": "clustering"}), "task must be"),
    (DataSpec("drawn", {"colour": 1}), "unknown option 'colour'"),
    (DataSpec("drawn", {}, points=((0, 0, 5), (1, 1, 0))), "class labels"),
    (DataSpec("drawn", {}, points=((0, 0),)), "3 numbers"),
    (DataSpec("drawn", {}, points=((0, 0, 0),)), "at least 2"),
])
def test_bad_drawings_are_refused_with_a_message(spec, message):
    with pytest.raises(DataError, match=message):
        load_dataset(spec)


def test_presets_take_a_built_in_set_to_edit():
    spec = drawn.preset(DataSpec("xor"), "xor", n=120)
    original = load_dataset(DataSpec("xor", {"n": 120}))
    assert len(spec.points) == 120 and drawn.drawn_options(spec.options)["classes"] == 2
    np.testing.assert_allclose(np.array(spec.points)[:, :2], original.x, atol=1e-4)
    with pytest.raises(DataError, match="only 2-D"):
        drawn.preset(DataSpec(), "iris")


def test_exported_csv_trains_with_the_cli(tmp_path):
    path = tmp_path / "drawn.csv"
    path.write_text(drawn.to_csv(_two_clusters()), encoding="utf-8")
    assert main(["train", "--data", str(path), "--hidden", "4", "--epochs", "3", "-q"]) == 0


def test_a_running_session_trains_on_changed_points_from_the_next_epoch():
    session = Session(mlp_spec([8], "tanh"), TRAINING, _two_clusters())
    for _ in range(3):
        session.trainer.train_step()
    weights = session.network.get_weights()
    more = drawn.with_points(session.data_spec, [(0, 5, 1)] * 10)
    assert session.apply_data(more) == []
    np.testing.assert_array_equal(session.network.get_weights()["dense-1.weight"],
                                  weights["dense-1.weight"])  # the network carries on
    session.trainer.train_step()
    assert session.trainer._x.shape[0] == session.splits.x_train.shape[0] == 40
    assert session.apply_data(drawn.with_classes(more, 3)) == ["data"]  # output width


def test_own_samples_always_train():
    image = np.zeros(64)
    image[3:5] = 1.0
    spec = drawn.with_sample(DataSpec("digits"), image, 7)
    base = prepare(load_dataset(DataSpec("digits")), DataSpec("digits"))
    splits = prepare(load_dataset(spec), spec)
    assert len(splits.y_train) == len(base.y_train) + 1 and splits.y_train[-1] == 7
    np.testing.assert_array_equal(splits.raw_train[-1], image.astype(np.float32))
    assert drawn.live_change(DataSpec("digits"), spec)
    with pytest.raises(DataError, match="labels from 0 to 9"):
        bad = dataclasses.replace(spec, points=((0.0,) * 64 + (12.0,),))
        prepare(load_dataset(bad), bad)


# --------------------------------------------------------------------------- digits


def test_area_weights_average_exactly():
    w = area_weights(3, 2)  # two outputs over three cells: 1.5 cells each
    np.testing.assert_allclose(w, [[2 / 3, 1 / 3, 0], [0, 1 / 3, 2 / 3]])
    image = np.arange(12.0).reshape(4, 3)
    from nncore.digits import resample

    np.testing.assert_allclose(resample(image, (2, 3)), [[1.5, 2.5, 3.5], [7.5, 8.5, 9.5]])


def test_mnist_rule_fits_20_pixels_and_centres_the_mass():
    canvas = np.zeros((300, 300))
    canvas[40:250, 200:240] = 1.0  # a tall bar off to the right
    canvas[40:70, 150:240] = 1.0   # and a flag: the mass is not the box's centre
    image = prepare_drawing(canvas, (28, 28))
    rows = np.flatnonzero(image.max(axis=1) > 0.01)
    assert rows[-1] - rows[0] + 1 == 20  # the longer side is 20 pixels
    com = centre_of_mass(image)
    assert abs(com[0] - 13.5) <= 0.5 and abs(com[1] - 13.5) <= 0.5
    assert image.max() <= 1.0 and image.dtype == np.float32
    assert prepare_drawing(np.zeros((50, 50)), (28, 28)).sum() == 0  # blank stays blank


def test_digits_rule_counts_inked_pixels_of_4x4_blocks():
    canvas = np.zeros((64, 64))
    canvas[:, 24:40] = 1.0  # a centred vertical bar, 1/4 of the width
    image = prepare_drawing(canvas, (8, 8))
    counts = np.round(image * 16).astype(int)
    # fitted to 32 x 32: the bar becomes 8 columns wide (cols 12..19), centred
    bitmap = np.zeros((32, 32), dtype=bool)
    bitmap[:, 12:20] = True
    expected = bitmap.reshape(8, 4, 8, 4).sum(axis=(1, 3))
    np.testing.assert_array_equal(counts, expected)


def test_saliency_is_the_gradient_times_the_input_by_finite_differences():
    session = Session(mlp_spec([12], "tanh"), TRAINING, DataSpec("digits"))
    for _ in range(20):
        session.trainer.train_step()
    net64 = session.float64_twin()
    x = session.splits.x_val[0].astype(np.float64)
    grad = class_score_gradient(net64, x, 3)
    eps = 1e-6
    numeric = np.empty_like(x)
    for i in range(x.size):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        numeric[i] = (net64.forward(up[None])[0, 3] - net64.forward(down[None])[0, 3]) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, atol=1e-7)
    reading = read_digit(net64, session.splits.preprocessing, x.reshape(8, 8))
    np.testing.assert_allclose(reading.probabilities, net64.predict(x[None])[0], atol=1e-12)
    top_grad = class_score_gradient(net64, x, reading.top)
    np.testing.assert_allclose(reading.saliency, (top_grad * x).reshape(8, 8), atol=1e-12)
    assert reading.activations.shape == (12,)
    w = net64.get_weights()
    np.testing.assert_allclose(reading.activations,
                               np.tanh(x @ w["dense-1.weight"] + w["dense-1.bias"]))
