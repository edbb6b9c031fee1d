"""Read-only SQL over a store, with bound parameters, answered as typed DataFrames through Arrow.

The connection is DuckDB's own read-only one with external access off and its configuration locked, so
``DROP``/``INSERT``/``CREATE TABLE`` (read-only database), ``ATTACH``, ``COPY … TO``, reading or writing
files, ``INSTALL``/``LOAD`` of extensions and changing those settings are all refused by DuckDB itself.

Parameters: ``:name`` (or DuckDB's own ``$name``) is bound from the keyword values, never pasted into
the text; ``:name`` inside a string literal, a quoted identifier or a comment, and ``::`` casts, are left
alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from ..errors import UsageError
from .database import Store, StoreError

__all__ = ["arrow_to_frame", "bind_names", "run_sql"]

_TOKEN = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/|::|(?<![\w:$]):([A-Za-z_]\w*)""", re.DOTALL)


def bind_names(sql: str) -> tuple[str, list[str]]:
    """``sql`` with every ``:name`` parameter written as DuckDB's ``$name``, and the names in order."""
    names: list[str] = []

    def swap(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return match.group(0)
        names.append(name)
        return "$" + name

    return _TOKEN.sub(swap, sql), names


_DOLLAR = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/|\$([A-Za-z_]\w*)""", re.DOTALL)


def _dollar_names(sql: str) -> list[str]:
    return [m.group(1) for m in _DOLLAR.finditer(sql) if m.group(1)]


def run_sql(store: Store, sql: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Run one read-only statement over ``store``; its result as a typed DataFrame."""
    if not isinstance(sql, str) or not sql.strip():
        raise UsageError("give the SQL to run, e.g. session.sql('SELECT count(*) FROM customers')")
    text, _ = bind_names(sql)
    wanted = list(dict.fromkeys(_dollar_names(text)))
    values = dict(params or {})
    missing = [n for n in wanted if n not in values]
    if missing:
        raise UsageError(f"no value given for :{missing[0]} (pass it as a keyword, e.g. {missing[0]}=...)",
                         field=missing[0])
    unused = sorted(set(values) - set(wanted))
    if unused:
        raise UsageError(f"the SQL has no parameter :{unused[0]}", field=unused[0])
    bound = {n: _plain(values[n]) for n in wanted}
    with store.reading(external=False) as con:
        try:
            relation = con.sql(text, params=bound or None)
            table = relation.to_arrow_table() if relation is not None else None
        except duckdb.PermissionException as exc:
            raise StoreError(f"refused: the store's SQL is read-only and cannot reach files or extensions "
                             f"({_one_line(exc)})") from None
        except duckdb.InvalidInputException as exc:
            if "read-only" in str(exc):
                raise StoreError(f"refused: the store's SQL is read-only ({_one_line(exc)}); query the tables, "
                                 "or copy a result into pandas to change it") from None
            raise UsageError(f"SQL error: {_one_line(exc)}") from None
        except duckdb.Error as exc:
            raise UsageError(f"SQL error: {_one_line(exc)}") from None
    if table is None:
        return pd.DataFrame()
    return arrow_to_frame(table)


def arrow_to_frame(table: pa.Table) -> pd.DataFrame:
    """Arrow -> pandas with nullable dtypes: Int64, boolean, string, UTC datetimes; nested values as objects."""
    mapping = {pa.int64(): pd.Int64Dtype(), pa.int32(): pd.Int64Dtype(), pa.int16(): pd.Int64Dtype(),
               pa.int8(): pd.Int64Dtype(), pa.uint64(): pd.UInt64Dtype(), pa.uint32(): pd.Int64Dtype(),
               pa.bool_(): pd.BooleanDtype(), pa.string(): pd.StringDtype("pyarrow"),
               pa.large_string(): pd.StringDtype("pyarrow")}
    columns = []
    for field in table.schema:
        column = table.column(field.name)
        if pa.types.is_timestamp(field.type) and field.type.tz is not None:
            column = column.cast(pa.timestamp("ns", tz="UTC"))
        elif pa.types.is_decimal(field.type) and field.type.scale == 0:  # SUM(BIGINT) is HUGEINT: whole numbers
            try:
                column = column.cast(pa.int64())
            except pa.ArrowInvalid:  # beyond int64: keep exact decimals
                pass
        elif isinstance(field.type, pa.ExtensionType):
            column = pa.chunked_array([c.storage for c in column.chunks], type=field.type.storage_type)
        columns.append(column)
    names = _unique(table.column_names)
    table = pa.table(columns, names=names)
    return table.to_pandas(types_mapper=mapping.get)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        if name in seen:
            seen[name] += 1
            out.append(f"{name}_{seen[name]}")
        else:
            seen[name] = 0
            out.append(name)
    return out


def _plain(value: Any) -> Any:
    """Values DuckDB binds as they are; pandas and numpy scalars as Python ones."""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        return item()
    if isinstance(value, (pd.Series, pd.Index)):
        return value.tolist()
    return value


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
