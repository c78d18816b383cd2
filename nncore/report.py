"""A printable run report: one self-contained HTML file for a student's lab notebook.

``run_report(session, findings)`` returns HTML with the run's summary, its curves (loss
and accuracy or R², as embedded PNG images drawn by ``nncore.png``), what the network
learned (a decision map for 2-D classification, the fitted curve for 1-D regression), the
design, the settings, the doctor's findings and, for an assignment, the goals' status.
No display, Qt or plotting library is needed, so ``nncore report`` works on a server.
"""

from __future__ import annotations

import base64
import datetime
import math
from collections.abc import Sequence
from html import escape
from typing import Any

import numpy as np

from nncore import __version__
from nncore.png import SERIES, Canvas, Chart
from nncore.spec import DenseSpec, DropoutSpec, to_dict

CLASS_COLORS = np.array([(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40),
                         (148, 103, 189), (140, 86, 75), (227, 119, 194), (127, 127, 127),
                         (188, 189, 34), (23, 190, 207)], dtype=float)

CSS = """
body { font-family: sans-serif; max-width: 60em; margin: 2em auto; color: #222; }
h1 { margin-bottom: 0; } .sub { color: #666; margin-top: 0.2em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } figure { margin: 0.5em 0 1em; page-break-inside: avoid; }
figcaption { color: #555; font-size: 90%; } .key { display: inline-block; width: 1em;
height: 0.6em; margin: 0 0.3em 0 0.8em; } .problem { color: #b00020; }
.warning { color: #a65e00; } .info { color: #555; } .met { color: #1b7f3b; }
section { page-break-inside: avoid; }
@media print { body { margin: 0; max-width: none; } }
"""


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}">'


def _key(color: tuple[int, int, int], label: str) -> str:
    return (f'<span class="key" style="background: rgb{color}"></span>{escape(label)}')


def _finite(values: np.ndarray) -> np.ndarray:
    return values[np.isfinite(values)]


def curve_charts(history) -> list[str]:
    """The loss chart and the metric chart as HTML figures (empty without history)."""
    if history is None or not len(history):
        return []
    epochs = history.column("epoch")
    figures = []
    losses = [history.column("train_loss"), history.column("val_loss")]
    known = np.concatenate([_finite(v) for v in losses])
    if known.size:
        positive = known[known > 0]
        log_y = positive.size == known.size and positive.max() / positive.min() > 30
        chart = Chart((float(epochs.min()), float(epochs.max())),
                      (float(known.min()), float(known.max())), log_y=log_y)
        for values, color in zip(losses, SERIES):
            chart.line(epochs, values, color)
        figures.append(_figure(chart.canvas.png(), "loss per epoch" +
                               (" (logarithmic scale)" if log_y else ""),
                               [(SERIES[0], "training"), (SERIES[1], "validation")]))
    metrics = [history.column("train_metric"), history.column("val_metric")]
    known = np.concatenate([_finite(v) for v in metrics])
    if known.size:
        name = "accuracy" if history.metric_name == "accuracy" else "R²"
        low = 0.0 if name == "accuracy" else max(-1.0, float(known.min()))
        chart = Chart((float(epochs.min()), float(epochs.max())), (min(low, 0.0), 1.0))
        for values, color in zip(metrics, SERIES):
            chart.line(epochs, np.clip(values, low, 1.0), color)
        figures.append(_figure(chart.canvas.png(), f"{name} per epoch",
                               [(SERIES[0], "training"), (SERIES[1], "validation")]))
    return figures


def _figure(png: bytes, caption: str, keys: Sequence[tuple[Any, str]] = ()) -> str:
    legend = "".join(_key(c, label) for c, label in keys)
    return f"<figure>{_img(png, caption)}<figcaption>{escape(caption)} {legend}</figcaption>" \
           "</figure>"


def data_picture(session) -> str:
    """What the network learned, drawn over the training data (2-D classification or
    1-D regression); '' for other data."""
    splits = session.splits
    raw, info = splits.raw_train, splits.info
    if raw is None or raw.ndim != 2:
        return ""
    if info.is_classification and raw.shape[1] == 2:
        return _decision_picture(session, raw)
    if info.task == "regression" and raw.shape[1] == 1 and info.n_targets == 1:
        return _fit_picture(session, raw)
    return ""


