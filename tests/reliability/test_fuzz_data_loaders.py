"""Data files beyond ``tests/nncore/data/test_fuzz.py`` (random bytes and random tables):
the real shipped files damaged, NPZ archives with hostile or inconsistent arrays, CSV cells
spelling NaN and infinity, IDX headers declaring enormous arrays, every built-in option
given every wrong value, damaged MNIST resources, and damaged files chosen in the window.
Each ends in a valid data set or a ``DataError``; nothing runs code or allocates what a
header merely claims.
"""

from __future__ import annotations

import gzip
import io
import pickle
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

import nncore.data.limits as limits
from nncore.data import BUILTIN, load_builtin, load_dataset, load_file, prepare
from nncore.errors import DataError
from nncore.locations import resources_dir
from nncore.spec import DataSpec
from tests.nncore.data.samples import assert_valid_dataset, idx_bytes
from tests.reliability.mutations import peak_bytes, peak_bytes_refusing

REAL = {"iris.csv": "uci/iris.csv", "wine_data.csv": "uci/wine_data.csv",
        "digits.csv.gz": "uci/digits.csv.gz",
        "t10k-labels-idx1-ubyte.gz": "mnist/t10k-labels.idx1-ubyte.gz"}


def outcome(path: Path, **kwargs) -> str:
    try:
        dataset = load_file(path, **kwargs)
    except DataError as err:
        assert str(err).startswith(str(path)) or str(path) in str(err), err
        return "refused"
    assert_valid_dataset(dataset)
    return "loaded"


