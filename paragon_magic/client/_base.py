"""The one request-building and response-handling path shared by the sync and async clients.

The client classes only run the I/O loop: ``call = core.start(...)``, then per attempt acquire the
rate limiter, send ``call.request``, feed the outcome to ``call.on_response``/``call.on_transport_error``
and ask ``call.retry_delay`` whether (and after how long) to try again.
"""

from __future__ import annotations

import datetime
import email.utils
import json
import logging
import platform
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from .._version import __version__
from ..errors import UsageError
from .backends import Backend
from .bases import check_request_path
from .encoding import encode_form
from .errors import APIConnectionError, StripeError
from .ratelimit import RateLimiter, WindowPacer
from .redaction import install_httpx_log_filter, mask_url
from .retry import RetryPolicy

__all__ = ["DEFAULT_STRIPE_VERSION", "StripeResponse", "ClientCore", "ClientBase", "Call", "USER_AGENT",
           "check_caller_headers"]

#: The API version stripe-python 16.1 pins.
DEFAULT_STRIPE_VERSION = "2026-10-28.endive"
USER_AGENT = f"paragon_magic/{__version__} httpx/{httpx.__version__} python/{platform.python_version()}"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

#: Headers a caller may not set: each is the connection's own (the live-write guard checks what they say).
_RESERVED_HEADERS = {
    "authorization": "it carries the connection's own key or token; connect with the other key instead",
    "x-paragon-credential": "choose the connected account with selected_credential_id=… (session.request: credential=…)",
    "stripe-account": "act as a connected account with account=… (the client's stripe_account)",
    "stripe-version": "pin the API version with connect(stripe_version=…) or client.stripe_version",
}

logger = logging.getLogger("paragon_magic.client")
install_httpx_log_filter()  # httpx's INFO line of each of our requests shows its URL masked


@dataclass(frozen=True)
class StripeResponse:
    """A successful Stripe response: payload already unwrapped by the backend."""

    status: int
    data: Any
    headers: httpx.Headers
    request_id: str | None
    idempotent_replayed: bool

    @property
    def server_time(self) -> str | None:
        """When the server answered, by its own clock (the ``Date`` header; on the sandbox, its clock, which
        may be frozen in the past), as UTC ISO 8601; None without a readable ``Date``."""
        return server_time(self.headers)


def server_time(headers: Mapping[str, str]) -> str | None:
    """The ``Date`` header of a response as UTC ISO 8601 (None if missing or unreadable)."""
    value = headers.get("date")
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(datetime.timezone.utc).isoformat(timespec="milliseconds")


class ClientCore:
    """Configuration shared by :class:`StripeClient` and :class:`AsyncStripeClient`."""

    def __init__(
        self,
        backend: Backend,
        *,
        stripe_version: str | None,
        stripe_account: str | None,
        retry: RetryPolicy | None,
        rate_limiter: RateLimiter | None,
        timeout: float,
    ) -> None:
        self.backend = backend
        self.stripe_version = stripe_version
        self.stripe_account = stripe_account
        self.retry = retry if retry is not None else RetryPolicy()
        self.rate_limiter = rate_limiter if rate_limiter is not None else WindowPacer.for_mode(backend.mode)
        self.timeout = timeout

    def build_request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        stripe_account: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Request:
        """The exact request ``request()`` would send (POSTs get a fresh idempotency key if none given)."""
        method = method.upper()
        url = self.backend.url(check_request_path(path))
        content: bytes | None = None
        all_headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **self.backend.auth_headers()}
        if self.stripe_version:
            all_headers["Stripe-Version"] = self.stripe_version
        account = stripe_account or self.stripe_account
        if account:
            all_headers["Stripe-Account"] = account
        if method in _BODY_METHODS:
            content, all_headers["Content-Type"] = self.backend.encode_body(params or {})
        elif params:
            url += ("&" if "?" in url else "?") + encode_form(params)
        if method == "POST":
            all_headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        elif idempotency_key:
            all_headers["Idempotency-Key"] = idempotency_key
        all_headers.update(check_caller_headers(headers))
        for name, value in all_headers.items():  # HTTP allows printable ASCII only; say so before sending
            if isinstance(value, str) and not (value.isascii() and value.isprintable()):
                raise UsageError(f"the {name} header must be printable ASCII text (letters, digits, punctuation)")
        timeout = httpx.Timeout(self.timeout).as_dict()
        try:
            return httpx.Request(method, url, headers=all_headers, content=content, extensions={"timeout": timeout})
        except httpx.InvalidURL as exc:  # e.g. a huge GET parameter: say so instead of an httpx traceback
            raise UsageError(f"cannot send this {method} request: {exc} (its parameters go in the URL; shorten them)") from None

    def start(self, method: str, path: str, params: Mapping[str, Any] | None = None, **options: Any) -> Call:
        """Begin one logical request (possibly several attempts)."""
        return Call(self, self.build_request(method, path, params, **options))

    def describe(self) -> str:
        account = f", stripe_account={self.stripe_account!r}" if self.stripe_account else ""
        return f"{self.backend!r}, stripe_version={self.stripe_version!r}{account}"


