"""Catalog-generated action forms against the local Stripe sandbox: values in, request out, DataFrame back."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ipywidgets as w
import pandas as pd
import pytest

from paragon_magic.auth import CredentialStore
from paragon_magic.catalog import ACTIONS
from paragon_magic.connection import connect
from paragon_magic.errors import UsageError
from paragon_magic.session import SessionConfig
from paragon_magic.widgets import INVALID_CLASS, ActionForm, KeyValueEditor, form


@pytest.fixture
def session(stripe_server, tmp_path):
    store = CredentialStore(config_dir=tmp_path, keyring=None)
    sess = connect(stripe_server.key, base_url=stripe_server.url, save=False, store=store,
                   config=SessionConfig(progress=False))
    yield sess
    sess.close()


def sent(stripe_server, skip_account: bool = True) -> list[dict[str, Any]]:
    """The requests that reached the sandbox, without connect()'s GET /v1/account."""
    return [r for r in stripe_server.requests() if not (skip_account and r["path"] == "/v1/account")]


def invalid(widget: w.Widget) -> bool:
    return INVALID_CLASS in widget._dom_classes


def test_create_customer_with_metadata_rows(stripe_server, session):
    namespace: dict[str, Any] = {}
    f = form("create_customer", session=session, namespace=namespace)
    f.fields["name"].value = "Jenny Rosen"
    f.fields["email"].value = "jenny@example.com"
    f.fields["description"].value = "   "  # blank: not sent
    editor = f.fields["metadata"]
    assert isinstance(editor, KeyValueEditor)
    editor.add_button.click()
    editor.add_button.click()
    editor.add_button.click()  # a third row left empty: skipped
    (k1, v1), (k2, v2), _ = editor.rows
    k1.value, v1.value = "tier", "gold"
    k2.value, v2.value = "seats", "5"
    f.store_as.value = "jenny"
    f.run_button.click()

    assert f.error == ""
    df = namespace["jenny"]
    assert df is f.result and isinstance(df, pd.DataFrame) and len(df) == 1
    assert df.loc[0, "id"].startswith("cus_")
    assert df.loc[0, "email"] == "jenny@example.com" and df.loc[0, "name"] == "Jenny Rosen"
    assert df.loc[0, "metadata.tier"] == "gold" and df.loc[0, "metadata.seats"] == "5"
    (request,) = sent(stripe_server)
    assert (request["method"], request["path"]) == ("POST", "/v1/customers")
    assert request["form"] == {
        "name": "Jenny Rosen", "email": "jenny@example.com", "metadata[tier]": "gold", "metadata[seats]": "5",
    }


def test_get_customer_by_id(stripe_server, session):
    customer_id = session.create_customer(email="get@example.com").loc[0, "id"]
    namespace: dict[str, Any] = {}
    f = form("get_customer", session=lambda: session, namespace=namespace)  # a callable source works too
    assert "customer *" == f.fields["customer"].description
    f.fields["customer"].value = f"  {customer_id} "
    f.store_as.value = "one"
    f.run_button.click()

    assert f.error == ""
    assert namespace["one"].loc[0, "id"] == customer_id
    assert namespace["one"].loc[0, "email"] == "get@example.com"
    request = sent(stripe_server)[-1]
    assert (request["method"], request["path"], request["query"]) == ("GET", f"/v1/customers/{customer_id}", {})


