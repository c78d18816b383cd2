"""A trained project, saved and opened again in a new window, looks as it was saved: the
gallery, the first-layer weight images, the weight histograms with their history over
epochs, layer health over time and the toolbar's epoch, without training a step."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from nncore.project import load_project
from nncore.runner import RunState
from nncore.spec import DataSpec
from tests.app.conftest import make_window

pytestmark = pytest.mark.gui
EPOCHS = 6


def _image_file(path, rng) -> str:
    """120 tiny 8 x 8 images of three classes (a row, a column or a diagonal lit)."""
    y = np.arange(120) % 3
    x = rng.integers(0, 40, size=(120, 8, 8)).astype(np.uint8)
    for i, label in enumerate(y):
        k = i % 8
        if label == 0:
            x[i, k, :] = 255
        elif label == 1:
            x[i, :, k] = 255
        else:
            x[i, np.arange(8), np.arange(8)] = 255
    np.savez(path, x=x, y=y)
    return str(path)


def _trained_project(qtbot, settings, tmp_path, rng):
    window = make_window(qtbot, settings, lesson=None)
    doc = window.document
    doc.set_data(DataSpec("file", path=_image_file(tmp_path / "bars.npz", rng)), "Images")
    doc.set_training(dataclasses.replace(doc.training, epochs=EPOCHS, batch_size=16), "short")
    qtbot.waitUntil(lambda: window.data_source.splits is not None and
                    window.data_source.splits.info.image_shape == (8, 8), timeout=30000)
    window.tabs.histograms.gradient_box.setChecked(True)
    window.controller.train()
    qtbot.waitUntil(lambda: window.controller.state == RunState.FINISHED.value, timeout=60000)
    qtbot.waitUntil(lambda: doc.project.weights is not None and doc.project.history is not None
                    and len(doc.project.history) == EPOCHS, timeout=10000)
    path = tmp_path / "images.bplab"
    window.files.ask_save_path = lambda: str(path)
    assert window.files.save_as()
    first = next(iter(window.tabs.histograms.weights))
    saved = {"columns": window.tabs.histograms.weights[first].history.n_columns,
             "health": {k: len(h) for k, h in window.tabs.health.histories.items()}}
    window.close()
    assert window.controller._thread.wait(3000)
    return path, saved


def test_a_reopened_trained_project_shows_everything_as_saved(qtbot, settings, tmp_path, rng):
    path, saved = _trained_project(qtbot, settings, tmp_path, rng)
    project = load_project(path)
    assert any(key.startswith("histograms/weights/") for key in project.view_arrays)
    assert any(key.startswith("histograms/gradients/") for key in project.view_arrays)
    assert any(key.startswith("health/") for key in project.view_arrays)
    weights = project.weights

    window = make_window(qtbot, settings, lesson=None)
    try:
        assert window.files.open(path)
        tabs, output = window.tabs, window.output_panel
        # no training step: the views fill from the saved state alone
        qtbot.waitUntil(lambda: window.run_status.epoch_label.text().split()[1]
                        .startswith(f"{EPOCHS}/"), timeout=30000)
        tabs.show_tab("images")
        qtbot.waitUntil(lambda: tabs.gallery.wrong.size > 0, timeout=10000)
        qtbot.waitUntil(lambda: tabs.first_layer.tiles.size > 0, timeout=10000)
        assert output.gallery.wrong.size > 0 or output.kind != "gallery"
        tabs.show_tab("weights")
        histograms = tabs.histograms
        first_dense = next(iter(histograms.weights))
        assert histograms.show_gradients  # gradients were saved: they keep coming
        assert histograms.weights and histograms.gradients
        for kind, pairs in (("weights", histograms.weights),
                            ("gradients", histograms.gradients)):
            for layer_id, pair in pairs.items():
                x = project.view_arrays[f"histograms/{kind}/{layer_id}/x"]
                assert pair.history.n_columns >= x.size >= 1
                np.testing.assert_array_equal(pair.history.x[:x.size], x)
                np.testing.assert_array_equal(
                    pair.history.density[:, :x.size],
                    project.view_arrays[f"histograms/{kind}/{layer_id}/density"])
        assert histograms.weights[first_dense].history.n_columns >= saved["columns"]
        qtbot.waitUntil(lambda: all(pair.values is not None
                                    for pair in histograms.weights.values()), timeout=10000)
        # the gradients of the loaded weights, not the zeros of a network that never stepped
        qtbot.waitUntil(lambda: all(pair.values is not None and np.abs(pair.values).max() > 0
                                    for pair in histograms.gradients.values()), timeout=10000)
        first = next(iter(histograms.weights))
        np.testing.assert_array_equal(np.sort(histograms.weights[first].values),
                                      np.sort(weights[f"{first}.weight"].ravel()))
        tabs.show_tab("health")
        health = tabs.health
        qtbot.waitUntil(lambda: set(health.histories) == set(saved["health"]), timeout=10000)
        for layer_id, history in health.histories.items():
            x = project.view_arrays[f"health/{layer_id}/x"]
            assert len(history) >= x.size == saved["health"][layer_id] >= 1
            for column in ("x", "grad_norm", "update_ratio"):
                np.testing.assert_array_equal(
                    history.column(column)[:x.size],
                    project.view_arrays[f"health/{layer_id}/{column}"])
        assert window.controller.state == RunState.READY.value
        assert window.controller.history[-1].epoch == EPOCHS
        assert not window.document.is_dirty  # showing is not changing
        assert window.actions.train.text() == "Train"
    finally:
        window.close()
        assert window.controller._thread.wait(3000)
