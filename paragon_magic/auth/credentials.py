"""Saved credentials, one set per profile name, and the order in which credentials are found.

Where they are kept
-------------------
* The secret (Stripe API key or Paragon user token) goes to the operating system's keyring (macOS
  Keychain, Windows Credential Locker, Secret Service on Linux) under the service name
  ``paragon_magic`` and the profile name, when a real keyring backend is available.
* Everything else — which profiles exist, the active profile, each profile's kind, masked key, mode,
  account id and name, Paragon project id, saved time — and the secret itself when there is no
  keyring, is kept in ``credentials.json`` in the configuration directory:

  - ``$PARAGON_MAGIC_CONFIG_DIR`` when set, otherwise
  - ``platformdirs.user_config_dir("paragon_magic")``: ``~/.config/paragon_magic`` on Linux,
    ``~/Library/Application Support/paragon_magic`` on macOS,
    ``%LOCALAPPDATA%\\paragon_magic\\paragon_magic`` on Windows.

  The directory (and any parent it creates) is made with mode 0700 and the file with 0600 whatever
  the umask; the file is replaced atomically on every change and never read or written through a
  symlink. A directory or file that is a symlink, not owned by the user, or writable by group or
  others is refused with one line; one that is ours but readable by others is narrowed.

A profile whose base URL is on this machine (the local sandbox) is kept for this process only, never
in the keyring or the file: :mod:`.session_profiles`.

Where credentials come from, in the Stripe CLI's order, is :mod:`.resolution`; the checks that keep the
directory and file private are :mod:`.private_files`.
"""

from __future__ import annotations

import functools
import json
import os
import re
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import platformdirs

from ..errors import ConfigurationError, UsageError
from .keys import Secret, classify_key
from .private_files import NOFOLLOW, check_private, make_private_dirs
from .session_profiles import SESSION, is_session_only, overlay_for

__all__ = [
    "CONFIG_DIR_ENV",
    "CredentialStore",
    "check_profile_name",
    "Credentials",
    "ProfileInfo",
    "STRIPE_BASE_ENV",
    "STRIPE_KEY_ENV",
    "default_config_dir",
]

CONFIG_DIR_ENV = "PARAGON_MAGIC_CONFIG_DIR"
STRIPE_KEY_ENV = "STRIPE_API_KEY"
STRIPE_BASE_ENV = "STRIPE_API_BASE"
KEYRING_SERVICE = "paragon_magic"
FILE_NAME = "credentials.json"
DEFAULT_PROFILE = "default"

CredentialKind = Literal["stripe_key", "paragon"]
_PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_META_FIELDS = ("project_id", "account_id", "account_name", "mode", "base_url", "saved_at")


@dataclass(frozen=True)
class Credentials:
    """One set of credentials: a Stripe key, or a Paragon user token plus its project id.

    ``secret`` is a :class:`Secret`, so the repr shows only its masked form.
    """

    kind: CredentialKind
    secret: Secret
    project_id: str | None = None
    account_id: str | None = None
    account_name: str | None = None
    mode: str | None = None
    base_url: str | None = None
    saved_at: str | None = None

    @classmethod
    def stripe_key(cls, key: str | Secret, **metadata: Any) -> Credentials:
        """Credentials for a Stripe Secret/Restricted key (validated; ``mode`` taken from the key)."""
        secret = Secret(Secret(key).reveal().strip())
        info = classify_key(secret)
        return cls(kind="stripe_key", secret=secret, **{**metadata, "mode": info.mode})

    @classmethod
    def paragon(cls, token: str | Secret, project_id: str, **metadata: Any) -> Credentials:
        """Credentials for a Paragon Connect user token of project ``project_id``."""
        secret = Secret(Secret(token).reveal().strip())
        if not secret:
            raise UsageError("the Paragon user token is empty", field="token")
        if not project_id or not isinstance(project_id, str):
            raise UsageError("a Paragon project id is needed with a user token", field="project_id")
        return cls(kind="paragon", secret=secret, project_id=project_id, **metadata)

    @property
    def masked(self) -> str:
        return self.secret.masked


@dataclass(frozen=True)
class ProfileInfo:
    """A saved profile as listed to the user: no secret, only its masked form."""

    name: str
    kind: CredentialKind
    masked: str
    active: bool
    stored_in: Literal["keyring", "file", "session"]
    project_id: str | None = None
    account_id: str | None = None
    account_name: str | None = None
    mode: str | None = None
    base_url: str | None = None
    saved_at: str | None = None


