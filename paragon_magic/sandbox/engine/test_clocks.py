"""Stripe's test clocks: ``/v1/test_helpers/test_clocks`` create, retrieve, delete, and ``…/{id}/advance``.

A clock object lives both in the store (kind ``test_helpers.test_clock``, listed by the front from the
collection) and in ``engine.clocks.test_clocks`` (the same dict), so :meth:`Engine.now` reads its
``frozen_time``. Advancing (stripe-python 16.1 ``TestClockAdvanceParams``): the new ``frozen_time`` must
be after the current one and at most two intervals of the shortest live subscription on the clock
ahead (two years when it has none). The clock turns ``advancing`` (``status_details.advancing.
target_frozen_time``, event ``test_helpers.test_clock.advancing``), its due jobs run in time order, each
reading its own moment (:meth:`Clocks.run_until`: renewals, finalizations, retries), then it is
``ready`` at the new time (``test_helpers.test_clock.ready``). The answer is the clock as it was while
advancing, as Stripe answers; a retrieve afterwards shows it ready. :func:`advance_clock` does the same
without the two-interval limit (for the seed).

Deleting a clock deletes its customers (``customer.deleted``, dated on the clock) and, silently, what
hangs off them (subscriptions and their items, invoices and lines, invoice items, payment methods,
discounts, credit notes); money that moved (charges, payment intents, refunds, disputes, balance
transactions, payouts) and events stay, as the balance does. ``deletes_after`` (created + 30 days) is
reported but not enforced: the seed keeps its history on a clock.
"""

from __future__ import annotations

import copy
from typing import Any

from ..front.errors import StripeErrorResponse, missing_param, no_such
from . import Engine, Request, route
from .common import as_int, ref
from .prices import add_interval

KIND = "test_helpers.test_clock"
DELETES_AFTER = 30 * 86_400
#: Kinds that stay when a clock's customers go (money that moved, and the history).
_KEPT = frozenset({"event", "charge", "payment_intent", "refund", "dispute", "balance_transaction", "payout"})
_OWNER_FIELDS = ("customer", "subscription", "invoice", "test_clock", "credit_note")
_ENDED = ("canceled", "incomplete_expired")


def _bad(message: str, param: str, code: str | None = "parameter_invalid_integer") -> StripeErrorResponse:
    return StripeErrorResponse(400, message, param=param, code=code)


def clock_of(engine: Engine, clock_id: Any, *, param: str = "id") -> dict[str, Any]:
    """The test clock ``clock_id`` (Stripe's 404 naming ``param``)."""
    clock = engine.store.get(clock_id, KIND) if isinstance(clock_id, str) else None
    if clock is None:
        raise no_such("test_clock", str(clock_id), param=param)
    return clock


def customers_on(engine: Engine, clock_id: str) -> list[dict[str, Any]]:
    return [c for c in engine.store.all("customer") if c.get("test_clock") == clock_id]


def advance_limit(engine: Engine, clock: dict[str, Any]) -> tuple[int, str]:
    """The furthest ``frozen_time`` one advance may reach, and why: two intervals of the shortest live
    subscription on the clock, else two years."""
    frozen = int(clock["frozen_time"])
    customers = {c["id"] for c in customers_on(engine, clock["id"])}
    subscriptions = {s["id"] for s in engine.store.all("subscription")
                     if ref(s.get("customer")) in customers and s.get("status") not in _ENDED}  # fmt: skip
    best = (add_interval(frozen, "year", 2), "two years (no subscription on the clock)")
    for item in engine.store.all("subscription_item"):
        if ref(item.get("subscription")) not in subscriptions:
            continue
        price = item.get("price")  # the item's own copy (it outlives a deleted plan), else the stored price
        price = price if isinstance(price, dict) else engine.store.get(str(price), "price")
        recurring = (price or {}).get("recurring")
        if not recurring:
            continue
        count = int(recurring.get("interval_count") or 1)
        limit = add_interval(frozen, recurring["interval"], 2 * count)
        if limit < best[0]:
            best = (limit, f"two intervals of {count} {recurring['interval']}(s), the shortest subscription on the clock")
    return best


