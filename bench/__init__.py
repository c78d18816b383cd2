"""Benchmarks of nncore against PyTorch on the CPU: ``python -m bench`` (docs/benchmarks.md).

Not part of the installed package and never imported by the app; CI runs only a smoke
(``python -m bench --quick``) and never asserts on timings.
"""
