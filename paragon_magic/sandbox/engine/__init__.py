"""The sandbox's own Stripe engine: objects in today's shapes, on clocks, with events for every change.

:class:`Engine` is the one public face. The front (``sandbox/front``) authenticates, applies faults and
idempotency, lists and searches; for everything else it calls :meth:`Engine.handle`, which catches the
sandbox clock up with real time, finds the route, decodes and validates the parameters (a 4xx changes
nothing) and runs the handler. Handlers use the write helpers here (:meth:`create`, :meth:`update`,
:meth:`delete`) so that every change is dated on the right clock and recorded as an event.

One concept a module: ``store`` (objects, ids), ``clock`` (sandbox and test clocks, due jobs),
``events``, ``routes`` (the table handlers register in), ``validate`` (parameters, generated from
stripe-python 16.1), and the resources: customers, catalog, payments, ledger, billing, test clocks.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..front.errors import StripeErrorResponse, no_such, unrecognized_url
from .clock import SANDBOX, Clocks
from .events import Events, diff
from .routes import Request, find, route
from .store import Store, new_object

__all__ = ["SANDBOX", "Engine", "Request", "Settings", "new_object", "route"]


@dataclass
class Settings:
    """The sandbox account's settings that billing and payouts follow."""

    #: Days after the first failed attempt on which a subscription invoice is retried (Stripe's
    #: custom retry schedule); after the last one the subscription is canceled (``payment_failed``)
    #: and the invoice marked uncollectible.
    retry_days: tuple[int, ...] = (3, 5, 7)
    dunning_action: str = "cancel"  # "cancel" | "unpaid" | "past_due"
    #: Automatic payouts: every ``payout_every_days`` days at 00:00 UTC, of the available balance.
    payout_every_days: int = 7
    automatic_payouts: bool = True
    settlement_currency: str = "usd"


