"""Fetch every object of a list action into a DataFrame, page by page, with progress and Ctrl-C."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from tqdm.auto import tqdm  # at import, not in the first listing's time (importing it takes ~60 ms)

from ..frames import FrameBuilder


@dataclass
class ListOutcome:
    """What a listing fetched besides the rows."""

    request_ids: list[str] = field(default_factory=list)
    pages: int = 0
    complete: bool = True
    livemode: bool | None = None
    server_time: str | None = None  # when the first page was answered, by the server's clock (``Date``)


class ListingInterrupted(UserWarning):
    """Ctrl-C stopped a listing; the rows fetched so far were kept."""


def _progress_bar(enabled: bool, total: int | None, desc: str):
    # delay: a read that finishes within a second shows no bar (no leftover "0%" lines in saved notebooks)
    return tqdm(total=total, unit=" obj", desc=desc, disable=not enabled, leave=False, delay=1.0)


def list_sequential(
    client: Any,
    path: str,
    params: dict[str, Any],
    *,
    object_type: str,
    limit: int | None,
    page_size: int = 100,
    progress: bool = True,
    stripe_account: str | None = None,
    keep_raw: bool = False,
) -> tuple[pd.DataFrame, ListOutcome]:
    """Walk ``starting_after`` cursors until ``has_more`` is false or ``limit`` rows are in.

    Pages are converted to columns as they arrive. Ctrl-C keeps what was fetched, warns, and marks
    the outcome incomplete instead of losing the rows.
    """
    builder = FrameBuilder(object_type, keep_raw=keep_raw)
    outcome = ListOutcome()
    page_params = dict(params)
    page_params["limit"] = min(page_size, limit) if limit else page_size
    bar = _progress_bar(progress, limit, path.rsplit("/", 1)[-1])
    rows = 0
    try:
        for page in client.iter_pages(path, page_params, max_objects=limit, stripe_account=stripe_account):
            objects = list(page.data.get("data") or []) if isinstance(page.data, dict) else []
            if limit is not None:
                objects = objects[: max(limit - rows, 0)]
            builder.add_page(objects)
            rows += len(objects)
            outcome.pages += 1
            outcome.server_time = outcome.server_time or page.server_time
            if page.request_id:
                outcome.request_ids.append(page.request_id)
            if objects and outcome.livemode is None:
                outcome.livemode = objects[0].get("livemode")
            bar.update(len(objects))
            bar.set_postfix(pages=outcome.pages, refresh=False)
    except KeyboardInterrupt:
        outcome.complete = False
        warnings.warn(
            f"listing interrupted: returning the {rows} rows fetched so far "
            f"(df.attrs['stripe']['complete'] is False)",
            ListingInterrupted,
            stacklevel=2,
        )
    finally:
        bar.close()
    return builder.build(release=True), outcome
