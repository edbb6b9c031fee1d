"""Ctrl-C during a partitioned ``list_*`` stops every walker: no request reaches the server after the
interrupt, the newest rows fetched without gaps are kept, ``complete`` is False. Real HTTP, a real SIGINT
landed mid-walk by a gate in front of the pacer (tests/interrupt_helpers.py)."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from interrupt_helpers import (
    gate_session,
    gated_client,
    spread_customers,
    wait_until_quiet,
)

from paragon_magic.connection import connect
from paragon_magic.listing import ListingInterrupted
from paragon_magic.listing.partitioned import list_partitioned
from paragon_magic.listing.stop import Stop
from paragon_magic.session import SessionConfig


def _session(server: Any) -> Any:
    return connect(server.key, base_url=server.url, save=False, rate_limit=1000, config=SessionConfig(progress=False))


@pytest.mark.parametrize("allowed", [3, 6])
def test_ctrl_c_stops_every_walker_of_a_listing(own_stripe: Any, allowed: int) -> None:
    newest_first = spread_customers(own_stripe, 700, seed=allowed)
    session = _session(own_stripe)
    gate = gate_session(session, allowed)
    own_stripe.configure(latency=0.05)  # the walkers' requests are in flight when the interrupt lands
    start = len(own_stripe.requests())
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = session.list_customers()
    finally:
        gate.open()  # a walker still alive would now send: the log below would show it
        log = wait_until_quiet(own_stripe)
        own_stripe.configure()
    sent = [r for r in log[start:] if r["path"] == "/v1/customers"]
    assert gate.interrupted.is_set() and len(log) - start == len(sent)
    assert len(sent) <= allowed < 7  # nothing after the interrupt (a full walk takes 7 pages at least)
    assert frame.attrs["stripe"]["complete"] is False
    assert any(issubclass(w.category, ListingInterrupted) for w in caught)
    got = list(frame["id"])
    assert len(got) < 700 and got == newest_first[: len(got)]  # the newest rows, no gap


def test_a_stop_set_by_another_thread_ends_the_listing_mid_walk(own_stripe: Any) -> None:
    """As a sync's worker threads see it: a ``Stop`` set elsewhere (here by a walker's own thread, at the
    gate) ends the walk with nothing sent after it, no warning, and ``complete`` False."""
    newest_first = spread_customers(own_stripe, 700, seed=9)
    session = _session(own_stripe)
    stop = Stop()
    client, gate = gated_client(session.client, 4, interrupt=stop.set)
    own_stripe.configure(latency=0.05)
    start = len(own_stripe.requests())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no ListingInterrupted: the caller that stopped it knows
            frame, outcome = list_partitioned(client, "/v1/customers", {}, object_type="customer", limit=None,
                                              progress=False, stop=stop)
    finally:
        gate.open()
        log = wait_until_quiet(own_stripe)
        own_stripe.configure()
    assert gate.interrupted.is_set() and stop.is_set()
    assert len(log) - start <= 4 and outcome.complete is False
    got = list(frame["id"])
    assert len(got) < 700 and got == newest_first[: len(got)]


def test_a_stop_set_before_the_listing_sends_nothing(own_stripe: Any) -> None:
    spread_customers(own_stripe, 150, seed=1)
    session = _session(own_stripe)
    stop = Stop()
    stop.set()
    start = len(own_stripe.requests())
    frame, outcome = list_partitioned(session.client, "/v1/customers", {}, object_type="customer", limit=None,
                                      progress=False, stop=stop)
    assert outcome.complete is False and len(frame) == 0
    assert len(wait_until_quiet(own_stripe)) == start
