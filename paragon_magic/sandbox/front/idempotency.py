"""Idempotency-Key handling for the sandbox front layer, modelled on Stripe's (POST only)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import StripeErrorResponse

MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class SavedResponse:
    status: int
    body: bytes
    headers: dict[str, str]
    request_id: str


@dataclass
class _Entry:
    fingerprint: tuple[str, str, bytes]
    response: SavedResponse | None = None


@dataclass
class IdempotencyStore:
    """Maps (api key, idempotency key) to the first request's fingerprint and saved response."""

    _entries: dict[tuple[str, str], _Entry] = field(default_factory=dict)

    def clear(self) -> None:
        self._entries.clear()

    def begin(
        self, api_key: str, idem_key: str, fingerprint: tuple[str, str, bytes]
    ) -> SavedResponse | None:
        """Claim the key. Returns a saved response to replay, None if the caller should execute,
        or raises 400 ``idempotency_error`` (other params) / 409 ``idempotency_key_in_use``."""
        if len(idem_key) > MAX_KEY_LENGTH:
            raise StripeErrorResponse(
                400,
                f"Invalid idempotency key: it must be at most {MAX_KEY_LENGTH} characters long.",
                param="Idempotency-Key",
            )
        slot = (api_key, idem_key)
        entry = self._entries.get(slot)
        if entry is None:
            self._entries[slot] = _Entry(fingerprint)
            return None
        if entry.fingerprint != fingerprint:
            raise StripeErrorResponse(
                400,
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{idem_key}' if you meant to "
                "execute a different request.",
                type="idempotency_error",
            )
        if entry.response is None:
            raise StripeErrorResponse(
                409,
                "There is currently another in-progress request using this Idempotent Key "
                "(that probably means you submitted twice, and the other request is still "
                "going through): " + idem_key + ". Please try again later.",
                code="idempotency_key_in_use",
            )
        return entry.response

    def finish(self, api_key: str, idem_key: str, response: SavedResponse) -> None:
        entry = self._entries.get((api_key, idem_key))
        if entry is not None:
            entry.response = response

    def abandon(self, api_key: str, idem_key: str) -> None:
        """Forget a claim whose endpoint never started executing (nothing to replay)."""
        entry = self._entries.get((api_key, idem_key))
        if entry is not None and entry.response is None:
            del self._entries[(api_key, idem_key)]
