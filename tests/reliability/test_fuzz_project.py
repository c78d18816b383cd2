"""Project files from thirty students: every damaged, hostile or odd file gives a Project or
a ``ProjectFileError`` naming the file and the problem. Nothing crashes, hangs, allocates
what a header merely claims, or runs code.

``tests/nncore/test_project.py`` pins one example of each kind of damage; this module
tries them systematically: truncation at every k-th byte, random bit flips, hypothesis
byte edits, every ZIP member swapped, dropped, renamed or recompressed, every JSON field
given every wrong type, huge numbers, deep nesting, other versions and encodings, zip
bombs, huge array headers and pickles.
"""

from __future__ import annotations

import io
import json
import pickle
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nncore.project as project_module
from nncore.errors import NNCoreError, ProjectFileError
from nncore.locations import resources_dir
from nncore.project import Project, load_project, save_project
from nncore.session import Session, session_from_project
from nncore.spec import SCHEMA_VERSION, DataSpec, OptimizerSpec, TrainingSpec, mlp_spec, validate
from tests.reliability.mutations import DELETE, field_paths, peak_bytes_refusing, replaced

FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
WRONG_VALUES = (None, True, False, 0, -1, 1.5, 1e308, -1e308, 2 ** 1000, -(2 ** 1000), "",
                "text", "é東\ud800", [], [1, "a"], {}, {"a": {"b": [None]}})
"""Replacements for every field: wrong types, huge and negative numbers, odd text."""
DATA = DataSpec("spirals", {"n": 60})


# --------------------------------------------------------------------------- the files


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz-project")


@pytest.fixture(scope="module")
def trained_bytes(folder) -> bytes:
    """A trained project with weights, Adam state, history, lesson, view and title."""
    training = TrainingSpec(optimizer=OptimizerSpec("adam", lr=0.05), batch_size=16,
                            epochs=3, seed=2)
    session = Session(mlp_spec([4], "tanh"), training, DATA)
    session.trainer.run()
    state = session.optimizer.state_dict()
    project = Project(session.network_spec, training, DATA,
                      weights=session.network.get_weights(), optimizer_state=state["state"],
                      optimizer_step=state["step"], history=session.trainer.history,
                      preprocessing=session.splits.preprocessing.to_dict(),
                      lesson={"id": "mine", "title": "Mine", "order": 1, "summary": "s"},
                      view={"positions": {"dense-1": [1.5, 2]}}, title="Trained")
    return save_project(project, folder / "trained.bplab").read_bytes()


@pytest.fixture(scope="module")
def minimal_bytes(folder) -> bytes:
    return save_project(Project(mlp_spec([3]), TrainingSpec(), DATA),
                        folder / "minimal.bplab").read_bytes()


@pytest.fixture(scope="module")
def lesson_bytes() -> bytes:
    return (resources_dir() / "lessons" / "01-two-spirals.json").read_bytes()


