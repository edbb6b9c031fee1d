"""Front layer idempotency and injected faults over real HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from paragon_magic.sandbox import LocalStripe


@pytest.fixture
def api(stripe_server: LocalStripe) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {stripe_server.key}"}
    with httpx.Client(base_url=stripe_server.url, headers=headers, timeout=30) as client:
        yield client


def _customer_ids(api: httpx.Client) -> list[str]:
    return [c["id"] for c in api.get("/v1/customers", params={"limit": 100}).json()["data"]]


def test_idempotent_replay_and_param_mismatch(stripe_server: LocalStripe, api: httpx.Client) -> None:
    headers = {"Idempotency-Key": "idem-a"}
    first = api.post("/v1/customers", data={"email": "a@x.com"}, headers=headers)
    replay = api.post("/v1/customers", data={"email": "a@x.com"}, headers=headers)
    assert replay.status_code == first.status_code == 200 and replay.content == first.content
    assert replay.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert replay.headers["Original-Request"] == first.headers["Request-Id"]
    other = api.post("/v1/customers", data={"email": "b@x.com"}, headers=headers)
    assert other.status_code == 400 and other.json()["error"]["type"] == "idempotency_error"
    assert _customer_ids(api) == [first.json()["id"]]
    # Keys are scoped per API key, and GETs ignore them.
    stripe_server.add_secret_key("sk_test_anotherKey1234")
    elsewhere = httpx.post(f"{stripe_server.url}/v1/customers", data={"email": "a@x.com"},
                           headers={**headers, "Authorization": "Bearer sk_test_anotherKey1234"})  # fmt: skip
    assert "Idempotent-Replayed" not in elsewhere.headers and elsewhere.json()["id"] != first.json()["id"]
    assert stripe_server.stats()["replays"] == 1


def test_error_responses_are_replayed_too(api: httpx.Client) -> None:
    headers = {"Idempotency-Key": "idem-err"}
    first = api.post("/v1/subscriptions", data={"customer": "cus_none", "items[0][plan]": "p"}, headers=headers)
    again = api.post("/v1/subscriptions", data={"customer": "cus_none", "items[0][plan]": "p"}, headers=headers)
    assert first.status_code == again.status_code == 404 and again.headers["Idempotent-Replayed"] == "true"


def test_concurrent_request_with_key_in_flight_is_409(stripe_server: LocalStripe, api: httpx.Client) -> None:
    stripe_server.configure(latency=2.0)
    headers = {"Idempotency-Key": "idem-busy"}
    results: dict[str, httpx.Response] = {}
    slow = threading.Thread(target=lambda: results.update(first=api.post("/v1/customers", data={}, headers=headers)))
    slow.start()
    deadline = time.monotonic() + 20
    while not stripe_server.requests() and time.monotonic() < deadline:
        time.sleep(0.02)  # wait until the first request has reached the server (polling, not a fixed wait)
    busy = httpx.post(f"{stripe_server.url}/v1/customers", data={}, headers={**api.headers, **headers}, timeout=30)
    slow.join(30)
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "idempotency_key_in_use"
    assert results["first"].status_code == 200


def test_drop_after_forwarding_then_retry_replays_one_object(stripe_server: LocalStripe, api: httpx.Client) -> None:
    stripe_server.script([{"drop": True, "forward": True}])
    headers = {"Idempotency-Key": "idem-drop"}
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("/v1/customers", data={"email": "once@x.com"}, headers=headers)
    retry = api.post("/v1/customers", data={"email": "once@x.com"}, headers=headers)
    assert retry.status_code == 200 and retry.headers["Idempotent-Replayed"] == "true"
    assert _customer_ids(api) == [retry.json()["id"]]
    assert stripe_server.stats()["drops"] == 1
    assert [r["status"] for r in stripe_server.requests()] == ["dropped", 200, 200]


def test_drop_before_forwarding_creates_nothing(stripe_server: LocalStripe, api: httpx.Client) -> None:
    stripe_server.script([{"drop": True}])
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("/v1/customers", data={})
    assert _customer_ids(api) == []


def test_scripted_responses_are_consumed_in_order(stripe_server: LocalStripe, api: httpx.Client) -> None:
    stripe_server.script([
        {"status": 500, "headers": {"Stripe-Should-Retry": "false"}},
        {"status": 429, "headers": {"Stripe-Rate-Limited-Reason": "endpoint-rate"}},
        {"status": 200, "body": {"object": "list", "data": [], "has_more": False}},
    ])  # fmt: skip
    first, second, third, fourth = (api.get("/v1/customers") for _ in range(4))
    assert first.status_code == 500 and first.headers["Stripe-Should-Retry"] == "false"
    assert first.json()["error"]["type"] == "api_error" and first.headers["Request-Id"].startswith("req_")
    assert second.status_code == 429 and second.headers["Stripe-Rate-Limited-Reason"] == "endpoint-rate"
    assert third.json() == {"object": "list", "data": [], "has_more": False}
    assert fourth.status_code == 200 and fourth.json()["url"] == "/v1/customers"


def test_error_rate_injects_api_errors_deterministically(stripe_server: LocalStripe, api: httpx.Client) -> None:
    def statuses() -> list[int]:
        return [api.get("/v1/balance").status_code for _ in range(40)]

    stripe_server.configure(error_rate=0.5, seed=7)
    first = statuses()
    stripe_server.configure(error_rate=0.5, seed=7)
    assert statuses() == first and set(first) == {200, 500}
    stripe_server.configure(error_rate=1.0)
    error = api.get("/v1/balance")
    assert error.status_code == 500 and error.json()["error"]["type"] == "api_error"


def test_drop_rate_drops_before_and_after(stripe_server: LocalStripe, api: httpx.Client) -> None:
    stripe_server.configure(drop_rate=1.0, drop_after_ratio=0.5, seed=3)
    dropped = 0
    for i in range(20):
        try:
            api.post("/v1/customers", data={"email": f"{i}@x.com"})
        except httpx.RemoteProtocolError:
            dropped += 1
    stripe_server.configure()
    created = len(_customer_ids(api))
    assert dropped == 20 and 0 < created < 20  # some executed before the connection was dropped


def test_stall_makes_clients_time_out(stripe_server: LocalStripe) -> None:
    stripe_server.configure(stall_rate=1.0, stall_seconds=3.0)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{stripe_server.url}/v1/balance", headers={"Authorization": f"Bearer {stripe_server.key}"}, timeout=0.5)  # fmt: skip
    assert stripe_server.stats()["stalls"] == 1


def test_latency_delays_answers(stripe_server: LocalStripe, api: httpx.Client) -> None:
    stripe_server.configure(latency=0.3)
    start = time.monotonic()
    assert api.get("/v1/balance").status_code == 200
    assert time.monotonic() - start >= 0.3


def test_rate_limit_burst_and_token_bucket(stripe_server: LocalStripe, api: httpx.Client) -> None:
    stripe_server.configure(rate_limit_burst=2)
    codes = [api.get("/v1/balance") for _ in range(3)]
    assert [r.status_code for r in codes] == [429, 429, 200]
    error = codes[0].json()["error"]
    assert error["code"] == "rate_limit" and codes[0].headers["Stripe-Rate-Limited-Reason"] == "global-rate"
    stripe_server.configure(rate_limit=5)
    statuses = [api.get("/v1/balance").status_code for _ in range(30)]
    assert statuses.count(200) >= 5 and statuses.count(429) >= 10
    stripe_server.add_secret_key("sk_test_separateBucket1234")
    other_key = {"Authorization": "Bearer sk_test_separateBucket1234"}
    assert httpx.get(f"{stripe_server.url}/v1/balance", headers=other_key).status_code == 200  # own bucket
    assert stripe_server.stats()["rate_limited"] == 2 + statuses.count(429)


def test_bad_fault_config_is_rejected(stripe_server: LocalStripe) -> None:
    with pytest.raises(ValueError):
        stripe_server.configure(error_rate=2.0)
    reply = httpx.post(f"{stripe_server.url}/_sandbox/config", json={"explode": True},
                       headers=stripe_server.control_headers)
    assert reply.status_code == 400
