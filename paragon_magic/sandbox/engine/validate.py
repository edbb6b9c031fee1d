"""TEMPORARY stand-in until the generated validator lands (params branch): decoding only."""

from __future__ import annotations

import re
from typing import Any

from ..front.errors import StripeErrorResponse

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY.match(key)
        if not match:
            raise StripeErrorResponse(400, f"Invalid parameter: {key}", param=key)
        parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node: Any = root
        for here, nxt in zip(parts, parts[1:]):
            child = node.get(here) if isinstance(node, dict) else None
            if child is None:
                child = {}
                node[here] = child
            node = child
        last = parts[-1]
        if last == "":
            node.setdefault("", []).append(value)
        else:
            node[last] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if set(node) == {""}:
        return [_lists(v) for v in node[""]]
    if node and all(k.isdigit() for k in node):
        return [_lists(node[k]) for k in sorted(node, key=int)]
    return {k: _lists(v) for k, v in node.items()}


def route_of(method: str, path: str) -> str | None:
    return None


def validate(method: str, route: str, params: dict[str, Any]) -> dict[str, Any]:
    return params
