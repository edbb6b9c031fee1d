"""Arrow types of the stored tables, from Stripe's object model; Stripe JSON in, typed frames out.

A stored row keeps Stripe's nesting: a small nested object is a STRUCT (``address.country``), a list a
LIST (``UNNEST(lines.data)``), a hash (``metadata``) a MAP(VARCHAR, VARCHAR), timestamps TIMESTAMPTZ,
amounts and integers BIGINT in minor units, an expandable field its id. Which objects become STRUCTs
follows the frames' rule (``frame_schema``): small ones and embedded named types; a large or open-ended
one (a charge's ``payment_method_details``) is one JSON value. Lists of objects nest at most
``_LIST_DEPTH`` deep; deeper ones are JSON too.

Objects are converted a page at a time by Arrow (``pa.array(objects, type=...)`` in C++); the only Python
pass is over the few fields that must change first (JSON text, expanded ids).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import stripe_model
from ..frame_schema import DTYPES, column_order
from ..frame_json import json_array

__all__ = ["JSON", "TableType", "frame_from_arrow", "table_type", "to_arrow"]

#: DuckDB's JSON type through Arrow's canonical JSON extension (pyarrow >= 19; before it, plain text).
JSON = pa.json_(pa.string()) if hasattr(pa, "json_") else pa.string()
_FLATTEN_AT_MOST = 20
_FLATTEN_DEPTH = 3
_LIST_DEPTH = 2
_TIMESTAMP = pa.timestamp("s", tz="UTC")
#: Embedded lists of named objects kept as LISTs of STRUCTs (``UNNEST(lines.data)``); any other (a customer's
#: ``subscriptions``, ``sources``, ``tax_ids``, present only when expanded) is JSON: their full types would make
#: every row as wide as a subscription.
_NESTED_LISTS = frozenset({("subscription", "items.data"), ("invoice", "lines.data"), ("charge", "refunds.data"),
                           ("credit_note", "lines.data")})
_SCALARS: dict[str, pa.DataType] = {
    "timestamp": _TIMESTAMP, "amount": pa.int64(), "integer": pa.int64(), "boolean": pa.bool_(),
    "number": pa.float64(), "decimal": pa.string(), "string": pa.string(), "id": pa.string(), "enum": pa.string(),
    "currency": pa.string(), "expandable": pa.string(),
}

# a fix applied before Arrow sees an object: "json" (dump the value), "id" (an expanded object -> its id),
# a nested plan (dict) for a struct, or ("list", plan) for a list of structs
Plan = dict[str, Any]


@dataclass(frozen=True)
class TableType:
    """One object type's stored layout: the Arrow struct Arrow converts to and the fixes done first."""

    object_type: str
    storage: pa.StructType  # JSON fields as plain strings: what pa.array converts into
    final: pa.StructType  # the same with JSON fields typed as JSON (DuckDB's JSON)
    plan: Plan


@cache
def table_type(object_type: str) -> TableType:
    """The stored layout of ``object_type`` (cached)."""
    storage, final, plan = _struct(object_type, list_depth=0)
    return TableType(object_type, storage, final, plan)


def _struct(type_name: str, list_depth: int) -> tuple[pa.StructType, pa.StructType, Plan]:
    codes = stripe_model.fields(type_name)
    children: dict[str, list[str]] = defaultdict(list)
    for path in codes:
        if "[]" not in path:
            children[path.rpartition(".")[0]].append(path)
    plan: Plan = {}

    def build(parent: str, depth: int, node_plan: Plan) -> tuple[list[pa.Field], list[pa.Field]]:
        storage: list[pa.Field] = []
        final: list[pa.Field] = []
        for path in children[parent]:
            key = path.rpartition(".")[2]
            kind = codes[path]
            if kind == "object":
                nested = children.get(path)
                named = stripe_model.target_type(type_name, path) is not None
                if nested and (named or (len(nested) <= _FLATTEN_AT_MOST and depth < _FLATTEN_DEPTH)):
                    inner: Plan = {}
                    s, f = build(path, depth + 1, inner)
                    if inner:
                        node_plan[key] = inner
                    storage.append(pa.field(key, pa.struct(s)))
                    final.append(pa.field(key, pa.struct(f)))
                    continue
                node_plan[key] = "json"
                storage.append(pa.field(key, pa.string()))
                final.append(pa.field(key, JSON))
            elif kind == "list":
                s_type, f_type, fix = _list_type(type_name, path, list_depth)
                if fix is not None:
                    node_plan[key] = fix
                storage.append(pa.field(key, s_type))
                final.append(pa.field(key, f_type))
            elif kind == "hash":
                node_plan[key] = "map"
                storage.append(pa.field(key, pa.map_(pa.string(), pa.string())))
                final.append(pa.field(key, pa.map_(pa.string(), pa.string())))
            else:
                if kind == "expandable":
                    node_plan[key] = "id"
                storage.append(pa.field(key, _SCALARS[kind]))
                final.append(pa.field(key, _SCALARS[kind]))
        return storage, final

    storage, final = build("", 0, plan)
    return pa.struct(storage), pa.struct(final), plan


