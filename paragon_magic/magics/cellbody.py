"""The body of a ``%%stripe`` cell: a JSON object, one ``{{ dict }}``, or ``key=value`` lines."""

from __future__ import annotations

import json
from typing import Any

from ..errors import UsageError
from . import brackets
from .templating import Binder, show, split_template


def body_pairs(body: str, binder: Binder) -> list[tuple[str, Any]]:
    """``(key, value)`` pairs of a cell body, values bound (``{{ }}`` evaluated) but not yet typed.

    Lines: ``key=value`` in bracket notation, ``#`` comments and blank lines skipped, one layer of
    matching quotes around a value removed. JSON: an object; a string that is exactly ``{{ expr }}``
    binds the raw value.
    """
    text = body.strip()
    if not text:
        return []
    if text.startswith("{"):
        parts = split_template(text)
        if len(parts) == 1 and not isinstance(parts[0], str):
            data = binder.bind(parts)  # the whole body is one {{ dict }}
        else:
            try:
                data = json.loads(text)
            except ValueError as exc:
                where = f" (line {exc.lineno}, column {exc.colno})" if hasattr(exc, "lineno") else ""
                raise UsageError(f"the cell body is not valid JSON{where}: fix it or use key=value lines") from None
            data = _bind_json(data, binder)
        if not isinstance(data, dict):
            raise UsageError(f"the cell body must be a JSON object; got {show(data)}")
        for key in data:
            if not isinstance(key, str) or not brackets.is_key(key):
                raise UsageError(f"{show(key)} in the cell body is not a parameter name like metadata or items")
        return list(data.items())
    pairs = []
    for number, raw in enumerate(body.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, eq, value = line.partition("=")
        if not eq:
            raise UsageError(f"line {number} of the cell body is not key=value: {show(line)}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        pairs.append((str(binder.bind(split_template(key.strip()))), binder.bind(split_template(value))))
    return pairs


def _bind_json(data: Any, binder: Binder) -> Any:
    if isinstance(data, str) and "{{" in data:
        return binder.bind(split_template(data))
    if isinstance(data, dict):
        return {k: _bind_json(v, binder) for k, v in data.items()}
    if isinstance(data, list):
        return [_bind_json(v, binder) for v in data]
    return data
