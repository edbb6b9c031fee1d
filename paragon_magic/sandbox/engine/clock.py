"""Time in the engine: the sandbox clock, Stripe's test clocks, and the jobs that become due on them.

Every object belongs to one clock: a customer created with ``test_clock`` (and all that is billed to
it) lives on that test clock; everything else lives on the sandbox clock, which is the wall clock
unless ``/_sandbox/clock`` froze it (the seed does, to play 18 months of history). Billing schedules
jobs (renewals, finalization, payment retries, payouts) at clock times; :meth:`Clocks.run_until` runs
a clock's due jobs in time order with that clock reading each job's moment, so everything a job
creates is dated when it happened. Test clocks advance only when told to; the sandbox clock catches up
with real time before every request.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: The sandbox clock's key (test clocks are keyed by their ``clock_…`` id).
SANDBOX = ""
Job = Callable[[], None]


@dataclass(order=True)
class _Entry:
    at: int
    seq: int
    job: Job = field(compare=False)
    name: str = field(compare=False, default="")


class Clocks:
    """Frozen times and due jobs per clock."""

    def __init__(self, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall
        self.reset()

    def reset(self) -> None:
        self.frozen: int | None = None  # the sandbox clock's frozen moment (None: wall clock)
        self.test_clocks: dict[str, dict[str, Any]] = {}  # id -> the test clock object (frozen_time)
        self._jobs: dict[str, list[_Entry]] = {}
        self._seq = itertools.count()
        self._running: dict[str, int] = {}  # clock -> the moment of the job running on it

    # -- reading ---------------------------------------------------------------------------------
    def now(self, clock: str | None = SANDBOX) -> int:
        """The current moment on ``clock`` (a test clock id, or the sandbox clock for ``""``/None)."""
        clock = clock or SANDBOX
        if clock in self._running:
            return self._running[clock]
        if clock != SANDBOX:
            return int(self.test_clocks[clock]["frozen_time"])
        return self.frozen if self.frozen is not None else int(self._wall())

    # -- scheduling ------------------------------------------------------------------------------
    def schedule(self, clock: str | None, at: int, job: Job, name: str = "") -> None:
        """Run ``job`` when ``clock`` reaches ``at`` (at once on the next catch-up if already past)."""
        heapq.heappush(self._jobs.setdefault(clock or SANDBOX, []), _Entry(int(at), next(self._seq), job, name))

    def pending(self, clock: str | None = SANDBOX) -> list[tuple[int, str]]:
        """Due moments and names of ``clock``'s jobs, soonest first (for tests and diagnostics)."""
        return sorted((e.at, e.name) for e in self._jobs.get(clock or SANDBOX, []))

    def drop(self, clock: str) -> None:
        """Forget a deleted test clock and its jobs."""
        self._jobs.pop(clock, None)
        self.test_clocks.pop(clock, None)

    def run_until(self, clock: str | None, until: int) -> int:
        """Run ``clock``'s jobs due at or before ``until`` in time order (jobs may add jobs); returns
        how many ran. While a job runs, ``now(clock)`` reads its moment (never earlier than before)."""
        clock = clock or SANDBOX
        heap = self._jobs.get(clock, [])
        floor = self.now(clock)
        ran = 0
        while heap and heap[0].at <= until:
            entry = heapq.heappop(heap)
            self._running[clock] = max(entry.at, floor)
            try:
                entry.job()
            finally:
                self._running.pop(clock, None)
            ran += 1
        return ran

    def set_frozen(self, moment: int | None) -> None:
        """Freeze the sandbox clock at ``moment`` or release it to the wall clock, first running the
        jobs due by then, each at its own moment (a clock set back runs nothing)."""
        self.run_until(SANDBOX, int(self._wall()) if moment is None else moment)
        self.frozen = moment

    def catch_up(self) -> int:
        """Run the sandbox clock's jobs that real time (or the frozen moment) has reached."""
        return self.run_until(SANDBOX, self.now(SANDBOX))
