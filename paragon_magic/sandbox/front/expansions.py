"""``expand[]`` checked before a write runs, so a request Stripe would refuse for its expansions (a 400)
changes nothing: each path must name, level by level, fields the object model says are expandable
(or, last, a property Stripe includes when expanded, such as a customer's ``sources``).

The object a write answers with is known from its path (``POST /v1/subscriptions…`` answers a
subscription); paths this module does not know are left to the check on the way out.
"""

from __future__ import annotations

from collections.abc import Iterable

from ... import stripe_model
from .errors import StripeErrorResponse
from .shapes import INCLUDABLE, MAX_EXPAND_DEPTH

#: The first path segment after ``/v1`` -> the object a write there answers with.
ANSWERS: dict[str, str] = {
    "customers": "customer", "subscriptions": "subscription", "subscription_items": "subscription_item",
    "invoices": "invoice", "invoiceitems": "invoiceitem", "payment_intents": "payment_intent",
    "charges": "charge", "refunds": "refund", "products": "product", "prices": "price", "plans": "plan",
    "coupons": "coupon", "payouts": "payout", "payment_methods": "payment_method", "setup_intents": "setup_intent",
    "credit_notes": "credit_note", "disputes": "dispute", "tax_rates": "tax_rate",
}  # fmt: skip


def answered_kind(path: str) -> str | None:
    """The object a write to ``path`` answers with, when the path says it plainly."""
    parts = [p for p in path.split("/") if p]
    if len(parts) < 2 or parts[0] != "v1" or parts[1] not in ANSWERS:
        return None
    if len(parts) > 3 and parts[1] == "customers":  # /v1/customers/{id}/sources|balance_transactions|...
        return None
    return ANSWERS[parts[1]]


def _refused(segment: str) -> StripeErrorResponse:
    return StripeErrorResponse(400, f"This property cannot be expanded ({segment}).", param="expand")


def check(kind: str, paths: Iterable[str]) -> None:
    """Refuse (400) any expansion of a ``kind`` object that Stripe would refuse."""
    if not stripe_model.is_known(kind):
        return
    for path in paths:
        segments = path.split(".")
        if len(segments) > MAX_EXPAND_DEPTH:
            raise StripeErrorResponse(400, f"You cannot expand more than {MAX_EXPAND_DEPTH} levels of a property.",
                                      param="expand")  # fmt: skip
        owner, inner = kind, ""
        for index, segment in enumerate(segments):
            last = index == len(segments) - 1
            if not inner and last and segment in INCLUDABLE.get(owner, ()):
                break
            here = f"{inner}.{segment}" if inner else segment
            found = stripe_model.field_kind(owner, here)
            if found == "list" and not last:  # into a list's elements: ``items.data[]``
                inner = f"{here}[]"
                continue
            if found is None:
                raise _refused(segment)
            if found == "expandable":
                target = stripe_model.target_type(owner, here)
                owner, inner = (target, "") if target else (owner, here)
                continue
            named = stripe_model.nested_type(owner, here) if found == "object" else None
            if last and not (named and "#" not in named):  # an embedded object (a price in an item) is
                raise _refused(segment)  # already there: expanding it is harmless; any other field is not
            inner = here
