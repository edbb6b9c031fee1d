"""Account objects for ``GET /v1/account`` and ``/v1/accounts/{id}`` (the sandbox platform and the connected accounts it has seen)."""

from __future__ import annotations

import hashlib
from typing import Any

#: The platform account every sandbox key belongs to.
PLATFORM_ACCOUNT_ID = "acct_1PgnSandbox0001"
PLATFORM_NAME = "Paragon Magic Sandbox"
_CREATED = 1_700_000_000


def account_object(account_id: str = PLATFORM_ACCOUNT_ID, *, livemode: bool = False) -> dict[str, Any]:
    """A realistic, deterministic account object for ``account_id``."""
    is_platform = account_id == PLATFORM_ACCOUNT_ID
    digest = hashlib.sha256(account_id.encode()).hexdigest()
    name = PLATFORM_NAME if is_platform else f"Connected Shop {digest[:4].upper()}"
    slug = "sandbox" if is_platform else f"shop-{digest[:6]}"
    return {
        "id": account_id,
        "object": "account",
        "business_profile": {
            "mcc": "5734",
            "name": name,
            "product_description": None,
            "support_email": f"support@{slug}.example.com",
            "support_phone": None,
            "support_url": None,
            "url": f"https://{slug}.example.com",
        },
        "business_type": "company",
        "capabilities": {"card_payments": "active", "transfers": "active"},
        "charges_enabled": True,
        "controller": {"type": "account" if is_platform else "application"},
        "country": "US",
        "created": _CREATED + int(digest[:6], 16) % 10_000_000,
        "default_currency": "usd",
        "details_submitted": True,
        "email": f"owner@{slug}.example.com",
        "livemode": livemode,
        "metadata": {},
        "payouts_enabled": True,
        "settings": {
            "dashboard": {"display_name": name, "timezone": "Etc/UTC"},
            "payments": {"statement_descriptor": name.upper()[:22]},
        },
        "type": "standard",
    }
