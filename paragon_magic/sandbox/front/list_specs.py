"""Every list endpoint the sandbox serves: its filters (as in stripe-python 16.1's ``*ListParams``),
how each filter matches, and where the whole collection comes from.

Objects may arrive in localstripe's older shapes or in today's (the shape translation is done
elsewhere), so every matcher reads the field Stripe filters on and falls back to what localstripe
has (e.g. an invoice's subscription is ``parent.subscription_details.subscription`` today,
top-level ``subscription`` in localstripe).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .list_collect import (
    UpstreamReader,
    collect_invoice_lines,
    collect_invoiceitems,
    collect_payment_methods,
    collect_subscription_items,
    dig,
    ref_id,
)
from .list_query import FilterSpec, range_ok
from .shapes_types import items_in_subscription

Matcher = Callable[[dict[str, Any], dict[str, Any]], bool]
Predicate = Callable[[dict[str, Any], Any], bool]
#: ``collect(upstream, spec, expand, scope)`` -> the whole collection, oldest first.
Collector = Callable[[UpstreamReader, "ListSpec", tuple[str, ...], "str | None"], Awaitable[list[dict[str, Any]]]]  # fmt: skip


def invoice_subscription(invoice: dict[str, Any]) -> Any:
    top = ref_id(invoice.get("subscription"))
    return top or ref_id(dig(invoice, "parent.subscription_details.subscription"))


def invoice_collection_method(invoice: dict[str, Any]) -> Any:
    return invoice.get("collection_method") or invoice.get("billing") or "charge_automatically"


def subscription_period(sub: dict[str, Any], name: str) -> Any:
    """``current_period_start``/``_end`` as the subscription's first item shows them (computed from its
    billing anchor and plan exactly as the shapes layer does; localstripe's top-level values are stale)."""
    items = items_in_subscription(sub, 0)
    return (items[0] if items else {}).get(name)


def subscription_prices(sub: dict[str, Any]) -> set[str]:
    ids = {ref_id(sub.get("plan"))} if sub.get("plan") else set()
    for item in dig(sub, "items.data") or []:
        for key in ("plan", "price"):
            if item.get(key):
                ids.add(ref_id(item[key]))
    return ids


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
    """One list endpoint: where its collection comes from, its filters and how they match."""

    upstream_path: str
    noun: str
    filters: Mapping[str, FilterSpec]
    match: Matcher
    upstream_params: tuple[tuple[str, str], ...] = ()
    #: How localstripe orders the collection: "insertion" (store order), "created_desc" (a stable
    #: newest-first sort over store order), or "other" (insertion order lost: ties broken by id).
    upstream_order: str = "insertion"
    #: Whether the list takes a ``created`` filter (InvoiceListLinesParams, CustomerListPaymentMethodsParams don't).
    created: bool = True
    #: "newest" first (every top-level list) or "given": as upstream holds it (invoice lines).
    order: str = "newest"
    collect: Collector | None = None
    #: A filter that narrows what is read upstream (payment_methods ``customer``).
    scope: str | None = None
    exclusive: tuple[tuple[str, str], ...] = ()
    required: tuple[str, ...] = ()
    #: Served from a front-layer store registered under this name (``ListCache.sources``).
    source: str | None = None


_STR = FilterSpec()
_BOOL = FilterSpec("bool")
_RANGE = FilterSpec("range")

_BALANCE = ListSpec(
    "/v1/balance_transactions", "balance transaction",
    {"type": _STR, "currency": _STR, "source": _STR, "payout": _STR},
    fields_matcher({"type": _eq("type"), "currency": _eq("currency"), "source": _eq("source"), "payout": _eq("payout")}),
    upstream_order="created_desc",
)  # fmt: skip

