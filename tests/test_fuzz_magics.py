"""Fuzzing the ``%stripe`` parser and the request it leads to (hypothesis, derandomized).

Over 10,000 generated lines and cell bodies (valid, near-valid and hostile: unicode, huge values,
unbalanced braces and quotes, ``{{ }}`` expressions that raise or return odd objects) must each give a
``ParsedCall`` or a one-line ``UsageError``, never any other exception. Every ``ParsedCall`` is then
prepared exactly as ``--dry-run`` prepares it (a Session over a dummy ``DirectBackend``; nothing is
sent), and the resulting request must be well formed: Stripe bracket keys, text values, a /v1 path,
no secret in the dry-run text.

The valid strategies (``valid_lines``, ``valid_cells``) type every value from the catalog, so most of
their examples reach the planned request; each test counts its outcomes and asserts that share (the
requests must be at least a third of all examples), while the hostile strategies cover the error paths.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import string
from collections import Counter
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from paragon_magic.catalog import ACTIONS
from paragon_magic.catalog_types import Action, Param
from paragon_magic.client import DirectBackend, StripeClient, flatten_params
from paragon_magic.errors import UsageError
from paragon_magic.magics import commands, display
from paragon_magic.magics.flags import display_flag, option_flags, param_flags
from paragon_magic.magics.parser import ParsedCall, parse_cell, parse_line
from paragon_magic.session import Session, SessionConfig

#: Stripe's form grammar: a name, then any number of ``[segment]`` with no bracket inside a segment.
STRIPE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\[[^\[\]]*\])*\Z")
DUMMY_KEY = "sk_test_FuzzDummyKey" + "Q" * 12 + "wxyz"
_FUZZ = settings(derandomize=True, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def session() -> Session:
    client = StripeClient(DirectBackend(DUMMY_KEY, base_url="http://127.0.0.1:9"), timeout=1.0)
    return Session(client, config=SessionConfig(progress=False))


# -- what a {{ }} expression may evaluate to -----------------------------------------------------


class _WithId:
    id = "cus_fromobject"


class _Exploding:
    def __str__(self) -> str:
        raise RuntimeError("no str for you")

    __repr__ = __str__


NAMESPACE: dict[str, Any] = {
    "n": 7, "s": "hello world", "u": "ünï©ødé 🎉", "big": 2**200, "neg": -(10**30), "f": 1.5, "nan": float("nan"),
    "inf": float("inf"), "t": True, "none": None, "d": {"tier": "gold", "n": 1}, "deep": {"a": {"b": [{"c": [1, 2]}]}},
    "lst": ["a", "b"], "nested_list": [[1, [2]], {"x": None}], "empty": {}, "empty_list": [],
    "bracket_keys": {"a]b": 1, "c[d": 2, "[]": 3}, "int_keys": {1: "one", (2, 3): "tuple"},
    "obj": object(), "with_id": _WithId(), "exploding": _Exploding(), "when": dt.datetime(2026, 1, 2, 3, 4, 5),
    "day": dt.date(2026, 1, 1), "dec": Decimal("1.50"), "by": b"bytes", "st": {"x", "y"}, "tup": (1, 2),
    "newline": "a\nb", "key_like": "sk_test_" + "A" * 24, "huge": "x" * 100_000,
    "cid": "cus_fromnamespace", "since": {"gte": 1767225600}, "tags": {"tier": "gold", "seats": "5"},
}
EXPRESSIONS = sorted(NAMESPACE) + ["boom", "1/0", "undefined_name", "n + ", "exit_", "recursion"]


def evaluate(expression: str) -> Any:
    if expression in NAMESPACE:
        return NAMESPACE[expression]
    if expression == "boom":
        raise ValueError("boom\nwith a second line and sk_test_" + "B" * 24)
    if expression == "1/0":
        raise ZeroDivisionError("division by zero")
    if expression == "recursion":
        raise RecursionError("maximum recursion depth exceeded")
    if expression == "exit_":
        raise LookupError("x" * 10_000)
    raise NameError(f"name {expression!r} is not defined")


# -- generators ----------------------------------------------------------------------------------

ACTION_NAMES = sorted(ACTIONS)
WORD = st.text(string.ascii_letters + string.digits + "_-.:@", min_size=1, max_size=12)
HOSTILE_TEXT = st.text(max_size=40)  # any unicode, control characters included
TEMPLATE = st.sampled_from(EXPRESSIONS).map(lambda e: "{{ " + e + " }}")
VALUE = st.one_of(
    WORD, st.integers(-(10**40), 10**40).map(str), st.sampled_from(["true", "false", "0", "", "''", '""', "-1"]),
    HOSTILE_TEXT.map(lambda t: "'" + t.replace("'", "") + "'"), TEMPLATE, st.builds("{}{}".format, WORD, TEMPLATE),
    st.sampled_from(["2026-01-01", "2026-01-01T00:00:00Z", "yesterday", "1e309", "x" * 5000, "é" * 300]),
)
PAIR_KEY = st.one_of(
    st.sampled_from(["metadata[tier]", "items[0][price]", "items[1][quantity]", "expand[]", "a", "a[b][c]",
                     "metadata[]", "x[0][0]", "x[999999999]", "a[", "a]", "[b]", "metadata[a]b]", "9a"]),
    st.builds(lambda a, b: f"{a}[{b}]", st.from_regex(r"[a-z_]{1,8}", fullmatch=True), HOSTILE_TEXT),
)


@st.composite
def catalog_lines(draw: Any) -> str:
    """A call built from the catalog's own flags: valid or close to it."""
    action = ACTIONS[draw(st.sampled_from(ACTION_NAMES))]
    words = [action.name.replace("_", "-") if draw(st.integers(0, 9)) == 0 else action.name]
    if action.id_param or draw(st.integers(0, 9)) == 0:
        words.append(draw(st.one_of(WORD, TEMPLATE)))
    if action.kind == "request":
        words += [draw(st.sampled_from(["GET", "POST", "DELETE", "PATCH", "get"])),
                  draw(st.sampled_from(["/v1/customers", "/v1/charges?limit=3", "/v1/x/../y", "v1/no-slash", "/v2/a"]))]
    flags = list(param_flags(action)) + list(option_flags(action))
    for _ in range(draw(st.integers(0, 6))):
        choice = draw(st.integers(0, 3))
        if choice <= 1 and flags:
            name = draw(st.sampled_from(flags))
            spelled = display_flag(name) if draw(st.booleans()) else "--" + name
            if draw(st.booleans()):
                words.append(f"{spelled}={draw(VALUE)}")
            else:
                words += [spelled, draw(VALUE)]
        elif choice == 2:
            words.append(f"{draw(PAIR_KEY)}={draw(VALUE)}")
        else:
            words.append(draw(st.sampled_from(["--live", "--dry-run", "-o", "out", "--no-progress", "--bogus", "--"])))
    return " ".join(words)


