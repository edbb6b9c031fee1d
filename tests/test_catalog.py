"""The catalog against stripe-python 16.1's typed request parameters, its JSON schema and its help text."""

from __future__ import annotations

import re
import subprocess
import sys
import types
import typing

import jsonschema
import pytest
import stripe.params
import typing_extensions
from stripe._balance_transaction import BalanceTransaction
from stripe._request_options import RequestOptions

from paragon_magic.catalog import (ACTIONS, BALANCE_TRANSACTION_TYPES, actions_schema, describe, get_action,
                                   summary_table)
from paragon_magic.catalog_types import Param
from paragon_magic.errors import UsageError

#: The stripe-python TypedDict describing each action's request parameters.
STRIPE_PARAMS = {
    "create_customer": stripe.params.CustomerCreateParams,
    "update_customer": stripe.params.CustomerUpdateParams,
    "get_customer": stripe.params.CustomerRetrieveParams,
    "list_customers": stripe.params.CustomerListParams,
    "create_subscription": stripe.params.SubscriptionCreateParams,
    "list_subscriptions": stripe.params.SubscriptionListParams,
    "create_product": stripe.params.ProductCreateParams,
    "get_product": stripe.params.ProductRetrieveParams,
    "list_products": stripe.params.ProductListParams,
    "list_balance_transactions": stripe.params.BalanceTransactionListParams,
    "list_plans": stripe.params.PlanListParams,
    "list_charges": stripe.params.ChargeListParams,
    "get_charge": stripe.params.ChargeRetrieveParams,
    "list_refunds": stripe.params.RefundListParams,
    "list_payouts": stripe.params.PayoutListParams,
    "list_invoices": stripe.params.InvoiceListParams,
    "get_invoice": stripe.params.InvoiceRetrieveParams,
    "list_invoice_line_items": stripe.params.InvoiceListLinesParams,
    "create_price": stripe.params.PriceCreateParams,
    "get_price": stripe.params.PriceRetrieveParams,
    "list_prices": stripe.params.PriceListParams,
    "list_events": stripe.params.EventListParams,
    "search_customers": stripe.params.CustomerSearchParams,
    "search_charges": stripe.params.ChargeSearchParams,
    "search_invoices": stripe.params.InvoiceSearchParams,
    "search_subscriptions": stripe.params.SubscriptionSearchParams,
    "search_products": stripe.params.ProductSearchParams,
    "search_prices": stripe.params.PriceSearchParams,
    "search_payment_intents": stripe.params.PaymentIntentSearchParams,
}
#: Paragon's own ActionKit actions (the seed's eleven rows keep these names).
PARAGON_NAMES = {
    "create_customer": "STRIPE_CREATE_CUSTOMER", "update_customer": "STRIPE_UPDATE_CUSTOMER",
    "get_customer": "STRIPE_GET_CUSTOMER_BY_ID", "list_customers": "STRIPE_GET_CUSTOMERS",
    "create_subscription": "STRIPE_CREATE_SUBSCRIPTION", "list_subscriptions": "STRIPE_GET_SUBSCRIPTIONS",
    "create_product": "STRIPE_CREATE_PRODUCT", "get_product": "STRIPE_GET_PRODUCT_BY_ID",
    "list_products": "STRIPE_GET_PRODUCTS", "list_balance_transactions": "STRIPE_GET_BALANCE_TRANSACTIONS",
    "list_plans": "STRIPE_GET_PLANS",
}
#: Every filter Stripe documents for a list is a catalog parameter (cursors and options are the session's).
SESSION_HANDLED = {"limit", "starting_after", "ending_before", "expand", "page"}
#: Required in the catalog although stripe-python marks them optional, with the reason.
STRICTER_THAN_STRIPE = {
    # Optional in the API only because Accounts v2 may pass `customer_account` instead.
    ("create_subscription", "customer"),
}


def stripe_hints(typed_dict: type) -> dict[str, typing.Any]:
    """Type hints of a stripe-python params TypedDict, without the inherited RequestOptions keys."""
    own = {k: v for k, v in typed_dict.__annotations__.items() if k not in RequestOptions.__annotations__}
    shell = type("Hints", (), {"__annotations__": own, "__module__": typed_dict.__module__})
    return typing.get_type_hints(shell)


