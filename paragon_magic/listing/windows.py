"""The windows of a partitioned listing: which ``created`` ranges exist, who walks them, where they split.

State only (no I/O): ``partitioned._Runner`` asks ``Walk`` for each request's parameters, hands it each
page, and starts a task for every stream it creates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..frames import FrameBuilder

__all__ = ["PartitionTuning", "Stream", "Walk", "merge", "STRIPE_EPOCH"]

#: 2011-01-01T00:00:00Z: windows cut below an open range stop here (older objects: one open stream).
STRIPE_EPOCH = 1_293_840_000


@dataclass(frozen=True)
class PartitionTuning:
    """Knobs of the partitioned walk (defaults tuned on ``benchmarks/list_throughput.py``)."""

    window_pages: float = 8.0  # an open range is cut into windows of about this many pages
    max_split: int = 24  # at most this many windows per split
    concurrency: int | None = None  # streams at once; None: enough to keep the client's rate busy
    max_concurrency: int = 32
    balance_pages: float = 1.5  # a stream splits to feed idle slots only with more than 2× this left


@dataclass
class Stream:
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
    partner: Stream | None = None
    #: An upward walker: ``created`` of the newest object it has (how far up it has come).
    reach: int = 0
    #: An upward walker's pages, oldest first, one builder each (its rows come out in reverse page order).
    up_pages: list[FrameBuilder] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.builder.rows + sum(b.rows for b in self.up_pages)

    def ordered_builders(self) -> list[FrameBuilder]:
        """Builders holding this stream's rows, in list order."""
        return [self.builder, *reversed(self.up_pages)]


@dataclass
class Walk:
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
    streams: list[Stream] = field(default_factory=list)
    owner: dict[str, Stream] = field(default_factory=dict)  # which stream fetched each object first
    request_ids: list[str] = field(default_factory=list)
    livemode: bool | None = None

    def add_rows(self, stream: Stream, objects: list[dict[str, Any]]) -> bool:
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
            stream.up_pages[-1].pack()  # one page a builder: pack it now, not at the final merge
        else:
            stream.builder.add_page(fresh)
        stream.pages += 1
        if fresh and self.livemode is None:
            self.livemode = fresh[0].get("livemode")
        self.bar.update(len(fresh))
        self.bar.set_postfix(pages=self.pages(), windows=len(self.streams), refresh=False)
        return met

    def rows_newer_than(self, stream: Stream) -> int:
        return sum(s.rows for s in self.streams if s.order > stream.order)

    def new_stream(self, lo: int | None, hi: int, *, cursor: str | None = None, order: float | None = None,
                   deferred: bool = False) -> Stream:
        builder = FrameBuilder(self.object_type, keep_raw=self.keep_raw)
        stream = Stream(hi if order is None else order, lo, hi, builder, cursor=cursor, deferred=deferred)
        self.streams.append(stream)
        return stream

    def active(self) -> int:
        return sum(1 for s in self.streams if not s.done)

    def pages(self) -> int:
        return sum(s.pages for s in self.streams)

    def split(self, stream: Stream, last: dict[str, Any], first: dict[str, Any], count: int) -> list[Stream]:
        """After a page ending at ``last``: maybe hand older parts of ``stream``'s range to new streams.

        Only while fewer than ``target`` streams are running: every new stream boundary costs a partly
        filled last page, and more streams than the rate can serve only wait. The open-below stream (the
        oldest) cuts windows of about ``window_pages`` pages (from this page's density), keeps the newest
        and hands the rest on, the oldest of them again open below: density near the cursor says little
        about the distant past, so that one re-estimates from its own first page. A bounded stream without
        a partner first tries to get one (``walk_up``), else splits its remaining range evenly among idle
        slots when it has more than ``2 × balance_pages`` pages left; one with a partner splits the gap
        between the two (``split_between``). Both even out the end of the walk. With a ``limit`` only what it probably needs is sliced and
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
            # without a limit each gets a second walker (see ``walk_up``): half as many, twice as big
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
        elif stream.partner is not None:
            return self.split_between(stream, stream.partner, newest, density, pieces)
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

    def window_params(self, stream: Stream) -> dict[str, Any]:
        params = dict(self.params)
        created = {"lte": stream.hi}
        if stream.lo is not None:
            created["gte"] = stream.lo
        params["created"] = created
        params["limit"] = self.page_size
        if stream.cursor:
            params["ending_before" if stream.upward else "starting_after"] = stream.cursor
        return params

    def walk_up(self, window: Stream, density: float) -> Stream | None:
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
        up.reach = int(below.top["created"])
        return up

    def window_above(self, stream: Stream) -> Stream | None:
        return next((s for s in self.streams if not s.upward and s.lo == stream.order + 1), None)

    def split_between(self, down: Stream, up: Stream, newest: int, density: float, pieces: int) -> list[Stream]:
        """Cut the gap between a window's two walkers (``down`` at ``newest``, ``up`` at ``up.reach``) into
        windows for idle slots: ``down`` keeps the top piece, ``up`` the bottom one (each now ends at its
        own edge, no longer meeting the other), new streams take the middle. Seconds stay whole."""
        if up.done or up.reach <= 0:
            return []
        left = density * (newest - up.reach) / self.page_size
        pieces = min(pieces + 1, int(left / self.tuning.balance_pages))
        if pieces < 3:
            return []
        step = (newest - up.reach) / pieces
        edges = sorted({up.reach + 1 + round(i * step) for i in range(pieces + 1)}, reverse=True)
        edges[0] = newest + 1
        if len(edges) < 4:
            return []
        children = [self.new_stream(edges[i + 1], edges[i] - 1) for i in range(1, len(edges) - 2)]
        down.lo, up.hi = edges[1], edges[-2] - 1
        down.partner = up.partner = None
        return children

    def met_soon(self, up: Stream, objects: list[dict[str, Any]]) -> bool:
        """Whether less than a page probably separates ``up`` from its partner walking down: then the
        partner's next page closes the gap and ``up`` stops (one request for the seam, not two)."""
        partner = up.partner
        if partner is None:
            return False  # split apart from its partner: it walks up to its own edge
        if partner.done:
            return True
        newest, oldest = int(objects[0]["created"]), int(objects[-1]["created"])
        density = len(objects) / max(1, newest - oldest + 1)
        return density * (partner.hi - newest) < self.page_size

    def wanted(self, stream: Stream) -> bool:
        """False once newer rows (plus this stream's own) already fill ``limit``."""
        return self.limit is None or self.rows_newer_than(stream) + stream.rows < self.limit

    def finished_prefix(self) -> list[tuple[Stream, int]]:
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


def merge(parts: list[tuple[Stream, int]], object_type: str, keep_raw: bool) -> FrameBuilder:
    """One builder holding ``parts``' first rows in order, as if their pages had been added to it."""
    merged = FrameBuilder(object_type, keep_raw=keep_raw)
    for stream, take in parts:
        for builder in stream.ordered_builders():
            taken = min(take, builder.rows)
            merged.absorb(builder, taken)
            take -= taken
    return merged
