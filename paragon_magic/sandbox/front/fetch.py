"""What ``expand[]`` reads: the engine's object behind an id, in today's shape."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..account import account_object
from .shapes import Fetch, ShapeContext, to_current

if TYPE_CHECKING:
    from .app import FrontState


def expansion_fetcher(state: FrontState) -> Fetch:
    """Fetch ``(field, id)`` for ``expand[]``: the object in today's shape, or None when unknown."""
    plain = ShapeContext()

    async def fetch(field_name: str, obj_id: str) -> dict[str, Any] | None:
        if obj_id.startswith("acct_"):
            return account_object(obj_id)
        if field_name == "plan":
            plans = {plan["id"]: plan for plan in state.engine.collection("plan")}
            data: Any = plans.get(obj_id)
        else:
            data = state.engine.store.get(obj_id)
        return None if data is None else to_current(data, plain)

    return fetch
