"""Retry decisions over real HTTP: 409s, ``Stripe-Should-Retry`` against the status, idempotent POSTs.

The unit tests in test_client_retry.py check the decision table with a MockTransport; these send the
same situations through the sandbox (scripted responses and its real idempotency layer) and count
what reached the server.
"""

from __future__ import annotations

import math
import random
import threading
from typing import Any

import pytest

from paragon_magic.client import (
    APIError,
    DirectBackend,
    InvalidRequestError,
    RetryPolicy,
    StripeClient,
    TokenBucket,
)
from paragon_magic.sandbox import LocalStripe


def _client(server: LocalStripe, *, retries: int = 3, max_delay: float = 0.2) -> StripeClient:
    policy = RetryPolicy(max_retries=retries, base_delay=0.05, max_delay=max_delay, rng=random.Random(1))
    return StripeClient(DirectBackend(server.key, base_url=server.url), retry=policy,
                        rate_limiter=TokenBucket(math.inf), timeout=30.0)


def _posts(server: LocalStripe, start: int) -> list[dict[str, Any]]:
    return [r for r in server.requests()[start:] if r["method"] == "POST"]


def _customer_count(client: StripeClient) -> int:
    return len(list(client.iter_objects("/v1/customers", {"limit": 100})))


def test_a_409_is_retried_with_the_same_idempotency_key(stripe_server: LocalStripe) -> None:
    lock_timeout = {"error": {"type": "invalid_request_error", "code": "lock_timeout",
                              "message": "This object cannot be accessed right now because another API request "
                                         "or Stripe process is currently accessing it."}}
    stripe_server.script([{"status": 409, "body": lock_timeout}])
    start = len(stripe_server.requests())
    with _client(stripe_server) as client:
        created = client.request("POST", "/v1/customers", {"email": "retry409@example.com"}).data
        assert _customer_count(client) == 1
    posts = _posts(stripe_server, start)
    assert [p["status"] for p in posts] == [409, 200]
    assert len({p["headers"]["Idempotency-Key"] for p in posts}) == 1
    assert created["email"] == "retry409@example.com"


def test_a_key_in_flight_409_is_retried_until_the_replay(stripe_server: LocalStripe) -> None:
    """Two callers share one Idempotency-Key; the second meets the real 409 ``idempotency_key_in_use``
    while the first is executing (held by latency), retries, and gets the first one's object."""
    stripe_server.configure(latency=0.5)
    results: dict[str, Any] = {}
    start = len(stripe_server.requests())

    def create(name: str) -> None:
        # backoff sums to more than 2 s over 8 retries: longer than the first request holds the key
        with _client(stripe_server, retries=8, max_delay=0.6) as client:
            results[name] = client.request("POST", "/v1/customers", {"email": "shared@example.com"},
                                           idempotency_key="shared-key-1").data

    first = threading.Thread(target=create, args=("first",))
    first.start()
    while not _posts(stripe_server, start):  # the first POST has reached the server and holds the key
        threading.Event().wait(0.01)
    second = threading.Thread(target=create, args=("second",))
    second.start()
    first.join(30)
    second.join(30)
    stripe_server.configure()
    assert results["first"]["id"] == results["second"]["id"]
    statuses = [p["status"] for p in _posts(stripe_server, start)]
    assert 409 in statuses and statuses.count(200) >= 2, statuses
    assert stripe_server.stats()["replays"] >= 1
    with _client(stripe_server) as client:
        assert _customer_count(client) == 1


def test_should_retry_true_overrides_a_400(stripe_server: LocalStripe) -> None:
    stripe_server.script([{"status": 400, "headers": {"Stripe-Should-Retry": "true"}}])
    start = len(stripe_server.requests())
    with _client(stripe_server) as client:
        created = client.request("POST", "/v1/customers", {"email": "override@example.com"}).data
    posts = _posts(stripe_server, start)
    assert [p["status"] for p in posts] == [400, 200] and created["id"].startswith("cus_")


def test_a_plain_400_is_not_retried(stripe_server: LocalStripe) -> None:
    stripe_server.script([{"status": 400}])
    start = len(stripe_server.requests())
    with _client(stripe_server) as client:
        with pytest.raises(InvalidRequestError):
            client.request("POST", "/v1/customers", {"email": "once@example.com"})
        assert _customer_count(client) == 0
    assert [p["status"] for p in _posts(stripe_server, start)] == [400]


def test_should_retry_false_overrides_a_500(stripe_server: LocalStripe) -> None:
    stripe_server.script([{"status": 500, "headers": {"Stripe-Should-Retry": "false"}}])
    start = len(stripe_server.requests())
    with _client(stripe_server) as client:
        with pytest.raises(APIError) as caught:
            client.request("POST", "/v1/customers", {"email": "never@example.com"})
    assert caught.value.stripe_should_retry is False
    assert [p["status"] for p in _posts(stripe_server, start)] == [500]
