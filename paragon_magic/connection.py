"""Connecting: find credentials, check them against Stripe, save them, and build a Session."""

from __future__ import annotations

import atexit
import threading
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from .auth import CredentialStore, Credentials, Secret, resolve_credentials
from .client import (
    AuthenticationError,
    DirectBackend,
    RetryPolicy,
    StripeClient,
    StripePermissionError,
    WindowPacer,
)
from .errors import ParagonMagicError
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
) -> StripeClient:
    """The client for one connection: 25 req/s for test keys, 100 for live ones unless ``rate_limit``.

    Concurrent listings make async twins of it (``client.settings()``) that share its pacer.
    """
    pacer = WindowPacer(rate_limit) if rate_limit else WindowPacer.for_mode(backend.mode)
    return StripeClient(backend, rate_limiter=pacer, retry=RetryPolicy(max_retries=max_retries),
                        timeout=timeout, stripe_account=stripe_account)


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
    profile: str = "default",
    base_url: str | None = None,
    save: bool = True,
    sandbox: bool = False,
    store: CredentialStore | None = None,
    config: SessionConfig | None = None,
    environ: Mapping[str, str] | None = None,
    **client_options: Any,
) -> Session:
    """Connect to Stripe and return a :class:`Session`.

    With ``api_key`` the key is checked (``GET /v1/account`` must succeed) and, with ``save``, kept
    under ``profile``. Without it: the active saved profile, then ``$STRIPE_API_KEY``.
    ``sandbox=True`` starts (once per process) the local Stripe sandbox and connects to it.
    Raises :class:`KeyRejected` with the reason the Connect Portal would show.
    """
    label = "direct key"
    if sandbox:
        server = shared_sandbox()
        api_key, base_url, save, label = server.key, server.url, False, "sandbox"
    store = store if store is not None else CredentialStore(environ=environ)
    if api_key is not None:
        creds = Credentials.stripe_key(api_key, base_url=base_url)
        resolved_source = "explicit"
    else:
        resolved = resolve_credentials(None, store=store, environ=environ)
        creds, resolved_source = resolved.credentials, resolved.source
        if creds.kind == "paragon":
            from .paragon import Paragon

            paragon = Paragon(base_url=creds.base_url, store=store)
            paragon.authenticate(creds.project_id or "", creds.secret, save=False)
            return paragon.session
        base_url = base_url or creds.base_url
    backend = DirectBackend(creds.secret.reveal(), base_url=base_url)
    client = build_client(backend, **client_options)
    try:
        account = account_summary(fetch_account(client))
    except BaseException:
        client.close()
        raise
    if resolved_source == "explicit" and save:
        store.save(
            profile,
            replace(
                creds,
                account_id=account["id"],
                account_name=account["name"],
                saved_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            ),
        )
    if resolved_source == "environment":
        label = "STRIPE_API_KEY"
    return Session(client, config=config, label=label, account=account)


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
                from .sandbox.seed import seed as seed_business

                seed_business(server.url, server.key)
            _sandbox = server
        return _sandbox
