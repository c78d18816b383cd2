"""Live plots (app.plots) driven by real training updates, checked against the engine.

Updates come from ``nncore.runner.Runner`` stepping whole epochs (deterministic: no
timing involved) and reach the widgets through a fake controller with the real one's
signals; decision maps and fit curves come from ``nncore.visual`` on the final weights.
Every assertion compares a widget's data with an independent source: the trainer's
history columns, the visual frame, the validation labels, the weight arrays.
"""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from PySide6.QtCore import QObject, Signal

from app.data_source import DataSource
from app.document import ProjectDocument
from app.plots import AnalysisTabs, OutputPanel
from app.plots.buffers import HistoryBuffer
from app.plots.colour_maps import class_rgb, over_background
from app.plots.distribution import DistributionHistory, subsample
from app.plots.export import export_history_csv, export_plot
from app.plots.loss_plot import LossPlot
from app.theme import class_colors, configure_pyqtgraph
from app.training.visualiser import VisualFrame
from nncore.project import Project
from nncore.runner import Detail, Runner
from nncore.spec import DataSpec, OptimizerSpec, TrainingSpec, mlp_spec
from nncore.training import EpochRecord
from nncore.visual import decision_map, eval_network, fit_curve, plot_extent

pytestmark = pytest.mark.gui


class FakeController(QObject):
    """The signals and ``history`` of ``TrainingController``, fed by hand."""

    update_received = Signal(object)
    history_reset = Signal()
    state_changed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.history: list[EpochRecord] = []
        self.is_stale = False

    @property
    def shown_history(self) -> list[EpochRecord]:
        return self.history

    def deliver(self, updates) -> None:
        for update in updates:
            if update.reason == "reset":
                self.history = []
            self.history.extend(update.new_records)
            self.update_received.emit(update)


class FakeVisualiser(QObject):
    frame_ready = Signal(object)


class Trained:
    """A project trained for ``epochs`` epochs, one update per epoch."""

    def __init__(self, source: str, hidden: list[int], activation: str, epochs: int,
                 lr: float = 0.01, batch_size: int | None = 32) -> None:
        self.project = Project(
            mlp_spec(hidden, activation),
            TrainingSpec(optimizer=OptimizerSpec("adam", lr), batch_size=batch_size,
                         epochs=epochs, seed=3),
            DataSpec(source))
        self.runner = Runner(self.project, detail=Detail(gradients=True))
        self.updates = [m for _, m in self.runner.handle("snapshot")]
        for _ in range(epochs):
            self.updates += [m for kind, m in self.runner.handle("step", "epoch")
                             if kind == "update"]
        self.history = self.runner.session.trainer.history

    @property
    def weights(self) -> dict:
        return self.updates[-1].weights


@pytest.fixture(scope="module")
def trained():
    """Trained runs by data set, made once per module (each takes well under a second)."""
    with pytest.MonkeyPatch.context() as mp:
        import tempfile

        mp.setenv("BACKPROP_LAB_HOME", tempfile.mkdtemp(prefix="plots-home-"))
        return {
            "spirals": Trained("spirals", [16, 16], "tanh", 30, lr=0.02),
            "square": Trained("square", [16], "tanh", 40, lr=0.02),
            "iris": Trained("iris", [8], "relu", 5),
            "digits": Trained("digits", [32], "relu", 1, lr=0.001, batch_size=64),
            "blobs": Trained("blobs", [8], "relu", 5),
        }


class Scene:
    """Document, data source, fake controller and visualiser, and both plot widgets."""

    def __init__(self, qtbot, run: Trained) -> None:
        configure_pyqtgraph()
        self.run = run
        self.document = ProjectDocument(run.project)
        self.data_source = DataSource()
        self.splits = self.data_source.load_now(run.project.data)
        self.controller = FakeController()
        self.visualiser = FakeVisualiser()
        self.panel = OutputPanel(self.document, self.data_source, self.controller,
                                 self.visualiser)
        self.tabs = AnalysisTabs(self.document, self.data_source, self.controller)
        for widget, size in ((self.panel, (420, 620)), (self.tabs, (1100, 300))):
            qtbot.addWidget(widget)
            widget.resize(*size)
            widget.show()

    def train(self) -> None:
        self.controller.deliver(self.run.updates)
        self.flush()

    def flush(self) -> None:
        self.panel.flush()
        self.tabs.flush()

    def frame(self) -> VisualFrame:
        """What the visualiser would compute for the final weights (independently)."""
        net = eval_network(self.document.network, self.document.training, self.splits)
        net.set_weights(self.run.weights)
        prep, info = self.splits.preprocessing, self.splits.info
        if self.splits.raw_train.shape[1] == 2:
            extent = plot_extent(self.splits.raw_train, info.domain)
            return VisualFrame(1, boundary=decision_map(net, prep, extent, 200), extent=extent)
        return VisualFrame(1, curve=fit_curve(net, prep, info.domain[0]))


