"""Payouts owned by the sandbox front layer (localstripe pays out only EUR and books no transaction).

A payout takes ``amount`` out of the available balance of its currency at once: it books a
``payout`` balance transaction of ``-amount`` (fee 0). Its ``arrival_date`` is midnight UTC two days
after its creation day; ``status`` is ``pending`` on its creation day, ``in_transit`` until it
arrives, then ``paid``. Canceling a pending payout books a ``payout_cancel`` transaction of
``+amount``. Stored objects carry no time-dependent fields: ``date`` fills them when served.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import StripeErrorResponse, missing_param, no_such, unknown_param

DAY = 86_400
PAYOUT_DAYS = 2
_CREATE_PARAMS = frozenset({
    "amount", "currency", "description", "destination", "metadata", "method", "source_type",
    "statement_descriptor", "expand",
})  # fmt: skip
_ALPHABET = string.ascii_letters + string.digits


def _new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(24))


def _insufficient_funds() -> StripeErrorResponse:
    return StripeErrorResponse(
        400,
        "You have insufficient funds in your Stripe account for this transfer. Your card balance is "
        "too low. You can use the /v1/balance endpoint to view your Stripe balance (for more details, "
        "see stripe.com/docs/api#balance).",
        code="balance_insufficient",
    )


@dataclass
class PayoutBook:
    """Payouts and their balance transactions, in creation order."""

    payouts: dict[str, dict[str, Any]] = field(default_factory=dict)
    transactions: dict[str, dict[str, Any]] = field(default_factory=dict)
    canceled: set[str] = field(default_factory=set)
    destination: str = field(default_factory=lambda: _new_id("ba_"))

    def clear(self) -> None:
        self.payouts.clear()
        self.transactions.clear()
        self.canceled.clear()

    def all_payouts(self) -> list[dict[str, Any]]:
        return list(self.payouts.values())

    def all_transactions(self) -> list[dict[str, Any]]:
        return list(self.transactions.values())

    def transaction(self, txn_id: str) -> dict[str, Any] | None:
        return self.transactions.get(txn_id)

    def get(self, payout_id: str) -> dict[str, Any]:
        if payout_id not in self.payouts:
            raise no_such("payout", payout_id)
        return self.payouts[payout_id]

    def linked_backdates(self, created: Mapping[str, int]) -> dict[str, int]:
        """A backdated payout's balance transaction moves with it (unless ``created`` dates it too)."""
        return {self.payouts[obj_id]["balance_transaction"]: when
                for obj_id, when in created.items() if obj_id in self.payouts}  # fmt: skip

    def create(self, params: dict[str, Any], available: Mapping[str, int], now: int) -> dict[str, Any]:
        for name in params:
            if name not in _CREATE_PARAMS:
                raise unknown_param(name)
        for name in ("amount", "currency"):
            if name not in params:
                raise missing_param(name)
        try:
            amount = int(params["amount"])
        except (TypeError, ValueError):
            amount = 0
        if amount <= 0:
            raise StripeErrorResponse(400, f"Invalid positive integer: {params['amount']}",
                                      code="parameter_invalid_integer", param="amount")  # fmt: skip
        currency = str(params["currency"]).lower()
        if amount > available.get(currency, 0):
            raise _insufficient_funds()
        method = params.get("method", "standard")
        if method not in ("standard", "instant"):
            raise StripeErrorResponse(400, f"Invalid method: {method}", param="method")
        metadata = params.get("metadata") or {}
        payout_id, txn_id = _new_id("po_"), _new_id("txn_")
        self.transactions[txn_id] = {
            "id": txn_id, "object": "balance_transaction", "amount": -amount, "currency": currency,
            "created": now, "description": "STRIPE PAYOUT", "reporting_category": "payout",
            "source": payout_id, "type": "payout",
        }  # fmt: skip
        self.payouts[payout_id] = {
            "id": payout_id, "object": "payout", "amount": amount, "application_fee": None,
            "application_fee_amount": None, "automatic": False, "balance_transaction": txn_id,
            "created": now, "currency": currency, "description": params.get("description"),
            "destination": params.get("destination") or self.destination,
            "failure_balance_transaction": None, "failure_code": None, "failure_message": None,
            "livemode": False, "metadata": dict(metadata) if isinstance(metadata, dict) else {},
            "method": method, "original_payout": None, "payout_method": None,
            "reconciliation_status": "not_applicable", "reversed_by": None,
            "source_type": params.get("source_type", "card"),
            "statement_descriptor": params.get("statement_descriptor"), "type": "bank_account",
            "trace_id": {"status": "pending", "value": None},
        }  # fmt: skip
        return self.payouts[payout_id]

    def update(self, payout_id: str, params: dict[str, Any]) -> dict[str, Any]:
        payout = self.get(payout_id)
        for name in params:
            if name not in ("metadata", "expand"):
                raise unknown_param(name)
        metadata = params.get("metadata")
        if isinstance(metadata, dict):
            merged = {**payout["metadata"], **metadata}
            payout["metadata"] = {k: v for k, v in merged.items() if v != ""}
        elif metadata == "":
            payout["metadata"] = {}
        return payout

    def cancel(self, payout_id: str, served: dict[str, Any]) -> dict[str, Any]:
        """Cancel a pending payout: its amount returns to the available balance."""
        payout = self.get(payout_id)
        if served["status"] != "pending":
            raise StripeErrorResponse(
                400, f"Payouts can only be canceled while they are pending, not {served['status']}.",
            )
        txn_id = _new_id("txn_")
        self.transactions[txn_id] = {
            "id": txn_id, "object": "balance_transaction", "amount": payout["amount"],
            "currency": payout["currency"], "created": served["created"],
            "description": "STRIPE PAYOUT CANCELED", "reporting_category": "payout_reversal",
            "source": payout_id, "type": "payout_cancel",
        }  # fmt: skip
        self.canceled.add(payout_id)
        payout["failure_balance_transaction"] = txn_id
        return payout

    def date(self, payout: dict[str, Any], now: float) -> dict[str, Any]:
        """A served copy: ``arrival_date`` and ``status`` as of ``now`` (``created`` already backdated)."""
        out = dict(payout)
        created = int(out["created"])
        out["arrival_date"] = (created // DAY + PAYOUT_DAYS) * DAY
        if out.get("id") in self.canceled:
            out["status"] = "canceled"
        elif out["arrival_date"] <= now:
            out["status"] = "paid"
        else:
            out["status"] = "pending" if now < (created // DAY + 1) * DAY else "in_transit"
        out["trace_id"] = {"status": "supported" if out["status"] == "paid" else "pending", "value": None}
        return out
