"""``session.sql`` over a synced store: Stripe's nesting as DuckDB types, joins equal to pandas, bound parameters,
and every statement that is not a read refused by DuckDB's read-only, no-external-access connection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from store_helpers import seed_business, store_session

from paragon_magic.errors import UsageError
from paragon_magic.session import Session
from paragon_magic.store import StoreError
from paragon_magic.store.sql import bind_names


@pytest.fixture(scope="module")
def session(local_stripe: Any, tmp_path_factory: pytest.TempPathFactory) -> Session:
    seed_business(local_stripe)
    api = store_session(local_stripe, tmp_path_factory.mktemp("sqlstore"))
    api.client.request("POST", "/v1/customers", {"name": "Miles O'Brien", "email": "miles@example.com",
                                                 "metadata": {"segment": "o'reilly"}})
    api.sync(echo=None)
    return api


def test_nested_objects_are_structs_lists_and_maps_with_typed_leaves(session: Session) -> None:
    types = dict(session.sql("SELECT column_name, data_type FROM information_schema.columns "
                             "WHERE table_name = 'invoices'").itertuples(index=False))
    assert types["created"] == "TIMESTAMP WITH TIME ZONE" and types["total"] == "BIGINT"
    assert types["metadata"] == "MAP(VARCHAR, VARCHAR)" and types["attempted"] == "BOOLEAN"
    assert types["customer_address"].startswith("STRUCT(") and types["lines"].startswith("STRUCT(")
    assert "[]" in types["lines"]  # lines.data is a LIST of line-item STRUCTs
    lines = session.sql("SELECT i.id, l.amount FROM invoices i, UNNEST(i.lines.data) AS t(l) ORDER BY 1, 2")
    stored = session.sql("SELECT invoice AS id, amount FROM invoice_line_items ORDER BY 1, 2")
    assert lines["amount"].tolist() == stored["amount"].tolist() and len(lines) > 10
    country = session.sql("SELECT address.country AS c FROM customers WHERE address IS NOT NULL LIMIT 1")
    assert isinstance(country["c"][0], str)
    tiers = session.sql("SELECT metadata['tier'] AS tier, count(*) AS n FROM prices GROUP BY 1 ORDER BY 1")
    assert tiers["tier"].notna().all() and tiers["n"].sum() == len(session.table("prices"))


def test_results_are_typed_frames(session: Session) -> None:
    frame = session.sql("SELECT id, created, amount, paid, currency, outcome FROM charges")
    assert str(frame["created"].dtype) == "datetime64[ns, UTC]"
    assert frame["amount"].dtype == pd.Int64Dtype() and frame["paid"].dtype == pd.BooleanDtype()
    assert frame["currency"].dtype == pd.StringDtype("pyarrow")
    total = session.sql("SELECT sum(amount) AS total FROM charges")
    assert total["total"].dtype == pd.Int64Dtype()
    assert total["total"][0] == session.table("charges")["amount"].sum()


def test_a_join_equals_the_pandas_answer(session: Session) -> None:
    sql = session.sql("""
        SELECT cu.email, ch.currency, sum(ch.amount) AS amount, count(*) AS charges
        FROM charges ch JOIN customers cu ON cu.id = ch.customer
        WHERE ch.status = 'succeeded'
        GROUP BY ALL ORDER BY cu.email, ch.currency""")
    charges, customers = session.list_charges(), session.list_customers()
    merged = charges[charges["status"] == "succeeded"].merge(customers, left_on="customer", right_on="id",
                                                             suffixes=("", "_customer"))
    pandas = (merged.groupby(["email", "currency"], as_index=False)
              .agg(amount=("amount", "sum"), charges=("id", "size"))
              .sort_values(["email", "currency"], ignore_index=True))
    assert len(sql) == len(pandas) > 0
    assert sql["email"].tolist() == pandas["email"].tolist()
    assert sql["amount"].tolist() == pandas["amount"].tolist()
    assert sql["charges"].tolist() == pandas["charges"].tolist()


def test_parameters_are_bound_never_pasted(session: Session) -> None:
    found = session.sql("SELECT name FROM customers WHERE name = :name", name="Miles O'Brien")
    assert found["name"].tolist() == ["Miles O'Brien"]  # a quote is data
    hostile = "x' OR '1'='1"
    assert session.sql("SELECT count(*) AS n FROM customers WHERE name = :name", name=hostile)["n"][0] == 0
    assert session.sql("SELECT count(*) AS n FROM customers WHERE metadata['segment'] = $s", s="o'reilly")["n"][0] == 1
    text = session.sql("SELECT ':name' AS literal, 5::VARCHAR AS cast_ok -- :comment\n")
    assert text["literal"][0] == ":name" and text["cast_ok"][0] == "5"
    since = session.sql("SELECT count(*) AS n FROM charges WHERE created >= :t", t=pd.Timestamp("2000-01-01", tz="UTC"))
    assert since["n"][0] == len(session.table("charges"))


def test_missing_or_unused_parameters_are_one_line(session: Session) -> None:
    with pytest.raises(UsageError, match="no value given for :email"):
        session.sql("SELECT * FROM customers WHERE email = :email")
    with pytest.raises(UsageError, match="has no parameter :mail"):
        session.sql("SELECT 1", mail="x")
    with pytest.raises(UsageError, match="SQL error"):
        session.sql("SELEC 1")


@pytest.mark.parametrize("statement", [
    "DROP TABLE customers",
    "DELETE FROM customers",
    "INSERT INTO products (id) VALUES ('prod_x')",
    "CREATE TABLE t AS SELECT 1",
    "UPDATE customers SET name = 'x'",
    "ATTACH '{tmp}/other.duckdb' AS other",
    "COPY customers TO '{tmp}/out.csv'",
    "COPY (SELECT 1) TO '{tmp}/out.parquet' (FORMAT parquet)",
    "EXPORT DATABASE '{tmp}/dump'",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SELECT * FROM read_csv('/etc/hostname')",
    "SET enable_external_access = true",
])
def test_statements_that_are_not_reads_are_refused(session: Session, statement: str, tmp_path: Path) -> None:
    before = session.sql("SELECT count(*) AS n FROM customers")["n"][0]
    with pytest.raises((StoreError, UsageError)) as error:
        session.sql(statement.format(tmp=tmp_path))
    assert "\n" not in str(error.value)
    assert not list(tmp_path.iterdir())  # nothing written
    assert session.sql("SELECT count(*) AS n FROM customers")["n"][0] == before


def test_bind_names_leaves_literals_comments_and_casts_alone() -> None:
    assert bind_names("SELECT a FROM t WHERE b = :b AND c = :c") == ("SELECT a FROM t WHERE b = $b AND c = $c",
                                                                   ["b", "c"])
    assert bind_names("SELECT ':b', \":c\", x::INT /* :d */ -- :e") == ("SELECT ':b', \":c\", x::INT /* :d */ -- :e", [])
    assert bind_names("SELECT 'it''s :x' || :y") == ("SELECT 'it''s :x' || $y", ["y"])
