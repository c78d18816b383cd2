"""A long run keeps memory flat: 100,000 steps (25,000 epochs) on the two spirals, through
the engine alone and through the real plot widgets fed with every update.

The code is ``bench/memory.py``'s, so CI measures what the benchmark reports. Memory that
must grow with the run is the history a project saves (one small record per epoch, about
0.6 kB); everything the plots keep is bounded, so the second half of the run may not add
more than the first.
"""

from __future__ import annotations

import pytest

from bench import memory

pytestmark = pytest.mark.gui

STEPS = 100_000
RECORD_MB = 0.0007  # a generous upper bound of one EpochRecord kept in the history


def _assert_flat(result: dict, slack_mb: float) -> None:
    epochs = result["epochs"]
    first = result["rss_half_mb"] - result["rss_start_mb"]
    second = result["rss_end_mb"] - result["rss_half_mb"]
    history = epochs / 2 * RECORD_MB
    assert second <= history + slack_mb, f"grew {second:.1f} MB in the second half: {result}"
    assert result["rss_peak_mb"] - result["rss_start_mb"] <= 2 * history + first + slack_mb
    print(f"RSS {result['rss_start_mb']} -> {result['rss_half_mb']} -> {result['rss_end_mb']} "
          f"MB (peak {result['rss_peak_mb']}), {result['seconds']} s, {epochs} epochs")


def test_the_engine_alone_keeps_memory_flat(tally):
    result = memory.engine_run(STEPS)
    assert result["steps"] >= STEPS and result["history_records"] == result["epochs"]
    _assert_flat(result, slack_mb=5)
    tally("long run: engine steps", result["steps"])


def test_the_plots_stay_bounded_over_100000_steps(qapp, tally):
    result = memory.gui_run(STEPS)
    assert result["steps"] >= STEPS and result["history_records"] == result["epochs"]
    assert result["updates"] >= 1000  # many more than a real session of this length gives
    for name, buffer in result["buffers"].items():
        assert buffer["kept"] <= buffer["max_points"] + 1, name
        assert buffer["capacity"] <= buffer["max_points"] + 1, name
    for name in ("loss_records", "sparkline_records"):
        buffer = result["buffers"][name]
        assert buffer["appended"] == result["epochs"] > buffer["max_points"]
        assert buffer["stride"] >= 2  # decimated, not dropped: every epoch went in
    _assert_flat(result, slack_mb=25)
    tally("long run: steps through the plots", result["steps"])
    tally("long run: updates through the plots", result["updates"])
