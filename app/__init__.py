"""Backprop Lab's desktop application (PySide6 + pyqtgraph) over the ``nncore`` engine.

Importing this package is cheap: Qt modules are imported by the modules that need them,
after ``app.main`` has set up the environment.
"""