@pytest.mark.parametrize("name", sorted(REAL))
def test_damaged_real_files(tmp_path, tally, name):
    data = (resources_dir() / "datasets" / REAL[name]).read_bytes()
    path = tmp_path / name
    if name.startswith("t10k"):  # an IDX labels file needs its images file beside it
        images = idx_bytes(np.zeros((10_000, 2, 2), dtype=np.uint8))
        (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(images))
    rng = np.random.default_rng(len(name))
    outcomes = {"refused": 0, "loaded": 0}
    cuts = range(0, len(data), max(1, len(data) // 30))
    for k in cuts:
        path.write_bytes(data[:k])
        outcomes[outcome(path)] += 1
        tally("data: truncated real files")
    for _ in range(30):
        damaged = bytearray(data)
        for position in rng.integers(0, len(damaged), size=rng.integers(1, 5)):
            damaged[position] = int(rng.integers(0, 256))
        path.write_bytes(bytes(damaged))
        outcomes[outcome(path)] += 1
        tally("data: bit-flipped real files")
    assert outcomes["refused"] >= len(cuts) - 3


# --------------------------------------------------------------------------- NPZ


class CreatesMarker:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def npz(path: Path, **arrays) -> Path:
    np.savez(path, **arrays)
    return path


X = np.arange(40, dtype=np.float64).reshape(20, 2)
Y = np.arange(20) % 2
NPZ_CASES = {
    "x complex": {"x": X.astype(np.complex64), "y": Y},
    "x strings": {"x": X.astype(str), "y": Y},
    "x structured": {"x": np.zeros(20, dtype=[("a", "f4"), ("b", "i4")]), "y": Y},
    "x datetimes": {"x": np.zeros((20, 2), dtype="datetime64[s]"), "y": Y},
    "x booleans": {"x": X > 10, "y": Y},
    "x 0-d": {"x": np.float64(1.0), "y": Y},
    "x empty": {"x": np.zeros((0, 2)), "y": np.zeros(0, dtype=int)},
    "x NaN": {"x": np.where(X == 7, np.nan, X), "y": Y},
    "x inf": {"x": np.where(X == 7, np.inf, X), "y": Y},
    "x float32 overflow": {"x": np.where(X == 7, 1e300, X), "y": Y},
    "x 1-D": {"x": X[:, 0], "y": Y},
    "x 5-D": {"x": np.zeros((20, 2, 2, 2, 2)), "y": Y},
    "y longer": {"x": X, "y": np.arange(21) % 2},
    "y 2-D labels": {"x": X, "y": np.stack([Y, Y], axis=1)},
    "y one class": {"x": X, "y": np.zeros(20, dtype=int)},
    "y NaN labels": {"x": X, "y": np.where(Y == 1, np.nan, 0.0)},
    "y inf targets": {"x": X, "y": np.where(Y == 1, np.inf, 0.5)},
    "y complex": {"x": X, "y": Y.astype(np.complex64)},
    "y bytes": {"x": X, "y": np.array([b"\xff\xfe", b"ok"] * 10)},
    "y 0-d": {"x": X, "y": np.int64(3)},
    "test set longer": {"x": X, "y": Y, "x_test": X, "y_test": np.arange(21) % 2},
    "test set other width": {"x": X, "y": Y, "x_test": np.zeros((5, 3)), "y_test": Y[:5]},
    "test set other classes": {"x": X, "y": Y, "x_test": X[:5],
                               "y_test": np.array([7, 8, 9, 7, 8])},
    "test set strings": {"x": X, "y": Y, "x_test": X[:5].astype(str), "y_test": Y[:5]},
    "no y": {"x": X, "labels": Y},
    "no x": {"inputs": X, "y": Y},
    "only junk": {"a": np.zeros(3)},
}


@pytest.mark.parametrize("case", sorted(NPZ_CASES))
def test_npz_with_odd_dtypes_shapes_values_and_lengths(tmp_path, tally, case):
    path = npz(tmp_path / "odd.npz", **NPZ_CASES[case])
    for task in ("auto", "classification", "regression"):
        outcome(path, options={"task": task})
        tally("data: NPZ odd arrays x tasks")


@pytest.mark.parametrize("name", ["x", "y", "x_test", "y_test"])
def test_pickled_arrays_in_an_npz_never_run(tmp_path, tally, name):
    marker = tmp_path / "pwned"
    payload = np.empty(20, dtype=object)
    payload[:] = [CreatesMarker(marker)] + [1] * 19
    arrays = {"x": X, "y": Y, "x_test": X[:5], "y_test": Y[:5], name: payload}
    with pytest.raises(DataError):
        load_file(npz(tmp_path / "evil.npz", **arrays))
    assert not marker.exists()
    tally("data: pickles")


def _npy(descr: str, shape: tuple, payload: bytes = b"\0" * 64) -> bytes:
    header = f"{{'descr': {descr!r}, 'fortran_order': False, 'shape': {shape!r}, }}"
    header = header.ljust(118) + "\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + payload


@pytest.mark.parametrize("shape", [(10 ** 12, 2), (2 ** 31, 2 ** 31), (60000, 784, 100_000)])
@pytest.mark.parametrize("member", ["x", "y"])
def test_npz_headers_declaring_huge_arrays_are_refused_before_allocating(tmp_path, tally,
                                                                         shape, member):
    path = tmp_path / "huge.npz"
    good = {"x": _npy("<f8", (2, 2), b"\0" * 32), "y": _npy("<i8", (2,), b"\0" * 16)}
    good[member] = _npy("<f8", shape)
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in good.items():
            zf.writestr(f"{name}.npy", data)
    assert peak_bytes_refusing(DataError, load_file, path) < 5_000_000
    tally("data: huge declared shapes")


def test_an_object_npy_made_by_hand_never_runs(tmp_path, tally):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("x.npy", _npy("|O", (1,), pickle.dumps([CreatesMarker(marker)])))
        zf.writestr("y.npy", _npy("<i8", (1,), b"\0" * 8))
    with pytest.raises(DataError):
        load_file(path)
    assert not marker.exists()
    tally("data: pickles")


# --------------------------------------------------------------------------- CSV


SPECIALS = ("nan", "NaN", "-nan", "inf", "-inf", "Infinity", "INF", "1e39", "-1e39", "1e-50",
            "0x10", "1_000", "١٢", "", " ", "1,5", "--1", "+-1", "1e", "NA", "null", "None")


@pytest.mark.parametrize("column", ["feature", "target"])
@pytest.mark.parametrize("task", ["auto", "classification", "regression"])
def test_csv_cells_spelling_nan_infinity_and_other_non_numbers(tmp_path, tally, column, task):
    path = tmp_path / "special.csv"
    counts = {"refused": 0, "loaded": 0}
    for token in SPECIALS:
        rows = [f"{i}.5,{i % 3},{i * 0.25}" for i in range(12)]
        a, b, c = rows[5].split(",")
        rows[5] = f"{token},{b},{c}" if column == "feature" else f"{a},{b},{token}"
        path.write_text("a,b,y\n" + "\n".join(rows) + "\n", encoding="utf-8")
        result = outcome(path, options={"task": task})
        counts[result] += 1
        if column == "feature" and token.strip().lower() in ("inf", "-inf", "infinity", "1e39",
                                                             "-1e39"):
            assert result == "refused"
        tally("data: CSV special cells")
    assert counts["refused"] and counts["loaded"]


def test_csv_nan_message_names_the_line_and_column(tmp_path):
    path = tmp_path / "nan.csv"
    path.write_text("a,b,y\n1,2,0\n3,inf,1\n5,6,1\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"line 3, column 2 \('b'\).*not a finite"):
        load_file(path)


# --------------------------------------------------------------------------- IDX


def _idx_header(code: int, dims: tuple[int, ...]) -> bytes:
    return bytes([0, 0, code, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)


@pytest.mark.parametrize("dims", [(2 ** 32 - 1,), (2 ** 32 - 1, 2 ** 32 - 1),
                                  (60000, 2 ** 16, 2 ** 16), (2 ** 20, 2 ** 20, 2 ** 20, 8)])
@pytest.mark.parametrize("code", [0x08, 0x0E])
@pytest.mark.parametrize("compressed", [False, True])
def test_idx_declaring_enormous_arrays_is_refused_before_allocating(tmp_path, tally, dims, code,
                                                                    compressed):
    data = _idx_header(code, dims) + b"\0" * 1000
    path = tmp_path / ("huge-images-idx3-ubyte" + (".gz" if compressed else ""))
    path.write_bytes(gzip.compress(data) if compressed else data)
    peak = peak_bytes_refusing(DataError, load_file, path, options={"format": "idx"},
                               target=str(path), match=r"would need|truncated")
    assert peak < 5_000_000
    tally("data: enormous IDX headers")


def test_an_idx_gzip_bomb_is_refused_before_decompressing(tmp_path, monkeypatch, tally):
    """50 MB of honest zeros (50 KB gzipped) against a limit lowered to 10 MB."""
    monkeypatch.setattr(limits, "memory_limit", lambda: 10_000_000)
    path = tmp_path / "bomb-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(_idx_header(0x08, (50_000, 1000)) + bytes(50_000_000)))
    peak = peak_bytes_refusing(DataError, load_file, path, target=str(path), match="would need")
    assert peak < 5_000_000
    tally("data: enormous IDX headers")


# --------------------------------------------------------------------------- built-in sets


WRONG_OPTIONS = (None, True, -1, 0, 0.5, 1e308, -1e308, 2 ** 1000, float("nan"), "many", [],
                 {})


def test_every_builtin_option_with_every_wrong_value(tally):
    counts = {"refused": 0, "loaded": 0}
    for name, entry in BUILTIN.items():
        for option in entry.options:
            for value in WRONG_OPTIONS:
                try:
                    dataset = load_builtin(name, {option.name: value})
                except DataError as err:
                    assert name in str(err) or option.name in str(err), err
                    counts["refused"] += 1
                else:
                    assert_valid_dataset(dataset)
                    counts["loaded"] += 1
                tally("data: built-in options x wrong values")
        try:
            load_builtin(name, {"no_such_option": 1})
        except DataError as err:
            assert "unknown option" in str(err)
    assert counts["refused"] > counts["loaded"] > 0


@pytest.mark.parametrize("damage", ["truncated labels", "images magic", "cache garbage"])
def test_damaged_mnist_resources(tmp_path, monkeypatch, tally, damage):
    """A broken install: a clear DataError (or, for a damaged cache, a silent rebuild)."""
    folder = tmp_path / "resources"
    shutil.copytree(resources_dir() / "datasets", folder / "datasets")
    monkeypatch.setenv("BACKPROP_LAB_RESOURCES", str(folder))
    mnist = folder / "datasets" / "mnist"
    spec = DataSpec("mnist", {"n": 200}, val_split=0.1)
    if damage == "truncated labels":
        labels = mnist / "t10k-labels.idx1-ubyte.gz"
        labels.write_bytes(labels.read_bytes()[:2000])
    elif damage == "images magic":
        images = mnist / "t10k-images.idx3-ubyte.gz"
        raw = bytearray(gzip.decompress(images.read_bytes()))
        raw[2] = 0x55
        images.write_bytes(gzip.compress(bytes(raw), compresslevel=1))
    else:
        prepare(load_dataset(spec), spec)  # fills the cache
        from nncore.locations import user_cache_dir

        for entry in (user_cache_dir() / "datasets").glob("mnist-*/*.npy"):
            entry.write_bytes(b"\x93NUMPY garbage")
    if damage == "cache garbage":
        splits = prepare(load_dataset(spec), spec)
        assert splits.x_train.shape[1] == 784
    else:
        with pytest.raises(DataError, match="mnist"):
            load_dataset(spec)
    tally("data: damaged MNIST resources")


@pytest.mark.gui
def test_damaged_files_chosen_in_the_window_are_explained(qtbot, tmp_path, tally):
    """The data source reports a failure (the data panel shows it); the app goes on."""
    from app.data_source import DataSource

    source = DataSource()
    failures: list[str] = []
    source.failed.connect(failures.append)
    files = {"cut.csv": (resources_dir() / "datasets/uci/iris.csv").read_bytes()[:700],
             "nan.csv": b"a,b,y\n1,nan,0\n2,3,1\n",
             "evil.npz": b"PK\x03\x04" + bytes(100),
             "huge.idx": _idx_header(0x08, (2 ** 31, 2 ** 16)) + bytes(10),
             "empty.csv": b""}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        source.load(DataSpec("file", path=str(tmp_path / name)))
        with qtbot.waitSignal(source.loading_changed, timeout=30000):
            pass
        tally("data: damaged files in the window")
    assert source.wait(30000)
    assert len(failures) >= 4 and all(failures)
    source.load(DataSpec("spirals", {"n": 100}))
    with qtbot.waitSignal(source.splits_changed, timeout=30000):
        pass
    assert source.splits is not None and source.wait(30000)


def test_nothing_here_reads_a_file_with_pickle():
    for path in (Path(__file__).resolve().parents[2] / "nncore" / "data").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "allow_pickle=True" not in text and "pickle.load" not in text



@pytest.mark.gui
def test_the_target_chooser_peeks_at_damaged_files_safely(qtbot, tmp_path, tally):
    """The data panel's target chooser reads a file's header on the GUI thread: a damaged
    archive is no choice (the data source explains), and a gzip bomb without line breaks
    or of blank lines is not read whole."""
    from app.widgets.target_chooser import TargetChooser

    chooser = TargetChooser()
    qtbot.addWidget(chooser)
    buffer = io.BytesIO()
    np.savez(buffer, x=X, y=Y)
    files = {"cut.npz": buffer.getvalue()[:60], "junk.gz": b"\x1f\x8b" + bytes(50),
             "cut.csv.gz": gzip.compress(b"a,b,y\n1,2,3\n" * 100)[:30],
             "one-line-bomb.csv.gz": gzip.compress(b"a" * 50_000_000),
             "blank-bomb.csv.gz": gzip.compress(b"\n" * 50_000_000),
             "huge-field.csv": b"a," + b"b" * 200_000 + b"\n1,2\n"}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        assert peak_bytes(lambda n=name: chooser.set_file(str(tmp_path / n), None)) \
            < 10_000_000, name
        tally("data: damaged files in the window")
