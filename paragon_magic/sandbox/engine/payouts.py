"""Payouts: manual (create, retrieve, update, cancel) and automatic on the account's schedule.

Automatic payouts (``engine.settings.automatic_payouts``) run on the sandbox clock every
``engine.settings.payout_every_days`` days at 00:00 UTC, aligned on days since the epoch so that a
weekly schedule falls on Mondays. Each sweeps every ``available`` balance transaction not yet paid
out into one ``automatic: true`` payout of their Σ ``net`` (none if that is ≤ 0), and marks each swept
transaction, and the payout's own, with :data:`PAYOUT_FIELD` = the payout id: the front filters
``GET /v1/balance_transactions?payout=po_…`` on it (Stripe's filter, for automatic payouts only), so
the listed transactions other than the payout's own sum to its ``amount``. A payout is ``in_transit``
(automatic) or ``pending`` (manual) and ``paid`` at ``arrival_date`` (midnight UTC two days later),
with ``payout.created`` and ``payout.paid``. A manual payout beyond the available balance is a 400
``balance_insufficient``; a pending one can be canceled (``payout.canceled``, funds returned).
"""

from __future__ import annotations

from typing import Any

from ..front.errors import StripeErrorResponse, missing_param
from . import STARTUP, Request, route
from .clock import SANDBOX
from .common import as_int, check_metadata, currency, merged_metadata
from .ledger import DAY, balance, record, reset_state, settle_due, state, transactions

#: The field on a swept balance transaction naming its automatic payout (not in the served shape;
#: the front filters `balance_transactions?payout=` on it).
PAYOUT_FIELD = "payout"
ARRIVAL_DAYS = 2
_MONDAY = 4  # 1970-01-05, the first Monday, is day 4 since the epoch
_INSUFFICIENT = ("You have insufficient funds in your Stripe account for this transfer. Your card balance is too low. "
                 "You can use the /v1/balance endpoint to view your Stripe balance (for more details, see "
                 "stripe.com/docs/api#balance).")  # fmt: skip


def next_moment(after: int, every_days: int) -> int:
    """The first scheduled payout moment strictly after ``after``."""
    day = after // DAY + 1
    day += (_MONDAY - day) % every_days
    return day * DAY


def ensure_schedule(engine: Any) -> None:
    """Make sure an automatic payout is scheduled by the next payout moment (the sandbox clock may
    have been set back since the schedule began, as the seed does)."""
    book = state(engine)
    every = max(1, int(engine.settings.payout_every_days))
    at = next_moment(engine.now(SANDBOX), every)
    if not book.payout_moments or min(book.payout_moments) > at:
        _schedule(engine, at)


def _schedule(engine: Any, at: int) -> None:
    state(engine).payout_moments.add(at)
    engine.clocks.schedule(SANDBOX, at, lambda: _run(engine, at), f"automatic payout@{at}")


def _run(engine: Any, at: int) -> None:
    book = state(engine)
    book.payout_moments.discard(at)
    following = at + max(1, int(engine.settings.payout_every_days)) * DAY
    if not any(moment <= following for moment in book.payout_moments):
        _schedule(engine, following)
    if engine.settings.automatic_payouts:
        sweep(engine)


def _start(engine: Any) -> None:
    reset_state(engine)
    engine.views["balance_transaction"] = lambda: transactions(engine)  # lists see settled statuses
    ensure_schedule(engine)


STARTUP.append(_start)


def _bank_account(engine: Any) -> str:
    book = state(engine)
    if book.bank_account is None:
        book.bank_account = engine.store.new_id("ba_")
    return book.bank_account


