"""Stripe's search query language, parsed and evaluated (pure: no I/O, no aiohttp).

A query is up to 10 clauses ``[-]field<op>value`` joined by spaces or ``AND``, or by ``OR`` (never
both). Operators: ``:`` exact (case-insensitive), ``~`` substring (string fields, 3+ characters),
``>``/``<``/``>=``/``<=``/``=`` on numeric and timestamp fields. Values are quoted (``'...'`` or
``"..."``, backslash escapes); numbers, booleans and ``null`` may go bare. ``metadata['key']`` is a
field of its own. Which fields exist, and of which kind, is the resource's :data:`FieldKinds`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

#: field name -> "token" (exact ids/codes), "string" (exact or ``~``), "numeric", "timestamp", "boolean".
FieldKinds = Mapping[str, str]
#: (object, field, metadata key or None) -> the value a clause compares against.
Getter = Callable[[dict[str, Any], str, "str | None"], Any]

MAX_CLAUSES = 10
MIN_SUBSTRING = 3
COMPARISONS = (">=", "<=", ">", "<", "=")
_OPERATOR = re.compile(r">=|<=|:|~|>|<|=")
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?$")
_FORMAT_HINT = (
    "Try using the format `metadata['key']:'value'` to query for metadata or `key:'value'` "
    "to query for other fields."
)


class SearchQueryError(ValueError):
    """A query Stripe would refuse; ``str()`` is the message for the 400 (param ``query``)."""


@dataclass(frozen=True)
class Clause:
    field: str
    metadata_key: str | None
    operator: str
    value: str | int | float | bool | None  # None: the `null` value
    negated: bool = False


@dataclass(frozen=True)
class SearchQuery:
    clauses: tuple[Clause, ...]
    combinator: str = "AND"  # or "OR"

    def matches(self, obj: dict[str, Any], get: Getter) -> bool:
        results = (_clause_matches(clause, get(obj, clause.field, clause.metadata_key)) != clause.negated
                   for clause in self.clauses)  # fmt: skip
        return any(results) if self.combinator == "OR" else all(results)


@dataclass
class _Token:
    text: str
    quoted: bool


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, detail: str) -> SearchQueryError:
        return SearchQueryError(f"We were unable to parse your search query: {detail}. {_FORMAT_HINT}")

    def skip_space(self) -> bool:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1
        return self.pos > start

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def quoted(self) -> str:
        quote = self.text[self.pos]
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < len(self.text):
                out.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if char == quote:
                self.pos += 1
                return "".join(out)
            out.append(char)
            self.pos += 1
        raise self.fail(f"unterminated quoted value starting at position {self.pos - len(out) - 1}")

    def field(self) -> tuple[str, str | None]:
        match = _FIELD.match(self.text, self.pos)
        if not match:
            shown = self.text[self.pos : self.pos + 20]
            raise self.fail(f"expected a field name at position {self.pos} (`{shown}`)")
        name = match.group(0)
        self.pos = match.end()
        if name != "metadata":
            return name, None
        if self.text[self.pos : self.pos + 1] != "[" or self.text[self.pos + 1 : self.pos + 2] not in ("'", '"'):
            raise self.fail("metadata fields are written `metadata['key']`")
        self.pos += 1
        key = self.quoted()
        if self.text[self.pos : self.pos + 1] != "]":
            raise self.fail("expected `]` after the metadata key")
        self.pos += 1
        return name, key

    def operator(self, field: str) -> str:
        match = _OPERATOR.match(self.text, self.pos)
        if not match:
            raise self.fail(f"expected an operator (`:`, `~`, `>`, `<`, `>=`, `<=`, `=`) after `{field}`")
        self.pos = match.end()
        return match.group(0)

    def value(self, field: str) -> _Token:
        if self.at_end() or self.text[self.pos].isspace():
            raise self.fail(f"expected a value after `{field}`")
        if self.text[self.pos] in ("'", '"'):
            return _Token(self.quoted(), True)
        start = self.pos
        while self.pos < len(self.text) and not self.text[self.pos].isspace():
            self.pos += 1
        return _Token(self.text[start : self.pos], False)


def _field_label(field: str, key: str | None) -> str:
    return f"metadata['{key}']" if key is not None else field


def _typed_value(kind: str, token: _Token, label: str, operator: str) -> str | int | float | bool | None:
    if not token.quoted and token.text.lower() == "null":
        if operator != ":":
            raise SearchQueryError(f"`null` can only be used with the `:` operator (`{label}:null`).")
        return None
    if kind in ("numeric", "timestamp"):
        if not _NUMBER.match(token.text):
            raise SearchQueryError(f"Field `{label}` takes a number, not `{token.text}`.")
        number = float(token.text)
        return int(number) if number.is_integer() else number
    if kind == "boolean":
        if token.text.lower() not in ("true", "false"):
            raise SearchQueryError(f"Field `{label}` takes `true` or `false`, not `{token.text}`.")
        return token.text.lower() == "true"
    if not token.quoted:
        raise SearchQueryError(
            f"The value for `{label}` must be in quotes: `{label}{operator}'{token.text}'`."
        )
    return token.text


def _check_operator(kind: str, operator: str, label: str, value: Any) -> None:
    if operator == "~":
        if kind != "string":
            raise SearchQueryError(f"Field `{label}` does not support substring matching (`~`); use `:` for an exact match.")  # fmt: skip
        if len(str(value)) < MIN_SUBSTRING:
            raise SearchQueryError(f"Substring matching (`~`) needs a value of at least {MIN_SUBSTRING} characters: `{label}~'{value}'`.")  # fmt: skip
    elif operator in COMPARISONS and kind not in ("numeric", "timestamp"):
        raise SearchQueryError(f"Field `{label}` does not support the `{operator}` operator: comparisons work on numeric and timestamp fields.")  # fmt: skip


def unsupported_field(field: str, resource: str) -> SearchQueryError:
    return SearchQueryError(
        f"Field `{field}` is an unsupported search field for resource `{resource}`. See "
        f"https://stripe.com/docs/search#query-fields-for-{resource} for a list of supported fields."
    )


def parse_query(text: str, fields: FieldKinds, resource: str) -> SearchQuery:
    """Parse ``text`` for a resource whose searchable fields are ``fields`` (``metadata`` implied)."""
    scanner = _Scanner(text)
    scanner.skip_space()
    if scanner.at_end():
        raise scanner.fail("the query is empty")
    clauses: list[Clause] = []
    joins: set[str] = set()
    while True:
        negated = scanner.text[scanner.pos] == "-"
        if negated:
            scanner.pos += 1
        field, key = scanner.field()
        label = _field_label(field, key)
        if key is None and field not in fields:
            raise unsupported_field(field, resource)
        operator = scanner.operator(label)
        kind = "metadata" if key is not None else fields[field]
        value = _typed_value("string" if kind == "metadata" else kind, scanner.value(label), label, operator)
        if kind == "metadata" and operator != ":":
            raise SearchQueryError(f"Metadata fields support only exact matches (`{label}:'value'`).")
        _check_operator(kind, operator, label, value)
        clauses.append(Clause(field, key, "=" if operator == ":" else operator, value, negated))
        if not scanner.skip_space() and not scanner.at_end():
            raise scanner.fail(f"expected a space after the value of `{label}`")
        if scanner.at_end():
            break
        word = re.match(r"(?i)(and|or)(?=\s|$)", scanner.text[scanner.pos :])
        if word:
            joins.add(word.group(1).upper())
            scanner.pos += len(word.group(1))
            scanner.skip_space()
            if scanner.at_end():
                raise scanner.fail(f"the query ends with `{word.group(1)}`")
        else:
            joins.add("AND")
    if len(joins) > 1:
        raise SearchQueryError("You cannot combine AND and OR in the same search query: use one or the other.")  # fmt: skip
    if len(clauses) > MAX_CLAUSES:
        raise SearchQueryError(f"A search query can combine at most {MAX_CLAUSES} clauses (this one has {len(clauses)}).")  # fmt: skip
    return SearchQuery(tuple(clauses), joins.pop() if joins else "AND")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _clause_matches(clause: Clause, actual: Any) -> bool:
    want = clause.value
    if want is None:
        return actual is None or actual == ""
    if actual is None:
        return False
    if isinstance(want, bool):
        return actual is want
    if isinstance(want, (int, float)):
        number = _number(actual)
        if number is None:
            return False
        return {
            "=": number == want, ">": number > want, "<": number < want,
            ">=": number >= want, "<=": number <= want,
        }[clause.operator]  # fmt: skip
    text = str(actual).casefold()
    if clause.operator == "~":
        return want.casefold() in text
    return text == want.casefold()