@pytest.fixture
def scene(qtbot, trained, request):
    return Scene(qtbot, trained[request.param])


def _spirals(scene_name="spirals"):
    return pytest.mark.parametrize("scene", [scene_name], indirect=True)


# -- loss and metrics ------------------------------------------------------------------


@_spirals()
def test_loss_curves_equal_the_trainers_history(scene):
    scene.train()
    history = scene.run.history
    for plot in (scene.tabs.loss, scene.panel.sparkline):
        np.testing.assert_array_equal(plot.train_curve.xData, history.column("epoch"))
        np.testing.assert_array_equal(plot.train_curve.yData, history.column("train_loss"))
        np.testing.assert_array_equal(plot.val_curve.yData, history.column("val_loss"))
    loss = scene.tabs.loss
    np.testing.assert_array_equal(loss.train_metric_curve.yData, history.column("train_metric"))
    np.testing.assert_array_equal(loss.val_metric_curve.yData, history.column("val_metric"))
    np.testing.assert_array_equal(loss.lr_curve.yData, history.column("lr"))


@_spirals()
def test_log_toggle_switches_the_loss_axis(scene):
    scene.train()
    loss = scene.tabs.loss
    assert loss.is_log and loss.log_box.isChecked()
    loss.log_box.setChecked(False)
    assert not loss.loss_plot.getAxis("left").logMode
    np.testing.assert_array_equal(loss.train_curve.yData,
                                  scene.run.history.column("train_loss"))
    loss.log_box.setChecked(True)
    assert loss.loss_plot.getAxis("left").logMode


def test_running_loss_moves_between_epoch_ends(qtbot):
    plot = LossPlot("spark")
    qtbot.addWidget(plot)
    plot.show()
    project = Project(mlp_spec([8], "tanh"), TrainingSpec(batch_size=32, epochs=3),
                      DataSpec("spirals"))
    runner = Runner(project)
    for _ in range(5):
        (_, update), = runner.handle("step", "batch")
        plot.add_records(update.new_records)
        plot.add_snapshot(update.snapshot)
    plot.refresh(force=True)
    steps = runner.session.trainer.steps_per_epoch
    np.testing.assert_allclose(plot.running_curve.xData, np.arange(1, 6) / steps)
    assert plot.running_curve.yData[-1] == pytest.approx(update.snapshot.running_loss)


def test_history_of_100000_epochs_stays_bounded(qtbot):
    plot = LossPlot("full")
    qtbot.addWidget(plot)
    plot.show()
    records = [EpochRecord(e, e, 1.0 / e, 1.1 / e, 0.5, 0.5, 0.01, 1.0 / e, 0.0)
               for e in range(1, 100_001)]
    plot.add_records(records)
    plot.refresh(force=True)
    limit = plot.records.max_points + 1
    assert len(plot.records) <= limit and plot.records.capacity <= limit
    assert len(plot.train_curve.xData) <= limit
    assert plot.train_curve.xData[0] == 1 and plot.train_curve.xData[-1] == 100_000
    assert plot.train_curve.yData[-1] == pytest.approx(1e-5)


def test_history_buffer_memory_is_capped_by_decimation():
    buffer = HistoryBuffer(("x", "y"), max_points=1000)
    for i in range(100_000):
        buffer.append(i, 2 * i)
    x = buffer.column("x")
    assert len(buffer) <= 1001 and buffer.capacity <= 1001
    assert buffer.nbytes <= 2 * 1001 * 8
    assert x[0] == 0 and x[-1] == 99_999  # oldest kept, newest always shown
    np.testing.assert_array_equal(np.diff(x[:-1]), buffer.stride)  # evenly spread samples
    np.testing.assert_array_equal(buffer.column("y"), 2 * x)


