"""Stripe form encoding matches stripe-python 16.1's ``_api_encode`` exactly (it is the oracle)."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st
from stripe._encode import _api_encode

from paragon_magic.client import encode_form, flatten_params

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.datetimes(timezones=st.just(datetime.UTC)),
    st.datetimes(min_value=datetime.datetime(1971, 1, 1), max_value=datetime.datetime(2100, 1, 1)),
)
keys = st.text(min_size=1, max_size=6)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(keys, inner, max_size=4),
        st.dictionaries(st.integers(0, 5), inner, max_size=3),
    ),
    max_leaves=20,
)
params_strategy = st.dictionaries(keys, values, max_size=6)


def _oracle_pairs(params: dict) -> list[tuple[str, str]]:
    return [(str(k), v if isinstance(v, str) else str(v)) for k, v in _api_encode(params)]


@settings(max_examples=400, deadline=None)
@given(params_strategy)
def test_encode_form_matches_stripe_python(params: dict) -> None:
    assert encode_form(params) == urlencode(list(_api_encode(params)))
    assert flatten_params(params) == _oracle_pairs(params)


def test_documented_shapes() -> None:
    params = {
        "email": "a@b.c",
        "description": None,
        "metadata": {"plan": "gold", "n": 3},
        "expand": ["data.customer", "data.default_source"],
        "items": [{"price": "price_1", "quantity": 2}, {"price": "price_2"}],
        "livemode": False,
        "created": {"gte": 1700000000},
    }
    assert flatten_params(params) == [
        ("email", "a@b.c"),
        ("metadata[plan]", "gold"),
        ("metadata[n]", "3"),
        ("expand[0]", "data.customer"),
        ("expand[1]", "data.default_source"),
        ("items[0][price]", "price_1"),
        ("items[0][quantity]", "2"),
        ("items[1][price]", "price_2"),
        ("livemode", "false"),
        ("created[gte]", "1700000000"),
    ]
    assert encode_form({"a": {"b": "x y&z"}}) == "a%5Bb%5D=x+y%26z"


def test_objects_with_an_id_encode_as_their_id() -> None:
    class Resource:
        id = "cus_123"

    params = {"customer": Resource(), "list": [{"x": 1}]}
    assert encode_form(params) == urlencode(list(_api_encode(params)))
    assert flatten_params(params)[0] == ("customer", "cus_123")


def test_aware_datetime_is_epoch_seconds() -> None:
    moment = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    assert flatten_params({"created": {"gt": moment}}) == [("created[gt]", "1704164645")]


def test_empty_and_none_params() -> None:
    assert encode_form(None) == ""
    assert flatten_params({}) == []
