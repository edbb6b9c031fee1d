"""Stripe's test cards: the ``pm_card_*`` payment methods and ``tok_*`` tokens, and how each behaves.

Source: Stripe's testing page (https://docs.stripe.com/testing: "Cards by brand", "Cards by country",
"Declined payments", "Disputes"). Every ``pm_card_<name>`` has the token ``tok_<name>``. A decline
answers HTTP 402 ``card_error`` with the page's *error code* and *decline code*:

==========================================  ==================  ==============  ==================
name (``pm_card_…`` / ``tok_…``)            number              code            decline_code
==========================================  ==================  ==============  ==================
chargeDeclined                              4000000000000002    card_declined   generic_decline
chargeDeclinedInsufficientFunds             4000000000009995    card_declined   insufficient_funds
chargeDeclinedLostCard                      4000000000009987    card_declined   lost_card
chargeDeclinedStolenCard                    4000000000009979    card_declined   stolen_card
chargeDeclinedExpiredCard                   4000000000000069    expired_card    —
chargeDeclinedIncorrectCvc                  4000000000000127    incorrect_cvc   —
chargeDeclinedProcessingError               4000000000000119    processing_error —
chargeDeclinedVelocityLimitExceeded         4000000000006975    card_declined   card_velocity_exceeded
chargeCustomerFail                          4000000000000341    card_declined   generic_decline
==========================================  ==================  ==============  ==================

The declining cards are also refused when attached to a customer (Stripe validates a card on
attach); ``chargeCustomerFail`` attaches and then every charge fails. ``createDispute`` (…0259) and
``createDisputeProductNotReceived`` (…2685) succeed and are disputed shortly after.
``authenticationRequired`` (…3184) needs 3D Secure on every payment: a PaymentIntent confirmed
on-session waits in ``requires_action``, an off-session one (billing) is declined with
``authentication_required``. Expiry dates of
test cards are not part of the table: a card created now expires in the same month next year.
"""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass
from typing import Any

from ..front.errors import StripeErrorResponse

_B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


@dataclass(frozen=True)
class Decline:
    """What a declined charge answers (Stripe's wording)."""

    code: str
    decline_code: str | None
    message: str
    param: str | None = None

    @property
    def reason(self) -> str:
        """``outcome.reason`` of the failed charge."""
        return self.decline_code or self.code

    @property
    def seller_message(self) -> str:
        if self.reason == "generic_decline":
            return "The bank did not return any further details with this decline."
        return f"The bank returned the decline code `{self.reason}`."


GENERIC = Decline("card_declined", "generic_decline", "Your card was declined.")
#: An off-session payment on a card that needs 3D Secure (``authenticationRequired``).
AUTHENTICATION_REQUIRED = Decline("authentication_required", "authentication_required",
                                  "Your card was declined. This transaction requires authentication.")  # fmt: skip


@dataclass(frozen=True)
class Card:
    """One test card number and how Stripe treats it."""

    number: str
    brand: str  # PaymentMethod brand: visa, mastercard, amex, discover, diners, jcb, unionpay
    country: str = "US"
    funding: str = "credit"
    decline: Decline | None = None  # every charge fails with this
    attachable: bool = True  # False: attaching to a customer fails with ``decline``
    dispute_reason: str | None = None  # the charge succeeds, then is disputed with this reason
    authentication: bool = False  # 3D Secure on every payment: on-session requires_action, off-session declined

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def fingerprint(self) -> str:
        """A stable 16-character fingerprint per number (Stripe's is per account and number)."""
        value = int.from_bytes(hashlib.sha256(b"paragon-card:" + self.number.encode()).digest()[:12], "big")
        out = ""
        for _ in range(16):
            value, digit = divmod(value, 62)
            out += _B62[digit]
        return out

    @property
    def source_brand(self) -> str:
        """The brand as legacy ``card`` objects (``source``) spell it."""
        return _SOURCE_BRANDS.get(self.brand, self.brand.title())


