"""Every object the sandbox serves has today's Stripe shape: the fixture's keys, and values of the right kind.

A small seeded business (``paragon_magic.sandbox.seed``) plus the objects the seed does not make are read
back over HTTP, every list and every object type, nested ones included (subscription items, invoice lines,
the object inside an event). Each object's key set must equal the key set of Stripe's fixture of its type
(tests/fixtures/stripe/fixtures3.json, © Stripe, MIT; see the README there), and each value must be of the
kind the object model gives: timestamps and amounts ints, ids strings with the type's prefix.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from paragon_magic import stripe_model

from paragon_magic.sandbox import LocalStripe
from paragon_magic.sandbox.seed import seed

pytestmark = pytest.mark.slow

FIXTURES = json.loads((Path(__file__).parent / "fixtures/stripe/fixtures3.json").read_text())["resources"]

#: The id prefix of each object type the sandbox serves (a plan shares its price's id).
ID_PREFIXES: dict[str, tuple[str, ...]] = {
    "customer": ("cus_",), "subscription": ("sub_",), "subscription_item": ("si_",), "price": ("price_",),
    "plan": ("price_", "plan_"), "product": ("prod_",), "charge": ("ch_",), "refund": ("re_",),
    "invoice": ("in_",), "line_item": ("il_",), "invoiceitem": ("ii_",), "balance_transaction": ("txn_",),
    "payout": ("po_",), "payment_intent": ("pi_",), "payment_method": ("pm_",), "event": ("evt_",),
    "account": ("acct_",),
}  # fmt: skip
#: Fields that reference another object by id (unless expanded): the prefixes they may hold.
REFERENCE_PREFIXES: dict[str, tuple[str, ...]] = {
    "customer": ("cus_",), "charge": ("ch_",), "invoice": ("in_",), "subscription": ("sub_",),
    "product": ("prod_",), "balance_transaction": ("txn_",), "payment_intent": ("pi_",),
    "payment_method": ("pm_",), "latest_charge": ("ch_",), "latest_invoice": ("in_",),
    "subscription_item": ("si_",), "failure_balance_transaction": ("txn_",),
}  # fmt: skip
_TIMESTAMPS = {"created", "updated", "date", "start_date", "billing_cycle_anchor", "canceled_at", "ended_at",
               "cancel_at", "trial_start", "trial_end", "current_period_start", "current_period_end",
               "period_start", "period_end", "available_on", "arrival_date", "due_date", "effective_at",
               "next_payment_attempt", "webhooks_delivered_at", "automatically_finalizes_at"}  # fmt: skip
_AMOUNTS = {"amount", "amount_captured", "amount_refunded", "amount_due", "amount_paid", "amount_remaining",
            "amount_overpaid", "amount_shipping", "amount_received", "amount_capturable", "balance", "fee", "net",
            "subtotal", "total", "unit_amount", "starting_balance", "ending_balance", "net_amount",
            "subtotal_excluding_tax", "total_excluding_tax", "application_fee_amount",
            "post_payment_credit_notes_amount", "pre_payment_credit_notes_amount"}  # fmt: skip
_JSON_KINDS = {bool: "bool", int: "int", float: "float", str: "string", dict: "object", list: "list"}


def fixture_kind(object_type: str, field: str) -> str | None:
    """The kind of ``field`` of ``object_type``: timestamp | amount | id | reference | bool | int | float |
    string | object | list, or None when it is unknown (the fixture shows null)."""
    if field == "id":
        return "id"
    if field in _TIMESTAMPS:
        return "timestamp"
    if field in _AMOUNTS:
        return "amount"
    if field in REFERENCE_PREFIXES:
        return "reference"
    value = FIXTURES[object_type].get(field)
    return None if value is None else _JSON_KINDS[type(value)]


_MODEL_KINDS = {"id": "id", "timestamp": "timestamp", "amount": "amount", "boolean": "bool", "integer": "int",
                "number": "float", "string": "string", "currency": "string", "enum": "string", "decimal": "string",
                "hash": "object", "object": "object", "list": "listlike", "expandable": "expandable"}


def model_kind(object_type: str, field: str) -> str | None:
    """The kind of ``field`` by the object model generated from stripe-python 16.1 (None: not in the model)."""
    kind = stripe_model.field_kind(object_type, field)
    if kind is None:
        return None
    if kind == "expandable" and field in REFERENCE_PREFIXES:
        return "reference"
    return _MODEL_KINDS[kind]


#: Value kinds come from the generated object model; ``fixture_kind`` (the fixture's own JSON types) is the
#: independent cross-check in ``test_the_model_and_the_fixtures_agree_on_kinds``.
KIND_OF = model_kind


def kind_problems(object_type: str, obj: dict[str, Any]) -> list[str]:
    """Each value that is not of its field's kind (None is allowed wherever Stripe gives null)."""
    problems = []
    for field, value in obj.items():
        kind = KIND_OF(object_type, field)
        if value is None or kind is None:
            continue
        if kind == "id":
            ok = isinstance(value, str) and value.startswith(ID_PREFIXES.get(object_type, ("",)))
        elif kind == "timestamp":
            ok = type(value) is int and 0 <= value < 2**32
        elif kind == "amount":
            ok = type(value) is int
        elif kind == "reference":
            ok = isinstance(value, dict) or (isinstance(value, str) and value.startswith(REFERENCE_PREFIXES[field]))
        elif kind == "float":
            ok = type(value) in (int, float)
        elif kind == "expandable":
            ok = isinstance(value, (str, dict))
        elif kind == "listlike":
            ok = isinstance(value, list) or (isinstance(value, dict) and value.get("object") == "list")
        else:
            ok = _JSON_KINDS.get(type(value)) == kind
        if not ok:
            problems.append(f"{object_type}.{field}={value!r} is not a {kind}")
    return problems


