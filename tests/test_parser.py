"""The pure %stripe parser: examples, every user error, {{ }} binding, cells, completion (properties: test_parser_properties.py)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from paragon_magic.catalog import ACTIONS
from paragon_magic.catalog_types import Action, Param
from paragon_magic.errors import UsageError
from paragon_magic.magics.parser import (
    SUBCOMMANDS, CallOptions, ParsedCall, complete, parse_cell, parse_line, unflatten,
)

JAN_1_2026 = 1767225600  # 2026-01-01T00:00:00Z


def namespace_evaluator(ns: dict):
    """What the magic passes in, minus IPython: evaluate against a plain dict namespace."""
    return lambda expr: eval(expr, {"__builtins__": __builtins__}, ns)  # noqa: S307 - test namespace


NS = {
    "customers": pd.DataFrame({"id": ["cus_A", "cus_B"]}),
    "ids": pd.Series(["prod_1", "prod_2"]),
    "n": 7,
    "when": dt.datetime(2026, 1, 1, 12, 0),
    "address": {"city": "Berlin", "country": "DE"},
}
EVAL = namespace_evaluator(NS)


def parse(line: str) -> ParsedCall:
    return parse_line(line, evaluate=EVAL)


def usage_error(line: str, body: str | None = None) -> UsageError:
    with pytest.raises(UsageError) as info:
        if body is None:
            parse(line)
        else:
            parse_cell(line, body, evaluate=EVAL)
    message = str(info.value)
    assert message and "\n" not in message and "\r" not in message
    return info.value


# --- the issue's examples ---------------------------------------------------------------------------

EXAMPLES = [
    ("list_customers --email jane@example.com --created-after 2026-01-01 --limit 500",
     ParsedCall("list_customers", None, {"email": "jane@example.com"},
                CallOptions(limit=500, created_after=JAN_1_2026), "GET", "/v1/customers")),
    ("get_customer cus_123",
     ParsedCall("get_customer", "cus_123", {}, CallOptions(), "GET", "/v1/customers/cus_123")),
    ('update_customer cus_123 --description "VIP" metadata[tier]=gold',
     ParsedCall("update_customer", "cus_123", {"description": "VIP", "metadata": {"tier": "gold"}},
                CallOptions(), "POST", "/v1/customers/cus_123")),
    ("create_subscription --customer cus_123 --price price_123 --quantity 2",
     ParsedCall("create_subscription", None,
                {"customer": "cus_123", "items": [{"price": "price_123", "quantity": 2}]},
                CallOptions(), "POST", "/v1/subscriptions")),
    ("list_subscriptions --status all --customer {{ customers.id[0] }}",
     ParsedCall("list_subscriptions", None, {"status": "all", "customer": "cus_A"},
                CallOptions(), "GET", "/v1/subscriptions")),
    ("request POST /v1/customers name=test email=x@example.com",
     ParsedCall("request", None, {"name": "test", "email": "x@example.com"}, CallOptions(), "POST",
                "/v1/customers")),
    ("list_balance_transactions --type charge -o txns",
     ParsedCall("list_balance_transactions", None, {"type": "charge"}, CallOptions(out="txns"), "GET",
                "/v1/balance_transactions")),
    ("create_customer --name Jane --account acct_123",
     ParsedCall("create_customer", None, {"name": "Jane"}, CallOptions(account="acct_123"), "POST",
                "/v1/customers")),
    # `customers = %stripe list_customers`: IPython hands the magic only the text after %stripe
    ("list_customers", ParsedCall("list_customers", None, {}, CallOptions(), "GET", "/v1/customers")),
]


@pytest.mark.parametrize(("line", "expected"), EXAMPLES, ids=[e[0][:40] for e in EXAMPLES])
def test_issue_examples_parse(line: str, expected: ParsedCall) -> None:
    assert parse(line) == expected


def test_assignment_form_reaches_the_magic_as_the_bare_line() -> None:
    from IPython.core.inputtransformer2 import TransformerManager

    code = TransformerManager().transform_cell("customers = %stripe list_customers --limit 5\n")
    assert code.strip() == "customers = get_ipython().run_line_magic('stripe', 'list_customers --limit 5')"
    assert parse("list_customers --limit 5").options.limit == 5


def test_catalog_examples_all_parse() -> None:
    for action in ACTIONS.values():
        for example in action.examples:
            call = parse(example.removeprefix("%stripe "))
            assert call.action == action.name


# --- flags, values and options -----------------------------------------------------------------------

def test_flag_spellings_dash_underscore_and_equals_are_equivalent() -> None:
    expected = parse("create_subscription --customer cus_1 --trial_period_days 14 --idempotency-key k1 --dry-run")
    for line in ("create_subscription --customer=cus_1 --trial-period-days=14 --idempotency_key=k1 --dry_run",
                 "create_subscription --trial-period-days 14 --dry-run true --customer cus_1 --idempotency-key k1"):
        assert parse(line) == expected
    assert expected.params == {"customer": "cus_1", "trial_period_days": 14}
    assert expected.options == CallOptions(dry_run=True, idempotency_key="k1")


@pytest.mark.parametrize(("word", "value"), [("true", True), ("yes", True), ("1", True), ("FALSE", False),
                                             ("no", False), ("0", False)])
def test_boolean_flag_words(word: str, value: bool) -> None:
    assert parse(f"list_products --active {word}").params == {"active": value}


def test_bare_boolean_flag_means_true_and_common_switches() -> None:
    call = parse("list_products --active --live --no-progress --shippable --limit 3")
    assert call.params == {"active": True, "shippable": True}
    assert call.options == CallOptions(live=True, progress=False, limit=3)


def test_expand_is_repeatable_and_merges_with_bracket_pairs() -> None:
    call = parse("get_customer cus_1 --expand default_source --expand {{ ['tax', 'test_clock'] }} expand[]=x")
    assert call.options.expand == ("default_source", "tax", "test_clock", "x")
    assert call.params == {}


def test_created_after_and_before_accept_dates_datetimes_iso_and_epoch() -> None:
    for value in ("2026-01-01", "2026-01-01T00:00:00Z", "2026-01-01T01:00:00+01:00", str(JAN_1_2026),
                  "{{ when.date() }}", "'2026-01-01 00:00:00'"):
        assert parse(f"list_customers --created-after {value}").options.created_after == JAN_1_2026
    assert parse("list_customers --created_before {{ when }}").options.created_before == JAN_1_2026 + 12 * 3600


def test_timestamp_range_param_takes_bounds_or_a_point() -> None:
    call = parse("list_subscriptions --created gte=2026-01-01,lt=1800000000")
    assert call.params == {"created": {"gte": JAN_1_2026, "lt": 1800000000}}
    assert parse("list_plans --created 2026-01-01").params == {"created": JAN_1_2026}
    assert parse("list_plans created[gte]=5").params == {"created": {"gte": "5"}}


def test_list_map_and_object_params() -> None:
    assert parse("list_products --ids {{ ids }}").params == {"ids": ["prod_1", "prod_2"]}
    assert parse("list_products --ids prod_1,prod_2 --ids prod_3").params == {"ids": ["prod_1", "prod_2", "prod_3"]}
    call = parse("update_customer cus_1 --metadata tier=gold --metadata plan=pro --address {{ address }}")
    assert call.params == {"metadata": {"tier": "gold", "plan": "pro"}, "address": {"city": "Berlin", "country": "DE"}}
    call = parse("""create_product --name T --default_price_data '{"currency": "usd", "unit_amount": 2000}'""")
    assert call.params["default_price_data"] == {"currency": "usd", "unit_amount": 2000}


def test_free_pairs_nest_and_catalog_names_are_typed() -> None:
    call = parse("create_subscription customer=cus_1 items[0][price]=p items[1][price]=q metadata[0]=zero "
                 "quantity=2 --trial-period-days 3 cancel_at_period_end=yes")
    assert call.params == {
        "customer": "cus_1",
        "items": [{"price": "p", "quantity": 2}, {"price": "q"}],  # quantity is typed and placed at its target
        "metadata": {"0": "zero"},  # metadata keys stay keys even when numeric
        "trial_period_days": 3,
        "cancel_at_period_end": True,
    }


def test_convenience_params_land_at_their_target_and_merge_with_pairs() -> None:
    call = parse("create_subscription --customer cus_1 --price p --quantity 2 items[0][metadata][k]=v")
    assert call.params == {"customer": "cus_1", "items": [{"price": "p", "quantity": 2, "metadata": {"k": "v"}}]}


def test_request_forms() -> None:
    assert parse("request /v1/charges --limit 50") == ParsedCall(
        "request", None, {}, CallOptions(limit=50), "GET", "/v1/charges")
    assert parse("request delete /v1/customers/cus_1").method == "DELETE"
    call = parse("request /v1/refunds --method POST charge=ch_1 metadata[a]=b")
    assert (call.method, call.path, call.params) == ("POST", "/v1/refunds", {"charge": "ch_1", "metadata": {"a": "b"}})
    call = parse("request GET /v1/customers?email=a@b.c&limit=3 -o rows")
    assert call.params == {"email": "a@b.c", "limit": "3"} and call.options.out == "rows"
    assert parse("request GET /v1/customers/{{ customers.id[1] }}").path == "/v1/customers/cus_B"


# --- {{ expression }} binding ---------------------------------------------------------------------

def test_whole_token_binds_raw_object_and_embedded_interpolates() -> None:
    assert parse("get_customer cus_{{ n }}").id == "cus_7"
    assert parse("request POST /v1/x a={{ n }} b=n{{ n }}").params == {"a": 7, "b": "n7"}
    assert parse("request POST /v1/x a={{ ids }}").params == {"a": ["prod_1", "prod_2"]}
    assert parse("request POST /v1/x a={{ (1, 2) }}").params == {"a": [1, 2]}


def test_expression_values_are_never_reparsed_as_syntax() -> None:
    hostile = "a b 'c\" --limit 5 metadata[x]=y {{ n }}"
    call = parse_line("create_customer --description {{ v }} metadata[k]={{ v }}", evaluate={"v": hostile}.__getitem__)
    assert call.params == {"description": hostile, "metadata": {"k": hostile}}
    call = parse("""create_customer --name {{ "x y" + '"' }} --description "k: {{ {"k": {"v": 1}}["k"] }}" """)
    assert call.params == {"name": 'x y"', "description": "k: {'v': 1}"}


def test_each_expression_is_evaluated_once() -> None:
    seen: list[str] = []

    def evaluate(expr: str) -> str:
        seen.append(expr)
        return "cus_9"

    assert parse_line("get_customer {{ a }} --expand {{ b }}", evaluate=evaluate).id == "cus_9"
    assert seen == ["a", "b"]


def test_stripe_object_binds_as_its_id() -> None:
    assert parse_line("list_subscriptions --customer {{ c }}", evaluate={"c": {"id": "cus_1", "object": "customer"}}.get
                      ).params == {"customer": "cus_1"}


# --- errors: one line, the field, the fix -----------------------------------------------------------

ERRORS = [
    # (line, field, words the message must contain)
    ("list_custmers", "action", ["unknown action", "did you mean list_customers?"]),
    ("list_customers --emial x", "emial", ["unknown flag --emial for list_customers", "did you mean --email?"]),
    ("create_customer metadata[a][b=1", None, ["malformed key", "metadata[tier]=gold"]),
    ("list_customers --frobnicate x", "frobnicate", ["unknown flag", "%stripe help list_customers"]),
    ("create_subscription --price price_1", "customer", ["create_subscription needs --customer", "cus_123"]),
    ("create_subscription --customer cus_1 --quantity two", "quantity", ["--quantity must be a whole number", "'two'"]),
    ("list_customers --created-after someday", "created_after", ["--created-after must be a date", "'someday'", "last-month"]),
    ("list_customers --created-after 2026-13-45", "created_after", ["2026-01-01"]),
    ("list_subscriptions --status actve", "status",
     ["--status must be one of active, past_due", "all; got 'actve' (did you mean active?)"]),
    ("list_products --active maybe", "active", ["--active must be true or false", "'maybe'"]),
    ("list_customers --email", "email", ["--email needs a value", "--email jenny@example.com"]),
    ("list_customers --email --limit 5", "email", ["--email needs a value"]),
    ("list_customers --limit 0", "limit", ["--limit must be a positive whole number"]),
    ("list_customers --limit -5", "limit", ["positive"]),
    ("list_customers -o 1x", "out", ["-o must be a Python variable name"]),
    ("list_customers --out class", "out", ["Python variable name"]),
    ("create_customer --account 123", "account", ["acct_123"]),
    ("create_customer --limit 5", "limit", ["--limit only applies to list actions"]),
    ("list_customers --email 'unterminated", None, ["unbalanced ' quote", "close"]),
    ('list_customers --email "unterminated', None, ['unbalanced " quote']),
    ("list_customers --email {{ customers", None, ["unbalanced {{", "close it with }}"]),
    ("list_customers --email {{ }}", None, ["empty {{ }}"]),
    ("list_customers --email {{ missing_name }}", None,
     ["could not evaluate {{ missing_name }}: NameError: name 'missing_name' is not defined"]),
    ("list_customers cus_123", None, ["list_customers takes no positional id"]),
    ("get_customer", "customer", ["get_customer needs the customer id", "%stripe get_customer cus_123"]),
    ("get_customer cus_1 cus_2", None, ["unexpected argument 'cus_2'"]),
    ("get_customer ../../v1/charges", "customer", ["not a valid Stripe id"]),
    ("update_customer cus_1 --email a --email b", "email", ["--email is given twice"]),
    ("update_customer cus_1 --email a email=b", "email", ["given twice"]),
    ("create_customer a=1 a[b]=2", "a", ["a is given with two shapes", "one bracket form"]),
    ("create_customer items[1][price]=p", "items", ["number them 0, 1, 2"]),
    ("request", "path", ["request needs a path", "/v1/charges"]),
    ("request GET https://evil.example/v1/x", "path", ["must look like /v1/charges"]),
    ("request GET /v1/../v2/x", "path", ["/v1/charges"]),
    ("request PATCH /v1/x", "method", ["request method must be GET, POST or DELETE; got 'PATCH'"]),
    ("request /v1/x --method PUT", "method", ["GET, POST, DELETE"]),
    ("connect", None, ["%stripe connect", "not an action"]),
    ("", None, ["no action given", "%stripe actions"]),
    ("'list_customers'", None, ["plain name"]),
    ("list_customers --email x\\", None, ["backslash"]),
    ("list_products --ids {{ object() }}", "ids", ["takes one text value"]),
]


@pytest.mark.parametrize(("line", "field", "words"), ERRORS, ids=[e[0][:40] or "empty" for e in ERRORS])
def test_usage_errors_are_one_clear_line(line: str, field: str | None, words: list[str]) -> None:
    error = usage_error(line)
    for word in words:
        assert word in str(error)
    assert error.field == field


@pytest.mark.parametrize("line", [
    "create_customer --description sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "create_customer metadata[k]=rk_live_abcdef123",
    "request POST /v1/x k={{ 'sk_live_abc123' }}",
    "list_customers --email 'x' --idempotency-key=sk_test_zz",
])
def test_api_key_literals_are_refused_without_echoing_them(line: str) -> None:
    error = usage_error(line)
    assert "%stripe connect" in str(error) and "history" in str(error)
    assert "abc" not in str(error) and "4eC39" not in str(error) and "_test_" not in str(error)


def test_api_key_in_a_cell_body_is_refused() -> None:
    error = usage_error("create_customer", "description=sk_test_abcdef")
    assert "%stripe connect" in str(error) and "abcdef" not in str(error)


def test_evaluator_errors_are_one_line_and_masked() -> None:
    def evaluate(expr: str):
        raise ValueError("bad\nthing with sk_test_secret123 inside")

    with pytest.raises(UsageError) as info:
        parse_line("list_customers --email {{ x }}", evaluate=evaluate)
    assert "\n" not in str(info.value) and "secret123" not in str(info.value)
    assert str(info.value).startswith("could not evaluate {{ x }}: ValueError: bad thing")


def test_subcommands_are_exposed_for_the_magic_to_dispatch() -> None:
    assert {"connect", "use", "disconnect", "profiles", "status", "actions", "help", "form",
            "mrr", "mrr-history", "mrr-changes", "churn", "cohorts", "trials"} == set(SUBCOMMANDS)
    assert not set(SUBCOMMANDS) & set(ACTIONS)


# --- cells -------------------------------------------------------------------------------------------

def test_cell_key_value_body_with_comments_merges_and_flags_win() -> None:
    body = """
    # a new subscription
    customer = cus_1
    price='price_1'
    quantity=2

    metadata[source]=notebook
    metadata[n]={{ n }}
    """
    call = parse_cell("create_subscription --quantity 3 --dry-run", body, evaluate=EVAL)
    assert call.params == {"customer": "cus_1", "items": [{"price": "price_1", "quantity": 3}],
                           "metadata": {"source": "notebook", "n": 7}}
    assert call.options.dry_run


def test_cell_json_body_and_whole_body_expression() -> None:
    body = '{"name": "Y", "email": "e@x.io", "metadata": {"k": "{{ n }}"}, "expand": ["tax"]}'
    call = parse_cell("create_customer --name X", body, evaluate=EVAL)
    assert call.params == {"name": "X", "email": "e@x.io", "metadata": {"k": 7}}
    assert call.options.expand == ("tax",)
    call = parse_cell("update_customer cus_1", "{{ {'address': address} }}", evaluate=EVAL)
    assert call.params == {"address": {"city": "Berlin", "country": "DE"}}


def test_cell_required_params_count_after_merging() -> None:
    assert parse_cell("create_subscription --price p", "customer=cus_1", evaluate=EVAL).params["customer"] == "cus_1"
    assert usage_error("create_subscription --price p", "# nothing\n").field == "customer"


@pytest.mark.parametrize(("body", "words"), [
    ('{"name": ', ["not valid JSON (line 1, column", "key=value lines"]),
    ("[1, 2]", ["line 1 of the cell body is not key=value"]),
    ("{{ [1] }}", ["must be a JSON object"]),
    ("name=ok\njust words", ["line 2 of the cell body is not key=value"]),
    ('{"not a key!": 1}', ["not a parameter name"]),
])
def test_cell_body_errors(body: str, words: list[str]) -> None:
    error = usage_error("create_customer", body)
    for word in words:
        assert word in str(error)


# --- unflatten ---------------------------------------------------------------------------------------

def test_unflatten_builds_nested_dicts_and_lists() -> None:
    pairs = [("metadata[tier]", "gold"), ("items[0][price]", "p"), ("items[0][quantity]", 2),
             ("items[1][price]", "q"), ("expand[]", "x"), ("expand[]", "y"), ("a[b][0][c]", "v")]
    assert unflatten(pairs) == {"metadata": {"tier": "gold"}, "items": [{"price": "p", "quantity": 2}, {"price": "q"}],
                                "expand": ["x", "y"], "a": {"b": [{"c": "v"}]}}


@pytest.mark.parametrize(("pairs", "words"), [
    ([("a", "1"), ("a[b]", "2")], ["two shapes"]),
    ([("a[b]", "1"), ("a", "2")], ["two shapes"]),
    ([("a[0]", "1"), ("a[b]", "2")], ["two shapes"]),
    ([("a[b]", "1"), ("a[b]", "2")], ["a[b] is given twice"]),
    ([("a[2]", "1")], ["indices 2"]),
    ([("a[9999999]", "1")], ["too large"]),
    ([("9a", "1")], ["not a parameter name"]),
    ([("a[b", "1")], ["not a parameter name"]),
])
def test_unflatten_rejects_conflicts_and_bad_keys(pairs, words) -> None:
    with pytest.raises(UsageError) as info:
        unflatten(pairs)
    for word in words:
        assert word in str(info.value)


# --- completion --------------------------------------------------------------------------------------

def test_completion_offers_actions_then_flags_then_enum_values() -> None:
    assert complete("list_cu") == ["list_customers"]
    assert complete("list_c") == ["list_charges", "list_customers"]
    assert complete("search_customers --li") == ["--live", "--limit"]
    assert "--created-after" not in complete("search_customers --")
    assert "--page" in complete("request GET /v1/charges --")
    assert "connect" in complete("") and "list_plans" in complete("")
    assert complete("%stripe list_subscriptions --st") == ["--status"]
    assert complete("subs = %stripe list_subscriptions --status a") == ["active", "all"]
    assert complete("list_customers --created-") == ["--created-after", "--created-before"]
    assert complete("list_customers --created_a") == ["--created_after"]
    assert complete("list_products --active ") == ["true", "false"]
    assert complete("request P") == ["POST"]
    assert complete("help get_") == ["get_charge", "get_customer", "get_invoice", "get_price", "get_product"]
    flags = complete("list_customers --email x ")
    assert "--email" not in flags and {"--limit", "--expand", "--dry-run", "--test_clock"} <= set(flags)
    assert "--limit" not in complete("get_customer cus_1 --")
    assert complete("list_customers --email 'unterminated") == []


# --- an injected catalog -----------------------------------------------------------------------------

def test_parser_works_against_an_injected_catalog() -> None:
    catalog = {"ping_widget": Action(
        "ping_widget", "X_PING", "update", "POST", "/v1/widgets/{id}", "widget", "Ping.", id_param="widget",
        params=(Param("loud", "boolean", "Loudly."), Param("tags", "list", "Tags."),
                Param("size", "enum", "Size.", required=True, choices=("s", "m")),
                Param("first_tag", "string", "First.", target="tags_detail[0][name]")))}
    call = parse_line("ping_widget wid_1 --loud --size m --tags a --tags b --first-tag t", evaluate=EVAL,
                      catalog=catalog)
    assert call == ParsedCall("ping_widget", "wid_1", {"loud": True, "size": "m", "tags": ["a", "b"],
                                                       "tags_detail": [{"name": "t"}]},
                              CallOptions(), "POST", "/v1/widgets/wid_1")
    with pytest.raises(UsageError, match="ping_widget needs --size"):
        parse_line("ping_widget wid_1", evaluate=EVAL, catalog=catalog)


def test_request_cell_and_templates_inside_quotes() -> None:
    call = parse_cell("request POST /v1/customers --idempotency-key k-1", "name=Jane\nmetadata[n]=n{{ n }}",
                      evaluate=EVAL)
    assert (call.method, call.path, call.params) == ("POST", "/v1/customers", {"name": "Jane", "metadata": {"n": "n7"}})
    assert call.options.idempotency_key == "k-1"
    # {{ }} is recognised even inside quotes: quoting only groups the surrounding text
    assert parse("create_customer --description 'n is {{ n }}'").params == {"description": "n is 7"}


def test_parser_modules_import_neither_ipython_nor_pandas() -> None:
    """Statically, so the check holds whatever the package ``__init__`` of the magic layer imports."""
    import ast
    import pathlib

    import paragon_magic.magics.parser as parser_module

    folder = pathlib.Path(parser_module.__file__).parent
    for name in ("parser", "templating", "brackets", "coerce", "flags", "completion", "cellbody"):
        tree = ast.parse((folder / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                assert not any(m.split(".")[0] in ("IPython", "pandas", "ipywidgets") for m in modules), name


def test_a_key_glued_to_a_bad_date_is_masked_in_the_error() -> None:
    key = "sk_test_" + "G" * 24
    for line in ("list_invoices --created 0{{ k }}", "list_customers --created-after x{{ k }}"):
        with pytest.raises(UsageError) as info:
            parse_line(line, evaluate=lambda _: key)
        assert key not in str(info.value) and "sk_test_…" in str(info.value)
