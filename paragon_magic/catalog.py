"""The declarative catalog of Stripe actions: one row per action, parameters named as Stripe names them.

Only the parameters worth a flag, a type check and a help line are listed; any other Stripe parameter
still passes through the parser and session unchanged. List-wide options (``limit``, ``created_after``,
``created_before``, ``expand``) and ``account`` are handled by the session for every action, not here.
"""

from __future__ import annotations

import difflib
from typing import Any

from .catalog_types import Action, Param
from .errors import UsageError

__all__ = ["ACTIONS", "COMMON_OPTIONS", "LIST_OPTIONS", "get_action", "actions_schema", "describe",
           "summary_table", "param_schema"]

# --- shared parameter definitions -------------------------------------------------------------------

ADDRESS_FIELDS = tuple(
    Param(n, "string", h, example=e)
    for n, h, e in [
        ("line1", "Street address line 1.", "1 Main St"),
        ("line2", "Street address line 2 (apartment, suite, unit).", "Apt 4"),
        ("city", "City, district, suburb, town or village.", "Berlin"),
        ("state", "State, county, province or region.", "BE"),
        ("postal_code", "ZIP or postal code.", "10115"),
        ("country", "Two-letter country code (ISO 3166-1 alpha-2).", "DE"),
    ]
)
METADATA = Param("metadata", "map", "Key-value pairs to store on the object.", example="plan_tier=gold")
CREATED = Param("created", "timestamp_range", "Only objects created in this range (Unix seconds or {gt,gte,lt,lte}).",
                example="gte=1704067200")


def _ts_range(name: str, what: str) -> Param:
    return Param(name, "timestamp_range", f"Only subscriptions whose {what} is in this range.", example="gte=1704067200")


CUSTOMER_FIELDS = (
    Param("name", "string", "The customer's full name or business name.", example="Jenny Rosen"),
    Param("email", "string", "The customer's email address.", example="jenny@example.com"),
    Param("description", "string", "Free text shown alongside the customer in the Dashboard.", example="VIP"),
    Param("phone", "string", "The customer's phone number.", example="+15555550123"),
    Param("address", "object", "The customer's address.", fields=ADDRESS_FIELDS, example="address[city]=Berlin"),
    METADATA,
    Param("payment_method", "string", "ID of a PaymentMethod to attach to the customer (create only).",
          example="pm_card_visa"),
    Param("invoice_settings", "object", "Default invoice settings.",
          fields=(Param("default_payment_method", "string", "PaymentMethod used for invoices and subscriptions.",
                        example="pm_123"),),
          example="invoice_settings[default_payment_method]=pm_123"),
)
SUBSCRIPTION_STATUSES = ("active", "past_due", "unpaid", "canceled", "incomplete", "incomplete_expired",
                         "trialing", "paused", "ended", "all")
COLLECTION_METHOD = Param("collection_method", "enum", "How invoices are paid.",
                          choices=("charge_automatically", "send_invoice"), example="send_invoice")
SUBSCRIPTION_ITEM_FIELDS = (
    Param("price", "string", "ID of the price to subscribe to.", example="price_123"),
    Param("plan", "string", "ID of the plan (legacy prices) to subscribe to.", example="plan_123"),
    Param("quantity", "integer", "Quantity of the item.", example="2"),
    METADATA,
)
PRICE_DATA_FIELDS = (
    Param("currency", "string", "Three-letter ISO currency code, lowercase.", required=True, example="usd"),
    Param("unit_amount", "integer", "Price in the currency's smallest unit (cents).", example="2000"),
    Param("recurring", "object", "Billing interval for a recurring price.", example="recurring[interval]=month",
          fields=(Param("interval", "enum", "Billing frequency.", required=True,
                        choices=("day", "week", "month", "year"), example="month"),
                  Param("interval_count", "integer", "Number of intervals between billings.", example="1"))),
)
# Every balance transaction type in the Stripe API reference (stripe-python 16.1 BalanceTransaction.type).
BALANCE_TRANSACTION_TYPES = (
    "adjustment", "advance", "advance_funding", "anticipation_repayment", "application_fee",
    "application_fee_refund", "charge", "climate_order_purchase", "climate_order_refund",
    "connect_collection_transfer", "contribution", "fee_credit_funding", "inbound_transfer",
    "inbound_transfer_reversal", "issuing_authorization_hold", "issuing_authorization_release",
    "issuing_dispute", "issuing_dispute_provisional_credit", "issuing_dispute_provisional_credit_reversal",
    "issuing_transaction", "obligation_outbound", "obligation_reversal_inbound", "payment",
    "payment_failure_refund", "payment_network_reserve_hold", "payment_network_reserve_release",
    "payment_refund", "payment_reversal", "payment_unreconciled", "payout", "payout_cancel", "payout_failure",
    "payout_minimum_balance_hold", "payout_minimum_balance_release", "refund", "refund_failure",
    "reserve_hold", "reserve_release", "reserve_transaction", "reserved_funds", "stripe_balance_payment_debit",
    "stripe_balance_payment_debit_reversal", "stripe_fee", "stripe_fx_fee", "tax_fee", "tax_fund", "topup",
    "topup_reversal", "transfer", "transfer_cancel", "transfer_failure", "transfer_refund",
)

