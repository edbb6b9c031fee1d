"""One column of Stripe values -> one typed pandas array, whole or in packed chunks.

``typed_column`` converts a list of Python values. ``pack`` turns one page's values into a compact
``Chunk`` (Arrow strings, int64 or bool arrays with a mask, a count of nulls, or the Python values
when they are anything else), so a builder can drop the Python values as each page arrives; ``join``
converts a column's chunks to exactly the array ``typed_column`` would give for all of its values
(falling back to that, on the values unpacked, whenever the chunks are not all one packed kind). Text
stays in its pages' Arrow arrays, as one chunked array: joining copies no strings (at 100k rows, copying
them was half of a listing's final build; Arrow's kernels run over the chunks at nearly the same speed).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

try:  # pandas' preferred string storage: ~3x smaller frames, faster conversion
    import pyarrow as _pa
except ImportError:  # pragma: no cover - pyarrow is a dependency; stay correct without it
    _pa = None

from .frame_json import JSONDtype, json_array
from .frame_schema import DTYPES, ColumnKind

__all__ = ["Chunk", "join", "missing_column", "pack", "to_array", "typed_column"]

_NONE = type(None)
_MAX_EPOCH = np.iinfo(np.int64).max // 10**9  # seconds; beyond this, nanoseconds overflow (year 2262)

PackedKind = Literal["null", "str", "int", "bool", "values"]


@dataclass(slots=True)
class Chunk:
    """``rows`` values of one column: ``null`` (all None, no data), ``str`` (an Arrow large_string array),
    ``int`` / ``bool`` (a numpy array and its None mask), or ``values`` (the Python values as they came)."""

    kind: PackedKind
    rows: int
    data: Any = None
    mask: np.ndarray | None = None

    def head(self, rows: int) -> Chunk:
        """The first ``rows`` values."""
        if rows >= self.rows:
            return self
        if self.kind == "values":
            return pack(list(self.data[:rows]))  # the head may hold fewer kinds, or only None
        if self.kind == "str":
            strings = self.data.slice(0, rows)
            return Chunk("null", rows) if strings.null_count == rows else Chunk("str", rows, strings)
        mask = None if self.mask is None else self.mask[:rows].copy()
        if self.kind == "null" or (mask is not None and mask.all()):
            return Chunk("null", rows)
        return Chunk(self.kind, rows, self.data[:rows].copy(), mask)

    def values(self) -> Sequence[Any]:
        """The Python values back (equal to the packed ones: str, int, bool or None)."""
        if self.kind == "null":
            return [None] * self.rows
        if self.kind == "str":
            return self.data.to_pylist()
        if self.kind == "values":
            return self.data
        values = self.data.tolist()
        if self.mask is not None:
            for index in np.flatnonzero(self.mask).tolist():
                values[index] = None
        return values


def _arrow_storage() -> bool:
    return _pa is not None and getattr(DTYPES["string"], "storage", None) == "pyarrow"


def pack(values: Sequence[Any], known: ColumnKind | None = None) -> Chunk:
    """One page's values of a column, packed when they are all str, all int or all bool (with None).

    ``known`` (the schema's kind) only picks what to try first: text columns skip the pass over types.
    """
    rows = len(values)
    if known in ("string", "decimal") and (text := _arrow_text(values)) is not None:
        return Chunk("null", rows) if text.null_count == rows else Chunk("str", rows, text)
    types = set(map(type, values))
    has_none = _NONE in types
    types.discard(_NONE)
    if not types:
        return Chunk("null", rows)
    if len(types) == 1:
        kind = next(iter(types))
        if kind is str and (text := _arrow_text(values)) is not None:
            return Chunk("str", rows, text)
        if kind is int:
            try:
                ints, mask = _int64(values, has_none)
                return Chunk("int", rows, ints, mask if has_none else None)
            except OverflowError:  # beyond int64: typed_column keeps Python ints
                pass
        if kind is bool:
            mask = np.array([v is None for v in values], dtype=bool) if has_none else None
            return Chunk("bool", rows, np.array([bool(v) for v in values], dtype=bool), mask)
    return Chunk("values", rows, values)


def join(chunks: Sequence[Chunk], known: ColumnKind | None, by_name: ColumnKind | None) -> Any:
    """The typed column of all ``chunks`` in order: the same array as ``typed_column`` of their values."""
    rows = sum(c.rows for c in chunks)
    kinds = {c.kind for c in chunks} - {"null"}
    if not kinds:
        return missing_column(known or "object", rows)
    kind = known or by_name
    if kinds == {"str"} and _arrow_storage():
        parts = [c.data if c.kind == "str" else _pa.nulls(c.rows, type=_pa.large_string()) for c in chunks]
        return pd.arrays.ArrowStringArray(_pa.chunked_array(parts, type=_pa.large_string()))  # no copy
    if kinds == {"int"} and kind != "float":
        ints, mask = _concat_masked(chunks, np.int64)
        return _typed_ints(ints, mask, kind)
    if kinds == {"bool"}:
        bools, mask = _concat_masked(chunks, np.bool_)
        return _typed_bools(bools, mask, bool(mask.any()), kind)
    return to_array(list(itertools.chain.from_iterable(c.values() for c in chunks)), known, by_name)


def _concat_masked(chunks: Sequence[Chunk], dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    values = [np.zeros(c.rows, dtype=dtype) if c.kind == "null" else c.data for c in chunks]
    masks = [np.ones(c.rows, dtype=bool) if c.kind == "null" else
             np.zeros(c.rows, dtype=bool) if c.mask is None else c.mask for c in chunks]
    return np.concatenate(values), np.concatenate(masks)


def typed_column(values: Sequence[Any], kind: ColumnKind | None) -> Any:
    """One column of ``values`` converted as a column of ``kind`` is (None: by the values alone)."""
    return to_array(values, kind, None) if values else missing_column(kind or "object", 0)


def to_array(values: Sequence[Any], known: ColumnKind | None, by_name: ColumnKind | None) -> Any:
    """One typed column. ``known`` comes from the schema; ``by_name`` only counts when the values agree."""
    if known in ("string", "decimal") and (strings := _arrow_strings(values)) is not None:
        return strings  # the common case, without a Python-level pass over the values
    types = set(map(type, values))
    has_none = _NONE in types
    types.discard(_NONE)
    if not types:
        return missing_column(known or "object", len(values))
    kind = known or by_name
    if types == {int}:
        if kind == "float":
            return _floats(values, has_none)
        try:
            ints, mask = _int64(values, has_none)
        except OverflowError:  # beyond int64: keep Python ints
            return json_array(_objects(values))
        return _typed_ints(ints, mask, kind)
    if kind == "decimal" and types <= {int, float, str}:  # a decimal sent as a number: exact text, not float
        return pd.array([None if v is None else str(v) for v in values], dtype=DTYPES["string"])
    if types <= {int, float}:
        return _floats(values, has_none)
    if types == {bool}:
        mask = np.array([v is None for v in values], dtype=bool) if has_none else np.zeros(len(values), bool)
        return _typed_bools(np.array([bool(v) for v in values], dtype=bool), mask, has_none, kind)
    if types == {str}:
        strings = _arrow_strings(values)
        return strings if strings is not None else pd.array(_objects(values), dtype=DTYPES["string"])
    return json_array(_objects(values))


def _typed_ints(ints: np.ndarray, mask: np.ndarray, kind: ColumnKind | None) -> Any:
    if kind == "timestamp" and not (np.abs(ints[~mask]) >= _MAX_EPOCH).any():
        return _timestamps(ints, mask)
    return pd.arrays.IntegerArray(ints, mask)


def _typed_bools(bools: np.ndarray, mask: np.ndarray, has_none: bool, kind: ColumnKind | None) -> Any:
    if has_none or kind == "boolean":
        return pd.arrays.BooleanArray(bools, mask)
    return bools


def _arrow_strings(values: Sequence[Any]) -> Any | None:
    """An Arrow-backed string column built in C++, or None (no pyarrow, or not all str/None)."""
    text = _arrow_text(values)
    return None if text is None else pd.arrays.ArrowStringArray(text)


def _arrow_text(values: Sequence[Any]) -> Any | None:
    """The values as an Arrow large_string array, or None (no pyarrow storage, or not all str/None)."""
    if not _arrow_storage():
        return None
    try:
        return _pa.array(values, type=_pa.large_string())
    except (_pa.ArrowInvalid, _pa.ArrowTypeError):
        return None


def _int64(values: Sequence[Any], has_none: bool) -> tuple[np.ndarray, np.ndarray]:
    if not has_none:
        return np.array(values, dtype=np.int64), np.zeros(len(values), dtype=bool)
    mask = np.array([v is None for v in values], dtype=bool)
    return np.array([0 if v is None else v for v in values], dtype=np.int64), mask


def _timestamps(seconds: np.ndarray, mask: np.ndarray) -> pd.arrays.DatetimeArray:
    stamps = (seconds * 1_000_000_000).view("M8[ns]")
    if mask.any():
        stamps[mask] = np.datetime64("NaT")
    return pd.array(stamps).tz_localize("UTC")


def _floats(values: Sequence[Any], has_none: bool) -> np.ndarray:
    if has_none:
        values = [np.nan if v is None else v for v in values]
    return np.array(values, dtype=np.float64)


def _objects(values: Sequence[Any]) -> np.ndarray:
    """A 1-d object array holding the values as they are (lists stay lists, no shape discovery)."""
    return np.fromiter(values, dtype=object, count=len(values))


def missing_column(kind: ColumnKind, rows: int) -> Any:
    """A column of ``rows`` missing values with the kind's dtype (built without a pass over ``rows`` Nones)."""
    dtype = DTYPES["boolean"] if kind == "bool" and rows else DTYPES[kind]
    if isinstance(dtype, JSONDtype):
        return json_array(np.full(rows, None, dtype=object))
    mask = np.ones(rows, dtype=bool)
    if kind in ("int", "amount"):
        return pd.arrays.IntegerArray(np.zeros(rows, dtype=np.int64), mask)
    if dtype == DTYPES["boolean"]:
        return pd.arrays.BooleanArray(np.zeros(rows, dtype=bool), mask)
    if kind == "timestamp":
        return _timestamps(np.zeros(rows, dtype=np.int64), mask)
    if kind == "float":
        return np.full(rows, np.nan)
    if _pa is not None and getattr(dtype, "storage", None) == "pyarrow":
        return pd.arrays.ArrowStringArray(_pa.nulls(rows, type=_pa.large_string()))
    return pd.array([None] * rows, dtype=dtype)  # type: ignore[call-overload]
