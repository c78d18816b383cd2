"""The Sweep tab: a learning rate x width sweep with seeds runs from the window on the
local pool; the table, the heat map and the line agree with results.csv and with
numbers computed here from it; a run opens as a project with that run's weights."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from nncore.project import load_project
from nncore.sweep import read_csv

pytestmark = pytest.mark.gui


def _sweep(qtbot, window, axes: list[tuple[str, str]], seeds: int = 2, epochs: int = 4,
           samples: int = 0):
    panel = window.sweep_panel
    panel.samples.setValue(samples)
    for row in range(len(panel.fields)):
        panel.set_axis(row, "")
    for row, (name, values) in enumerate(axes):
        panel.set_axis(row, name, values)
    panel.seeds.setValue(seeds)
    panel.epochs.setValue(epochs)
    panel.workers.setValue(2)
    window.tabs.setCurrentWidget(panel)
    assert panel.run()
    qtbot.waitUntil(lambda: not panel.running, timeout=120_000)
    return panel


def _csv_means(rows, keys, metric):
    means: dict = {}
    for row in rows:
        means.setdefault(tuple(row[k] for k in keys), []).append(float(row[metric]))
    return {k: np.mean(v) for k, v in means.items()}


def test_lr_by_width_sweep_fills_table_and_heat_map(qtbot, window, artifacts_dir):
    panel = _sweep(qtbot, window, [("lr", "0.01,0.03"), ("hidden", "4;8,8")])
    assert "Finished 8 runs" in panel.status.text()
    rows = read_csv(panel.folder / "results.csv")
    assert len(rows) == len(panel.model.rows) == 8
    table = {r["key"]: r for r in panel.model.rows}
    for row in rows:
        assert float(row["val_loss"]) == table[row["key"]]["val_loss"]
    panel.metric.setCurrentIndex(panel.metric.findData("val_loss"))
    means = _csv_means(rows, ("lr", "hidden"), "val_loss")
    image = panel.heat_image.image  # rows: hidden (4 then 8,8), columns: lr ascending
    for (lr, hidden), mean in means.items():
        j = ["4", "8,8"].index(hidden)
        i = ["0.01", "0.03"].index(lr)
        assert image[j, i] == pytest.approx(mean, rel=1e-12)
    window.grab().save(str(artifacts_dir / "sweep_tab_heat_map.png"))

    # a click on the cell lr=0.03, hidden=4 selects that configuration's two seeds
    view = panel.heat_plot
    scene_point = view.plotItem.vb.mapViewToScene(QPointF(1.5, 0.5))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.mapFromScene(scene_point))
    selected = [panel.model.rows[panel.proxy.mapToSource(i).row()]
                for i in panel.table.selectionModel().selectedRows()]
    assert sorted((r["lr"], r["hidden"], r["seed"]) for r in selected) == \
        [(0.03, (4,), 0), (0.03, (4,), 1)]
    panel.table.clearSelection()

    column = panel.model.columns.index("val_loss")
    panel.table.sortByColumn(column, Qt.SortOrder.AscendingOrder)
    shown = [panel.proxy.index(r, column).data(Qt.ItemDataRole.UserRole) for r in range(8)]
    assert shown == sorted(float(r["val_loss"]) for r in rows)

    panel.table.selectRow(0)
    best = panel.model.rows[panel.proxy.mapToSource(panel.proxy.index(0, 0)).row()]
    assert panel.open_selected()
    path = panel.folder / "runs" / f"{best['key']}.bplab"
    assert window.document.path == path
    opened = load_project(path)
    assert window.document.training == opened.training
    for name, value in opened.weights.items():
        assert np.array_equal(window.document.project.weights[name], value)
    assert window.document.training.optimizer.lr == best["lr"]
    assert window.document.training.seed == best["seed"]


def test_one_varied_field_draws_mean_and_band_over_seeds(qtbot, window):
    panel = _sweep(qtbot, window, [("activation", "tanh,relu")], seeds=3, epochs=3)
    assert panel.plots.currentWidget() is panel.line_plot
    panel.metric.setCurrentIndex(panel.metric.findData("train_loss"))
    rows = read_csv(panel.folder / "results.csv")
    curves = [item for item in panel.line_plot.listDataItems() if item.opts["pen"] is not
              None and item.opts.get("symbol")]
    _, mean = curves[-1].getData()
    expected = _csv_means(rows, ("activation",), "train_loss")
    assert sorted(mean) == pytest.approx(sorted(expected.values()), rel=1e-12)
    upper = panel.line_plot.listDataItems()[0].getData()[1]
    for name in ("relu", "tanh"):
        seeds = [float(r["train_loss"]) for r in rows if r["activation"] == name]
        assert any(u == pytest.approx(np.mean(seeds) + np.std(seeds, ddof=1))
                   for u in upper)


def test_a_bad_value_is_a_message_not_a_run(window):
    panel = window.sweep_panel
    panel.set_axis(0, "lr", "fast")
    assert not panel.run()
    assert "not a valid value" in panel.status.text()
    assert not panel.running


def test_stop_ends_the_sweep_and_keeps_finished_runs(qtbot, window):
    panel = window.sweep_panel
    panel.set_axis(0, "lr", "0.001..0.1:log:8")
    panel.set_axis(1, "")
    panel.seeds.setValue(2)
    panel.epochs.setValue(300)
    panel.workers.setValue(2)
    assert panel.run()
    qtbot.waitUntil(lambda: len(panel.model.rows) >= 1, timeout=120_000)
    assert panel.stop()
    assert not panel.running
    rows = read_csv(panel.folder / "results.csv")
    assert 1 <= len(rows) < 16
    assert "Stopped" in panel.status.text()


def test_range_test_plots_loss_against_rate_and_sets_the_suggestion(qtbot, window,
                                                                    artifacts_dir):
    panel = window.sweep_panel
    panel.seeds.setValue(1)
    panel.workers.setValue(1)
    panel.range_edit.setText("1e-4..10")
    window.tabs.setCurrentWidget(panel)
    assert panel.run_range_test()
    qtbot.waitUntil(lambda: not panel.running, timeout=120_000)
    (row,) = read_csv(panel.folder / "results.csv")
    report = json.loads((panel.folder / "runs" / f"{row['key']}.json").read_text())
    curve = report["range_test"]
    smoothed = panel.line_plot.listDataItems()[-1]  # the raw data, before the log axis
    assert list(smoothed.xData) == curve["lr"] and list(smoothed.yData) == curve["smoothed"]
    assert panel.suggestion == float(row["suggested_lr"]) == curve["suggested_lr"]
    assert "Suggested learning rate" in panel.status.text()
    window.grab().save(str(artifacts_dir / "sweep_tab_range_test.png"))
    assert panel.use_button.isEnabled() and panel.use_suggestion()
    assert window.document.training.optimizer.lr == curve["suggested_lr"]
    window.document.undo_stack.undo()
    assert window.document.training.optimizer.lr != curve["suggested_lr"]


def test_invalid_range_is_a_message(window):
    panel = window.sweep_panel
    panel.range_edit.setText("fast..slow")
    assert not panel.run_range_test()
    assert "LOW..HIGH" in panel.status.text() and not panel.running


def test_random_configurations_of_two_fields_are_dots_coloured_by_the_metric(
        qtbot, window, artifacts_dir):
    panel = _sweep(qtbot, window, [("lr", "1e-3..1e-1:log"), ("l2", "1e-5..1e-2:log")],
                   seeds=1, epochs=2, samples=5)
    window.grab().save(str(artifacts_dir / "sweep_tab_random.png"))
    assert panel.plots.currentWidget() is panel.scatter_plot
    rows = read_csv(panel.folder / "results.csv")
    assert len(rows) == 5
    lrs = [float(r["lr"]) for r in rows]
    assert len(set(lrs)) == 5 and all(1e-3 <= v <= 1e-1 for v in lrs)
    spots = panel.scatter.points()
    assert sorted((p.pos().x(), p.pos().y()) for p in spots) == pytest.approx(sorted(
        (np.log10(float(r["lr"])), np.log10(float(r["l2"]))) for r in rows))
    # a click on a dot selects its run
    panel._on_scatter_clicked(panel.scatter, [spots[0]], None)
    (index,) = panel.table.selectionModel().selectedRows()
    row = panel.model.rows[panel.proxy.mapToSource(index).row()]
    assert (row["lr"], row["l2"]) == spots[0].data()


def test_a_value_the_design_cannot_take_is_refused_before_running(window):
    panel = window.sweep_panel
    panel.set_axis(0, "activation", "tanh,softmax")
    assert not panel.run()
    assert "activation=softmax" in panel.status.text() and not panel.running
