"""Talking to localstripe from the front layer: forwarding, error translation, backdated timestamps."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from .errors import (
    PREFIX_NOUNS,
    RESOURCE_NOUNS,
    StripeErrorResponse,
    missing_param,
    no_such,
    unknown_param,
    unrecognized_url,
)

#: The one key the front layer uses upstream, whatever key the caller presented.
UPSTREAM_KEY = "sk_test_localstripeUpstream0000"

#: (method, path pattern) -> required params, checked in order (localstripe answers a bare 400).
REQUIRED_PARAMS: list[tuple[str, re.Pattern[str], tuple[str, ...]]] = [
    ("POST", re.compile(r"^/v1/products$"), ("name",)),
    ("POST", re.compile(r"^/v1/plans$"), ("currency", "interval", "product")),
    ("POST", re.compile(r"^/v1/subscriptions$"), ("customer",)),
    ("POST", re.compile(r"^/v1/charges$"), ("amount", "currency")),
    ("POST", re.compile(r"^/v1/payment_intents$"), ("amount", "currency")),
    ("POST", re.compile(r"^/v1/invoiceitems$"), ("customer",)),
    ("POST", re.compile(r"^/v1/tax_rates$"), ("display_name", "inclusive", "percentage")),
    ("POST", re.compile(r"^/v1/coupons$"), ("duration",)),
    ("POST", re.compile(r"^/v1/customers/[^/]+/sources$"), ("source",)),
    ("POST", re.compile(r"^/v1/refunds$"), ("charge",)),
]


def check_required(method: str, path: str, form: Mapping[str, str]) -> None:
    """Raise 400 ``parameter_missing`` naming the first missing required param."""
    present = {key.split("[", 1)[0] for key in form}
    for want_method, pattern, params in REQUIRED_PARAMS:
        if method == want_method and pattern.match(path):
            if path == "/v1/refunds" and "payment_intent" in present:
                return
            for param in params:
                if param not in present:
                    raise missing_param(param)


#: Timestamp fields ``/_sandbox/backdate`` may override besides ``created``.
BACKDATABLE_FIELDS = frozenset({
    "canceled_at", "ended_at", "start_date", "cancel_at", "trial_start", "trial_end",
    "current_period_start", "current_period_end", "billing_cycle_anchor", "available_on",
})  # fmt: skip


def mark_live(data: Any) -> Any:
    """A copy of ``data`` with every ``livemode`` true: what Stripe answers a live key (localstripe says false)."""
    if isinstance(data, list):
        return [mark_live(item) for item in data]
    if isinstance(data, dict):
        return {key: True if key == "livemode" else mark_live(value) for key, value in data.items()}
    return data


def apply_backdates(
    data: Any,
    backdates: Mapping[str, int],
    fields: Mapping[str, Mapping[str, int | None]] | None = None,
) -> Any:
    """A copy of ``data`` where every backdated object carries the overridden ``created`` and, for ids
    in ``fields``, the overridden timestamp fields (only fields the object has)."""
    if not backdates and not fields:
        return data
    if isinstance(data, list):
        return [apply_backdates(item, backdates, fields) for item in data]
    if isinstance(data, dict):
        out = {key: apply_backdates(value, backdates, fields) for key, value in data.items()}
        obj_id = out.get("id")
        if isinstance(obj_id, str):
            if obj_id in backdates and "created" in out:
                out["created"] = backdates[obj_id]
            for name, value in (fields or {}).get(obj_id, {}).items():
                if name in out:
                    out[name] = value
        return out
    return data


@dataclass
class UpstreamReply:
    status: int
    data: Any  # parsed JSON, or None when upstream did not answer JSON


class Upstream:
    """An aiohttp client for the localstripe child, always authenticating with ``UPSTREAM_KEY``."""

    def __init__(self, base_url: str, secret: str = "") -> None:
        self.base_url = base_url.rstrip("/")
        self._secret = secret  # the localstripe child answers only requests carrying it
        self._session: aiohttp.ClientSession | None = None
        self.calls = 0

    async def start(self) -> None:
        from .._child import UPSTREAM_HEADER

        self._session = aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {UPSTREAM_KEY}", UPSTREAM_HEADER: self._secret},
            timeout=aiohttp.ClientTimeout(total=300),
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def call(
        self,
        method: str,
        path: str,
        *,
        query: str | list[tuple[str, str]] = "",
        body: bytes | None = None,
        content_type: str | None = None,
    ) -> UpstreamReply:
        assert self._session is not None, "Upstream.start() was not awaited"
        self.calls += 1
        headers = {"Content-Type": content_type} if content_type and body else {}
        async with self._session.request(
            method, self.base_url + path, params=query or None, data=body or None, headers=headers
        ) as resp:
            raw = await resp.read()
            try:
                data = json.loads(raw) if raw else None
            except ValueError:
                data = None
            if not resp.content_type.endswith("json"):
                data = None
            return UpstreamReply(resp.status, data)

    async def get(self, path: str) -> Any:
        """The object at ``path`` (parsed JSON), or None when localstripe has no such object."""
        reply = await self.call("GET", path)
        return reply.data if reply.status == 200 else None

    async def exists(self, collection: str, obj_id: str) -> bool:
        reply = await self.call("GET", f"/v1/{collection}/{obj_id}")
        return reply.status != 404

    async def fetch_list(self, path: str, params: list[tuple[str, str]]) -> list[dict[str, Any]]:
        reply = await self.call("GET", path, query=params)
        if reply.status != 200 or not isinstance(reply.data, dict):
            raise StripeErrorResponse(
                500, "The sandbox could not read its store.", type="api_error"
            )
        return list(reply.data.get("data", []))

    async def translate_error(
        self, method: str, path: str, form: Mapping[str, str], reply: UpstreamReply
    ) -> StripeErrorResponse:
        """Turn localstripe's bare ``{"error": {"message": ...}}`` into Stripe's shape."""
        if not isinstance(reply.data, dict) or "error" not in reply.data:
            if reply.status in (404, 405):
                return unrecognized_url(method, path)
            return StripeErrorResponse(reply.status, "Unexpected sandbox error.", type="api_error")
        err = reply.data["error"] or {}
        message = str(err.get("message") or "Bad request")
        if reply.status == 404 and message == "Not Found":
            return await self._missing_resource(method, path, form)
        if reply.status == 400 and message.startswith("Unexpected "):
            return unknown_param(message[len("Unexpected ") :].split(",")[0].strip())
        if path == "/v1/subscriptions" and method == "POST" and message == "Bad request" and not any(
            key.startswith("items[") or key in ("plan", "price") for key in form
        ):
            return missing_param("items")
        if message == "This customer has no payment method":
            return StripeErrorResponse(
                400,
                "This customer has no attached payment source or default payment method. "
                "Please consider adding a default payment method.",
                param="customer",
            )
        error = StripeErrorResponse(
            reply.status,
            message,
            # localstripe labels every error invalid_request_error; Stripe's 402s are card errors.
            type="card_error" if reply.status == 402 else str(err.get("type") or "invalid_request_error"),
            code=err.get("code"),
            param=err.get("param"),
        )
        error.extra = {k: v for k, v in err.items() if k in ("decline_code", "charge", "payment_intent")}
        return error

    async def _missing_resource(
        self, method: str, path: str, form: Mapping[str, str]
    ) -> StripeErrorResponse:
        parts = [p for p in path.split("/") if p]
        candidates: list[tuple[str, str, str, str]] = []  # (noun, collection, id, param)
        if parts[1:3] == ["balance", "history"] and len(parts) >= 4:
            candidates.append(("balance transaction", "balance_transactions", parts[3], "id"))
        elif len(parts) >= 3 and parts[1] in RESOURCE_NOUNS:
            candidates.append((RESOURCE_NOUNS[parts[1]], parts[1], parts[2], "id"))
        for param, value in form.items():
            for prefix, (noun, collection) in PREFIX_NOUNS.items():
                if value.startswith(prefix) and not value.startswith("pm_card_"):
                    candidates.append((noun, collection, value, param))
        if parts[1:2] == ["subscriptions"]:
            for param, value in form.items():
                if re.match(r"^(items\[\d+\]\[)?plan\]?$", param):
                    candidates.append(("plan", "plans", value, param))
        for noun, collection, obj_id, param in candidates:
            if not await self.exists(collection, obj_id):
                return no_such(noun, obj_id, param=param)
        if candidates:
            noun, _, obj_id, param = candidates[0]
            return no_such(noun, obj_id, param=param)
        return StripeErrorResponse(404, "Resource not found.", code="resource_missing")
