"""Training as an animation: the decision map (or fit curve) at every kept snapshot.

``animation_frames(project)`` draws one picture per snapshot the project keeps
(``nncore.rewind``): for 2-D classification the decision map coloured like the app's
(orange/blue for two classes, the Okabe-Ito palette beyond, paler where the network is
unsure), for 2-D regression the predicted value, for 1-D regression the fitted curve; the
training data on top, and the epoch and loss in the top-left corner. ``write_gif`` saves
them as an animated GIF (Pillow), for slides. The GUI's "Export animation" and
``nncore animate`` both call these.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nncore.data.dataset import Splits
from nncore.errors import DataError
from nncore.visual import decision_map, eval_network, fit_curve, plot_extent

if TYPE_CHECKING:
    from PIL import Image

    from nncore.project import Project
    from nncore.rewind import KeptSnapshot

ORANGE, BLUE = (245, 147, 34), (8, 119, 189)
OKABE_ITO = ((230, 159, 0), (0, 114, 178), (0, 158, 115), (213, 94, 0), (86, 180, 233),
             (204, 121, 167), (240, 228, 66), (0, 0, 0), (153, 153, 153), (136, 34, 85))
MAP_ALPHA = 160 / 255
"""Opacity of the map over white (TensorFlow Playground's value, as the app draws it)."""
MIN_SIZE, MAX_SIZE = 64, 2000
MAP_RESOLUTION = 120
"""Grid points per side of a frame's map (smoothly scaled up to the frame)."""
MAX_POINTS = 2000
"""Training points drawn on each frame (a random subset of larger sets)."""


def class_palette(n_classes: int) -> np.ndarray:
    """``(max(n, 2), 3)`` RGB of the class colours."""
    if n_classes <= 2:
        return np.array([ORANGE, BLUE], dtype=np.float64)
    return np.array([OKABE_ITO[i % len(OKABE_ITO)] for i in range(n_classes)],
                    dtype=np.float64)


def kind_of(splits: Splits) -> str:
    """``map`` (2-D classification), ``heat`` (2-D regression) or ``fit`` (1-D regression);
    ``DataError`` for data with no picture to animate."""
    raw = splits.raw_train if splits.raw_train is not None else splits.x_train
    info = splits.info
    if raw.shape[1] == 2:
        return "map" if info.is_classification else "heat"
    if raw.shape[1] == 1 and not info.is_classification:
        return "fit"
    raise DataError(f"{info.name}: an animation needs 2-D inputs (a decision map) or 1-D "
                    f"regression (a fit curve); this data has {raw.shape[1]} inputs")


def diverging(t: np.ndarray) -> np.ndarray:
    """Orange (0) → white (0.5) → blue (1), ``(..., 3)`` in 0..255."""
    t = np.clip(np.nan_to_num(t, nan=0.5), 0.0, 1.0)[..., None]
    white = np.full(3, 255.0)
    low = np.asarray(ORANGE, dtype=np.float64)
    high = np.asarray(BLUE, dtype=np.float64)
    return np.where(t < 0.5, low + (white - low) * (t / 0.5),
                    white + (high - white) * ((t - 0.5) / 0.5))


def map_rgb(values: np.ndarray, classes: np.ndarray | None, n_classes: int,
            levels: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """A grid's colours, uint8 ``(r, r, 3)``, row 0 at the top (``y_max``)."""
    if classes is not None:
        p = np.clip(np.nan_to_num(values), 0.0, 1.0)[..., None]
        colors = p * class_palette(n_classes)[classes] + (1.0 - p) * 255.0
    else:
        low, high = levels
        colors = diverging((values - low) / (high - low if high > low else 1.0))
    colors = MAP_ALPHA * colors + (1.0 - MAP_ALPHA) * 255.0
    return np.ascontiguousarray(np.clip(np.round(colors[::-1]), 0, 255).astype(np.uint8))


class Animator:
    """Draws frames of one project's snapshots at ``size`` × ``size`` pixels."""

    def __init__(self, project: Project, splits: Splits, size: int = 400) -> None:
        if not MIN_SIZE <= size <= MAX_SIZE:
            raise ValueError(f"the size must be between {MIN_SIZE} and {MAX_SIZE} pixels, "
                             f"got {size}")
        self.project, self.splits, self.size = project, splits, int(size)
        self.kind = kind_of(splits)
        self.network = eval_network(project.network, project.training, splits)
        raw = splits.raw_train if splits.raw_train is not None else splits.x_train
        self.raw, self.targets = raw, np.asarray(splits.y_train)
        if self.kind == "fit":
            y = self.targets.reshape(-1)
            pad = 0.1 * (float(y.max() - y.min()) or 1.0)
            lo, hi = float(raw.min()), float(raw.max())
            self.extent = (lo, hi if hi > lo else lo + 1.0, float(y.min()) - pad,
                           float(y.max()) + pad)
        else:
            self.extent = plot_extent(raw, splits.info.domain)
        self._points = self._points_layer()

    # -- pixels ---------------------------------------------------------------------------

    def _pixels(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x0, x1, y0, y1 = self.extent
        s = self.size - 1
        return (x - x0) / (x1 - x0) * s, (y1 - y) / (y1 - y0) * s

    def _points_layer(self) -> Image.Image:
        """The training data (the same on every frame), drawn once as a transparent layer."""
        from PIL import Image, ImageDraw

        layer = Image.new("RGBA", (self.size, self.size), (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        n = self.raw.shape[0]
        rows = np.random.default_rng(0).choice(n, MAX_POINTS, replace=False) \
            if n > MAX_POINTS else np.arange(n)
        if self.kind == "fit":
            px, py = self._pixels(self.raw[rows, 0], self.targets.reshape(-1)[rows])
            fills = np.tile(np.asarray(BLUE, dtype=np.float64), (rows.size, 1))
        else:
            px, py = self._pixels(self.raw[rows, 0], self.raw[rows, 1])
            fills = self._point_colors(rows)
        r = max(2.0, self.size / 110)
        for x, y, fill in zip(px, py, np.round(fills).astype(int)):
            draw.ellipse((x - r, y - r, x + r, y + r), fill=(*fill, 255),
                         outline=(255, 255, 255, 255))
        return layer

    def _point_colors(self, rows: np.ndarray) -> np.ndarray:
        y = self.targets[rows]
        if self.kind == "map":
            return class_palette(self.splits.info.n_classes)[y.reshape(-1).astype(int)]
        y = y.reshape(-1).astype(np.float64)
        return diverging((y - y.min()) / ((y.max() - y.min()) or 1.0))

    # -- frames ---------------------------------------------------------------------------

    def frame(self, snapshot: KeptSnapshot) -> Image.Image:
        """The picture of one snapshot, with its epoch and loss in the corner."""
        from PIL import Image

        self.network.set_weights(dict(snapshot.weights))
        if self.kind == "fit":
            image = Image.new("RGB", (self.size, self.size), (255, 255, 255))
            self._draw_curve(image)
        else:
            image = Image.fromarray(self._map(), "RGB")
        image.paste(self._points, (0, 0), self._points)
        self._caption(image, snapshot)
        return image

    def _map(self) -> np.ndarray:
        resolution = min(MAP_RESOLUTION, self.size)
        grid = decision_map(self.network, self.splits.preprocessing, self.extent, resolution)
        levels = (0.0, 1.0)
        if self.kind == "heat":
            y = self.targets.reshape(-1)
            levels = (float(y.min()), float(y.max()))
        rgb = map_rgb(grid.values, grid.classes, self.splits.info.n_classes, levels)
        from PIL import Image

        return np.asarray(Image.fromarray(rgb, "RGB").resize((self.size, self.size),
                                                             Image.Resampling.BILINEAR))

    def _draw_curve(self, image: Image.Image) -> None:
        from PIL import ImageDraw

        xs, ys = fit_curve(self.network, self.splits.preprocessing, self.extent[:2],
                           n=self.size)
        px, py = self._pixels(xs.astype(np.float64), ys[:, 0].astype(np.float64))
        py = np.clip(np.nan_to_num(py, nan=0.0), -self.size, 2 * self.size)
        ImageDraw.Draw(image).line(list(zip(px.tolist(), py.tolist())), fill=(30, 30, 30),
                                   width=max(2, self.size // 150))

    def _caption(self, image: Image.Image, snapshot: KeptSnapshot) -> None:
        from PIL import ImageDraw, ImageFont

        text = caption(snapshot)
        font = ImageFont.load_default(size=max(10, self.size // 24))
        draw = ImageDraw.Draw(image)
        left, top, right, bottom = draw.textbbox((6, 4), text, font=font)
        draw.rectangle((left - 4, top - 3, right + 4, bottom + 3), fill=(255, 255, 255))
        draw.text((6, 4), text, fill=(20, 20, 20), font=font)


def caption(snapshot: KeptSnapshot) -> str:
    """``epoch 120  loss 0.0312`` (the training loss; none shown before training)."""
    text = f"epoch {snapshot.epoch}"
    if math.isfinite(snapshot.train_loss):
        text += f"  loss {snapshot.train_loss:.4g}"
    return text


def project_splits(project: Project) -> Splits:
    """The project's data, prepared as it was for training."""
    from nncore.data import load_dataset, prepare

    return prepare(load_dataset(project.data), project.data)


def animation_frames(project: Project, *, size: int = 400,
                     splits: Splits | None = None) -> list[Image.Image]:
    """One frame per kept snapshot, in order; ``ValueError`` if the project keeps none."""
    keeper = project.snapshots
    if keeper is None or not len(keeper):
        raise ValueError("the project keeps no snapshots: train it (in the app, or with "
                         "'nncore train ... -o PROJECT.bplab') and save it first")
    animator = Animator(project, splits if splits is not None else project_splits(project),
                        size)
    return [animator.frame(s) for s in keeper.kept]


def write_gif(frames: Sequence[Image.Image], path: str | os.PathLike, fps: float = 10.0) -> Path:
    """Save ``frames`` as a looping animated GIF (the last frame held for a second)."""
    if not frames:
        raise ValueError("there are no frames to write")
    if not 0.1 <= fps <= 60:
        raise ValueError(f"--fps must be between 0.1 and 60, got {fps:g}")
    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise ValueError(f"{path.name}: only animated GIFs can be written; name the file "
                         "*.gif")
    frame_ms = max(20, round(1000 / fps))
    durations = [frame_ms] * len(frames)
    durations[-1] = max(frame_ms, 1000)
    frames[0].save(path, save_all=True, append_images=list(frames[1:]), duration=durations,
                   loop=0, optimize=False)
    return path
