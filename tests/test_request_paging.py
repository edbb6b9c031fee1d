"""``request`` pages list answers like the list actions; search results page over ``next_page`` (real HTTP)."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pandas as pd
import pytest
from aiohttp import web
from IPython.core.interactiveshell import InteractiveShell

from paragon_magic import stripe_model
from paragon_magic.client import DirectBackend, StripeClient
from paragon_magic.connection import build_client, connect
from paragon_magic.errors import UsageError
from paragon_magic.listing import ListingInterrupted
from paragon_magic.listing.request import answers_a_list
from paragon_magic.sandbox.paragon_double import ThreadedAppServer
from paragon_magic.session import Session, SessionConfig

from shell_helpers import fails, ok, requests_since

CUSTOMERS = 230


@pytest.fixture
def many(stripe_server: Any) -> Session:
    """A sandbox session with 230 customers (created over one fast client)."""
    session = connect(stripe_server.key, base_url=stripe_server.url, save=False, rate_limit=1000,
                      config=SessionConfig(progress=False))
    for i in range(CUSTOMERS):
        session.client.request("POST", "/v1/customers", {"email": f"p{i:03}@example.com"})
    return session


def gets(server: Any, start: int, path: str) -> list[dict[str, Any]]:
    return [r for r in requests_since(server, start) if r["method"] == "GET" and r["path"] == path]


def test_request_fetches_every_page_of_a_list(many: Session, stripe_server: Any) -> None:
    start = len(stripe_server.requests())
    frame = many.request("stripe", "/v1/customers")
    assert len(frame) == CUSTOMERS and frame.id.is_unique
    assert frame.attrs["stripe"]["complete"] is True and frame.attrs["stripe"]["object_type"] == "customer"
    assert isinstance(frame["created"].dtype, pd.DatetimeTZDtype) and str(frame["created"].dt.tz) == "UTC"
    sent = gets(stripe_server, start, "/v1/customers")
    assert [r["query"]["limit"] for r in sent] == ["100", "100", "100"]
    assert "starting_after" not in sent[0]["query"] and sent[1]["query"]["starting_after"] == frame.id[99]
    assert len(frame.attrs["stripe"]["request_ids"]) == 3


def test_limit_is_the_total_rows_never_a_page_above_100(many: Session, stripe_server: Any) -> None:
    start = len(stripe_server.requests())
    frame = many.request("stripe", "/v1/customers", limit=150)
    assert len(frame) == 150
    assert [r["query"]["limit"] for r in gets(stripe_server, start, "/v1/customers")] == ["100", "50"]
    same = many.request("stripe", "/v1/customers", params={"limit": 150})  # limit written as a Stripe param
    assert list(same.id) == list(frame.id)


def test_page_sends_exactly_one_request(many: Session, stripe_server: Any) -> None:
    start = len(stripe_server.requests())
    frame = many.request("stripe", "/v1/customers", limit=20, page=True)
    assert len(frame) == 20 and frame.attrs["stripe"]["complete"] is False  # has_more: Stripe's one page
    (sent,) = gets(stripe_server, start, "/v1/customers")
    assert sent["query"]["limit"] == "20"
    following = many.request("stripe", "/v1/customers", params={"starting_after": frame.id[19]}, limit=20, page=True)
    assert not set(following.id) & set(frame.id)
    with pytest.raises(UsageError, match="at most 100"):
        many.request("stripe", "/v1/customers", limit=500, page=True)
    with pytest.raises(UsageError, match="GET list"):
        many.request("stripe", "/v1/customers", method="POST", limit=5)


def test_single_objects_and_non_lists_are_one_request(many: Session, stripe_server: Any) -> None:
    one = many.request("stripe", "/v1/customers", limit=1)
    start = len(stripe_server.requests())
    got = many.request("stripe", f"/v1/customers/{one.id[0]}")
    balance = many.request("stripe", "/v1/balance")
    sent = requests_since(stripe_server, start)
    assert len(got) == 1 and len(balance) == 1 and len(sent) == 2
    assert all("limit" not in r["query"] for r in sent)


def test_ctrl_c_keeps_the_rows_fetched_so_far(many: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    real = many.client.request
    calls = []

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(many.client, "request", interrupted)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = many.request("stripe", "/v1/customers")
    assert len(frame) == 200 and frame.attrs["stripe"]["complete"] is False
    assert any(issubclass(w.category, ListingInterrupted) for w in caught)


def test_magic_request_pages_and_dry_run_shows_the_first_page(ip: InteractiveShell, ctx: Any,
                                                              many: Session, stripe_server: Any) -> None:
    ctx.adopt(many)
    frame, _ = ok(ip, "%stripe request GET /v1/customers --limit 150 --no-progress")
    assert len(frame) == 150
    start = len(stripe_server.requests())
    _, shown = ok(ip, "%stripe request GET /v1/customers --limit 250 --dry-run")
    assert "limit=100" in shown and "limit=250" not in shown and requests_since(stripe_server, start) == []
    page, _ = ok(ip, "%stripe request GET /v1/customers --page --limit 7")
    assert len(page) == 7 and len(gets(stripe_server, start, "/v1/customers")) == 1
    message = fails(ip, "%stripe request GET /v1/customers --page --limit 500")
    assert "at most 100" in message


def test_help_request_documents_paging(ip: InteractiveShell) -> None:
    _, text = ok(ip, "%stripe help request")
    for needle in ("--page", "--limit N", "search_result", "next_page", "complete", "Ctrl-C", "--dry-run",
                   'session.request("stripe", "/v1/charges", limit=250)'):
        assert needle in text, needle


@pytest.mark.parametrize(("path", "is_list"), [
    ("/v1/charges", True), ("/v1/customers/search", True), ("/v1/invoices/in_1Abc/lines", True),
    ("/v1/customers/cus_123/balance_transactions", True), ("/v1/balance/history", True),
    ("/v1/balance", False), ("/v1/account", False), ("/v1/customers/cus_123", False),
    ("/v1/customers/cus_123/cash_balance", False), ("/v1/tax/settings", False),
    ("/v1/accounts/acct_1/capabilities/card_payments", False), ("/v1/payment_methods/pm_card_visa", False),
    ("/v2/core/events", False),
])
def test_which_paths_answer_with_a_list(path: str, is_list: bool) -> None:
    assert answers_a_list(path) is is_list


# --- search results over real HTTP: a tiny loopback double answering search_result pages ---------------

class SearchDouble:
    """``GET /v1/customers/search``: ``rows`` customers matching any query, ``next_page`` cursors."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.seen: list[dict[str, str]] = []

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v1/customers/search", self.search)
        return app

    async def search(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.seen.append(query)
        if "query" not in query:
            return web.json_response({"error": {"type": "invalid_request_error", "message": "Missing query"}},
                                     status=400)
        size, start = int(query.get("limit", 10)), int(query.get("page", "page_0").removeprefix("page_"))
        matches = 0 if "nobody" in query["query"] else self.rows  # "nobody" matches nothing
        stop = min(start + size, matches)
        data = [{"id": f"cus_S{i:04}", "object": "customer", "created": 1_767_225_600 - i, "email": f"s{i}@x.co",
                 "balance": i, "livemode": False} for i in range(start, stop)]
        has_more = stop < matches
        return web.json_response({"object": "search_result", "url": "/v1/customers/search", "data": data,
                                  "has_more": has_more, "next_page": f"page_{stop}" if has_more else None})


@pytest.fixture
def searching() -> Iterator[tuple[SearchDouble, Session]]:
    double = SearchDouble(230)
    with ThreadedAppServer(double.make_app) as server:
        client = build_client(DirectBackend("sk_test_" + "d" * 24, base_url=server.url), rate_limit=1000)
        session = Session(client, config=SessionConfig(progress=False))
        yield double, session
        session.close()


def test_search_action_pages_over_next_page(searching: tuple[SearchDouble, Session]) -> None:
    double, session = searching
    frame = session.search_customers("email:'s1'", limit=150)
    assert len(frame) == 150 and list(frame.id[:2]) == ["cus_S0000", "cus_S0001"]
    assert [(q["limit"], q.get("page")) for q in double.seen] == [("100", None), ("50", "page_100")]
    assert all(q["query"] == "email:'s1'" for q in double.seen)
    assert str(frame["created"].dtype) == "datetime64[ns, UTC]" and str(frame["balance"].dtype) == "Int64"
    everything = session.search_customers(query="email:'s'")
    assert len(everything) == 230 and everything.attrs["stripe"]["complete"] is True
    double.seen.clear()
    nothing = session.search_customers("email:'nobody@example.com'")
    assert nothing.empty and nothing.attrs["stripe"]["complete"] is True and len(double.seen) == 1


def test_request_pages_a_search_result(searching: tuple[SearchDouble, Session]) -> None:
    double, session = searching
    frame = session.request("stripe", "/v1/customers/search", params={"query": "name:'x'"}, limit=120)
    assert len(frame) == 120 and frame.attrs["stripe"]["object_type"] == "customer"
    assert [q.get("page") for q in double.seen] == [None, "page_100"]
    double.seen.clear()
    one = session.request("stripe", "/v1/customers/search", params={"query": "name:'x'"}, page=True)
    assert len(one) == 10 and len(double.seen) == 1 and "limit" not in double.seen[0]


def test_search_magic_takes_the_query_positionally_with_templates(
        ip: InteractiveShell, ctx: Any, searching: tuple[SearchDouble, Session]) -> None:
    double, session = searching
    ctx.adopt(session)
    ip.user_ns["who"] = "jane@example.com"
    frame, _ = ok(ip, "%stripe search_customers \"email:'{{ who }}'\" --limit 5")
    assert len(frame) == 5 and double.seen[-1]["query"] == "email:'jane@example.com'"
    message = fails(ip, "%stripe search_customers email:'a' name:'b'")  # the words are one query, as typed
    assert "join the query's clauses with AND or OR: email:'a' AND name:'b'" in message
    assert "--created-after" in fails(ip, "%stripe search_customers \"email:'a'\" --created-after 2026-01-01")
    assert "needs --query" in fails(ip, "%stripe search_customers --limit 5")


def test_search_first_page_over_mock_transport() -> None:
    seen: list[httpx.URL] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json={"object": "search_result", "data": [], "has_more": False,
                                         "next_page": None, "url": "/v1/prices/search"})

    client = StripeClient(DirectBackend("sk_test_" + "m" * 24, base_url="http://127.0.0.1:9"),
                          transport=httpx.MockTransport(answer))
    frame = Session(client, config=SessionConfig(progress=False)).search_prices("currency:'usd'")
    assert frame.empty and frame.attrs["stripe"]["complete"] is True
    (url,) = seen
    assert url.path == "/v1/prices/search" and url.params["query"] == "currency:'usd'" and url.params["limit"] == "100"