def _new_payout(engine: Any, amount: int, code: str, *, automatic: bool, fields: dict[str, Any]) -> dict[str, Any]:
    now = engine.now(SANDBOX)
    payout = engine.create(
        "payout", "po_", clock=SANDBOX, event=None, amount=amount, currency=code, automatic=automatic,
        arrival_date=(now // DAY + ARRIVAL_DAYS) * DAY, destination=_bank_account(engine), method="standard",
        reconciliation_status="completed" if automatic else "not_applicable", source_type="card",
        status="in_transit" if automatic else "pending", type="bank_account",
        trace_id={"status": "pending", "value": None}, **fields,
    )  # fmt: skip
    txn = record(engine, source=payout, type="payout", amount=-amount, currency=code, fee=0,
                 description=payout.get("description") or "STRIPE PAYOUT", clock=SANDBOX)  # fmt: skip
    payout["balance_transaction"] = txn["id"]
    engine.announce("payout.created", payout)
    engine.clocks.schedule(SANDBOX, payout["arrival_date"], lambda: _arrive(engine, payout["id"]),
                           f"payout paid {payout['id']}")  # fmt: skip
    return payout


def _arrive(engine: Any, payout_id: str) -> None:
    payout = engine.store.get(payout_id, "payout")
    if payout is not None and payout["status"] in ("pending", "in_transit"):
        engine.update(payout, {"status": "paid"}, event="payout.paid")


def sweep(engine: Any) -> dict[str, Any] | None:
    """Pay out every available, not yet paid out transaction now (one automatic payout)."""
    code = engine.settings.settlement_currency
    settle_due(engine, SANDBOX, engine.now(SANDBOX))
    swept = [txn for txn in transactions(engine)
             if txn["status"] == "available" and not txn.get(PAYOUT_FIELD) and txn["currency"] == code]  # fmt: skip
    amount = sum(txn["net"] for txn in swept)
    if amount <= 0:
        return None
    payout = _new_payout(engine, amount, code, automatic=True, fields={"description": "STRIPE PAYOUT"})
    for txn in [*swept, engine.store.get(payout["balance_transaction"])]:
        txn[PAYOUT_FIELD] = payout["id"]
    engine.store.touch()
    return payout


def _available(engine: Any, code: str) -> int:
    return sum(entry["amount"] for entry in balance(engine)["available"] if entry["currency"] == code)


@route("POST", "/v1/payouts")
def create_payout(req: Request) -> dict[str, Any]:
    p, engine = req.params, req.engine
    for name in ("amount", "currency"):
        if p.get(name) in (None, ""):
            raise missing_param(name)
    amount = as_int(p["amount"], "amount")
    if amount <= 0:
        raise StripeErrorResponse(400, f"Invalid positive integer: {amount}", param="amount",
                                  code="parameter_invalid_integer")  # fmt: skip
    code = currency(p["currency"])
    method = p.get("method") or "standard"
    if method != "standard":
        raise StripeErrorResponse(400, "Instant payouts are not available for this account's bank account.",
                                  param="method", code="parameter_invalid_string")  # fmt: skip
    check_metadata(p.get("metadata"))
    if amount > _available(engine, code):
        raise StripeErrorResponse(400, _INSUFFICIENT, param="amount", code="balance_insufficient")
    fields = {"description": p.get("description") or None, "statement_descriptor": p.get("statement_descriptor") or None,
              "metadata": merged_metadata({}, p.get("metadata")), "livemode": req.livemode}  # fmt: skip
    return _new_payout(engine, amount, code, automatic=False, fields=fields)


@route("GET", "/v1/payouts/{}")
def retrieve_payout(req: Request) -> dict[str, Any]:
    return req.engine.get("payout", req.arg())


@route("POST", "/v1/payouts/{}")
def update_payout(req: Request) -> dict[str, Any]:
    payout = req.engine.get("payout", req.arg())
    if "metadata" not in req.params:
        return payout
    return req.engine.update(payout, {"metadata": merged_metadata(payout.get("metadata"), req.params["metadata"])})


@route("POST", "/v1/payouts/{}/cancel")
def cancel_payout(req: Request) -> dict[str, Any]:
    engine = req.engine
    payout = engine.get("payout", req.arg())
    if payout["status"] != "pending":
        raise StripeErrorResponse(400, f"Payouts can only be canceled while they are pending; this one is "
                                       f"{payout['status']}.", param="payout")  # fmt: skip
    record(engine, source=payout, type="payout_cancel", amount=payout["amount"], currency=payout["currency"], fee=0,
           description=f"Cancellation of {payout['id']}", clock=SANDBOX)  # fmt: skip
    return engine.update(payout, {"status": "canceled"}, event="payout.canceled")
