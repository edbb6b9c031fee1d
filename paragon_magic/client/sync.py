"""The blocking client."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

from ._base import DEFAULT_STRIPE_VERSION, ClientBase, StripeResponse
from .backends import Backend
from .bases import uses_environment_proxies
from .redaction import sending
from .errors import StripeError
from .pagination import PageWalk
from .ratelimit import RateLimiter
from .retry import RetryPolicy
from .tls import shared_tls_context

__all__ = ["StripeClient"]


class StripeClient(ClientBase):
    """Blocking Stripe client: rate-limited, retrying, idempotent POSTs, typed errors."""

    def __init__(
        self,
        backend: Backend,
        *,
        stripe_version: str | None = DEFAULT_STRIPE_VERSION,
        stripe_account: str | None = None,
        retry: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        event_hooks: Mapping[str, list[Callable[..., Any]]] | None = None,
    ) -> None:
        super().__init__(
            backend,
            stripe_version=stripe_version,
            stripe_account=stripe_account,
            retry=retry,
            rate_limiter=rate_limiter,
            timeout=timeout,
        )
        self._http = httpx.Client(
            transport=transport, timeout=timeout, follow_redirects=False, event_hooks=dict(event_hooks or {}),
            verify=shared_tls_context(), trust_env=uses_environment_proxies(backend.base_url),
        )

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        stripe_account: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> StripeResponse:
        """Send one logical request, retrying per the policy; raise a :class:`StripeError` on failure."""
        call = self._core.start(
            method, path, params, idempotency_key=idempotency_key, stripe_account=stripe_account, headers=headers
        )
        while True:
            granted = self._core.rate_limiter.acquire()
            call.begin_attempt(granted)
            try:
                with sending():
                    response = self._http.send(call.request)
            except httpx.TransportError as exc:
                outcome: StripeResponse | StripeError = call.on_transport_error(exc)
                cause: BaseException | None = exc
            else:
                outcome, cause = call.on_response(response), None
            if isinstance(outcome, StripeResponse):
                return outcome
            delay = call.retry_delay(outcome)
            if delay is None:
                raise call.give_up(outcome) from cause
            self._core.retry.sleep(delay)

    def iter_pages(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        max_objects: int | None = None,
        stripe_account: str | None = None,
    ) -> Iterator[StripeResponse]:
        """Each page of a list (``starting_after`` cursor walk), up to ``max_objects`` objects in all."""
        for response, _ in self._walk(path, params, max_objects, stripe_account):
            yield response

    def iter_objects(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        max_objects: int | None = None,
        stripe_account: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Each object of a list, across pages, up to ``max_objects``."""
        for _, objects in self._walk(path, params, max_objects, stripe_account):
            yield from objects

    def _walk(
        self, path: str, params: Mapping[str, Any] | None, max_objects: int | None, stripe_account: str | None
    ) -> Iterator[tuple[StripeResponse, list[dict[str, Any]]]]:
        walk = PageWalk(params, max_objects)
        while (page_params := walk.next_params()) is not None:
            response = self.request("GET", path, page_params, stripe_account=stripe_account)
            yield response, walk.advance(response)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> StripeClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
