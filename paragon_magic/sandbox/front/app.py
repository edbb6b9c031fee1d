"""The sandbox front layer: an aiohttp app in front of localstripe that behaves like Stripe.

It adds what localstripe lacks (Stripe-shaped errors and ``Request-Id``, API-key checks with
restricted keys, ``/v1/account``, newest-first lists with cursors and filters, search endpoints,
idempotency, injected faults) and exposes ``/_sandbox/*`` control endpoints. It runs in its own
child process: ``python -c "from paragon_magic.sandbox.front import main; main()" --upstream URL``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import web

from ..account import PLATFORM_ACCOUNT_ID, account_object
from .auth import KeyRegistry, key_is_live
from .clock import SandboxClock
from .errors import StripeErrorResponse, json_response, new_request_id, unrecognized_url
from .faults import FaultInjector, ScriptedResponse
from .idempotency import IdempotencyStore, SavedResponse
from .fetch import expansion_fetcher, items_with_their_subscription, refunds_with_their_charge
from .ledger import Ledger
from .lists import ListCache, answer_list
from .precheck import refuse_doomed_create
from .price_refs import subscription_upstream_pairs, write_product
from .prices import PriceStore, handle_prices, prices_oldest_first
from .request_log import log_entry, new_request_log
from .proxy import Upstream, apply_backdates, check_required, mark_live
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

    upstream: Upstream
    keys: KeyRegistry = field(default_factory=KeyRegistry)
    faults: FaultInjector = field(default_factory=FaultInjector)
    idempotency: IdempotencyStore = field(default_factory=IdempotencyStore)
    lists: ListCache = field(default_factory=ListCache)
    backdates: dict[str, int] = field(default_factory=dict)
    backdate_version: int = 0
    backdate_fields: dict[str, dict[str, int | None]] = field(default_factory=dict)
    log: deque[dict[str, Any]] = field(default_factory=new_request_log)
    stats: Counter[str] = field(default_factory=Counter)
    connected_accounts: dict[str, None] = field(default_factory=dict)
    prices: PriceStore = field(default_factory=PriceStore)
    clock: SandboxClock = field(default_factory=SandboxClock)
    ledger: Ledger = field(init=False)

    def __post_init__(self) -> None:
        self.ledger = Ledger(self.upstream, self.backdates, self.backdate_fields, clock=self.clock.time)

    def reset(self) -> None:
        self.ledger.reset()
        self.clock.set(None)
        self.keys.clear()
        self.faults.reset()
        self.idempotency.clear()
        self.lists.invalidate()
        self.backdates.clear()
        self.backdate_fields.clear()
        self.backdate_version += 1
        self.log.clear()
        self.stats.clear()
        self.connected_accounts.clear()
        self.prices.clear()


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
    response.headers.setdefault("Request-Id", call.request_id)
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
    if call.method != "GET":
        state.lists.invalidate()
    check_required(call.method, call.path, call.form)
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
    finally:
        state.lists.invalidate()
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
        body_pairs, body_expand = expand_params(parse_qsl(call.body.decode(errors="replace"), keep_blank_values=True))
        expand |= body_expand
    if "total_count" in expand and call.path.endswith("/search"):  # a search_result field, not an object
        query, expand = [*query, ("expand[]", "total_count")], expand - {"total_count"}
    data, status = await _answer(state, call, query, body_pairs)
    ctx = ShapeContext(expand=expand, prices=state.prices.by_id, default_prices=state.prices.default_for_product,
                       now=int(state.clock.time()))
    data = await expand_paths(to_current(data, ctx), ctx, expansion_fetcher(state, ctx))
    data = state.ledger.render(data)  # fees, settlement, payout and invoice states (expanded ones too)
    return json_response(mark_live(data) if key_is_live(call.key) else data, status=status)


async def _answer(
    state: FrontState, call: Call, query: list[tuple[str, str]], body_pairs: list[tuple[str, str]]
) -> tuple[Any, int]:
    """The JSON answer (in whatever shape it was made) and its status: account, price, list or upstream."""
    if call.account != PLATFORM_ACCOUNT_ID:
        state.connected_accounts[call.account] = None
    parts = [p for p in call.path.split("/") if p]
    if call.method == "GET" and parts[:2] == ["v1", "account"] and len(parts) == 2:
        return account_object(call.account), 200
    if call.method == "GET" and parts[:2] == ["v1", "accounts"] and len(parts) <= 3:
        if len(parts) == 3:
            return account_object(parts[2]), 200
        data = [account_object(a) for a in state.connected_accounts]
        return {"object": "list", "data": data, "has_more": False, "url": "/v1/accounts"}, 200
    owned = await state.ledger.handle(call.method, parts, call.form, call.query)
    if owned is not None:  # the balance, payouts and their transactions, uncollectible invoices
        return owned, 200
    if call.method == "GET":  # lists and searches (prices too: their store is a registered source)
        view = state.ledger.list_view(state)  # collections read through the ledger (payouts are its own)
        result = await answer_list(view, call.path, query)
        if result is None:
            result = await answer_search(view, call.path, query)
        if result is not None:
            result["data"] = apply_backdates(result["data"], state.backdates, state.backdate_fields)
            return await _completed(state, parts, result), 200
    if parts[:2] == ["v1", "prices"] and len(parts) <= 3:
        return apply_backdates(await handle_prices(state, call), state.backdates, state.backdate_fields), 200
    if parts[:1] != ["v1"]:
        raise unrecognized_url(call.method, call.path)
    if call.method == "POST":
        product = await write_product(state, call.path, body_pairs)
        if product is not None:
            return apply_backdates(product, state.backdates, state.backdate_fields), 200
    await refuse_doomed_create(state.upstream, call.method, call.path, call.form)
    body = call.body
    if body_pairs or (call.content_type == "application/x-www-form-urlencoded" and body):
        body = urlencode(await subscription_upstream_pairs(state, call.method, call.path, body_pairs)).encode()
    reply = await state.upstream.call(call.method, call.path, query=query,
                                      body=body, content_type=call.content_type)  # fmt: skip
    if reply.status >= 400 or reply.data is None:
        raise await state.upstream.translate_error(call.method, call.path, call.form, reply)
    if call.method != "GET" and await state.clock.stamp(reply.data, state.backdates, state.backdate_fields, state.upstream.get):  # fmt: skip
        state.backdate_version += 1
    data = apply_backdates(reply.data, state.backdates, state.backdate_fields)
    return await _completed(state, parts, data, call.method), reply.status


async def _completed(state: FrontState, parts: list[str], data: Any, method: str = "GET") -> Any:
    """Subscription items and refunds (one, or a list page) told what localstripe leaves out."""
    if method == "GET" and parts[1:2] == ["subscription_items"]:
        return await items_with_their_subscription(state, data)
    if parts[1:2] == ["refunds"] and len(parts) <= 3:
        return await refunds_with_their_charge(state, data)
    return data


def create_app(upstream_url: str, *, control_secret: str = "", upstream_secret: str = "") -> web.Application:
    """The front layer application, proxying to localstripe at ``upstream_url`` (with
    ``upstream_secret``); ``/_sandbox/*`` answers only ``control_secret`` (see :mod:`.guard`)."""
    from .control import add_control_routes
    from .guard import CONTROL_SECRET, guard_middleware

    app = web.Application(client_max_size=16 * 1024 * 1024, handler_args={"max_field_size": 65536},
                          middlewares=[guard_middleware])
    state = FrontState(upstream=Upstream(upstream_url, upstream_secret))
    state.lists.sources["prices"] = lambda _expand: prices_oldest_first(state)
    app[STATE] = state
    app[CONTROL_SECRET] = control_secret

    async def on_startup(_: web.Application) -> None:
        await state.upstream.start()

    async def on_cleanup(_: web.Application) -> None:
        await state.upstream.close()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    add_control_routes(app)
    app.router.add_route("*", "/{tail:.*}", handle_api)
    return app


def main(argv: list[str] | None = None) -> None:
    """The child's entry point; its secrets come on stdin, never in the environment or on the command line."""
    from .._child import serve_app, take_secret
    from .guard import CONTROL_SECRET_ENV, UPSTREAM_SECRET_ENV

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--upstream", required=True, help="localstripe base URL")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    app = create_app(args.upstream, control_secret=take_secret(CONTROL_SECRET_ENV),
                     upstream_secret=take_secret(UPSTREAM_SECRET_ENV))
    serve_app(app, args.port)

