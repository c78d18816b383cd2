"""``nncore explain``: one training step of backprop, number by number (``docs/cli.md``).

For teachers who print worked examples: build the session from the train flags, train
``--steps-before`` ordinary steps, then explain the next step on ``--rows`` of the training
set in float64 (``nncore.explain``): prints the weight in focus's chain and update, and
writes everything with ``--json``. Registered in ``nncore.cli`` by two lines.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from nncore.explain import MAX_ROWS, StepExplanation, WeightRef, explain_step

HELP = "explain one training step of backprop, number by number (float64)"


def add_flags(p: argparse.ArgumentParser) -> None:
    """The flags of ``explain`` besides the train flags."""
    p.add_argument("--steps-before", type=int, default=0, metavar="N",
                   help="ordinary training steps before the explained one")
    p.add_argument("--rows", default="0", metavar="I,J,...",
                   help=f"training-set rows of the explained batch (at most {MAX_ROWS})")
    p.add_argument("--weight", metavar="LAYER:ROW:COL",
                   help="the weight in focus, e.g. dense-2:3:0 (default: the output "
                        "layer's W[0,0])")
    p.add_argument("--ablate", action="append", default=None, metavar="LAYER:UNIT",
                   help="hold a unit's output at 0 (repeatable)")
    p.add_argument("--json", metavar="FILE.json", help="write the whole step as JSON")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing")


def run(args: argparse.Namespace) -> int:
    """The ``explain`` command: 0 on success, 1 if training went non-finite, 2 bad input."""
    from nncore.cli import EXIT_FAILED, EXIT_OK, UsageError, _int_list, _write_json, make_session

    rows = _int_list(args.rows, "--rows")
    if not rows:
        raise UsageError("--rows needs at least one row number, e.g. --rows 0")
    if args.steps_before < 0:
        raise UsageError(f"--steps-before must be 0 or more, got {args.steps_before}")
    weight = WeightRef.parse(args.weight) if args.weight else None
    session = make_session(args)
    if args.ablate:
        session.set_ablated(_ablations(args.ablate))
    if not _train(session, args.steps_before):
        print(f"nncore: {session.trainer.message}", flush=True)
        return EXIT_FAILED
    explanation = explain_step(session, rows, weight)
    if not args.quiet:
        print(summary(explanation, args.steps_before))
    if args.json:
        _write_json(args.json, explanation.to_dict())
    return EXIT_OK


def _ablations(items: list[str]) -> dict[str, tuple[int, ...]]:
    from nncore.cli import UsageError

    units: dict[str, list[int]] = {}
    for item in items:
        layer, _, unit = item.rpartition(":")
        if not layer or not unit.strip().isdigit():
            raise UsageError(f"--ablate expects LAYER:UNIT, e.g. dense-1:3; got {item!r}")
        units.setdefault(layer, []).append(int(unit))
    return {layer: tuple(sorted(set(u))) for layer, u in units.items()}


def _train(session, steps: int) -> bool:
    """``steps`` ordinary steps (continuing past the planned epochs); False if the loss
    went non-finite."""
    from nncore.training import StopReason

    trainer = session.trainer
    for _ in range(steps):
        if trainer.finished and trainer.stop_reason is not StopReason.NON_FINITE:
            trainer.resume(extra_epochs=1)
        trainer.train_step()
        if trainer.stop_reason is StopReason.NON_FINITE:
            return False
    return True


def summary(e: StepExplanation, steps_before: int) -> str:
    """A worked example in plain text: the loss, the weight's chain, its check and update."""
    lines = [f"step {steps_before + 1} on rows {', '.join(map(str, e.rows))}: "
             f"loss {e.loss.name} = {e.loss.value:.6g}   ({e.loss.formula})"]
    w = e.weight
    if w is not None:
        lines.append(f"weight {w.layer}:{w.row}:{w.col} = {w.value:.6g}  (from "
                     f"{w.source} unit {w.row} to {w.layer} unit {w.col})")
        lines.append(f"  {w.formula}")
        for term in w.chain:
            factors = " × ".join(f"{f.symbol} {f.value:.6g}" for f in term.factors)
            lines.append(f"  {factors} = {term.product:.6g}")
        lines.append(f"  ∂L/∂w = {w.grad:.8g};  finite difference (ε = {w.epsilon:g}) "
                     f"{w.finite_difference:.8g};  relative error {w.relative_error:.2e}")
    u = e.update
    if u is not None:
        terms = ", ".join(f"{t.symbol} = {t.value:.6g}" for t in u.terms)
        lines.append(f"update ({u.rule}, t = {u.step}): {u.formula}")
        lines.append(f"  {terms}")
        lines.append(f"  w: {u.value_before:.8g} → {u.value_after:.8g}")
    if e.bug is not None:
        first = e.bug.first
        lines.append("bug " + ", ".join(e.bug.bugs) + ": " + (
            "no number differs in this step" if first is None else
            f"first wrong number: {first.stage} {first.layer or ''} {first.quantity} "
            f"(off by up to {first.max_abs_difference:.3g})"))
    return "\n".join(lines)


def load_json(path: str | Path) -> dict:
    """Read a file ``nncore explain --json`` wrote (for scripts and tests)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
