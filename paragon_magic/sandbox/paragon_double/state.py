"""The Paragon double's state: one project, its signing key, its users' Stripe credentials and metadata.

A user may connect several Stripe accounts; each connection is a credential with its own id (what
``X-Paragon-Credential`` names). Without that header the proxy uses the user's first credential
(an assumption: Paragon documents the header, not which credential it picks without it).
Every method is safe to call from any thread while the servers run.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ...auth.tokens import InvalidTokenError, generate_signing_key, mint_user_token, verify_user_token
from .envelopes import STRIPE_ERROR_STYLES, Refusal

__all__ = ["DEFAULT_PROJECT_ID", "ParagonDouble", "StripeCredential"]

DEFAULT_PROJECT_ID = "00000000-0000-4000-8000-00000000d0b1"
_NAMESPACE = uuid.UUID("3f0a8a5e-6a0b-4d6e-9c1f-5b1d7e0c2a11")


def stable_id(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


@dataclass(repr=False)
class StripeCredential:
    """One Stripe account a user connected (the key is what the Connect Portal stored).

    ``account`` (a double-only convenience): the local sandbox has one platform account for every
    key, so a credential may name an ``acct_…`` the double acts as (``Stripe-Account`` upstream, unless
    the caller sent one); two credentials then answer ``GET /v1/account`` as distinct accounts.
    """

    id: str
    stripe_key: str
    status: str = "VALID"
    account: str | None = None

    def __repr__(self) -> str:
        return f"StripeCredential(id={self.id!r}, status={self.status!r})"

    def describe(self) -> dict[str, Any]:
        """The ``allCredentials[]`` entry of ``GET /sdk/me`` (documented fields only)."""
        return {"id": self.id, "status": self.status, "isPreviewCredential": False}


class ParagonDouble:
    """One project, its public key, and which user connected which Stripe key(s).

    ``users`` maps a user id to the Stripe key of their one connected account (more with
    :meth:`add_credential`). ``signing_key_pem`` (optional) lets :meth:`mint_token` make tokens as
    the app's backend would. ``stripe_error_style`` says where a Stripe error goes in the answer
    (see :mod:`.envelopes`).
    """

    def __init__(
        self,
        project_id: str,
        public_key_pem: str,
        users: Mapping[str, str] | None = None,
        upstream_url: str = "http://127.0.0.1:12111",
        signing_key_pem: str | None = None,
        upstream_timeout: float = 60.0,
        stripe_error_style: str = "meta",
    ) -> None:
        if stripe_error_style not in STRIPE_ERROR_STYLES:
            raise ValueError(f"stripe_error_style must be one of {', '.join(STRIPE_ERROR_STYLES)}")
        self.project_id = project_id
        self.public_key_pem = public_key_pem
        self.upstream_url = upstream_url
        self.signing_key_pem = signing_key_pem
        self.upstream_timeout = upstream_timeout
        self.stripe_error_style = stripe_error_style
        self._lock = threading.Lock()
        self._log: list[dict[str, Any]] = []
        self._credentials: dict[str, list[StripeCredential]] = {}
        self._connections: dict[str, int] = {}
        self._meta: dict[str, dict[str, Any]] = {}
        for user_id, key in (users or {}).items():
            self.connect_user(user_id, key)

    @classmethod
    def with_new_key(
        cls, upstream_url: str, users: Mapping[str, str] | None = None, *, project_id: str = DEFAULT_PROJECT_ID,
        stripe_error_style: str = "meta",
    ) -> ParagonDouble:
        """A double with a freshly generated project signing key (kept for :meth:`mint_token`)."""
        private, public = generate_signing_key()
        return cls(project_id, public, users, upstream_url, signing_key_pem=private,
                   stripe_error_style=stripe_error_style)

    def __repr__(self) -> str:
        return (
            f"ParagonDouble(project_id={self.project_id!r}, users={sorted(self.users)!r}, "
            f"upstream_url={self.upstream_url!r})"
        )

    @property
    def users(self) -> dict[str, str]:
        """User id → the Stripe key of their first credential (a copy)."""
        with self._lock:
            return {user: creds[0].stripe_key for user, creds in self._credentials.items() if creds}

    # -- tokens and connections ------------------------------------------------------------------

    def mint_token(self, user_id: str, *, ttl: float = 3600, now: float | None = None) -> str:
        """A user token for ``user_id`` signed with this project's key (needs ``signing_key_pem``)."""
        if self.signing_key_pem is None:
            raise ValueError("this double was built without the project's private signing key")
        return mint_user_token(self.signing_key_pem, self.project_id, user_id, ttl=ttl, now=now)

    def connect_user(self, user_id: str, stripe_key: str, *, account: str | None = None) -> str:
        """``user_id`` connects Stripe with ``stripe_key`` in the Connect Portal, replacing any earlier
        connection (a reconnect makes a new credential); returns the credential id."""
        with self._lock:
            credential = self._new_credential(user_id, stripe_key, account)
            self._credentials[user_id] = [credential]
            return credential.id

    def add_credential(self, user_id: str, stripe_key: str, *, account: str | None = None) -> str:
        """``user_id`` connects one more Stripe account; returns its credential id."""
        with self._lock:
            credential = self._new_credential(user_id, stripe_key, account)
            self._credentials.setdefault(user_id, []).append(credential)
            return credential.id

    def set_credential_key(self, credential_id: str, stripe_key: str, *, account: str | None = None) -> None:
        """The account behind an existing credential changes (same id, another Stripe key)."""
        with self._lock:
            for credentials in self._credentials.values():
                for credential in credentials:
                    if credential.id == credential_id:
                        credential.stripe_key, credential.account = stripe_key, account
                        return
        raise KeyError(credential_id)

    def disconnect_user(self, user_id: str) -> None:
        with self._lock:
            self._credentials.pop(user_id, None)

    def credential_id(self, user_id: str, index: int = 0) -> str:
        """The id of ``user_id``'s ``index``-th credential (an id that never existed if there is none)."""
        with self._lock:
            credentials = self._credentials.get(user_id, [])
            if index < len(credentials):
                return credentials[index].id
        return stable_id(self.project_id, "credential", user_id, "none", str(index))

    def credential_ids(self, user_id: str) -> list[str]:
        with self._lock:
            return [c.id for c in self._credentials.get(user_id, [])]

    def user_meta(self, user_id: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._meta.get(user_id, {}))

    def _new_credential(self, user_id: str, stripe_key: str, account: str | None) -> StripeCredential:
        number = self._connections.get(user_id, 0)
        self._connections[user_id] = number + 1
        credential_id = stable_id(self.project_id, "credential", user_id, str(number))
        return StripeCredential(credential_id, stripe_key, account=account)

    # -- the request log -------------------------------------------------------------------------

    def requests(self) -> list[dict[str, Any]]:
        """Requests received so far: method, path, integration, upstream_path, query, form, json,
        headers (never Authorization), user_id, credential_id and the status answered."""
        with self._lock:
            return [dict(entry) for entry in self._log]

    def reset_requests(self) -> None:
        with self._lock:
            self._log.clear()

    def reset(self, users: Mapping[str, str] | None = None) -> None:
        """Forget the request log, every connection and all metadata; then connect ``users``."""
        with self._lock:
            self._log.clear()
            self._credentials.clear()
            self._connections.clear()
            self._meta.clear()
        for user_id, key in (users or {}).items():
            self.connect_user(user_id, key)

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._log.append(entry)

    # -- what the handlers ask -------------------------------------------------------------------

    def authenticate(self, request: web.Request) -> str:
        """The user id from a valid bearer token of this project, or a :class:`Refusal`."""
        project_id = request.match_info["project_id"]
        if project_id != self.project_id:
            raise Refusal(404, "Project not found.", "PROJECT_NOT_FOUND", {"projectId": project_id})
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Refusal(401, "Missing user token.", "UNAUTHORIZED", {"projectId": project_id})
        try:
            info = verify_user_token(token.strip(), self.public_key_pem, self.project_id)
        except InvalidTokenError as exc:
            code = "TOKEN_EXPIRED" if exc.reason == "expired" else "INVALID_TOKEN"
            raise Refusal(401, str(exc), code, {"projectId": project_id, "reason": exc.reason}) from None
        return info.user_id

    def select_credential(self, user_id: str, integration: str, wanted: str | None) -> StripeCredential:
        """The credential a proxied call uses: the one named by ``X-Paragon-Credential``, else the first."""
        with self._lock:
            credentials = list(self._credentials.get(user_id, []))
        if integration != "stripe" or not credentials:
            raise self.not_enabled(user_id, integration)
        if not wanted:
            return credentials[0]
        for credential in credentials:
            if credential.id == wanted:
                return credential
        raise Refusal(404, "Credential not found.", "CREDENTIAL_NOT_FOUND", {"credentialId": wanted})

    def not_enabled(self, user_id: str, integration: str) -> Refusal:
        return Refusal(
            400,
            "Integration not enabled for user.",
            "INTEGRATION_NOT_ENABLED",
            {
                "personaId": stable_id(self.project_id, "persona", user_id),
                "projectId": self.project_id,
                "integrationId": stable_id(self.project_id, "integration", integration),
                "endUserId": user_id,
            },
        )

    def user_state(self, user_id: str) -> dict[str, Any]:
        """``GET /sdk/me`` in the SDK's ``getUser()`` shape (``resources`` and configurations empty)."""
        with self._lock:
            credentials = [c.describe() for c in self._credentials.get(user_id, [])]
            meta = copy.deepcopy(self._meta.get(user_id, {}))
        first = credentials[0] if credentials else None
        stripe = {
            "enabled": first is not None,
            "credentialId": first["id"] if first else None,
            "credentialStatus": first["status"] if first else None,
            "allCredentials": credentials,
            "allConfigurations": [],
        }
        return {"authenticated": True, "userId": user_id, "integrations": {"stripe": stripe}, "meta": meta,
                "resources": []}

    def merge_meta(self, user_id: str, meta: Mapping[str, Any]) -> None:
        """``PATCH /sdk/me {meta}``: keys given replace those stored, others stay (assumed merge)."""
        with self._lock:
            self._meta.setdefault(user_id, {}).update(copy.deepcopy(dict(meta)))

    # -- the aiohttp applications ----------------------------------------------------------------

    def make_app(self) -> web.Application:
        """The Proxy API (``https://proxy.useparagon.com``)."""
        from .proxy import make_proxy_app

        return make_proxy_app(self)

    def make_api_app(self) -> web.Application:
        """The Users API (``https://api.useparagon.com``): ``/projects/{id}/sdk/me``."""
        from .users_api import make_users_app

        return make_users_app(self)
