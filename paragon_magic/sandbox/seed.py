"""Seed the sandbox with a small, realistic, deterministic SaaS business (~18 months of history).

Four products with monthly and yearly prices in USD, EUR, GBP and JPY (zero-decimal); customers
signing up over the period in their country's currency; subscriptions with trials, upgrades and
downgrades (prorated), cancellations (now or at the period end), cards that start failing (the
engine's dunning retries, then cancels); one-off card payments, refunds and disputes. The script of
intentions comes from :mod:`seed_plan`; :func:`seed_engine` plays it on the engine with the sandbox
clock set to each intention's moment, and the engine does the rest as its clock advances: renewal
invoices, finalization, payment attempts, dunning, fees, automatic payouts, events. Same seed, same
business (relative to ``now``).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from ..client import flatten_params
from .front.errors import StripeErrorResponse
from .seed_plan import CURRENCIES, CURRENCY_OF_COUNTRY, DAY, MONTHS_OF_HISTORY, TIERS, build_timeline, price_amount

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["DAY", "MONTHS_OF_HISTORY", "SeedReport", "seed", "seed_engine"]

GOOD_CARD = "pm_card_visa"
FAILING_CARD = "pm_card_chargeCustomerFail"  # attaches fine, every charge on it is declined
DISPUTED_CARD = "pm_card_createDispute"  # the charge succeeds, then the cardholder disputes it


@dataclass
class SeedReport:
    """What the script did (its intentions) and what the engine made of it."""

    products: int = 0
    prices: int = 0
    customers: int = 0
    subscriptions: int = 0
    trials: int = 0
    canceled: int = 0  # voluntary cancellations the script asked for
    upgrades: int = 0
    downgrades: int = 0
    failing_cards: int = 0
    payments: int = 0
    refunds: int = 0
    partial_refunds: int = 0
    disputes: int = 0
    invoices: Counter[str] = field(default_factory=Counter)  # by final status (the engine's)
    payouts: int = 0
    seconds: float = 0.0
    ids: dict[str, list[str]] = field(default_factory=dict)

    def __str__(self) -> str:
        invoices = ", ".join(f"{n} {status}" for status, n in sorted(self.invoices.items()))
        return (f"seeded {self.customers} customers, {self.products} products, {self.prices} prices, "
                f"{self.subscriptions} subscriptions ({self.trials} trials, {self.canceled} canceled, "
                f"{self.upgrades} upgrades, {self.downgrades} downgrades, {self.failing_cards} failing cards), "
                f"invoices ({invoices}), {self.payments} payments, {self.refunds} refunds "
                f"({self.partial_refunds} partial), {self.disputes} disputes, {self.payouts} payouts "
                f"in {self.seconds:.1f} s")  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SeedReport:
        return cls(**{**data, "invoices": Counter(data.get("invoices") or {})})


def seed_engine(engine: Engine, *, customers: int = 100, rng_seed: int = 7, now: int | None = None) -> SeedReport:
    """Play the seeded business on ``engine`` up to ``now`` (default: the wall clock, after which the
    sandbox clock follows real time again; a given ``now`` stays frozen, for tests)."""
    started = time.monotonic()
    moment = int(now if now is not None else time.time())
    timeline = build_timeline(customers=customers, rng_seed=rng_seed, now=moment)
    player = _Player(engine, SeedReport())
    player.catalog(timeline.start - 30 * DAY)
    for event in timeline.events:
        engine.clocks.set_frozen(event.at)
        getattr(player, f"_{event.kind}")(**event.data)
    engine.clocks.set_frozen(moment if now is not None else None)
    report = player.report
    report.invoices = Counter(inv["status"] for inv in engine.collection("invoice"))
    report.payouts = sum(1 for _ in engine.collection("payout"))
    report.seconds = time.monotonic() - started
    return report


def seed(base_url: str, api_key: str = "", *, customers: int = 100, rng_seed: int = 7, now: float | None = None,
         control_headers: Mapping[str, str] | None = None) -> SeedReport:  # fmt: skip
    """Seed the running sandbox at ``base_url`` (``control_headers``: its ``LocalStripe.control_headers``)."""
    body = {"customers": customers, "rng_seed": rng_seed, "now": None if now is None else int(now)}
    with httpx.Client(base_url=base_url.rstrip("/"), headers=dict(control_headers or {}), timeout=300.0,
                      trust_env=False) as control:  # fmt: skip
        reply = control.post("/_sandbox/seed", json=body)
        reply.raise_for_status()
        return SeedReport.from_json(reply.json())


def report_json(report: SeedReport) -> dict[str, Any]:
    return {**asdict(report), "invoices": dict(report.invoices)}


class _Player:
    """Plays the script's intentions through the engine's API, remembering the ids they made."""

    def __init__(self, engine: Engine, report: SeedReport) -> None:
        self.engine, self.report = engine, report
        self.prices: dict[tuple[int, str, str], str] = {}  # (tier, currency, interval) -> price id
        self.customers: dict[int, tuple[str, str]] = {}  # index -> (id, currency)
        self.subs: dict[str, dict[str, Any]] = {}  # script key -> {id, item, customer, currency, interval}
        self.charges: dict[str, str] = {}  # script ref -> charge id

    def call(self, method: str, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.engine.handle(method, path, flatten_params(params or {}))

    def catalog(self, at: int) -> None:
        self.engine.clocks.set_frozen(at)
        for tier_index, tier in enumerate(TIERS):
            product = self.call("POST", "/v1/products", {"name": tier.name, "description": f"{tier.name} plan",
                                                         "metadata": {"tier": tier.key}})  # fmt: skip
            self.report.products += 1
            for currency in CURRENCIES:
                for interval in ("month", "year"):
                    price = self.call("POST", "/v1/prices", {
                        "product": product["id"], "currency": currency, "recurring": {"interval": interval},
                        "unit_amount": price_amount(tier, currency, interval), "nickname": f"{tier.name} {interval}ly",
                        "lookup_key": f"{tier.key}_{interval}ly_{currency}", "metadata": {"tier": tier.key},
                    })  # fmt: skip
                    self.prices[(tier_index, currency, interval)] = price["id"]
                    self.report.prices += 1

    def _customer(self, index: int, name: str, email: str, country: str, description: str, segment: str) -> None:
        customer = self.call("POST", "/v1/customers", {
            "name": name, "email": email, "description": description, "address": {"country": country},
            "payment_method": GOOD_CARD, "metadata": {"segment": segment, "seed": str(index)},
        })  # fmt: skip
        self.customers[index] = (customer["id"], CURRENCY_OF_COUNTRY[country])
        self.report.customers += 1
        self.report.ids.setdefault("customers", []).append(customer["id"])

    def _subscribe(self, customer: int, sub: str, tier: int, interval: str, trial: bool) -> None:
        customer_id, currency = self.customers[customer]
        params: dict[str, Any] = {"customer": customer_id, "metadata": {"tier": TIERS[tier].key},
                                  "items": [{"price": self.prices[(tier, currency, interval)]}]}  # fmt: skip
        if trial:
            params["trial_period_days"] = 14
            self.report.trials += 1
        created = self.call("POST", "/v1/subscriptions", params)
        self.subs[sub] = {"id": created["id"], "item": created["items"]["data"][0]["id"],
                          "customer": customer_id, "currency": currency, "interval": interval}  # fmt: skip
        self.report.subscriptions += 1

    def _live(self, sub: str) -> dict[str, Any] | None:
        """The subscription behind a script key, unless dunning has already ended it."""
        state = self.subs.get(sub)
        if state is None:
            return None
        current = self.engine.store.get(state["id"])
        return None if current is None or current["status"] in ("canceled", "incomplete_expired") else current

    def _change(self, sub: str, tier: int, direction: str) -> None:
        if self._live(sub) is None:
            return
        state = self.subs[sub]
        price = self.prices[(tier, state["currency"], state["interval"])]
        self.call("POST", f"/v1/subscriptions/{state['id']}", {
            "items": [{"id": state["item"], "price": price}], "proration_behavior": "create_prorations",
        })  # fmt: skip
        setattr(self.report, f"{direction}s", getattr(self.report, f"{direction}s") + 1)

    def _cancel(self, sub: str, at_period_end: bool) -> None:
        if self._live(sub) is None:
            return
        sub_id = self.subs[sub]["id"]
        if at_period_end:
            self.call("POST", f"/v1/subscriptions/{sub_id}", {"cancel_at_period_end": True})
        else:
            self.call("DELETE", f"/v1/subscriptions/{sub_id}")
        self.report.canceled += 1

    def _card_fails(self, customer: int) -> None:
        customer_id = self.customers[customer][0]
        card = self.call("POST", f"/v1/payment_methods/{FAILING_CARD}/attach", {"customer": customer_id})
        self.call("POST", f"/v1/customers/{customer_id}", {"invoice_settings": {"default_payment_method": card["id"]}})
        self.report.failing_cards += 1

    def _payment(self, customer: int, ref: str, amount: int, currency: str, description: str, disputed: bool) -> None:
        try:
            intent = self.call("POST", "/v1/payment_intents", {
                "amount": amount, "currency": currency, "customer": self.customers[customer][0],
                "payment_method": DISPUTED_CARD if disputed else GOOD_CARD, "confirm": True,
                "description": description, "metadata": {"item": description},
            })  # fmt: skip
        except StripeErrorResponse:  # a customer whose card has started failing
            return
        self.charges[ref] = intent["latest_charge"]
        self.report.payments += 1
        self.report.disputes += disputed

    def _refund(self, ref: str, amount: int | None) -> None:
        if ref not in self.charges:
            return
        self.call("POST", "/v1/refunds", {"charge": self.charges[ref], **({"amount": amount} if amount else {})})
        self.report.refunds += 1
        self.report.partial_refunds += amount is not None

    def _dispute_evidence(self, ref: str, win: bool) -> None:
        charge = self.charges.get(ref)
        disputes = [d for d in self.engine.collection("dispute") if d.get("charge") == charge]
        if not disputes or disputes[0]["status"] not in ("needs_response", "warning_needs_response"):
            return
        evidence = "winning_evidence" if win else "losing_evidence"
        self.call("POST", f"/v1/disputes/{disputes[0]['id']}", {"evidence": {"uncategorized_text": evidence},
                                                                "submit": True})  # fmt: skip
