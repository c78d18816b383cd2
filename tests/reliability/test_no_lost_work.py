"""No lost work: atomic saves, autosaves, recovery after a real crash, and the question
about unsaved changes before anything replaces the project.

The crash test is real: the app runs as its own process (``python -m app``), trains, is
killed with SIGKILL in the middle of training, and a new window recovers the autosave with
its trained weights.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

import nncore.project as project_module
from app.autosave import Autosaver, autosave_dir, find_recoverable
from app.document import ProjectDocument
from app.training.controller import TrainingController
from nncore.project import Project, load_project, save_project
from nncore.runner import RunState
from nncore.session import Session, session_to_project
from nncore.spec import DataSpec, OptimizerSpec, TrainingSpec, mlp_spec
from tests.app.conftest import make_window
from tests.reliability.driving import settle

REPO = Path(__file__).resolve().parents[2]
DATA = DataSpec("spirals", {"n": 300})
Button = QMessageBox.StandardButton


def _trained(epochs: int = 2, title: str = "trained") -> Project:
    training = TrainingSpec(optimizer=OptimizerSpec("adam", 0.02), batch_size=32,
                            epochs=epochs, seed=5)
    session = Session(mlp_spec([6], "tanh"), training, DATA)
    session.trainer.run()
    return session_to_project(session, title=title, view={"zoom": 2},
                              lesson={"id": "x", "title": "X", "order": 1, "summary": "s"})


# --------------------------------------------------------------------------- atomic saves


class InjectedError(OSError):
    """The fault a test injects (a full disk, a yanked USB stick)."""


def _fail(*_args, **_kwargs):
    raise InjectedError("injected fault")


class _FailingFile:
    """A file that accepts ``budget`` bytes, then fails like a full disk."""

    def __init__(self, raw, budget: int) -> None:
        self._raw, self._budget = raw, budget

    def write(self, data) -> int:
        if len(data) > self._budget:
            raise InjectedError("disk full after the budget")
        self._budget -= len(data)
        return self._raw.write(data)

    def __getattr__(self, name):
        return getattr(self._raw, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._raw.close()


def _inject(monkeypatch, point: str, fault=_fail) -> None:
    """Make step ``point`` of ``save_project`` fail."""
    if point == "json":
        monkeypatch.setattr(project_module.json, "dumps", fault)
    elif point == "savez":
        monkeypatch.setattr(project_module.np, "savez", fault)
    elif point == "mkstemp":
        monkeypatch.setattr(project_module.tempfile, "mkstemp", fault)
    elif point == "fdopen":
        monkeypatch.setattr(project_module.os, "fdopen", fault)
    elif point.startswith("writestr-"):
        real, which = zipfile.ZipFile.writestr, point.removeprefix("writestr-")

        def writestr(self, name, data, *args, **kwargs):
            if name == which:
                fault()
            return real(self, name, data, *args, **kwargs)
        monkeypatch.setattr(zipfile.ZipFile, "writestr", writestr)
    elif point == "zip-close":
        monkeypatch.setattr(zipfile.ZipFile, "_write_end_record", fault)
    elif point == "reopen":  # open(tmp, "rb+") before fsync
        monkeypatch.setattr(project_module, "open", fault, raising=False)
    elif point in ("fsync", "replace"):
        monkeypatch.setattr(project_module.os, point, fault)
    else:
        raise ValueError(point)


SAVE_STEPS = ("json", "savez", "mkstemp", "fdopen", "writestr-project.json",
              "writestr-arrays.npz", "zip-close", "reopen", "fsync", "replace")


@pytest.mark.parametrize("fault", [InjectedError, KeyboardInterrupt])
@pytest.mark.parametrize("point", SAVE_STEPS)
def test_a_save_failing_at_any_step_keeps_the_previous_file(tmp_path, monkeypatch, tally,
                                                            point, fault):
    path = save_project(_trained(1, "before"), tmp_path / "work.bplab")
    before = path.read_bytes()

    def raise_fault(*_args, **_kwargs):
        raise fault("injected fault")

    _inject(monkeypatch, point, raise_fault)
    with pytest.raises(fault):
        save_project(_trained(2, "after"), path)
    monkeypatch.undo()
    assert path.read_bytes() == before and load_project(path).title == "before"
    assert os.listdir(tmp_path) == ["work.bplab"]  # no temporary file left behind
    tally("no lost work: save steps x faults")


def test_a_disk_filling_up_at_any_byte_keeps_the_previous_file(tmp_path, monkeypatch, tally):
    path = save_project(_trained(1, "before"), tmp_path / "work.bplab")
    before = path.read_bytes()
    real_fdopen = os.fdopen
    size = len(before)
    for budget in [0, 1, 22, 100, *range(500, size + 2000, max(1, size // 25))]:
        monkeypatch.setattr(project_module.os, "fdopen",
                            lambda fd, mode, b=budget: _FailingFile(real_fdopen(fd, mode), b))
        try:
            save_project(_trained(2, "after"), path)
        except InjectedError:
            assert path.read_bytes() == before
        else:  # the budget was enough for the whole file
            assert load_project(path).title == "after"
            path.write_bytes(before)
        assert os.listdir(tmp_path) == ["work.bplab"]
        tally("no lost work: disk-full byte budgets")
    monkeypatch.undo()


KILLED_SAVER = textwrap.dedent("""
    import sys
    from nncore.project import load_project, save_project
    a, b = load_project(sys.argv[2]), load_project(sys.argv[3])
    print("ready", flush=True)
    while True:
        for project in (a, b):
            save_project(project, sys.argv[1])
