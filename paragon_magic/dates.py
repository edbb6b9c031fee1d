"""Turn what users type for a point in time into Stripe's epoch seconds (UTC)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .errors import UsageError

_EPOCH_RE = re.compile(r"^\d{9,11}$")


def to_epoch_seconds(value: Any, *, field: str = "created") -> int:
    """Epoch seconds for a date, datetime, pandas Timestamp, ISO-8601 string or epoch number.

    Naive datetimes and bare dates are taken as UTC (Stripe's clock), so results do not depend on
    the machine's time zone.
    """
    if isinstance(value, bool):
        raise UsageError(f"--{field} takes a date, not {value!r}", field=field)
    if isinstance(value, (int, float)):
        return int(value)
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp, without importing pandas
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return int(value.timestamp())
    if isinstance(value, dt.date):
        return int(dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc).timestamp())
    if isinstance(value, str):
        text = value.strip()
        if _EPOCH_RE.match(text):
            return int(text)
        try:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(
                f"--{field} takes a date like 2026-01-31, 2026-01-31T12:00:00Z or epoch seconds; "
                f"got {text[:40]!r}",
                field=field,
            ) from None
        return to_epoch_seconds(parsed, field=field)
    raise UsageError(f"--{field} takes a date, not a {type(value).__name__}", field=field)
