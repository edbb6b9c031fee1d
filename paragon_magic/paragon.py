"""Paragon mode: act as a user of a Paragon project; Stripe calls go through Paragon's Proxy API.

Three things say where and as whom: the proxy base (``$PARAGON_PROXY_BASE``, default
``https://proxy.useparagon.com``) carries the Stripe calls; the Users API base (``$PARAGON_API_BASE``,
default ``https://api.useparagon.com``) answers ``get_user`` and ``set_user_metadata``; the user token
(an RS256 JWT from the app's backend) is the bearer for both.
"""

from __future__ import annotations

import os
from typing import Any, Mapping
from urllib.parse import quote

import httpx
import pandas as pd

from .auth import CredentialStore, Credentials, Secret, TokenInfo, inspect_user_token
from .client import APIConnectionError, ParagonBackend, StripePermissionError, check_caller_headers
from .client.backends import API_BASE_ENV, DEFAULT_PARAGON_API_BASE, DEFAULT_PARAGON_BASE, PROXY_BASE_ENV
from .client.backends import paragon_base
from .client.bases import uses_environment_proxies
from .connection import account_summary, build_client
from .errors import ConfigurationError, UsageError
from .session import Session, SessionConfig

TOKEN_ENV = "PARAGON_USER_TOKEN"


