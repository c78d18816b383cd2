"""Project files: round trip, layout, atomic writes, refusal of pickled arrays (without
running them), and a clear ProjectFileError for every kind of malformed file."""

from __future__ import annotations

import io
import json
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

import nncore.project as project_module
from nncore.errors import ProjectFileError
from nncore.locations import user_cache_dir, user_data_dir, user_log_dir
from nncore.project import Project, load_project, save_project, to_document
from nncore.session import Session
from nncore.spec import (
    SCHEMA_VERSION,
    DataSpec,
    OptimizerSpec,
    TrainingSpec,
    mlp_spec,
    to_dict,
)
from tests.helpers import make_splits, xor_data

VIEW = {"positions": {"dense-1": [10.5, -3], "dense-2": [200, 40]}, "zoom": 1.25,
        "notes": "née 東京 ✓", "flags": [True, False, None], "nested": {"a": {"b": [1, "2"]}}}
LESSON = {"id": "xor-1", "title": "XOR", "steps": [{"text": "Press Train."}]}


@pytest.fixture(scope="module")
def trained_project() -> Project:
    x, y = xor_data()
    training = TrainingSpec(optimizer=OptimizerSpec("adam", lr=0.05), batch_size=2,
                            epochs=5, seed=4)
    session = Session(mlp_spec([6], "tanh", dropout=0.1), training,
                      splits=make_splits(x, y, "binary"))
    session.trainer.run()
    state = session.optimizer.state_dict()
    return Project(session.network_spec, training, DataSpec("xor", {"n": 4, "noise": 0.0}),
                   weights=session.network.get_weights(), optimizer_state=state["state"],
                   optimizer_step=state["step"], history=session.trainer.history,
                   preprocessing={"method": "standard", "offset": [0.5, 0.5]},
                   lesson=LESSON, view=VIEW, title="My XOR")


