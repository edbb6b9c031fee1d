"""The partitioned listing's policy (``listing.balance``) on hand-made walks: pure state, no I/O.

Over real HTTP, tests/test_listing_partitioned.py checks that whatever this policy decides, the rows and
their order are exactly a cursor walk's; here, that it decides what it says it does.
"""

from __future__ import annotations

from typing import Any

from paragon_magic.listing.balance import pages_left, probably_unneeded, rebalance
from paragon_magic.listing.windows import PartitionTuning, Stream, Walk

TOP = 1_766_000_000
DENSITY = 0.01  # objects per second: a 100-object page spans 10,000 s


class _Bar:
    def update(self, n: int) -> None:
        pass

    def set_postfix(self, **kwargs: Any) -> None:
        pass


def _walk(limit: int | None = None, target: int = 10, **tuning: Any) -> tuple[Walk, Stream]:
    """A walk right after its first page (100 objects over 10,000 s below ``TOP``), more to come."""
    walk = Walk("/v1/customers", {}, "customer", False, limit, 100, None, PartitionTuning(**tuning), _Bar())
    walk.target, walk.density = target, DENSITY
    root = walk.new_stream(None, 0, order=float("inf"))
    page = _objects(TOP, TOP - 9_999, 100)
    walk.add_rows(root, page)
    walk.advance(root, page, full=True)
    return walk, root


def _objects(newest: int, oldest: int, count: int, prefix: str = "cus") -> list[dict[str, Any]]:
    step = (newest - oldest) / max(1, count - 1)
    return [{"id": f"{prefix}_{newest}_{i}", "object": "customer", "created": round(newest - i * step)}
            for i in range(count)]


def test_a_list_keeps_two_windows_until_its_rows_show_more_than_small_pages() -> None:
    walk, root = _walk(probes=5)
    first = [s for s in rebalance(walk) if s.probe]
    assert len(first) == 1 and first[0].lo is None  # one cut: a small list costs at most one request more
    assert root.lo == first[0].hi + 1 and root.hi - root.lo + 1 == 6 * 10_000  # first_cut pages by density
    assert not [s for s in rebalance(walk) if s.probe]  # nothing new is known: no deeper probe
    for page_number in range(9):  # data goes on below the cut, page after page: 200 .. 1,000 rows fetched
        page = _objects(first[0].hi, first[0].hi - 9_999, 100, prefix=f"old{page_number}")
        walk.add_rows(first[0], page)
        walk.advance(first[0], page, full=True)
        first[0].top = first[0].top or page[0]  # a partner may climb from here
        made = rebalance(walk)
        assert all(s.upward for s in made)  # still possibly ten pages: a partner at most, no third window
    page = _objects(first[0].hi, first[0].hi - 9_999, 100, prefix="old9")
    walk.add_rows(first[0], page)  # 1,100 rows: more than ten pages
    walk.advance(first[0], page, full=True)
    probes = [s for s in rebalance(walk) if s.probe]
    assert len(probes) == 6 and probes[-1].lo is None  # below the data seen, then the fan-out: five more,
    # before their walkers have data (``probes``); the oldest stays open below
    widths = [s.hi - s.lo + 1 for s in probes[:-1]]
    assert all(b >= 1.9 * a for a, b in zip(widths, widths[1:]))  # each about twice the one above
    assert first[0].lo == probes[0].hi + 1  # contiguous, newest first, nothing cut twice
    for newer, older in zip(probes, probes[1:]):
        assert older.hi == newer.lo - 1
    assert not [s for s in rebalance(walk) if s.probe]  # one fan-out only; later cuts need data again


def test_a_limit_still_fans_out_at_once() -> None:
    walk, _ = _walk(limit=5_000, probes=5)
    probes = [s for s in rebalance(walk) if s.probe]
    assert len(probes) == 1 and probes[0].deferred  # with a limit: one cut, the rest left to a deferred walker


def test_a_small_list_is_not_cut() -> None:
    walk, root = _walk()
    (probe,) = [s for s in rebalance(walk) if s.probe]
    walk.add_rows(probe, [])
    walk.ended(probe, [])  # nothing below the first cut: the list is small
    probe.done = True
    for _ in range(3):  # the root walks on alone, whatever it finds
        page = _objects(root.hi - 1, root.hi - 10_000, 100, prefix=f"r{root.pages}")
        walk.add_rows(root, page)
        walk.advance(root, page, full=True)
        assert rebalance(walk) == []


