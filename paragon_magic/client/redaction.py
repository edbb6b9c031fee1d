"""One masking function for every URL, path or query that is printed or logged.

A key used as a *value* (an email, an id, a query parameter) ends up in the URL, so ``--dry-run``,
the client's DEBUG log, httpx's INFO log (``HTTP Request: GET https://…?email=sk_test_…``) and the
sandbox's request log all pass through :func:`mask_url`. Obfuscated literals (a key assembled from
pieces, or encoded in a way these patterns do not recognise) are out of scope.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_plus

from .keys import scrub

__all__ = ["mask_text", "mask_url", "install_httpx_log_filter", "sending"]

_ours: contextvars.ContextVar[bool] = contextvars.ContextVar("paragon_magic_sending", default=False)


def mask_text(text: str) -> str:
    """``text`` with every key, webhook secret, JWT or PEM private key replaced by its masked form."""
    return scrub(text)


def mask_url(url: Any) -> str:
    """``url`` (a str, ``httpx.URL`` or path) as it may be shown: secrets masked, percent-encoded ones too."""
    text = str(url)
    masked = mask_text(text)
    decoded = unquote_plus(masked)
    if mask_text(decoded) != decoded:  # a secret hidden by percent-encoding: show it decoded and masked
        return mask_text(decoded)
    return masked


@contextlib.contextmanager
def sending() -> Iterator[None]:
    """Mark the requests sent inside as this package's, so httpx's log lines about them are masked."""
    token = _ours.set(True)
    try:
        yield
    finally:
        _ours.reset(token)


class _MaskOurRequests(logging.Filter):
    """Rewrites httpx's "HTTP Request: METHOD URL ..." records of this package's requests only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _ours.get() and isinstance(record.args, tuple):
            record.args = tuple(mask_url(arg) if _is_url(arg) else arg for arg in record.args)
        return True


def _is_url(value: Any) -> bool:
    return type(value).__name__ == "URL" or (isinstance(value, str) and "://" in value)


_FILTER = _MaskOurRequests()


def install_httpx_log_filter() -> None:
    """Add the filter to the ``httpx`` logger once (other code's records pass through untouched)."""
    logger = logging.getLogger("httpx")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
