"""The doctor against the catalogues of why networks fail (``bench/doctor_catalogue.py``).

Every broken set-up must get (at least) the cause it is known for; every correct set-up
must get no warning at all; every fix offered (for the named cause or any other open
finding), applied to the specs, must make a fresh network train: its training score then
reaches what the data allows (judged against the k-NN / straight-line yardsticks, measured
independently of the run), and the finding is no longer reported.
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from bench.doctor_catalogue import Case, broken_cases, correct_cases, judge, run
from nncore.doctor import examine_session
from nncore.doctor.reference import reference_for

BROKEN = broken_cases()
CORRECT = correct_cases()


def _param(case: Case):
    return pytest.param(case, id=case.name, marks=[pytest.mark.slow] if case.slow else [])


def test_the_catalogue_is_as_large_as_the_issue_asks():
    assert len(BROKEN) >= 30 and len(CORRECT) >= 30
    from nncore.data import BUILTIN

    covered = {case.data.source for case in CORRECT}
    assert set(BUILTIN) <= covered


@pytest.mark.parametrize("case", [_param(c) for c in BROKEN])
def test_the_doctor_names_the_cause_of_a_broken_setup(case: Case):
    findings = case.examine()
    ok, codes = judge(case, findings)
    assert ok, f"{case.name}: expected one of {case.expect}, got {codes}"


@pytest.mark.parametrize("case", [_param(c) for c in CORRECT])
def test_a_correct_setup_gets_no_warning(case: Case):
    findings = case.examine()
    assert [f"{f.code}: {f.message}" for f in findings if f.is_open] == []


def _train(case: Case, network, training, data, epochs: int):
    session = case.session(network, dataclasses.replace(training, epochs=epochs), data)
    session.trainer.run()
    return session


@pytest.mark.parametrize("case", [_param(c) for c in BROKEN])
def test_every_fix_offered_makes_the_network_train(case: Case):
    findings = [f for f in case.examine() if f.is_open]
    named = [f for f in findings if f.code in case.expect]
    if not any(f.fix is not None for f in named):
        assert named and all(f.code in NO_FIX for f in named), \
            f"{case.name}: {[f.code for f in named]} offer no fix"
    for finding in findings:
        if finding.fix is not None:
            _assert_the_fix_trains(case, finding)


def _assert_the_fix_trains(case: Case, finding) -> None:
    network, training, data = finding.fix.apply(case.network, case.training, case.data)
    epochs = FIX_EPOCHS.get(case.name, 150)
    session = _train(case, network, training, data, epochs)  # a fresh network: the reset
    records = session.trainer.history.records
    ref = reference_for(session.splits)
    bar = min(0.9, ref.attainable - 0.05) if math.isfinite(ref.attainable) else 0.9
    best = max(r.train_metric for r in records)
    assert best >= bar, f"{case.name}: after '{finding.fix.description}' the training " \
        f"score reached only {best:.3g} (attainable {ref.attainable:.3g})"
    after = examine_session(session)
    assert finding.code not in {f.code for f in after if f.is_open}, \
        f"{case.name}: '{finding.fix.description}' left {finding.code}"


NO_FIX = {"labels-unlearnable", "constant-inputs", "redundant-features",
          "class-labels-as-regression"}
"""Causes no change of the specs can cure: the data itself must be mended (the finding
says how)."""

FIX_EPOCHS = {"tanh network fits y = x² with a straight line": 300,
              "batch size 1 with a mini-batch lr": 40,
              "no hidden layer on the spirals": 300,
              "a one-unit bottleneck": 300,
              "deep ReLU net exploding from its init scale": 100}


def test_the_script_counts_detections_and_false_alarms():
    result = run(cases=[BROKEN[0], BROKEN[1], CORRECT[0]])
    assert (result["broken"], result["detected"], result["correct"],
            result["false_alarms"]) == (2, 2, 1, 0)
    assert result["detection_rate"] == 1.0 and result["misses"] == []
