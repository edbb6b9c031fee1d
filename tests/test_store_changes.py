"""Changes between syncs reach the store: creates, updates, deletes, refunds, subscriptions, invoices; retention
and Stripe-Version changes force a full read. Each test builds a small business on a fresh sandbox.

The expectations are Stripe's documented semantics (events newest first, ``types[]``, ``created[gte]``,
``data.object``, ``*.deleted``), not the sandbox's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from store_helpers import assert_same_rows

from paragon_magic.connection import connect
from paragon_magic.session import Session, SessionConfig
from paragon_magic.store import RETENTION_SECONDS


@dataclass
class Shop:
    session: Session
    server: Any
    customers: list[str]
    subscription: str
    charge: str

    def post(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.session.client.request("POST", path, params or {}).data

    def delete(self, path: str) -> dict[str, Any]:
        return self.session.client.request("DELETE", path).data

    def sync(self, *tables: str) -> Any:
        return self.session.sync(*tables, echo=None)

    def value(self, sql: str, **params: Any) -> Any:
        frame = self.session.sql(sql, **params)
        return frame.iloc[0, 0] if len(frame) else None


@pytest.fixture
def shop(stripe_server: Any, tmp_path: Path) -> Shop:
    session = connect(stripe_server.key, base_url=stripe_server.url, save=False, rate_limit=1000,
                      config=SessionConfig(progress=False))
    session.store_location = tmp_path
    post = lambda path, params: session.client.request("POST", path, params).data
    customers = [post("/v1/customers", {"name": name, "email": f"{name.lower()}@example.com",
                                        "payment_method": "pm_card_visa",
                                        "invoice_settings": {"default_payment_method": "pm_card_visa"}})["id"]
                 for name in ("Ada", "Grace", "Edsger")]
    intent = post("/v1/payment_intents", {"amount": 5000, "currency": "usd", "customer": customers[0],
                                          "payment_method": "pm_card_visa", "confirm": True})
    charge = intent["latest_charge"] if isinstance(intent["latest_charge"], str) else intent["latest_charge"]["id"]
    product = post("/v1/products", {"name": "Pro"})["id"]
    plan = post("/v1/plans", {"product": product, "amount": 2900, "currency": "usd", "interval": "month"})["id"]
    subscription = post("/v1/subscriptions", {"customer": customers[1], "items": [{"plan": plan}]})["id"]
    shop = Shop(session, stripe_server, customers, subscription, charge)
    first = shop.sync()
    assert first["customers"].added == 3 and first["subscriptions"].added == 1
    return shop


def test_created_updated_and_deleted_customers_reach_the_next_sync(shop: Shop) -> None:
    added = shop.post("/v1/customers", {"name": "Barbara", "metadata": {"segment": "smb"}})["id"]
    shop.post(f"/v1/customers/{shop.customers[0]}", {"name": "Ada L."})
    shop.post(f"/v1/customers/{shop.customers[0]}", {"name": "Ada Lovelace", "metadata": {"segment": "vip"}})
    shop.delete(f"/v1/customers/{shop.customers[2]}")
    report = shop.sync("customers")["customers"]
    assert (report.added, report.changed, report.deleted, report.full) == (1, 1, 1, False)
    frame = shop.session.table("customers")
    assert set(frame["id"]) == {added, shop.customers[0], shop.customers[1]}  # the deleted one is gone
    assert shop.value("SELECT name FROM customers WHERE id = :id", id=shop.customers[0]) == "Ada Lovelace"  # latest
    assert shop.value("SELECT metadata['segment'] FROM customers WHERE id = :id", id=added) == "smb"
    again = shop.sync("customers")["customers"]
    assert (again.added, again.changed, again.deleted) == (0, 0, 0)  # applied events are not applied twice
    assert_same_rows(frame, shop.session.list_customers(), "customer")  # rows from events = the list's rows


def test_a_new_refund_and_its_balance_transaction_arrive(shop: Shop) -> None:
    refund = shop.post("/v1/refunds", {"charge": shop.charge, "amount": 700})["id"]
    report = shop.sync("refunds", "balance_transactions")
    assert report["refunds"].added == 1 and report["balance_transactions"].added == 1
    assert shop.value("SELECT amount FROM refunds WHERE id = :id", id=refund) == 700
    assert shop.value("SELECT count(*) FROM balance_transactions WHERE source = :id", id=refund) == 1


def test_a_refunded_charge_shows_its_refunded_amount(shop: Shop) -> None:
    shop.post("/v1/refunds", {"charge": shop.charge, "amount": 700})
    shop.sync("charges")
    assert shop.value("SELECT amount_refunded FROM charges WHERE id = :id", id=shop.charge) == 700


def test_subscription_item_changes_replace_its_items(shop: Shop) -> None:
    item = shop.value("SELECT id FROM subscription_items WHERE subscription = :s", s=shop.subscription)
    shop.post(f"/v1/subscriptions/{shop.subscription}", {"items": [{"id": item, "quantity": 3}]})
    report = shop.sync("subscriptions")
    assert report["subscriptions"].changed == 1
    assert shop.value("SELECT quantity FROM subscription_items WHERE id = :id", id=item) == 3
    assert_same_rows(shop.session.table("subscriptions"), shop.session.list_subscriptions(status="all"),
                     "subscription")


def test_a_canceled_subscription_stays_with_its_status(shop: Shop) -> None:
    shop.delete(f"/v1/subscriptions/{shop.subscription}")
    report = shop.sync("subscriptions")["subscriptions"]
    assert (report.changed, report.deleted) == (1, 0)  # customer.subscription.deleted is a cancellation
    assert shop.value("SELECT status FROM subscriptions WHERE id = :id", id=shop.subscription) == "canceled"
    assert shop.value("SELECT count(*) FROM subscription_items WHERE subscription = :id", id=shop.subscription) == 1


def test_a_new_subscription_brings_its_items(shop: Shop) -> None:
    plan = shop.post("/v1/plans", {"product": shop.post("/v1/products", {"name": "Team"})["id"], "amount": 900,
                                   "currency": "usd", "interval": "month"})["id"]
    subscription = shop.post("/v1/subscriptions", {"customer": shop.customers[0], "items": [{"plan": plan}]})["id"]
    report = shop.sync("subscription_items")  # a child table syncs with its parent
    assert report["subscriptions"].added == 1 and report["subscription_items"].added == 1
    assert shop.value("SELECT count(*) FROM subscription_items WHERE subscription = :id", id=subscription) == 1


def test_an_invoice_paid_after_the_first_sync(shop: Shop) -> None:
    invoice = shop.post("/v1/invoices", {"customer": shop.customers[0]})["id"]
    shop.post("/v1/invoiceitems", {"customer": shop.customers[0], "invoice": invoice, "amount": 1200,
                                   "currency": "usd"})
    assert shop.sync("invoices")["invoices"].added == 1
    assert shop.value("SELECT status FROM invoices WHERE id = :id", id=invoice) == "draft"
    shop.post(f"/v1/invoices/{invoice}/finalize")
    shop.post(f"/v1/invoices/{invoice}/pay")
    report = shop.sync("invoices")["invoices"]
    assert report.changed == 1
    assert shop.value("SELECT status FROM invoices WHERE id = :id", id=invoice) == "paid"
    lines = shop.value("SELECT sum(amount) FROM invoice_line_items WHERE invoice = :id", id=invoice)
    assert lines == shop.value("SELECT total FROM invoices WHERE id = :id", id=invoice) == 1200


def test_past_the_events_retention_a_table_is_read_in_full_and_says_so(shop: Shop) -> None:
    shop.session.store_clock = lambda: time.time() + RETENTION_SECONDS + 3600
    lines: list[str] = []
    report = shop.session.sync("customers", echo=lines.append)["customers"]
    assert report.full and "30-day events retention" in report.reason
    assert any("full read" in line and "retention" in line for line in lines)
    assert shop.session.table("customers").shape[0] == 3


def test_a_stripe_version_change_reads_the_table_again(shop: Shop) -> None:
    shop.session.client.stripe_version = "2025-03-31.basil"
    report = shop.sync("products")["products"]
    assert report.full and "2026-10-28.endive" in report.reason and "2025-03-31.basil" in report.reason
    assert shop.session.tables().set_index("table").loc["products", "stripe_version"] == "2025-03-31.basil"


def test_a_new_layout_of_the_stored_columns_reads_the_table_again(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    import paragon_magic.store.sync as sync_module

    monkeypatch.setattr(sync_module, "layout_digest", lambda object_type: "a-newer-object-model")
    report = shop.sync("customers")["customers"]
    assert report.full and "columns changed" in report.reason and report.rows == 3
    again = shop.sync("customers")["customers"]
    assert not again.full


def test_events_dropped_by_the_retention_on_the_sandbox_clock_force_a_full_read(shop: Shop) -> None:
    later = int(time.time()) + RETENTION_SECONDS + 86_400
    shop.server.set_clock(later)  # Stripe's side of the calendar moves on; the bookmark's event expires
    try:
        renamed = shop.customers[1]
        shop.post(f"/v1/customers/{renamed}", {"name": "Grace Hopper"})
        report = shop.sync("customers")["customers"]
        assert report.full and "the last applied event" in report.reason and "30-day events retention" in report.reason
        assert shop.value("SELECT name FROM customers WHERE id = :id", id=renamed) == "Grace Hopper"
        assert not shop.sync("customers")["customers"].full  # a new bookmark, inside the retention again
    finally:
        shop.server.set_clock(None)
