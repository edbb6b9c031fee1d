"""The engine's request validation: Stripe's bracket encoding, routes, and every 400 Stripe answers for
bad parameters (code, param and message), with the parameters coerced as Stripe reads them."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paragon_magic.client import flatten_params
from paragon_magic.sandbox.engine import _generate_params
from paragon_magic.sandbox.engine._params_generated import ENDPOINTS
from paragon_magic.sandbox.engine.validate import check_metadata, decode_form, route_of, validate
from paragon_magic.sandbox.front.errors import StripeErrorResponse


def form(text: str) -> dict[str, Any]:
    return decode_form(parse_qsl(text, keep_blank_values=True))


def rejected(method: str, route: str, query: str) -> StripeErrorResponse:
    with pytest.raises(StripeErrorResponse) as caught:
        validate(method, route, form(query))
    assert caught.value.status == 400 and caught.value.type == "invalid_request_error"
    return caught.value


# --- decode_form ---------------------------------------------------------------------------------


def test_decode_form_reads_hashes_lists_and_both_list_spellings() -> None:
    assert form("metadata[plan]=pro") == {"metadata": {"plan": "pro"}}
    assert form("items[0][price]=p") == {"items": [{"price": "p"}]}
    assert form("expand[]=a&expand[]=b") == {"expand": ["a", "b"]}
    assert form("expand[0]=a&expand[1]=b") == {"expand": ["a", "b"]}
    assert form("a[0][0]=x&a[0][1]=y&a[1][0]=z") == {"a": [["x", "y"], ["z"]]}


def test_decode_form_orders_lists_by_index_not_by_arrival() -> None:
    decoded = form("items[1][price]=b&items[0][price]=a&items[10][price]=k&items[2][price]=c")
    assert decoded == {"items": [{"price": "a"}, {"price": "b"}, {"price": "c"}, {"price": "k"}]}


def test_decode_form_groups_empty_bracket_hashes_as_rack_does() -> None:
    decoded = form("items[][price]=a&items[][quantity]=1&items[][price]=b")
    assert decoded == {"items": [{"price": "a", "quantity": "1"}, {"price": "b"}]}


def test_decode_form_keeps_empty_values_and_lets_a_repeated_scalar_win() -> None:
    assert form("metadata[a]=&description=x&description=y") == {"metadata": {"a": ""}, "description": "y"}


def test_keys_that_only_look_like_indices_stay_hash_keys() -> None:
    assert form("metadata[01]=a&metadata[1]=b") == {"metadata": {"01": "a", "1": "b"}}
    assert form("metadata[0]=a&metadata[x]=b") == {"metadata": {"0": "a", "x": "b"}}


@pytest.mark.parametrize(
    ("pairs", "param"),
    [
        ([("a[b", "1")], "a[b"),
        ([("a]", "1")], "a]"),
        ([("[a]", "1")], "[a]"),
        ([("a[b]c", "1")], "a[b]c"),
        ([("", "1")], ""),
        ([("a", "1"), ("a[b]", "2")], "a[b]"),
        ([("a[b]", "1"), ("a", "2")], "a"),
        ([("a[0]", "1"), ("a[0][b]", "2")], "a[0][b]"),
    ],
)
def test_malformed_keys_are_a_400_naming_the_key(pairs: list[tuple[str, str]], param: str) -> None:
    with pytest.raises(StripeErrorResponse) as caught:
        decode_form(pairs)
    assert (caught.value.status, caught.value.type) == (400, "invalid_request_error")
    assert caught.value.param == (param or None) and param in caught.value.message


_NAME = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)
#: Hash keys: any text without brackets that is not a list index ("0", "12").
_KEY = st.text(st.characters(blacklist_characters="[]", blacklist_categories=("Cs",)), min_size=1, max_size=8).filter(
    lambda key: not (key.isascii() and key.isdigit() and str(int(key)) == key)
)
_LEAF = st.one_of(st.text(max_size=10), st.integers(-(2**64), 2**64))


def _values(depth: int) -> st.SearchStrategy[Any]:
    if depth == 0:
        return _LEAF
    inner = _values(depth - 1)
    return st.one_of(
        _LEAF,
        st.dictionaries(_KEY, inner, min_size=1, max_size=3),
        st.lists(inner, min_size=1, max_size=12),
    )


def _as_received(value: Any) -> Any:
    """What Stripe receives: every leaf as text."""
    if isinstance(value, dict):
        return {key: _as_received(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_received(item) for item in value]
    return str(value)


@settings(max_examples=200, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(st.dictionaries(_NAME, _values(3), max_size=4))
def test_decode_form_inverts_the_clients_encoding(params: dict[str, Any]) -> None:
    wire = urlencode(flatten_params(params))
    assert decode_form(parse_qsl(wire, keep_blank_values=True)) == _as_received(params)


# --- route_of ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "route"),
    [
        ("POST", "/v1/customers/cus_123", "/v1/customers/{}"),
        ("post", "/v1/customers", "/v1/customers"),
        ("GET", "/v1/customers/search", "/v1/customers/search"),
        ("GET", "/v1/customers/search/balance_transactions", "/v1/customers/{}/balance_transactions"),
        ("DELETE", "/v1/customers/cus_1/sources/card_1", "/v1/customers/{}/sources/{}"),
        ("POST", "/v1/test_helpers/test_clocks/clock_1/advance", "/v1/test_helpers/test_clocks/{}/advance"),
        ("GET", "/v1/customers/cus_1?expand[]=x", "/v1/customers/{}"),
        ("GET", "/v1/nothing_here", None),
        ("PATCH", "/v1/customers/cus_1", None),
        ("GET", "/v1/customers//sources", None),
        ("GET", "/v2/core/events", None),
    ],
)
def test_route_of(method: str, path: str, route: str | None) -> None:
    assert route_of(method, path) == route


def test_every_endpoint_is_v1_and_routes_to_itself() -> None:
    assert len(ENDPOINTS) > 500
    for endpoint in ENDPOINTS:
        method, template = endpoint.split(" ")
        assert template.startswith("/v1/")
        assert route_of(method, template.replace("{}", "x_1")) == template


# --- validate: the errors ------------------------------------------------------------------------


def test_unknown_parameter_names_the_full_bracketed_param() -> None:
    error = rejected("POST", "/v1/subscriptions", "customer=cus_1&items[0][pricee]=p")
    assert (error.code, error.param) == ("parameter_unknown", "items[0][pricee]")
    assert error.message == "Received unknown parameter: items[0][pricee]"


def test_unknown_parameters_are_listed_together_in_request_order() -> None:
    error = rejected("GET", "/v1/customers", "limit=3&foo=1&created[gte]=1&created[gtee]=2&bar[x]=y")
    assert (error.code, error.param) == ("parameter_unknown", "foo")
    assert error.message == "Received unknown parameters: foo, created[gtee], bar"


def test_unknown_parameters_come_before_other_errors() -> None:
    error = rejected("POST", "/v1/prices", "unit_amount=abc&colour=red")
    assert error.code == "parameter_unknown" and error.param == "colour"


def test_missing_required_param_top_level_and_nested() -> None:
    error = rejected("POST", "/v1/prices", "unit_amount=100")
    assert (error.code, error.param, error.message) == ("parameter_missing", "currency", "Missing required param: currency.")
    error = rejected("POST", "/v1/prices", "currency=usd&recurring[usage_type]=licensed")
    assert (error.code, error.param) == ("parameter_missing", "recurring[interval]")
    assert error.message == "Missing required param: recurring[interval]."


@pytest.mark.parametrize("value", ["abc", "1.5", "", " 1", "0x10", "1e3"])
def test_invalid_integer(value: str) -> None:
    error = rejected("POST", "/v1/subscriptions", f"items[0][price]=p&items[0][quantity]={value}")
    assert error.param == "items[0][quantity]"
    if value == "":
        assert error.code == "parameter_invalid_empty"
    else:
        assert (error.code, error.message) == ("parameter_invalid_integer", f"Invalid integer: {value}")


@pytest.mark.parametrize("value", ["yes", "1", "True", "on"])
def test_invalid_boolean(value: str) -> None:
    error = rejected("POST", "/v1/subscriptions", f"cancel_at_period_end={value}")
    assert (error.code, error.param, error.message) == (
        "parameter_invalid_boolean", "cancel_at_period_end", f"Invalid boolean: {value}")


def test_invalid_enum_lists_the_choices_in_stripes_order() -> None:
    error = rejected("POST", "/v1/customers", "tax_exempt=sometimes")
    assert (error.code, error.param) == (None, "tax_exempt")
    assert error.message == "Invalid tax_exempt: must be one of none, exempt, or reverse"
    error = rejected("POST", "/v1/prices", "currency=usd&recurring[interval]=fortnight")
    assert error.param == "recurring[interval]"
    assert error.message == "Invalid recurring[interval]: must be one of day, week, month, or year"
    error = rejected("POST", "/v1/prices", "currency=usd&recurring[interval]=day&recurring[usage_type]=x")
    assert error.message == "Invalid recurring[usage_type]: must be one of metered or licensed"


def test_empty_string_only_where_stripe_allows_unsetting() -> None:
    error = rejected("POST", "/v1/customers", "email=")
    assert (error.code, error.param) == ("parameter_invalid_empty", "email")
    assert error.message == (
        "You passed an empty string for 'email'. We assume empty values are an attempt to unset a "
        "parameter; however 'email' cannot be unset. You should remove 'email' from your request or "
        "supply a non-empty value.")
    assert validate("POST", "/v1/customers/{}", form("address=&tax_exempt=&metadata=")) == {
        "address": "", "tax_exempt": "", "metadata": ""}


def test_wrong_shapes_name_the_param() -> None:
    assert rejected("POST", "/v1/customers", "address=somewhere").param == "address"
    error = rejected("POST", "/v1/customers", "expand=customer")
    assert (error.param, error.message) == ("expand", "Invalid array")
    error = rejected("POST", "/v1/customers", "email[x]=a")
    assert error.param == "email" and error.message.startswith("Invalid string")
    error = rejected("POST", "/v1/invoiceitems/{}", "invoicing_rules=x")
    assert error.param == "invoicing_rules"


def test_invalid_decimal() -> None:
    error = rejected("POST", "/v1/prices", "currency=usd&unit_amount_decimal=12,5")
    assert (error.param, error.message) == ("unit_amount_decimal", "Invalid decimal: 12,5")


# --- validate: coercion --------------------------------------------------------------------------


def test_validate_coerces_to_python_types() -> None:
    params = form(
        "customer=cus_1&items[1][price]=b&items[0][price]=a&items[0][quantity]=3&cancel_at_period_end=true"
        "&metadata[plan]=pro&metadata[old]=&expand[]=latest_invoice&trial_end=now&default_tax_rates="
        "&billing_cycle_anchor=1700000000&off_session=false")
    assert validate("POST", "/v1/subscriptions", params) == {
        "customer": "cus_1",
        "items": [{"price": "a", "quantity": 3}, {"price": "b"}],
        "cancel_at_period_end": True,
        "metadata": {"plan": "pro", "old": ""},
        "expand": ["latest_invoice"],
        "trial_end": "now",
        "default_tax_rates": "",
        "billing_cycle_anchor": 1700000000,
        "off_session": False,
    }


def test_unions_follow_the_value_shape() -> None:
    assert validate("GET", "/v1/customers", form("created=5&limit=2")) == {"created": 5, "limit": 2}
    assert validate("GET", "/v1/customers", form("created[gte]=5&created[lt]=9")) == {"created": {"gte": 5, "lt": 9}}
    assert validate("POST", "/v1/subscriptions", form("trial_end=1700000000"))["trial_end"] == 1700000000
    error = rejected("POST", "/v1/subscriptions", "trial_end=later")
    assert (error.code, error.message) == ("parameter_invalid_integer", "Invalid integer: later")


def test_decimals_and_negative_integers() -> None:
    out = validate("POST", "/v1/prices", form("currency=usd&unit_amount_decimal=12.345"))
    assert out["unit_amount_decimal"] == Decimal("12.345")
    assert validate("POST", "/v1/customers", form("balance=-250")) == {"balance": -250}


def test_metadata_keys_that_look_like_indices_are_read_as_a_hash() -> None:
    assert validate("POST", "/v1/customers", form("metadata[0]=a&metadata[2]=b")) == {"metadata": {"0": "a", "2": "b"}}


def test_native_python_values_are_accepted() -> None:
    assert validate("POST", "/v1/customers", {"balance": 5, "validate": True, "metadata": {"a": "b"}}) == {
        "balance": 5, "validate": True, "metadata": {"a": "b"}}


def test_unknown_routes_pass_through_and_nothing_is_mutated() -> None:
    params = form("anything[goes]=1")
    assert validate("GET", "/v1/not_an_endpoint", params) is params
    request = form("customer=cus_1&items[0][price]=a&items[0][quantity]=3")
    before = copy.deepcopy(request)
    validate("POST", "/v1/subscriptions", request)
    assert request == before


# --- metadata limits -----------------------------------------------------------------------------


def test_metadata_limits_at_the_boundaries() -> None:
    check_metadata({f"k{i}": "v" for i in range(50)})
    check_metadata({"k" * 40: "v" * 500})
    check_metadata("")
    for bad, param in [
        ({f"k{i}": "v" for i in range(51)}, "metadata"),
        ({"k" * 41: "v"}, "metadata[" + "k" * 41 + "]"),
        ({"k": "v" * 501}, "metadata[k]"),
        ({"a[b]": "v"}, "metadata[a[b]]"),
        ({"k": {"nested": "v"}}, "metadata[k]"),
    ]:
        with pytest.raises(StripeErrorResponse) as caught:
            check_metadata(bad)
        assert (caught.value.status, caught.value.param) == (400, param)


def test_validate_checks_metadata_wherever_it_is() -> None:
    error = rejected("POST", "/v1/customers", "metadata[" + "k" * 41 + "]=v")
    assert error.param == "metadata[" + "k" * 41 + "]" and "40 characters" in error.message
    error = rejected("POST", "/v1/subscriptions", "items[0][price]=p&items[0][metadata][k]=" + "v" * 501)
    assert error.param == "items[0][metadata][k]" and "500 characters" in error.message
    many = "&".join(f"metadata[k{i}]=v" for i in range(51))
    assert rejected("POST", "/v1/products", "name=x&" + many).param == "metadata"


# --- the generated module ------------------------------------------------------------------------


def test_generated_module_matches_the_installed_stripe_python(tmp_path: Path) -> None:
    committed = _generate_params.TARGET.read_text(encoding="utf-8")
    assert committed.startswith('"""GENERATED by ``python -m paragon_magic.sandbox.engine._generate_params``')
    assert len(committed.encode()) < 1024 * 1024
    fresh = tmp_path / "_params_generated.py"
    _generate_params.main(fresh)
    assert fresh.read_text(encoding="utf-8") == committed, (
        "stripe-python's definitions changed: run python -m paragon_magic.sandbox.engine._generate_params")
