"""The CLI's table import (issue 13): recipe flags, ``nncore inspect``, bad files, projects."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nncore.cli import main
from nncore.project import load_project

TABLES = Path(__file__).resolve().parents[1] / "data" / "tables"


@pytest.fixture
def table(tmp_path: Path) -> Path:
    """40 rows: a number with holes, a colour, an id, integer codes and a 0/1 target."""
    lines = ["id,size,colour,code,label"]
    for i in range(40):
        size = "NA" if i % 8 == 5 else f"{i * 0.25:.2f}"
        lines.append(f"{1000 + i},{size},{['red', 'blue'][i % 2]},{i % 3 + 1},{i % 2}")
    path = tmp_path / "table.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _train(tmp_path: Path, *args: str) -> dict:
    report = tmp_path / "report.json"
    code = main(["train", *args, "--hidden", "4", "--epochs", "2", "--quiet",
                 "--report", str(report)])
    assert code == 0
    return json.loads(report.read_text(encoding="utf-8"))


def test_inspect_prints_schema_roles_missing_balance_and_feature_count(table, capsys):
    assert main(["inspect", str(table), "--target", "label"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith("  ")
             and not line.strip().startswith(("column", "class"))}
    assert lines["id"][1:4] == ["identifier", "0", "ignore"]
    assert lines["size"][1:4] == ["numeric", "5", "input"]
    assert lines["colour"][1:4] == ["categorical", "0", "input"]
    assert "class balance: 0 20, 1 20" in out
    assert "1 categorical column one-hot → 4 inputs" in out


def test_inspect_json_with_recipe_flags(table, capsys):
    assert main(["inspect", str(table), "--json", "--categorical", "code", "--ignore",
                 "'colour'", "--missing", "mean"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["feature_names"] == ["size", "code=1", "code=2", "code=3"]
    assert report["missing_policy"] == "mean" and report["rows_used"] == 40
    assert {c["name"]: c["role"] for c in report["columns"]}["colour"] == "ignore"


def test_train_flags_become_the_data_spec_recipe(tmp_path, table):
    report = _train(tmp_path, "--data", str(table), "--target", "size", "--task", "regression",
                    "--inputs", "code,colour", "--categorical", "code", "--missing", "drop",
                    "--delimiter", ",", "--header", "--data-seed", "7")
    data = report["data"]
    assert data["roles"] == {"code": "input", "colour": "input", "*": "ignore"}
    assert data["kinds"] == {"code": "categorical"} and data["missing"] == "drop"
    assert data["options"] == {"task": "regression", "delimiter": ",", "header": True}
    assert data["seed"] == 7 and data["fingerprint"]
    assert {"train_r2", "val_r2"} <= set(report["final"])


def test_no_header_flag(tmp_path):
    path = tmp_path / "numbers.csv"
    path.write_text("".join(f"{i},{i % 2}\n" for i in range(30)), encoding="utf-8")
    report = _train(tmp_path, "--data", str(path), "--no-header")
    assert report["data"]["options"] == {"header": False}


@pytest.mark.parametrize(("args", "fragment"), [
    (["train", "--data", "spirals", "--task", "regression"],
     "--task applies to your own files"),
    (["inspect", "missing.csv"], "missing.csv: no such file"),
    (["inspect", "{bad}", "--target", "nope"], "no target column named 'nope'"),
    (["inspect", "{ragged}"], "line 3 has 4 fields but the rows above have 3"),
    (["inspect", "{bad}", "--categorical", "zz"], "no column named 'zz'"),
])
def test_bad_input_is_one_line_and_exit_two(tmp_path, args, fragment, capsys):
    (tmp_path / "bad.csv").write_text("a,b,y\n1,2,0\n3,4,1\n", encoding="utf-8")
    (tmp_path / "ragged.csv").write_text("a,b,y\n1,2,0\n3,4,1,9\n", encoding="utf-8")
    args = [a.format(bad=tmp_path / "bad.csv", ragged=tmp_path / "ragged.csv") for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_a_saved_project_notices_its_file_changed(tmp_path, table, capsys):
    project = tmp_path / "p.bplab"
    assert main(["train", "--data", str(table), "--hidden", "4", "--epochs", "1", "--quiet",
                 "-o", str(project)]) == 0
    assert load_project(project).data.fingerprint
    table.write_text(table.read_text(encoding="utf-8") + "2000,1.0,red,1,0\n",
                     encoding="utf-8")
    assert main(["train", str(project), "--epochs", "1", "--quiet"]) == 2
    assert "has changed since this project's import recipe" in capsys.readouterr().err


def test_a_real_file_end_to_end_in_a_subprocess():
    penguins = str(TABLES / "penguins.csv")
    done = subprocess.run([sys.executable, "-m", "nncore", "inspect", penguins, "--target",
                           "species"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "dropped 11 of 344 rows with a missing value" in done.stdout
