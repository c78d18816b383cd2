"""Sweeps (``nncore.sweep``, ``nncore.sweep_pool``): plans, bit-for-bit runs, resuming,
stopping, a killed worker, the range test and the aggregation behind the plots.

Every executor test runs on the local process pool and on a real local Dask cluster of
two worker processes (started once for this module; skipped when the ``cluster`` extra is
not installed), so the cluster backend passes the same tests as the pool. Runs are
compared with the same design trained alone in this process: their weights' SHA-256.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import os
import signal
import threading
import time

import numpy as np
import pytest

from nncore.cli import make_parser, specs_from_args
from nncore.session import Session
from nncore.spec import DataSpec, OptimizerSpec, TrainingSpec, mlp_spec
from nncore.sweep import (
    LOST,
    Specs,
    SweepError,
    SweepStore,
    grid_2d,
    grid_plan,
    lr_range_test,
    parse_axis,
    random_plan,
    range_test_plan,
    read_csv,
    run_sweep,
    run_task,
    summarise,
    weights_digest,
)
from nncore.sweep_pool import LocalPool, SerialExecutor

HAS_DASK = importlib.util.find_spec("distributed") is not None
DATA = DataSpec("moons", options={"n": 200, "noise": 0.2}, val_split=0.25)


def base(epochs: int = 15) -> Specs:
    training = TrainingSpec(optimizer=OptimizerSpec("adam", lr=0.01), batch_size=16,
                            epochs=epochs, seed=3)
    return Specs(mlp_spec([8], "tanh"), training, DATA)


def alone(specs: Specs) -> Session:
    """The design trained on its own, in this process, as ``nncore train`` does."""
    session = Session(*specs)
    session.trainer.run()
    return session


# --------------------------------------------------------------------------- plans


def test_log_range_is_geometric_and_lists_split_on_semicolons():
    axis = parse_axis("lr=1e-4..1e-1:log:4")
    assert axis.grid() == pytest.approx(np.geomspace(1e-4, 1e-1, 4), rel=1e-5)
    assert parse_axis("lr=0.1..0.4:4").grid() == pytest.approx([0.1, 0.2, 0.3, 0.4])
    assert parse_axis("hidden=8;16,16;32,32").grid() == ((8,), (16, 16), (32, 32))
    assert parse_axis("activation=tanh,relu").grid() == ("tanh", "relu")
    assert parse_axis("batch=8;full").grid() == (8, None)
    assert parse_axis("width=4..64:log:5").grid() == (4, 8, 16, 32, 64)
    assert parse_axis("n=100..400:4").grid() == (100, 200, 300, 400)
    assert parse_axis("noise=0..0.4:3").grid() == (0.0, 0.2, 0.4)


@pytest.mark.parametrize("text, words", [
    ("colour=red", "cannot vary 'colour'"), ("lr", "NAME=VALUES"),
    ("lr=abc", "not a valid value"), ("lr=1..0.1:4", "backwards"),
    ("lr=0..1:log:4", "bounds > 0"), ("lr=1e-3..1:weird", "unknown range option"),
    ("seed=1,2", "--seeds"), ("hidden=8,x", "hidden widths")])
def test_bad_vary_says_what_is_wrong(text, words):
    with pytest.raises(SweepError, match=words):
        parse_axis(text)


def test_grid_runs_are_the_designs_the_train_flags_build():
    """Each planned run's specs equal those ``nncore train`` builds from the same flags."""
    flags = ["--data", "moons:n=200,noise=0.2", "--val-split", "0.25", "--epochs", "15",
             "--batch", "16", "--seed", "3", "--activation", "relu", "--l2", "0.001"]
    args = make_parser().parse_args(["train", *flags])
    _, network, training, data = specs_from_args(args)
    runs = grid_plan(Specs(network, training, data),
                     [parse_axis("lr=0.01,0.1"), parse_axis("hidden=4;8,8")], seeds=2)
    assert len(runs) == 2 * 2 * 2 and len({r.key for r in runs}) == 8
    for run in runs:
        values = dict(run.values)
        alone_args = make_parser().parse_args([
            "train", *flags[:-6], "--seed", str(run.seed), "--activation", "relu", "--l2",
            "0.001", "--lr", str(values["lr"]), "--hidden",
            ",".join(map(str, values["hidden"]))])
        assert tuple(specs_from_args(alone_args)[1:]) == tuple(run.specs)


