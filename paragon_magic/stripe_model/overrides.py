"""What stripe-python's definitions do not say, reviewed by hand: applied over the generated model.

Integers whose docstring names a moment without saying "Unix epoch" / "timestamp" and whose name the
generator does not recognise ("The start of the period. This value is inclusive.", "The time at which
payment will next be attempted", ...), and the one integer the name rules mistake for money (``tax_date``).
Paths are dotted; ``[]`` marks the element of a list (``phases[].end_date``).
"""

from __future__ import annotations

__all__ = ["KIND_OVERRIDES", "DELETED_FIELDS", "DELETED_TYPES"]

_CAPTURE_BEFORE = ("payment_method_details.card.capture_before", "payment_method_details.card_present.capture_before")

#: object type -> path -> kind code (``t`` timestamp, ``a`` amount, ... as in ``_generated``).
KIND_OVERRIDES: dict[str, dict[str, str]] = {
    "charge": dict.fromkeys(_CAPTURE_BEFORE, "t"),
    "payment_attempt_record": dict.fromkeys(_CAPTURE_BEFORE, "t"),
    "payment_record": dict.fromkeys(_CAPTURE_BEFORE, "t"),
    "payment_method": {"card.generated_from.payment_method_details.card_present.capture_before": "t"},
    "confirmation_token": {
        "payment_method_preview.card.generated_from.payment_method_details.card_present.capture_before": "t"},
    "invoice": {"next_payment_attempt": "t"},
    # "Amount (in the `currency` specified) of the invoice item": money, though the docstring names no unit
    "invoiceitem": {"amount": "a", "period.start": "t", "period.end": "t"},
    "line_item": {"period.start": "t", "period.end": "t"},
    "payment_intent": {"next_action.oxxo_display_details.expires_after": "t"},
    "reserve.hold": {"release_schedule.release_after": "t", "release_schedule.scheduled_release": "t"},
    "reserve.plan": {"fixed_release.release_after": "t", "fixed_release.scheduled_release": "t"},
    "subscription": {"trial_start": "t", "trial_end": "t", "next_pending_invoice_item_invoice": "t",
                     "pending_update.expires_at": "t"},
    "subscription_schedule": {"current_phase.start_date": "t", "current_phase.end_date": "t",
                              "phases[].start_date": "t", "phases[].end_date": "t"},
    "tax.calculation": {"tax_date": "t"},
    "tax.transaction": {"tax_date": "t"},
    "tax_deducted_at_source": {"period_start": "t", "period_end": "t"},
    "test_helpers.test_clock": {"deletes_after": "t", "status_details.advancing.target_frozen_time": "t"},
}

#: What Stripe answers a DELETE with, ``{"id", "object": <type>, "deleted": true}``; fixtures3.json names these
#: ``deleted_<type>``. stripe-python has no classes for them.
DELETED_FIELDS: dict[str, str] = {"id": "id", "object": "e", "deleted": "b"}
DELETED_TYPES: tuple[str, ...] = (
    "account", "apple_pay_domain", "application", "bank_account", "card", "coupon", "customer", "discount",
    "external_account", "invoice", "invoiceitem", "payment_source", "person", "plan", "price", "product",
    "product_feature", "radar.value_list", "radar.value_list_item", "subscription_item", "tax_id",
    "terminal.configuration", "terminal.location", "terminal.reader", "test_helpers.test_clock", "webhook_endpoint",
)
