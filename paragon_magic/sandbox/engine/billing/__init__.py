"""Stripe Billing in the sandbox engine: subscriptions and their items, invoices, invoice items and
invoice payments, and the clock-driven cycle (renewals, finalization, retries, dunning).

Importing the package registers its routes. The public face for the rest of the engine:
:func:`cancel_now` (end a subscription now, with a ``cancellation_details.reason``) and
:func:`add_interval` (calendar periods, the one implementation).
"""

from __future__ import annotations

from . import invoiceitems, invoices, preview, subscription_items, subscriptions  # noqa: F401  (routes)
from .cycle import cancel_now
from .periods import add_interval

__all__ = ["add_interval", "cancel_now"]
