"""What the front layer lets in: the Stripe API surface for this machine, the control plane for its owner.

* ``Host`` must be ``127.0.0.1:<port>`` or ``localhost:<port>`` of the port it listens on (a web page
  that rebinds its own DNS name to 127.0.0.1 sends its own name, and is refused);
* the path must be ``/v1/...`` or a ``/_sandbox/...`` control route, with no dot segments (also
  percent-encoded), no empty segments and no backslashes: anything else is 404, so nothing outside
  Stripe's API ever reaches the engine;
* ``/_sandbox/*`` needs the per-run secret in :data:`CONTROL_HEADER` (constant-time compare), and a
  request that changes something needs ``Content-Type: application/json`` too, which no HTML form
  can send without a CORS preflight.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import unquote

from aiohttp import web

from .._child import CONTROL_HEADER, CONTROL_SECRET_ENV
from ...client.redaction import mask_url
from .errors import StripeErrorResponse, new_request_id, unrecognized_url

__all__ = ["CONTROL_HEADER", "CONTROL_SECRET_ENV", "guard_middleware"]

CONTROL_PREFIX = "/_sandbox/"
CONTROL_SECRET: web.AppKey[str] = web.AppKey("sandbox_control_secret", str)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _refusal(status: int, message: str) -> web.Response:
    return _answer(StripeErrorResponse(status, message))


def _answer(error: StripeErrorResponse) -> web.Response:
    request_id = new_request_id()
    response = error.to_response(request_id)
    response.headers["Request-Id"] = request_id
    return response


def allowed_host(request: web.Request) -> bool:
    """True when ``Host`` names this loopback listener (``127.0.0.1:<port>``/``localhost:<port>``)."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if not sockname:
        return False
    port = sockname[1]
    return request.headers.get("Host", "").lower() in (f"127.0.0.1:{port}", f"localhost:{port}")


def clean_path(raw_path: str) -> str | None:
    """The request path (without query) if it is plain, else None: dot segments (``.``/``..``, also
    percent-encoded), empty segments (``//``) and backslashes are refused, never resolved."""
    path = raw_path.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/") or "\\" in unquote(path):
        return None
    segments = path[1:].split("/")
    if any(unquote(segment) in (".", "..") for segment in segments):
        return None
    if "" in segments[:-1]:
        return None
    return path


def is_api_path(path: str) -> bool:
    return path == "/v1" or path.startswith("/v1/")


@web.middleware
async def guard_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not allowed_host(request):
        return _refusal(421, "the sandbox answers only Host: 127.0.0.1:<port> or localhost:<port>")
    path = clean_path(request.raw_path)
    if path is None or not (is_api_path(path) or path.startswith(CONTROL_PREFIX)):
        shown = mask_url(path or request.raw_path.split("?", 1)[0])
        return _answer(unrecognized_url(request.method, shown))
    if path.startswith(CONTROL_PREFIX):
        secret = request.app[CONTROL_SECRET]
        given = request.headers.get(CONTROL_HEADER, "")
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            return _refusal(403, f"sandbox control needs the {CONTROL_HEADER} header of this run")
        if request.method not in ("GET", "HEAD") and request.content_type != "application/json":
            return _refusal(415, "sandbox control requests that change something must be application/json")
    return await handler(request)
