"""``--columns``: keep some columns of a Stripe frame, and the compact view wide frames display with.

Names are the frame's own (``id``, ``email``, ``address.city``, ``metadata.tier``); a ``*`` pattern takes
every matching column (``metadata.*``). A name that matches nothing is an error that says the nearest ones.
The compact view is for display only: it never drops a column from the frame itself.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Iterable, Sequence

import pandas as pd

from .errors import UsageError
from .frame_json import JSONDtype
from .frame_schema import HEADLINES

__all__ = ["select_columns", "compact_columns"]


def select_columns(df: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """``df`` with only the columns ``names`` gives, in that order (patterns in frame order); attrs kept."""
    columns = [str(c) for c in df.columns]
    chosen: dict[str, None] = {}
    for name in names:
        found = fnmatch.filter(columns, name) if any(ch in name for ch in "*?[") else \
            ([name] if name in columns else [])
        if not found:
            raise UsageError(_no_such_column(name, columns), field="columns")
        chosen.update(dict.fromkeys(found))
    picked = df[list(chosen)]
    picked.attrs = df.attrs
    return picked


def _no_such_column(name: str, columns: list[str]) -> str:
    close = difflib.get_close_matches(name, columns, n=3, cutoff=0.6)
    under = [c for c in columns if c.startswith(name + ".")][:3]
    guesses = under or close
    hint = (f"; did you mean {' or '.join(repr(g) for g in guesses)}?" if guesses
            else "; df.columns lists them (patterns like 'metadata.*' work too)")
    return f"--columns: the frame has no column {name!r}{hint}"


def compact_columns(df: pd.DataFrame, at_most: int) -> list[str]:
    """The columns a wide frame shows by default: ``id`` and its type's headline columns, then the other
    columns that hold a value in some row (nested lists and objects last), up to ``at_most``."""
    object_type = (df.attrs.get("stripe") or {}).get("object_type") or ""
    present = [str(c) for c in df.columns]
    lead = [c for c in ("id", *HEADLINES.get(object_type, ())) if c in present]
    rest = [c for c in present if c not in lead and c != "object"]
    filled = [c for c in rest if df[c].notna().any()] if len(df) else rest
    flat = [c for c in filled if not isinstance(df[c].dtype, JSONDtype)]
    nested = [c for c in filled if isinstance(df[c].dtype, JSONDtype)]
    return _first(at_most, lead, flat, nested)


def _first(at_most: int, *groups: Iterable[str]) -> list[str]:
    picked: list[str] = []
    for group in groups:
        for name in group:
            if len(picked) >= at_most:
                return picked
            picked.append(name)
    return picked
