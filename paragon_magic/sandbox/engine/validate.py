"""Request validation as Stripe does it: every v1 endpoint's parameters, checked before anything happens.

The specs come from stripe-python's definitions (``_params_generated.py``, made by
``python -m paragon_magic.sandbox.engine._generate_params``). :func:`decode_form` turns Stripe's bracket
encoding back into nested values, :func:`route_of` finds the endpoint a path belongs to, and
:func:`validate` checks a request against it and answers the coerced parameters -- or raises the 400
Stripe would answer, before any side effect.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from paragon_magic.sandbox.engine._params_generated import ENDPOINTS, OBJECTS
from paragon_magic.sandbox.front.errors import StripeErrorResponse, missing_param

__all__ = ["check_metadata", "decode_form", "route_of", "validate"]

#: Stripe's metadata limits (docs.stripe.com/api/metadata).
METADATA_MAX_KEYS = 50
METADATA_MAX_KEY_LENGTH = 40
METADATA_MAX_VALUE_LENGTH = 500

_KEY = re.compile(r"([^\[\]]+)((?:\[[^\[\]]*\])*)")
_SUBKEY = re.compile(r"\[([^\[\]]*)\]")
_INDEX = re.compile(r"0|[1-9][0-9]*")
_INTEGER = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")


# --- the bracket encoding ------------------------------------------------------------------------


class IndexedList(list[Any]):
    """A list decoded from ``name[0]``/``name[]`` keys; ``indices`` are the indices as posted."""

    indices: tuple[str, ...] = ()


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form (or query) pairs as nested values: ``a[b]`` hashes, ``a[0]``/``a[]`` lists.

    A later scalar value for the same key wins; a key that is not ``name`` followed by ``[...]``
    segments, or that is both a scalar and a container, is a 400 naming that key.
    """
    root: dict[Any, Any] = {}
    for key, value in pairs:
        match = _KEY.fullmatch(key)
        if match is None:
            raise _malformed(key)
        path: list[str] = [match.group(1), *_SUBKEY.findall(match.group(2))]
        node = root
        for depth, segment in enumerate(path):
            last = depth == len(path) - 1
            slot = _slot(node, segment, None if last else path[depth + 1], top=depth == 0)
            if last:
                if isinstance(node.get(slot), dict):
                    raise _malformed(key)
                node[slot] = value
            else:
                child = node.setdefault(slot, {})
                if not isinstance(child, dict):
                    raise _malformed(key)
                node = child
    return {name: _finish(value) for name, value in root.items()}


def _slot(node: dict[Any, Any], segment: str, following: str | None, *, top: bool) -> Any:
    """The key of ``segment`` in ``node``: a name, an int position, or a new position for ``[]``."""
    if top or not (segment == "" or _INDEX.fullmatch(segment)):
        return segment
    if segment:
        return int(segment)
    positions = [key for key in node if isinstance(key, int)]
    if positions and following not in (None, ""):
        last = node[max(positions)]
        if isinstance(last, dict) and following not in last:  # Rack: fill the open hash first
            return max(positions)
    return max(positions, default=-1) + 1


