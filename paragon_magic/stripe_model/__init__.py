"""Stripe's object model: every object type's fields by dotted path and what kind of value each holds.

Generated from stripe-python's typed resources (``_generated.py``, made by ``_generate.py``) with a few reviewed
corrections (``overrides.py``). Paths are dotted (``address.city``); ``[]`` is the element of a list
(``phases[].end_date``); an object embedded by value (``plan`` in a subscription) has its type's fields under
its name (``plan.amount``). Expandable fields and lists of named types are not inlined: follow them with
``target_type`` / ``list_element_type`` (``field_kind`` does so itself).

Kinds: ``timestamp`` (Unix seconds), ``amount`` (integer in the currency's minor unit), ``currency`` (ISO code),
``boolean``, ``integer``, ``number`` (float), ``decimal`` (a decimal string, exact), ``string``, ``id``, ``enum``,
``expandable`` (an id, or the object when expanded), ``list``, ``hash`` (string -> string, e.g. ``metadata``),
``object``.

An anonymous nested object has a type name of its own, ``<owner type>#<path>``: ``balance_transaction#fee_details[]``
(one fee detail), ``charge#payment_method_details``; ``nested_type`` gives it and every function here accepts it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Literal

from ._generated import API_VERSION, MODEL, STRIPE_PYTHON_VERSION
from .overrides import DELETED_FIELDS, DELETED_TYPES, KIND_OVERRIDES

__all__ = ["FieldKind", "KINDS", "API_VERSION", "STRIPE_PYTHON_VERSION", "object_types", "is_known", "fields",
           "field_kind", "target_type", "list_element_type", "nested_type", "element_fields"]

FieldKind = Literal["timestamp", "amount", "currency", "boolean", "integer", "number", "decimal", "string", "id",
                    "enum", "expandable", "list", "hash", "object"]

#: The generated module's short codes.
KINDS: Mapping[str, FieldKind] = MappingProxyType({
    "t": "timestamp", "a": "amount", "c": "currency", "b": "boolean", "i": "integer", "n": "number",
    "d": "decimal", "s": "string", "id": "id", "e": "enum", "x": "expandable", "l": "list", "h": "hash",
    "o": "object", "r": "object",
})
_INLINE_DEPTH = 2  # embedded objects inside embedded objects inside ... (a plan's product is an expandable id)
_EMPTY: Mapping[str, Any] = MappingProxyType({})


def object_types() -> tuple[str, ...]:
    """Every object type Stripe defines (``customer``, ``checkout.session``, ``deleted_customer``, ...), sorted."""
    return tuple(sorted({*MODEL, *(f"deleted_{t}" for t in DELETED_TYPES)}))


def is_known(object_type: str | None) -> bool:
    """Whether the model describes ``object_type`` (a Stripe type or an ``owner#path`` nested type)."""
    if not object_type:
        return False
    if "#" in object_type:
        owner, _, inner = object_type.rpartition("#")
        return is_known(owner) and inner in _codes(owner)[1]
    return object_type in MODEL or object_type in _DELETED


_DELETED = frozenset(f"deleted_{t}" for t in DELETED_TYPES)


def fields(object_type: str | None) -> Mapping[str, FieldKind]:
    """Dotted path -> kind for every field of ``object_type`` (empty for a type the model does not know)."""
    return MappingProxyType(_codes(object_type or "")[0]) if is_known(object_type) else _EMPTY


def field_kind(object_type: str | None, path: str) -> FieldKind | None:
    """The kind at ``path``, following expandables and lists into their types (``items.data[].price.unit_amount``,
    ``customer.email`` on an expanded customer); None when the model does not know the path."""
    code, _ = _resolve(object_type or "", path)
    return KINDS[code] if code else None


def target_type(object_type: str | None, path: str) -> str | None:
    """The object type an expandable, embedded object or list field at ``path`` holds, if it is a named type."""
    return _resolve(object_type or "", path)[1]


def list_element_type(object_type: str | None, path: str) -> str | None:
    """The object type of the elements of the list at ``path`` (``items.data`` -> ``subscription_item``), or None
    when they are anonymous objects (see ``element_fields``) or scalars."""
    code, target = _resolve(object_type or "", path)
    return target if code == "l" else None


def nested_type(object_type: str | None, path: str) -> str | None:
    """The type of one value at ``path``: for a list, of one element. A named type (``items.data`` ->
    ``subscription_item``, ``customer`` -> ``customer``) or ``owner#path`` for an anonymous object
    (``fee_details`` -> ``balance_transaction#fee_details[]``); None for scalars and unknown paths."""
    owner, inner = _owner(object_type or "", path)
    if owner is None:
        return None
    code, target = _codes(owner)[1].get(inner, (None, None))
    if code in ("l", "x", "r", "o") and target:
        return target
    if code == "l" and f"{inner}[]" in _codes(owner)[1] and _codes(owner)[1][f"{inner}[]"][0] == "o":
        return f"{owner}#{inner}[]"
    if code == "o" and any(p.startswith(inner + ".") for p in _codes(owner)[1]):
        return f"{owner}#{inner}"
    return None


def element_fields(object_type: str | None, path: str) -> Mapping[str, FieldKind]:
    """Path -> kind within one value (one element of a list) at ``path`` (``fee_details`` -> ``amount``, ...)."""
    return fields(nested_type(object_type, path))


# --- internals -----------------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _codes(object_type: str) -> tuple[dict[str, FieldKind], dict[str, tuple[str, str | None]]]:
    """(path -> kind, path -> (code, target type)) for one type, references inlined and overrides applied."""
    if "#" in object_type:
        owner, _, inner = object_type.rpartition("#")
        prefix = inner + "."
        _, detail = _codes(owner)
        detail = {p[len(prefix):]: d for p, d in detail.items() if p.startswith(prefix)}
        return {p: KINDS[c] for p, (c, _) in detail.items()}, detail
    if object_type in _DELETED:
        raw = dict(_flatten(DELETED_FIELDS, "", 0))
    else:
        raw = dict(_flatten(MODEL.get(object_type, {}), "", 0))
        for path, code in KIND_OVERRIDES.get(object_type, {}).items():
            raw[path] = code
    detail: dict[str, tuple[str, str | None]] = {}
    for path, code in raw.items():
        head, _, target = code.partition(":")
        if head == "l" and target in KINDS:  # a list of scalars (``l:s``): the element's kind at ``path[]``
            detail[path], detail[f"{path}[]"] = ("l", None), (target, None)
        else:
            detail[path] = (head, target or None)
    return {p: KINDS[c] for p, (c, _) in detail.items()}, detail


def _flatten(node: Mapping[str, Any], prefix: str, depth: int) -> Iterator[tuple[str, str]]:
    for key, value in node.items():
        if key == "":
            continue
        path = f"{prefix}[]" if key == "[]" else f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            yield path, value.get("", "o")
            yield from _flatten(value, path, depth)
        elif value.startswith("r:"):
            yield path, value
            target = value[2:]
            if depth < _INLINE_DEPTH and target in MODEL:
                yield from _flatten(MODEL[target], path, depth + 1)
        else:
            yield path, value


def _owner(object_type: str, path: str) -> tuple[str | None, str]:
    """The type that defines ``path`` and the path within it, following expandables and named lists."""
    if not is_known(object_type):
        return None, path
    detail = _codes(object_type)[1]
    if path in detail:
        return object_type, path
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        head = ".".join(parts[:cut])
        tail = ".".join(parts[cut:])
        step = head.removesuffix("[]")
        if step in detail and detail[step][1] and detail[step][0] in ("x", "l", "r"):
            if detail[step][0] == "l" and head == step and not tail.startswith("[]"):
                continue
            return _owner(detail[step][1], tail.removeprefix("[]."))
    return None, path


def _resolve(object_type: str, path: str) -> tuple[str | None, str | None]:
    owner, inner = _owner(object_type, path)
    if owner is None:
        return None, None
    return _codes(owner)[1].get(inner, (None, None))