# --- the table --------------------------------------------------------------------------------------

_ROWS = (
    Action("create_customer", "STRIPE_CREATE_CUSTOMER", "create", "POST", "/v1/customers", "customer",
           "Create a customer.", params=CUSTOMER_FIELDS,
           examples=("%stripe create_customer --name 'Jenny Rosen' --email jenny@example.com",)),
    Action("update_customer", "STRIPE_UPDATE_CUSTOMER", "update", "POST", "/v1/customers/{id}", "customer",
           "Update a customer; parameters not given are left unchanged.", id_param="customer",
           params=tuple(p for p in CUSTOMER_FIELDS if p.name != "payment_method"),
           examples=("%stripe update_customer cus_123 --email new@example.com --metadata tier=gold",)),
    Action("get_customer", "STRIPE_GET_CUSTOMER_BY_ID", "retrieve", "GET", "/v1/customers/{id}", "customer",
           "Retrieve one customer by ID.", id_param="customer", examples=("%stripe get_customer cus_123",)),
    Action("list_customers", "STRIPE_GET_CUSTOMERS", "list", "GET", "/v1/customers", "customer",
           "List customers, newest first.",
           params=(Param("email", "string", "Only customers with this exact email (case-sensitive).",
                         example="jenny@example.com"),
                   CREATED,
                   Param("test_clock", "string", "Only customers attached to this test clock.", example="clock_123")),
           examples=("%stripe list_customers --limit 500", "%stripe list_customers --email jenny@example.com")),
    Action("create_subscription", "STRIPE_CREATE_SUBSCRIPTION", "create", "POST", "/v1/subscriptions",
           "subscription", "Subscribe a customer to one or more prices.",
           params=(
               Param("customer", "string", "ID of the customer to subscribe.", required=True, example="cus_123"),
               Param("items", "list", "Subscription items: each a price (or plan) and quantity.", item_type="object",
                     fields=SUBSCRIPTION_ITEM_FIELDS, example="items[0][price]=price_123"),
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
           examples=("%stripe create_subscription --customer cus_123 --price price_123 --quantity 2",)),
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
           ),
           examples=("%stripe list_subscriptions --status all --limit 1000",)),
    Action("create_product", "STRIPE_CREATE_PRODUCT", "create", "POST", "/v1/products", "product",
           "Create a product, optionally with a default price.",
           params=(
               Param("name", "string", "The product's name, shown to customers.", required=True, example="T-shirt"),
               Param("description", "string", "The product's description.", example="Comfortable cotton t-shirt"),
               Param("active", "boolean", "Whether the product can be bought.", example="true"),
               METADATA,
               Param("default_price_data", "object", "Create a default price for the product.",
                     fields=PRICE_DATA_FIELDS, example="default_price_data[unit_amount]=2000"),
               Param("shippable", "boolean", "Whether the product is shipped (physical goods).", example="false"),
               Param("url", "string", "A publicly accessible web page for the product.",
                     example="https://example.com/tshirt"),
               Param("type", "enum", "`good` or `service`.", choices=("good", "service"), example="service"),
           ),
           examples=("%stripe create_product --name T-shirt --default_price_data "
                     "'{\"currency\": \"usd\", \"unit_amount\": 2000}'",)),
    Action("get_product", "STRIPE_GET_PRODUCT_BY_ID", "retrieve", "GET", "/v1/products/{id}", "product",
           "Retrieve one product by ID.", id_param="product", examples=("%stripe get_product prod_123",)),
    Action("list_products", "STRIPE_GET_PRODUCTS", "list", "GET", "/v1/products", "product",
           "List products, newest first.",
           params=(
               Param("active", "boolean", "Only active (true) or archived (false) products.", example="true"),
               CREATED,
               Param("ids", "list", "Only products with these IDs.", example="prod_1,prod_2"),
               Param("shippable", "boolean", "Only shippable (true) or non-shippable products.", example="true"),
               Param("type", "enum", "Only products of this type.", choices=("good", "service"), example="good"),
               Param("url", "string", "Only products with this URL.", example="https://example.com/tshirt"),
           ),
           examples=("%stripe list_products --active true",)),
    Action("list_balance_transactions", "STRIPE_GET_BALANCE_TRANSACTIONS", "list", "GET",
           "/v1/balance_transactions", "balance_transaction",
           "List balance transactions (money in and out of your Stripe balance), newest first.",
           params=(
               CREATED,
               Param("currency", "string", "Only transactions in this currency.", example="usd"),
               Param("payout", "string", "Only transactions paid out in this payout.", example="po_123"),
               Param("source", "string", "Only transactions caused by this object (charge, refund, ...).",
                     example="ch_123"),
               Param("type", "enum", "Only transactions of this type.", choices=BALANCE_TRANSACTION_TYPES,
                     example="charge"),
           ),
           examples=("%stripe list_balance_transactions --type charge --created-after 2024-01-01",)),
    Action("list_plans", "STRIPE_GET_PLANS", "list", "GET", "/v1/plans", "plan",
           "List plans (the legacy form of recurring prices), newest first.",
           params=(
               Param("active", "boolean", "Only active (true) or inactive (false) plans.", example="true"),
               Param("product", "string", "Only plans of this product.", example="prod_123"),
               CREATED,
           ),
           examples=("%stripe list_plans --product prod_123",)),
    Action("request", None, "request", "GET", "{path}", None,
           "Any Stripe API call: give the path (e.g. /v1/charges) and the method.",
           params=(
               Param("path", "string", "API path, e.g. /v1/charges or /v1/charges/ch_123.", required=True,
                     example="/v1/charges"),
               Param("method", "enum", "HTTP method.", choices=("GET", "POST", "DELETE"), example="GET"),
           ),
           examples=("%stripe request /v1/charges --limit 50", "%stripe request /v1/refunds --method POST charge=ch_1")),
)

