"""Sync Stripe into a store: a full read the first time, then only what changed, from ``/v1/events``.

Full read (first sync, a Stripe-Version change, a new stored layout, past the 30-day events retention, or
``full=True``): the newest event of the table's types is noted first, then every object is listed with the
partitioned lister (``status=all`` for subscriptions) and its frame re-nested (``from_frame``), the children
(subscription items, invoice lines) are taken from each parent's embedded list and paged further when it
says ``has_more``, and the table is replaced. Past the retention is known two ways: the last sync is older
than 30 days by this machine's clock, or Stripe no longer lists the bookmark's last applied event (its
``created[gte]`` listing always includes it otherwise) — Stripe's own clock.

Incremental: the table's events since the bookmark (``types[]``, ``created[gte]``, newest first, every
page) are read first, then the objects created since the ``created`` high-water mark (balance transactions:
from ``lookback`` seconds below it, since they can appear late). Per object, the newest state wins: a
listed object (read after the events) over its events, otherwise its latest event — skipped if that
event was already applied; ``*.deleted`` removes the row. An event rendered with another API version than
the session's is replaced by the object fetched by id. Children are replaced with their parent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa

from ..client.errors import InvalidRequestError, StripePermissionError
from ..listing.stop import Stop
from .database import Bookmark, Store, TableChanges
from .from_frame import frame_to_arrow, rows_of
from .schema import layout_digest, to_arrow
from .tables import TableSpec

__all__ = ["RETENTION_SECONDS", "SyncReport", "TableReport", "sync_tables"]

RETENTION_SECONDS = 30 * 24 * 3600  # Stripe keeps events 30 days
_RETENTION_MARGIN = 3600  # re-read a little before the edge: a sync may take a while
_PAGE = 100


@dataclass
class TableReport:
    """What one table's sync did."""

    table: str
    added: int = 0
    changed: int = 0
    deleted: int = 0
    requests: int = 0
    seconds: float = 0.0
    full: bool = False
    reason: str = ""  # why it was read in full
    skipped: str = ""  # why it was not synced at all
    rows: int | None = None

    def line(self) -> str:
        if self.skipped:
            return f"{self.table}: skipped — {self.skipped}"
        how = f"full read ({self.reason})" if self.full else "incremental"
        rows = f", {self.rows} rows" if self.rows is not None else ""
        return (f"{self.table}: {self.added} added, {self.changed} changed, {self.deleted} deleted{rows}; "
                f"{self.requests} request{'s' * (self.requests != 1)}, {self.seconds:.2f} s; {how}")


@dataclass
class SyncReport:
    """One sync: a report per table (children included)."""

    store: Store
    tables: list[TableReport] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(t.line() for t in self.tables)

    def __repr__(self) -> str:  # the lines were printed as the tables finished: one line here
        skipped = sum(1 for t in self.tables if t.skipped)
        return (f"<SyncReport {self.store.path.name}: {len(self.tables) - skipped} tables synced"
                f"{f', {skipped} skipped' if skipped else ''}, {self.requests} requests>")

    @property
    def requests(self) -> int:
        return sum(t.requests for t in self.tables)

    def __getitem__(self, table: str) -> TableReport:
        for report in self.tables:
            if report.table == table:
                return report
        raise KeyError(table)


class _Counter:
    """Counts the requests one table's sync sends."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.count = 0

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        self.count += 1
        return self.client.request("GET", path, dict(params or {})).data

    def pages(self, path: str, params: Mapping[str, Any]) -> Iterable[list[dict[str, Any]]]:
        """Every page of a list, newest first (``starting_after`` cursors)."""
        query = {**params, "limit": _PAGE}
        while True:
            page = self.get(path, query)
            data = list(page.get("data") or [])
            yield data
            if not (page.get("has_more") and data):
                return
            query["starting_after"] = data[-1]["id"]


_WORKERS = 16  # tables fetched at once (the default set is 12); every request still goes through the one pacer
Write = Callable[[Any], list[TableReport]]


@dataclass
class _Fetched:
    """One table's network work done: what to write (or why it was skipped), its requests and start time."""

    spec: TableSpec
    counter: _Counter
    started: float
    write: Write | None = None
    skipped: list[TableReport] = field(default_factory=list)


