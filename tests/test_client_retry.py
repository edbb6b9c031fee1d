"""Retry decisions, backoff bounds and the retry loop (MockTransport, injected sleep: no real waiting)."""

from __future__ import annotations

import asyncio
import math
import random

import httpx
import pytest

from paragon_magic.client import (
    APIConnectionError,
    APIError,
    AsyncStripeClient,
    DirectBackend,
    InvalidRequestError,
    RateLimitError,
    RetryPolicy,
    StripeClient,
    TokenBucket,
)

KEY = "sk_test_unit0000000000000000000abcd"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


def _policy(clock: FakeClock, **options: float) -> RetryPolicy:
    return RetryPolicy(
        rng=random.Random(7), sleep=clock.sleep, async_sleep=clock.async_sleep, clock=clock, **options
    )


def _err(status: int, should_retry: bool | None = None) -> APIError:
    return APIError("x", http_status=status, stripe_should_retry=should_retry)


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (APIConnectionError("reset"), True),
        (_err(409), True),
        (RateLimitError("slow", http_status=429), True),
        (_err(500), True),
        (_err(503), True),
        (InvalidRequestError("bad", http_status=400), False),
        (InvalidRequestError("gone", http_status=404), False),
        (_err(500, should_retry=False), False),
        (InvalidRequestError("bad", http_status=400, stripe_should_retry=True), True),
        (APIConnectionError("x", stripe_should_retry=False), False),
    ],
)
def test_is_retryable(error: Exception, retryable: bool) -> None:
    assert RetryPolicy().is_retryable(error) is retryable


def test_backoff_bounds() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=5.0, rng=random.Random(1))
    for retry_number in range(1, 10):
        ceiling = min(0.5 * 2 ** (retry_number - 1), 5.0)
        delays = [policy.backoff(retry_number) for _ in range(200)]
        assert all(ceiling * 0.5 <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > ceiling * 0.3  # really jittered


def test_budget_limits() -> None:
    policy = RetryPolicy(max_retries=2, max_elapsed=10.0, rng=random.Random(3))
    assert policy.next_delay(_err(500), attempts_made=1, elapsed=0.0) is not None
    assert policy.next_delay(_err(500), attempts_made=2, elapsed=0.0) is not None
    assert policy.next_delay(_err(500), attempts_made=3, elapsed=0.0) is None
    assert policy.next_delay(_err(500), attempts_made=1, elapsed=9.9) is None


def _scripted(statuses: list[int | Exception], seen: list[httpx.Request]) -> httpx.MockTransport:
    script = iter(statuses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        outcome = next(script)
        if isinstance(outcome, Exception):
            raise outcome
        if outcome >= 400:
            body = {"error": {"type": "api_error", "message": f"status {outcome}"}}
        else:
            body = {"id": "cus_1", "object": "customer"}
        return httpx.Response(outcome, json=body, headers={"Request-Id": f"req_{len(seen)}"})

    return httpx.MockTransport(handler)


def _client(transport: httpx.MockTransport, clock: FakeClock, **options: float) -> StripeClient:
    return StripeClient(
        DirectBackend(KEY, "https://stripe.test"),
        retry=_policy(clock, **options),
        rate_limiter=TokenBucket(math.inf),
        transport=transport,
    )


def test_retries_reuse_one_idempotency_key() -> None:
    clock, seen = FakeClock(), []
    transport = _scripted([httpx.ConnectError("refused"), 500, 429, 409, 200], seen)
    with _client(transport, clock) as client:
        response = client.request("POST", "/v1/customers", {"email": "a@b.c"})
    assert response.data["id"] == "cus_1" and response.request_id == "req_5"
    keys = {r.headers["Idempotency-Key"] for r in seen}
    assert len(seen) == 5 and len(keys) == 1
    assert all(r.content == b"email=a%40b.c" for r in seen)
    assert len(clock.sleeps) == 4
    for n, delay in enumerate(clock.sleeps, start=1):
        assert 0.5 * min(0.5 * 2 ** (n - 1), 5.0) <= delay <= min(0.5 * 2 ** (n - 1), 5.0)


def test_exhausted_retries_name_request_and_attempts() -> None:
    clock, seen = FakeClock(), []
    with _client(_scripted([500] * 5, seen), clock, max_retries=4) as client:
        with pytest.raises(APIError) as caught:
            client.request("GET", "/v1/customers")
    assert len(seen) == 5 and caught.value.attempts == 5
    assert str(caught.value) == "status 500 (request req_5, gave up after 5 attempts)"


def test_non_retryable_error_raises_at_once() -> None:
    clock, seen = FakeClock(), []
    with _client(_scripted([404], seen), clock) as client:
        with pytest.raises(InvalidRequestError):
            client.request("GET", "/v1/customers/cus_x")
    assert len(seen) == 1 and clock.sleeps == []


def test_max_elapsed_stops_retrying() -> None:
    clock, seen = FakeClock(), []
    with _client(_scripted([500] * 10, seen), clock, max_retries=10, max_elapsed=2.0) as client:
        with pytest.raises(APIError) as caught:
            client.request("GET", "/v1/customers")
    assert sum(clock.sleeps) <= 2.0 and caught.value.attempts == len(seen) < 10


def test_connection_error_message_has_no_secret_and_chains_cause() -> None:
    clock, seen = FakeClock(), []
    failures: list[int | Exception] = [httpx.ConnectError(f"refused {KEY}")] * 3
    with _client(_scripted(failures, seen), clock, max_retries=2) as client:
        with pytest.raises(APIConnectionError) as caught:
            client.request("GET", "/v1/customers")
    text = str(caught.value)
    assert KEY not in text and "https://stripe.test" in text and "gave up after 3 attempts" in text
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


def test_async_client_retries_with_same_key() -> None:
    clock, seen = FakeClock(), []
    script = iter([httpx.ReadTimeout("slow"), 503, 200])

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        outcome = next(script)
        if isinstance(outcome, Exception):
            raise outcome
        return httpx.Response(outcome, json={"id": "cus_9"} if outcome == 200 else {"error": {"message": "x"}})

    async def run() -> dict:
        client = AsyncStripeClient(
            DirectBackend(KEY, "https://stripe.test"),
            retry=_policy(clock),
            rate_limiter=TokenBucket(math.inf),
            transport=httpx.MockTransport(handler),
        )
        async with client:
            return (await client.request("POST", "/v1/customers", idempotency_key="my-key")).data

    assert asyncio.run(run()) == {"id": "cus_9"}
    assert [r.headers["Idempotency-Key"] for r in seen] == ["my-key"] * 3
    assert len(clock.sleeps) == 2