ACTIONS: dict[str, Action] = {a.name: a for a in _ROWS}

#: Options the session accepts for every action / every list action (documented, not per row).
COMMON_OPTIONS = (
    Param("account", "string", "Act on this connected account (Stripe-Account header).", example="acct_123"),
    Param("credential", "string", "Paragon mode: use this one of the user's connected Stripe accounts "
          "(X-Paragon-Credential header; `%paragon user` lists them).", example="cred-id"),
    Param("expand", "list", "Expand these fields into full objects.", example="customer"),
)
LIST_OPTIONS = (
    Param("limit", "integer", "Total number of rows wanted (pages are fetched as needed).", example="500"),
    Param("created_after", "timestamp", "Only objects created at or after this time (UTC unless a zone is given): "
          "2026-01-01, 2026-01-01T12:00Z, 2026-03, today, yesterday, this-month, last-month, 7d, 12h, "
          "or epoch seconds.", example="2024-01-01"),
    Param("created_before", "timestamp", "Only objects created before this time (same forms as --created-after).",
          example="2024-02-01"),
    Param("month", "string", "Only objects created in this whole month or day, UTC (sets both created bounds): "
          "2026-03, this-month, last-month, 2026-03-05, today, yesterday; a pandas Period via {{ }}.",
          example="2026-03"),
)


def get_action(name: str) -> Action:
    """The catalog row for ``name`` (snake_case or ActionKit name); ``UsageError`` with a suggestion otherwise."""
    action = ACTIONS.get(name)
    if action is not None:
        return action
    for candidate in ACTIONS.values():
        if candidate.paragon_name and candidate.paragon_name == name.upper():
            return candidate
    close = difflib.get_close_matches(name.lower(), list(ACTIONS), n=1, cutoff=0.5)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise UsageError(f"Unknown action '{name}'.{hint} `%stripe actions` lists them all.", field="action")


# --- JSON schema --------------------------------------------------------------------------------------

_TIMESTAMP_BOUNDS = {k: {"type": "integer"} for k in ("gt", "gte", "lt", "lte")}


def param_schema(param: Param) -> dict[str, Any]:
    """The JSON schema of one parameter's value."""
    schema = _type_schema(param.type, param.choices, param.fields, param.item_type)
    schema["description"] = param.help
    if param.example:
        schema["examples"] = [param.example]
    return schema


