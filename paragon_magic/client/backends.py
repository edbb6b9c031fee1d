"""Where requests go and how responses come back: straight to Stripe, or through Paragon's proxy.

A backend decides the URL, the auth header, the body format and how a response is unwrapped; it is
the only holder of the secret and never shows it (``repr`` and ``masked`` use :func:`mask_secret`).
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Mapping
from typing import Any, Literal, Protocol
from urllib.parse import quote

import httpx

from .bases import DEFAULT_STRIPE_BASE, check_base_url
from .encoding import encode_form, epoch_seconds
from .errors import ParagonProxyError, StripeError, error_from_response
from .keys import key_mode, mask_secret, scrub, scrub_data

__all__ = ["Backend", "DirectBackend", "ParagonBackend"]

DEFAULT_PARAGON_BASE = "https://proxy.useparagon.com"
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

    ``mode`` is the connected account's mode, which the proxy does not reveal: "unknown" until the
    caller learns it (``Paragon.authenticate`` reads ``livemode`` from the balance). Unknown counts as
    live for the write guard and as test for the default rate limit. The proxy takes JSON bodies
    (``body_format="form"`` sends Stripe's form encoding instead).
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
        self.mode = mode
        self.credential_id = credential_id
        self.body_format = body_format
        what, base = ("base_url", base_url) if base_url else ("PARAGON_PROXY_BASE", os.environ.get("PARAGON_PROXY_BASE"))
        self.base_url = check_base_url(base or DEFAULT_PARAGON_BASE, what=what)

    @property
    def masked(self) -> str:
        return mask_secret(self._user_token)

    def url(self, path: str) -> str:
        project = quote(self.project_id, safe="")
        return f"{self.base_url}/projects/{project}/sdk/proxy/stripe/{path.lstrip('/')}"

    def auth_headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._user_token}"}
        if self.credential_id:
            headers["X-Paragon-Credential"] = self.credential_id
        return headers

    def encode_body(self, params: Mapping[str, Any]) -> tuple[bytes, str]:
        if self.body_format == "form":
            return encode_form(params).encode("ascii"), _FORM
        return json.dumps(_jsonable(params), separators=(",", ":")).encode("utf-8"), "application/json"

    def interpret(self, status: int, body: Any, headers: httpx.Headers) -> Any:
        if isinstance(body, dict) and set(body) == {"output"}:
            body = body["output"]
        if 200 <= status < 300:
            return body
        raise self._error(status, body, headers)

    def scrub(self, text: str) -> str:
        return scrub(text, (self._user_token,))

    def _error(self, status: int, body: Any, headers: httpx.Headers) -> StripeError:
        secrets = (self._user_token,)
        stripe_body = _wrapped_stripe_error(body)
        if stripe_body is not None:
            envelope_status = body.get("status") if isinstance(body, dict) else None
            real_status = envelope_status if isinstance(envelope_status, int) else status
            return error_from_response(real_status, stripe_body, headers, secrets=secrets)
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
        if "not enabled for user" in message.lower() or "not installed" in message.lower():
            user = meta.get("endUserId") or "this user"
            project = meta.get("projectId") or self.project_id
            return (
                f"Stripe is not connected for user {user} in project {project}; "
                "connect it in the Connect Portal first"
            )
        return f"Paragon proxy error (HTTP {status}): {message or 'no message'}"

    def __repr__(self) -> str:
        return f"ParagonBackend({self.masked}, project_id={self.project_id!r}, base_url={self.base_url!r})"


def _is_paragon_envelope(body: Any) -> bool:
    return isinstance(body, dict) and "message" in body and ("code" in body or "status" in body)


def _wrapped_stripe_error(body: Any) -> dict[str, Any] | None:
    """Find a Stripe ``{"error": {...}}`` body inside whatever Paragon wrapped around it."""
    candidates: list[Any] = [body]
    if isinstance(body, dict):
        meta = body.get("meta")
        candidates += [body.get("output"), body.get("response"), body.get("body")]
        if isinstance(meta, dict):
            candidates += [meta.get("response"), meta.get("body"), meta.get("data")]
        if isinstance(body.get("message"), str):
            candidates.append(_maybe_json(body["message"]))
    for candidate in candidates:
        if isinstance(candidate, str):
            candidate = _maybe_json(candidate)
        if isinstance(candidate, dict) and isinstance(candidate.get("error"), dict):
            return candidate
        if isinstance(candidate, dict) and isinstance(candidate.get("data"), dict):
            inner = candidate["data"]
            if isinstance(inner.get("error"), dict):
                return inner
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
