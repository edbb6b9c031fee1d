"""Every example of the %stripe grammar, run in a real InteractiveShell against the local sandbox."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

from paragon_magic.client import InvalidRequestError
from paragon_magic.connection import connect
from paragon_magic.errors import UsageError
from paragon_magic.magics.context import MagicContext
from paragon_magic.session import LiveWriteRefused, Session
from shell_helpers import fails, ok, requests_since, run

JAN_2026 = 1767225600


def _customer(session: Session, **params: Any) -> str:
    return str(session.create_customer(**params)["id"].iloc[0])


def test_list_customers_with_filters(ip: InteractiveShell, session: Session, stripe_server: Any) -> None:
    jane = _customer(session, email="jane@example.com", name="Jane")
    _customer(session, email="other@example.com")
    start = len(stripe_server.requests())
    frame, _ = ok(ip, "%stripe list_customers --email jane@example.com --created-after 2026-01-01 --limit 500")
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["id"]) == [jane] and list(frame["email"]) == ["jane@example.com"]
    (sent,) = requests_since(stripe_server, start)
    assert sent["method"] == "GET" and sent["path"] == "/v1/customers"
    assert sent["query"]["email"] == "jane@example.com"
    assert sent["query"]["created[gte]"] == str(JAN_2026)
    assert sent["query"]["limit"] == "100"


def test_get_customer(ip: InteractiveShell, session: Session) -> None:
    cid = _customer(session, name="Get Me")
    ip.user_ns["cid"] = cid
    frame, _ = ok(ip, "%stripe get_customer {{ cid }}")
    assert list(frame["id"]) == [cid] and list(frame["name"]) == ["Get Me"]


def test_update_customer_with_flag_and_bracket_pair(ip: InteractiveShell, session: Session, stripe_server: Any) -> None:
    ip.user_ns["cid"] = _customer(session, name="Jane")
    start = len(stripe_server.requests())
    frame, _ = ok(ip, '%stripe update_customer {{ cid }} --description "VIP" metadata[tier]=gold')
    assert frame["description"].iloc[0] == "VIP" and frame["metadata.tier"].iloc[0] == "gold"
    (sent,) = requests_since(stripe_server, start)
    assert sent["path"] == f"/v1/customers/{ip.user_ns['cid']}"
    assert sent["form"] == {"description": "VIP", "metadata[tier]": "gold"}


def test_create_subscription_with_an_unknown_price(ip: InteractiveShell, session: Session,
                                                   stripe_server: Any) -> None:
    ip.user_ns["cid"] = _customer(session, name="Sub")
    start = len(stripe_server.requests())
    line = fails(ip, "%stripe create_subscription --customer {{ cid }} --price price_123 --quantity 2",
                 InvalidRequestError)
    assert line.startswith("InvalidRequestError: No such price: 'price_123' (resource_missing, request req_")
    (sent,) = requests_since(stripe_server, start)
    assert sent["form"] == {"customer": ip.user_ns["cid"], "items[0][price]": "price_123",
                            "items[0][quantity]": "2"}


def test_create_subscription_with_a_price(ip: InteractiveShell, session: Session) -> None:
    ip.user_ns["cid"] = _customer(session, name="Payer", payment_method="pm_card_visa")
    product = session.create_product(name="Gold")["id"].iloc[0]
    ok(ip, f"%stripe request POST /v1/prices product={product} unit_amount=1500 currency=usd "
           "recurring[interval]=month lookup_key=gold_monthly")
    ip.user_ns["price"] = session.request("stripe", "/v1/prices", params={"lookup_keys": ["gold_monthly"]})["id"].iloc[0]
    frame, _ = ok(ip, "%stripe create_subscription --customer {{ cid }} --price {{ price }} --quantity 2")
    assert frame["status"].iloc[0] == "active" and frame["currency"].iloc[0] == "usd"
    (item,) = frame["items.data"].iloc[0]
    assert item["price"]["id"] == ip.user_ns["price"] and item["price"]["lookup_key"] == "gold_monthly"
    assert item["quantity"] == 2 and item["plan"]["id"] == ip.user_ns["price"]


def test_create_subscription_with_a_plan(ip: InteractiveShell, session: Session) -> None:
    ip.user_ns["cid"] = _customer(session, name="Payer", payment_method="pm_card_visa")
    product = session.create_product(name="Gold")["id"].iloc[0]
    plan = session.request("stripe", "/v1/plans", method="POST",
                           body={"currency": "usd", "interval": "month", "product": product, "amount": 1500})
    ip.user_ns["plan"] = plan["id"].iloc[0]
    frame, _ = ok(ip, "%stripe create_subscription --customer {{ cid }} --plan {{ plan }} --quantity 2")
    assert frame["customer"].iloc[0] == ip.user_ns["cid"] and frame["object"].iloc[0] == "subscription"


def test_list_subscriptions_with_an_expression_from_a_previous_cell(ip: InteractiveShell, session: Session,
                                                                    stripe_server: Any) -> None:
    _customer(session, name="Only")
    ok(ip, "customers = %stripe list_customers")
    start = len(stripe_server.requests())
    frame, _ = ok(ip, "%stripe list_subscriptions --status all --customer {{ customers.id[0] }}")
    assert frame.empty and "id" in frame.columns
    (sent,) = requests_since(stripe_server, start)
    assert sent["query"]["status"] == "all" and sent["query"]["customer"] == ip.user_ns["customers"].id[0]


def test_raw_request(ip: InteractiveShell, session: Session, stripe_server: Any) -> None:
    start = len(stripe_server.requests())
    frame, _ = ok(ip, "%stripe request POST /v1/customers name=test email=x@example.com")
    assert frame["name"].iloc[0] == "test" and frame["id"].iloc[0].startswith("cus_")
    (sent,) = requests_since(stripe_server, start)
    assert sent["method"] == "POST" and sent["form"] == {"name": "test", "email": "x@example.com"}


def test_out_stores_the_frame(ip: InteractiveShell, session: Session) -> None:
    session.request("stripe", "/v1/payment_intents", method="POST",
                    body={"amount": 1000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True})
    frame, shown = ok(ip, "%stripe list_balance_transactions --type charge -o txns")
    txns = ip.user_ns["txns"]
    assert frame is None and shown == "" and list(txns["type"]) == ["charge"] and txns["amount"].iloc[0] == 1000


def test_account_sets_the_stripe_account_header(ip: InteractiveShell, session: Session, stripe_server: Any) -> None:
    start = len(stripe_server.requests())
    frame, _ = ok(ip, "%stripe create_customer --name Jane --account acct_123 --idempotency-key order-77")
    assert frame["name"].iloc[0] == "Jane"
    (sent,) = requests_since(stripe_server, start)
    assert sent["headers"]["Stripe-Account"] == "acct_123" and sent["form"] == {"name": "Jane"}
    assert sent["headers"]["Idempotency-Key"] == "order-77"


def test_assignment_gets_the_dataframe(ip: InteractiveShell, session: Session) -> None:
    cid = _customer(session, name="Assigned")
    value, _ = ok(ip, "customers = %stripe list_customers")
    assert value is None
    customers = ip.user_ns["customers"]
    assert isinstance(customers, pd.DataFrame) and list(customers["id"]) == [cid]
    assert customers.attrs["stripe"]["action"] == "list_customers"


# -- cells ------------------------------------------------------------------------------------------

def test_cell_with_a_json_body(ip: InteractiveShell, session: Session, stripe_server: Any) -> None:
    start = len(stripe_server.requests())
    body = '{"email": "cell@example.com", "metadata": {"tier": "gold"}}'
    frame, _ = ok(ip, f"%%stripe create_customer --name Cell\n{body}")
    assert frame["email"].iloc[0] == "cell@example.com" and frame["metadata.tier"].iloc[0] == "gold"
    (sent,) = requests_since(stripe_server, start)
    assert sent["form"] == {"name": "Cell", "email": "cell@example.com", "metadata[tier]": "gold"}


def test_cell_with_key_value_lines(ip: InteractiveShell, session: Session, stripe_server: Any) -> None:
    ip.user_ns["tier"] = "silver"
    start = len(stripe_server.requests())
    frame, _ = ok(ip, "%%stripe create_customer\nname = Lines\nmetadata[tier] = {{ tier }}\n# a comment\n")
    assert frame["name"].iloc[0] == "Lines" and frame["metadata.tier"].iloc[0] == "silver"
    (sent,) = requests_since(stripe_server, start)
    assert sent["form"] == {"name": "Lines", "metadata[tier]": "silver"}


# -- errors: one line, the cell fails, and nothing is sent when parsing fails ------------------------

@pytest.mark.parametrize(("cell", "expected"), [
    ("%stripe list_customrs", "unknown action 'list_customrs'; did you mean list_customers?"),
    ("%stripe list_customers --emial x@example.com", "unknown flag --emial"),
    ("%stripe create_subscription --price price_1", "needs --customer"),
    ("%stripe list_customers --created-after notadate", "--created-after"),
    ("%stripe get_customer {{ cid ", "{{"),
    ("%stripe get_customer {{ 1/0 }}", "ZeroDivisionError"),
    ("%stripe get_customer", "needs the customer id"),
    ("%%stripe create_customer\n{not json", "not valid JSON"),
])
def test_parse_errors_send_nothing(ip: InteractiveShell, session: Session, stripe_server: Any,
                                   cell: str, expected: str) -> None:
    start = len(stripe_server.requests())
    line = fails(ip, cell, UsageError)
    assert line.startswith("UsageError: ") and expected in line
    assert requests_since(stripe_server, start) == []


def test_stripe_404_is_one_line(ip: InteractiveShell, session: Session) -> None:
    line = fails(ip, "%stripe get_customer cus_x", InvalidRequestError)
    assert line.startswith("InvalidRequestError: No such customer: 'cus_x' (resource_missing, request req_")


# -- live keys ----------------------------------------------------------------------------------------

def test_live_writes_need_live(ip: InteractiveShell, ctx: MagicContext, stripe_server: Any) -> None:
    live_key = "sk_live_" + "MagicLiveTest0000000042"
    stripe_server.add_secret_key(live_key)
    ctx.adopt(connect(live_key, base_url=stripe_server.url, save=False, store=ctx.store,
                     allow_live_on_custom_base=True))  # the sandbox stands in for Stripe
    start = len(stripe_server.requests())
    line = fails(ip, "%stripe create_customer --name Live", LiveWriteRefused)
    assert "--live" in line and "sk_live_Magic" not in line
    assert requests_since(stripe_server, start) == []
    ok(ip, "%stripe list_customers")  # reads are fine
    frame, _ = ok(ip, "%stripe create_customer --name Live --live")
    assert frame["name"].iloc[0] == "Live"
    ok(ip, "%config StripeMagic.allow_live_writes = True")
    ok(ip, "%stripe request POST /v1/customers name=Allowed")
    assert [r["method"] for r in requests_since(stripe_server, start)] == ["GET", "POST", "POST"]


# -- dry run --------------------------------------------------------------------------------------------

def test_dry_run_shows_the_request_and_sends_nothing(ip: InteractiveShell, session: Session,
                                                     stripe_server: Any) -> None:
    start = len(stripe_server.requests())
    value, shown = ok(ip, '%stripe create_customer --name "Jane Doe" metadata[tier]=gold --account acct_9 --dry-run')
    assert value is None
    assert f"POST {stripe_server.url}/v1/customers" in shown
    assert "Authorization: Bearer sk_test_…4242" in shown and stripe_server.key not in shown
    assert "Stripe-Account: acct_9" in shown
    assert "name=Jane+Doe&metadata%5Btier%5D=gold" in shown and "metadata[tier] = gold" in shown
    value, shown = ok(ip, "%stripe list_customers --email a@example.com --limit 5 --dry-run")
    assert f"GET {stripe_server.url}/v1/customers?" in shown
    assert "limit = 5" in shown and "email = a@example.com" in shown
    _, shown = ok(ip, "%stripe request DELETE /v1/customers/cus_1 --dry-run")
    assert f"DELETE {stripe_server.url}/v1/customers/cus_1" in shown
    assert requests_since(stripe_server, start) == []


def test_history_never_holds_the_key(ip: InteractiveShell, session: Session, stripe_server: Any) -> None:
    ok(ip, "%stripe list_customers")
    ok(ip, "%stripe status")
    history = "\n".join(ip.history_manager.input_hist_raw)
    assert "%stripe list_customers" in history and stripe_server.key not in history


def test_actions_json_is_the_schema_in_actionkits_wrapper(ip: InteractiveShell) -> None:
    from paragon_magic.catalog import actions_schema

    _, shown = ok(ip, "%stripe actions --json")
    answer = json.loads(shown)
    assert list(answer) == ["actions"] and list(answer["actions"]) == ["stripe"]
    tools = answer["actions"]["stripe"]
    assert tools == actions_schema()
    assert all(t["type"] == "function" and set(t["function"]) == {"name", "description", "parameters"}
               for t in tools)
    create = next(t["function"] for t in tools if t["function"]["name"] == "STRIPE_CREATE_CUSTOMER")
    assert "email" in create["parameters"]["properties"]  # Stripe's own parameter names
    _, usage = ok(ip, "%stripe help")
    assert "ActionKit-shaped" in usage and "Stripe's parameter" in usage and "not ActionKit's own" in usage


def test_bare_magic_lists_actions(ip: InteractiveShell) -> None:
    _, bare = ok(ip, "%stripe")
    _, listed = ok(ip, "%stripe actions")
    assert bare == listed and "list_customers" in bare and "GET /v1/customers" in bare


def test_help(ip: InteractiveShell) -> None:
    _, shown = ok(ip, "%stripe help list_subscriptions")
    assert "--status" in shown and "--limit" in shown and "%stripe list_subscriptions" in shown
    _, shown = ok(ip, "%stripe help")
    assert "%stripe connect" in shown and "%paragon authenticate" in shown
    assert "did you mean" in fails(ip, "%stripe help list_custmers", UsageError).lower()


def test_empty_list_is_a_typed_frame(ip: InteractiveShell, session: Session) -> None:
    result, _ = run(ip, "%stripe list_products")
    assert result.success and isinstance(result.result, pd.DataFrame)
    frame = result.result
    assert frame.empty and list(frame.columns)[0] == "id"
    assert str(frame["created"].dtype) == str(frame["updated"].dtype) == "datetime64[ns, UTC]"
    assert pd.api.types.is_bool_dtype(frame["active"]) and pd.api.types.is_bool_dtype(frame["livemode"])
    assert pd.api.types.is_string_dtype(frame["id"]) and pd.api.types.is_string_dtype(frame["name"])
    assert frame.attrs["stripe"]["complete"] is True and frame.attrs["complete"] is True


def test_limit_written_as_a_stripe_pair_is_the_rows_wanted(ip: InteractiveShell, session: Session,
                                                            stripe_server: Any) -> None:
    for i in range(3):
        session.client.request("POST", "/v1/customers", {"email": f"l{i}@example.com"})
    frame, _ = ok(ip, "%stripe list_customers limit=2")
    assert len(frame) == 2
    frame, _ = ok(ip, "%%stripe list_customers\nlimit=1")
    assert len(frame) == 1
    assert requests_since(stripe_server, 0)[-1]["query"]["limit"] == "1"
    assert "--limit" in fails(ip, "%stripe list_customers limit=0")
    assert "once" in fails(ip, "%stripe list_customers limit=2 --limit 3")


def test_create_product_with_a_default_price_as_in_the_catalog_example(ip: InteractiveShell, session: Session) -> None:
    frame, _ = ok(ip, "%stripe create_product --name T-shirt --default_price_data "
                      "'{\"currency\": \"usd\", \"unit_amount\": 2000}'")
    price = frame["default_price"].iloc[0]
    assert price.startswith("price_")
    fetched = session.request("stripe", f"/v1/prices/{price}")
    assert (fetched["product"].iloc[0], fetched["unit_amount"].iloc[0], fetched["type"].iloc[0]) == (
        frame["id"].iloc[0], 2000, "one_time")
