"""Seeded, realistic-looking Stripe customer objects for the benchmarks.

Every object starts from Stripe's example customer (``fixtures/customer.json``, MIT, see
``fixtures/README.md``) and varies ids, names, emails, ``created``, addresses, balances,
discounts and metadata, so converters see the nulls, nesting and sparse metadata keys a real
account has.
"""

from __future__ import annotations

import copy
import json
import random
import string
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).with_name("fixtures") / "customer.json"
END_EPOCH = 1_767_225_600  # 2026-01-01T00:00:00Z: the newest possible `created`
THREE_YEARS = 3 * 365 * 86_400

_ID_ALPHABET = string.ascii_letters + string.digits
_FIRST = ["Ada", "Grace", "Alan", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Edsger", "Frances",
          "Donald", "Radia", "John", "Sophie", "Tim", "Hedy", "Guido", "Katherine", "Niklaus", "Annie"]
_LAST = ["Lovelace", "Hopper", "Turing", "Torvalds", "Liskov", "Thompson", "Hamilton", "Ritchie",
         "Dijkstra", "Allen", "Knuth", "Perlman", "McCarthy", "Wilson", "Berners-Lee", "Lamarr",
         "van Rossum", "Johnson", "Wirth", "Easley"]
_DOMAINS = ["example.com", "example.org", "mail.test", "corp.example", "shop.example"]
_CITIES = [("Berlin", "DE", "10115"), ("Paris", "FR", "75001"), ("Austin", "US", "73301"),
           ("Tokyo", "JP", "100-0001"), ("London", "GB", "EC1A 1BB"), ("Toronto", "CA", "M5H 2N2")]
_CURRENCIES = ["usd", "usd", "usd", "eur", "gbp", "jpy", None]
_TIERS = ["free", "starter", "pro", "enterprise"]
_SOURCES = ["web", "sales", "partner", "import"]
_LOCALES = [[], [], ["en"], ["fr", "en"], ["de"], ["ja"]]


def template() -> dict[str, Any]:
    """Stripe's example customer object, as published."""
    return json.loads(FIXTURE.read_text())


def _random_id(rng: random.Random, prefix: str, used: set[str]) -> str:
    while True:
        candidate = prefix + "".join(rng.choices(_ID_ALPHABET, k=14))
        if candidate not in used:
            used.add(candidate)
            return candidate


def _metadata(rng: random.Random, index: int) -> dict[str, str]:
    metadata: dict[str, str] = {}
    if rng.random() < 0.7:
        metadata["plan_tier"] = rng.choice(_TIERS)
    if rng.random() < 0.5:
        metadata["signup_source"] = rng.choice(_SOURCES)
    if rng.random() < 0.2:
        metadata["legacy_id"] = str(100_000 + index)
    if rng.random() < 0.05:
        metadata["account_manager"] = rng.choice(_FIRST).lower()
    return metadata


#: How ``created`` is spread over the span: ``uniform``; ``growth`` (an account that grows: the density
#: of new customers rises toward ``end``, a quarter of them in the last 6% of the span); ``import`` (30%
#: arrive within one day a year before ``end``, a bulk import; the rest uniform).
SHAPES = ("uniform", "growth", "import")


def _created_offset(rng: random.Random, span: int, shape: str) -> int:
    """Seconds before ``end`` (``uniform`` draws exactly as before shapes existed: same data per seed)."""
    if shape == "growth":
        return int(span * rng.random() ** 2)
    if shape == "import" and rng.random() < 0.3:
        return 365 * 86_400 + rng.randrange(86_400)
    return rng.randrange(span)


def make_customers(n: int, *, seed: int = 0, end: int = END_EPOCH, span: int = THREE_YEARS,
                   shape: str = "uniform") -> list[dict[str, Any]]:
    """``n`` customer objects with ``created`` spread over ``span`` seconds before ``end`` (``shape``:
    see ``SHAPES``; uniform by default).

    About 2% share their ``created`` second with another object (bulk imports), so ordering ties
    are exercised. The result is not sorted.
    """
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {', '.join(SHAPES)}")
    rng = random.Random(seed)
    base = template()
    used: set[str] = set()
    customers: list[dict[str, Any]] = []
    previous_created = end
    for index in range(n):
        obj = copy.deepcopy(base)
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        created = previous_created if index and rng.random() < 0.02 else end - _created_offset(rng, span, shape)
        previous_created = created
        obj["id"] = _random_id(rng, "cus_", used)
        obj["created"] = created
        obj["name"] = None if rng.random() < 0.05 else f"{first} {last}"
        slug = f"{first}.{last}".lower().replace(" ", "")
        obj["email"] = None if rng.random() < 0.1 else f"{slug}{index}@{rng.choice(_DOMAINS)}"
        obj["phone"] = f"+1555{rng.randrange(10**7):07d}" if rng.random() < 0.3 else None
        obj["description"] = f"Imported from CRM batch {rng.randrange(50)}" if rng.random() < 0.15 else None
        obj["currency"] = rng.choice(_CURRENCIES)
        obj["balance"] = 0 if rng.random() < 0.8 else rng.randrange(-50_000, 50_000)
        obj["delinquent"] = rng.random() < 0.05
        obj["invoice_prefix"] = "".join(rng.choices("0123456789ABCDEF", k=8))
        obj["next_invoice_sequence"] = rng.randrange(1, 40)
        obj["preferred_locales"] = list(rng.choice(_LOCALES))
        obj["tax_exempt"] = rng.choice(["none", "none", "none", "exempt", "reverse"])
        obj["metadata"] = _metadata(rng, index)
        if rng.random() < 0.5:
            city, country, postal = rng.choice(_CITIES)
            obj["address"].update(city=city, country=country, postal_code=postal,
                                  line1=f"{rng.randrange(1, 999)} Main St")
        if rng.random() < 0.1:
            obj["discount"]["id"] = _random_id(rng, "di_", used)
            obj["discount"]["customer"] = obj["id"]
            obj["discount"]["start"] = created + rng.randrange(86_400 * 30)
            obj["discount"]["end"] = obj["discount"]["start"] + 86_400 * 90 if rng.random() < 0.5 else None
        else:
            obj["discount"] = None
        obj["shipping"] = (
            {"address": dict(obj["address"]), "name": obj["name"], "phone": obj["phone"]}
            if rng.random() < 0.2 else None
        )
        customers.append(obj)
    return customers
