"""``DataSpec.standardize_target``: train on (y - mean) / std, report in the target's units.

Checked against independent computations: the fitted mean and standard deviation are
NumPy's on the training rows; the network's outputs, mapped back by hand, equal
``predict``; R² recomputed from ``predict`` and the raw targets equals the history's; a
project round-trips the scaling; the CLI flag sets it.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np

from nncore.cli import main
from nncore.data import load_dataset, prepare
from nncore.data.preprocessing import preprocessing_from_dict, preprocessing_to_dict
from nncore.project import load_project, save_project
from nncore.session import Session, session_from_project, session_to_project
from nncore.spec import DataSpec, OptimizerSpec, TrainingSpec, mlp_spec

SQUARE = DataSpec("square", normalize="standard", standardize_target=True)


def _large(spec: DataSpec = SQUARE):
    """The parabola's splits with the target scaled to the thousands."""
    raw = load_dataset(spec)
    raw = dataclasses.replace(raw, y=raw.y * 3000 + 2000)
    return prepare(raw, spec)


def test_the_scaling_is_fitted_on_the_training_targets_only():
    splits = _large()
    prep = splits.preprocessing
    y = np.asarray(splits.y_train, dtype=np.float64)
    np.testing.assert_allclose(prep.target_offset, y.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(prep.target_scale, y.std(axis=0), rtol=1e-6)
    assert prepare(load_dataset(SQUARE), dataclasses.replace(
        SQUARE, standardize_target=False)).preprocessing.target_scale is None


def test_training_uses_the_standardised_target_and_predictions_come_back_in_its_units():
    splits = _large()
    train = TrainingSpec(loss="mse", optimizer=OptimizerSpec("adam", 0.01), epochs=150)
    session = Session(mlp_spec([32], "tanh"), train, SQUARE, splits=splits)
    prep = splits.preprocessing
    t = session.data.t_train
    np.testing.assert_allclose(t, (splits.y_train - prep.target_offset) / prep.target_scale,
                               rtol=1e-5, atol=1e-5)
    session.trainer.run()
    raw_out = session.network.forward(splits.x_train)  # what the network itself outputs
    predicted = session.network.predict(splits.x_train)
    np.testing.assert_allclose(predicted, raw_out * prep.target_scale + prep.target_offset,
                               rtol=1e-5)
    y = np.asarray(splits.y_train, dtype=np.float64)
    r2 = 1 - ((y - predicted) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    assert abs(r2 - session.trainer.history.records[-1].train_metric) < 1e-4
    assert r2 > 0.99  # and it trains, where the raw target does not (see the doctor)


def test_without_standardising_the_same_network_does_not_fit_the_large_target():
    spec = dataclasses.replace(SQUARE, standardize_target=False)
    train = TrainingSpec(loss="mse", optimizer=OptimizerSpec("adam", 0.01), epochs=150)
    session = Session(mlp_spec([32], "tanh"), train, spec, splits=_large(spec))
    session.trainer.run()
    assert session.trainer.history.records[-1].train_metric < 0.5


def test_the_scaling_round_trips_through_the_preprocessing_dict_and_a_project(tmp_path):
    splits = _large()
    prep = preprocessing_from_dict(json.loads(json.dumps(preprocessing_to_dict(
        splits.preprocessing))))
    np.testing.assert_array_equal(prep.target_scale, splits.preprocessing.target_scale)
    session = Session(mlp_spec([8], "tanh"), TrainingSpec(loss="mse", epochs=2), SQUARE)
    session.trainer.run()
    path = tmp_path / "p.bplab"
    save_project(session_to_project(session), path)
    project = load_project(path)
    assert project.data.standardize_target is True
    again = session_from_project(project)
    x = session.splits.x_val
    np.testing.assert_allclose(again.network.predict(x), session.network.predict(x), rtol=1e-6)


def test_the_cli_flag_sets_the_field(tmp_path, capsys):
    report = tmp_path / "r.json"
    code = main(["train", "--data", "square", "--hidden", "8", "--loss", "mse", "--epochs",
                 "2", "--standardize-target", "--report", str(report)])
    assert code == 0
    assert json.loads(report.read_text())["data"]["standardize_target"] is True


def test_the_gui_evaluation_network_answers_in_the_target_units_too():
    from nncore.visual import eval_network

    splits = _large()
    train = TrainingSpec(loss="mse", epochs=20)
    session = Session(mlp_spec([8], "tanh"), train, SQUARE, splits=splits)
    session.trainer.run()
    twin = eval_network(session.network_spec, train, splits)
    twin.set_weights(session.network.get_weights())
    x = splits.x_val
    np.testing.assert_allclose(twin.predict(x), session.network.predict(x), rtol=1e-5)
    assert abs(float(twin.predict(x).mean()) - float(np.mean(splits.y_val))) < 1500
