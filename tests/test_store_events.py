"""How events are applied (one function, ``sync_tables``, over an httpx MockTransport standing in for Stripe):
an event rendered in another API version is replaced by the object fetched by id; the latest event per
object wins; events already applied are not applied again. The same paths run over real HTTP in
``test_store_changes.py``."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from paragon_magic.client import DirectBackend, StripeClient, TokenBucket
from paragon_magic.store import TABLES, Store
from paragon_magic.store.sql import run_sql
from paragon_magic.store.sync import sync_tables

PINNED = "2026-10-28.endive"


class FakeStripe:
    """Customers and customer events, Stripe's list semantics for what the sync asks."""

    def __init__(self) -> None:
        self.customers: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.clock = 1_800_000_000

    def customer(self, cid: str, name: str, created: int) -> dict[str, Any]:
        self.customers[cid] = {"id": cid, "object": "customer", "name": name, "created": created, "metadata": {}}
        return self.customers[cid]

    def event(self, kind: str, obj: dict[str, Any], version: str = PINNED) -> None:
        self.clock += 1
        self.events.append({"id": f"evt_{len(self.events):04d}", "object": "event", "type": kind,
                            "api_version": version, "created": self.clock, "data": {"object": dict(obj)}})

    def handler(self, request: httpx.Request) -> httpx.Response:
        url = urlparse(str(request.url))
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.paths.append(url.path)
        if url.path == "/v1/events":
            found = [e for e in reversed(self.events) if e["created"] >= int(query.get("created[gte]", 0))]
            return _page(found[: int(query.get("limit", 10))])
        if url.path == "/v1/customers":
            found = sorted(self.customers.values(), key=lambda c: c["created"], reverse=True)
            found = [c for c in found if c["created"] > int(query.get("created[gt]", -1))]
            return _page(found)
        cid = url.path.rsplit("/", 1)[-1]
        if cid in self.customers:
            return httpx.Response(200, json=self.customers[cid])
        return httpx.Response(404, json={"error": {"type": "invalid_request_error", "message": "No such customer"}})


def _page(data: list[dict[str, Any]]) -> httpx.Response:
    return httpx.Response(200, json={"object": "list", "data": data, "has_more": False, "url": "/v1/x"})


@pytest.fixture
def world(tmp_path: Path) -> tuple[FakeStripe, StripeClient, Store]:
    fake = FakeStripe()
    client = StripeClient(DirectBackend("sk_test_" + "e" * 24, "https://stripe.test"),
                          rate_limiter=TokenBucket(math.inf), transport=httpx.MockTransport(fake.handler))
    store = Store(tmp_path / "s.duckdb", account_id="acct_x", livemode=False)
    return fake, client, store


def _sync(client: StripeClient, store: Store) -> Any:
    return sync_tables(client, store, [TABLES["customers"]], progress=False, echo=None)["customers"]


def _names(store: Store) -> dict[str, str]:
    frame = run_sql(store, "SELECT id, name FROM customers ORDER BY id")
    return dict(zip(frame["id"], frame["name"]))


def test_an_event_in_another_api_version_is_refetched_by_id(world: Any) -> None:
    fake, client, store = world
    ada = fake.customer("cus_a", "Ada", 100)
    fake.event("customer.created", ada)
    _sync(client, store)
    ada["name"] = "Ada Lovelace"
    fake.event("customer.updated", {"id": "cus_a", "object": "customer", "name": "old shape"}, version="2020-08-27")
    report = _sync(client, store)
    assert report.changed == 1 and "/v1/customers/cus_a" in fake.paths
    assert _names(store) == {"cus_a": "Ada Lovelace"}  # the object as the pinned version renders it


def test_the_latest_event_per_object_wins_and_applied_events_are_skipped(world: Any) -> None:
    fake, client, store = world
    fake.event("customer.created", fake.customer("cus_a", "Ada", 100))
    fake.event("customer.created", fake.customer("cus_b", "Bob", 101))
    _sync(client, store)
    for name in ("first", "second", "third"):
        fake.event("customer.updated", {**fake.customers["cus_a"], "name": name})
    fake.event("customer.deleted", fake.customers.pop("cus_b"))
    report = _sync(client, store)
    assert (report.added, report.changed, report.deleted) == (0, 1, 1)
    assert _names(store) == {"cus_a": "third"}
    again = _sync(client, store)
    assert (again.added, again.changed, again.deleted) == (0, 0, 0)
    assert json.dumps(_names(store)) == json.dumps({"cus_a": "third"})


def test_an_invoice_with_more_than_the_embedded_lines_is_paged(tmp_path: Path) -> None:
    lines = [{"id": f"il_{i:02d}", "object": "line_item", "amount": 100 + i, "currency": "usd", "invoice": "in_1"}
             for i in range(25)]
    invoice = {"id": "in_1", "object": "invoice", "created": 100, "total": sum(x["amount"] for x in lines),
               "lines": {"object": "list", "data": lines[:10], "has_more": True, "url": "/v1/invoices/in_1/lines"}}
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        url = urlparse(str(request.url))
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        asked.append(f"{url.path}?{url.query}")
        if url.path == "/v1/invoices":
            return _page([invoice])
        if url.path == "/v1/invoices/in_1/lines":
            after = [x["id"] for x in lines].index(query["starting_after"]) + 1
            page = lines[after:after + int(query["limit"])]
            return httpx.Response(200, json={"object": "list", "data": page, "has_more": after + len(page) < 25})
        return _page([])

    client = StripeClient(DirectBackend("sk_test_" + "e" * 24, "https://stripe.test"),
                          rate_limiter=TokenBucket(math.inf), transport=httpx.MockTransport(handler))
    store = Store(tmp_path / "s.duckdb", account_id="acct_x", livemode=False)
    report = sync_tables(client, store, [TABLES["invoices"]], progress=False, echo=None)
    assert report["invoice_line_items"].added == 25
    assert any(a.startswith("/v1/invoices/in_1/lines?starting_after=il_09") for a in asked)
    stored = run_sql(store, "SELECT list(id ORDER BY id) AS ids, sum(amount) AS total FROM invoice_line_items")
    assert stored["ids"][0].tolist() == [x["id"] for x in lines] and stored["total"][0] == invoice["total"]


def test_a_value_the_object_model_does_not_expect_is_null_with_a_warning(world: Any) -> None:
    fake, client, store = world
    fake.customer("cus_a", "Ada", 100)
    _sync(client, store)
    odd = fake.customer("cus_b", "Bob", 101)
    odd["balance"] = "not a number"  # an API change the model has not seen
    with pytest.warns(UserWarning, match="balance: 1 value"):
        report = _sync(client, store)
    assert report.added == 1
    frame = run_sql(store, "SELECT id, balance FROM customers ORDER BY id")
    assert frame["id"].tolist() == ["cus_a", "cus_b"] and frame["balance"].isna().tolist() == [True, True]