_SOURCE_BRANDS = {"visa": "Visa", "mastercard": "MasterCard", "amex": "American Express", "discover": "Discover",
                  "diners": "Diners Club", "jcb": "JCB", "unionpay": "UnionPay"}  # fmt: skip


def _declining(number: str, code: str, decline_code: str | None, message: str, param: str | None = None) -> Card:
    return Card(number, "visa", decline=Decline(code, decline_code, message, param), attachable=False)


#: ``pm_card_<name>`` / ``tok_<name>`` -> the card.
CARDS: dict[str, Card] = {
    # by brand
    "visa": Card("4242424242424242", "visa"),
    "visa_debit": Card("4000056655665556", "visa", funding="debit"),
    "mastercard": Card("5555555555554444", "mastercard"),
    "mastercard_debit": Card("5200828282828210", "mastercard", funding="debit"),
    "mastercard_prepaid": Card("5105105105105100", "mastercard", funding="prepaid"),
    "amex": Card("378282246310005", "amex"),
    "discover": Card("6011111111111117", "discover"),
    "diners": Card("3056930009020004", "diners"),
    "jcb": Card("3566002020360505", "jcb", country="JP"),
    "unionpay": Card("6200000000000005", "unionpay", country="CN"),
    # by country
    "us": Card("4242424242424242", "visa"),
    "br": Card("4000000760000002", "visa", country="BR"),
    "ca": Card("4000001240000000", "visa", country="CA"),
    "mx": Card("4000004840008001", "visa", country="MX"),
    "at": Card("4000000400000008", "visa", country="AT"),
    "be": Card("4000000560000004", "visa", country="BE"),
    "ch": Card("4000007560000009", "visa", country="CH"),
    "de": Card("4000002760000016", "visa", country="DE"),
    "dk": Card("4000002080000001", "visa", country="DK"),
    "es": Card("4000007240000007", "visa", country="ES"),
    "fi": Card("4000002460000001", "visa", country="FI"),
    "fr": Card("4000002500000003", "visa", country="FR"),
    "gb": Card("4000008260000000", "visa", country="GB"),
    "gb_debit": Card("4000058260000005", "visa", country="GB", funding="debit"),
    "gb_mastercard": Card("5555558265554449", "mastercard", country="GB"),
    "ie": Card("4000003720000005", "visa", country="IE"),
    "it": Card("4000003800000008", "visa", country="IT"),
    "nl": Card("4000005280000002", "visa", country="NL"),
    "no": Card("4000005780000007", "visa", country="NO"),
    "pl": Card("4000006160000005", "visa", country="PL"),
    "pt": Card("4000006200000007", "visa", country="PT"),
    "se": Card("4000007520000008", "visa", country="SE"),
    "au": Card("4000000360000006", "visa", country="AU"),
    "hk": Card("4000003440000004", "visa", country="HK"),
    "jp": Card("4000003920000003", "visa", country="JP"),
    "nz": Card("4000005540000008", "visa", country="NZ"),
    "sg": Card("4000007020000003", "visa", country="SG"),
    # declines
    "chargeDeclined": _declining("4000000000000002", "card_declined", "generic_decline", "Your card was declined."),
    "chargeDeclinedInsufficientFunds": _declining("4000000000009995", "card_declined", "insufficient_funds",
                                                  "Your card has insufficient funds."),  # fmt: skip
    "chargeDeclinedLostCard": _declining("4000000000009987", "card_declined", "lost_card", "Your card was declined."),
    "chargeDeclinedStolenCard": _declining("4000000000009979", "card_declined", "stolen_card", "Your card was declined."),
    "chargeDeclinedExpiredCard": _declining("4000000000000069", "expired_card", None, "Your card has expired.",
                                            "exp_month"),  # fmt: skip
    "chargeDeclinedIncorrectCvc": _declining("4000000000000127", "incorrect_cvc", None,
                                             "Your card's security code is incorrect.", "cvc"),  # fmt: skip
    "chargeDeclinedProcessingError": _declining("4000000000000119", "processing_error", None,
                                                "An error occurred while processing your card. Try again in a little bit."),  # fmt: skip
    "chargeDeclinedVelocityLimitExceeded": _declining("4000000000006975", "card_declined", "card_velocity_exceeded",
                                                      "Your card was declined for making repeated attempts too frequently or exceeding its amount limit."),  # fmt: skip
    "chargeCustomerFail": Card("4000000000000341", "visa", decline=GENERIC),
    # disputes
    "createDispute": Card("4000000000000259", "visa", dispute_reason="fraudulent"),
    "createDisputeProductNotReceived": Card("4000000000002685", "visa", dispute_reason="product_not_received"),
    # 3D Secure
    "authenticationRequired": Card("4000002760003184", "visa", country="DE", authentication=True),
}
# Stripe's brand-prefixed spellings of the declines (``pm_card_visa_chargeDeclined``, …).
CARDS.update({f"visa_{name}": card for name, card in list(CARDS.items()) if name.startswith("charge")})

