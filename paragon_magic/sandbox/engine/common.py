"""Small rules every resource shares: metadata updates, amounts and currencies, references."""

from __future__ import annotations

import re
from typing import Any

from ..front.errors import StripeErrorResponse, missing_param

#: Currencies Stripe settles card payments in (a subset of ISO 4217 that the sandbox accepts).
CURRENCIES = frozenset(
    "usd aed aud bgn brl cad chf cny czk dkk eur gbp hkd huf idr ils inr jpy krw mxn myr nok nzd php pln "
    "ron sek sgd thb try twd zar bif clp djf gnf kmf mga pyg rwf ugx vnd vuv xaf xof xpf bhd jod kwd omr tnd".split()
)
ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
THREE_DECIMAL = frozenset("bhd jod kwd omr tnd".split())
#: Stripe's minimum charge amounts (smallest unit), https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts
MINIMUM_CHARGE = {"usd": 50, "eur": 50, "gbp": 30, "jpy": 50, "aud": 50, "cad": 50, "chf": 50, "dkk": 250,
                  "hkd": 400, "mxn": 1000, "nok": 300, "nzd": 50, "sek": 300, "sgd": 50}  # fmt: skip
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def currency(value: Any, param: str = "currency") -> str:
    """A lower-case ISO currency Stripe supports, or Stripe's 400."""
    code = str(value or "").lower()
    if code not in CURRENCIES:
        raise StripeErrorResponse(400, f"Invalid currency: {value}. Stripe currently supports these currencies: "
                                       "https://stripe.com/docs/currencies", param=param, code="parameter_invalid_string")  # fmt: skip
    return code


def minimum_amount(amount: int, code: str, param: str = "amount") -> None:
    """Refuse a charge below Stripe's minimum for ``code`` (``amount_too_small``)."""
    minimum = MINIMUM_CHARGE.get(code, 50)
    if amount < minimum:
        raise StripeErrorResponse(
            400, f"Amount must be at least {minimum} {code} (the minimum charge amount for {code.upper()}).",
            param=param, code="amount_too_small")  # fmt: skip


def email(value: Any, param: str = "email") -> str | None:
    if value in (None, ""):
        return None
    if not _EMAIL.match(str(value)) or len(str(value)) > 512:
        raise StripeErrorResponse(400, f"Invalid email address: {value}", param=param, code="email_invalid")
    return str(value)


def required(params: dict[str, Any], *names: str) -> None:
    for name in names:
        if params.get(name) in (None, ""):
            raise missing_param(name)


def check_metadata(value: Any, param: str = "metadata") -> None:
    """Stripe's metadata limits: ≤ 50 keys, key ≤ 40 characters, value ≤ 500 characters."""
    if value in (None, ""):
        return
    if not isinstance(value, dict):
        raise StripeErrorResponse(400, "Invalid object", param=param, code="parameter_invalid_empty")
    if len(value) > 50:
        raise StripeErrorResponse(400, "Metadata can have at most 50 keys.", param=param, code="parameter_invalid_empty")
    for key, item in value.items():
        if len(key) > 40:
            raise StripeErrorResponse(400, f"Metadata keys must be at most 40 characters ({key[:40]}…).", param=f"{param}[{key}]")  # fmt: skip
        if item is not None and len(str(item)) > 500:
            raise StripeErrorResponse(400, "Metadata values can have up to 500 characters.", param=f"{param}[{key}]")


def merged_metadata(current: dict[str, Any] | None, given: Any) -> dict[str, str]:
    """Metadata after an update: keys posted empty are removed; ``metadata=""`` removes them all."""
    check_metadata(given)
    if given == "":
        return {}
    out = dict(current or {})
    for key, value in (given or {}).items():
        if value in ("", None):
            out.pop(key, None)
        else:
            out[key] = str(value)
    return out


def ref(value: Any) -> Any:
    """An id from a reference that may be an expanded object."""
    return value.get("id") if isinstance(value, dict) else value


def as_int(value: Any, param: str) -> int:
    if isinstance(value, bool):
        raise StripeErrorResponse(400, f"Invalid integer: {value}", param=param, code="parameter_invalid_integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise StripeErrorResponse(400, f"Invalid integer: {value}", param=param, code="parameter_invalid_integer") from None


def as_bool(value: Any, param: str) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "false"):
        return str(value).lower() == "true"
    raise StripeErrorResponse(400, f"Invalid boolean: {value}", param=param, code="parameter_invalid_boolean")
