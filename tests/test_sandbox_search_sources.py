"""Front-layer object stores (prices) plug into lists and search through ``ListCache.sources``.

The seam is exercised in-process with a fake price store: the HTTP path for prices exists once the
price store registers itself (``state.lists.sources["prices"] = ...``); everything below that seam
(parsing, ordering, filters, search) is the same code the HTTP tests cover.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

from paragon_magic.sandbox.front.errors import StripeErrorResponse
from paragon_magic.sandbox.front.lists import ListCache, answer_list
from paragon_magic.sandbox.front.search import answer_search


def _price(i: int, **fields: Any) -> dict[str, Any]:
    base = {"id": f"price_{i}", "object": "price", "created": 1_700_000_000 + i, "active": True,
            "currency": "usd", "product": "prod_a", "type": "recurring", "lookup_key": None,
            "recurring": {"interval": "month", "usage_type": "licensed", "meter": None}, "metadata": {}}  # fmt: skip
    return {**base, **fields}


PRICES = [
    _price(1),
    _price(2, currency="eur", recurring={"interval": "year", "usage_type": "licensed", "meter": None}),
    _price(3, type="one_time", recurring=None, lookup_key="gold_once", product="prod_b"),
    _price(4, active=False, metadata={"tier": "legacy"}),
]


@dataclass
class _State:
    lists: ListCache = field(default_factory=ListCache)
    upstream: Any = None
    backdates: dict[str, int] = field(default_factory=dict)
    backdate_fields: dict[str, dict[str, int | None]] = field(default_factory=dict)
    backdate_version: int = 0


def _state_with_prices(calls: list[tuple[str, ...]] | None = None) -> _State:
    state = _State()
    calls = [] if calls is None else calls

    async def all_prices(expand: tuple[str, ...]) -> list[dict[str, Any]]:
        calls.append(expand)
        return PRICES

    state.lists.sources["prices"] = all_prices
    return state


def _list(state: _State, **params: Any) -> list[str]:
    pairs = [(k, v) for k, vs in params.items() for v in (vs if isinstance(vs, list) else [vs])]
    result = asyncio.run(answer_list(state, "/v1/prices", pairs))
    assert result is not None
    return [p["id"] for p in result["data"]]


def _search(state: _State, query: str) -> list[str]:
    result = asyncio.run(answer_search(state, "/v1/prices/search", [("query", query), ("limit", "100")]))
    assert result is not None and result["object"] == "search_result"
    return [p["id"] for p in result["data"]]


def test_without_a_registered_store_prices_are_not_served_here() -> None:
    state = _State()
    assert asyncio.run(answer_list(state, "/v1/prices", [])) is None
    assert asyncio.run(answer_search(state, "/v1/prices/search", [("query", "active:'true'")])) is None


def test_price_list_filters_over_a_registered_store() -> None:
    state = _state_with_prices()
    assert _list(state) == ["price_4", "price_3", "price_2", "price_1"]
    assert _list(state, active="false") == ["price_4"]
    assert _list(state, currency="eur") == ["price_2"]
    assert _list(state, product="prod_b") == ["price_3"]
    assert _list(state, type="one_time") == ["price_3"]
    assert _list(state, **{"lookup_keys[]": ["gold_once", "nope"]}) == ["price_3"]
    assert _list(state, **{"recurring[interval]": "year"}) == ["price_2"]
    assert _list(state, **{"created[gte]": "1700000003"}) == ["price_4", "price_3"]
    assert _list(state, starting_after="price_3") == ["price_2", "price_1"]
    with pytest.raises(StripeErrorResponse, match="Received unknown parameter: recurring\\[colour\\]"):
        _list(state, **{"recurring[colour]": "red"})
    with pytest.raises(StripeErrorResponse, match="Invalid type: must be one of one_time, or recurring"):
        _list(state, type="metered")


def test_the_store_is_read_once_until_a_write_invalidates_the_cache() -> None:
    calls: list[tuple[str, ...]] = []
    state = _state_with_prices(calls)
    _list(state)
    _search(state, "active:'true'")
    assert calls == [()]
    _list(state, **{"expand[]": "data.product"})
    assert calls == [(), ("data.product",)]
    state.lists.invalidate()
    _list(state)
    assert calls == [(), ("data.product",), ()]


def test_price_search_over_a_registered_store() -> None:
    state = _state_with_prices()
    assert _search(state, "active:'true' AND currency:'usd'") == ["price_3", "price_1"]
    assert _search(state, "-active:'true'") == ["price_4"]
    assert _search(state, "lookup_key~'gold'") == ["price_3"]
    assert _search(state, "type:'one_time' OR currency:'eur'") == ["price_3", "price_2"]
    assert _search(state, "metadata['tier']:'legacy'") == ["price_4"]
    assert _search(state, "product:'prod_a' lookup_key:null") == ["price_4", "price_2", "price_1"]
    with pytest.raises(StripeErrorResponse, match="unsupported search field for resource `prices`") as caught:
        _search(state, "unit_amount>100")
    assert caught.value.param == "query" and caught.value.status == 400


def test_next_page_survives_the_deletion_of_its_last_object() -> None:
    store = list(PRICES)

    async def all_prices(expand: tuple[str, ...]) -> list[dict[str, Any]]:
        return store

    state = _State()
    state.lists.sources["prices"] = all_prices
    query = [("query", "currency:'usd'"), ("limit", "1")]
    first = asyncio.run(answer_search(state, "/v1/prices/search", query))
    assert first is not None and [p["id"] for p in first["data"]] == ["price_4"] and first["has_more"]
    store.remove(PRICES[3])  # price_4, the object the token names, is deleted
    state.lists.invalidate()
    second = asyncio.run(answer_search(state, "/v1/prices/search", [*query, ("page", first["next_page"])]))
    assert second is not None and [p["id"] for p in second["data"]] == ["price_3"]
    with pytest.raises(StripeErrorResponse) as caught:
        asyncio.run(answer_search(state, "/v1/prices/search", [("query", "active:'true'"), ("page", first["next_page"])]))
    assert caught.value.param == "page"