def collect(node: Any, found: dict[str, list[dict[str, Any]]]) -> None:
    """Every typed object inside ``node`` (itself, list elements, nested objects), by ``object``."""
    if isinstance(node, list):
        for item in node:
            collect(item, found)
    elif isinstance(node, dict):
        kind = node.get("object")
        if isinstance(kind, str) and kind not in ("list", "search_result") and not node.get("deleted"):
            found.setdefault(kind, []).append(node)
        for value in node.values():
            collect(value, found)


@pytest.fixture(scope="module")
def served(local_stripe: LocalStripe) -> Iterator[dict[str, list[dict[str, Any]]]]:
    """Every object the sandbox answered while serving a small seeded business, grouped by type."""
    local_stripe.reset()
    seed(local_stripe.url, local_stripe.key, customers=12, rng_seed=3, control_headers=local_stripe.control_headers)
    found: dict[str, list[dict[str, Any]]] = {}
    headers = {"Authorization": f"Bearer {local_stripe.key}"}
    with httpx.Client(base_url=local_stripe.url, headers=headers, timeout=60) as api:

        def keep(response: httpx.Response) -> Any:
            assert response.status_code == 200, response.text
            collect(response.json(), found)
            return response.json()

        customer = api.get("/v1/customers", params={"limit": 1}).json()["data"][0]["id"]
        product = api.get("/v1/products", params={"limit": 1}).json()["data"][0]["id"]
        keep(api.post("/v1/prices", data={"product": product, "unit_amount": 4200, "currency": "usd"}))
        keep(api.post("/v1/invoiceitems", data={"customer": customer, "amount": 300, "currency": "usd"}))
        intent = keep(api.post("/v1/payment_intents", data={  # funds settled three days ago, for a payout
            "amount": 5000, "currency": "usd", "customer": customer, "payment_method": "pm_card_visa", "confirm": "true"}))
        charge = keep(api.get(f"/v1/charges/{intent['latest_charge']}"))
        local_stripe.backdate({charge["balance_transaction"]: int(time.time()) - 3 * 86_400})
        keep(api.post("/v1/payouts", data={"amount": 100, "currency": "usd"}))
        keep(api.get("/v1/subscriptions", params={"status": "all", "limit": 100}))
        for path in ("/v1/customers", "/v1/products", "/v1/plans", "/v1/prices",
                     "/v1/balance_transactions", "/v1/charges", "/v1/refunds", "/v1/invoices", "/v1/invoiceitems",
                     "/v1/payouts", "/v1/payment_intents", "/v1/events", "/v1/accounts"):  # fmt: skip
            keep(api.get(path, params={"limit": 100}))
        for path in ("/v1/account", "/v1/balance", f"/v1/customers/{customer}"):
            keep(api.get(path))
        keep(api.get("/v1/payment_methods", params={"customer": customer, "type": "card"}))
        for kind, path in (("subscription_item", "/v1/subscription_items/{}"), ("invoice", "/v1/invoices/{}/lines"),
                           ("charge", "/v1/charges/{}"), ("payment_intent", "/v1/payment_intents/{}"),
                           ("refund", "/v1/refunds/{}"), ("payout", "/v1/payouts/{}")):  # fmt: skip
            keep(api.get(path.format(found[kind][0]["id"])))
    yield found


