"""Paragon Connect user tokens: RS256 JWTs signed with the project's signing key.

Claims: ``sub`` (the app's user id), ``iat`` (issued at), ``exp`` (expiry) — all three required, as
Paragon's docs require them — and ``aud = "useparagon.com/{project_id}"`` (Paragon's own examples add it;
a token without it takes the project id it is used with). Only RS256 is accepted.

Lifetime: :func:`mint_user_token` makes tokens valid for one hour (``ttl=3600``), as in Paragon's
examples, and at most :data:`MAX_LIFETIME` (24 h): a leaked token is then good for a day at most. A
token is refused, before anything is sent, once ``exp`` has passed, when it claims a lifetime
(``exp - iat``) beyond 24 h, or when it was issued (``iat``) more than :data:`CLOCK_SKEW` (5 min) in
the future — so a long session mints (or is given) a fresh token and authenticates again.
A notebook only needs :func:`inspect_user_token` (it decodes without the public key, as Paragon's
browser SDK does); the Proxy API server — and our double of it — uses :func:`verify_user_token`.
No message here ever contains a token or a key.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import jwt

from ..errors import UsageError
from .keys import Secret

__all__ = [
    "AUDIENCE_PREFIX",
    "CLOCK_SKEW",
    "MAX_LIFETIME",
    "InvalidTokenError",
    "TokenInfo",
    "generate_signing_key",
    "inspect_user_token",
    "mint_user_token",
    "verify_user_token",
]

AUDIENCE_PREFIX = "useparagon.com/"
ALGORITHM = "RS256"
#: The longest lifetime (``exp - iat``) minted or accepted, in seconds.
MAX_LIFETIME = 24 * 3600
#: How far in the future ``iat`` may be (clocks differ a little), in seconds.
CLOCK_SKEW = 300


class InvalidTokenError(UsageError):
    """A Paragon user token that cannot be used. ``reason``: "malformed", "algorithm", "expired",
    "lifetime" (over 24 h, or issued in the future), "audience", "project" (no project id anywhere) or
    "signature"."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message, field="token")
        self.reason = reason


@dataclass(frozen=True)
class TokenInfo:
    """What a user token says (never the token itself)."""

    user_id: str
    project_id: str
    expires_at: datetime
    issued_at: datetime | None = None

    def expires_in(self, now: float | datetime | None = None) -> float:
        """Seconds until the token expires (negative once it has)."""
        return self.expires_at.timestamp() - _epoch(now)


def _epoch(now: float | datetime | None) -> float:
    if now is None:
        return time.time()
    if isinstance(now, datetime):
        return now.timestamp()
    return float(now)


def _when(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=timezone.utc)


def _text(value: str | bytes | Secret) -> str:
    if isinstance(value, Secret):
        return value.reveal()
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    return value


