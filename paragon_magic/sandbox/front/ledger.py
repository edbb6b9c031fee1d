"""A reconciling ledger in the sandbox front layer: card fees, settlement dates, payouts, the balance.

localstripe records every charge and refund as a balance transaction with ``fee`` 0, ``exchange_rate``
1.0 and funds available at once, and ``GET /v1/balance`` is a fixed 2000 EUR. The ledger rewrites
every balance transaction the front layer serves as Stripe would, owns payouts (``payouts``)
and answers ``GET /v1/balance`` from the sum of the transactions, so ``available + pending`` equals
the sum of ``net`` per currency.

Fee schedule (Stripe's standard card pricing, simplified; amounts in the currency's smallest unit):

=========================  =====================
usd                        2.9 % + 30
eur                        1.5 % + 25
gbp                        1.5 % + 20
jpy                        3.6 %
other zero-decimal         3.6 %
any other currency         2.9 % + 30
=========================  =====================

The percentage is rounded half up to a whole unit. Refunds carry no fee and return none (Stripe keeps
the processing fee of a refunded charge), so a refund's ``net`` equals its (negative) ``amount``.
Settlement: ``available_on`` is midnight UTC of the second day after the transaction's creation day
(backdated ``created`` included); ``status`` is ``pending`` until then, ``available`` after. All
amounts settle in their own currency, so ``exchange_rate`` is null.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import StripeErrorResponse, no_such, unrecognized_url
from .list_query import parse_bracketed
from .lists import ListCache
from .payouts import PayoutBook
from .proxy import Upstream, apply_backdates

DAY = 86_400
SETTLEMENT_DAYS = 2
ZERO_DECIMAL = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()
)


@dataclass(frozen=True)
class FeeRule:
    """A card processing fee: ``basis_points`` of the amount (290 = 2.9 %) plus ``fixed`` units."""

    basis_points: int
    fixed: int

    def fee(self, amount: int) -> int:
        if amount <= 0:
            return 0
        return (amount * self.basis_points + 5_000) // 10_000 + self.fixed


FEE_SCHEDULE: dict[str, FeeRule] = {
    "usd": FeeRule(290, 30),
    "eur": FeeRule(150, 25),
    "gbp": FeeRule(150, 20),
    "jpy": FeeRule(360, 0),
}
_ZERO_DECIMAL_RULE = FeeRule(360, 0)
_DEFAULT_RULE = FeeRule(290, 30)

#: Today's balance transaction keys (fixtures3.json; no ``livemode``).
TRANSACTION_KEYS = (
    "id", "object", "amount", "available_on", "balance_type", "created", "currency", "description",
    "exchange_rate", "fee", "fee_details", "net", "reporting_category", "source", "status", "type",
)
_FEE_BEARING_TYPES = frozenset({"charge", "payment"})
_IMMEDIATE_TYPES = frozenset({"payout", "payout_cancel"})  # leave or return to the available balance at once


def card_fee(amount: int, currency: str) -> int:
    """Stripe's processing fee on a card payment of ``amount`` (smallest unit) in ``currency``."""
    currency = currency.lower()
    rule = FEE_SCHEDULE.get(currency) or (_ZERO_DECIMAL_RULE if currency in ZERO_DECIMAL else _DEFAULT_RULE)
    return rule.fee(amount)