# -- valid calls, typed from the catalog ----------------------------------------------------------

SAFE_WORD = st.text(string.ascii_letters + string.digits + "_", min_size=1, max_size=10)
ID_PREFIXES = {"customer": "cus_", "product": "prod_", "price": "price_", "plan": "plan_", "subscription": "sub_",
               "payment_method": "pm_", "default_payment_method": "pm_", "source": "ch_", "payout": "po_"}
SIMPLE_OPTIONS = ("--dry-run", "--live", "--no-progress")


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "") + "'"


def valid_value(param: Param) -> st.SearchStrategy[str]:
    """One value ``param`` accepts, as it would be typed after its flag."""
    kind = param.type
    if param.name == "query":  # Stripe's query language (search_query refuses anything else)
        return st.sampled_from(["\"email:'jenny@example.com'\"", "email:'a@b.c'", "\"amount>1000 AND currency:'usd'\"",
                                "created>2026-01-01", "\"status:'active'\"", "metadata['tier']:'gold'", "-email:'x'"])
    if param.name in ID_PREFIXES and kind == "string":
        return st.one_of(SAFE_WORD.map(ID_PREFIXES[param.name].__add__), st.just("{{ cid }}"))
    if kind == "string":
        return st.one_of(SAFE_WORD, st.text(string.ascii_letters + " .,@-", min_size=1, max_size=30).map(_quoted),
                         st.sampled_from(["{{ s }}", "{{ u }}", "x{{ n }}y"]))
    if kind == "integer":
        return st.one_of(st.integers(0, 10**9).map(str), st.just("{{ n }}"))
    if kind == "boolean":
        return st.sampled_from(["true", "false", "True", "0", "1", "{{ t }}"])
    if kind == "enum":
        return st.sampled_from(list(param.choices))
    if kind == "timestamp":
        return st.sampled_from(["2026-01-01", "2026-01-01T12:00:00Z", "2026-03", "7d", "12h", "last-month",
                                "yesterday", "1767225600", "{{ day }}", "{{ when }}"])
    if kind == "timestamp_range":
        return st.sampled_from(["gte=2026-01-01", "gt=1767225600,lt=2026-06-01", "1767225600", "{{ since }}"])
    if kind == "map":
        return st.one_of(st.builds("{}={}".format, SAFE_WORD.map("k".__add__), SAFE_WORD), st.just("{{ tags }}"),
                         st.just(_quoted('{"a": "1", "b": "2"}')))
    if kind == "list" and param.item_type == "object":
        return st.lists(st.fixed_dictionaries({f.name: st.integers(1, 9) if f.type == "integer" else SAFE_WORD
                                               for f in param.fields[:2]}), min_size=1, max_size=3).map(
            lambda items: _quoted(json.dumps(items)))
    if kind == "list":
        return st.lists(SAFE_WORD, min_size=1, max_size=3).map(",".join)
    if kind == "object":
        fields = [f for f in param.fields if f.type in ("string", "enum", "integer")] or [Param("x", "string", "")]
        return st.lists(st.sampled_from(fields), min_size=1, max_size=3, unique_by=lambda f: f.name).flatmap(
            lambda chosen: st.tuples(*(_plain_value(f) for f in chosen)).map(
                lambda values: ",".join(f"{f.name}={v}" for f, v in zip(chosen, values))))
    raise AssertionError(f"no valid values for {kind}")


