"""Exceptions the core raises, each carrying a message written for the user."""

from __future__ import annotations


class NNCoreError(Exception):
    """Base class of every error the core raises on purpose."""


class SpecError(NNCoreError, ValueError):
    """A network, training or data specification is invalid.

    ``problems`` lists every problem found, not only the first, so a user can fix them
    all at once.
    """

    def __init__(self, problems: list) -> None:  # list[Problem]; avoids an import cycle
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems) or "invalid specification")


class DataError(NNCoreError, ValueError):
    """A data set could not be loaded or prepared; the message names the source and the fix."""


class ProjectFileError(NNCoreError, ValueError):
    """A project file is malformed, from an unknown version, or unsafe to load."""