@pytest.fixture(scope="module")
def bases(trained_bytes, minimal_bytes, lesson_bytes) -> dict[str, bytes]:
    return {"trained.bplab": trained_bytes, "minimal.bplab": minimal_bytes,
            "lesson.json": lesson_bytes}


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def zip_bytes(items: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as zf:
        for name, data in items:
            zf.writestr(name, data)
    return buffer.getvalue()


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # savez pickles object arrays: what an attacker would send
    return buffer.getvalue()


def npy_bytes(descr: str, shape: tuple, payload: bytes) -> bytes:
    """A hand-made ``.npy`` member: any header, any data (headers can lie)."""
    header = f"{{'descr': {descr!r}, 'fortran_order': False, 'shape': {shape!r}, }}"
    header = header.ljust(118) + "\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + payload


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def outcome(path: Path) -> Project | None:
    """The loaded project, or None for a clean ``ProjectFileError``; anything else fails.

    A loaded project must be well-typed enough for ``validate`` to judge it.
    """
    try:
        project = load_project(path)
    except ProjectFileError as err:
        text = str(err)
        assert text.startswith(f"{path.name}:") and len(text) > len(path.name) + 8, text
        return None
    assert isinstance(project, Project)
    problems = validate(project.network, project.training, project.data)
    assert all(p.path and p.message for p in problems)
    return project


def try_session(project: Project) -> str:
    """Build a session from a loaded project: fine, or a clear error (never a crash)."""
    try:
        session_from_project(project)
    except (NNCoreError, ValueError) as err:
        assert str(err)
        return "refused"
    return "ok"


# --------------------------------------------------------------------------- byte damage


@pytest.mark.parametrize("base", ["trained.bplab", "minimal.bplab", "lesson.json"])
def test_truncated_at_every_kth_byte(bases, folder, tally, base):
    data = bases[base]
    step = max(1, len(data) // 160)
    loaded = 0
    for k in range(0, len(data), step):
        loaded += outcome(write(folder, f"cut-{base}", data[:k])) is not None
        tally("project: truncations")
    assert loaded == 0  # a cut file never passes for a whole one


@pytest.mark.parametrize("base", ["trained.bplab", "minimal.bplab", "lesson.json"])
def test_random_bit_flips(bases, folder, tally, base):
    rng = np.random.default_rng(8)
    data = bases[base]
    for _ in range(250):
        damaged = bytearray(data)
        for position in rng.integers(0, len(damaged), size=rng.integers(1, 9)):
            damaged[position] ^= 1 << int(rng.integers(0, 8))
        outcome(write(folder, f"flip-{base}", bytes(damaged)))
        tally("project: bit flips")


@FUZZ
@given(data=st.data())
def test_hypothesis_byte_edits(bases, folder, tally, data):
    """Overwrite, insert or delete a few bytes anywhere, then maybe cut the end."""
    name = data.draw(st.sampled_from(sorted(bases)))
    damaged = bytearray(bases[name])
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(damaged) - 1))
        edit = data.draw(st.sampled_from(["set", "insert", "delete"]))
        if edit == "set":
            damaged[at] = data.draw(st.integers(0, 255))
        elif edit == "insert":
            damaged[at:at] = data.draw(st.binary(min_size=1, max_size=16))
        else:
            del damaged[at:at + data.draw(st.integers(1, 16))]
    if data.draw(st.booleans()):
        damaged = damaged[:data.draw(st.integers(0, len(damaged)))]
    outcome(write(folder, f"edit-{name}", bytes(damaged)))
    tally("project: hypothesis byte edits")


# --------------------------------------------------------------------------- ZIP members


def member_variants(data: bytes) -> Iterator[tuple[str, bytes]]:
    """Every member swapped, dropped, renamed, doubled, stored/bzip2/lzma, or joined by
    extra members; and the archive with only one member or none."""
    items = list(members(data).items())
    names = [n for n, _ in items]
    yield "swapped", zip_bytes([(names[0], items[1][1]), (names[1], items[0][1])])
    for i, name in enumerate(names):
        rest = items[:i] + items[i + 1:]
        yield f"drop-{name}", zip_bytes(rest)
        yield f"rename-{name}", zip_bytes([*rest, (name.upper(), items[i][1])])
        yield f"double-{name}", zip_bytes([*items, (name, b"{}")])
        yield f"empty-{name}", zip_bytes([*rest, (name, b"")])
        yield f"junk-{name}", zip_bytes([*rest, (name, bytes(range(256)) * 3)])
        yield f"nested-zip-{name}", zip_bytes([*rest, (name, data)])
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        yield f"method-{method}", zip_bytes(items, method)
    yield "extra-members", zip_bytes([*items, ("../../evil.sh", b"rm -rf ~"),
                                      ("readme.txt", b"hello")])
    yield "no-members", zip_bytes([])
    encrypted = bytearray(zip_bytes(items))
    for offset in _local_headers(encrypted):
        encrypted[offset + 6] |= 1  # general purpose flag: "encrypted"
    yield "encrypted-flag", bytes(encrypted)


def _local_headers(data: bytearray) -> list[int]:
    found, at = [], data.find(b"PK\x03\x04")
    while at >= 0:
        found.append(at)
        at = data.find(b"PK\x03\x04", at + 4)
    return found


@pytest.mark.filterwarnings("ignore:Duplicate name:UserWarning")
@pytest.mark.parametrize("base", ["trained.bplab", "minimal.bplab"])
def test_every_member_swapped_dropped_renamed_or_recompressed(bases, folder, tally, base):
    results = {}
    for label, data in member_variants(bases[base]):
        results[label] = outcome(write(folder, f"{label}.bplab", data))
        tally("project: ZIP member variants")
    assert results["swapped"] is None and results["drop-project.json"] is None
    assert results["method-12"] is not None and results["method-14"] is not None  # bzip2, lzma
    assert results["extra-members"] is not None  # unknown members are ignored, never extracted
    assert not (folder.parent / "evil.sh").exists()