_BY_FINGERPRINT = {card.fingerprint: card for card in CARDS.values()}
#: Every decline by (``failure_code``, ``outcome.reason``) of the charge it failed.
DECLINES = {(d.code, d.reason): d for d in [AUTHENTICATION_REQUIRED, *(c.decline for c in CARDS.values() if c.decline)]}
_BY_NUMBER = {card.number: card for card in CARDS.values()}


def lookup(name: str) -> Card | None:
    """The card behind a test name (``pm_card_visa``, ``tok_visa``), or None for any other string."""
    for prefix in ("pm_card_", "tok_"):
        if name.startswith(prefix):
            return CARDS.get(name[len(prefix):])
    return None


def by_fingerprint(fingerprint: str | None) -> Card | None:
    """The test card a stored card came from (its fingerprint names it)."""
    return _BY_FINGERPRINT.get(fingerprint or "")


def by_number(number: str) -> Card | None:
    return _BY_NUMBER.get(number.replace(" ", ""))


def card_hash(card: Card, *, exp_month: int, exp_year: int) -> dict[str, Any]:
    """``payment_method.card`` for ``card`` (stripe-python's ``PaymentMethod.Card``)."""
    return {
        "brand": card.brand, "checks": {"address_line1_check": None, "address_postal_code_check": None,
                                        "cvc_check": "unchecked"},
        "country": card.country, "display_brand": card.brand, "exp_month": exp_month, "exp_year": exp_year,
        "fingerprint": card.fingerprint, "funding": card.funding,
        "generated_from": None, "last4": card.last4,
        "networks": {"available": [card.brand], "preferred": None},
        "three_d_secure_usage": {"supported": True}, "wallet": None, "regulated_status": "unregulated",
    }  # fmt: skip


def charge_details(card: dict[str, Any], amount: int) -> dict[str, Any]:
    """``charge.payment_method_details`` for a charge on ``card`` (a ``payment_method.card`` hash)."""
    return {
        "card": {
            "amount_authorized": amount, "authorization_code": None, "brand": card["brand"],
            "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
            "country": card["country"], "exp_month": card["exp_month"], "exp_year": card["exp_year"],
            "extended_authorization": {"status": "disabled"}, "fingerprint": card["fingerprint"],
            "funding": card["funding"], "incremental_authorization": {"status": "unavailable"},
            "installments": None, "last4": card["last4"], "mandate": None,
            "multicapture": {"status": "unavailable"}, "network": card["brand"],
            "network_token": {"used": False}, "network_transaction_id": None,
            "overcapture": {"maximum_amount_capturable": amount, "status": "unavailable"},
            "regulated_status": card.get("regulated_status"), "three_d_secure": None,
            "transaction_link_id": None, "wallet": None,
        },
        "type": "card",
    }  # fmt: skip


def card_error(decline: Decline, **extra: Any) -> StripeErrorResponse:
    """The 402 a decline answers; ``extra`` (``charge``, ``payment_intent``, ``payment_method``) joins the body."""
    error = StripeErrorResponse(402, decline.message, type="card_error", code=decline.code, param=decline.param)
    if decline.decline_code:
        error.extra["decline_code"] = decline.decline_code
    error.extra.update({key: value for key, value in extra.items() if value is not None})
    return error