@_spirals()
def test_big_numbers_show_the_last_epoch(scene):
    scene.train()
    last = scene.run.history.last
    numbers = scene.panel.numbers
    assert numbers.epoch_number.value.text() == str(last.epoch)
    assert numbers.metric_number.value.text() == f"{100 * last.val_metric:.1f} %"
    assert float(numbers.train_loss_number.value.text()) == pytest.approx(last.train_loss, rel=1e-2)


@_spirals()
def test_project_replaced_redraws_the_saved_history(scene):
    records = list(scene.run.history.records)
    scene.controller.history = records
    scene.document.project_replaced.emit()
    scene.flush()
    np.testing.assert_array_equal(scene.tabs.loss.train_curve.yData,
                                  [r.train_loss for r in records])
    scene.controller.history = []
    scene.controller.history_reset.emit()
    assert scene.tabs.loss.train_curve.yData is None or \
        len(scene.tabs.loss.train_curve.yData) == 0


# -- 2-D and 1-D output views ------------------------------------------------------------


@_spirals()
def test_decision_map_shows_the_frame_with_fixed_levels(scene):
    scene.train()
    frame = scene.frame()
    scene.visualiser.frame_ready.emit(frame)
    image = scene.panel.decision_map.image
    np.testing.assert_array_equal(image.image, frame.boundary.values)
    assert tuple(image.getLevels()) == (0.0, 1.0)
    rect = image.mapRectToParent(image.boundingRect())
    x0, x1, y0, y1 = frame.boundary.extent
    assert rect.left() < x0 < x1 < rect.right() and rect.top() < y0 < y1 < rect.bottom()


@_spirals()
def test_discretised_map_holds_only_decisions(scene):
    scene.train()
    frame = scene.frame()
    scene.visualiser.frame_ready.emit(frame)
    scene.panel.discrete_box.setChecked(True)
    shown = scene.panel.decision_map.image.image
    assert set(np.unique(shown)) <= {0.0, 1.0}
    np.testing.assert_array_equal(shown, frame.boundary.values >= 0.5)
    scene.panel.discrete_box.setChecked(False)
    np.testing.assert_array_equal(scene.panel.decision_map.image.image, frame.boundary.values)


@pytest.mark.parametrize("scene", ["blobs"], indirect=True)
def test_discretised_multiclass_map_uses_only_class_colours(scene):
    scene.train()
    frame = scene.frame()
    scene.visualiser.frame_ready.emit(frame)
    scene.panel.discrete_box.setChecked(True)
    shown = scene.panel.decision_map.image.image
    expected = np.round(over_background(class_rgb(scene.splits.info.n_classes)))
    np.testing.assert_array_equal(shown[..., :3], expected[frame.boundary.classes])


@_spirals()
def test_points_are_the_raw_data_coloured_by_class(scene):
    scene.train()
    splits = scene.splits
    for item, raw, labels in ((scene.panel.decision_map.train_points, splits.raw_train,
                               splits.y_train),
                              (scene.panel.decision_map.val_points, splits.raw_val,
                               splits.y_val)):
        points = item.data
        assert len(points) == len(raw)
        np.testing.assert_allclose(points["x"], raw[:, 0])
        np.testing.assert_allclose(points["y"], raw[:, 1])
        colours = [b.color().name() for b in points["brush"]]
        assert colours == [class_colors(2)[c] for c in labels]


@pytest.mark.parametrize("scene", ["square"], indirect=True)
def test_fit_curve_draws_the_frame_over_the_data(scene):
    scene.train()
    frame = scene.frame()
    scene.visualiser.frame_ready.emit(frame)
    fit = scene.panel.fit_curve
    np.testing.assert_array_equal(fit.curves[0].xData, frame.curve[0])
    np.testing.assert_array_equal(fit.curves[0].yData, frame.curve[1][:, 0])
    assert len(fit.train_points.data) == len(scene.splits.y_train)
    assert len(fit.val_points.data) == len(scene.splits.y_val)
    assert scene.panel.kind == "fit"
    assert not scene.tabs.is_tab_available("confusion")