""")


def test_killing_the_process_mid_save_leaves_a_whole_file(tmp_path, tally):
    """SIGKILL at random moments of endless saves: the file is always one whole version."""
    versions = {}
    for name, epochs in (("a", 1), ("b", 3)):
        versions[name] = save_project(_trained(epochs, name), tmp_path / f"{name}.bplab")
    target = tmp_path / "target.bplab"
    save_project(load_project(versions["a"]), target)
    rng = np.random.default_rng(11)
    for _ in range(8):
        process = subprocess.Popen([sys.executable, "-c", KILLED_SAVER, str(target),
                                    str(versions["a"]), str(versions["b"])], cwd=REPO,
                                   stdout=subprocess.PIPE, text=True)
        try:
            assert process.stdout.readline().strip() == "ready"
            time.sleep(float(rng.uniform(0.0, 0.3)))  # a random moment of saving
        finally:
            process.kill()
            process.wait(10)
            process.stdout.close()
        assert load_project(target).title in ("a", "b")
        tally("no lost work: SIGKILL during saves")


# --------------------------------------------------------------------------- autosave


@pytest.fixture
def rig(qtbot):
    """A document on a trained project and a thread-mode controller (no window)."""
    document = ProjectDocument(_trained(1, "autosaved"))
    controller = TrainingController(document, mode="thread")
    yield document, controller
    assert controller.shutdown(3000)


def _note(saver: Autosaver) -> dict:
    return json.loads(saver.note_path.read_text(encoding="utf-8"))


def test_autosave_writes_only_when_there_is_something_to_keep(qtbot, rig, tally):
    document, controller = rig
    saver = Autosaver(document, controller, interval_ms=30)
    with qtbot.waitSignal(saver._timer.timeout, timeout=5000):
        pass
    qtbot.wait(1)  # the slot connected before ours ran
    assert not saver.project_path.exists()  # nothing changed, nothing trains
    document.set_training(dataclasses.replace(document.training, epochs=77), "epochs")
    with qtbot.waitSignal(saver.saved, timeout=5000):
        pass
    saved = load_project(saver.project_path)
    assert saved.training.epochs == 77 and saved.title == "autosaved"
    assert _note(saver)["pid"] == os.getpid() and _note(saver)["original"] is None
    saver.clean_exit()
    assert not saver.project_path.exists() and not saver.note_path.exists()
    tally("no lost work: autosave cases", 3)


def test_autosave_during_a_long_run_keeps_the_trained_weights_and_the_lesson(qtbot, rig,
                                                                            tally):
    """While training, the document stays clean (nothing stored yet): the autosave must
    still write, with the engine's weights and history and the document's lesson."""
    document, controller = rig
    document.set_training(dataclasses.replace(document.training, epochs=100_000), "long")
    document.undo_stack.setClean()
    saver = Autosaver(document, controller, interval_ms=100)
    controller.train()
    qtbot.waitUntil(lambda: len(controller.history) >= 3, timeout=30000)
    assert not document.is_dirty
    saves: list[str] = []
    saver.saved.connect(saves.append)
    qtbot.waitUntil(lambda: len(saves) >= 2, timeout=10000)
    saved = load_project(saver.project_path)
    assert saved.weights is not None and len(saved.history) >= 3
    assert saved.lesson == document.project.lesson and saved.view == {"zoom": 2}
    assert saved.title == "autosaved" and saved.training.epochs == 100_000
    controller.pause()
    tally("no lost work: autosave cases")


def test_autosave_after_a_run_ends(qtbot, rig, tally):
    document, controller = rig
    document.set_training(dataclasses.replace(document.training, epochs=4), "short")
    saver = Autosaver(document, controller, interval_ms=10 * 60 * 1000)  # only the end
    with qtbot.waitSignal(saver.saved, timeout=30000):
        controller.train()
    saved = load_project(saver.project_path)
    assert controller.state == RunState.FINISHED.value
    assert [r.epoch for r in saved.history.records] == [1, 2, 3, 4]  # 1 loaded, 3 trained
    tally("no lost work: autosave cases")


def test_a_failing_autosave_is_logged_and_training_goes_on(qtbot, rig, monkeypatch, caplog,
                                                           tally):
    document, controller = rig
    monkeypatch.setattr("app.autosave.save_project", _fail)
    saver = Autosaver(document, controller, interval_ms=50)
    document.set_training(dataclasses.replace(document.training, epochs=100_000), "long")
    controller.train()
    qtbot.waitUntil(lambda: "autosave failed" in caplog.text, timeout=10000)
    qtbot.waitUntil(lambda: len(controller.history) >= 3, timeout=30000)
    assert not saver.project_path.exists()
    controller.pause()
    tally("no lost work: autosave cases")


# --------------------------------------------------------------------------- a real crash


def _processes_using(home: Path) -> list[int]:
    """Pids of live processes whose environment names ``home`` (the app and its child)."""
    needle = f"BACKPROP_LAB_HOME={home}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().split(")")[-1].split()[0]
        except OSError:
            continue
        if needle in environ.split(b"\0") and state != "Z":
            pids.append(int(entry.name))
    return pids


@pytest.mark.slow
@pytest.mark.gui
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("engine", ["thread", "process"])
def test_killed_mid_training_the_app_recovers_its_last_autosave(qtbot, settings, tmp_path,
                                                                monkeypatch, tally, engine):
    home = Path(tempfile.mkdtemp(prefix="crash-home-", dir=tmp_path))
    monkeypatch.setenv("BACKPROP_LAB_HOME", str(home))
    work = save_project(Project(mlp_spec([16, 16], "tanh"),
                                TrainingSpec(optimizer=OptimizerSpec("adam", 0.01),
                                             batch_size=32, epochs=100_000, seed=3),
                                DATA, title="Crash test"), tmp_path / "crash.bplab")
    interval_ms = 300
    env = {**os.environ, "BACKPROP_LAB_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    log = open(tmp_path / "app.log", "w")  # noqa: SIM115 - closed below
    app = subprocess.Popen([sys.executable, "-m", "app", str(work), "--no-start-screen",
                            "--engine", engine, "--autosave-interval-ms", str(interval_ms),
                            "--autotrain"], cwd=REPO, env=env, stdout=log, stderr=log)
    autosave = autosave_dir() / f"autosave-{app.pid}.bplab"
    note = autosave.with_suffix(".json")
    seen: list[tuple[float, int]] = []  # (note time, epochs in the autosave)

    def progressed() -> bool:
        if app.poll() is not None:  # (an AssertionError would make waitUntil retry)
            raise RuntimeError((tmp_path / "app.log").read_text())
        try:
            when, epochs = json.loads(note.read_text())["time"], len(load_project(autosave)
                                                                    .history or [])
        except (OSError, ValueError):
            return False
        if not seen or seen[-1][0] != when:
            seen.append((when, epochs))
        return len(seen) >= 3 and seen[-1][1] >= 3

    try:
        qtbot.waitUntil(progressed, timeout=90000)
        app.send_signal(signal.SIGKILL)  # no clean exit: the autosave stays behind
        killed_at = time.time()
        app.wait(10)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(10)
        log.close()
    epochs = [e for _, e in seen]
    assert epochs == sorted(epochs) and epochs[-1] > epochs[0]  # it kept saving progress
    last = load_project(autosave)
    print(f"{engine}: {len(seen)} autosaves seen, the last {killed_at - seen[-1][0]:.2f} s "
          f"before the kill (interval {interval_ms / 1000} s), {len(last.history)} epochs")
    qtbot.waitUntil(lambda: _processes_using(home) == [], timeout=15000)  # no orphan child

    window = make_window(qtbot, settings, lesson=None)
    asked: list[tuple[str, str]] = []
    window.ask_recover = lambda name, when: (asked.append((name, when)), Button.Open)[1]
    try:
        assert [r.project_path for r in find_recoverable()] == [autosave]
        assert window.offer_recovery()
        assert asked and asked[0][0] == "crash.bplab"
        project = window.document.project
        assert window.document.path == work and window.document.is_dirty
        assert project.title == "Crash test" and len(project.history) == len(last.history)
        for name, value in last.weights.items():
            np.testing.assert_array_equal(project.weights[name], value)
        assert not autosave.exists() and not note.exists()
        assert not window.offer_recovery()  # offered once
        window.controller.train()  # and training continues from the recovered run
        qtbot.waitUntil(lambda: len(window.controller.history) > len(last.history) + 1,
                        timeout=30000)
        assert window.controller.history[len(last.history)].epoch == \
            last.history.records[-1].epoch + 1
    finally:
        window.close()
    assert window.controller._thread.wait(3000)
    tally("no lost work: SIGKILL mid-training, then recovery")


# --------------------------------------------------------------------------- asking


@pytest.fixture
def asking_window(qtbot, settings):
    """A window on a lesson with a design edit, so it has unsaved changes."""
    window = make_window(qtbot, settings)
    doc = window.document
    doc.set_training(dataclasses.replace(doc.training, epochs=123), "epochs")
    assert doc.is_dirty
    answers: list[Button] = []
    window.files.ask_unsaved = lambda: (answers.append("asked"), window.answer)[1]
    window.asked = answers
    yield window
    window.files.ask_unsaved = lambda: Button.Discard
    window.close()
    assert window.controller._thread.wait(3000)


ACTIONS = {
    "close": lambda w, path: w.close(),
    "new": lambda w, path: w.files.new(),
    "open": lambda w, path: w.files.open(path),
    "open-dialog": lambda w, path: w.actions.open.trigger(),
    "lesson": lambda w, path: w.open_lesson("fit-x-squared"),
}


@pytest.mark.gui
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_cancel_keeps_the_project(asking_window, tmp_path, tally, action):
    window = asking_window
    other = save_project(_trained(1, "other"), tmp_path / "other.bplab")
    window.files.ask_open_path = lambda: str(other)
    window.answer = Button.Cancel
    project = window.document.project
    ACTIONS[action](window, other)
    assert window.asked == ["asked"]
    assert window.document.project is project and window.document.is_dirty
    assert window.isVisible()
    tally("no lost work: unsaved-changes questions")


@pytest.mark.gui
@pytest.mark.parametrize("action", ["new", "open", "lesson"])
def test_save_then_replace_and_discard_then_replace(asking_window, tmp_path, tally, action):
    window = asking_window
    other = save_project(_trained(1, "other"), tmp_path / "other.bplab")
    mine = tmp_path / "mine.bplab"
    window.files.ask_save_path = lambda: str(mine)
    window.answer = Button.Save
    ACTIONS[action](window, other)
    assert window.asked == ["asked"] and load_project(mine).training.epochs == 123
    assert window.document.path != mine  # replaced after saving
    window.document.set_training(dataclasses.replace(window.document.training, epochs=9), "e")
    window.answer = Button.Discard
    ACTIONS[action](window, other)
    assert window.asked == ["asked", "asked"] and not window.document.is_dirty
    tally("no lost work: unsaved-changes questions", 2)


@pytest.mark.gui
def test_trained_weights_count_as_unsaved_work(qtbot, settings, tally):
    window = make_window(qtbot, settings)
    asked: list[str] = []
    window.files.ask_unsaved = lambda: (asked.append("asked"), Button.Discard)[1]
    try:
        assert not window.document.is_dirty
        window.files.new()
        assert asked == []  # nothing to lose: no question
        window.controller.step_epoch()
        settle(qtbot, window.controller)
        qtbot.waitUntil(lambda: window.document.is_dirty, timeout=10000)
        window.files.new()
        assert asked == ["asked"]
    finally:
        window.close()
    tally("no lost work: unsaved-changes questions", 2)


@pytest.mark.gui
def test_a_failed_save_says_so_and_keeps_the_changes(qtbot, settings, tmp_path, monkeypatch,
                                                     tally):
    window = make_window(qtbot, settings)
    errors: list[str] = []
    window.files.show_error = lambda title, text: errors.append(text)
    path = tmp_path / "kept.bplab"
    try:
        window.files.ask_save_path = lambda: str(path)
        assert window.files.save_as()
        before = path.read_bytes()
        window.document.set_training(dataclasses.replace(window.document.training, epochs=5),
                                     "epochs")
        _inject(monkeypatch, "fsync")
        assert not window.files.save()
        assert errors and "injected fault" in errors[0] and str(path) in errors[0]
        assert window.document.is_dirty and path.read_bytes() == before
        assert not list(tmp_path.glob(".*.tmp"))
    finally:
        monkeypatch.undo()
        window.files.ask_unsaved = lambda: Button.Discard
        window.close()
    tally("no lost work: failed saves in the window")


def test_the_exported_state_is_a_snapshot_not_the_live_run(qtbot, rig, tally):
    """In thread mode the export crosses threads without a copy: the history it carried
    kept growing while the autosave (or Save) wrote it, so its columns could come out of
    different lengths, and the document's history grew with the run."""
    document, controller = rig
    document.set_training(dataclasses.replace(document.training, epochs=100_000), "long")
    controller.train()
    qtbot.waitUntil(lambda: len(controller.history) >= 3, timeout=30000)
    exported: list[Project] = []
    controller.export(exported.append)
    qtbot.waitUntil(lambda: bool(exported), timeout=10000)
    epochs = len(exported[0].history)
    qtbot.waitUntil(lambda: len(controller.history) >= epochs + 5, timeout=30000)
    assert len(exported[0].history) == epochs
    controller.pause()
    tally("no lost work: autosave cases")