# --------------------------------------------------------------------------- JSON fields


def _with_document(base: bytes, document: dict) -> bytes:
    text = json.dumps(document).encode()
    if base[:2] != b"PK":
        return text
    return zip_bytes([(n, text if n == "project.json" else d) for n, d in members(base).items()])


def _document(base: bytes) -> dict:
    return json.loads(members(base)["project.json"] if base[:2] == b"PK" else base)


@pytest.mark.parametrize("base", ["trained.bplab", "lesson.json"])
def test_every_field_gets_every_wrong_value(bases, folder, tally, base):
    document = _document(bases[base])
    paths = list(field_paths(document))
    counts = {"loaded": 0, "refused": 0}
    for path in paths:
        for value in (*WRONG_VALUES, DELETE):
            data = _with_document(bases[base], replaced(document, path, value))
            project = outcome(write(folder, f"field{Path(base).suffix}", data))
            counts["loaded" if project is not None else "refused"] += 1
            tally("project: JSON fields x wrong values")
    assert len(paths) > 60 and counts["refused"] > 0 and counts["loaded"] > 0


def json_values() -> st.SearchStrategy:
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2 ** 70), 2 ** 70),
                        st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12))
    return st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
        max_leaves=12)


@FUZZ
@given(data=st.data(), value=json_values())
def test_hypothesis_json_subtrees(bases, folder, tally, data, value):
    """Any JSON value in place of any field of a trained project or a lesson."""
    name = data.draw(st.sampled_from(["trained.bplab", "lesson.json"]))
    document = _document(bases[name])
    path = data.draw(st.sampled_from(list(field_paths(document))))
    outcome(write(folder, f"tree{Path(name).suffix}",
                  _with_document(bases[name], replaced(document, path, value))))
    tally("project: hypothesis JSON subtrees")


RAW_NUMBERS = ("1e400", "-1e400", "NaN", "Infinity", "-Infinity", "9" * 5000, "1" + "0" * 4299,
               "1e-400", "-0", "0.0000000000000000000000000000001")


def test_huge_numbers_written_as_json_text(bases, folder, tally):
    """Numbers Python's JSON reads specially: overflow to inf, NaN literals, 5000 digits."""
    text = members(bases["trained.bplab"])["project.json"].decode()
    fields = ('"lr": 0.05', '"epochs": 3', '"n": 60', '"optimizer_step": ', '"seed": 2')
    for field in fields:
        assert field in text, field
        key = field.split(":")[0]
        for raw in RAW_NUMBERS:
            start = text.index(field) + len(key) + 2
            end = min(text.index(c, start) for c in ",}\n" if c in text[start:])
            outcome(write(folder, "number.json", (text[:start] + raw + text[end:]).encode()))
            tally("project: huge numbers as JSON text")


@pytest.mark.parametrize("version", [0, -1, SCHEMA_VERSION + 1, 99, 2 ** 1000, "1", 1.0, True,
                                     None, [1], {}])
def test_other_and_future_versions(bases, folder, tally, version):
    document = _document(bases["trained.bplab"])
    document["schema_version"] = version
    path = write(folder, "version.bplab", _with_document(bases["trained.bplab"], document))
    with pytest.raises(ProjectFileError, match="schema_version"):
        load_project(path)
    tally("project: versions")


def deep(depth: int, kind: str):
    value: object = 1
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


@pytest.mark.parametrize("depth", [33, 200, 900])
@pytest.mark.parametrize("field", ["view", "lesson", "preprocessing"])
def test_deep_nesting_in_pass_through_objects_is_refused(bases, folder, tally, field, depth):
    document = _document(bases["trained.bplab"])
    document[field] = {"deep": deep(depth, "list" if depth % 2 else "dict")}
    path = write(folder, "deep.bplab", _with_document(bases["trained.bplab"], document))
    with pytest.raises(ProjectFileError, match=f"{field} is nested more than 32 levels"):
        load_project(path)
    tally("project: deep nesting")


@pytest.mark.parametrize("where", [("data", "options", "n"), ("network", "layers", 0, "units"),
                                   ("training", "bugs"), ("network", "layers")])
def test_deep_nesting_in_specs_is_refused(bases, folder, tally, where):
    document = replaced(_document(bases["trained.bplab"]), where, deep(500, "list"))
    with pytest.raises(ProjectFileError):
        load_project(write(folder, "deep.bplab",
                           _with_document(bases["trained.bplab"], document)))
    tally("project: deep nesting")


