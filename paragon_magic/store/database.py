"""The store's DuckDB file: one per Stripe account and mode, written atomically, read through read-only connections.

Connections are opened for one operation and closed after it, so another kernel can read between syncs.
A sync holds an exclusive ``flock`` on ``<file>.lock`` for its whole run (a second writer gets
:class:`StoreBusy` at once) and opens the database read-write only to write: each table (with its child)
is replaced in one DuckDB transaction together with its bookmark, so a sync stopped at any point, even
by ``kill -9``, leaves every table as the last finished sync wrote it. No secret is ever written: the file
holds Stripe objects, the account id and the bookmarks.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ..errors import ConfigurationError, ParagonMagicError

__all__ = ["FORMAT", "Bookmark", "Store", "StoreBusy", "StoreError", "default_root"]

FORMAT = "1"
_META = "_paragon_store"
_SYNC = "_paragon_sync"
_LOCK_WAIT = 5.0  # seconds a reader waits for another process's short write


class StoreError(ParagonMagicError):
    """The store cannot be used as asked (another account's file, corrupt, read-only SQL refused, ...)."""


class StoreBusy(StoreError):
    """Another process is writing the store."""


def default_root() -> Path:
    """Where stores live by default: ``$PARAGON_MAGIC_DATA_DIR`` or the user data directory (platformdirs)."""
    env = os.environ.get("PARAGON_MAGIC_DATA_DIR")
    if env:
        return Path(env).expanduser() / "stores"
    import platformdirs

    return Path(platformdirs.user_data_dir("paragon_magic", appauthor=False)) / "stores"


@dataclass
class Bookmark:
    """Where one table's last sync left off."""

    table: str
    stripe_version: str | None = None
    created_high: int | None = None  # newest ``created`` of the rows read
    event_created: int | None = None  # ``created`` of the newest event applied
    event_ids: list[str] = field(default_factory=list)  # the applied events of that second
    synced_at: float | None = None  # when the sync ran (epoch seconds)
    full_at: float | None = None  # when the table was last read in full
    layout: str | None = None  # a digest of the stored columns' types (a new layout means a full read)


class Store:
    """One DuckDB file holding one Stripe account's tables (``account_id``, ``livemode``)."""

    #: Tests (a kill in the middle of a write): called with the table names inside each write transaction,
    #: just before it commits.
    before_commit: Callable[[Sequence[str]], None] | None = None

    def __init__(self, path: str | os.PathLike[str], *, account_id: str, livemode: bool,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path).expanduser()
        self.account_id = account_id
        self.livemode = livemode
        self.clock = clock

    def __repr__(self) -> str:
        return f"<Store {self.path} ({self.account_id}, {'live' if self.livemode else 'test'} mode)>"

    @classmethod
    def for_account(cls, account_id: str, livemode: bool, root: str | os.PathLike[str] | None = None,
                    **kwargs: Any) -> Store:
        """The store of ``account_id`` in its mode under ``root`` (default: :func:`default_root`)."""
        if not account_id or not str(account_id).replace("_", "").isalnum():
            raise ConfigurationError(f"cannot name a store after the account id {account_id!r}")
        base = Path(root).expanduser() if root is not None else default_root()
        mode = "live" if livemode else "test"
        return cls(base / f"{account_id}-{mode}.duckdb", account_id=account_id, livemode=livemode, **kwargs)

    @property
    def exists(self) -> bool:
        return self.path.exists() and self.path.stat().st_size > 0

    # -- connections --------------------------------------------------------------------------------------------
    def _open(self, *, read_only: bool, external: bool = True) -> duckdb.DuckDBPyConnection:
        config: dict[str, Any] = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
        if not external:
            config.update(enable_external_access=False, lock_configuration=True)
        deadline = time.monotonic() + _LOCK_WAIT
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only, config=config)
            except duckdb.IOException as exc:
                text = str(exc)
                if "lock" in text.lower() and time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                if "lock" in text.lower():
                    raise StoreBusy(f"the store {self.path} is being written by another process; "
                                    "run this again when its sync has finished") from None
                raise StoreError(f"cannot open the store {self.path} ({_first_line(text)}); if it is damaged, move "
                                 "it aside and run %stripe sync again") from None
            except duckdb.Error as exc:
                raise StoreError(f"cannot open the store {self.path} ({_first_line(str(exc))}); if it is damaged, "
                                 "move it aside and run %stripe sync again") from None

    @contextmanager
    def reading(self, *, external: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection (``external=False``: no files, no extensions, settings locked)."""
        if not self.exists:
            raise StoreError(f"nothing synced yet into {self.path}: run %stripe sync (Python: session.sync())")
        con = self._open(read_only=True, external=external)
        try:
            self._check_account(con)
            yield con
        finally:
            con.close()

    @contextmanager
    def writing(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection (the caller holds :meth:`lock`)."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        con = self._open(read_only=False)
        os.chmod(self.path, 0o600)  # DuckDB creates it with the umask's mode
        try:
            self._init(con)
            yield con
        finally:
            con.close()
            for file in (self.path, Path(str(self.path) + ".wal")):
                if file.exists():
                    os.chmod(file, 0o600)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """The writer's lock (one sync at a time per store, across processes): :class:`StoreBusy` if taken."""
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock_path = Path(str(self.path) + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
                raise StoreBusy(f"another process (pid {holder}) is syncing the store {self.path}; wait for it "
                                "to finish, or give this one another store=") from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _init(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(f"CREATE TABLE IF NOT EXISTS {_META} (key VARCHAR PRIMARY KEY, value VARCHAR)").fetchall()
        con.execute(f"""CREATE TABLE IF NOT EXISTS {_SYNC} (
            table_name VARCHAR PRIMARY KEY, stripe_version VARCHAR, created_high BIGINT, event_created BIGINT,
            event_ids VARCHAR, synced_at DOUBLE, full_at DOUBLE, layout VARCHAR)""").fetchall()
        known = dict(con.execute(f"SELECT key, value FROM {_META}").fetchall())
        if not known:
            con.executemany(f"INSERT INTO {_META} VALUES (?, ?)", [
                ("account_id", self.account_id), ("livemode", str(self.livemode).lower()), ("format", FORMAT)]).fetchall()
            return
        self._check_account(con, known)

    def _check_account(self, con: duckdb.DuckDBPyConnection, known: Mapping[str, str] | None = None) -> None:
        if known is None:
            try:
                known = dict(con.execute(f"SELECT key, value FROM {_META}").fetchall())
            except duckdb.CatalogException:
                raise StoreError(f"{self.path} is not a paragon_magic store; give another store= path") from None
        mode = "live" if self.livemode else "test"
        theirs = f"{known.get('account_id')} ({'live' if known.get('livemode') == 'true' else 'test'} mode)"
        if known.get("account_id") != self.account_id or known.get("livemode") != str(self.livemode).lower():
            raise StoreError(f"the store {self.path} holds {theirs}, not {self.account_id} ({mode} mode); "
                             "give this connection its own store= path")

    # -- bookmarks -----------------------------------------------------------------------------------------------
    def bookmarks(self) -> dict[str, Bookmark]:
        """Every table's bookmark (empty before the first sync)."""
        if not self.exists:
            return {}
        with self.reading() as con:
            return _bookmarks(con)

    # -- writes --------------------------------------------------------------------------------------------------
    def replace(self, con: duckdb.DuckDBPyConnection, tables: Mapping[str, pa.Table],
                bookmarks: Sequence[Bookmark]) -> None:
        """Replace whole tables and their bookmarks in one transaction."""
        con.begin()
        try:
            for name, data in tables.items():
                con.register("_incoming", data)
                con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM _incoming').fetchall()
                con.unregister("_incoming")
            self._save_bookmarks(con, bookmarks)
            if self.before_commit is not None:
                self.before_commit(list(tables))
            con.commit()
        except BaseException:
            con.rollback()
            raise

    def apply(self, con: duckdb.DuckDBPyConnection, changes: Sequence[TableChanges],
              bookmarks: Sequence[Bookmark]) -> dict[str, tuple[int, int, int]]:
        """Upsert and delete rows by id in one transaction; (added, changed, deleted) per table."""
        counts: dict[str, tuple[int, int, int]] = {}
        con.begin()
        try:
            for change in changes:
                counts[change.table] = _apply_one(con, change)
            self._save_bookmarks(con, bookmarks)
            if self.before_commit is not None:
                self.before_commit([c.table for c in changes])
            con.commit()
        except BaseException:
            con.rollback()
            raise
        return counts

    def _save_bookmarks(self, con: duckdb.DuckDBPyConnection, bookmarks: Sequence[Bookmark]) -> None:
        for mark in bookmarks:
            con.execute(f"INSERT OR REPLACE INTO {_SYNC} VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
                mark.table, mark.stripe_version, mark.created_high, mark.event_created, json.dumps(mark.event_ids),
                mark.synced_at, mark.full_at, mark.layout]).fetchall()


@dataclass
class TableChanges:
    """Rows to upsert by id and ids to delete in one table; with ``scope`` = (column, values), every row whose
    ``column`` is in ``values`` is replaced by ``upserts`` instead (a parent's children)."""

    table: str
    upserts: pa.Table | None
    deletes: list[str] = field(default_factory=list)
    scope: tuple[str, list[str]] | None = None
    count_changes: bool = True  # False: a re-read of immutable rows (only new ones count)


def _apply_one(con: duckdb.DuckDBPyConnection, change: TableChanges) -> tuple[int, int, int]:
    name = change.table
    deleted = 0
    incoming = change.upserts if change.upserts is not None and change.upserts.num_rows else None
    if change.scope is not None:
        column, values = change.scope
        con.execute(f'CREATE OR REPLACE TEMP TABLE _old AS SELECT id FROM "{name}" WHERE "{column}" IN '
                    "(SELECT unnest(?::VARCHAR[]))", [values]).fetchall()
        con.execute(f'DELETE FROM "{name}" WHERE id IN (SELECT id FROM _old)').fetchall()
    else:
        gone = list(change.deletes)
        con.execute(f'CREATE OR REPLACE TEMP TABLE _old AS SELECT id FROM "{name}" WHERE id IN '
                    "(SELECT unnest(?::VARCHAR[]))", [gone]).fetchall()
        deleted = con.execute("SELECT count(*) FROM _old").fetchall()[0][0]
        con.execute(f'DELETE FROM "{name}" WHERE id IN (SELECT id FROM _old)').fetchall()
        con.execute(f'CREATE OR REPLACE TEMP TABLE _old AS SELECT id FROM "{name}" WHERE false').fetchall()
    if incoming is not None:
        con.register("_incoming", incoming)
        if change.scope is None:
            con.execute(f'INSERT INTO _old SELECT id FROM "{name}" WHERE id IN (SELECT id FROM _incoming)').fetchall()
            con.execute(f'DELETE FROM "{name}" WHERE id IN (SELECT id FROM _incoming)').fetchall()
        con.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM _incoming').fetchall()
        added, changed = con.execute(
            "SELECT count(*) FILTER (WHERE id NOT IN (SELECT id FROM _old)), "
            "count(*) FILTER (WHERE id IN (SELECT id FROM _old)) FROM (SELECT DISTINCT id FROM _incoming)").fetchall()[0]
        if change.scope is not None:
            deleted = con.execute("SELECT count(*) FROM _old WHERE id NOT IN (SELECT id FROM _incoming)").fetchall()[0][0]
        con.unregister("_incoming")
    else:
        added = changed = 0
        if change.scope is not None:
            deleted = con.execute("SELECT count(*) FROM _old").fetchall()[0][0]
    con.execute("DROP TABLE IF EXISTS _old").fetchall()
    return added, changed if change.count_changes else 0, deleted


def _bookmarks(con: duckdb.DuckDBPyConnection) -> dict[str, Bookmark]:
    try:
        rows = con.execute(f"SELECT * FROM {_SYNC}").fetchall()
    except duckdb.CatalogException:
        return {}
    return {row[0]: Bookmark(row[0], row[1], row[2], row[3], json.loads(row[4] or "[]"), row[5], row[6], row[7])
            for row in rows}


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text