class Engine:
    """The sandbox's Stripe: ``handle`` one API call, or drive it directly (the seed does)."""

    def __init__(self, *, seed: int = 0, wall: Callable[[], float] = time.time) -> None:
        self.store = Store(seed)
        self.clocks = Clocks(wall)
        self.events = Events(self.store)
        self.settings = Settings()
        self._seed = seed
        #: Read-only collections derived from others (plans are recurring prices): kind -> reader.
        self.views: dict[str, Callable[[], list[dict[str, Any]]]] = {}
        #: Called with the engine once it exists (and after every reset): resources schedule their
        #: standing jobs here (automatic payouts).
        _load_resources()
        self.startup: list[Callable[[Engine], None]] = list(STARTUP)
        for start in self.startup:
            start(self)

    def reset(self) -> None:
        self.store.reset(self._seed)
        self.clocks.reset()
        self.events.retention_days = 30
        self.settings = Settings()
        for start in self.startup:
            start(self)

    # -- time ------------------------------------------------------------------------------------
    def now(self, clock: str | None = SANDBOX) -> int:
        return self.clocks.now(clock)

    def clock_of(self, customer: str | dict[str, Any] | None) -> str:
        """The clock a customer's objects live on: its test clock, else the sandbox clock."""
        if isinstance(customer, str):
            customer = self.store.get(customer)
        return (customer or {}).get("test_clock") or SANDBOX

    # -- reading ---------------------------------------------------------------------------------
    def get(self, kind: str, obj_id: Any, *, noun: str | None = None, param: str = "id") -> dict[str, Any]:
        """The live ``kind`` object ``obj_id``, or Stripe's 404 naming ``param``."""
        obj = self.store.get(obj_id, kind) if isinstance(obj_id, str) else None
        if obj is None:
            raise no_such(noun or kind, str(obj_id), param=param)
        return obj

    def collection(self, kind: str) -> list[dict[str, Any]]:
        """Every ``kind`` object oldest first (events: only those still kept)."""
        if kind in self.views:
            return self.views[kind]()
        objects = list(self.store.all(kind))
        if kind == "event":
            now = self.now()
            objects = [e for e in objects if self.events.visible(e, now)]
        return objects

    # -- writing ---------------------------------------------------------------------------------
    def create(self, kind: str, prefix: str, *, clock: str | None = SANDBOX, event: str | None = "",
               **fields: Any) -> dict[str, Any]:  # fmt: skip
        """Make, store and announce a ``kind`` object dated now on ``clock`` (``event=None``: none;
        ``""``: ``<kind>.created``)."""
        at = self.now(clock)
        given_created = "created" in fields
        obj = new_object(kind, id=fields.pop("id", None) or self.store.new_id(prefix), **fields)
        if not given_created and "created" in obj:
            obj["created"] = at
        self.store.add(obj)
        if event is not None:
            self.events.emit(event or f"{kind}.created", obj, at)
        return obj

    def update(self, obj: dict[str, Any], changes: dict[str, Any], *, clock: str | None = SANDBOX,
               event: str | None = "") -> dict[str, Any]:  # fmt: skip
        """Apply ``changes`` and, if anything changed, announce ``<kind>.updated`` with
        ``previous_attributes`` (``event=None``: silently; a name: that event type)."""
        before = {key: copy.deepcopy(obj.get(key)) for key in changes}
        obj.update(changes)
        previous = diff(before, {key: obj.get(key) for key in changes})
        if previous:
            self.store.touch()
            if event is not None:
                self.events.emit(event or f"{obj['object']}.updated", obj, self.now(clock),
                                 previous_attributes=previous)  # fmt: skip
        return obj

    def delete(self, obj: dict[str, Any], *, clock: str | None = SANDBOX, event: str | None = "") -> dict[str, Any]:
        tombstone = self.store.remove(obj["id"])
        if event is not None:
            self.events.emit(event or f"{obj['object']}.deleted", obj, self.now(clock))
        return tombstone

    def announce(self, type: str, obj: dict[str, Any], *, clock: str | None = SANDBOX,
                 previous_attributes: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
        """An event about ``obj`` that is not a plain create/update (``invoice.paid``, ...)."""
        return self.events.emit(type, obj, self.now(clock), previous_attributes=previous_attributes)

    # -- the API ---------------------------------------------------------------------------------
    def handle(self, method: str, path: str, pairs: Iterable[tuple[str, str]], *, account: str = "",
               livemode: bool = False, request_id: str | None = None,
               idempotency_key: str | None = None) -> Any:  # fmt: skip
        """Answer one API call (``pairs``: the query for GET/DELETE, the form body for POST)."""
        from . import validate

        self.clocks.catch_up()
        found = find(method, path)
        if found is None:
            raise unrecognized_url(method, path)
        handler, args = found
        params = validate.decode_form(list(pairs))
        expand = frozenset(params.pop("expand", None) or ())
        route_template = validate.route_of(method, path)
        if route_template is not None:
            params = validate.validate(method, route_template, params)
            params.pop("expand", None)
        self.events.request = {"id": request_id if method != "GET" else None,
                               "idempotency_key": idempotency_key if method == "POST" else None}  # fmt: skip
        try:
            return handler(Request(self, method.upper(), path, args, params, account, livemode, expand))
        finally:
            self.events.request = {"id": None, "idempotency_key": None}


_LOADED: list[bool] = []
#: Functions run on every new or reset engine (resources append to it at import time).
STARTUP: list[Callable[[Engine], None]] = []


def _load_resources() -> None:
    """Import the resource modules once, so their routes are in the table."""
    if _LOADED:
        return
    _LOADED.append(True)
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_") and module.name not in {"store", "clock", "events", "routes", "validate"}:
            importlib.import_module(f"{__name__}.{module.name}")


def bad_request(message: str, *, param: str | None = None, code: str | None = None) -> StripeErrorResponse:
    """A 400 ``invalid_request_error`` (what most handler refusals are)."""
    return StripeErrorResponse(400, message, param=param, code=code)
