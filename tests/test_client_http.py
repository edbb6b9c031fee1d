"""The client over real HTTP against the local sandbox (``stripe_server`` fixture, tests/conftest.py)."""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
from typing import Any

import pytest

from paragon_magic.client import (
    APIConnectionError,
    APIError,
    AsyncStripeClient,
    AuthenticationError,
    CardError,
    DirectBackend,
    IdempotencyError,
    InvalidRequestError,
    RateLimitError,
    RetryPolicy,
    StripeClient,
    StripeError,
    StripePermissionError,
    TokenBucket,
)

FAST = TokenBucket(math.inf)


def _retry(**options: Any) -> RetryPolicy:
    """Real (small) sleeps over real HTTP."""
    settings = {"base_delay": 0.01, "max_delay": 0.05, "rng": random.Random(11)}
    settings.update(options)
    return RetryPolicy(**settings)


def _client(server: Any, key: str | None = None, **options: Any) -> StripeClient:
    options.setdefault("rate_limiter", FAST)
    options.setdefault("retry", _retry())
    return StripeClient(DirectBackend(key or server.key, server.url), timeout=10.0, **options)


def _assert_secret_free(error: BaseException, *secrets: str) -> None:
    texts = [str(error), repr(error), json.dumps(getattr(error, "json_body", None)), str(error.__cause__)]
    for secret in secrets:
        assert all(secret not in text for text in texts), f"secret leaked in {type(error).__name__}"


def test_success_sends_pinned_headers_and_account(stripe_server: Any) -> None:
    with _client(stripe_server, stripe_account="acct_client") as client:
        created = client.request("POST", "/v1/customers", {"email": "h@example.com", "metadata": {"tier": "gold"}})
        fetched = client.request("GET", f"/v1/customers/{created.data['id']}", stripe_account="acct_request")
    assert created.status == 200 and created.request_id and created.request_id.startswith("req_")
    assert fetched.data["metadata"] == {"tier": "gold"} and not created.idempotent_replayed
    post, get = stripe_server.requests()[-2:]
    assert post["form"] == {"email": "h@example.com", "metadata[tier]": "gold"}
    assert post["headers"]["Stripe-Account"] == "acct_client" and get["headers"]["Stripe-Account"] == "acct_request"
    assert post["headers"]["Stripe-Version"] == "2026-10-28.endive"
    assert post["headers"]["User-Agent"].startswith("paragon_magic/")
    assert len(post["headers"]["Idempotency-Key"]) == 36


def test_missing_customer_is_invalid_request(stripe_server: Any) -> None:
    with _client(stripe_server) as client, pytest.raises(InvalidRequestError) as caught:
        client.request("GET", "/v1/customers/cus_doesnotexist")
    error = caught.value
    assert error.http_status == 404 and error.code == "resource_missing"
    assert "cus_doesnotexist" in str(error) and f"request {error.request_id}" in str(error)
    assert error.request_id and error.request_id.startswith("req_") and error.attempts == 1
    _assert_secret_free(error, stripe_server.key)


def test_bad_param_is_invalid_request(stripe_server: Any) -> None:
    with _client(stripe_server) as client, pytest.raises(InvalidRequestError) as caught:
        client.request("GET", "/v1/customers", {"limit": 1000})
    assert caught.value.http_status == 400 and caught.value.param == "limit"


@pytest.mark.parametrize(
    ("key", "permissions"),
    [
        ("sk_test_soonRevokedSecret000000000001", None),
        ("rk_test_soonRevokedRestricted000000002", ["rak_customer_read"]),
    ],
)
def test_revoked_keys_are_authentication_errors(stripe_server: Any, key: str, permissions: list[str] | None) -> None:
    if permissions is not None:
        stripe_server.add_restricted_key(key, permissions)
    else:
        stripe_server.add_secret_key(key)  # the sandbox accepts only its own key and keys registered with it
    with _client(stripe_server, key) as client:
        assert client.request("GET", "/v1/customers").status == 200
        stripe_server.revoke_key(key)
        with pytest.raises(AuthenticationError) as caught:
            client.request("GET", "/v1/customers")
    assert caught.value.http_status == 401 and caught.value.attempts == 1
    _assert_secret_free(caught.value, key)


