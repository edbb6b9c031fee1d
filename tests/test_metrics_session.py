"""The Session's metric fetch completes invoices whose embedded lines stop early (MockTransport: one function;
the metrics themselves run over real HTTP in test_metrics_sandbox.py)."""

from __future__ import annotations

import math
from typing import Any

import httpx

from paragon_magic.client import DirectBackend, StripeClient, TokenBucket
from paragon_magic.session import Session, SessionConfig

KEY = "sk_test_" + "x" * 24


def line(n: int) -> dict[str, Any]:
    return {"id": f"il_{n}", "object": "line_item", "amount": 1000, "currency": "usd",
            "period": {"start": 1_780_000_000, "end": 1_782_592_000}, "quantity": 1, "discount_amounts": [],
            "parent": {"type": "subscription_item_details", "invoice_item_details": None,
                       "subscription_item_details": {"subscription": "sub_1", "proration": False,
                                                     "subscription_item": "si_1"}},
            "pricing": {"type": "price_details", "unit_amount_decimal": "1000",
                        "price_details": {"price": "price_1", "product": "prod_1"}}}


def test_invoices_with_more_lines_get_every_line() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path == "/v1/invoices":
            invoice = {"id": "in_1", "object": "invoice", "customer": "cus_1", "currency": "usd", "status": "paid",
                       "created": 1_780_000_000,
                       "lines": {"object": "list", "data": [line(0)], "has_more": True, "total_count": 3,
                                 "url": "/v1/invoices/in_1/lines"}}
            other = {**invoice, "id": "in_2", "lines": {"object": "list", "data": [line(9)], "has_more": False,
                                                        "url": "/v1/invoices/in_2/lines"}}
            return httpx.Response(200, json={"object": "list", "data": [invoice, other], "has_more": False,
                                             "url": "/v1/invoices"})
        assert request.url.path == "/v1/invoices/in_1/lines"
        return httpx.Response(200, json={"object": "list", "data": [line(0), line(1), line(2)], "has_more": False,
                                         "url": "/v1/invoices/in_1/lines"})

    client = StripeClient(DirectBackend(KEY, "https://s.test"), rate_limiter=TokenBucket(math.inf),
                          transport=httpx.MockTransport(handler))
    session = Session(client, config=SessionConfig(progress=False, partitioned=False))
    invoices = session._every_line(session.list_invoices(), progress=False)
    assert seen == ["/v1/invoices", "/v1/invoices/in_1/lines"]
    assert session.config.keep_raw is False
    lines = invoices.stripe.explode("lines.data")
    assert lines.groupby("parent_id")["id"].apply(list).to_dict() == {"in_1": ["il_0", "il_1", "il_2"],
                                                                       "in_2": ["il_9"]}
    assert str(lines["period.start"].dtype) == "datetime64[ns, UTC]"
