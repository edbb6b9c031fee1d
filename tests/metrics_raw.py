"""MRR and its history computed straight from the Stripe API's JSON (httpx, ``Fraction``s), with no
paragon_magic code: the independent side of the metrics' sandbox tests.

Stripe's MRR glossary: ``active`` and ``past_due`` subscriptions (trials excluded), each licensed item's
price × quantity normalised to a month (a year is 12 months, ``interval_count`` multiplies), less
``forever`` coupons (percent off, then amount off), per currency. A subscription's items over time are read
from its ``customer.subscription.created`` / ``.updated`` events (the items after each change).
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction
from typing import Any

import httpx

MONTHS = {"month": Fraction(1), "year": Fraction(12), "week": Fraction(12, 52), "day": Fraction(12, 365)}
FOREVER = Fraction(10**18)
Key = tuple[str, str]  # (customer, currency)


def fetch_all(url: str, key: str, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every object of a list endpoint, walking the cursor."""
    objects: list[dict[str, Any]] = []
    query: dict[str, Any] = {"limit": 100, **params}
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60, trust_env=False) as api:
        while True:
            body = api.get(path, params=query).raise_for_status().json()
            objects += body["data"]
            if not body["has_more"]:
                return objects
            query["starting_after"] = body["data"][-1]["id"]


def raw_business(url: str, key: str) -> dict[str, Any]:
    """The JSON the metrics are checked against: subscriptions (discounts expanded), coupons, events, invoices."""
    return {
        "subscriptions": fetch_all(url, key, "/v1/subscriptions", status="all", **{"expand[]": "data.discounts"}),
        "coupons": {c["id"]: c for c in fetch_all(url, key, "/v1/coupons")},
        "events": fetch_all(url, key, "/v1/events"),
        "invoices": fetch_all(url, key, "/v1/invoices"),
    }


def rounded(value: Fraction) -> int:
    """Half up to a whole minor unit, as the metrics round each customer's month."""
    return int((value + Fraction(1, 2)) // 1)


def item_value(item: dict[str, Any]) -> Fraction:
    """One item's monthly value before coupons (0 for metered prices)."""
    price = item["price"]
    recurring = price["recurring"]
    if recurring["usage_type"] == "metered":
        return Fraction(0)
    months = MONTHS[recurring["interval"]] * recurring["interval_count"]
    return Fraction(price["unit_amount"] * (item.get("quantity") or 1)) / months


def after_coupons(amount: Fraction, sub: dict[str, Any], coupons: dict[str, dict[str, Any]], at: int) -> Fraction:
    """``amount`` less the subscription's ``forever`` coupons running at ``at`` (once/repeating: no effect)."""
    for discount in sub.get("discounts") or []:
        coupon = coupons[discount["source"]["coupon"]]
        if coupon["duration"] != "forever" or discount["start"] > at:
            continue
        if coupon["percent_off"]:
            amount *= 1 - Fraction(str(coupon["percent_off"])) / 100
        if coupon["amount_off"]:
            months = MONTHS[sub["items"]["data"][0]["price"]["recurring"]["interval"]]
            amount -= Fraction(coupon["amount_off"]) / months
        amount = max(amount, Fraction(0))
    return amount


def mrr_now(raw: dict[str, Any]) -> dict[Key, int]:
    """MRR of the subscriptions as they stand: active and past_due only (the glossary, read literally)."""
    found: dict[Key, Fraction] = defaultdict(Fraction)
    for sub in raw["subscriptions"]:
        if sub["status"] in ("active", "past_due"):
            value = sum((item_value(i) for i in sub["items"]["data"]), Fraction(0))
            found[(sub["customer"], sub["currency"])] += after_coupons(value, sub, raw["coupons"], 1 << 62)
    return {key: rounded(value) for key, value in found.items() if rounded(value) > 0}


def items_over_time(events: list[dict[str, Any]]) -> dict[str, list[tuple[int, list[dict[str, Any]]]]]:
    """subscription id -> [(moment, its items from then on)], from the created/updated events, oldest first."""
    timeline: dict[str, list[tuple[int, list[dict[str, Any]]]]] = defaultdict(list)
    for event in sorted(events, key=lambda e: e["created"]):
        obj = event["data"]["object"]
        created = event["type"] == "customer.subscription.created"
        changed = event["type"] == "customer.subscription.updated" and "items" in (
            event["data"].get("previous_attributes") or {})
        if created or changed:
            timeline[obj["id"]].append((event["created"], obj["items"]["data"]))
    return timeline


def paying_from(sub: dict[str, Any]) -> int:
    """When a subscription starts to count: its start, or its trial's end."""
    return max(sub["start_date"], sub["trial_end"] or 0)


def mrr_at(raw: dict[str, Any], at: int) -> dict[Key, int]:
    """Each customer's MRR at ``at`` (epoch seconds; an instant inside the second counts as it), from the
    subscriptions' dates and their items' history in the events."""
    timeline = items_over_time(raw["events"])
    found: dict[Key, Fraction] = defaultdict(Fraction)
    for sub in raw["subscriptions"]:
        ended = sub["ended_at"] if sub["ended_at"] is not None else 1 << 62
        if not paying_from(sub) <= at < ended:
            continue
        states = [items for moment, items in timeline[sub["id"]] if moment <= at]
        value = sum((item_value(i) for i in states[-1]), Fraction(0))
        found[(sub["customer"], sub["currency"])] += after_coupons(value, sub, raw["coupons"], at)
    return {key: rounded(value) for key, value in found.items() if rounded(value) > 0}


def per_currency(values: dict[Key, int]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for (_, currency), value in values.items():
        totals[currency] += value
    return dict(totals)


def changes(raw: dict[str, Any], until: int) -> list[tuple[str, int, str, int]]:
    """(customer, moment, type, signed amount) each time a customer's MRR moved, up to ``until``: read at
    every instant something could move it (a start, a trial's end, an end, an items change)."""
    moments = {paying_from(s) for s in raw["subscriptions"]}
    moments |= {s["ended_at"] for s in raw["subscriptions"] if s["ended_at"] is not None}
    moments |= {moment for steps in items_over_time(raw["events"]).values() for moment, _ in steps}
    found, had = [], set()
    for moment in sorted(m for m in moments if m <= until):
        before, after = mrr_at(raw, moment - 1), mrr_at(raw, moment)
        for key in sorted(set(before) | set(after)):
            old, new = before.get(key, 0), after.get(key, 0)
            if old == new:
                continue
            kind = ("reactivation" if key in had else "new") if old == 0 else "churn" if new == 0 else (
                "upgrade" if new > old else "downgrade")
            had.add(key)
            found.append((key[0], moment, kind, new - old))
    return found
