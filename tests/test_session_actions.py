"""The 11 actions and ``request`` end to end from Python, over real HTTP against the local sandbox."""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

import pandas as pd
import pytest

import paragon_magic
from paragon_magic.auth import CredentialStore
from paragon_magic.catalog import ACTIONS
from paragon_magic.client import InvalidRequestError, StripeError
from paragon_magic.listing import ListingInterrupted
from paragon_magic.session import Session, SessionConfig

UTC = dt.timezone.utc


@pytest.fixture
def session(stripe_server: Any, tmp_path: Any) -> Session:
    config = SessionConfig(progress=False, partitioned=False)
    s = paragon_magic.connect(
        stripe_server.key, base_url=stripe_server.url, save=False,
        store=CredentialStore(config_dir=tmp_path, keyring=None), config=config,
    )
    yield s
    s.close()


def last_request(server: Any, method: str, path: str) -> dict[str, Any]:
    return [r for r in server.requests() if r["method"] == method and r["path"] == path][-1]


def test_customer_create_get_update_list(session: Session, stripe_server: Any) -> None:
    created = session.create_customer(
        name="Jane Roe", email="jane@example.com", description="first",
        metadata={"plan": "pro"}, address={"city": "Lyon", "country": "FR"},
    )
    assert created.columns[0] == "id" and len(created) == 1
    cid = created.id[0]
    assert created["metadata.plan"][0] == "pro" and created["address.city"][0] == "Lyon"
    assert str(created["created"].dtype) == "datetime64[ns, UTC]"
    sent = last_request(stripe_server, "POST", "/v1/customers")["form"]
    assert sent["metadata[plan]"] == "pro" and sent["address[city]"] == "Lyon"

    fetched = session.get_customer(cid)
    assert fetched.id[0] == cid and fetched.email[0] == "jane@example.com"

    updated = session.update_customer(cid, description="VIP", metadata={"tier": "gold"})
    assert updated.description[0] == "VIP" and updated["metadata.tier"][0] == "gold"

    listed = session.list_customers(email="jane@example.com")
    assert list(listed.id) == [cid]
    assert listed.attrs["stripe"]["action"] == "list_customers"
    assert listed.attrs["stripe"]["complete"] is True
    assert listed.attrs["stripe"]["request_ids"][0].startswith("req_")
    assert last_request(stripe_server, "GET", "/v1/customers")["query"]["email"] == "jane@example.com"


def test_subscription_on_a_customer_with_a_payment_method(session: Session, stripe_server: Any) -> None:
    product = session.create_product(name="Pro", description="Pro plan", metadata={"tier": "pro"})
    price = session.request("stripe", "/v1/prices", method="POST", body={
        "product": product.id[0], "unit_amount": 2900, "currency": "usd", "recurring": {"interval": "month"}})
    plan = price  # a recurring price is also a plan with the same id, as on Stripe
    customer = session.create_customer(
        email="sub@example.com", payment_method="pm_card_visa",
        invoice_settings={"default_payment_method": "pm_card_visa"},
    )
    subscription = session.create_subscription(customer=customer.id[0], price=price.id[0], quantity=2)
    assert subscription.status[0] == "active" and subscription.currency[0] == "usd"
    assert last_request(stripe_server, "POST", "/v1/subscriptions")["form"]["items[0][price]"] == price.id[0]
    assert last_request(stripe_server, "POST", "/v1/subscriptions")["form"]["items[0][quantity]"] == "2"

    subs = session.list_subscriptions(customer=customer.id[0], status="all")
    assert list(subs.id) == [subscription.id[0]]
    assert "current_period_start" not in subs.columns and "plan.id" not in subs.columns  # on each item now
    (item,) = subs["items.data"][0]
    assert item["price"]["id"] == price.id[0] and item["quantity"] == 2
    assert isinstance(item["current_period_start"], int) and item["current_period_end"] > item["current_period_start"]

    products = session.list_products(active=True)
    assert product.id[0] in set(products.id)
    plans = session.list_plans(product=product.id[0], active=True)
    assert list(plans.id) == [plan.id[0]] and plans.amount.dtype == "Int64" and plans.amount[0] == 2900
    assert last_request(stripe_server, "GET", "/v1/plans")["query"] == {
        "product": product.id[0], "active": "true", "limit": "100"}
    assert session.get_product(product.id[0]).name[0] == "Pro"