def generate_signing_key(bits: int = 2048) -> tuple[str, str]:
    """A new RSA signing key pair as PEM text: ``(private_pkcs8_pem, public_spki_pem)``."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private.decode("ascii"), public.decode("ascii")


def mint_user_token(
    private_key_pem: str | bytes | Secret,
    project_id: str,
    user_id: str,
    *,
    ttl: float = 3600,
    now: float | datetime | None = None,
) -> str:
    """A user token for ``user_id`` in ``project_id``, valid for ``ttl`` seconds (default 1 h, at most
    :data:`MAX_LIFETIME`, 24 h) from ``now``."""
    if not user_id:
        raise UsageError("a user id is needed to mint a Paragon user token", field="user_id")
    if not project_id:
        raise UsageError("a project id is needed to mint a Paragon user token", field="project_id")
    if not 1 <= float(ttl) <= MAX_LIFETIME:
        raise UsageError(f"a Paragon user token lives between 1 second and 24 hours (ttl <= {MAX_LIFETIME}), "
                         f"not {ttl!r} seconds", field="ttl")
    issued = int(_epoch(now))
    claims = {
        "sub": str(user_id),
        "iat": issued,
        "exp": issued + int(ttl),
        "aud": AUDIENCE_PREFIX + project_id,
    }
    try:
        return jwt.encode(claims, _text(private_key_pem), algorithm=ALGORITHM)
    except (ValueError, TypeError, jwt.InvalidKeyError):
        raise UsageError(
            "the signing key is not an RSA private key in PEM form", field="private_key"
        ) from None


def inspect_user_token(
    token: str | Secret,
    *,
    project_id: str | None = None,
    now: float | datetime | None = None,
) -> TokenInfo:
    """Read a user token without checking its signature; refuse malformed, expired or foreign ones.

    ``project_id``, when given, must match the token's audience; a token without an audience takes
    its project from ``project_id``.
    """
    text = _text(token).strip()
    try:
        header = jwt.get_unverified_header(text)
        claims = jwt.decode(text, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise InvalidTokenError(
            "the Paragon user token is malformed (expected a JWT: three base64url parts joined by '.')",
            reason="malformed",
        ) from None
    if header.get("alg") != ALGORITHM:
        raise InvalidTokenError(
            f"the Paragon user token is signed with {header.get('alg')!s}; Paragon needs RS256 "
            "with your project's signing key",
            reason="algorithm",
        )
    return _check_claims(claims, project_id, now)


def verify_user_token(
    token: str | Secret,
    public_key_pem: str | bytes,
    project_id: str,
    *,
    now: float | datetime | None = None,
) -> TokenInfo:
    """Check a user token's RS256 signature against ``public_key_pem``, then its claims."""
    text = _text(token).strip()
    inspect_user_token(text, project_id=project_id, now=now)  # shape, expiry and audience first
    try:
        claims = jwt.decode(
            text,
            _text(public_key_pem),
            algorithms=[ALGORITHM],
            options={"verify_exp": False, "verify_aud": False, "verify_iat": False},
        )
    except jwt.InvalidSignatureError:
        raise InvalidTokenError(
            "the Paragon user token was not signed with this project's signing key", reason="signature"
        ) from None
    except jwt.PyJWTError as exc:
        raise InvalidTokenError(
            f"the Paragon user token could not be verified ({type(exc).__name__})", reason="signature"
        ) from None
    return _check_claims(claims, project_id, now)


def _check_claims(claims: dict[str, Any], project_id: str | None, now: float | datetime | None) -> TokenInfo:
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise InvalidTokenError(
            "the Paragon user token has no user id (sub claim); Paragon requires sub, iat and exp", reason="malformed"
        )
    expires = claims.get("exp")
    if not isinstance(expires, (int, float)) or isinstance(expires, bool):
        raise InvalidTokenError(
            "the Paragon user token has no expiry (exp claim); Paragon requires sub, iat and exp", reason="malformed"
        )
    if expires <= _epoch(now):
        stamp = _when(expires).strftime("%Y-%m-%d %H:%M:%S UTC")
        raise InvalidTokenError(
            f"the Paragon user token expired at {stamp}; mint a new one", reason="expired"
        )
    issued = claims.get("iat")
    if not isinstance(issued, (int, float)) or isinstance(issued, bool):
        raise InvalidTokenError(
            "the Paragon user token has no issue time (iat claim); Paragon requires sub, iat and exp",
            reason="malformed",
        )
    if issued > _epoch(now) + CLOCK_SKEW:
        raise InvalidTokenError(
            "the Paragon user token was issued in the future (iat claim); check the clock of the machine "
            "that minted it", reason="lifetime",
        )
    if expires - issued > MAX_LIFETIME:
        hours = (expires - issued) / 3600
        raise InvalidTokenError(
            f"the Paragon user token is valid for {hours:.0f} hours; at most 24 hours are accepted "
            "(mint a shorter-lived one)", reason="lifetime",
        )
    audiences = claims.get("aud")
    audiences = [audiences] if isinstance(audiences, str) else audiences
    token_project: str | None = None
    if audiences:
        ours = [a for a in audiences if isinstance(a, str) and a.startswith(AUDIENCE_PREFIX)]
        if not ours:
            raise InvalidTokenError(
                f"the Paragon user token's audience is not '{AUDIENCE_PREFIX}<project id>'", reason="audience"
            )
        projects = [a[len(AUDIENCE_PREFIX):] for a in ours]
        if project_id is not None and project_id not in projects:
            raise InvalidTokenError(
                f"the Paragon user token is for project {projects[0]}, not {project_id}", reason="audience"
            )
        token_project = project_id or projects[0]
    else:
        token_project = project_id
    if not token_project:
        raise InvalidTokenError(
            "the Paragon user token names no project (aud claim); pass the project id", reason="project"
        )
    return TokenInfo(
        user_id=subject, project_id=token_project, expires_at=_when(expires), issued_at=_when(issued)
    )
