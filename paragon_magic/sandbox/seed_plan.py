"""The seeded business as a deterministic timeline of events (no I/O): who signs up when, what they
buy, when they upgrade, fail to pay, churn, pay once, get refunded, and when the balance is paid out.

``seed.py`` plays the timeline against the sandbox with its clock set to each event's moment.
Same ``rng_seed`` and ``now``, same timeline.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

DAY = 86_400
MONTHS_OF_HISTORY = 18
TRIAL_DAYS = 14
YEARLY_MONTHS = 10  # a yearly price is ten months' worth
PAYOUT_EVERY_DAYS = 14
CURRENCIES = ("usd", "eur", "gbp", "jpy")


@dataclass(frozen=True)
class Tier:
    name: str
    key: str
    monthly: dict[str, int]  # currency -> monthly unit amount (smallest unit; jpy has none smaller)


TIERS = (
    Tier("Starter", "starter", {"usd": 900, "eur": 900, "gbp": 700, "jpy": 1_300}),
    Tier("Pro", "pro", {"usd": 2_900, "eur": 2_700, "gbp": 2_400, "jpy": 4_400}),
    Tier("Team", "team", {"usd": 7_900, "eur": 7_500, "gbp": 6_500, "jpy": 11_800}),
    Tier("Enterprise", "enterprise", {"usd": 19_900, "eur": 18_900, "gbp": 15_900, "jpy": 29_800}),
)
TIER_WEIGHTS = (6, 4, 2, 1)
CURRENCY_OF_COUNTRY = {"US": "usd", "CA": "usd", "AU": "usd", "GB": "gbp", "DE": "eur", "FR": "eur",
                       "NL": "eur", "JP": "jpy"}  # fmt: skip
COUNTRIES = ("US", "US", "US", "US", "GB", "GB", "DE", "FR", "NL", "JP", "JP", "CA", "AU")
FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Frances", "Tim",
         "Radia", "John", "Hedy", "Linus", "Shafi", "Niklaus", "Sophie", "Guido", "Anita", "Dennis")
LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Thompson", "Allen",
        "Berners-Lee", "Perlman", "McCarthy", "Lamarr", "Torvalds", "Goldwasser", "Wirth", "Wilson",
        "van Rossum", "Borg", "Ritchie")
ADD_ONS = (("Onboarding session", 2), ("Extra seats", 1), ("Data export", 0.5), ("Priority support", 3))

# Monthly probabilities, per billing period of a monthly subscription.
MONTHLY_CHURN = 0.035
UPGRADE = 0.04
DOWNGRADE = 0.03
PAYMENT_FAILURE = 0.025
RECENT_PAYMENT_FAILURE = 0.25
YEARLY_CHURN = 0.25  # at each yearly renewal
TRIAL_SHARE = 0.25
TRIAL_CONVERSION = 0.7


def price_amount(tier: Tier, currency: str, interval: str) -> int:
    return tier.monthly[currency] * (YEARLY_MONTHS if interval == "year" else 1)


def add_interval(start: int, interval: str, count: int = 1) -> int:
    """``start`` plus ``count`` calendar months (or years), day clamped to the month's length."""
    moment = datetime.fromtimestamp(start, tz=timezone.utc)
    months = moment.month - 1 + count * (12 if interval == "year" else 1)
    year, month = moment.year + months // 12, months % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


@dataclass(frozen=True, order=True)
class Event:
    at: int
    seq: int
    kind: str = field(compare=False)
    data: dict[str, Any] = field(compare=False, hash=False)


@dataclass
class Timeline:
    start: int
    now: int
    events: list[Event] = field(default_factory=list)
    fields: dict[str, dict[str, int | None]] = field(default_factory=dict)  # sub key -> timestamps

    def add(self, at: int, kind: str, **data: Any) -> None:
        self.events.append(Event(at, len(self.events), kind, data))


def _signup_times(rng: random.Random, count: int, start: int, end: int) -> list[int]:
    """Half uniform, half growing linearly: a business that gains customers faster over time."""
    span = end - start
    times = [start + int(span * (rng.random() if i % 2 else rng.random() ** 0.5)) for i in range(count)]
    return sorted(times)


