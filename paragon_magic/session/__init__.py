"""A Session runs catalog actions (and any Stripe request) through one Stripe client and returns typed
DataFrames: the class in :mod:`.core`, with the any-endpoint API (:mod:`.request`), the finance metrics
(:mod:`.metrics`) and the local store (:mod:`.store`) mixed in; :mod:`.plan` holds what a call plans."""

from .core import LiveWriteRefused, Session, SessionConfig
from .plan import PlannedCall, missing_required, place_targets

__all__ = ["LiveWriteRefused", "PlannedCall", "Session", "SessionConfig", "missing_required", "place_targets"]
