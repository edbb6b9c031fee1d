"""Stripe HTTP client layer: httpx only (no IPython, no widgets, no pandas)."""

from ._base import DEFAULT_STRIPE_VERSION, StripeResponse, check_caller_headers
from .async_ import AsyncStripeClient
from .backends import Backend, DirectBackend, ParagonBackend
from .bases import DEFAULT_STRIPE_BASE, check_base_url, check_request_path, is_loopback_host, is_stripe_base, uses_environment_proxies
from .encoding import encode_form, flatten_params
from .errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    CardError,
    IdempotencyError,
    InvalidRequestError,
    ParagonProxyError,
    RateLimitError,
    StripeError,
    StripePermissionError,
    error_from_response,
)
from .keys import key_mode, mask_secret, scrub
from .ratelimit import RateLimiter, TokenBucket, WindowPacer
from .retry import RetryPolicy
from .sync import StripeClient

__all__ = [
    "StripeClient",
    "AsyncStripeClient",
    "Backend",
    "DirectBackend",
    "ParagonBackend",
    "StripeResponse",
    "RetryPolicy",
    "RateLimiter",
    "TokenBucket",
    "WindowPacer",
    "encode_form",
    "flatten_params",
    "mask_secret",
    "key_mode",
    "scrub",
    "error_from_response",
    "DEFAULT_STRIPE_VERSION",
    "DEFAULT_STRIPE_BASE",
    "check_base_url",
    "check_caller_headers",
    "check_request_path",
    "is_loopback_host",
    "is_stripe_base",
    "uses_environment_proxies",
    "StripeError",
    "AuthenticationError",
    "StripePermissionError",
    "InvalidRequestError",
    "CardError",
    "RateLimitError",
    "IdempotencyError",
    "APIError",
    "APIConnectionError",
    "ParagonProxyError",
]
