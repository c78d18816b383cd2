"""The main window: data → network → output, left to right, analysis tabs below.

It composes the panels, menus and toolbar and owns nothing but the document and the
long-lived services (data source, training controller, visualiser); every panel reads the
document and subscribes to the services itself.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Slot
from PySide6.QtGui import QCloseEvent, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.actions import build_menus, build_toolbar, create_actions
from app.autosave import Autosaver, ask_to_recover
from app.data_source import DataSource
from app.document import ProjectDocument
from app.file_actions import FileActions
from app.layout_memory import restore_layout, save_layout
from app.message_bar import MessageBar
from app.run_status import RunStatus, final_summary
from app.theme import PROBLEM, configure_pyqtgraph
from app.training.controller import STARTING, TrainingController
from app.training.visualiser import Visualiser
from nncore import __version__
from nncore.runner import RunState, Update

APP_TITLE = "Backprop Lab"


class MainWindow(QMainWindow):
    """Backprop Lab's window for one open project."""

    def __init__(self, document: ProjectDocument | None = None, *,
                 engine_mode: str = "process", blas_threads: int = 1,
                 settings: QSettings | None = None) -> None:
        super().__init__()
        configure_pyqtgraph()  # plots follow the theme whoever creates the window
        self.document = document or ProjectDocument(parent=self)
        self.settings = settings or QSettings()
        self.data_source = DataSource(self)
        self.controller = TrainingController(self.document, mode=engine_mode,
                                             blas_threads=blas_threads, parent=self)
        self.visualiser = Visualiser(self.document, self.data_source, self.controller,
                                     parent=self)
        self.actions = create_actions(self, self.document)
        self.files = FileActions(self, self.document, self.controller, self.settings)
        self.autosaver = Autosaver(self.document, self.controller, parent=self)
        self.ask_recover = lambda name, when: ask_to_recover(self, name, when)
        self._closing = False
        self.start_screen = None
        self._build_panels()
        self._build_toolbar()
        self._build_menus()
        self._connect()
        from app.inspector import install_step_inspector  # issue 14: a dock, Ctrl+I
        self.step_inspector = install_step_inspector(self)
        from app.teach import install as install_teach  # assignments, hand in, export

        self.teach = install_teach(self)
        self.statusBar().showMessage("Ready")
        QApplication.instance().aboutToQuit.connect(self.shutdown)
        self.resize(1366, 768)
        self._on_project_replaced()
        restore_layout(self, self.settings)

    # -- layout ------------------------------------------------------------------------------

    def _build_panels(self) -> None:
        from app.designer import DesignerPanel
        from app.panels import DataPanel, TrainingPanel
        from app.plots import AnalysisTabs, OutputPanel

        doc, data, ctl, vis = self.document, self.data_source, self.controller, self.visualiser
        self.data_panel = DataPanel(doc, data)
        self.training_panel = TrainingPanel(doc, ctl, data_source=data)
        self.designer = DesignerPanel(doc, data, ctl, vis)
        self.output_panel = OutputPanel(doc, data, ctl, vis)
        self.tabs = AnalysisTabs(doc, data, ctl)
        doc.add_view_source(self.tabs.view_state)  # plot histories go into the saved file
        self._build_diagnosis_tabs()
        self.message_bar = MessageBar()

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.data_panel)
        left_layout.addWidget(self.training_panel)
        left_layout.addStretch(1)
        left_scroll = QScrollArea()
        left_scroll.setWidget(left)
        left_scroll.setWidgetResizable(True)
        left_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        left_scroll.setMinimumWidth(280)
        self.left_scroll = left_scroll
        # The settings column runs the full height (nothing in it is clipped at 768
        # pixels); the network and output share the rest with the analysis tabs.
        self.top_splitter = QSplitter(Qt.Orientation.Horizontal)
        for widget in (self.designer, self.output_panel):
            self.top_splitter.addWidget(widget)
        self.top_splitter.setStretchFactor(0, 3)
        self.top_splitter.setStretchFactor(1, 2)
        self.top_splitter.setSizes([600, 470])

        self.main_splitter = QSplitter(Qt.Orientation.Vertical)
        self.main_splitter.addWidget(self.top_splitter)
        self.main_splitter.addWidget(self.tabs)
        self.main_splitter.setStretchFactor(0, 3)
        self.main_splitter.setStretchFactor(1, 2)
        self.main_splitter.setSizes([420, 270])

        from app.plots.timeline import Timeline

        # The rewind timeline sits under the plots it rewinds (issue 15).
        self.timeline = Timeline(doc, data, ctl)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(2)
        right_layout.addWidget(self.main_splitter, 1)
        right_layout.addWidget(self.timeline)

        self.outer_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.outer_splitter.addWidget(left_scroll)
        self.outer_splitter.addWidget(right)
        self.outer_splitter.setStretchFactor(1, 1)
        self.outer_splitter.setSizes([290, 1076])

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(2)
        layout.addWidget(self.message_bar)
        layout.addWidget(self.outer_splitter, 1)
        self.setCentralWidget(central)

    def _build_diagnosis_tabs(self) -> None:
        """The lesson text, the doctor, the gradient check and the comparison of runs."""
        from app.lessons import LessonPanel
        from app.panels.compare_panel import ComparePanel
        from app.panels.doctor_panel import DoctorPanel
        from app.panels.gradcheck_panel import GradCheckPanel
        from app.panels.sweep_panel import SweepPanel

        doc, ctl = self.document, self.controller
        self.lesson_panel = LessonPanel(doc)
        self.doctor_panel = DoctorPanel(doc, ctl, self.designer.highlight_layer,
                                        self._show_evidence, data_source=self.data_source)
        self.gradcheck_panel = GradCheckPanel(ctl, data_source=self.data_source)
        self.compare_panel = ComparePanel(doc)
        self.tabs.insertTab(0, self.lesson_panel, "Lesson")
        self.tabs.addTab(self.doctor_panel, "Doctor")
        self.tabs.addTab(self.gradcheck_panel, "Gradient check")
        self.tabs.addTab(self.compare_panel, "Compare")
        self.sweep_panel = SweepPanel(doc)
        self.sweep_panel.open_requested.connect(self.files.open)
        self.tabs.addTab(self.sweep_panel, "Sweep")
        self.doctor_panel.count_changed.connect(self._on_doctor_count_changed)
        self.doctor_panel.fix_applied.connect(
            lambda text: self.message_bar.show_message(text, "info", (
                ("Train", self.controller.train), ("Undo", self.document.undo_stack.undo))))

    def _build_toolbar(self) -> None:
        from app.widgets.speed_control import SpeedControl

        self.run_status = RunStatus()
        self.speed_control = SpeedControl(self.document)
        self.toolbar, self.lessons_button = build_toolbar(self.actions, self.run_status,
                                                          self.speed_control)
        self.addToolBar(self.toolbar)

    def _build_menus(self) -> None:
        from app.lessons import populate_lessons_menu

        self.recent_menu, self.lessons_menu = build_menus(self.menuBar(), self.actions)
        populate_lessons_menu(self.lessons_menu, self.open_lesson)
        self.lessons_menu.addSeparator()
        self.lessons_menu.addAction("Start screen…", lambda: self.show_start_screen(force=True))
        self.lessons_button.setMenu(self.lessons_menu)
        self._fill_recent_menu(self.files.recent_files())

    def _connect(self) -> None:
        a, ctl, doc = self.actions, self.controller, self.document
        a.new.triggered.connect(self.files.new)
        a.open.triggered.connect(lambda: self.files.open())
        a.save.triggered.connect(self.files.save)
        a.save_as.triggered.connect(self.files.save_as)
        a.export_history.triggered.connect(self._export_history)
        a.export_screenshot.triggered.connect(lambda: self.files.export_window_picture(self))
        a.quit.triggered.connect(self.close)
        a.about.triggered.connect(self._show_about)
        a.train.triggered.connect(ctl.toggle)
        a.step_batch.triggered.connect(ctl.step_batch)
        a.step_epoch.triggered.connect(ctl.step_epoch)
        a.stop.triggered.connect(ctl.stop)
        a.reset.triggered.connect(self._reset)
        a.check_gradients.triggered.connect(self._check_gradients)
        self.files.recent_changed.connect(self._fill_recent_menu)
        self.files.message.connect(lambda text: self.statusBar().showMessage(text, 5000))
        ctl.state_changed.connect(self._on_controller_state_changed)
        ctl.update_received.connect(self._on_controller_update)
        ctl.history_reset.connect(self.run_status.clear)
        ctl.error_occurred.connect(self._on_controller_error)
        ctl.refused.connect(lambda text: self.message_bar.show_message(text, "warning",
                                                                       (("Reset", self._reset),)))
        ctl.needs_reset.connect(self._on_controller_needs_reset)
        ctl.stale_changed.connect(self._on_controller_stale_changed)
        ctl.engine_lost.connect(lambda text: self.message_bar.show_message(text, "problem"))
        doc.dirty_changed.connect(self._update_title)
        doc.path_changed.connect(lambda _p: self._update_title())
        doc.project_replaced.connect(self._on_project_replaced)
        doc.data_changed.connect(self._on_data_changed)
        doc.network_changed.connect(lambda _s: self._show_problems())
        doc.training_changed.connect(lambda _s: self._show_problems())
        doc.training_changed.connect(self._on_training_changed)
        # Data-load failures are explained in the data panel, next to the data controls.
        self.data_source.splits_changed.connect(lambda _s: self._on_splits_changed())
        self.tabs.gradients_wanted.connect(self._on_gradients_wanted)
        # Space must reach the Train action even when a button has the focus.
        self._space = QShortcut(QKeySequence("Space"), self)
        self._space.activated.connect(a.train.trigger)
        a.train.setShortcut(QKeySequence())

    # -- reactions -------------------------------------------------------------------------

    def _show_evidence(self, view: str) -> None:
        """Bring forward the view that shows a finding's evidence."""
        if view == "gradcheck":
            self.tabs.setCurrentWidget(self.gradcheck_panel)
        elif view in ("loss", "weights", "health", "confusion", "images") and \
                self.tabs.is_tab_available(view):
            self.tabs.show_tab(view)
        elif view == "data":
            self.data_panel.setFocus()

    @Slot(int)
    def _on_doctor_count_changed(self, count: int) -> None:
        index = self.tabs.indexOf(self.doctor_panel)
        previous = getattr(self, "_doctor_count", 0)
        self._doctor_count = count
        self.tabs.setTabText(index, f"Doctor ({count})" if count else "Doctor")
        if count > previous:  # a new finding: pulse the tab once so the eye goes there
            bar = self.tabs.tabBar()
            bar.setTabTextColor(index, QColor(PROBLEM))
            # bar as the context: the timer dies with the window instead of firing at a
            # deleted tab bar (a RuntimeError in the event loop after a quick close)
            QTimer.singleShot(1500, bar, lambda: bar.setTabTextColor(index, QColor()))

    @Slot()
    def _on_project_replaced(self) -> None:
        self.message_bar.hide()
        has_lesson = self.document.project.lesson is not None
        self.tabs.setTabVisible(self.tabs.indexOf(self.lesson_panel), has_lesson)
        if has_lesson:
            self.tabs.setCurrentWidget(self.lesson_panel)
        self.data_source.load(self.document.data)
        self.run_status.pace = self.document.training.steps_per_second
        self._update_title()
        self._show_problems()

    @Slot(object)
    def _on_data_changed(self, spec) -> None:
        self.data_source.load(spec)

    @Slot(object)
    def _on_training_changed(self, training) -> None:
        self.run_status.pace = training.steps_per_second

    def _on_splits_changed(self) -> None:
        weights = self.document.project.weights
        if weights:
            self.visualiser.show_weights(weights)
            self.controller.show_trained_state()  # views that need the data draw it now
        self._show_problems()

    def _show_problems(self) -> None:
        problems = self.document.problems()
        self.actions.train.setEnabled(not problems)
        self.actions.step_batch.setEnabled(not problems)
        self.actions.step_epoch.setEnabled(not problems)
        if problems:
            first = problems[0]
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            self.statusBar().showMessage(f"Cannot train yet: {first.message}"
                                         f"{' — ' + first.fix if first.fix else ''}{more}")
        else:
            self.statusBar().clearMessage()

    @Slot(str)
    def _on_controller_state_changed(self, state: str) -> None:
        running = state in (RunState.RUNNING.value, STARTING)
        a = self.actions
        a.train.setText("Pause" if running else "Train")
        a.train.setIcon(self.style().standardIcon(
            self.style().StandardPixmap.SP_MediaPause if running else
            self.style().StandardPixmap.SP_MediaPlay))
        a.train.setToolTip("Pause training (Space)" if running else
                           "Start or resume training (Space)")

    @Slot(object)
    def _on_controller_update(self, update: Update) -> None:
        self.run_status.show_update(update)
        snap = update.snapshot
        if snap.stop_reason is not None and update.state is RunState.FINISHED:
            kind = "problem" if snap.stop_reason.value == "non-finite-loss" else "info"
            if kind == "problem":
                self.message_bar.show_message(snap.message, kind, (("Reset", self._reset),))
            else:
                self.statusBar().showMessage(final_summary(update), 15000)

    @Slot(str)
    def _on_controller_error(self, text: str) -> None:
        first_line = text.strip().splitlines()[0] if text.strip() else "unknown error"
        self.message_bar.show_message(f"Training could not run: {first_line}", "problem")

    @Slot(list)
    def _on_controller_needs_reset(self, reasons: list) -> None:
        names = ", ".join(sorted({r.split(".")[-1] for r in reasons})) or "the design"
        self.message_bar.show_message(
            f"You changed {names}: the current network cannot continue with that. "
            "Reset to train the new design (the current weights will be discarded), or undo "
            "the change to keep training.", "warning",
            (("Reset and apply", self._reset), ("Undo change", self.document.undo_stack.undo)))

    @Slot(bool)
    def _on_controller_stale_changed(self, stale: bool) -> None:
        if not stale and self.message_bar.kind == "warning":
            self.message_bar.hide()

    @Slot(bool)
    def _on_gradients_wanted(self, wanted: bool) -> None:
        self.controller.set_detail(gradients=wanted)

    def _reset(self) -> None:
        self.message_bar.hide()
        self.run_status.clear()
        self.controller.reset()

    def _check_gradients(self) -> None:
        self.tabs.setCurrentWidget(self.gradcheck_panel)
        self.controller.check_gradients()
        self.statusBar().showMessage("Checking gradients…", 3000)

    def _update_title(self, *_args) -> None:
        self.setWindowTitle(f"{self.document.display_name}[*] — {APP_TITLE}")
        self.setWindowModified(self.document.is_dirty)

    def _fill_recent_menu(self, files: list) -> None:
        self.recent_menu.clear()
        for path in files:
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.triggered.connect(lambda _=False, p=path: self.files.open(p))
        self.recent_menu.setEnabled(bool(files))

    def _export_history(self) -> None:
        last = self.controller.last_update
        self.files.export_history(self.controller.history,
                                  last.snapshot.metric_name if last else "accuracy")

    def _show_about(self) -> None:
        QMessageBox.about(self, f"About {APP_TITLE}",
                          f"<b>{APP_TITLE}</b> {__version__}<br>Learn how neural networks "
                          "train: design, train and diagnose networks live.<br>Pure-NumPy "
                          "engine; PySide6 and pyqtgraph interface.")

    # -- lessons and the start screen -------------------------------------------------------

    def open_lesson(self, lesson_id: str, variant: str | None = None) -> bool:
        """Open a built-in lesson (after asking about unsaved changes)."""
        from app.lessons import open_lesson

        lesson = self.document.project.lesson or {}
        if lesson.get("id") == lesson_id and variant is None and not self.document.is_dirty:
            return True  # already showing it, untouched
        if not self.files.maybe_save():
            return False
        try:
            open_lesson(self.document, lesson_id, variant, strict=True)
        except Exception as err:  # a damaged lesson file must not take the app down
            self.message_bar.show_message(f"Could not open the lesson: {err}", "problem")
            return False
        return True

    def show_start_screen(self, *, force: bool = False) -> None:
        """Offer the lessons and recent projects (unless switched off in the settings)."""
        from app.start_screen import show_start_screen

        self.start_screen = show_start_screen(self, force=force) or self.start_screen

    def offer_recovery(self) -> bool:
        """After a crash, offer the newest autosave; True if it was recovered."""
        from app.autosave import recover_latest

        message = recover_latest(self.document, self.autosaver.folder, self.ask_recover)
        if message:
            self.message_bar.show_message(*message)
        return bool(message) and message[1] == "info"

    # -- closing ---------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._closing:
            event.accept()
            return
        if not self.files.maybe_save():
            event.ignore()
            return
        self._closing = True
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop the engine and helper threads (within about a second); idempotent."""
        if getattr(self, "_shut_down", False):
            return
        self._shut_down = True
        save_layout(self, self.settings)
        self.autosaver.clean_exit()
        self.compare_panel.shutdown()
        self.sweep_panel.shutdown()
        self.controller.shutdown(1000)
        self.visualiser.shutdown(500)
        self.data_source.wait(500)