def advance_clock(engine: Engine, clock: dict[str, Any], frozen_time: int) -> dict[str, Any]:
    """Run the clock's jobs up to ``frozen_time`` and set it there (advancing -> ready, with events);
    returns the clock as it was while advancing. The caller checks the limits."""
    engine.update(clock, {"status": "advancing", "status_details": {"advancing": {"target_frozen_time": frozen_time}}},
                  event="test_helpers.test_clock.advancing")  # fmt: skip
    answer = copy.deepcopy(clock)
    try:
        engine.clocks.run_until(clock["id"], frozen_time)
    except Exception:
        engine.update(clock, {"status": "internal_failure", "status_details": {}},
                      event="test_helpers.test_clock.internal_failure")  # fmt: skip
        raise
    engine.update(clock, {"frozen_time": frozen_time, "status": "ready", "status_details": {}},
                  event="test_helpers.test_clock.ready")  # fmt: skip
    return answer


@route("POST", "/v1/test_helpers/test_clocks")
def create_test_clock(req: Request) -> dict[str, Any]:
    engine, p = req.engine, req.params
    if p.get("frozen_time") in (None, ""):
        raise missing_param("frozen_time")
    frozen_time = as_int(p["frozen_time"], "frozen_time")
    if frozen_time < 0:
        raise _bad("frozen_time must be a Unix timestamp (0 or later).", "frozen_time")
    name = p.get("name") or None
    if name is not None and len(str(name)) > 300:
        raise _bad("A test clock's name may be up to 300 characters.", "name", "parameter_invalid_string_size")
    customer = None
    if p.get("customer") not in (None, ""):
        customer = engine.get("customer", p["customer"], param="customer")
        if customer.get("test_clock"):
            raise _bad("This customer is already attached to a test clock; customers can't be moved between clocks.",
                       "customer", None)  # fmt: skip
        if any(ref(s.get("customer")) == customer["id"] for s in engine.store.all("subscription")):
            raise _bad("The sandbox attaches only customers without subscriptions to a test clock.", "customer", None)
    now = engine.now()
    clock = engine.create(
        KIND, "clock_", event=f"{KIND}.created", created=now, deletes_after=now + DELETES_AFTER,
        frozen_time=frozen_time, livemode=req.livemode, name=name, status="ready", status_details={},
    )  # fmt: skip
    engine.clocks.test_clocks[clock["id"]] = clock
    if customer is not None:
        engine.update(customer, {"test_clock": clock["id"]})
    return clock


@route("GET", "/v1/test_helpers/test_clocks/{}")
def retrieve_test_clock(req: Request) -> dict[str, Any]:
    return clock_of(req.engine, req.arg())


@route("POST", "/v1/test_helpers/test_clocks/{}/advance")
def advance_test_clock(req: Request) -> dict[str, Any]:
    engine, p = req.engine, req.params
    clock = clock_of(engine, req.arg())
    if p.get("frozen_time") in (None, ""):
        raise missing_param("frozen_time")
    frozen_time = as_int(p["frozen_time"], "frozen_time")
    if clock["status"] == "advancing":
        raise _bad("The test clock is already advancing; wait until its status is ready.", "frozen_time", None)
    if frozen_time <= int(clock["frozen_time"]):
        raise _bad(f"frozen_time must be after the test clock's current frozen_time ({clock['frozen_time']}): "
                   "test clocks only move forward.", "frozen_time")  # fmt: skip
    limit, why = advance_limit(engine, clock)
    if frozen_time > limit:
        raise _bad(f"frozen_time cannot be more than {why} ahead of the current frozen_time: at most {limit}. "
                   "Advance in several steps.", "frozen_time")  # fmt: skip
    return advance_clock(engine, clock, frozen_time)


def _dependents(engine: Engine, owners: set[str]) -> list[dict[str, Any]]:
    """Every stored object hanging off ``owners`` (transitively), except money and events."""
    found: list[dict[str, Any]] = []
    owners = set(owners)
    grew = True
    candidates = [o for o in engine.store.objects.values() if o.get("object") not in _KEPT and o["id"] not in owners]
    while grew:
        grew = False
        for obj in candidates:
            if obj["id"] in owners:
                continue
            if any(isinstance(ref(obj.get(f)), str) and ref(obj.get(f)) in owners for f in _OWNER_FIELDS):
                owners.add(obj["id"])
                found.append(obj)
                grew = True
    return found


@route("DELETE", "/v1/test_helpers/test_clocks/{}")
def delete_test_clock(req: Request) -> dict[str, Any]:
    engine = req.engine
    clock = clock_of(engine, req.arg())
    customers = customers_on(engine, clock["id"])
    dependents = _dependents(engine, {clock["id"], *(c["id"] for c in customers)})
    for obj in dependents:
        if obj.get("object") != "customer":
            engine.delete(obj, event=None)
    for customer in customers:
        engine.delete(customer, clock=clock["id"])
    engine.clocks.drop(clock["id"])
    return engine.delete(clock)
