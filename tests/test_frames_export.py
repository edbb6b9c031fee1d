"""Every frame an action returns leaves the notebook: ``to_parquet``/``read_parquet`` give the same columns,
dtypes and values back, and ``to_csv`` writes nested values as JSON text (not Python reprs).

Run on the seeded sandbox business (``paragon_magic.sandbox.seed``, 12 customers) for every list and search
action of the catalog, one retrieve, and a frame of each nested column exploded.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from paragon_magic.catalog import ACTIONS
from paragon_magic.connection import connect
from paragon_magic.frame_json import JSONDtype
from paragon_magic.frames import to_frame
from paragon_magic.sandbox import LocalStripe
from paragon_magic.sandbox.seed import seed
from paragon_magic.session import Session, SessionConfig

LISTS = sorted(name for name, action in ACTIONS.items() if action.kind in ("list", "search"))
QUERIES = {"customers": "email~'example'", "charges": "amount>0", "invoices": "total>=0",
           "subscriptions": "status:'active'", "products": "active:'true'", "prices": "active:'true'",
           "payment_intents": "amount>0"}


@pytest.fixture(scope="module")
def session(local_stripe: LocalStripe) -> Iterator[Session]:
    """The shared sandbox, emptied and seeded for this module (its tests only read)."""
    local_stripe.reset()
    seed(local_stripe.url, local_stripe.key, customers=12, rng_seed=3, control_headers=local_stripe.control_headers)
    session = connect(local_stripe.key, base_url=local_stripe.url, save=False, rate_limit=1000,
                      config=SessionConfig(progress=False))
    yield session
    session.close()


def _frame(session: Session, name: str) -> pd.DataFrame:
    if name == "list_invoice_line_items":
        invoices = session.list_invoices()
        return session.list_invoice_line_items(invoices.id[invoices["lines.data"].map(len).idxmax()])
    if name.startswith("search_"):
        return session.run(name, {"query": QUERIES[name.removeprefix("search_")]})
    return session.run(name, {"status": "all"} if name == "list_subscriptions" else {})


def _parquet_round_trip(df: pd.DataFrame) -> pd.DataFrame:
    buffer = io.BytesIO()
    df.to_parquet(buffer)
    buffer.seek(0)
    return pd.read_parquet(buffer)


def _assert_csv_is_json(df: pd.DataFrame) -> None:
    """Nested cells are JSON that parses back to the value; other columns read back with their dtypes."""
    text = df.to_csv(index=False)
    nested = [c for c in df.columns if isinstance(df[c].dtype, JSONDtype)]
    timestamps = [c for c in df.columns if isinstance(df[c].dtype, pd.DatetimeTZDtype)]
    plain = {c: df[c].dtype for c in df.columns if c not in nested and c not in timestamps}
    back = pd.read_csv(io.StringIO(text), dtype={**plain, **{c: str for c in nested + timestamps}},
                       keep_default_na=False, na_values=[""])
    for column in nested:
        for cell, value in zip(back[column], df[column]):
            if value is None:
                assert pd.isna(cell), (column, cell)
            elif isinstance(value, (list, dict)):
                assert json.loads(cell) == value, (column, cell)
            else:
                assert cell == str(value), (column, cell)
    for column in timestamps:
        pd.testing.assert_series_equal(pd.to_datetime(back[column], utc=True).astype(df[column].dtype), df[column])
    for column in plain:
        expected = df[column].replace("", pd.NA) if df[column].dtype == pd.StringDtype() else df[column]
        pd.testing.assert_series_equal(back[column], expected, check_names=True)


@pytest.mark.parametrize("name", LISTS)
def test_every_list_and_search_frame_round_trips(session: Session, name: str) -> None:
    df = _frame(session, name)
    assert len(df) > 0, name
    back = _parquet_round_trip(df)
    pd.testing.assert_frame_equal(back, df)
    _assert_csv_is_json(df)


def test_nested_columns_that_broke_arrow_are_json_text_in_the_file(session: Session, tmp_path: Any) -> None:
    subs = session.list_subscriptions(status="all")
    subs.to_parquet(tmp_path / "s.parquet")  # the first line: Arrow refused an empty ``metadata`` struct
    table = pq.read_table(tmp_path / "s.parquet")
    stored = table.column("items.data").type
    assert stored.extension_name == "paragon_magic.json" and str(stored.storage_type) == "large_string"
    first = table.column("items.data").chunk(0).storage[0].as_py()
    assert json.loads(first) == subs["items.data"][0]
    assert pd.read_parquet(tmp_path / "s.parquet")["items.data"][0] == subs["items.data"][0]


def test_a_retrieved_object_and_exploded_frames_round_trip(session: Session) -> None:
    invoice = session.list_invoices(limit=1).id[0]
    one = session.get_invoice(invoice)
    pd.testing.assert_frame_equal(_parquet_round_trip(one), one)
    subs = session.list_subscriptions(status="all")
    for column in ("items.data", "discounts"):
        exploded = subs.stripe.explode(column)
        pd.testing.assert_frame_equal(_parquet_round_trip(exploded), exploded)
        _assert_csv_is_json(exploded)


def test_empty_frames_round_trip_with_every_dtype(session: Session) -> None:
    empty = session.list_charges(customer="cus_none_such_0000")
    assert empty.empty and len(empty.columns) > 50
    pd.testing.assert_frame_equal(_parquet_round_trip(empty), empty)


def test_odd_values_round_trip() -> None:
    """Mixed shapes, ints beyond int64 and an empty dict all survive as JSON."""
    df = to_frame([{"id": "x_1", "n": 2**70, "odd": {}, "mixed": "a"},
                   {"id": "x_2", "n": 1, "odd": {}, "mixed": {"k": [1, {"z": None}]}}])
    assert df.loc[0, "n"] == 2**70 and df.loc[1, "mixed"] == {"k": [1, {"z": None}]}
    back = _parquet_round_trip(df)
    pd.testing.assert_frame_equal(back, df)
    assert back.loc[0, "n"] == 2**70
    csv = df.to_csv(index=False)
    assert '"{""k"":[1,{""z"":null}]}"' in csv and "{'k'" not in csv


def test_nested_columns_still_behave_as_python_values() -> None:
    df = to_frame([{"id": "a", "tags": ["x", "y"]}, {"id": "b", "tags": []}, {"id": "c", "tags": ["x", "y"]}])
    assert df["tags"].tolist() == [["x", "y"], [], ["x", "y"]]
    assert df["tags"].map(len).tolist() == [2, 0, 2]
    assert pd.isna(df["tags"].explode().tolist()).tolist() == [False, False, True, False, False]
    assert df.drop_duplicates("tags")["id"].tolist() == ["a", "b"]  # grouped by JSON text
    assert df["tags"].nunique() == 2
    assert str(df["tags"].dtype) == "object" and df.dtypes["tags"] == JSONDtype()
    assert np.array_equal(df["tags"].isna().to_numpy(), [False, False, False])


def test_nested_columns_work_with_the_rest_of_pandas() -> None:
    df = to_frame([{"id": "a", "tags": ["x", {"k": 1}]}, {"id": "b", "tags": None}])
    assert json.loads(df.to_json(orient="records")) == [{"id": "a", "tags": ["x", {"k": 1}]}, {"id": "b", "tags": None}]
    assert df.to_dict("records")[0]["tags"] == ["x", {"k": 1}] and list(np.asarray(df["tags"])) == df["tags"].tolist()
    df.at[1, "tags"] = {"q": [1]}
    df.loc[0, "tags"] = "replaced"
    assert df["tags"].tolist() == ["replaced", {"q": [1]}]
    assert pd.concat([df, df])["tags"].dtype == JSONDtype() and df.merge(df, on="id")["tags_x"].tolist() == df["tags"].tolist()
