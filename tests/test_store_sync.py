"""The store against the seeded sandbox (a small business, seeded once for this module): first sync equals the
``list_*`` frames row for row, the file, a second sync's requests from the server's log, Parquet export."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from store_helpers import assert_same_rows, seed_business, store_session

from paragon_magic.errors import ConfigurationError, UsageError
from paragon_magic.session import Session
from paragon_magic.store import DEFAULT_TABLES

LISTED = {"customers": "list_customers", "products": "list_products", "prices": "list_prices",
          "subscriptions": "list_subscriptions", "invoices": "list_invoices", "charges": "list_charges",
          "refunds": "list_refunds", "balance_transactions": "list_balance_transactions", "payouts": "list_payouts"}


@pytest.fixture(scope="module")
def seeded(local_stripe: Any) -> Any:
    seed_business(local_stripe)
    return local_stripe


_session = store_session


@pytest.fixture(scope="module")
def synced(seeded: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Session, Any]:
    session = _session(seeded, tmp_path_factory.mktemp("stores"))
    report = session.sync()
    return session, report


@pytest.mark.parametrize("table", sorted(LISTED))
def test_first_sync_equals_the_list_frame_row_for_row(synced: tuple[Session, Any], table: str) -> None:
    session, report = synced
    listed = session.run(LISTED[table], {"status": "all"} if table == "subscriptions" else None)
    stored = session.table(table)
    assert report[table].full and report[table].reason == "first sync"
    assert report[table].added == len(listed)
    assert_same_rows(stored, listed, listed.attrs["stripe"]["object_type"])
    assert list(stored.columns) == [c for c in listed.columns if c in stored.columns]  # the frame's order


def test_children_equal_their_own_lists(synced: tuple[Session, Any]) -> None:
    session, _ = synced
    lines = session.table("invoice_line_items")
    items = session.table("subscription_items")
    invoices = session.table("invoices")
    subscriptions = session.table("subscriptions")
    assert set(lines["invoice"]) == set(invoices["id"])
    for invoice in invoices["id"][:5]:
        listed = session.list_invoice_line_items(invoice)
        assert_same_rows(lines[lines["invoice"] == invoice], listed, "line_item")
    assert set(items["subscription"]) == set(subscriptions["id"])
    for subscription in subscriptions["id"][:5]:
        listed = session.request("stripe", "/v1/subscription_items", params={"subscription": subscription})
        assert_same_rows(items[items["subscription"] == subscription], listed, "subscription_item")


def test_one_file_per_account_and_mode_private_and_without_the_key(synced: tuple[Session, Any]) -> None:
    session, report = synced
    path = report.store.path
    assert path.name == f"{session.account['id']}-test.duckdb"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert session.client.backend._api_key.encode() not in path.read_bytes()  # the secret itself
    tables = session.tables()
    synced_names = [t.table for t in report.tables if not t.skipped]
    assert list(tables["table"]) == [n for n in DEFAULT_TABLES if n in synced_names]
    counts = dict(zip(tables["table"], tables["rows"]))
    assert counts["customers"] == 12
    assert tables["synced_at"].dt.tz is not None and tables["stripe_version"].eq("2026-10-28.endive").all()


def test_default_location_is_the_user_data_directory(seeded: Any, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("PARAGON_MAGIC_DATA_DIR", str(tmp_path / "data"))
    session = _session(seeded, tmp_path)
    session.store_location = "default"
    report = session.sync("products", echo=None)
    assert report.store.path.parent == tmp_path / "data" / "stores"
    assert stat.S_IMODE(os.stat(report.store.path.parent).st_mode) == 0o700
    session.store_location = None
    with pytest.raises(ConfigurationError, match="no store"):
        session.sync()


def test_second_sync_asks_at_most_two_requests_per_table(synced: tuple[Session, Any], seeded: Any) -> None:
    session, first = synced
    before = len(seeded.requests())
    report = session.sync(echo=None)
    sent = seeded.requests()[before:]
    tables = [t for t in report.tables if not t.skipped]
    parents = [t for t in report.tables if t.table not in ("subscription_items", "invoice_line_items")]
    assert len(sent) == report.requests <= 2 * len(parents)
    assert all(t.requests <= 2 for t in report.tables)
    assert all(not t.full and t.added == t.changed == t.deleted == 0 for t in tables)
    assert {r["path"] for r in sent} <= {"/v1/events", *(f"/v1/{t.table}" for t in parents)}
    assert all(t.requests == 2 for t in report.tables if t.skipped)  # a table this server lacks: asked again
    events = [r for r in sent if r["path"] == "/v1/events"]
    assert all(any(k.startswith("types") for k in r["query"]) for r in events)  # filtered by type
    synced_paths = {f"/v1/{t.table}" for t in tables if t.rows}  # an empty table is listed whole
    assert all(any(k.startswith("created") for k in r["query"]) for r in sent if r["path"] in synced_paths)
    assert dict(zip(session.tables()["table"], session.tables()["rows"])) == {
        t.table: t.rows for t in first.tables if not t.skipped}


def test_unknown_table_is_one_line_with_a_suggestion(synced: tuple[Session, Any]) -> None:
    session, _ = synced
    with pytest.raises(UsageError, match="did you mean 'customers'"):
        session.sync("customer")
    with pytest.raises(UsageError, match="did you mean 'invoices'"):
        session.table("invoice")


def test_parquet_export_reads_back_in_duckdb_and_pyarrow(synced: tuple[Session, Any], tmp_path: Path) -> None:
    session, _ = synced
    folders = session.export_parquet(tmp_path / "out")
    counts = dict(zip(session.tables()["table"], session.tables()["rows"]))
    assert sorted(f.name for f in folders) == sorted(counts)
    for folder in folders:
        files = list(folder.glob("*.parquet"))
        assert len(files) == 1
        assert pq.read_table(folder).num_rows == counts[folder.name]  # a folder per table, as Spark reads it
        assert duckdb.sql(f"SELECT count(*) FROM '{folder}/*.parquet'").fetchall()[0][0] == counts[folder.name]
        meta = pq.ParquetFile(files[0]).metadata
        if counts[folder.name]:
            assert meta.row_group(0).column(0).compression == "ZSTD"
    described = duckdb.sql(f"DESCRIBE SELECT address, metadata, created, balance "
                           f"FROM '{tmp_path}/out/customers/*.parquet'").fetchall()
    types = {row[0]: row[1] for row in described}  # Stripe's nesting survives the export
    assert types["address"].startswith("STRUCT(") and types["metadata"] == "MAP(VARCHAR, VARCHAR)"
    assert types["created"] == "TIMESTAMP WITH TIME ZONE" and types["balance"] == "BIGINT"
    with pytest.raises(UsageError, match="unknown table 'charge'"):
        session.export_parquet(tmp_path / "x", "charge")


def test_sync_export_flag_writes_parquet_after_syncing(synced: tuple[Session, Any], tmp_path: Path) -> None:
    session, _ = synced
    session.sync("products", export=tmp_path / "pq")
    assert pq.read_table(tmp_path / "pq" / "products").num_rows == len(session.table("products"))
