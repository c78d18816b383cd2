"""The 2-D output map of a CSV whose two features differ in scale by orders of magnitude:
a readable square with both axes in the features' own units, not a thin strip."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF

from tests.app.conftest import make_window

pytestmark = pytest.mark.gui


def _csv(path, rng) -> str:
    size = rng.uniform(0.0, 1.0, 200)          # metres
    weight = rng.uniform(0.0, 5000.0, 200)     # grams
    label = ((size - 0.5) * 5000 + (weight - 2500) > 0).astype(int)
    rows = "\n".join(f"{a:.4f},{b:.1f},{c}" for a, b, c in zip(size, weight, label))
    path.write_text("size_m,weight_g,heavy\n" + rows + "\n")
    return str(path)


def _drawn_size(dm) -> tuple[float, float]:
    """Width and height in pixels of the data's extent as the map draws it."""
    x0, x1, y0, y1 = dm.extent
    rect = dm.plot.getViewBox().mapViewToScene(QRectF(x0, y0, x1 - x0, y1 - y0))
    box = rect.boundingRect()
    return box.width(), box.height()


def test_a_csv_with_features_of_very_different_scales_maps_as_a_square_with_axes(
        qtbot, settings, tmp_path, rng):
    window = make_window(qtbot, settings, lesson=None)
    try:
        window.resize(1366, 768)
        with qtbot.waitSignal(window.data_source.splits_changed, timeout=30000):
            window.data_panel.open_file(_csv(tmp_path / "parcels.csv", rng))
        panel = window.output_panel
        assert panel.kind == "map"
        dm = panel.decision_map
        qtbot.waitUntil(lambda: min(_drawn_size(dm)) > 50, timeout=5000)
        width, height = _drawn_size(dm)
        assert 1 / 1.5 <= width / height <= 1.5, (width, height)
        x0, x1, y0, y1 = dm.extent
        assert x1 - x0 < 2 and y1 - y0 > 4000  # the features' own units, not rescaled
        for side, name in (("bottom", "size_m"), ("left", "weight_g")):
            axis = dm.plot.getAxis(side)
            assert axis.isVisible()
            assert name in axis.labelText
    finally:
        window.close()
        assert window.controller._thread.wait(3000)


def test_comparable_ranges_keep_true_proportions():
    from app.plots.decision_boundary import aspect_ratio

    assert aspect_ratio((-1.0, 1.0, -1.0, 1.0)) == 1.0      # the spirals stay round
    assert aspect_ratio((0.0, 1.0, 0.0, 2.5)) == 1.0
    assert aspect_ratio((0.0, 1.0, 0.0, 5000.0)) == 5000.0  # drawn square instead
    assert aspect_ratio((0.0, 0.0, 0.0, 1.0)) == 1.0        # degenerate: no division