def _decision_picture(session, raw: np.ndarray) -> str:
    from nncore.visual import decision_map, plot_extent

    splits, size = session.splits, 320
    extent = plot_extent(raw, splits.info.domain)
    grid = decision_map(session.network, splits.preprocessing, extent, resolution=160)
    values = np.nan_to_num(np.clip(grid.values, 0, 1))
    if grid.classes is None:  # binary: blend the two class colours by the probability
        rgb = (1 - values)[..., None] * CLASS_COLORS[0] + values[..., None] * CLASS_COLORS[1]
    else:
        rgb = CLASS_COLORS[grid.classes % len(CLASS_COLORS)]
    rgb = 255 - (255 - rgb) * 0.45  # pale, so the points stand out
    image = np.repeat(np.repeat(rgb[::-1], 2, axis=0), 2, axis=1).astype(np.uint8)
    canvas = Canvas(size, size)
    canvas.image(0, 0, image)
    x0, x1, y0, y1 = extent
    px = (raw[:, 0] - x0) / (x1 - x0) * (size - 1)
    py = (y1 - raw[:, 1]) / (y1 - y0) * (size - 1)
    labels = np.asarray(splits.y_train).astype(int).reshape(-1)
    canvas.dots(px, py, CLASS_COLORS[labels % len(CLASS_COLORS)].astype(np.uint8))
    keys = [(tuple(int(v) for v in CLASS_COLORS[i % len(CLASS_COLORS)]), str(name))
            for i, name in enumerate(splits.info.class_names or range(splits.info.n_classes))]
    return _figure(canvas.png(), "what the network answers at every point (background) "
                   "and the training data:", keys)


def _fit_picture(session, raw: np.ndarray) -> str:
    from nncore.visual import fit_curve

    splits = session.splits
    y = np.asarray(splits.y_train, float).reshape(-1)
    lo, hi = float(raw[:, 0].min()), float(raw[:, 0].max())
    xs, ys = fit_curve(session.network, splits.preprocessing, (lo, hi))
    every = np.concatenate([y, _finite(np.asarray(ys[:, 0], float))])
    chart = Chart((lo, hi), (float(every.min()), float(every.max())), width=480, height=300)
    chart.canvas.dots(chart.px(raw[:, 0]), chart.py(y),
                      np.tile(np.array(SERIES[0], np.uint8), (len(y), 1)), radius=2,
                      outline=None)
    chart.line(xs, ys[:, 0], SERIES[1])
    return _figure(chart.canvas.png(), "the fitted curve over the training data",
                   [(SERIES[0], "data"), (SERIES[1], "network")])


# --------------------------------------------------------------------------- tables


def _table(rows: Sequence[Sequence[Any]], header: Sequence[str] = ()) -> str:
    head = "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>" if header else ""
    body = "".join("<tr>" + "".join(f"<td>{escape(_text(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table>{head}{body}</table>"


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else "—"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_text(v)}" for k, v in value.items() if v not in (None, ()))
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value) or "—"
    return str(value)


def design_table(session) -> str:
    """One row per layer: kind, units, activation, initialiser, regularisation."""
    rows = []
    width = session.splits.n_inputs
    for layer in session.network_spec.layers:
        if isinstance(layer, DenseSpec):
            last = layer is session.network_spec.layers[-1]
            units = layer.units or session.resolved.n_outputs
            activation = session.resolved.output_activation if last else layer.activation
            params = width * units + (units if layer.bias else 0)
            rows.append((layer.id, "dense", units, activation, layer.init,
                         f"L1 {layer.l1:g}, L2 {layer.l2:g}", params))
            width = units
        elif isinstance(layer, DropoutSpec):
            rows.append((layer.id, "dropout", "", "", "", f"rate {layer.rate:g}", 0))
        else:
            rows.append((layer.id, layer.kind, "", layer.activation, "", "", 0))
    rows.append(("total", "", "", "", "", "", session.network.n_parameters))
    return _table(rows, ("layer", "kind", "units", "activation", "initialiser",
                         "regularisation", "parameters"))


