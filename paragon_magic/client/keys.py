"""Secret handling: masking keys/tokens for display and scrubbing them out of any text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal

__all__ = ["mask_secret", "key_mode", "scrub", "scrub_data"]

_KNOWN_PREFIXES = ("sk_test_", "sk_live_", "rk_test_", "rk_live_", "pk_test_", "pk_live_")
# Anything that looks like a Stripe secret/restricted key, so an echoed key of *any* account is masked.
_KEY_PATTERN = re.compile(r"(?:sk|rk)_(?:test|live)_[A-Za-z0-9]+")  # eager: "0sk_test_…" is masked too
_MIN_TAIL_LENGTH = 16  # shorter secrets show no tail at all


def mask_secret(secret: str | None) -> str:
    """``"sk_test_abcdef1234"`` → ``"sk_test_…1234"``; never returns enough to reuse the secret."""
    if not secret:
        return "<none>"
    prefix = next((p for p in _KNOWN_PREFIXES if secret.startswith(p)), "")
    rest = secret[len(prefix) :]
    tail = rest[-4:] if len(rest) >= 8 and len(secret) >= _MIN_TAIL_LENGTH else ""
    if not prefix and not tail:
        return "…"
    return f"{prefix}…{tail}"


def key_mode(key: str) -> Literal["test", "live"]:
    """``"test"`` for ``sk_test_``/``rk_test_``/``pk_test_`` keys, ``"live"`` for live ones."""
    if "_test_" in key[:8]:
        return "test"
    if "_live_" in key[:8]:
        return "live"
    raise ValueError(f"not a Stripe API key: {mask_secret(key)}")


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Replace every given secret, and anything shaped like a Stripe key, with its masked form."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, mask_secret(secret))
    return _KEY_PATTERN.sub(lambda match: mask_secret(match.group(0)), text)


def scrub_data(value: Any, secrets: Iterable[str | None] = ()) -> Any:
    """:func:`scrub` applied to every string inside nested dicts/lists (e.g. a JSON error body)."""
    secrets = tuple(secrets)
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {k: scrub_data(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_data(v, secrets) for v in value]
    return value