# -- classification and images -----------------------------------------------------------


@pytest.mark.parametrize("scene", ["iris"], indirect=True)
def test_confusion_matrix_counts_the_validation_set(scene):
    scene.train()
    scene.tabs.show_tab("confusion")
    scene.flush()
    view = scene.tabs.confusion
    assert view.confusion.sum() == len(scene.splits.y_val)
    texts = [int(cell.split()[0].replace(",", "")) for row in view.texts for cell in row]
    assert texts == list(view.confusion.ravel())
    assert scene.panel.kind == "confusion"
    assert scene.panel.confusion.confusion.sum() == len(scene.splits.y_val)
    assert view.canvas.shown_names[0] == list(scene.splits.info.class_names)


@pytest.mark.parametrize("scene", ["digits"], indirect=True)
def test_gallery_marks_exactly_the_wrong_predictions(scene):
    scene.train()
    scene.tabs.show_tab("images")
    scene.flush()
    evaluation = scene.run.updates[-1].evaluation
    truth = scene.splits.y_val[evaluation.gallery_indices]
    wrong = evaluation.gallery_predictions != truth
    assert wrong[:24].any() and not wrong.all()
    predicted = evaluation.gallery_predictions
    assert len(scene.tabs.gallery.wrong) == len(truth) == 48
    assert len(scene.panel.gallery.wrong) == 24  # the output column shows fewer, larger
    for gallery in (scene.tabs.gallery, scene.panel.gallery):
        n = len(gallery.wrong)
        np.testing.assert_array_equal(gallery.wrong, wrong[:n])
        red = [label.toPlainText() for label, bad in zip(gallery.labels, wrong[:n]) if bad]
        assert red == [f"{t}→{p}" for t, p, bad in zip(truth, predicted, wrong[:n]) if bad]
        frame_x = gallery.frames.xData
        assert np.isnan(frame_x).sum() == wrong[:n].sum()  # one rectangle per mistake


@pytest.mark.parametrize("scene", ["digits"], indirect=True)
def test_first_layer_weights_are_drawn_as_images(scene):
    scene.train()
    scene.tabs.show_tab("images")
    scene.flush()
    weights = scene.run.weights["dense-1.weight"]
    tiles = scene.tabs.first_layer.tiles
    assert tiles.shape == (32, 8, 8)
    unit = weights[:, 5] / np.abs(weights[:, 5]).max()
    np.testing.assert_allclose(tiles[5].ravel(), unit, rtol=1e-6)


# -- weights, gradients, layer health ------------------------------------------------------


@_spirals()
def test_histogram_counts_sum_to_the_number_of_weights(scene, qtbot):
    tabs = scene.tabs
    tabs.show_tab("weights")
    with qtbot.waitSignal(tabs.gradients_wanted, timeout=1000) as blocker:
        tabs.histograms.gradient_box.setChecked(True)
    assert blocker.args == [True]
    scene.train()
    for name, w in scene.run.weights.items():
        if not name.endswith(".weight"):
            continue
        layer = name.split(".")[0]
        assert tabs.histograms.weights[layer].counts.sum() == w.size
        assert tabs.histograms.gradients[layer].counts.sum() == w.size
        history = tabs.histograms.weights[layer].history
        np.testing.assert_allclose(history.density.sum(axis=0), 1.0, rtol=1e-5)


def test_large_tensors_are_subsampled_with_a_fixed_stride(rng):
    values = rng.normal(size=(784, 300))
    sample = subsample(values, 100_000)
    stride = math.ceil(values.size / 100_000)
    np.testing.assert_array_equal(sample, values.ravel()[::stride])


def test_distribution_history_stays_bounded_and_widens_exactly(rng):
    history = DistributionHistory(n_bins=16, max_columns=20)
    values = rng.normal(scale=0.1, size=1000)
    history.add(values, 0.0)
    history.add(values * 40, 1.0)  # forces the range to double several times
    wide = history.half_range
    assert wide >= np.abs(values * 40).max()
    expected = np.histogram(values, bins=16, range=(-wide, wide))[0] / 1000
    np.testing.assert_allclose(history.density[:, 0], expected, rtol=1e-6)
    for t in range(2, 1000):
        history.add(values, float(t))
    assert history.n_columns <= 20
    assert history.x[-1] == 999.0


