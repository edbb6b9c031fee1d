"""The sandbox front layer: the HTTP face of the sandbox's Stripe engine.

It does what Stripe's edge does (Stripe-shaped errors and ``Request-Id``, API-key checks with
restricted keys, ``/v1/account``, newest-first lists with cursors and filters, search endpoints,
idempotency, injected faults, expansions) and exposes ``/_sandbox/*`` control endpoints; every other
call is answered by :class:`..engine.Engine`, in the same process. It runs as the sandbox's one child
process: ``python -m paragon_magic.sandbox.front``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import email.utils
import re
import json
import traceback
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from ...client import DEFAULT_STRIPE_VERSION
from ..account import PLATFORM_ACCOUNT_ID, account_object
from ..engine import Engine
from .auth import KeyRegistry, key_is_live
from .errors import StripeErrorResponse, json_response, new_request_id
from .expansions import answered_kind
from .expansions import check as check_expansions
from .faults import FaultInjector, ScriptedResponse
from .idempotency import IdempotencyStore, SavedResponse
from .fetch import expansion_fetcher
from .lists import ListCache, answer_list
from .request_log import log_entry, new_request_log
from .search import answer_search
from .shapes import ShapeContext, expand_params, expand_paths, to_current

_RATE_LIMITED = StripeErrorResponse(
    429,
    "Request rate limit exceeded. You can learn more about rate limits here "
    "https://stripe.com/docs/rate-limits.",
    code="rate_limit",
    headers={"Stripe-Rate-Limited-Reason": "global-rate"},
)


class DropConnection(Exception):
    """Close the client's TCP connection without answering."""


