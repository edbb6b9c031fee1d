"""Hand-built Stripe histories for the metrics tests: JSON shaped as API 2026-10-28 returns it, made into
frames with ``paragon_magic.frames.to_frame`` so the columns and dtypes are the real ones."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from paragon_magic.frames import to_frame

NOW = "2026-06-15"


def ts(text: str) -> int:
    """Epoch seconds of ``YYYY-MM-DD`` (UTC midnight) or ``YYYY-MM-DDTHH:MM``."""
    form = "%Y-%m-%dT%H:%M" if "T" in text else "%Y-%m-%d"
    return calendar.timegm(datetime.strptime(text, form).replace(tzinfo=timezone.utc).timetuple())


def add_months(epoch: int, months: int) -> int:
    moment = datetime.fromtimestamp(epoch, timezone.utc)
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return calendar.timegm(moment.replace(year=year, month=month, day=day).timetuple())


def price(id: str, amount: int | None, *, currency: str = "usd", interval: str = "month", count: int = 1,
          usage: str = "licensed", product: str = "prod_a", **extra: Any) -> dict[str, Any]:
    recurring = {"interval": interval, "interval_count": count, "usage_type": usage, "meter": None,
                 "trial_period_days": None}
    return {"id": id, "object": "price", "active": True, "billing_scheme": "per_unit", "created": ts("2025-01-01"),
            "currency": currency, "livemode": False, "product": product, "recurring": recurring,
            "type": "recurring", "unit_amount": amount,
            "unit_amount_decimal": None if amount is None else str(amount), **extra}


def coupon(id: str, duration: str, *, percent_off: float | None = None, amount_off: int | None = None,
           currency: str | None = None) -> dict[str, Any]:
    return {"id": id, "object": "coupon", "duration": duration, "percent_off": percent_off,
            "amount_off": amount_off, "currency": currency, "valid": True, "created": ts("2025-01-01")}


def discount(id: str, coupon_id: str, *, subscription: str | None = None) -> dict[str, Any]:
    return {"id": id, "object": "discount", "source": {"type": "coupon", "coupon": coupon_id},
            "start": ts("2025-01-01"), "end": None, "subscription": subscription}


@dataclass
class World:
    """Subscriptions, their invoices (one per period, prorations on the next invoice) and the catalog."""

    now: str = NOW
    prices: dict[str, dict[str, Any]] = field(default_factory=dict)
    coupons: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    invoices: list[dict[str, Any]] = field(default_factory=list)
    customers: list[dict[str, Any]] = field(default_factory=list)

    def add_price(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        made = price(*args, **kwargs)
        self.prices[made["id"]] = made
        return made

    def add_coupon(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        made = coupon(*args, **kwargs)
        self.coupons[made["id"]] = made
        return made

    def subscribe(self, id: str, customer: str, items: list[tuple[str, int]], start: str, *, status: str = "active",
                  trial_end: str | None = None, ended: str | None = None, reason: str | None = None,
                  discounts: list[dict[str, Any]] | None = None, currency: str | None = None,
                  changes: list[tuple[str, str, int]] | None = None, invoice: bool = True) -> dict[str, Any]:
        """A subscription (items: price id, quantity) and, with ``invoice``, an invoice per period up to now.

        ``changes``: (date, new price, new quantity) of the first item, each billed at once with proration
        lines (a credit for the old price and a charge for the new one over the rest of the period)."""
        begin, stop = ts(start), ts(ended) if ended else None
        horizon = ts(self.now)
        moves = sorted((ts(d), p, q) for d, p, q in changes or [])
        final = list(items)
        for when, p, q in moves:
            if when <= horizon:
                final[0] = (p, q)
        first_price = self.prices[items[0][0]]
        currency = currency or first_price["currency"]
        trial = ts(trial_end) if trial_end else None
        recurring = first_price["recurring"]
        step = recurring["interval_count"] * (12 if recurring["interval"] == "year" else 1)
        anchor = trial or begin
        period_start = anchor
        while add_months(period_start, step) <= horizon and (stop is None or add_months(period_start, step) < stop):
            period_start = add_months(period_start, step)
        sub = {
            "id": id, "object": "subscription", "customer": customer, "status": status, "currency": currency,
            "created": begin, "start_date": begin, "billing_cycle_anchor": anchor,
            "cancel_at_period_end": False, "canceled_at": stop, "ended_at": stop if status == "canceled" else None,
            "trial_start": begin if trial else None, "trial_end": trial,
            "cancellation_details": {"reason": reason, "comment": None, "feedback": None},
            "collection_method": "charge_automatically", "discounts": discounts or [], "livemode": False,
            "metadata": {},
            "items": {"object": "list", "has_more": False, "total_count": len(final), "url": "/v1/subscription_items",
                      "data": [{"id": f"si_{id}_{n}", "object": "subscription_item", "quantity": q,
                                "price": self.prices[p], "current_period_start": period_start,
                                "current_period_end": add_months(period_start, step), "discounts": [],
                                "subscription": id, "created": begin}
                               for n, (p, q) in enumerate(final)]},
        }
        self.subscriptions.append(sub)
        if not invoice:
            return sub
        if trial:
            self.invoice(customer, currency, [self.line(id, 0, p, q, begin, trial) for p, q in items],
                         created=begin, reason="subscription_create")
        moment, first, state = anchor, True, list(items)
        while moment <= horizon and (stop is None or moment < stop):
            end = add_months(moment, step)
            for when, p, q in moves:
                if when <= moment:
                    state[0] = (p, q)
            lines = [self.line(id, self.prices[p]["unit_amount"] * q, p, q, moment, end,
                               discounts=self.discounted(self.prices[p]["unit_amount"] * q, discounts, first))
                     for p, q in state]
            self.invoice(customer, currency, lines, created=moment)
            for when, p, q in moves:
                if moment < when < end and when <= horizon and (stop is None or when < stop):
                    (old, old_q), share = state[0], (end - when) / (end - moment)
                    credit = self.line(id, -round(self.prices[old]["unit_amount"] * old_q * share), old, old_q, when,
                                       end, proration=True)
                    charge = self.line(id, round(self.prices[p]["unit_amount"] * q * share), p, q, when, end,
                                       proration=True)
                    self.invoice(customer, currency, [credit, charge], created=when, reason="subscription_update")
                    state[0] = (p, q)
            moment, first = end, False
        return sub

    def discounted(self, amount: int, discounts: list[dict[str, Any]] | None, first: bool
                   ) -> list[tuple[int, str]]:
        """(amount off, discount id) of each discount that applies to this invoice (``once``: the first)."""
        out = []
        for made in discounts or []:
            found = self.coupons[made["source"]["coupon"]]
            if found["duration"] == "once" and not first:
                continue
            off = round(amount * found["percent_off"] / 100) if found["percent_off"] else found["amount_off"]
            off = min(off, amount)
            amount -= off
            out.append((off, made["id"]))
        return out

    def line(self, subscription: str, amount: int, price_id: str, quantity: int, start: int, end: int, *,
             proration: bool = False, discounts: list[tuple[int, str]] | None = None) -> dict[str, Any]:
        self._n = getattr(self, "_n", 0) + 1
        return {
            "id": f"il_{self._n}", "object": "line_item", "amount": amount, "subtotal": amount,
            "currency": self.prices[price_id]["currency"], "description": None,
            "discount_amounts": [{"amount": a, "discount": d} for a, d in discounts or []],
            "discounts": [d for _, d in discounts or []], "discountable": True, "livemode": False, "metadata": {},
            "period": {"start": start, "end": end}, "quantity": quantity,
            "parent": {"type": "subscription_item_details", "invoice_item_details": None,
                       "subscription_item_details": {"subscription": subscription,
                                                     "subscription_item": f"si_{subscription}",
                                                     "proration": proration, "invoice_item": None,
                                                     "proration_details": {"credited_items": None}}},
            "pricing": {"type": "price_details", "unit_amount_decimal": str(self.prices[price_id]["unit_amount"]),
                        "price_details": {"price": price_id, "product": self.prices[price_id]["product"]}},
            "taxes": [], "pretax_credit_amounts": [],
        }

    def invoice(self, customer: str, currency: str, lines: list[dict[str, Any]], *, created: int,
                status: str = "paid", reason: str = "subscription_cycle") -> dict[str, Any]:
        self._i = getattr(self, "_i", 0) + 1
        made = {"id": f"in_{self._i}", "object": "invoice", "customer": customer, "currency": currency,
                "status": status, "created": created, "billing_reason": reason, "livemode": False,
                "amount_due": sum(line["amount"] for line in lines),
                "lines": {"object": "list", "data": lines, "has_more": False, "total_count": len(lines),
                          "url": "/v1/invoices/x/lines"}}
        self.invoices.append(made)
        return made

    def frames(self) -> dict[str, pd.DataFrame]:
        fetched = pd.Timestamp(self.now, tz="UTC").isoformat()
        out = {
            "subscriptions": to_frame(self.subscriptions, "subscription"),
            "invoices": to_frame(self.invoices, "invoice"),
            "prices": to_frame(list(self.prices.values()), "price"),
            "coupons": to_frame(list(self.coupons.values()), "coupon"),
        }
        if self.customers:
            out["customers"] = to_frame(self.customers, "customer")
        for frame in out.values():
            frame.attrs.setdefault("stripe", {})["fetched_at"] = fetched
        return out
