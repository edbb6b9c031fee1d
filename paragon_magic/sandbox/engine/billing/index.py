"""Which objects belong to which: an invoice's lines and payments, a subscription's items and
invoices, a customer's invoice items. Billing registers each object it makes here, so following a
relation costs the size of the answer, not a scan of the store (the seed bills thousands of
invoices). Ids of objects gone from the store (deleted, or undone by a refused request) are skipped.
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from typing import Any

from .. import STARTUP
from ..store import Store

#: Per store: relation -> owner id -> ids of the related objects, oldest first.
_INDEX: weakref.WeakKeyDictionary[Store, dict[str, defaultdict[str, list[str]]]] = weakref.WeakKeyDictionary()
RELATIONS = ("lines", "items", "invoiceitems", "payments", "invoices")


def _of(engine: Any) -> dict[str, defaultdict[str, list[str]]]:
    found = _INDEX.get(engine.store)
    if found is None:
        found = _INDEX[engine.store] = {name: defaultdict(list) for name in RELATIONS}
    return found


def add(engine: Any, relation: str, owner: str, obj_id: str) -> None:
    """Record that ``obj_id`` belongs to ``owner`` under ``relation``."""
    _of(engine)[relation][owner].append(obj_id)


def related(engine: Any, relation: str, owner: str) -> list[dict[str, Any]]:
    """The live objects ``owner`` has under ``relation``, in the order they were made."""
    objects = engine.store.objects
    return [objects[i] for i in _of(engine)[relation].get(owner, ()) if i in objects]


def _forget(engine: Any) -> None:
    _INDEX.pop(engine.store, None)


STARTUP.append(_forget)
