"""Generate ``_shapes_generated.py``: today's Stripe object shapes for the sandbox's front layer.

Run from the repository root (needs stripe-python, installed in the dev venv)::

    python -m paragon_magic.sandbox.front._generate_shapes tests/fixtures/stripe/fixtures3.json

For every object type the sandbox serves, Stripe's fixture (``fixtures3.json``, MIT) gives the exact
top-level keys; stripe-python's typed resources give, per key, whether it is nullable and expandable.
The "unset" value of a key is what Stripe answers when nothing set it: ``None`` when nullable,
``False``/``0``/``[]``/``{}``/an empty list object otherwise, the fixture's value for an enum, and a
nested object built the same way -- except the reviewed :data:`UNSET_OVERRIDES`, where Stripe is known
to answer something else. The runtime never reads the fixture or imports stripe-python.
"""

from __future__ import annotations

import importlib
import json
import sys
import types
import typing
from pathlib import Path
from typing import Any, ForwardRef, Literal

#: Object types the sandbox can serve (the engine's resources and nested ones).
SERVED_TYPES = (
    "account", "balance", "balance_transaction", "card", "charge", "coupon", "customer", "discount",
    "event", "invoice", "invoiceitem", "line_item", "payment_intent", "payment_method", "payout", "plan",
    "price", "product", "refund", "setup_intent", "source", "subscription", "subscription_item",
    "tax_id", "tax_rate", "token",
)  # fmt: skip

#: Reviewed exceptions: what Stripe answers for these keys when they were never set.
UNSET_OVERRIDES: dict[str, dict[str, Any]] = {
    "customer": {"preferred_locales": [], "next_invoice_sequence": 1, "tax_exempt": "none", "balance": 0,
                 "delinquent": False},
    "product": {"type": "service", "images": [], "marketing_features": []},
    "price": {"tax_behavior": "unspecified", "billing_scheme": "per_unit", "custom_unit_amount": None,
              "transform_quantity": None},
    "plan": {"billing_scheme": "per_unit", "usage_type": "licensed", "interval_count": 1,
             "transform_usage": None},
    "subscription": {
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "payment_settings": {"payment_method_options": None, "payment_method_types": None,
                             "save_default_payment_method": "off"},
        "billing_mode": {"type": "classic", "flexible": None},
        "collection_method": "charge_automatically",
    },
    "subscription_item": {"quantity": 1},
    "invoice": {"issuer": {"type": "self"}, "customer_tax_exempt": "none", "customer_tax_ids": [],
                "collection_method": "charge_automatically", "auto_advance": False},
    "line_item": {"discountable": True, "quantity": 1},
    "invoiceitem": {"discountable": True, "quantity": 1},
    "payment_intent": {"payment_method_types": ["card"], "confirmation_method": "automatic",
                       "capture_method": "automatic_async", "amount_details": {"tip": {}}},
    "charge": {"fraud_details": {}, "calculated_statement_descriptor": "PARAGON MAGIC SANDBOX"},
    "balance_transaction": {"balance_type": "payments", "exchange_rate": None, "fee_details": []},
    "payout": {"method": "standard", "source_type": "card", "type": "bank_account", "automatic": False,
               "reconciliation_status": "not_applicable"},
    "event": {"request": {"id": None, "idempotency_key": None}, "pending_webhooks": 0},
    "payment_method": {"allow_redisplay": "unspecified"},
    "refund": {"reason": None, "status": "succeeded"},
    "balance": {"connect_reserved": [], "available": [], "pending": []},
}


def _args(annotation: Any) -> tuple[Any, ...]:
    return typing.get_args(annotation) if typing.get_origin(annotation) in (typing.Union, types.UnionType) else ()


def _nullable(annotation: Any) -> bool:
    return type(None) in _args(annotation)


def _is_ref(arg: Any) -> bool:
    from stripe._stripe_object import StripeObject

    return isinstance(arg, ForwardRef) or (isinstance(arg, type) and issubclass(arg, StripeObject))


def expandable(annotation: Any) -> bool:
    """``Union[str, SomeResource, ...]``: an id unless expanded."""
    args = _args(annotation)
    return str in args and any(_is_ref(a) for a in args)


def expandable_list(annotation: Any) -> bool:
    """``List[Union[str, SomeResource]]`` (``discounts``): a list of ids unless expanded."""
    annotation = _strip_none(annotation)
    return typing.get_origin(annotation) is list and any(expandable(a) for a in typing.get_args(annotation))


def _strip_none(annotation: Any) -> Any:
    args = [a for a in _args(annotation) if a is not type(None)]
    return args[0] if len(args) == 1 else annotation


