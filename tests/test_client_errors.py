"""Mapping Stripe error responses to typed errors, one-line messages, secrets never shown."""

from __future__ import annotations

import httpx
import pytest

from paragon_magic.client import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    CardError,
    IdempotencyError,
    InvalidRequestError,
    RateLimitError,
    StripeError,
    StripePermissionError,
    error_from_response,
    key_mode,
    mask_secret,
    scrub,
)
from paragon_magic.errors import ParagonMagicError

KEY = "sk_test_51Hxyz0123456789abcdefSECRET9876"


def _error(status: int, **fields: object) -> StripeError:
    return error_from_response(status, {"error": fields}, httpx.Headers({"Request-Id": "req_123"}), secrets=[KEY])


@pytest.mark.parametrize(
    ("status", "error_type", "expected"),
    [
        (400, "invalid_request_error", InvalidRequestError),
        (404, "invalid_request_error", InvalidRequestError),
        (400, "idempotency_error", IdempotencyError),
        (401, "invalid_request_error", AuthenticationError),
        (402, "card_error", CardError),
        (403, "invalid_request_error", StripePermissionError),
        (429, "invalid_request_error", RateLimitError),
        (500, "api_error", APIError),
        (503, "api_error", APIError),
        (409, "invalid_request_error", APIError),
    ],
)
def test_status_table(status: int, error_type: str, expected: type[StripeError]) -> None:
    error = _error(status, type=error_type, message="boom")
    assert type(error) is expected
    assert isinstance(error, ParagonMagicError)
    assert error.http_status == status and error.type == error_type


def test_fields_and_one_line_str() -> None:
    error = _error(
        404,
        type="invalid_request_error",
        code="resource_missing",
        param="id",
        message="No such customer: 'cus_x'",
        doc_url="https://stripe.com/docs/error-codes/resource-missing",
        request_log_url="https://dashboard.stripe.com/test/logs/req_123",
    )
    assert str(error) == "No such customer: 'cus_x' (resource_missing, request req_123)"
    assert (error.code, error.param, error.request_id) == ("resource_missing", "id", "req_123")
    assert error.doc_url.endswith("resource-missing") and error.request_log_url.endswith("req_123")
    assert error._render_traceback_() == [f"\x1b[0;31mInvalidRequestError\x1b[0m: {error}"]


def test_multiline_message_is_one_line() -> None:
    assert "\n" not in str(_error(400, message="first\nsecond  third"))


def test_required_permission_parsed() -> None:
    message = (
        "The provided key 'rk_test_abc***wxyz' does not have the required permissions for this endpoint "
        "on account 'acct_1'. Having the 'rak_subscription_read' permission would allow this request to continue."
    )
    error = _error(403, type="invalid_request_error", message=message)
    assert isinstance(error, StripePermissionError)
    assert error.required_permission == "rak_subscription_read"


def test_card_error_decline_code_and_rate_limit_reason() -> None:
    card = _error(402, type="card_error", code="card_declined", decline_code="generic_decline", message="declined")
    assert isinstance(card, CardError) and str(card) == "declined (card_declined, generic_decline, request req_123)"
    limited = error_from_response(
        429, {"error": {"message": "slow down"}}, {"Stripe-Rate-Limited-Reason": "global-rate"}
    )
    assert isinstance(limited, RateLimitError) and limited.rate_limited_reason == "global-rate"


def test_should_retry_header_is_recorded() -> None:
    headers = httpx.Headers({"Stripe-Should-Retry": "false"})
    assert error_from_response(500, {}, headers).stripe_should_retry is False
    assert error_from_response(500, {}, {}).stripe_should_retry is None


def test_non_json_and_oauth_bodies() -> None:
    plain = error_from_response(404, "404: Not Found", {})
    assert isinstance(plain, InvalidRequestError) and "404: Not Found" in str(plain)
    oauth = error_from_response(400, {"error": "invalid_grant", "error_description": "Bad code"}, {})
    assert oauth.type == "invalid_grant" and oauth.message == "Bad code"
    assert str(error_from_response(502, None, {})) == "Unexpected HTTP 502 response from Stripe"


def test_echoed_key_is_scrubbed_everywhere() -> None:
    error = _error(401, message=f"Invalid API Key provided: {KEY}")
    for text in (str(error), repr(error), error.message, str(error.json_body)):
        assert KEY not in text
    assert "sk_test_…9876" in str(error)


def test_attempts_in_message() -> None:
    error = _error(500, message="Internal error")
    error.attempts = 5
    assert str(error) == "Internal error (request req_123, gave up after 5 attempts)"
    assert str(APIConnectionError("Could not reach x")) == "Could not reach x"


def test_mask_and_mode() -> None:
    assert mask_secret("sk_test_abcdef1234") == "sk_test_…1234"
    assert mask_secret("rk_live_" + "x" * 20 + "wxyz") == "rk_live_…wxyz"
    assert mask_secret("short") == "…"
    assert mask_secret(None) == "<none>"
    assert key_mode("sk_test_abc") == "test" and key_mode("rk_live_abc") == "live"
    with pytest.raises(ValueError) as caught:
        key_mode("not-a-key-but-secret-ish-1234")
    assert "not-a-key" not in str(caught.value)


def test_scrub_masks_any_stripe_key() -> None:
    text = scrub(f"a {KEY} b rk_live_ABCDEFGHIJKLMNOP1234 c", [KEY])
    assert KEY not in text and "rk_live_ABCDEFGHIJKLMNOP1234" not in text
    assert "sk_test_…9876" in text and "rk_live_…1234" in text