def test_fields_reach_the_specs():
    b = base()
    for text, check in [
        ("optimizer=sgd", lambda s: s.training.optimizer.name == "sgd"),
        ("init=he_normal", lambda s: all(layer.init == "he_normal"
                                         for layer in s.network.layers)),
        ("dropout=0.3", lambda s: s.network.layers[1].rate == 0.3),
        ("depth=3", lambda s: [layer.units for layer in s.network.layers] == [8, 8, 8, None]),
        ("noise=0.4", lambda s: s.data.options == {"n": 200, "noise": 0.4}),
        ("training.optimizer.beta2=0.99", lambda s: s.training.optimizer.beta2 == 0.99),
        ("data.options.n=300", lambda s: s.data.options["n"] == 300),
        ("batch=full", lambda s: s.training.batch_size is None),
    ]:
        (run,) = grid_plan(b, [parse_axis(text)])
        assert check(run.specs), text


def test_random_plan_draws_log_uniformly_and_repeats_with_its_seed():
    axes = [parse_axis("lr=1e-4..1e-1:log"), parse_axis("activation=tanh,relu")]
    runs = random_plan(base(), axes, 400, sample_seed=7)
    assert [r.key for r in runs[:20]] == [r.key for r in random_plan(base(), axes, 20,
                                                                     sample_seed=7)]
    logs = np.log10([dict(r.values)["lr"] for r in runs])
    assert logs.min() >= -4 and logs.max() <= -1
    # log-uniform: each decade holds about a third of the draws
    counts = np.histogram(logs, bins=[-4, -3, -2, -1])[0]
    assert counts.min() > 400 / 3 * 0.7
    assert {dict(r.values)["activation"] for r in runs} == {"tanh", "relu"}


# --------------------------------------------------------------------------- executors


@pytest.fixture(scope="module")
def dask_cluster():
    """One local Dask cluster of two single-threaded worker processes for the module."""
    if not HAS_DASK:
        pytest.skip("Dask.distributed is not installed (pip install -e '.[cluster]')")
    from distributed import LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    yield cluster
    cluster.close()


@pytest.fixture(params=["local", "dask"])
def make_executor(request):
    """A factory of executors of one backend (closed after the test)."""
    made = []

    def make(retries: int = 1):
        if request.param == "local":
            executor = LocalPool(2, retries=retries)
        else:
            from nncore.sweep_pool import DaskExecutor

            cluster = request.getfixturevalue("dask_cluster")
            executor = DaskExecutor(cluster.scheduler_address, retries=retries)
        made.append(executor)
        return executor

    make.backend = request.param
    yield make
    for executor in made:
        executor.close()


def test_each_run_is_bit_for_bit_the_design_trained_alone(make_executor, tmp_path):
    runs = grid_plan(base(), [parse_axis("lr=0.003,0.03"), parse_axis("hidden=4;8,8")],
                     seeds=2)
    outcome = run_sweep(runs, tmp_path, make_executor())
    assert not outcome.stopped and len(outcome.rows) == len(runs) == 8
    rows = {row["key"]: row for row in read_csv(tmp_path / "results.csv")}
    for run in runs:
        session = alone(run.specs)
        report = SweepStore(tmp_path).finished(run)["report"]
        assert report["weights_sha256"] == weights_digest(session)
        last = session.trainer.history.last
        assert float(rows[run.key]["val_loss"]) == last.val_loss
        assert float(rows[run.key]["train_accuracy"]) == last.train_metric
        assert rows[run.key]["stop_reason"] == "completed"
        assert rows[run.key]["hidden"] == ",".join(map(str, dict(run.values)["hidden"]))
        assert (tmp_path / "runs" / f"{run.key}.bplab").exists()


