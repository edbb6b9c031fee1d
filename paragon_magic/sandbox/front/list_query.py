"""Validating list query strings the way Stripe does: bracketed params, ``limit``, cursors, filters.

Pure (no I/O): a list endpoint's :class:`FilterSpec` table says which filters exist and of which kind;
anything else is a 400 ``parameter_unknown``, a bad value a 400 naming the ``param``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import StripeErrorResponse, missing_param, unknown_param

COMMON_PARAMS = frozenset({"limit", "starting_after", "ending_before", "expand"})
RANGE_OPS = ("gt", "gte", "lt", "lte")

#: A filter's kind: "str", "bool", "list" (``ids[]``), "range" (int or ``[gt|gte|lt|lte]``),
#: "enum" (one of ``FilterSpec.choices``) or "dict" (sub-keys in ``FilterSpec.choices``).
Kind = str


@dataclass(frozen=True)
class FilterSpec:
    kind: Kind = "str"
    choices: frozenset[str] = frozenset()


Range = int | dict[str, int]


def parse_bracketed(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``created[gte]=1`` -> ``{"created": {"gte": "1"}}``; ``ids[]``/``ids[0]`` -> lists."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        match = re.match(r"^([^\[\]]+)(?:\[([^\[\]]*)\])?$", key)
        if not match:
            raise unknown_param(key)
        name, sub = match.group(1), match.group(2)
        if sub is None:
            out[name] = value
        elif sub == "" or sub.isdigit():
            existing = out.setdefault(name, [])
            if not isinstance(existing, list):
                raise unknown_param(key)
            existing.append(value)
        else:
            existing = out.setdefault(name, {})
            if not isinstance(existing, dict):
                raise unknown_param(key)
            existing[sub] = value
    return out


def as_int(value: Any, param: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise StripeErrorResponse(
            400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=param
        ) from None


def as_range(value: Any, param: str) -> Range:
    if isinstance(value, dict):
        bad = [op for op in value if op not in RANGE_OPS]
        if bad:
            raise unknown_param(f"{param}[{bad[0]}]")
        return {op: as_int(v, f"{param}[{op}]") for op, v in value.items()}
    return as_int(value, param)


def as_bool(value: Any, param: str) -> bool:
    if value in ("true", "false"):
        return value == "true"
    raise StripeErrorResponse(400, f"Invalid boolean: {value}", code="parameter_invalid_boolean", param=param)  # fmt: skip


def as_str(value: Any, param: str) -> str:
    if not isinstance(value, str):
        raise StripeErrorResponse(400, f"Invalid string: {value}", param=param)
    return value


def range_ok(value: Any, cond: Range) -> bool:
    """``value`` (an int timestamp/amount, or None) satisfies ``cond`` (exact int or ops)."""
    if isinstance(cond, int):
        return value == cond
    if not isinstance(value, int) or isinstance(value, bool):
        return False
    ops = {"gt": value.__gt__, "gte": value.__ge__, "lt": value.__lt__, "lte": value.__le__}
    return all(ops[op](bound) for op, bound in cond.items())


def _one_of(choices: frozenset[str]) -> str:
    ordered = sorted(choices)
    return ", ".join(ordered[:-1]) + f", or {ordered[-1]}" if len(ordered) > 1 else ordered[0]


def parse_filter(name: str, spec: FilterSpec, value: Any) -> Any:
    """One filter's value, validated and converted to what the matchers compare against."""
    if spec.kind == "bool":
        return as_bool(value, name)
    if spec.kind == "range":
        return as_range(value, name)
    if spec.kind == "list":
        return set(value if isinstance(value, list) else [as_str(value, name)])
    if spec.kind == "dict":
        if not isinstance(value, dict):
            raise StripeErrorResponse(400, f"Invalid hash: {name}", param=name)
        for sub in value:
            if sub not in spec.choices:
                raise unknown_param(f"{name}[{sub}]")
        return {sub: as_str(v, f"{name}[{sub}]") for sub, v in value.items()}
    text = as_str(value, name)
    if spec.kind == "enum" and text not in spec.choices:
        raise StripeErrorResponse(400, f"Invalid {name}: must be one of {_one_of(spec.choices)}", param=name)  # fmt: skip
    return text


@dataclass
class ListQuery:
    limit: int
    starting_after: str | None
    ending_before: str | None
    created: Range | None
    expand: tuple[str, ...]
    filters: dict[str, Any]


def parse_list_query(
    filters: Mapping[str, FilterSpec],
    pairs: list[tuple[str, str]],
    *,
    created: bool = True,
    exclusive: tuple[tuple[str, str], ...] = (),
    required: tuple[str, ...] = (),
) -> ListQuery:
    """Validate list parameters the way Stripe does (400 with ``param`` on anything off).

    ``created``: whether the list takes a ``created`` filter; ``exclusive``: pairs of filters that
    may not be given together (events ``type``/``types``); ``required``: filters that must be given."""
    params = parse_bracketed(pairs)
    for name in params:
        if name not in COMMON_PARAMS and name not in filters and not (created and name == "created"):
            raise unknown_param(name)
    for name in required:
        if not params.get(name):
            raise missing_param(name)
    limit = as_int(params.get("limit", 10), "limit")
    if not 1 <= limit <= 100:
        raise StripeErrorResponse(
            400,
            f"Invalid limit: must be between 1 and 100 (got {limit})",
            code="parameter_invalid_integer",
            param="limit",
        )
    for first, second in (("ending_before", "starting_after"), *exclusive):
        if first in params and second in params:
            raise StripeErrorResponse(
                400, f"You may only specify one of these parameters: {first}, {second}.", param=first
            )
    parsed = {name: parse_filter(name, spec, params[name]) for name, spec in filters.items() if name in params}  # fmt: skip
    expand = params.get("expand", [])
    return ListQuery(
        limit=limit,
        starting_after=params.get("starting_after") or None,
        ending_before=params.get("ending_before") or None,
        created=as_range(params["created"], "created") if "created" in params else None,
        expand=tuple(expand if isinstance(expand, list) else [expand]),
        filters=parsed,
    )
