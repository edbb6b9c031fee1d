"""Fetching whole Stripe lists into DataFrames.

``sequential``: the ``starting_after`` cursor walk (small reads, any list). ``partitioned``: concurrent
``created`` windows with the same rows and order (large reads). ``throttle``: what keeps those windows
within the rate limit. Only the sequential walk is imported here; ``partitioned`` loads on first use.
"""

from .sequential import ListingInterrupted, ListOutcome, list_sequential

__all__ = ["ListingInterrupted", "ListOutcome", "list_sequential"]
