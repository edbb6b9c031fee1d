"""Stripe-faithful list endpoints on top of localstripe's (oldest-first, filter-poor, slow) lists.

The whole upstream collection is fetched once with a huge ``limit`` and cached until the next write;
ordering (newest first, ties: newest inserted first), cursors, ``created`` ranges, filters and
backdated ``created`` values are all applied here.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .front_errors import StripeErrorResponse, no_such, unknown_param
from .front_shapes_types import items_in_subscription

Fetch = Callable[[str, list[tuple[str, str]]], Awaitable[list[dict[str, Any]]]]
Matcher = Callable[[dict[str, Any], dict[str, Any]], bool]

_COMMON = frozenset({"limit", "starting_after", "ending_before", "created", "expand"})
_RANGE_OPS = ("gt", "gte", "lt", "lte")
_SUB_STATUSES = {
    "active", "past_due", "unpaid", "canceled", "incomplete", "incomplete_expired",
    "trialing", "paused", "all", "ended",
}  # fmt: skip
_HIDDEN_BY_DEFAULT = {"canceled", "incomplete_expired"}
_FETCH_ALL = "1000000"


def _eq(field_name: str) -> Matcher:
    return lambda obj, f: field_name not in f or obj.get(field_name) == f[field_name]


def _all(*matchers: Matcher) -> Matcher:
    return lambda obj, f: all(m(obj, f) for m in matchers)


def _range_ok(value: Any, cond: Any) -> bool:
    if isinstance(cond, int):
        return value == cond
    if not isinstance(value, int):
        return False
    ops = {"gt": value.__gt__, "gte": value.__ge__, "lt": value.__lt__, "lte": value.__le__}
    return all(ops[op](bound) for op, bound in cond.items())


def _subscription_status(obj: dict[str, Any], f: dict[str, Any]) -> bool:
    status = f.get("status")
    actual = obj.get("status")
    if status is None:
        return actual not in _HIDDEN_BY_DEFAULT
    if status == "all":
        return True
    if status == "ended":
        return actual in _HIDDEN_BY_DEFAULT
    return actual == status


def _subscription_prices(obj: dict[str, Any]) -> set[str]:
    ids = set()
    plan = obj.get("plan")
    if isinstance(plan, dict):
        ids.add(plan.get("id"))
    for item in (obj.get("items") or {}).get("data", []):
        for key in ("plan", "price"):
            if isinstance(item.get(key), dict):
                ids.add(item[key].get("id"))
    return ids


def _subscription(obj: dict[str, Any], f: dict[str, Any]) -> bool:
    if not _subscription_status(obj, f):
        return False
    for name in ("plan", "price"):
        if name in f and f[name] not in _subscription_prices(obj):
            return False
    if "collection_method" in f:
        if obj.get("collection_method", "charge_automatically") != f["collection_method"]:
            return False
    if "current_period_start" in f or "current_period_end" in f:  # the periods its items show
        items = items_in_subscription(obj, 0)
        period = items[0] if items else {}
        for name in ("current_period_start", "current_period_end"):
            if name in f and not _range_ok(period.get(name), f[name]):
                return False
    return _eq("customer")(obj, f)


def _product(obj: dict[str, Any], f: dict[str, Any]) -> bool:
    if "ids" in f and obj.get("id") not in f["ids"]:
        return False
    if "type" in f and obj.get("type", "service") != f["type"]:
        return False
    return _all(_eq("active"), _eq("shippable"), _eq("url"))(obj, f)


@dataclass(frozen=True)
class ListSpec:
    """One list endpoint: its upstream collection, allowed filters and how they match."""

    upstream_path: str
    noun: str
    filters: Mapping[str, str]  # filter name -> kind: "str" | "bool" | "list" | "range"
    match: Matcher
    upstream_params: tuple[tuple[str, str], ...] = ()
    upstream_sorted_desc: bool = False


_BALANCE = ListSpec(
    "/v1/balance_transactions",
    "balance transaction",
    {"type": "str", "currency": "str", "source": "str", "payout": "str"},
    _all(_eq("type"), _eq("currency"), _eq("source"), _eq("payout")),
    upstream_sorted_desc=True,
)

LIST_SPECS: dict[str, ListSpec] = {
    "/v1/customers": ListSpec(
        "/v1/customers", "customer", {"email": "str", "test_clock": "str"},
        _all(_eq("email"), _eq("test_clock")),
    ),
    "/v1/subscriptions": ListSpec(
        "/v1/subscriptions", "subscription",
        {"customer": "str", "status": "str", "plan": "str", "price": "str",
         "collection_method": "str", "current_period_start": "range",
         "current_period_end": "range", "test_clock": "str"},
        _subscription, upstream_params=(("status", "all"),),
    ),
    "/v1/products": ListSpec(
        "/v1/products", "product",
        {"active": "bool", "ids": "list", "shippable": "bool", "type": "str", "url": "str"},
        _product,
    ),
    "/v1/plans": ListSpec(
        "/v1/plans", "plan", {"active": "bool", "product": "str"},
        _all(_eq("active"), _eq("product")),
    ),
    "/v1/balance_transactions": _BALANCE,
    "/v1/balance/history": _BALANCE,
}  # fmt: skip


def parse_bracketed(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``created[gte]=1`` -> ``{"created": {"gte": "1"}}``; ``ids[]``/``ids[0]`` -> lists."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        match = re.match(r"^([^\[\]]+)(?:\[([^\[\]]*)\])?$", key)
        if not match:
            raise unknown_param(key)
        name, sub = match.group(1), match.group(2)
        if sub is None:
            out[name] = value
        elif sub == "" or sub.isdigit():
            existing = out.setdefault(name, [])
            if not isinstance(existing, list):
                raise unknown_param(key)
            existing.append(value)
        else:
            existing = out.setdefault(name, {})
            if not isinstance(existing, dict):
                raise unknown_param(key)
            existing[sub] = value
    return out


def _as_int(value: Any, param: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise StripeErrorResponse(
            400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=param
        ) from None


def _as_range(value: Any, param: str) -> int | dict[str, int]:
    if isinstance(value, dict):
        bad = [op for op in value if op not in _RANGE_OPS]
        if bad:
            raise unknown_param(f"{param}[{bad[0]}]")
        return {op: _as_int(v, f"{param}[{op}]") for op, v in value.items()}
    return _as_int(value, param)


def _as_bool(value: Any, param: str) -> bool:
    if value in ("true", "false"):
        return value == "true"
    raise StripeErrorResponse(400, f"Invalid boolean: {value}", code="parameter_invalid_boolean", param=param)  # fmt: skip


@dataclass
class ListQuery:
    limit: int
    starting_after: str | None
    ending_before: str | None
    created: int | dict[str, int] | None
    expand: tuple[str, ...]
    filters: dict[str, Any]


def parse_list_query(spec: ListSpec, pairs: list[tuple[str, str]]) -> ListQuery:
    """Validate list parameters the way Stripe does (400 with ``param`` on anything off)."""
    params = parse_bracketed(pairs)
    for name in params:
        if name not in _COMMON and name not in spec.filters:
            raise unknown_param(name)
    limit = _as_int(params.get("limit", 10), "limit")
    if not 1 <= limit <= 100:
        raise StripeErrorResponse(
            400,
            f"Invalid limit: must be between 1 and 100 (got {limit})",
            code="parameter_invalid_integer",
            param="limit",
        )
    if "starting_after" in params and "ending_before" in params:
        raise StripeErrorResponse(
            400,
            "You may only specify one of these parameters: ending_before, starting_after.",
            param="ending_before",
        )
    filters: dict[str, Any] = {}
    for name, kind in spec.filters.items():
        if name not in params:
            continue
        value = params[name]
        if kind == "bool":
            filters[name] = _as_bool(value, name)
        elif kind == "range":
            filters[name] = _as_range(value, name)
        elif kind == "list":
            filters[name] = set(value if isinstance(value, list) else [value])
        elif not isinstance(value, str):
            raise StripeErrorResponse(400, f"Invalid string: {value}", param=name)
        else:
            filters[name] = value
    if spec.upstream_path == "/v1/subscriptions" and filters.get("status", "all") not in _SUB_STATUSES:
        raise StripeErrorResponse(400, f"Invalid status: {filters['status']}", param="status")
    expand = params.get("expand", [])
    return ListQuery(
        limit=limit,
        starting_after=params.get("starting_after") or None,
        ending_before=params.get("ending_before") or None,
        created=_as_range(params["created"], "created") if "created" in params else None,
        expand=tuple(expand if isinstance(expand, list) else [expand]),
        filters=filters,
    )


@dataclass
class _Ordered:
    """A collection sorted newest first, with each id's sort key (created, insertion index)."""

    objects: list[dict[str, Any]]
    keys: dict[str, tuple[int, int]]


