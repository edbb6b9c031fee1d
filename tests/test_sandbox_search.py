"""``GET /v1/{resource}/search`` over real HTTP: Stripe's query language per resource, refusals with
Stripe's error shape, and ``search_result`` pagination through ``next_page``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from paragon_magic.sandbox import LocalStripe
from sandbox_world import World, api, world  # noqa: F401 (module-scoped fixtures)


def _search(api: httpx.Client, resource: str, query: str, **params: Any) -> list[str]:
    response = api.get(f"/v1/{resource}/search", params={"query": query, "limit": 100, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "search_result" and body["url"] == f"/v1/{resource}/search"
    assert body["has_more"] is False and body["next_page"] is None and "total_count" not in body
    return [obj["id"] for obj in body["data"]]


def _objects(api: httpx.Client, world: World, path: str) -> list[dict[str, Any]]:
    by_id = {o["id"]: o for o in api.get(path, params={"limit": 100, **({"status": "all"} if "subscr" in path else {})}).json()["data"]}  # fmt: skip
    return [by_id[i] for i in world.newest_first(path)]


def _refused(api: httpx.Client, resource: str, query: str) -> str:
    response = api.get(f"/v1/{resource}/search", params={"query": query})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == "query"
    return str(error["message"])


def test_customers(api: httpx.Client, world: World) -> None:
    n = world.named
    assert _search(api, "customers", "email:'ANN@example.com'") == [n["ann"]]
    assert _search(api, "customers", "-email:'ann@example.com'") == [n["bob"]]
    assert _search(api, "customers", "name~'lovel'") == [n["ann"]]
    assert _search(api, "customers", "email~'example'") == world.newest_first("/v1/customers")
    assert _search(api, "customers", "metadata['tier']:'bbb'") == [n["bob"]]
    assert _search(api, "customers", "email:'ann@example.com' OR metadata['tier']:'bbb'") == world.newest_first("/v1/customers")  # fmt: skip
    assert _search(api, "customers", "email:'ann@example.com' AND metadata['tier']:'bbb'") == []
    assert _search(api, "customers", "created>=%d" % world.created[n["bob"]]) == [n["bob"]]
    assert _search(api, "customers", "created<%d" % world.created[n["bob"]]) == [n["ann"]]
    assert _search(api, "customers", "phone:null") == world.newest_first("/v1/customers")
    assert _search(api, "customers", "-phone:null") == []


def test_charges(api: httpx.Client, world: World) -> None:
    n = world.named
    charges = _objects(api, world, "/v1/charges")
    assert _search(api, "charges", "amount>=1000") == [c["id"] for c in charges if c["amount"] >= 1000]
    assert _search(api, "charges", "currency:'eur'") == [n["ch_pi2"]]
    assert _search(api, "charges", "-currency:'usd' AND status:'succeeded'") == [n["ch_pi2"]]
    assert _search(api, "charges", f"customer:'{n['bob']}'") == [n["ch_pi3"]]
    assert _search(api, "charges", "refunded:'true'") == [c["id"] for c in charges if c["refunded"]]
    assert _search(api, "charges", "disputed:'false'") == [c["id"] for c in charges]
    assert _search(api, "charges", "payment_method_details.card.last4:'4242'") == [c["id"] for c in charges]
    assert _search(api, "charges", "payment_method_details.card.last4:'0000'") == []
    assert "does not support substring" in _refused(api, "charges", "currency~'usd'")
    assert "`email` is an unsupported search field for resource `charges`" in _refused(api, "charges", "email:'a@b.c'")


def test_invoices(api: httpx.Client, world: World) -> None:
    n = world.named
    invoices = _objects(api, world, "/v1/invoices")
    assert _search(api, "invoices", "status:'paid'") == [n["paid"]]
    assert _search(api, "invoices", "-status:'paid'") == [n["draft"]]
    assert _search(api, "invoices", f"customer:'{n['ann']}' AND total>0") == [i["id"] for i in invoices if i["total"] > 0]
    assert _search(api, "invoices", f"subscription:'{n['sub']}'") == [i["id"] for i in invoices if ((i["parent"] or {}).get("subscription_details") or {}).get("subscription") == n["sub"]]  # fmt: skip
    assert _search(api, "invoices", "number:null") == [i["id"] for i in invoices if i["number"] is None] == [n["draft"]]
    assert _search(api, "invoices", "status:'void' OR status:'draft'") == [n["draft"]]


def test_subscriptions(api: httpx.Client, world: World) -> None:
    n = world.named
    assert _search(api, "subscriptions", "status:'active'") == [n["sub"]]
    assert _search(api, "subscriptions", "-status:'active'") == []
    assert _search(api, "subscriptions", f"created:{world.created[n['sub']]}") == [n["sub"]]
    assert "unsupported search field" in _refused(api, "subscriptions", "customer:'cus_1'")


def test_products(api: httpx.Client, world: World) -> None:
    gold, silver = [p["id"] for p in sorted(_objects(api, world, "/v1/products"), key=lambda p: p["name"])]
    assert _search(api, "products", "name:'gold'") == [gold]
    assert _search(api, "products", "name~'ilv'") == [silver]
    assert _search(api, "products", "description~'plan' AND metadata['tier']:'top'") == [gold]
    assert _search(api, "products", "-metadata['tier']:null") == [gold]
    assert _search(api, "products", "active:'true'") == world.newest_first("/v1/products")
    assert _search(api, "products", "active:'false'") == []
    assert "at least 3 characters" in _refused(api, "products", "name~'go'")


def test_payment_intents(api: httpx.Client, world: World) -> None:
    n = world.named
    assert _search(api, "payment_intents", "metadata['order']:'pi1'") == [n["pi1"]]
    assert _search(api, "payment_intents", "amount>=1000 AND currency:'usd' AND metadata['order']:'pi1'") == [n["pi1"]]
    assert _search(api, "payment_intents", "metadata['order']:'pi2' OR metadata['order']:'pi3'") == [n["pi3"], n["pi2"]]  # fmt: skip
    intents = _objects(api, world, "/v1/payment_intents")
    small_usd = [p["id"] for p in intents if p["amount"] < 1000 and p["currency"] == "usd"]
    assert n["pi3"] in small_usd and n["pi1"] not in small_usd
    assert _search(api, "payment_intents", "amount<1000 currency:'usd'") == small_usd
    assert _search(api, "payment_intents", f"customer:'{n['bob']}' status:'succeeded'") == [n["pi3"]]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("email:'a' AND name:'b' OR name:'c'", "You cannot combine AND and OR"),
        ("email amy", "We were unable to parse your search query"),
        ("email:amy", "must be in quotes"),
        ("colour:'red'", "Field `colour` is an unsupported search field for resource `customers`"),
        ("created>'yesterday'", "takes a number"),
    ],
)
def test_malformed_queries_are_400s_naming_the_query(api: httpx.Client, world: World, query: str, message: str) -> None:
    assert message in _refused(api, "customers", query)


def test_search_parameters_are_checked(api: httpx.Client, world: World) -> None:
    missing = api.get("/v1/customers/search")
    assert missing.status_code == 400 and missing.json()["error"]["param"] == "query"
    assert missing.json()["error"]["code"] == "parameter_missing"
    for bad in ("0", "101"):
        response = api.get("/v1/customers/search", params={"query": "email~'exa'", "limit": bad})
        assert response.status_code == 400 and response.json()["error"]["param"] == "limit"
    unknown = api.get("/v1/customers/search", params={"query": "email~'exa'", "starting_after": "cus_1"})
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "parameter_unknown"
    bad_page = api.get("/v1/customers/search", params={"query": "email~'exa'", "page": "not-a-token"})
    assert bad_page.status_code == 400 and bad_page.json()["error"]["param"] == "page"


def test_pagination_through_next_page(api: httpx.Client, world: World) -> None:
    expected = world.newest_first("/v1/charges")
    assert len(expected) >= 3
    seen: list[str] = []
    params: dict[str, Any] = {"query": "amount>0", "limit": 1, "expand[]": "total_count"}
    while True:
        body = api.get("/v1/charges/search", params=params).json()
        assert body["object"] == "search_result" and body["total_count"] == len(expected)
        seen += [c["id"] for c in body["data"]]
        if not body["has_more"]:
            assert body["next_page"] is None
            break
        assert isinstance(body["next_page"], str) and body["next_page"]
        params["page"] = body["next_page"]
    assert seen == expected
    other_query = api.get("/v1/charges/search", params={"query": "amount>1", "page": params["page"]})
    assert other_query.status_code == 400 and other_query.json()["error"]["param"] == "page"


def test_prices_are_searched_in_the_front_layers_price_store(own_stripe: LocalStripe) -> None:
    """Writes, so on a sandbox of its own: the module's world stays as built, in any test order."""
    with httpx.Client(base_url=own_stripe.url, headers={"Authorization": f"Bearer {own_stripe.key}"},
                      timeout=60) as api:
        product = api.post("/v1/products", data={"name": "Searchable"}).json()["id"]
        gold = api.post("/v1/prices", data={"product": product, "currency": "eur", "unit_amount": "900",
                                            "recurring[interval]": "month", "lookup_key": "gold_monthly"}).json()
        once = api.post("/v1/prices", data={"product": product, "currency": "eur", "unit_amount": "5000"}).json()
        found = api.get("/v1/prices/search", params={"query": "lookup_key:'gold_monthly'"}).json()
        assert found["object"] == "search_result" and [p["id"] for p in found["data"]] == [gold["id"]]
        one_time = api.get("/v1/prices/search", params={"query": f"product:'{product}' AND type:'one_time'"}).json()
        assert [p["id"] for p in one_time["data"]] == [once["id"]]
        not_gold = api.get("/v1/prices/search", params={"query": f"product:'{product}' AND -lookup_key:'gold_monthly'"})
        assert [p["id"] for p in not_gold.json()["data"]] == [once["id"]]