def _list_type(type_name: str, path: str, list_depth: int) -> tuple[pa.DataType, pa.DataType, Any]:
    element = stripe_model.fields(type_name).get(f"{path}[]")
    if element in _SCALARS:
        return pa.list_(_SCALARS[element]), pa.list_(_SCALARS[element]), ("list", "id") if element == "expandable" \
            else None
    nested = stripe_model.nested_type(type_name, path)
    if path.endswith(".data") and nested and "#" not in nested and (type_name, path) not in _NESTED_LISTS:
        return pa.string(), JSON, "json"  # an embedded list Stripe sends only when expanded (a customer's sources)
    if nested and stripe_model.fields(nested) and list_depth < _LIST_DEPTH:
        s, f, plan = _struct(nested, list_depth + 1)
        return pa.list_(s), pa.list_(f), ("list", plan) if plan else None
    return pa.string(), JSON, "json"  # elements the model does not describe, or nested too deep


@cache
def layout_digest(object_type: str) -> str:
    """A short digest of the stored layout of ``object_type`` (changes when the object model does)."""
    import hashlib

    return hashlib.sha256(str(table_type(object_type).final).encode()).hexdigest()[:16]


# -- Stripe JSON -> Arrow -----------------------------------------------------------------------------------

def _fix(obj: Mapping[str, Any], plan: Plan) -> Mapping[str, Any]:
    """``obj`` with the plan's fields made Arrow-ready (the same object when none needs a change)."""
    out: dict[str, Any] | None = None
    for key, step in plan.items():
        value = obj.get(key)
        if value is None:
            continue
        fixed = _fix_value(value, step)
        if fixed is not value:
            if out is None:
                out = dict(obj)
            out[key] = fixed
    return obj if out is None else out


def _fix_value(value: Any, step: Any) -> Any:
    if step == "json":
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if step == "id":
        return value.get("id") if isinstance(value, Mapping) else value
    if step == "map":  # Stripe's hashes hold strings; anything else is kept as its JSON text
        if isinstance(value, Mapping) and not all(isinstance(v, str) or v is None for v in value.values()):
            return {k: v if isinstance(v, str) or v is None else json.dumps(v) for k, v in value.items()}
        return value
    if isinstance(step, tuple):  # a list
        inner = step[1]
        if not isinstance(value, list):
            return None
        fixed = [_fix_value(e, inner) if isinstance(inner, str) else (_fix(e, inner) if isinstance(e, Mapping) else e)
                 for e in value]
        return value if all(a is b for a, b in zip(fixed, value)) else fixed
    return _fix(value, step) if isinstance(value, Mapping) else value


def to_arrow(objects: Sequence[Mapping[str, Any]], object_type: str, *,
             extra: Mapping[str, pa.Array] | None = None) -> pa.Table:
    """A page (or many) of Stripe objects as an Arrow table of ``object_type``'s stored layout."""
    layout = table_type(object_type)
    rows = [_fix(o, layout.plan) for o in objects] if layout.plan else list(objects)
    try:
        array = pa.array(rows, type=layout.storage).cast(layout.final)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # a value the model does not expect: column by column
        from ..frames import to_frame
        from .from_frame import frame_to_arrow

        return _with_extra(frame_to_arrow(to_frame(objects, object_type), object_type), extra)
    table = pa.Table.from_struct_array(array)
    table = pa.table([null_when_empty(c.combine_chunks()) if pa.types.is_struct(c.type) else c for c in table.columns],
                     schema=table.schema)
    return _with_extra(table, extra)


def _with_extra(table: pa.Table, extra: Mapping[str, pa.Array] | None) -> pa.Table:
    for name, column in (extra or {}).items():
        if name in table.column_names:
            table = table.set_column(table.column_names.index(name), name, column)
        else:
            table = table.append_column(name, column)
    return table


