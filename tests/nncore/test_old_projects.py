"""Files saved by an earlier release open in this one, as they were.

``tests/data/old_projects/spirals-v0.1.bplab`` was written by Backprop Lab 0.1.0
(schema version 1) with ``nncore train --data spirals --hidden 8,8 --activation tanh
--optimizer adam --lr 0.02 --epochs 20 --seed 3 -o …``; that run's report gave the final
scores below. Re-evaluating the saved weights with today's engine must give them back.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from nncore.project import load_project
from nncore.session import session_from_project
from nncore.spec import SCHEMA_VERSION, migrate

OLD = Path(__file__).resolve().parent.parent / "data" / "old_projects" / "spirals-v0.1.bplab"
# The 0.1.0 run's own report (final epoch).
V01_FINAL = {"train_loss": 0.5325479888916016, "val_loss": 0.6021178817749023,
             "train_accuracy": 0.7, "val_accuracy": 0.635}


def test_the_old_file_really_is_version_1():
    with zipfile.ZipFile(OLD) as archive:
        document = json.loads(archive.read("project.json"))
    assert document["schema_version"] == 1 and document["app_version"] == "0.1.0"
    assert SCHEMA_VERSION > 1
    assert migrate(document)["schema_version"] == SCHEMA_VERSION


def test_a_version_1_project_reopens_with_its_weights_and_scores():
    project = load_project(OLD)
    assert len(project.history) == 20
    session = session_from_project(project)
    assert session.trainer.epoch == 20
    record = session.trainer.evaluate_epoch()
    assert record.val_loss == pytest.approx(V01_FINAL["val_loss"], rel=1e-5)
    assert record.val_metric == pytest.approx(V01_FINAL["val_accuracy"], abs=1e-9)
    assert project.history.to_arrays()["val_loss"][-1] == pytest.approx(
        V01_FINAL["val_loss"], rel=1e-9)


def test_a_future_version_is_refused_with_update_advice(tmp_path):
    from nncore.errors import NNCoreError

    with zipfile.ZipFile(OLD) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    document = json.loads(members["project.json"])
    document["schema_version"] = SCHEMA_VERSION + 1
    members["project.json"] = json.dumps(document).encode()
    newer = tmp_path / "newer.bplab"
    with zipfile.ZipFile(newer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(NNCoreError, match="update Backprop Lab"):
        load_project(newer)
