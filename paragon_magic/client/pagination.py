"""Cursor walking over Stripe lists (``starting_after``/``ending_before``) and searches (``page``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._base import StripeResponse

__all__ = ["PageWalk", "DEFAULT_PAGE_SIZE"]

DEFAULT_PAGE_SIZE = 100


class PageWalk:
    """State of one walk: which params to request next and which objects to hand out.

    Page size is ``params["limit"]`` (default 100), shrunk on the last page so at most ``max_objects``
    are fetched. A list with ``ending_before`` walks backwards, as stripe-python does.
    """

    def __init__(self, params: Mapping[str, Any] | None, max_objects: int | None) -> None:
        self._params = dict(params or {})
        self._page_size = int(self._params.get("limit") or DEFAULT_PAGE_SIZE)
        self._backwards = "ending_before" in self._params
        self._max = max_objects
        self.count = 0
        self._done = max_objects is not None and max_objects <= 0

    def next_params(self) -> dict[str, Any] | None:
        """Params of the next page, or ``None`` when the walk is over."""
        if self._done:
            return None
        params = dict(self._params)
        limit = self._page_size if self._max is None else min(self._page_size, self._max - self.count)
        params["limit"] = limit
        return params

    def advance(self, response: StripeResponse) -> list[dict[str, Any]]:
        """Record a fetched page; return its objects (trimmed to ``max_objects``)."""
        page = response.data if isinstance(response.data, dict) else {}
        objects = list(page.get("data") or [])
        if self._max is not None:
            objects = objects[: self._max - self.count]
        self.count += len(objects)
        if page.get("object") == "search_result":
            next_page = page.get("next_page")
            self._done = not (page.get("has_more") and next_page and objects)  # an empty page never loops
            self._params["page"] = next_page
        else:
            self._done = not (page.get("has_more") and objects)
            if objects:
                cursor = "ending_before" if self._backwards else "starting_after"
                self._params[cursor] = objects[0 if self._backwards else -1]["id"]
        if self._max is not None and self.count >= self._max:
            self._done = True
        return objects