def test_the_open_end_is_cut_again_only_once_it_has_shown_data() -> None:
    walk, _ = _walk(probes=1, small_pages=0.5)  # known to be larger than small_pages from the first page
    rebalance(walk)
    open_end = next(s for s in walk.streams if s.lo is None)
    assert open_end.pages == 0 and not any(s.probe and s is not open_end and s.lo is None for s in walk.streams)
    count = len(walk.streams)
    rebalance(walk)  # nothing new is known: no deeper probe
    assert len([s for s in walk.streams if s.probe]) == len([s for s in walk.streams[:count] if s.probe])
    page = _objects(open_end.hi, open_end.hi - 9_999, 100, prefix="old")
    walk.add_rows(open_end, page)
    walk.advance(open_end, page, full=True)
    deeper = [s for s in rebalance(walk) if s.probe]
    assert deeper and deeper[-1].lo is None and deeper[0].hi < open_end.hi and open_end.lo == deeper[0].hi + 1


def test_once_the_data_ends_nothing_below_is_thought_to_hold_rows() -> None:
    walk, _ = _walk()
    rebalance(walk)
    open_end = next(s for s in walk.streams if s.lo is None)
    walk.ended(open_end, [])  # the open end's first page was empty: nothing at or below its top
    assert walk.floor == open_end.hi + 1
    window = next(s for s in walk.streams if s.lo == open_end.hi + 1)
    assert pages_left(walk, window) > 0
    walk.floor = window.hi  # learnt later: the data ends inside this window, one second from its top
    assert pages_left(walk, window) <= 2 * DENSITY  # at most that last second's worth


def test_a_window_that_would_finish_last_gets_a_partner_then_is_halved() -> None:
    walk, root = _walk(target=6, small_pages=1)
    root.lo = TOP - 3_000_000  # a long window: about 300 pages below the root's cursor
    below = walk.new_stream(root.lo - 20_000, root.lo - 1)  # the oldest window: two pages, one fetched
    below_page = _objects(below.hi, below.hi - 9_999, 100, prefix="low")
    walk.add_rows(below, below_page)
    below.top = below_page[0]
    walk.advance(below, below_page, full=True)
    walk.floor = below.lo  # and nothing older
    window_lo = root.lo
    made = rebalance(walk)
    up = next(s for s in made if s.upward)
    assert up.cursor == below.top["id"] and up.lo == window_lo  # climbs from just above the window below
    halves = [s for s in made if not s.upward]
    assert halves, "a paired window far longer than the rest is cut as well"
    downs = sorted((s for s in walk.streams if not s.upward), key=lambda s: s.order, reverse=True)
    for newer, older in zip(downs, downs[1:]):
        assert newer.lo == older.order + 1  # contiguous windows: nothing walked twice, nothing skipped
    lowest = min(halves, key=lambda s: s.order)
    assert up.partner is lowest and lowest.partner is up and up.hi == lowest.hi  # the up walker moved down
    assert root.partner is None and all(pages_left(walk, s) < 160 for s in downs)


def test_a_page_from_a_window_cut_while_in_flight_keeps_only_its_own_rows() -> None:
    walk, root = _walk()
    stream = walk.new_stream(TOP - 100_000, TOP - 50_000)
    stream.pages = 1
    stream.lo = TOP - 60_000  # cut while its next page was in flight
    page = _objects(TOP - 55_000, TOP - 64_900, 100)
    inside, beyond = walk.clip(stream, page)
    assert beyond and inside and all(int(o["created"]) >= TOP - 60_000 for o in inside)


def test_with_a_limit_older_windows_wait_while_newer_ones_probably_fill_it() -> None:
    walk, root = _walk(limit=3_000)
    made = rebalance(walk)
    assert made and not any(s.upward for s in walk.streams)  # no up walkers with a limit
    deferred = [s for s in walk.streams if s.deferred]
    assert len(deferred) == 1 and deferred[0].lo is None  # the rest waits for everything newer
    oldest_window = min((s for s in walk.streams if s.lo is not None and not s.deferred), key=lambda s: s.order)
    assert not probably_unneeded(walk, root)
    walk.limit = 200  # the root's own window already holds about that much
    assert probably_unneeded(walk, oldest_window)


