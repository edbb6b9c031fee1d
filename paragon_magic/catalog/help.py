"""Help text generated from the catalog: ``%stripe help <action>`` and ``%stripe actions``."""

from __future__ import annotations

from collections.abc import Iterable

from ..catalog_types import Action, Param
from .shared import COMMON_OPTIONS, LIST_OPTIONS

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
        lines.append(f"{'':<39}e.g. {p.flag} {p.example}")
    return lines


def describe(action: Action) -> str:
    """Help text for ``%stripe help <action>``: what it does, its flags with types, and examples."""
    where = f"{action.method} {action.path}" if action.kind != "request" else "any method and path"
    head = f"{action.name} — {action.summary}\n  {where}"
    if action.paragon_name:
        head += f"  (ActionKit {action.paragon_name})"
    lines = [head]
    if action.id_param or action.params:
        lines += ["", "Parameters:"]
    if action.id_param:
        lines += [f"  {'<' + action.id_param + ' id>':<36} ID of the {action.object_type} (positional, required)"]
    for p in action.params:
        lines += _param_line(p)
    options = LIST_OPTIONS + COMMON_OPTIONS if action.is_list else COMMON_OPTIONS
    lines += ["", "Options:"]
    for p in options:
        lines += _param_line(p)
    lines += ["", "Any other Stripe parameter can be given as key=value and is passed through."]
    if action.examples:
        lines += ["", "Examples:"] + [f"  {e}" for e in action.examples]
    return "\n".join(lines)


def summary_table(actions: Iterable[Action]) -> str:
    """One line per action for ``%stripe actions``: name, method and path, summary."""
    rows = [(a.name, f"{a.method} {a.path}" if a.kind != "request" else "ANY /v1/...", a.summary)
            for a in actions]
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    return "\n".join(f"{n:<{w0}}  {m:<{w1}}  {s}" for n, m, s in rows)