def flatten_union(hint: typing.Any) -> list[typing.Any]:
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        return [x for arg in typing.get_args(hint) for x in flatten_union(arg)]
    return [hint]


def is_typed_dict(hint: typing.Any) -> bool:
    return isinstance(hint, type) and typing_extensions.is_typeddict(hint)


def literal_values(hint: typing.Any) -> set[str]:
    return {v for h in flatten_union(hint) if typing.get_origin(h) is typing.Literal for v in typing.get_args(h)} - {""}


def check_type(where: str, param_type: str, item_type: str, hint: typing.Any, fields: tuple[Param, ...]) -> None:
    """Assert that the catalog type is a fair description of stripe-python's hint (recursing into objects)."""
    options = [h for h in flatten_union(hint) if not (typing.get_origin(h) is typing.Literal and
                                                       typing.get_args(h) == ("",))]
    plain = {h for h in options if isinstance(h, type)}
    if param_type in ("string", "enum"):
        assert str in plain or literal_values(hint), f"{where}: stripe says {hint}"
    elif param_type in ("integer", "timestamp"):
        assert int in plain, f"{where}: stripe says {hint}"
    elif param_type == "boolean":
        assert bool in plain, f"{where}: stripe says {hint}"
    elif param_type == "timestamp_range":
        ranges = [h for h in options if is_typed_dict(h)]
        assert int in plain and ranges, f"{where}: stripe says {hint}"
        assert set(stripe_hints(ranges[0])) == {"gt", "gte", "lt", "lte"}
    elif param_type == "map":
        assert any(typing.get_origin(h) is dict for h in options), f"{where}: stripe says {hint}"
    elif param_type == "object":
        objects = [h for h in options if is_typed_dict(h)]
        assert objects, f"{where}: stripe says {hint}"
        check_fields(where, objects[0], fields)
    elif param_type == "list":
        lists = [h for h in options if typing.get_origin(h) is list]
        assert lists, f"{where}: stripe says {hint}"
        (item,) = typing.get_args(lists[0])
        check_type(where + "[]", item_type, "string", item, fields)
    else:
        pytest.fail(f"{where}: unknown catalog type {param_type}")


def check_fields(where: str, typed_dict: type, fields: tuple[Param, ...]) -> None:
    hints = stripe_hints(typed_dict)
    for field in fields:
        assert field.name in hints, f"{where}.{field.name} is not a Stripe parameter"
        check_type(f"{where}.{field.name}", field.type, field.item_type, hints[field.name], field.fields)
        assert field.required == (field.name in typed_dict.__required_keys__), f"{where}.{field.name} required flag"


def hint_at(typed_dict: type, target: str) -> typing.Any:
    """Follow Stripe bracket notation (``items[0][price]``) through the TypedDicts to the leaf hint."""
    hint: typing.Any = typed_dict
    for part in re.findall(r"[^\[\]]+", target):
        if part.isdigit():
            (hint,) = [typing.get_args(h)[0] for h in flatten_union(hint) if typing.get_origin(h) is list]
        else:
            (td,) = [h for h in flatten_union(hint) if is_typed_dict(h)]
            hints = stripe_hints(td)
            assert part in hints, f"{target}: {part} is not a Stripe parameter"
            hint = hints[part]
    return hint


def test_every_stripe_action_has_its_stripe_python_params_class() -> None:
    assert set(STRIPE_PARAMS) == {name for name, a in ACTIONS.items() if a.kind != "request"}
    assert len(STRIPE_PARAMS) == 29


@pytest.mark.parametrize("name", sorted(n for n in STRIPE_PARAMS if ACTIONS[n].is_list))
def test_lists_offer_every_filter_stripe_documents(name: str) -> None:
    hints = stripe_hints(STRIPE_PARAMS[name])
    missing = set(hints) - SESSION_HANDLED - {p.name for p in ACTIONS[name].params}
    assert not missing, f"{name} lacks Stripe's filters {sorted(missing)}"