def default_config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$PARAGON_MAGIC_CONFIG_DIR`` if set, else ``platformdirs.user_config_dir("paragon_magic")``."""
    env = os.environ if environ is None else environ
    override = env.get(CONFIG_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir("paragon_magic", appauthor=False))


def usable_keyring(backend: Any = None) -> Any | None:
    """``backend`` (default: the OS keyring backend), or None if it is a fail/null/empty-chainer one."""
    try:
        import keyring
        from keyring.backends import chainer, fail, null
    except ImportError:  # pragma: no cover - keyring is a dependency
        return None
    if backend is None:
        backend = keyring.get_keyring()
    if isinstance(backend, (fail.Keyring, null.Keyring)):
        return None
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return None
    return backend


def check_profile_name(name: str) -> str:
    if not isinstance(name, str) or not _PROFILE_NAME.fullmatch(name):
        raise UsageError(
            "a profile name is 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit",
            field="profile",
        )
    return name


@dataclass
class CredentialStore:
    """Profiles of saved credentials (see the module docstring for where they live).

    ``config_dir`` overrides the directory; ``keyring`` is "auto" (use the OS keyring when a real
    backend exists), None (file only) or a ``keyring.backend.KeyringBackend`` instance.
    """

    config_dir: Path | str | None = None
    keyring: Any = "auto"
    environ: Mapping[str, str] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.config_dir = Path(self.config_dir) if self.config_dir else default_config_dir(self.environ)

    @functools.cached_property
    def keyring_backend(self) -> Any | None:
        """The keyring secrets go to, or None (file only). "auto" looks for the OS keyring only on first
        use: connecting with a key that is not saved never pays for the keyring's backend detection."""
        return usable_keyring() if self.keyring == "auto" else self.keyring

    # -- public API -------------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        """The JSON file holding profile metadata (and secrets when there is no keyring)."""
        return Path(self.config_dir) / FILE_NAME

    @property
    def backend(self) -> str:
        """Where new secrets go: "keyring (<backend name>)" or "file (<path>)"."""
        if self.keyring_backend is not None:
            return f"keyring ({type(self.keyring_backend).__module__}.{type(self.keyring_backend).__name__})"
        return f"file ({self.path})"

    @property
    def active_profile(self) -> str | None:
        """The profile chosen by :meth:`use` (or the last one saved), if it still exists."""
        data = self._read()
        active = data.get("active")
        if active in data["profiles"]:
            return active
        return DEFAULT_PROFILE if DEFAULT_PROFILE in data["profiles"] else None

    def save(self, profile: str, credentials: Credentials, *, activate: bool = True) -> Credentials:
        """Save ``credentials`` as ``profile`` (replacing it), stamp ``saved_at``; make it active."""
        check_profile_name(profile)
        if not credentials.saved_at:
            stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
            credentials = replace(credentials, saved_at=stamp)
        data = self._read()
        entry: dict[str, Any] = {"kind": credentials.kind, "masked": credentials.masked}
        entry.update({name: getattr(credentials, name) for name in _META_FIELDS})
        if is_session_only(credentials.base_url):  # a base on this machine: kept in memory only
            if data["profiles"].get(profile, {}).get("stored_in") == "keyring":
                self._keyring_delete(profile)  # the profile it replaces
            entry["stored_in"] = SESSION
            entry["secret"] = credentials.secret.reveal()
        elif self._keyring_set(profile, credentials.secret):
            entry["stored_in"] = "keyring"
        else:
            entry["stored_in"] = "file"
            entry["secret"] = credentials.secret.reveal()
        data["profiles"][profile] = entry
        if activate:
            data["active"] = profile
        self._write(data)
        return credentials

    def load(self, profile: str | None = None) -> Credentials:
        """The credentials saved as ``profile`` (default: the active profile)."""
        data = self._read()
        name = profile or self.active_profile or DEFAULT_PROFILE
        entry = data["profiles"].get(name)
        if entry is None:
            raise ConfigurationError(self._missing_message(name, data))
        if entry.get("stored_in") == "keyring":
            value = self._keyring_get(name)
            if value is None:
                raise ConfigurationError(
                    f"the secret of profile '{name}' is no longer in the keyring; connect again to save it"
                )
        else:
            value = entry.get("secret")
            if not isinstance(value, str) or not value:
                raise ConfigurationError(f"profile '{name}' in {self.path} has no secret; connect again")
        meta = {key: entry.get(key) for key in _META_FIELDS}
        return Credentials(kind=entry["kind"], secret=Secret(value), **meta)

    def __contains__(self, profile: object) -> bool:
        return isinstance(profile, str) and profile in self._read()["profiles"]

    def use(self, profile: str) -> None:
        """Make ``profile`` the active one (it must exist)."""
        data = self._read()
        if profile not in data["profiles"]:
            raise ConfigurationError(self._missing_message(profile, data))
        data["active"] = profile
        self._write(data)

    def delete(self, profile: str) -> bool:
        """Forget ``profile`` (keyring entry included). Returns False if there was no such profile."""
        data = self._read()
        entry = data["profiles"].pop(profile, None)
        if entry is None:
            return False
        if entry.get("stored_in") == "keyring":
            self._keyring_delete(profile)
        if data.get("active") == profile:
            data["active"] = None
        self._write(data)
        return True

    def profiles(self) -> list[ProfileInfo]:
        """Every saved profile, sorted by name, without secrets."""
        data = self._read()
        active = self.active_profile
        return [
            ProfileInfo(
                name=name,
                kind=entry["kind"],
                masked=entry.get("masked", "…"),
                active=name == active,
                stored_in=entry.get("stored_in", "file"),
                **{key: entry.get(key) for key in _META_FIELDS},
            )
            for name, entry in sorted(data["profiles"].items())
        ]

    # -- keyring ----------------------------------------------------------------------------------

    def _keyring_set(self, profile: str, secret: Secret) -> bool:
        if self.keyring_backend is None:
            return False
        from keyring.errors import KeyringError

        try:
            self.keyring_backend.set_password(KEYRING_SERVICE, profile, secret.reveal())
        except KeyringError:
            return False  # a locked or broken keyring: keep the secret in the private file instead
        return True

    def _keyring_get(self, profile: str) -> str | None:
        if self.keyring_backend is None:
            raise ConfigurationError(
                f"profile '{profile}' was saved in an OS keyring that is not available here; connect again"
            )
        from keyring.errors import KeyringError

        try:
            return self.keyring_backend.get_password(KEYRING_SERVICE, profile)
        except KeyringError as exc:
            raise ConfigurationError(f"the OS keyring could not be read ({type(exc).__name__})") from None

    def _keyring_delete(self, profile: str) -> None:
        if self.keyring_backend is None:
            return
        from keyring.errors import KeyringError

        try:
            self.keyring_backend.delete_password(KEYRING_SERVICE, profile)
        except KeyringError:
            pass  # already gone

    # -- the file ---------------------------------------------------------------------------------

    def _missing_message(self, name: str, data: dict[str, Any]) -> str:
        saved = ", ".join(sorted(data["profiles"])) or "none"
        return f"no saved profile '{name}' (saved profiles: {saved})"

    def _read(self) -> dict[str, Any]:
        """The file's profiles with this process's session-only ones over them."""
        return overlay_for(self.path).merge(self._read_file())

    def _write(self, data: dict[str, Any]) -> None:
        """Session-only profiles to memory, the rest to the file (not created for session profiles alone)."""
        on_file = self._read_file()
        wanted = overlay_for(self.path).split(data, on_file.get("active"))
        if wanted["profiles"] or wanted.get("active") or os.path.lexists(self.path):
            self._write_file(wanted)

    def _read_file(self) -> dict[str, Any]:
        path = self.path
        directory = Path(self.config_dir)
        if not os.path.lexists(directory):
            return {"version": 1, "active": None, "profiles": {}}
        check_private(directory, os.lstat(directory), "configuration directory")
        try:
            fd = os.open(path, os.O_RDONLY | NOFOLLOW)
        except FileNotFoundError:
            return {"version": 1, "active": None, "profiles": {}}
        except OSError as exc:
            if os.path.islink(path):
                raise ConfigurationError(f"{path} is a symlink; credentials are never read through one: "
                                         "remove it") from None
            raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from None
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            check_private(path, info, "credentials file")
            if stat.S_IMODE(info.st_mode) & 0o077 and hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), 0o600)
            raw = handle.read()
        try:
            data = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise ConfigurationError(f"{path} is not valid JSON; fix or delete it") from None
        if not isinstance(data, dict) or not isinstance(data.get("profiles"), dict):
            raise ConfigurationError(f"{path} is not a paragon_magic credentials file; fix or delete it")
        return data

    def _write_file(self, data: dict[str, Any]) -> None:
        directory = Path(self.config_dir)
        make_private_dirs(directory)
        tmp = directory / f".{FILE_NAME}.{secrets.token_hex(6)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, 0o600)
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, 0o600)  # whatever the umask
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2, sort_keys=True)
                handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)  # replaces a link itself, never its target
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
