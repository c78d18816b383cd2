"""Rich tooltips in one style: what a control does, its formula, advice, reset marker.

Every control of the settings panels explains itself the same way, so a student learns
where to look: a sentence saying what it does, the formula in a monospace line (from the
registries' ``formula``), a hint (their ``advice``) and, for settings that cannot change
during a run, the ↻ marker saying that changing it restarts training from new weights.
"""

from __future__ import annotations

from html import escape

RESET_MARK = "↻"
RESET_NOTE = (f"{RESET_MARK} Changing this during a run needs a reset: training starts again "
              "from new weights.")


def rich_tooltip(text: str, *, formula: str | None = None, advice: str | None = None,
                 needs_reset: bool = False, extra: str | None = None) -> str:
    """Tooltip HTML: ``text``, then the formula, advice, an extra line and the ↻ note.

    ``<qt>`` makes Qt treat it as rich text, which also wraps long lines.
    """
    parts = [f"<p>{escape(text)}</p>"]
    if formula:
        parts.append(f"<p style='font-family: monospace; white-space: pre'>{escape(formula)}</p>")
    if advice:
        parts.append(f"<p><i>{escape(advice)}</i></p>")
    if extra:
        parts.append(f"<p>{escape(extra)}</p>")
    if needs_reset:
        parts.append(f"<p><b>{escape(RESET_NOTE)}</b></p>")
    return "<qt>" + "".join(parts) + "</qt>"