@dataclass
class ListCache:
    """Full upstream collections per (path, expand), dropped on every write through the front layer."""

    _collections: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = field(default_factory=dict)  # fmt: skip
    _ordered: dict[tuple[str, tuple[str, ...], int], _Ordered] = field(default_factory=dict)
    generation: int = 0
    hits: int = 0
    misses: int = 0

    def invalidate(self) -> None:
        self.generation += 1
        self._collections.clear()
        self._ordered.clear()

    async def ordered(
        self, spec: ListSpec, expand: tuple[str, ...], fetch: Fetch,
        backdates: Mapping[str, int], backdate_version: int,
    ) -> _Ordered:  # fmt: skip
        slot = (spec.upstream_path, expand)
        cached = self._ordered.get((*slot, backdate_version))
        if cached is not None and slot in self._collections:
            self.hits += 1
            return cached
        self.misses += 1
        collection = self._collections.get(slot)
        if collection is None:
            generation = self.generation
            params = [("limit", _FETCH_ALL), *spec.upstream_params]
            params += [("expand[]", e) for e in expand]
            collection = await fetch(spec.upstream_path, params)
            if spec.upstream_sorted_desc:  # back to insertion order (created is non-decreasing)
                collection = sorted(collection, key=lambda o: o.get("created", 0))
            if generation == self.generation:
                self._collections[slot] = collection
        keys = {
            obj["id"]: (int(backdates.get(obj["id"], obj.get("created", 0))), index)
            for index, obj in enumerate(collection)
        }
        ordered = _Ordered(sorted(collection, key=lambda o: keys[o["id"]], reverse=True), keys)
        if slot in self._collections:
            self._ordered = {k: v for k, v in self._ordered.items() if k[:2] != slot}
            self._ordered[(*slot, backdate_version)] = ordered
        return ordered


