"""Partitioned (concurrent ``created``-window) listing gives exactly what a sequential cursor walk gives.

Real HTTP against the local sandbox. The module builds one data set (1,500 customers spread over three
years, with clusters sharing one ``created`` second, one of them bigger than a page) on the session's
sandbox and only reads it; tests that write get a sandbox of their own (``own_sandbox``, emptied before
each), so the module passes in any order (``PARAGON_TEST_ORDER=reverse`` or ``shuffle:<seed>``, see
tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pandas as pd
import pytest

from paragon_magic.catalog import ACTIONS
from paragon_magic.client import DirectBackend
from paragon_magic.connection import build_client
from paragon_magic.listing import ListingInterrupted, list_sequential
from paragon_magic.listing.partitioned import PartitionTuning, list_partitioned, use_partitioned
from paragon_magic.sandbox import LocalStripe
from paragon_magic.session import Session, SessionConfig

DAY = 86_400
END = 1_767_225_600  # 2026-01-01
START = END - 3 * 365 * DAY
# Small windows so ~15 pages of data still split into many windows at several levels.
SMALL = PartitionTuning(window_pages=1.5, max_split=6, concurrency=6, balance_pages=1.0)


def _create_customers(server: LocalStripe, count: int, prefix: str = "c") -> list[str]:
    """``count`` customers created concurrently; ids in no particular order."""

    async def run() -> list[str]:
        headers = {"Authorization": f"Bearer {server.key}"}
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=60) as client:
            gate = asyncio.Semaphore(16)

            async def create(i: int) -> str:
                async with gate:
                    reply = await client.post("/v1/customers", data={"email": f"{prefix}{i}@example.com"})
                    reply.raise_for_status()
                    return reply.json()["id"]

            return list(await asyncio.gather(*(create(i) for i in range(count))))

    return asyncio.run(run())


def _spread(ids: list[str], seed: int) -> dict[str, int]:
    """Backdates over three years: mostly uniform, plus clusters sharing one second (one of 150)."""
    rng = random.Random(seed)
    shuffled = ids[:]
    rng.shuffle(shuffled)
    created: dict[str, int] = {}
    cluster_sizes = [150, 40, 7, 3, 2, 2]
    position = 0
    for size in cluster_sizes:
        second = rng.randrange(START, END)
        for obj_id in shuffled[position:position + size]:
            created[obj_id] = second
        position += size
    for obj_id in shuffled[position:]:
        created[obj_id] = rng.randrange(START, END)
    return created


@pytest.fixture(scope="module")
def dataset(local_stripe: LocalStripe) -> dict[str, int]:
    """The read-only data set, on the session's sandbox (no test here resets or writes to it)."""
    local_stripe.reset()
    ids = _create_customers(local_stripe, 1500)
    created = _spread(ids, seed=7)
    local_stripe.backdate(created)
    return created


@pytest.fixture
def own_sandbox(own_stripe: LocalStripe) -> LocalStripe:
    """A second sandbox for the tests that write (conftest's ``own_stripe``, emptied before each): the
    data set is never touched."""
    return own_stripe


def _client(server: LocalStripe) -> Any:
    return build_client(DirectBackend(server.key, base_url=server.url))


@pytest.fixture
def clients(local_stripe: LocalStripe) -> Iterator[Any]:
    client = _client(local_stripe)
    yield client
    client.close()


def _sequential(client: Any, params: dict[str, Any] | None = None, limit: int | None = None) -> pd.DataFrame:
    frame, outcome = list_sequential(client, "/v1/customers", dict(params or {}), object_type="customer",
                                     limit=limit, progress=False)
    assert outcome.complete
    return frame


def _partitioned(clients: Any, params: dict[str, Any] | None = None, limit: int | None = None,
                 tuning: PartitionTuning = SMALL) -> tuple[pd.DataFrame, Any]:
    client = clients
    return list_partitioned(client, "/v1/customers", dict(params or {}), object_type="customer", limit=limit,
                            progress=False, tuning=tuning)


def _window_requests(server: LocalStripe) -> list[dict[str, Any]]:
    return [r for r in server.requests()
            if r["path"] == "/v1/customers" and r["method"] == "GET" and "created[lte]" in r["query"]]


