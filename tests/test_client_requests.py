"""Request building, backends and Paragon unwrapping (MockTransport: single-function unit tests)."""

from __future__ import annotations

import json
import logging
import math
import platform
from urllib.parse import parse_qsl

import httpx
import pytest

from paragon_magic import __version__
from paragon_magic.client import (
    DEFAULT_STRIPE_VERSION,
    AsyncStripeClient,
    AuthenticationError,
    DirectBackend,
    InvalidRequestError,
    ParagonBackend,
    ParagonProxyError,
    RetryPolicy,
    StripeClient,
    StripeResponse,
    TokenBucket,
)
from paragon_magic.client.pagination import PageWalk

KEY = "sk_test_requests000000000000000wxyz"
MISSING = {"type": "invalid_request_error", "code": "resource_missing", "message": "No such customer: 'cus_x'"}
TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLXNlY3JldA7777"


def test_stripe_version_pin_matches_stripe_python() -> None:
    import stripe

    assert DEFAULT_STRIPE_VERSION == stripe.api_version


def test_base_url_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STRIPE_API_BASE", raising=False)
    assert DirectBackend(KEY).url("/v1/customers") == "https://api.stripe.com/v1/customers"
    monkeypatch.setenv("STRIPE_API_BASE", "http://127.0.0.1:9/")
    assert DirectBackend(KEY).url("v1/customers") == "http://127.0.0.1:9/v1/customers"
    assert DirectBackend(KEY, "https://other:1").url("/v1/x") == "https://other:1/v1/x"


def test_headers_query_and_body() -> None:
    client = StripeClient(DirectBackend(KEY, "https://s.test"), stripe_account="acct_default")
    get = client.build_request("GET", "/v1/customers", {"limit": 3, "created": {"gte": 5}, "expand": ["data.x"]})
    assert dict(parse_qsl(get.url.query.decode())) == {"limit": "3", "created[gte]": "5", "expand[0]": "data.x"}
    assert get.headers["Authorization"] == f"Bearer {KEY}"
    assert get.headers["Stripe-Version"] == DEFAULT_STRIPE_VERSION
    assert get.headers["Stripe-Account"] == "acct_default"
    assert get.headers["User-Agent"] == (
        f"paragon_magic/{__version__} httpx/{httpx.__version__} python/{platform.python_version()}"
    )
    assert "Idempotency-Key" not in get.headers and get.content == b""
    post = client.build_request("post", "/v1/customers", {"email": "a@b.c"}, stripe_account="acct_other")
    assert post.method == "POST" and post.content == b"email=a%40b.c"
    assert post.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert post.headers["Stripe-Account"] == "acct_other"
    assert len(post.headers["Idempotency-Key"]) == 36
    again = client.build_request("POST", "/v1/customers", {"email": "a@b.c"})
    assert again.headers["Idempotency-Key"] != post.headers["Idempotency-Key"]
    pinned = StripeClient(DirectBackend(KEY), stripe_version="2024-06-20")
    assert pinned.build_request("GET", "/v1/account").headers["Stripe-Version"] == "2024-06-20"
    client.close()
    pinned.close()


def test_reprs_never_show_secrets() -> None:
    direct = DirectBackend(KEY)
    paragon = ParagonBackend(TOKEN, "proj-1")
    sync_client = StripeClient(direct)
    async_client = AsyncStripeClient(paragon)
    for text in (repr(direct), repr(paragon), repr(sync_client), repr(async_client), direct.masked, paragon.masked):
        assert KEY not in text and TOKEN not in text
    assert direct.masked == "sk_test_…wxyz" and direct.mode == "test"
    assert "sk_test_…wxyz" in repr(sync_client)
    dry_run = sync_client.build_request("GET", "/v1/x")
    assert KEY not in repr(dry_run) and KEY not in repr(dry_run.headers)
    sync_client.close()


def test_default_rate_limiter_follows_key_mode() -> None:
    assert StripeClient(DirectBackend(KEY)).rate_limiter.rate == 25
    assert StripeClient(DirectBackend("sk_live_" + "z" * 24)).rate_limiter.rate == 100


def test_debug_log_has_request_details_but_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": "cus_1"}, headers={"Request-Id": "req_log"})

    client = StripeClient(
        DirectBackend(KEY, "https://s.test"), rate_limiter=TokenBucket(math.inf), transport=httpx.MockTransport(handler)
    )
    with caplog.at_level(logging.DEBUG, logger="paragon_magic.client"):
        client.request("POST", "/v1/customers", {"email": "a@b.c"})
    text = caplog.text
    assert "POST /v1/customers -> 200 (request req_log, attempt 1)" in text
    assert KEY not in text and KEY[-12:] not in text


def _paragon_client(handler) -> StripeClient:  # type: ignore[no-untyped-def]
    return StripeClient(
        ParagonBackend(TOKEN, "proj 1", "https://proxy.test/"),
        rate_limiter=TokenBucket(math.inf),
        retry=RetryPolicy(max_retries=0),
        transport=httpx.MockTransport(handler),
    )


