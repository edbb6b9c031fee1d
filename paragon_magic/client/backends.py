"""Where requests go and how responses come back: straight to Stripe, or through Paragon's proxy.

A backend decides the URL, the auth header, the body format and how a response is unwrapped; it is
the only holder of the secret and never shows it (``repr`` and ``masked`` use :func:`mask_secret`).
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Literal, Protocol
from urllib.parse import quote

import httpx

from .bases import DEFAULT_STRIPE_BASE, check_base_url
from .encoding import encode_form, epoch_seconds
from .errors import ParagonProxyError, StripeError, error_from_response
from .keys import key_mode, mask_secret, scrub, scrub_data

__all__ = ["Backend", "DirectBackend", "ParagonBackend", "find_stripe_error", "paragon_base"]

DEFAULT_PARAGON_BASE = "https://proxy.useparagon.com"  # the Proxy API
DEFAULT_PARAGON_API_BASE = "https://api.useparagon.com"  # the Users API (/sdk/me)
PROXY_BASE_ENV = "PARAGON_PROXY_BASE"
API_BASE_ENV = "PARAGON_API_BASE"
_FORM = "application/x-www-form-urlencoded"


class Backend(Protocol):
    """What :class:`StripeClient` needs from a backend."""

    base_url: str
    mode: Literal["test", "live"]

    @property
    def masked(self) -> str: ...

    def url(self, path: str) -> str: ...

    def auth_headers(self) -> dict[str, str]: ...

    def encode_body(self, params: Mapping[str, Any]) -> tuple[bytes, str]: ...

    def interpret(self, status: int, body: Any, headers: httpx.Headers) -> Any:
        """Return the Stripe payload of a success, raise a :class:`StripeError` otherwise."""
        ...

    def scrub(self, text: str) -> str: ...


class DirectBackend:
    """Talk to Stripe (or a Stripe-compatible server) with a secret or restricted API key.

    The base URL (argument, else ``$STRIPE_API_BASE``, else Stripe) passes :func:`check_base_url`
    first: https, or plain http to this machine only; a live key only to Stripe unless
    ``allow_live_on_custom_base``.
    """

    def __init__(self, api_key: str, base_url: str | None = None, *,
                 allow_live_on_custom_base: bool = False) -> None:
        self.mode = key_mode(api_key)
        what, base = ("base_url", base_url) if base_url else ("STRIPE_API_BASE", os.environ.get("STRIPE_API_BASE"))
        self.base_url = check_base_url(base or DEFAULT_STRIPE_BASE, what=what, live=self.mode == "live",
                                       allow_non_stripe_live=allow_live_on_custom_base)
        self._api_key = api_key

    @property
    def masked(self) -> str:
        return mask_secret(self._api_key)

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"}

    def encode_body(self, params: Mapping[str, Any]) -> tuple[bytes, str]:
        return encode_form(params).encode("ascii"), _FORM

    def interpret(self, status: int, body: Any, headers: httpx.Headers) -> Any:
        if 200 <= status < 300:
            return body
        raise error_from_response(status, body, headers, secrets=(self._api_key,))

    def scrub(self, text: str) -> str:
        return scrub(text, (self._api_key,))

    def __repr__(self) -> str:
        return f"DirectBackend({self.masked}, base_url={self.base_url!r})"


class ParagonBackend:
    """Talk to a connected user's Stripe account through Paragon's Proxy API.

    ``mode`` is the mode of the Stripe account behind the selected credential, which the proxy does
    not announce: "unknown" until learned. Every successful answer carrying ``livemode`` teaches it
    (``Paragon.authenticate`` reads the balance); selecting another credential starts from what was
    learned for that one. Unknown counts as live for the write guard and as test for the default rate
    limit. ``credential_id`` (Paragon's ``selectedCredentialId``) goes out as ``X-Paragon-Credential``
    on every call; :meth:`selecting` overrides it for the calls inside a ``with`` block. The proxy
    takes JSON bodies (``body_format="form"`` sends Stripe's form encoding instead).
    """

    def __init__(
        self,
        user_token: str,
        project_id: str,
        base_url: str | None = None,
        *,
        mode: Literal["test", "live", "unknown"] = "unknown",
        credential_id: str | None = None,
        body_format: Literal["json", "form"] = "json",
    ) -> None:
        self._user_token = user_token
        self.project_id = project_id
        self.credential_id = credential_id
        self._override: str | None = None
        self._modes: dict[str | None, str] = {credential_id: mode}
        self._previous_modes: dict[str | None, str] = {}
        self.body_format = body_format
        self.base_url = paragon_base(base_url, PROXY_BASE_ENV, DEFAULT_PARAGON_BASE)

    @property
    def masked(self) -> str:
        return mask_secret(self._user_token)

    @property
    def active_credential(self) -> str | None:
        """The credential calls use right now (``None``: Paragon's default for the user)."""
        return self._override or self.credential_id

    @property
    def mode(self) -> str:
        return self._modes.get(self.active_credential, "unknown")

    @mode.setter
    def mode(self, value: str) -> None:
        key = self.active_credential
        previous = self._modes.get(key, "unknown")
        if value != previous:
            self._previous_modes[key] = previous
        self._modes[key] = value

    def previous_mode(self) -> str | None:
        """What the selected credential's mode was before its latest change (``None``: never changed)."""
        return self._previous_modes.get(self.active_credential)

    @contextmanager
    def selecting(self, credential_id: str | None) -> Iterator[None]:
        """Send the calls made inside the block with ``X-Paragon-Credential: credential_id``."""
        saved, self._override = self._override, credential_id or self._override
        try:
            yield
        finally:
            self._override = saved

    def url(self, path: str) -> str:
        project = quote(self.project_id, safe="")
        return f"{self.base_url}/projects/{project}/sdk/proxy/stripe/{path.lstrip('/')}"

    def auth_headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._user_token}"}
        if self.active_credential:
            headers["X-Paragon-Credential"] = self.active_credential
        return headers

    def encode_body(self, params: Mapping[str, Any]) -> tuple[bytes, str]:
        if self.body_format == "form":
            return encode_form(params).encode("ascii"), _FORM
        return json.dumps(_jsonable(params), separators=(",", ":")).encode("utf-8"), "application/json"

    def interpret(self, status: int, body: Any, headers: httpx.Headers) -> Any:
        """Unwrap as Paragon's SDK does (any JSON object with an ``output`` key), learn ``livemode``."""
        if 200 <= status < 300:
            data = body["output"] if isinstance(body, dict) and "output" in body else body
            self._learn_mode(data)
            return data
        raise self._error(status, body, headers)

    def interpret_users_api(self, status: int, body: Any, headers: httpx.Headers) -> Any:
        """A Users API (``/sdk/me``) answer: the body itself, or the error Paragon described."""
        if 200 <= status < 300:
            return body
        raise self._error(status, body, headers)

    def scrub(self, text: str) -> str:
        return scrub(text, (self._user_token,))

    def _learn_mode(self, data: Any) -> None:
        livemode = data.get("livemode") if isinstance(data, dict) else None
        if livemode is None and isinstance(data, dict) and isinstance(data.get("data"), list) and data["data"]:
            first = data["data"][0]
            livemode = first.get("livemode") if isinstance(first, dict) else None
        if isinstance(livemode, bool):
            self.mode = "live" if livemode else "test"

    def _error(self, status: int, body: Any, headers: httpx.Headers) -> StripeError:
        secrets = (self._user_token,)
        found = find_stripe_error(body)
        if found is not None:
            stripe_body, inner_status = found
            return error_from_response(inner_status or status, stripe_body, headers, secrets=secrets)
        if not _is_paragon_envelope(body):
            return error_from_response(status, body, headers, secrets=secrets)
        body = scrub_data(body, secrets)
        meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
        return ParagonProxyError(
            scrub(self._paragon_message(str(body.get("message") or ""), meta, status), secrets),
            meta=meta,
            http_status=status,
            code=None if body.get("code") is None else str(body["code"]),
            request_id=headers.get("request-id") or headers.get("x-request-id"),
            json_body=body,
            headers=headers,
        )

    def _paragon_message(self, message: str, meta: Mapping[str, Any], status: int) -> str:
        """Paragon's message (its code is added by the error's ``str``, as Stripe's are)."""
        if "not enabled for user" in message.lower() or "not installed" in message.lower():
            user = meta.get("endUserId") or "this user"
            project = meta.get("projectId") or self.project_id
            return (
                f"Stripe is not connected for user {user} in project {project}; "
                "connect it in the Connect Portal first"
            )
        if meta.get("isIntegrationError"):
            return f"Paragon reports an integration error (HTTP {status}): {message or 'no message'}"
        return f"Paragon proxy error (HTTP {status}): {message or 'no message'}"

    def __repr__(self) -> str:
        credential = f", credential_id={self.credential_id!r}" if self.credential_id else ""
        return f"ParagonBackend({self.masked}, project_id={self.project_id!r}, base_url={self.base_url!r}{credential})"


def paragon_base(explicit: str | None, env_name: str, default: str) -> str:
    """A Paragon base URL: the explicit one, else ``$env_name``, else Paragon's host; no trailing slash.

    The one place the proxy and Users API bases are resolved, so the shared base-URL rule (plain
    http only for loopback) is applied to both by a single call here.
    """
    what, base = ("base_url", explicit) if explicit else (env_name, os.environ.get(env_name))
    return check_base_url(base or default, what=what).rstrip("/")


def _is_paragon_envelope(body: Any) -> bool:
    return isinstance(body, dict) and "message" in body and ("code" in body or "status" in body)


_WRAPPING_KEYS = ("output", "meta", "response", "body", "data", "error", "details")


def find_stripe_error(body: Any, depth: int = 4) -> tuple[dict[str, Any], int | None] | None:
    """Stripe's ``{"error": {...}}`` body wherever Paragon put it, with the status found beside it.

    Looks at the body itself, then (breadth first, a few levels deep) under ``output``, ``meta``,
    ``response``, ``body``, ``data``…, JSON text included: Paragon forwards an integration's error in
    ``meta`` itself, in ``meta.response``, in ``output`` or unchanged.
    """
    level: list[tuple[Any, int | None]] = [(body, None)]
    for _ in range(depth):
        following: list[tuple[Any, int | None]] = []
        for candidate, status in level:
            if isinstance(candidate, str):
                candidate = _maybe_json(candidate)
            if not isinstance(candidate, dict):
                continue
            status = _status_of(candidate) or status
            error = candidate.get("error")
            if isinstance(error, dict) and ("type" in error or "message" in error or "code" in error):
                return candidate, status
            following += [(candidate[key], status) for key in _WRAPPING_KEYS if key in candidate]
            if isinstance(candidate.get("message"), str) and candidate["message"].lstrip().startswith("{"):
                following.append((candidate["message"], status))
        level = following
    return None


def _status_of(container: Mapping[str, Any]) -> int | None:
    for key in ("statusCode", "status"):
        value = container.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and 400 <= value < 600:
            return value
    return None


def _maybe_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime.datetime):
        return epoch_seconds(value)
    if hasattr(value, "id") and not isinstance(value, (str, bytes, int, float)):
        return value.id
    return value