def test_balance_transactions_from_a_real_charge_in_jpy(session: Session) -> None:
    intent = session.request("stripe", "/v1/payment_intents", method="POST", body={
        "amount": 5000, "currency": "jpy", "payment_method": "pm_card_visa", "confirm": True})
    assert intent.status[0] == "succeeded"
    charges = session.list_charges(payment_intent=intent.id[0])
    assert charges.amount.dtype == "Int64" and charges.amount[0] == 5000
    assert charges.stripe.to_major().amount[0] == 5000  # zero-decimal currency: no division
    txns = session.list_balance_transactions(type="charge")  # a US account settles the yen in USD
    assert len(txns) == 1 and txns.currency[0] == "usd"
    assert txns.amount[0] == round(5000 * txns.exchange_rate[0])
    assert txns.stripe.to_major().amount[0] == txns.amount[0] / 100
    assert str(txns.available_on.dtype) == "datetime64[ns, UTC]"


def _sample(param: Any) -> Any:
    if param.name == "query":  # a search query every searchable resource reads
        return "metadata['k']:'v'"
    return {
        "string": "x_1", "enum": param.choices[0] if param.choices else "x", "boolean": True,
        "integer": 1, "timestamp_range": {"gte": 1}, "timestamp": 1, "list": ["x_1"], "map": {"k": "v"},
    }.get(param.type, "x")


@pytest.mark.parametrize("action", [a for a in ACTIONS.values() if a.is_list], ids=lambda a: a.name)
def test_every_list_filter_reaches_the_server(session: Session, stripe_server: Any, action: Any) -> None:
    for param in action.params:
        try:
            session.run(action.name, {param.name: _sample(param)}, limit=1)
        except StripeError:
            pass  # the sandbox may refuse a made-up id; what matters is what was sent
        query = last_request(stripe_server, "GET", action.path)["query"]
        sent = {k.split("[")[0] for k in query}
        assert param.stripe_key.split("[")[0] in sent, (action.name, param.name, query)


def test_limit_is_rows_wanted_and_pages_are_100(session: Session, stripe_server: Any) -> None:
    for i in range(130):
        session.client.request("POST", "/v1/customers", {"email": f"c{i}@example.com"})
    before = len(stripe_server.requests())
    frame = session.list_customers(limit=115)
    assert len(frame) == 115 and frame.id.is_unique
    pages = [r["query"]["limit"] for r in stripe_server.requests()[before:] if r["path"] == "/v1/customers"]
    assert pages == ["100", "15"]
    assert list(session.list_customers().created) == sorted(session.list_customers().created, reverse=True)


def test_created_after_and_before_take_dates_strings_and_epochs(session: Session, stripe_server: Any) -> None:
    ids = [session.client.request("POST", "/v1/customers", {"email": f"d{i}@example.com"}).data["id"]
           for i in range(3)]
    stamps = [int(dt.datetime(2025, m, 15, tzinfo=UTC).timestamp()) for m in (1, 6, 11)]
    stripe_server.backdate(dict(zip(ids, stamps)))
    for after in (dt.date(2025, 5, 1), "2025-05-01", dt.datetime(2025, 5, 1), stamps[0] + 1):
        frame = session.list_customers(created_after=after, created_before="2025-12-01T00:00:00Z")
        assert list(frame.id) == [ids[2], ids[1]]
    assert frame.created[0] == pd.Timestamp("2025-11-15", tz="UTC")
    query = last_request(stripe_server, "GET", "/v1/customers")["query"]
    assert query["created[gte]"] == str(stamps[0] + 1)


def test_account_sets_stripe_account_on_every_action(session: Session, stripe_server: Any) -> None:
    session.create_customer(name="Connected", account="acct_123")
    assert last_request(stripe_server, "POST", "/v1/customers")["headers"]["Stripe-Account"] == "acct_123"
    session.list_customers(account="acct_123")
    assert last_request(stripe_server, "GET", "/v1/customers")["headers"]["Stripe-Account"] == "acct_123"


def test_request_shapes(session: Session) -> None:
    created = session.request("stripe", "/v1/customers", method="POST", body={"name": "test", "email": "x@example.com"})
    assert created.name[0] == "test"
    listed = session.request("stripe", "/v1/customers", params={"limit": 5})
    assert created.id[0] in set(listed.id)
    balance = session.request("stripe", "/v1/balance")
    assert len(balance) == 1 and any(c.startswith("available") for c in balance.columns)
    deleted = session.request("stripe", f"/v1/customers/{created.id[0]}", method="DELETE")
    assert bool(deleted.deleted[0]) is True and deleted.id[0] == created.id[0]
    with pytest.raises(InvalidRequestError) as info:
        session.get_customer("cus_missing")
    assert "No such customer" in str(info.value) and "req_" in str(info.value)


