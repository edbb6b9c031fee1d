"""Stripe's search query language: parsing, refusals with Stripe's messages, evaluation (pure)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from paragon_magic.sandbox.front.search_query import Clause, SearchQueryError, parse_query

FIELDS = {"email": "string", "name": "string", "currency": "token", "amount": "numeric",
          "created": "timestamp", "active": "boolean", "url": "string"}  # fmt: skip


def _get(obj: dict[str, Any], field: str, key: str | None) -> Any:
    return (obj.get("metadata") or {}).get(key) if key is not None else obj.get(field)


def _parse(text: str) -> Any:
    return parse_query(text, FIELDS, "customers")


def _matches(text: str, obj: dict[str, Any]) -> bool:
    return _parse(text).matches(obj, _get)


def test_clause_forms_parse_to_typed_values() -> None:
    query = _parse("""email:"amy@x.io" -name~'lov' amount>=1000 metadata["tier"]:'pro' url:null active:'true'""")
    assert query.combinator == "AND"
    assert query.clauses == (
        Clause("email", None, "=", "amy@x.io"),
        Clause("name", None, "~", "lov", negated=True),
        Clause("amount", None, ">=", 1000),
        Clause("metadata", "tier", "=", "pro"),
        Clause("url", None, "=", None),
        Clause("active", None, "=", True),
    )
    assert _parse("email:'a' or email:'b' OR name:'c'").combinator == "OR"
    assert _parse("email:'a' and name:'b'").combinator == "AND"
    assert _parse(r"name:'O\'Brien'").clauses[0].value == "O'Brien"
    assert _parse("amount:'250'").clauses[0].value == 250


def test_exact_match_is_case_insensitive_and_substring_needs_three_characters() -> None:
    ada = {"email": "Ada@Example.com", "name": "Ada Lovelace", "currency": "usd", "amount": 1500,
           "created": 1_700_000_000, "active": True, "url": None, "metadata": {"tier": "pro"}}  # fmt: skip
    assert _matches("email:'ada@example.com'", ada)
    assert not _matches("email:'ada@example'", ada)
    assert _matches("name~'LOVE'", ada) and not _matches("name~'hopper'", ada)
    assert _matches("-name~'hopper'", ada) and not _matches("-currency:'USD'", ada)
    assert _matches("amount>1000 amount<=1500", ada) and not _matches("amount<1500", ada)
    assert _matches("created>=1700000000", ada) and not _matches("created>1700000000", ada)
    assert _matches("amount=1500", ada)
    assert _matches("metadata['tier']:'PRO'", ada) and _matches("metadata['missing']:null", ada)
    assert not _matches("-metadata['tier']:null", {"metadata": {}})
    assert _matches("url:null", ada) and not _matches("-url:null", ada)
    assert _matches("active:true", ada) and not _matches("active:'false'", ada)
    assert _matches("currency:'eur' OR amount>1000", ada) and not _matches("currency:'eur' AND amount>1000", ada)
    with pytest.raises(SearchQueryError, match="at least 3 characters"):
        _parse("name~'ad'")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("colour:'red'", "Field `colour` is an unsupported search field for resource `customers`"),
        ("email:'a' AND name:'b' OR name:'c'", "You cannot combine AND and OR"),
        ("email:'a' name:'b' OR name:'c'", "You cannot combine AND and OR"),
        ("email:amy", "must be in quotes"),
        ("email 'amy'", "expected an operator"),
        ("email:'amy", "unterminated quoted value"),
        ("email:", "expected a value"),
        ("email:'a' AND", "ends with `AND`"),
        ("   ", "the query is empty"),
        ("currency~'usd'", "does not support substring matching"),
        ("email>'a'", "does not support the `>` operator"),
        ("amount:'ten'", "takes a number"),
        ("active:'yes'", "takes `true` or `false`"),
        ("metadata[tier]:'pro'", "metadata fields are written"),
        ("metadata['tier']~'pro'", "only exact matches"),
        ("amount>null", "`null` can only be used with the `:` operator"),
        ("email:'a'name:'b'", "expected a space"),
        (" ".join(f"amount>{i}" for i in range(11)), "at most 10 clauses"),
    ],
)
def test_malformed_queries_are_refused_with_a_clear_message(query: str, message: str) -> None:
    with pytest.raises(SearchQueryError, match=re.escape(message)):
        _parse(query)


def test_parse_errors_carry_stripes_format_hint() -> None:
    with pytest.raises(SearchQueryError) as caught:
        _parse("email 'amy'")
    assert str(caught.value).startswith("We were unable to parse your search query")
    assert "metadata['key']:'value'" in str(caught.value)