LIST_SPECS: dict[str, ListSpec] = {
    "/v1/customers": ListSpec(
        "/v1/customers", "customer", {"email": _STR, "test_clock": _STR},
        fields_matcher({"email": _eq("email"), "test_clock": _eq("test_clock")}),
    ),
    "/v1/subscriptions": ListSpec(
        "/v1/subscriptions", "subscription",
        {"customer": _STR, "status": FilterSpec("enum", SUBSCRIPTION_STATUSES), "plan": _STR, "price": _STR,
         "collection_method": FilterSpec("enum", frozenset({"charge_automatically", "send_invoice"})),
         "current_period_start": _RANGE, "current_period_end": _RANGE, "test_clock": _STR},
        _subscription, upstream_params=(("status", "all"),),
    ),
    "/v1/products": ListSpec(
        "/v1/products", "product",
        {"active": _BOOL, "ids": FilterSpec("list"), "shippable": _BOOL, "type": _STR, "url": _STR},
        fields_matcher({"active": _eq("active"), "ids": lambda o, ids: o.get("id") in ids,
                        "shippable": _eq("shippable"), "type": _eq("type", "service"), "url": _eq("url")}),
    ),
    "/v1/plans": ListSpec(
        "/v1/plans", "plan", {"active": _BOOL, "product": _STR},
        fields_matcher({"active": _eq("active"), "product": _eq("product")}),
    ),
    "/v1/prices": ListSpec(
        "/v1/prices", "price",
        {"active": _BOOL, "currency": _STR, "lookup_keys": FilterSpec("list"), "product": _STR,
         "recurring": FilterSpec("dict", frozenset({"interval", "meter", "usage_type"})),
         "type": FilterSpec("enum", frozenset({"one_time", "recurring"}))},
        fields_matcher({
            "active": _eq("active"), "currency": _eq("currency"), "product": _eq("product"), "type": _eq("type"),
            "lookup_keys": lambda o, keys: o.get("lookup_key") in keys,
            "recurring": lambda o, want: all(dig(o, f"recurring.{k}") == v for k, v in want.items()),
        }),
        source="prices",
    ),
    "/v1/balance_transactions": _BALANCE,
    "/v1/balance/history": _BALANCE,
    "/v1/charges": ListSpec(
        "/v1/charges", "charge", {"customer": _STR, "payment_intent": _STR, "transfer_group": _STR},
        fields_matcher({"customer": _eq("customer"), "payment_intent": _eq("payment_intent"),
                        "transfer_group": _eq("transfer_group")}),
    ),
    "/v1/refunds": ListSpec(
        "/v1/refunds", "refund", {"charge": _STR, "payment_intent": _STR},
        fields_matcher({"charge": _eq("charge"), "payment_intent": _eq("payment_intent")}),
        upstream_order="created_desc",
    ),
    "/v1/invoices": ListSpec(
        "/v1/invoices", "invoice",
        {"collection_method": FilterSpec("enum", frozenset({"charge_automatically", "send_invoice"})),
         "customer": _STR, "customer_account": _STR, "due_date": _RANGE,
         "status": FilterSpec("enum", frozenset({"draft", "open", "paid", "uncollectible", "void"})),
         "subscription": _STR},
        fields_matcher({
            "collection_method": _by(invoice_collection_method), "customer": _eq("customer"),
            "customer_account": _eq("customer_account"), "due_date": _in_range(lambda o: o.get("due_date")),
            "status": _eq("status"), "subscription": _by(invoice_subscription),
        }),
        upstream_order="other",  # localstripe sorts by its own `date`
    ),
    "/v1/invoiceitems": ListSpec(
        "/v1/invoiceitems", "invoiceitem",
        {"customer": _STR, "customer_account": _STR, "invoice": _STR, "pending": _BOOL},
        fields_matcher({"customer": _eq("customer"), "customer_account": _eq("customer_account"),
                        "invoice": _eq("invoice"), "pending": lambda o, want: (o.get("invoice") is None) == want}),
        upstream_order="other", collect=collect_invoiceitems,
    ),
    "/v1/payouts": ListSpec(
        "/v1/payouts", "payout", {"arrival_date": _RANGE, "destination": _STR, "status": _STR},
        fields_matcher({"arrival_date": _in_range(lambda o: o.get("arrival_date")),
                        "destination": _eq("destination"), "status": _eq("status")}),
    ),
    "/v1/events": ListSpec(
        "/v1/events", "event", {"type": _STR, "types": FilterSpec("list"), "delivery_success": _BOOL},
        fields_matcher({"type": _event_type, "types": lambda o, types: o.get("type") in types,
                        "delivery_success": lambda o, want: (not o.get("pending_webhooks")) == want}),
        exclusive=(("type", "types"),),
    ),
    "/v1/payment_intents": ListSpec(
        "/v1/payment_intents", "payment_intent", {"customer": _STR, "customer_account": _STR},
        fields_matcher({"customer": _eq("customer"), "customer_account": _eq("customer_account")}),
    ),
    "/v1/payment_methods": ListSpec(
        "/v1/payment_methods", "PaymentMethod",
        {"customer": _STR, "customer_account": _STR, "type": _STR,
         "allow_redisplay": FilterSpec("enum", frozenset({"always", "limited", "unspecified"}))},
        fields_matcher({"customer": _eq("customer"), "customer_account": _eq("customer_account"),
                        "type": _eq("type"), "allow_redisplay": _eq("allow_redisplay", "unspecified")}),
        upstream_order="other", collect=collect_payment_methods, scope="customer",
    ),
    "/v1/subscription_items": ListSpec(
        "/v1/subscription_items", "subscription_item", {"subscription": _STR}, fields_matcher({}),
        created=False, order="given", collect=collect_subscription_items, scope="subscription",
        required=("subscription",),
    ),
    "/v1/coupons": ListSpec("/v1/coupons", "coupon", {}, fields_matcher({})),
    "/v1/tax_rates": ListSpec(
        "/v1/tax_rates", "tax_rate", {"active": _BOOL, "inclusive": _BOOL},
        fields_matcher({"active": _eq("active"), "inclusive": _eq("inclusive")}),
    ),
    "/v1/setup_intents": ListSpec(
        "/v1/setup_intents", "setup_intent",
        {"attach_to_self": _BOOL, "customer": _STR, "customer_account": _STR, "payment_method": _STR},
        fields_matcher({"attach_to_self": _eq("attach_to_self", False), "customer": _eq("customer"),
                        "customer_account": _eq("customer_account"), "payment_method": _eq("payment_method")}),
    ),
}  # fmt: skip

