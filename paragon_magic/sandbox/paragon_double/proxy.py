"""The double's Proxy API host: ``/projects/{id}/sdk/proxy/{integration}/{Stripe path}``, any verb.

It checks the user token, picks the user's credential (``X-Paragon-Credential`` or the first one),
forwards the call to the upstream Stripe (the local sandbox) with that credential's key and answers
as :mod:`.envelopes` describes: a 2xx wrapped as ``{"output": …}`` (documented), a Stripe error placed
where ``double.stripe_error_style`` says (assumed), Paragon's own refusals in ``{message, code, status,
meta}`` (documented). Assumed as well: Stripe's ``Request-Id``, ``Idempotent-Replayed``,
``Stripe-Should-Retry`` and ``Stripe-Rate-Limited-Reason`` response headers are forwarded.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web

from ...client.encoding import encode_form
from .envelopes import Refusal, integration_error

if TYPE_CHECKING:
    from .state import ParagonDouble

__all__ = ["make_proxy_app"]

_FORWARDED_REQUEST_HEADERS = ("Stripe-Account", "Stripe-Version", "Idempotency-Key", "User-Agent")
_FORWARDED_RESPONSE_HEADERS = (
    "Request-Id", "Idempotent-Replayed", "Stripe-Should-Retry", "Stripe-Rate-Limited-Reason", "Stripe-Version",
)
_RECORDED_HEADERS = _FORWARDED_REQUEST_HEADERS + (
    "X-Paragon-Credential", "X-Paragon-Use-Raw-Response", "Content-Type",
)
_FORM = "application/x-www-form-urlencoded"
_UPSTREAM = web.AppKey("upstream", aiohttp.ClientSession)


def make_proxy_app(double: ParagonDouble) -> web.Application:
    proxy = _Proxy(double)
    app = web.Application()
    app.cleanup_ctx.append(proxy.http_session)
    app.router.add_route("*", "/projects/{project_id}/sdk/proxy/{integration}/{path:.*}", proxy.handle)
    app.router.add_route("*", "/{path:.*}", proxy.unknown)  # /sdk/me lives on the Users API host
    return app


class _Proxy:
    def __init__(self, double: ParagonDouble) -> None:
        self.double = double

    async def http_session(self, app: web.Application):  # type: ignore[no-untyped-def]
        timeout = aiohttp.ClientTimeout(total=self.double.upstream_timeout)
        # trust_env=False (aiohttp's default, said here): the sandbox is on loopback, never via a proxy
        async with aiohttp.ClientSession(timeout=timeout, auto_decompress=True, trust_env=False) as session:
            app[_UPSTREAM] = session
            yield

    async def unknown(self, request: web.Request) -> web.Response:
        return Refusal(404, f"Cannot {request.method} {request.path}", "NOT_FOUND").response

    async def handle(self, request: web.Request) -> web.StreamResponse:
        entry: dict[str, Any] = {
            "method": request.method,
            "path": request.path,
            "integration": request.match_info["integration"],
            "upstream_path": "/" + request.match_info["path"],
            "query": dict(request.query),
            "form": {},
            "json": None,
            "headers": {name: request.headers[name] for name in _RECORDED_HEADERS if name in request.headers},
            "user_id": None,
            "credential_id": None,
        }
        try:
            response = await self._forward(request, entry)
        except Refusal as refusal:
            response = refusal.response
        entry["status"] = response.status
        self.double.record(entry)
        return response

    async def _forward(self, request: web.Request, entry: dict[str, Any]) -> web.Response:
        double = self.double
        user_id = double.authenticate(request)
        entry["user_id"] = user_id
        integration = request.match_info["integration"]
        credential = double.select_credential(user_id, integration, request.headers.get("X-Paragon-Credential"))
        entry["credential_id"] = credential.id
        body = await _stripe_body(request, entry)
        headers = {name: request.headers[name] for name in _FORWARDED_REQUEST_HEADERS if name in request.headers}
        headers["Authorization"] = f"Bearer {credential.stripe_key}"
        if credential.account and "Stripe-Account" not in headers:
            headers["Stripe-Account"] = credential.account
        if body is not None:
            headers["Content-Type"] = _FORM
        url = double.upstream_url.rstrip("/") + "/" + request.match_info["path"]
        if request.query_string:
            url += "?" + request.query_string
        session = request.app[_UPSTREAM]
        try:
            async with session.request(request.method, url, data=body, headers=headers) as upstream:
                raw = await upstream.read()
                status = upstream.status
                content_type = upstream.headers.get("Content-Type", "application/json")
                passed = {n: upstream.headers[n] for n in _FORWARDED_RESPONSE_HEADERS if n in upstream.headers}
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise Refusal(
                502,
                f"The integration's API could not be reached ({type(exc).__name__}).",
                "INTEGRATION_REQUEST_FAILED",
                {"projectId": double.project_id, "integration": integration, "endUserId": user_id,
                 "isIntegrationError": True},
            ) from None
        if request.headers.get("X-Paragon-Use-Raw-Response") == "1":
            return web.Response(body=raw, status=status, headers={**passed, "Content-Type": content_type})
        try:
            parsed: Any = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode("utf-8", "replace")
        if 200 <= status < 300:
            return web.json_response({"output": parsed}, status=status, headers=passed)
        status, answer = integration_error(double.stripe_error_style, status, parsed)
        return web.json_response(answer, status=status, headers=passed)


async def _stripe_body(request: web.Request, entry: dict[str, Any]) -> bytes | None:
    """The body as Stripe's form encoding: a JSON object is encoded, a form body passed through."""
    if not request.can_read_body:
        return None
    raw = await request.read()
    if not raw:
        return None
    if request.content_type == "application/json":
        try:
            params = json.loads(raw)
        except ValueError:
            raise Refusal(400, "The request body is not valid JSON.", "INVALID_BODY") from None
        if not isinstance(params, dict):
            raise Refusal(400, "The request body must be a JSON object.", "INVALID_BODY")
        entry["json"] = params
        raw = encode_form(params).encode("ascii")
    elif request.content_type != _FORM:
        raise Refusal(415, f"Unsupported request body type {request.content_type!r}.", "UNSUPPORTED_BODY")
    entry["form"] = dict(parse_qsl(raw.decode("ascii", "replace"), keep_blank_values=True))
    return raw