def test_same_rows_and_order_as_a_cursor_walk(local_stripe: LocalStripe, dataset: dict[str, int],
                                              clients: Any) -> None:
    sequential = _sequential(clients)
    before = len(_window_requests(local_stripe))
    partitioned, outcome = _partitioned(clients)
    assert len(sequential) == len(dataset) == 1500
    assert list(partitioned["id"]) == list(sequential["id"])  # same set, same order, ties included
    pd.testing.assert_frame_equal(partitioned, sequential)  # same columns and dtypes too
    assert outcome.complete and outcome.pages >= 15 and len(outcome.request_ids) == outcome.pages
    windows = _window_requests(local_stripe)[before:]
    assert len({(w["query"].get("created[gte]"), w["query"]["created[lte]"]) for w in windows}) > 10
    big_second = int(pd.Series(dataset).value_counts().index[0])
    in_cluster = partitioned[partitioned["created"] == pd.Timestamp(big_second, unit="s", tz="UTC")]
    assert set(in_cluster["id"]) == {i for i, t in dataset.items() if t == big_second} and len(in_cluster) == 150
    # more than a page in one second, in the order the server gives a query for just that second
    assert list(in_cluster["id"]) == list(_sequential(clients, {"created": big_second})["id"])


def test_default_tuning_matches_too(dataset: dict[str, int], clients: Any) -> None:
    partitioned, _ = _partitioned(clients, tuning=PartitionTuning())
    assert list(partitioned["id"]) == list(_sequential(clients)["id"])


@pytest.mark.parametrize("created", [
    {"gte": START + 200 * DAY, "lt": END - 100 * DAY},
    {"gt": START + 500 * DAY},
    {"lte": START + 400 * DAY},
])
def test_created_filters_are_honoured(dataset: dict[str, int], clients: Any, created: dict[str, int]) -> None:
    params = {"created": created}
    sequential = _sequential(clients, params)
    partitioned, _ = _partitioned(clients, params)
    assert list(partitioned["id"]) == list(sequential["id"])
    expected = {i for i, t in dataset.items() if all(
        {"gte": t >= v, "gt": t > v, "lt": t < v, "lte": t <= v}[op] for op, v in created.items())}
    assert set(partitioned["id"]) == expected and len(expected) > 200


@pytest.mark.parametrize("limit", [1001, 1234, 1499, 5000])
def test_limit_gives_the_newest_rows(dataset: dict[str, int], clients: Any, limit: int) -> None:
    partitioned, outcome = _partitioned(clients, limit=limit)
    expected = list(_sequential(clients)["id"])[:limit]
    assert list(partitioned["id"]) == expected
    assert outcome.complete


def test_limit_with_a_created_filter(dataset: dict[str, int], clients: Any) -> None:
    params = {"created": {"gte": START + 300 * DAY}}
    partitioned, _ = _partitioned(clients, params, limit=1100)
    assert list(partitioned["id"]) == list(_sequential(clients, params, limit=1100)["id"])


def test_survives_429_bursts_with_identical_results(local_stripe: LocalStripe, dataset: dict[str, int]) -> None:
    client = _client(local_stripe)
    expected = list(_sequential(client)["id"])
    local_stripe.configure(rate_limit=20, rate_limit_burst=3)  # 429 the first 3, then at most 20 req/s

    class BurstAfterFirstPage:
        """The sync client, plus a fresh burst of 429s aimed at the concurrent windows."""

        def __getattr__(self, name: str) -> Any:  # backend, settings(): the async twins copy them
            return getattr(client, name)

        def request(self, *args: Any, **kwargs: Any) -> Any:
            response = client.request(*args, **kwargs)
            local_stripe.configure(rate_limit=20, rate_limit_burst=8)
            return response

    try:
        before = local_stripe.stats()
        frame, outcome = list_partitioned(BurstAfterFirstPage(), "/v1/customers", {}, object_type="customer",
                                          limit=None, progress=False, tuning=SMALL)
        after = local_stripe.stats()
    finally:
        local_stripe.configure()
        client.close()
    assert list(frame["id"]) == expected and outcome.complete
    assert _count_429(after) - _count_429(before) >= 11


