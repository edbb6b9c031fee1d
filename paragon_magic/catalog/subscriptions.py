"""Catalog rows for subscriptions."""

from __future__ import annotations

from ..catalog_types import Action, Param
from .shared import COLLECTION_METHOD, CREATED, METADATA


def _ts_range(name: str, what: str) -> Param:
    return Param(name, "timestamp_range", f"Only subscriptions whose {what} is in this range.", example="gte=1704067200")


SUBSCRIPTION_STATUSES = ("active", "past_due", "unpaid", "canceled", "incomplete", "incomplete_expired",
                         "trialing", "paused", "ended", "all")
SUBSCRIPTION_ITEM_FIELDS = (
    Param("price", "string", "ID of the price to subscribe to.", example="price_123"),
    Param("plan", "string", "ID of the plan (legacy prices) to subscribe to.", example="plan_123"),
    Param("quantity", "integer", "Quantity of the item.", example="2"),
    METADATA,
)

ROWS = (
    Action("create_subscription", "STRIPE_CREATE_SUBSCRIPTION", "create", "POST", "/v1/subscriptions",
           "subscription", "Subscribe a customer to one or more prices.",
           params=(
               Param("customer", "string", "ID of the customer to subscribe.", required=True, example="cus_123"),
               Param("items", "list", "Subscription items: each a price (or plan) and quantity.", item_type="object",
                     fields=SUBSCRIPTION_ITEM_FIELDS,
                     example="'[{\"plan\": \"plan_123\", \"quantity\": 2}]'"),
               Param("price", "string", "Shortcut for a single item: items[0][price].", target="items[0][price]",
                     example="price_123"),
               Param("plan", "string", "Shortcut for a single item: items[0][plan].", target="items[0][plan]",
                     example="plan_123"),
               Param("quantity", "integer", "Shortcut for a single item: items[0][quantity].",
                     target="items[0][quantity]", example="2"),
               Param("trial_period_days", "integer", "Days of free trial before the first charge.", example="14"),
               COLLECTION_METHOD,
               Param("days_until_due", "integer", "Days until an invoice is due (send_invoice only).", example="30"),
               Param("default_payment_method", "string", "PaymentMethod used for this subscription.",
                     example="pm_123"),
               METADATA,
               Param("cancel_at_period_end", "boolean", "Cancel at the end of the current period.", example="true"),
           ),
           examples=("%stripe create_subscription --customer cus_123 --price price_123 --quantity 2",
                     "%stripe create_subscription --customer cus_123 --plan plan_123 --trial_period_days 14",
                     "%stripe create_subscription --customer cus_123 items[0][plan]=plan_123 items[0][quantity]=2")),
    Action("list_subscriptions", "STRIPE_GET_SUBSCRIPTIONS", "list", "GET", "/v1/subscriptions", "subscription",
           "List subscriptions (canceled ones only with --status all or canceled).",
           params=(
               Param("customer", "string", "Only this customer's subscriptions.", example="cus_123"),
               Param("status", "enum", "Only this status; `all` includes canceled ones.",
                     choices=SUBSCRIPTION_STATUSES, example="all"),
               Param("price", "string", "Only subscriptions containing this price.", example="price_123"),
               Param("plan", "string", "Only subscriptions containing this plan.", example="plan_123"),
               COLLECTION_METHOD, CREATED,
               _ts_range("current_period_start", "current period start"),
               _ts_range("current_period_end", "current period end"),
               Param("automatic_tax", "object", "Only subscriptions with automatic tax on (or off).",
                     fields=(Param("enabled", "boolean", "Whether automatic tax is enabled.", required=True,
                                   example="true"),),
                     example="enabled=true"),
               Param("customer_account", "string", "Only this Accounts v2 customer account's subscriptions.",
                     example="acct_123"),
               Param("test_clock", "string", "Only subscriptions attached to this test clock.", example="clock_123"),
           ),
           examples=("%stripe list_subscriptions --status all --limit 1000",)),
)