def test_paragon_url_auth_json_body_and_unwrap() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"output": {"id": "cus_1", "object": "customer"}})

    response = _paragon_client(handler).request("POST", "/v1/customers", {"metadata": {"a": "1"}, "x": None})
    assert response.data == {"id": "cus_1", "object": "customer"}
    request = seen[0]
    assert str(request.url) == "https://proxy.test/projects/proj%201/sdk/proxy/stripe/v1/customers"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"metadata": {"a": "1"}}
    assert "Idempotency-Key" in request.headers


def test_paragon_not_connected_envelope() -> None:
    body = {
        "message": "Integration not enabled for user.",
        "code": "4000",
        "status": 400,
        "meta": {"endUserId": "user-42", "projectId": "proj-1", "integrationId": "int-1"},
    }
    client = _paragon_client(lambda request: httpx.Response(400, json=body))
    with pytest.raises(ParagonProxyError) as caught:
        client.request("GET", "/v1/customers")
    assert str(caught.value).startswith("Stripe is not connected for user user-42 in project proj-1")
    assert caught.value.meta["integrationId"] == "int-1" and caught.value.http_status == 400


def test_paragon_other_envelope_and_token_scrubbed() -> None:
    body = {"message": f"Invalid token {TOKEN}", "code": "1001", "status": 401, "meta": {}}
    with pytest.raises(ParagonProxyError) as caught:
        _paragon_client(lambda request: httpx.Response(401, json=body)).request("GET", "/v1/customers")
    assert TOKEN not in str(caught.value) and TOKEN not in repr(caught.value)
    assert TOKEN not in json.dumps(caught.value.json_body)
    assert "Paragon proxy error (HTTP 401)" in str(caught.value)


@pytest.mark.parametrize(
    "body",
    [
        {"error": MISSING},
        {"output": {"error": MISSING}},
        {
            "message": json.dumps({"error": MISSING}),
            "code": "5000",
            "status": 404,
            "meta": {},
        },
        {"message": "Request failed", "code": "5000", "status": 404,
         "meta": {"response": {"error": MISSING}}},
    ],
)
def test_paragon_wrapped_stripe_error_surfaces_as_stripe_error(body: dict) -> None:
    client = _paragon_client(lambda request: httpx.Response(404, json=body, headers={"Request-Id": "req_p"}))
    with pytest.raises(InvalidRequestError) as caught:
        client.request("GET", "/v1/customers/cus_x")
    assert not isinstance(caught.value, ParagonProxyError)
    assert str(caught.value) == "No such customer: 'cus_x' (resource_missing, request req_p)"


def test_paragon_wrapped_auth_error_uses_envelope_status() -> None:
    body = {"message": json.dumps({"error": {"message": "Invalid API Key provided: sk_test_****1234"}}),
            "code": "5000", "status": 401, "meta": {}}
    with pytest.raises(AuthenticationError):
        _paragon_client(lambda request: httpx.Response(500, json=body)).request("GET", "/v1/customers")


def _page(ids: list[str], has_more: bool) -> StripeResponse:
    data = {"object": "list", "data": [{"id": i} for i in ids], "has_more": has_more}
    return StripeResponse(200, data, httpx.Headers(), None, False)


def test_page_walk_cursor_and_cap() -> None:
    walk = PageWalk({"limit": 2, "email": "x"}, max_objects=5)
    assert walk.next_params() == {"limit": 2, "email": "x"}
    assert [o["id"] for o in walk.advance(_page(["a", "b"], True))] == ["a", "b"]
    assert walk.next_params() == {"limit": 2, "email": "x", "starting_after": "b"}
    walk.advance(_page(["c", "d"], True))
    assert walk.next_params() == {"limit": 1, "email": "x", "starting_after": "d"}
    assert [o["id"] for o in walk.advance(_page(["e", "f"], True))] == ["e"]
    assert walk.next_params() is None and walk.count == 5


def test_page_walk_defaults_backwards_and_search() -> None:
    walk = PageWalk(None, None)
    assert walk.next_params() == {"limit": 100}
    walk.advance(_page([], True))
    assert walk.next_params() is None
    back = PageWalk({"ending_before": "z"}, None)
    back.advance(_page(["y", "x"], True))
    assert back.next_params()["ending_before"] == "y"
    search = PageWalk({"query": "email:'a'"}, None)
    search.advance(StripeResponse(200, {"object": "search_result", "data": [{"id": "a"}], "has_more": True,
                                        "next_page": "pg_2"}, httpx.Headers(), None, False))
    assert search.next_params()["page"] == "pg_2"
    assert PageWalk({}, max_objects=0).next_params() is None


@pytest.mark.parametrize(("date", "expected"), [
    ("Wed, 15 Jan 2025 12:26:40 GMT", "2025-01-15T12:26:40.000+00:00"),
    ("Wed, 15 Jan 2025 13:26:40 +0100", "2025-01-15T12:26:40.000+00:00"),
    ("not a date", None),
    ("Wed, 15 Jan 2025 12:26:40 -0000", None),  # RFC 5322's "unknown zone": no time to trust
    (None, None),
])
def test_server_time_is_the_date_header_in_utc(date: str | None, expected: str | None) -> None:
    from paragon_magic.client._base import server_time

    headers = httpx.Headers({"Date": date} if date else {})
    assert server_time(headers) == expected
