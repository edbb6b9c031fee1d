"""The tables a store can hold: Stripe Sigma's names, the list endpoint behind each, and its events.

A child table (``subscription_items``, ``invoice_line_items``) is read with its parent: its rows are the
parent's embedded list (``items.data``, ``lines.data``), paged further when Stripe says ``has_more``, and
they are replaced whenever the parent changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError

__all__ = ["DEFAULT_TABLES", "TABLES", "TableSpec", "resolve_tables"]


@dataclass(frozen=True)
class Child:
    """A list embedded in every parent object, stored as a table of its own."""

    table: str
    object_type: str
    embedded: str  # the parent's field holding the list object (``items``)
    parent_column: str  # the child's column naming its parent (``subscription``)
    page_path: str  # where the rest of the list is (``/v1/subscription_items``)
    page_by_query: bool  # True: ``?subscription=ID``; False: ``{id}`` is in page_path


@dataclass(frozen=True)
class TableSpec:
    """One synced table."""

    name: str
    object_type: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    event_types: tuple[str, ...] = ()  # change events whose ``data.object`` is a row of this table
    delete_types: tuple[str, ...] = ()  # events that remove the row
    child: Child | None = None
    immutable: bool = False  # never changes once listed (balance transactions): new rows only
    lookback: int = 0  # seconds re-read below the ``created`` high-water mark (late arrivals)
    action: str | None = None  # the list action giving the same frame (``list_customers``)

    @property
    def tables(self) -> tuple[str, ...]:
        """This table and its child's (written together)."""
        return (self.name, self.child.table) if self.child else (self.name,)


def _crud(prefix: str, *extra: str, deleted: bool = True) -> tuple[str, ...]:
    return (f"{prefix}.created", f"{prefix}.updated", *((f"{prefix}.deleted",) if deleted else ()), *extra)


_SPECS = (
    TableSpec("customers", "customer", "/v1/customers", event_types=_crud("customer"),
              delete_types=("customer.deleted",), action="list_customers"),
    TableSpec("products", "product", "/v1/products", event_types=_crud("product"),
              delete_types=("product.deleted",), action="list_products"),
    TableSpec("prices", "price", "/v1/prices", event_types=_crud("price"), delete_types=("price.deleted",),
              action="list_prices"),
    TableSpec("coupons", "coupon", "/v1/coupons", event_types=_crud("coupon"), delete_types=("coupon.deleted",)),
    TableSpec("subscriptions", "subscription", "/v1/subscriptions", params={"status": "all"},
              # a "deleted" subscription is a canceled one: it stays, with status=canceled
              event_types=_crud("customer.subscription", "customer.subscription.paused",
                                "customer.subscription.resumed", "customer.subscription.pending_update_applied",
                                "customer.subscription.pending_update_expired"),
              child=Child("subscription_items", "subscription_item", "items", "subscription",
                          "/v1/subscription_items", page_by_query=True),
              action="list_subscriptions"),
    TableSpec("invoices", "invoice", "/v1/invoices",
              event_types=_crud("invoice", "invoice.finalized", "invoice.paid", "invoice.payment_failed",
                                "invoice.payment_succeeded", "invoice.voided", "invoice.marked_uncollectible",
                                "invoice.sent", "invoice.finalization_failed", "invoice.overdue",
                                "invoice.payment_action_required"),
              delete_types=("invoice.deleted",),
              child=Child("invoice_line_items", "line_item", "lines", "invoice", "/v1/invoices/{id}/lines",
                          page_by_query=False),
              action="list_invoices"),
    TableSpec("charges", "charge", "/v1/charges",
              event_types=("charge.captured", "charge.expired", "charge.failed", "charge.pending", "charge.refunded",
                           "charge.succeeded", "charge.updated"), action="list_charges"),
    TableSpec("refunds", "refund", "/v1/refunds",
              event_types=("refund.created", "refund.updated", "refund.failed", "charge.refund.updated"),
              action="list_refunds"),
    TableSpec("disputes", "dispute", "/v1/disputes",
              event_types=("charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed",
                           "charge.dispute.funds_reinstated", "charge.dispute.funds_withdrawn")),
    TableSpec("balance_transactions", "balance_transaction", "/v1/balance_transactions", immutable=True,
              lookback=600, action="list_balance_transactions"),
    TableSpec("payouts", "payout", "/v1/payouts",
              event_types=("payout.created", "payout.updated", "payout.paid", "payout.failed", "payout.canceled",
                           "payout.reconciliation_completed"), action="list_payouts"),
    TableSpec("credit_notes", "credit_note", "/v1/credit_notes",
              event_types=("credit_note.created", "credit_note.updated", "credit_note.voided")),
)

#: Every table by name, children included (they map to their parent's spec).
TABLES: dict[str, TableSpec] = {spec.name: spec for spec in _SPECS}
_PARENT_OF: dict[str, TableSpec] = {spec.child.table: spec for spec in _SPECS if spec.child}

#: The finance set ``sync()`` reads by default, in Sigma's names.
DEFAULT_TABLES: tuple[str, ...] = tuple(name for spec in _SPECS for name in spec.tables)


def table_names() -> tuple[str, ...]:
    return DEFAULT_TABLES


def resolve_tables(names: Any) -> list[TableSpec]:
    """The specs to sync for ``names`` (None: all; a child brings its parent); unknown names are refused."""
    if names is None or names == [] or names == ():
        return list(_SPECS)
    if isinstance(names, str):
        names = [names]
    specs: list[TableSpec] = []
    for name in names:
        spec = TABLES.get(name) or _PARENT_OF.get(name)
        if spec is None:
            raise UsageError(f"unknown table {name!r}: " + suggest(name))
        if spec not in specs:
            specs.append(spec)
    return specs


def suggest(name: str) -> str:
    """A 'did you mean' hint naming the known tables."""
    from difflib import get_close_matches

    close = get_close_matches(str(name), DEFAULT_TABLES, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return hint + "tables: " + ", ".join(DEFAULT_TABLES)
