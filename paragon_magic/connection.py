"""Connecting: find credentials, check them against Stripe, save them, and build a Session."""

from __future__ import annotations

import atexit
import re
import threading
import warnings
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from .auth import CredentialStore, Credentials, ResolvedCredentials, Secret, resolve_credentials
from .auth.credentials import STRIPE_BASE_ENV
from .client import (
    DEFAULT_STRIPE_BASE,
    DEFAULT_STRIPE_VERSION,
    AuthenticationError,
    DirectBackend,
    RetryPolicy,
    StripeClient,
    StripePermissionError,
    WindowPacer,
    check_base_url,
)
from .errors import ParagonMagicError, UsageError
from .session import Session, SessionConfig

ACCOUNT_PERMISSION = "rak_connected_account_read"


class KeyRejected(ParagonMagicError):
    """Stripe refused the key, or the key cannot do what the portal needs; nothing was saved."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        #: "invalid" (401) or "permission" (403 on GET /v1/account).
        self.reason = reason


def build_client(
    backend: Any,
    *,
    rate_limit: float | None = None,
    max_retries: int = 4,
    timeout: float = 30.0,
    stripe_account: str | None = None,
    stripe_version: str | None = DEFAULT_STRIPE_VERSION,
) -> StripeClient:
    """The client for one connection: 25 req/s for test keys, 100 for live ones unless ``rate_limit``.

    ``stripe_version`` is sent as ``Stripe-Version`` (default: stripe-python 16.1's, which the frames
    follow; ``None`` sends none, so the account's default version applies).
    Concurrent listings make async twins of it (``client.settings()``) that share its pacer.
    """
    pacer = WindowPacer(rate_limit) if rate_limit else WindowPacer.for_mode(backend.mode)
    return StripeClient(backend, rate_limiter=pacer, retry=RetryPolicy(max_retries=max_retries),
                        timeout=timeout, stripe_account=stripe_account,
                        stripe_version=check_stripe_version(stripe_version))


def check_stripe_version(version: str | None) -> str | None:
    """``version`` if it reads like a Stripe API version (``2026-10-28.endive``, ``2024-06-20``) or is None."""
    if version is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}(\.[a-z]+)?", str(version)):
        return version
    raise UsageError(f"stripe_version must look like {DEFAULT_STRIPE_VERSION} (or None for the account's default); "
                     f"got {str(version)[:40]!r}", field="stripe_version")


def fetch_account(client: StripeClient) -> dict[str, Any]:
    """``GET /v1/account``, turning 401/403 into the reasons the Connect Portal gives."""
    try:
        return client.request("GET", "/v1/account").data
    except AuthenticationError:
        raise KeyRejected(
            "Stripe rejected this key: it is invalid or has been revoked. Copy a current key from "
            "the Stripe Dashboard (Developers → API keys).",
            reason="invalid",
        ) from None
    except StripePermissionError:
        raise KeyRejected(
            f"this restricted key cannot read the account, so it was not saved: allow "
            f"'{ACCOUNT_PERMISSION}' (\"All Connect resources\" → Read in Stripe's restricted-key "
            "settings) and try again.",
            reason="permission",
        ) from None


def account_summary(account: Mapping[str, Any]) -> dict[str, Any]:
    """The account fields worth showing and saving (id, display name, livemode)."""
    profile = account.get("business_profile") or {}
    dashboard = (account.get("settings") or {}).get("dashboard") or {}
    name = dashboard.get("display_name") or profile.get("name") or account.get("email") or ""
    return {"id": account.get("id"), "name": name, "country": account.get("country")}


def connect(
    api_key: str | Secret | None = None,
    *,
    profile: str | None = None,
    base_url: str | None = None,
    save: bool = False,
    sandbox: bool = False,
    allow_live_on_custom_base: bool = False,
    store: CredentialStore | None = None,
    config: SessionConfig | None = None,
    environ: Mapping[str, str] | None = None,
    **client_options: Any,
) -> Session:
    """Connect to Stripe and return a :class:`Session`.

    With ``api_key`` the key is checked (``GET /v1/account`` must succeed) and, only with
    ``save=True``, kept under ``profile`` (default "default"). Without it, the Stripe CLI's order:
    ``$STRIPE_API_KEY``, then the saved ``profile`` (default: the active one) with the base URL it
    was saved with. ``base_url`` (else ``$STRIPE_API_BASE``) must be https, or http to this machine;
    a live key goes only to Stripe unless ``allow_live_on_custom_base=True``.
    ``sandbox=True`` starts (once per process) the local Stripe sandbox and connects to it.
    ``client_options`` go to :func:`build_client`: ``stripe_version`` (default ``2026-10-28.endive``,
    stripe-python 16.1's), ``rate_limit``, ``max_retries``, ``timeout``.
    Raises :class:`KeyRejected` with the reason the Connect Portal would show.
    """
    label = "direct key"
    if sandbox:
        server = shared_sandbox()
        api_key, base_url, save, label = server.key, server.url, False, "sandbox"
    store = store if store is not None else CredentialStore(environ=environ)
    if api_key is not None:
        resolved = resolve_credentials(Credentials.stripe_key(api_key), environ=environ, base_url=base_url)
    else:
        resolved = resolve_credentials(None, store=store, environ=environ, base_url=base_url, profile=profile)
        if resolved.credentials.kind == "paragon":
            from .paragon import Paragon

            creds = resolved.credentials
            paragon = Paragon(base_url=creds.base_url, store=store)
            paragon.authenticate(creds.project_id or "", creds.secret, save=False, **client_options)
            return paragon.session
    creds = resolved.credentials
    if resolved.note:
        warnings.warn(resolved.note, UserWarning, stacklevel=2)
    target = check_base_url(resolved.base_url or DEFAULT_STRIPE_BASE, what=_base_origin(resolved, base_url),
                            live=creds.mode == "live", allow_non_stripe_live=allow_live_on_custom_base)
    backend = DirectBackend(creds.secret.reveal(), base_url=target,
                            allow_live_on_custom_base=allow_live_on_custom_base)
    client = build_client(backend, **client_options)
    try:
        account = account_summary(fetch_account(client))
    except BaseException:
        client.close()
        raise
    if resolved.source == "explicit" and save:
        store.save(
            profile or "default",
            replace(
                creds,
                base_url=None if backend.base_url == DEFAULT_STRIPE_BASE else backend.base_url,
                account_id=account["id"],
                account_name=account["name"],
                saved_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            ),
        )
    if resolved.source == "environment":
        label = "STRIPE_API_KEY"
    return Session(client, config=config, label=label, account=account)


def _base_origin(resolved: ResolvedCredentials, given: str | None) -> str:
    """How a message names the base URL: where it came from."""
    if resolved.source == "profile":
        return f"the base URL of saved profile '{resolved.profile}'"
    return "base_url" if given else STRIPE_BASE_ENV


_sandbox_lock = threading.Lock()
_sandbox: Any = None


def shared_sandbox(*, seed: bool = True) -> Any:
    """The process's embedded sandbox (started and seeded on first use, stopped at exit)."""
    global _sandbox
    with _sandbox_lock:
        if _sandbox is None:
            from .sandbox import LocalStripe

            server = LocalStripe()
            server.start()
            atexit.register(server.stop)
            if seed:
                server.seed()
            _sandbox = server
        return _sandbox
