"""Stripe's list semantics over the engine's collections: newest first, cursors, ``created`` ranges,
each list's filters (:mod:`list_specs`), parameters validated as Stripe does (:mod:`list_query`).

A collection in list order is cached per (kind, parent) until the engine's store changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..engine.store import created_of
from .errors import no_such
from .list_query import ListQuery, parse_list_query, range_ok
from .list_specs import ListSpec, find_list_spec

#: The engine's collection of a kind, oldest first.
Collection = Callable[[str], list[dict[str, Any]]]


@dataclass
class Ordered:
    """A collection in list order, with each id's position and ``created``."""

    objects: list[dict[str, Any]]
    position: dict[str, int]
    created: dict[str, int]


def order_collection(spec: ListSpec, collection: list[dict[str, Any]]) -> Ordered:
    """List order from a collection oldest first: newest first (ties: newest made first), or as given."""
    objects = list(reversed(collection)) if spec.order == "newest" else list(collection)
    return Ordered(
        objects,
        {obj["id"]: index for index, obj in enumerate(objects)},
        {obj["id"]: created_of(obj) for obj in objects},
    )


@dataclass
class ListCache:
    """Collections in list order per (kind, parent), dropped whenever the store's generation moves."""

    hits: int = 0
    misses: int = 0
    _ordered: dict[tuple[str, str | None], tuple[Any, Ordered]] = field(default_factory=dict)

    def invalidate(self) -> None:
        self._ordered.clear()

    def ordered(self, spec: ListSpec, collection: Collection, version: Any) -> Ordered:
        parent = spec.parent[2] if spec.parent else None
        slot = (spec.kind, parent)
        cached = self._ordered.get(slot)
        if cached is not None and cached[0] == version:
            self.hits += 1
            return cached[1]
        self.misses += 1
        objects = collection(spec.kind)
        if spec.parent is not None:
            objects = [o for o in objects if o.get(spec.parent[0]) == parent]
        ordered = order_collection(spec, objects)
        self._ordered[slot] = (version, ordered)
        return ordered


class ListState(Protocol):
    """The parts of the front layer's state lists and search read."""

    lists: ListCache

    def collection(self, kind: str) -> list[dict[str, Any]]: ...

    def exists(self, kind: str, obj_id: str) -> bool: ...

    @property
    def version(self) -> Any: ...


def page(spec: ListSpec, url: str, query: ListQuery, ordered: Ordered) -> dict[str, Any]:
    """One Stripe list page (``object``, ``data``, ``has_more``, ``url``) from an ordered collection."""
    cursor_param = "starting_after" if query.starting_after else "ending_before"
    cursor_id = query.starting_after or query.ending_before
    cursor = -1
    if cursor_id is not None:
        if cursor_id not in ordered.position:
            raise no_such(spec.noun if spec.parent is None else spec.kind, cursor_id, param=cursor_param)
        cursor = ordered.position[cursor_id]

    def wanted(obj: dict[str, Any]) -> bool:
        if query.created is not None and not range_ok(ordered.created[obj["id"]], query.created):
            return False
        return spec.match(obj, query.filters)

    if query.ending_before:
        candidates = [obj for obj in ordered.objects[:cursor] if wanted(obj)]
        data = candidates[-query.limit :]
        has_more = len(candidates) > query.limit
    else:
        data = []
        has_more = False
        for obj in ordered.objects[cursor + 1 :]:
            if wanted(obj):
                if len(data) == query.limit:
                    has_more = True
                    break
                data.append(obj)
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def answer_list(state: ListState, path: str, pairs: list[tuple[str, str]]) -> dict[str, Any] | None:
    """The list page for ``GET path?pairs``, or None when ``path`` is not a list served here."""
    spec = find_list_spec(path)
    if spec is None:
        return None
    if spec.parent is not None and not state.exists(spec.parent[1], spec.parent[2]):
        raise no_such(spec.noun, spec.parent[2])
    query = parse_list_query(spec.filters, pairs, created=spec.created, exclusive=spec.exclusive, required=spec.required)
    if spec.filter_parent is not None and spec.filter_parent[0] in query.filters:
        name, kind = spec.filter_parent
        if not state.exists(kind, str(query.filters.get(name))):
            raise no_such(kind, str(query.filters.get(name)), param=name)
    ordered = state.lists.ordered(spec, state.collection, state.version)
    return page(spec, path, query, ordered)
