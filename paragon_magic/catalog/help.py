"""Help text generated from the catalog: ``%stripe help <action>`` and ``%stripe actions``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from .. import stripe_model
from ..catalog_types import Action, Param
from .shared import COMMON_OPTIONS, LIST_OPTIONS, list_options

#: ``request``'s own options (it pages a list answer like the list actions do).
REQUEST_OPTIONS = (
    *LIST_OPTIONS,
    Param("page", "boolean", "Send exactly one request and return that page (Paragon's one-call semantics).",
          example="true"),
)
REQUEST_PAGING = """\
Paging: a GET whose answer is a list (object "list", walked with starting_after cursors) or a search
result (object "search_result", walked with page/next_page) fetches every page, up to 100 objects a
request, with a progress bar; --limit N is the total number of rows (never sent to Stripe as a page size
above 100). Ctrl-C keeps the rows fetched so far (df.attrs['stripe']['complete'] is False). The frame is
typed by the objects' `object` type. --page sends one request and returns that page as Stripe answers it
(--limit N is then the page size, at most 100; pass starting_after=... or page=... for the next one).
--dry-run shows the first page's request. Python: session.request("stripe", "/v1/charges", limit=250),
or page=True for one call."""

_METAVAR = {"string": "TEXT", "integer": "N", "boolean": "true|false", "enum": "CHOICE", "timestamp": "TIME",
            "timestamp_range": "RANGE", "map": "KEY=VALUE", "list": "A,B,...", "object": "JSON"}


def _param_line(p: Param) -> list[str]:
    metavar = "JSON" if p.type == "list" and p.item_type == "object" else _METAVAR[p.type]
    left = f"  {p.flag} {metavar}"
    flags = " (required)" if p.required else ""
    lines = [f"{left:<38} {p.help}{flags}"]
    if p.choices:
        lines.append(f"{'':<39}one of: {', '.join(p.choices)}")
    if p.fields:
        lines.append(f"{'':<39}fields: {', '.join(f.name + ('*' if f.required else '') for f in p.fields)}")
    if p.target:
        lines.append(f"{'':<39}sent as {p.target}")
    if p.example:
        lines.append(f"{'':<39}e.g. {p.flag} {_pasteable(p.example)}")
    return lines


def _pasteable(example: str) -> str:
    """An example value as it must be typed: quoted when it holds a space (``'Jenny Rosen'``)."""
    if " " in example and example[0] not in "'\"":
        return "'" + example.replace("'", "'\"'\"'") + "'"
    return example


def describe(action: Action) -> str:
    """Help text for ``%stripe help <action>``: what it does, its flags with types, and examples."""
    where = f"{action.method} {action.path}" if action.kind != "request" else "any method and path"
    head = f"{action.name} — {action.summary}\n  {where}"
    if action.paragon_name:
        head += f"  (ActionKit {action.paragon_name})"
    elif action.tool_name:
        head += f"  (tool {action.tool_name} in actions --json)"
    lines = [head]
    if action.id_param or action.params:
        lines += ["", "Parameters:"]
    if action.id_param:
        lines += [f"  {'<' + action.id_param + ' id>':<36} ID of the {action.id_param} (positional, required)"]
    for p in action.params:
        lines += _param_line(p)
    options = REQUEST_OPTIONS + COMMON_OPTIONS if action.kind == "request" else list_options(action) + COMMON_OPTIONS
    lines += ["", "Options:"]
    for p in options:
        lines += _param_line(expand_option(action) if p.name == "expand" else p)
    lines += ["", "Any other Stripe parameter can be given as key=value and is passed through."]
    if action.kind == "request":
        lines += ["", REQUEST_PAGING]
    if action.examples:
        lines += ["", "Examples:"] + [f"  {e}" for e in action.examples]
    return "\n".join(lines)


_EXPAND_FIRST = ("customer", "balance_transaction", "default_price", "product", "latest_invoice", "latest_charge",
                 "charge", "subscription", "payment_intent", "invoice_settings.default_payment_method")


def expand_option(action: Action) -> Param:
    """``--expand`` with an example this action's object can expand (``customer`` only where it has one;
    none where it has nothing to expand). ``request`` keeps the generic example."""
    expand = next(p for p in COMMON_OPTIONS if p.name == "expand")
    if action.kind == "request":
        return expand
    fields = [path for path, kind in stripe_model.fields(action.object_type).items()
              if kind == "expandable" and "[]" not in path]
    ranked = sorted(fields, key=lambda f: (_EXPAND_FIRST.index(f) if f in _EXPAND_FIRST else len(_EXPAND_FIRST),
                                           f.count("."), f))
    return replace(expand, example=ranked[0] if ranked else "")


def summary_table(actions: Iterable[Action]) -> str:
    """One line per action for ``%stripe actions``: name, method and path, summary."""
    rows = [(a.name, f"{a.method} {a.path}" if a.kind != "request" else "ANY /v1/...", a.summary)
            for a in actions]
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    return "\n".join(f"{n:<{w0}}  {m:<{w1}}  {s}" for n, m, s in rows)
