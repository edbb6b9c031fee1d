"""The bodies the Paragon double answers with, each marked documented or assumed.

Documented (Paragon's docs and the ``@useparagon/connect`` 2.4 SDK source):

- a proxied 2xx answer is wrapped as ``{"output": <the integration's body>}``; the SDK unwraps any JSON
  body that has an ``output`` key; ``X-Paragon-Use-Raw-Response: 1`` skips the wrapping;
- Paragon's own errors are ``{message, code, status, meta}``, e.g. "Integration not enabled for user."
  with ``meta {personaId, projectId, integrationId, endUserId}``;
- an error that came from the integration (here: Stripe) is marked ``meta.isIntegrationError``.

Assumed (not documented; the client accepts every variant, so the double can serve each one):

- where the integration's error body sits in Paragon's envelope. ``"meta"`` (the default) spreads
  Stripe's body into ``meta`` itself (``meta.error`` is Stripe's ``error`` object); ``"meta.response"``
  nests it as ``meta.response = {status, body}``; ``"output"`` answers ``{"output": <Stripe's body>}`` with
  Stripe's status; ``"passthrough"`` answers Stripe's body unchanged with Stripe's status;
- the envelope's ``status`` is Stripe's HTTP status, and the ``code`` strings (``INTEGRATION_ERROR``,
  ``PROJECT_NOT_FOUND``, ``CREDENTIAL_NOT_FOUND``, ``TOKEN_EXPIRED``, ...) are ours;
- an unknown route is a 404 in Paragon's envelope.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from aiohttp import web

__all__ = ["StripeErrorStyle", "STRIPE_ERROR_STYLES", "Refusal", "integration_error"]

StripeErrorStyle = Literal["meta", "meta.response", "output", "passthrough"]
STRIPE_ERROR_STYLES: tuple[str, ...] = ("meta", "meta.response", "output", "passthrough")


class Refusal(Exception):
    """An answer in Paragon's documented error envelope ``{message, code, status, meta}``."""

    def __init__(self, status: int, message: str, code: str, meta: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.body = {"message": message, "code": code, "status": status, "meta": dict(meta or {})}
        self.response = web.json_response(self.body, status=status)


def integration_error(style: str, status: int, stripe_body: Any) -> tuple[int, Any]:
    """How the proxy answers a Stripe error (``style``: one of :data:`STRIPE_ERROR_STYLES`)."""
    if style == "passthrough":
        return status, stripe_body
    if style == "output":
        return status, {"output": stripe_body}
    error = stripe_body.get("error") if isinstance(stripe_body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    message = message or f"The integration answered HTTP {status}."
    if style == "meta.response":
        meta: dict[str, Any] = {"isIntegrationError": True, "response": {"status": status, "body": stripe_body}}
    elif style == "meta":
        extra = stripe_body if isinstance(stripe_body, dict) else {"body": stripe_body}
        meta = {"isIntegrationError": True, **extra}
    else:
        raise ValueError(f"unknown Stripe error style {style!r}; one of {', '.join(STRIPE_ERROR_STYLES)}")
    return status, {"message": message, "code": "INTEGRATION_ERROR", "status": status, "meta": meta}
