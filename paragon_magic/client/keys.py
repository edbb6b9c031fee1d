"""Secret handling: masking keys/tokens for display and scrubbing them out of any text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal

__all__ = ["JWT_PATTERN", "PEM_PATTERN", "mask_secret", "key_mode", "scrub", "scrub_data"]

_KNOWN_PREFIXES = ("sk_test_", "sk_live_", "rk_test_", "rk_live_", "pk_test_", "pk_live_")
#: A PEM private key (Paragon signing keys): the whole block, or from its BEGIN line to the end of
#: the base64 that follows when the END line is missing (a partial paste, ``\n`` escapes on one line).
PEM_PATTERN = (r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"
               r"(?:[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|[A-Za-z0-9+/=\s\\]*)")
#: A JSON Web Token (Paragon user tokens): base64url header starting ``eyJ``, payload, signature.
JWT_PATTERN = r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*)?"
# Anything that looks like a Stripe secret/restricted key, a JWT or a PEM private key, so an echoed
# secret of *any* account is masked (eagerly: "0sk_test_…" is masked too).
_KEY_PATTERN = re.compile(r"(?:(?:sk|rk)_(?:test|live)|whsec)_[A-Za-z0-9]+|" + JWT_PATTERN + "|" + PEM_PATTERN)
_MIN_TAIL_LENGTH = 16  # shorter secrets show no tail at all
PEM_MASK = "[PEM private key, hidden]"


def mask_secret(secret: str | None) -> str:
    """``"sk_test_abcdef1234"`` → ``"sk_test_…1234"``; never returns enough to reuse the secret.

    A PEM private key shows as ``[PEM private key, hidden]``.
    """
    if not secret:
        return "<none>"
    if secret.lstrip().startswith("-----BEGIN"):
        return PEM_MASK
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
