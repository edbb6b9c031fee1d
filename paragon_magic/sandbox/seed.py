"""Seed the sandbox with a small, realistic, deterministic business.

Three products with monthly and yearly prices (recurring prices, each also readable as its plan), ~200 customers created over the last 18 months,
subscriptions (about a fifth canceled, ``canceled_at`` spread over the history), and payments and
refunds in several currencies (one zero-decimal) whose balance transactions feed a finance analysis.
Same seed, same business (relative to ``now``).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..client import DirectBackend, RetryPolicy, StripeClient, TokenBucket

DAY = 86_400
MONTHS_OF_HISTORY = 18

PRODUCTS = (
    # name, tier, monthly amount (USD cents); yearly is ten months' price
    ("Starter", "starter", 900),
    ("Pro", "pro", 2_900),
    ("Enterprise", "enterprise", 9_900),
)
CURRENCIES = (("usd", 1), ("eur", 1), ("gbp", 1), ("jpy", 140))  # currency, factor from USD cents
FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Frances", "Tim",
         "Radia", "John", "Hedy", "Linus", "Shafi", "Niklaus", "Sophie", "Guido", "Anita", "Dennis")
LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Thompson", "Allen",
        "Berners-Lee", "Perlman", "McCarthy", "Lamarr", "Torvalds", "Goldwasser", "Wirth", "Wilson",
        "van Rossum", "Borg", "Ritchie")
COUNTRIES = ("US", "US", "US", "GB", "DE", "FR", "JP", "CA", "NL", "AU")


@dataclass
class SeedReport:
    products: int = 0
    prices: int = 0
    customers: int = 0
    subscriptions: int = 0
    canceled: int = 0
    payments: int = 0
    refunds: int = 0
    seconds: float = 0.0
    ids: dict[str, list[str]] = field(default_factory=dict)

    def __str__(self) -> str:
        return (f"seeded {self.customers} customers, {self.products} products, {self.prices} prices, "
                f"{self.subscriptions} subscriptions ({self.canceled} canceled), {self.payments} payments, "
                f"{self.refunds} refunds in {self.seconds:.1f} s")


def seed(
    base_url: str, api_key: str, *, customers: int = 200, rng_seed: int = 7, now: float | None = None,
    control_headers: Mapping[str, str] | None = None,
) -> SeedReport:
    """Create the sandbox business through the Stripe API of the server at ``base_url``
    (``control_headers``: the sandbox's ``LocalStripe.control_headers``, for ``/_sandbox/backdate``)."""
    started = time.monotonic()
    rng = random.Random(rng_seed)
    now = int(now if now is not None else time.time())
    start = now - MONTHS_OF_HISTORY * 30 * DAY
    report = SeedReport()
    created: dict[str, int] = {}
    fields: dict[str, dict[str, int]] = {}  # subscription -> start_date / canceled_at / ended_at
    first_invoice_at: dict[str, int] = {}  # customer -> when their subscription's first invoice was paid
    client = StripeClient(
        DirectBackend(api_key, base_url=base_url),
        rate_limiter=TokenBucket(10_000),
        retry=RetryPolicy(max_retries=3, base_delay=0.05),
    )
    post = lambda path, params: client.request("POST", path, params).data  # noqa: E731
    with client:
        prices: list[tuple[dict[str, Any], str]] = []
        for name, tier, monthly in PRODUCTS:
            product = post("/v1/products", {"name": name, "description": f"{name} plan", "metadata": {"tier": tier}})
            created[product["id"]] = start - 30 * DAY
            report.products += 1
            for interval, amount in (("month", monthly), ("year", monthly * 10)):
                price = post("/v1/prices", {
                    "product": product["id"], "unit_amount": amount, "currency": "usd",
                    "recurring": {"interval": interval}, "nickname": f"{name} {interval}ly",
                    "lookup_key": f"{tier}_{interval}ly", "metadata": {"tier": tier},
                })
                created[price["id"]] = start - 30 * DAY
                prices.append((price, tier))
                report.prices += 1
        signups = sorted(rng.randint(start, now - DAY) for _ in range(customers))
        for i, signup in enumerate(signups):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            customer = post("/v1/customers", {
                "name": f"{first} {last}",
                "email": f"{first}.{last}.{i}@example.com".lower().replace(" ", ""),
                "description": rng.choice(["self-serve", "sales-led", "partner"]),
                "payment_method": "pm_card_visa",
                "invoice_settings": {"default_payment_method": "pm_card_visa"},
                "metadata": {"segment": rng.choice(["smb", "mid-market", "enterprise"]), "seed": str(i)},
                "address": {"country": rng.choice(COUNTRIES)},
            })
            created[customer["id"]] = signup
            report.customers += 1
            report.ids.setdefault("customers", []).append(customer["id"])
            if rng.random() < 0.7:
                price, _tier = rng.choices(prices, weights=[6, 2, 4, 1, 2, 1])[0]
                subscription = post("/v1/subscriptions", {"customer": customer["id"], "items": [{"price": price["id"]}]})
                began = min(signup + rng.randint(0, 3) * DAY, now - DAY)
                created[subscription["id"]] = began
                fields[subscription["id"]] = {"start_date": began}
                first_invoice_at[customer["id"]] = began
                report.subscriptions += 1
                if rng.random() < 0.2:
                    client.request("DELETE", f"/v1/subscriptions/{subscription['id']}")
                    ended = _cancellation_time(rng, began, now)
                    fields[subscription["id"]].update(canceled_at=ended, ended_at=ended)
                    report.canceled += 1
            for _ in range(rng.choice([0, 1, 1, 2, 3])):
                report.payments += 1
                currency, factor = rng.choice(CURRENCIES)
                paid_at = rng.randint(signup, now - 60)
                intent = post("/v1/payment_intents", {
                    "amount": rng.choice([900, 2_900, 4_900, 9_900, 19_900]) * factor // (100 if factor > 1 else 1),
                    "currency": currency, "customer": customer["id"], "payment_method": "pm_card_visa",
                    "confirm": True,
                })
                charge_id = _latest_charge(client, intent)
                _backdate_charge(client, charge_id, paid_at, created)
                if charge_id and rng.random() < 0.08:
                    refund = post("/v1/refunds", {"charge": charge_id})
                    report.refunds += 1
                    _backdate_object(client, refund, min(paid_at + rng.randint(1, 20) * DAY, now - 30), created)
        _backdate_invoice_payments(client, created, first_invoice_at)
        _send_backdates(base_url, created, fields, control_headers or {})
    report.seconds = time.monotonic() - started
    return report


def _cancellation_time(rng: random.Random, began: int, now: int) -> int:
    """When a subscription that began at ``began`` was canceled: usually after a month or more."""
    earliest = began + 30 * DAY
    if earliest >= now - DAY:
        return rng.randint(began + 60, max(began + 120, now - 60))
    return rng.randint(earliest, now - DAY)


def _latest_charge(client: StripeClient, intent: dict[str, Any]) -> str | None:
    charge = intent.get("latest_charge")
    if isinstance(charge, dict):
        return charge.get("id")
    if charge:
        return charge
    charges = (intent.get("charges") or {}).get("data") or []
    return charges[0]["id"] if charges else None


def _backdate_charge(client: StripeClient, charge_id: str | None, when: int, created: dict[str, int]) -> None:
    if not charge_id:
        return
    charge = client.request("GET", f"/v1/charges/{charge_id}").data
    _backdate_object(client, charge, when, created)


def _backdate_object(client: StripeClient, obj: dict[str, Any], when: int, created: dict[str, int]) -> None:
    created[obj["id"]] = when
    txn = obj.get("balance_transaction")
    if isinstance(txn, dict):
        txn = txn.get("id")
    if txn:
        created[txn] = when


def _backdate_invoice_payments(client: StripeClient, created: dict[str, int], first_invoice_at: dict[str, int]) -> None:
    """Subscription invoices were paid "now"; move their charges to when the subscription started."""
    for txn in client.iter_objects("/v1/balance_transactions", {"limit": 100}):
        if txn["id"] in created or not str(txn.get("source", "")).startswith("ch_"):
            continue
        charge = client.request("GET", f"/v1/charges/{txn['source']}").data
        when = first_invoice_at.get(charge.get("customer") or "")
        if when is not None:
            created[txn["id"]] = created[charge["id"]] = when


def _send_backdates(base_url: str, created: dict[str, int], fields: dict[str, dict[str, int]],
                    control_headers: Mapping[str, str]) -> None:
    """One ``/_sandbox/backdate`` call: ``created`` of everything, other timestamps of subscriptions."""
    payload = {"ids": created, "fields": fields}
    response = httpx.post(f"{base_url.rstrip('/')}/_sandbox/backdate", json=payload, timeout=60.0,
                          headers=dict(control_headers))
    response.raise_for_status()