def settings_table(session) -> str:
    """The training and data settings, one per row."""
    training = to_dict(session.training_spec)
    data = to_dict(session.data_spec) if session.data_spec is not None else {}
    rows = [(f"training.{k}", v) for k, v in training.items()]
    rows += [(f"data.{k}", v) for k, v in data.items()]
    rows.append(("resolved loss", session.resolved.loss))
    return _table(rows, ("setting", "value"))


def findings_section(findings: Sequence[Any]) -> str:
    """The doctor's findings, most urgent first."""
    if not findings:
        return "<p>No findings: nothing looks wrong.</p>"
    rows = []
    for f in findings:
        fix = f.fix.description if getattr(f, "fix", None) is not None else ""
        rows.append(f"<tr><td class='{escape(f.severity)}'>{escape(f.severity)}</td>"
                    f"<td>{escape(f.code)}</td><td>{escape(f.layer or 'network')}</td>"
                    f"<td>{escape(f.message)}</td><td>{escape(fix)}</td></tr>")
    return ("<table><tr><th>severity</th><th>finding</th><th>where</th><th>what</th>"
            "<th>suggested fix</th></tr>" + "".join(rows) + "</table>")


def goals_section(statuses: Sequence[Any]) -> str:
    """An assignment's goals with their status and measured values."""
    if not statuses:
        return ""
    rows = "".join(
        f"<tr><td class='{'met' if s.met else 'problem'}'>"
        f"{'✓ met' if s.met else '✗ not met' if s.met is False else '… pending'}</td>"
        f"<td>{escape(s.goal.describe())}</td><td>{escape(s.detail)}</td></tr>"
        for s in statuses)
    return f"<h2>Goals</h2><table><tr><th></th><th>goal</th><th>measured</th></tr>{rows}</table>"


def summary_table(session) -> str:
    """Data set, sizes and the final numbers of the run."""
    from nncore.cli import build_report

    trainer, splits = session.trainer, session.splits
    report = build_report(session)
    rows = [("data set", f"{splits.info.name} ({splits.info.task})"),
            ("samples", f"{len(splits.x_train)} training, {len(splits.x_val)} validation"),
            ("epochs trained", trainer.epoch),
            ("stopped because", trainer.message or "—")]
    rows += [(k.replace("_", " "), v) for k, v in report["final"].items()]
    return _table(rows)


def run_report(session, findings: Sequence[Any] = (), *, title: str = "",
               statuses: Sequence[Any] = ()) -> str:
    """The whole report as one HTML document."""
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    name = title or session.splits.info.name
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(name)} — run "
        f"report</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(name)}</h1><p class='sub'>Run report from Backprop Lab {__version__}, "
        f"{when}</p>",
        "<section><h2>Summary</h2>" + summary_table(session) + "</section>",
        goals_section(statuses),
        "<h2>Training curves</h2>" + "".join(curve_charts(session.trainer.history)),
    ]
    picture = data_picture(session)
    if picture:
        parts.append("<h2>What the network learned</h2>" + picture)
    parts += ["<section><h2>Design</h2>" + design_table(session) + "</section>",
              "<section><h2>Doctor's findings</h2>" + findings_section(findings) + "</section>",
              "<section><h2>Settings</h2>" + settings_table(session) + "</section>",
              "</body></html>"]
    return "\n".join(p for p in parts if p)


def session_report(session, *, title: str = "", lesson: dict | None = None,
                   train_if_needed: bool = True) -> str:
    """The report of a session's run (trained first if it has none); ``lesson``: the
    project's lesson object, whose assignment goals are then checked too."""
    from nncore.assignments import Assignment, evaluate, evidence_from_session, parse_assignment
    from nncore.doctor import examine_session

    if not len(session.trainer.history) and train_if_needed:
        session.trainer.run()
    findings = examine_session(session) if len(session.trainer.history) else []
    assignment: Assignment | None = None
    if lesson and "assignment" in lesson:
        assignment = parse_assignment(lesson["assignment"])
    statuses = evaluate(assignment.goals, evidence_from_session(session, findings)) \
        if assignment is not None else []
    return run_report(session, findings, title=title, statuses=statuses)


def project_report(project, *, train_if_needed: bool = True) -> str:
    """The report of a saved project (trained first if it holds no run)."""
    from nncore.session import session_from_project

    return session_report(session_from_project(project), title=project.title,
                          lesson=project.lesson, train_if_needed=train_if_needed)
