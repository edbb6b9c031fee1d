"""ParagonBackend over real HTTP: client → Paragon proxy double → local Stripe sandbox."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web

from paragon_magic.client import (
    CardError,
    InvalidRequestError,
    ParagonBackend,
    ParagonProxyError,
    RetryPolicy,
    StripeClient,
    TokenBucket,
)
from paragon_magic.sandbox.paragon_double import ParagonDouble, ParagonDoubleServer, ThreadedAppServer


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


class ScriptedProxy:
    """A stand-in proxy answering each request with the next scripted (status, body): envelopes the
    double does not produce (extra keys beside ``output``, a Stripe body as JSON text, …)."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, Any]] = []
        self.seen: list[dict[str, str]] = []

    def make_app(self) -> web.Application:
        async def handle(request: web.Request) -> web.Response:
            self.seen.append(dict(request.headers))
            status, body = self.answers.pop(0)
            return web.json_response(body, status=status, headers={"Request-Id": "req_scripted"})

        app = web.Application()
        app.router.add_route("*", "/{path:.*}", handle)
        return app


@pytest.fixture
def scripted() -> Iterator[tuple[ScriptedProxy, str]]:
    proxy = ScriptedProxy()
    with ThreadedAppServer(proxy.make_app) as server:
        yield proxy, server.url


def _scripted_client(url: str, **backend_options: Any) -> StripeClient:
    return StripeClient(ParagonBackend("eyJ.scripted.token", "proj", base_url=url, **backend_options),
                        retry=RetryPolicy(max_retries=0), timeout=10.0)


def test_any_body_with_output_is_unwrapped_and_teaches_the_mode(scripted: Any) -> None:
    proxy, url = scripted
    proxy.answers = [
        (200, {"output": {"id": "cus_1", "object": "customer", "livemode": False}, "meta": {"x": 1}}),
        (200, {"output": {"object": "list", "data": [{"id": "cus_2", "livemode": True}]}, "status": 200}),
        (200, {"id": "cus_3", "object": "customer"}),  # raw (X-Paragon-Use-Raw-Response): taken as is
    ]
    with _scripted_client(url, credential_id="cred-9") as client:
        assert client.backend.mode == "unknown"
        assert client.request("GET", "/v1/customers/cus_1").data["id"] == "cus_1"
        assert client.backend.mode == "test"
        assert client.request("GET", "/v1/customers").data["data"][0]["id"] == "cus_2"
        assert client.backend.mode == "live" and client.backend.previous_mode() == "test"
        assert client.request("GET", "/v1/customers/cus_3").data["id"] == "cus_3"
        with client.backend.selecting("cred-other"):
            assert client.backend.mode == "unknown"  # another credential: nothing learned yet
    assert [seen.get("X-Paragon-Credential") for seen in proxy.seen] == ["cred-9"] * 3


@pytest.mark.parametrize("status, body, http_status", [
    (400, {"message": "failed", "code": "X", "status": 402, "meta": {"isIntegrationError": True,
           "response": {"statusCode": 402, "data": {"error": {"type": "card_error", "code": "card_declined",
                                                             "message": "Your card was declined."}}}}}, 402),
    (500, {"message": json.dumps({"error": {"type": "card_error", "code": "card_declined",
                                            "message": "Your card was declined."}}), "code": "X", "status": 402}, 402),
    (402, {"output": {"error": {"type": "card_error", "code": "card_declined", "message": "Your card was declined."}},
           "meta": {"isIntegrationError": True}}, 402),
])
def test_a_stripe_error_in_any_wrapping_is_typed(scripted: Any, status: int, body: Any, http_status: int) -> None:
    proxy, url = scripted
    proxy.answers = [(status, body)]
    with _scripted_client(url) as client, pytest.raises(CardError) as info:
        client.request("POST", "/v1/payment_intents", {"amount": 100})
    assert info.value.code == "card_declined" and info.value.http_status == http_status
    assert str(info.value).startswith("Your card was declined.")


def test_paragon_errors_keep_paragons_message_and_code(scripted: Any) -> None:
    proxy, url = scripted
    proxy.answers = [
        (429, {"message": "Too many requests for this user.", "code": "RATE_LIMITED", "status": 429, "meta": {}}),
        (502, {"message": "Upstream timed out.", "code": "UPSTREAM", "status": 502,
               "meta": {"isIntegrationError": True}}),
    ]
    with _scripted_client(url) as client:
        with pytest.raises(ParagonProxyError) as paragon:
            client.request("GET", "/v1/customers")
        with pytest.raises(ParagonProxyError) as integration:
            client.request("GET", "/v1/customers")
    assert str(paragon.value).startswith("Paragon proxy error (HTTP 429): Too many requests")
    assert "(RATE_LIMITED" in str(paragon.value)
    assert paragon.value.code == "RATE_LIMITED"
    assert str(integration.value).startswith("Paragon reports an integration error (HTTP 502): Upstream")
    assert integration.value.meta == {"isIntegrationError": True}
