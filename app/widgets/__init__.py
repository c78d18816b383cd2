"""Small reusable widgets for the settings panels: number fields, tooltips, sections."""

from app.widgets.collapsible import CollapsibleSection
from app.widgets.form_layout import CompactComboBox, compact_form, form_label, panel_title
from app.widgets.learning_rate import LR_PRESETS, LearningRateField
from app.widgets.number_fields import IntField, NumberField, format_number, log_step
from app.widgets.option_form import OptionForm
from app.widgets.tooltips import RESET_MARK, rich_tooltip

__all__ = [
    "LR_PRESETS",
    "RESET_MARK",
    "CollapsibleSection",
    "CompactComboBox",
    "IntField",
    "LearningRateField",
    "NumberField",
    "OptionForm",
    "compact_form",
    "form_label",
    "format_number",
    "log_step",
    "panel_title",
    "rich_tooltip",
]
