"""A planned call (what ``--dry-run`` shows and ``run`` sends) and where an action's convenience
parameters go in Stripe's body."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..catalog_types import Action
from ..errors import UsageError

__all__ = ["PlannedCall", "missing_required", "place_targets", "rows_wanted"]


@dataclass
class PlannedCall:
    """Everything needed to send one action: what ``--dry-run`` shows and ``run`` sends."""

    action: Action
    method: str
    path: str
    params: dict[str, Any]
    stripe_account: str | None = None
    idempotency_key: str | None = None
    limit: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


def place_targets(action: Action, params: Mapping[str, Any]) -> dict[str, Any]:
    """Move convenience params to their Stripe place (``price`` -> ``items[0][price]``)."""
    placed: dict[str, Any] = copy.deepcopy(dict(params))
    for param in action.params:
        if param.target and param.name in placed:
            value = placed.pop(param.name)
            _set_bracket_path(placed, param.target, value)
    return placed


def _set_bracket_path(tree: dict[str, Any], target: str, value: Any) -> None:
    head, _, rest = target.partition("[")
    keys: list[str | int] = [head] + [k for k in rest.rstrip("]").split("][") if rest]
    keys = [int(k) if isinstance(k, str) and k.isdigit() else k for k in keys]
    node: Any = tree
    for key, nxt in zip(keys, keys[1:]):
        if isinstance(node, list):
            while len(node) <= key:  # type: ignore[operator]
                node.append({})
            node = node[key]  # type: ignore[index]
            continue
        node = node.setdefault(key, [] if isinstance(nxt, int) else {})
    last = keys[-1]
    if isinstance(node, list):
        while len(node) <= last:  # type: ignore[operator]
            node.append(None)
    node[last] = value  # type: ignore[index]


def missing_required(action: Action, params: Mapping[str, Any], id: str | None) -> str | None:
    """The first required parameter (or id) absent from ``params``."""
    if action.id_param and not id:
        return action.id_param
    for param in action.params:
        if param.required and param.name not in params and param.stripe_key.split("[")[0] not in params:
            return param.name
    return None


def rows_wanted(value: Any) -> int:
    """``limit`` given as a Stripe parameter, as the number of rows wanted (a positive whole number)."""
    try:
        rows = int(str(value).strip())
    except ValueError:
        rows = 0
    if rows < 1:
        raise UsageError(f"--limit must be a positive whole number of rows; got {str(value)[:20]!r}", field="limit")
    return rows
