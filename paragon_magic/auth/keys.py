"""Stripe API keys: recognise them, refuse the wrong ones, and hold them without showing them.

Every message here describes the key's *shape*; none ever contains the key itself.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from typing import Literal

from ..client.keys import JWT_PATTERN, PEM_PATTERN, mask_secret
from ..errors import UsageError

__all__ = [
    "KeyInfo",
    "Secret",
    "classify_key",
    "looks_like_secret",
    "mask_key",
    "redact_secrets",
]

KeyKind = Literal["secret", "restricted"]
KeyMode = Literal["test", "live"]

_KINDS: dict[str, KeyKind] = {"sk": "secret", "rk": "restricted"}
_BODY = re.compile(r"[A-Za-z0-9]{8,}")
_ASK = "paste a Secret (sk_…) or Restricted (rk_…) key"

# Anything in free text that is a usable secret: Stripe secret/restricted keys, webhook signing
# secrets, JWTs (Paragon user tokens) and PEM private keys (Paragon signing keys). Publishable keys
# are public by design and not matched.
_SECRET_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9_])(?:"
    r"(?:sk|rk)_(?:test|live)_[A-Za-z0-9]{8,}"
    r"|whsec_[A-Za-z0-9]{8,}"
    r"|" + JWT_PATTERN + "|" + PEM_PATTERN + ")"
)


@dataclass(frozen=True)
class KeyInfo:
    """What a Stripe API key is: ``kind`` "secret" (sk_) or "restricted" (rk_), ``mode`` "test"/"live"."""

    kind: KeyKind
    mode: KeyMode


def mask_key(value: str) -> str:
    """``sk_test_…abcd``: the ``type_mode_`` prefix (when present), "…", then the last 4 characters.

    The client layer's :func:`~paragon_magic.client.mask_secret`, so every masked key looks alike
    (short values show no ending at all).
    """
    return mask_secret(value)


class Secret:
    """Holds a secret (API key, user token); ``repr``/``str``/formatting show only the masked form.

    ``reveal()`` returns the value, for the one place that must send it. Equality compares in
    constant time; a ``Secret`` is not a ``str``, so it cannot leak by concatenation or JSON dumping.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str):
            raise UsageError(f"a secret must be text, not {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        """The secret itself. Call only where it is sent (an Authorization header, the keyring)."""
        return self._value

    @property
    def masked(self) -> str:
        return mask_key(self._value)

    def __repr__(self) -> str:
        return f"Secret({self.masked!r})"

    def __str__(self) -> str:
        return self.masked

    def __format__(self, spec: str) -> str:
        return format(self.masked, spec)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            other = other._value
        if not isinstance(other, str):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other.encode())

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __len__(self) -> int:
        return len(self._value)


def _text(key: str | Secret) -> str:
    if isinstance(key, Secret):
        return key.reveal()
    if key is None:
        raise UsageError(f"no API key given; {_ASK}", field="api_key")
    if not isinstance(key, str):
        raise UsageError(f"an API key must be text, not {type(key).__name__}", field="api_key")
    return key


def classify_key(key: str | Secret) -> KeyInfo:
    """Recognise a Stripe Secret or Restricted key, or raise ``UsageError`` saying what is wrong.

    Accepts ``sk_test_``, ``sk_live_``, ``rk_test_`` and ``rk_live_`` followed by at least 8 letters or
    digits. Surrounding whitespace (a sloppy paste) is tolerated; the message never repeats the key.
    """
    text = _text(key).strip()
    if not text:
        raise UsageError(f"the API key is empty; {_ASK}", field="api_key")
    if text.startswith("pk_"):
        raise UsageError(
            "publishable keys can't read data; paste a Secret (sk_…) or Restricted (rk_…) key",
            field="api_key",
        )
    if text.startswith("whsec_"):
        raise UsageError(f"that is a webhook signing secret, not an API key; {_ASK}", field="api_key")
    type_, _, rest = text.partition("_")
    if type_ not in _KINDS or not rest:
        raise UsageError(
            "that is not a Stripe API key (they start with sk_test_, sk_live_, rk_test_ or rk_live_); "
            + _ASK,
            field="api_key",
        )
    mode, _, body = rest.partition("_")
    if mode not in ("test", "live"):
        raise UsageError(
            f"the key starts with {type_}_ but not {type_}_test_ or {type_}_live_; "
            "copy the whole key from the Stripe Dashboard",
            field="api_key",
        )
    if any(ch.isspace() for ch in body):
        raise UsageError("the API key contains spaces or line breaks; paste it on one line", field="api_key")
    if not _BODY.fullmatch(body):
        if not body or (len(body) < 8 and body.isalnum()):
            raise UsageError(
                "the API key is too short — it looks cut off; copy the whole key from the Stripe Dashboard",
                field="api_key",
            )
        raise UsageError(
            "the API key contains characters a Stripe key never has; copy it again from the Stripe Dashboard",
            field="api_key",
        )
    return KeyInfo(kind=_KINDS[type_], mode=mode)  # type: ignore[arg-type]


def looks_like_secret(text: str) -> bool:
    """True if ``text`` holds something usable as a secret: an sk_/rk_ key, a whsec_ secret, a JWT
    or a PEM private key.

    Used to warn when a secret is typed into a magic line (and so into notebook history).
    """
    return bool(_SECRET_IN_TEXT.search(text))


def redact_secrets(text: str) -> str:
    """``text`` with every secret :func:`looks_like_secret` would find replaced by its masked form."""
    return _SECRET_IN_TEXT.sub(lambda m: mask_key(m.group(0)), text)
