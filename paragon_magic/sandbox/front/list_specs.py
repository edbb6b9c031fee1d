"""Every list endpoint the sandbox serves: its filters (as in stripe-python 16.1's ``*ListParams``),
how each filter matches, and which of the engine's collections it lists (``kind``), narrowed by a
field for nested lists (an invoice's lines, a customer's payment methods).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .list_query import FilterSpec, range_ok

Matcher = Callable[[dict[str, Any], dict[str, Any]], bool]
Predicate = Callable[[dict[str, Any], Any], bool]


def ref_id(value: Any) -> Any:
    """An id from a reference that may be expanded (``{"id": ...}``)."""
    return value.get("id") if isinstance(value, dict) else value


def dig(obj: Any, path: str) -> Any:
    """``dig(obj, "a.b.c")``: nested lookup, None when any step is missing."""
    for part in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def invoice_subscription(invoice: dict[str, Any]) -> Any:
    return ref_id(dig(invoice, "parent.subscription_details.subscription"))


def subscription_period(sub: dict[str, Any], name: str) -> Any:
    """``current_period_start``/``_end`` of the subscription's first item (periods live on items)."""
    items = dig(sub, "items.data") or []
    return (items[0] if items else {}).get(name)


def subscription_prices(sub: dict[str, Any]) -> set[str]:
    return {ref_id(dig(item, "price.id") or item.get("price")) for item in dig(sub, "items.data") or []}


def _eq(field: str, default: Any = None) -> Predicate:
    def match(obj: dict[str, Any], want: Any) -> bool:
        value = obj.get(field, default)
        return (default if value is None else ref_id(value)) == want

    return match


def _by(getter: Callable[[dict[str, Any]], Any]) -> Predicate:
    return lambda obj, want: getter(obj) == want


def _in_range(getter: Callable[[dict[str, Any]], Any]) -> Predicate:
    return lambda obj, cond: range_ok(getter(obj), cond)


def fields_matcher(predicates: Mapping[str, Predicate]) -> Matcher:
    """A matcher applying each given filter's predicate (a filter not given matches everything)."""

    def match(obj: dict[str, Any], filters: dict[str, Any]) -> bool:
        return all(predicates[name](obj, want) for name, want in filters.items() if name in predicates)

    return match


_SUB_HIDDEN = {"canceled", "incomplete_expired"}
SUBSCRIPTION_STATUSES = frozenset({
    "active", "past_due", "unpaid", "canceled", "incomplete", "incomplete_expired",
    "trialing", "paused", "all", "ended",
})  # fmt: skip


def _subscription_status(obj: dict[str, Any], status: str | None) -> bool:
    actual = obj.get("status")
    if status is None:
        return actual not in _SUB_HIDDEN
    if status == "all":
        return True
    if status == "ended":
        return actual in _SUB_HIDDEN
    return bool(actual == status)


_subscription_fields = fields_matcher({
    "customer": _eq("customer"),
    "plan": lambda obj, want: want in subscription_prices(obj),
    "price": lambda obj, want: want in subscription_prices(obj),
    "collection_method": _eq("collection_method", "charge_automatically"),
    "current_period_start": _in_range(lambda s: subscription_period(s, "current_period_start")),
    "current_period_end": _in_range(lambda s: subscription_period(s, "current_period_end")),
    "test_clock": _eq("test_clock"),
})  # fmt: skip


def _subscription(obj: dict[str, Any], filters: dict[str, Any]) -> bool:
    return _subscription_status(obj, filters.get("status")) and _subscription_fields(obj, filters)


def _event_type(obj: dict[str, Any], pattern: str) -> bool:
    return fnmatch.fnmatchcase(str(obj.get("type", "")), pattern)


@dataclass(frozen=True)
class ListSpec:
    """One list endpoint: the engine collection it lists, its filters and how they match."""

    kind: str
    noun: str
    filters: Mapping[str, FilterSpec]
    match: Matcher
    #: Whether the list takes a ``created`` filter (InvoiceListLinesParams, CustomerListPaymentMethodsParams don't).
    created: bool = True
    #: "newest" first (every top-level list) or "given": creation order (invoice lines, items).
    order: str = "newest"
    #: A nested list's parent: (the field naming it on each object, its kind, the id); the parent
    #: must exist (404 otherwise).
    parent: tuple[str, str, str] | None = None
    exclusive: tuple[tuple[str, str], ...] = ()
    required: tuple[str, ...] = ()
    #: A filter naming an object that must exist: (filter, its kind) (subscription items' ``subscription``).
    filter_parent: tuple[str, str] | None = None


_STR = FilterSpec()
_BOOL = FilterSpec("bool")
_RANGE = FilterSpec("range")

