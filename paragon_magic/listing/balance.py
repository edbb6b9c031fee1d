"""Which walker a partitioned listing adds next, whenever a page arrives or a walker ends.

Until the rows fetched show that the list holds more than ``tuning.small_pages`` pages (it is *confined*),
it has two windows: the root's and, cut once from the open end ``tuning.first_cut`` pages (by the first
page's density) below the first page, the open one below it. Each window ends in one partly filled page,
so a list of up to ``small_pages`` pages costs about pages + 1 requests whatever its shape. The root's
window may get a partner climbing from the open window's first object; the two then judge the gap between
them at the sparser end's density (``frugal``): one stops, or waits for the other's page in flight, rather
than both send a partly filled page.

Once the list is known to be larger, while fewer than ``walk.target`` walkers run, one at a time (and beyond
that, up to ``tuning.max_concurrency``, only a partner for the window that would finish last: an extra
walker only queues at the pacer and costs nothing, a window left to one walker is the walk's tail):

1. *Probe* the open end (the oldest window, open below, where the data's end is unknown): cut it where
   the data known so far would double, so a listing finds its oldest objects in a few round trips, not
   by walking to them. The moment the list is known to be large, up to ``tuning.probes`` such windows are
   cut at once (growing geometrically); later the open end is cut only once its walker has shown that
   data goes on. Once it has reached the end (``walk.floor``), no window is thought to hold anything below it.
2. Relieve the window that would finish last (most pages left per walker). *Pair* it if it has one
   walker (and never had a partner) and the newest object of the window below is known: an up walker
   climbs from there; free, as the window then ends in one seam page instead of one at its lower edge.
   Else *cut* it, if it would finish clearly after the rest (its pages per walker exceed the even share
   of everything left by more than a page): a paired window's gap is halved (a new down walker meets
   the old up walker; the old down walker gets a partner once the new one's first page is in), a
   window with one walker is halved. Windows that would not finish last are only paired.

Every new window costs about half a page (one more seam), so cuts happen only where they shorten the
walk. Pages already in flight are counted as fetched. With a ``limit`` only the newest rows matter: no up
walkers (they fetch a window's oldest rows first), the open end is cut once, below about 1.1× the pages
the limit still needs, the rest left to a deferred walker, and older windows wait while newer ones
probably fill the limit (``probably_unneeded``).
"""

from __future__ import annotations

import math

from .windows import STRIPE_EPOCH, Stream, Walk

__all__ = ["confined", "pages_left", "probably_unneeded", "rebalance"]


def rebalance(walk: Walk) -> list[Stream]:
    """New walkers for the idle slots (the caller starts a task for each)."""
    made: list[Stream] = []
    probe = _probe(walk)  # finding where the data ends is worth one walker over the target
    if probe is not None:
        made.append(probe)
    while len(made) < walk.tuning.max_split and walk.active() < walk.tuning.max_concurrency:
        full = walk.active() >= walk.target  # then only the window that would finish last is relieved
        walker = (None if full else _probe(walk)) or _relieve(walk, critical_only=full)
        if walker is None:
            break
        made.append(walker)
    return made


def pages_left(walk: Walk, stream: Stream) -> float:
    """Estimated pages a down walker's window still holds (above its partner's reach, if it has one)."""
    if stream.lo is None:
        return _open_estimate(walk)
    density = stream.density or walk.density
    span = walk.page_size / density  # seconds one page covers
    top = stream.hi - (span if stream.in_flight else 0)
    partner = stream.partner
    bottom = stream.lo - 1 if partner is None else partner.reach + (span if partner.in_flight else 0)
    return max(0.0, (top - max(bottom, walk.floor - 1)) * density / walk.page_size)


def probably_unneeded(walk: Walk, stream: Stream) -> bool:
    """With a ``limit``: whether the newer windows probably fill it (rows fetched plus pages they still
    hold), so ``stream`` had better wait until they are done (and then see whether it is needed)."""
    if walk.limit is None:
        return False
    newer = [s for s in _walkers(walk) if s.order > stream.order]
    expected = walk.rows_newer_than(stream) + walk.page_size * sum(pages_left(walk, s) for s in newer)
    return expected >= walk.limit


def _open_estimate(walk: Walk) -> float:
    """Pages assumed below the open end: as many as are known above it (walked or estimated)."""
    known = walk.pages() + sum(pages_left(walk, s) for s in _walkers(walk) if s.lo is not None)
    if walk.limit is not None:
        known = 1.1 * walk.limit / walk.page_size - known
    return max(walk.tuning.window_pages, known)


def confined(walk: Walk) -> bool:
    """Whether the list may still hold at most ``tuning.small_pages`` pages (its rows fetched do not show
    more): then it keeps its two first windows (see the module docstring). Never with a ``limit``."""
    fetched = sum(s.rows for s in walk.streams)
    return walk.limit is None and fetched <= walk.tuning.small_pages * walk.page_size


