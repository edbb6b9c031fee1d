"""The one base class for every error a user of paragon_magic can see.

IPython calls ``_render_traceback_`` instead of printing a traceback, so a user error shows as one
clear line and the cell still fails (Run All stops). No IPython import is needed for that.
"""

from __future__ import annotations


class ParagonMagicError(Exception):
    """An error meant for the user: ``str()`` is one line saying what went wrong and how to fix it."""

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self}"]


class UsageError(ParagonMagicError):
    """Bad input from the user (unknown action or flag, bad value, missing parameter, ...)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        #: The parameter the message is about, so a form can mark the offending field.
        self.field = field


class ConfigurationError(ParagonMagicError):
    """Not connected, no credentials, a missing optional dependency, ..."""