def sync_tables(client: Any, store: Store, specs: Sequence[TableSpec], *, full: bool = False,
                progress: bool = True, echo: Callable[[str], None] | None = print) -> SyncReport:
    """Sync ``specs`` into ``store``, one line per table to ``echo``.

    The writer's lock is held throughout. Tables are fetched concurrently (all requests share the session's
    pacer) and each is written, in its own transaction, as soon as it is fetched, through one read-write
    connection opened at the first write. An error or Ctrl-C stops the sync; tables written stay written.
    The worker threads see ``client`` through a guard that an error or Ctrl-C stops (``listing.stop``), and
    their listings stop with it: no new request starts after it (one under way finishes or is cancelled), and
    Ctrl-C returns at once.
    """
    report = SyncReport(store)
    done: dict[str, list[TableReport]] = {}
    stop = Stop()
    with store.lock(), ExitStack() as stack:
        marks = store.bookmarks()
        now = store.clock()
        connection: list[Any] = []
        fetcher = stop.guard(client)
        pool = ThreadPoolExecutor(max_workers=max(1, min(_WORKERS, len(specs))), thread_name_prefix="paragon-sync")
        futures = {pool.submit(_fetch, fetcher, store, spec, marks, full, progress, now, stop): spec
                   for spec in specs}
        try:
            for future in as_completed(futures):
                fetched = future.result()
                if fetched.write is not None:
                    if not connection:
                        connection.append(stack.enter_context(store.writing()))
                    items = fetched.write(connection[0])
                else:
                    items = fetched.skipped
                elapsed = time.monotonic() - fetched.started
                for item in items:
                    item.seconds = elapsed
                    item.requests = fetched.counter.count if item.table == fetched.spec.name else 0
                    if echo is not None:
                        echo(item.line())
                done[fetched.spec.name] = items
        except BaseException:
            stop.set()  # every walker of every table, now
            raise
        finally:
            for future in futures:
                future.cancel()
            pool.shutdown(wait=False, cancel_futures=True)
    report.tables = [item for spec in specs for item in done.get(spec.name, [])]
    return report


class _Expired(Exception):
    """The events since a table's bookmark are no longer all listed: the table must be read in full."""


def _fetch(client: Any, store: Store, spec: TableSpec, marks: Mapping[str, Bookmark], full: bool, progress: bool,
           now: float, stop: Stop) -> _Fetched:
    fetched = _Fetched(spec, _Counter(client), time.monotonic())
    try:
        reason = "asked for" if full else _full_read_reason(spec, marks, client.stripe_version, now)
        if not reason:
            try:
                fetched.write = _incremental(client, fetched.counter, store, spec, marks)
            except _Expired as expired:
                reason = str(expired)
        if reason:
            fetched.write = _full(client, fetched.counter, store, spec, reason, progress, stop)
    except StripePermissionError as exc:
        fetched.counter.count += 1  # the refused request
        permission = exc.required_permission
        why = f"this key lacks {permission}" if permission else f"not allowed for this key ({exc.message})"
        fetched.skipped = [TableReport(name, skipped=why) for name in spec.tables]
    except InvalidRequestError as exc:
        if exc.http_status != 404:
            raise
        fetched.counter.count += 1
        fetched.skipped = [TableReport(name, skipped=f"GET {spec.path} is not available here (404)")
                           for name in spec.tables]
    return fetched


def _layout(spec: TableSpec) -> str:
    """The layout digest of a table and its child together."""
    return layout_digest(spec.object_type) + (f"+{layout_digest(spec.child.object_type)}" if spec.child else "")


