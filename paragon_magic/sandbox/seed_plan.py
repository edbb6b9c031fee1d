"""The seeded business as a deterministic script of intentions (no I/O): who signs up when, what they
buy, when they upgrade or downgrade, when their card starts failing, when they cancel, what they buy
once, what is refunded and disputed.

Only intentions: the engine produces everything else (invoices, renewals, prorations, payment
retries and dunning, fees, payouts, events) as ``seed.py`` advances its clock through the script.
Same ``rng_seed`` and ``now``, same script.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from .engine.prices import add_interval  # the engine's calendar arithmetic, the one implementation

DAY = 86_400
MONTHS_OF_HISTORY = 18
TRIAL_DAYS = 14
YEARLY_MONTHS = 10  # a yearly price is ten months' worth
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
PAYMENT_FAILURE = 0.03  # the customer's card starts failing before a renewal (dunning follows)
RECENT_PAYMENT_FAILURE = 0.25  # ... before a renewal in the last week: still past due "today"
YEARLY_CHURN = 0.25  # at each yearly renewal
TRIAL_SHARE = 0.25
TRIAL_CONVERSION = 0.7
DISPUTED_SHARE = 0.08  # of one-off payments


def price_amount(tier: Tier, currency: str, interval: str) -> int:
    return tier.monthly[currency] * (YEARLY_MONTHS if interval == "year" else 1)



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
        if rng.random() > TRIAL_CONVERSION:
            line.add(anchor - 3600, "cancel", sub=key, at_period_end=False)
            return
    period = 1
    while True:
        renewal = add_interval(anchor, interval, period)
        if renewal >= line.now - DAY:
            return
        churn = MONTHLY_CHURN if interval == "month" else YEARLY_CHURN
        failure = RECENT_PAYMENT_FAILURE if renewal >= line.now - 7 * DAY else PAYMENT_FAILURE
        roll = rng.random()
        if roll < churn:  # voluntary: now, or at the end of the period
            line.add(renewal - rng.randint(1, 10) * DAY, "cancel", sub=key, at_period_end=rng.random() < 0.5)
            return
        if roll < churn + failure:  # the card fails from the renewal on: dunning decides
            line.add(renewal - DAY, "card_fails", customer=customer)
            return
        change = rng.random()
        mid_period = renewal - rng.randint(3, 20) * DAY
        if interval == "month" and change < UPGRADE and tier + 1 < len(TIERS):
            tier += 1
            line.add(mid_period, "change", sub=key, tier=tier, direction="upgrade")
        elif interval == "month" and change < UPGRADE + DOWNGRADE and tier > 0:
            tier -= 1
            line.add(mid_period, "change", sub=key, tier=tier, direction="downgrade")
        period += 1


def _one_off_payments(rng: random.Random, line: Timeline, customer: int, currency: str, signup: int) -> None:
    if rng.random() > 0.3:
        return
    for n in range(rng.randint(1, 3)):
        at = rng.randint(signup + 60, line.now - 120)
        name, factor = rng.choice(ADD_ONS)
        amount = int(TIERS[1].monthly[currency] * factor)
        ref = f"pay:{customer}:{n}"
        disputed = rng.random() < DISPUTED_SHARE and at < line.now - 30 * DAY
        line.add(at, "payment", customer=customer, ref=ref, amount=amount, currency=currency, description=name,
                 disputed=disputed)  # fmt: skip
        if disputed:
            line.add(at + 10 * DAY, "dispute_evidence", ref=ref, win=rng.random() < 0.5)
        elif rng.random() < 0.25:
            refund_at = min(at + rng.randint(1, 20) * DAY, line.now - 60)
            partial = rng.random() < 0.5
            line.add(refund_at, "refund", ref=ref, amount=amount // 3 if partial else None)
