"""parse_data_arg: the CLI's --data value and its companion flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from nncore.data import BUILTIN, parse_data_arg
from nncore.errors import DataError


@pytest.mark.parametrize("name", list(BUILTIN))
def test_every_built_in_name_parses(name: str) -> None:
    spec = parse_data_arg(name)
    assert spec.source == name and dict(spec.options) == {} and spec.path is None


def test_options_are_typed_by_the_schema() -> None:
    spec = parse_data_arg("spirals:turns=3,noise=0.1,n=1000")
    assert dict(spec.options) == {"turns": 3.0, "noise": 0.1, "n": 1000}
    assert isinstance(spec.options["n"], int) and isinstance(spec.options["turns"], float)
    assert parse_data_arg("blobs: k = 4 , ").options == {"k": 4}
    assert parse_data_arg("Breast_Cancer").source == "breast-cancer"


def test_flags_fill_the_spec() -> None:
    spec = parse_data_arg("data/train.csv", target="label", normalize="minmax", val_split=0.1)
    assert (spec.source, spec.path, spec.target) == ("file", "data/train.csv", "label")
    assert (spec.normalize, spec.val_split) == ("minmax", 0.1)
    default = parse_data_arg("iris")
    assert (default.normalize, default.val_split) == ("auto", 0.2)


@pytest.mark.parametrize("text", ["train.csv", "x.TSV", "table.txt", "arrays.npz",
                                  "train-images-idx3-ubyte", "train-images.idx3-ubyte.gz",
                                  r"C:\data\set.csv", "./spirals", "~/d/mnist"])
def test_paths_are_recognised(text: str) -> None:
    spec = parse_data_arg(text)
    assert spec.source == "file" and spec.path == str(Path(text).expanduser())


def test_an_existing_file_without_a_known_ending_is_a_path(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("mydata").write_text("1,2,0\n")
    assert parse_data_arg("mydata").source == "file"
    Path("iris").write_text("1,2,0\n")
    assert parse_data_arg("iris").source == "iris"  # a built-in name wins


@pytest.mark.parametrize(("text", "kwargs", "message"), [
    ("", {}, "--data is empty"),
    ("spiralz", {}, "unknown data set 'spiralz'; the built-in sets are spirals, xor"),
    ("spirals:colour=red", {}, "unknown option 'colour'; valid options: n, noise, turns"),
    ("spirals:turns", {}, "option 'turns' must look like name=value"),
    ("spirals:n=lots", {}, "n must be a number, got 'lots'"),
    ("spirals:n=0", {}, "n must be between 10 and 1000000, got 0"),
    ("spirals:n=2.5", {}, "n must be a whole number"),
    ("iris:n=5", {}, "valid options: none"),
    ("iris", {"target": "species"}, "--target 'species' applies to files only"),
    ("iris", {"normalize": "zscore"}, "--normalize 'zscore' is unknown"),
    ("iris", {"val_split": 1.0}, "--val-split must be a fraction in [0, 1), got 1.0"),
])
def test_bad_arguments_explain_themselves(text: str, kwargs: dict, message: str) -> None:
    with pytest.raises(DataError) as err:
        parse_data_arg(text, **kwargs)
    assert message in str(err.value)