def test_a_deeply_nested_title_is_ignored(bases, folder):
    document = replaced(_document(bases["trained.bplab"]), ("title",), deep(500, "list"))
    project = load_project(write(folder, "deep.bplab",
                                 _with_document(bases["trained.bplab"], document)))
    assert project.title == ""


ENCODINGS = {
    "latin-1": lambda text: text.encode("latin-1", "replace"),
    "utf-16": lambda text: text.encode("utf-16"),
    "utf-32": lambda text: text.encode("utf-32"),
    "cp1252-smart-quotes": lambda text: text.replace('"title"', '\u201ctitle\u201d').encode(
        "cp1252", "replace"),
    "invalid-utf8-in-string": lambda text: text.replace('"Trained"', '"Tr\xe9ined"').encode(
        "latin-1", "replace"),
    "nul-bytes": lambda text: text.encode() + b"\0" * 16,
}


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize("container", ["zip", "json"])
def test_other_encodings_are_refused_clearly(bases, folder, tally, encoding, container):
    document = _document(bases["trained.bplab"])
    document["title"] = "Trained é"
    raw = ENCODINGS[encoding](json.dumps(document, ensure_ascii=False))
    data = raw if container == "json" else zip_bytes(
        [("project.json", raw), ("arrays.npz", members(bases["trained.bplab"])["arrays.npz"])])
    with pytest.raises(ProjectFileError, match=r"UTF-8|invalid JSON"):
        load_project(write(folder, f"encoding.{container}", data))
    tally("project: encodings")


def test_a_byte_order_mark_is_accepted(bases, folder):
    """Windows Notepad adds one to a lesson a teacher edits."""
    project = load_project(write(folder, "bom.json", b"\xef\xbb\xbf" + bases["lesson.json"]))
    assert project.lesson is not None


# --------------------------------------------------------------------------- arrays


def array_variants(arrays: dict[str, np.ndarray]) -> Iterator[tuple[str, dict]]:
    """Each array with a wrong dtype, shape or values, dropped, or joined by a stranger."""
    wrong_dtypes = (np.int64, np.bool_, np.complex64, np.float16, "U3", "S2", [("a", "f4")])
    for name, value in arrays.items():
        def changed(new, name=name):
            return {**arrays, name: new}
        for dtype in wrong_dtypes:
            try:
                yield f"{name}:dtype={dtype}", changed(value.astype(dtype))
            except (ValueError, TypeError):
                yield f"{name}:dtype={dtype}", changed(np.zeros(value.shape, dtype=dtype))
        yield f"{name}:transposed", changed(np.ascontiguousarray(value.T))
        yield f"{name}:extra-dim", changed(value[None])
        yield f"{name}:empty", changed(value.reshape(-1)[:0])
        yield f"{name}:scalar", changed(np.float64(1.0))
        yield f"{name}:longer", changed(np.concatenate([value.reshape(-1)] * 2))
        for bad in (np.nan, np.inf, -np.inf, 1e308):
            poisoned = value.astype(np.float64).copy()
            poisoned.reshape(-1)[:1] = bad
            yield f"{name}:{bad}", changed(poisoned)
        yield f"drop:{name}", {k: v for k, v in arrays.items() if k != name}
    yield "stranger", {**arrays, "weights/nobody.weight": np.ones((2, 2))}
    yield "no-arrays", {}