def _type_schema(kind: str, choices: tuple[str, ...], fields: tuple[Param, ...], item_type: str) -> dict[str, Any]:
    if kind in ("string", "integer", "boolean"):
        return {"type": kind}
    if kind == "enum":
        return {"type": "string", "enum": list(choices)}
    if kind == "timestamp":
        return {"type": ["integer", "string"], "format": "unix-time-or-iso-8601"}
    if kind == "timestamp_range":
        return {"anyOf": [{"type": "integer"},
                          {"type": "object", "properties": dict(_TIMESTAMP_BOUNDS), "additionalProperties": False}]}
    if kind == "map":
        return {"type": "object", "additionalProperties": {"type": "string"}}
    if kind == "list":
        return {"type": "array", "items": _type_schema(item_type, (), fields, "string")}
    if kind == "object":
        return _object_schema(fields)
    raise ValueError(f"unknown parameter type {kind!r}")


def _object_schema(fields: tuple[Param, ...]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": {p.name: param_schema(p) for p in fields}}
    required = [p.name for p in fields if p.required]
    if required:
        schema["required"] = required
    return schema


def actions_schema(*, include_request: bool = False) -> list[dict[str, Any]]:
    """The catalog as ActionKit-style function tools: ``[{"type": "function", "function": {...}}]``."""
    tools = []
    for action in ACTIONS.values():
        if action.kind == "request" and not include_request:
            continue
        params = _object_schema(action.params)
        if action.id_param:
            params["properties"] = {action.id_param: {"type": "string", "description": f"ID of the {action.object_type}."},
                                    **params["properties"]}
            params["required"] = [action.id_param, *params.get("required", [])]
        params.setdefault("required", [])
        tools.append({"type": "function", "function": {
            "name": action.paragon_name or action.name.upper(), "description": action.summary, "parameters": params}})
    return tools


# --- help text -------------------------------------------------------------------------------------------

_METAVAR = {"string": "TEXT", "integer": "N", "boolean": "true|false", "enum": "CHOICE", "timestamp": "TIME",
            "timestamp_range": "RANGE", "map": "KEY=VALUE", "list": "A,B,...", "object": "JSON"}


def _param_line(p: Param) -> list[str]:
    metavar = "JSON" if p.type == "list" and p.item_type == "object" else _METAVAR[p.type]
    left = f"  {p.flag} {metavar}"
    flags = " (required)" if p.required else ""
    lines = [f"{left:<38} {p.help}{flags}"]
    if p.choices:
        lines.append(f"{'':<39}one of: {', '.join(p.choices)}")
    if p.fields:
        lines.append(f"{'':<39}fields: {', '.join(f.name + ('*' if f.required else '') for f in p.fields)}")
    if p.target:
        lines.append(f"{'':<39}sent as {p.target}")
    if p.example:
        lines.append(f"{'':<39}e.g. {p.flag} {p.example}")
    return lines


def describe(action: Action) -> str:
    """Help text for ``%stripe help <action>``: what it does, its flags with types, and examples."""
    where = f"{action.method} {action.path}" if action.kind != "request" else "any method and path"
    head = f"{action.name} — {action.summary}\n  {where}"
    if action.paragon_name:
        head += f"  (ActionKit {action.paragon_name})"
    lines = [head]
    if action.id_param or action.params:
        lines += ["", "Parameters:"]
    if action.id_param:
        lines += [f"  {'<' + action.id_param + ' id>':<36} ID of the {action.object_type} (positional, required)"]
    for p in action.params:
        lines += _param_line(p)
    options = LIST_OPTIONS + COMMON_OPTIONS if action.is_list else COMMON_OPTIONS
    lines += ["", "Options:"]
    for p in options:
        lines += _param_line(p)
    lines += ["", "Any other Stripe parameter can be given as key=value and is passed through."]
    if action.examples:
        lines += ["", "Examples:"] + [f"  {e}" for e in action.examples]
    return "\n".join(lines)


def summary_table() -> str:
    """One line per action for ``%stripe actions``: name, method and path, summary."""
    rows = [(a.name, f"{a.method} {a.path}" if a.kind != "request" else "ANY /v1/...", a.summary)
            for a in ACTIONS.values()]
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    return "\n".join(f"{n:<{w0}}  {m:<{w1}}  {s}" for n, m, s in rows)
