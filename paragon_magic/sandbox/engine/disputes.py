"""Disputes: a charge on a dispute test card is disputed shortly after; evidence decides, as in test mode.

Stripe's test mode (https://docs.stripe.com/testing#disputes): ``pm_card_createDispute`` succeeds and
is then disputed (``fraudulent``). The dispute withdraws the amount and the 15.00 USD dispute fee in one
``adjustment`` balance transaction (reporting category ``dispute``) and sends
``charge.dispute.created`` and ``charge.dispute.funds_withdrawn``. Submitting evidence with
``uncategorized_text`` ``winning_evidence`` wins it (the amount comes back in a ``dispute_reversal``
adjustment, ``charge.dispute.funds_reinstated``), ``losing_evidence`` loses it; either way
``charge.dispute.closed`` follows after :data:`DECISION_DELAY`. Closing (accepting) loses it at once.
"""

from __future__ import annotations

from typing import Any

from ..front.errors import StripeErrorResponse
from . import Request, route
from .common import as_bool, merged_metadata
from .ledger import DAY, DISPUTE_FEE, record

#: Seconds between the charge and its dispute, and between submitted evidence and the decision.
DISPUTE_DELAY = 2
DECISION_DELAY = 2
_OPEN = ("needs_response", "warning_needs_response")
_EVIDENCE_KEYS = (
    "access_activity_log", "billing_address", "cancellation_policy", "cancellation_policy_disclosure",
    "cancellation_rebuttal", "customer_communication", "customer_email_address", "customer_name",
    "customer_purchase_ip", "customer_signature", "duplicate_charge_documentation", "duplicate_charge_explanation",
    "duplicate_charge_id", "product_description", "receipt", "refund_policy", "refund_policy_disclosure",
    "refund_refusal_explanation", "service_date", "service_documentation", "shipping_address", "shipping_carrier",
    "shipping_date", "shipping_documentation", "shipping_tracking_number", "uncategorized_file", "uncategorized_text",
)  # fmt: skip
_NETWORK_REASONS = {("visa", "fraudulent"): "10.4", ("visa", "product_not_received"): "13.1",
                    ("mastercard", "fraudulent"): "4837", ("mastercard", "product_not_received"): "4855"}  # fmt: skip


def dispute_later(engine: Any, charge: dict[str, Any], reason: str, *, clock: str) -> None:
    """Schedule the dispute of a just-succeeded charge on ``clock``."""
    at = engine.now(clock) + DISPUTE_DELAY
    engine.clocks.schedule(clock, at, lambda: open_dispute(engine, charge["id"], reason, clock=clock),
                           f"dispute {charge['id']}")  # fmt: skip