def _count_429(stats: dict[str, Any]) -> int:
    return int(stats["rate_limited"])


def test_session_uses_partitioned_mode_when_configured(local_stripe: LocalStripe, dataset: dict[str, int]) -> None:
    client = _client(local_stripe)
    on = Session(client, config=SessionConfig(progress=False))
    off = Session(client, config=SessionConfig(progress=False, partitioned=False))
    try:
        before = len(_window_requests(local_stripe))
        parallel = on.run("list_customers")
        used = len(_window_requests(local_stripe)) - before
        plain = off.run("list_customers")
        unused = len(_window_requests(local_stripe)) - before - used
        small = on.list_customers(limit=300)
        small_windows = len(_window_requests(local_stripe)) - before - used - unused
    finally:
        client.close()
    assert used > 5 and unused == 0 and small_windows == 0
    assert list(parallel["id"]) == list(plain["id"]) and len(parallel) == 1500
    assert parallel.attrs["stripe"]["complete"] is True and len(small) == 300
    assert list(small["id"]) == list(plain["id"][:300])


def test_use_partitioned_rules() -> None:
    customers, balance = ACTIONS["list_customers"], ACTIONS["list_balance_transactions"]
    assert use_partitioned(customers, {}, None) and use_partitioned(balance, {}, 5000)
    assert not use_partitioned(customers, {}, 1000)
    assert not use_partitioned(customers, {"created": 1_700_000_000}, None)  # one exact second
    assert not use_partitioned(customers, {"starting_after": "cus_x"}, None)
    assert use_partitioned(customers, {"created": {"gte": 1}}, None)


# --- tests that write (each on its own emptied sandbox) -----------------------------------------------


def test_objects_created_while_listing_give_no_duplicates(own_sandbox: LocalStripe) -> None:
    stripe_server = own_sandbox
    ids = _create_customers(stripe_server, 400)
    stripe_server.backdate({i: t for i, t in zip(ids, sorted(random.Random(3).sample(range(START, END), 400)))})
    client = _client(stripe_server)
    before = list(_sequential(client)["id"])
    stripe_server.configure(latency=0.02)  # keep the windows busy while new customers arrive
    stop = threading.Event()
    created_during: list[str] = []
    writer_errors: list[BaseException] = []
    writers: list[threading.Thread] = []

    def keep_creating() -> None:
        try:
            with httpx.Client(base_url=stripe_server.url, timeout=60,
                              headers={"Authorization": f"Bearer {stripe_server.key}"}) as http:
                while not stop.is_set():
                    reply = http.post("/v1/customers", data={"email": "new@example.com"})
                    reply.raise_for_status()
                    created_during.append(reply.json()["id"])
        except BaseException as error:  # noqa: BLE001 - handed to the test's thread below
            writer_errors.append(error)

    class CreatesAfterFirstPage:
        def __getattr__(self, name: str) -> Any:
            return getattr(client, name)

        def request(self, *args: Any, **kwargs: Any) -> Any:
            response = client.request(*args, **kwargs)
            if not writers:  # once, after the first page
                created_during.extend(_create_customers(stripe_server, 30, prefix="n"))  # surely after page one
                writers.append(threading.Thread(target=keep_creating, name="writer"))
                writers[0].start()
            return response

    try:
        frame, outcome = list_partitioned(CreatesAfterFirstPage(), "/v1/customers", {}, object_type="customer",
                                          limit=None, progress=False, tuning=SMALL)
    finally:
        stop.set()
        for writer in writers:
            writer.join(timeout=60)
        stripe_server.configure()
        client.close()
    assert writers and not any(w.is_alive() for w in writers), "the writer thread did not stop"
    assert not writer_errors, writer_errors  # a failing writer would have tested nothing
    got = list(frame["id"])
    assert len(got) == len(set(got)) and outcome.complete
    assert got == before  # every pre-existing object, in order; none of the new ones
    assert len(created_during) > 30 and not set(created_during) & set(got)


def _shaped(rng: random.Random, shape: str) -> int:
    """A ``created`` between START and END: ``uniform``; ``growth`` (the newest far denser: a quarter of
    them in the last 6% of the span); ``import`` (30% within one day a year before END)."""
    if shape == "growth":
        return END - int((END - START) * rng.random() ** 2)
    if shape == "import" and rng.random() < 0.3:
        return END - 365 * DAY - rng.randrange(DAY)
    return rng.randrange(START, END)