def test_restricted_key_names_missing_permission(stripe_server: Any) -> None:
    key = "rk_test_customersOnly0000000000000003"
    stripe_server.add_restricted_key(key, ["rak_customer_read"])
    with _client(stripe_server, key) as client, pytest.raises(StripePermissionError) as caught:
        client.request("GET", "/v1/subscriptions")
    assert caught.value.http_status == 403 and caught.value.required_permission == "rak_subscription_read"
    _assert_secret_free(caught.value, key)


def test_declined_card_is_card_error(stripe_server: Any) -> None:
    with _client(stripe_server) as client:
        customer = client.request("POST", "/v1/customers", {"email": "d@example.com"}).data["id"]
        with pytest.raises(CardError) as caught:
            client.request("POST", "/v1/payment_methods/pm_card_visa_chargeDeclined/attach", {"customer": customer})
    assert caught.value.http_status == 402 and caught.value.code == "card_declined"


def test_idempotency_key_reused_with_other_params(stripe_server: Any) -> None:
    with _client(stripe_server) as client:
        first = client.request("POST", "/v1/customers", {"email": "a@example.com"}, idempotency_key="idem-1")
        replay = client.request("POST", "/v1/customers", {"email": "a@example.com"}, idempotency_key="idem-1")
        with pytest.raises(IdempotencyError) as caught:
            client.request("POST", "/v1/customers", {"email": "b@example.com"}, idempotency_key="idem-1")
    assert replay.idempotent_replayed and replay.data["id"] == first.data["id"]
    assert caught.value.http_status == 400 and caught.value.type == "idempotency_error"


def test_500s_retried_until_exhausted(stripe_server: Any) -> None:
    stripe_server.script([{"status": 500}] * 3)
    with _client(stripe_server, retry=_retry(max_retries=2)) as client, pytest.raises(APIError) as caught:
        client.request("GET", "/v1/customers")
    error = caught.value
    assert error.http_status == 500 and error.attempts == 3 and len(stripe_server.requests()) == 3
    assert f"request {error.request_id}" in str(error) and "gave up after 3 attempts" in str(error)


def test_should_retry_false_stops_retries(stripe_server: Any) -> None:
    stripe_server.script([{"status": 500, "headers": {"Stripe-Should-Retry": "false"}}, {"status": 200}])
    with _client(stripe_server) as client, pytest.raises(APIError) as caught:
        client.request("GET", "/v1/customers")
    assert caught.value.attempts == 1 and caught.value.stripe_should_retry is False
    assert len(stripe_server.requests()) == 1


def test_429_is_retried_after_backoff(stripe_server: Any) -> None:
    stripe_server.script([{"status": 429}, {"status": 429}])
    retry = _retry(base_delay=0.05, max_delay=0.2)
    start = time.monotonic()
    with _client(stripe_server, retry=retry) as client:
        response = client.request("GET", "/v1/customers")
    assert response.status == 200 and len(stripe_server.requests()) == 3
    assert time.monotonic() - start >= 0.025 + 0.05  # two jittered backoffs (>= 50% of 0.05 and 0.1)


def test_429_surfaces_as_rate_limit_error(stripe_server: Any) -> None:
    stripe_server.configure(rate_limit_burst=5)
    with _client(stripe_server, retry=_retry(max_retries=1)) as client, pytest.raises(RateLimitError) as caught:
        client.request("GET", "/v1/customers")
    assert caught.value.http_status == 429 and caught.value.attempts == 2
    assert caught.value.rate_limited_reason


def test_dropped_connection_retried_with_same_key_creates_one_object(stripe_server: Any) -> None:
    stripe_server.script([{"drop": True, "forward": True}])
    with _client(stripe_server) as client:
        response = client.request("POST", "/v1/customers", {"email": "once@example.com"})
        listed = list(client.iter_objects("/v1/customers"))
    posts = [r for r in stripe_server.requests() if r["method"] == "POST"]
    assert len(posts) == 2 and posts[0]["headers"]["Idempotency-Key"] == posts[1]["headers"]["Idempotency-Key"]
    assert response.idempotent_replayed
    assert [c["id"] for c in listed] == [response.data["id"]]