def open_dispute(engine: Any, charge_id: str, reason: str, *, clock: str) -> dict[str, Any] | None:
    """Dispute a charge now: the dispute, the withdrawal with its fee, the events (None if refunded)."""
    charge = engine.store.get(charge_id, "charge")
    if charge is None or charge["refunded"] or charge["disputed"]:
        return None
    amount = charge["amount"] - charge["amount_refunded"]
    now = engine.now(clock)
    brand = ((charge.get("payment_method_details") or {}).get("card") or {}).get("brand") or "visa"
    dispute = engine.create(
        "dispute", "dp_", clock=clock, event=None, amount=amount, balance_transactions=[], charge=charge_id,
        currency=charge["currency"], evidence={key: None for key in _EVIDENCE_KEYS} | {"enhanced_evidence": {}},
        evidence_details={"due_by": (now // DAY + 8) * DAY - 1, "has_evidence": False, "past_due": False,
                          "submission_count": 0, "enhanced_eligibility": {}},
        is_charge_refundable=False, livemode=bool(charge.get("livemode")), metadata={},
        payment_intent=charge.get("payment_intent"), reason=reason, status="needs_response",
        payment_method_details={"card": {"brand": brand, "case_type": "chargeback", "network": brand,
                                         "network_reason_code": _NETWORK_REASONS.get((brand, reason))},
                                "type": "card"},
        enhanced_eligibility_types=[], created=now,
    )  # fmt: skip
    txn = record(engine, source=dispute, type="adjustment", amount=-amount, currency=charge["currency"],
                 fee=DISPUTE_FEE, description=f"Chargeback withdrawal for {charge_id}", clock=clock)  # fmt: skip
    dispute["balance_transactions"] = [txn]  # the stored transactions themselves: always current
    engine.update(charge, {"disputed": True}, clock=clock, event=None)
    engine.announce("charge.dispute.created", dispute, clock=clock)
    engine.announce("charge.dispute.funds_withdrawn", dispute, clock=clock)
    return dispute


def _decide(engine: Any, dispute_id: str, won: bool, *, clock: str) -> None:
    dispute = engine.store.get(dispute_id, "dispute")
    if dispute is None or dispute["status"] != "under_review":
        return
    if won:
        txn = record(engine, source=dispute, type="adjustment", amount=dispute["amount"], currency=dispute["currency"],
                     fee=0, description=f"Chargeback reversal for {dispute['charge']}", clock=clock)  # fmt: skip
        engine.update(dispute, {"status": "won", "balance_transactions": [*dispute["balance_transactions"], txn]},
                      clock=clock, event="charge.dispute.funds_reinstated")  # fmt: skip
    else:
        engine.update(dispute, {"status": "lost"}, clock=clock, event=None)
    engine.announce("charge.dispute.closed", dispute, clock=clock)


def _clock_of(engine: Any, dispute: dict[str, Any]) -> str:
    charge = engine.store.get(dispute["charge"], "charge") or {}
    return engine.clock_of(charge.get("customer"))


def _open(dispute: dict[str, Any]) -> None:
    if dispute["status"] not in _OPEN:
        raise StripeErrorResponse(400, f"This dispute has a status of {dispute['status']}: only a dispute that needs "
                                       "a response can be updated or closed.")  # fmt: skip


@route("GET", "/v1/disputes/{}")
def retrieve_dispute(req: Request) -> dict[str, Any]:
    return req.engine.get("dispute", req.arg())


@route("POST", "/v1/disputes/{}")
def update_dispute(req: Request) -> dict[str, Any]:
    """Save evidence (``submit``, default true, sends it: status ``under_review``, decided shortly after)."""
    p, engine = req.params, req.engine
    dispute = engine.get("dispute", req.arg())
    evidence = p.get("evidence") or {}
    if not isinstance(evidence, dict):
        raise StripeErrorResponse(400, "Invalid hash", param="evidence", code="parameter_invalid_empty")
    unknown = sorted(set(evidence) - {*_EVIDENCE_KEYS, "enhanced_evidence"})
    if unknown:
        raise StripeErrorResponse(400, f"Received unknown parameter: evidence[{unknown[0]}]",
                                  param=f"evidence[{unknown[0]}]", code="parameter_unknown")  # fmt: skip
    submit = as_bool(p.get("submit", True), "submit")
    changes: dict[str, Any] = {}
    if "metadata" in p:
        changes["metadata"] = merged_metadata(dispute.get("metadata"), p["metadata"])
    if evidence or submit:
        _open(dispute)
    if evidence:
        given = {k: (v or None) for k, v in evidence.items() if k != "enhanced_evidence"}
        enhanced = {**dispute["evidence"].get("enhanced_evidence", {}), **(evidence.get("enhanced_evidence") or {})}
        changes["evidence"] = {**dispute["evidence"], **given, "enhanced_evidence": enhanced}
    details = dict(dispute["evidence_details"])
    if evidence:
        details["has_evidence"] = True
    if submit:
        details["submission_count"] += 1
        changes["status"] = "under_review"
    changes["evidence_details"] = details
    clock = _clock_of(engine, dispute)
    engine.update(dispute, changes, clock=clock, event="charge.dispute.updated")
    text = (dispute["evidence"].get("uncategorized_text") or "").strip()
    if submit and text in ("winning_evidence", "losing_evidence"):
        at = engine.now(clock) + DECISION_DELAY
        engine.clocks.schedule(clock, at, lambda: _decide(engine, dispute["id"], text == "winning_evidence", clock=clock),
                               f"dispute decision {dispute['id']}")  # fmt: skip
    return dispute


@route("POST", "/v1/disputes/{}/close")
def close_dispute(req: Request) -> dict[str, Any]:
    """Accept the dispute: it is lost at once (``charge.dispute.closed``)."""
    engine = req.engine
    dispute = engine.get("dispute", req.arg())
    _open(dispute)
    clock = _clock_of(engine, dispute)
    engine.update(dispute, {"status": "lost"}, clock=clock, event=None)
    engine.announce("charge.dispute.closed", dispute, clock=clock)
    return dispute
