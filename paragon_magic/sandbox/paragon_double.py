"""A local double of Paragon's Proxy API (``/projects/{id}/sdk/proxy/stripe/…`` and ``/sdk/me``).

It checks the Paragon user token (RS256 signature with the project's public key, expiry, audience),
looks up the Stripe key the user "connected", forwards the call to an upstream Stripe (the local
sandbox) with that key, and wraps a 2xx answer as ``{"output": …}`` like Paragon does. Failures use
Paragon's envelope ``{message, code, status, meta}``; a Stripe error is passed through unchanged with
its status. ``X-Paragon-Use-Raw-Response: 1`` skips the wrapping.

Assumption beyond Paragon's documentation: Stripe's ``Request-Id``, ``Idempotent-Replayed``,
``Stripe-Should-Retry`` and ``Stripe-Rate-Limited-Reason`` response headers are forwarded.

``ParagonDoubleServer`` serves it on 127.0.0.1 (a free port) from a background thread::

    double = ParagonDouble.with_new_key(upstream_url=stripe.url, users={"user-1": stripe.key})
    with ParagonDoubleServer(double) as proxy:
        token = double.mint_token("user-1")
        ParagonBackend(token, double.project_id, base_url=proxy.url)
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web

from ..auth.tokens import InvalidTokenError, generate_signing_key, mint_user_token, verify_user_token
from ..client.encoding import encode_form

__all__ = ["DEFAULT_PROJECT_ID", "ParagonDouble", "ParagonDoubleServer", "ThreadedAppServer"]

DEFAULT_PROJECT_ID = "00000000-0000-4000-8000-00000000d0b1"
LOOPBACK = "127.0.0.1"
_NAMESPACE = uuid.UUID("3f0a8a5e-6a0b-4d6e-9c1f-5b1d7e0c2a11")
_FORWARDED_REQUEST_HEADERS = ("Stripe-Account", "Stripe-Version", "Idempotency-Key", "User-Agent")
_FORWARDED_RESPONSE_HEADERS = (
    "Request-Id", "Idempotent-Replayed", "Stripe-Should-Retry", "Stripe-Rate-Limited-Reason", "Stripe-Version",
)
_RECORDED_HEADERS = _FORWARDED_REQUEST_HEADERS + (
    "X-Paragon-Credential", "X-Paragon-Use-Raw-Response", "Content-Type",
)
_FORM = "application/x-www-form-urlencoded"
_UPSTREAM = web.AppKey("upstream", aiohttp.ClientSession)


def _stable_id(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


class _Refusal(Exception):
    """An answer in Paragon's error envelope."""

    def __init__(self, status: int, message: str, code: str, meta: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.response = web.json_response(
            {"message": message, "code": code, "status": status, "meta": dict(meta or {})}, status=status
        )


@dataclass(repr=False)
class ParagonDouble:
    """The proxy's state: one project, its public key, and which user connected which Stripe key.

    ``signing_key_pem`` (optional) lets :meth:`mint_token` make tokens as the app's backend would.
    """

    project_id: str
    public_key_pem: str
    users: dict[str, str] = field(default_factory=dict)
    upstream_url: str = "http://127.0.0.1:12111"
    signing_key_pem: str | None = None
    upstream_timeout: float = 60.0
    _log: list[dict[str, Any]] = field(default_factory=list, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    @classmethod
    def with_new_key(
        cls, upstream_url: str, users: Mapping[str, str] | None = None, *, project_id: str = DEFAULT_PROJECT_ID
    ) -> ParagonDouble:
        """A double with a freshly generated project signing key (kept for :meth:`mint_token`)."""
        private, public = generate_signing_key()
        return cls(project_id, public, dict(users or {}), upstream_url, signing_key_pem=private)

    def __repr__(self) -> str:
        return (
            f"ParagonDouble(project_id={self.project_id!r}, users={sorted(self.users)!r}, "
            f"upstream_url={self.upstream_url!r})"
        )

    # -- state, safe to call from any thread -------------------------------------------------------

    def mint_token(self, user_id: str, *, ttl: float = 3600, now: float | None = None) -> str:
        """A user token for ``user_id`` signed with this project's key (needs ``signing_key_pem``)."""
        if self.signing_key_pem is None:
            raise ValueError("this double was built without the project's private signing key")
        return mint_user_token(self.signing_key_pem, self.project_id, user_id, ttl=ttl, now=now)

    def connect_user(self, user_id: str, stripe_key: str) -> None:
        """``user_id`` has connected Stripe with ``stripe_key`` (what the Connect Portal does)."""
        with self._lock:
            self.users[user_id] = stripe_key

    def disconnect_user(self, user_id: str) -> None:
        with self._lock:
            self.users.pop(user_id, None)

    def credential_id(self, user_id: str) -> str:
        """The (stable) id of ``user_id``'s Stripe credential, for ``X-Paragon-Credential``."""
        return _stable_id(self.project_id, "credential", user_id, "stripe")

    def requests(self) -> list[dict[str, Any]]:
        """Requests received so far: method, path, integration, upstream_path, query, form, json,
        headers (never Authorization), user_id and the status answered."""
        with self._lock:
            return [dict(entry) for entry in self._log]

    def reset_requests(self) -> None:
        with self._lock:
            self._log.clear()

    def reset(self, users: Mapping[str, str] | None = None) -> None:
        """Forget the request log and every connection; then connect ``users`` (user id → key)."""
        with self._lock:
            self._log.clear()
            self.users.clear()
            self.users.update(users or {})

    def _stripe_key(self, user_id: str) -> str | None:
        with self._lock:
            return self.users.get(user_id)

    # -- the aiohttp application -------------------------------------------------------------------

    def make_app(self) -> web.Application:
        app = web.Application()
        app.cleanup_ctx.append(self._http_session)
        app.router.add_route("*", "/projects/{project_id}/sdk/proxy/{integration}/{path:.*}", self._proxy)
        app.router.add_get("/projects/{project_id}/sdk/me", self._me)
        return app

    async def _http_session(self, app: web.Application):  # type: ignore[no-untyped-def]
        timeout = aiohttp.ClientTimeout(total=self.upstream_timeout)
        async with aiohttp.ClientSession(timeout=timeout, auto_decompress=True) as session:
            app[_UPSTREAM] = session
            yield

    def _authenticate(self, request: web.Request) -> str:
        """The user id from a valid bearer token of this project, or a refusal."""
        project_id = request.match_info["project_id"]
        if project_id != self.project_id:
            raise _Refusal(404, "Project not found.", "PROJECT_NOT_FOUND", {"projectId": project_id})
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _Refusal(401, "Missing user token.", "UNAUTHORIZED", {"projectId": project_id})
        try:
            info = verify_user_token(token.strip(), self.public_key_pem, self.project_id)
        except InvalidTokenError as exc:
            code = "TOKEN_EXPIRED" if exc.reason == "expired" else "INVALID_TOKEN"
            raise _Refusal(401, str(exc), code, {"projectId": project_id, "reason": exc.reason}) from None
        return info.user_id

    def _not_enabled(self, user_id: str, integration: str) -> _Refusal:
        return _Refusal(
            400,
            "Integration not enabled for user.",
            "INTEGRATION_NOT_ENABLED",
            {
                "personaId": _stable_id(self.project_id, "persona", user_id),
                "projectId": self.project_id,
                "integrationId": _stable_id(self.project_id, "integration", integration),
                "endUserId": user_id,
            },
        )

    async def _me(self, request: web.Request) -> web.Response:
        try:
            user_id = self._authenticate(request)
        except _Refusal as refusal:
            return refusal.response
        connected = self._stripe_key(user_id) is not None
        stripe: dict[str, Any] = {
            "enabled": connected,
            "credentialStatus": "VALID" if connected else None,
            "credentialId": self.credential_id(user_id) if connected else None,
            "allCredentials": (
                [{"id": self.credential_id(user_id), "status": "VALID", "isPreviewCredential": False}]
                if connected
                else []
            ),
        }
        return web.json_response(
            {"id": user_id, "authenticated": True, "integrations": {"stripe": stripe}, "meta": {}}
        )

    async def _proxy(self, request: web.Request) -> web.StreamResponse:
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
        }
        try:
            response = await self._forward(request, entry)
        except _Refusal as refusal:
            response = refusal.response
        entry["status"] = response.status
        with self._lock:
            self._log.append(entry)
        return response

    async def _forward(self, request: web.Request, entry: dict[str, Any]) -> web.Response:
        user_id = self._authenticate(request)
        entry["user_id"] = user_id
        integration = request.match_info["integration"]
        stripe_key = self._stripe_key(user_id)
        if integration != "stripe" or stripe_key is None:
            raise self._not_enabled(user_id, integration)
        wanted = request.headers.get("X-Paragon-Credential")
        if wanted and wanted != self.credential_id(user_id):
            raise _Refusal(404, "Credential not found.", "CREDENTIAL_NOT_FOUND", {"credentialId": wanted})
        body = await self._stripe_body(request, entry)
        headers = {name: request.headers[name] for name in _FORWARDED_REQUEST_HEADERS if name in request.headers}
        headers["Authorization"] = f"Bearer {stripe_key}"
        if body is not None:
            headers["Content-Type"] = _FORM
        url = self.upstream_url.rstrip("/") + "/" + request.match_info["path"]
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
            raise _Refusal(
                502,
                f"The integration's API could not be reached ({type(exc).__name__}).",
                "INTEGRATION_REQUEST_FAILED",
                {"projectId": self.project_id, "integration": integration, "endUserId": user_id},
            ) from None
        if not 200 <= status < 300 or request.headers.get("X-Paragon-Use-Raw-Response") == "1":
            return web.Response(body=raw, status=status, headers={**passed, "Content-Type": content_type})
        try:
            output: Any = json.loads(raw) if raw else None
        except ValueError:
            output = raw.decode("utf-8", "replace")
        return web.json_response({"output": output}, status=status, headers=passed)

    async def _stripe_body(self, request: web.Request, entry: dict[str, Any]) -> bytes | None:
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
                raise _Refusal(400, "The request body is not valid JSON.", "INVALID_BODY") from None
            if not isinstance(params, dict):
                raise _Refusal(400, "The request body must be a JSON object.", "INVALID_BODY")
            entry["json"] = params
            raw = encode_form(params).encode("ascii")
        elif request.content_type != _FORM:
            raise _Refusal(
                415, f"Unsupported request body type {request.content_type!r}.", "UNSUPPORTED_BODY"
            )
        entry["form"] = dict(parse_qsl(raw.decode("ascii", "replace"), keep_blank_values=True))
        return raw


class ThreadedAppServer:
    """Serves an aiohttp app (made by ``make_app``) on 127.0.0.1 from a background thread.

    ``start()`` returns once the socket is listening (``url`` is then set); ``stop()`` closes it and
    joins the thread. Also a context manager.
    """

    def __init__(self, make_app: Callable[[], web.Application], *, port: int = 0) -> None:
        self._make_app = make_app
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.url: str | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r})"

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout: float = 30.0) -> Any:
        if self._thread is not None:
            return self
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._serve())
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, name=type(self).__name__, daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise RuntimeError(f"{type(self).__name__} did not start within {timeout} s")
        if failure:
            self._thread = self._loop = None
            raise RuntimeError(f"{type(self).__name__} failed to start: {failure[0]!r}") from failure[0]
        return self

    async def _serve(self) -> None:
        self._runner = web.AppRunner(self._make_app(), access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((LOOPBACK, self._port))
        await web.SockSite(self._runner, sock).start()
        self.url = f"http://{LOOPBACK}:{sock.getsockname()[1]}"

    def stop(self, timeout: float = 30.0) -> None:
        loop, thread, runner = self._loop, self._thread, self._runner
        if loop is None or thread is None:
            return
        if runner is not None:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        self._loop = self._thread = self._runner = None
        self.url = None


class ParagonDoubleServer(ThreadedAppServer):
    """Serves a :class:`ParagonDouble` on 127.0.0.1 (a free port) from a background thread."""

    def __init__(self, double: ParagonDouble, *, port: int = 0) -> None:
        super().__init__(double.make_app, port=port)
        self.double = double

    def __repr__(self) -> str:
        return f"ParagonDoubleServer(url={self.url!r}, double={self.double!r})"

    def __enter__(self) -> ParagonDoubleServer:
        return self.start()