def unset_value(annotation: Any, example: Any, obj_id: str | None) -> Any:
    """What Stripe answers for a key of this type that nothing set (see the module docstring)."""
    from stripe._list_object import ListObject
    from stripe._stripe_object import StripeObject

    if annotation is None:  # key known only from the fixture
        return _unset_from_example(example)
    if _nullable(annotation):
        return None
    annotation = _strip_none(annotation)
    origin = typing.get_origin(annotation)
    literals = [a for a in _args(annotation) if typing.get_origin(a) is Literal]
    if origin is Literal or literals:
        choices = typing.get_args(annotation if origin is Literal else literals[0])
        return example if example in choices else choices[0]
    if expandable(annotation) or annotation is str:
        return ""
    if annotation is bool:
        return False
    if annotation in (int, float):
        return 0
    if origin in (list, typing.List):
        return []
    if origin is ListObject or annotation is ListObject:
        url = example.get("url") if isinstance(example, dict) else None
        if isinstance(url, str) and obj_id:
            url = url.replace(obj_id, "{id}")
        return {"object": "list", "data": [], "has_more": False, "url": url}
    if isinstance(annotation, type) and issubclass(annotation, StripeObject):
        hints = getattr(annotation, "__annotations__", {})
        if not hints:  # UntypedStripeObject (metadata and the like)
            return {}
        keys = example.keys() if isinstance(example, dict) and example else hints.keys()
        return {key: unset_value(hints.get(key), (example or {}).get(key), None) for key in sorted(keys)}
    if typing.get_origin(annotation) is not None and isinstance(typing.get_origin(annotation), type):
        return {} if issubclass(typing.get_origin(annotation), StripeObject) else None
    return _unset_from_example(example)


def _unset(key: str, annotation: Any, example: Any, obj_id: str | None) -> Any:
    if key == "metadata":
        return {}  # Stripe always answers a (possibly empty) metadata hash
    if _nullable(annotation) and isinstance(example, list):
        return []  # nullable lists Stripe fills as empty (discounts, tax_rates, preferred_locales...)
    return unset_value(annotation, example, obj_id)


def _unset_from_example(example: Any) -> Any:
    if isinstance(example, bool):
        return False
    if isinstance(example, list):
        return []
    if isinstance(example, dict) and example.get("object") == "list":
        return {"object": "list", "data": [], "has_more": False, "url": example.get("url")}
    return None


def _resource_class(object_type: str) -> type:
    from stripe._object_classes import OBJECT_CLASSES

    module, name = OBJECT_CLASSES[object_type]
    return getattr(importlib.import_module(module), name)


def _annotations(cls: type) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        merged.update(getattr(klass, "__annotations__", {}))
    return merged


def build(fixtures: dict[str, Any]) -> tuple[dict[str, Any], dict[str, tuple[str, ...]]]:
    """(shapes by object type, deleted-object keys by object type)."""
    shapes: dict[str, Any] = {}
    deleted: dict[str, tuple[str, ...]] = {}
    for object_type in SERVED_TYPES:
        example = fixtures[object_type]
        hints = _annotations(_resource_class(object_type))
        overrides = UNSET_OVERRIDES.get(object_type, {})
        obj_id = example.get("id")
        unset = {
            key: overrides[key] if key in overrides else _unset(key, hints.get(key), example[key], obj_id)
            for key in sorted(example)
            if key not in ("id", "object")
        }
        nested = {
            key: unset_value(_strip_none(hints[key]), example[key], None)
            for key in sorted(example)
            if key in hints and key != "metadata" and isinstance(example[key], dict) and "object" not in example[key]
        }
        shapes[object_type] = {
            "keys": tuple(sorted(example)),
            "unset": unset,
            "nested": {key: value for key, value in nested.items() if isinstance(value, dict) and value},
            "expandable": tuple(sorted(k for k in example if k in hints and expandable(hints[k]))),
            "expandable_lists": tuple(sorted(k for k in example if k in hints and expandable_list(hints[k]))),
        }
        gone = fixtures.get(f"deleted_{object_type}")
        if gone and gone.get("object") == object_type:
            deleted[object_type] = tuple(sorted(gone))
    return shapes, deleted


HEADER = '''"""GENERATED by ``python -m paragon_magic.sandbox.front._generate_shapes`` -- do not edit by hand.

Today's Stripe shapes per object type: ``keys`` (exactly the top-level keys of Stripe's fixture in
fixtures3.json), ``unset`` (the value Stripe answers for a key nothing set), ``nested`` (the full
sub-object of a key whose value is a plain hash: the keys to fill in when the value is present) and
``expandable`` (keys that are an id unless expanded), ``expandable_lists`` (keys that are a list of ids
unless expanded, e.g. ``discounts``); ``DELETED_KEYS``: the keys of a deleted object.
"""

from typing import Any

'''


def _sorted(value: Any) -> Any:
    """``value`` with every dict's keys in order, so the rendering is the same on every run."""
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


def render(shapes: dict[str, Any], deleted: dict[str, tuple[str, ...]]) -> str:
    """The module text: one line per object type (data only, compact)."""
    body = "".join(f"    {name!r}: {_sorted(shape)!r},\n" for name, shape in sorted(shapes.items()))
    gone = "".join(f"    {name!r}: {keys!r},\n" for name, keys in sorted(deleted.items()))
    return (f"{HEADER}SHAPES: dict[str, dict[str, Any]] = {{\n{body}}}\n\n"
            f"DELETED_KEYS: dict[str, tuple[str, ...]] = {{\n{gone}}}\n")


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    source = Path(args[0] if args else "tests/fixtures/stripe/fixtures3.json")
    fixtures = json.loads(source.read_text())["resources"]
    target = Path(__file__).with_name("_shapes_generated.py")
    target.write_text(render(*build(fixtures)))
    print(f"wrote {target} ({len(SERVED_TYPES)} types)")


if __name__ == "__main__":
    main()
