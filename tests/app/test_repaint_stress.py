"""Guard for the PySide6 pin (docs/decisions.md D1).

PySide6 6.12.0 on Python 3.11 dies with "Fatal Python error: none_dealloc" after a few
thousand repaints of pyqtgraph items (every Python override returning None leaks a
reference to None). The repaint loop runs in a subprocess so that, should a bad version
ever be installed, this test fails with a message instead of killing the whole run.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

REPAINT_SCRIPT = textwrap.dedent("""
    import os
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import numpy as np
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    pg.setConfigOptions(imageAxisOrder="row-major")
    widget = pg.GraphicsLayoutWidget()
    widget.resize(320, 240)
    plot = widget.addPlot()
    curve = plot.plot(pen="b")
    image = pg.ImageItem()
    plot.addItem(image)
    scatter = pg.ScatterPlotItem(size=5)
    plot.addItem(scatter)
    widget.show()
    rng = np.random.default_rng(0)
    for i in range(3000):
        curve.setData(rng.standard_normal(200))
        if i % 10 == 0:
            image.setImage(rng.random((32, 32), dtype=np.float32), autoLevels=False,
                           levels=(0, 1))
            scatter.setData(rng.random(50), rng.random(50))
        widget.repaint()
        app.processEvents()
    print("repainted", i + 1)
""")


def test_pyqtgraph_survives_thousands_of_repaints():
    result = subprocess.run([sys.executable, "-c", REPAINT_SCRIPT], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, (
        "repainting crashed: is PySide6 6.12.0 installed on Python 3.11? "
        f"(see docs/decisions.md D1)\nstdout: {result.stdout[-500:]}\n"
        f"stderr: {result.stderr[-2000:]}")
    assert "repainted 3000" in result.stdout
