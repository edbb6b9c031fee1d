"""The client's default pacing, counted at the server: a test key sends at most 25 requests in any
one-second window, a live key at most 100, and a partitioned listing's windows and plain requests
made meanwhile share that one budget.

Real HTTP against the local sandbox, which stamps each request's arrival in its request log. Every
request the server received is counted in exact sliding one-second windows, the limit Stripe applies (a
0.9 s window passed a pacer about 9% too fast, 27 req/s for 25; ``test_the_count_catches_a_pacer_a_little_too_fast``
shows the count now fails such a pacer). The count is of the server's arrival stamps whenever the run's
transit jitter (the spread of arrival minus send time, both on the machine's one monotonic clock) is within
the pacer's margin; on a loaded machine, where it is not, the same requests are counted at the time the client
sent them (the jitter is the machine's, not the pacer's). The only lower bound (a live key goes faster than
25/s) has a wide margin.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx

import pytest
from rate_helpers import most_in_any_window

from paragon_magic.client import DirectBackend, WindowPacer
from paragon_magic.connection import build_client
from paragon_magic.listing.partitioned import PartitionTuning, list_partitioned
from paragon_magic.sandbox import LocalStripe

LIVE_KEY = "sk_live_" + "pacing0000000000000000000"
WINDOW = 1.0  # Stripe's limit: requests in any sliding one-second window, counted at the server
MARGIN = 0.02  # the pacer's (client/ratelimit.py): the transit jitter its spacing absorbs


@pytest.fixture
def send_times(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, float]]:
    """When the client sent each request (``time.monotonic()``, keyed by the Request-Id the server gave it):
    the real httpx clients, wrapped to note the time."""
    sent: dict[str, float] = {}
    sync_send, async_send = httpx.Client.send, httpx.AsyncClient.send

    def noted_sync(self: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        started = time.monotonic()
        response = sync_send(self, request, **kwargs)
        sent[response.headers.get("Request-Id", "")] = started
        return response

    async def noted_async(self: httpx.AsyncClient, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        started = time.monotonic()
        response = await async_send(self, request, **kwargs)
        sent[response.headers.get("Request-Id", "")] = started
        return response

    monkeypatch.setattr(httpx.Client, "send", noted_sync)
    monkeypatch.setattr(httpx.AsyncClient, "send", noted_async)
    yield sent


def most_per_second(log: list[dict[str, Any]], sent: dict[str, float]) -> int:
    """The most requests in any one-second window: at the server's arrival stamps when the transit jitter
    allows it (see the module docstring), else at the client's send times of the same requests."""
    assert all(e["request_id"] in sent for e in log)  # every request the server saw went through a client
    delays = [e["received"] - sent[e["request_id"]] for e in log]
    if max(delays) - min(delays) <= MARGIN:
        return most_in_any_window([e["received"] for e in log], WINDOW)
    return most_in_any_window([sent[e["request_id"]] for e in log], WINDOW)
START = 1_672_531_200  # 2023-01-01


def _seed_customers(server: LocalStripe, count: int) -> None:
    """``count`` customers spread over a year (created with an unlimited client, before any counting)."""
    client = build_client(DirectBackend(server.key, base_url=server.url), rate_limit=10_000)
    with client:
        ids = [client.request("POST", "/v1/customers", {"email": f"p{i}@example.com"}).data["id"]
               for i in range(count)]
    rng = random.Random(4)
    server.backdate({i: START + rng.randrange(365 * 86_400) for i in ids})


