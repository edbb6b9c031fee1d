"""Plain Stripe values from what Python users pass: numpy scalars, pandas missing values, datetimes."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

from .dates import to_epoch_seconds


def stripe_values(value: Any, *, field: str = "value") -> Any:
    """``value`` with numpy scalars unwrapped, missing values (NA, NaN, NaT) as ``None`` (not sent) and
    points in time as epoch seconds (naive means UTC), through nested dicts and lists."""
    if isinstance(value, Mapping):
        return {key: stripe_values(item, field=f"{field}[{key}]") for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [stripe_values(item, field=field) for item in value]
    if hasattr(value, "tolist") and not hasattr(value, "__len__"):  # numpy scalar (an array has a length)
        value = value.tolist()
    if value is None or _is_missing(value):
        return None
    if isinstance(value, (dt.date, dt.datetime)) or hasattr(value, "to_pydatetime"):
        return to_epoch_seconds(value, field=field)
    return value


def _is_missing(value: Any) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    kind = type(value).__name__
    return kind in {"NAType", "NaTType"}
