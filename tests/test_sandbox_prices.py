"""``/v1/prices`` in the sandbox, over real HTTP: create, retrieve, update, list, and prices in subscriptions.

As on Stripe, a recurring price and its plan share the id, every plan reads as a price, and
subscriptions accept ``items[0][price]`` (the item carries the price object).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from paragon_magic.sandbox import LocalStripe


@pytest.fixture
def api(stripe_server: LocalStripe) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {stripe_server.key}"}
    with httpx.Client(base_url=stripe_server.url, headers=headers, timeout=30) as client:
        yield client


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def _error(response: httpx.Response, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()["error"]


def _product(api: httpx.Client, name: str = "Pro") -> str:
    return _ok(api.post("/v1/products", data={"name": name}))["id"]


def _monthly(api: httpx.Client, product: str, amount: int = 2000, **extra: str) -> dict[str, Any]:
    data = {"product": product, "unit_amount": str(amount), "currency": "usd", "recurring[interval]": "month", **extra}
    return _ok(api.post("/v1/prices", data=data))


def test_recurring_price_is_its_plan(api: httpx.Client) -> None:
    product = _product(api)
    price = _monthly(api, product, 2500, nickname="Pro monthly", lookup_key="pro_monthly",
                     tax_behavior="exclusive", **{"metadata[tier]": "pro", "recurring[interval_count]": "3"})
    assert price["id"].startswith("price_") and price["object"] == "price" and price["type"] == "recurring"
    assert (price["unit_amount"], price["unit_amount_decimal"], price["currency"]) == (2500, "2500", "usd")
    assert price["recurring"] == {"interval": "month", "interval_count": 3, "meter": None,
                                  "trial_period_days": None, "usage_type": "licensed"}
    assert (price["lookup_key"], price["tax_behavior"], price["metadata"]) == ("pro_monthly", "exclusive", {"tier": "pro"})
    plan = _ok(api.get(f"/v1/plans/{price['id']}"))
    assert (plan["id"], plan["amount"], plan["interval"], plan["interval_count"], plan["product"]) == (
        price["id"], 2500, "month", 3, product)
    assert _ok(api.get(f"/v1/prices/{price['id']}")) == price


def test_plans_read_as_prices(api: httpx.Client) -> None:
    product = _product(api)
    plan = _ok(api.post("/v1/plans", data={"product": product, "amount": 900, "currency": "eur", "interval": "year"}))
    price = _ok(api.get(f"/v1/prices/{plan['id']}"))
    assert (price["id"], price["unit_amount"], price["currency"], price["recurring"]["interval"]) == (
        plan["id"], 900, "eur", "year")
    assert [p["id"] for p in _ok(api.get("/v1/prices"))["data"]] == [plan["id"]]


def test_one_time_price_with_product_data_and_decimal_amount(api: httpx.Client) -> None:
    price = _ok(api.post("/v1/prices", data={
        "product_data[name]": "Setup fee", "product_data[metadata][kind]": "setup",
        "unit_amount_decimal": "1250.5", "currency": "EUR"}))
    assert (price["type"], price["recurring"], price["unit_amount"], price["unit_amount_decimal"]) == (
        "one_time", None, None, "1250.5")
    assert price["currency"] == "eur"
    product = _ok(api.get(f"/v1/products/{price['product']}"))
    assert (product["name"], product["metadata"]) == ("Setup fee", {"kind": "setup"})
    assert _error(api.get(f"/v1/plans/{price['id']}"), 404)["code"] == "resource_missing"  # no plan for one-time


def test_create_errors_are_stripe_shaped(api: httpx.Client) -> None:
    product = _product(api)
    missing = _error(api.post("/v1/prices", data={"product": product, "unit_amount": "1"}))
    assert (missing["code"], missing["param"]) == ("parameter_missing", "currency")
    unknown = _error(api.post("/v1/prices", data={"product": product, "currency": "usd", "unit_amount": "1", "colour": "x"}))
    assert (unknown["code"], unknown["param"]) == ("parameter_unknown", "colour")
    both = _error(api.post("/v1/prices", data={"product": product, "product_data[name]": "X", "currency": "usd", "unit_amount": "1"}))
    assert both["param"] == "product"
    no_product = _error(api.post("/v1/prices", data={"product": "prod_nope", "currency": "usd", "unit_amount": "1"}), 404)
    assert (no_product["message"], no_product["param"]) == ("No such product: 'prod_nope'", "product")
    interval = _error(api.post("/v1/prices", data={"product": product, "currency": "usd", "unit_amount": "1",
                                                   "recurring[interval]": "fortnight"}))
    assert interval["param"] == "recurring[interval]"
    tiers = _error(api.post("/v1/prices", data={"product": product, "currency": "usd", "tiers[0][up_to]": "5"}))
    assert tiers["param"] == "tiers" and "sandbox" in tiers["message"]
    assert _ok(api.get("/v1/prices"))["data"] == []  # nothing half-made


def test_lookup_keys_are_unique_unless_transferred(api: httpx.Client) -> None:
    product = _product(api)
    first = _monthly(api, product, lookup_key="standard")
    taken = _error(api.post("/v1/prices", data={"product": product, "currency": "usd", "unit_amount": "5",
                                                "lookup_key": "standard"}))
    assert taken["param"] == "lookup_key" and first["id"] in taken["message"]
    second = _monthly(api, product, 3000, lookup_key="standard", transfer_lookup_key="true")
    assert _ok(api.get(f"/v1/prices/{first['id']}"))["lookup_key"] is None
    found = _ok(api.get("/v1/prices", params={"lookup_keys[]": "standard"}))["data"]
    assert [p["id"] for p in found] == [second["id"]]


def test_update_price_and_its_plan(api: httpx.Client) -> None:
    price = _monthly(api, _product(api), **{"metadata[a]": "1", "metadata[b]": "2"})
    updated = _ok(api.post(f"/v1/prices/{price['id']}", data={
        "active": "false", "nickname": "Legacy", "metadata[a]": "", "metadata[c]": "3", "tax_behavior": "inclusive"}))
    assert (updated["active"], updated["nickname"], updated["metadata"]) == (False, "Legacy", {"b": "2", "c": "3"})
    assert updated["tax_behavior"] == "inclusive" and updated["unit_amount"] == 2000
    assert _ok(api.get(f"/v1/plans/{price['id']}"))["active"] is False
    immutable = _error(api.post(f"/v1/prices/{price['id']}", data={"unit_amount": "1"}))
    assert (immutable["code"], immutable["param"]) == ("parameter_unknown", "unit_amount")
    locked = _error(api.post(f"/v1/prices/{price['id']}", data={"tax_behavior": "exclusive"}))
    assert locked["param"] == "tax_behavior"
    assert _error(api.post("/v1/prices/price_missing", data={"active": "false"}), 404)["code"] == "resource_missing"


def test_list_filters_and_cursors(api: httpx.Client, stripe_server: LocalStripe) -> None:
    pro, basic = _product(api, "Pro"), _product(api, "Basic")
    monthly = _monthly(api, pro, 1000)
    yearly = _ok(api.post("/v1/prices", data={"product": pro, "unit_amount": "10000", "currency": "usd",
                                              "recurring[interval]": "year"}))
    once = _ok(api.post("/v1/prices", data={"product": basic, "unit_amount": "500", "currency": "eur"}))
    inactive = _ok(api.post("/v1/prices", data={"product": basic, "unit_amount": "700", "currency": "usd",
                                                "active": "false"}))
    stripe_server.backdate({monthly["id"]: 1_600_000_000, yearly["id"]: 1_600_000_100,
                            once["id"]: 1_600_000_200, inactive["id"]: 1_600_000_300})

    def ids(**params: Any) -> list[str]:
        return [p["id"] for p in _ok(api.get("/v1/prices", params=params))["data"]]

    assert ids() == [inactive["id"], once["id"], yearly["id"], monthly["id"]]  # newest first
    assert ids(product=pro) == [yearly["id"], monthly["id"]]
    assert ids(active="false") == [inactive["id"]]
    assert ids(currency="eur") == [once["id"]]
    assert ids(type="one_time") == [inactive["id"], once["id"]]
    assert ids(**{"recurring[interval]": "year"}) == [yearly["id"]]
    assert ids(**{"created[lt]": 1_600_000_150}) == [yearly["id"], monthly["id"]]
    first = _ok(api.get("/v1/prices", params={"limit": 2}))
    assert first["has_more"] is True and first["url"] == "/v1/prices"
    rest = ids(limit=2, starting_after=first["data"][-1]["id"])
    assert rest == [yearly["id"], monthly["id"]]
    assert ids(ending_before=yearly["id"]) == [inactive["id"], once["id"]]
    assert _error(api.get("/v1/prices", params={"type": "sometimes"}))["param"] == "type"
    assert _error(api.get("/v1/prices", params={"limit": 101}))["param"] == "limit"
    assert _error(api.get("/v1/prices", params={"colour": "red"}))["code"] == "parameter_unknown"
    stripe_server.reset()
    assert _ok(api.get("/v1/prices"))["data"] == []  # the price store is reset with the sandbox


def test_subscribe_with_a_price(api: httpx.Client) -> None:
    product = _product(api)
    price = _monthly(api, product, 1500, lookup_key="pro")
    customer = _ok(api.post("/v1/customers", data={
        "payment_method": "pm_card_visa", "invoice_settings[default_payment_method]": "pm_card_visa"}))["id"]
    sub = _ok(api.post("/v1/subscriptions", data={
        "customer": customer, "items[0][price]": price["id"], "items[0][quantity]": "2",
        "expand[0]": "items.data.price.product"}))
    (item,) = sub["items"]["data"]
    assert item["price"]["id"] == price["id"] and item["price"]["lookup_key"] == "pro"
    assert item["price"]["product"]["id"] == product and item["price"]["product"]["object"] == "product"
    assert item["plan"]["id"] == price["id"] and item["quantity"] == 2 and sub["currency"] == "usd"
    assert item["current_period_end"] > item["current_period_start"] >= sub["start_date"]
    assert "current_period_start" not in sub and "plan" not in sub and "quantity" not in sub
    listed = _ok(api.get("/v1/subscriptions", params={"price": price["id"]}))["data"]
    assert [s["id"] for s in listed] == [sub["id"]]
    ends = {"current_period_end[gte]": item["current_period_end"]}
    assert [s["id"] for s in _ok(api.get("/v1/subscriptions", params=ends))["data"]] == [sub["id"]]
    before = {"current_period_end[lt]": item["current_period_end"]}  # the filter reads the items' periods
    assert _ok(api.get("/v1/subscriptions", params=before))["data"] == []
    fetched = _ok(api.get(f"/v1/subscription_items/{item['id']}"))
    assert (fetched["subscription"], fetched["current_period_end"]) == (sub["id"], item["current_period_end"])


def test_subscribing_with_bad_prices(api: httpx.Client) -> None:
    customer = _ok(api.post("/v1/customers", data={
        "payment_method": "pm_card_visa", "invoice_settings[default_payment_method]": "pm_card_visa"}))["id"]
    missing = _error(api.post("/v1/subscriptions", data={"customer": customer, "items[0][price]": "price_nope"}), 404)
    assert (missing["message"], missing["param"]) == ("No such price: 'price_nope'", "items[0][price]")
    once = _ok(api.post("/v1/prices", data={"product_data[name]": "Once", "unit_amount": "5", "currency": "usd"}))
    one_time = _error(api.post("/v1/subscriptions", data={"customer": customer, "items[0][price]": once["id"]}))
    assert "type=one_time" in one_time["message"] and one_time["param"] == "items[0][price]"
    data_error = _error(api.post("/v1/subscriptions", data={"customer": customer, "items[0][price_data][currency]": "usd"}))
    assert data_error["param"] == "items[0][price_data][product]" and data_error["code"] == "parameter_missing"
    no_items = _error(api.post("/v1/subscriptions", data={"customer": customer}))
    assert (no_items["code"], no_items["param"]) == ("parameter_missing", "items")
    assert _ok(api.get("/v1/subscriptions", params={"status": "all"}))["data"] == []


def test_product_with_a_default_price(api: httpx.Client) -> None:
    product = _ok(api.post("/v1/products", data={
        "name": "T-shirt", "default_price_data[currency]": "usd", "default_price_data[unit_amount]": "2000",
        "default_price_data[recurring][interval]": "month", "expand[]": "default_price"}))
    price = product["default_price"]
    assert price["object"] == "price" and price["product"] == product["id"] and price["unit_amount"] == 2000
    assert price["recurring"]["interval"] == "month"
    assert _ok(api.get(f"/v1/products/{product['id']}"))["default_price"] == price["id"]
    other = _ok(api.post("/v1/prices", data={"product": product["id"], "unit_amount": "1500", "currency": "usd"}))
    switched = _ok(api.post(f"/v1/products/{product['id']}", data={"default_price": other["id"], "name": "Tee"}))
    assert (switched["default_price"], switched["name"]) == (other["id"], "Tee")
    foreign = _ok(api.post("/v1/prices", data={"product_data[name]": "Mug", "unit_amount": "900", "currency": "usd"}))
    assert _error(api.post(f"/v1/products/{product['id']}", data={"default_price": foreign["id"]}))["param"] == "default_price"
    bad = _error(api.post("/v1/products", data={"name": "Cap", "default_price_data[unit_amount]": "5"}))
    assert (bad["code"], bad["param"]) == ("parameter_missing", "default_price_data[currency]")
    assert [p["name"] for p in _ok(api.get("/v1/products"))["data"]] == ["Mug", "Tee"]  # no "Cap" left behind
