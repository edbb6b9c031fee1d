"""Turn what users type for a point in time (or a month) into Stripe's epoch seconds (UTC).

Accepted for a point in time: dates (``2026-03-01``), datetimes (``2026-03-01T12:00:00Z``, with or
without a zone; naive means UTC), months (``2026-03``: its first instant), epoch seconds, the words
``now``, ``today``, ``yesterday``, ``this-month``, ``last-month`` (also with a space), relative ages
``7d`` / ``12h`` / ``2w`` (that long ago), and Python/pandas objects (``date``, ``datetime``,
``Timestamp``, ``Period``: its start). A *span* (``--month``) is a whole month, day or period.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from .client.keys import scrub
from .errors import UsageError

Clock = Callable[[], datetime]

_INT = re.compile(r"[+-]?\d{1,18}\Z")
_MONTH = re.compile(r"(\d{4})-(\d{1,2})\Z")
_AGO = re.compile(r"(\d{1,6})\s*([dhw])(?:\s*ago)?\Z")
_AGO_UNITS = {"d": timedelta(days=1), "h": timedelta(hours=1), "w": timedelta(weeks=1)}
TIMESTAMP_HELP = (
    "a date (2026-01-01), a datetime (2026-01-01T12:00:00Z), a month (2026-03), epoch seconds, "
    "today, yesterday, this-month, last-month, or an age like 7d / 12h / 2w"
)
SPAN_HELP = "a month (2026-03), this-month, last-month, a day (2026-03-05), today or yesterday"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def to_epoch_seconds(value: Any, *, field: str = "created", flag: str | None = None,
                     clock: Clock = utc_now) -> int:
    """Epoch seconds for anything in :data:`TIMESTAMP_HELP` (and date/datetime/Timestamp/Period objects).

    Naive datetimes and bare dates are taken as UTC (Stripe's clock), so results do not depend on
    the machine's time zone. Anything else raises a one-line :class:`UsageError` naming ``flag``.
    """
    moment = _moment(value, clock)
    if moment is None:
        raise UsageError(f"{flag or '--' + field.replace('_', '-')} must be {TIMESTAMP_HELP}; got {_shown(value)}", field=field)
    return moment


def to_epoch_span(value: Any, *, field: str = "month", flag: str | None = None,
                  clock: Clock = utc_now) -> tuple[int, int]:
    """``(start, end)`` epoch seconds of a whole month, day or pandas ``Period``: start ≤ t < end."""
    span = _span(value, clock)
    if span is None:
        raise UsageError(f"{flag or '--' + field.replace('_', '-')} must be {SPAN_HELP}; got {_shown(value)}", field=field)
    return span


def _moment(value: Any, clock: Clock) -> int | None:
    if _is_period(value):
        return _epoch(value.start_time.to_pydatetime())
    if hasattr(value, "to_pydatetime") and not isinstance(value, datetime):
        value = value.to_pydatetime()  # pandas Timestamp, without importing pandas
    try:
        if isinstance(value, datetime):
            return _epoch(value)
        if isinstance(value, date):
            return _epoch(datetime.combine(value, time()))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if isinstance(value, int) or (math.isfinite(value) and abs(value) < 1e15):
                return math.floor(value)
            return None
        if isinstance(value, str):
            return _moment_from_text(value.strip(), clock)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def _moment_from_text(text: str, clock: Clock) -> int | None:
    if _INT.match(text):
        return int(text)
    span = _named_span(text, clock)
    if span is not None:
        return span[0]
    word = _word(text)
    if word == "now":
        return _epoch(clock())
    ago = _AGO.match(" ".join(text.lower().split()))
    if ago:
        return _epoch(clock() - int(ago.group(1)) * _AGO_UNITS[ago.group(2)])
    return _epoch(datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00")))


def _span(value: Any, clock: Clock) -> tuple[int, int] | None:
    if _is_period(value):
        start = _epoch(value.start_time.to_pydatetime())
        return start, _epoch((value + 1).start_time.to_pydatetime())
    if isinstance(value, datetime):
        return None  # an instant is not a span
    if isinstance(value, date):
        start_day = datetime.combine(value, time(), timezone.utc)
        return _epoch(start_day), _epoch(start_day + timedelta(days=1))
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        span = _named_span(text, clock)
        if span is None and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return _span(date.fromisoformat(text), clock)
        return span
    except ValueError:
        return None


def _named_span(text: str, clock: Clock) -> tuple[int, int] | None:
    """Spans a user can name: ``2026-03``, ``this-month``, ``last-month``, ``today``, ``yesterday``."""
    word = _word(text)
    month = _MONTH.match(word)
    if month:
        year, number = int(month.group(1)), int(month.group(2))
        if not 1 <= number <= 12:
            raise ValueError(f"no month {number}")
        return _month_span(year, number)
    now = clock().astimezone(timezone.utc)
    if word in ("this-month", "last-month"):
        year, number = now.year, now.month
        if word == "last-month":
            year, number = (year - 1, 12) if number == 1 else (year, number - 1)
        return _month_span(year, number)
    if word in ("today", "yesterday"):
        day = datetime.combine(now.date(), time(), timezone.utc)
        if word == "yesterday":
            day -= timedelta(days=1)
        return _epoch(day), _epoch(day + timedelta(days=1))
    return None


def _month_span(year: int, month: int) -> tuple[int, int]:
    start = datetime(year, month, 1, tzinfo=timezone.utc)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=timezone.utc)
    return _epoch(start), _epoch(end)


def _word(text: str) -> str:
    return "-".join(text.lower().replace("_", " ").split())


def _is_period(value: Any) -> bool:
    return type(value).__name__ == "Period" and hasattr(value, "start_time")  # pandas, not imported


def _epoch(moment: datetime) -> int:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return math.floor(moment.timestamp())


def _shown(value: Any) -> str:
    shown = scrub(repr(value))  # a pasted key must not be echoed back
    return (shown if len(shown) <= 40 else shown[:37] + "...").replace("\n", " ")
