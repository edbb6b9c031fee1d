"""The front layer's request log (``GET /_sandbox/requests``): bounded, and never a place for secrets.

* only requests that passed authentication are logged (a keyless flood cannot grow it);
* at most :data:`LOG_LIMIT` entries, the oldest dropped first (a ring buffer);
* every kept value (path, query, form, the headers in :data:`LOGGED_HEADERS`) is masked with
  :func:`~paragon_magic.client.redaction.mask_url` — keys, JWTs, webhook secrets, PEM keys, wherever
  they appear (an ``Idempotency-Key`` or ``Stripe-Account`` holding one too) — then cut to
  :data:`VALUE_LIMIT` characters; an entry keeps at most :data:`PAIRS_LIMIT` query and form pairs.
  ``Authorization`` is never logged.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

from ...client.redaction import mask_url

__all__ = ["LOGGED_HEADERS", "LOG_LIMIT", "PAIRS_LIMIT", "VALUE_LIMIT", "log_entry", "new_request_log", "shown"]

LOGGED_HEADERS = ("Stripe-Account", "Idempotency-Key", "Stripe-Version", "User-Agent")
LOG_LIMIT = 20_000
VALUE_LIMIT = 200
PAIRS_LIMIT = 100


def new_request_log() -> deque[dict[str, Any]]:
    """An empty log that keeps the newest :data:`LOG_LIMIT` entries."""
    return deque(maxlen=LOG_LIMIT)


def shown(value: str) -> str:
    """``value`` as the log keeps it: masked first (so no cut can leave half a key), then capped."""
    masked = mask_url(value)
    if len(masked) <= VALUE_LIMIT:
        return masked
    return f"{masked[:VALUE_LIMIT]}…(+{len(masked) - VALUE_LIMIT} chars)"


def _pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    kept: dict[str, str] = {}
    for index, (name, value) in enumerate(pairs):
        if index >= PAIRS_LIMIT:
            kept["…"] = "more parameters not logged"
            break
        kept[shown(name)] = shown(value)
    return kept


def log_entry(
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    form: Mapping[str, str],
    headers: Mapping[str, str],
    request_id: str,
) -> dict[str, Any]:
    """One log entry; ``status`` is filled in when the answer is known."""
    return {
        "method": method[:16],
        "path": shown(path),
        "query": _pairs(query),
        "form": _pairs(form.items()),
        "headers": {h: shown(headers[h]) for h in LOGGED_HEADERS if h in headers},
        "request_id": request_id,
        "status": None,
        "received": time.monotonic(),  # seconds, this process's clock: for counting requests per window
    }
