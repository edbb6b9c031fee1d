"""The catalog and test clocks over real HTTP: stripe-python 16.1 against the sandbox (engine behind the
front): products with a default price, prices read as plans, coupons, tax rates, and a test clock
created, listed, advanced and deleted, with refusals raised as ``InvalidRequestError``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from paragon_magic.sandbox import LocalStripe

START = 1_767_225_600  # 2026-01-01T00:00:00Z
DAY = 86_400


@pytest.fixture
def client(stripe_server: LocalStripe) -> Iterator[stripe.StripeClient]:
    http = stripe.HTTPXClient(allow_sync_methods=True) if hasattr(stripe, "HTTPXClient") else None
    kwargs = {"http_client": http} if http is not None else {}
    yield stripe.StripeClient(stripe_server.key, base_addresses={"api": stripe_server.url}, max_network_retries=0,
                              **kwargs)  # fmt: skip


def test_products_prices_and_plans(client: stripe.StripeClient) -> None:
    product = client.v1.products.create({"name": "Team", "default_price_data": {
        "currency": "eur", "unit_amount": 4900, "recurring": {"interval": "month"}}})  # fmt: skip
    price = client.v1.prices.retrieve(str(product.default_price), {"expand": ["product"]})
    assert (price.unit_amount, price.currency, price.type, price.product.name) == (4900, "eur", "recurring", "Team")
    plan = client.v1.plans.retrieve(price.id)
    assert (plan.id, plan.amount, plan.interval, plan.product) == (price.id, 4900, "month", product.id)
    made = client.v1.plans.create({"amount": 9900, "currency": "usd", "interval": "year", "product": {"name": "Gold"}})
    plans = client.v1.plans.list({"limit": 10})
    assert [p.id for p in plans.data] == [made.id, plan.id]  # newest first
    assert client.v1.prices.retrieve(made.id).recurring.interval == "year"
    updated = client.v1.prices.update(price.id, {"nickname": "Team monthly", "metadata": {"tier": "team"}})
    assert (updated.nickname, updated.metadata.to_dict()) == ("Team monthly", {"tier": "team"})
    assert client.v1.plans.retrieve(price.id).nickname == "Team monthly"
    types = [e.type for e in client.v1.events.list({"limit": 100}).data]
    assert {"product.created", "price.created", "plan.created", "price.updated", "plan.updated"} <= set(types)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.prices.create({"product": product.id, "currency": "usd", "unit_amount": 100,
                                 "recurring": {"interval": "month", "interval_count": 37}})  # fmt: skip
    assert refused.value.http_status == 400 and refused.value.param == "recurring[interval_count]"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.plans.retrieve("plan_missing")
    assert missing.value.http_status == 404
    assert len(client.v1.prices.list({"limit": 100}).data) == 2  # the refusal created nothing


def test_coupons_and_tax_rates(client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create({"percent_off": 20, "duration": "repeating", "duration_in_months": 3,
                                       "id": "WELCOME20"})  # fmt: skip
    assert (coupon.id, coupon.percent_off, coupon.duration_in_months, coupon.valid) == ("WELCOME20", 20, 3, True)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.coupons.create({"percent_off": 20, "duration": "repeating"})
    assert refused.value.param == "duration_in_months"
    assert [c.id for c in client.v1.coupons.list().data] == ["WELCOME20"]
    assert client.v1.coupons.delete("WELCOME20").deleted is True
    rate = client.v1.tax_rates.create({"display_name": "VAT", "percentage": 19.0, "inclusive": False, "country": "DE"})
    assert (rate.percentage, rate.inclusive, rate.active) == (19, False, True)
    client.v1.tax_rates.update(rate.id, {"active": False})
    assert [r.id for r in client.v1.tax_rates.list({"active": False}).data] == [rate.id]


def test_a_test_clock_over_http(client: stripe.StripeClient) -> None:
    clock = client.v1.test_helpers.test_clocks.create({"frozen_time": START, "name": "http"})
    assert (clock.status, clock.frozen_time, clock.name) == ("ready", START, "http")
    customer = client.v1.customers.create({"email": "clock@example.com", "test_clock": clock.id})
    assert customer.created == START
    assert [c.id for c in client.v1.test_helpers.test_clocks.list().data] == [clock.id]
    advancing = client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": START + 10 * DAY})
    assert advancing.status == "advancing" and advancing.status_details.advancing.target_frozen_time == START + 10 * DAY
    ready = client.v1.test_helpers.test_clocks.retrieve(clock.id)
    assert (ready.status, ready.frozen_time) == ("ready", START + 10 * DAY)
    with pytest.raises(stripe.InvalidRequestError) as backwards:
        client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": START})
    assert backwards.value.param == "frozen_time"
    assert client.v1.test_helpers.test_clocks.delete(clock.id).deleted is True
    assert client.v1.customers.retrieve(customer.id).to_dict()["deleted"] is True
    assert client.v1.test_helpers.test_clocks.list().data == []
