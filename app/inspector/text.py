"""The inspector's worked-example text: an explanation's numbers written out as HTML.

Only formatting: every number printed here was computed by ``nncore.explain``.
"""

from __future__ import annotations

import html

from app.inspector.arrays import number
from nncore.explain import StepExplanation, UpdateStep, WeightFocus

MAX_TERMS = 6
"""Sum terms written out before "+ …"."""


def _n(value: float) -> str:
    text = number(value)
    return f"({text})" if text.startswith("−") else text


def _esc(text: str) -> str:
    return html.escape(text)


def weight_html(e: StepExplanation) -> str:
    """The weight in focus: where it sits, its chain with numbers, the path back to the
    loss, and the finite-difference check."""
    w = e.weight
    if w is None:
        return "<i>Click a link in the drawing or a cell to put a weight in focus.</i>"
    source = "input" if w.source == "input" else f"{w.source} unit"
    parts = [f"<b>w = W<sub>{_esc(w.layer)}</sub>[{w.row},{w.col}] = {number(w.value)}</b>"
             f" &nbsp;from {source} {w.row} to {_esc(w.layer)} unit {w.col}",
             f"<span style='color:#555'>{_esc(w.formula)}</span>"]
    parts.append(_chain_html(w))
    parts += _path_html(e, w)
    ok = w.relative_error < 1e-5
    verdict = ("<span style='color:#1b7f3b'>✓ agree</span>" if ok else
               "<span style='color:#c0392b'><b>✗ disagree: backprop is wrong here</b></span>")
    parts.append(
        f"<b>Check:</b> backprop ∂L/∂w = {w.grad:.6g}; finite difference "
        f"(L(w+ε) − L(w−ε)) / 2ε with ε = {w.epsilon:g}: {w.finite_difference:.6g}; "
        f"relative error {w.relative_error:.1e} {verdict}")
    return "<br>".join(parts)


def _chain_html(w: WeightFocus) -> str:
    lines = []
    for term in w.chain:
        symbols = " · ".join(_esc(f.symbol) for f in term.factors)
        values = " × ".join(_n(f.value) for f in term.factors)
        who = f"row {term.row}: " if term.row is not None else "penalty: "
        lines.append(f"{who}{symbols} = {values} = <b>{number(term.product)}</b>")
    total = f"∂L/∂w = Σ = <b>{number(w.grad)}</b>" if len(w.chain) > 1 else ""
    return "<br>".join(lines + ([total] if total else []))


def _path_html(e: StepExplanation, w: WeightFocus) -> list[str]:
    """How ∂L/∂a of the weight's unit comes back from the loss, layer by layer."""
    lines = []
    if w.upstream_layer is not None and w.upstream:
        terms = w.upstream[0]
        shown = " + ".join(f"{_n(u.weight)}×{_n(u.delta)}" for u in terms[:MAX_TERMS])
        more = " + …" if len(terms) > MAX_TERMS else ""
        grad_a = e.layer(w.layer).grad_a
        total = "" if grad_a is None else f" = <b>{number(float(grad_a[0, w.col]))}</b>"
        lines.append(f"<b>where</b> ∂L/∂a[0,{w.col}] = Σ<sub>k</sub> "
                     f"W<sub>{_esc(w.upstream_layer)}</sub>[{w.col},k] · "
                     f"δ<sub>{_esc(w.upstream_layer)}</sub>[0,k] = {shown}{more}{total}")
    for layer_id in w.downstream:
        record = e.layer(layer_id)
        if record.delta is None or record.kind != "dense":
            continue
        deltas = ", ".join(number(float(v)) for v in record.delta[0, :MAX_TERMS])
        more = ", …" if record.delta.shape[1] > MAX_TERMS else ""
        rule = f"({record.backward_formula.split(';')[0]})"
        if record is e.layers[-1] and e.loss.fused:
            p = ", ".join(number(float(v)) for v in e.loss.prediction[0, :MAX_TERMS])
            y = ", ".join(number(float(v)) for v in e.loss.target[0, :MAX_TERMS])
            count = f"N = {e.loss.target.size}" if e.loss.fused == "sigmoid" else \
                f"n = {len(e.rows)}"
            rule = f"= (p − y)/{count[0]} with p = [{p}{more}], y = [{y}{more}], {count}"
        lines.append(f"<b>and</b> δ<sub>{_esc(layer_id)}</sub>[0] = [{deltas}{more}] "
                     f"<span style='color:#555'>{_esc(rule)}</span>")
    if e.loss.fused and w.downstream:
        lines.append(f"<span style='color:#555'>{_esc(e.loss.note)}</span>")
    return lines


def update_html(u: UpdateStep | None) -> str:
    """The optimizer's rule, its intermediates and the new value."""
    if u is None:
        return ""
    rows = "<br>".join(f"<b>{_esc(t.symbol)} = {t.value:.6g}</b> &nbsp;"
                       f"<span style='color:#555'>{_esc(t.formula)}</span>" for t in u.terms)
    return (f"<b>{_esc(u.rule)}</b>, step t = {u.step}: "
            f"<span style='color:#555'>{_esc(u.formula)}</span><br>{rows}<br>"
            f"<b>w: {u.value_before:.6g} → {u.value_after:.6g}</b>")


def loss_html(e: StepExplanation) -> str:
    """The loss line: its name, value and formula."""
    loss = e.loss
    penalty = f" (data {loss.data_loss:.5g} + penalty {loss.penalty:.3g})" if loss.penalty \
        else ""
    return (f"<b>L = {loss.value:.6g}</b>{penalty} &nbsp;{_esc(loss.name)}: "
            f"<span style='color:#555'>{_esc(loss.formula)}</span>")


def bug_html(e: StepExplanation) -> str:
    """Which number the bug gets wrong first, and where the error goes next."""
    bug = e.bug
    if bug is None:
        return ("<i>Pick a classic bug to see, beside the correct step, the first number "
                "it gets wrong and how the error spreads.</i>")
    text = bug.descriptions[0]
    head = (f"<b>{_esc(text['title'])}</b><br>wrong: {_esc(text['wrong'])}<br>"
            f"right: {_esc(text['right'])}")
    first = bug.first
    if first is None:
        return head + ("<br><b>No number differs in this step</b> (this bug does not touch "
                       "this network, or shows only in later steps).")
    where = f"{first.stage} · {first.layer + ' · ' if first.layer else ''}{first.quantity}"
    spread = ", ".join(f"{d.quantity} {d.layer or ''}".strip() for d in bug.differences[1:8])
    more = ", …" if len(bug.differences) > 8 else ""
    return (head + f"<br><b style='color:#c0392b'>First wrong number: {_esc(where)}</b> "
            f"(off by up to {first.max_abs_difference:.3g})"
            + (f"<br>then: {_esc(spread)}{more}" if spread else ""))


def bug_summary_html(e: StepExplanation) -> str:
    """One line for the top bar: where the bug first shows (empty without a bug)."""
    if e.bug is None:
        return ""
    first = e.bug.first
    if first is None:
        return " &nbsp;<b>bug: no number differs in this step</b>"
    where = f"{first.stage} · {first.layer + ' · ' if first.layer else ''}{first.quantity}"
    return f" &nbsp;<b style='color:#c0392b'>bug: first wrong number {_esc(where)} ✗</b>"
