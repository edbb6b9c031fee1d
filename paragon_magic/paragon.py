"""Paragon mode: act as a user of a Paragon project; Stripe calls go through Paragon's Proxy API."""

from __future__ import annotations

import os
from urllib.parse import quote
from typing import Any, Mapping

import httpx
import pandas as pd

from .auth import CredentialStore, Credentials, Secret, TokenInfo, inspect_user_token
from .client import APIConnectionError, ParagonBackend, StripePermissionError
from .client.backends import DEFAULT_PARAGON_BASE
from .connection import account_summary, build_client
from .errors import ConfigurationError
from .session import Session, SessionConfig

TOKEN_ENV = "PARAGON_USER_TOKEN"


class Paragon:
    """The notebook twin of Paragon's SDK: ``authenticate``, ``request``, ``get_user``.

    >>> paragon = Paragon()
    >>> paragon.authenticate(project_id, user_token)
    >>> paragon.request("stripe", "/v1/customers", method="POST", body={"email": "a@b.co"})
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        store: CredentialStore | None = None,
        config: SessionConfig | None = None,
    ) -> None:
        self.base_url = (base_url or os.environ.get("PARAGON_PROXY_BASE") or DEFAULT_PARAGON_BASE).rstrip("/")
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
        save: bool = False,
        profile: str = "default",
        verify: bool = True,
        **client_options: Any,
    ) -> Session:
        """Check the user token (shape, expiry, audience) and route every call through the proxy.

        ``token`` defaults to ``$PARAGON_USER_TOKEN``. With ``verify`` (the default) one call through
        the proxy checks the token's signature, the project and that the user connected Stripe
        (``GET /v1/account``), and the balance tells whether that account is live; a failure raises
        here, not on the first action. ``client_options`` are :func:`~paragon_magic.connection.build_client`'s,
        e.g. ``stripe_version="2026-10-28.endive"`` (the default), sent through the proxy as ``Stripe-Version``.
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
        backend = ParagonBackend(secret.reveal(), project_id, base_url=self.base_url)
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
        if save:
            store = self._store if self._store is not None else CredentialStore()
            store.save(profile, Credentials.paragon(secret, project_id, base_url=self.base_url))
        return self._session

    @property
    def session(self) -> Session:
        if self._session is None:
            raise ConfigurationError("not authenticated: call paragon.authenticate(project_id, token) first")
        return self._session

    def request(
        self,
        integration: str,
        path: str,
        method: str = "GET",
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> pd.DataFrame:
        """Like the SDK's ``paragon.request``; the answer comes back as a DataFrame."""
        return self.session.request(integration, path, method=method, body=body, params=params, headers=headers)

    def get_user(self) -> dict[str, Any]:
        """The user and the state of their integrations (``GET /projects/{id}/sdk/me``)."""
        backend = self.session.client.backend
        assert self._token is not None
        url = f"{self.base_url}/projects/{quote(self.project_id or '', safe='')}/sdk/me"
        try:
            response = httpx.get(url, headers=backend.auth_headers(), timeout=30.0)
        except httpx.TransportError as exc:
            raise APIConnectionError(f"Could not reach {self.base_url}: {type(exc).__name__}: "
                                     f"{backend.scrub(str(exc))}") from None
        try:
            body = response.json()
        except ValueError:
            body = {"message": response.text[:200], "status": response.status_code}
        return backend.interpret(response.status_code, body, response.headers)


def _connected_account(client: Any) -> dict[str, Any]:
    """Who the user's connected Stripe account is, and (into the backend) whether it is live."""
    summary = account_summary(client.request("GET", "/v1/account").data)
    try:
        livemode = client.request("GET", "/v1/balance").data.get("livemode")
    except StripePermissionError:  # a restricted key without balance access: mode stays unknown
        livemode = None
    if isinstance(livemode, bool):
        client.backend.mode = "live" if livemode else "test"
    return {k: v for k, v in summary.items() if v}
