"""Turning flag values (text, or raw objects bound by ``{{ }}``) into typed Stripe values.

Every failure is a one-line ``UsageError`` naming the flag, what it accepts and the bad value.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..catalog_types import Param, ParamType
from ..dates import to_epoch_seconds, to_epoch_span
from ..errors import UsageError
from .templating import as_plain, show

TRUE_WORDS = frozenset({"true", "yes", "1", "on"})
FALSE_WORDS = frozenset({"false", "no", "0", "off"})
BOOL_WORDS = TRUE_WORDS | FALSE_WORDS
_INT = re.compile(r"[+-]?\d{1,18}\Z")


def suggest(word: str, options: Sequence[str]) -> str | None:
    """The closest option to ``word``, if any is close enough."""
    matches = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return matches[0] if matches else None


def to_int(value: Any, flag: str, field: str | None, *, positive: bool = False) -> int:
    result: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        result = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        result = int(value)
    elif isinstance(value, str) and _INT.match(value.strip().replace("_", "")):
        result = int(value.strip().replace("_", ""))
    if result is None or (positive and result < 1):
        kind = "a positive whole number" if positive else "a whole number"
        raise UsageError(f"{flag} must be {kind}; got {show(value)}", field=field)
    return result


def to_bool(value: Any, flag: str, field: str | None) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in BOOL_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise UsageError(f"{flag} must be true or false (or yes/no, 1/0); got {show(value)}", field=field)


def to_enum(value: Any, choices: Sequence[str], flag: str, field: str | None) -> str:
    if isinstance(value, str) and value in choices:
        return value
    text = value if isinstance(value, str) else ""
    lowered = text.lower()
    if lowered in choices:
        return lowered
    hint = suggest(lowered, choices)
    did_you_mean = f" (did you mean {hint}?)" if hint else ""
    raise UsageError(
        f"{flag} must be one of {', '.join(choices)}; got {show(value)}{did_you_mean}", field=field
    )


def to_timestamp(value: Any, flag: str, field: str | None) -> int:
    """Epoch seconds (UTC) from a date, datetime, month, relative word, ISO string or epoch number."""
    return to_epoch_seconds(value, field=field or flag.lstrip("-"), flag=flag)


def to_span(value: Any, flag: str, field: str | None) -> tuple[int, int]:
    """``(start, end)`` epoch seconds of a month, day or pandas Period (``--month``)."""
    return to_epoch_span(value, field=field or flag.lstrip("-"), flag=flag)


def to_text(value: Any, flag: str, field: str | None) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return value["id"]  # a Stripe object bound with {{ }}: use its id
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return str(value)
    raise UsageError(f"{flag} takes one text value; got {show(value)}", field=field)


def _pairs_text(text: str) -> dict[str, str] | None:
    """``"a=1,b=2"`` -> ``{"a": "1", "b": "2"}``; None unless every comma-separated part is key=value."""
    result = {}
    for part in text.split(","):
        key, eq, value = part.partition("=")
        if not eq or not key.strip():
            return None
        result[key.strip()] = value.strip()
    return result


def _to_mapping(value: Any, flag: str, field: str | None) -> dict:
    if isinstance(value, Mapping):
        return {str(k): plain(v, flag, field) for k, v in value.items()}
    if isinstance(value, str):
        text = value.strip()
        parsed: Any = None
        if text.startswith("{"):
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
        else:
            parsed = _pairs_text(text)
        if isinstance(parsed, dict):
            return parsed
    raise UsageError(
        f"{flag} takes key=value (a=1,b=2), a JSON object or a {{{{ dict }}}}; got {show(value)}",
        field=field,
    )


def _to_list(value: Any, flag: str, field: str | None) -> list:
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
            if isinstance(parsed, list):
                return parsed
        return [item.strip() for item in text.split(",")] if "," in text else [value]
    return [value]


def coerce(param: Param, value: Any, flag: str | None = None) -> Any:
    """Convert ``value`` to what ``param`` needs; ``flag`` is the spelling used in messages."""
    return coerce_type(param.type, value, flag or param.flag, param.name, param.choices, param.item_type)


def coerce_type(
    kind: ParamType, value: Any, flag: str, field: str | None,
    choices: Sequence[str] = (), item_type: ParamType = "string",
) -> Any:
    if kind == "integer":
        return to_int(value, flag, field)
    if kind == "boolean":
        return to_bool(value, flag, field)
    if kind == "enum":
        return to_enum(value, choices, flag, field)
    if kind == "timestamp":
        return to_timestamp(value, flag, field)
    if kind == "timestamp_range":
        bounds = _pairs_text(value) if isinstance(value, str) and "=" in value else value
        if isinstance(bounds, Mapping):
            return {_range_key(k, flag, field): to_timestamp(v, flag, field) for k, v in bounds.items()}
        return to_timestamp(value, flag, field)
    if kind in ("map", "object"):
        return _to_mapping(value, flag, field)
    if kind == "list":
        return [coerce_type(item_type, item, flag, field, choices) for item in _to_list(value, flag, field)]
    return to_text(value, flag, field)


def _range_key(key: Any, flag: str, field: str | None) -> str:
    if key in ("gt", "gte", "lt", "lte"):
        return key
    raise UsageError(f"{flag} range keys are gt, gte, lt, lte (e.g. gte=2026-01-01); got {show(key)}", field=field)


def plain(value: Any, where: str, field: str | None) -> Any:
    """Check a free ``key=value`` value is something Stripe's form encoding can send."""
    value = as_plain(value)
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
    elif isinstance(value, Decimal):
        return str(value)
    elif isinstance(value, (date, datetime)):
        return to_timestamp(value, where, field)
    elif isinstance(value, Mapping):
        return {str(k): plain(v, where, field) for k, v in value.items()}
    elif isinstance(value, list):
        return [plain(v, where, field) for v in value]
    raise UsageError(f"{where} cannot be sent to Stripe: got {show(value)}", field=field)