def test_paragon_names_stay_and_new_rows_get_actionkit_style_names() -> None:
    assert {n: a.paragon_name for n, a in ACTIONS.items() if a.paragon_name} == PARAGON_NAMES
    for name, action in ACTIONS.items():
        if action.kind == "request" or name in PARAGON_NAMES:
            continue
        assert action.paragon_name is None and action.tool_name, name
        assert re.fullmatch(r"STRIPE_(GET|CREATE|SEARCH)_[A-Z_]+", action.tool_name), name
    assert ACTIONS["list_charges"].schema_name == "STRIPE_GET_CHARGES"
    assert get_action("STRIPE_SEARCH_CUSTOMERS") is ACTIONS["search_customers"]
    names = [a.schema_name for a in ACTIONS.values()]
    assert len(names) == len(set(names))


def test_search_rows_take_the_query_and_no_created_bounds() -> None:
    for name, action in ACTIONS.items():
        if not name.startswith("search_"):
            continue
        assert action.is_search and action.is_list and not action.filters_created
        assert action.path == f"/v1/{name.removeprefix('search_')}/search"
        query = action.param("query")
        assert query is not None and query.required and query.type == "string"
        assert "--created-after" not in describe(action)
    assert ACTIONS["list_invoice_line_items"].path == "/v1/invoices/{id}/lines"
    assert ACTIONS["list_invoice_line_items"].id_param == "invoice"


@pytest.mark.parametrize("name", sorted(STRIPE_PARAMS))
def test_params_match_stripe_python(name: str) -> None:
    action = ACTIONS[name]
    typed_dict = STRIPE_PARAMS[name]
    hints = stripe_hints(typed_dict)
    for param in action.params:
        where = f"{name}.{param.name}"
        if param.target:
            assert param.top_level_key in hints, f"{where}: target {param.target} not a Stripe parameter"
            check_type(where, param.type, param.item_type, hint_at(typed_dict, param.target), param.fields)
            continue
        assert param.name in hints, f"{where} is not a Stripe parameter"
        check_type(where, param.type, param.item_type, hints[param.name], param.fields)
        stripe_required = param.name in typed_dict.__required_keys__
        if param.required and not stripe_required:
            assert (name, param.name) in STRICTER_THAN_STRIPE, f"{where} required but optional in Stripe"
        if stripe_required:
            assert param.required, f"{where} is required by Stripe"
        if param.type == "enum" and literal_values(hints[param.name]):
            assert set(param.choices) <= literal_values(hints[param.name]), where
    for key in typed_dict.__required_keys__ & set(hints):
        assert action.param(key) is not None, f"{name}: Stripe requires {key}, the catalog lacks it"


def test_balance_transaction_types_are_stripe_pythons_full_list() -> None:
    assert set(BALANCE_TRANSACTION_TYPES) == literal_values(BalanceTransaction.__annotations__["type"])
    assert {"charge", "refund", "adjustment", "payout", "stripe_fee"} <= set(BALANCE_TRANSACTION_TYPES)


def test_subscription_status_filter_offers_all() -> None:
    status = ACTIONS["list_subscriptions"].param("status")
    assert status is not None and "all" in status.choices and "canceled" in status.choices


def test_rows_have_paths_methods_and_ids() -> None:
    expected = {
        "create_customer": ("POST", "/v1/customers", "STRIPE_CREATE_CUSTOMER"),
        "update_customer": ("POST", "/v1/customers/{id}", "STRIPE_UPDATE_CUSTOMER"),
        "get_customer": ("GET", "/v1/customers/{id}", "STRIPE_GET_CUSTOMER_BY_ID"),
        "list_customers": ("GET", "/v1/customers", "STRIPE_GET_CUSTOMERS"),
        "create_subscription": ("POST", "/v1/subscriptions", "STRIPE_CREATE_SUBSCRIPTION"),
        "list_subscriptions": ("GET", "/v1/subscriptions", "STRIPE_GET_SUBSCRIPTIONS"),
        "create_product": ("POST", "/v1/products", "STRIPE_CREATE_PRODUCT"),
        "get_product": ("GET", "/v1/products/{id}", "STRIPE_GET_PRODUCT_BY_ID"),
        "list_products": ("GET", "/v1/products", "STRIPE_GET_PRODUCTS"),
        "list_balance_transactions": ("GET", "/v1/balance_transactions", "STRIPE_GET_BALANCE_TRANSACTIONS"),
        "list_plans": ("GET", "/v1/plans", "STRIPE_GET_PLANS"),
    }
    for name, (method, path, paragon) in expected.items():
        a = ACTIONS[name]
        assert (a.method, a.path, a.paragon_name) == (method, path, paragon)
        assert ("{id}" in a.path) == (a.id_param is not None)
        assert a.is_list == name.startswith("list_")
    assert ACTIONS["update_customer"].id_param == "customer"
    assert ACTIONS["request"].kind == "request" and ACTIONS["request"].paragon_name is None