def test_list_customers_with_email_and_created_after(stripe_server, session):
    old = session.create_customer(email="list@example.com", name="old").loc[0, "id"]
    new = session.create_customer(email="list@example.com", name="new").loc[0, "id"]
    session.create_customer(email="other@example.com")
    stripe_server.backdate({old: int(dt.datetime(2020, 6, 1, tzinfo=dt.timezone.utc).timestamp())})
    before = len(sent(stripe_server))

    namespace: dict[str, Any] = {}
    f = form("list_customers", session=session, namespace=namespace)
    assert isinstance(f.fields["created_after"], w.DatePicker) and "created" not in f.fields
    f.fields["email"].value = "list@example.com"
    f.fields["created_after"].value = dt.date(2024, 1, 1)
    f.fields["limit"].value = "10"
    f.store_as.value = "recent"
    f.run_button.click()

    assert f.error == ""
    df = namespace["recent"]
    assert df["id"].tolist() == [new]
    assert df.attrs["stripe"]["action"] == "list_customers"
    (request,) = sent(stripe_server)[before:]
    assert (request["method"], request["path"]) == ("GET", "/v1/customers")
    assert request["query"] == {"email": "list@example.com", "created[gte]": "1704067200", "limit": "10"}


def test_missing_required_field_sends_nothing_and_marks_the_field(stripe_server, session):
    f = form("create_subscription", session=session, namespace={})
    assert f.fields["customer"].description == "customer *"
    f.fields["price"].value = "price_123"
    f.run_button.click()

    assert "customer" in f.error and "required" in f.error and "\n" not in f.error
    assert invalid(f.fields["customer"]) and not invalid(f.fields["price"])
    assert f.result is None
    assert sent(stripe_server) == []

    g = form("get_customer", session=session, namespace={})
    g.run_button.click()
    assert "customer is required" in g.error and invalid(g.fields["customer"])
    assert sent(stripe_server) == []


@pytest.mark.parametrize(
    ("action", "field", "value", "message"),
    [
        ("create_subscription", "quantity", "two", "whole number"),
        ("create_customer", "address", "{not json", "not valid JSON"),
        ("create_customer", "address", "[1, 2]", "JSON object"),
        ("list_customers", "limit", "0", "at least 1"),
    ],
)
def test_unusable_values_are_refused_before_sending(stripe_server, session, action, field, value, message):
    f = form(action, session=session, namespace={})
    if "customer" in f.fields:
        f.fields["customer"].value = "cus_123"
    f.fields[field].value = value
    f.run_button.click()
    assert message in f.error and f.error.startswith(field)
    assert invalid(f.fields[field])
    assert sent(stripe_server) == []


def test_bad_result_name_is_refused(stripe_server, session):
    namespace: dict[str, Any] = {}
    f = form("list_customers", session=session, namespace=namespace)
    f.store_as.value = "not a name"
    f.run_button.click()
    assert "variable name" in f.error and invalid(f.store_as)
    assert namespace == {} and sent(stripe_server) == []
    f.store_as.value = "class"
    f.run_button.click()
    assert "variable name" in f.error


def test_stripe_404_is_one_line_and_marks_the_id_then_clears(stripe_server, session):
    namespace: dict[str, Any] = {}
    f = form("get_customer", session=session, namespace=namespace)
    f.fields["customer"].value = "cus_doesNotExist42"
    f.store_as.value = "x"
    f.run_button.click()

    assert f.error.startswith("No such customer: 'cus_doesNotExist42'") and "resource_missing" in f.error
    assert "\n" not in f.error and "Traceback" not in f.error
    assert invalid(f.fields["customer"])
    assert f.result is None and namespace == {}
    assert [(r["path"], r["status"]) for r in sent(stripe_server)] == [("/v1/customers/cus_doesNotExist42", 404)]

    customer_id = session.create_customer(email="fix@example.com").loc[0, "id"]
    f.fields["customer"].value = customer_id
    f.run_button.click()
    assert f.error == "" and not invalid(f.fields["customer"])
    assert namespace["x"].loc[0, "id"] == customer_id


def test_not_connected_is_one_line(stripe_server):
    f = form("list_customers", session=lambda: None, namespace={})
    f.run_button.click()
    assert f.error.startswith("not connected") and f.result is None