def test_every_array_with_wrong_dtype_shape_values_or_missing(bases, folder, tally):
    """Each loaded variant then builds a session, or says clearly why it cannot."""
    base = bases["trained.bplab"]
    with np.load(io.BytesIO(members(base)["arrays.npz"]), allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    counts = {"refused on load": 0, "refused": 0, "ok": 0}
    for _label, variant in array_variants(arrays):
        data = zip_bytes([("project.json", members(base)["project.json"]),
                          ("arrays.npz", npz_bytes(variant))])
        project = outcome(write(folder, "arrays.bplab", data))
        if project is None:
            counts["refused on load"] += 1
        else:
            counts[try_session(project)] += 1
        tally("project: array variants (then a session)")
    assert len(arrays) >= 15 and all(counts.values()), counts


@pytest.mark.parametrize(("descr", "shape"), [
    ("<f8", (10 ** 12,)), ("<f8", (2 ** 31, 2 ** 31)), ("<f4", (60000, 784, 1000)),
    ("<f8", (10 ** 9,)), ("<f8", (-5,)), ("|u1", (2 ** 62,))])
def test_huge_declared_array_shapes_are_refused_before_allocating(folder, minimal_bytes, tally,
                                                                  descr, shape):
    npz = zip_bytes([("weights/dense-1.weight.npy", npy_bytes(descr, shape, b"\0" * 64))])
    path = write(folder, "huge.bplab", zip_bytes(
        [("project.json", members(minimal_bytes)["project.json"]), ("arrays.npz", npz)]))
    peak = peak_bytes_refusing(ProjectFileError, load_project, path,
                               match="its header announces shape")
    assert peak < 2_000_000  # bytes: nothing near the declared size was allocated
    tally("project: huge declared shapes")


def _claimed_size(data: bytes, name: str, size: int) -> bytes:
    """The archive with its directory claiming ``size`` bytes for member ``name``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in source.infolist():
            zf.writestr(info.filename, source.read(info))
        for info in zf.filelist:
            if info.filename == name:
                info.file_size = size  # written into the central directory on close
    return buffer.getvalue()


@pytest.mark.parametrize("member", ["project.json", "arrays.npz"])
@pytest.mark.parametrize("size", [3 * 2 ** 30, 2 ** 40, 2 ** 62])
def test_a_member_claiming_a_huge_size_is_refused_unread(trained_bytes, folder, tally, member,
                                                         size):
    path = write(folder, "claims.bplab", _claimed_size(trained_bytes, member, size))
    peak = peak_bytes_refusing(ProjectFileError, load_project, path, match="more than the")
    assert peak < 2_000_000
    tally("project: zip bombs")


def test_a_member_containing_more_than_it_claims_stops_at_the_claim(minimal_bytes, folder,
                                                                    tally):
    """50 MB of zeros behind a directory entry claiming 1 KB: read no further than 1 KB."""
    bomb = zip_bytes([("project.json", members(minimal_bytes)["project.json"]),
                      ("arrays.npz", b"\0" * 50_000_000)])
    assert len(bomb) < 100_000  # deflate packs the zeros about 1000:1
    path = write(folder, "lies.bplab", _claimed_size(bomb, "arrays.npz", 1024))
    assert peak_bytes_refusing(ProjectFileError, load_project, path) < 2_000_000
    tally("project: zip bombs")


def test_an_honest_zip_bomb_above_the_limit_is_refused_unread(minimal_bytes, folder, tally,
                                                             monkeypatch):
    """A member honestly declaring more than the limit (here lowered to 10 MB) is refused
    from the directory entry alone, and one whose arrays would exceed it from the headers."""
    monkeypatch.setattr(project_module, "MAX_ARRAY_BYTES", 10_000_000)
    document = members(minimal_bytes)["project.json"]
    bomb = write(folder, "bomb.bplab", zip_bytes([("project.json", document),
                                                  ("arrays.npz", b"\0" * 20_000_000)]))
    inner = zip_bytes([(f"weights/w{i}.npy", npy_bytes("<f8", (500_000,), b"\0" * 4_000_000))
                       for i in range(3)])  # 12 MB of zeros that compress to 12 KB
    arrays = write(folder, "arrays-bomb.bplab", zip_bytes([("project.json", document),
                                                           ("arrays.npz", inner)]))
    tracemalloc.start()
    try:
        with pytest.raises(ProjectFileError, match="more than the 10000000 allowed"):
            load_project(bomb)
        first = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        with pytest.raises(ProjectFileError, match="the arrays would need more than"):
            load_project(arrays)
        second = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert first < 2_000_000 and second < 2_000_000  # the 12 MB never materialised
    tally("project: zip bombs", 2)


# --------------------------------------------------------------------------- pickles


class CreatesMarker:
    """Unpickling this creates a file: the proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("name", ["weights/dense-1.weight", "weights/dense-2.bias",
                                  "optimizer/dense-1.weight/m", "history/train_loss",
                                  "history/epoch", "anything"])
def test_pickled_payloads_in_any_array_never_run(minimal_bytes, folder, tally, name):
    marker = folder / f"pwned-{name.replace('/', '-')}"
    payload = np.empty(2, dtype=object)
    payload[:] = [CreatesMarker(marker), 1]
    path = write(folder, "evil.bplab", zip_bytes(
        [("project.json", members(minimal_bytes)["project.json"]),
         ("arrays.npz", npz_bytes({name: payload}))]))
    with pytest.raises(ProjectFileError, match="unsafe"):
        load_project(path)
    assert not marker.exists()
    tally("project: pickles")


def test_a_hand_made_object_npy_and_a_raw_pickle_never_run(minimal_bytes, folder, tally):
    marker = folder / "pwned-raw"
    evil = pickle.dumps([CreatesMarker(marker)], protocol=2)
    npz = zip_bytes([("weights/w.npy", npy_bytes("|O", (1,), evil))])
    cases = {
        "object-npy.bplab": zip_bytes([("project.json", members(minimal_bytes)["project.json"]),
                                       ("arrays.npz", npz)]),
        "pickle-as-project.bplab": evil,
        "pickle-as-json.bplab": zip_bytes([("project.json", evil)]),
        "pickle-as-arrays.bplab": zip_bytes(
            [("project.json", members(minimal_bytes)["project.json"]), ("arrays.npz", evil)]),
    }
    for name, data in cases.items():
        with pytest.raises(ProjectFileError):
            load_project(write(folder, name, data))
        tally("project: pickles")
    assert not marker.exists()
    pickle.loads(evil)  # the payload is live: unpickling it does create the marker
    assert marker.exists()


def test_nncore_never_imports_pickle_or_allows_it():
    root = Path(project_module.__file__).parent
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import pickle" not in text and "allow_pickle=True" not in text, path


# --------------------------------------------------------------------------- in the window


def _sample_files(bases, folder) -> list[Path]:
    """Damaged files of every kind, and files that load but cannot or can barely train."""
    trained, rng, files = bases["trained.bplab"], np.random.default_rng(3), []

    def add(name: str, data: bytes) -> None:
        files.append(write(folder, name, data))

    for i, k in enumerate(range(0, len(trained), len(trained) // 6)):
        add(f"cut-{i}.bplab", trained[:k])
    for i in range(4):
        damaged = bytearray(trained)
        damaged[int(rng.integers(0, len(damaged)))] ^= 0x10
        add(f"flip-{i}.bplab", bytes(damaged))
    document = _document(trained)
    for i, (path, value) in enumerate([
            (("training", "optimizer", "lr"), -1), (("training", "optimizer", "lr"), 1e308),
            (("network", "layers", 0, "units"), 1), (("data", "options", "n"), 10),
            (("data", "source"), "nonsense"), (("training", "epochs"), 0),
            (("title",), "é東\ud800"), (("lesson", "title"), ["not", "text"]),
            (("view",), {"positions": "nowhere"})]):
        add(f"field-{i}.bplab", _with_document(trained, replaced(document, path, value)))
    with np.load(io.BytesIO(members(trained)["arrays.npz"]), allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    for i, name in enumerate(["weights/dense-1.weight", "optimizer/dense-1.weight/exp_avg"]):
        for j, value in enumerate([arrays[name].T.copy(), arrays[name].astype(np.float16)]):
            add(f"array-{i}-{j}.bplab", zip_bytes([
                ("project.json", members(trained)["project.json"]),
                ("arrays.npz", npz_bytes({**arrays, name: value}))]))
    add("lesson.json", bases["lesson.json"])
    return files


@pytest.mark.gui
def test_the_window_opens_or_refuses_every_kind_of_file_and_still_trains(
        qtbot, settings, bases, folder, tally):
    """What a student meets opening a classmate's file: a message or the project, never a
    crash; after each, one training step runs or fails with a message."""
    from tests.app.conftest import make_window
    from tests.reliability.driving import settle

    shown: list[str] = []
    window = make_window(qtbot, settings, lesson=None)
    window.files.show_error = lambda _title, text: shown.append(text)
    errors: list[str] = []
    window.controller.error_occurred.connect(errors.append)
    try:
        counts = {"opened": 0, "refused": 0}
        for path in _sample_files(bases, folder):
            before = window.document.project
            if window.files.open(path):
                counts["opened"] += 1
                assert window.document.path == path
                window.data_source.wait(10000)
                window.controller.step_batch()
                settle(qtbot, window.controller)
            else:
                counts["refused"] += 1
                assert window.document.project is before and shown[-1].startswith(path.name)
            tally("project: files opened in the window")
        assert counts["opened"] >= 8 and counts["refused"] >= 8, counts
        assert errors  # the untrainable ones said why, in the message bar
        window.files.new()
        window.data_source.wait(10000)
        window.controller.step_batch()
        settle(qtbot, window.controller)
        assert window.controller.history == [] and window.controller.last_update is not None
    finally:
        window.close()
    assert window.controller._thread.wait(3000)