def _plain_value(param: Param) -> st.SearchStrategy[str]:
    """A value with no quoting, commas or spaces (for ``a=1,b=2`` objects)."""
    if param.type == "enum":
        return st.sampled_from(list(param.choices))
    if param.type == "integer":
        return st.integers(0, 10**6).map(str)
    return SAFE_WORD


def _option_words(action: Action, draw: Any) -> list[str]:
    words: list[str] = []
    if draw(st.booleans()):
        words += ["-o", draw(st.sampled_from(["result", "customers", "x1"]))]
    if draw(st.booleans()):
        words += ["--account", "acct_" + draw(st.text(string.ascii_letters + string.digits, min_size=1, max_size=12))]
    if draw(st.booleans()):
        words += ["--expand", draw(st.sampled_from(["customer", "data.customer", "default_price"]))]
    if action.is_list or action.kind == "request":
        if draw(st.booleans()):
            words += ["--limit", str(draw(st.integers(1, 5000)))]
        bound = draw(st.integers(0, 3)) if action.filters_created or action.kind == "request" else 0
        if bound == 1:
            words += ["--created-after", draw(st.sampled_from(["2026-01-01", "last-month", "7d", "{{ day }}"]))]
        elif bound == 2:
            words += ["--month", draw(st.sampled_from(["2026-03", "this-month", "last-month", "{{ day }}"]))]
    words += draw(st.lists(st.sampled_from(SIMPLE_OPTIONS), unique=True, max_size=2))
    return words


