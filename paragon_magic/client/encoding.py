"""Stripe's form encoding of nested parameters (``a[b][0][c]=x``), identical to stripe-python 16.1.

stripe-python's ``_api_encode`` is the reference, quirks included:

* ``None`` values of a mapping are dropped; a ``None`` *inside a list* is kept and renders ``None``.
* booleans render ``true``/``false`` as mapping values, but ``True``/``False`` inside a list.
* lists always use indexed keys (``expand[0]=a``), never ``expand[]``; nested lists are indexed too.
* objects with an ``id`` attribute (API resources) encode as their id; datetimes as epoch seconds
  (naive ones read as local time, like ``time.mktime``).
"""

from __future__ import annotations

import calendar
import datetime
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlencode

__all__ = ["flatten_params", "encode_form"]


def flatten_params(params: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """Flatten nested params into ordered ``(bracketed_key, string_value)`` pairs."""
    return [(str(key), _as_text(value)) for key, value in _walk(params or {})]


def encode_form(params: Mapping[str, Any] | None) -> str:
    """``application/x-www-form-urlencoded`` text of ``params`` (also used for query strings)."""
    return urlencode(flatten_params(params))


def _walk(data: Mapping[Any, Any]) -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        if value is None:
            continue
        if hasattr(value, "id"):
            yield key, value.id
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                item_key = "%s[%d]" % (key, index)
                if _is_mapping(item):
                    yield from _walk(_prefixed(item_key, _items(item)))
                elif isinstance(item, (list, tuple)):
                    yield from _walk(_prefixed(item_key, enumerate(item)))
                else:
                    yield item_key, item
        elif _is_mapping(value):
            yield from _walk(_prefixed(key, _items(value)))
        elif isinstance(value, datetime.datetime):
            yield key, epoch_seconds(value)
        elif isinstance(value, bool):
            yield key, str(value).lower()
        else:
            yield key, value


def _is_mapping(value: Any) -> bool:
    return isinstance(value, Mapping) or hasattr(value, "_data")


def _items(value: Any) -> Any:
    return value._data.items() if hasattr(value, "_data") else value.items()


def _prefixed(prefix: str, items: Any) -> dict[str, Any]:
    return {"%s[%s]" % (prefix, subkey): subvalue for subkey, subvalue in items}


def epoch_seconds(moment: datetime.datetime) -> int:
    """Epoch seconds of a datetime, exactly as stripe-python computes them."""
    if moment.tzinfo and moment.tzinfo.utcoffset(moment) is not None:
        return calendar.timegm(moment.utctimetuple())
    return int(time.mktime(moment.timetuple()))


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)
