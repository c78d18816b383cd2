"""Live plots: the OUTPUT column and the analysis tabs (pyqtgraph).

``OutputPanel`` is the main window's right-hand column (decision map, fit curve or image
gallery, loss sparkline, big numbers); ``AnalysisTabs`` holds the loss curves, weight
histograms, layer health, confusion matrix and image views. Both follow the training
controller's signals and draw only what is on screen. ``app.plots.export`` saves any plot
as PNG/SVG and the history as CSV.
"""

from app.plots.analysis_tabs import AnalysisTabs
from app.plots.output_panel import OutputPanel

__all__ = ["AnalysisTabs", "OutputPanel"]
