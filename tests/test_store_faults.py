"""Faults: a sync killed with SIGKILL in the middle of its write, two writers, another account's or a corrupt
file, a restricted key missing a permission. Each ends in the previous good state or one clear line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest
from store_helpers import store_session

from paragon_magic.store import Store, StoreBusy, StoreError, database

CHILD = textwrap.dedent("""
    import os, sys
    import paragon_magic
    from paragon_magic.session import SessionConfig
    from paragon_magic.store import Store

    session = paragon_magic.connect(os.environ["STRIPE_API_KEY"], base_url=os.environ["STRIPE_API_BASE"],
                                    rate_limit=1000, config=SessionConfig(progress=False))
    session.store_location = sys.argv[1]

    def hold(tables):
        print("WRITING " + ",".join(tables), flush=True)
        sys.stdin.read()  # inside the write transaction until the test kills this process

    Store.before_commit = staticmethod(hold)
    session.sync("customers", full=True, echo=None)
    print("COMMITTED", flush=True)
""")


def _customers(server: Any, names: list[str]) -> None:
    api = httpx.Client(base_url=server.url, auth=(server.key, ""))
    for name in names:
        assert api.post("/v1/customers", data={"name": name}).status_code == 200


def test_a_sync_killed_while_writing_leaves_the_previous_state_and_the_next_sync_resumes(
        stripe_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _customers(stripe_server, ["Ada", "Grace", "Edsger"])
    session = store_session(stripe_server, tmp_path)
    session.sync("customers", echo=None)
    _customers(stripe_server, ["Barbara", "Donald"])
    env = {**os.environ, "STRIPE_API_KEY": stripe_server.key, "STRIPE_API_BASE": stripe_server.url,
           "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        line = child.stdout.readline()  # readiness: the child is inside its write transaction
        assert line.strip() == "WRITING customers", child.stderr.read() if child.poll() is not None else line
        with pytest.raises(StoreBusy, match=r"another process \(pid \d+\) is syncing"):
            session.sync("customers", echo=None)  # a second writer: one clear line, nothing touched
        monkeypatch.setattr(database, "_LOCK_WAIT", 0.0)  # a reader waits this long for a write, then says so
        with pytest.raises(StoreBusy, match="being written by another process"):
            session.sql("SELECT count(*) FROM customers")
        child.send_signal(signal.SIGKILL)
        child.wait()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for stream in (child.stdin, child.stdout, child.stderr):
            stream.close()
    assert child.returncode == -signal.SIGKILL
    tables = session.tables().set_index("table")
    assert tables.loc["customers", "rows"] == 3  # the previous good state
    report = session.sync("customers", echo=None)["customers"]  # and the next sync resumes from its bookmark
    assert (report.added, report.full) == (2, False)
    assert session.tables().set_index("table").loc["customers", "rows"] == 5


def test_an_error_in_the_middle_of_a_write_rolls_it_back(stripe_server: Any, tmp_path: Path) -> None:
    _customers(stripe_server, ["Ada"])
    session = store_session(stripe_server, tmp_path)
    session.sync("customers", echo=None)
    _customers(stripe_server, ["Grace"])

    def fail(tables: Any) -> None:
        raise KeyboardInterrupt  # Ctrl-C while writing

    Store.before_commit = staticmethod(fail)
    try:
        with pytest.raises(KeyboardInterrupt):
            session.sync("customers", full=True, echo=None)
    finally:
        Store.before_commit = None
    assert session.tables().set_index("table").loc["customers", "rows"] == 1
    assert session.sync("customers", echo=None)["customers"].added == 1


def test_a_store_of_another_account_is_refused(stripe_server: Any, tmp_path: Path) -> None:
    _customers(stripe_server, ["Ada"])
    session = store_session(stripe_server, tmp_path)
    path = session.sync("customers", echo=None).store.path
    other = Store(path, account_id="acct_someoneElse", livemode=False)
    with pytest.raises(StoreError, match=r"holds acct_1PgnSandbox0001 \(test mode\), not acct_someoneElse"):
        other.bookmarks()
    live = Store(path, account_id="acct_1PgnSandbox0001", livemode=True)
    with pytest.raises(StoreError, match="give this connection its own store"):
        live.bookmarks()
    assert Store.for_account("acct_1", True, tmp_path).path != Store.for_account("acct_1", False, tmp_path).path


def test_a_corrupt_file_is_one_line_and_left_as_it_is(stripe_server: Any, tmp_path: Path) -> None:
    bad = tmp_path / "broken.duckdb"
    bad.write_bytes(b"not a database " * 512)
    session = store_session(stripe_server, bad)
    for attempt in (lambda: session.sql("SELECT 1"), lambda: session.sync("customers", echo=None)):
        with pytest.raises(StoreError, match="move it aside") as error:
            attempt()
        assert "\n" not in str(error.value)
    assert bad.read_bytes() == b"not a database " * 512


def test_nothing_synced_yet_says_what_to_do(stripe_server: Any, tmp_path: Path) -> None:
    session = store_session(stripe_server, tmp_path)
    with pytest.raises(StoreError, match="run %stripe sync"):
        session.sql("SELECT 1")
    session.sync("products", echo=None)
    with pytest.raises(StoreError, match="customers has not been synced"):
        session.table("customers")


def test_a_restricted_key_skips_the_tables_it_may_not_read_naming_the_permission(
        stripe_server: Any, tmp_path: Path) -> None:
    _customers(stripe_server, ["Ada", "Grace"])
    key = "rk_test_" + "r" * 24
    stripe_server.add_restricted_key(key, ["rak_connected_account_read", "rak_event_read", "rak_customer_read"])
    session = store_session(stripe_server, tmp_path, key=key)
    lines: list[str] = []
    report = session.sync("customers", "charges", "payouts", echo=lines.append)
    assert report["customers"].added == 2 and not report["customers"].skipped
    assert report["charges"].skipped == "this key lacks rak_charge_read"
    assert report["payouts"].skipped == "this key lacks rak_payout_read"
    assert "charges: skipped — this key lacks rak_charge_read" in lines
    assert list(session.tables()["table"]) == ["customers"]
