"""Reading a list's whole collection from localstripe where a plain ``?limit=<all>`` is not enough.

localstripe lists only pending invoice items, payment methods per customer, and subscription items
without their subscription; these collectors assemble the collection Stripe would list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from .errors import StripeErrorResponse, no_such

if TYPE_CHECKING:
    from .list_specs import ListSpec

FETCH_ALL = "1000000"


class UpstreamReader(Protocol):
    """What collectors need from :class:`proxy.Upstream`."""

    async def fetch_list(self, path: str, params: list[tuple[str, str]]) -> list[dict[str, Any]]: ...

    async def call(self, method: str, path: str, *, query: Any = "", body: bytes | None = None,
                   content_type: str | None = None) -> Any: ...  # fmt: skip


def ref_id(value: Any) -> Any:
    """An id from a reference that may be expanded (``{"id": ...}``)."""
    return value.get("id") if isinstance(value, dict) else value


def dig(obj: Any, path: str) -> Any:
    """``dig(obj, "a.b.c")``: nested lookup, None when any step is missing."""
    for part in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def line_invoice_item(line: dict[str, Any]) -> Any:
    return line.get("invoice_item") or ref_id(dig(line, "parent.invoice_item_details.invoice_item"))


async def collect_plain(upstream: UpstreamReader, spec: ListSpec, expand: tuple[str, ...], scope: str | None) -> list[dict[str, Any]]:  # fmt: skip
    params = [("limit", FETCH_ALL), *spec.upstream_params, *(("expand[]", e) for e in expand)]
    return await upstream.fetch_list(spec.upstream_path, params)


def _expand_params(expand: tuple[str, ...]) -> list[tuple[str, str]]:
    return [("expand[]", e) for e in expand]


async def collect_invoiceitems(upstream: UpstreamReader, spec: ListSpec, expand: tuple[str, ...], scope: str | None) -> list[dict[str, Any]]:  # fmt: skip
    """localstripe lists only pending items; the invoiced ones are found through invoice lines."""
    items = await upstream.fetch_list("/v1/invoiceitems", [("limit", FETCH_ALL), *_expand_params(expand)])
    seen = {item["id"] for item in items}
    for invoice in await upstream.fetch_list("/v1/invoices", [("limit", FETCH_ALL)]):
        lines = invoice.get("lines") or {}
        data = lines.get("data") or []
        if lines.get("has_more"):
            data = await upstream.fetch_list(f"/v1/invoices/{invoice['id']}/lines", [("limit", FETCH_ALL)])
        for line in data:
            item_id = line_invoice_item(line)
            if item_id and item_id not in seen:
                one = [("expand[]", e.removeprefix("data.")) for e in expand]  # expansions of one object
                reply = await upstream.call("GET", f"/v1/invoiceitems/{item_id}", query=one)
                if reply.status == 200 and isinstance(reply.data, dict):
                    items.append(reply.data)
                    seen.add(item_id)
    return items


async def collect_payment_methods(upstream: UpstreamReader, spec: ListSpec, expand: tuple[str, ...], scope: str | None) -> list[dict[str, Any]]:  # fmt: skip
    """localstripe lists payment methods per customer only (and cards only)."""
    if spec.upstream_path.startswith("/v1/customers/"):  # /v1/customers/{id}/payment_methods
        scope = spec.upstream_path.split("/")[3]
    if scope is not None:
        customers = [scope]
    else:
        customers = [c["id"] for c in await upstream.fetch_list("/v1/customers", [("limit", FETCH_ALL)])]
    methods: list[dict[str, Any]] = []
    for customer in customers:
        query = [("customer", customer), ("type", "card"), ("limit", FETCH_ALL), *_expand_params(expand)]
        reply = await upstream.call("GET", "/v1/payment_methods", query=query)
        if reply.status == 404 and scope is not None:
            raise no_such("customer", customer, param="customer")
        if reply.status == 200 and isinstance(reply.data, dict):
            methods += reply.data.get("data", [])
    return methods


async def collect_subscription_items(upstream: UpstreamReader, spec: ListSpec, expand: tuple[str, ...], scope: str | None) -> list[dict[str, Any]]:  # fmt: skip
    """localstripe's items do not export their subscription: read them off the subscription."""
    reply = await upstream.call("GET", f"/v1/subscriptions/{scope}", query=[("expand[]", f"items.{e}") for e in expand])  # fmt: skip
    if reply.status == 404:
        raise no_such("subscription", str(scope), param="subscription")
    items = dig(reply.data, "items.data") if reply.status == 200 else None
    return [{**item, "subscription": item.get("subscription") or scope} for item in items or []]


async def collect_invoice_lines(upstream: UpstreamReader, spec: ListSpec, expand: tuple[str, ...], scope: str | None) -> list[dict[str, Any]]:  # fmt: skip
    invoice_id = spec.upstream_path.split("/")[3]
    reply = await upstream.call("GET", spec.upstream_path, query=[("limit", FETCH_ALL), *_expand_params(expand)])
    if reply.status == 404:
        raise no_such("invoice", invoice_id)
    if reply.status != 200 or not isinstance(reply.data, dict):
        raise StripeErrorResponse(500, "The sandbox could not read its store.", type="api_error")
    return list(reply.data.get("data", []))