@dataclass
class FrontState:
    """Everything the front layer remembers; one instance per app (no module-level state)."""

    engine: Engine = field(default_factory=Engine)
    keys: KeyRegistry = field(default_factory=KeyRegistry)
    faults: FaultInjector = field(default_factory=FaultInjector)
    idempotency: IdempotencyStore = field(default_factory=IdempotencyStore)
    lists: ListCache = field(default_factory=ListCache)
    log: deque[dict[str, Any]] = field(default_factory=new_request_log)
    stats: Counter[str] = field(default_factory=Counter)
    connected_accounts: dict[str, None] = field(default_factory=dict)

    def reset(self) -> None:
        self.engine.reset()
        self.keys.clear()
        self.faults.reset()
        self.idempotency.clear()
        self.lists.invalidate()
        self.log.clear()
        self.stats.clear()
        self.connected_accounts.clear()

    # -- what lists and search read (lists.ListState) ----------------------------------------------
    def collection(self, kind: str) -> list[dict[str, Any]]:
        return self.engine.collection(kind)

    def exists(self, kind: str, obj_id: str) -> bool:
        return self.engine.store.get(obj_id, kind) is not None

    @property
    def version(self) -> tuple[int, int]:
        """Changes when the store does, or (for events' retention) the sandbox clock's minute."""
        return (self.engine.store.generation, self.engine.now() // 60)


STATE: web.AppKey[FrontState] = web.AppKey("sandbox_front_state", FrontState)


@dataclass
class Call:
    """One API request as the front layer sees it."""

    method: str
    path: str
    query: list[tuple[str, str]]
    body: bytes
    content_type: str
    form: dict[str, str]
    account: str
    request_id: str
    key: str = ""
    idempotency_key: str | None = None
    version: str | None = None  # the Stripe-Version header; after authentication, the version answered in

    @property
    def fingerprint(self) -> tuple[str, str, bytes]:
        return (self.method, self.path, json.dumps(sorted(parse_qsl(self.body.decode(errors="replace"), keep_blank_values=True))).encode())  # fmt: skip


async def handle_api(request: web.Request) -> web.StreamResponse:
    """Entry point for every non-control request."""
    state = request.app[STATE]
    body = await request.read()
    form: dict[str, str] = {}
    if request.content_type == "application/x-www-form-urlencoded" and body:
        form = dict(parse_qsl(body.decode(errors="replace"), keep_blank_values=True))
    call = Call(
        method=request.method,
        path=request.rel_url.raw_path,  # as sent: an encoded "/" inside an id stays inside it
        query=list(request.query.items()),
        body=body,
        content_type=request.content_type,
        form=form,
        account=request.headers.get("Stripe-Account") or PLATFORM_ACCOUNT_ID,
        request_id=new_request_id(),
        idempotency_key=request.headers.get("Idempotency-Key"),
        version=request.headers.get("Stripe-Version"),
    )
    entry = log_entry(call.method, call.path, call.query, form, request.headers, call.request_id)
    state.stats["requests"] += 1
    try:
        call.key = state.keys.identify(request.headers.get("Authorization"))
        state.log.append(entry)  # only requests with an accepted key are logged (bounded, masked: request_log)
        state.keys.authorize(call.key, call.method, call.path, call.account)
        response = await _process(state, call, request.headers.get("Idempotency-Key"))
    except StripeErrorResponse as exc:
        response = exc.to_response(call.request_id)
    except DropConnection:
        state.stats["drops"] += 1
        entry["status"] = "dropped"
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError from None
    except web.HTTPException:
        raise
    except Exception:  # a bug of the sandbox's: answered as Stripe answers its own, and shown on stderr
        traceback.print_exc()
        response = StripeErrorResponse(500, "An unknown error occurred on the sandbox's end.", type="api_error").to_response(call.request_id)  # fmt: skip
    response.headers.setdefault("Request-Id", call.request_id)
    response.headers["Date"] = email.utils.formatdate(state.engine.now(), usegmt=True)  # the sandbox's "now"
    if call.version:
        response.headers.setdefault("Stripe-Version", call.version)
    entry["status"] = response.status
    state.stats[f"status_{response.status}"] += 1
    if response.status == 429:
        state.stats["rate_limited"] += 1
    return response


async def _process(state: FrontState, call: Call, idem_key: str | None) -> web.Response:
    """An authenticated request: a scripted answer, injected faults, else the real one."""
    scripted = state.faults.next_scripted()
    if scripted is not None:
        state.stats["scripted"] += 1
        if scripted.delay:
            await asyncio.sleep(scripted.delay)
        if not scripted.forward:
            return _scripted_response(scripted, call)
    given, call.version = call.version, None  # echoed once known to be a version
    call.version = api_version(given)
    decision = state.faults.decide(call.key)
    if decision.rate_limited:
        raise _RATE_LIMITED
    if decision.stall:
        state.stats["stalls"] += 1
        await asyncio.sleep(decision.stall)
    if decision.error:
        state.stats["injected_errors"] += 1
        headers = {"Stripe-Should-Retry": decision.should_retry} if decision.should_retry else {}
        raise StripeErrorResponse(500, "An unknown error occurred on Stripe's end.", type="api_error", headers=headers)  # fmt: skip
    if decision.drop == "before":
        raise DropConnection
    response = await _idempotent(state, call, idem_key, decision.latency)
    if decision.drop == "after":
        raise DropConnection
    if scripted is not None:
        return _scripted_response(scripted, call)
    return response


def _scripted_response(scripted: ScriptedResponse, call: Call) -> web.Response:
    if scripted.drop:
        raise DropConnection
    if scripted.body is None and scripted.status >= 400:
        kind = "api_error" if scripted.status >= 500 else "invalid_request_error"
        error = StripeErrorResponse(scripted.status, "Scripted sandbox error.", type=kind,
                                    code="rate_limit" if scripted.status == 429 else None,
                                    headers=dict(scripted.headers))  # fmt: skip
        return error.to_response(call.request_id)
    return json_response(scripted.body, status=scripted.status, headers=dict(scripted.headers))


async def _idempotent(
    state: FrontState, call: Call, idem_key: str | None, latency: float
) -> web.Response:
    """Execute once per idempotency key; ``latency`` is spent while the key is claimed (in flight)."""
    if call.method != "POST" or not idem_key:
        if latency:
            await asyncio.sleep(latency)
        return await _execute(state, call)
    saved = state.idempotency.begin(call.key, idem_key, call.fingerprint)
    if saved is not None:
        state.stats["replays"] += 1
        headers = {**saved.headers, "Idempotent-Replayed": "true", "Original-Request": saved.request_id}  # fmt: skip
        return web.Response(body=saved.body, status=saved.status, headers=headers)
    try:
        try:
            if latency:
                await asyncio.sleep(latency)
            response = await _execute(state, call)
        except StripeErrorResponse as exc:
            response = exc.to_response(call.request_id)
    except BaseException:
        state.idempotency.abandon(call.key, idem_key)
        raise
    assert isinstance(response.body, bytes)
    headers = {"Content-Type": response.headers.get("Content-Type", "application/json"),
               "Idempotency-Key": idem_key}  # fmt: skip
    response.headers["Idempotency-Key"] = idem_key
    response.headers["Original-Request"] = call.request_id
    state.idempotency.finish(call.key, idem_key, SavedResponse(response.status, response.body, headers, call.request_id))  # fmt: skip
    return response


async def _execute(state: FrontState, call: Call) -> web.Response:
    """Answer one authenticated API request; every JSON object leaves in today's shapes from here."""
    query, expand = expand_params(call.query)
    body_pairs: list[tuple[str, str]] = []
    if call.content_type == "application/x-www-form-urlencoded" and call.body:
        body_pairs = parse_qsl(call.body.decode(errors="replace"), keep_blank_values=True)
        expand |= expand_params(body_pairs)[1]
    if "total_count" in expand and call.path.endswith("/search"):  # a search_result field, not an object
        query, expand = [*query, ("expand[]", "total_count")], expand - {"total_count"}
    kind = answered_kind(call.path) if call.method != "GET" and expand else None
    if kind is not None:  # refused expansions refuse the write before it changes anything
        check_expansions(kind, expand)
    data = _answer(state, call, query, body_pairs)
    ctx = ShapeContext(expand=expand)
    data = await expand_paths(to_current(data, ctx), ctx, expansion_fetcher(state))
    return json_response(mark_live(data) if key_is_live(call.key) else data)


def _answer(state: FrontState, call: Call, query: list[tuple[str, str]], body_pairs: list[tuple[str, str]]) -> Any:
    """The JSON answer: the account, a list or search page, or the engine's."""
    if call.account != PLATFORM_ACCOUNT_ID:
        state.connected_accounts[call.account] = None
    parts = [p for p in call.path.split("/") if p]
    if call.method == "GET" and parts[:2] == ["v1", "account"] and len(parts) == 2:
        return account_object(call.account)
    if call.method == "GET" and parts[:2] == ["v1", "accounts"] and len(parts) <= 3:
        if len(parts) == 3:
            return account_object(parts[2])
        data = [account_object(a) for a in state.connected_accounts]
        return {"object": "list", "data": data, "has_more": False, "url": "/v1/accounts"}
    if call.method == "GET":
        state.engine.clocks.catch_up()
        result = answer_list(state, call.path, query)
        if result is None:
            result = answer_search(state, call.path, query)
        if result is not None:
            return result
    pairs = call.query if call.method in ("GET", "DELETE") else [
        *body_pairs, *((k, v) for k, v in call.query if k == "expand" or k.startswith("expand["))]  # fmt: skip
    return state.engine.handle(call.method, call.path, pairs, account=call.account, livemode=key_is_live(call.key),
                               request_id=call.request_id, idempotency_key=call.idempotency_key)  # fmt: skip


_VERSION = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\.[a-z]+)?$")


