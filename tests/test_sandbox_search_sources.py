"""Lists and search over a collection, in-process: the front reads the engine's collections through
``lists.ListState`` (``collection``, ``exists``, ``version``); a fake state over a dict exercises
parsing, ordering, filters, the cache and search exactly as the HTTP tests do over the engine.
"""

from __future__ import annotations

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
    """The parts of the front's state lists and search read (lists.ListState), over a plain dict."""

    objects: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    lists: ListCache = field(default_factory=ListCache)
    generation: int = 0
    reads: list[str] = field(default_factory=list)

    def collection(self, kind: str) -> list[dict[str, Any]]:
        self.reads.append(kind)
        return list(self.objects.get(kind, []))

    def exists(self, kind: str, obj_id: str) -> bool:
        return any(o["id"] == obj_id for o in self.objects.get(kind, []))

    @property
    def version(self) -> int:
        return self.generation


def _state_with_prices() -> _State:
    return _State(objects={"price": list(PRICES)})


def _list(state: _State, **params: Any) -> list[str]:
    pairs = [(k, v) for k, vs in params.items() for v in (vs if isinstance(vs, list) else [vs])]
    result = answer_list(state, "/v1/prices", pairs)
    assert result is not None
    return [p["id"] for p in result["data"]]


def _search(state: _State, query: str) -> list[str]:
    result = answer_search(state, "/v1/prices/search", [("query", query), ("limit", "100")])
    assert result is not None and result["object"] == "search_result"
    return [p["id"] for p in result["data"]]


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


def test_a_collection_is_read_once_until_the_store_changes() -> None:
    state = _state_with_prices()
    _list(state)
    _search(state, "active:'true'")
    _list(state, **{"expand[]": "data.product"})
    assert state.reads == ["price"]
    state.generation += 1
    _list(state)
    assert state.reads == ["price", "price"]


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
    state = _state_with_prices()
    query = [("query", "currency:'usd'"), ("limit", "1")]
    first = answer_search(state, "/v1/prices/search", query)
    assert first is not None and [p["id"] for p in first["data"]] == ["price_4"] and first["has_more"]
    state.objects["price"].remove(PRICES[3])  # price_4, the object the token names, is deleted
    state.generation += 1
    second = answer_search(state, "/v1/prices/search", [*query, ("page", first["next_page"])])
    assert second is not None and [p["id"] for p in second["data"]] == ["price_3"]
    with pytest.raises(StripeErrorResponse) as caught:
        answer_search(state, "/v1/prices/search", [("query", "active:'true'"), ("page", first["next_page"])])
    assert caught.value.param == "page"