@st.composite
def valid_lines(draw: Any) -> str:
    """A call a user could type: required parameters present, every value of its catalog type."""
    action = ACTIONS[draw(st.sampled_from(ACTION_NAMES))]
    words = [action.name]
    if action.kind == "request":
        words += [draw(st.sampled_from(["GET", "POST"])),
                  draw(st.sampled_from(["/v1/customers", "/v1/charges", "/v1/balance", "/v1/customers/cus_1"]))]
    elif action.id_param:
        words.append(draw(st.one_of(SAFE_WORD.map("cus_".__add__), st.just("{{ cid }}"))))
    params = param_flags(action)
    wanted = [p for p in params.values() if p.required]
    optional = [p for p in params.values() if not p.required]
    if optional:  # at most one parameter per top-level Stripe key (--items and --price both write items[…])
        wanted += draw(st.lists(st.sampled_from(optional), unique_by=lambda p: p.top_level_key, max_size=4))
        wanted = list({p.top_level_key: p for p in reversed(wanted)}.values())[::-1]
    if action.is_list and any(p.name == "created" for p in wanted) :
        wanted = [p for p in wanted if p.name != "created"]  # created_after below sets the same bound
    for param in wanted:
        value = draw(valid_value(param))
        words += [f"{param.flag}={value}"] if draw(st.integers(0, 3)) == 0 else [param.flag, value]
    if draw(st.integers(0, 3)) == 0:
        words.append("metadata[from_pair]=1" if action.is_write else "expand[]=customer")
    words += _option_words(action, draw)
    return " ".join(words)


@st.composite
def valid_cells(draw: Any) -> tuple[str, str]:
    """A ``%%stripe`` cell: a valid line and a body of typed ``key=value`` lines or JSON."""
    line = draw(valid_lines())
    action = ACTIONS[line.split()[0]]
    optional = [p for p in param_flags(action).values() if p.type in ("string", "integer", "enum")]
    pairs = {p.name: draw(valid_value(p)).strip("'") for p in draw(st.lists(st.sampled_from(optional), max_size=3,
                                                                            unique_by=lambda p: p.name))} if optional else {}
    if action.is_write and draw(st.booleans()):
        pairs["metadata[from_body]"] = draw(SAFE_WORD)
    if draw(st.booleans()) or not pairs:
        body = "\n".join(f"{k}={v}" for k, v in pairs.items())
    else:
        body = json.dumps({k: v for k, v in pairs.items() if "[" not in k and "{{" not in v})
    return line, body


def _run_counted(session: Session, examples: Any, parse: Any, *, max_examples: int) -> Counter[str]:
    """Run ``parse(example)`` through :func:`outcome` for each generated example; count the outcomes."""
    counts: Counter[str] = Counter()

    @settings(_FUZZ, max_examples=max_examples)
    @given(examples)
    def run(example: Any) -> None:
        result = outcome(session, lambda: parse(example))
        event(result)
        counts[result] += 1

    run()
    return counts


def mutate(line: str, data: st.DataObject) -> str:
    """A near-valid line: one random edit (delete, duplicate, or insert a syntax character)."""
    if not line:
        return line
    i = data.draw(st.integers(0, len(line) - 1))
    edit = data.draw(st.integers(0, 2))
    if edit == 0:
        return line[:i] + line[i + 1 :]
    if edit == 1:
        return line[:i] + line[i:] + line[i:]
    return line[:i] + data.draw(st.sampled_from(list("'\"{}[]=\\ -\t\n\x00") + ["{{", "}}", "—"])) + line[i:]


HOSTILE_LINES = st.one_of(
    st.text(max_size=120),
    st.lists(st.one_of(st.sampled_from(ACTION_NAMES), VALUE, TEMPLATE, PAIR_KEY, st.just("{{"), st.just("}}"),
                       st.just("'"), st.just('"'), st.just("\\")), max_size=20).map(" ".join),
    st.builds(lambda a, n: a + " " + "[" * n + "{" * n, st.sampled_from(ACTION_NAMES), st.integers(0, 3000)),
    st.builds(lambda a, v: f"{a} --limit {v}", st.sampled_from(ACTION_NAMES), st.integers(-(10**50), 10**50)),
)

