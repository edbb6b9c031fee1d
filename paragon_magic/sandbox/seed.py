"""Seed the sandbox with a small, realistic, deterministic SaaS business (~18 months of history).

Four products with monthly and yearly prices in USD, EUR, GBP and JPY (zero-decimal); customers
signing up over the period in their country's currency; subscriptions with trials, upgrades,
downgrades, cancellations and one invoice per billing period (paid, open when a card fails recently,
void, uncollectible); one-off card payments, full and partial refunds; fortnightly payouts sweeping the
available balance. The timeline comes from :mod:`seed_plan`; every object is created through the
Stripe API with the sandbox clock (``/_sandbox/clock``) set to its moment, so ``created`` and the
other timestamps fall where they would have. Same seed, same business (relative to ``now``).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..client import CardError, DirectBackend, RetryPolicy, StripeClient, TokenBucket, uses_environment_proxies
from .seed_plan import CURRENCIES, CURRENCY_OF_COUNTRY, DAY, MONTHS_OF_HISTORY, TIERS, Event, build_timeline, price_amount

__all__ = ["DAY", "MONTHS_OF_HISTORY", "SeedReport", "seed"]

GOOD_CARD = "pm_card_visa"
FAILING_CARD = "pm_card_chargeCustomerFail"  # attaches fine, every charge on it is declined


@dataclass
class SeedReport:
    products: int = 0
    prices: int = 0
    customers: int = 0
    subscriptions: int = 0
    trials: int = 0
    canceled: int = 0
    upgrades: int = 0
    downgrades: int = 0
    invoices: Counter[str] = field(default_factory=Counter)  # by final status
    payments: int = 0
    refunds: int = 0
    partial_refunds: int = 0
    payouts: int = 0
    seconds: float = 0.0
    ids: dict[str, list[str]] = field(default_factory=dict)

    def __str__(self) -> str:
        invoices = ", ".join(f"{n} {status}" for status, n in sorted(self.invoices.items()))
        return (f"seeded {self.customers} customers, {self.products} products, {self.prices} prices, "
                f"{self.subscriptions} subscriptions ({self.trials} trials, {self.canceled} canceled, "
                f"{self.upgrades} upgrades, {self.downgrades} downgrades), invoices ({invoices}), "
                f"{self.payments} payments, {self.refunds} refunds ({self.partial_refunds} partial), "
                f"{self.payouts} payouts in {self.seconds:.1f} s")


def seed(
    base_url: str, api_key: str, *, customers: int = 100, rng_seed: int = 7, now: float | None = None,
    control_headers: Mapping[str, str] | None = None,
) -> SeedReport:
    """Create the sandbox business through the Stripe API of the sandbox at ``base_url``
    (``control_headers``: the sandbox's ``LocalStripe.control_headers``, for ``/_sandbox/clock`` and
    ``/_sandbox/backdate``)."""
    started = time.monotonic()
    timeline = build_timeline(customers=customers, rng_seed=rng_seed, now=int(now if now is not None else time.time()))  # fmt: skip
    client = StripeClient(DirectBackend(api_key, base_url=base_url), rate_limiter=TokenBucket(10_000),
                          retry=RetryPolicy(max_retries=3, base_delay=0.05))  # fmt: skip
    control = httpx.Client(base_url=base_url.rstrip("/"), headers=dict(control_headers or {}), timeout=60.0,
                           trust_env=uses_environment_proxies(base_url))
    report = SeedReport()
    with client, control:
        player = _Player(client, control, report)
        try:
            player.catalog(timeline.start - 30 * DAY)
            for event in timeline.events:
                player.play(event)
        finally:
            player.set_clock(None)
        player.send_fields(timeline.fields)
    report.seconds = time.monotonic() - started
    return report


class _Player:
    """Plays timeline events against the sandbox, remembering the ids they created."""

    def __init__(self, client: StripeClient, control: httpx.Client, report: SeedReport) -> None:
        self.client, self.control, self.report = client, control, report
        self.clock: int | None = None
        self.prices: dict[tuple[int, str, str], str] = {}  # (tier, currency, interval) -> price id
        self.customers: dict[int, tuple[str, str]] = {}  # index -> (id, currency)
        self.subs: dict[str, dict[str, Any]] = {}  # timeline key -> {id, item, customer, currency, interval}
        self.refs: dict[str, str] = {}  # timeline ref -> invoice or charge id

    def post(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.client.request("POST", path, params).data

    def set_clock(self, at: int | None) -> None:
        if at != self.clock:
            self.control.post("/_sandbox/clock", json={"now": at}).raise_for_status()
            self.clock = at

    def catalog(self, at: int) -> None:
        self.set_clock(at)
        for tier_index, tier in enumerate(TIERS):
            product = self.post("/v1/products", {"name": tier.name, "description": f"{tier.name} plan",
                                                 "metadata": {"tier": tier.key}})  # fmt: skip
            self.report.products += 1
            for currency in CURRENCIES:
                for interval in ("month", "year"):
                    price = self._price(product["id"], tier.name, tier.key, currency, interval,
                                        price_amount(tier, currency, interval))  # fmt: skip
                    self.prices[(tier_index, currency, interval)] = price["id"]
                    self.report.prices += 1

    def _price(self, product: str, name: str, key: str, currency: str, interval: str, amount: int) -> dict[str, Any]:
        return self.post("/v1/prices", {
            "product": product, "currency": currency, "unit_amount": amount, "recurring": {"interval": interval},
            "nickname": f"{name} {interval}ly", "lookup_key": f"{key}_{interval}ly_{currency}", "metadata": {"tier": key},
        })  # fmt: skip

    def play(self, event: Event) -> None:
        self.set_clock(event.at)
        getattr(self, f"_{event.kind}")(**event.data)

    def _customer(self, index: int, name: str, email: str, country: str, description: str, segment: str) -> None:
        customer = self.post("/v1/customers", {
            "name": name, "email": email, "description": description, "address": {"country": country},
            "payment_method": GOOD_CARD, "invoice_settings": {"default_payment_method": GOOD_CARD},
            "metadata": {"segment": segment, "seed": str(index)},
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
        created = self.post("/v1/subscriptions", params)
        self.subs[sub] = {"id": created["id"], "item": created["items"]["data"][0]["id"],
                          "customer": customer_id, "currency": currency, "interval": interval}  # fmt: skip
        if not trial:
            self.report.invoices["paid"] += 1
        self.report.subscriptions += 1

    def _change(self, sub: str, tier: int, direction: str) -> None:
        state = self.subs[sub]
        price = self.prices[(tier, state["currency"], state["interval"])]
        updated = self.post(f"/v1/subscriptions/{state['id']}", {"items": [{"id": state["item"], "price": price}]})  # fmt: skip
        state["item"] = updated["items"]["data"][0]["id"]
        # The change takes effect at the renewal, so nothing is prorated (Stripe: proration_behavior=none,
        # which localstripe lacks: it books an "Unused time" credit instead, removed here).
        pending = self.client.request("GET", "/v1/invoiceitems", {"customer": state["customer"], "limit": 100}).data
        for item in pending["data"]:
            if item.get("proration") and not item.get("invoice"):
                self.client.request("DELETE", f"/v1/invoiceitems/{item['id']}")
        setattr(self.report, f"{direction}s", getattr(self.report, f"{direction}s") + 1)

    def _renew(self, sub: str, ref: str, fail: bool) -> None:
        state = self.subs[sub]
        invoice = self.post("/v1/invoices", {"customer": state["customer"], "subscription": state["id"]})
        self.refs[ref] = invoice["id"]
        self._pay(invoice["id"], state["customer"], fail)

    def _pay(self, invoice: str, customer: str, fail: bool) -> None:
        if fail:  # the customer's card starts failing
            card = self.post(f"/v1/payment_methods/{FAILING_CARD}/attach", {"customer": customer})
            self.post(f"/v1/customers/{customer}", {"invoice_settings": {"default_payment_method": card["id"]}})
        try:
            status = self.post(f"/v1/invoices/{invoice}/pay")["status"]
        except CardError:
            status = "open"
        if status != ("open" if fail else "paid"):
            raise RuntimeError(f"invoice {invoice} is {status} after paying with a {'failing' if fail else 'good'} card")
        self.report.invoices[status] += 1

    def _uncollectible(self, ref: str) -> None:
        self.post(f"/v1/invoices/{self.refs[ref]}/mark_uncollectible")
        self.report.invoices["open"] -= 1
        self.report.invoices["uncollectible"] += 1

    def _cancel(self, sub: str) -> None:
        self.client.request("DELETE", f"/v1/subscriptions/{self.subs[sub]['id']}")
        self.report.canceled += 1

    def _payment(self, customer: int, ref: str, amount: int, currency: str, description: str) -> None:
        intent = self.post("/v1/payment_intents", {
            "amount": amount, "currency": currency, "customer": self.customers[customer][0],
            "payment_method": GOOD_CARD, "confirm": True, "metadata": {"item": description},
        })  # fmt: skip
        charge = intent["latest_charge"]
        self.refs[ref] = charge["id"] if isinstance(charge, dict) else charge
        self.report.payments += 1

    def _refund(self, ref: str, amount: int | None) -> None:
        self.post("/v1/refunds", {"charge": self.refs[ref], **({"amount": amount} if amount else {})})
        self.report.refunds += 1
        self.report.partial_refunds += amount is not None

    def _void(self, ref: str) -> None:
        self.post(f"/v1/invoices/{self.refs[ref]}/void")
        self.report.invoices["open"] -= 1
        self.report.invoices["void"] += 1

    def _payout(self) -> None:
        balance = self.client.request("GET", "/v1/balance").data
        for funds in balance["available"]:
            if funds["amount"] > 0:
                self.post("/v1/payouts", {"amount": funds["amount"], "currency": funds["currency"],
                                          "description": "STRIPE PAYOUT"})  # fmt: skip
                self.report.payouts += 1

    def send_fields(self, fields: dict[str, dict[str, int | None]]) -> None:
        """Timestamps localstripe cannot set itself (trials, ``canceled_at``), by subscription id."""
        by_id = {self.subs[key]["id"]: values for key, values in fields.items() if key in self.subs}
        self.control.post("/_sandbox/backdate", json={"fields": by_id}).raise_for_status()