@_spirals()
def test_layer_health_shows_the_latest_layer_stats(scene):
    scene.tabs.show_tab("health")
    scene.train()
    stats = scene.run.updates[-1].snapshot.layer_stats
    health = scene.tabs.health
    assert health.layer_ids == [s.layer_id for s in stats]
    heights = health.saturated_bars.opts["height"]
    np.testing.assert_allclose(heights, [s.saturated_fraction for s in stats])
    grads = np.asarray(health.grad_bars.opts["y0"]) + health.grad_bars.opts["height"]
    np.testing.assert_allclose(grads, np.log10([s.grad_norm for s in stats]))
    history = health.histories[stats[0].layer_id]
    assert len(history) == scene.run.history.last.epoch  # one stats row per epoch update


@_spirals()
def test_show_tab_selects_tabs_by_key(scene):
    for key in ("loss", "weights", "health", "confusion"):
        scene.tabs.show_tab(key)
        assert scene.tabs.currentWidget() is scene.tabs.tab_widgets[key]
    assert not scene.tabs.is_tab_available("images")
    with pytest.raises(ValueError, match="unknown tab"):
        scene.tabs.show_tab("doctor")


# -- export ----------------------------------------------------------------------------------


@pytest.mark.parametrize("scene", ["digits"], indirect=True)
@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_plots_export_to_png_and_svg(scene, tmp_path, suffix):
    scene.train()
    scene.tabs.show_tab("images")
    targets = {"loss-item": scene.tabs.loss.loss_plot, "loss-view": scene.tabs.loss.view,
               "gallery-widget": scene.panel.gallery, "numbers": scene.panel.numbers}
    for name, target in targets.items():
        path = export_plot(target, tmp_path / f"{name}{suffix}")
        assert path.stat().st_size > 100
        if suffix == ".svg":
            assert "<svg" in path.read_text(encoding="utf-8")
    with pytest.raises(ValueError, match=r"\.png or \.svg"):
        export_plot(scene.tabs.loss.view, tmp_path / "loss.jpg")


@_spirals()
def test_history_csv_round_trips(scene, tmp_path):
    records = scene.run.history.records
    path = export_history_csv(records, tmp_path / "history.csv", "accuracy")
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "step", "train_loss", "val_loss", "train_accuracy",
                       "val_accuracy", "lr", "running_loss", "seconds"]
    assert len(rows) == len(records) + 1
    for row, record in zip(rows[1:], records):
        assert int(row[0]) == record.epoch and int(row[1]) == record.step
        assert [float(v) for v in row[2:]] == [
            record.train_loss, record.val_loss, record.train_metric, record.val_metric,
            record.lr, record.running_loss, record.seconds]


def test_r2_below_the_axis_floor_is_drawn_on_the_floor(qtbot):
    """A fit worse than predicting the mean must still show (here R² = -5, then 0.5)."""
    from nncore.training import EpochRecord

    plot = LossPlot("full")
    qtbot.addWidget(plot)
    plot.reset("r2")
    plot.add_records([EpochRecord(1, 1, 0.3, 0.3, -5.0, -4.0, 0.01, 0.3, 0.1),
                      EpochRecord(2, 2, 0.2, 0.2, 0.5, 0.4, 0.01, 0.2, 0.2)])
    plot.refresh(force=True)
    _, train = plot.train_metric_curve.getData()
    _, val = plot.val_metric_curve.getData()
    assert list(train) == [-1.0, 0.5] and list(val) == [-1.0, pytest.approx(0.4)]


def test_first_layer_weight_caption_names_zero_and_identical_weights():
    from app.plots.gallery import weights_heading

    assert "all zero" in weights_heading(np.zeros((4, 9), np.float32), 4)
    same = np.tile(np.arange(9, dtype=np.float32), (4, 1))
    assert "every unit identical" in weights_heading(same, 4)
    varied = np.arange(36, dtype=np.float32).reshape(4, 9)
    assert weights_heading(varied, 4).endswith("(blue +, orange −)")
