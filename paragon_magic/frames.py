"""Stripe objects -> typed pandas DataFrames, built column by column as pages arrive.

One row per object, ``id`` first; nested dicts flattened with ``.`` (``address.city``, ``metadata.<key>``)
except the large ones the schema keeps whole; lists stay Python lists (``df.stripe.explode`` makes them
frames). Kinds come from Stripe's object model (``frame_schema`` / ``stripe_model``): timestamps ->
``datetime64[ns, UTC]``, amounts and integers -> ``Int64``, flags -> ``boolean``, numbers -> ``float64``,
decimal strings and text -> ``string``; a frame of a known type has all of its type's columns even when empty.
Objects the model does not know convert by the column's name and values (a name alone never makes a timestamp).
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import operator
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from .accessor import RawObjects  # also registers the ``df.stripe`` accessor
from .client.keys import mask_secret
from .frame_columns import Chunk, join, missing_column, pack, typed_column
from .frame_schema import TypeSchema, column_order, kind_by_name, schema_for

__all__ = ["FrameBuilder", "to_frame", "attach_metadata", "flatten_columns", "typed_column"]

_NONE = type(None)
_EMPTY: Mapping[str, Any] = {}
_PAGE = 1000  # objects per chunk when to_frame is given one long iterable
_PACK_ROWS = 500  # a builder packs its pending Python values once it holds this many rows of them


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while converting: the work allocates many small lists and tuples,
    none of them cyclic, and each collection would scan every object the caller holds (a 100k-object
    conversion spends ~20% of its time there). The previous setting is restored."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def flatten_columns(objects: Sequence[Mapping[str, Any]], schema: TypeSchema | None = None) -> dict[str, Sequence[Any]]:
    """Split objects into columns: ``{"id": [...], "address.city": [...], ...}``, one entry per object.

    With a ``schema``, dicts under its ``whole`` names stay one column of dicts, an expanded object under
    an ``expandable`` name leaves its id in that column and its other fields in ``name.*`` columns, and a
    name it calls a scalar or list (``leaves``) is one column without looking at its values (an odd dict
    there stays a value, whichever value comes first).
    """
    columns: dict[str, Sequence[Any]] = {}
    shape = ((schema.whole, schema.expandable, schema.leaves) if schema is not None
             else (frozenset(), frozenset(), frozenset()))
    for key, values in _split(objects).items():
        _add_column(columns, str(key), values, shape)
    return columns


def _split(dicts: Sequence[Mapping[str, Any]]) -> dict[Any, Sequence[Any]]:
    """Transpose dicts into key -> values. Fast path (C loops) when every dict has the same keys."""
    if not dicts:
        return {}
    keys = tuple(dicts[0])
    if len(keys) > 1 and set(map(len, dicts)) == {len(keys)}:
        try:  # same size + every key present == same key set
            return dict(zip(keys, zip(*map(operator.itemgetter(*keys), dicts))))
        except KeyError:
            pass
    union = dict.fromkeys(itertools.chain.from_iterable(dicts))
    return {key: list(map(dict.get, dicts, itertools.repeat(key))) for key in union}


def _add_column(columns: dict[str, Sequence[Any]], name: str, values: Sequence[Any],
                shape: tuple[frozenset[str], frozenset[str], frozenset[str]]) -> None:
    whole, expandable, leaves = shape
    if name in expandable and dict in set(map(type, values)):
        columns[name] = [v.get("id") if isinstance(v, dict) else v for v in values]
        expanded = [v if isinstance(v, dict) else _EMPTY for v in values]
        for key, sub in _split(expanded).items():
            if key != "id":
                _add_column(columns, f"{name}.{key}", sub, shape)
        return
    first = values[0]
    if (first is not None and not isinstance(first, dict)) or name in whole or name in leaves:
        columns[name] = values  # a leaf; a later dict in it (mixed shapes) ends up in an object column
        return
    kinds = set(map(type, values))
    if _NONE in kinds:
        kinds.discard(_NONE)
        if kinds and all(issubclass(k, dict) for k in kinds):
            values = [_EMPTY if v is None else v for v in values]
    if kinds and all(issubclass(k, dict) for k in kinds):
        for key, sub in _split(values).items():
            _add_column(columns, f"{name}.{key}", sub, shape)
        return  # a column of empty dicts ({} metadata) yields no columns at all
    columns[name] = values


class FrameBuilder:
    """Collects pages of Stripe objects as columns and builds one typed DataFrame.

    Pages' columns are packed every few hundred rows (``frame_columns.pack``: Arrow strings, int64 and
    bool arrays), so their Python values are not held until ``build()``; the result is the same as
    converting every value at once. Raw objects are not kept unless ``keep_raw=True`` (then
    ``df.stripe.raw`` returns them). ``build()`` can be called at any time (e.g. for a partial result)
    and does not consume the builder. Columns are ``id``, the type's headline columns, then A–Z, so page
    boundaries never change the layout.
    """

    def __init__(self, object_type: str | None = None, *, keep_raw: bool = False) -> None:
        self.object_type = object_type
        self.keep_raw = keep_raw
        self._columns: dict[str, list[Chunk]] = {}
        self._rows = 0  # packed rows
        self._pending: dict[str, list[Any]] = {}  # Python values of the rows not packed yet
        self._pending_rows = 0
        self._raw: list[Mapping[str, Any]] = []

    @property
    def rows(self) -> int:
        """Objects added so far."""
        return self._rows + self._pending_rows

    def add_page(self, objects: Sequence[Mapping[str, Any]]) -> None:
        """Add one page of objects (a list response's ``data``)."""
        if not objects:
            return
        if self.object_type is None and isinstance(objects[0].get("object"), str):
            self.object_type = objects[0]["object"]
        with _gc_paused():
            self._add(objects)

    def _add(self, objects: Sequence[Mapping[str, Any]]) -> None:
        page = flatten_columns(objects, schema_for(self.object_type))
        count, pending = len(objects), self._pending
        for name, values in page.items():
            column = pending.get(name)
            if column is None:
                pending[name] = column = [None] * self._pending_rows
            column.extend(values)
        padding = [None] * count
        for name, column in pending.items():
            if name not in page:
                column.extend(padding)
        self._pending_rows += count
        if self.keep_raw:
            self._raw.extend(objects)
        if self._pending_rows >= _PACK_ROWS:
            self.pack()

    def pack(self) -> None:
        """Pack the pending pages' values now (the builder does so every few hundred rows by itself)."""
        if self._pending_rows:
            pending, count = self._pending, self._pending_rows
            self._pending, self._pending_rows = {}, 0
            schema = schema_for(self.object_type)
            self._append({name: [pack(values, schema.get(name))] for name, values in pending.items()}, count)

    def absorb(self, other: FrameBuilder, take: int | None = None) -> None:
        """Append ``other``'s first ``take`` rows (all by default) and empty ``other``.

        Its packed chunks move over, so pages collected by several builders (one per concurrent
        window) are joined once, at ``build()``.
        """
        self.pack()
        other.pack()
        take = other.rows if take is None else max(0, min(take, other.rows))
        if take:
            if self.object_type is None:
                self.object_type = other.object_type
            whole = take == other.rows
            self._append({n: c if whole else _head(c, take) for n, c in other._columns.items()}, take)
            if self.keep_raw:
                self._raw.extend(other._raw[:take])
        other._columns, other._raw, other._rows = {}, [], 0

    def _append(self, page: Mapping[str, list[Chunk]], count: int) -> None:
        for name, chunks in page.items():
            column = self._columns.get(name)
            if column is None:
                self._columns[name] = column = [Chunk("null", self._rows)] if self._rows else []
            for chunk in chunks:
                _extend(column, chunk)
        for name, column in self._columns.items():
            if name not in page:
                _extend(column, Chunk("null", count))
        self._rows += count

    def build(self, *, release: bool = False) -> pd.DataFrame:
        """The DataFrame of everything added so far, typed by the object type's schema.

        ``release=True`` empties the builder column by column as it converts, so the packed chunks
        and the joined arrays are not both held in full (the listings' final build).
        """
        with _gc_paused():
            return self._build(release)

    def _build(self, release: bool) -> pd.DataFrame:
        self.pack()
        schema = schema_for(self.object_type)
        names = self._kept_columns(schema)
        rows = self._rows
        take = self._columns.pop if release else self._columns.__getitem__
        arrays = {name: join(take(name), schema.get(name), kind_by_name(name)) for name in names}
        if release:
            self._columns, self._rows = {}, 0
        for name, kind in schema.items():
            if name not in arrays:
                arrays[name] = missing_column(kind, rows)
        order = column_order(arrays, self.object_type)
        frame = pd.DataFrame({n: arrays[n] for n in order}, index=pd.RangeIndex(rows), copy=False)
        frame.attrs["stripe"] = {"object_type": self.object_type}
        if self.keep_raw:
            frame.attrs["stripe_raw"] = RawObjects(tuple(self._raw))
            if release:
                self._raw = []
        return frame

    def _kept_columns(self, schema: TypeSchema) -> list[str]:
        """All columns but an all-null ``x`` once ``x.*`` columns exist (null on one page, a dict on another)
        or when the schema flattens ``x`` (its fields are columns even when every ``x`` is null)."""
        parents = {n[: m.start()] for n in self._columns for m in re.finditer(r"\.", n)} | schema.flattened
        return [n for n in self._columns
                if not (n in parents and all(c.kind == "null" for c in self._columns[n]))]


def _extend(column: list[Chunk], chunk: Chunk) -> None:
    """Append ``chunk`` to ``column``, folding a run of nulls into one chunk."""
    if chunk.kind == "null" and column and column[-1].kind == "null":
        column[-1] = Chunk("null", column[-1].rows + chunk.rows)
    elif chunk.rows:
        column.append(chunk)


def _head(chunks: list[Chunk], rows: int) -> list[Chunk]:
    """The chunks holding a column's first ``rows`` values."""
    kept = []
    for chunk in chunks:
        if rows <= 0:
            break
        kept.append(chunk.head(rows))
        rows -= chunk.rows
    return kept


def to_frame(objects: Iterable[Mapping[str, Any]], object_type: str | None = None, *,
             keep_raw: bool = False) -> pd.DataFrame:
    """A typed DataFrame of ``objects`` (any iterable; consumed in chunks, so a generator stays lazy)."""
    builder = FrameBuilder(object_type, keep_raw=keep_raw)
    iterator = iter(objects)
    while page := list(itertools.islice(iterator, _PAGE)):
        builder.add_page(page)
    return builder.build()


# --- provenance ---------------------------------------------------------------------------------------

_SECRET_NAMES = re.compile(r"(api_?key|secret|password|token|authorization)", re.IGNORECASE)
_SECRET_VALUE = re.compile(r"^(sk|rk|pk)_(test|live)_|^whsec_|^eyJ")


def _scrub(value: Any, key: str = "") -> Any:
    """A copy of request parameters with anything secret masked (``sk_test_…abcd``)."""
    if isinstance(value, Mapping):
        return {k: _scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v, key) for v in value]
    if isinstance(value, str) and (_SECRET_NAMES.search(key) or _SECRET_VALUE.search(value)):
        return mask_secret(value)
    return value


def attach_metadata(df: pd.DataFrame, action: Any, params: Mapping[str, Any] | None,
                    request_ids: Sequence[str], livemode: bool | None, complete: bool,
                    server_time: str | None = None) -> pd.DataFrame:
    """Record where ``df`` came from in ``df.attrs["stripe"]`` (secrets masked) and return ``df``.

    Keys: ``object_type`` (set by the builder), ``action`` (name), ``params``, ``request_ids``, ``livemode``,
    ``fetched_at`` (UTC ISO 8601: ``server_time``, when the server answered by its own clock, else this
    machine's clock now; what the metrics take as "now"), ``complete`` (False when rows the call asked for
    are missing: a listing stopped early, one page of several; a ``--limit`` that cut the list is complete;
    also ``df.attrs["complete"]``).
    """
    meta = dict(df.attrs.get("stripe") or {})
    meta.update(
        action=getattr(action, "name", action),
        params=_scrub(dict(params or {})),
        request_ids=[r for r in request_ids if r],
        livemode=livemode,
        fetched_at=server_time or datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        complete=bool(complete),
    )
    df.attrs["stripe"] = meta
    df.attrs["complete"] = meta["complete"]
    return df