def test_a_window_walked_into_a_dense_stretch_keeps_a_share_and_hands_on_the_rest() -> None:
    """A bulk import: the walker's last page is 50× denser than its window's other end. Cutting in the
    middle of the seconds left would leave it nearly all the rows; it keeps a window's worth of its own
    pages instead. Where the data ends is not known yet (``floor`` is -inf)."""
    walk, root = _walk(target=4, small_pages=1, probes=0)
    root.lo = TOP - 3_000_000
    below = walk.new_stream(None, root.lo - 1)  # open below: the data goes on, its end is unknown
    below_page = _objects(below.hi, below.hi - 9_999, 100, prefix="low")
    walk.add_rows(below, below_page)
    below.top = below_page[0]
    walk.advance(below, below_page, full=True)
    partner = next(s for s in rebalance(walk) if s.upward)  # a partner, climbing from the window below
    dense = _objects(root.hi, root.hi - 199, 100, prefix="bulk")  # 100 objects in 200 s: 0.5 per second
    walk.add_rows(root, dense)
    walk.advance(root, dense, full=True)
    assert root.density == 0.5 and walk.floor == float("-inf")
    for stream in walk.streams:  # only these three still walk
        stream.done = stream.done or stream not in (root, partner, below)
    made = rebalance(walk)
    child = next(s for s in made if not s.upward and s.lo is not None and s.hi < root.hi)
    kept_seconds = root.hi - child.hi
    assert kept_seconds <= 8 * 200 + 1  # 8 dense pages (200 s each), not half of the ~3,000,000 s left
    assert child.partner is partner and partner.hi == child.hi and root.lo == child.hi + 1
    assert child.density == DENSITY  # the rest is estimated as sparse as the other end, not cut as dense


def test_a_window_cut_before_its_partner_has_a_page_is_cut_inside_it() -> None:
    """The window below's newest object may lie far below the window (a gap in the data): the partner
    climbing from it has fetched nothing of the window yet, so a cut still falls inside the window."""
    walk, root = _walk(target=6, small_pages=1)
    window_lo = root.lo = TOP - 100_000  # about ten pages below the root's cursor
    below = walk.new_stream(window_lo - 200_000, window_lo - 1)
    below_page = _objects(window_lo - 150_000, window_lo - 159_999, 100, prefix="low")  # its newest object
    walk.add_rows(below, below_page)
    below.top = below_page[0]
    walk.advance(below, below_page, full=True)
    walk.floor = below.lo
    made = rebalance(walk)
    up = next(s for s in made if s.upward)
    assert up.reach == window_lo - 1  # nothing of the window is fetched yet
    cut = [s for s in made if not s.upward]
    assert cut, "the window would finish last: it is cut as well as paired"
    for stream in walk.streams:
        assert stream.lo is None or stream.lo <= stream.hi, (stream.lo, stream.hi)
    assert any(s.lo == window_lo and s.partner is up and s.hi == root.lo - 1 for s in cut)  # its lower half


def test_while_a_list_may_be_small_partners_judge_the_gap_at_the_sparser_end() -> None:
    """Two walkers of one window: at the denser end's density a gap looks long enough for both to send, at
    the sparser end's it does not; while confined the up walker stops and the down walker waits for the up
    walker's page in flight (rather than both send a partly filled page)."""
    walk, root = _walk()
    up = walk.new_stream(TOP - 100_000, root.hi, cursor="cus_below", order=TOP - 100_000.5)
    up.upward, up.partner, root.partner = True, root, up
    up.density, root.density = 0.001, 0.01  # a 15,000 s gap: 150 rows at the denser end, 15 at the sparser
    page = _objects(root.hi - 15_000, root.hi - 16_000, 100, prefix="up")
    assert walk.met_soon(up, page, frugal=True) and not walk.met_soon(up, page)
    up.reach, up.in_flight = root.hi - 15_000, True
    assert walk.partner_closes_gap(root, frugal=True) and not walk.partner_closes_gap(root)
    up.in_flight = False  # nothing in flight: nothing to wait for
    assert not walk.partner_closes_gap(root, frugal=True)
