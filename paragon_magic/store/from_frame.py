"""A ``list_*`` frame -> the stored Arrow layout, column by column (what a first sync writes).

The lister already turned every page into typed columns while the pages arrived; this reassembles them
into the store's nesting without a pass over the rows in Python: ``address.city`` … become the ``address``
STRUCT (null where all its fields are), ``metadata.<key>`` columns one MAP built by index arithmetic, and
scalar columns move over as Arrow arrays. Only list columns (Python lists in the frame) and large objects
(dicts, stored as JSON text) are converted value by value, and only where a value is present.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .schema import _fix_value, table_type

__all__ = ["frame_to_arrow"]


def frame_to_arrow(frame: pd.DataFrame, object_type: str) -> pa.Table:
    """``frame`` (as ``list_*`` or ``to_frame`` built it for ``object_type``) in the store's layout."""
    layout = table_type(object_type)
    rows = len(frame)
    names = set(frame.columns)
    arrays = [_column(frame, names, field.name, field.type, layout.plan.get(field.name), rows)
              for field in layout.storage]
    struct = pa.StructArray.from_arrays(arrays, fields=list(layout.storage)) if rows else \
        pa.array([], type=layout.storage)
    return pa.Table.from_struct_array(struct.cast(layout.final))


def _column(frame: pd.DataFrame, names: set[str], path: str, kind: pa.DataType, step: Any, rows: int) -> pa.Array:
    if step == "json":
        return _json(frame[path] if path in names else None, rows)
    if step == "map":
        return _map(frame, [n for n in names if n.startswith(path + ".")], path, rows)
    if pa.types.is_struct(kind):
        plan = step if isinstance(step, dict) else {}
        children = [_column(frame, names, f"{path}.{f.name}", f.type, plan.get(f.name), rows) for f in kind]
        if not children:
            return pa.nulls(rows, kind)
        valid = children[0].is_valid()
        for child in children[1:]:
            valid = pc.or_(valid, child.is_valid())
        return pa.StructArray.from_arrays(children, fields=list(kind), mask=pc.invert(valid))
    if path not in names:
        return pa.nulls(rows, kind)
    values = frame[path]
    if pa.types.is_list(kind):
        fixed = [None if not isinstance(v, list) else (_fix_value(v, step) if step else v) for v in values]
        return pa.array(fixed, type=kind)
    if step == "id" and values.dtype == object:  # an expanded object left in the column
        values = pd.Series([v.get("id") if isinstance(v, dict) else v for v in values])
    return _scalar(values, kind)


def _scalar(values: pd.Series, kind: pa.DataType) -> pa.Array:
    try:
        array = pa.array(values, from_pandas=True)
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        if array.type == kind:
            return array
        if pa.types.is_null(array.type):
            return pa.nulls(len(array), kind)
        return array.cast(kind)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return _tolerant(values, kind)


def _tolerant(values: pd.Series, kind: pa.DataType) -> pa.Array:
    """Values of a kind the object model does not expect (an API change): each kept if it converts, else
    stored as NULL, with a warning naming the column."""
    import warnings

    given = [None if _missing(v) else v for v in values.tolist()]
    kept: list[Any] = []
    for value in given:
        try:
            kept.append(None if value is None else pa.scalar(value, type=kind).as_py())
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
            kept.append(None)
    lost = sum(1 for a, b in zip(given, kept) if b is None and a is not None)
    if lost:
        warnings.warn(f"{values.name}: {lost} value(s) are not {kind} as Stripe's object model says; stored as NULL",
                      stacklevel=4)
    return pa.array(kept, type=kind)


def _missing(value: Any) -> bool:
    """None, NaN, NaT or pandas' NA."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or dict: present
        return False


def _json(values: pd.Series | None, rows: int) -> pa.Array:
    if values is None:
        return pa.nulls(rows, pa.string())
    text = [None if v is None or (isinstance(v, float) and np.isnan(v)) else
            v if isinstance(v, str) else json.dumps(v, separators=(",", ":"), ensure_ascii=False) for v in values]
    return pa.array(text, type=pa.string())


def _map(frame: pd.DataFrame, columns: list[str], path: str, rows: int) -> pa.Array:
    """``path.<key>`` string columns -> one MAP(string, string): row-major (row, key) pairs where a value is."""
    kind = pa.map_(pa.string(), pa.string())
    if not columns:
        return pa.array([{}] * rows, type=kind) if rows else pa.array([], type=kind)
    columns = sorted(columns)
    values = pa.concat_arrays([_scalar(frame[c], pa.string()) for c in columns])  # key j, row i at j*rows+i
    present = np.asarray(values.is_valid()).reshape(len(columns), rows).T  # rows x keys
    row_index, key_index = np.nonzero(present)  # row-major order
    offsets = np.concatenate([[0], np.cumsum(present.sum(axis=1))]).astype(np.int32)
    keys = pa.array([c[len(path) + 1:] for c in columns], type=pa.string()).take(pa.array(key_index))
    items = values.take(pa.array(key_index * rows + row_index))
    return pa.MapArray.from_arrays(pa.array(offsets), keys, items, type=kind)


def rows_of(frame: pd.DataFrame, embedded: str) -> list[dict[str, Any]]:
    """Minimal parent objects (``id`` and the embedded list object) from a frame's ``<embedded>.*`` columns."""
    ids = frame["id"].tolist() if len(frame) else []
    data = frame[f"{embedded}.data"].tolist() if f"{embedded}.data" in frame else [None] * len(ids)
    more = frame[f"{embedded}.has_more"].tolist() if f"{embedded}.has_more" in frame else [False] * len(ids)
    return [{"id": i, embedded: {"data": d if isinstance(d, list) else [], "has_more": bool(m) if m is not pd.NA else
                                 False}} for i, d, m in zip(ids, data, more)]


