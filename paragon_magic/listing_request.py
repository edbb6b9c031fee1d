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
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .client.pagination import PageWalk
from .frames import FrameBuilder, to_frame
from .listing import ListingInterrupted, ListOutcome, _progress_bar

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
    """GET every page of ``path`` (up to ``limit`` rows) into one typed frame.

    If the first answer is not a list or search result it is returned as ``response`` untouched.
    """
    walk = PageWalk(first_page_params(params, limit, page_size), limit)
    builder = FrameBuilder(None, keep_raw=keep_raw)
    outcome = ListOutcome()
    bar = _progress_bar(progress, limit, path.rstrip("/").rsplit("/", 1)[-1])
    try:
        while (page_params := walk.next_params()) is not None:
            response = client.request("GET", path, page_params, stripe_account=stripe_account,
                                      headers=dict(headers or {}))
            if not _is_page(response.data):
                return RequestWalk(None, outcome, response)
            objects = walk.advance(response)
            builder.add_page(objects)
            outcome.pages += 1
            if response.request_id:
                outcome.request_ids.append(response.request_id)
            if objects and outcome.livemode is None:
                outcome.livemode = objects[0].get("livemode")
            bar.update(len(objects))
            bar.set_postfix(pages=outcome.pages, refresh=False)
    except KeyboardInterrupt:
        outcome.complete = False
        warnings.warn(
            f"request interrupted: returning the {builder.rows} rows fetched so far "
            f"(df.attrs['stripe']['complete'] is False)",
            ListingInterrupted,
            stacklevel=2,
        )
    finally:
        bar.close()
    return RequestWalk(builder.build(release=True), outcome)
