"""Reliability under injected faults: real HTTP against the local sandbox with its fault layer on.

The fault mix (seeded): ~10% HTTP 500s, dropped connections (half after the request executed),
stalls longer than the client's 1 s timeout (so a stall is a timeout), and 429s with
``Stripe-Rate-Limited-Reason`` — an opening burst *and* the server's per-key rate limit, set below
what the client sends so the limiter itself answers 429s. Every test asserts that each fault kind
it names happened a meaningful number of times (the sandbox counts them by cause).

Why the counts are deterministic: the fault dice are rolled from one seeded RNG, in arrival order,
only for requests the rate limiter let through, and a listing or create batch needs a fixed number
of successes, so the sequence of injected faults is fixed by the seed whatever the timing; only which
request meets which fault, and how many limiter 429s arrive, vary with timing (the bounds on those
are far below what the configured rates produce).

The 5,000-object dataset is created once per module with the faults off, concurrently.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from paragon_magic.client import (
    APIConnectionError,
    APIError,
    AsyncStripeClient,
    DirectBackend,
    RetryPolicy,
    StripeClient,
    StripeError,
    TokenBucket,
    WindowPacer,
)
from paragon_magic.listing import ListingInterrupted
from paragon_magic.sandbox import LocalStripe
from paragon_magic.session import Session, SessionConfig

pytestmark = pytest.mark.slow

DATASET_SIZE = 5_000
CONCURRENT_CREATES = 1_000
CLIENT_TIMEOUT = 1.0  # shorter than the 3 s stalls: a stall is a read timeout
#: Listing under faults: ~60 requests the limiter lets through (50 pages + retried failures).
LIST_FAULTS: dict[str, Any] = dict(
    error_rate=0.10,
    drop_rate=0.08,
    drop_after_ratio=0.5,
    stall_rate=0.06,
    stall_seconds=1.5,  # > CLIENT_TIMEOUT: a stall is a client timeout
    rate_limit=10.0,  # the client pages far faster than 10/s on loopback: the limiter fires
    rate_limit_burst=3,  # the next 3 requests are 429s, whoever sends them
)
#: Concurrent creates: ~1,250 requests through the limiter; the client sends up to 60/s.
CREATE_FAULTS: dict[str, Any] = dict(
    error_rate=0.10,
    drop_rate=0.05,
    drop_after_ratio=0.5,
    stall_rate=0.02,
    stall_seconds=3.0,
    rate_limit=50.0,
    rate_limit_burst=40,
)
COUNTED = ("injected_errors", "drops", "stalls", "rate_limited_burst", "rate_limited_limiter", "replays")


def _patient_retry(seed: int) -> RetryPolicy:
    """Enough retries that a ~20% per-attempt failure rate never exhausts them (0.2**13 per call)."""
    return RetryPolicy(max_retries=12, max_elapsed=300.0, base_delay=0.05, max_delay=1.0, rng=random.Random(seed))


def _client(
    server: LocalStripe, *, retry: RetryPolicy, transport: httpx.BaseTransport | None = None,
    timeout: float = CLIENT_TIMEOUT, rate_limiter: Any = None,
) -> StripeClient:
    return StripeClient(
        DirectBackend(server.key, base_url=server.url),
        retry=retry, rate_limiter=rate_limiter or TokenBucket(math.inf), timeout=timeout, transport=transport,
    )  # fmt: skip


def _async_client(server: LocalStripe, *, retry: RetryPolicy, rate: float = math.inf) -> AsyncStripeClient:
    return AsyncStripeClient(
        DirectBackend(server.key, base_url=server.url),
        retry=retry, rate_limiter=TokenBucket(rate), timeout=CLIENT_TIMEOUT,
    )  # fmt: skip


async def _create_customers(
    server: LocalStripe, tags: list[str], *, retry: RetryPolicy, concurrency: int = 16, rate: float = math.inf
) -> list[dict[str, Any] | BaseException]:
    """One ``POST /v1/customers`` per tag (``metadata[tag]``); each result is the object or the error.
    ``rate``: the client's own request budget per second (retries included)."""
    semaphore = asyncio.Semaphore(concurrency)
    async with _async_client(server, retry=retry, rate=rate) as client:

        async def create(tag: str) -> dict[str, Any]:
            async with semaphore:
                response = await client.request("POST", "/v1/customers", {"email": f"{tag}@example.com", "metadata": {"tag": tag}})
                return response.data

        return await asyncio.gather(*(create(tag) for tag in tags), return_exceptions=True)


def _all_customers(server: LocalStripe) -> list[dict[str, Any]]:
    """Every customer, newest first, read with the faults off (a long timeout: the first list after
    many writes rebuilds the sandbox's list cache, which can take more than a second)."""
    with _client(server, retry=RetryPolicy(max_retries=0), timeout=60.0) as client:
        return list(client.iter_objects("/v1/customers", {"limit": 100}))


