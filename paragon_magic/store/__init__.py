"""A local Stripe warehouse: an embedded DuckDB file per account and mode, synced from Stripe, queried in SQL.

``tables`` (Sigma's table names and the endpoint and events behind each), ``schema`` (Arrow/DuckDB types
from the object model: STRUCT, LIST, MAP, TIMESTAMPTZ, BIGINT), ``database`` (the file, its lock, atomic
writes, bookmarks), ``sync`` (full read, then incremental from ``/v1/events``), ``sql`` (read-only
queries with bound parameters), ``export`` (Parquet), ``face`` (what the session's methods call).
"""

from .database import Bookmark, Store, StoreBusy, StoreError, default_root
from .sync import RETENTION_SECONDS, SyncReport, TableReport
from .tables import DEFAULT_TABLES, TABLES, TableSpec

__all__ = [
           "DEFAULT_TABLES",
           "RETENTION_SECONDS",
           "TABLES",
           "Bookmark",
           "Store",
           "StoreBusy",
           "StoreError",
           "SyncReport",
           "TableReport",
           "TableSpec",
           "default_root",
]