def _arrays_equal(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
        assert a[key].dtype == b[key].dtype


def test_round_trip_keeps_everything(trained_project, tmp_path):
    loaded = load_project(save_project(trained_project, tmp_path / "xor.bplab"))
    assert loaded.network == trained_project.network
    assert loaded.training == trained_project.training
    assert loaded.data == trained_project.data
    _arrays_equal(loaded.weights, trained_project.weights)
    assert loaded.optimizer_state.keys() == trained_project.optimizer_state.keys()
    for name, state in trained_project.optimizer_state.items():
        _arrays_equal(loaded.optimizer_state[name], state)
    assert loaded.optimizer_step == trained_project.optimizer_step == 10
    assert loaded.history.metric_name == trained_project.history.metric_name == "accuracy"
    _arrays_equal(loaded.history.to_arrays(), trained_project.history.to_arrays())  # NaN-aware
    assert [r.epoch for r in loaded.history.records] == [1, 2, 3, 4, 5]
    assert loaded.preprocessing == trained_project.preprocessing
    assert loaded.lesson == LESSON
    assert loaded.view == VIEW
    assert loaded.title == "My XOR"


def test_minimal_project_round_trips(tmp_path):
    project = Project(mlp_spec([3]), TrainingSpec(), DataSpec())
    loaded = load_project(save_project(project, tmp_path / "min.bplab"))
    assert (loaded.network, loaded.training, loaded.data) == (project.network,
                                                              project.training, project.data)
    assert loaded.weights is None and loaded.history is None and loaded.view == {}


def test_view_arrays_round_trip_and_stay_optional(trained_project, tmp_path):
    import dataclasses

    views = {"histograms/weights/dense-1/density": np.arange(12, dtype=np.float32).reshape(4, 3),
             "health/dense-1/x": np.array([0.5, 1.0, 2.0])}
    project = dataclasses.replace(trained_project, view_arrays=views)
    loaded = load_project(save_project(project, tmp_path / "views.bplab"))
    _arrays_equal(loaded.view_arrays, views)
    assert loaded.view_arrays["health/dense-1/x"].dtype == np.float64
    _arrays_equal(loaded.weights, trained_project.weights)  # nothing else changed
    plain = load_project(save_project(trained_project, tmp_path / "plain.bplab"))
    assert plain.view_arrays == {}  # files without them (older ones) load as before


def test_oversized_view_arrays_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(project_module, "MAX_VIEW_ARRAY_BYTES", 64)
    path = _zip(tmp_path / "big.bplab", _document(), _npz(**{"view/histograms/x": np.zeros(9)}))
    with pytest.raises(ProjectFileError, match="plot histories"):
        load_project(path)


def test_file_is_a_zip_with_project_json_and_arrays_npz(trained_project, tmp_path):
    path = save_project(trained_project, tmp_path / "xor.bplab")
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["arrays.npz", "project.json"]
        document = json.loads(zf.read("project.json").decode("utf-8"))
        with np.load(io.BytesIO(zf.read("arrays.npz")), allow_pickle=False) as npz:
            names = set(npz.files)
    assert document["schema_version"] == SCHEMA_VERSION
    assert document["network"] == to_dict(trained_project.network)
    assert document["view"] == VIEW
    assert "weights/dense-1.weight" in names
    assert "history/train_loss" in names
    assert any(n.startswith("optimizer/dense-1.weight/") for n in names)


def test_save_replaces_an_existing_file(trained_project, tmp_path):
    path = tmp_path / "p.bplab"
    save_project(Project(mlp_spec([3]), TrainingSpec(), DataSpec()), path)
    save_project(trained_project, path)
    assert load_project(path).title == "My XOR"
    assert os.listdir(tmp_path) == ["p.bplab"]


def _fail(*args, **kwargs):
    raise OSError("disk full (simulated)")


@pytest.mark.parametrize("target", ["zip-member", "savez", "fsync", "replace"])
def test_failed_save_keeps_the_previous_file_and_leaves_no_temporary(trained_project, tmp_path,
                                                                     monkeypatch, target):
    path = tmp_path / "p.bplab"
    save_project(trained_project, path)
    before = path.read_bytes()
    if target == "zip-member":
        real = zipfile.ZipFile.writestr

        def writestr(self, name, data, *args, **kwargs):
            if name == "arrays.npz":  # fail halfway: project.json is already written
                _fail()
            return real(self, name, data, *args, **kwargs)
        monkeypatch.setattr(zipfile.ZipFile, "writestr", writestr)
    elif target == "savez":
        monkeypatch.setattr(np, "savez", _fail)
    else:
        monkeypatch.setattr(os, target, _fail)
    with pytest.raises(OSError, match="simulated"):
        save_project(Project(mlp_spec([9]), TrainingSpec(), DataSpec()), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["p.bplab"]


# --------------------------------------------------------------------------- pickles


class CreatesMarker:
    """Unpickling this object creates a file: the proof that code ran."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def _zip(path: Path, document: dict | bytes, arrays: bytes | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.json", document if isinstance(document, bytes)
                    else json.dumps(document))
        if arrays is not None:
            zf.writestr("arrays.npz", arrays)
    return path


def _document(**changes) -> dict:
    project = Project(mlp_spec([3]), TrainingSpec(), DataSpec())
    return {**to_document(project), **changes}


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # savez pickles object arrays: exactly what an attacker sends
    return buffer.getvalue()


def test_pickled_object_array_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    payload = np.empty(1, dtype=object)
    payload[0] = CreatesMarker(marker)
    path = _zip(tmp_path / "evil.bplab", _document(),
                _npz(**{"weights/dense-1.weight": payload}))
    with pytest.raises(ProjectFileError, match=r"arrays\.npz is unsafe"):
        load_project(path)
    assert not marker.exists()
    pickle.loads(pickle.dumps(CreatesMarker(marker)))  # the payload is live when unpickled
    assert marker.exists()


def test_pickled_scalar_object_in_history_is_refused(tmp_path):
    path = _zip(tmp_path / "evil.bplab", _document(),
                _npz(**{"history/train_loss": np.array([{"a": 1}], dtype=object)}))
    with pytest.raises(ProjectFileError, match="unsafe"):
        load_project(path)


# --------------------------------------------------------------------------- malformed files


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _truncated(tmp_path):
    good = save_project(Project(mlp_spec([3]), TrainingSpec(), DataSpec(),
                                weights={"w": np.ones((30, 30))}), tmp_path / "good.bplab")
    return good.read_bytes()[: good.stat().st_size // 2]


def _corrupt_member(tmp_path):
    data = bytearray(save_project(Project(mlp_spec([3]), TrainingSpec(), DataSpec()),
                                  tmp_path / "good.bplab").read_bytes())
    start = data.index(b"project.json") + len("project.json")
    for i in range(start + 10, start + 40):  # inside the compressed project.json
        data[i] ^= 0xFF
    return bytes(data)


MALFORMED = {
    "empty": (lambda tmp: b"", "empty"),
    "not-zip-not-json": (lambda tmp: b"hello, world", "invalid JSON"),
    "binary-garbage": (lambda tmp: bytes(range(256)) * 4, "not UTF-8"),
    "truncated-zip": (_truncated, "damaged or truncated"),
    "corrupt-zip-member": (_corrupt_member, "cannot read the file"),
    "json-list": (lambda tmp: b"[1, 2, 3]", "expected a JSON object"),
    "json-string": (lambda tmp: b'"project"', "expected a JSON object"),
    "future-version": (lambda tmp: json.dumps(_document(schema_version=99)).encode(),
                       "version 99"),
    "missing-version": (lambda tmp: json.dumps({"network": {"layers": []}}).encode(),
                        "missing or invalid version"),
    "unknown-field": (lambda tmp: json.dumps(_document(network={"layers": [
        {"kind": "dense", "id": "d", "colour": "red"}]})).encode(), "unknown field 'colour'"),
    "wrong-type": (lambda tmp: json.dumps(_document(training={"epochs": "ten"})).encode(),
                   "training.epochs"),
    "non-utf8-json": (lambda tmp: b'{"schema_version": 1, "title": "caf\xe9"}', "not UTF-8"),
    "deep-nesting": (lambda tmp: b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    "deep-object-nesting": (lambda tmp: b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
                            "nested too deeply"),
    "bad-view": (lambda tmp: json.dumps(_document(view=[1, 2])).encode(), "view"),
    "bad-optimizer-step": (lambda tmp: json.dumps(_document(optimizer_step=-1)).encode(),
                           "optimizer_step"),
    "nan-literal": (lambda tmp: b'{"schema_version": NaN', "invalid JSON"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_file_raises_project_file_error_naming_the_problem(case, tmp_path):
    make, message = MALFORMED[case]
    path = _write(tmp_path, "bad.bplab", make(tmp_path))
    with pytest.raises(ProjectFileError, match=message) as info:
        load_project(path)
    assert "bad.bplab" in str(info.value)


def _corrupt_compressed_npz() -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **{"weights/dense-1.weight": np.arange(4000.0)})
    data = bytearray(buffer.getvalue())
    for i in range(200, 260):
        data[i] ^= 0xFF
    return bytes(data)


@pytest.mark.parametrize(("document", "arrays", "message"), [
    (_document(), b"this is not an npz file", "arrays.npz"),
    (_document(), _corrupt_compressed_npz(), "bad.bplab"),
    (_document(), _npz(**{"weights/dense-1.weight": np.ones((2, 3), dtype=np.int64)}),
     "not floating-point"),
    (_document(), _npz(**{"history/train_loss": np.ones(3)}), "history"),
    (b"[]", _npz(), "expected a JSON object"),
])
def test_malformed_zip_contents(tmp_path, document, arrays, message):
    with pytest.raises(ProjectFileError, match=message):
        load_project(_zip(tmp_path / "bad.bplab", document, arrays))


def test_zip_without_project_json(tmp_path):
    path = tmp_path / "other.bplab"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(ProjectFileError, match=r"no 'project\.json'"):
        load_project(path)


def test_oversized_member_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(project_module, "MAX_JSON_BYTES", 100)
    path = _zip(tmp_path / "big.bplab", _document(title="x" * 500))
    with pytest.raises(ProjectFileError, match="more than the 100 allowed"):
        load_project(path)


def test_missing_file(tmp_path):
    with pytest.raises(ProjectFileError, match="cannot read"):
        load_project(tmp_path / "nowhere.bplab")


# --------------------------------------------------------------------------- plain JSON


def test_plain_json_project_loads(tmp_path):
    project = Project(mlp_spec([5, 3], "relu"), TrainingSpec(epochs=7, seed=3),
                      DataSpec("spirals", {"turns": 3}), lesson=LESSON, view=VIEW,
                      title="Lesson")
    path = tmp_path / "lesson.json"
    path.write_text(json.dumps(to_document(project), indent=2), encoding="utf-8")
    loaded = load_project(path)
    assert (loaded.network, loaded.training, loaded.data) == (project.network,
                                                              project.training, project.data)
    assert loaded.lesson == LESSON and loaded.view == VIEW and loaded.title == "Lesson"
    assert loaded.weights is None and loaded.optimizer_state is None


def test_plain_json_with_only_a_network_uses_default_training_and_data(tmp_path):
    path = _write(tmp_path, "net.json", json.dumps(
        {"schema_version": SCHEMA_VERSION, "network": to_dict(mlp_spec([2]))}).encode())
    loaded = load_project(path)
    assert loaded.training == TrainingSpec() and loaded.data == DataSpec()


def test_user_folders_point_into_the_test_home(tmp_path):
    # conftest points BACKPROP_LAB_HOME at a per-test folder: no test touches real user data
    for folder in (user_cache_dir(), user_data_dir(), user_log_dir()):
        assert folder.is_relative_to(tmp_path)


def test_a_garbled_member_name_in_the_archive_is_a_clear_error(tmp_path):
    """Found by the byte-edit fuzzer: a local header whose name is not valid UTF-8 while
    the directory says UTF-8 made ``zipfile`` raise UnicodeDecodeError, not our error."""
    path = save_project(Project(mlp_spec([4]), TrainingSpec(), DataSpec("xor")),
                        tmp_path / "p.bplab")
    raw = bytearray(path.read_bytes())
    assert raw[30:42] == b"project.json"  # the first local header's name
    raw[30] = 0xDD  # not a UTF-8 start byte followed by 'r'
    for flag_at in (6, raw.index(b"PK\x01\x02") + 8):  # local header, then directory
        flags = int.from_bytes(raw[flag_at:flag_at + 2], "little") | 0x800  # names in UTF-8
        raw[flag_at:flag_at + 2] = flags.to_bytes(2, "little")
    path.write_bytes(bytes(raw))
    with pytest.raises(ProjectFileError, match="damaged"):
        load_project(path)
