"""The network designer: drag layers into a drawing of the network, edit them, watch them.

``DesignerPanel`` is what the main window places in its centre column; the pieces are
``LayerPalette`` (palette.py), ``NetworkView`` / ``NetworkScene`` (view.py, scene.py) and
``InspectorPanel`` (inspector.py). Pure edit rules live in ``edits.py`` and the drawing's
column model in ``columns.py``, both free of Qt.
"""

from app.designer.panel import DesignerPanel

__all__ = ["DesignerPanel"]
