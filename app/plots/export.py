"""Saving plots as PNG/SVG and the training history as CSV.

pyqtgraph plots export as PNG through ``pyqtgraph.exporters.ImageExporter`` and as SVG by
painting the scene into Qt's ``QSvgGenerator`` (vector output); composite widgets (the
gallery, a panel of several plots) are grabbed as a picture (PNG) or painted into the SVG
generator. Every plot gets a small export button
(``export_button``) that asks for a file name and calls ``export_plot``.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QPoint, QRectF, QSize
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QFileDialog, QMessageBox, QToolButton, QWidget

from app.theme import current_theme
from nncore.training import EpochRecord

SVG_DPI = 96
"""Pixels per inch of exported SVGs: the logical screen resolution plots are laid out for
(Qt's SVG generator assumes 72, which shifts text against lines)."""
FORMATS = {".png": "PNG image (*.png)", ".svg": "SVG vector image (*.svg)"}

HISTORY_COLUMNS = ("epoch", "step", "train_loss", "val_loss", "train_{m}", "val_{m}", "lr",
                   "running_loss", "seconds")


def export_history_csv(records: Sequence[EpochRecord], path: str | Path,
                       metric_name: str = "accuracy") -> Path:
    """Write one row per epoch record, after a header line, to ``path`` (UTF-8 CSV).

    Columns: epoch, step, train_loss, val_loss, train_<metric>, val_<metric>, lr,
    running_loss, seconds. Floats are written with ``repr`` so they read back exactly;
    missing values (no validation set) are written as ``nan``.
    """
    path = Path(path)
    header = [c.format(m=metric_name) for c in HISTORY_COLUMNS]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for r in records:
            writer.writerow([r.epoch, r.step, *(_number(v) for v in (
                r.train_loss, r.val_loss, r.train_metric, r.val_metric, r.lr, r.running_loss,
                r.seconds))])
    return path


def _number(value: float) -> str:
    value = float(value)
    return "nan" if math.isnan(value) else repr(value)


def export_plot(target: Any, path: str | Path) -> Path:
    """Save a plot as PNG or SVG, chosen by the suffix of ``path``.

    ``target`` is a pyqtgraph item (``PlotItem``, ``GraphicsLayout``...), a pyqtgraph
    view (``PlotWidget``, ``GraphicsLayoutWidget``) or any other ``QWidget`` (saved as a
    picture of the widget).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"cannot export to {path.name!r}: choose a .png or .svg file name")
    if isinstance(target, pg.GraphicsLayoutWidget):
        target = target.ci
    elif isinstance(target, pg.PlotWidget):
        target = target.getPlotItem()
    elif isinstance(target, pg.GraphicsView):
        target = target.scene()
    if isinstance(target, pg.GraphicsItem | pg.GraphicsScene):
        _export_graphics(target, path, suffix)
    elif isinstance(target, QWidget):
        _export_widget(target, path, suffix)
    else:
        raise TypeError(f"cannot export a {type(target).__name__}")
    return path


def _export_graphics(item: Any, path: Path, suffix: str) -> None:
    if suffix == ".svg":
        # pyqtgraph 0.14's SVGExporter fails on the path syntax of recent Qt versions
        # (pyqtgraph issue #3495), so the scene paints itself into Qt's SVG generator
        scene = item if isinstance(item, pg.GraphicsScene) else item.scene()
        source = scene.sceneRect() if item is scene else item.sceneBoundingRect()
        size = QSize(max(2, round(source.width())), max(2, round(source.height())))
        with _export_mode(scene):
            _write_svg(path, size, lambda painter, target: scene.render(painter, target, source))
        return
    from pyqtgraph.exporters import ImageExporter

    exporter = ImageExporter(item)
    if int(exporter.params["width"]) < 2:  # never shown: a sensible size rather than fail
        exporter.params["width"] = 800
    exporter.export(str(path))


@contextmanager
def _export_mode(scene: Any) -> Iterator[None]:
    """Tell pyqtgraph items they are being exported (scatter points are then drawn as
    vector symbols instead of cached pixmaps, which an SVG would stretch)."""
    items = [i for i in scene.items() if hasattr(i, "setExportMode")]
    for i in items:
        i.setExportMode(True, {"antialias": True, "resolutionScale": 1.0})
    try:
        yield
    finally:
        for i in items:
            i.setExportMode(False)


def _export_widget(widget: QWidget, path: Path, suffix: str) -> None:
    if suffix == ".png":
        if not widget.grab().save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
        return
    size = widget.size() if widget.width() > 1 else QSize(800, 600)
    _write_svg(path, size, lambda painter, _target: widget.render(painter, QPoint(0, 0)))


def _write_svg(path: Path, size: QSize,
               paint: Callable[[QPainter, QRectF], None]) -> None:
    """Paint into an SVG file of ``size`` on the theme's background."""
    from PySide6.QtSvg import QSvgGenerator

    target = QRectF(0, 0, size.width(), size.height())
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(size)
    generator.setViewBox(target)
    generator.setTitle("Backprop Lab plot")
    generator.setResolution(SVG_DPI)
    painter = QPainter(generator)
    try:
        painter.fillRect(target, QColor(current_theme().background))
        paint(painter, target)
    finally:
        painter.end()
    if not path.is_file() or path.stat().st_size == 0:
        raise OSError(f"could not write {path}")


def export_button(parent: QWidget, target: Callable[[], Any] | Any, name: str) -> QToolButton:
    """A small button that saves ``target`` (or ``target()``) as PNG/SVG, asking where.

    ``name`` is the suggested file name without suffix (``"loss"``).
    """
    button = QToolButton(parent)
    button.setText("Save…")
    button.setAutoRaise(True)
    button.setToolTip("Save this plot as a PNG picture or an SVG vector drawing")

    def save() -> None:
        path, _ = QFileDialog.getSaveFileName(parent, "Save plot", f"{name}.png",
                                              ";;".join(FORMATS.values()))
        if not path:
            return
        if Path(path).suffix.lower() not in FORMATS:
            path += ".png"
        try:
            export_plot(target() if callable(target) else target, path)
        except (OSError, ValueError, TypeError) as err:
            QMessageBox.warning(parent, "Could not save the plot", str(err))

    button.clicked.connect(save)
    return button
