"""The side panels of the main window: data and training settings."""

from app.panels.data_panel import DataPanel
from app.panels.training_panel import TrainingPanel

__all__ = ["DataPanel", "TrainingPanel"]