def _walkers(walk: Walk) -> list[Stream]:
    return [s for s in walk.streams if not s.done and not s.upward and not s.deferred]


def _time_left(walk: Walk, stream: Stream) -> float:
    return pages_left(walk, stream) / (2 if stream.active_partner() else 1)


def _relieve(walk: Walk, *, critical_only: bool = False) -> Stream | None:
    """A walker for the window that would finish last: a partner if it can have one (free), else a cut
    if it would finish clearly after the rest; windows that would not are only paired (and only while
    slots are idle: ``critical_only`` when all are taken)."""
    walkers = [s for s in _walkers(walk) if s.lo is not None]
    share = sum(pages_left(walk, s) for s in _walkers(walk)) / walk.target + 1
    for stream in sorted(walkers, key=lambda s: _time_left(walk, s), reverse=True):
        time = _time_left(walk, stream)
        critical = time > share
        if time < 2 * walk.tuning.balance_pages or (critical_only and not critical):
            return None
        partner = _pair(walk, stream)
        if partner is not None:
            return partner
        if critical and not critical_only and not confined(walk):
            child = _halve(walk, stream)
            if child is not None:
                return child
    return None


def _pair(walk: Walk, window: Stream) -> Stream | None:
    """An up walker for ``window`` from the newest object of the window below, if it can have one."""
    below = walk.below(window)
    if walk.limit is not None or window.partner is not None or below is None or below.top is None:
        return None
    up = walk.new_stream(window.lo, window.hi, cursor=below.top["id"], order=window.lo - 0.5)
    up.upward, up.partner, window.partner = True, window, up
    up.reach = window.lo - 1  # nothing of the window fetched yet
    up.density = below.density or window.density  # where it starts: as dense as the window below
    return up


def _probe(walk: Walk) -> Stream | None:
    """Cut the open end (see the module docstring): the first time ``tuning.first_cut`` pages below the
    first page; later where the data known so far would double."""
    stream = next((s for s in _walkers(walk) if s.lo is None), None)
    if stream is None:
        return None
    if walk.limit is not None:
        pages = _open_estimate(walk)
        if stream.probe or pages <= walk.tuning.window_pages:
            return None  # with a limit: one cut, and only if the limit needs more than a window
    elif not any(s.probe for s in walk.streams):
        pages = walk.tuning.first_cut
    elif confined(walk):
        return None
    elif stream.pages == 0 and walk.blind_cuts >= walk.tuning.probes:
        return None  # not known to hold data yet: only the fan-out cuts further
    else:
        pages = _open_estimate(walk)
    density = stream.density or walk.density
    top = stream.hi - (walk.page_size / density if stream.in_flight else 0)
    edge = max(STRIPE_EPOCH, math.floor(top - pages * walk.page_size / density))
    if edge >= top:
        return None
    child = walk.new_stream(None, edge, deferred=walk.limit is not None)
    child.probe, child.density = True, stream.density
    walk.blind_cuts += stream.pages == 0
    stream.lo = edge + 1
    return child


def _halve(walk: Walk, stream: Stream) -> Stream | None:
    """Cut ``stream``'s window (what it and its partner have not walked) in two; the new down walker
    takes the lower part (and the partner, if any, even one that has stopped: it still marks where the
    rows it fetched begin).

    The cut is in the middle, unless the walker is in a much denser stretch than the other end of its gap
    (a bulk import, say): then it keeps about ``tuning.window_pages`` pages at its own density and the
    rest, whose density is unknown, goes to the new walker, estimated at the other end's density (and cut
    the same way once its own pages show it dense too).
    """
    assert stream.lo is not None
    density = stream.density or walk.density
    span = walk.page_size / density
    top = math.floor(stream.hi - (span if stream.in_flight else 0))
    partner = stream.partner
    below = walk.below(stream)
    unknown_below = below is not None and below.pages == 0 and not (below.done or below.deferred)
    if partner is None and (stream.pages == 0 or unknown_below):
        return None  # not before its own first page, and the window below's, show where data is
    reach = None if partner is None else partner.reach + (span if partner.in_flight else 0)
    bottom = int(max(stream.lo - 1 if reach is None else math.ceil(reach), walk.floor - 1))  # floor: -inf or int
    middle = (bottom + top) // 2
    other_end = (partner.density if partner is not None else None) or walk.density
    dense = density > 2 * other_end
    if dense:
        middle = max(middle, top - math.ceil(walk.tuning.window_pages * span))
    if not bottom < middle < top:
        return None  # one second (or less) left: walked by cursor only
    child = walk.new_stream(stream.lo, middle)
    child.density = other_end if dense else stream.density  # the rest of a dense stretch: not known dense
    if partner is not None:
        child.partner, partner.partner, stream.partner = partner, child, None
        partner.hi = min(partner.hi, middle)
    stream.lo = middle + 1
    return child