def build_timeline(*, customers: int, rng_seed: int, now: int) -> Timeline:
    rng = random.Random(rng_seed)
    start = now - MONTHS_OF_HISTORY * 30 * DAY
    line = Timeline(start=start, now=now)
    for index, signup in enumerate(_signup_times(rng, customers, start, now - 2 * DAY)):
        country = rng.choice(COUNTRIES)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        line.add(signup, "customer", index=index, name=f"{first} {last}", country=country,
                 email=f"{first}.{last}.{index}@example.com".lower().replace(" ", ""),
                 description=rng.choice(["self-serve", "sales-led", "partner"]),
                 segment=rng.choice(["smb", "mid-market", "enterprise"]))  # fmt: skip
        currency = CURRENCY_OF_COUNTRY[country]
        if rng.random() < 0.75:
            _subscription(rng, line, index, currency, min(signup + rng.randint(0, 3) * DAY, now - DAY))
        _one_off_payments(rng, line, index, currency, signup)
    at = add_interval(start, "month") - add_interval(start, "month") % DAY
    while at < now - DAY:
        line.add(at, "payout")
        at += PAYOUT_EVERY_DAYS * DAY
    line.events.sort()
    return line


def _subscription(rng: random.Random, line: Timeline, customer: int, currency: str, began: int) -> None:
    key = f"sub:{customer}"
    tier = rng.choices(range(len(TIERS)), weights=TIER_WEIGHTS)[0]
    interval = "year" if rng.random() < 0.2 else "month"
    trial = rng.random() < TRIAL_SHARE and began < line.now - 45 * DAY
    line.add(began, "subscribe", customer=customer, sub=key, tier=tier, interval=interval, trial=trial)
    anchor = began
    if trial:
        anchor = began + TRIAL_DAYS * DAY
        line.fields[key] = {"trial_start": began, "trial_end": anchor, "billing_cycle_anchor": anchor}
        if rng.random() > TRIAL_CONVERSION:
            _cancel(line, key, anchor - 3600)
            return
    period = 0
    while True:
        at = add_interval(anchor, interval, period)
        if at >= line.now - 60:
            return
        if period > 0:
            churn = MONTHLY_CHURN if interval == "month" else YEARLY_CHURN
            if rng.random() < churn:
                _cancel(line, key, at - rng.randint(1, 10) * DAY)
                return
            roll = rng.random()
            if interval == "month" and roll < UPGRADE and tier + 1 < len(TIERS):
                tier += 1
                line.add(at - 3600, "change", sub=key, tier=tier, direction="upgrade")
            elif interval == "month" and roll < UPGRADE + DOWNGRADE and tier > 0:
                tier -= 1
                line.add(at - 3600, "change", sub=key, tier=tier, direction="downgrade")
        if period > 0 or trial:  # the first period of a subscription without trial is paid on creation
            ref = f"inv:{customer}:{period}"
            recent = at + 15 * DAY >= line.now  # a recent failure is still open (past due)
            fail = period > 0 and rng.random() < (RECENT_PAYMENT_FAILURE if recent else PAYMENT_FAILURE)
            line.add(at, "renew", sub=key, ref=ref, fail=fail)
            if fail:  # past due until the end of the history, or written off and canceled
                if at + 15 * DAY < line.now - 60:  # dunning gave up: written off or voided
                    line.add(at + 15 * DAY, rng.choice(["uncollectible", "void"]), ref=ref)
                    _cancel(line, key, at + 15 * DAY + 60)
                return
        period += 1


def _cancel(line: Timeline, key: str, at: int) -> None:
    line.add(at, "cancel", sub=key)
    line.fields.setdefault(key, {}).update(canceled_at=at, ended_at=at)


def _one_off_payments(rng: random.Random, line: Timeline, customer: int, currency: str, signup: int) -> None:
    if rng.random() > 0.3:
        return
    for n in range(rng.randint(1, 3)):
        at = rng.randint(signup + 60, line.now - 120)
        name, factor = rng.choice(ADD_ONS)
        amount = int(TIERS[1].monthly[currency] * factor)
        ref = f"pay:{customer}:{n}"
        line.add(at, "payment", customer=customer, ref=ref, amount=amount, currency=currency, description=name)
        if rng.random() < 0.25:
            refund_at = min(at + rng.randint(1, 20) * DAY, line.now - 60)
            partial = rng.random() < 0.5
            line.add(refund_at, "refund", ref=ref, amount=amount // 3 if partial else None)
