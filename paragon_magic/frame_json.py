"""The dtype of a frame's nested columns (lists and objects): Python values inside, JSON text outside.

A column such as ``items.data``, ``fee_details`` or ``payment_method_details`` holds the lists and dicts
Stripe sent, as an object column would (``df["items.data"][0]`` is a list, ``df.stripe.explode`` reads it).
What it adds is the way out of the notebook: ``to_parquet`` writes each value as JSON text (an Arrow
extension type over ``large_string``, so ``read_parquet`` gives the same dtype and values back, and any other
reader sees JSON strings), ``to_csv`` writes lists and dicts as JSON (``{"a":1}``, not Python's ``{'a': 1}``),
and ``pd.read_csv(..., dtype={"items.data": JSONDtype()})`` parses them again. Equal values group and
de-duplicate by their JSON text.

The dtype prints as ``object`` (that is also what parquet's pandas metadata records, so a reader without
``paragon_magic`` gets the JSON text instead of an error); ``isinstance(dtype, JSONDtype)`` tells them apart.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api.extensions import ExtensionArray, ExtensionDtype, take
from pandas.api.indexers import check_array_indexer

__all__ = ["JSONDtype", "JSONArray", "JSONArrowType", "to_json_text", "json_array"]

_ARROW_NAME = "paragon_magic.json"


def to_json_text(value: Any) -> str:
    """One value as compact JSON (non-ASCII kept; anything JSON cannot hold as its ``str``)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


class _JSONList(list):  # type: ignore[type-arg]
    """A list that prints as JSON (``str``, used by ``to_csv``); ``repr`` is a list's."""

    __slots__ = ()

    def __str__(self) -> str:
        return to_json_text(self)


class _JSONDict(dict):  # type: ignore[type-arg]
    """A dict that prints as JSON (``str``, used by ``to_csv``); ``repr`` is a dict's."""

    __slots__ = ()

    def __str__(self) -> str:
        return to_json_text(self)


def _printable(value: Any) -> Any:
    if type(value) is list:
        return _JSONList(value)
    if type(value) is dict:
        return _JSONDict(value)
    return value


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


class JSONDtype(ExtensionDtype):
    """Lists, dicts and other JSON values, exported as JSON text (see the module docstring)."""

    name = "json"
    type = object
    kind = "O"
    na_value = None

    def __str__(self) -> str:
        return "object"

    def __repr__(self) -> str:
        return "JSONDtype()"

    def __hash__(self) -> int:
        return hash(JSONDtype)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, JSONDtype)

    @classmethod
    def construct_array_type(cls) -> type[JSONArray]:
        return JSONArray

    def __from_arrow__(self, array: pa.Array | pa.ChunkedArray) -> JSONArray:
        chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
        texts: list[Any] = []
        for chunk in chunks:
            texts.extend((chunk.storage if isinstance(chunk, pa.ExtensionArray) else chunk).to_pylist())
        return JSONArray._from_sequence_of_strings(texts)


