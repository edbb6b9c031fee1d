"""Parquet export: each synced table as ``DIR/<table>/<table>.parquet`` (zstd), which DuckDB, Polars, Spark and
pyarrow read as they are (``spark.read.parquet("DIR/customers")``, ``SELECT * FROM 'DIR/customers/*.parquet'``).

A table's folder is written next to the old one and swapped in, so a failed export leaves the previous one.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import UsageError
from .database import Store, StoreError
from .tables import DEFAULT_TABLES, suggest

__all__ = ["export_parquet"]


def export_parquet(store: Store, directory: str | os.PathLike[str], names: Sequence[str] | None = None, *,
                   echo: Callable[[str], None] | None = print) -> list[Path]:
    """Write ``names`` (default: every synced table) under ``directory``; the folders written."""
    marks = store.bookmarks()
    wanted = list(names) if names else [n for n in DEFAULT_TABLES if n in marks]
    for name in wanted:
        if name not in DEFAULT_TABLES:
            raise UsageError(f"unknown table {name!r}: " + suggest(name))
        if name not in marks:
            raise StoreError(f"{name} has not been synced into {store.path}: run %stripe sync {name} first")
    root = Path(directory).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with store.reading() as con:
        for name in wanted:
            folder = root / name
            staging = root / f".{name}.writing"
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
            target = staging / f"{name}.parquet"
            con.execute(f"COPY (SELECT * FROM \"{name}\") TO '{_quoted(target)}' (FORMAT parquet, COMPRESSION zstd)")
            if folder.exists():
                shutil.rmtree(folder)
            staging.rename(folder)
            written.append(folder)
            if echo is not None:
                echo(f"{name}: {folder / target.name}")
    return written


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