def test_connection_refused_is_api_connection_error() -> None:
    with socket_port() as port:
        client = StripeClient(
            DirectBackend("sk_test_refused00000000000000000004", f"http://127.0.0.1:{port}"),
            rate_limiter=FAST,
            retry=_retry(max_retries=2),
        )
        with client, pytest.raises(APIConnectionError) as caught:
            client.request("GET", "/v1/customers")
    assert caught.value.attempts == 3 and "gave up after 3 attempts" in str(caught.value)
    _assert_secret_free(caught.value, "sk_test_refused00000000000000000004")


class socket_port:
    """A loopback port nobody listens on (bound, never listening, so connects are refused)."""

    def __enter__(self) -> int:
        import socket

        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        return self._sock.getsockname()[1]

    def __exit__(self, *exc_info: object) -> None:
        self._sock.close()


def test_rate_limiter_holds_rate_under_200_concurrent_calls(stripe_server: Any) -> None:
    rate = 100.0
    stripe_server.configure(rate_limit=rate)  # the server's own limiter: 100/s, burst 100

    async def run() -> float:
        bucket = TokenBucket(rate, burst=1)
        client = AsyncStripeClient(
            DirectBackend(stripe_server.key, stripe_server.url), rate_limiter=bucket, retry=_retry(max_retries=0)
        )
        async with client:
            start = time.monotonic()
            await asyncio.gather(*(client.request("GET", "/v1/balance") for _ in range(200)))
            return time.monotonic() - start

    elapsed = asyncio.run(run())
    assert elapsed >= 199 / rate * 0.95  # never faster than the configured rate
    assert elapsed < 30  # generous on a noisy machine
    assert stripe_server.stats()["rate_limited"] == 0


@pytest.mark.slow
def test_pagination_returns_each_of_1000_objects_once(stripe_server: Any) -> None:
    async def create_all() -> set[str]:
        backend = DirectBackend(stripe_server.key, stripe_server.url)
        client = AsyncStripeClient(backend, rate_limiter=FAST, retry=_retry())
        async with client:
            semaphore = asyncio.Semaphore(20)

            async def create(i: int) -> str:
                async with semaphore:
                    response = await client.request("POST", "/v1/customers", {"email": f"c{i}@example.com"})
                    return response.data["id"]

            ids = await asyncio.gather(*(create(i) for i in range(1050)))
            walked = [c["id"] async for c in client.iter_objects("/v1/customers")]
            assert sorted(walked) == sorted(ids)
            capped = [c["id"] async for c in client.iter_objects("/v1/customers", {"limit": 40}, max_objects=90)]
            assert len(capped) == 90 == len(set(capped))
            return set(ids)

    created = asyncio.run(create_all())
    assert len(created) == 1050
    with _client(stripe_server) as client:
        pages = list(client.iter_pages("/v1/customers", {"limit": 100}))
        seen = [c["id"] for page in pages for c in page.data["data"]]
    assert len(pages) == 11 and len(seen) == len(set(seen)) == 1050 and set(seen) == created
    list_requests = [r for r in stripe_server.requests() if r["method"] == "GET"][-11:]
    assert all(r["query"]["limit"] == "100" for r in list_requests)
    assert "starting_after" not in list_requests[0]["query"]
    assert all(r["query"]["starting_after"] for r in list_requests[1:])


def test_every_error_is_secret_free_and_a_stripe_error(stripe_server: Any) -> None:
    key = stripe_server.key
    errors: list[StripeError] = []
    with _client(stripe_server, retry=_retry(max_retries=1)) as client:
        for method, path, params in [
            ("GET", "/v1/customers/cus_nope", None),
            ("GET", "/v1/customers", {"limit": 0}),
            ("POST", "/v1/customers", {"unknown_param_xyz": key}),
        ]:
            try:
                client.request(method, path, params)
            except StripeError as error:
                errors.append(error)
        stripe_server.script([{"status": 500}, {"status": 500}])
        try:
            client.request("GET", "/v1/customers")
        except StripeError as error:
            errors.append(error)
    assert len(errors) == 4
    for error in errors:
        _assert_secret_free(error, key)
    assert key not in repr(client) and key not in str(client.backend)
