"""The walkers of a partitioned listing: which ``created`` range each walks, from which end, and what it has.

State only (no I/O): ``partitioned._Runner`` asks ``Walk`` for each request's parameters, hands it each
page, and starts a task for every walker ``balance.rebalance`` creates.

A *down* walker walks its window ``[lo, hi]`` newest-first with ``starting_after`` (``hi`` follows its
cursor). An *up* walker (``upward``) is a down walker's partner: it climbs the same window from just above
the newest object of the window below (``ending_before``) and the two stop where they meet, so a window
costs one partly filled page at the seam and none at its edges.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..frames import FrameBuilder

__all__ = ["PartitionTuning", "Stream", "Walk", "merge", "STRIPE_EPOCH"]

#: 2011-01-01T00:00:00Z: the open end of a listing is never cut below this (older objects: one walker).
STRIPE_EPOCH = 1_293_840_000


@dataclass(frozen=True)
class PartitionTuning:
    """Knobs of the partitioned walk (defaults tuned on ``benchmarks/list_throughput.py``)."""

    window_pages: float = 8.0  # the first probe's window, and what a walker in a dense stretch keeps
    max_split: int = 24  # at most this many new walkers per rebalance
    concurrency: int | None = None  # walkers at once; None: enough to keep the client's rate busy
    max_concurrency: int = 32
    balance_pages: float = 1.5  # a window is cut or paired only with more than 2× this per walker left
    probes: int = 5  # windows cut from the open end before its walker has data (the fan-out), at most
    small_pages: float = 10.0  # a list not known to hold more pages than this keeps two windows
    first_cut: float = 6.0  # pages (by the first page's density) left above the first cut of the open end


@dataclass
class Stream:
    """One walker of one contiguous ``created`` window ``[lo, hi]`` (``lo`` None: open below)."""

    order: float  # newest-first sort key (windows never overlap; an up walker sorts just below its partner)
    lo: int | None  # inclusive; None = no lower bound
    hi: int  # inclusive; a down walker's follows its cursor
    builder: FrameBuilder
    cursor: str | None = None
    deferred: bool = False  # only start once every newer stream is done (the tail past a ``limit``)
    done: bool = False
    in_flight: bool = False
    met: bool = False  # a page of it held rows its partner had fetched: the gap between them is closed
    pages: int = 0
    probe: bool = False  # made by cutting the open end (until its first page: data there is not known)
    #: Objects per second seen on its last full page (None: use the walk's estimate).
    density: float | None = None
    #: The newest object of its first page (where an up walker of the window above starts).
    top: dict[str, Any] | None = None
    upward: bool = False
    partner: Stream | None = None
    #: An up walker: ``created`` of the newest object it has (how far up it has come).
    reach: int = 0
    #: An up walker's pages, oldest first, one builder each (its rows come out in reverse page order).
    up_pages: list[FrameBuilder] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.builder.rows + sum(b.rows for b in self.up_pages)

    def ordered_builders(self) -> list[FrameBuilder]:
        """Builders holding this stream's rows, in list order."""
        return [self.builder, *reversed(self.up_pages)]

    def active_partner(self) -> Stream | None:
        return self.partner if self.partner is not None and not self.partner.done else None


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
    density: float = 1.0  # objects per second, from the first page (refined by each stream's own)
    floor: float = -math.inf  # no object is older than this (learnt when the open end is walked out)
    blind_cuts: int = 0  # windows cut from the open end before its walker had a page
    streams: list[Stream] = field(default_factory=list)
    owner: dict[str, Stream] = field(default_factory=dict)  # which stream fetched each object first
    request_ids: list[str] = field(default_factory=list)
    livemode: bool | None = None

    def clip(self, stream: Stream, objects: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], bool]:
        """The page's objects inside ``stream``'s window now, and whether any fell outside (its window was
        cut while the request was in flight: it has reached its new edge)."""
        lo, hi = stream.lo if stream.lo is not None else -math.inf, stream.hi
        inside = [obj for obj in objects if lo <= int(obj["created"]) <= hi]
        return inside, len(inside) < len(objects)

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
            if objects:  # how far up it has come, its last page included (a stopped partner's reach is
                # where a window cut below it may begin: never below what it fetched)
                stream.reach = max(stream.reach, int(objects[0]["created"]))
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

    def ended(self, stream: Stream, objects: list[dict[str, Any]]) -> None:
        """A down walker has no more objects: if nothing was known below its window (open below, or ending
        at ``floor``), nothing is older than its last object (or than its window, if it found none)."""
        if not stream.upward and (stream.lo is None or stream.lo <= self.floor):
            self.floor = max(self.floor, int(objects[-1]["created"]) if objects else stream.hi + 1)

    def advance(self, stream: Stream, objects: list[dict[str, Any]], full: bool) -> None:
        """Move ``stream``'s cursor past a page that has more after it; a full page also updates its density.
        (An up walker's ``reach`` follows every page it adds, in ``add_rows``.)"""
        newest, oldest = int(objects[0]["created"]), int(objects[-1]["created"])
        if full:
            stream.density = len(objects) / (newest - oldest + 1)
        if stream.upward:
            stream.cursor = objects[0]["id"]
        else:
            stream.cursor, stream.hi = objects[-1]["id"], oldest

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

    def below(self, stream: Stream) -> Stream | None:
        """The down walker of the window right below ``stream``'s."""
        if stream.lo is None:
            return None
        return next((s for s in self.streams if not s.upward and s.order == stream.lo - 1), None)

    def met_soon(self, up: Stream, objects: list[dict[str, Any]], *, frugal: bool = False) -> bool:
        """Whether less than a page (beyond the partner's page in flight) probably separates ``up`` from
        its partner walking down: then the partner closes the gap and ``up`` stops (one request, not two)."""
        partner = up.partner
        if partner is None or partner.done:
            return True
        gap = self.gap_rows(partner.hi - int(objects[0]["created"]), up, partner, frugal=frugal)
        return gap < self.page_size * (2 if partner.in_flight else 1)

    def partner_closes_gap(self, down: Stream, *, frugal: bool = False) -> bool:
        """Whether ``down``'s up partner has a page in flight that probably reaches ``down`` (less than a
        page between them): then ``down`` waits for it rather than send a page that page would cover."""
        up = down.partner
        if up is None or not up.upward or not up.in_flight or up.done:
            return False
        return self.gap_rows(down.hi - up.reach, up, down, frugal=frugal) < self.page_size

    def gap_rows(self, seconds: float, *walkers: Stream, frugal: bool) -> float:
        """Rows estimated in ``seconds`` between two partners: at the denser end's density (a gap thought
        short but dense costs a walker many pages alone, one thought long costs one request), or at the
        sparser end's if ``frugal`` (while a list may be small, where a request too many is what counts)."""
        densities = [w.density or self.density for w in walkers]
        return (min(densities) if frugal else max(densities)) * seconds

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