_BALANCE = ListSpec(
    "balance_transaction", "balance transaction",
    {"type": _STR, "currency": _STR, "source": _STR, "payout": _STR},
    fields_matcher({"type": _eq("type"), "currency": _eq("currency"), "source": _eq("source"), "payout": _eq("payout")}),
)  # fmt: skip

LIST_SPECS: dict[str, ListSpec] = {
    "/v1/customers": ListSpec(
        "customer", "customer", {"email": _STR, "test_clock": _STR},
        fields_matcher({"email": _eq("email"), "test_clock": _eq("test_clock")}),
    ),
    "/v1/subscriptions": ListSpec(
        "subscription", "subscription",
        {"customer": _STR, "status": FilterSpec("enum", SUBSCRIPTION_STATUSES), "plan": _STR, "price": _STR,
         "collection_method": FilterSpec("enum", frozenset({"charge_automatically", "send_invoice"})),
         "current_period_start": _RANGE, "current_period_end": _RANGE, "test_clock": _STR},
        _subscription,
    ),
    "/v1/products": ListSpec(
        "product", "product",
        {"active": _BOOL, "ids": FilterSpec("list"), "shippable": _BOOL, "type": _STR, "url": _STR},
        fields_matcher({"active": _eq("active"), "ids": lambda o, ids: o.get("id") in ids,
                        "shippable": _eq("shippable"), "type": _eq("type", "service"), "url": _eq("url")}),
    ),
    "/v1/plans": ListSpec(
        "plan", "plan", {"active": _BOOL, "product": _STR},
        fields_matcher({"active": _eq("active"), "product": _eq("product")}),
    ),
    "/v1/prices": ListSpec(
        "price", "price",
        {"active": _BOOL, "currency": _STR, "lookup_keys": FilterSpec("list"), "product": _STR,
         "recurring": FilterSpec("dict", frozenset({"interval", "meter", "usage_type"})),
         "type": FilterSpec("enum", frozenset({"one_time", "recurring"}))},
        fields_matcher({
            "active": _eq("active"), "currency": _eq("currency"), "product": _eq("product"), "type": _eq("type"),
            "lookup_keys": lambda o, keys: o.get("lookup_key") in keys,
            "recurring": lambda o, want: all(dig(o, f"recurring.{k}") == v for k, v in want.items()),
        }),
    ),
    "/v1/balance_transactions": _BALANCE,
    "/v1/balance/history": _BALANCE,
    "/v1/charges": ListSpec(
        "charge", "charge", {"customer": _STR, "payment_intent": _STR, "transfer_group": _STR},
        fields_matcher({"customer": _eq("customer"), "payment_intent": _eq("payment_intent"),
                        "transfer_group": _eq("transfer_group")}),
    ),
    "/v1/refunds": ListSpec(
        "refund", "refund", {"charge": _STR, "payment_intent": _STR},
        fields_matcher({"charge": _eq("charge"), "payment_intent": _eq("payment_intent")}),
    ),
    "/v1/invoices": ListSpec(
        "invoice", "invoice",
        {"collection_method": FilterSpec("enum", frozenset({"charge_automatically", "send_invoice"})),
         "customer": _STR, "customer_account": _STR, "due_date": _RANGE,
         "status": FilterSpec("enum", frozenset({"draft", "open", "paid", "uncollectible", "void"})),
         "subscription": _STR},
        fields_matcher({
            "collection_method": _eq("collection_method"), "customer": _eq("customer"),
            "customer_account": _eq("customer_account"), "due_date": _in_range(lambda o: o.get("due_date")),
            "status": _eq("status"), "subscription": _by(invoice_subscription),
        }),
    ),
    "/v1/invoiceitems": ListSpec(
        "invoiceitem", "invoiceitem",
        {"customer": _STR, "customer_account": _STR, "invoice": _STR, "pending": _BOOL},
        fields_matcher({"customer": _eq("customer"), "customer_account": _eq("customer_account"),
                        "invoice": _eq("invoice"), "pending": lambda o, want: (o.get("invoice") is None) == want}),
    ),
    "/v1/payouts": ListSpec(
        "payout", "payout", {"arrival_date": _RANGE, "destination": _STR, "status": _STR},
        fields_matcher({"arrival_date": _in_range(lambda o: o.get("arrival_date")),
                        "destination": _eq("destination"), "status": _eq("status")}),
    ),
    "/v1/events": ListSpec(
        "event", "event", {"type": _STR, "types": FilterSpec("list"), "delivery_success": _BOOL},
        fields_matcher({"type": _event_type, "types": lambda o, types: o.get("type") in types,
                        "delivery_success": lambda o, want: (not o.get("pending_webhooks")) == want}),
        exclusive=(("type", "types"),),
    ),
    "/v1/payment_intents": ListSpec(
        "payment_intent", "payment_intent", {"customer": _STR, "customer_account": _STR},
        fields_matcher({"customer": _eq("customer"), "customer_account": _eq("customer_account")}),
    ),
    "/v1/payment_methods": ListSpec(
        "payment_method", "PaymentMethod",
        {"customer": _STR, "customer_account": _STR, "type": _STR,
         "allow_redisplay": FilterSpec("enum", frozenset({"always", "limited", "unspecified"}))},
        fields_matcher({"customer": _eq("customer"), "customer_account": _eq("customer_account"),
                        "type": _eq("type"), "allow_redisplay": _eq("allow_redisplay", "unspecified")}),
        filter_parent=("customer", "customer"),
    ),
    "/v1/subscription_items": ListSpec(
        "subscription_item", "subscription_item", {"subscription": _STR},
        fields_matcher({"subscription": _eq("subscription")}),
        created=False, order="given", required=("subscription",), filter_parent=("subscription", "subscription"),
    ),
    "/v1/coupons": ListSpec("coupon", "coupon", {}, fields_matcher({})),
    "/v1/tax_rates": ListSpec(
        "tax_rate", "tax_rate", {"active": _BOOL, "inclusive": _BOOL},
        fields_matcher({"active": _eq("active"), "inclusive": _eq("inclusive")}),
    ),
    "/v1/setup_intents": ListSpec(
        "setup_intent", "setup_intent",
        {"attach_to_self": _BOOL, "customer": _STR, "customer_account": _STR, "payment_method": _STR},
        fields_matcher({"attach_to_self": _eq("attach_to_self", False), "customer": _eq("customer"),
                        "customer_account": _eq("customer_account"), "payment_method": _eq("payment_method")}),
    ),
}  # fmt: skip

