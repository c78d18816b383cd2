"""Snapshots for rewinding (issue 15): thinning, files, branching, animations, the CLI."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from nncore.cli import main
from nncore.errors import ProjectFileError
from nncore.project import load_project, save_project
from nncore.rewind import KeptSnapshot, SnapshotKeeper, branch_project
from nncore.runner import Runner
from nncore.session import Session, session_from_project, session_to_project
from nncore.spec import DataSpec, OptimizerSpec, ScheduleSpec, TrainingSpec, mlp_spec


def _snapshot(epoch: int, nbytes: int = 8) -> KeptSnapshot:
    return KeptSnapshot(epoch, epoch * 10, 1.0 / (epoch + 1), np.nan, 0.5, np.nan,
                        {"w": np.full(nbytes // 8, epoch, dtype=np.float64)})


def _session(epochs: int = 30, n: int = 200) -> Session:
    return Session(mlp_spec([8], "tanh"),
                   TrainingSpec(optimizer=OptimizerSpec("adam", 0.02), schedule=ScheduleSpec(),
                                epochs=epochs, batch_size=None, seed=1),
                   DataSpec("spirals", {"n": n}))


@pytest.mark.parametrize("epochs", [1, 7, 199, 200, 201, 1000, 5003])
def test_thinning_keeps_an_even_grid_the_first_and_the_latest_within_the_limit(epochs):
    keeper = SnapshotKeeper()
    for epoch in range(epochs + 1):
        keeper.add(_snapshot(epoch))
    kept = keeper.epochs
    assert len(kept) <= 200
    assert kept[0] == 0 and kept[-1] == epochs
    grid = [e for e in range(epochs + 1) if e % keeper.every == 0]
    assert list(kept[:-1]) == [e for e in grid if e != epochs]  # every grid epoch, no more
    assert len(kept) > 100 or epochs < 200  # thinned no more than needed (halving)


def test_the_megabyte_cap_limits_big_networks():
    keeper = SnapshotKeeper(max_mb=1.0)
    for epoch in range(100):
        keeper.add(_snapshot(epoch, nbytes=100_000))  # 0.1 MB each: at most 10 kept
    assert len(keeper) <= 10 and keeper.nbytes <= 1024 ** 2
    assert keeper.epochs[0] == 0 and keeper.epochs[-1] == 99


def test_training_keeps_the_weights_of_each_epoch_exactly():
    session = _session(epochs=5)
    start = session.network.get_weights()
    seen = {0: start}
    while not session.trainer.finished:
        if session.trainer.train_step():
            seen[session.trainer.epoch] = session.network.get_weights()
    keeper = session.trainer.keeper
    assert keeper.epochs == (0, 1, 2, 3, 4, 5)
    for snapshot in keeper.kept:
        for name, value in seen[snapshot.epoch].items():
            np.testing.assert_array_equal(snapshot.weights[name], value)
    record = session.trainer.history.records[2]
    assert keeper.get(3).train_loss == record.train_loss and keeper.get(3).step == record.step
    assert np.isnan(keeper.get(0).train_loss)


def test_snapshots_round_trip_through_a_project_file(tmp_path):
    session = _session(epochs=12)
    session.trainer.run()
    path = save_project(session_to_project(session), tmp_path / "p.bplab")
    loaded = load_project(path)
    assert loaded.snapshots.epochs == session.trainer.keeper.epochs
    assert loaded.snapshots.settings() == session.trainer.keeper.settings()
    for a, b in zip(loaded.snapshots.kept, session.trainer.keeper.kept):
        assert a.weights.keys() == b.weights.keys()
        for name in a.weights:
            np.testing.assert_array_equal(a.weights[name], b.weights[name])
    resumed = session_from_project(loaded)
    resumed.trainer.resume(3)
    resumed.trainer.run()
    assert resumed.trainer.keeper.epochs[-1] == 15
    assert resumed.trainer.keeper.epochs[:13] == tuple(range(13))


def test_a_project_without_snapshots_still_loads_and_saves_none(tmp_path):
    session = _session(epochs=2)
    session.trainer.run()
    project = dataclasses.replace(session_to_project(session), snapshots=None)
    loaded = load_project(save_project(project, tmp_path / "old.bplab"))
    assert loaded.snapshots is None
    assert len(session_from_project(loaded).trainer.keeper) == 0


def test_damaged_snapshots_are_refused_with_a_message(tmp_path):
    session = _session(epochs=3)
    session.trainer.run()
    project = session_to_project(session)
    arrays = project.snapshots.to_arrays()
    arrays["epoch"] = arrays["epoch"][::-1]
    bad = SnapshotKeeper()
    with pytest.raises(ValueError, match="increase"):
        SnapshotKeeper.from_arrays({}, arrays)
    with pytest.raises(ValueError, match="every"):
        SnapshotKeeper.from_arrays({"every": 0}, {})
    # a snapshot of another design is refused when the project is opened
    other = dataclasses.replace(project, snapshots=bad)
    bad.kept = [dataclasses.replace(project.snapshots.kept[0], weights={"x": np.zeros(3)})]
    with pytest.raises(ProjectFileError, match="does not fit"):
        session_from_project(other)


def test_branching_continues_from_the_snapshot_with_the_history_up_to_it():
    session = _session(epochs=10)
    session.trainer.run()
    project = session_to_project(session)
    branched = branch_project(project, 4)
    assert [r.epoch for r in branched.history.records] == [1, 2, 3, 4]
    assert branched.snapshots.epochs == (0, 1, 2, 3, 4)
    assert branched.optimizer_state is None
    resumed = session_from_project(branched)
    assert resumed.trainer.epoch == 4
    for name, value in project.snapshots.get(4).weights.items():
        np.testing.assert_array_equal(resumed.network.get_weights()[name], value)
    # the branch's first epoch starts from epoch 4's weights: its loss is epoch 4's
    record = resumed.trainer.evaluate_epoch()
    assert record.train_loss == pytest.approx(project.history.records[3].train_loss, rel=1e-6)
    with pytest.raises(KeyError, match="no snapshot of epoch 99"):
        branch_project(project, 99)


def test_the_runner_rewinds_every_view_without_touching_the_live_weights():
    runner = Runner(session_to_project(_session(epochs=20)))
    runner.session.trainer.run()
    live = runner.session.network.get_weights()
    [(kind, update)] = runner.handle("rewind", 2)
    assert kind == "rewind" and update.reason == "rewind"
    assert update.snapshot.epoch == 2 and update.kept_epochs[-1] == 20
    early = runner.session.trainer.keeper.get(2).weights
    for name in live:
        np.testing.assert_array_equal(update.weights[name], early[name])
        np.testing.assert_array_equal(runner.session.network.get_weights()[name], live[name])
    # the confusion matrix is the early network's, computed independently here
    twin = _session(epochs=20)
    twin.load_weights(early)
    predicted = twin.network.predict(twin.data.x_val).argmax(axis=1) \
        if twin.network.predict(twin.data.x_val).shape[1] > 1 else \
        (twin.network.predict(twin.data.x_val)[:, 0] >= 0.5).astype(int)
    expected = np.zeros((2, 2), dtype=int)
    np.add.at(expected, (twin.data.labels_val, predicted), 1)
    np.testing.assert_array_equal(update.evaluation.confusion, expected)


# --------------------------------------------------------------------------- animations


def test_nncore_animate_writes_one_differing_frame_per_snapshot(tmp_path, capsys):
    PIL = pytest.importorskip("PIL.Image")
    project = tmp_path / "spirals.bplab"
    assert main(["train", "--data", "spirals:n=200", "--hidden", "8", "--epochs", "25",
                 "--batch", "full", "-q", "-o", str(project)]) == 0
    gif = tmp_path / "spirals.gif"
    assert main(["animate", str(project), "-o", str(gif), "--fps", "5", "--size", "120"]) == 0
    kept = load_project(project).snapshots
    with PIL.open(gif) as image:
        assert image.n_frames == len(kept) == 26
        assert image.size == (120, 120)
        frames = []
        for i in (0, image.n_frames - 1):
            image.seek(i)
            frames.append(np.asarray(image.convert("RGB"), dtype=np.int16))
    # the map changed between the first and the last epoch, away from the caption
    assert np.abs(frames[0][40:] - frames[1][40:]).max() > 50
    assert "26 frames" in capsys.readouterr().out


def test_frames_show_the_decision_of_each_snapshot():
    pytest.importorskip("PIL")
    from nncore.animate import Animator, project_splits

    session = _session(epochs=40)
    session.trainer.run()
    project = session_to_project(session)
    animator = Animator(project, project_splits(project), size=100)  # grid = pixels
    animator.network.set_weights(dict(project.snapshots.kept[-1].weights))
    image = animator._map().astype(np.float64)
    x0, x1, y0, y1 = animator.extent
    rows, cols = np.array([10, 50, 90, 30]), np.array([20, 50, 80, 70])
    points = np.column_stack([x0 + cols / 99 * (x1 - x0), y1 - rows / 99 * (y1 - y0)])
    p = session.predict_raw(points.astype(np.float32))[:, 0]
    # Playground colours at alpha 160/255 over white: orange for 0, white at 0.5, blue for 1
    orange, white, blue = np.array([245, 147, 34.]), np.full(3, 255.), np.array([8, 119, 189.])
    t = p[:, None]
    full = np.where(t < 0.5, orange + (white - orange) * t / 0.5,
                    white + (blue - white) * (t - 0.5) / 0.5)
    expected = 160 / 255 * full + 95 / 255 * 255
    np.testing.assert_allclose(image[rows, cols], expected, atol=2.0)


@pytest.mark.parametrize("argv, message", [
    (["animate", "missing.bplab", "-o", "x.gif"], "missing.bplab"),
    (["animate", "{project}", "-o", "x.mp4"], "only animated GIFs"),
    (["animate", "{project}", "-o", "x.gif", "--size", "5"], "size"),
    (["animate", "{project}", "-o", "x.gif", "--fps", "0"], "fps"),
])
def test_animate_errors_are_one_line_with_exit_2(tmp_path, capsys, argv, message):
    project = tmp_path / "p.bplab"
    save_project(session_to_project(_session(epochs=1)), project)
    argv = [a.replace("{project}", str(project)) for a in argv]
    argv = [str(tmp_path / a) if a.endswith((".gif", ".mp4")) else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_animate_refuses_data_without_a_picture(tmp_path, capsys):
    project = tmp_path / "iris.bplab"
    assert main(["train", "--data", "iris", "--hidden", "4", "--epochs", "2", "-q",
                 "-o", str(project)]) == 0
    assert main(["animate", str(project), "-o", str(tmp_path / "x.gif")]) == 2
    assert "2-D inputs" in capsys.readouterr().err


@pytest.mark.parametrize("data, kind", [("sine", "fit"), ("bump", "heat"),
                                        ("blobs:k=4", "map")])
def test_regression_curves_surfaces_and_multiclass_maps_animate(tmp_path, data, kind):
    pytest.importorskip("PIL")
    from nncore.animate import Animator, animation_frames, project_splits

    project_path = tmp_path / "p.bplab"
    assert main(["train", "--data", data, "--hidden", "12", "--epochs", "15", "--batch",
                 "full", "--lr", "0.05", "-q", "-o", str(project_path)]) == 0
    project = load_project(project_path)
    assert Animator(project, project_splits(project), 80).kind == kind
    frames = animation_frames(project, size=80)
    assert len(frames) == len(project.snapshots) == 16
    first, last = (np.asarray(f, dtype=np.int16)[20:] for f in (frames[0], frames[-1]))
    assert np.abs(first - last).max() > 30  # below the caption, the picture changed