@pytest.fixture(scope="module")
def dataset(local_stripe: LocalStripe) -> Iterator[LocalStripe]:
    """The session sandbox holding 5,000 customers (faults off while creating them)."""
    local_stripe.reset()
    tags = [f"ds{i:05d}" for i in range(DATASET_SIZE)]
    results = asyncio.run(_create_customers(local_stripe, tags, retry=_patient_retry(1)))
    failures = [r for r in results if isinstance(r, BaseException)]
    assert not failures, failures[:3]
    yield local_stripe
    local_stripe.reset()


@pytest.fixture
def faults(dataset: LocalStripe) -> Iterator[LocalStripe]:
    """Turns the fault layer on (seeded) for one test and off again afterwards."""
    yield dataset
    dataset.configure()


def _fault_counts(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    return {k: after.get(k, 0) - before.get(k, 0) for k in COUNTED}


def _assert_list_faults_happened(delta: dict[str, int]) -> None:
    """Each fault kind of LIST_FAULTS fired: rates × ~60 admitted requests, with wide margins."""
    assert delta["rate_limited_burst"] == LIST_FAULTS["rate_limit_burst"], delta
    assert delta["rate_limited_limiter"] >= 3, delta  # the 10/s limit itself, not only the burst
    assert delta["injected_errors"] >= 2, delta
    assert delta["drops"] >= 2, delta
    assert delta["stalls"] >= 1, delta


def test_sequential_listing_under_faults_returns_exactly_the_clean_set(faults: LocalStripe) -> None:
    clean = _all_customers(faults)
    assert len(clean) >= DATASET_SIZE
    before = faults.stats()
    faults.configure(**LIST_FAULTS, seed=11)
    started = time.monotonic()
    with _client(faults, retry=_patient_retry(11)) as client:
        faulty = list(client.iter_objects("/v1/customers", {"limit": 100}))
    elapsed = time.monotonic() - started
    stats = faults.stats()
    faults.configure()
    assert [c["id"] for c in faulty] == [c["id"] for c in clean]  # same set, same order, no duplicates
    assert faulty == clean
    _assert_list_faults_happened(_fault_counts(before, stats))
    assert elapsed < 240, elapsed


@pytest.mark.parametrize("partitioned", [False, True], ids=["sequential", "partitioned"])
def test_session_listing_under_faults_matches_the_clean_frame(faults: LocalStripe, partitioned: bool) -> None:
    """The user-facing path: ``Session.run`` builds the DataFrame while pages fail and are retried,
    walking cursors one page at a time or (partitioned) ``created`` windows concurrently."""
    config = SessionConfig(progress=False, partitioned=partitioned)
    with _client(faults, retry=RetryPolicy(max_retries=0), timeout=60.0) as clean_client:
        clean = Session(clean_client, config=SessionConfig(progress=False, partitioned=False)).run("list_customers")
    before = faults.stats()
    faults.configure(**LIST_FAULTS, seed=12)
    # the session's own kind of pacer, set above the server's 10/s: the limiter answers 429s, the pacer
    # slows down on them (concurrent windows with no pacer at all would starve a page of its retries)
    client = _client(faults, retry=_patient_retry(12), rate_limiter=WindowPacer(20.0))
    try:
        frame = Session(client, config=config).run("list_customers")
    finally:
        client.close()
        stats = faults.stats()
        faults.configure()
    assert len(frame) == len(clean) >= DATASET_SIZE
    assert frame["id"].tolist() == clean["id"].tolist()  # same rows, same (newest-first) order
    assert frame["id"].is_unique
    assert frame.attrs["stripe"]["complete"] is True
    request_ids = frame.attrs["stripe"]["request_ids"]
    assert len(set(request_ids)) == len(request_ids) and all(r.startswith("req_") for r in request_ids)
    if not partitioned:  # one request id per page finally answered (retried attempts are not pages)
        assert len(request_ids) == math.ceil(len(clean) / 100)
    _assert_list_faults_happened(_fault_counts(before, stats))


def test_concurrent_creates_under_faults_land_exactly_once(faults: LocalStripe) -> None:
    run = uuid.uuid4().hex[:8]
    tags = [f"cc-{run}-{i:04d}" for i in range(CONCURRENT_CREATES)]
    before_ids = {c["id"] for c in _all_customers(faults)}
    before = faults.stats()
    faults.configure(**CREATE_FAULTS, seed=21)
    started = time.monotonic()
    try:
        # 60/s sent against the 50/s limit: the limiter answers some 429s without starving any one create
        results = asyncio.run(_create_customers(faults, tags, retry=_patient_retry(21), concurrency=32, rate=60.0))
    finally:
        stats = faults.stats()
        faults.configure()
    elapsed = time.monotonic() - started

    returned = [r for r in results if isinstance(r, dict)]
    raised = [r for r in results if isinstance(r, BaseException)]
    assert len(returned) + len(raised) == CONCURRENT_CREATES
    for error in raised:  # any failure must be a clear one-line client error, never something else
        assert isinstance(error, StripeError) and "\n" not in str(error), repr(error)
    assert not raised, [str(e) for e in raised[:5]]

    # Each call got back its own object...
    assert [r["metadata"]["tag"] for r in returned] == tags
    # ...and the server holds exactly one object per tag: retries reused the idempotency key.
    created = [c for c in _all_customers(faults) if c["id"] not in before_ids]
    per_tag = Counter(c["metadata"].get("tag") for c in created)
    assert len(created) == CONCURRENT_CREATES
    assert per_tag == Counter(tags)
    assert {c["id"] for c in created} == {r["id"] for r in returned}

    delta = _fault_counts(before, stats)
    # rates × ~1,250 admitted requests, with wide margins (expected ~125 errors, ~55 drops, ~25 stalls)
    assert delta["rate_limited_burst"] == CREATE_FAULTS["rate_limit_burst"], delta
    assert delta["rate_limited_limiter"] >= 5, delta  # 60/s sent against a 50/s limit
    assert delta["injected_errors"] >= 60 and delta["drops"] >= 20 and delta["stalls"] >= 8, delta
    assert delta["replays"] >= 5, delta  # drops after execution were answered by replay, not re-executed
    assert elapsed < 240, elapsed


# -- when retries run out ------------------------------------------------------------------------


def test_exhausted_retries_raise_one_clear_error_naming_the_request(dataset: LocalStripe) -> None:
    dataset.script([{"status": 500}] * 3)
    with _client(dataset, retry=RetryPolicy(max_retries=2, base_delay=0.01, max_delay=0.02, rng=random.Random(3))) as client:
        with pytest.raises(APIError) as caught:
            client.request("POST", "/v1/customers", {"email": "never@example.com"})
    text = str(caught.value)
    assert "\n" not in text and "req_" in text and "gave up after 3 attempts" in text
    assert caught.value.request_id and caught.value.request_id in text
    posts = [r for r in dataset.requests() if r["method"] == "POST"][-3:]
    assert len({p["headers"]["Idempotency-Key"] for p in posts}) == 1


def test_exhausted_timeouts_say_what_happened(dataset: LocalStripe) -> None:
    dataset.configure(stall_rate=1.0, stall_seconds=3.0, seed=4)
    try:
        with _client(dataset, retry=RetryPolicy(max_retries=1, base_delay=0.01, max_delay=0.02)) as client:
            with pytest.raises(APIConnectionError) as caught:
                client.request("GET", "/v1/customers", {"limit": 1})
    finally:
        dataset.configure()
    text = str(caught.value)
    assert "\n" not in text and text.startswith("Timed out talking to http://127.0.0.1:")
    assert "gave up after 2 attempts" in text


class _FailAfter(httpx.BaseTransport):
    """Real HTTP; as soon as ``pages`` answers have come back, ``then`` runs (it switches a fault on)."""

    def __init__(self, pages: int, then: Any) -> None:
        self._inner = httpx.HTTPTransport()
        self._left = pages
        self._then = then

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        self._left -= 1
        if self._left == 0:
            self._then()
        return response

    def close(self) -> None:
        self._inner.close()


@pytest.mark.parametrize("partitioned", [False, True], ids=["sequential", "partitioned"])
def test_listing_that_fails_midway_raises_instead_of_returning_partial_rows(
    dataset: LocalStripe, partitioned: bool
) -> None:
    # partitioned: the first page comes from the sync client, every later one from concurrent windows
    transport = _FailAfter(1 if partitioned else 3, lambda: dataset.configure(error_rate=1.0, seed=5))
    retry = RetryPolicy(max_retries=2, base_delay=0.01, max_delay=0.02, rng=random.Random(5))
    client = _client(dataset, retry=retry, transport=transport, timeout=60.0)
    session = Session(client, config=SessionConfig(progress=False, partitioned=partitioned))
    try:
        with pytest.raises(APIError) as caught:
            session.run("list_customers")
    finally:
        dataset.configure()
        session.close()
    assert "req_" in str(caught.value) and "gave up after 3 attempts" in str(caught.value)


class _InterruptAfter(httpx.BaseTransport):
    """Real HTTP for ``pages`` requests, then Ctrl-C (KeyboardInterrupt) as the next one starts."""

    def __init__(self, pages: int) -> None:
        self._inner = httpx.HTTPTransport()
        self._left = pages

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._left == 0:
            raise KeyboardInterrupt
        self._left -= 1
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def test_interrupted_listing_is_marked_incomplete(dataset: LocalStripe) -> None:
    client = _client(dataset, retry=RetryPolicy(max_retries=0), transport=_InterruptAfter(2), timeout=60.0)
    session = Session(client,
                      config=SessionConfig(progress=False, partitioned=False))
    try:
        with pytest.warns(ListingInterrupted):
            frame = session.run("list_customers")
    finally:
        session.close()
    assert len(frame) == 200
    assert frame.attrs["stripe"]["complete"] is False
