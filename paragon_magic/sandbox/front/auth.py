"""API keys for the sandbox front layer: parsing, masking, revocation and restricted-key permissions."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

from .._child import SANDBOX_KEY
from .errors import StripeErrorResponse

_SECRET_KEY = re.compile(r"^sk_(test|live)_[A-Za-z0-9_]{4,}$")

#: First path segment after /v1/ -> permission resource (``rak_<resource>_read|write``).
_PERMISSION_RESOURCES: dict[str, str] = {
    "customers": "customer",
    "subscriptions": "subscription",
    "subscription_items": "subscription",
    "products": "product",
    "plans": "plan",
    "prices": "plan",
    "balance_transactions": "balance_transaction_source",
    "charges": "charge",
    "refunds": "charge",
    "payment_intents": "payment_intent",
    "payment_methods": "payment_method",
    "setup_intents": "setup_intent",
    "invoices": "invoice",
    "invoiceitems": "invoice",
    "coupons": "coupon",
    "tax_rates": "tax_rate",
    "payouts": "payout",
    "events": "event",
    "sources": "source",
    "tokens": "token",
    "account": "connected_account",
    "accounts": "connected_account",
}


def mask_key(key: str) -> str:
    """``sk_test_abcdef1234`` -> ``sk_test_…1234`` (never show more than the last four characters)."""
    match = re.match(r"^((?:sk|rk|pk)_(?:test|live)_)", key)
    prefix = match.group(1) if match else ""
    return f"{prefix}…{key[-4:]}" if len(key) > len(prefix) + 4 else f"{prefix}…"


def is_secret_key(key: str) -> bool:
    """Whether ``key`` is shaped like a Stripe secret key (``sk_test_…``/``sk_live_…``)."""
    return bool(_SECRET_KEY.match(key))


def key_is_live(key: str) -> bool:
    return key.startswith(("sk_live_", "rk_live_"))


def extract_key(authorization: str | None) -> str | None:
    """The key from ``Bearer <key>`` or HTTP basic auth (key as the user name)."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return value or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.split(":", 1)[0] or None
    return None


def required_permission(method: str, path: str) -> str | None:
    """The ``rak_…`` permission a restricted key needs for this request (None: any key may)."""
    parts = [p for p in path.split("/") if p]
    if len(parts) < 2 or parts[0] != "v1":
        return None
    first = parts[1]
    if first == "balance":
        if len(parts) >= 3 and parts[2] == "history":
            return "rak_balance_transaction_source_read"
        return "rak_balance_read"
    resource = _PERMISSION_RESOURCES.get(first)
    if resource is None:
        return None
    if resource == "balance_transaction_source":
        return "rak_balance_transaction_source_read"
    access = "read" if method in ("GET", "HEAD") else "write"
    return f"rak_{resource}_{access}"


def _satisfies(granted: set[str], needed: str) -> bool:
    if needed in granted:
        return True
    # Write access implies read access, as on Stripe's restricted-key screen.
    return needed.endswith("_read") and needed[: -len("_read")] + "_write" in granted


@dataclass
class KeyRegistry:
    """Which keys the data plane accepts: the sandbox's own :data:`SANDBOX_KEY`, and the keys this
    run's owner registered through ``/_sandbox/keys`` (secret keys, and restricted keys with their
    permission set). Any other key, however well-formed, is 401: another local user cannot use the
    sandbox with a key of their own, and a live-shaped key answers ``livemode: true`` only when the
    owner registered it. A revoked key is 401 whatever it is."""

    secret: set[str] = field(default_factory=set)
    restricted: dict[str, set[str]] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)

    def clear(self) -> None:
        self.secret.clear()
        self.restricted.clear()
        self.revoked.clear()

    def identify(self, authorization: str | None) -> str:
        """The key of an ``Authorization`` header (Bearer, or HTTP Basic with the key as user name) when
        this sandbox accepts it, else the Stripe-shaped 401. The front logs a request only after this;
        :meth:`authorize` (a restricted key's permissions) comes next."""
        key = extract_key(authorization)
        if key is None:
            raise StripeErrorResponse(
                401,
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, "
                "or we can help at https://support.stripe.com/.",
            )
        if key in self.revoked or not (key == SANDBOX_KEY or key in self.secret or key in self.restricted):
            raise StripeErrorResponse(401, f"Invalid API Key provided: {mask_key(key)}")
        return key

    def authorize(self, key: str, method: str, path: str, account: str) -> None:
        """The Stripe-shaped 403 when the restricted ``key`` lacks the permission this request needs."""
        if key not in self.restricted:
            return
        needed = required_permission(method, path)
        if needed is not None and not _satisfies(self.restricted[key], needed):
            raise StripeErrorResponse(
                403,
                f"The provided key '{mask_key(key)}' does not have the required permissions for "
                f"this endpoint on account '{account}'. Having the '{needed}' permission would "
                "allow this request to continue.",
            )