def test_an_empty_search_page_claiming_more_ends_the_walk() -> None:
    seen: list[httpx.URL] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)  # a broken proxy: no rows, yet has_more and the same next_page forever
        return httpx.Response(200, json={"object": "search_result", "data": [], "has_more": True,
                                         "next_page": "page_again", "url": "/v1/customers/search"})

    client = StripeClient(DirectBackend("sk_test_" + "m" * 24, base_url="http://127.0.0.1:9"),
                          transport=httpx.MockTransport(answer))
    frame = Session(client, config=SessionConfig(progress=False)).search_customers("name:'x'")
    assert frame.empty and len(seen) == 1


def test_search_form_sends_the_query_and_pages(searching: tuple[SearchDouble, Session]) -> None:
    from paragon_magic.widgets import form

    double, session = searching
    f = form("search_customers", session=session, namespace={})
    assert f.fields["query"].description.endswith("*") and "created_after" not in f.fields
    f.fields["query"].value = "email:'s1'"
    f.fields["limit"].value = "120"
    f.run_button.click()
    assert f.error == "" and len(f.result) == 120
    assert [(q["query"], q.get("page")) for q in double.seen] == [("email:'s1'", None), ("email:'s1'", "page_100")]


def test_empty_request_answers_are_typed_like_full_ones(stripe_server: Any) -> None:
    """An empty list from ``request`` has the columns and dtypes of a full one (charges, invoices, refunds,
    payouts), the type read from the path since there is no object to read it from."""
    session = connect(stripe_server.key, base_url=stripe_server.url, save=False, rate_limit=1000,
                      config=SessionConfig(progress=False))
    post = lambda path, params: session.client.request("POST", path, params).data  # noqa: E731
    customer = post("/v1/customers", {"email": "typed@example.com", "payment_method": "pm_card_visa",
                                      "invoice_settings": {"default_payment_method": "pm_card_visa"}})["id"]
    post("/v1/payment_intents", {"amount": 5000, "currency": "usd", "customer": customer,
                                 "payment_method": "pm_card_visa", "confirm": True})
    charge = session.client.request("GET", "/v1/charges", {"customer": customer}).data["data"][0]["id"]
    post("/v1/refunds", {"charge": charge, "amount": 100})
    product = post("/v1/products", {"name": "Typed"})["id"]
    plan = post("/v1/plans", {"product": product, "amount": 900, "currency": "usd", "interval": "month"})["id"]
    post("/v1/subscriptions", {"customer": customer, "items": [{"plan": plan}]})
    settled = int(time.time()) - 3 * 86_400  # a payout takes settled funds
    txns = session.client.request("GET", "/v1/balance_transactions", {"limit": 100}).data["data"]
    stripe_server.backdate({t["id"]: settled for t in txns})
    post("/v1/payouts", {"amount": 100, "currency": "usd"})
    for path in ("/v1/charges", "/v1/invoices", "/v1/refunds", "/v1/payouts"):
        full = session.request("stripe", path)
        empty = session.request("stripe", path, params={"created": {"lt": 1}})  # nothing before 1970
        assert len(full) >= 1 and empty.empty, path
        object_type = full.attrs["stripe"]["object_type"]
        # a full frame may add metadata.<key> columns and fields Stripe's fixture shows beyond the model
        extra = [c for c in full.columns if c not in empty.columns]
        assert all(c.startswith("metadata.") or stripe_model.field_kind(object_type, c) is None for c in extra), extra
        kept = [c for c in full.columns if c in empty.columns]
        assert list(empty.columns) == kept, path
        assert {c: str(empty[c].dtype) for c in kept} == {c: str(full[c].dtype) for c in kept}, path
        assert empty.attrs["stripe"]["object_type"] == full.attrs["stripe"]["object_type"], path
    session.close()