SERVED_TYPES = sorted(ID_PREFIXES)


@pytest.mark.parametrize("object_type", SERVED_TYPES)
def test_the_model_and_the_fixtures_agree_on_kinds(object_type: str) -> None:
    """The hand-written name lists above and the generated model agree on every timestamp, amount and id."""
    for field in FIXTURES[object_type]:
        expected = fixture_kind(object_type, field)
        if expected in ("timestamp", "amount", "id"):
            assert model_kind(object_type, field) == expected, (object_type, field)


def test_every_type_is_served(served: dict[str, list[dict[str, Any]]]) -> None:
    assert set(SERVED_TYPES) <= set(served), sorted(set(SERVED_TYPES) - set(served))


@pytest.mark.parametrize("object_type", SERVED_TYPES)
def test_keys_are_the_fixtures(served: dict[str, list[dict[str, Any]]], object_type: str) -> None:
    want = set(FIXTURES[object_type])
    for obj in served.get(object_type, []):
        have = set(obj)
        assert have == want, f"{obj.get('id')}: extra {sorted(have - want)}, missing {sorted(want - have)}"


@pytest.mark.parametrize("object_type", SERVED_TYPES)
def test_values_are_of_their_kind(served: dict[str, list[dict[str, Any]]], object_type: str) -> None:
    objects = served.get(object_type, [])
    assert objects
    problems = [p for obj in objects for p in kind_problems(object_type, obj)]
    assert problems == []


def test_subscriptions_carry_periods_on_items_and_a_currency(served: dict[str, list[dict[str, Any]]]) -> None:
    for sub in served["subscription"]:
        assert sub["currency"] == sub["items"]["data"][0]["price"]["currency"]
        assert isinstance(sub["billing_cycle_anchor"], int)
        for item in sub["items"]["data"]:
            assert item["subscription"] == sub["id"] and item["price"]["id"] == item["plan"]["id"]
            assert sub["start_date"] <= item["current_period_start"] < item["current_period_end"]
            if sub["status"] == "canceled":
                assert item["current_period_start"] < sub["ended_at"] <= item["current_period_end"]
    assert {s["status"] for s in served["subscription"]} >= {"active"}


def test_customer_balance_replaces_account_balance(served: dict[str, list[dict[str, Any]]]) -> None:
    for customer in served["customer"]:
        assert isinstance(customer["balance"], int) and customer["invoice_prefix"].isalnum()
        assert customer["balance"] <= 0  # only credits: a downgrade's unused time left over from an invoice
        assert customer["tax_exempt"] == "none" and customer["preferred_locales"] == []


def test_refunds_name_their_charges_customer_and_intent(served: dict[str, list[dict[str, Any]]]) -> None:
    charges = {c["id"]: c for c in served["charge"]}
    for refund in served["refund"]:
        charge = charges[refund["charge"]]
        assert (refund["customer"], refund["payment_intent"]) == (charge["customer"], charge["payment_intent"])
        assert refund["payment_intent"].startswith("pi_") and refund["status"] == "succeeded"


def test_invoice_lines_name_their_price_and_parent(served: dict[str, list[dict[str, Any]]]) -> None:
    lines = [line for line in served["line_item"] if line["parent"]["type"] == "subscription_item_details"]
    assert lines
    for line in lines:
        details = line["parent"]["subscription_item_details"]
        assert details["subscription"].startswith("sub_") and details["subscription_item"].startswith("si_")
        assert line["pricing"]["price_details"]["price"].startswith("price_")
        assert line["subtotal"] == line["amount"]
