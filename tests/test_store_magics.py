"""The store's magics in a real InteractiveShell over the sandbox: ``%stripe sync``, ``%%stripe sql [-o NAME]`` with
``{{ expr }}`` and ``:name`` bound as parameters, ``%stripe tables``, ``%stripe table NAME``, Parquet export,
``%config StripeMagic.store``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pyarrow.parquet as pq
from IPython.core.interactiveshell import InteractiveShell
from shell_helpers import fails, ok

from paragon_magic.errors import UsageError
from paragon_magic.magics.context import MagicContext
from paragon_magic.magics.store_commands import sql_text_and_params
from paragon_magic.store import StoreError


def _business(server: Any) -> list[str]:
    api = httpx.Client(base_url=server.url, auth=(server.key, ""))
    ids = []
    for name, email in (("Ada", "ada@example.com"), ("Miles O'Brien", "miles@example.com")):
        ids.append(api.post("/v1/customers", data={"name": name, "email": email,
                                                   "metadata[segment]": "vip"}).json()["id"])
    for customer, amount in ((ids[0], 1000), (ids[0], 2500), (ids[1], 700)):
        assert api.post("/v1/payment_intents", data={"amount": amount, "currency": "usd", "customer": customer,
                                                     "payment_method": "pm_card_visa", "confirm": "true"}).status_code == 200
    return ids


def _store_here(ip: InteractiveShell, where: Path) -> None:
    ok(ip, f"%config StripeMagic.store = {str(where)!r}")


def test_sync_then_sql_with_bound_values_tables_and_table(ip: InteractiveShell, session: Any, stripe_server: Any,
                                                          tmp_path: Path) -> None:
    ids = _business(stripe_server)
    _store_here(ip, tmp_path)
    _, text = ok(ip, "%stripe sync customers charges --no-progress")
    assert "customers: 2 added" in text and "charges: 3 added" in text and "full read (first sync)" in text
    assert (tmp_path / f"{session.account['id']}-test.duckdb").exists()
    ip.user_ns["who"] = "Miles O'Brien"
    ok(ip, "%%stripe sql -o spent\n"
           "SELECT cu.name, sum(ch.amount) AS amount FROM charges ch JOIN customers cu ON cu.id = ch.customer\n"
           "WHERE cu.name = {{ who }} GROUP BY 1")
    spent = ip.user_ns["spent"]
    assert spent["name"].tolist() == ["Miles O'Brien"] and spent["amount"].tolist() == [700]
    assert spent["amount"].dtype == pd.Int64Dtype()
    ip.user_ns["segment"] = "vip"
    value, _ = ok(ip, "%%stripe sql\nSELECT count(*) AS n FROM customers WHERE metadata['segment'] = :segment")
    assert value["n"][0] == 2
    tables, _ = ok(ip, "%stripe tables")
    assert list(tables["table"]) == ["customers", "charges"] and list(tables["rows"]) == [2, 3]
    customers, _ = ok(ip, "%stripe table customers")
    listed, _ = ok(ip, "%stripe list_customers")
    assert sorted(customers["id"]) == sorted(listed["id"]) == sorted(ids)
    assert list(customers.columns) == list(listed.columns)
    ok(ip, "%stripe table charges -o charges_df")
    assert len(ip.user_ns["charges_df"]) == 3


def test_sql_errors_are_one_line(ip: InteractiveShell, session: Any, stripe_server: Any, tmp_path: Path) -> None:
    _business(stripe_server)
    _store_here(ip, tmp_path)
    ok(ip, "%stripe sync customers --no-progress")
    assert "read-only" in fails(ip, "%%stripe sql\nDROP TABLE customers", StoreError)
    assert "names no variable" in fails(ip, "%%stripe sql\nSELECT * FROM customers WHERE id = :nope", UsageError)
    assert "unknown table 'customer'" in fails(ip, "%stripe sync customer", UsageError)
    assert "did you mean 'customers'" in fails(ip, "%stripe table customer", UsageError)
    assert "has no flag --bogus" in fails(ip, "%stripe sync --bogus", UsageError)
    assert "give the SQL" in fails(ip, "%%stripe sql\n   ", UsageError)


def test_export_parquet_and_sync_export(ip: InteractiveShell, session: Any, stripe_server: Any,
                                        tmp_path: Path) -> None:
    _business(stripe_server)
    _store_here(ip, tmp_path / "store")
    ok(ip, f"%stripe sync customers --no-progress --export {tmp_path / 'a'}")
    assert pq.read_table(tmp_path / "a" / "customers").num_rows == 2
    ok(ip, f"%stripe export parquet {tmp_path / 'b'} customers")
    assert pq.read_table(tmp_path / "b" / "customers").num_rows == 2


def test_store_none_refuses_with_a_hint(ip: InteractiveShell, session: Any, ctx: MagicContext) -> None:
    ok(ip, "%config StripeMagic.store = None")
    assert "no store" in fails(ip, "%stripe sync")


def test_expressions_become_parameters_never_text() -> None:
    values = {"a": "x' OR 1=1 --", "n": 3}
    sql, params = sql_text_and_params("SELECT * FROM t WHERE a = {{ a }} AND n > :n LIMIT {{ n + 1 }}",
                                      lambda expression: eval(expression, {}, values))
    assert sql == "SELECT * FROM t WHERE a = $__p0 AND n > :n LIMIT $__p1"  # :n is bound by session.sql
    assert params == {"__p0": "x' OR 1=1 --", "__p1": 4, "n": 3}


def test_sql_options_keep_the_sql_verbatim() -> None:
    from paragon_magic.magics.store_commands import _sql_options

    assert _sql_options("-o out --credential c1 SELECT 'a  b'") == ("out", "c1", "SELECT 'a  b'")
    assert _sql_options("-- a comment\nSELECT 1") == (None, None, "-- a comment\nSELECT 1")
    assert _sql_options("--output x") == (None, None, "--output x")
