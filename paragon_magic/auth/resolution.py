"""Which credentials to use and where they may go, in the Stripe CLI's order.

A key passed explicitly first, then ``$STRIPE_API_KEY``, then the active saved profile. An explicit or
environment key goes to ``base_url``, else ``$STRIPE_API_BASE``, else Stripe; a saved profile only to the
base URL it was saved with. Every message about what the next action will use comes from here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ..errors import ConfigurationError, UsageError
from .credentials import STRIPE_BASE_ENV, STRIPE_KEY_ENV, CredentialStore, Credentials
from .keys import Secret

__all__ = ["ResolvedCredentials", "resolve_credentials", "next_connection"]


@dataclass(frozen=True)
class ResolvedCredentials:
    """Credentials, where they came from ("explicit", "profile" with its name, or "environment")
    and where they go (``base_url``; None: Stripe)."""

    credentials: Credentials
    source: Literal["explicit", "profile", "environment"]
    profile: str | None = None
    base_url: str | None = None
    #: Something the user should be told (e.g. ``$STRIPE_API_BASE`` set but not used for a profile).
    note: str | None = None

    @property
    def origin(self) -> str:
        """"$STRIPE_API_KEY", "saved profile 'NAME'" or "the key given"."""
        if self.source == "environment":
            return f"${STRIPE_KEY_ENV}"
        if self.source == "profile":
            return f"saved profile '{self.profile}'"
        return "the key given"



def resolve_credentials(
    explicit: str | Secret | Credentials | None = None,
    store: CredentialStore | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    base_url: str | None = None,
    profile: str | None = None,
) -> ResolvedCredentials:
    """Find the credentials to use and where they go, in the Stripe CLI's order.

    ``explicit`` → ``$STRIPE_API_KEY`` → the saved ``profile`` (default: the active one). An explicit
    key or the environment's key goes to ``base_url``, else ``$STRIPE_API_BASE``, else Stripe; a
    saved profile goes only to the base it was saved with (``$STRIPE_API_BASE`` does not apply to it,
    and a different ``base_url`` is refused). ``profile`` skips the environment: the user chose it.

    Raises ``ConfigurationError`` when there is nothing to use, ``UsageError`` when the key found is
    not a usable Stripe key (the message names the source, never the key).
    """
    env = os.environ if environ is None else environ
    env_base = env.get(STRIPE_BASE_ENV, "").strip() or None
    if explicit is not None:
        creds = explicit if isinstance(explicit, Credentials) else Credentials.stripe_key(explicit)
        return ResolvedCredentials(creds, "explicit", base_url=base_url or creds.base_url or env_base)
    value = env.get(STRIPE_KEY_ENV, "").strip()
    if value and profile is None:
        try:
            creds = Credentials.stripe_key(value)
        except UsageError as exc:
            raise UsageError(f"${STRIPE_KEY_ENV}: {exc}", field="api_key") from None
        return ResolvedCredentials(creds, "environment", base_url=base_url or env_base)
    store = store if store is not None else CredentialStore(environ=env)
    name = profile or store.active_profile
    if name is not None:
        creds = store.load(name)
        saved = creds.base_url
        if base_url and _base_key(base_url) != _base_key(saved):
            raise UsageError(
                f"saved profile '{name}' is used only with {saved or 'Stripe'} where it was saved, not "
                f"{base_url}; connect with a key for that server instead", field="base_url")
        note = None
        if env_base and _base_key(env_base) != _base_key(saved):
            note = (f"${STRIPE_BASE_ENV} ({env_base}) is not used for saved profile '{name}', which goes to "
                    f"{saved or 'Stripe'} where it was saved; set ${STRIPE_KEY_ENV} too to use that server")
        return ResolvedCredentials(creds, "profile", name, base_url=saved, note=note)
    raise ConfigurationError(
        "not connected: run %stripe connect (in Python: paragon_magic.connect(key)), "
        f"or set ${STRIPE_KEY_ENV} before starting Jupyter"
    )


def next_connection(store: CredentialStore | None = None, environ: Mapping[str, str] | None = None) -> str:
    """One line saying what the next action would connect with (the same order as above)."""
    env = os.environ if environ is None else environ
    if env.get(STRIPE_KEY_ENV, "").strip():
        return f"the next action connects with ${STRIPE_KEY_ENV}"
    store = store if store is not None else CredentialStore(environ=env)
    try:
        active = store.active_profile
    except ConfigurationError:
        active = None
    if active is not None:
        return f"the next action connects with saved profile '{active}'"
    return "the next action needs a key: %stripe connect, or set $" + STRIPE_KEY_ENV


def _base_key(url: str | None) -> str:
    return (url or "https://api.stripe.com").strip().rstrip("/").lower()