BODY_LINE = st.one_of(
    st.builds("{}={}".format, PAIR_KEY, VALUE),
    st.sampled_from(["# comment", "", "   ", "no equals sign", "=value", "key=", "metadata[x]='quoted'"]),
    HOSTILE_TEXT,
)
JSON_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(allow_nan=False),
                        st.text(max_size=20), TEMPLATE)
JSON_VALUE = st.recursive(JSON_SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                               st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                          max_leaves=12)
CELL_BODIES = st.one_of(
    st.lists(BODY_LINE, max_size=8).map("\n".join),
    st.dictionaries(st.one_of(PAIR_KEY, st.text(max_size=8)), JSON_VALUE, max_size=5).map(
        lambda d: __import__("json").dumps(d)),
    st.sampled_from(["{{ d }}", "{{ deep }}", "{{ lst }}", "{{ boom }}", "{ not json", "{}", "[1, 2]", '{"a": {{ n }}}',
                     "{" * 2000, "[" * 5000, '"' * 3]),
    st.text(max_size=200),
)


# -- checks --------------------------------------------------------------------------------------


def _one_line(error: UsageError) -> None:
    text = str(error)
    assert text and "\n" not in text and "\r" not in text, repr(text)
    assert DUMMY_KEY not in text and NAMESPACE["key_like"] not in text


def _check_request(request: httpx.Request, call: ParsedCall, session: Session) -> None:
    assert request.method in {"GET", "POST", "DELETE"}, request.method
    url = urlsplit(str(request.url))
    assert url.netloc == "127.0.0.1:9" and re.match(r"/v[12]/", url.path), str(request.url)
    form = request.content.decode("ascii") if request.method == "POST" else url.query
    for key, value in parse_qsl(form, keep_blank_values=True):
        assert STRIPE_KEY.match(key), key
        assert isinstance(value, str)
    shown = display.dry_run_text(request, session.masked_key)
    assert DUMMY_KEY not in shown and DUMMY_KEY[8:-4] not in shown


def _check_params(params: dict[str, Any]) -> None:
    for key, value in flatten_params(params):
        assert STRIPE_KEY.match(key), key
        assert isinstance(key, str) and isinstance(value, str)


def outcome(session: Session, parse: Any) -> str:
    """Parse, then prepare like ``--dry-run``; only ``UsageError`` may stop either step."""
    try:
        call = parse()
    except UsageError as error:
        _one_line(error)
        return "usage"
    assert isinstance(call, ParsedCall)
    _check_params(call.params)
    try:
        request = commands.prepare(session, call)
    except UsageError as error:
        _one_line(error)
        return "unprepared"
    _check_request(request, call, session)
    return "request"


# -- the fuzz tests (example counts add up to 11,900; requests at least 4,360 of them) -------------

#: Minimum share of examples that reach the planned request, per strategy. Their floors alone give
#: 3000·0.9 + 2000·0.8 + 2000·0.03 = 4,360 requests: over a third of the 11,900 examples.
VALID_SHARE, CELL_SHARE, NEAR_VALID_SHARE = 0.9, 0.8, 0.03


def test_valid_lines_reach_a_request(session: Session) -> None:
    counts = _run_counted(session, valid_lines(), lambda line: parse_line(line, evaluate=evaluate),
                          max_examples=3000)
    assert counts["request"] >= VALID_SHARE * sum(counts.values()), counts


def test_valid_cells_reach_a_request(session: Session) -> None:
    counts = _run_counted(session, valid_cells(), lambda cell: parse_cell(*cell, evaluate=evaluate),
                          max_examples=2000)
    assert counts["request"] >= CELL_SHARE * sum(counts.values()), counts


def test_near_valid_lines(session: Session) -> None:
    """One or two random edits of a valid line: some still parse, the rest fail on one clear line."""
    counts = _run_counted(
        session, st.tuples(valid_lines(), st.integers(1, 2), st.data()),
        lambda case: parse_line(_mutated(*case), evaluate=evaluate), max_examples=2000,
    )
    assert counts["request"] >= NEAR_VALID_SHARE * sum(counts.values()), counts
    assert counts["usage"] > 0, counts


