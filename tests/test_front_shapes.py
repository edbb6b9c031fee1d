"""``front_shapes`` as functions: fixture objects survive unchanged, expansions collapse, the data is current.

(Over HTTP, every served type is checked against the fixtures in test_sandbox_shapes.py.)
"""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from paragon_magic.sandbox.front import _generate_shapes
from paragon_magic.sandbox.front._shapes_generated import SHAPES
from paragon_magic.sandbox.front.errors import StripeErrorResponse
from paragon_magic.sandbox.front.shapes import ShapeContext, expand_params, expand_paths, to_current

FIXTURE_FILE = Path(__file__).parent / "fixtures/stripe/fixtures3.json"
FIXTURES = json.loads(FIXTURE_FILE.read_text())["resources"]
CTX = ShapeContext()


def test_generated_module_is_up_to_date() -> None:
    generated = Path(_generate_shapes.__file__).with_name("_shapes_generated.py").read_text()
    assert _generate_shapes.render(*_generate_shapes.build(FIXTURES)) == generated


@pytest.mark.parametrize("object_type", sorted(SHAPES))
def test_a_fixture_object_keeps_its_keys(object_type: str) -> None:
    fixture = copy.deepcopy(FIXTURES[object_type])
    shaped = to_current(fixture, ShapeContext(expand=frozenset(SHAPES[object_type]["expandable"])))
    assert set(shaped) == set(FIXTURES[object_type])
    assert to_current(shaped, CTX) == to_current(fixture, CTX)  # translating twice changes nothing


def test_lists_lose_total_count_and_expandables_collapse_unless_expanded() -> None:
    charge = {"id": "ch_1", "object": "charge", "customer": {"id": "cus_1", "object": "customer"}, "amount": 5}
    page = {"object": "list", "data": [charge], "has_more": False, "url": "/v1/charges", "total_count": 1}
    plain = to_current(page, CTX)
    assert set(plain) == {"object", "data", "has_more", "url"} and plain["data"][0]["customer"] == "cus_1"
    expanded = to_current(page, ShapeContext(expand=frozenset({"data.customer"})))
    assert expanded["data"][0]["customer"]["id"] == "cus_1"
    assert set(expanded["data"][0]["customer"]) == set(FIXTURES["customer"])


def test_includable_properties_only_when_expanded() -> None:
    stored = {"id": "cus_1", "object": "customer", "created": 1,
              "sources": {"object": "list", "data": [], "has_more": False, "url": "/v1/customers/cus_1/sources"}}
    assert "sources" not in to_current(stored, CTX)
    included = to_current(stored, ShapeContext(expand=frozenset({"sources"})))
    assert included["sources"] == {"object": "list", "data": [], "has_more": False, "url": "/v1/customers/cus_1/sources"}


def test_deleted_objects_keep_only_their_keys() -> None:
    gone = to_current({"id": "cus_1", "object": "customer", "deleted": True, "account_balance": 0}, CTX)
    assert gone == {"id": "cus_1", "object": "customer", "deleted": True}


def test_expand_paths_fetch_ids_and_reject_what_is_not_expandable() -> None:
    fetched: list[tuple[str, str]] = []

    async def fetch(field: str, obj_id: str, rest: Any = ()) -> dict[str, Any]:
        fetched.append((field, obj_id))
        return {"id": obj_id, "object": "customer"}

    ctx = ShapeContext(expand=frozenset({"data.customer"}))
    page = to_current({"object": "list", "data": [{"id": "ch_1", "object": "charge", "customer": "cus_9"}],
                       "has_more": False, "url": "/v1/charges"}, ctx)  # fmt: skip
    asyncio.run(expand_paths(page, ctx, fetch))
    assert fetched == [("customer", "cus_9")] and page["data"][0]["customer"]["object"] == "customer"
    with pytest.raises(StripeErrorResponse, match=r"cannot be expanded \(amount\)"):
        asyncio.run(expand_paths(to_current({"id": "ch_1", "object": "charge", "amount": 1}, CTX),
                                 ShapeContext(expand=frozenset({"amount"})), fetch))  # fmt: skip


def test_a_list_of_ids_expands_each_id() -> None:
    """``discounts`` is ``List[ExpandableField[Discount]]`` in stripe-python: expand[]=discounts expands each."""
    async def fetch(field: str, obj_id: str) -> dict[str, Any]:
        return {"id": obj_id, "object": "discount", "source": {"type": "coupon", "coupon": "co_1"}}

    ctx = ShapeContext(expand=frozenset({"data.discounts", "data.items.data.discounts"}))
    page = {"object": "list", "has_more": False, "url": "/v1/subscriptions", "data": [
        {"id": "sub_1", "object": "subscription", "discounts": ["di_1", "di_2"],
         "items": {"object": "list", "data": [{"id": "si_1", "object": "subscription_item", "discounts": ["di_3"]}]}},
    ]}  # fmt: skip
    asyncio.run(expand_paths(page, ctx, fetch))
    sub = page["data"][0]
    assert [d["id"] for d in sub["discounts"]] == ["di_1", "di_2"]
    assert sub["items"]["data"][0]["discounts"][0]["source"]["coupon"] == "co_1"
    assert SHAPES["subscription"]["expandable_lists"] == ("discounts",)


def test_expand_params_split_and_depth_limit() -> None:
    rest, paths = expand_params([("limit", "3"), ("expand[]", "data.customer"), ("expand[0]", "latest_invoice")])
    assert rest == [("limit", "3")] and paths == {"data.customer", "latest_invoice"}
    with pytest.raises(StripeErrorResponse, match="more than 4 levels"):
        expand_params([("expand[]", "a.b.c.d.e")])