#: ``/v1/invoices/{id}/lines``: in invoice order, no ``created`` filter (InvoiceListLinesParams).
INVOICE_LINES = ListSpec("line_item", "invoice", {}, fields_matcher({}), created=False, order="given")
#: ``/v1/customers/{id}/payment_methods`` (CustomerListPaymentMethodsParams: no ``created``).
CUSTOMER_PAYMENT_METHODS = dataclasses.replace(
    LIST_SPECS["/v1/payment_methods"],
    noun="customer",
    filters={name: spec for name, spec in LIST_SPECS["/v1/payment_methods"].filters.items()
             if name in ("type", "allow_redisplay")},
    created=False,
)  # fmt: skip
#: Stripe's own new lists the engine adds (test clocks, disputes, credit notes, invoice payments).
LIST_SPECS.update({
    "/v1/test_helpers/test_clocks": ListSpec("test_helpers.test_clock", "test_clock", {}, fields_matcher({})),
    "/v1/disputes": ListSpec(
        "dispute", "dispute", {"charge": _STR, "payment_intent": _STR},
        fields_matcher({"charge": _eq("charge"), "payment_intent": _eq("payment_intent")}),
    ),
    "/v1/credit_notes": ListSpec(
        "credit_note", "credit_note", {"customer": _STR, "customer_account": _STR, "invoice": _STR},
        fields_matcher({"customer": _eq("customer"), "customer_account": _eq("customer_account"),
                        "invoice": _eq("invoice")}),
    ),
    "/v1/invoice_payments": ListSpec(
        "invoice_payment", "invoice_payment",
        {"invoice": _STR, "payment": FilterSpec("dict", frozenset({"type", "payment_intent", "payment_record"})),
         "status": FilterSpec("enum", frozenset({"canceled", "open", "paid"}))},
        fields_matcher({"invoice": _eq("invoice"), "status": _eq("status"),
                        "payment": lambda o, want: all(dig(o, f"payment.{k}") == v for k, v in want.items())}),
    ),
})  # fmt: skip
_NESTED = (
    (re.compile(r"^/v1/invoices/([^/]+)/lines$"), INVOICE_LINES, ("invoice", "invoice")),
    (re.compile(r"^/v1/customers/([^/]+)/payment_methods$"), CUSTOMER_PAYMENT_METHODS, ("customer", "customer")),
    (re.compile(r"^/v1/customers/([^/]+)/balance_transactions$"),
     ListSpec("customer_balance_transaction", "customer", {"invoice": _STR}, fields_matcher({"invoice": _eq("invoice")})),
     ("customer", "customer")),
    (re.compile(r"^/v1/credit_notes/([^/]+)/lines$"),
     ListSpec("credit_note_line_item", "credit_note", {}, fields_matcher({}), created=False, order="given"),
     ("credit_note", "credit_note")),
)


def find_list_spec(path: str) -> ListSpec | None:
    """The list endpoint at ``path`` (a concrete path: a nested list's spec names its parent)."""
    spec = LIST_SPECS.get(path)
    for pattern, nested, (field_name, parent_kind) in _NESTED if spec is None else ():
        match = pattern.match(path)
        if match and match.group(1) not in ("search", "upcoming", "preview"):
            return dataclasses.replace(nested, parent=(field_name, parent_kind, match.group(1)))
    return spec
