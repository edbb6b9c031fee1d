"""Today's Stripe shapes for everything the front layer answers.

Every JSON body leaves the front layer through :func:`to_current`: it walks the body, and each hash
with an ``object`` the sandbox knows is given exactly the top-level keys of Stripe's fixture for that
type (``_shapes_generated.py``): missing keys filled with what Stripe answers when unset, nested
hashes completed, and expandable fields collapsed to their id unless the request expanded them. The
engine builds its objects in these shapes; this is the guarantee on the way out.
:func:`expand_paths` then fetches what an ``expand[]`` asked for and the answer holds as an id.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ._shapes_generated import DELETED_KEYS, SHAPES
from .errors import StripeErrorResponse

#: Fetch an object by (field name, id, the expansion's remaining segments): the translated object, or None.
Fetch = Callable[[str, str, Sequence[str]], Awaitable[dict[str, Any] | None]]

_LIST_KEYS = ("object", "data", "has_more", "url")
#: Properties Stripe includes only when expanded (``expand[]=sources`` on a customer), by object type.
INCLUDABLE: dict[str, tuple[str, ...]] = {"customer": ("sources", "subscriptions", "tax_ids"), "invoice": ("payments",)}
MAX_EXPAND_DEPTH = 4


@dataclass
class ShapeContext:
    """What a translation needs besides the object: the request's expansions."""

    expand: frozenset[str] = frozenset()

    def expanded(self, path: str) -> bool:
        """Whether ``path`` (dotted, from the response root) was expanded, itself or below."""
        return any(e == path or e.startswith(path + ".") for e in self.expand)


def expand_params(pairs: Iterable[tuple[str, str]]) -> tuple[list[tuple[str, str]], frozenset[str]]:
    """Split ``expand[]``/``expand[N]``/``expand`` out of request pairs: (the other pairs, the paths)."""
    rest: list[tuple[str, str]] = []
    paths: set[str] = set()
    for key, value in pairs:
        if key == "expand" or (key.startswith("expand[") and key.endswith("]")):
            paths.add(value)
        else:
            rest.append((key, value))
    for path in paths:
        if len(path.split(".")) > MAX_EXPAND_DEPTH:
            raise StripeErrorResponse(
                400, f"You cannot expand more than {MAX_EXPAND_DEPTH} levels of a property.", param="expand"
            )
    return rest, frozenset(paths)


def unset_value(object_type: str, key: str, obj_id: str | None = None) -> Any:
    """What Stripe answers for ``key`` of an ``object_type`` nothing set (a fresh copy)."""
    value = copy.deepcopy(SHAPES[object_type]["unset"][key])
    if isinstance(value, dict) and isinstance(value.get("url"), str) and obj_id:
        value["url"] = value["url"].replace("{id}", obj_id)
    return value


def complete(template: Any, value: Any) -> Any:
    """``value`` with every key of the hash ``template`` it lacks added (recursively); never drops keys."""
    if not isinstance(template, dict) or not isinstance(value, dict) or "object" in value:
        return value
    out = dict(value)
    for key, default in template.items():
        if key not in out:
            out[key] = copy.deepcopy(default)
        else:
            out[key] = complete(default, out[key])
    return out


def to_current(data: Any, ctx: ShapeContext, path: str = "") -> Any:
    """A copy of ``data`` in today's shapes (see the module docstring); anything unknown passes through."""
    if isinstance(data, list):
        return [to_current(item, ctx, path) for item in data]
    if not isinstance(data, dict):
        return data
    kind = data.get("object")
    if kind == "list":
        out = {key: data[key] for key in _LIST_KEYS if key in data}
        out["data"] = to_current(list(data.get("data") or []), ctx, _join(path, "data"))
        return out
    if kind == "search_result":
        return {**data, "data": to_current(list(data.get("data") or []), ctx, _join(path, "data"))}
    if isinstance(kind, str) and kind in SHAPES:
        return _shape(data, kind, ctx, path)
    return {key: to_current(value, ctx, _join(path, key)) for key, value in data.items()}


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _shape(obj: dict[str, Any], kind: str, ctx: ShapeContext, path: str) -> dict[str, Any]:
    if obj.get("deleted") is True:
        keys = DELETED_KEYS.get(kind, ("deleted", "id", "object"))
        return {key: obj[key] for key in keys if key in obj}
    shape = SHAPES[kind]
    obj_id = obj.get("id") if isinstance(obj.get("id"), str) else None
    out: dict[str, Any] = {}
    for key in ("id", "object", *shape["keys"]):
        if key in out or key not in shape["keys"]:
            continue
        value = obj[key] if key in obj else unset_value(kind, key, obj_id)
        child = _join(path, key)
        if key in shape["nested"]:
            value = complete(shape["nested"][key], value)
        if key in shape["expandable"] and isinstance(value, dict) and "id" in value and not ctx.expanded(child):
            value = value["id"]
        out[key] = to_current(value, ctx, child)
    for key in INCLUDABLE.get(kind, ()):
        if key in obj and ctx.expanded(_join(path, key)):
            out[key] = to_current(obj[key], ctx, _join(path, key))
    return out


async def expand_paths(data: Any, ctx: ShapeContext, fetch: Fetch) -> Any:
    """Expand, in place, every ``ctx.expand`` path the translated ``data`` still holds as an id."""
    for expansion in sorted(ctx.expand, key=lambda p: p.count(".")):
        await _expand(data, expansion.split("."), fetch, expansion)
    return data


async def _expand(node: Any, segments: list[str], fetch: Fetch, expansion: str) -> None:
    if isinstance(node, list):
        for item in node:
            await _expand(item, segments, fetch, expansion)
        return
    if not isinstance(node, dict) or not segments:
        return
    key, rest = segments[0], segments[1:]
    if node.get("object") == "list" and key == "data":
        await _expand(node["data"], rest, fetch, expansion)
        return
    if key not in node:
        raise StripeErrorResponse(400, f"This property cannot be expanded ({key}).", param="expand")
    value = node[key]
    kind = node.get("object")
    if isinstance(value, list) and kind in SHAPES and key in SHAPES[kind].get("expandable_lists", ()):
        for n, element in enumerate(value):  # a list of ids (``discounts``): each one expanded
            if isinstance(element, str) and element:
                fetched = await fetch(key, element)
                if fetched is not None:
                    value[n] = fetched
    if isinstance(value, str) and value and (kind not in SHAPES or key in SHAPES[kind]["expandable"]):
        fetched = await fetch(key, value, rest)
        if fetched is not None:
            node[key] = value = fetched
    elif value is not None and not isinstance(value, (dict, list)):
        raise StripeErrorResponse(400, f"This property cannot be expanded ({key}).", param="expand")
    await _expand(value, rest, fetch, expansion)
