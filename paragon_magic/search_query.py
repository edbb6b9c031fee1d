"""A ``search_*`` query as people type it on a ``%stripe`` line -> the query Stripe reads (pure; no I/O).

The query reaches Stripe as typed, except that a date given to a time field (``created>2026-01-01``,
``canceled_at<=last-month``) becomes epoch seconds, as every date flag does. Mistakes Stripe would refuse
with a terse message are refused here with the fix: a text value without quotes, an unclosed quote,
``AND`` mixed with ``OR``, a word that is not a clause.
"""

from __future__ import annotations

import re

from .dates import TIMESTAMP_HELP, to_epoch_seconds
from .errors import UsageError
from .frame_schema import kind_by_name

__all__ = ["normalise_query"]

_FIELD = r"[A-Za-z_][\w.]*(?:\[(?:'[^']*'|\"[^\"]*\")\])?"
_VALUE = r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^\s'\"]+"
_CLAUSE = re.compile(rf"(?P<neg>-?)(?P<field>{_FIELD})(?P<op>>=|<=|>|<|:|~)(?P<value>{_VALUE})?")
_JOIN = re.compile(r"\s+(AND|OR)(?:\s+|\Z)|\s+", re.IGNORECASE)
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?\Z")
_COMPARE = (">", "<", ">=", "<=")


def normalise_query(query: str, action: str) -> str:
    """``query`` with dates in time clauses as epoch seconds; ``UsageError`` saying the fix otherwise."""
    text = query.strip()
    if not text:
        raise UsageError(f"{action} needs a query, e.g. %stripe {action} \"{_example(action)}\"", field="query")
    _check_quotes(text, action)
    out: list[str] = []
    joins: set[str] = set()
    at = 0
    while at < len(text):
        clause = _CLAUSE.match(text, at)
        if clause is None:
            word = text[at:].split()[0]
            raise UsageError(f"cannot read {word!r} in the query: Stripe's query language is field:'value' "
                             f"(also field~'part', field>number, -field:'value' to negate) joined by AND or OR, "
                             f"e.g. %stripe {action} \"{_example(action)}\"", field="query")
        out.append(_clause(clause, action))
        at = clause.end()
        if at < len(text):
            join = _JOIN.match(text, at)
            if join is None:
                raise UsageError(f"cannot read {text[at:].split()[0]!r} in the query: put a space and AND or "
                                 f"OR between clauses", field="query")
            word = (join.group(1) or "").upper()
            if not word:
                raise UsageError(f"join the query's clauses with AND or OR: "
                                 f"{text[clause.start():at]} AND {text[join.end():].split()[0] if join.end() < len(text) else '…'}",
                                 field="query")
            joins.add(word)
            out.append(f" {word} ")
            at = join.end()
            if at >= len(text):
                raise UsageError(f"the query ends with {word}: add a clause after it or remove it", field="query")
    if len(joins) > 1:
        raise UsageError("Stripe's search cannot mix AND and OR in one query: run two searches and combine the "
                         "frames (pd.concat), or use one of them", field="query")
    return "".join(out)


def _clause(clause: re.Match[str], action: str) -> str:
    neg, field, op, value = clause.group("neg"), clause.group("field"), clause.group("op"), clause.group("value")
    if value is None:
        raise UsageError(f"{field}{op} has no value in the query, e.g. {field}{op}'value'", field="query")
    quoted = value[:1] in ("'", '"')
    bare = value[1:-1] if quoted else value
    if kind_by_name(field.split("[")[0]) == "timestamp" and not _NUMBER.match(bare) and bare.lower() != "null":
        seconds = to_epoch_seconds(bare, field="query", flag=f"{field}{op} in the query")
        return f"{neg}{field}{op}{seconds}"
    if quoted or _NUMBER.match(bare) or bare.lower() == "null":
        if op in _COMPARE and not _NUMBER.match(bare):
            raise UsageError(f"{field}{op} compares numbers (or dates for time fields: {TIMESTAMP_HELP}); "
                             f"got {value}", field="query")
        return clause.group(0)
    raise UsageError(f"text values are quoted in Stripe's query language: {neg}{field}{op}'{bare}' "
                     f"(on the magic line, quote the whole query: %stripe {action} \"{neg}{field}{op}'{bare}'\")",
                     field="query")


def _check_quotes(text: str, action: str) -> None:
    quote: str | None = None
    escaped = False
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\" and quote:
            escaped = True
        elif quote is None and ch in "'\"":
            quote = ch
        elif ch == quote:
            quote = None
    if quote:
        raise UsageError(f"the query has an unclosed {quote} quote: close it, e.g. %stripe {action} "
                         f"\"{_example(action)}\"", field="query")


def _example(action: str) -> str:
    from .catalog import ACTIONS  # the catalog's example query for this action

    found = ACTIONS.get(action)
    param = found.param("query") if found is not None else None
    return param.example.strip('"') if param is not None and param.example else "field:'value'"
