"""``GET /v1/{resource}/search``: Stripe's search endpoints over the front layer's list collections.

The query language is :mod:`search_query`; the objects come from the same cached collections
as the lists (:class:`lists.ListCache`). Results are newest first; ``next_page`` is an opaque token naming the last object returned.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import StripeErrorResponse, missing_param, unknown_param
from .list_query import as_int, parse_bracketed
from .list_specs import dig, find_list_spec, invoice_subscription, ref_id
from .lists import ListState, Ordered
from .search_query import FieldKinds, SearchQuery, SearchQueryError, parse_query

_CARD = "payment_method_details.card."
Derived = Mapping[str, Callable[[dict[str, Any]], Any]]


@dataclass(frozen=True)
class SearchResource:
    """A searchable resource: its list path (the collection), query fields and derived values."""

    list_path: str
    fields: FieldKinds
    derived: Derived = field(default_factory=dict)

    def get(self, obj: dict[str, Any], name: str, metadata_key: str | None) -> Any:
        if metadata_key is not None:
            metadata = obj.get("metadata")
            return metadata.get(metadata_key) if isinstance(metadata, dict) else None
        if name in self.derived:
            return self.derived[name](obj)
        return ref_id(dig(obj, name))


SEARCH_RESOURCES: dict[str, SearchResource] = {
    "customers": SearchResource(
        "/v1/customers",
        {"created": "timestamp", "email": "string", "name": "string", "phone": "string"},
    ),
    "charges": SearchResource(
        "/v1/charges",
        {"amount": "numeric", "billing_details.address.postal_code": "string", "created": "timestamp",
         "currency": "token", "customer": "token", "disputed": "boolean", "refunded": "boolean",
         "status": "token", _CARD + "last4": "token", _CARD + "exp_month": "numeric",
         _CARD + "exp_year": "numeric", _CARD + "brand": "token", _CARD + "fingerprint": "token"},
        {"disputed": lambda o: bool(o.get("disputed")), "refunded": lambda o: bool(o.get("refunded"))},
    ),
    "invoices": SearchResource(
        "/v1/invoices",
        {"created": "timestamp", "currency": "token", "customer": "token",
         "last_finalization_error_code": "token", "last_finalization_error_type": "token",
         "number": "string", "receipt_number": "string", "status": "token", "subscription": "token",
         "total": "numeric"},
        {"subscription": invoice_subscription,
         "last_finalization_error_code": lambda o: dig(o, "last_finalization_error.code"),
         "last_finalization_error_type": lambda o: dig(o, "last_finalization_error.type")},
    ),
    "subscriptions": SearchResource("/v1/subscriptions", {"created": "timestamp", "status": "token"}),
    "prices": SearchResource(
        "/v1/prices",
        {"active": "boolean", "currency": "token", "lookup_key": "string", "product": "token", "type": "token"},
        {"type": lambda o: o.get("type") or ("recurring" if o.get("recurring") else "one_time")},
    ),
    "products": SearchResource(
        "/v1/products",
        {"active": "boolean", "description": "string", "name": "string", "shippable": "boolean", "url": "string"},
    ),
    "payment_intents": SearchResource(
        "/v1/payment_intents",
        {"amount": "numeric", "created": "timestamp", "currency": "token", "customer": "token", "status": "token"},
    ),
}  # fmt: skip

_PARAMS = frozenset({"query", "limit", "page", "expand"})


def _query_error(message: str) -> StripeErrorResponse:
    return StripeErrorResponse(400, message, param="query")


def _invalid_page() -> StripeErrorResponse:
    return StripeErrorResponse(
        400, "Invalid page: use the `next_page` value of a previous search with the same query.", param="page"
    )


def page_token(query: str, last: dict[str, Any], created: int) -> str:
    """Opaque ``next_page``: which query it continues and the last object returned."""
    payload = {"q": hashlib.sha256(query.encode()).hexdigest()[:16], "id": last["id"], "created": created}
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


def _start_after(token: str, query: str, ordered: Ordered) -> int:
    """Index in ``ordered`` where the page named by ``token`` starts."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode()))
        query_hash, last_id, created = payload["q"], str(payload["id"]), int(payload["created"])
    except (ValueError, TypeError, KeyError):
        raise _invalid_page() from None
    if query_hash != hashlib.sha256(query.encode()).hexdigest()[:16]:
        raise _invalid_page()
    if last_id in ordered.position:
        return ordered.position[last_id] + 1
    # The last object is gone: continue with what is older than it.
    return next((i for i, o in enumerate(ordered.objects) if ordered.created[o["id"]] < created), len(ordered.objects))  # fmt: skip


@dataclass
class SearchRequest:
    query: str
    limit: int
    page: str | None
    expand: tuple[str, ...]
    total_count: bool


def parse_search_params(pairs: list[tuple[str, str]]) -> SearchRequest:
    params = parse_bracketed(pairs)
    for name in params:
        if name not in _PARAMS:
            raise unknown_param(name)
    query = params.get("query")
    if not isinstance(query, str) or not query.strip():
        raise missing_param("query")
    limit = as_int(params.get("limit", 10), "limit")
    if not 1 <= limit <= 100:
        raise StripeErrorResponse(
            400, f"Invalid limit: must be between 1 and 100 (got {limit})",
            code="parameter_invalid_integer", param="limit",
        )  # fmt: skip
    expand = params.get("expand", [])
    expand = tuple(expand if isinstance(expand, list) else [expand])
    page = params.get("page")
    if page is not None and not isinstance(page, str):
        raise _invalid_page()
    return SearchRequest(query, limit, page or None, tuple(e for e in expand if e != "total_count"), "total_count" in expand)  # fmt: skip


def search_page(
    resource: str, spec: SearchResource, query: SearchQuery, request: SearchRequest,
    objects: list[dict[str, Any]], ordered: Ordered,
) -> dict[str, Any]:  # fmt: skip
    """One ``search_result`` page over ``objects`` (``ordered.objects``, possibly enriched)."""
    start = _start_after(request.page, request.query, ordered) if request.page else 0
    hits = [i for i, obj in enumerate(objects) if query.matches(obj, spec.get)]
    after = [i for i in hits if i >= start]
    data = [objects[i] for i in after[: request.limit]]
    has_more = len(after) > request.limit
    result: dict[str, Any] = {
        "object": "search_result",
        "data": data,
        "has_more": has_more,
        "next_page": page_token(request.query, data[-1], ordered.created[data[-1]["id"]]) if has_more else None,
        "url": f"/v1/{resource}/search",
    }
    if request.total_count:
        result["total_count"] = len(hits)
    return result


def answer_search(state: ListState, path: str, pairs: list[tuple[str, str]]) -> dict[str, Any] | None:
    """The ``search_result`` for ``GET path?pairs``, or None when ``path`` is not a search served here."""
    parts = [p for p in path.split("/") if p]
    if len(parts) != 3 or parts[0] != "v1" or parts[2] != "search" or parts[1] not in SEARCH_RESOURCES:
        return None
    resource = SEARCH_RESOURCES[parts[1]]
    list_spec = find_list_spec(resource.list_path)
    assert list_spec is not None
    request = parse_search_params(pairs)
    try:
        query = parse_query(request.query, resource.fields, parts[1])
    except SearchQueryError as exc:
        raise _query_error(str(exc)) from None
    ordered = state.lists.ordered(list_spec, state.collection, state.version)
    return search_page(parts[1], resource, query, request, ordered.objects, ordered)
