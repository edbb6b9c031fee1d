"""Catalog rows for events (what happened in the account, kept for 30 days)."""

from __future__ import annotations

from ..catalog_types import Action, Param
from .shared import CREATED

ROWS = (
    Action("list_events", None, "list", "GET", "/v1/events", "event",
           "List events of the last 30 days, newest first.",
           params=(
               CREATED,
               Param("delivery_success", "boolean", "Only events whose webhooks all succeeded (true) or failed.",
                     example="false"),
               Param("type", "string", "Only events of this type; `*` matches a segment.",
                     example="customer.subscription.*"),
               Param("types", "list", "Only events of these types (up to 20, no wildcards).",
                     example="invoice.paid,invoice.payment_failed"),
           ),
           examples=("%stripe list_events --type customer.created --limit 50",), tool_name="STRIPE_GET_EVENTS"),
)
