"""ParagonBackend over real HTTP: client → Paragon proxy double → local Stripe sandbox."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from typing import Any

import pytest

from paragon_magic.client import (
    InvalidRequestError,
    ParagonBackend,
    ParagonProxyError,
    RetryPolicy,
    StripeClient,
    TokenBucket,
)
from paragon_magic.sandbox.paragon_double import ParagonDouble, ParagonDoubleServer


@pytest.fixture
def proxy(stripe_server: Any) -> Iterator[ParagonDoubleServer]:
    double = ParagonDouble.with_new_key(stripe_server.url, {"user-1": stripe_server.key})
    with ParagonDoubleServer(double) as server:
        yield server


def _client(proxy: ParagonDoubleServer, user: str) -> StripeClient:
    token = proxy.double.mint_token(user)
    return StripeClient(
        ParagonBackend(token, proxy.double.project_id, base_url=proxy.url),
        rate_limiter=TokenBucket(math.inf),
        retry=RetryPolicy(base_delay=0.01, max_delay=0.05, rng=random.Random(5)),
        timeout=10.0,
    )


def test_unwraps_output_pages_and_surfaces_stripe_errors(proxy: ParagonDoubleServer, stripe_server: Any) -> None:
    with _client(proxy, "user-1") as client:
        created = [
            client.request("POST", "/v1/customers", {"email": f"p{i}@example.com", "metadata": {"i": i}}).data
            for i in range(7)
        ]
        walked = list(client.iter_objects("/v1/customers", {"limit": 3}))
        with pytest.raises(InvalidRequestError) as caught:
            client.request("GET", "/v1/customers/cus_absent")
    assert created[3]["metadata"] == {"i": "3"} and created[0]["object"] == "customer"
    assert sorted(c["id"] for c in walked) == sorted(c["id"] for c in created)
    assert not isinstance(caught.value, ParagonProxyError)
    assert caught.value.code == "resource_missing" and caught.value.request_id


def test_retry_through_the_proxy_keeps_the_idempotency_key(proxy: ParagonDoubleServer, stripe_server: Any) -> None:
    stripe_server.script([{"status": 500}])
    with _client(proxy, "user-1") as client:
        response = client.request("POST", "/v1/customers", {"email": "r@example.com"})
    posts = [r for r in stripe_server.requests() if r["method"] == "POST"]
    assert response.data["email"] == "r@example.com" and len(posts) == 2
    assert posts[0]["headers"]["Idempotency-Key"] == posts[1]["headers"]["Idempotency-Key"]


def test_user_without_stripe_gets_a_clear_proxy_error(proxy: ParagonDoubleServer) -> None:
    token = proxy.double.mint_token("user-2")
    with _client(proxy, "user-2") as client, pytest.raises(ParagonProxyError) as caught:
        client.request("GET", "/v1/customers")
    message = str(caught.value)
    assert message.startswith(f"Stripe is not connected for user user-2 in project {proxy.double.project_id}")
    assert caught.value.attempts == 1 and caught.value.http_status == 400
    assert token not in message and token not in repr(caught.value)
