"""Stripe list semantics on every list endpoint the sandbox serves, over real HTTP.

One business is built once for the module (read-only tests): each list is checked for newest-first
order, every ``created`` form, cursors both ways, ``limit`` bounds, an unknown filter, and its own
documented filters (stripe-python 16.1's ``*ListParams``).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sandbox_world import World, api, world  # noqa: F401 (module-scoped fixtures)

LISTS = ("/v1/charges", "/v1/refunds", "/v1/invoices", "/v1/invoiceitems", "/v1/payouts", "/v1/events",
         "/v1/payment_intents", "/v1/payment_methods", "/v1/coupons", "/v1/tax_rates", "/v1/customers",
         "/v1/balance_transactions", "/v1/products", "/v1/plans")  # fmt: skip


def _ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "list" and "total_count" not in body
    return [obj["id"] for obj in body["data"]]


def _objects(api: httpx.Client, world: World, path: str) -> list[dict[str, Any]]:
    by_id = {o["id"]: o for o in api.get(path, params={"limit": 100}).json()["data"]}
    return [by_id[i] for i in world.newest_first(path)]


def _where(api: httpx.Client, world: World, path: str, **fields: Any) -> list[str]:
    """Ids in list order of the objects whose fields equal ``fields`` (what a filter must return)."""
    return [o["id"] for o in _objects(api, world, path) if all(o.get(k) == v for k, v in fields.items())]


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    return error


@pytest.mark.parametrize("path", LISTS)
def test_newest_first_and_every_created_form(api: httpx.Client, world: World, path: str) -> None:
    expected = world.newest_first(path)
    assert len(expected) >= 2, path
    assert _ids(api.get(path, params={"limit": 100})) == expected
    body = api.get(path, params={"limit": 100}).json()
    assert body["url"] == path and body["has_more"] is False
    stamp = "date" if path == "/v1/invoiceitems" else "created"  # an invoice item's creation time is `date`
    assert [o[stamp] for o in body["data"]] == sorted((world.created[i] for i in expected), reverse=True)
    newest, oldest = world.created[expected[0]], world.created[expected[-1]]
    assert _ids(api.get(path, params={"created": oldest})) == [expected[-1]]
    assert _ids(api.get(path, params={"created[gt]": oldest, "limit": 100})) == expected[:-1]
    assert _ids(api.get(path, params={"created[gte]": oldest, "limit": 100})) == expected
    assert _ids(api.get(path, params={"created[lt]": newest, "limit": 100})) == expected[1:]
    assert _ids(api.get(path, params={"created[lte]": newest, "created[gt]": oldest, "limit": 100})) == expected[:-1]  # fmt: skip
    assert _ids(api.get(path, params={"created[gt]": newest})) == []


@pytest.mark.parametrize("path", LISTS)
def test_cursors_limits_and_unknown_filters(api: httpx.Client, world: World, path: str) -> None:
    expected = world.newest_first(path)
    first = api.get(path, params={"limit": 1}).json()
    assert [o["id"] for o in first["data"]] == expected[:1] and first["has_more"] is True
    assert _ids(api.get(path, params={"starting_after": expected[0], "limit": 100})) == expected[1:]
    assert _ids(api.get(path, params={"ending_before": expected[-1], "limit": 100})) == expected[:-1]
    back = api.get(path, params={"ending_before": expected[-1], "limit": 1}).json()
    assert [o["id"] for o in back["data"]] == [expected[-2]] and back["has_more"] is (len(expected) > 2)
    for cursor in ("starting_after", "ending_before"):
        error = _error(api.get(path, params={cursor: "xx_unknown"}), 404)
        assert error["code"] == "resource_missing" and error["param"] == cursor
        assert error["message"].startswith("No such ") and error["message"].endswith("'xx_unknown'")
    for bad in ("0", "101", "ten"):
        assert _error(api.get(path, params={"limit": bad}), 400)["param"] == "limit"
    error = _error(api.get(path, params={"colour": "red"}), 400)
    assert error == {**error, "code": "parameter_unknown", "param": "colour",
                     "message": "Received unknown parameter: colour"}  # fmt: skip
    assert _error(api.get(path, params={"created[since]": "1"}), 400)["code"] == "parameter_unknown"


def test_charge_filters_and_created_ranges_are_never_a_500(api: httpx.Client, world: World) -> None:
    n = world.named
    charges = world.newest_first("/v1/charges")
    anns = _where(api, world, "/v1/charges", customer=n["ann"])
    assert {n["ch_pi1"], n["ch_pi2"]} <= set(anns) and n["ch_pi3"] not in anns
    assert _ids(api.get("/v1/charges", params={"customer": n["ann"]})) == anns
    assert _ids(api.get("/v1/charges", params={"payment_intent": n["pi3"]})) == [n["ch_pi3"]]
    assert _ids(api.get("/v1/charges", params={"transfer_group": "order_1"})) == []
    since = charges.index(n["ch_pi2"])
    assert _ids(api.get("/v1/charges", params={"created[gte]": world.created[n["ch_pi2"]]})) == charges[: since + 1]
    assert _ids(api.get("/v1/charges", params={"customer": "cus_nobody"})) == []


def test_refund_filters(api: httpx.Client, world: World) -> None:
    n = world.named
    assert _ids(api.get("/v1/refunds", params={"charge": n["ch_pi1"]})) == [n["re1"]]
    assert _ids(api.get("/v1/refunds", params={"payment_intent": n["pi3"]})) == [n["re2"]]
    assert _ids(api.get("/v1/refunds", params={"payment_intent": n["pi2"]})) == []


def test_invoice_filters(api: httpx.Client, world: World) -> None:
    n = world.named
    both = world.newest_first("/v1/invoices")
    assert set(both) == {n["draft"], n["paid"]}
    assert _ids(api.get("/v1/invoices", params={"customer": n["ann"]})) == both
    assert _ids(api.get("/v1/invoices", params={"customer": n["bob"]})) == []
    assert _ids(api.get("/v1/invoices", params={"status": "draft"})) == [n["draft"]]
    assert _ids(api.get("/v1/invoices", params={"status": "paid"})) == [n["paid"]]
    subscribed = [o["id"] for o in _objects(api, world, "/v1/invoices")
                  if ((o["parent"] or {}).get("subscription_details") or {}).get("subscription") == n["sub"]]
    assert subscribed == [n["paid"]]  # the draft is a manual invoice
    assert _ids(api.get("/v1/invoices", params={"subscription": n["sub"]})) == subscribed
    assert _ids(api.get("/v1/invoices", params={"collection_method": "charge_automatically"})) == both
    assert _ids(api.get("/v1/invoices", params={"collection_method": "send_invoice"})) == []
    assert _ids(api.get("/v1/invoices", params={"due_date[gte]": 1})) == []
    error = _error(api.get("/v1/invoices", params={"status": "sleeping"}), 400)
    assert error["param"] == "status" and "draft, open, paid, uncollectible, or void" in error["message"]
    assert _error(api.get("/v1/invoices", params={"collection_method": "cash"}), 400)["param"] == "collection_method"


def test_invoiceitem_filters_cover_invoiced_items_too(api: httpx.Client, world: World) -> None:
    n = world.named
    assert set(_ids(api.get("/v1/invoiceitems"))) == {n["ii_invoiced"], n["ii_pending"]}
    assert _ids(api.get("/v1/invoiceitems", params={"pending": "true"})) == [n["ii_pending"]]
    assert _ids(api.get("/v1/invoiceitems", params={"pending": "false"})) == [n["ii_invoiced"]]
    assert _ids(api.get("/v1/invoiceitems", params={"invoice": n["draft"]})) == [n["ii_invoiced"]]
    assert _ids(api.get("/v1/invoiceitems", params={"customer": n["bob"]})) == [n["ii_pending"]]
    assert _error(api.get("/v1/invoiceitems", params={"pending": "maybe"}), 400)["param"] == "pending"


def test_payout_filters(api: httpx.Client, world: World) -> None:
    n = world.named
    payouts = {p["id"]: p for p in api.get("/v1/payouts").json()["data"]}
    assert _ids(api.get("/v1/payouts", params={"status": "paid"})) == [n["po_paid"]]
    assert _ids(api.get("/v1/payouts", params={"status": "pending"})) == [n["po_pending"]]
    arrival = payouts[n["po_pending"]]["arrival_date"]
    same_day = [o["id"] for o in _objects(api, world, "/v1/payouts") if o["arrival_date"] == arrival]
    assert n["po_pending"] in same_day
    assert _ids(api.get("/v1/payouts", params={"arrival_date": arrival})) == same_day
    assert _ids(api.get("/v1/payouts", params={"arrival_date[gte]": arrival, "arrival_date[lte]": arrival})) == same_day
    assert _ids(api.get("/v1/payouts", params={"arrival_date[gt]": arrival + 10**6})) == []
    destination = payouts[n["po_paid"]]["destination"]  # the account's one bank account
    assert _ids(api.get("/v1/payouts", params={"destination": destination})) == world.newest_first("/v1/payouts")
    assert _ids(api.get("/v1/payouts", params={"destination": "ba_elsewhere"})) == []
    assert _error(api.get("/v1/payouts", params={"arrival_date[soon]": 1}), 400)["code"] == "parameter_unknown"


def test_event_filters(api: httpx.Client, world: World) -> None:
    events = api.get("/v1/events", params={"limit": 100}).json()["data"]
    customers_created = [e["id"] for e in events if e["type"] == "customer.created"]
    assert len(customers_created) == 2
    assert _ids(api.get("/v1/events", params={"type": "customer.created"})) == customers_created
    wildcard = [e["id"] for e in events if e["type"].startswith("customer.")]
    assert _ids(api.get("/v1/events", params={"type": "customer.*", "limit": 100})) == wildcard
    both = [e["id"] for e in events if e["type"] in ("customer.created", "payout.created")]
    assert _ids(api.get("/v1/events", params={"types[]": ["customer.created", "payout.created"], "limit": 100})) == both
    assert len(_ids(api.get("/v1/events", params={"delivery_success": "true", "limit": 100}))) == len(events)
    error = _error(api.get("/v1/events", params={"type": "a", "types[]": ["b"]}), 400)
    assert "only specify one of these parameters: type, types" in error["message"]


def test_payment_intent_and_payment_method_filters(api: httpx.Client, world: World) -> None:
    n = world.named
    anns = _where(api, world, "/v1/payment_intents", customer=n["ann"])
    assert {n["pi1"], n["pi2"]} <= set(anns) and n["pi3"] not in anns
    assert _ids(api.get("/v1/payment_intents", params={"customer": n["ann"]})) == anns
    anns = _where(api, world, "/v1/payment_methods", customer=n["ann"])
    assert sorted(anns) == sorted([n["ann_card"], n["pm1"], n["pm2"]])
    assert _ids(api.get("/v1/payment_methods", params={"customer": n["ann"]})) == anns
    assert _ids(api.get("/v1/payment_methods", params={"customer": n["bob"], "type": "card"})) == [n["pm3"], n["bob_card"]]
    assert _ids(api.get("/v1/payment_methods", params={"customer": n["bob"], "type": "sepa_debit"})) == []
    error = _error(api.get("/v1/payment_methods", params={"customer": "cus_nobody"}), 404)
    assert error["param"] == "customer" and error["message"] == "No such customer: 'cus_nobody'"
    assert _ids(api.get("/v1/payment_methods", params={"starting_after": anns[0], "customer": n["ann"]})) == anns[1:]
    nested = f"/v1/customers/{n['ann']}/payment_methods"
    assert _ids(api.get(nested)) == anns and api.get(nested).json()["url"] == nested
    assert _ids(api.get(nested, params={"ending_before": anns[-1]})) == anns[:-1]
    assert _ids(api.get(nested, params={"type": "card", "limit": 1})) == anns[:1]
    assert _error(api.get(nested, params={"created[gte]": 1}), 400)["code"] == "parameter_unknown"
    assert _error(api.get(nested, params={"customer": n["bob"]}), 400)["code"] == "parameter_unknown"
    assert _error(api.get("/v1/customers/cus_nobody/payment_methods"), 404)["message"] == "No such customer: 'cus_nobody'"


def test_coupon_tax_rate_and_setup_intent_filters(api: httpx.Client, world: World) -> None:
    n = world.named
    assert _ids(api.get("/v1/coupons")) == ["off20", "off10"]
    assert _ids(api.get("/v1/tax_rates", params={"active": "true"})) == [n["vat"]]
    assert _ids(api.get("/v1/tax_rates", params={"inclusive": "false"})) == [n["gst"]]
    assert _ids(api.get("/v1/setup_intents", params={"customer": n["ann"], "attach_to_self": "false"})) == []
    assert _error(api.get("/v1/coupons", params={"active": "true"}), 400)["code"] == "parameter_unknown"


def test_invoice_lines_keep_invoice_order_with_cursors(api: httpx.Client, world: World) -> None:
    draft = world.named["draft"]
    path = f"/v1/invoices/{draft}/lines"
    lines = api.get(f"/v1/invoices/{draft}").json()["lines"]["data"]
    order = [line["id"] for line in lines]
    assert len(order) >= 1
    body = api.get(path).json()
    assert body["url"] == path and [line["id"] for line in body["data"]] == order
    assert _ids(api.get(path, params={"starting_after": order[0]})) == order[1:]
    assert _ids(api.get(path, params={"ending_before": order[-1]})) == order[:-1]
    assert _ids(api.get(path, params={"limit": 1})) == order[:1]
    assert _error(api.get(path, params={"starting_after": "il_unknown"}), 404)["param"] == "starting_after"
    assert _error(api.get(path, params={"created[gte]": 1}), 400)["code"] == "parameter_unknown"
    assert _error(api.get(path, params={"limit": 101}), 400)["param"] == "limit"
    missing = _error(api.get("/v1/invoices/in_missing/lines"), 404)
    assert missing["message"] == "No such invoice: 'in_missing'"


def test_subscription_items_need_their_subscription(api: httpx.Client, world: World) -> None:
    sub = world.named["sub"]
    items = api.get(f"/v1/subscriptions/{sub}").json()["items"]["data"]
    listed = api.get("/v1/subscription_items", params={"subscription": sub}).json()
    assert [i["id"] for i in listed["data"]] == [i["id"] for i in items] and listed["url"] == "/v1/subscription_items"
    assert all(i["subscription"] == sub for i in listed["data"])
    missing = _error(api.get("/v1/subscription_items"), 400)
    assert missing == {**missing, "code": "parameter_missing", "param": "subscription",
                       "message": "Missing required param: subscription."}  # fmt: skip
    assert _error(api.get("/v1/subscription_items", params={"subscription": "sub_nope"}), 404)["param"] == "subscription"
    assert _error(api.get("/v1/subscription_items", params={"subscription": sub, "created": 1}), 400)["code"] == "parameter_unknown"


def test_expand_reaches_list_and_search_results(api: httpx.Client, world: World) -> None:
    n = world.named
    listed = api.get("/v1/charges", params={"customer": n["bob"], "expand[]": "data.customer"}).json()["data"]
    assert [c["customer"]["id"] for c in listed] == [n["bob"]]
    plain = api.get("/v1/charges", params={"customer": n["bob"]}).json()["data"]
    assert plain[0]["customer"] == n["bob"]
    found = api.get("/v1/charges/search", params={"query": f"customer:'{n['bob']}'", "expand[]": "data.customer"})
    assert [c["customer"]["id"] for c in found.json()["data"]] == [n["bob"]]
    items = api.get("/v1/invoiceitems", params={"pending": "false", "expand[]": "data.customer"}).json()["data"]
    assert [i["customer"]["id"] for i in items] == [n["ann"]]