def _full_read_reason(spec: TableSpec, marks: Mapping[str, Bookmark], version: str | None, now: float) -> str:
    mark = marks.get(spec.name)
    if mark is None or mark.synced_at is None:
        return "first sync"
    if mark.stripe_version != version:
        return f"Stripe-Version changed from {mark.stripe_version} to {version}"
    if spec.child and spec.child.table not in marks:
        return f"first sync of {spec.child.table}"
    if mark.layout != _layout(spec):
        return "the store's columns changed with this version of paragon_magic"
    age = now - mark.synced_at
    if not spec.immutable and age > RETENTION_SECONDS - _RETENTION_MARGIN:
        return (f"last sync {age / 86400:.0f} days ago, past Stripe's 30-day events retention, "
                "so changes since may be lost")
    return ""


# -- full read -----------------------------------------------------------------------------------------------------

def _full(client: Any, counter: _Counter, store: Store, spec: TableSpec, reason: str, progress: bool,
          stop: Stop) -> Write:
    from ..listing.partitioned import list_partitioned

    synced_at = store.clock()
    newest: list[dict[str, Any]] = []
    if spec.event_types:  # the events position before reading: later changes are applied next time
        newest = list(counter.get("/v1/events", {"types": list(spec.event_types), "limit": _PAGE}).get("data") or [])
    frame, outcome = list_partitioned(client, spec.path, dict(spec.params), object_type=spec.object_type, limit=None,
                                      progress=progress, stop=stop)
    counter.count += max(len(outcome.request_ids), outcome.pages)
    if not outcome.complete:  # Ctrl-C (or another table's error) stopped the listing: keep the previous table
        raise KeyboardInterrupt
    tables = {spec.name: frame_to_arrow(frame, spec.object_type)}  # the frame's columns, re-nested
    if spec.child:
        tables[spec.child.table] = _children_table(counter, spec, rows_of(frame, spec.child.embedded))
    newest_created = frame["created"].max() if len(frame) and "created" in frame else None
    high = None if newest_created is None or pd.isna(newest_created) else int(newest_created.timestamp())
    mark = Bookmark(spec.name, client.stripe_version, high,
                    newest[0]["created"] if newest else None,
                    [e["id"] for e in newest if e["created"] == newest[0]["created"]], synced_at, synced_at,
                    _layout(spec))
    marks = [mark] + ([Bookmark(spec.child.table, client.stripe_version, synced_at=synced_at, full_at=synced_at)]
                      if spec.child else [])

    def write(con: Any) -> list[TableReport]:
        before = {name: _count(con, name) or 0 for name in tables}
        store.replace(con, tables, marks)
        return [TableReport(name, added=max(t.num_rows - before[name], 0), full=True, reason=reason,
                            rows=t.num_rows, deleted=max(before[name] - t.num_rows, 0))
                for name, t in tables.items()]

    return write


def _count(con: Any, table: str) -> int | None:
    try:
        return con.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0]
    except Exception:  # noqa: BLE001 - the table does not exist yet
        return None