def null_when_empty(array: pa.Array) -> pa.Array:
    """A STRUCT array (and the STRUCTs in it) NULL where every field is NULL: ``{"city": null, ...}`` and a
    missing address read the same, as they do in a frame's ``address.*`` columns."""
    kind = array.type
    children = [array.field(i) for i in range(kind.num_fields)]
    children = [null_when_empty(c) if pa.types.is_struct(c.type) else c for c in children]
    if not children:
        return array
    valid = children[0].is_valid()
    for child in children[1:]:
        valid = pc.or_(valid, child.is_valid())
    return pa.StructArray.from_arrays(children, fields=list(kind), mask=pc.invert(pc.and_(valid, array.is_valid())))


# -- Arrow -> the frame list_* gives -------------------------------------------------------------------------

def frame_from_arrow(table: pa.Table, object_type: str) -> pd.DataFrame:
    """The stored rows as the typed frame a ``list_*`` action gives for the same objects.

    Structs are flattened to ``a.b`` columns, each MAP to ``metadata.<key>`` columns, JSON values parsed
    back; list columns hold the elements as dicts (every field the model knows, timestamps as epoch
    seconds). Column set, order and dtypes follow ``frame_schema``.
    """
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    columns: dict[str, Any] = {}
    json_paths = _json_paths(object_type)
    for name, column in zip(table.column_names, table.columns):
        if pa.types.is_map(column.type):
            for key, values in _map_columns(column).items():
                columns[f"{name}.{key}"] = pd.arrays.ArrowStringArray(values.cast(pa.large_string()))
            continue
        if name in json_paths:
            columns[name] = _objects([None if v is None else json.loads(v) for v in column.to_pylist()])
            continue
        if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
            columns[name] = _objects([_plain(v) for v in column.to_pylist()])
            continue
        columns[name] = _typed(column)
    rows = table.num_rows
    arrays = {name: columns[name] for name in columns}
    frame = pd.DataFrame({n: arrays[n] for n in column_order(arrays, object_type)}, index=pd.RangeIndex(rows))
    frame.attrs["stripe"] = {"object_type": object_type}
    return frame


@cache
def _json_paths(object_type: str) -> frozenset[str]:
    paths: set[str] = set()

    def walk(plan: Plan, prefix: str) -> None:
        for key, step in plan.items():
            if step == "json":
                paths.add(prefix + key)
            elif isinstance(step, dict):
                walk(step, f"{prefix}{key}.")

    walk(table_type(object_type).plan, "")
    return frozenset(paths)


def _map_columns(column: pa.ChunkedArray) -> dict[str, pa.Array]:
    """One string column per key found in a MAP column, by Arrow kernels (no pass over rows in Python)."""
    chunks = [chunk.keys for chunk in column.chunks]
    keys = pc.unique(pa.concat_arrays(chunks)).to_pylist() if chunks else []
    found = {key: pc.map_lookup(column, pa.scalar(key), "first") for key in sorted(k for k in keys if k is not None)}
    return {key: values for key, values in found.items() if values.null_count < len(values)}


def _typed(column: pa.ChunkedArray) -> Any:
    """One scalar column with the frames' dtypes: UTC datetimes, Int64, boolean, float64, Arrow strings."""
    kind = column.type
    if isinstance(kind, pa.ExtensionType):  # JSON text kept as text
        column, kind = pa.chunked_array([c.storage for c in column.chunks], type=kind.storage_type), kind.storage_type
    if pa.types.is_timestamp(kind):
        return column.cast(pa.timestamp("ns", tz="UTC")).to_pandas().array
    if pa.types.is_integer(kind):
        return column.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get).array
    if pa.types.is_boolean(kind):
        return column.to_pandas(types_mapper={pa.bool_(): pd.BooleanDtype()}.get).array
    if pa.types.is_floating(kind):
        return column.to_numpy()
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return pd.array(column.cast(pa.large_string()), dtype=DTYPES["string"])
    return _objects(column.to_pylist())


def _objects(values: list[Any]) -> Any:
    """Nested values as the frames hold them: the JSON dtype (Python values inside, JSON text in files)."""
    return json_array(np.fromiter(values, dtype=object, count=len(values)))


def _plain(value: Any) -> Any:
    """A list element as Stripe sent it: epoch seconds, hashes as dicts."""
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, list):
        if value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
            return {k: v for k, v in value}
        return [_plain(v) for v in value]
    if isinstance(value, dict):  # an empty MAP reads back as []: a hash (metadata) is {} as Stripe sends it
        return {k: {} if v == [] and k == "metadata" else _plain(v) for k, v in value.items()}
    return value
