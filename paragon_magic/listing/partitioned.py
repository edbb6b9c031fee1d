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
import time
import warnings
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..frames import FrameBuilder
from .sequential import ListingInterrupted, ListOutcome, _progress_bar, list_sequential
from .throttle import stream_target, twin_async_client

__all__ = ["list_partitioned", "use_partitioned", "PartitionTuning", "PARTITION_MIN_LIMIT"]

#: Limits at or below this keep the simple sequential walk.
PARTITION_MIN_LIMIT = 1_000
#: 2011-01-01T00:00:00Z: doubling slices of an open range stop here (older objects: one tail window).
STRIPE_EPOCH = 1_293_840_000


@dataclass(frozen=True)
class PartitionTuning:
    """Knobs of the partitioned walk (defaults tuned on ``benchmarks/list_throughput.py``)."""

    window_pages: float = 8.0  # an open range is cut into windows of about this many pages
    max_split: int = 24  # at most this many windows per split
    concurrency: int | None = None  # streams at once; None: enough to keep the client's rate busy
    max_concurrency: int = 32
    balance_pages: float = 1.5  # a stream splits to feed idle slots only with more than 2× this left


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
    #: The newest object of its first page (where an upward walker of the window above starts).
    top: dict[str, Any] | None = None
    #: Walks up from the bottom of ``partner``'s window (``ending_before``) until the two meet.
    upward: bool = False
    partner: _Stream | None = None
    #: An upward walker's pages, oldest first, one builder each (its rows come out in reverse page order).
    up_pages: list[FrameBuilder] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.builder.rows + sum(b.rows for b in self.up_pages)

    def ordered_builders(self) -> list[FrameBuilder]:
        """Builders holding this stream's rows, in list order."""
        return [self.builder, *reversed(self.up_pages)]


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
    target: int = 16  # how many streams may run at once
    streams: list[_Stream] = field(default_factory=list)
    owner: dict[str, _Stream] = field(default_factory=dict)  # which stream fetched each object first
    request_ids: list[str] = field(default_factory=list)
    livemode: bool | None = None

    def add_rows(self, stream: _Stream, objects: list[dict[str, Any]]) -> bool:
        """Keep the page's objects no stream has yet; True if it reached the window's other walker."""
        fresh, met = [], False
        for obj in objects:
            owner = self.owner.setdefault(obj.get("id"), stream)
            if owner is stream:
                fresh.append(obj)
            elif owner is stream.partner:
                met = True
        if stream.upward:
            stream.up_pages.append(FrameBuilder(self.object_type, keep_raw=self.keep_raw))
            stream.up_pages[-1].add_page(fresh)
        else:
            stream.builder.add_page(fresh)
        stream.pages += 1
        if fresh and self.livemode is None:
            self.livemode = fresh[0].get("livemode")
        self.bar.update(len(fresh))
        self.bar.set_postfix(pages=self.pages(), windows=len(self.streams), refresh=False)
        return met

    def rows_newer_than(self, stream: _Stream) -> int:
        return sum(s.rows for s in self.streams if s.order > stream.order)

    def new_stream(self, lo: int | None, hi: int, *, cursor: str | None = None, order: float | None = None,
                   deferred: bool = False) -> _Stream:
        builder = FrameBuilder(self.object_type, keep_raw=self.keep_raw)
        stream = _Stream(hi if order is None else order, lo, hi, builder, cursor=cursor, deferred=deferred)
        self.streams.append(stream)
        return stream

    def active(self) -> int:
        return sum(1 for s in self.streams if not s.done)

    def pages(self) -> int:
        return sum(s.pages for s in self.streams)

    def split(self, stream: _Stream, last: dict[str, Any], first: dict[str, Any], count: int) -> list[_Stream]:
        """After a page ending at ``last``: maybe hand older parts of ``stream``'s range to new streams.

        Only while fewer than ``target`` streams are running: every new stream boundary costs a partly
        filled last page, and more streams than the rate can serve only wait. The open-below stream (the
        oldest) cuts windows of about ``window_pages`` pages (from this page's density), keeps the newest
        and hands the rest on, the oldest of them again open below: density near the cursor says little
        about the distant past, so that one re-estimates from its own first page. A bounded stream splits
        its remaining range evenly among idle slots when it has more than ``2 × balance_pages`` pages left
        (this evens out the end of the walk). With a ``limit`` only what it probably needs is sliced and
        the open stream waits until newer streams are done (and is skipped if they filled the limit).
        """
        newest = int(last["created"])
        if stream.lo is not None and newest - stream.lo < 1:
            return []  # one second: walk it by cursor
        idle = self.target - self.active()
        if idle <= 0:
            return []
        density = count / max(1, int(first["created"]) - newest + 1)  # objects per second
        pieces = min(idle + 1, self.tuning.max_split)
        if self.limit is not None:
            wanted_pages = 1.5 * (self.limit - self.rows_newer_than(stream) - stream.rows) / self.page_size
            pieces = min(pieces, math.ceil(wanted_pages / self.tuning.window_pages))
        if stream.lo is None:
            # windows grow with what is known to exist: bigger lists get fewer (partly filled) last pages;
            # without a limit each gets a second walker (see ``walk_up_from``): half as many, twice as big
            walkers = 2 if self.limit is None else 1
            pieces = max(2, math.ceil(pieces / walkers))
            if not math.isinf(stream.order):
                pieces = 2  # past the first page's neighbourhood the data may end anywhere: probe, don't guess
            pages = walkers * self.tuning.window_pages
            if not math.isinf(stream.order):  # a later split of the open end: as big as all walked so far
                pages = max(pages, self.pages())
            width = max(1, round(pages * self.page_size / density))  # seconds per window
            edges = [newest + 1]  # descending window edges
            while len(edges) < pieces and edges[-1] > STRIPE_EPOCH:
                edges.append(max(STRIPE_EPOCH, edges[-1] - width))
        else:
            up = self.walk_up(stream, density)  # a partner costs no new window edge: prefer it
            if up is not None:
                return [up]
            left = density * (newest - stream.lo) / self.page_size  # pages probably left below the cursor
            pieces = min(pieces, int(left / self.tuning.balance_pages))
            if pieces < 2:
                return []
            step = (newest + 1 - stream.lo) / pieces
            edges = sorted({stream.lo + round(i * step) for i in range(pieces + 1)}, reverse=True)
            edges[0] = newest + 1
        if len(edges) < 2 or (stream.lo is not None and len(edges) < 3):
            return []
        children = [self.new_stream(edges[i + 1], edges[i] - 1) for i in range(1, len(edges) - 1)]
        if stream.lo is None:  # older than the windows: one more open stream, sized from its own first page
            children.append(self.new_stream(None, edges[-1] - 1, deferred=self.limit is not None))
        stream.lo = edges[1]
        return children

    def window_params(self, stream: _Stream) -> dict[str, Any]:
        params = dict(self.params)
        created = {"lte": stream.hi}
        if stream.lo is not None:
            created["gte"] = stream.lo
        params["created"] = created
        params["limit"] = self.page_size
        if stream.cursor:
            params["ending_before" if stream.upward else "starting_after"] = stream.cursor
        return params

    def walk_up(self, window: _Stream, density: float) -> _Stream | None:
        """A second, upward walker for ``window``, starting right above the newest object of the window
        below it: the window then ends where its two walkers meet (one partly filled page) instead of
        at a window edge (one more each time it is split). Only without a ``limit``, while a stream slot
        is idle, and for windows with a few pages (at ``density`` objects per second) left."""
        if (self.limit is not None or window.upward or window.partner is not None or window.done
                or window.lo is None or self.active() >= self.target):
            return None
        below = next((s for s in self.streams if not s.upward and s.order == window.lo - 1), None)
        if below is None or below.top is None:
            return None
        if density * (window.hi - window.lo + 1) / self.page_size < 3:
            return None
        up = self.new_stream(window.lo, window.hi, cursor=below.top["id"], order=window.lo - 0.5)
        up.upward, up.partner, window.partner = True, window, up
        return up

    def window_above(self, stream: _Stream) -> _Stream | None:
        return next((s for s in self.streams if not s.upward and s.lo == stream.order + 1), None)

    def met_soon(self, up: _Stream, objects: list[dict[str, Any]]) -> bool:
        """Whether less than a page probably separates ``up`` from its partner walking down: then the
        partner's next page closes the gap and ``up`` stops (one request for the seam, not two)."""
        partner = up.partner
        if partner is None or partner.done:
            return True
        newest, oldest = int(objects[0]["created"]), int(objects[-1]["created"])
        density = len(objects) / max(1, newest - oldest + 1)
        return density * (partner.hi - newest) < self.page_size

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
        client = self._client = twin_async_client(self.template)
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

    async def _walk_stream(self, stream: _Stream) -> None:
        walk, client = self.walk, self._client
        if stream.deferred:
            await self._wait_for_newer(stream)
        while walk.wanted(stream):
            response = await client.request(
                "GET", walk.path, walk.window_params(stream), stripe_account=walk.stripe_account)
            if response.request_id:
                walk.request_ids.append(response.request_id)
            page = response.data if isinstance(response.data, dict) else {}
            objects = list(page.get("data") or [])
            first_page = stream.pages == 0
            met = walk.add_rows(stream, objects)
            if first_page and objects and not stream.upward:
                stream.top = objects[0]
                above = walk.window_above(stream)
                density = len(objects) / (int(objects[0]["created"]) - int(objects[-1]["created"]) + 1)
                up = walk.walk_up(above, density) if above is not None else None
                if up is not None:
                    self._group.create_task(self._walk_stream(up))
            if met or not (page.get("has_more") and objects):
                break
            if stream.upward:
                stream.cursor = objects[0]["id"]
                if walk.met_soon(stream, objects):
                    break
                continue
            stream.cursor, stream.hi = objects[-1]["id"], int(objects[-1]["created"])
            if stream.partner is not None:
                continue  # its window ends where it meets its upward partner: no more splitting
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
        for builder in stream.ordered_builders():
            taken = min(take, builder.rows)
            merged.absorb(builder, taken)
            take -= taken
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
        started = time.monotonic()
        first = client.request("GET", path, {**params, "limit": page_size}, stripe_account=stripe_account)
        walk.target = stream_target(client.rate_limiter, time.monotonic() - started, tuning)
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
