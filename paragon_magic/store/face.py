"""What ``session.sync/sql/tables/table/export_parquet`` do: find the session's store, then act on it."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from ..errors import ConfigurationError, UsageError
from .database import Store, StoreError
from .export import export_parquet
from .schema import frame_from_arrow
from .sql import run_sql
from .sync import SyncReport, sync_tables
from .tables import DEFAULT_TABLES, TABLES, resolve_tables, suggest

__all__ = ["DEFAULT", "export", "sql", "store_of", "sync", "table", "tables"]

#: ``store="default"``: the user data directory (platformdirs), one file per account and mode.
DEFAULT = "default"


def store_of(session: Any, *, credential: str | None = None) -> Store:
    """The store of the account behind ``session`` (and ``credential`` in Paragon mode)."""
    location = getattr(session, "store_location", DEFAULT)
    if location is None:
        raise ConfigurationError("this connection has no store (store=None); set one with session.store_location = "
                                 "'default' or a path (%config StripeMagic.store = 'default')")
    with session.selecting(credential):
        account_id, livemode = _account(session, credential)
    clock = getattr(session, "store_clock", None)
    extra = {"clock": clock} if clock is not None else {}
    text = os.fspath(location)
    if text == DEFAULT:
        return Store.for_account(account_id, livemode, **extra)
    path = Path(text).expanduser()
    if path.suffix != ".duckdb":  # a directory: the account's file inside it
        return Store.for_account(account_id, livemode, root=path, **extra)
    return Store(path, account_id=account_id, livemode=livemode, **extra)


def _account(session: Any, credential: str | None) -> tuple[str, bool]:
    """The account id and livemode of the session's account (or of the Paragon ``credential``'s)."""
    cache: dict[str, str] = session.__dict__.setdefault("_store_accounts", {})
    account_id = (session.account or {}).get("id") if not credential else cache.get(credential)
    if not account_id:
        with session.selecting(credential):
            account_id = session.client.request("GET", "/v1/account").data.get("id")
        if credential:
            cache[credential] = account_id
    mode = session.mode  # Paragon: the selected credential's, learned from its answers' livemode
    if mode not in ("test", "live"):
        with session.selecting(credential):  # as Paragon().authenticate does: the balance says
            session.client.request("GET", "/v1/balance")
        mode = session.mode
    if mode not in ("test", "live"):
        raise StoreError("the account's mode (test or live) is not known yet, so its store cannot be chosen; "
                         "run any read first (e.g. %stripe list_customers --limit 1)")
    return account_id, mode == "live"


def sync(session: Any, names: Sequence[str] | str | None = None, *, full: bool = False, progress: bool | None = None,
         credential: str | None = None, export: str | os.PathLike[str] | None = None,
         echo: Callable[[str], None] | None = print) -> SyncReport:
    """Sync ``names`` (default: the finance set) into the session's store; optionally export Parquet after."""
    specs = resolve_tables(names)
    show = session.config.progress if progress is None else progress
    with session.selecting(credential):
        store = store_of(session, credential=credential)
        if echo is not None:
            mode = "live" if store.livemode else "test"
            echo(f"syncing {store.account_id} ({mode} mode) into {store.path}")
        report = sync_tables(session.client, store, specs, full=full, progress=show, echo=echo)
    if export is not None:
        export_parquet(store, export, [t.table for t in report.tables if not t.skipped], echo=echo)
    return report


def sql(session: Any, text: str, params: dict[str, Any], *, credential: str | None = None) -> pd.DataFrame:
    return run_sql(store_of(session, credential=credential), text, params)


def tables(session: Any, *, credential: str | None = None) -> pd.DataFrame:
    """One row per synced table: rows, when it was synced, the Stripe-Version and how it was last read."""
    store = store_of(session, credential=credential)
    marks = store.bookmarks()
    names = [n for n in DEFAULT_TABLES if n in marks]
    with store.reading() as con:
        present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()}
        counts = {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchall()[0][0] for n in names if n in present}
    rows = [{"table": n, "rows": counts.get(n), "synced_at": _when(marks[n].synced_at),
             "full_read_at": _when(marks[n].full_at), "stripe_version": marks[n].stripe_version}
            for n in names if n in counts]
    frame = pd.DataFrame(rows, columns=["table", "rows", "synced_at", "full_read_at", "stripe_version"])
    frame["rows"] = frame["rows"].astype("Int64")
    for column in ("synced_at", "full_read_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["table"] = frame["table"].astype("string")
    frame["stripe_version"] = frame["stripe_version"].astype("string")
    frame.attrs["store"] = str(store.path)
    return frame


def _when(epoch: float | None) -> pd.Timestamp | None:
    return None if epoch is None else pd.Timestamp(epoch, unit="s", tz="UTC")


def table(session: Any, name: str, *, credential: str | None = None) -> pd.DataFrame:
    """One synced table as the typed frame its ``list_*`` action gives (newest first)."""
    if name not in TABLES and name not in DEFAULT_TABLES:
        raise UsageError(f"unknown table {name!r}: " + suggest(name))
    store = store_of(session, credential=credential)
    object_type = _object_type(name)
    with store.reading() as con:
        try:
            columns = {r[0] for r in con.execute(f'DESCRIBE "{name}"').fetchall()}
        except duckdb.CatalogException:
            raise StoreError(f"{name} has not been synced into {store.path}: run %stripe sync {name}") from None
        order = " ORDER BY created DESC NULLS LAST, id" if "created" in columns else ""
        data = con.sql(f'SELECT * FROM "{name}"{order}').to_arrow_table()
    frame = frame_from_arrow(data, object_type)
    synced = store.bookmarks().get(name)
    frame.attrs["stripe"].update(action=f"table {name}", store=str(store.path), livemode=store.livemode,
                                 synced_at=_when(synced.synced_at if synced else None), complete=True)
    frame.attrs["complete"] = True
    return frame


def _object_type(name: str) -> str:
    for spec in TABLES.values():
        if spec.name == name:
            return spec.object_type
        if spec.child and spec.child.table == name:
            return spec.child.object_type
    raise UsageError(f"unknown table {name!r}: " + suggest(name))


def export(session: Any, directory: str | os.PathLike[str], names: Sequence[str] | None = None, *,
           credential: str | None = None, echo: Callable[[str], None] | None = print) -> list[Path]:
    store = store_of(session, credential=credential)
    return export_parquet(store, directory, names, echo=echo)

