"""Front layer lists over real HTTP: newest first, cursors, limits, created ranges, filters, backdating."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from paragon_magic.sandbox import LocalStripe

DAY = 86_400


@pytest.fixture
def api(stripe_server: LocalStripe) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {stripe_server.key}"}
    with httpx.Client(base_url=stripe_server.url, headers=headers, timeout=60) as client:
        yield client


def _ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "list" and "total_count" not in body
    return [obj["id"] for obj in body["data"]]


def _create_customers(server: LocalStripe, count: int) -> list[str]:
    """Create ``count`` customers concurrently; returns ids in creation order."""

    async def run() -> list[str]:
        headers = {"Authorization": f"Bearer {server.key}"}
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=60) as client:
            gate = asyncio.Semaphore(16)

            async def create(i: int) -> str:
                async with gate:
                    reply = await client.post("/v1/customers", data={"email": f"c{i}@example.com"})
                    return reply.json()["id"]

            return list(await asyncio.gather(*(create(i) for i in range(count))))

    return asyncio.run(run())


def _walk(api: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    while True:
        body = api.get(path, params={"limit": 100, **params}).json()
        objects += body["data"]
        if not body["has_more"]:
            return objects
        params["starting_after"] = body["data"][-1]["id"]


def test_newest_first_with_insertion_order_ties(api: httpx.Client) -> None:
    ids = [api.post("/v1/customers", data={"email": f"{i}@x.com"}).json()["id"] for i in range(12)]
    first = api.get("/v1/customers").json()
    assert first["url"] == "/v1/customers" and first["has_more"] is True
    assert [c["id"] for c in first["data"]] == ids[::-1][:10]  # default limit 10
    assert _ids(api.get("/v1/customers", params={"limit": 100})) == ids[::-1]


def test_limit_bounds_and_cursor_errors(api: httpx.Client) -> None:
    api.post("/v1/customers", data={})
    for bad in ("0", "101", "ten"):
        response = api.get("/v1/customers", params={"limit": bad})
        assert response.status_code == 400 and response.json()["error"]["param"] == "limit"
    assert _ids(api.get("/v1/customers", params={"limit": 1})) and _ids(api.get("/v1/customers", params={"limit": 100}))
    for cursor in ("starting_after", "ending_before"):
        response = api.get("/v1/customers", params={cursor: "cus_unknown"})
        error = response.json()["error"]
        assert response.status_code == 404 and error["code"] == "resource_missing"
        assert error["param"] == cursor and error["message"] == "No such customer: 'cus_unknown'"
    both = api.get("/v1/customers", params={"starting_after": "a", "ending_before": "b"})
    assert both.status_code == 400
    unknown = api.get("/v1/customers", params={"colour": "red"})
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "parameter_unknown"


def test_over_a_thousand_objects_page_newest_first_with_created_filters(
    stripe_server: LocalStripe, api: httpx.Client
) -> None:
    ids = _create_customers(stripe_server, 1050)
    base = 1_650_000_000
    stripe_server.backdate({obj_id: base + i * DAY // 4 for i, obj_id in enumerate(ids)})
    newest_first = ids[::-1]
    walked = _walk(api, "/v1/customers")
    assert [c["id"] for c in walked] == newest_first
    assert all(a["created"] >= b["created"] for a, b in zip(walked, walked[1:]))

    gte, lt = base + 100 * DAY // 4, base + 900 * DAY // 4
    window = _walk(api, "/v1/customers", **{"created[gte]": gte, "created[lt]": lt})
    assert [c["id"] for c in window] == ids[100:900][::-1]
    exact = _ids(api.get("/v1/customers", params={"created": base + 7 * DAY // 4}))
    assert exact == [ids[7]]
    gt_lte = _walk(api, "/v1/customers", **{"created[gt]": gte, "created[lte]": lt})
    assert [c["id"] for c in gt_lte] == ids[101:901][::-1]

    # ending_before walks back towards newer objects, each page in newest-first order.
    page = api.get("/v1/customers", params={"ending_before": ids[500], "limit": 3}).json()
    assert [c["id"] for c in page["data"]] == [ids[503], ids[502], ids[501]] and page["has_more"]
    top = api.get("/v1/customers", params={"ending_before": ids[1047], "limit": 5}).json()
    assert [c["id"] for c in top["data"]] == [ids[1049], ids[1048]] and not top["has_more"]


def test_backdate_reorders_and_rewrites_created(stripe_server: LocalStripe, api: httpx.Client) -> None:
    a, b, c = (api.post("/v1/customers", data={"email": f"{n}@example.com"}).json()["id"] for n in "abc")
    assert _ids(api.get("/v1/customers")) == [c, b, a]
    stripe_server.backdate({c: 1_500_000_000, a: 1_600_000_000})
    assert _ids(api.get("/v1/customers")) == [b, a, c]
    assert api.get(f"/v1/customers/{c}").json()["created"] == 1_500_000_000
    assert _ids(api.get("/v1/customers", params={"created[lt]": 1_550_000_000})) == [c]


def test_cache_invalidated_by_writes(api: httpx.Client, stripe_server: LocalStripe) -> None:
    first = api.post("/v1/customers", data={}).json()["id"]
    assert _ids(api.get("/v1/customers")) == [first]
    assert _ids(api.get("/v1/customers")) == [first]
    assert stripe_server.stats()["list_cache_hits"] >= 1
    second = api.post("/v1/customers", data={}).json()["id"]
    assert _ids(api.get("/v1/customers")) == [second, first]
    api.delete(f"/v1/customers/{first}")
    assert _ids(api.get("/v1/customers")) == [second]


def test_customer_email_filter_is_case_sensitive(api: httpx.Client) -> None:
    match = api.post("/v1/customers", data={"email": "Ann@example.com"}).json()["id"]
    api.post("/v1/customers", data={"email": "ann@example.com"})
    assert _ids(api.get("/v1/customers", params={"email": "Ann@example.com"})) == [match]


def _catalog(api: httpx.Client) -> dict[str, Any]:
    gold = api.post("/v1/products", data={"name": "Gold"}).json()["id"]
    old = api.post("/v1/products", data={"name": "Old", "active": "false"}).json()["id"]
    monthly = api.post("/v1/plans", data={"amount": 900, "currency": "usd", "interval": "month", "product": gold}).json()["id"]  # fmt: skip
    yearly = api.post("/v1/plans", data={"amount": 9000, "currency": "usd", "interval": "year", "product": gold}).json()["id"]  # fmt: skip
    retired = api.post("/v1/plans", data={"amount": 5, "currency": "usd", "interval": "month", "product": old, "active": "false"}).json()["id"]  # fmt: skip
    return {"gold": gold, "old": old, "monthly": monthly, "yearly": yearly, "retired": retired}


def test_product_and_plan_filters(api: httpx.Client) -> None:
    cat = _catalog(api)
    assert _ids(api.get("/v1/products")) == [cat["old"], cat["gold"]]
    assert _ids(api.get("/v1/products", params={"active": "true"})) == [cat["gold"]]
    assert _ids(api.get("/v1/products", params={"ids[]": [cat["old"]]})) == [cat["old"]]
    assert _ids(api.get("/v1/products", params={"type": "service"})) == [cat["old"], cat["gold"]]
    assert api.get("/v1/products", params={"active": "maybe"}).status_code == 400
    assert _ids(api.get("/v1/plans", params={"product": cat["gold"]})) == [cat["yearly"], cat["monthly"]]
    assert _ids(api.get("/v1/plans", params={"active": "false"})) == [cat["retired"]]


def test_subscription_filters(api: httpx.Client) -> None:
    cat = _catalog(api)
    subs: dict[str, str] = {}
    for name, plan in (("ann", cat["monthly"]), ("bob", cat["yearly"]), ("cid", cat["monthly"])):
        customer = api.post("/v1/customers", data={"payment_method": "pm_card_visa"}).json()["id"]
        subs[name] = api.post("/v1/subscriptions", data={"customer": customer, "items[0][plan]": plan}).json()["id"]
        subs[name + "_customer"] = customer
    api.delete(f"/v1/subscriptions/{subs['cid']}")
    assert _ids(api.get("/v1/subscriptions")) == [subs["bob"], subs["ann"]]  # canceled hidden
    assert _ids(api.get("/v1/subscriptions", params={"status": "all"})) == [subs["cid"], subs["bob"], subs["ann"]]
    assert _ids(api.get("/v1/subscriptions", params={"status": "canceled"})) == [subs["cid"]]
    assert _ids(api.get("/v1/subscriptions", params={"customer": subs["ann_customer"]})) == [subs["ann"]]
    assert _ids(api.get("/v1/subscriptions", params={"plan": cat["monthly"]})) == [subs["ann"]]
    assert _ids(api.get("/v1/subscriptions", params={"price": cat["yearly"]})) == [subs["bob"]]
    assert api.get("/v1/subscriptions", params={"status": "sleeping"}).status_code == 400


def test_balance_transaction_filters_and_history_alias(api: httpx.Client) -> None:
    charges = [
        api.post("/v1/charges", data={"amount": amount, "currency": currency, "source": "tok_visa"})
        for amount, currency in ((1000, "usd"), (2000, "eur"))
    ]
    assert all(c.status_code == 200 for c in charges)
    txns = api.get("/v1/balance_transactions").json()["data"]
    rate = txns[0]["exchange_rate"]  # the EUR charge settles in USD (a US account) at the sandbox's rate
    assert rate is not None and [t["amount"] for t in txns] == [round(2000 * rate), 1000]
    assert _ids(api.get("/v1/balance/history")) == [t["id"] for t in txns]
    assert _ids(api.get("/v1/balance_transactions", params={"currency": "usd"})) == [t["id"] for t in txns]
    assert _ids(api.get("/v1/balance_transactions", params={"currency": "eur"})) == []
    assert len(_ids(api.get("/v1/balance_transactions", params={"type": "charge"}))) == 2
    source = txns[1]["source"]
    assert _ids(api.get("/v1/balance_transactions", params={"source": source})) == [txns[1]["id"]]
    assert _ids(api.get("/v1/balance_transactions", params={"payout": "po_none"})) == []


@pytest.mark.slow
def test_paging_five_thousand_objects_takes_seconds(stripe_server: LocalStripe, api: httpx.Client) -> None:
    _create_customers(stripe_server, 5000)
    start = time.monotonic()
    walked = _walk(api, "/v1/customers")
    elapsed = time.monotonic() - start
    assert len(walked) == len({c["id"] for c in walked}) == 5000
    assert elapsed < 30, f"50 pages took {elapsed:.1f}s"