class JSONArray(ExtensionArray):
    """A 1-d array of JSON values, backed by a numpy object array holding them as they are."""

    def __init__(self, values: np.ndarray) -> None:
        self._data = values

    # -- construction ----------------------------------------------------------------------------------
    @classmethod
    def _from_sequence(cls, scalars: Any, *, dtype: Any = None, copy: bool = False) -> JSONArray:
        if isinstance(scalars, JSONArray):
            return scalars.copy() if copy else scalars
        values = list(scalars)
        return cls(np.fromiter(values, dtype=object, count=len(values)))

    @classmethod
    def _from_sequence_of_strings(cls, strings: Any, *, dtype: Any = None, copy: bool = False) -> JSONArray:
        return cls._from_sequence([None if _missing(s) else json.loads(s) for s in strings])

    @classmethod
    def _from_factorized(cls, uniques: np.ndarray, original: JSONArray) -> JSONArray:
        return cls._from_sequence_of_strings(uniques)

    # -- the array protocol ----------------------------------------------------------------------------
    @property
    def dtype(self) -> JSONDtype:
        return JSONDtype()

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, tuple) and len(key) == 1:
            key = key[0]
        if isinstance(key, (int, np.integer)):
            return self._data[key]
        key = check_array_indexer(self, key)
        return type(self)(self._data[key])

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(key, tuple) and len(key) == 1:  # ``df.loc[row, column] = v`` passes ``(row,)``
            key = key[0]
        if isinstance(key, (int, np.integer)):
            self._data[key] = value
            return
        key = check_array_indexer(self, key)
        if isinstance(value, JSONArray):
            value = value._data
        elif isinstance(value, (list, tuple, np.ndarray, pd.Series)) and len(value) == len(self._data[key]):
            value = np.fromiter(value, dtype=object, count=len(value))  # one value per position
        else:  # one value for every position (a list or dict is one value)
            filled = np.empty(len(self._data[key]), dtype=object)
            filled[:] = [value] * len(filled)
            value = filled
        self._data[key] = value

    def __iter__(self) -> Any:
        return iter(self._data)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """The values as an object ndarray (what an object column holds; ``to_json`` and numpy read this)."""
        if dtype is not None and np.dtype(dtype) != np.dtype(object):
            return np.asarray(self._data, dtype=dtype)
        return self._data.copy() if copy else self._data

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        if isinstance(other, (pd.Series, pd.Index, pd.DataFrame)):
            return NotImplemented
        if isinstance(other, (JSONArray, np.ndarray)) and len(other) == len(self):
            return np.array([a == b for a, b in zip(self._data, other)], dtype=bool)
        return np.array([a == other for a in self._data], dtype=bool)

    @property
    def nbytes(self) -> int:
        return int(self._data.nbytes)

    def isna(self) -> np.ndarray:
        return np.fromiter(map(_missing, self._data), dtype=bool, count=len(self._data))

    def take(self, indices: Sequence[int], *, allow_fill: bool = False, fill_value: Any = None) -> JSONArray:
        return type(self)(take(self._data, indices, allow_fill=allow_fill, fill_value=None))

    def copy(self) -> JSONArray:
        return type(self)(self._data.copy())

    @classmethod
    def _concat_same_type(cls, to_concat: Sequence[JSONArray]) -> JSONArray:
        return cls(np.concatenate([a._data for a in to_concat]) if to_concat else np.empty(0, dtype=object))

    def _values_for_factorize(self) -> tuple[np.ndarray, Any]:
        return self._texts(), None

    def unique(self) -> JSONArray:
        """The distinct values (equal JSON text), in order of first appearance."""
        _, first = np.unique(self._texts().astype(str) + np.where(self.isna(), "\0", ""), return_index=True)
        return self.take(np.sort(first))

    def _values_for_argsort(self) -> np.ndarray:
        return np.array(["" if t is None else t for t in self._texts()], dtype=object)

    def _texts(self) -> np.ndarray:
        return np.array([None if _missing(v) else to_json_text(v) for v in self._data], dtype=object)

    def astype(self, dtype: Any, copy: bool = True) -> Any:
        dtype = pd.api.types.pandas_dtype(dtype)
        if isinstance(dtype, JSONDtype):
            return self.copy() if copy else self
        if dtype == np.dtype(object):  # lists and dicts print as JSON (to_csv writes str() of each value)
            return np.fromiter(map(_printable, self._data), dtype=object, count=len(self._data))
        if isinstance(dtype, pd.StringDtype) or dtype.kind == "U":
            texts = [None if _missing(v) else v if isinstance(v, str) else to_json_text(v) for v in self._data]
            return pd.array(texts, dtype=dtype) if isinstance(dtype, pd.StringDtype) else np.array(texts, dtype=dtype)
        return super().astype(dtype, copy=copy)

    def _formatter(self, boxed: bool = False) -> Any:
        return lambda value: "None" if value is None else (to_json_text(value) if boxed else repr(value))

    def _explode(self) -> tuple[np.ndarray, np.ndarray]:
        """``Series.explode``: one row per list element (an empty list or a scalar keeps one row)."""
        values: list[Any] = []
        counts = np.ones(len(self._data), dtype=np.uint64)
        for index, value in enumerate(self._data):
            if isinstance(value, (list, tuple)) and value:
                values.extend(value)
                counts[index] = len(value)
            else:
                values.append(None if isinstance(value, (list, tuple)) else value)
        return np.fromiter(values, dtype=object, count=len(values)), counts

    # -- export ----------------------------------------------------------------------------------------
    def __arrow_array__(self, type: Any = None) -> pa.ExtensionArray:
        storage = pa.array(list(self._texts()), type=pa.large_string())
        return pa.ExtensionArray.from_storage(JSONArrowType(), storage)


class JSONArrowType(pa.ExtensionType):
    """JSON text in Arrow (``large_string`` storage); read back into a :class:`JSONDtype` column."""

    def __init__(self) -> None:
        super().__init__(pa.large_string(), _ARROW_NAME)

    def __arrow_ext_serialize__(self) -> bytes:
        return b""

    @classmethod
    def __arrow_ext_deserialize__(cls, storage_type: pa.DataType, serialized: bytes) -> JSONArrowType:
        return cls()

    def to_pandas_dtype(self) -> JSONDtype:
        return JSONDtype()


try:
    pa.register_extension_type(JSONArrowType())
except pa.ArrowKeyError:  # already registered (the module was reloaded)
    pass


def json_array(values: np.ndarray | Sequence[Any]) -> JSONArray:
    """A :class:`JSONArray` over ``values`` (an object ndarray is used as it is, not copied)."""
    if isinstance(values, np.ndarray) and values.dtype == object and values.ndim == 1:
        return JSONArray(values)
    return JSONArray._from_sequence(values)
