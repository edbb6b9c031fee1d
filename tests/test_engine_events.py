"""Events in the engine: one per change, ``previous_attributes`` holding only what changed, dated on the
clock of the change and kept 30 days of that clock's time (a test clock's events age as it advances)."""

from __future__ import annotations

from typing import Any

import pytest

from paragon_magic.client import flatten_params
from paragon_magic.sandbox.engine import Engine
from paragon_magic.sandbox.engine.events import diff
from paragon_magic.sandbox.front.errors import StripeErrorResponse

DAY = 86_400
START = 1_767_225_600  # 2026-01-01T00:00:00Z


def _call(engine: Engine, method: str, path: str, **params: Any) -> Any:
    return engine.handle(method, path, flatten_params(params))


def test_previous_attributes_name_only_what_changed() -> None:
    assert diff({"metadata": {"a": "1", "b": "2"}, "name": "x"}, {"metadata": {"a": "1", "b": "3"}, "name": "x"}) == {
        "metadata": {"b": "2"}}
    assert diff({"email": None}, {"email": "e@example.com"}) == {"email": None}
    before = {"object": "list", "data": [1]}  # an embedded Stripe object (a list) is given whole
    assert diff({"items": before}, {"items": {"object": "list", "data": [2]}}) == {"items": before}


def test_an_update_is_one_event_at_its_moment_and_no_change_is_none() -> None:
    engine = Engine()
    engine.clocks.set_frozen(START)
    customer = _call(engine, "POST", "/v1/customers", email="a@example.com", metadata={"tier": "gold"})
    engine.clocks.set_frozen(START + DAY)
    _call(engine, "POST", f"/v1/customers/{customer['id']}", metadata={"tier": "silver"}, name="Ann")
    _call(engine, "POST", f"/v1/customers/{customer['id']}", name="Ann")  # nothing changes: no event
    events = engine.collection("event")
    assert [(e["type"], e["created"]) for e in events] == [("customer.created", START), ("customer.updated", START + DAY)]
    assert events[1]["data"]["previous_attributes"] == {"metadata": {"tier": "gold"}, "name": None}
    assert events[0]["data"]["object"]["metadata"] == {"tier": "gold"}  # a snapshot: later changes don't rewrite it


def test_events_are_kept_thirty_days_of_their_own_clock() -> None:
    engine = Engine()
    engine.clocks.set_frozen(START)
    clock = _call(engine, "POST", "/v1/test_helpers/test_clocks", frozen_time=START)
    clocked = _call(engine, "POST", "/v1/customers", test_clock=clock["id"])
    plain = _call(engine, "POST", "/v1/customers", email="p@example.com")
    about = lambda obj: [e for e in engine.collection("event") if e["data"]["object"].get("id") == obj["id"]]  # noqa: E731
    created = about(clocked)[0]
    assert created["created"] == START and about(plain)
    _call(engine, "POST", f"/v1/test_helpers/test_clocks/{clock['id']}/advance", frozen_time=START + 31 * DAY)
    assert about(clocked) == [] and about(plain)  # the test clock moved on; the sandbox clock did not
    with pytest.raises(StripeErrorResponse) as gone:
        _call(engine, "GET", f"/v1/events/{created['id']}")
    assert gone.value.status == 404
    engine.clocks.set_frozen(START + 31 * DAY)
    assert about(plain) == []
    engine.events.retention_days = None  # a test that reads a whole history back
    assert about(plain) and about(clocked)
