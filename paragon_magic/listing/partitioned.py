"""List a large Stripe collection fast: concurrent ``created`` windows, same rows and order as a cursor walk.

The first page is fetched sequentially (newest first); its round trip and the client's rate say how many
walkers keep the rate busy (``throttle.stream_target``): more would only queue at the pacer. If there is
more, the rest of the range, ``[user's lower bound or -inf, created of the page's last object]``, is cut
into contiguous, non-overlapping ``created[gte]..created[lte]`` windows (``windows.Stream``), each walked
down with ``starting_after`` cursors by its own asyncio task, the oldest one open below; a window can get a
second walker climbing from just above the newest object of the window below (``ending_before``), the two
stopping where they meet. After every page and every finished walker, ``balance.rebalance`` decides
which walkers to add (probe the past, pair or halve the window that would finish last). A page that
comes back after its window was cut keeps only the rows still inside it. One-second windows are only
ever walked by cursor, so any number of objects sharing one ``created`` second come out in the server's
order.

Concatenating the streams newest-first (an upward walker's pages in reverse), each in server order, is
exactly the sequential walk: same set, same order; an object two walkers fetched is kept once, by the
first. Objects created while the listing runs are newer than the first page's cursor and so are never
included (as in a sequential walk). Every request goes through the client's shared pacer, which also
slows everything down when the server answers 429 (the client retries those). Each stream converts its
pages to columns as they arrive (no raw JSON is held).

Ctrl-C (or a :class:`~.stop.Stop` set by another thread, as a sync does) stops every walker at once: the
tasks are cancelled, their client sends nothing more (a request already sent finishes or is cancelled),
and the rows of the newest contiguous finished windows are kept.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
import warnings
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any

import pandas as pd

from .balance import confined, probably_unneeded, rebalance
from .sequential import ListingInterrupted, ListOutcome, _progress_bar, list_sequential
from .stop import Stop, Stopped
from .throttle import stream_target, twin_async_client
from .windows import PartitionTuning, Stream, Walk, merge

__all__ = ["list_partitioned", "use_partitioned", "PartitionTuning", "PARTITION_MIN_LIMIT"]

#: Limits at or below this keep the simple sequential walk.
PARTITION_MIN_LIMIT = 1_000


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


class _Runner:
    """Runs one walk's stream tasks in a private event loop on a worker thread (so it also works inside a
    Jupyter kernel whose own loop is already running); ``stop`` (set by the caller's thread) cancels it."""

    def __init__(self, walk: Walk, template: Any, stop: Stop) -> None:
        self.walk = walk
        self.template = template
        self.stop = stop
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task[None] | None = None
        self._progress: asyncio.Condition | None = None
        self._client: Any = None
        self._group: Any = None

    def run(self) -> None:
        """Walk every stream; raises the first error; ``KeyboardInterrupt`` sets ``stop`` and re-raises once
        every walker has stopped. Returns early (without an error) when ``stop`` is set by another thread."""
        result: Future[None] = Future()
        worker = threading.Thread(target=self._thread, args=(result,), name="paragon-magic-listing", daemon=True)
        forget = self.stop.on_set(self.cancel)
        try:
            worker.start()
            result.result()
        except KeyboardInterrupt:
            self.stop.set()
            raise
        finally:
            forget()
            if worker.ident is not None:
                worker.join()

    def cancel(self) -> None:
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
        if self.stop.is_set():  # stopped before the loop ran (``cancel`` found no task to cancel)
            return
        client = self._client = twin_async_client(self.template, self.stop)
        try:
            async with asyncio.TaskGroup() as group:
                self._group = group
                for stream in list(self.walk.streams):
                    group.create_task(self._walk_stream(stream))
        except asyncio.CancelledError:
            pass  # Ctrl-C: the caller assembles what is finished
        except BaseExceptionGroup as errors:  # one stream failed: surface its error as such
            if not self.stop.is_set():  # (once stopped, a refused request is how a walker learns it)
                raise errors.exceptions[0] from None
        finally:
            await client.aclose()

    async def _walk_stream(self, stream: Stream) -> None:
        walk, client = self.walk, self._client
        if stream.deferred:
            await self._wait_for_newer(stream)
        while walk.wanted(stream):
            if probably_unneeded(walk, stream):
                await self._wait_for_newer(stream)
                continue
            partner = stream.partner
            if partner is not None and partner.met:
                break  # its up partner's page reached this walker's rows: nothing is left between them
            if walk.partner_closes_gap(stream, frugal=confined(walk)):
                await self._wait_for(lambda up=partner: not up.in_flight)
                continue
            if self.stop.is_set():  # before the cancellation reaches this task
                return
            stream.in_flight = True
            response = await client.request(
                "GET", walk.path, walk.window_params(stream), stripe_account=walk.stripe_account)
            stream.in_flight = False
            if response.request_id:
                walk.request_ids.append(response.request_id)
            page = response.data if isinstance(response.data, dict) else {}
            objects, beyond = walk.clip(stream, list(page.get("data") or []))
            if stream.pages == 0 and objects and not stream.upward:
                stream.top = objects[0]
            met = stream.met = walk.add_rows(stream, objects)
            await self._notify()
            if met or beyond or not (page.get("has_more") and objects):
                if not (met or beyond):
                    walk.ended(stream, objects)
                break
            walk.advance(stream, objects, full=len(objects) == walk.page_size)
            if stream.upward and walk.met_soon(stream, objects, frugal=confined(walk)):
                break
            self._start(rebalance(walk))
        stream.done = True  # only on a normal end: a cancelled stream's rows stop the result's prefix
        self._start(rebalance(walk))
        await self._notify()

    def _start(self, streams: list[Stream]) -> None:
        for stream in streams:
            self._group.create_task(self._walk_stream(stream))

    async def _wait_for_newer(self, stream: Stream) -> None:
        await self._wait_for(lambda: all(s.done for s in self.walk.streams if s.order > stream.order))

    async def _wait_for(self, predicate: Callable[[], bool]) -> None:
        """Until ``predicate`` holds (checked whenever a page arrives or a walker ends)."""
        progress = self._progress
        assert progress is not None
        async with progress:
            await progress.wait_for(predicate)

    async def _notify(self) -> None:
        progress = self._progress
        assert progress is not None
        async with progress:
            progress.notify_all()


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
    stop: Stop | None = None,
) -> tuple[pd.DataFrame, ListOutcome]:
    """Every object of a ``created``-filterable list (or the newest ``limit``), fetched concurrently by
    ``created`` window and returned in the order a ``starting_after`` walk gives.

    The first page comes from ``client`` (sync); the rest from a fresh async twin of it that shares its
    rate limiter and retry policy. Ctrl-C stops every walker (no request is sent after it), keeps the rows of
    the newest contiguous finished windows, warns, and marks the outcome incomplete. ``stop``, set by another
    thread, does the same without the warning (a sync's worker threads, which Ctrl-C does not reach).
    """
    if page_size < 1 or (limit is not None and limit <= page_size):
        return list_sequential(client, path, params, object_type=object_type, limit=limit, page_size=page_size,
                               progress=progress, stripe_account=stripe_account, keep_raw=keep_raw)
    tuning = tuning or PartitionTuning()
    bar = _progress_bar(progress, limit, path.rsplit("/", 1)[-1])
    walk = Walk(path, dict(params), object_type, keep_raw, limit, page_size, stripe_account, tuning, bar)
    outcome = ListOutcome()
    stop = stop if stop is not None else Stop()
    interrupted = False
    try:
        stop.check()
        started = time.monotonic()
        first = client.request("GET", path, {**params, "limit": page_size}, stripe_account=stripe_account)
        walk.target = stream_target(client.rate_limiter, time.monotonic() - started, tuning)
        outcome.server_time = first.server_time
        if first.request_id:
            walk.request_ids.append(first.request_id)
        page = first.data if isinstance(first.data, dict) else {}
        objects = list(page.get("data") or [])
        root = walk.new_stream(_lower_bound(params.get("created")), 0, order=math.inf)
        walk.add_rows(root, objects)
        if page.get("has_more") and objects:
            walk.advance(root, objects, full=True)
            walk.density = root.density or walk.density  # the first page's: the estimate for unwalked windows
            rebalance(walk)
            _Runner(walk, client, stop).run()
        else:
            root.done = True
    except KeyboardInterrupt:
        interrupted = True
        stop.set()
    except Stopped:  # refused by the client (``stop`` was set by another thread)
        pass
    finally:
        bar.close()
    outcome.complete = not (interrupted or stop.is_set())
    parts = walk.finished_prefix()
    rows = sum(take for _, take in parts)
    if interrupted:
        warnings.warn(
            f"listing interrupted: returning the {rows} newest rows fetched without gaps "
            f"(df.attrs['stripe']['complete'] is False)",
            ListingInterrupted,
            stacklevel=2,
        )
    outcome.request_ids = walk.request_ids
    outcome.pages = sum(s.pages for s in walk.streams)
    outcome.livemode = walk.livemode
    return merge(parts, object_type, keep_raw).build(release=True), outcome