def test_resume_skips_finished_runs(make_executor, tmp_path):
    runs = grid_plan(base(5), [parse_axis("lr=0.003,0.01,0.03")], seeds=2)
    run_sweep(runs, tmp_path, make_executor())
    reports = {run.key: tmp_path / "runs" / f"{run.key}.json" for run in runs}
    reports[runs[2].key].unlink()
    before = {key: path.stat().st_mtime_ns for key, path in reports.items() if path.exists()}
    outcome = run_sweep(runs, tmp_path, make_executor())
    assert outcome.resumed == len(runs) - 1
    assert reports[runs[2].key].exists()
    assert {key: reports[key].stat().st_mtime_ns for key in before} == before
    rows = read_csv(tmp_path / "results.csv")
    assert [row["key"] for row in rows] == [run.key for run in runs]
    assert all(row["stop_reason"] == "completed" for row in rows)


def test_stopping_keeps_what_finished_and_a_rerun_completes(make_executor, tmp_path):
    runs = grid_plan(base(120), [parse_axis("lr=0.001..0.1:log:6")])
    stop = threading.Event()
    done = []

    def on_result(row, run):
        done.append(run.key)
        stop.set()

    outcome = run_sweep(runs, tmp_path, make_executor(), on_result=on_result, stop=stop)
    assert outcome.stopped and 1 <= len(outcome.rows) < len(runs)
    saved = {p.stem for p in (tmp_path / "runs").glob("*.json")}
    assert saved == {r["key"] for r in outcome.rows}
    assert len(read_csv(tmp_path / "results.csv")) == len(outcome.rows)
    outcome = run_sweep(runs, tmp_path, make_executor())
    assert not outcome.stopped and len(outcome.rows) == len(runs)


def _kill_when_busy(executor, timeout: float = 60.0) -> dict:
    """Kill the worker process running a run, once one does; returns what was killed."""
    killed: dict = {}

    def watch():
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if isinstance(executor, LocalPool):
                busy = executor.busy()
                if busy:  # kill mid-run: the same run still on the same worker 50 ms later
                    pid, key = next(iter(busy.items()))
                    time.sleep(0.05)
                    if executor.busy().get(pid) != key:
                        continue
                    killed.update(pid=pid, key=key)
                    os.kill(pid, signal.SIGKILL)
                    return
            else:
                processing = executor.client.processing()
                workers = [w for w, keys in processing.items() if keys]
                if workers:
                    pid = executor.client.run(os.getpid, workers=workers[:1])[workers[0]]
                    killed.update(pid=pid, key=processing[workers[0]][0])
                    os.kill(pid, signal.SIGKILL)
                    return
            time.sleep(0.01)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    killed["thread"] = thread
    return killed


def test_a_killed_worker_loses_only_its_run_which_is_retried(make_executor, tmp_path):
    runs = grid_plan(base(400), [parse_axis("lr=0.003,0.01,0.03")], seeds=2)
    executor = make_executor(retries=1)
    killed = _kill_when_busy(executor)
    outcome = run_sweep(runs, tmp_path, executor)
    killed["thread"].join()
    assert "pid" in killed, "no worker was ever busy"
    assert [row["stop_reason"] for row in outcome.rows] == ["completed"] * len(runs)
    key = str(killed["key"])[-16:]  # Dask's task key ends with the run's key
    (run,) = [run for run in runs if run.key == key]
    if make_executor.backend == "local":
        assert outcome.rows[run.index]["attempts"] == 2
    # the retried run is still the design trained alone, bit for bit
    report = SweepStore(tmp_path).finished(run)["report"]
    assert report["weights_sha256"] == weights_digest(alone(run.specs))


def test_without_retries_a_killed_workers_run_is_reported_lost(tmp_path):
    runs = grid_plan(base(400), [parse_axis("lr=0.003,0.01,0.03")], seeds=2)
    executor = LocalPool(2, retries=0)
    killed = _kill_when_busy(executor)
    outcome = run_sweep(runs, tmp_path, executor)
    killed["thread"].join()
    lost = [row for row in outcome.rows if row["stop_reason"] == LOST]
    assert [row["key"] for row in lost] == [killed["key"]]
    assert "died" in lost[0]["message"]
    assert sum(row["stop_reason"] == "completed" for row in outcome.rows) == len(runs) - 1
    assert not (tmp_path / "runs" / f"{killed['key']}.json").exists()
    # resuming trains just the lost run
    outcome = run_sweep(runs, tmp_path, SerialExecutor())
    assert outcome.resumed == len(runs) - 1 and not outcome.failed