def test_ctrl_c_keeps_the_rows_fetched_so_far(session: Session, monkeypatch: Any) -> None:
    for i in range(250):
        session.client.request("POST", "/v1/customers", {"email": f"k{i}@example.com"})
    real_iter_pages = session.client.iter_pages

    def interrupted(*args: Any, **kwargs: Any):
        for n, page in enumerate(real_iter_pages(*args, **kwargs)):
            if n == 2:
                raise KeyboardInterrupt
            yield page

    monkeypatch.setattr(session.client, "iter_pages", interrupted)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = session.list_customers()
    assert len(frame) == 200 and frame.attrs["stripe"]["complete"] is False and frame.attrs["complete"] is False
    assert any(issubclass(w.category, ListingInterrupted) for w in caught)


def test_missing_required_parameter_sends_nothing(session: Session, stripe_server: Any) -> None:
    before = len(stripe_server.requests())
    with pytest.raises(paragon_magic.UsageError, match="customer"):
        session.create_subscription(plan="plan_x")
    assert len(stripe_server.requests()) == before


def test_progress_bar_counts_objects_and_pages_and_can_be_switched_off(
    session: Session, stripe_server: Any, capsys: Any
) -> None:
    for i in range(230):
        session.client.request("POST", "/v1/customers", {"email": f"p{i}@example.com"})
    stripe_server.configure(latency=0.5)  # three pages: long enough for the bar (it waits a second)
    frame = session.list_customers(progress=True)
    shown = capsys.readouterr().err
    assert len(frame) == 230
    assert "customers" in shown and "obj" in shown and "pages=" in shown
    session.list_customers(progress=False)
    assert capsys.readouterr().err == ""


def test_an_id_is_one_path_segment(session: Session, stripe_server: Any) -> None:
    with pytest.raises(InvalidRequestError):  # one segment: the sandbox looks for a customer by that id
        session.get_customer("cus_x?expand[]=x")
    for crafted in ("../balance", "cus_x/../../v1/balance"):  # refused before anything is sent
        with pytest.raises(paragon_magic.UsageError, match="may not hold '.' or '..' segments"):
            session.get_customer(crafted)
    paths = [r["path"] for r in stripe_server.requests() if r["method"] == "GET" and r["path"] != "/v1/account"]
    assert "/v1/balance" not in paths and all(p.startswith("/v1/customers/") for p in paths)


def test_a_search_from_python_takes_dates_and_says_how_to_fix_a_query(session: Session, stripe_server: Any) -> None:
    old = session.create_customer(email="old@example.com")["id"].iloc[0]
    stripe_server.backdate({old: 1_600_000_000})
    session.create_customer(email="new@example.com")
    found = session.search_customers("created<2021-01-01")  # a date, as every created flag takes it
    assert list(found.id) == [old]
    assert [r["query"]["query"] for r in stripe_server.requests() if r["path"] == "/v1/customers/search"] == [
        "created<1609459200"]
    with pytest.raises(paragon_magic.UsageError, match="text values are quoted"):
        session.search_customers("email:old@example.com")


def test_two_lower_bounds_for_created_are_refused(session: Session) -> None:
    with pytest.raises(paragon_magic.UsageError, match="already has a gt/gte bound"):
        session.list_customers(created={"gte": 1}, created_after="2026-01-01")
    assert session.list_customers(created={"lte": 2_000_000_000}, created_after="2020-01-01").empty


def test_values_from_pandas_and_datetimes_are_sent_as_stripe_expects(session: Session, stripe_server: Any) -> None:
    import numpy as np

    frame = session.create_customer(name="Typed", balance=np.int64(0), metadata={"vip": np.bool_(True)},
                                    description=pd.NA)
    sent = last_request(stripe_server, "POST", "/v1/customers")["form"]
    assert sent["metadata[vip]"] == "true" and "description" not in sent and sent["balance"] == "0"
    listed = session.list_customers(created={"gte": dt.datetime(2020, 1, 1)}, limit=5000)
    assert frame.id[0] in set(listed.id)
    assert last_request(stripe_server, "GET", "/v1/customers")["query"]["created[gte]"] == "1577836800"