class Paragon:
    """The notebook twin of Paragon's SDK: ``authenticate``, ``request``, ``get_user``, ``set_user_metadata``.

    >>> paragon = Paragon()
    >>> paragon.authenticate(project_id, user_token)
    >>> paragon.request("stripe", "/v1/customers", method="POST", body={"email": "a@b.co"})
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_base: str | None = None,
        store: CredentialStore | None = None,
        config: SessionConfig | None = None,
    ) -> None:
        self.base_url = paragon_base(base_url, PROXY_BASE_ENV, DEFAULT_PARAGON_BASE)
        self.api_base = paragon_base(api_base, API_BASE_ENV, DEFAULT_PARAGON_API_BASE)
        self._store = store
        self._config = config
        self._token: Secret | None = None
        self._session: Session | None = None
        self.project_id: str | None = None
        self.user: TokenInfo | None = None

    def __repr__(self) -> str:
        if self.user is None:
            return "<Paragon (not authenticated)>"
        return f"<Paragon project={self.project_id} user={self.user.user_id}>"

    def authenticate(
        self,
        project_id: str,
        token: str | Secret | None = None,
        *,
        selected_credential_id: str | None = None,
        save: bool = False,
        profile: str = "default",
        verify: bool = True,
        **client_options: Any,
    ) -> Session:
        """Check the user token (shape, expiry, audience) and route every call through the proxy.

        ``token`` defaults to ``$PARAGON_USER_TOKEN``. ``selected_credential_id`` picks one of the
        user's connected Stripe accounts (``X-Paragon-Credential`` on every call; the SDK's
        ``selectedCredentialId``). With ``verify`` (the default) one call through the proxy checks the
        token's signature, the project and that the user connected Stripe (``GET /v1/account``), and
        the balance tells whether that account is live; a failure raises here, not on the first action.
        ``client_options`` are :func:`~paragon_magic.connection.build_client`'s, e.g.
        ``stripe_version="2026-10-28.endive"`` (the default), sent through the proxy as ``Stripe-Version``.
        """
        if token is None:
            token = os.environ.get(TOKEN_ENV, "").strip() or None
            if token is None:
                raise ConfigurationError(
                    f"no Paragon user token: set ${TOKEN_ENV} or mint one with --signing-key FILE --user ID"
                )
        secret = Secret(token)
        self.user = inspect_user_token(secret, project_id=project_id)
        self.project_id, self._token = project_id, secret
        backend = ParagonBackend(secret.reveal(), project_id, base_url=self.base_url,
                                 credential_id=_credential(selected_credential_id))
        client = build_client(backend, **client_options)
        account: dict[str, Any] = {"id": None, "name": f"user {self.user.user_id} in project {project_id}"}
        if verify:
            try:
                account = {**account, **_connected_account(client)}
            except BaseException:
                client.close()
                raise
        if self._session is not None:
            self._session.close()
        self._session = Session(client, config=self._config, label="Paragon", account=account)
        self._session.mode_check = self._write_mode_change
        if save:
            store = self._store if self._store is not None else CredentialStore()
            store.save(profile, Credentials.paragon(secret, project_id, base_url=self.base_url))
        return self._session

    @property
    def session(self) -> Session:
        if self._session is None:
            raise ConfigurationError("not authenticated: call paragon.authenticate(project_id, token) first")
        return self._session

    @property
    def selected_credential_id(self) -> str | None:
        return self.session.client.backend.credential_id

    def use_credential(self, credential_id: str | None) -> Session:
        """Send every later call with ``X-Paragon-Credential: credential_id`` (``None``: Paragon's default).

        The account behind it is checked at once (``GET /v1/account`` and the balance's ``livemode``);
        on failure the previous selection stays.
        """
        session = self.session
        backend = session.client.backend
        previous = backend.credential_id
        backend.credential_id = _credential(credential_id)
        try:
            found = _connected_account(session.client)
        except BaseException:
            backend.credential_id = previous
            raise
        session.account = {"id": None, "name": session.account.get("name"), **found}
        return session

    def request(
        self,
        integration: str,
        path: str,
        method: str = "GET",
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        *,
        selected_credential_id: str | None = None,
        live: bool = False,
    ) -> pd.DataFrame:
        """Like the SDK's ``paragon.request``; the answer comes back as a DataFrame.

        ``headers`` may not hold ``Authorization``, ``X-Paragon-Credential``, ``Stripe-Account`` or
        ``Stripe-Version`` (refused before anything is sent: use ``selected_credential_id`` and the
        session's options)."""
        check_caller_headers(headers)  # before the live-write guard, which checks the selected credential
        with self.session.selecting(_credential(selected_credential_id)):
            return self.session.request(integration, path, method=method, body=body, params=params,
                                        headers=headers, live=live)

    # -- the Users API -----------------------------------------------------------------------------

    def get_user(self) -> dict[str, Any]:
        """The user and their integrations, as the SDK's ``getUser()``: ``authenticated``, ``userId``,
        ``integrations.stripe.{enabled, credentialId, credentialStatus, allCredentials}``, ``meta``.

        Asked of the Users API (``GET {api_base}/projects/{id}/sdk/me``), never of the proxy.
        """
        user = self._users_api("GET")
        return {k: v for k, v in user.items() if k != "token"} if isinstance(user, dict) else user

    def set_user_metadata(self, meta: Mapping[str, Any]) -> dict[str, Any]:
        """Store ``meta`` with the user (``PATCH {api_base}/projects/{id}/sdk/me {"meta": …}``); returns the
        user's metadata as Paragon now holds it."""
        if not isinstance(meta, Mapping) or not meta:
            raise UsageError("user metadata is a non-empty mapping of names to values", field="meta")
        user = self._users_api("PATCH", {"meta": dict(meta)})
        return dict(user.get("meta") or {}) if isinstance(user, dict) else {}

    def _users_api(self, method: str, body: Mapping[str, Any] | None = None) -> Any:
        backend = self.session.client.backend
        url = f"{self.api_base}/projects/{quote(self.project_id or '', safe='')}/sdk/me"
        try:
            bearer = {"Authorization": backend.auth_headers()["Authorization"]}  # no credential header here
            response = httpx.request(method, url, headers=bearer, json=body, timeout=30.0,
                                     trust_env=uses_environment_proxies(url))  # never a proxy for loopback
        except httpx.TransportError as exc:
            raise APIConnectionError(f"Could not reach the Paragon Users API at {self.api_base}: "
                                     f"{type(exc).__name__}: {backend.scrub(str(exc))}") from None
        try:
            answer = response.json()
        except ValueError:
            answer = {"message": response.text[:200], "status": response.status_code}
        return backend.interpret_users_api(response.status_code, answer, response.headers)

    # -- the live-write guard ------------------------------------------------------------------

    def _write_mode_change(self, stripe_account: str | None) -> str | None:
        """Before a write without ``--live``: ask the account's mode now (the user may have reconnected
        another account in Paragon since the last answer). ``None`` when it is a test account, else
        what changed, for the refusal."""
        client = self.session.client
        backend = client.backend
        before = backend.mode
        _ask_livemode(client, stripe_account)
        now = backend.mode
        if now == "test":
            return None
        which = f"credential {backend.active_credential}" if backend.active_credential else "this user"
        via = f" (as {stripe_account})" if stripe_account else ""
        previous = before if before != now else backend.previous_mode()
        if now == "live" and previous == "test":
            return (f"the Stripe account behind {which}{via} now answers in LIVE mode; it was a test account "
                    "(was it reconnected in Paragon?)")
        if now == "unknown":
            return f"whether the Stripe account behind {which}{via} is live cannot be told (no balance access)"
        return None


def _credential(value: str | None) -> str | None:
    """A credential id as given, checked to be one header-safe word (Paragon's ids are UUIDs)."""
    if value is None:
        return None
    text = str(value).strip()
    if not text or len(text) > 200 or not all(c.isalnum() or c in "-_." for c in text):
        raise UsageError("a Paragon credential id is one word of letters, digits, '-' or '_' "
                         "(`%paragon user` lists the user's credentials)", field="credential")
    return text


def _ask_livemode(client: Any, stripe_account: str | None = None) -> bool | None:
    """The balance's ``livemode`` (the backend learns it from the answer); ``None`` when not allowed."""
    try:
        livemode = client.request("GET", "/v1/balance", stripe_account=stripe_account).data.get("livemode")
    except StripePermissionError:  # a restricted key without balance access: mode unknown
        client.backend.mode = "unknown"
        return None
    if not isinstance(livemode, bool):
        client.backend.mode = "unknown"
        return None
    return livemode


def _connected_account(client: Any) -> dict[str, Any]:
    """Who the user's connected Stripe account is, and (into the backend) whether it is live."""
    summary = account_summary(client.request("GET", "/v1/account").data)
    _ask_livemode(client)
    return {k: v for k, v in summary.items() if v}

