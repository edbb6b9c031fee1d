"""Fetching whole Stripe lists into DataFrames.

``sequential``: the ``starting_after`` cursor walk (small reads, any list). ``partitioned``: concurrent
``created`` windows with the same rows and order (large reads): ``windows`` holds the walkers' state,
``balance`` decides which walker comes next; ``throttle``:
how many windows run at once and the async clients that share the session's pacer; ``request``: paging
for ``request`` (a list's cursors or a search result's ``next_page``); ``stop``: stopping every walker
(Ctrl-C) from another thread. Only the sequential walk is imported
here; ``partitioned`` loads on first use.
"""

from .sequential import ListingInterrupted, ListOutcome, list_sequential

__all__ = ["ListingInterrupted", "ListOutcome", "list_sequential"]
