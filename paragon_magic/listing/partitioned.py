"""List a large Stripe collection fast: concurrent ``created`` windows, same rows and order as a cursor walk.

The first page is fetched sequentially (newest first). If there is more, the rest of the range,
``[user's lower bound or -inf, created of the page's last object]``, becomes *streams*: contiguous,
non-overlapping ``created[gte]..created[lte]`` windows, each walked with ``starting_after`` cursors by its
own asyncio task. After every page a stream estimates (from the page's density) how many pages are left
below its cursor; if that is more than a few, it keeps the newest slice for itself (cursor intact) and
hands the older slices to new streams — Airbyte-style recursive time slicing that never re-fetches a
page. One-second windows are only ever walked by cursor, so any number of objects sharing one ``created``
second come out in the server's order.

Concatenating the streams newest-first, each in server order, is exactly the sequential walk: same set,
same order. Objects created while the listing runs are newer than the first page's cursor and so are
never included (as in a sequential walk). Requests go through the client's shared token bucket; an
AIMD limit on in-flight requests halves on every burst of 429s (which the client retries) and creeps
back up on success. Each stream converts its pages to columns as they arrive (no raw JSON is held).
"""

from __future__ import annotations

import asyncio
import math
import threading
import warnings
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..frames import FrameBuilder
from .sequential import ListingInterrupted, ListOutcome, _progress_bar, list_sequential
from .throttle import AdaptiveLimit, twin_async_client

__all__ = ["list_partitioned", "use_partitioned", "PartitionTuning", "PARTITION_MIN_LIMIT"]

#: Limits at or below this keep the simple sequential walk.
PARTITION_MIN_LIMIT = 1_000
#: 2011-01-01T00:00:00Z: doubling slices of an open range stop here (older objects: one tail window).
STRIPE_EPOCH = 1_293_840_000


@dataclass(frozen=True)
class PartitionTuning:
    """Knobs of the partitioned walk (defaults tuned on ``benchmarks/list_throughput.py``)."""

    window_pages: float = 12.0  # aim for windows of about this many pages
    max_split: int = 24  # at most this many slices per split
    even_slices: int = 6  # an open-below range starts with this many even slices before doubling ones
    concurrency: int = 16  # starting in-flight limit (AIMD moves it between 1 and max_concurrency)
    max_concurrency: int = 32


def use_partitioned(action: Any, params: Mapping[str, Any], limit: int | None) -> bool:
    """Whether a list call is worth partitioning: a ``created``-filterable list, a big or no ``limit``,
    no explicit cursor and no exact-second ``created``."""
    if action.param("created") is None or (limit is not None and limit <= PARTITION_MIN_LIMIT):
        return False
    if "starting_after" in params or "ending_before" in params:
        return False
    return params.get("created") is None or isinstance(params.get("created"), Mapping)


def _lower_bound(created: Any) -> int | None:
    if not isinstance(created, Mapping):
        return None
    bounds = [int(created["gte"])] if "gte" in created else []
    if "gt" in created:
        bounds.append(int(created["gt"]) + 1)
    return max(bounds) if bounds else None


@dataclass
class _Stream:
    """One contiguous ``created`` window ``[lo, hi]``, walked newest-first by cursor."""

    order: float  # newest-first sort key (its original upper bound; ranges never overlap)
    lo: int | None  # inclusive; None = no lower bound
    hi: int  # inclusive
    builder: FrameBuilder
    cursor: str | None = None
    deferred: bool = False  # only start once every newer stream is done (the tail past a ``limit``)
    done: bool = False
    pages: int = 0

    @property
    def rows(self) -> int:
        return self.builder.rows


