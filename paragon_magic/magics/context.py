"""The state behind one ``StripeMagic`` instance: settings, the current Session, Paragon, credentials.

Everything the magics remember lives on one :class:`MagicContext` object owned by the magics
instance (no class attributes, no module globals), so two shells never share a connection.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from ..auth import CredentialStore
from ..client import DEFAULT_STRIPE_VERSION
from ..connection import check_stripe_version, connect
from ..errors import ParagonMagicError
from ..session import Session, SessionConfig

#: Settings that go to the Stripe clients (used when a client is created).
CLIENT_SETTINGS = ("rate_limit", "max_retries", "timeout", "stripe_version")


@dataclass
class MagicSettings:
    """What ``%config StripeMagic.<name>`` changes (defaults mirror the traitlets)."""

    progress: bool = True
    default_limit: int | None = None
    page_size: int = 100
    rate_limit: float | None = None  # requests/second; None: Stripe's default for the key's mode
    max_retries: int = 4
    timeout: float = 30.0
    display_rows: int = 20
    display_columns: int = 12  # a wider result frame displays a compact view of this many columns
    allow_live_writes: bool = False
    partitioned: bool = True
    stripe_version: str | None = DEFAULT_STRIPE_VERSION  # None: the account's default version

    def client_options(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in CLIENT_SETTINGS}


_SESSION_FIELDS = {f.name for f in fields(SessionConfig)}


class MagicContext:
    """The current connection of one magics instance and how to make a new one.

    ``store`` (credential profiles), ``stripe_base_url`` (``None``: ``$STRIPE_API_BASE`` or Stripe),
    ``prompt_secret`` (``getpass.getpass`` in a terminal) and ``connector`` (:func:`connect`) are
    injectable so tests and other front ends can drive it.
    """

    def __init__(
        self,
        shell: Any = None,
        *,
        settings: MagicSettings | None = None,
        store: CredentialStore | None = None,
        stripe_base_url: str | None = None,
        prompt_secret: Callable[[str], str] = getpass.getpass,
        connector: Callable[..., Session] = connect,
    ) -> None:
        self.shell = shell
        self.settings = settings or MagicSettings()
        self.session_config = SessionConfig()
        self._store = store
        self.stripe_base_url = stripe_base_url
        self.prompt_secret = prompt_secret
        self.connector = connector
        self.session: Session | None = None
        self.paragon: Any = None  # paragon_magic.Paragon once %paragon authenticate ran
        self.profile: str | None = None  # the saved profile the session came from, if any
        self.apply_settings()

    def __repr__(self) -> str:
        state = repr(self.session) if self.session is not None else "not connected"
        return f"<MagicContext {state}>"

    # -- settings -----------------------------------------------------------------------------
    def configure(self, **changes: Any) -> None:
        """Change settings; session settings reach the current session at once."""
        for name, value in changes.items():
            if not hasattr(self.settings, name):
                raise AttributeError(f"unknown StripeMagic setting {name!r}")
            if name == "stripe_version":
                check_stripe_version(value)
            setattr(self.settings, name, value)
        self.apply_settings()

    def apply_settings(self) -> None:
        for name in _SESSION_FIELDS & set(vars(self.settings)):
            setattr(self.session_config, name, getattr(self.settings, name))
        if getattr(self, "session", None) is not None:  # the API version applies from the next call on
            self.session.client.stripe_version = self.settings.stripe_version

    # -- credentials and sessions -------------------------------------------------------------
    @property
    def store(self) -> CredentialStore:
        if self._store is None:
            self._store = CredentialStore()
        return self._store

    @store.setter
    def store(self, store: CredentialStore) -> None:
        self._store = store

    def evaluate(self, expression: str) -> Any:
        """Evaluate a ``{{ }}`` expression in the user's namespace."""
        namespace = self.shell.user_ns if self.shell is not None else {}
        return eval(expression, namespace)  # noqa: S307 - the user's own notebook code

    def adopt(self, session: Session, *, profile: str | None = None, paragon: Any = None) -> Session:
        """Make ``session`` the current one (closing the previous); it follows this context's settings."""
        if self.session is not None and self.session is not session:
            self.session.close()
        session.config = self.session_config
        session.client.stripe_version = self.settings.stripe_version
        self.session, self.profile, self.paragon = session, profile, paragon
        return session

    def connect(self, api_key: Any = None, *, profile: str | None = None, save: bool = True,
                sandbox: bool = False) -> Session:
        """Connect with ``api_key`` (saved under ``profile`` unless ``save=False``), the sandbox, the
        saved ``profile``, or else what :func:`~paragon_magic.auth.resolve_credentials` finds
        (``$STRIPE_API_KEY``, then the active profile)."""
        options: dict[str, Any] = dict(self.settings.client_options(), config=self.session_config)
        if sandbox:
            session = self.connector(sandbox=True, **options)
            return self.adopt(session)
        if api_key is not None:
            session = self.connector(api_key, profile=profile or "default", base_url=self.stripe_base_url,
                                     save=save, store=self.store, **options)
            return self.adopt(session, profile=(profile or "default") if save else None)
        session = self.connector(None, profile=profile, base_url=self.stripe_base_url, store=self.store, **options)
        from_env = session.label == "STRIPE_API_KEY"
        return self.adopt(session, profile=None if from_env else (profile or self.store.active_profile))

    def require_session(self) -> Session:
        """The current session; the first call connects with ``$STRIPE_API_KEY`` or the active profile."""
        if self.session is None:
            self.connect()
        assert self.session is not None
        return self.session

    def authenticate_paragon(self, project_id: str, token: Any, *, base_url: str | None = None,
                             api_base: str | None = None, credential: str | None = None) -> Session:
        """Route every later action through Paragon's proxy as the token's user."""
        from ..paragon import Paragon

        paragon = Paragon(base_url=base_url, api_base=api_base, store=self.store, config=self.session_config)
        session = paragon.authenticate(project_id, token, selected_credential_id=credential,
                                       **self.settings.client_options())
        return self.adopt(session, paragon=paragon)

    def disconnect(self) -> bool:
        """Close the current session. Returns False when there was none."""
        if self.session is None:
            return False
        self.session.close()
        self.session, self.profile, self.paragon = None, None, None
        return True

    def close(self) -> None:
        """Release everything (on ``%unload_ext``)."""
        try:
            self.disconnect()
        except ParagonMagicError:
            pass
