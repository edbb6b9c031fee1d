"""Search queries as people type them: the query reaches Stripe as typed (quotes kept), dates in time clauses
become epoch seconds, and mistakes are refused with the fix. Parser alone, then over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from paragon_magic.dates import to_epoch_seconds
from paragon_magic.errors import UsageError
from paragon_magic.magics.parser import parse_line
from paragon_magic.search_query import normalise_query
from paragon_magic.session import Session
from shell_helpers import fails, ok, requests_since


def query(line: str, **names: Any) -> str:
    return parse_line(line, evaluate=lambda source: eval(source, {}, names)).params["query"]


@pytest.mark.parametrize(("line", "sent"), [
    ("search_customers email:'x@example.com'", "email:'x@example.com'"),
    ('search_customers email:"x@example.com"', 'email:"x@example.com"'),
    ("search_customers \"email:'x@example.com'\"", "email:'x@example.com'"),
    ("search_customers 'email:\"x@example.com\"'", 'email:"x@example.com"'),
    ("search_customers email:'x@example.com' AND name~'Ann'", "email:'x@example.com' AND name~'Ann'"),
    ("search_customers -email:'x@example.com' --limit 5", "-email:'x@example.com'"),
    ("search_customers --query email:'x@example.com'", "email:'x@example.com'"),
    ("search_customers --query=email:'x@example.com'", "email:'x@example.com'"),
    ("search_customers metadata['tier']:'gold'", "metadata['tier']:'gold'"),
    ("search_charges amount>1000 AND currency:'usd'", "amount>1000 AND currency:'usd'"),
    ("search_customers email:{{ who }}", "email:'a@b.c'"),
    ("search_customers \"email:'{{ bare }}'\"", "email:'a@b.c'"),
    ("search_customers \"email:'{{ bare }}' AND name~'x'\"", "email:'a@b.c' AND name~'x'"),
])
def test_the_query_reaches_stripe_as_typed(line: str, sent: str) -> None:
    assert query(line, who="'a@b.c'", bare="a@b.c") == sent


def test_dates_in_time_clauses_become_epoch_seconds() -> None:
    assert query("search_charges created>2026-01-01") == "created>1767225600"
    assert query("search_charges \"created>=2026-03 AND amount>0\"") == "created>=1772323200 AND amount>0"
    assert query("search_invoices created<'2026-01-01T12:00Z'") == "created<1767268800"
    assert query("search_subscriptions canceled_at>7d").startswith("canceled_at>")
    assert abs(int(query("search_charges created>=7d").split(">=")[1]) - to_epoch_seconds("7d")) <= 2
    assert query("search_charges created>1767225600") == "created>1767225600"  # epoch seconds stay


@pytest.mark.parametrize(("line", "message"), [
    ("search_customers email:x@example.com", "text values are quoted in Stripe's query language: email:'x@example.com'"),
    ("search_charges created>2026-13-45", "created> in the query must be a date (2026-01-01)"),
    ("search_charges amount>'big'", "amount> compares numbers"),
    ("search_charges amount>1 AND currency:'usd' OR status:'failed'", "cannot mix AND and OR"),
    ("search_charges amount>1 currency:'usd'", "join the query's clauses with AND or OR"),
    ("search_charges amount>1 AND", "the query ends with AND"),
    ("search_customers \"email:'x\"", "unclosed ' quote"),
    ("search_customers (email:'x')", "(email:'x')\" in the query: Stripe's query language is field:'value'"),
    ("search_customers email:", "email: has no value in the query, e.g. email:'value'"),
])
def test_query_mistakes_say_how_to_fix_them(line: str, message: str) -> None:
    with pytest.raises(UsageError, match=None) as error:
        parse_line(line, evaluate=lambda source: None)
    assert message in str(error.value) and error.value.field == "query"


def test_normalise_query_alone() -> None:
    assert normalise_query("  email:'a'  ", "search_customers") == "email:'a'"
    assert normalise_query("created:null", "search_charges") == "created:null"
    with pytest.raises(UsageError, match="needs a query"):
        normalise_query(" ", "search_customers")


def test_typed_quotes_and_dates_reach_the_sandbox(ip: InteractiveShell, session: Session, stripe_server: Any) -> None:
    ann = session.create_customer(email="x@example.com", name="Ann").id[0]
    session.create_customer(email="y@example.com", name="Bob")
    start = len(stripe_server.requests())
    frame, _ = ok(ip, "%stripe search_customers email:'x@example.com'")
    assert frame["id"].tolist() == [ann]
    (sent,) = requests_since(stripe_server, start)
    assert sent["query"]["query"] == "email:'x@example.com'"
    frame, _ = ok(ip, "%stripe search_customers created>2020-01-01 AND email~'example'")
    assert len(frame) == 2
    assert stripe_server.requests()[-1]["query"]["query"].startswith("created>1577836800 AND")
    assert ok(ip, "%stripe search_customers created>2100-01-01")[0].empty
    assert "text values are quoted" in fails(ip, "%stripe search_customers email:x@example.com")