@dataclass
class _Walk:
    """State shared by the stream tasks of one listing (touched only from its event loop thread)."""

    path: str
    params: dict[str, Any]
    object_type: str
    keep_raw: bool
    limit: int | None
    page_size: int
    stripe_account: str | None
    tuning: PartitionTuning
    bar: Any
    streams: list[_Stream] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    request_ids: list[str] = field(default_factory=list)
    livemode: bool | None = None

    def add_rows(self, stream: _Stream, objects: list[dict[str, Any]]) -> None:
        fresh = [o for o in objects if o.get("id") not in self.seen]
        self.seen.update(o.get("id") for o in fresh)
        stream.builder.add_page(fresh)
        stream.pages += 1
        if fresh and self.livemode is None:
            self.livemode = fresh[0].get("livemode")
        self.bar.update(len(fresh))
        self.bar.set_postfix(pages=sum(s.pages for s in self.streams), windows=len(self.streams), refresh=False)

    def rows_newer_than(self, stream: _Stream) -> int:
        return sum(s.rows for s in self.streams if s.order > stream.order)

    def new_stream(self, lo: int | None, hi: int, *, cursor: str | None = None, order: float | None = None,
                   deferred: bool = False) -> _Stream:
        builder = FrameBuilder(self.object_type, keep_raw=self.keep_raw)
        stream = _Stream(hi if order is None else order, lo, hi, builder, cursor=cursor, deferred=deferred)
        self.streams.append(stream)
        return stream

    def split(self, stream: _Stream, last: dict[str, Any], first: dict[str, Any], count: int) -> list[_Stream]:
        """After a page ending at ``last``: maybe hand older parts of ``stream``'s range to new streams.

        From the page's density, slices of about ``window_pages`` pages each are cut below the cursor
        (the newest stays with ``stream``); at most ``max_split - 1`` of them, then one tail stream for
        whatever is older (open below if ``stream`` was). Density near the cursor says little about the
        distant past, so the tail re-estimates from its own first page instead of being sliced blind.
        With a ``limit`` only what it probably needs is sliced and the tail waits until newer streams
        are done (and is skipped if they filled the limit).
        """
        newest = int(last["created"])
        if stream.lo is not None and newest - stream.lo < 1:
            return []  # one second: walk it by cursor
        density = count / max(1, int(first["created"]) - newest + 1)  # objects per second
        width = max(1, round(self.tuning.window_pages * self.page_size / density))  # seconds per slice
        pieces = self.tuning.max_split
        if self.limit is not None:
            wanted_pages = 1.5 * (self.limit - self.rows_newer_than(stream) - stream.rows) / self.page_size
            pieces = min(pieces, math.ceil(wanted_pages / self.tuning.window_pages))
        floor = stream.lo if stream.lo is not None else STRIPE_EPOCH
        if stream.lo is not None and density * (newest - floor) / self.page_size <= 1.5 * self.tuning.window_pages:
            return []  # a few pages: walking on beats a sliver of a window
        edges = [newest + 1]  # descending slice edges: even slices, then doubling ones, down to the floor
        while len(edges) <= pieces and edges[-1] > floor:
            step = width if len(edges) <= self.tuning.even_slices else 2 * (edges[-2] - edges[-1])
            edges.append(max(floor, edges[-1] - step))
        if len(edges) < 3:
            return []
        tail = None
        if stream.lo is None or edges[-1] > floor:  # older than the slices: one more stream, sized later
            tail = self.new_stream(stream.lo, edges[-1] - 1, deferred=self.limit is not None)
        children = [self.new_stream(edges[i + 1], edges[i] - 1) for i in range(1, len(edges) - 1)]
        stream.lo = edges[1]
        return children + ([tail] if tail else [])

    def window_params(self, stream: _Stream) -> dict[str, Any]:
        params = dict(self.params)
        created = {"lte": stream.hi}
        if stream.lo is not None:
            created["gte"] = stream.lo
        params["created"] = created
        params["limit"] = self.page_size
        if stream.cursor:
            params["starting_after"] = stream.cursor
        return params

    def wanted(self, stream: _Stream) -> bool:
        """False once newer rows (plus this stream's own) already fill ``limit``."""
        return self.limit is None or self.rows_newer_than(stream) + stream.rows < self.limit

    def finished_prefix(self) -> list[tuple[_Stream, int]]:
        """Streams newest-first with how many of their rows belong to the result (done ones, then the
        fetched rows of the first unfinished one: everything after it may have gaps)."""
        taken, budget = [], self.limit if self.limit is not None else math.inf
        for stream in sorted(self.streams, key=lambda s: s.order, reverse=True):
            take = int(min(stream.rows, budget))
            taken.append((stream, take))
            budget -= take
            if budget <= 0 or not stream.done:
                break
        return taken


