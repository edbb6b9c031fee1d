"""Properties of the pure %stripe parser (hypothesis): valid calls round-trip, hostile input only ever
gives a ParsedCall or a one-line UsageError."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
import keyword
import shlex
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paragon_magic.catalog import ACTIONS
from paragon_magic.errors import UsageError
from paragon_magic.frame_schema import kind_by_name
from paragon_magic.magics.parser import (
    CallOptions, ParsedCall, complete, parse_cell, parse_line,
)

JAN_1_2026 = 1767225600  # 2026-01-01T00:00:00Z

SAFE_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30).filter(
    lambda s: "{{" not in s and "sk_" not in s and "rk_" not in s)
ITEM_TEXT = SAFE_TEXT.filter(lambda s: "," not in s and s.strip() == s and s != "" and not s.startswith("["))
ALNUM = string.ascii_letters + string.digits
IDENT = st.text(string.ascii_lowercase + string.digits + "_", min_size=1, max_size=11).filter(
    lambda s: not s[0].isdigit() and not keyword.iskeyword(s))
CLAUSE = st.one_of(  # a text clause on a field that is not a time (a time field takes a date, not any text)
    st.builds("{}:'{}'".format, IDENT.filter(lambda s: kind_by_name(s) != "timestamp"),
              st.text(ALNUM + "@.-_ ", max_size=12)),
    st.builds("{}>{}".format, st.sampled_from(["amount", "total"]), st.integers(0, 10**6)),
)
QUERY = st.lists(CLAUSE, min_size=1, max_size=3).map(" AND ".join)
OBJECT_ID = st.builds("{}_{}".format, st.text(string.ascii_lowercase, min_size=2, max_size=4),
                      st.text(ALNUM, min_size=1, max_size=20))
ACTION_NAMES = sorted(n for n, a in ACTIONS.items() if a.kind != "request")


def _spell(draw, name: str) -> str:
    return "--" + (name.replace("_", "-") if draw(st.booleans()) else name)


def _put(tree: dict, stripe_key: str, value) -> None:
    """Test-local placement of a value at a catalog target like items[0][price]."""
    segments = stripe_key.replace("]", "").split("[")
    node = tree
    for here, following in zip(segments, segments[1:]):
        key = int(here) if here.isdigit() else here
        if isinstance(node, list):
            while len(node) <= key:
                node.append({})
            node = node[key]
        else:
            node = node.setdefault(key, [] if following.isdigit() else {})
    last = segments[-1]
    if isinstance(node, list):
        node.append(value)
    else:
        node[last] = value


@st.composite
def valid_calls(draw):
    """(line, namespace, action, id, params, options) for a random valid call of a real action."""
    action = ACTIONS[draw(st.sampled_from(ACTION_NAMES))]
    ns: dict = {}
    groups: list[str] = []
    params: dict = {}

    def bind_raw(value) -> str:
        name = f"v{len(ns)}"
        ns[name] = value
        return "{{ " + name + " }}"

    def render(flag: str, text: str) -> str:
        # a value that looks like a flag must be attached: --email=--x
        return f"{flag}={shlex.quote(text)}" if text.startswith("-") else f"{flag} {shlex.quote(text)}"

    chosen = [p for p in action.params if p.required or draw(st.booleans())]
    if any(p.target for p in chosen):
        chosen = [p for p in chosen if p.name != "items"]
    for param in chosen:
        flag = _spell(draw, param.name)
        raw = draw(st.booleans())
        if param.name == "query" and action.is_search:  # a valid query (search_query refuses others)
            value = draw(QUERY)
            groups.append(f"{flag} {bind_raw(value)}" if raw else f'{flag} "{value}"')
        elif param.type == "string":
            value = draw(SAFE_TEXT)
            groups.append(f"{flag} {bind_raw(value)}" if raw else render(flag, value))
        elif param.type == "integer":
            value = draw(st.integers(-10**9, 10**9))
            groups.append(f"{flag} {bind_raw(value)}" if raw else render(flag, str(value)))
        elif param.type == "boolean":
            value = draw(st.booleans())
            words = {True: ["true", "yes", "1", "TRUE", ""], False: ["false", "no", "0"]}[value]
            word = draw(st.sampled_from(words))
            groups.append(f"{flag} {word}".rstrip())
        elif param.type == "enum":
            value = draw(st.sampled_from(param.choices))
            groups.append(render(flag, value))
        elif param.type == "timestamp_range":
            day = draw(st.dates(dt.date(1990, 1, 1), dt.date(2090, 1, 1)))
            value = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp())
            if draw(st.booleans()):
                groups.append(render(flag, day.isoformat()))
            else:
                value = {"gte": value}
                groups.append(render(flag, f"gte={day.isoformat()}"))
        elif param.type == "map":
            value = draw(st.dictionaries(IDENT, SAFE_TEXT, min_size=1, max_size=3))
            if raw:
                groups.append(f"{flag} {bind_raw(value)}")
            else:
                groups += [shlex.quote(f"{param.name}[{k}]={v}") for k, v in value.items()]
        elif param.type == "list" and param.item_type == "string":
            value = draw(st.lists(ITEM_TEXT, min_size=1, max_size=3))
            groups += [f"{flag} {bind_raw(value)}"] if raw else [" ".join(render(flag, v) for v in value)]
        else:  # object, or list of objects: bind the raw structure
            value = draw(st.dictionaries(IDENT, SAFE_TEXT, min_size=1, max_size=3))
            if param.type == "list":
                value = [value]
            groups.append(f"{flag} {bind_raw(value)}")
        _put(params, param.stripe_key, value)

    options: dict = {}
    if draw(st.booleans()):
        options["out"] = draw(IDENT)
        groups.append(f"-o {options['out']}" if draw(st.booleans()) else f"--out {options['out']}")
    if draw(st.booleans()):
        options["account"] = "acct_" + draw(st.text(ALNUM, min_size=1, max_size=16))
        groups.append(f"--account {options['account']}")
    expand = draw(st.lists(st.text(string.ascii_lowercase + "_.", min_size=1, max_size=12), max_size=3, unique=True))
    if expand:
        groups.append(" ".join(f"--expand {e}" for e in expand))
    for name in ("live", "dry_run"):
        if draw(st.booleans()):
            options[name] = True
            groups.append(_spell(draw, name))
    if draw(st.booleans()):
        options["idempotency_key"] = draw(SAFE_TEXT.filter(lambda s: 0 < len(s)))
        groups.append(render(_spell(draw, "idempotency_key"), options["idempotency_key"]))
    if action.is_list:
        if draw(st.booleans()):
            options["limit"] = draw(st.integers(1, 10**6))
            groups.append(f"--limit {options['limit']}")
        if action.filters_created and draw(st.booleans()):
            moment = draw(st.datetimes(dt.datetime(1971, 1, 1), dt.datetime(2100, 1, 1)))
            options["created_after"] = int(moment.replace(tzinfo=dt.timezone.utc).timestamp() // 1)
            groups.append(f"{_spell(draw, 'created_after')} {shlex.quote(moment.isoformat())}")

    ident = draw(OBJECT_ID) if action.id_param else None
    order = draw(st.permutations(groups))
    options["expand"] = tuple(expand)
    line = " ".join([action.name, *([ident] if ident else []), *order])
    return line, ns, action.name, ident, params, CallOptions(**options)


@settings(max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_calls())
def test_property_valid_calls_round_trip(case) -> None:
    line, ns, action, ident, params, options = case
    call = parse_line(line, evaluate=ns.__getitem__)
    assert call.action == action and call.id == ident
    assert call.params == params
    assert call.options == options


FRAGMENTS = [
    "list_customers", "get_customer", "create_subscription", "request", "update_customer", "help", "connect",
    "--email", "--limit", "--status", "--created-after", "-o", "--expand", "--live", "--dry-run", "--active",
    "--customer", "--price", "--quantity", "--metadata", "--ids", "--created", "--method", "--account",
    "{{", "}}", "{{ x }}", "{{ boom }}", "{{ obj }}", "{{ lst }}", "{{ big }}", "{{ nan }}", "{{ nested }}",
    "'", '"', "\\", "=", "[", "]", "[]", "metadata[", "items[0][price]=", "expand[]=", "a=1", "a[b]=2",
    "cus_123", "acct_1", "POST", "/v1/customers", "/v1/../x", "?a=b", "sk_test_", "sk_live_x1", "true", "0",
    "-5", "9" * 40, "x" * 3000, "2026-01-01", "é", "𝔘𝔫𝔦", "\x00", "\t", " ", " ", " ", "\u200b", "{", "}",
]
HOSTILE_NS = {
    "x": "cus_1", "obj": object(), "lst": [1, [2, {"a": None}]], "big": 2**200, "nan": float("nan"),
    "nested": {"a": {"b": [{"c": dt.date(2026, 1, 1)}]}},
}


def hostile_evaluate(expr: str):
    if expr in HOSTILE_NS:
        return HOSTILE_NS[expr]
    if expr == "boom":
        raise ZeroDivisionError("division by zero")
    raise NameError(f"name {expr!r} is not defined")


HOSTILE_LINES = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=8), max_size=25).map("".join),
    st.lists(st.sampled_from(FRAGMENTS), max_size=25).map(" ".join),
)


def _assert_only_usage_errors(run) -> None:
    try:
        result = run()
    except UsageError as error:
        assert "\n" not in str(error) and "\r" not in str(error)
    else:
        assert isinstance(result, ParsedCall)


@settings(max_examples=400, derandomize=True, deadline=None)
@given(HOSTILE_LINES)
def test_property_hostile_lines_give_a_call_or_a_usage_error(line: str) -> None:
    _assert_only_usage_errors(lambda: parse_line(line, evaluate=hostile_evaluate))
    candidates = complete(line)
    assert isinstance(candidates, list) and all(isinstance(c, str) for c in candidates)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(HOSTILE_LINES, st.one_of(HOSTILE_LINES, st.lists(HOSTILE_LINES, max_size=5).map("\n".join),
                                st.just("{" * 3000 + "}" * 3000), st.just("[" * 5000)))
def test_property_hostile_cells_give_a_call_or_a_usage_error(line: str, body: str) -> None:
    _assert_only_usage_errors(lambda: parse_cell(line, body, evaluate=hostile_evaluate))


def test_odd_evaluated_values_are_usage_errors_not_crashes() -> None:
    for expr in ("obj", "big", "nan", "lst", "nested"):
        for line in (f"list_customers --limit {{{{ {expr} }}}}", f"get_customer {{{{ {expr} }}}}",
                     f"list_customers --created-after {{{{ {expr} }}}}", f"request POST /v1/x a={{{{ {expr} }}}}"):
            _assert_only_usage_errors(lambda: parse_line(line, evaluate=hostile_evaluate))
    call = parse_line("request POST /v1/x a={{ nested }} d={{ dec }}",
                      evaluate={**HOSTILE_NS, "dec": Decimal("1.50")}.__getitem__)
    assert call.params == {"a": {"a": {"b": [{"c": JAN_1_2026}]}}, "d": "1.50"}