def api_version(given: str | None) -> str:
    """The API version a request is answered in (Stripe echoes it as ``Stripe-Version``): the header's,
    else the account's default (the sandbox's: the version stripe-python 16.1 pins). A header that is not
    a Stripe version (``YYYY-MM-DD[.name]``, from 2011 to the pinned one) is refused as Stripe does."""
    if not given:
        return DEFAULT_STRIPE_VERSION
    match = _VERSION.match(given)
    try:
        day = datetime.date.fromisoformat(match.group(1)) if match else None
    except ValueError:
        day = None
    if day is None or not datetime.date(2011, 1, 1) <= day <= datetime.date.fromisoformat(DEFAULT_STRIPE_VERSION[:10]):
        raise StripeErrorResponse(400, f"Invalid Stripe API version: {given}", param="Stripe-Version",
                                  code="api_version_invalid")  # fmt: skip
    return given


def mark_live(data: Any) -> Any:
    """A copy of ``data`` with every ``livemode`` true: what Stripe answers a live key."""
    if isinstance(data, list):
        return [mark_live(item) for item in data]
    if isinstance(data, dict):
        return {key: True if key == "livemode" else mark_live(value) for key, value in data.items()}
    return data


def create_app(*, control_secret: str = "") -> web.Application:
    """The front layer application over a new engine; ``/_sandbox/*`` answers only ``control_secret``
    (see :mod:`.guard`)."""
    from .control import add_control_routes
    from .guard import CONTROL_SECRET, guard_middleware

    app = web.Application(client_max_size=16 * 1024 * 1024, handler_args={"max_field_size": 65536},
                          middlewares=[guard_middleware])
    state = FrontState()
    app[STATE] = state
    app[CONTROL_SECRET] = control_secret
    add_control_routes(app)
    app.router.add_route("*", "/{tail:.*}", handle_api)
    return app


def main(argv: list[str] | None = None) -> None:
    """The child's entry point; its secrets come on stdin, never in the environment or on the command line."""
    from .._child import serve_app, take_secret
    from .guard import CONTROL_SECRET_ENV

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    app = create_app(control_secret=take_secret(CONTROL_SECRET_ENV))
    serve_app(app, args.port)
