"""Catalog rows for invoices and their line items."""

from __future__ import annotations

from ..catalog_types import Action, Param
from .shared import COLLECTION_METHOD, CREATED, timestamp_range

INVOICE_STATUSES = ("draft", "open", "paid", "uncollectible", "void")

ROWS = (
    Action("list_invoices", None, "list", "GET", "/v1/invoices", "invoice",
           "List invoices, newest first.",
           params=(
               COLLECTION_METHOD, CREATED,
               Param("customer", "string", "Only this customer's invoices.", example="cus_123"),
               Param("customer_account", "string", "Only invoices of this Accounts v2 customer account.",
                     example="acct_123"),
               timestamp_range("due_date", "Only invoices due in this range"),
               Param("status", "enum", "Only invoices with this status.", choices=INVOICE_STATUSES, example="paid"),
               Param("subscription", "string", "Only invoices of this subscription.", example="sub_123"),
           ),
           examples=("%stripe list_invoices --status open", "%stripe list_invoices --customer cus_123 --limit 24"),
           tool_name="STRIPE_GET_INVOICES"),
    Action("get_invoice", None, "retrieve", "GET", "/v1/invoices/{id}", "invoice",
           "Retrieve one invoice by ID.", id_param="invoice", examples=("%stripe get_invoice in_123",),
           tool_name="STRIPE_GET_INVOICE_BY_ID"),
    Action("list_invoice_line_items", None, "list", "GET", "/v1/invoices/{id}/lines", "line_item",
           "List the line items of one invoice.", id_param="invoice",
           examples=("%stripe list_invoice_line_items in_123",), tool_name="STRIPE_GET_INVOICE_LINE_ITEMS"),
)