def test_a_design_that_cannot_build_is_a_row_not_a_crash(tmp_path):
    runs = grid_plan(base(3), [parse_axis("activation=tanh,nonsense")])
    outcome = run_sweep(runs, tmp_path, SerialExecutor())
    reasons = [row["stop_reason"] for row in outcome.rows]
    assert reasons == ["completed", "error"]
    assert "nonsense" in outcome.rows[1]["message"]


# --------------------------------------------------------------------------- range test


def test_range_test_follows_the_geometric_rates_and_smooths_as_documented():
    specs = base(1)
    specs = specs._replace(training=dataclasses.replace(specs.training, optimizer=OptimizerSpec(
        "sgd", lr=0.1)))
    curve = lr_range_test(Session(*specs), 1e-4, 10.0, steps=120)
    n = len(curve["lr"])
    assert 5 <= n <= 120
    assert curve["lr"] == pytest.approx(np.geomspace(1e-4, 10.0, 120)[:n])
    average, expected = 0.0, []
    for i, loss in enumerate(curve["loss"]):  # bias-corrected exponential average
        average = 0.98 * average + 0.02 * loss
        expected.append(average / (1 - 0.98 ** (i + 1)))
    assert curve["smoothed"] == pytest.approx(expected)
    at_minimum = curve["lr"][int(np.argmin(curve["smoothed"]))]
    assert curve["suggested_lr"] == pytest.approx(at_minimum / 10)
    slopes = np.diff(curve["smoothed"]) / np.diff(np.log(curve["lr"]))  # independent
    assert 1e-4 <= curve["steepest_lr"] <= at_minimum
    assert np.min(slopes[: int(np.argmin(curve["smoothed"]))]) < 0


def test_range_test_as_a_sweep_writes_one_row_per_seed(tmp_path):
    runs = range_test_plan(base(1), 1e-4, 1.0, steps=60, seeds=2)
    outcome = run_sweep(runs, tmp_path, SerialExecutor())
    assert len(outcome.rows) == 2
    assert all(1e-5 <= r["suggested_lr"] <= 0.1 for r in outcome.rows)


# --------------------------------------------------------------------------- aggregation


def test_summaries_are_mean_and_sample_std_over_seeds():
    rows = [{"lr": 0.1, "hidden": (8,), "val_loss": v} for v in (1.0, 2.0, 4.0)]
    rows += [{"lr": 0.01, "hidden": (8,), "val_loss": 3.0},
             {"lr": 0.01, "hidden": (8,), "val_loss": math.nan}]
    first, second = summarise(rows, ["lr"], "val_loss")
    assert first.values == (0.1,) and first.mean == pytest.approx(7 / 3)
    assert first.std == pytest.approx(np.std([1.0, 2.0, 4.0], ddof=1))
    assert (first.low, first.high, first.count) == (1.0, 4.0, 3)
    assert (second.mean, second.std, second.count) == (3.0, 0.0, 1)
    xs, ys, grid = grid_2d([*rows, {"lr": 0.1, "hidden": (4,), "val_loss": 5.0}], "lr",
                           "hidden", "val_loss")
    assert xs == [0.01, 0.1] and ys == [(4,), (8,)]
    assert np.isnan(grid[0, 0]) and grid[0, 1] == 5.0
    assert grid[1, 0] == 3.0 and grid[1, 1] == pytest.approx(7 / 3)


def test_run_task_reports_what_train_reports():
    (run,) = grid_plan(base(5), [parse_axis("lr=0.02")])
    result = run_task(run.task())
    session = alone(run.specs)
    assert result["report"]["final"]["val_loss"] == session.trainer.history.last.val_loss
    assert result["report"]["epochs"] == 5
