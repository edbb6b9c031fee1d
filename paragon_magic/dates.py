"""Turn what users type for a point in time into Stripe's epoch seconds (UTC)."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timezone
from typing import Any

from .client.keys import scrub
from .errors import UsageError

_INT = re.compile(r"[+-]?\d{1,18}\Z")
TIMESTAMP_HELP = "a date (2026-01-01), a datetime (2026-01-01T12:00:00Z) or epoch seconds"


def to_epoch_seconds(value: Any, *, field: str = "created", flag: str | None = None) -> int:
    """Epoch seconds for a date, datetime, pandas Timestamp, ISO-8601 string or epoch number.

    Naive datetimes and bare dates are taken as UTC (Stripe's clock), so results do not depend on
    the machine's time zone. Anything else raises a one-line :class:`UsageError` naming ``flag``.
    """
    if hasattr(value, "to_pydatetime") and not isinstance(value, datetime):
        value = value.to_pydatetime()  # pandas Timestamp, without importing pandas
    try:
        if isinstance(value, datetime):
            moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
            return math.floor(moment.timestamp())
        if isinstance(value, date):
            return math.floor(datetime.combine(value, time(), timezone.utc).timestamp())
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if isinstance(value, int) or (math.isfinite(value) and abs(value) < 1e15):
                return math.floor(value)
        if isinstance(value, str):
            text = value.strip()
            if _INT.match(text):
                return int(text)
            return to_epoch_seconds(datetime.fromisoformat(text.replace("Z", "+00:00")), field=field, flag=flag)
    except (ValueError, OverflowError, OSError):
        pass
    shown = scrub(repr(value))  # a pasted key must not be echoed back
    shown = (shown if len(shown) <= 40 else shown[:37] + "...").replace("\n", " ")
    raise UsageError(f"{flag or '--' + field} must be {TIMESTAMP_HELP}; got {shown}", field=field)
