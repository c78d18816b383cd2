"""CSV files: layouts that load, and every malformed case with its message."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from nncore.data import csvlayout, limits, load_csv, load_file, table
from nncore.errors import DataError

from .samples import assert_valid_dataset


@pytest.fixture
def write(tmp_path: Path):
    """Write text (or bytes) to a file in the test folder and return its path."""

    def make(text: str | bytes, name: str = "data.csv") -> Path:
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", newline="")
        return path

    return make


# --------------------------------------------------------------------------- happy paths


def test_header_and_string_labels(write) -> None:
    data = load_csv(write("width,height,kind\n1,2,dog\n3,4,cat\n5,6.5,dog\n"))
    assert_valid_dataset(data)
    np.testing.assert_array_equal(data.x, [[1, 2], [3, 4], [5, 6.5]])
    assert data.info.class_names == ("cat", "dog")  # sorted
    assert data.y.tolist() == [1, 0, 1] and data.info.feature_names == ("width", "height")
    assert data.info.name == "data.csv" and data.info.recommended_normalize == "standard"


def test_no_header_is_detected(write) -> None:
    data = load_csv(write("1,2,dog\n3,4,cat\n"))  # not mistaken for a UCI "n,d,name" line
    assert len(data.x) == 2 and data.info.feature_names == ("column 1", "column 2")
    assert data.info.class_names == ("cat", "dog")


def test_integer_labels_are_classes_renumbered_in_order(write) -> None:
    rows = "".join(f"0.{i},{[3, 1, 2, 3][i % 4]}\n" for i in range(16))  # 5+ rows per class
    data = load_csv(write("a,b\n" + rows))
    assert data.info.task == "multiclass" and data.info.class_names == ("1", "2", "3")
    assert data.y.tolist()[:4] == [2, 0, 1, 2]


def test_float_targets_are_regression(write) -> None:
    data = load_csv(write("x,y\n0,0.0\n1,1.5\n2,4.0\n"))
    assert data.info.task == "regression" and data.y.dtype == np.float32
    np.testing.assert_array_equal(data.y, [[0.0], [1.5], [4.0]])
    assert data.info.domain is not None


def test_task_overrides_the_guess(write) -> None:
    path = write("x,y\n0,1\n1,2\n2,3\n")
    assert load_csv(path, task="regression").y.tolist() == [[1.0], [2.0], [3.0]]
    assert load_csv(path, task="classification").info.n_classes == 3


def test_many_distinct_integers_are_read_as_regression(write) -> None:
    rows = "".join(f"{i},{i * 7}\n" for i in range(150))
    assert load_csv(write("x,price\n" + rows)).info.task == "regression"


@pytest.mark.parametrize(("target", "labels"), [("a", [1.0, 3.0]), (0, [1.0, 3.0]),
                                                ("0", [1.0, 3.0]), (-2, [2.0, 4.0]),
                                                ("B", [2.0, 4.0])])
def test_target_by_name_or_0_based_index(write, target, labels) -> None:
    data = load_csv(write("a,b,c\n1,2,5\n3,4,6\n"), target=target, task="regression")
    np.testing.assert_array_equal(data.y[:, 0], labels)
    assert data.x.shape == (2, 2)


@pytest.mark.parametrize(("text", "name"), [
    ("a;b;y\n1,5;2;0\n3;4,25;1\n", "semicolon.csv"),
    ("a\tb\ty\n1.5\t2\t0\n3\t4.25\t1\n", "tabs.tsv"),
    ("a,b,y\n1.5,2,0\n3,4.25,1\n", "commas.txt"),
])
def test_delimiters_are_sniffed_with_decimal_commas(write, text, name) -> None:
    data = load_file(write(text, name))
    np.testing.assert_array_equal(data.x, [[1.5, 2], [3, 4.25]])


def test_delimiter_and_header_can_be_forced(write) -> None:
    path = write("1;2;0\n3;4;1\n5;6;0\n")
    data = load_csv(path, delimiter=";", header=True)
    assert len(data.x) == 2 and data.info.feature_names == ("1", "2")
    assert load_file(path, options={"delimiter": "semicolon"}).x.shape == (3, 2)


def test_quotes_bom_comments_blank_lines_and_crlf(write) -> None:
    text = '\ufeff# measured in May\r\n"a","b","my label"\r\n\r\n1,2,"x, y"\r\n3,4,z\r\n'
    data = load_csv(write(text))
    assert data.info.class_names == ("x, y", "z") and data.info.feature_names == ("a", "b")


def test_latin1_text_is_accepted(write) -> None:
    data = load_csv(write("a,b,y\n1,2,caf\xe9\n3,4,th\xe9\n".encode("latin-1")))
    assert data.info.class_names == ("café", "thé")


def test_gzip_compressed_csv(write) -> None:
    data = load_file(write(gzip.compress(b"a,b,y\n1,2,0\n3,4,1\n"), "data.csv.gz"))
    assert data.x.shape == (2, 2)


def test_uci_header_layout(write) -> None:
    data = load_csv(write("3,2,no,yes\n1,2,0\n3,4,1\n5,6,1\n"))
    assert data.info.class_names == ("no", "yes") and data.y.tolist() == [0, 1, 1]
    assert data.x.shape == (3, 2)


def test_a_large_file_is_read_in_chunks(write, monkeypatch) -> None:
    monkeypatch.setattr(table, "CHUNK_ROWS", 7)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 3)).astype(np.float32)
    rows = "".join(f"{a!r},{b!r},{c!r},{i % 2}\n" for (a, b, c), i in
                   zip(x.tolist(), range(500), strict=True))
    data = load_csv(write(rows))
    np.testing.assert_array_equal(data.x, x)
    assert data.y.tolist() == [i % 2 for i in range(500)]


# --------------------------------------------------------------------------- malformed


@pytest.mark.parametrize(("text", "message"), [
    ("1,2,0\n3,4,1\n5,6,7,8\n", "line 3 has 4 fields but the rows above have 3"),
    ("a,b,y\n1,2,0\n\n# note\n1,inf,1\n", "line 5, column 2 ('b'): an infinite value is not"),
    ("a,b,y\n1,2,0\n1e39,3,1\n", "1e+39 (too large for float32) is not a finite float32"),
    ("a,b,y\n1,2,\n3,4,1\n5,6,1\n", "the target column 'y' has a single class (1)"),
    ("a,b,y\n1,2,0\n3,4,0\n", "the target column 'y' has a single class (0)"),
    ("a,b,y\n1,2,5\n3,4,inf\n", "line 3: the target column 'y' holds an infinite value"),
    ("a,b,y\n1,2,0\n3,4,0\n", "the target column 'y' has a single class (0)"),
    ("a,b,y\n", "has a header but no data rows"),
    ("\n\n# only a comment\n", "holds no data"),
    ("1\n2\n3\n", "found a single column"),
    ("4,2,no,yes\n1,2,0\n3,4,1\n5,6,1\n", "announces 4 rows but the file holds 3"),
    ("3,2,no,yes\n1,2,0\n3,4,5\n5,6,1\n", "class numbers 0 to 1"),
    ("a,b,c\x00d\n1,2,3\n", "line 1 holds NUL bytes; this looks like a binary file"),
])
def test_malformed_csv_names_the_file_line_and_problem(write, text, message) -> None:
    path = write(text)
    with pytest.raises(DataError) as err:
        load_file(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_a_word_in_a_column_forced_numeric_names_the_cell(write) -> None:
    path = write("a,b,y\n1,2,0\n\n# note\n3,x,1\n4,5,1\n")
    with pytest.raises(DataError, match=r"line 5, column 2 \('b'\): 'x' is not a number"):
        load_csv(path, kinds={"b": "numeric"})


def test_regression_task_on_text_targets(write) -> None:
    with pytest.raises(DataError, match=r"line 2: 'cat' .* regression needs numeric"):
        load_csv(write("a,y\n1,cat\n2,dog\n"), task="regression")


def test_an_id_column_as_target_is_refused(write) -> None:
    rows = "".join(f"{i},id{i}\n" for i in range(1200))
    with pytest.raises(DataError, match="1200 different values, too many to be class labels"):
        load_csv(write("x,name\n" + rows))


def test_empty_file(write) -> None:
    with pytest.raises(DataError, match="the file is empty"):
        load_file(write(""))


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        load_file(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="not a regular file"):
        load_file(tmp_path)


@pytest.mark.parametrize(("target", "message"), [("colour", "no target column named 'colour'; the "
                                                  "columns are a, b, y"),
                                                 (3, "out of range; the file has 3 columns"),
                                                 (-4, "out of range")])
def test_unknown_target_lists_the_columns(write, target, message) -> None:
    with pytest.raises(DataError, match=message):
        load_csv(write("a,b,y\n1,2,0\n3,4,1\n"), target=target)


@pytest.mark.parametrize(("options", "message"), [({"delimiter": "@"}, "unknown delimiter"),
                                                  ({"task": "guess"}, "unknown task"),
                                                  ({"header": "maybe"}, "header must be"),
                                                  ({"colour": 1}, "unknown option 'colour'")])
def test_bad_csv_options(write, options, message) -> None:
    with pytest.raises(DataError, match=message):
        load_file(write("a,b,y\n1,2,0\n3,4,1\n"), options=options)


def test_a_table_too_large_for_memory_is_refused_before_reading(write, monkeypatch) -> None:
    monkeypatch.setattr(limits, "memory_limit", lambda: 100)
    with pytest.raises(DataError, match=r"would need .* more than the 100 bytes limit"):
        load_csv(write("a,b,y\n" + "1,2,0\n3,4,1\n" * 20))


def test_a_gzip_bomb_is_stopped_while_reading(write, monkeypatch) -> None:
    monkeypatch.setattr(table, "CHUNK_ROWS", 64)
    monkeypatch.setattr(table, "memory_limit", lambda: 2000)
    with pytest.raises(DataError, match="more than the"):
        load_csv(write(gzip.compress(b"1,2,0\n3,4,1\n" * 1000), "big.csv.gz"))


def test_an_endless_line_is_refused(write, monkeypatch) -> None:
    monkeypatch.setattr(csvlayout, "MAX_LINE_CHARS", 50)
    with pytest.raises(DataError, match="line 2 is longer than 50 characters"):
        load_csv(write("a,b,y\n" + "1," * 40 + "\n"))


def test_a_truncated_gzip_csv(write) -> None:
    data = gzip.compress(b"a,b,y\n" + b"1,2,0\n3,4,1\n" * 500)
    with pytest.raises(DataError, match="compressed file is damaged or truncated"):
        load_file(write(data[: len(data) // 2], "data.csv.gz"))
