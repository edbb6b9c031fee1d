"""``GET /v1/events/{id}``: an event while it is kept (Stripe: 30 days), else Stripe's 404. Listing is
the front's (``/v1/events`` over :meth:`Engine.collection`, which applies the same retention)."""

from __future__ import annotations

from typing import Any

from ..front.errors import no_such
from . import Request, route


@route("GET", "/v1/events/{}")
def retrieve_event(req: Request) -> dict[str, Any]:
    event = req.engine.store.get(req.arg(), "event")
    if event is None or not req.engine.event_kept(event):
        raise no_such("event", req.arg())
    return event
