"""``request`` pages like the list actions: a GET answered by a ``list`` or a ``search_result`` walks every page.

Lists are walked with ``starting_after`` cursors, search results with ``page``/``next_page`` (both by the
client's :class:`~paragon_magic.client.pagination.PageWalk`, which reads the answer's ``object``). Pages
hold at most ``page_size`` (≤ 100) objects; ``limit`` is the total number of rows and is never sent to
Stripe as a page size. Ctrl-C keeps the rows fetched so far and marks the outcome incomplete.

Whether a path answers with a list is decided before the first request (the first page must already
carry ``limit``, and Stripe rejects ``limit`` on a single-object endpoint): the last path segment is
a plural collection name (``charges``, ``lines``, ``balance_transactions``) or ``search``, not an object
id (ids carry digits or capitals) and not one of the few singletons whose name ends in ``s``. Only ``/v1``
paths page; a ``/v2`` answer is returned as Stripe gives it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..client.pagination import PageWalk
from ..frames import to_frame
from .sequential import ListOutcome, list_sequential

__all__ = ["answers_a_list", "first_page_params", "walk_request", "answer_frame", "RequestWalk"]

#: Single-object GET endpoints whose last segment looks like a collection name.
_SINGLETONS = frozenset({"settings", "balance_settings", "status"})
#: Parents whose children are named, not id'd (``/v1/accounts/acct_1/capabilities/card_payments``).
_NAMED_CHILDREN = frozenset({"capabilities"})
_COLLECTION = re.compile(r"[a-z_]+s|search|history")


def answers_a_list(path: str) -> bool:
    """Whether ``GET path`` answers with a page of objects (a list or a search result)."""
    segments = [s for s in path.split("?", 1)[0].split("/") if s]
    if len(segments) < 2 or segments[0] != "v1":  # v2 lists page by next_page_url: one request as given
        return False
    last, parent = segments[-1], segments[-2]
    return bool(_COLLECTION.fullmatch(last)) and last not in _SINGLETONS and parent not in _NAMED_CHILDREN


def first_page_params(params: Mapping[str, Any], limit: int | None, page_size: int) -> dict[str, Any]:
    """The first page's params: the caller's, with ``limit`` = the page size (at most ``limit`` rows)."""
    return {**params, "limit": min(page_size, limit) if limit else page_size}


@dataclass
class RequestWalk:
    """What :func:`walk_request` got: ``frame`` for a list answer, else the single ``response``."""

    frame: pd.DataFrame | None
    outcome: ListOutcome
    response: Any = None  # the StripeResponse when the answer was not a page of objects


def _is_page(data: Any) -> bool:
    return isinstance(data, dict) and data.get("object") in {"list", "search_result"}


def answer_frame(data: Any, *, keep_raw: bool = False) -> tuple[pd.DataFrame, bool]:
    """One answer as a frame and whether it is complete: a page's objects (complete unless ``has_more``),
    one object, or one row of anything else."""
    if _is_page(data):
        objects = data.get("data") or []
        object_type = objects[0].get("object") if objects else None
        return to_frame(objects, object_type, keep_raw=keep_raw), not data.get("has_more", False)
    object_type = data.get("object") if isinstance(data, dict) else None
    return to_frame([data if isinstance(data, dict) else {"value": data}], object_type, keep_raw=keep_raw), True


class _NotAPage(Exception):
    """The first answer was one object, not a page: hand it back as it is."""

    def __init__(self, response: Any) -> None:
        super().__init__("not a page")
        self.response = response


class _RequestPages:
    """The client as :func:`list_sequential` sees it: each page GET carries the request's own headers, and a
    first answer that is not a list or search result stops the walk with :class:`_NotAPage`."""

    def __init__(self, client: Any, headers: Mapping[str, str]) -> None:
        self._client, self._headers = client, dict(headers)

    def iter_pages(self, path: str, params: Mapping[str, Any], *, max_objects: int | None,
                   stripe_account: str | None) -> Iterator[Any]:
        walk = PageWalk(params, max_objects)
        while (page_params := walk.next_params()) is not None:
            response = self._client.request("GET", path, page_params, stripe_account=stripe_account,
                                            headers=self._headers)
            if not _is_page(response.data):
                raise _NotAPage(response)
            walk.advance(response)
            yield response


def walk_request(
    client: Any,
    path: str,
    params: Mapping[str, Any],
    *,
    limit: int | None,
    page_size: int = 100,
    progress: bool = True,
    stripe_account: str | None = None,
    headers: Mapping[str, str] | None = None,
    keep_raw: bool = False,
) -> RequestWalk:
    """GET every page of ``path`` (up to ``limit`` rows) into one frame typed by the objects' ``object``.

    The walk is :func:`~paragon_magic.listing.list_sequential`'s (progress bar, Ctrl-C keeps the rows with
    ``complete=False``). If the first answer is not a list or search result it is returned as ``response``.
    """
    try:
        frame, outcome = list_sequential(
            _RequestPages(client, headers or {}), path, dict(params), object_type=None, limit=limit,
            page_size=page_size, progress=progress, stripe_account=stripe_account, keep_raw=keep_raw,
        )
    except _NotAPage as single:
        return RequestWalk(None, ListOutcome(), single.response)
    return RequestWalk(frame, outcome)