def order_newest_first(collection: list[dict[str, Any]], backdates: Mapping[str, int]) -> _Ordered:
    """A collection in insertion order, sorted newest first (ties: newest inserted first) for :func:`page`."""
    keys = {
        obj["id"]: (int(backdates.get(obj["id"], obj.get("created", 0))), index)
        for index, obj in enumerate(collection)
    }
    return _Ordered(sorted(collection, key=lambda o: keys[o["id"]], reverse=True), keys)


def page(spec: ListSpec, url: str, query: ListQuery, ordered: _Ordered) -> dict[str, Any]:
    """One Stripe list page (``object``, ``data``, ``has_more``, ``url``) from an ordered collection."""
    keys = ordered.keys
    cursor_param = "starting_after" if query.starting_after else "ending_before"
    cursor_id = query.starting_after or query.ending_before
    cursor_key = None
    if cursor_id is not None:
        if cursor_id not in keys:
            raise no_such(spec.noun, cursor_id, param=cursor_param)
        cursor_key = keys[cursor_id]

    def wanted(obj: dict[str, Any]) -> bool:
        key = keys[obj["id"]]
        if query.created is not None and not _range_ok(key[0], query.created):
            return False
        if cursor_key is not None:
            if query.starting_after and not key < cursor_key:
                return False
            if query.ending_before and not key > cursor_key:
                return False
        return spec.match(obj, query.filters)

    if query.ending_before:
        candidates = [obj for obj in ordered.objects if wanted(obj)]
        data = candidates[-query.limit :]
        has_more = len(candidates) > query.limit
    else:
        data = []
        has_more = False
        for obj in ordered.objects:
            if wanted(obj):
                if len(data) == query.limit:
                    has_more = True
                    break
                data.append(obj)
    return {"object": "list", "data": data, "has_more": has_more, "url": url}
