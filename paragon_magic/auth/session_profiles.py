"""Profiles kept for this Python process only: those whose base URL is a server on this machine.

A profile whose base is on this machine (the local sandbox at ``http://127.0.0.1:<a free port>``) is
never written to the keyring or to ``credentials.json``: the sandbox gets a new port every run, and
whatever program holds that port later would receive the key when the saved profile connects on its
own. Such a profile lives in memory, one overlay per credentials file, until the process exits;
:class:`~paragon_magic.auth.CredentialStore` merges it into what it reads and keeps it out of what it
writes, and ``%stripe profiles`` shows it as stored in ``session``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..client.bases import is_loopback_host

__all__ = ["SESSION", "SessionOverlay", "is_session_only", "overlay_for"]

#: The ``stored_in`` value of a profile kept for this process only.
SESSION = "session"


def is_session_only(base_url: str | None) -> bool:
    """Whether a profile with this base URL is kept in memory only (a base on this machine)."""
    if not base_url:
        return False
    try:
        return is_loopback_host(urlsplit(str(base_url)).hostname)
    except ValueError:
        return False


@dataclass
class SessionOverlay:
    """The session-only profiles of one credentials file (entries hold their secret) and, when one of
    them was made active, its name (``None``: the file's active profile applies)."""

    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    active: str | None = None

    def merge(self, data: dict[str, Any]) -> dict[str, Any]:
        """The file's ``data`` with these profiles over it (a session profile hides a saved one)."""
        data["profiles"].update({name: dict(entry) for name, entry in self.profiles.items()})
        if self.active in self.profiles:
            data["active"] = self.active
        return data

    def split(self, data: dict[str, Any], file_active: str | None) -> dict[str, Any]:
        """Take the session profiles out of ``data`` (kept here); the rest is what the file gets.
        ``file_active`` (the file's active profile) stays when a session profile is or was active."""
        was_active = self.active
        self.profiles = {n: dict(e) for n, e in data["profiles"].items() if e.get("stored_in") == SESSION}
        on_file = {n: e for n, e in data["profiles"].items() if e.get("stored_in") != SESSION}
        active = data.get("active")
        self.active = active if active in self.profiles else None
        keep_file_active = active in self.profiles or (active is None and was_active is not None)
        return {**data, "profiles": on_file, "active": file_active if keep_file_active else active}


_OVERLAYS: dict[str, SessionOverlay] = {}
_LOCK = threading.Lock()


def overlay_for(path: Any) -> SessionOverlay:
    """The (process-wide) overlay of the credentials file at ``path``."""
    with _LOCK:
        return _OVERLAYS.setdefault(str(path), SessionOverlay())
