"""Ctrl-C during ``%stripe sync`` (a first sync and an incremental one) stops every request of every table
at once — listings running in worker threads included — and the store keeps its previous good state; the
next sync resumes. Real HTTP, a real SIGINT landed mid-sync by a gate in front of the pacer
(tests/interrupt_helpers.py): the server's log shows no request started after the interrupt. A request
already under way when it lands (a table's worker thread waiting at the pacer: here, at the gate) may still
go out, one per table at most; a listing's walkers waiting there are cancelled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from interrupt_helpers import gate_session, spread_customers, wait_until_quiet
from store_helpers import store_session


def _counts(session: Any) -> dict[str, int]:
    tables = session.tables()
    return dict(zip(tables["table"], tables["rows"]))


def _interrupted_sync(server: Any, session: Any, allowed: int, *tables: str) -> list[dict[str, Any]]:
    """``session.sync(*tables)`` interrupted after ``allowed`` requests; the requests the server got since."""
    gate = gate_session(session, allowed)
    server.configure(latency=0.05)  # requests are in flight in several threads when the interrupt lands
    start = len(server.requests())
    try:
        with pytest.raises(KeyboardInterrupt):
            session.sync(*tables, echo=None)
    finally:
        gate.open()  # a worker still going would now send: the log below would show it
        log = wait_until_quiet(server)
        server.configure()
    assert gate.interrupted.is_set()
    return log[start:]


def _products(server: Any, count: int) -> None:
    with httpx.Client(base_url=server.url, auth=(server.key, "")) as api:
        for n in range(count):
            assert api.post("/v1/products", data={"name": f"Plan {n}"}).status_code == 200


@pytest.mark.parametrize("allowed", [3, 5])
def test_ctrl_c_in_a_first_sync_stops_every_request_and_keeps_the_previous_state(
        stripe_server: Any, tmp_path: Path, allowed: int) -> None:
    _products(stripe_server, 3)
    session = store_session(stripe_server, tmp_path)
    session.sync("products", echo=None)
    before = _counts(session)
    spread_customers(stripe_server, 800, seed=allowed)  # a first read of 8 pages at least
    # customers' first read (in one worker thread, its walkers in another) and products' incremental one
    sent = _interrupted_sync(stripe_server, session, allowed, "customers", "products")
    assert len(sent) <= allowed + 2  # nothing after the interrupt but one request under way per table
    assert _counts(session) == before  # customers never written (products may be, unchanged)
    session.sync("customers", "products", echo=None)  # the next sync reads them all
    assert _counts(session) == {**before, "customers": 800}


def test_ctrl_c_in_an_incremental_sync_stops_it_and_the_next_one_catches_up(stripe_server: Any,
                                                                              tmp_path: Path) -> None:
    spread_customers(stripe_server, 50, seed=3)
    session = store_session(stripe_server, tmp_path)
    session.sync("customers", echo=None)
    spread_customers(stripe_server, 800, seed=4)  # 8 pages of events to read, at least
    sent = _interrupted_sync(stripe_server, session, 3, "customers")
    assert len(sent) <= 3 + 1
    assert _counts(session) == {"customers": 50}
    report = session.sync("customers", echo=None)["customers"]
    assert (report.added, report.full) == (800, False) and _counts(session) == {"customers": 850}
