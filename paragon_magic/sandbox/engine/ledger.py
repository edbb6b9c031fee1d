"""The ledger: one balance transaction per movement of money, the balance, and when funds settle.

**One settlement model**: the sandbox account is a US account settling in USD
(``engine.settings.settlement_currency``). A charge in another currency is converted with the fixed
table :data:`USD_PER_UNIT` (illustrative rates, not market data): the balance transaction's
``amount``/``currency`` are in USD and ``exchange_rate`` is set as Stripe defines it ("the ``amount``
in currency A, times ``exchange_rate``, would be the ``amount`` in currency B", smallest units).

**Fees** (Stripe's US card pricing, https://stripe.com/pricing), on the converted amount, the
percentage rounded half up to a cent:

=======================================  ============
domestic card, USD                       2.9 % + 30¢
card issued outside the US               + 1.5 %
charge currency other than USD           + 1 %
refund                                   0 (the processing fee is not returned)
dispute                                  1500 (15.00 USD), not returned when won
=======================================  ============

**Settlement**: money coming in (charges, reinstated disputes) is ``pending`` until
``available_on`` = midnight UTC two days after its creation day, then ``available`` (a job on the
transaction's clock flips it and sends ``balance.available`` with the balance object); money going
out (refunds, dispute withdrawals, payouts) and payout reversals are available at once.
``GET /v1/balance`` sums ``net`` per status, so available + pending = Σ net.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from . import Request, route
from .common import THREE_DECIMAL, ZERO_DECIMAL

DAY = 86_400
SETTLEMENT_DAYS = 2
DISPUTE_FEE = 1500
FIXED_FEE = 30  # cents
BASE_PERCENT = Decimal("2.9")
INTERNATIONAL_PERCENT = Decimal("1.5")
CONVERSION_PERCENT = Decimal("1")

#: USD for one whole unit of each currency (fixed, documented; not market data).
USD_PER_UNIT: dict[str, Decimal] = {code: Decimal(rate) for code, rate in {
    "usd": "1", "eur": "1.08", "gbp": "1.27", "jpy": "0.0067", "cad": "0.73", "aud": "0.66", "chf": "1.13",
    "cny": "0.14", "hkd": "0.128", "nzd": "0.60", "sek": "0.095", "nok": "0.093", "dkk": "0.145", "sgd": "0.74",
    "mxn": "0.058", "brl": "0.20", "inr": "0.012", "krw": "0.00075", "pln": "0.25", "czk": "0.043", "huf": "0.0028",
    "ron": "0.22", "bgn": "0.55", "try": "0.031", "zar": "0.054", "ils": "0.27", "aed": "0.2723", "thb": "0.028",
    "twd": "0.031", "php": "0.018", "idr": "0.000063", "myr": "0.21", "clp": "0.0011", "vnd": "0.00004",
    "ugx": "0.00026", "bif": "0.00035", "djf": "0.0056", "gnf": "0.000116", "kmf": "0.0022", "mga": "0.00022",
    "pyg": "0.000135", "rwf": "0.00078", "vuv": "0.0084", "xaf": "0.00165", "xof": "0.00165", "xpf": "0.0091",
    "bhd": "2.65", "jod": "1.41", "kwd": "3.25", "omr": "2.60", "tnd": "0.32",
}.items()}  # fmt: skip
_IMMEDIATE_TYPES = frozenset({"payout", "payout_cancel", "payout_failure"})
_CATEGORIES = {"charge": "charge", "payment": "charge", "refund": "refund", "payout": "payout",
               "payout_cancel": "payout_reversal", "payout_failure": "payout_reversal"}  # fmt: skip


@dataclass
class LedgerState:
    """Per-engine bookkeeping (reset with the engine by the payouts STARTUP function)."""

    due: dict[tuple[str, int], list[str]] = field(default_factory=dict)  # (clock, moment) -> pending txn ids
    pending: dict[str, str] = field(default_factory=dict)  # pending txn id -> its clock
    payout_moments: set[int] = field(default_factory=set)  # scheduled automatic payout moments
    bank_account: str | None = None


_STATES: weakref.WeakKeyDictionary[Any, LedgerState] = weakref.WeakKeyDictionary()


def state(engine: Any) -> LedgerState:
    if engine not in _STATES:
        _STATES[engine] = LedgerState()
    return _STATES[engine]


def reset_state(engine: Any) -> LedgerState:
    _STATES[engine] = LedgerState()
    return _STATES[engine]


# -- money -----------------------------------------------------------------------------------------
def decimals(currency: str) -> int:
    return 0 if currency in ZERO_DECIMAL else 3 if currency in THREE_DECIMAL else 2


_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥"}


def format_money(amount: int, currency: str) -> str:
    """An amount as Stripe's messages write it (``$1,000.00``, ``12.50 CHF``)."""
    places = decimals(currency)
    text = f"{Decimal(amount) / (Decimal(10) ** places):,.{places}f}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency.upper()}"


