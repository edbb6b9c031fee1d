"""``session.mrr()``, ``.mrr_history()``, ``.change_log()``, ``.churn()``, ``.cohorts()``, ``.trial_conversion()``,
``.net_revenue()``: fetch the frames a metric needs through the catalog's list actions, then compute it
with :mod:`paragon_magic.metrics` (which does no I/O of its own)."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["MetricsMethods"]

_EXPAND = ["discounts", "items.data.discounts"]


class MetricsMethods:
    """Mixed into :class:`paragon_magic.session.Session`."""

    run: Any
    request: Any
    config: Any

    def metric_frames(self, *, history: bool = False, progress: bool | None = None) -> dict[str, pd.DataFrame]:
        """The frames the metrics read: subscriptions (all statuses, discounts expanded), coupons and
        customers (for customer-level discounts); with ``history`` also invoices (every line) and prices."""
        frames = {
            "subscriptions": self.run("list_subscriptions", {"status": "all"}, expand=_EXPAND, progress=progress),
            "coupons": self.request("stripe", "/v1/coupons", progress=progress),
            "customers": self.run("list_customers", progress=progress),
        }
        if history:
            invoices = self.run("list_invoices", progress=progress)
            frames["invoices"] = self._every_line(invoices, progress)
            frames["prices"] = self.run("list_prices", progress=progress)
        return frames

    def _every_line(self, invoices: pd.DataFrame, progress: bool | None) -> pd.DataFrame:
        """Invoices whose embedded ``lines`` stop early (``has_more``) get all their lines fetched."""
        if "lines.has_more" not in invoices.columns or not invoices["lines.has_more"].fillna(False).any():
            return invoices
        invoices = invoices.copy()
        cells = invoices["lines.data"].tolist()
        keep_raw = self.config.keep_raw
        self.config.keep_raw = True  # the lines go back into the invoices as the objects Stripe sent
        try:
            for row in range(len(invoices)):
                if bool(invoices["lines.has_more"].iloc[row]):
                    path = f"/v1/invoices/{invoices['id'].iloc[row]}/lines"
                    cells[row] = [dict(o) for o in self.request("stripe", path, progress=progress).attrs[
                        "stripe_raw"].objects]
        finally:
            self.config.keep_raw = keep_raw
        invoices["lines.data"] = pd.Series(cells, index=invoices.index, dtype=object)
        return invoices

    def mrr(self, at: Any = None, by: str = "currency", *, history: bool | None = None, to: str | None = None,
            rates: Any = None) -> pd.DataFrame:
        """MRR now (or ``at`` a date) per currency, or ``by`` product, price, customer or subscription.
        A date in an earlier month reads the invoices (``history``: default when ``at`` is given)."""
        from ..metrics import mrr

        frames = self.metric_frames(history=at is not None if history is None else history)
        return mrr(frames.pop("subscriptions"), at=at, by=by, to=to, rates=rates, **frames)

    def mrr_history(self, months: int | None = None, *, at: Any = None, to: str | None = None,
                    rates: Any = None) -> Any:
        """MRR per month with Stripe's movements (``.plot()`` draws them); the last ``months`` months."""
        from ..metrics import mrr_history

        frames = self.metric_frames(history=True)
        return mrr_history(frames.pop("subscriptions"), at=at, months=months, to=to, rates=rates, **frames)

    def change_log(self, months: int | None = None, *, at: Any = None) -> pd.DataFrame:
        """Each customer's new, upgrade, downgrade, reactivation and churn, with date and amount."""
        from ..metrics import change_log

        frames = self.metric_frames(history=True)
        return change_log(frames.pop("subscriptions"), at=at, months=months, **frames)

    def churn(self, at: Any = None, days: int = 30) -> pd.DataFrame:
        """Subscriber churn rate (Stripe's definition), MRR churned, voluntary vs involuntary, per currency."""
        from ..metrics import churn

        frames = self.metric_frames()
        return churn(frames["subscriptions"], at=at, days=days, coupons=frames["coupons"],
                     customers=frames["customers"])

    def cohorts(self, months: int | None = None, *, at: Any = None) -> Any:
        """Signup-month retention of subscribers and MRR (``.plot()``: the heatmap)."""
        from ..metrics import cohorts

        frames = self.metric_frames(history=True)
        return cohorts(frames.pop("subscriptions"), at=at, months=months, **frames)

    def trial_conversion(self, at: Any = None) -> pd.DataFrame:
        """Per month trials ended: how many converted into paying subscriptions."""
        from ..metrics import trial_conversion

        return trial_conversion(self.run("list_subscriptions", {"status": "all"}), at=at)

    def net_revenue(self, month: Any = None, *, by: str | None = "month") -> pd.DataFrame:
        """Charges, refunds, disputes, fees and net per currency from balance transactions (``month``: one)."""
        from ..metrics import net_revenue

        return net_revenue(self.run("list_balance_transactions", month=month), by=by)