def test_catalog_flag_soup(session: Session) -> None:
    """Catalog flags with values of any type (mostly the wrong one): the typed error paths."""
    counts = _run_counted(session, catalog_lines(), lambda line: parse_line(line, evaluate=evaluate),
                          max_examples=1500)
    assert counts["usage"] > counts["request"] > 0, counts


@settings(_FUZZ, max_examples=2000)
@given(HOSTILE_LINES)
def test_hostile_lines(session: Session, line: str) -> None:
    outcome(session, lambda: parse_line(line, evaluate=evaluate))


@settings(_FUZZ, max_examples=1400)
@given(st.one_of(catalog_lines(), HOSTILE_LINES), CELL_BODIES)
def test_hostile_cells(session: Session, line: str, body: str) -> None:
    outcome(session, lambda: parse_cell(line, body, evaluate=evaluate))


def _mutated(line: str, edits: int, data: st.DataObject) -> str:
    for _ in range(edits):
        line = mutate(line, data)
    return line


def test_every_expression_value_in_every_slot(session: Session) -> None:
    """Each odd {{ }} value (and each raising expression) as an id, a typed flag, a pair and a body."""
    seen: set[str] = set()
    for expr in EXPRESSIONS:
        slot = "{{ " + expr + " }}"
        lines = [f"get_customer {slot}", f"list_customers --limit {slot}", f"list_customers --email {slot}",
                 f"list_customers --created-after {slot}", f"create_customer --metadata {slot}",
                 f"create_customer metadata[k]={slot}", f"request POST /v1/customers a={slot}",
                 f"create_subscription --customer cus_1 --price {slot}", f"list_subscriptions --status {slot}",
                 f"request GET /v1/customers expand[]={slot}", f"create_customer --description x{slot}y"]
        for line in lines:
            seen.add(outcome(session, lambda: parse_line(line, evaluate=evaluate)))
        for body in (slot, f"metadata[k]={slot}", '{"metadata": "' + slot + '"}'):
            seen.add(outcome(session, lambda: parse_cell("create_customer", body, evaluate=evaluate)))
    assert {"usage", "request", "unprepared"} >= seen >= {"usage", "request"}, seen


# -- a sample, sent for real --------------------------------------------------------------------------

def test_a_sample_of_the_valid_requests_reaches_the_sandbox(stripe_server: Any) -> None:
    """120 generated valid lines, prepared on a sandbox session and sent over HTTP: the server reads each
    one's method, path and parameters exactly as they were encoded, and answers as Stripe does (an object,
    a list, or a Stripe error for an id that does not exist), never with a 5xx."""
    sandbox = Session(StripeClient(DirectBackend(stripe_server.key, base_url=stripe_server.url), timeout=10.0),
                      config=SessionConfig(progress=False))
    answers: Counter[int] = Counter()

    @settings(_FUZZ, max_examples=120)
    @given(valid_lines())
    def send(line: str) -> None:
        try:
            request = commands.prepare(sandbox, parse_line(line, evaluate=evaluate))
        except UsageError:
            return
        with httpx.Client(trust_env=False, timeout=10.0) as http:
            response = http.send(request)
        assert response.status_code < 500, (line, response.text)
        body = response.json()
        assert "object" in body or body.get("error", {}).get("type"), (line, body)
        (entry,) = [e for e in stripe_server.requests() if e["request_id"] == response.headers["Request-Id"]]
        url = urlsplit(str(request.url))
        assert (entry["method"], entry["path"]) == (request.method, url.path), line
        if request.method == "POST":
            assert entry["form"] == dict(parse_qsl(request.content.decode("ascii"), keep_blank_values=True)), line
        else:
            assert entry["query"] == dict(parse_qsl(url.query, keep_blank_values=True)), line
        answers[response.status_code // 100] += 1

    try:
        send()
    finally:
        sandbox.close()
    assert answers[2] >= 30 and sum(answers.values()) >= 100, answers
