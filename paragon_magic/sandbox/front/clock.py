"""The sandbox clock: while set to a moment T, everything a write creates is dated at T.

Seeding a business with history needs objects created in the past, and localstripe dates everything
at the wall clock. With ``POST /_sandbox/clock {"now": T}`` the front layer backdates every object
that first appears in a write's upstream answer (``created`` at or after the moment the clock was
set, and not dated before) to T, shifting its other fresh timestamps (``start_date``,
``canceled_at``, ``period_end``...) by the same offset, and dates the balance transaction a new
charge or refund names. The ledger reads its "now" from the clock too (payouts are created at T and
sweep what was available at T). ``{"now": null}`` stops it; ``/_sandbox/reset`` clears it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

#: Reads one object from localstripe by path (None when it is not there).
Fetch = Callable[[str], Awaitable[Any]]

#: Top-level timestamps shifted with a fresh object (each once: a later write never moves them).
SHIFTED_FIELDS = frozenset({
    "start_date", "canceled_at", "ended_at", "cancel_at", "trial_start", "trial_end",
    "billing_cycle_anchor", "date", "period_start", "period_end", "webhooks_delivered_at",
    "next_payment_attempt",
})  # fmt: skip


@dataclass
class SandboxClock:
    """The frozen "now" of the sandbox, or ``None`` for the wall clock."""

    now: int | None = None
    set_at: int = 0  # wall-clock second the clock was set: objects created from then on are fresh

    def set(self, now: int | None) -> None:
        self.now = now
        self.set_at = int(time.time())

    def time(self) -> float:
        return float(self.now) if self.now is not None else time.time()

    async def stamp(self, data: Any, backdates: dict[str, int], fields: dict[str, dict[str, int | None]],
                    fetch: Fetch) -> bool:  # fmt: skip
        """Date the fresh objects in ``data`` (an upstream answer) at the clock; True if any was.

        A new subscription names its first invoice only by id: that invoice (with its charge and
        balance transaction) is read with ``fetch`` and dated too."""
        if self.now is None:
            return False
        changed = self._walk(data, self.now, backdates, fields)
        invoice = data.get("latest_invoice") if isinstance(data, dict) else None
        if isinstance(invoice, str) and invoice not in backdates:
            changed |= self._walk(await fetch(f"/v1/invoices/{invoice}"), self.now, backdates, fields)
        return changed

    def _walk(self, data: Any, now: int, backdates: dict[str, int],
              fields: dict[str, dict[str, int | None]]) -> bool:  # fmt: skip
        """Fresh objects get ``created`` = ``now``; their fresh timestamps keep their distance to it."""
        changed = False
        if isinstance(data, list):
            for item in data:
                changed |= self._walk(item, now, backdates, fields)
            return changed
        if not isinstance(data, dict):
            return False
        for value in data.values():
            if isinstance(value, (dict, list)):
                changed |= self._walk(value, now, backdates, fields)
        obj_id, created = data.get("id"), data.get("created")
        if not isinstance(obj_id, str) or not isinstance(created, int) or created < self.set_at:
            return changed
        offset = now - created
        if obj_id not in backdates:
            backdates[obj_id] = now
            txn = data.get("balance_transaction")
            if isinstance(txn, str) and txn not in backdates:
                backdates[txn] = now
            changed = True
        overrides = fields.setdefault(obj_id, {})
        for name in SHIFTED_FIELDS:
            value = data.get(name)
            if name not in overrides and isinstance(value, int) and value >= self.set_at:
                overrides[name] = value + offset
                changed = True
        if not overrides:
            del fields[obj_id]
        return changed