def test_optional_choices_have_an_empty_default_and_are_sent_when_chosen(stripe_server, session):
    session.create_product(name="Kept", active=True)
    session.create_product(name="Archived", active=False)
    before = len(sent(stripe_server))
    f = form("list_products", session=session, namespace={})
    active = f.fields["active"]
    assert isinstance(active, w.Dropdown) and active.value is None
    assert [label for label, _ in active.options] == ["", "true", "false"]
    active.value = False
    f.fields["type"].value = None  # optional enum left empty: not sent
    f.run_button.click()
    assert f.error == ""
    assert f.result["name"].tolist() == ["Archived"]
    (request,) = sent(stripe_server)[before:]
    assert request["query"] == {"active": "false", "limit": "100"}


def test_every_catalog_action_gets_a_form_with_required_fields_marked():
    for name, action in ACTIONS.items():
        if name == "request":
            with pytest.raises(UsageError):
                form(name)
            continue
        f = form(name)
        assert isinstance(f, ActionForm) and isinstance(f.widget, w.VBox)
        required = {p.name for p in action.params if p.required} | ({action.id_param} if action.id_param else set())
        for field_name in required:
            assert f.fields[field_name].description.endswith("*")
        if action.is_list:
            assert "limit" in f.fields
            assert ({"created_after", "created_before"} <= set(f.fields)) == action.filters_created
    with pytest.raises(UsageError, match="Did you mean 'list_customers'"):
        form("list_customstrs")


def test_values_cover_every_control_type_without_sending():
    subs = form("list_subscriptions")
    subs.fields["status"].value = "all"
    subs.fields["current_period_end_after"].value = dt.date(2024, 1, 1)
    subs.fields["current_period_end_before"].value = dt.date(2024, 2, 1)
    subs.fields["created_before"].value = dt.date(2024, 3, 1)
    subs.fields["expand"].value = "customer, default_payment_method"
    subs.fields["account"].value = "acct_123"
    assert subs.values() == (
        {"status": "all", "current_period_end": {"gte": 1704067200, "lt": 1706745600}},
        {"created_before": dt.date(2024, 3, 1), "expand": ["customer", "default_payment_method"],
         "account": "acct_123"},
    )
    subs.fields["current_period_end_after"].value = dt.date(2024, 3, 1)
    with pytest.raises(UsageError) as caught:
        subs.values()
    assert caught.value.field == "current_period_end"

    create = form("create_subscription")
    create.fields["customer"].value = "cus_1"
    create.fields["items"].value = '[{"price": "price_1", "quantity": 2}]'
    create.fields["trial_period_days"].value = "14"
    create.fields["cancel_at_period_end"].value = True
    assert create.values() == (
        {"customer": "cus_1", "items": [{"price": "price_1", "quantity": 2}], "trial_period_days": 14,
         "cancel_at_period_end": True},
        {},
    )

    products = form("list_products")
    products.fields["ids"].value = '["prod_1", "prod_2"]'
    assert products.values() == ({"ids": ["prod_1", "prod_2"]}, {})
    editor = form("create_customer").fields["metadata"]
    editor.add_row("", "orphan value")
    with pytest.raises(UsageError, match="a value without a key"):
        editor.pairs


def test_live_writes_need_the_live_checkbox(stripe_server, tmp_path):
    live_key = "sk_live_WidgetFormLiveKey0000abcd"
    stripe_server.add_secret_key(live_key)
    store = CredentialStore(config_dir=tmp_path, keyring=None)
    live = connect(live_key, base_url=stripe_server.url, save=False, store=store,
                   config=SessionConfig(progress=False), allow_live_on_custom_base=True)
    try:
        f = form("create_customer", session=live, namespace={})
        f.fields["email"].value = "live@example.com"
        f.run_button.click()
        assert "LIVE" in f.error and f.result is None
        assert sent(stripe_server) == []
        assert "live" in f.fields and "live" not in form("list_customers").fields
        f.fields["live"].value = True
        f.run_button.click()
        assert f.error == "" and f.result.loc[0, "email"] == "live@example.com"
        assert [(r["method"], r["path"]) for r in sent(stripe_server)] == [("POST", "/v1/customers")]
    finally:
        live.close()
