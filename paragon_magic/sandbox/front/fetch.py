"""What ``expand[]`` reads: the engine's object behind an id, in today's shape."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..account import account_object
from .shapes import Fetch, ShapeContext, to_current

if TYPE_CHECKING:
    from .app import FrontState


def expansion_fetcher(state: FrontState) -> Fetch:
    """Fetch ``(field, id, rest)`` for ``expand[]``: the object in today's shape (with the includable
    property ``rest`` goes on to, if any), or None when unknown."""

    async def fetch(field_name: str, obj_id: str, rest: Sequence[str] = ()) -> dict[str, Any] | None:
        if obj_id.startswith("acct_"):
            return account_object(obj_id)
        if field_name == "plan":
            plans = {plan["id"]: plan for plan in state.engine.collection("plan")}
            data: Any = plans.get(obj_id)
        else:
            data = state.engine.store.get(obj_id)
        if data is None:
            return None
        included = frozenset(rest[:1])  # the next step may be a property included when expanded (payments)
        return to_current(state.engine.include(data, included), ShapeContext(expand=included))

    return fetch
