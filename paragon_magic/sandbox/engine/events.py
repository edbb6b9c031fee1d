"""Events: one per change, at the clock time of the change, with ``previous_attributes`` on updates.

:meth:`Events.emit` snapshots the object as it is now (a deep copy: later changes do not rewrite
history). :func:`diff` gives Stripe's ``previous_attributes``: for each changed key its old value, and
for a changed hash only its changed keys (recursively), so ``metadata`` changes name just the keys
that moved. Events are listed for ``retention_days`` (Stripe: 30) measured on the sandbox clock.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ...client import DEFAULT_STRIPE_VERSION
from .store import Store, new_object

DAY = 86_400
_MISSING = object()


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``previous_attributes`` of a change from ``old`` to ``new`` (only what differs)."""
    previous: dict[str, Any] = {}
    for key in old.keys() | new.keys():
        before, after = old.get(key, _MISSING), new.get(key, _MISSING)
        if before == after:
            continue
        if isinstance(before, dict) and isinstance(after, dict) and "object" not in before:
            inner = diff(before, after)
            if inner:
                previous[key] = inner
            continue
        previous[key] = None if before is _MISSING else copy.deepcopy(before)
    return previous


class Events:
    """Creates event objects in the store; the caller says when (``at``) on which clock."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.retention_days: int | None = 30
        #: The request being handled: events it causes carry its id and idempotency key.
        self.request: dict[str, Any] = {"id": None, "idempotency_key": None}
        self.listeners: list[Callable[[dict[str, Any]], None]] = []

    def emit(self, type: str, obj: dict[str, Any], at: int, *,
             previous_attributes: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
        data: dict[str, Any] = {"object": copy.deepcopy(obj)}
        if previous_attributes:
            data["previous_attributes"] = previous_attributes
        event = new_object(
            "event", id=self.store.new_id("evt_"), api_version=DEFAULT_STRIPE_VERSION, created=at,
            data=data, livemode=bool(obj.get("livemode")), pending_webhooks=0,
            request=dict(self.request), type=type,
        )  # fmt: skip
        self.store.add(event)
        for listener in self.listeners:
            listener(event)
        return event

    def visible(self, event: dict[str, Any], now: int) -> bool:
        """Whether ``event`` is still kept (listable and retrievable) at ``now``."""
        return self.retention_days is None or event["created"] >= now - self.retention_days * DAY
