"""The engine's object store: every object by id, each type's ids in creation order, deterministic ids.

Objects are plain dicts already in today's shapes (:func:`new_object` starts each one from Stripe's
unset values for its type, so every key Stripe's fixture has is there). Expandable references are
stored as ids; the front expands them on the way out.
"""

from __future__ import annotations

import copy
import random
import string
from collections.abc import Iterator
from typing import Any

from ..front._shapes_generated import SHAPES

_ALPHABET = string.ascii_letters + string.digits


def created_of(obj: dict[str, Any]) -> int:
    """When an object was made: ``created``, or ``date`` for the few kinds that have only that
    (invoice items); what lists order and filter by."""
    value = obj.get("created", obj.get("date"))
    return int(value or 0)


def new_object(kind: str, **fields: Any) -> dict[str, Any]:
    """A ``kind`` object with every key of Stripe's shape, unset values where ``fields`` gives none."""
    shape = SHAPES.get(kind)
    obj: dict[str, Any] = {}
    if shape is not None:
        obj["id"] = None
        obj["object"] = kind
        for key in shape["keys"]:
            if key not in ("id", "object"):
                obj[key] = copy.deepcopy(shape["unset"].get(key))
    else:
        obj["object"] = kind
    obj.update(fields)
    if shape is not None and "livemode" in shape["keys"] and obj.get("livemode") is None:
        obj["livemode"] = False
    return obj


class Store:
    """Objects by id; per type, ids in creation order; tombstones of deleted objects."""

    def __init__(self, seed: int = 0) -> None:
        self.reset(seed)

    def reset(self, seed: int = 0) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self.kinds: dict[str, dict[str, None]] = {}
        self.deleted: dict[str, dict[str, Any]] = {}
        self.generation = 0  # bumped on every write: caches of ordered collections key on it
        self._rng = random.Random(seed)

    def new_id(self, prefix: str, length: int = 24) -> str:
        """``prefix`` + ``length`` random letters and digits (deterministic for the store's seed)."""
        while True:
            candidate = prefix + "".join(self._rng.choice(_ALPHABET) for _ in range(length))
            if candidate not in self.objects and candidate not in self.deleted:
                return candidate

    def add(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.objects[obj["id"]] = obj
        self.kinds.setdefault(obj["object"], {})[obj["id"]] = None
        self.generation += 1
        return obj

    def get(self, obj_id: str, kind: str | None = None) -> dict[str, Any] | None:
        obj = self.objects.get(obj_id)
        if obj is None or (kind is not None and obj.get("object") != kind):
            return None
        return obj

    def remove(self, obj_id: str) -> dict[str, Any]:
        """Delete ``obj_id``; what a retrieve answers afterwards (``{"id", "object", "deleted": true}``)."""
        obj = self.objects.pop(obj_id)
        self.kinds.get(obj["object"], {}).pop(obj_id, None)
        tombstone = {"id": obj_id, "object": obj["object"], "deleted": True}
        self.deleted[obj_id] = tombstone
        self.generation += 1
        return tombstone

    def all(self, kind: str) -> Iterator[dict[str, Any]]:
        """Every live ``kind`` object, oldest created first (ties: creation order)."""
        ids = self.kinds.get(kind, {})
        objects = [self.objects[i] for i in ids]
        return iter(sorted(objects, key=created_of))

    def touch(self) -> None:
        self.generation += 1