#: ``/v1/invoices/{id}/lines``: in invoice order, no ``created`` filter (InvoiceListLinesParams).
INVOICE_LINES = ListSpec(
    "/v1/invoices/{id}/lines", "line item", {}, fields_matcher({}),
    created=False, order="given", collect=collect_invoice_lines,
)  # fmt: skip
#: ``/v1/customers/{id}/payment_methods`` (CustomerListPaymentMethodsParams: no ``created``).
CUSTOMER_PAYMENT_METHODS = dataclasses.replace(
    LIST_SPECS["/v1/payment_methods"],
    filters={name: spec for name, spec in LIST_SPECS["/v1/payment_methods"].filters.items()
             if name in ("type", "allow_redisplay")},
    created=False, scope=None,
)  # fmt: skip
_NESTED = (
    (re.compile(r"^/v1/invoices/(?!upcoming/)[^/]+/lines$"), INVOICE_LINES),
    (re.compile(r"^/v1/customers/[^/]+/payment_methods$"), CUSTOMER_PAYMENT_METHODS),
)


def find_list_spec(path: str) -> ListSpec | None:
    """The list endpoint at ``path`` (a concrete path: nested lists get their own spec)."""
    spec = LIST_SPECS.get(path)
    for pattern, nested in _NESTED if spec is None else ():
        if pattern.match(path):
            return dataclasses.replace(nested, upstream_path=path)
    return spec
