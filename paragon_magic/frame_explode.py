"""``df.stripe.explode(column)``: a nested list (or object) column of a Stripe frame as a frame of its own.

One row per element, ``parent_id`` (the parent row's ``id``) first, then the element's columns typed by its
object type from the model (``items.data`` -> subscription items, ``fee_details`` -> fee details, ...). An
empty or missing list gives no rows; a frame with no rows still has every column of the element's type.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from . import stripe_model
from .errors import UsageError
from .frame_json import JSONDtype
from .frame_schema import MODEL_KINDS

__all__ = ["explode"]


def explode(df: pd.DataFrame, column: str) -> pd.DataFrame:
    """The elements of ``df[column]`` (lists, or single objects) as a typed frame with ``parent_id`` first."""
    from .frames import to_frame, typed_column  # frames imports the accessor, which imports this module

    if column not in df.columns:
        raise UsageError(_unknown_column(df, column))
    object_type = (df.attrs.get("stripe") or {}).get("object_type")
    element_type = stripe_model.nested_type(object_type, column)
    parents = df["id"].tolist() if "id" in df.columns else df.index.tolist()
    parent_ids: list[Any] = []
    elements: list[Any] = []
    for parent, value in zip(parents, df[column].tolist()):
        if isinstance(value, (list, tuple)):
            items: Any = value
        elif isinstance(value, Mapping):
            items = (value,)
        elif value is None or _is_missing(value):
            items = ()
        else:
            raise UsageError(f"'{column}' holds {type(value).__name__} values, not lists or objects: "
                             f"there is nothing to explode.")
        parent_ids.extend([parent] * len(items))
        elements.extend(items)

    scalar_kind = stripe_model.field_kind(object_type, f"{column}[]")
    if element_type or (elements and all(isinstance(e, (Mapping, str)) for e in elements) and
                        any(isinstance(e, Mapping) for e in elements)) or (not elements and not scalar_kind):
        # objects; an unexpanded id in a list of expandables (``discounts``) becomes ``{"id": ...}``
        rows = [e if isinstance(e, Mapping) else {"id": e} for e in elements]
        frame = to_frame(rows, element_type)
    else:
        kind = MODEL_KINDS.get(scalar_kind or "", None)
        frame = pd.DataFrame({"value": typed_column(elements, kind)}, index=pd.RangeIndex(len(elements)))
    parent_dtype = df["id"].dtype if "id" in df.columns else df.index.dtype
    frame.insert(0, "parent_id", pd.array(parent_ids, dtype=parent_dtype)  # type: ignore[call-overload]
                 if parent_dtype != np.dtype(object) else np.array(parent_ids, dtype=object))
    frame.attrs["stripe"] = {"object_type": frame.attrs.get("stripe", {}).get("object_type", element_type),
                             "parent": {"object_type": object_type, "column": column}}
    return frame


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _unknown_column(df: pd.DataFrame, column: str) -> str:
    nested = [c for c in df.columns if isinstance(df[c].dtype, JSONDtype) or df[c].dtype == np.dtype(object)]
    children = [c for c in nested if str(c).startswith(column + ".")]
    guesses = children or difflib.get_close_matches(column, [str(c) for c in nested], n=3, cutoff=0.5) \
        or difflib.get_close_matches(column, [str(c) for c in df.columns], n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(repr(g) for g in guesses)}?" if guesses else (
        f"; list columns: {', '.join(map(str, nested))}" if nested else "; it has no list columns")
    return f"The frame has no column '{column}' to explode{hint}"