def _listing_and_requests(server: LocalStripe, key: str, plain_requests: int,
                          rate_limit: float | None = None) -> tuple[list[dict[str, Any]], int]:
    """A partitioned listing (20-object pages, small windows) while two threads send plain requests
    through the same client; returns the server's log of it all and the rows listed."""
    server.add_secret_key(key)  # the sandbox accepts only its own key and the keys registered with it
    client = build_client(DirectBackend(key, base_url=server.url, allow_live_on_custom_base=True),  # the sandbox
                          rate_limit=rate_limit)
    before = len(server.requests())

    def plain() -> None:
        for _ in range(plain_requests // 2):
            client.request("GET", "/v1/account")

    threads = [threading.Thread(target=plain) for _ in range(2)]
    with client:
        for thread in threads:
            thread.start()
        frame, outcome = list_partitioned(
            client, "/v1/customers", {}, object_type="customer", limit=None, page_size=20, progress=False,
            tuning=PartitionTuning(window_pages=2, max_split=8, concurrency=8))
        for thread in threads:
            thread.join()
    assert outcome.complete and frame["id"].is_unique
    return server.requests()[before:], len(frame)


@pytest.fixture(scope="module")
def customers(local_stripe: LocalStripe) -> int:
    local_stripe.reset()
    _seed_customers(local_stripe, 300)
    return 300


def test_a_test_key_is_paced_at_25_requests_in_any_second(local_stripe: LocalStripe, customers: int,
                                                           send_times: dict[str, float]) -> None:
    assert WindowPacer.for_mode("test").rate == 25
    log, rows = _listing_and_requests(local_stripe, local_stripe.key, plain_requests=50)
    assert rows == customers
    listing = [e for e in log if e["path"] == "/v1/customers"]
    assert len(listing) >= 15 and len(log) - len(listing) == 50  # both kinds of traffic really ran
    assert {e["status"] for e in log} == {200}  # nothing was throttled by the server (it has no limit here)
    assert len(log) >= 65
    assert most_per_second(log, send_times) <= 25


def test_the_count_catches_a_pacer_a_little_too_fast(local_stripe: LocalStripe, customers: int,
                                                     send_times: dict[str, float]) -> None:
    """27 requests a second (8% over a test key's 25) shows up as more than 25 in some one-second window."""
    log, rows = _listing_and_requests(local_stripe, local_stripe.key, plain_requests=50, rate_limit=27)
    assert rows == customers and len(log) >= 65
    assert most_per_second(log, send_times) > 25


def test_a_live_key_is_paced_at_100_requests_in_any_second(local_stripe: LocalStripe, customers: int,
                                                           send_times: dict[str, float]) -> None:
    assert WindowPacer.for_mode("live").rate == 100
    log, rows = _listing_and_requests(local_stripe, LIVE_KEY, plain_requests=240)
    assert rows == customers
    assert {e["status"] for e in log} == {200} and len(log) >= 255
    assert most_per_second(log, send_times) <= 100
    assert most_in_any_window([e["received"] for e in log], WINDOW) > 25  # faster than a test key may go


def test_a_429_about_the_rate_slows_the_client_down(local_stripe: LocalStripe) -> None:
    stripe_server = local_stripe  # not emptied: the other tests' customers stay
    stripe_server.configure()  # but no fault an earlier test may have left on (a rate limit, stalls)
    before = len(stripe_server.requests())
    client = build_client(DirectBackend(stripe_server.key, base_url=stripe_server.url))
    client.retry.base_delay = 0.01
    pacer = client.rate_limiter
    assert isinstance(pacer, WindowPacer)
    lock_timeout = {"error": {"type": "invalid_request_error", "code": "lock_timeout",
                              "message": "This object cannot be accessed right now."}}
    with client:
        stripe_server.script([{"status": 429, "body": lock_timeout}])  # a busy object, not the rate
        assert client.request("GET", "/v1/account").status == 200
        assert pacer.cuts == 0 and pacer.current_rate() == 25
        stripe_server.script([{"status": 429, "headers": {"Stripe-Rate-Limited-Reason": "global-rate"}}])
        assert client.request("GET", "/v1/account").status == 200  # retried
    assert pacer.cuts == 1 and pacer.current_rate() < 25
    assert [e["status"] for e in stripe_server.requests()[before:]] == [429, 200, 429, 200]