def _finish(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if value and all(isinstance(key, int) for key in value):
        ordered = sorted(value)
        out = IndexedList(_finish(value[key]) for key in ordered)
        out.indices = tuple(str(key) for key in ordered)
        return out
    return {str(key): _finish(child) for key, child in value.items()}


def _malformed(key: str) -> StripeErrorResponse:
    return StripeErrorResponse(
        400, f"Invalid parameter name: '{key}' is malformed or conflicts with another parameter",
        param=key or None,
    )  # fmt: skip


# --- routes --------------------------------------------------------------------------------------


def _build_routes() -> dict[str, dict[str, Any]]:
    tries: dict[str, dict[str, Any]] = {}
    for endpoint in ENDPOINTS:
        method, template = endpoint.split(" ", 1)
        node = tries.setdefault(method, {})
        for segment in template.strip("/").split("/"):
            node = node.setdefault(segment, {})
        node[""] = template
    return tries


_ROUTES = _build_routes()


def route_of(method: str, path: str) -> str | None:
    """The endpoint template (``/v1/customers/{}``) serving ``path``; literal segments win."""
    segments = path.split("?", 1)[0].strip("/").split("/")
    return _match(_ROUTES.get(method.upper(), {}), segments)


def _match(node: dict[str, Any], segments: list[str]) -> str | None:
    if not segments:
        return node.get("")
    head, rest = segments[0], segments[1:]
    if head and head in node:
        found = _match(node[head], rest)
        if found is not None:
            return found
    if head and "{}" in node:
        return _match(node["{}"], rest)
    return None


# --- validation ----------------------------------------------------------------------------------


def validate(method: str, route: str, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` checked against the endpoint's spec and coerced (ints, bools, lists, hashes).

    ``""`` stays ``""`` where Stripe allows it (it means "unset"). An unknown route answers ``params``
    unchanged (the caller answers 404). Raises :class:`StripeErrorResponse` as Stripe would.
    """
    index = ENDPOINTS.get(f"{method.upper()} {route}")
    if index is None:
        return params
    unknown: list[str] = []
    _scan(index, params, "", unknown)
    if unknown:
        plural = "s" if len(unknown) > 1 else ""
        raise StripeErrorResponse(
            400, f"Received unknown parameter{plural}: {', '.join(unknown)}",
            code="parameter_unknown", param=unknown[0],
        )  # fmt: skip
    return _object(index, params, "")


def _name(prefix: str, key: str) -> str:
    return f"{prefix}[{key}]" if prefix else key


def _alternatives(kind: Any) -> tuple[Any, ...]:
    return kind[1:] if isinstance(kind, tuple) and kind[0] == "u" else (kind,)


def _is_hash(kind: Any) -> bool:
    return isinstance(kind, int) or kind == "h" or (isinstance(kind, tuple) and kind[0] == "h")


def _is_list(kind: Any) -> bool:
    return isinstance(kind, tuple) and kind[0] == "l"


def _choose(kind: Any, value: Any) -> Any:
    """The alternative of ``kind`` that ``value``'s shape asks for (or the best one to complain with)."""
    options = _alternatives(kind)
    if len(options) == 1:
        return options[0]
    if value == "" and "" in options:
        return ""
    containers = [option for option in options if _is_list(option) or _is_hash(option)]
    if isinstance(value, (dict, list)):
        lists = [option for option in containers if _is_list(option)]
        hashes = [option for option in containers if _is_hash(option)]
        preferred = lists + hashes if isinstance(value, list) else hashes + lists
        return preferred[0] if preferred else options[-1]
    scalars = [option for option in options if option != "" and option not in containers]
    if not scalars:
        return containers[0]
    enums = [option for option in scalars if isinstance(option, tuple) and option[0] == "e"]
    for enum in enums:
        if value in enum[1:]:
            return enum
    rest = [option for option in scalars if option not in enums]
    for option in rest:
        if _fits(option, value):
            return option
    return (rest or enums)[0]


def _fits(kind: Any, value: Any) -> bool:
    if kind in ("s", "a"):
        return True
    if kind == "b":
        return value in ("true", "false") or isinstance(value, bool)
    if kind == "i":
        return isinstance(value, str) and _INTEGER.fullmatch(value) is not None
    return isinstance(value, str) and _NUMBER.fullmatch(value) is not None


def _items(value: Any) -> list[tuple[str, Any]]:
    """``(index or key, item)`` of a list or hash value, with the indices as they were posted."""
    if isinstance(value, dict):
        return [(str(key), item) for key, item in value.items()]
    indices = getattr(value, "indices", ()) or tuple(str(i) for i in range(len(value)))
    return list(zip(indices, value))


def _scan(kind: Any, value: Any, name: str, unknown: list[str]) -> None:
    """Collect, in request order, the full names of parameters the spec does not know."""
    kind = _choose(kind, value)
    if isinstance(kind, int) and isinstance(value, (dict, list)):
        fields = OBJECTS[kind][0]
        for key, item in _items(value):
            if key in fields:
                _scan(fields[key], item, _name(name, key), unknown)
            else:
                unknown.append(_name(name, key))
    elif isinstance(kind, tuple) and kind[0] in ("l", "h") and isinstance(value, (dict, list)):
        for key, item in _items(value):
            _scan(kind[1], item, _name(name, key), unknown)


def _object(index: int, value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, (dict, list)):
        raise _invalid("Invalid object", name)
    fields, required = OBJECTS[index]
    given = dict(_items(value))
    for field in required:
        if field not in given:
            raise missing_param(_name(name, field))
    out = {key: _coerce(fields[key], item, _name(name, key)) for key, item in given.items()}
    if isinstance(out.get("metadata"), dict):
        check_metadata(out["metadata"], _name(name, "metadata"))
    return out


def _coerce(kind: Any, value: Any, name: str) -> Any:
    kind = _choose(kind, value)
    if kind == "a":
        return value
    if kind == "":
        if value != "":
            raise _invalid(f"Invalid {name}: it can only be unset, with an empty string.", name)
        return ""
    if value == "":
        raise _invalid(
            f"You passed an empty string for '{name}'. We assume empty values are an attempt to "
            f"unset a parameter; however '{name}' cannot be unset. You should remove '{name}' from "
            "your request or supply a non-empty value.", name, "parameter_invalid_empty",
        )  # fmt: skip
    if isinstance(kind, int):
        return _object(kind, value, name)
    if isinstance(kind, tuple) and kind[0] == "l":
        if not isinstance(value, (list, dict)):
            raise _invalid("Invalid array", name)
        return [_coerce(kind[1], item, _name(name, key)) for key, item in _items(value)]
    if _is_hash(kind):
        if not isinstance(value, (dict, list)):
            raise _invalid("Invalid object", name)
        inner = "s" if kind == "h" else kind[1]
        return {
            key: "" if item == "" else _coerce(inner, item, _name(name, key)) for key, item in _items(value)
        }
    if isinstance(value, (dict, list)):
        raise _invalid(f"Invalid {_noun(kind)}: {value}", name)
    return _scalar(kind, value, name)


def _noun(kind: Any) -> str:
    return {"i": "integer", "b": "boolean", "n": "float", "d": "decimal"}.get(kind, "string")


def _scalar(kind: Any, value: Any, name: str) -> Any:
    if isinstance(kind, tuple):  # an enum
        if value in kind[1:]:
            return value
        raise _invalid(f"Invalid {name}: must be one of {_one_of(kind[1:])}", name)
    if kind == "s":
        return value if isinstance(value, str) else str(value)
    if kind == "i":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _INTEGER.fullmatch(value):
            return int(value)
        raise _invalid(f"Invalid integer: {value}", name, "parameter_invalid_integer")
    if kind == "b":
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return value == "true"
        raise _invalid(f"Invalid boolean: {value}", name, "parameter_invalid_boolean")
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return float(value) if kind == "n" else Decimal(str(value))
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        try:
            return float(value) if kind == "n" else Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
            pass
    raise _invalid(f"Invalid {_noun(kind)}: {value}", name)


def _one_of(values: tuple[str, ...]) -> str:
    if len(values) == 1:
        return values[0]
    if len(values) == 2:
        return f"{values[0]} or {values[1]}"
    return ", ".join(values[:-1]) + f", or {values[-1]}"


def _invalid(message: str, param: str, code: str | None = None) -> StripeErrorResponse:
    return StripeErrorResponse(400, message, code=code, param=param or None)


# --- metadata ------------------------------------------------------------------------------------


def check_metadata(value: Any, param: str = "metadata") -> None:
    """Stripe's metadata limits: ≤ 50 keys, keys ≤ 40 characters without ``[``/``]``, string values ≤ 500.

    ``""`` (unset everything) and ``""`` values (unset one key) are allowed.
    """
    if value == "":
        return
    if not isinstance(value, dict):
        raise _invalid("Invalid object", param)
    if len(value) > METADATA_MAX_KEYS:
        raise _invalid(
            f"Invalid {param}: metadata can have at most {METADATA_MAX_KEYS} keys "
            f"(the request has {len(value)}).", param,
        )  # fmt: skip
    for key, item in value.items():
        name = _name(param, key)
        if not key or "[" in key or "]" in key:
            raise _invalid(
                f"Invalid {param}: metadata keys can't be empty or contain square brackets ([ or ]).", name
            )
        if len(key) > METADATA_MAX_KEY_LENGTH:
            raise _invalid(
                f"Invalid {param}: metadata keys can be at most {METADATA_MAX_KEY_LENGTH} characters "
                f"long ('{key}' has {len(key)}).", name,
            )  # fmt: skip
        if not isinstance(item, str):
            raise _invalid(f"Invalid {name}: metadata values must be strings.", name)
        if len(item) > METADATA_MAX_VALUE_LENGTH:
            raise _invalid(
                f"Invalid {name}: metadata values can be at most {METADATA_MAX_VALUE_LENGTH} characters "
                f"long (this one has {len(item)}).", name,
            )  # fmt: skip
