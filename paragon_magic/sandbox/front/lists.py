"""Stripe-faithful list endpoints on top of localstripe's (oldest-first, filter-poor, slow) lists.

A whole collection is read once (a huge ``limit`` upstream, or a front-layer source such as prices)
and cached until the next write; ordering (newest first, ties: newest inserted first), cursors,
``created`` ranges, filters and backdated timestamps are all applied here. The endpoints and their
filters are in :mod:`list_specs`, parameter validation in :mod:`list_query`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .errors import no_such
from .list_query import ListQuery, parse_list_query, range_ok
from .list_collect import FETCH_ALL, UpstreamReader, collect_plain
from .list_specs import ListSpec, find_list_spec
from .proxy import apply_backdates

#: A front-layer store's whole collection, oldest first (given the ``expand`` list).
ObjectSource = Callable[[tuple[str, ...]], Awaitable[list[dict[str, Any]]]]


@dataclass
class Ordered:
    """A collection in list order, with each id's position and (backdated) ``created``."""

    objects: list[dict[str, Any]]
    position: dict[str, int]
    created: dict[str, int]


def order_collection(spec: ListSpec, collection: list[dict[str, Any]]) -> Ordered:
    """List order from a collection in upstream order: newest first, ties newest inserted first
    (by id where localstripe's order lost insertion order), or as given (invoice lines)."""
    if spec.order == "newest":
        if spec.upstream_order == "other":
            collection = sorted(collection, key=lambda o: (o.get("created") or 0, o["id"]))
        elif spec.upstream_order == "created_desc":  # stable sort: ties keep store (insertion) order
            collection = sorted(collection, key=lambda o: o.get("created") or 0)
        keyed = {obj["id"]: (int(obj.get("created") or 0), index) for index, obj in enumerate(collection)}
        objects = sorted(collection, key=lambda o: keyed[o["id"]], reverse=True)
    else:
        objects = list(collection)
    return Ordered(
        objects,
        {obj["id"]: index for index, obj in enumerate(objects)},
        {obj["id"]: int(obj.get("created") or 0) for obj in objects},
    )


Slot = tuple[str, tuple[str, ...], str | None]


@dataclass
class ListCache:
    """Whole collections per (path, expand, scope), dropped on every write through the front layer.

    ``sources`` maps a :attr:`ListSpec.source` name (e.g. ``"prices"``) to the front-layer store that
    holds those objects; a list whose source is not registered is not served here."""

    sources: dict[str, ObjectSource] = field(default_factory=dict)
    #: Memo of derived lookups (e.g. a payment method's card for charge search), dropped on writes.
    lookups: dict[str, Any] = field(default_factory=dict)
    _collections: dict[Slot, list[dict[str, Any]]] = field(default_factory=dict)
    _ordered: dict[Slot, tuple[int, Ordered]] = field(default_factory=dict)
    generation: int = 0
    hits: int = 0
    misses: int = 0

    def invalidate(self) -> None:
        self.generation += 1
        self._collections.clear()
        self._ordered.clear()
        self.lookups.clear()

    def resolve(self, path: str) -> ListSpec | None:
        spec = find_list_spec(path)
        if spec is not None and spec.source is not None and spec.source not in self.sources:
            return None
        return spec

    async def ordered(
        self, spec: ListSpec, expand: tuple[str, ...], upstream: UpstreamReader,
        backdates: Mapping[str, int], backdate_fields: Mapping[str, Mapping[str, int | None]],
        backdate_version: int, scope: str | None = None,
    ) -> Ordered:  # fmt: skip
        """The collection in list order, every object carrying its backdated timestamps."""
        slot = (spec.upstream_path, expand, scope)
        cached = self._ordered.get(slot)
        if cached is not None and cached[0] == backdate_version and slot in self._collections:
            self.hits += 1
            return cached[1]
        self.misses += 1
        collection = self._collections.get(slot)
        if collection is None:
            generation = self.generation
            collection = await self._read(spec, expand, upstream, scope)
            if generation == self.generation:
                self._collections[slot] = collection
        ordered = order_collection(spec, apply_backdates(collection, backdates, backdate_fields))
        if slot in self._collections:
            self._ordered[slot] = (backdate_version, ordered)
        return ordered

    async def _read(self, spec: ListSpec, expand: tuple[str, ...], upstream: UpstreamReader, scope: str | None) -> list[dict[str, Any]]:  # fmt: skip
        if spec.source is not None:
            return list(await self.sources[spec.source](expand))
        if spec.collect is None:
            return await collect_plain(upstream, spec, expand, scope)
        return await spec.collect(_SharingReader(self, upstream), spec, expand, scope)


class _SharingReader:
    """An upstream reader for collectors that reuses (and fills) the cache's plain collections, so
    e.g. invoice items and the invoices list read localstripe's invoices once between writes."""

    def __init__(self, cache: ListCache, upstream: UpstreamReader) -> None:
        self._cache = cache
        self._upstream = upstream

    async def fetch_list(self, path: str, params: list[tuple[str, str]]) -> list[dict[str, Any]]:
        spec = find_list_spec(path)
        if params != [("limit", FETCH_ALL)] or spec is None or spec.collect or spec.upstream_params:
            return await self._upstream.fetch_list(path, params)
        slot: Slot = (path, (), None)
        if slot not in self._cache._collections:
            generation = self._cache.generation
            collection = await self._upstream.fetch_list(path, params)
            if generation != self._cache.generation:
                return collection
            self._cache._collections[slot] = collection
        return list(self._cache._collections[slot])

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        return await self._upstream.call(method, path, **kwargs)


def page(spec: ListSpec, url: str, query: ListQuery, ordered: Ordered) -> dict[str, Any]:
    """One Stripe list page (``object``, ``data``, ``has_more``, ``url``) from an ordered collection."""
    cursor_param = "starting_after" if query.starting_after else "ending_before"
    cursor_id = query.starting_after or query.ending_before
    cursor = -1
    if cursor_id is not None:
        if cursor_id not in ordered.position:
            raise no_such(spec.noun, cursor_id, param=cursor_param)
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


class ListState(Protocol):
    """The parts of the front layer's state lists and search read."""

    lists: ListCache
    upstream: Any
    backdates: dict[str, int]
    backdate_fields: dict[str, dict[str, int | None]]
    backdate_version: int


async def answer_list(state: ListState, path: str, pairs: list[tuple[str, str]]) -> dict[str, Any] | None:
    """The list page for ``GET path?pairs``, or None when ``path`` is not a list served here."""
    spec = state.lists.resolve(path)
    if spec is None:
        return None
    query = parse_list_query(spec.filters, pairs, created=spec.created, exclusive=spec.exclusive, required=spec.required)
    scope = query.filters.get(spec.scope) if spec.scope else None
    ordered = await state.lists.ordered(
        spec, query.expand, state.upstream, state.backdates, state.backdate_fields,
        state.backdate_version, scope,
    )  # fmt: skip
    return page(spec, path, query, ordered)