def _children(counter: _Counter, spec: TableSpec, parent: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A parent's whole embedded list (``items``, ``lines``), paged past what was embedded."""
    child = spec.child
    assert child is not None
    embedded = parent.get(child.embedded) or {}
    rows = list(embedded.get("data") or []) if isinstance(embedded, Mapping) else []
    if isinstance(embedded, Mapping) and embedded.get("has_more") and rows:
        params: dict[str, Any] = {"starting_after": rows[-1]["id"]}
        path = child.page_path.replace("{id}", str(parent["id"]))
        if child.page_by_query:
            params[child.parent_column] = parent["id"]
        for page in counter.pages(path, params):
            rows.extend(page)
    return rows


def _children_table(counter: _Counter, spec: TableSpec, parents: Sequence[Mapping[str, Any]]) -> pa.Table:
    child = spec.child
    assert child is not None
    rows: list[dict[str, Any]] = []
    owners: list[str] = []
    for parent in parents:
        found = _children(counter, spec, parent)
        rows.extend(found)
        owners.extend([parent["id"]] * len(found))
    return to_arrow(rows, child.object_type, extra={child.parent_column: pa.array(owners, type=pa.string())})


# -- incremental ---------------------------------------------------------------------------------------------------

def _incremental(client: Any, counter: _Counter, store: Store, spec: TableSpec,
                 marks: Mapping[str, Bookmark]) -> Write:
    mark = marks[spec.name]
    synced_at = store.clock()
    latest: dict[str, dict[str, Any]] = {}  # object id -> its newest event
    seen: list[dict[str, Any]] = []
    if spec.event_types:
        query: dict[str, Any] = {"types": list(spec.event_types)}
        if mark.event_created is not None:
            query["created"] = {"gte": mark.event_created}
        for page in counter.pages("/v1/events", query):
            for event in page:  # newest first: the first event of an object is its latest
                seen.append(event)
                obj = (event.get("data") or {}).get("object") or {}
                if obj.get("id") and obj["id"] not in latest:
                    latest[obj["id"]] = event
        if mark.event_ids and not {e["id"] for e in seen} & set(mark.event_ids):
            # ``created[gte]`` of the last applied event lists that event again, unless Stripe dropped it:
            # then so are the changes after it that were older than the retention
            raise _Expired(f"the last applied event {mark.event_ids[0]} is past Stripe's 30-day events retention, "
                           "so changes since may be lost")
    listed: dict[str, dict[str, Any]] = {}
    if mark.created_high is not None:
        bound = {"gte": mark.created_high - spec.lookback} if spec.lookback else {"gt": mark.created_high}
        for page in counter.pages(spec.path, {**spec.params, "created": bound}):
            for obj in page:
                listed.setdefault(obj["id"], obj)
    else:
        for page in counter.pages(spec.path, dict(spec.params)):
            for obj in page:
                listed.setdefault(obj["id"], obj)
    applied = set(mark.event_ids)
    upserts: dict[str, dict[str, Any]] = dict(listed)
    deletes: list[str] = []
    for object_id, event in latest.items():
        if object_id in listed or event["id"] in applied:
            continue
        if event.get("type") in spec.delete_types:
            deletes.append(object_id)
            continue
        obj = event["data"]["object"]
        if client.stripe_version and event.get("api_version") != client.stripe_version:
            obj = _refetch(counter, spec, object_id)
            if obj is None:
                deletes.append(object_id)
                continue
        upserts[object_id] = obj
    rows = list(upserts.values())
    changes = [TableChanges(spec.name, to_arrow(rows, spec.object_type), deletes,
                            count_changes=not spec.immutable)]
    if spec.child:
        changes.append(TableChanges(spec.child.table, _children_table(counter, spec, rows),
                                    scope=(spec.child.parent_column, [*upserts, *deletes])))
    created = [o["created"] for o in rows if isinstance(o.get("created"), int)]
    high = max([mark.created_high or 0, *created]) if (created or mark.created_high is not None) else None
    event_created, event_ids = mark.event_created, list(mark.event_ids)
    if seen:
        top = seen[0]["created"]
        event_ids = [e["id"] for e in seen if e["created"] == top] + (event_ids if top == event_created else [])
        event_created = top
    new_marks = [Bookmark(spec.name, client.stripe_version, high, event_created, event_ids, synced_at, mark.full_at,
                          mark.layout)]
    if spec.child:
        child_mark = marks.get(spec.child.table) or Bookmark(spec.child.table)
        new_marks.append(Bookmark(spec.child.table, client.stripe_version, synced_at=synced_at,
                                  full_at=child_mark.full_at))

    def write(con: Any) -> list[TableReport]:
        counts = store.apply(con, changes, new_marks)
        return [TableReport(c.table, *counts[c.table], rows=_count(con, c.table)) for c in changes]

    return write


def _refetch(counter: _Counter, spec: TableSpec, object_id: str) -> dict[str, Any] | None:
    try:
        return counter.get(f"{spec.path}/{object_id}")
    except InvalidRequestError as exc:
        if exc.http_status == 404:
            return None
        raise