@pytest.mark.parametrize("shape", ["uniform", "growth", "import"])
def test_small_lists_cost_at_most_one_request_more_than_their_pages(own_sandbox: LocalStripe, shape: str) -> None:
    """Up to ten pages, however spread over three years: the default tuning walks them in pages + 1
    requests (the windows' fan-out used to spend about twice as many), with the rows of a cursor walk."""
    client = _client(own_sandbox)
    rng = random.Random(11)
    try:
        for count in (250, 250, 300, 200):  # 2.5, 5, 8 and 10 pages
            ids = _create_customers(own_sandbox, count, prefix=f"s{count}")
            own_sandbox.backdate({i: _shaped(rng, shape) for i in ids})
            expected = list(_sequential(client)["id"])
            before = len(own_sandbox.requests())
            frame, outcome = _partitioned(client, tuning=PartitionTuning())
            sent = [r for r in own_sandbox.requests()[before:] if r["path"] == "/v1/customers"]
            pages = -(-len(expected) // 100)
            assert list(frame["id"]) == expected and outcome.complete
            assert len(sent) == len(outcome.request_ids) <= pages + 1, (pages, len(sent))
    finally:
        client.close()


def test_ctrl_c_keeps_the_newest_contiguous_rows(own_sandbox: LocalStripe) -> None:
    stripe_server = own_sandbox
    ids = _create_customers(stripe_server, 600)
    stripe_server.backdate({i: t for i, t in zip(ids, random.Random(5).sample(range(START, END), 600))})
    client = _client(stripe_server)
    everything = list(_sequential(client)["id"])
    stripe_server.configure(latency=0.3)
    seen_windows = threading.Event()

    def interrupt_when_windows_run() -> None:
        while not seen_windows.is_set():  # a real condition: window requests reached the server
            if len(_window_requests(stripe_server)) >= 4:
                seen_windows.set()
                os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C
                return

    watcher = threading.Thread(target=interrupt_when_windows_run, daemon=True)
    watcher.start()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame, outcome = list_partitioned(client, "/v1/customers", {}, object_type="customer", limit=None,
                                              progress=False, tuning=SMALL)
    finally:
        seen_windows.set()
        watcher.join(timeout=30)
        stripe_server.configure()
        client.close()
    assert outcome.complete is False
    assert any(issubclass(w.category, ListingInterrupted) for w in caught)
    got = list(frame["id"])
    assert 100 <= len(got) < 600 and got == everything[: len(got)]  # a gap-free newest-first prefix


def test_a_bulk_import_is_shared_out_and_listed_in_order(own_sandbox: LocalStripe) -> None:
    """Half the customers arrive within one day (a bulk import), the rest over three years: the day is
    shared among several windows (cut while walkers are in it, with stopped partners and pages cut in
    flight), and the rows are still exactly the cursor walk's. Which cut the policy picks there is
    checked on hand-made walks in tests/test_listing_balance.py."""
    stripe_server = own_sandbox
    ids = _create_customers(stripe_server, 400)
    rng = random.Random(11)
    day = END - 365 * DAY
    stripe_server.backdate({i: (day + rng.randrange(DAY) if n % 2 else rng.randrange(START, END))
                            for n, i in enumerate(ids)})
    client = _client(stripe_server)
    try:
        expected = list(_sequential(client)["id"])
        before = len(_window_requests(stripe_server))
        frame, outcome = list_partitioned(client, "/v1/customers", {}, object_type="customer", limit=None,
                                          page_size=10, progress=False, tuning=SMALL)
    finally:
        client.close()
    assert outcome.complete and list(frame["id"]) == expected and len(expected) == 400
    inside_the_day = {(w["query"].get("created[gte]"), w["query"]["created[lte]"])
                      for w in _window_requests(stripe_server)[before:]
                      if int(w["query"].get("created[gte]", 0)) >= day and int(w["query"]["created[lte]"]) < day + DAY}
    assert len(inside_the_day) >= 2  # the day was walked by more than one window
