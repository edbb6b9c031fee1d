"""A customer's credit balance history: ``customer_balance_transaction`` objects (``cbtxn_``).

Stripe records every change of ``customer.balance``: the starting balance given at creation
(``initial``), a change posted with ``POST /v1/customers/{id} {balance}`` or
``POST /v1/customers/{id}/balance_transactions`` (``adjustment``; the latter sets the customer's
``currency`` when unset), the balance an invoice uses at finalization (``applied_to_invoice``) and
an amount below the minimum charge carried to the next invoice (``invoice_too_small``); credit notes
record theirs (``credit_note``) in :mod:`.credit_notes`. ``amount`` < 0 is a credit, > 0 a debit;
``ending_balance`` is the balance after it. Listed at ``/v1/customers/{id}/balance_transactions``
(the front serves the list from the collection, filtered by ``customer``).
"""

from __future__ import annotations

from typing import Any

from ..front.errors import StripeErrorResponse, no_such
from . import Request, route
from .common import as_int, currency, merged_metadata, required

KIND = "customer_balance_transaction"


def record(engine: Any, customer: dict[str, Any], amount: int, *, type: str, clock: str, code: str | None = None,
           invoice: str | None = None, description: str | None = None,
           metadata: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
    """A transaction of ``amount`` on ``customer``'s balance, whose ``balance`` already includes it."""
    return engine.create(
        KIND, "cbtxn_", clock=clock, event=None, amount=amount, checkout_session=None, credit_note=None,
        currency=code or customer.get("currency") or engine.settings.settlement_currency, customer=customer["id"],
        customer_account=None, description=description, ending_balance=int(customer.get("balance") or 0),
        invoice=invoice, livemode=bool(customer.get("livemode")), metadata=metadata or {}, type=type,
    )  # fmt: skip


def _of(engine: Any, customer: dict[str, Any], txn_id: str) -> dict[str, Any]:
    txn = engine.store.get(txn_id, KIND)
    if txn is None or txn["customer"] != customer["id"]:
        raise no_such("customer_balance_transaction", txn_id, param="id")
    return txn


@route("POST", "/v1/customers/{}/balance_transactions")
def create_balance_transaction(req: Request) -> dict[str, Any]:
    engine, p = req.engine, req.params
    customer = engine.get("customer", req.arg())
    required(p, "amount", "currency")
    amount = as_int(p["amount"], "amount")
    code = currency(p["currency"])
    if customer.get("currency") and customer["currency"] != code:
        raise StripeErrorResponse(400, f"The currency {code} does not match the customer's currency "
                                       f"{customer['currency']}.", param="currency")  # fmt: skip
    metadata = merged_metadata({}, p.get("metadata"))
    clock = engine.clock_of(customer)
    engine.update(customer, {"balance": int(customer.get("balance") or 0) + amount, "currency": code}, clock=clock)
    return record(engine, customer, amount, type="adjustment", clock=clock, code=code,
                  description=p.get("description") or None, metadata=metadata)  # fmt: skip


@route("GET", "/v1/customers/{}/balance_transactions/{}")
def retrieve_balance_transaction(req: Request) -> dict[str, Any]:
    return _of(req.engine, req.engine.get("customer", req.arg(0)), req.arg(1))


@route("POST", "/v1/customers/{}/balance_transactions/{}")
def update_balance_transaction(req: Request) -> dict[str, Any]:
    engine, p = req.engine, req.params
    customer = engine.get("customer", req.arg(0))
    txn = _of(engine, customer, req.arg(1))
    changes: dict[str, Any] = {}
    if "description" in p:
        changes["description"] = p["description"] or None
    if "metadata" in p:
        changes["metadata"] = merged_metadata(txn.get("metadata"), p["metadata"])
    return engine.update(txn, changes, clock=engine.clock_of(customer), event=None)
