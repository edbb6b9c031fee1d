"""Counting requests per time window (shared by the pacer's unit tests and the pacing-over-HTTP tests)."""

from __future__ import annotations

from collections.abc import Iterable


def most_in_any_window(times: Iterable[float], window: float = 1.0) -> int:
    """The largest number of ``times`` inside one half-open window ``[t, t + window)``."""
    ordered = sorted(times)
    most, lo = 0, 0
    for hi, t in enumerate(ordered):
        while ordered[lo] <= t - window:
            lo += 1
        most = max(most, hi - lo + 1)
    return most