class ClientBase:
    """What the sync and async clients share: configuration, dry runs, repr. They add only the I/O loop."""

    def __init__(
        self,
        backend: Backend,
        *,
        stripe_version: str | None = DEFAULT_STRIPE_VERSION,
        stripe_account: str | None = None,
        retry: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        timeout: float = 30.0,
    ) -> None:
        self._core = ClientCore(
            backend,
            stripe_version=stripe_version,
            stripe_account=stripe_account,
            retry=retry,
            rate_limiter=rate_limiter,
            timeout=timeout,
        )

    @property
    def backend(self) -> Backend:
        return self._core.backend

    @property
    def rate_limiter(self) -> RateLimiter:
        return self._core.rate_limiter

    @property
    def retry(self) -> RetryPolicy:
        return self._core.retry

    @property
    def stripe_version(self) -> str | None:
        return self._core.stripe_version

    @stripe_version.setter
    def stripe_version(self, version: str | None) -> None:
        """Pin another API version from the next request on (``None``: the account's default)."""
        self._core.stripe_version = version

    @property
    def stripe_account(self) -> str | None:
        return self._core.stripe_account

    @property
    def timeout(self) -> float:
        return self._core.timeout

    def settings(self) -> dict[str, Any]:
        """Keyword arguments that build another client like this one (sharing its limiter and retries)."""
        return dict(stripe_version=self.stripe_version, stripe_account=self.stripe_account, retry=self.retry,
                    rate_limiter=self.rate_limiter, timeout=self.timeout)

    def build_request(
        self, method: str, path: str, params: Mapping[str, Any] | None = None, **options: Any
    ) -> httpx.Request:
        """The request ``request()`` would send (for ``--dry-run``; its Authorization header holds the
        secret, so show it masked). Options as for ``request()``."""
        return self._core.build_request(method, path, params, **options)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._core.describe()})"


class Call:
    """One logical request: its fixed ``httpx.Request`` (same idempotency key on every attempt) and state."""

    def __init__(self, core: ClientCore, request: httpx.Request) -> None:
        self.core = core
        self.request = request
        self.attempts = 0
        self._started = core.retry.clock()

    def begin_attempt(self, granted: float | None = None, *, is_async: bool = False) -> None:
        """Count an attempt; ``granted`` (the rate limiter's handle) is reported back to the limiter
        when the request really leaves, after any connection setup (an httpcore ``trace`` hook)."""
        self.attempts += 1
        sent = getattr(self.core.rate_limiter, "sent", None)
        if granted is None or sent is None:
            self.request.extensions.pop("trace", None)
            return

        def on_trace(event: str, info: Any) -> None:
            if event.endswith("send_request_headers.started"):
                sent(granted)

        async def on_trace_async(event: str, info: Any) -> None:
            on_trace(event, info)

        self.request.extensions["trace"] = on_trace_async if is_async else on_trace

    def on_response(self, response: httpx.Response) -> StripeResponse | StripeError:
        """Turn a received response into a :class:`StripeResponse` or the error to raise/retry."""
        request_id = response.headers.get("request-id")
        logger.debug(
            "%s %s -> %s (request %s, attempt %d)",
            self.request.method, mask_url(self.request.url.path), response.status_code, request_id, self.attempts,
        )
        body = _parse_body(response)
        if response.status_code == 429 and _about_the_rate(response.headers, body):
            self.core.rate_limiter.throttled()
        try:
            data = self.core.backend.interpret(response.status_code, body, response.headers)
        except StripeError as error:
            return error
        return StripeResponse(
            status=response.status_code,
            data=data,
            headers=response.headers,
            request_id=request_id,
            idempotent_replayed=response.headers.get("idempotent-replayed", "").lower() == "true",
        )

    def on_transport_error(self, exc: httpx.TransportError) -> APIConnectionError:
        """The error for an attempt that got no response (refused, reset, timed out, ...)."""
        kind = "Timed out talking to" if isinstance(exc, httpx.TimeoutException) else "Could not reach"
        detail = self.core.backend.scrub(str(exc) or type(exc).__name__)
        logger.debug(
            "%s %s -> %s (attempt %d)", self.request.method, mask_url(self.request.url.path), type(exc).__name__,
            self.attempts,
        )
        host = f"{self.request.url.scheme}://{self.request.url.netloc.decode('ascii')}"
        return APIConnectionError(f"{kind} {host}: {type(exc).__name__}: {detail}")

    def retry_delay(self, error: StripeError) -> float | None:
        """Seconds to wait before retrying, or ``None`` when ``error`` should be raised now."""
        elapsed = self.core.retry.clock() - self._started
        delay = self.core.retry.next_delay(error, self.attempts, elapsed)
        if delay is not None:
            logger.debug("retrying %s %s in %.3fs", self.request.method, mask_url(self.request.url.path), delay)
        return delay

    def give_up(self, error: StripeError) -> StripeError:
        """``error``, annotated with the number of attempts made."""
        error.attempts = self.attempts
        return error


def check_caller_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """``headers`` as a dict, or a one-line ``UsageError`` when one of them is the connection's own
    (``Authorization``, ``X-Paragon-Credential``, ``Stripe-Account``, ``Stripe-Version``): a caller's
    value would replace what the live-write guard checked, so each is refused, naming the option."""
    given = dict(headers or {})
    for name in given:
        reason = _RESERVED_HEADERS.get(str(name).strip().lower())
        if reason is not None:
            raise UsageError(f"the {str(name).strip()} header cannot be set per request: {reason}", field="headers")
    return given


def _about_the_rate(headers: httpx.Headers, body: Any) -> bool:
    """Whether a 429 is about the request rate (Stripe also answers 429 ``lock_timeout`` when an
    object is busy, which slowing down everything would not help)."""
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return bool(headers.get("stripe-rate-limited-reason")) or code != "lock_timeout"


def _parse_body(response: httpx.Response) -> Any:
    text = response.text
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