def settlement_date(created: int, days: int = SETTLEMENT_DAYS) -> int:
    """Midnight UTC of the ``days``-th day after the day of ``created``."""
    return (created // DAY + days) * DAY


def settle(txn: dict[str, Any], now: float, available_on: int | None = None) -> dict[str, Any]:
    """A copy of a balance transaction with Stripe's fee, net, exchange rate, settlement date and status.

    ``available_on`` overrides the computed settlement date (a backdated field).
    """
    out = dict(txn)
    amount = int(out.get("amount") or 0)
    currency = str(out.get("currency") or "usd")
    kind = out.get("type")
    fee = card_fee(amount, currency) if kind in _FEE_BEARING_TYPES else 0
    out["fee"] = fee
    out["fee_details"] = (
        [{"amount": fee, "application": None, "currency": currency,
          "description": "Stripe processing fees", "type": "stripe_fee"}]
        if fee else []
    )  # fmt: skip
    out["net"] = amount - fee
    out["exchange_rate"] = None
    created = int(out.get("created") or 0)
    if available_on is None:
        available_on = created if kind in _IMMEDIATE_TYPES else settlement_date(created)
    out["available_on"] = available_on
    out["status"] = "available" if available_on <= now else "pending"
    out.setdefault("balance_type", "payments")
    return {key: out.get(key) for key in TRANSACTION_KEYS}


def balance_object(transactions: list[dict[str, Any]], *, default_currency: str = "usd") -> dict[str, Any]:
    """``GET /v1/balance`` from settled transactions: per currency, ``net`` summed by status."""
    sums: dict[str, dict[str, int]] = {}
    for txn in transactions:
        per_status = sums.setdefault(txn["currency"], {"available": 0, "pending": 0})
        per_status[txn["status"]] += int(txn["net"])
    if not sums:
        sums[default_currency] = {"available": 0, "pending": 0}

    def funds(status: str) -> list[dict[str, Any]]:
        return [{"amount": s[status], "currency": cur, "source_types": {"card": s[status]}}
                for cur, s in sorted(sums.items())]  # fmt: skip

    return {
        "object": "balance",
        "available": funds("available"),
        "connect_reserved": [{"amount": 0, "currency": cur} for cur in sorted(sums)],
        "livemode": False,
        "pending": funds("pending"),
    }


@dataclass(frozen=True)
class ListView:
    """What :func:`lists.answer_list` reads (``ListState``), with the ledger as the upstream."""

    lists: ListCache
    upstream: Any
    backdates: dict[str, int]
    backdate_fields: dict[str, dict[str, int | None]]
    backdate_version: int


@dataclass
class Ledger:
    """The front layer's ledger: renders balance transactions, owns payouts and the balance.

    ``backdates``/``fields`` are the front state's own dicts (``/_sandbox/backdate``), read live.
    """

    upstream: Upstream
    backdates: dict[str, int]
    fields: dict[str, dict[str, int | None]]
    clock: Callable[[], float] = time.time
    payouts: PayoutBook = field(default_factory=PayoutBook)
    uncollectible: dict[str, int] = field(default_factory=dict)  # invoice id -> marked_uncollectible_at

    def reset(self) -> None:
        self.payouts.clear()
        self.uncollectible.clear()

    def linked_backdates(self, created: Mapping[str, int]) -> dict[str, int]:
        """Ids whose ``created`` follows a backdated object's (a payout's balance transaction)."""
        return self.payouts.linked_backdates(created)

    def render(self, data: Any) -> Any:
        """``data`` (already backdated) with every balance transaction settled and payout dated."""
        now = self.clock()
        if isinstance(data, list):
            return [self.render(item) for item in data]
        if not isinstance(data, dict):
            return data
        out = {key: self.render(value) for key, value in data.items()}
        kind = out.get("object")
        if kind == "balance_transaction" and "amount" in out:
            override = self.fields.get(str(out.get("id")), {}).get("available_on")
            return settle(out, now, override)
        if kind == "payout" and "created" in out:
            return self.payouts.date(out, now)
        if kind == "invoice" and out.get("id") in self.uncollectible:
            transitions = dict(out.get("status_transitions") or {})
            transitions["marked_uncollectible_at"] = self.uncollectible[out["id"]]
            out.update(status="uncollectible", status_transitions=transitions)
        return out

    def list_view(self, state: Any) -> ListView:
        """The front state as the list machinery reads it, with the ledger in place of localstripe."""
        return ListView(state.lists, self, state.backdates, state.backdate_fields, state.backdate_version)

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        return await self.upstream.call(method, path, **kwargs)

    async def fetch_list(self, path: str, params: list[tuple[str, str]]) -> list[dict[str, Any]]:
        """The upstream collection for a list endpoint, plus the ledger's own objects (insertion order)."""
        if path == "/v1/payouts":
            return self._served(self.payouts.all_payouts())
        objects = await self.upstream.fetch_list(path, params)
        if path in ("/v1/balance_transactions", "/v1/balance/history"):
            objects = objects + self.payouts.all_transactions()
        if path == "/v1/invoices" and self.uncollectible:  # so that status filters see it
            objects = [self.render(o) if o.get("id") in self.uncollectible else o for o in objects]
        return objects

    def _served(self, obj: Any) -> Any:
        return self.render(apply_backdates(obj, self.backdates, self.fields))

    async def transactions(self) -> list[dict[str, Any]]:
        """Every balance transaction created by now (the sandbox clock's), backdated and settled."""
        now = self.clock()
        served = self._served(await self.fetch_list("/v1/balance_transactions", [("limit", "1000000")]))
        return [txn for txn in served if txn["created"] <= now]

    async def available(self) -> dict[str, int]:
        """The available balance per currency, now."""
        return {funds["currency"]: funds["amount"] for funds in balance_object(await self.transactions())["available"]}  # fmt: skip

    async def handle(self, method: str, parts: list[str], form: Mapping[str, str],
                     query: list[tuple[str, str]]) -> dict[str, Any] | None:  # fmt: skip
        """Answer what the ledger owns (balance, payouts, payout transactions), else ``None``."""
        if parts == ["v1", "balance"] and method == "GET":
            return balance_object(await self.transactions())
        if parts[:2] == ["v1", "payouts"]:
            if parts == ["v1", "payouts"] and method == "GET":
                return None  # the list machinery lists them, reading fetch_list
            return await self._payout_action(method, parts[2:], parse_bracketed(list(form.items())), query)
        if method == "POST" and len(parts) == 4 and parts[:2] == ["v1", "invoices"] and parts[3] == "mark_uncollectible":
            return await self._mark_uncollectible(parts[2])
        is_txn = parts[:2] == ["v1", "balance_transactions"] and len(parts) == 3
        if method == "GET" and (is_txn or (parts[:3] == ["v1", "balance", "history"] and len(parts) == 4)):
            txn = self.payouts.transaction(parts[-1])
            return None if txn is None else self._served(txn)
        return None

    async def _mark_uncollectible(self, invoice_id: str) -> dict[str, Any]:
        """``POST /v1/invoices/{id}/mark_uncollectible`` (localstripe has no such route)."""
        reply = await self.upstream.call("GET", f"/v1/invoices/{invoice_id}")
        if reply.status == 404 or not isinstance(reply.data, dict):
            raise no_such("invoice", invoice_id)
        invoice = self._served(reply.data)
        if invoice.get("status") != "open":
            raise StripeErrorResponse(
                400, f"You can only mark an invoice as uncollectible if it is open (this one is {invoice.get('status')}).",
                code="invoice_not_open",
            )
        self.uncollectible[invoice_id] = int(self.clock())
        return self._served(reply.data)

    async def _payout_action(self, method: str, rest: list[str], params: dict[str, Any],
                             query: list[tuple[str, str]]) -> dict[str, Any]:  # fmt: skip
        """Create, retrieve, update or cancel a payout (``rest``: the path after ``/v1/payouts``)."""
        if method == "POST" and not rest:
            payout = self.payouts.create(params, await self.available(), int(self.clock()))
        elif method == "GET" and len(rest) == 1:
            payout = self.payouts.get(rest[0])
        elif method == "POST" and len(rest) == 1:
            payout = self.payouts.update(rest[0], params)
        elif method == "POST" and len(rest) == 2 and rest[1] == "cancel":
            payout = self.payouts.cancel(rest[0], self._served(self.payouts.get(rest[0])))
        else:
            raise unrecognized_url(method, "/".join(["/v1/payouts", *rest]))
        served = self._served(payout)
        expand = params.get("expand", parse_bracketed(query).get("expand", []))
        if "balance_transaction" in (expand if isinstance(expand, list) else [expand]):
            served["balance_transaction"] = self._served(self.payouts.transaction(served["balance_transaction"]))
        return served