def test_convenience_params_target_first_item() -> None:
    sub = ACTIONS["create_subscription"]
    assert {p.name: p.stripe_key for p in sub.params if p.target} == {
        "price": "items[0][price]", "plan": "items[0][plan]", "quantity": "items[0][quantity]"}
    assert sub.param("price").top_level_key == "items"  # type: ignore[union-attr]


def test_get_action_suggests_the_closest_name() -> None:
    assert get_action("list_customers") is ACTIONS["list_customers"]
    assert get_action("STRIPE_GET_PLANS") is ACTIONS["list_plans"]
    with pytest.raises(UsageError, match="Did you mean 'list_customers'") as info:
        get_action("list_customer")
    assert info.value.field == "action"
    with pytest.raises(UsageError) as info:
        get_action("zzz")
    assert "Did you mean" not in str(info.value) and "\n" not in str(info.value)


def test_actions_schema_is_valid_json_schema_and_validates_calls() -> None:
    tools = actions_schema()
    assert [t["function"]["name"] for t in tools] == [a.schema_name for a in ACTIONS.values() if a.kind != "request"]
    for tool in tools:
        assert tool["type"] == "function"
        assert set(tool["function"]) == {"name", "description", "parameters"}
        params = tool["function"]["parameters"]
        jsonschema.Draft202012Validator.check_schema(params)
        assert params["type"] == "object" and isinstance(params["required"], list)
        assert set(params["required"]) <= set(params["properties"])
    by_name = {t["function"]["name"]: t["function"]["parameters"] for t in tools}
    good = {"customer": "cus_1", "items": [{"price": "price_1", "quantity": 2}], "metadata": {"a": "b"},
            "collection_method": "send_invoice", "days_until_due": 30}
    jsonschema.validate(good, by_name["STRIPE_CREATE_SUBSCRIPTION"])
    for bad in ({"items": []}, {"customer": "cus_1", "collection_method": "cheque"},
                {"customer": "cus_1", "metadata": {"a": 1}}, {"customer": "cus_1", "days_until_due": "x"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, by_name["STRIPE_CREATE_SUBSCRIPTION"])
    jsonschema.validate({"created": {"gte": 1, "lt": 2}, "status": "all"}, by_name["STRIPE_GET_SUBSCRIPTIONS"])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"created": {"after": 1}}, by_name["STRIPE_GET_SUBSCRIPTIONS"])
    assert by_name["STRIPE_GET_CUSTOMER_BY_ID"]["required"] == ["customer"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"name": "x", "default_price_data": {"unit_amount": 5}}, by_name["STRIPE_CREATE_PRODUCT"])
    assert any(t["function"]["name"] == "REQUEST" for t in actions_schema(include_request=True))


def test_describe_lists_flags_types_required_and_examples() -> None:
    text = describe(ACTIONS["create_subscription"])
    assert "POST /v1/subscriptions" in text and "STRIPE_CREATE_SUBSCRIPTION" in text
    assert re.search(r"--customer TEXT .*\(required\)", text)
    assert "--trial_period_days N" in text and "sent as items[0][price]" in text
    assert "one of: charge_automatically, send_invoice" in text
    assert "%stripe create_subscription --customer cus_123" in text
    listing = describe(ACTIONS["list_customers"])
    assert "--limit N" in listing and "--created-after TIME" in listing
    assert "<customer id>" in describe(ACTIONS["get_customer"])


def test_summary_table_has_one_line_per_action() -> None:
    lines = summary_table().splitlines()
    assert len(lines) == len(ACTIONS)
    assert lines[3].split()[:3] == ["list_customers", "GET", "/v1/customers"]


def test_catalog_imports_nothing_beyond_the_stdlib() -> None:
    code = "import sys, paragon_magic.catalog; print(sorted({'pandas', 'httpx', 'IPython'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