def exchange_rate(currency: str, settlement: str) -> Decimal:
    """Smallest units of ``settlement`` per smallest unit of ``currency`` (Stripe's ``exchange_rate``)."""
    major = USD_PER_UNIT[currency] / USD_PER_UNIT[settlement]
    return major * Decimal(10) ** decimals(settlement) / Decimal(10) ** decimals(currency)


def convert(amount: int, currency: str, settlement: str) -> tuple[int, float | None]:
    """``amount`` in ``settlement`` (rounded half up) and the exchange rate (None if no conversion)."""
    if currency == settlement:
        return amount, None
    rate = exchange_rate(currency, settlement)
    converted = int((Decimal(amount) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return converted, float(rate.normalize())


def card_fee(amount: int, *, international: bool, converted: bool) -> int:
    """Stripe's US processing fee on a card payment of ``amount`` cents (already in USD)."""
    if amount <= 0:
        return 0
    percent = BASE_PERCENT + (INTERNATIONAL_PERCENT if international else 0) + (CONVERSION_PERCENT if converted else 0)
    variable = (Decimal(amount) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(variable) + FIXED_FEE


def _card_country(source: dict[str, Any]) -> str | None:
    details = (source.get("payment_method_details") or {}).get("card") or {}
    return details.get("country") or (source.get("source") or {}).get("country")


# -- recording -------------------------------------------------------------------------------------
def record(engine: Any, *, source: dict[str, Any], type: str, amount: int, currency: str, fee: int | None,
           description: str | None, clock: str) -> dict[str, Any]:  # fmt: skip
    """The balance transaction of one movement of money: converted to the settlement currency, the
    fee (``None``: the card fee of the charge ``source``; else that many settlement units), settled
    per the module's rules. Stripe sends no event for a balance transaction."""
    settlement = engine.settings.settlement_currency
    converted, rate = convert(amount, currency, settlement)
    if fee is None:
        fee = card_fee(converted, international=(_card_country(source) or "US") != "US", converted=rate is not None)
    now = engine.now(clock)
    immediate = converted < 0 or type in _IMMEDIATE_TYPES
    available_on = now if immediate else (now // DAY + SETTLEMENT_DAYS) * DAY
    fee_description = "Dispute fee" if type == "adjustment" else "Stripe processing fees"
    details = [{"amount": fee, "application": None, "currency": settlement, "description": fee_description,
                "type": "stripe_fee"}] if fee else []  # fmt: skip
    category = _CATEGORIES.get(type) or ("dispute" if converted < 0 else "dispute_reversal")
    txn = engine.create(
        "balance_transaction", "txn_", clock=clock, event=None, amount=converted, currency=settlement,
        available_on=available_on, description=description, exchange_rate=rate, fee=fee, fee_details=details,
        net=converted - fee, reporting_category=category, source=source["id"], type=type,
        status="available" if immediate else "pending", balance_type="payments",
    )  # fmt: skip
    if not immediate:
        _settle_later(engine, clock, available_on, txn["id"])
    if not clock:
        from .payouts import ensure_schedule  # payouts builds on the ledger

        ensure_schedule(engine)
    return txn


def _settle_later(engine: Any, clock: str, at: int, txn_id: str) -> None:
    key = (clock or "", at)
    state(engine).pending[txn_id] = key[0]
    book = state(engine).due
    if key not in book:
        book[key] = []
        engine.clocks.schedule(clock, at, lambda: _make_available(engine, key), f"balance.available@{at}")
    book[key].append(txn_id)


def _make_available(engine: Any, key: tuple[str, int]) -> None:
    changed = False
    book = state(engine)
    for txn_id in book.due.pop(key, []):
        book.pending.pop(txn_id, None)
        txn = engine.store.get(txn_id, "balance_transaction")
        if txn is not None and txn["status"] == "pending":
            txn["status"] = "available"  # no event: Stripe sends balance.available instead
            changed = True
    if changed:
        engine.store.touch()
        engine.announce("balance.available", balance(engine), clock=key[0])


def settle_due(engine: Any, clock: str, moment: int) -> None:
    """Make available now what is due by ``moment`` on ``clock`` (a payout at the same moment as a
    settlement must see the settled funds, whichever job was scheduled first)."""
    for key in sorted(k for k in state(engine).due if k[0] == (clock or "") and k[1] <= moment):
        _make_available(engine, key)


def _now(engine: Any, clock: str) -> int:
    """``clock``'s now; the sandbox clock's once a test clock is deleted (its money stays in the balance)."""
    if clock and clock not in engine.clocks.test_clocks:
        return int(engine.now(""))
    return int(engine.now(clock))


def refresh(engine: Any) -> None:
    """Settle, silently, pending transactions whose ``available_on`` was moved into the past (the
    control plane's backdating); their scheduled job then finds nothing left to announce."""
    book = state(engine)
    changed = False
    for txn_id, clock in list(book.pending.items()):
        txn = engine.store.get(txn_id, "balance_transaction")
        if txn is None or txn["status"] != "pending":
            book.pending.pop(txn_id, None)
        elif txn["available_on"] is not None and txn["available_on"] <= _now(engine, clock):
            txn["status"] = "available"
            book.pending.pop(txn_id, None)
            changed = True
    if changed:
        engine.store.touch()


def transactions(engine: Any) -> list[dict[str, Any]]:
    """Every balance transaction, oldest first, statuses up to date (the collection the front lists)."""
    refresh(engine)
    return list(engine.store.all("balance_transaction"))


# -- reading ---------------------------------------------------------------------------------------
def balance(engine: Any) -> dict[str, Any]:
    """The balance object: Σ ``net`` of available and of pending transactions per currency."""
    settlement = engine.settings.settlement_currency
    sums: dict[str, dict[str, int]] = {"available": {settlement: 0}, "pending": {settlement: 0}}
    for txn in transactions(engine):
        bucket = sums["available" if txn["status"] == "available" else "pending"]
        bucket[txn["currency"]] = bucket.get(txn["currency"], 0) + txn["net"]

    def entries(bucket: dict[str, int]) -> list[dict[str, Any]]:
        return [{"amount": amount, "currency": code, "source_types": {"card": amount}}
                for code, amount in sorted(bucket.items())]  # fmt: skip

    return {"object": "balance", "available": entries(sums["available"]),
            "connect_reserved": [{"amount": 0, "currency": settlement}], "livemode": False,
            "pending": entries(sums["pending"])}  # fmt: skip


@route("GET", "/v1/balance")
def retrieve_balance(req: Request) -> dict[str, Any]:
    body = balance(req.engine)
    body["livemode"] = req.livemode
    return body


@route("GET", "/v1/balance_transactions/{}")
def retrieve_balance_transaction(req: Request) -> dict[str, Any]:
    refresh(req.engine)
    return req.engine.get("balance_transaction", req.arg(), noun="balance transaction")


@route("GET", "/v1/balance/history/{}")
def retrieve_balance_history(req: Request) -> dict[str, Any]:
    return retrieve_balance_transaction(req)
