"""Typed errors mirroring Stripe's, built from HTTP responses by :func:`error_from_response`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from ..errors import ParagonMagicError
from .keys import scrub, scrub_data

__all__ = [
    "StripeError",
    "AuthenticationError",
    "StripePermissionError",
    "InvalidRequestError",
    "IdempotencyError",
    "CardError",
    "RateLimitError",
    "APIError",
    "APIConnectionError",
    "ParagonProxyError",
    "error_from_response",
]

_PERMISSION = re.compile(r"\b(rak_[a-z0-9_]+)")


class StripeError(ParagonMagicError):
    """Base of every error the client raises; ``str()`` is one line, secrets masked."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        error_type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        doc_url: str | None = None,
        request_id: str | None = None,
        request_log_url: str | None = None,
        stripe_should_retry: bool | None = None,
        decline_code: str | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.message = " ".join(str(message).split()) or f"HTTP {http_status} error"
        self.http_status = http_status
        self.type = error_type
        self.code = code
        self.param = param
        self.doc_url = doc_url
        self.request_id = request_id
        self.request_log_url = request_log_url
        self.stripe_should_retry = stripe_should_retry
        self.decline_code = decline_code
        self.json_body = json_body
        #: Response headers (never contain a secret), empty when there was no response.
        self.headers: Mapping[str, str] = headers if headers is not None else {}
        #: How many HTTP attempts were made before this error was raised.
        self.attempts = 1
        super().__init__(self.message)

    def __str__(self) -> str:
        details = [d for d in (self.code, self.decline_code) if d]
        if self.request_id:
            details.append(f"request {self.request_id}")
        if self.attempts > 1:
            details.append(f"gave up after {self.attempts} attempts")
        return f"{self.message} ({', '.join(details)})" if details else self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, http_status={self.http_status!r}, "
            f"code={self.code!r}, request_id={self.request_id!r})"
        )


class AuthenticationError(StripeError):
    """HTTP 401: the key is missing, wrong or revoked."""


class StripePermissionError(StripeError):
    """HTTP 403: a restricted key lacks a permission (see :attr:`required_permission`)."""

    @property
    def required_permission(self) -> str | None:
        """The ``rak_…`` permission Stripe named in the message, if any."""
        match = _PERMISSION.search(self.message)
        return match.group(1) if match else None


class InvalidRequestError(StripeError):
    """HTTP 400/404: bad parameters or a missing object."""


class IdempotencyError(StripeError):
    """An ``Idempotency-Key`` was reused with different parameters."""


class CardError(StripeError):
    """HTTP 402: the card was declined (see :attr:`decline_code`)."""


class RateLimitError(StripeError):
    """HTTP 429: too many requests."""

    @property
    def rate_limited_reason(self) -> str | None:
        """Stripe's ``Stripe-Rate-Limited-Reason`` header (``global-rate``, …)."""
        return self.headers.get("stripe-rate-limited-reason")


class APIError(StripeError):
    """HTTP 5xx or any other unexpected response."""


class APIConnectionError(StripeError):
    """The request never got a response: connection refused/reset, DNS failure, timeout."""


class ParagonProxyError(StripeError):
    """Paragon's proxy refused the request (``{message, code, status, meta}``)."""

    def __init__(self, message: str, *, meta: Mapping[str, Any] | None = None, **fields: Any) -> None:
        super().__init__(message, **fields)
        self.meta = dict(meta or {})


_BY_STATUS: dict[int, type[StripeError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    402: CardError,
    403: StripePermissionError,
    404: InvalidRequestError,
    429: RateLimitError,
}


def error_from_response(
    status: int,
    body: Any,
    headers: Mapping[str, str],
    *,
    secrets: Iterable[str | None] = (),
) -> StripeError:
    """Map a Stripe error response to its error class (stripe-python's status table)."""
    secrets = tuple(secrets)
    headers = httpx.Headers(headers)
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, str):  # OAuth-style {"error": "...", "error_description": "..."}
        error = {"type": error, "message": body.get("error_description") or error}
    if not isinstance(error, dict):
        error = {"message": _fallback_message(status, body)}
    error_type = _text(error.get("type"))
    cls = _BY_STATUS.get(status, APIError)
    if cls is InvalidRequestError and error_type == "idempotency_error":
        cls = IdempotencyError
    should_retry = headers.get("stripe-should-retry")
    result = cls(
        scrub(_text(error.get("message")) or "", secrets),
        http_status=status,
        error_type=error_type,
        code=_text(error.get("code")),
        param=_text(error.get("param")),
        doc_url=_text(error.get("doc_url")),
        request_id=headers.get("request-id"),
        request_log_url=_text(error.get("request_log_url")),
        stripe_should_retry=None if should_retry is None else should_retry == "true",
        decline_code=_text(error.get("decline_code")),
        json_body=scrub_data(body, secrets),
        headers=headers,
    )
    return result


def _fallback_message(status: int, body: Any) -> str:
    snippet = body.strip()[:200] if isinstance(body, str) else ""
    return f"Unexpected HTTP {status} response from Stripe" + (f": {snippet}" if snippet else "")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