class _Runner:
    """Runs one walk's stream tasks in a private event loop on a worker thread (so it also works inside a
    Jupyter kernel whose own loop is already running) and lets the caller's thread cancel it."""

    def __init__(self, walk: _Walk, template: Any) -> None:
        self.walk = walk
        self.template = template
        self.limiter = AdaptiveLimit(walk.tuning.concurrency, walk.tuning.max_concurrency)
        self.throttled = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task[None] | None = None
        self._progress: asyncio.Condition | None = None
        self._client: Any = None
        self._group: Any = None
        self._cancelled = False

    def run(self) -> None:
        """Walk every stream; raises the first error; ``KeyboardInterrupt`` stops it cleanly and re-raises."""
        result: Future[None] = Future()
        worker = threading.Thread(target=self._thread, args=(result,), name="paragon-magic-listing", daemon=True)
        worker.start()
        try:
            result.result()
        except KeyboardInterrupt:
            self.cancel()
            worker.join()
            raise

    def cancel(self) -> None:
        self._cancelled = True
        loop, main = self._loop, self._main
        if loop is not None and main is not None:
            try:
                loop.call_soon_threadsafe(main.cancel)
            except RuntimeError:  # the loop already finished
                pass

    def _thread(self, result: Future[None]) -> None:
        try:
            asyncio.run(self._main_coroutine())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            result.set_exception(exc)
        else:
            result.set_result(None)

    async def _main_coroutine(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._main = asyncio.current_task()
        self._progress = asyncio.Condition()
        if self._cancelled:
            return
        client = self._client = twin_async_client(self.template, self._on_429)
        try:
            async with asyncio.TaskGroup() as group:
                self._group = group
                for stream in list(self.walk.streams):
                    group.create_task(self._walk_stream(stream))
        except asyncio.CancelledError:
            pass  # Ctrl-C: the caller assembles what is finished
        except BaseExceptionGroup as errors:  # one stream failed: surface its error as such
            raise errors.exceptions[0] from None
        finally:
            await client.aclose()

    def _on_429(self) -> None:
        self.throttled += 1
        self.limiter.throttled()

    async def _walk_stream(self, stream: _Stream) -> None:
        walk, client = self.walk, self._client
        if stream.deferred:
            await self._wait_for_newer(stream)
        while walk.wanted(stream):
            async with self.limiter:
                response = await client.request(
                    "GET", walk.path, walk.window_params(stream), stripe_account=walk.stripe_account)
            self.limiter.succeeded()
            if response.request_id:
                walk.request_ids.append(response.request_id)
            page = response.data if isinstance(response.data, dict) else {}
            objects = list(page.get("data") or [])
            walk.add_rows(stream, objects)
            if not (page.get("has_more") and objects):
                break
            stream.cursor, stream.hi = objects[-1]["id"], int(objects[-1]["created"])
            for child in walk.split(stream, objects[-1], objects[0], len(objects)):
                self._group.create_task(self._walk_stream(child))
        stream.done = True  # only on a normal end: a cancelled stream's rows stop the result's prefix
        progress = self._progress
        assert progress is not None
        async with progress:
            progress.notify_all()

    async def _wait_for_newer(self, stream: _Stream) -> None:
        progress = self._progress
        assert progress is not None
        async with progress:
            await progress.wait_for(
                lambda: all(s.done for s in self.walk.streams if s.order > stream.order))


def _merge(parts: list[tuple[_Stream, int]], object_type: str, keep_raw: bool) -> FrameBuilder:
    """One builder holding ``parts``' first rows in order, as if their pages had been added to it."""
    merged = FrameBuilder(object_type, keep_raw=keep_raw)
    for stream, take in parts:
        merged.absorb(stream.builder, take)
    return merged


def list_partitioned(
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
    tuning: PartitionTuning | None = None,
) -> tuple[pd.DataFrame, ListOutcome]:
    """Every object of a ``created``-filterable list (or the newest ``limit``), fetched concurrently by
    ``created`` window and returned in the order a ``starting_after`` walk gives.

    The first page comes from ``client`` (sync); the rest from a fresh async twin of it that shares its
    token bucket and retry policy. Ctrl-C keeps the rows
    of the newest contiguous finished windows, warns, and marks the outcome incomplete.
    """
    if page_size < 1 or (limit is not None and limit <= page_size):
        return list_sequential(client, path, params, object_type=object_type, limit=limit, page_size=page_size,
                               progress=progress, stripe_account=stripe_account, keep_raw=keep_raw)
    tuning = tuning or PartitionTuning()
    bar = _progress_bar(progress, limit, path.rsplit("/", 1)[-1])
    walk = _Walk(path, dict(params), object_type, keep_raw, limit, page_size, stripe_account, tuning, bar)
    outcome = ListOutcome()
    try:
        first = client.request("GET", path, {**params, "limit": page_size}, stripe_account=stripe_account)
        if first.request_id:
            walk.request_ids.append(first.request_id)
        page = first.data if isinstance(first.data, dict) else {}
        objects = list(page.get("data") or [])
        root = walk.new_stream(_lower_bound(params.get("created")), 0, order=math.inf)
        walk.add_rows(root, objects)
        if page.get("has_more") and objects:
            root.cursor, root.hi = objects[-1]["id"], int(objects[-1]["created"])
            walk.split(root, objects[-1], objects[0], len(objects))
            _Runner(walk, client).run()
        else:
            root.done = True
    except KeyboardInterrupt:
        outcome.complete = False
    finally:
        bar.close()
    parts = walk.finished_prefix()
    rows = sum(take for _, take in parts)
    if outcome.complete is False:
        warnings.warn(
            f"listing interrupted: returning the {rows} newest rows fetched without gaps "
            f"(df.attrs['stripe']['complete'] is False)",
            ListingInterrupted,
            stacklevel=2,
        )
    outcome.request_ids = walk.request_ids
    outcome.pages = sum(s.pages for s in walk.streams)
    outcome.livemode = walk.livemode
    return _merge(parts, object_type, keep_raw).build(release=True), outcome
