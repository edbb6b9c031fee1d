"""Shared by the store tests: a small seeded business and a session whose store lives in a temp dir."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from paragon_magic import stripe_model
from paragon_magic.connection import connect
from paragon_magic.sandbox.seed import seed
from paragon_magic.session import Session, SessionConfig
from paragon_magic.frame_json import JSONDtype


def seed_business(server: Any, customers: int = 12) -> None:
    """Reset the sandbox and seed a small business (plus one refund, which a small seed may lack)."""
    server.reset()
    seed(server.url, server.key, customers=customers, control_headers=server.control_headers)
    api = httpx.Client(base_url=server.url, auth=(server.key, ""))
    charge = api.get("/v1/charges", params={"limit": 1}).json()["data"][0]
    assert api.post("/v1/refunds", data={"charge": charge["id"], "amount": 100}).status_code == 200


def store_session(server: Any, where: Path | str | None, key: str | None = None) -> Session:
    """A session on the sandbox (no progress bars, no pacing to speak of) with its store at ``where``."""
    session = connect(key or server.key, base_url=server.url, save=False, rate_limit=1000,
                      config=SessionConfig(progress=False))
    session.store_location = where
    return session


def _without_nulls(value: Any) -> Any:
    """A nested value with null-valued keys dropped (the store knows every field; Stripe sends some)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None and v != {} and v != []}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def assert_same_rows(stored: pd.DataFrame, listed: pd.DataFrame, object_type: str) -> None:
    assert len(stored) == len(listed) > 0
    stored = stored.sort_values("id", ignore_index=True)
    listed = listed.sort_values("id", ignore_index=True)
    extra = set(listed.columns) - set(stored.columns)
    # only fields the object model does not know are not stored (the sandbox sends a few of them)
    assert all(stripe_model.field_kind(object_type, column) is None for column in extra), extra
    assert set(stored.columns) <= set(listed.columns)
    for column in stored.columns:
        left, right = stored[column], listed[column]
        assert left.dtype == right.dtype, column
        if left.dtype == object or isinstance(left.dtype, JSONDtype):  # nested values: compared as data
            assert [_without_nulls(v) for v in left] == [_without_nulls(v) for v in right], column
        else:
            pd.testing.assert_series_equal(left, right, check_names=False, obj=column)
