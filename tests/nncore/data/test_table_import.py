"""Table import: real-world oddities, the recipe (roles, kinds, missing, task), provenance.

Expected values are computed independently (by hand from the written cells, or NumPy on
the generating arrays), never taken from the loader's own output.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from nncore.data import load_dataset, load_file, prepare, segments, table
from nncore.data.csvfile import inspect_file, load_csv, table_columns
from nncore.data.provenance import file_fingerprint
from nncore.data.table import LoadCancelled
from nncore.errors import DataError
from nncore.spec import DataSpec, data_from_dict, to_dict

from .samples import assert_valid_dataset


@pytest.fixture
def write(tmp_path: Path):
    def make(text: str | bytes, name: str = "data.csv") -> Path:
        path = tmp_path / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        return path

    return make


# --------------------------------------------------------------------------- oddities


def test_bom_windows_line_ends_and_a_trailing_delimiter(write) -> None:
    data = load_csv(write("\ufeffa,b,y,\r\n1,2,x,\r\n3,4,z,\r\n5,6,x,\r\n"))
    assert data.info.feature_names == ("a", "b")
    np.testing.assert_array_equal(data.x, [[1, 2], [3, 4], [5, 6]])
    assert data.info.class_names == ("x", "z") and data.y.tolist() == [0, 1, 0]


def test_a_trailing_delimiter_on_the_rows_only(write) -> None:
    data = load_csv(write("a,b,y\n1,2,0,\n3,4,1,\n"))
    np.testing.assert_array_equal(data.x, [[1, 2], [3, 4]])


def test_spaces_after_the_delimiter_first_seen_after_the_sample(write) -> None:
    """The parser skips spaces after the delimiter only when the 256 KB sample shows them;
    a quoted cell after a space further down is read again with the skip, and padded
    missing-value words are still missing."""
    body = "".join(f"{i % 97},{i % 2}\n" for i in range(60_000))  # ~300 KB unpadded
    tail = '5, 1\n" 7", 0\n 6, NA\n'
    path = write("a,y\n" + body + tail)
    assert path.stat().st_size > table.SNIFF_BYTES
    data = load_csv(path)
    assert len(data.x) == 60_002  # the NA target row dropped
    np.testing.assert_array_equal(data.x[-2:, 0], [5, 7])
    tail = '5, red, 1\n6, "dark, red", 0\n7, NA, 1\n'
    rows = "".join(f"{i % 97},{('red', 'blue')[i % 2]},{i % 2}\n" for i in range(30_000))
    path = write("a,colour,y\n" + rows + tail, "quoted.csv")
    assert path.stat().st_size > table.SNIFF_BYTES
    plan = inspect_file(path)
    colour = next(c for c in plan.columns if c.name == "colour")
    assert colour.kind == "categorical" and colour.n_missing == 1
    assert set(plan.feature_names) == {"a", "colour=red", "colour=blue", "colour=dark, red"}


def test_duplicate_and_blank_column_names_are_made_unique(write) -> None:
    path = write(",a,a,y\n1,2,3,0\n2,5,6,1\n3,8,9,0\n")
    assert table_columns(path) == ["row names", "a", "a (2)", "y"]
    assert inspect_file(path).roles["row names"] == "ignore"  # 1, 2, 3: row numbers
    data = load_csv(path, roles={"row names": "input"})
    assert data.info.feature_names == ("row names", "a", "a (2)")


def test_r_row_names_header_one_shorter_than_the_rows(write) -> None:
    text = '"mpg" "cyl"\n"Mazda RX4" 21 6\n"Datsun 710" 22.8 4\n"Valiant" 18.1 6\n'
    plan = inspect_file(write(text, "mtcars.txt"))
    assert [c.name for c in plan.columns] == ["row names", "mpg", "cyl"]
    assert plan.roles == {"row names": "ignore", "mpg": "input"}


def test_quoted_names_match_with_and_without_quotes(write) -> None:
    path = write("'x';'vote'\n1;yes\n2;no\n3;yes\n")
    for target in ("vote", "'vote'", '"vote"', "VOTE", 1):
        assert load_csv(path, target=target).info.class_names == ("no", "yes")


def test_an_all_text_table_has_its_header_recognised(write) -> None:
    rows = "".join(f"{c},{s},{k}\n" for c, s, k in
                   [("red", "big", "yes"), ("blue", "small", "no"), ("red", "small", "no"),
                    ("blue", "big", "yes")])
    data = load_csv(write("colour,size,buy\n" + rows))
    assert set(data.info.feature_names) == {"colour=red", "colour=blue", "size=big",
                                            "size=small"}


def test_semicolons_decimal_commas_and_latin1(write) -> None:
    data = load_csv(write("poids;taille;espèce\n1,5;2;chat\n3;4,25;thé\n".encode("latin-1")))
    np.testing.assert_array_equal(data.x, [[1.5, 2], [3, 4.25]])
    assert data.info.class_names == ("chat", "thé") and data.info.feature_names[0] == "poids"


def test_mixed_types_a_few_words_among_numbers_are_missing_values(write) -> None:
    rows = [f"{i},{i * 2},{i % 2}" for i in range(40)]
    rows[7] = "7,unknown,1"
    data = load_csv(write("a,b,y\n" + "\n".join(rows) + "\n"), missing="drop")
    assert len(data.x) == 39
    assert any("'unknown'" in n and "line 9" in n for n in data.info.notes)


def test_mixed_types_many_words_make_a_categorical_column(write) -> None:
    cells = ["1", "2", "low", "high", "mid", "3", "low", "high", "mid", "low"] * 2
    rows = "".join(f"{i},{c},{i % 2}\n" for i, c in enumerate(cells))
    plan = inspect_file(write("a,b,y\n" + rows))
    assert {c.name: c.kind for c in plan.columns}["b"] == "categorical"
    assert plan.n_inputs == 1 + len(set(cells))


def test_header_only_file(write) -> None:
    with pytest.raises(DataError, match="has a header but no data rows"):
        load_csv(write("a,b,y\n"))


def test_one_class_only(write) -> None:
    with pytest.raises(DataError, match=r"single class \(yes\).*choose another target"):
        load_csv(write("a,y\n1,yes\n2,yes\n3,yes\n"))


def test_more_than_a_thousand_labels_is_refused_with_the_way_out(write) -> None:
    rows = "".join(f"{i},label{i}\n" for i in range(1200))
    with pytest.raises(DataError, match=r"1200 different values.*task 'regression'"):
        load_csv(write("x,name\n" + rows), target="name", roles={"x": "input"})


def test_a_ragged_row_names_the_line_and_what_to_do(write) -> None:
    path = write("a,b,y\n1,2,0\n3,4,1\n5,6,7,8\n")
    with pytest.raises(DataError, match=r"line 4 has 4 fields .* quote cells"):
        load_csv(path)


# --------------------------------------------------------------------------- targets and task


def test_a_numeric_target_with_na_cells_drops_them_never_a_class(write) -> None:
    y = [0.5 * i for i in range(60)]
    cells = [("NA" if i % 10 == 3 else repr(v)) for i, v in enumerate(y)]
    rows = "".join(f"{i},{c}\n" for i, c in enumerate(cells))
    data = load_csv(write("x,ozone\n" + rows))
    kept = [v for i, v in enumerate(y) if i % 10 != 3]
    assert data.info.task == "regression" and "NA" not in data.info.class_names
    np.testing.assert_array_equal(data.y[:, 0], kept)
    assert any("dropped 6 of 60 rows with no value in the target 'ozone'" in n
               for n in data.info.notes)


def test_a_count_target_is_regression_with_a_note_and_can_be_classes(write) -> None:
    rng = np.random.default_rng(0)
    counts = rng.poisson(30, size=200)
    path = write("x,count\n" + "".join(f"{i},{c}\n" for i, c in enumerate(counts)))
    data = load_csv(path)
    assert data.info.task == "regression"
    assert any("--task classification" in n for n in data.info.notes)
    classes = load_csv(path, task="classification")
    assert classes.info.n_classes == len(np.unique(counts))


def test_few_whole_numbers_are_classes_with_a_note(write) -> None:
    rows = "".join(f"{i},{i % 3}\n" for i in range(30))
    data = load_csv(write("x,grade\n" + rows))
    assert data.info.class_names == ("0", "1", "2")
    assert any("--task regression" in n for n in data.info.notes)


# --------------------------------------------------------------------------- recipe


def _mixed_file(write) -> tuple[Path, np.ndarray, list[str]]:
    """A file with numeric holes and a categorical column, and its clean numbers."""
    rng = np.random.default_rng(1)
    a = rng.normal(size=50).round(3)
    colours = [["red", "green", "blue"][i % 3] for i in range(50)]
    lines = []
    for i in range(50):
        cell = "" if i in (4, 9, 20, 33, 41, 47) else repr(float(a[i]))
        colour = "?" if i == 12 else colours[i]
        lines.append(f"{cell},{colour},{i % 2}")
    return write("a,colour,y\n" + "\n".join(lines) + "\n"), a, colours


@pytest.mark.parametrize("policy", ["mean", "median", "mode"])
def test_fill_policies_match_numpy(write, policy) -> None:
    path, a, colours = _mixed_file(write)
    holes = [4, 9, 20, 33, 41, 47]
    present = np.delete(a, holes)
    values, counts = np.unique(present, return_counts=True)
    expected = {"mean": present.mean(), "median": np.median(present),
                "mode": values[np.argmax(counts)]}[policy]
    data = load_csv(path, missing=policy)
    column = data.x[:, data.info.feature_names.index("a")]
    np.testing.assert_allclose(column[holes], expected, rtol=1e-6)
    np.testing.assert_allclose(np.delete(column, holes), present, rtol=1e-6)
    colour = data.x[12, [data.info.feature_names.index(f"colour={c}")
                         for c in ("red", "green", "blue")]]
    top = max(set(colours), key=lambda c: sum(k == c for i, k in enumerate(colours) if i != 12))
    assert colour.tolist() == [float(c == top) for c in ("red", "green", "blue")]


def test_auto_policy_drops_few_and_reports(write) -> None:
    path, _, _ = _mixed_file(write)
    plan = inspect_file(path)
    assert plan.missing_policy == "median" and plan.n_kept == 50  # 7 of 50 > 10%
    rows = "".join(f"{i},{'' if i == 5 else i},{i % 2}\n" for i in range(40))
    plan = inspect_file(write("a,b,y\n" + rows, "few.csv"))
    assert plan.missing_policy == "drop" and plan.dropped_missing == 1
    assert "1 row with missing values dropped" in plan.summary


def test_categorical_cap_groups_rare_levels_into_other(write) -> None:
    levels = [f"L{k}" for k in range(12) for _ in range(12 - k)]
    rows = "".join(f"{lv},{i},{i % 2}\n" for i, lv in enumerate(levels))
    data = load_csv(write("kind,n,y\n" + rows), max_levels=4)
    names = [n for n in data.info.feature_names if n.startswith("kind=")]
    assert names == ["kind=L0", "kind=L1", "kind=L2", "kind=other"]
    other = data.x[:, data.info.feature_names.index("kind=other")]
    assert other.sum() == sum(lv not in ("L0", "L1", "L2") for lv in levels)
    assert any("grouped as 'other'" in n for n in data.info.notes)


def test_tied_levels_keep_the_order_they_first_appear_in(write) -> None:
    """The parser hands text columns over as categories sorted A-Z; ties in the one-hot
    order must still follow the file (zebra before apple here)."""
    rows = "".join(f"{('zebra', 'apple')[i % 2]},{i},{i % 3 == 0:d}\n" for i in range(60))
    data = load_csv(write("kind,n,y\n" + rows))
    assert [n for n in data.info.feature_names if n.startswith("kind=")] == \
        ["kind=zebra", "kind=apple"]
    np.testing.assert_array_equal(data.x[:4, 0], [1, 0, 1, 0])


def test_levels_seen_only_in_rows_without_a_target_get_no_column(write) -> None:
    path = write("a,b,t\nx,0.5,0\ny,1.5,1\nx,2.5,0\ny,3.5,1\nz,4.5,\nx,5.5,1\n")
    assert load_csv(path).info.feature_names == ("a=x", "a=y", "b")
    forced = load_csv(write("a,b,t\n1,0.5,0\n2,1.5,1\n1,2.5,0\n2,3.5,1\n7,4.5,\n",
                            "codes.csv"), kinds={"a": "categorical"})
    assert forced.info.feature_names == ("a=1", "a=2", "b")


def test_an_empty_column_made_categorical_misses_nothing(write) -> None:
    path = write("a,e,t\n" + "".join(f"{i},,{i % 2}\n" for i in range(60)))
    data = load_csv(path, kinds={"e": "categorical"}, missing="drop")
    assert data.info.feature_names == ("a",) and len(data.x) == 60
    assert not any("missing" in note for note in data.info.notes)


def test_integer_codes_read_as_categorical_on_request(write) -> None:
    rows = "".join(f"{i % 3 + 1},{i},{i % 2}\n" for i in range(30))
    data = load_csv(write("pclass,n,y\n" + rows), kinds={"pclass": "categorical"})
    block = data.x[:, [data.info.feature_names.index(f"pclass={k}") for k in (1, 2, 3)]]
    np.testing.assert_array_equal(block.argmax(axis=1) + 1, [i % 3 + 1 for i in range(30)])


def test_inputs_and_ignore_roles(write) -> None:
    path = write("a,b,c,y\n1,2,3,0\n4,5,6,1\n7,8,9,0\n")
    assert load_csv(path, roles={"b": "input", "*": "ignore"}).info.feature_names == ("b",)
    assert load_csv(path, roles={"'a'": "ignore"}).info.feature_names == ("b", "c")
    with pytest.raises(DataError, match="no input columns"):
        load_csv(path, roles={"*": "ignore"})
    with pytest.raises(DataError, match="no column named 'zz'"):
        load_csv(path, roles={"zz": "ignore"})


# --------------------------------------------------------------------------- formats


def test_xlsx_first_sheet(tmp_path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["height", "group", "label"])
    for i in range(12):
        sheet.append([1.5 * i, ["a", "b"][i % 2], ["no", "yes"][i % 3 == 0]])
    sheet.append([None, "a", None])
    path = tmp_path / "class.xlsx"
    book.save(path)
    data = load_file(path)
    assert_valid_dataset(data)
    np.testing.assert_array_equal(data.x[:, 0], [1.5 * i for i in range(12)])
    assert data.info.class_names == ("no", "yes")
    assert any("row 14" in n or "dropped 1 of 13" in n for n in data.info.notes)


def test_zipped_csv_and_two_files_in_a_zip(tmp_path) -> None:
    path = tmp_path / "data.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("inner.csv", "a,b,y\n1,2,0\n3,4,1\n")
    np.testing.assert_array_equal(load_file(path).x, [[1, 2], [3, 4]])
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("other.csv", "a\n")
    with pytest.raises(DataError, match="holds 2 files; put exactly one CSV"):
        load_file(path)


# --------------------------------------------------------------------------- large files


@pytest.mark.parametrize("how", ["chunks", "segments"])
def test_progress_is_reported_and_a_load_can_be_cancelled(write, monkeypatch, how) -> None:
    monkeypatch.setattr(table, "CHUNK_ROWS", 100)
    monkeypatch.setattr(table, "WHOLE_READ_BYTES", 0)
    monkeypatch.setattr(segments, "SEGMENT_BYTES", 1000)
    if how == "chunks":  # e.g. a file with bare \r line ends
        monkeypatch.setattr(segments, "can_split", lambda *args: False)
    rows = "".join(f"{i},{i * 0.5},{i % 2}\n" for i in range(1000))
    path = write("a,b,y\n" + rows)
    seen: list[float] = []
    data = load_csv(path, progress=seen.append)
    assert len(data.x) == 1000 and len(seen) >= 10
    assert seen == sorted(seen) and seen[-1] == 1.0
    np.testing.assert_array_equal(data.x[:, 0], np.arange(1000, dtype=np.float32))
    with pytest.raises(LoadCancelled, match="cancelled"):
        load_csv(path, cancel=lambda: True)


def _watched(path: Path, **options) -> object:
    return load_csv(path, progress=lambda fraction: None, **options)


def test_segments_give_what_one_whole_read_gives(write, monkeypatch) -> None:
    """Cut every ~300 bytes: categories that differ per segment are united, holes, a
    padded tail and a comment line read as in one call."""
    rng = np.random.default_rng(5)
    lines = [f"{v:.3f},{c},{'' if h else round(v * 3)},{y}" for v, c, h, y in zip(
        rng.normal(size=600), rng.choice(["red", "teal", "blue"], 600, p=[0.7, 0.2, 0.1]),
        rng.random(600) < 0.05, rng.integers(0, 3, 600), strict=True)]
    lines[400] = "# a comment"
    path = write("a,colour,b,y\n" + "\n".join(lines) + "\n5, violet, 1, 2\n")
    whole = load_csv(path, missing="mean", indicator=True)
    monkeypatch.setattr(table, "WHOLE_READ_BYTES", 0)
    monkeypatch.setattr(segments, "SEGMENT_BYTES", 300)
    cut = _watched(path, missing="mean", indicator=True)
    assert cut.info.feature_names == whole.info.feature_names
    assert "colour=violet" in cut.info.feature_names
    np.testing.assert_array_equal(cut.x, whole.x)
    np.testing.assert_array_equal(cut.y, whole.y)


def _cut_small(monkeypatch, segment_bytes: int = 60) -> None:
    monkeypatch.setattr(table, "WHOLE_READ_BYTES", 0)
    monkeypatch.setattr(segments, "SEGMENT_BYTES", segment_bytes)


def _same_import(a, b) -> None:
    assert a.info.feature_names == b.info.feature_names
    assert a.info.class_names == b.info.class_names and a.info.notes == b.info.notes
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)


def test_blank_and_comment_lines_at_a_cut_lose_no_rows(write, monkeypatch) -> None:
    lines = [f"{i},{2 * i},{i % 2}" for i in range(60)]
    for at in range(57, 0, -3):  # a cut every ~50 bytes lands on some of them
        lines.insert(at, "" if at % 2 else "# note")
    path = write("a,b,t\n" + "\n".join(lines) + "\n")
    whole = load_csv(path)
    _cut_small(monkeypatch, 50)
    cut = _watched(path)
    assert len(cut.x) == 60
    _same_import(cut, whole)


def test_a_category_column_empty_in_one_segment(write, monkeypatch) -> None:
    rows = [f"{i},{i % 2},{'xyz'[i % 3]}" for i in range(40)] + \
        [f"{i},{i % 2}," for i in range(40, 80)]
    path = write("a,t,c\n" + "\n".join(rows) + "\n")
    whole = load_csv(path, target="t")
    _cut_small(monkeypatch)
    _same_import(_watched(path, target="t"), whole)


@pytest.mark.parametrize("how", ["segments", "gzip chunks"])
def test_numbers_in_one_part_and_words_in_another_read_as_in_one_piece(write, monkeypatch,
                                                                       how) -> None:
    """Read in parts, a column of numbers then words would hold 1.0 beside "1"."""
    rows = [f"{i}," + ("" if i % 10 == 0 else f"{i % 3 + 1}.50") for i in range(60)] + \
        [f"{i},{'AB'[i % 2]}" for i in range(60, 120)]
    text = "a,c\n" + "\n".join(rows) + "\n"
    whole = load_csv(write(text), task="classification")
    assert whole.info.class_names == ("1.50", "2.50", "3.50", "A", "B")
    if how == "segments":
        _cut_small(monkeypatch, 200)
        cut = _watched(write(text), task="classification")
    else:
        monkeypatch.setattr(table, "CHUNK_ROWS", 25)
        cut = load_csv(write(gzip.compress(text.encode()), "data.csv.gz"),
                       task="classification")
    _same_import(cut, whole)


def test_a_utf16_file_is_not_cut_at_newline_bytes(write, monkeypatch) -> None:
    text = "a,b,t\n" + "".join(f"{i},{'éa'[i % 2]},{i % 2}\n" for i in range(60))
    path = write(text.encode("utf-16"))
    whole = load_csv(path, encoding="utf-16")
    _cut_small(monkeypatch)
    cut = _watched(path, encoding="utf-16")
    assert cut.info.feature_names == ("a", "b=é", "b=a")
    _same_import(cut, whole)


def test_a_quote_after_a_space_past_the_sample_is_not_kept(write) -> None:
    head = "".join(f"{i},{i % 7}.5,{('red', 'blue')[i % 2]},{i % 2}\n" for i in range(30_000))
    tail = "".join(f'{i}, "{i % 7}.5", "red",{i % 2}\n' for i in range(50))
    path = write("a,b,c,t\n" + head + tail)
    assert path.stat().st_size > table.SNIFF_BYTES
    data = load_csv(path)
    assert data.info.feature_names == ("a", "b", "c=red", "c=blue")
    np.testing.assert_array_equal(data.x[-3:, 1], [47 % 7 + 0.5, 48 % 7 + 0.5, 49 % 7 + 0.5])


def test_a_cut_inside_a_quoted_line_end_falls_back_to_chunks(write, monkeypatch) -> None:
    body = "".join(f'{i},"line one\nline two {i}",{i % 2}\n' for i in range(200))
    path = write("a,note,y\n" + body)
    whole = load_csv(path, roles={"note": "ignore"})
    monkeypatch.setattr(table, "WHOLE_READ_BYTES", 0)
    monkeypatch.setattr(segments, "SEGMENT_BYTES", 200)
    cut = _watched(path, roles={"note": "ignore"})
    assert len(cut.x) == 200
    np.testing.assert_array_equal(cut.x, whole.x)


def test_a_longer_row_below_a_cut_is_named_as_in_one_read(write, monkeypatch) -> None:
    body = "".join(f"{i},{i % 2}\n" for i in range(300)) + "7,1,9\n"
    path = write("a,y\n" + body)
    with pytest.raises(DataError) as whole:
        load_csv(path)
    monkeypatch.setattr(table, "WHOLE_READ_BYTES", 0)
    monkeypatch.setattr(segments, "SEGMENT_BYTES", 200)
    with pytest.raises(DataError) as cut:
        _watched(path)
    assert str(cut.value) == str(whole.value) and "line 302" in str(cut.value)


def test_a_file_read_in_one_piece_still_reports_its_end_and_honours_cancel(write) -> None:
    rows = "".join(f"{i},{i * 0.5},{i % 2}\n" for i in range(1000))
    path = write("a,b,y\n" + rows)
    seen: list[float] = []
    data = load_csv(path, progress=seen.append)
    assert seen == [1.0]
    np.testing.assert_array_equal(data.x[:, 0], np.arange(1000, dtype=np.float32))
    with pytest.raises(LoadCancelled, match="cancelled"):
        load_csv(path, cancel=lambda: True)


# --------------------------------------------------------------------------- the DataSpec recipe


def test_the_recipe_in_a_data_spec_round_trips_and_re_applies(write) -> None:
    path, _, _ = _mixed_file(write)
    spec = DataSpec("file", {"task": "classification", "max_levels": 5}, path=str(path),
                    target="y", roles={"colour": "ignore"}, missing="mean",
                    missing_indicator=True, fingerprint=file_fingerprint(path))
    again = data_from_dict(to_dict(spec))
    assert again == spec
    data = load_dataset(again)
    assert data.info.feature_names == ("a", "a missing")
    assert prepare(data, again).n_inputs == 2


def test_a_changed_or_moved_file_gets_a_clear_message(write, tmp_path) -> None:
    path = write("a,y\n1,0\n2,1\n3,0\n")
    spec = DataSpec("file", path=str(path), fingerprint=file_fingerprint(path))
    path.write_text("a,y\n1,0\n2,1\n3,1\n", encoding="utf-8")
    with pytest.raises(DataError, match="has changed since this project's import recipe"):
        load_dataset(spec)
    moved = dataclasses.replace(spec, path=str(tmp_path / "gone.csv"))
    with pytest.raises(DataError, match="moved, renamed or deleted"):
        load_dataset(moved)


def test_inspect_report_is_json_ready(write) -> None:
    import json

    path, _, _ = _mixed_file(write)
    report = inspect_file(path).to_dict()
    assert json.loads(json.dumps(report))["n_inputs"] == 4
    assert report["class_balance"] == {"0": 25, "1": 25}
    assert io.StringIO(report["summary"]).read().startswith("1 categorical column one-hot")


def test_a_table_recipe_on_an_npz_is_refused(tmp_path) -> None:
    path = tmp_path / "arrays.npz"
    np.savez(path, x=np.zeros((4, 2)), y=np.array([0, 1, 0, 1]))
    with pytest.raises(DataError, match="apply to tables"):
        load_file(path, recipe={"missing": "drop"})
