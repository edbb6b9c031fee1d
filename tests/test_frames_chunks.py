"""Packed page chunks (frame_columns.pack/join) give exactly the frame of converting every value at once."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from paragon_magic.frame_json import JSONDtype
from paragon_magic.frame_columns import join, pack, to_array
from paragon_magic.frames import FrameBuilder

FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "stripe" / "objects.json").read_text())
KINDS = [None, "string", "decimal", "int", "amount", "timestamp", "float", "bool", "boolean", "list", "object"]

# One column's values: mostly one type (so the packed fast paths run), with Nones and sometimes a stray value.
LEAVES = {
    "str": st.text(max_size=4),
    "int": st.integers(-10**12, 4 * 10**9) | st.sampled_from([2**63, -(2**63) - 1, 10**11]),
    "bool": st.booleans(),
    "float": st.floats(allow_nan=False, allow_infinity=False),
    "list": st.lists(st.integers(0, 3), max_size=2),
}


@st.composite
def column_values(draw: st.DrawFn) -> list[Any]:
    main = LEAVES[draw(st.sampled_from(sorted(LEAVES)))]
    stray = draw(st.sampled_from([None, *sorted(LEAVES)]))
    value = st.none() | main if stray is None else st.none() | main | LEAVES[stray]
    return draw(st.lists(value, max_size=14))


def as_series(array: Any) -> pd.Series:
    return pd.Series(array, copy=False)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(column_values(), st.lists(st.integers(1, 6), max_size=5), st.sampled_from(KINDS),
       st.sampled_from([None, "timestamp", "amount"]))
@example([None, "a"], [], None, None)  # heads holding only None: a null column, not text/ints/flags
@example([None, 5, None], [1], "timestamp", None)
@example([None, True], [], None, None)
@example([None, [1], "x"], [], None, None)
def test_joined_chunks_equal_the_whole_column_converted_at_once(
        values: list[Any], cuts: list[int], known: Any, by_name: Any) -> None:
    if not values:
        return
    parts, start = [], 0
    for size in cuts + [len(values)]:
        if values[start:start + size]:
            parts.append(values[start:start + size])
        start += size
    chunks = [pack(part, known) for part in parts]
    assert [c.rows for c in chunks] == [len(p) for p in parts]
    assert [v for c in chunks for v in c.values()] == values  # packing loses nothing
    expected = as_series(to_array(values, known, by_name))
    pd.testing.assert_series_equal(as_series(join(chunks, known, by_name)), expected)
    head = sum(len(p) for p in parts[:-1]) + 1
    taken = [c.head(head - sum(x.rows for x in chunks[:i])) for i, c in enumerate(chunks)
             if sum(x.rows for x in chunks[:i]) < head]
    pd.testing.assert_series_equal(as_series(join(taken, known, by_name)),
                                   as_series(to_array(values[:head], known, by_name)))


def customer(**changes: Any) -> dict[str, Any]:
    obj = copy.deepcopy(FIXTURES["customer"])
    obj.update(changes)
    return obj


def model_pages() -> list[list[dict[str, Any]]]:
    """Customers whose nested, list, expandable and metadata columns change shape from page to page."""
    return [
        [customer(id="cus_1", address=None, metadata={}), customer(id="cus_2", preferred_locales=["de"])],
        [customer(id="cus_3", metadata={"tier": "gold"}, balance=None, delinquent=None)],
        [customer(id="cus_4", default_source={"id": "card_1", "object": "card", "last4": "4242"},
                  address={"city": "Berlin", "line1": None}, metadata={"crm": "7", "tier": None}),
         customer(id="cus_5", balance=2**64, test_clock="clock_1")],
        [customer(id="cus_6", created=None, email=None, invoice_prefix=None, livemode=True)],
    ]


def unknown_pages() -> list[list[dict[str, Any]]]:
    """An object type the model does not know: kinds come from names and values, columns arrive late."""
    return [
        [{"id": "t_1", "count": 3, "created": 1_700_000_000, "flag": True, "label": "a"},
         {"id": "t_2", "count": None, "created": None, "flag": None}],
        [{"id": "t_3", "count": 2.5, "created": 1_700_000_100, "flag": False, "late": 7,
          "nested": {"a": 1, "b": "x"}}],
        [{"id": "t_4", "count": 4, "label": 5, "late": None, "nested": None, "tags": [1, 2],
          "created": 10**12, "amount": 10**19}],
        [{"id": "t_5", "tags": None, "late_text": "only here", "nested": {"b": None}}],
    ]


def built(pages: list[list[dict[str, Any]]], object_type: str | None, *, per_page: bool) -> pd.DataFrame:
    builder = FrameBuilder(object_type, keep_raw=True)
    if per_page:
        for page in pages:
            builder.add_page(page)
    else:
        builder.add_page([obj for page in pages for obj in page])
    return builder.build()


@pytest.mark.parametrize(("pages", "object_type"), [(model_pages(), "customer"), (unknown_pages(), None)])
def test_pages_packed_one_by_one_build_the_frame_of_all_objects_at_once(pages: Any, object_type: Any) -> None:
    at_once = built(pages, object_type, per_page=False)
    paged = built(pages, object_type, per_page=True)
    pd.testing.assert_frame_equal(paged, at_once)
    assert list(paged["id"]) == [obj["id"] for page in pages for obj in page]
    assert paged.stripe.raw[0] is pages[0][0]


@pytest.mark.parametrize(("pages", "object_type"), [(model_pages(), "customer"), (unknown_pages(), None)])
@pytest.mark.parametrize("take", [1, 2, 4, 5, 6])
def test_absorbed_heads_of_packed_builders_match_the_objects_they_hold(pages: Any, object_type: Any,
                                                                       take: int) -> None:
    first, second = FrameBuilder(object_type), FrameBuilder(object_type)
    first.add_page(pages[0])
    for page in pages[1:]:
        second.add_page(page)
    rest = max(0, take - first.rows)
    merged = FrameBuilder(object_type)
    merged.absorb(first)
    merged.absorb(second, take=rest)
    objects = [obj for page in pages for obj in page][:max(take, len(pages[0]))]
    expected = FrameBuilder(object_type)
    expected.add_page(objects)
    frame, wanted = merged.build(release=True), expected.build()
    extra = [c for c in frame.columns if c not in wanted.columns]  # only in rows left behind (as before)
    assert frame[extra].isna().all().all()
    pd.testing.assert_frame_equal(frame[list(wanted.columns)], wanted)
    assert merged.rows == 0 and second.rows == 0


def test_the_unknown_types_late_and_mixed_columns_keep_their_kinds() -> None:
    df = built(unknown_pages(), None, per_page=True)
    assert df["count"].dtype == "float64"  # ints on one page, a float on another
    assert isinstance(df["label"].dtype, JSONDtype) and list(df["label"][:4]) == ["a", None, None, 5]
    assert df["created"].dtype == "Int64"  # one value past year 2262 keeps the column numeric
    assert isinstance(df["amount"].dtype, JSONDtype) and df["amount"][3] == 10**19
    assert str(df["flag"].dtype) == "boolean" and df["flag"].isna().tolist() == [False, True, False, True, True]
    assert df["late_text"].tolist()[-1] == "only here" and df["late_text"].isna().sum() == 4
    assert "nested" not in df.columns and df["nested.b"].tolist()[2] == "x"


def test_conversion_pauses_garbage_collection_and_restores_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Converting allocates many small, acyclic lists: no collection scans the caller's objects meanwhile,
    and whatever the setting was (on, or off by the caller) it is again afterwards."""
    import gc

    import paragon_magic.frames as frames

    seen: list[bool] = []
    real = frames.flatten_columns
    monkeypatch.setattr(frames, "flatten_columns", lambda *a, **k: (seen.append(gc.isenabled()), real(*a, **k))[1])
    page = [{"id": f"cus_{i}", "object": "customer", "created": 1_700_000_000 + i} for i in range(3)]
    assert gc.isenabled()
    builder = frames.FrameBuilder("customer")
    builder.add_page(page)
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        builder.add_page(page)
        assert not gc.isenabled() and len(builder.build()) == 6
    finally:
        gc.enable()


def test_text_columns_keep_their_pages_arrow_data_and_behave_as_one_column() -> None:
    """Joining text copies no strings: the column holds the packed pages' Arrow arrays as its chunks."""
    pages = [[f"cus_{page}_{i}" if i % 3 else None for i in range(5)] for page in range(4)]
    chunks = [pack(values, "string") for values in pages]
    column = join(chunks, "string", None)
    stored = column.__arrow_array__()  # the Arrow data itself (a ChunkedArray), through the public protocol
    assert stored.num_chunks == 4
    assert all(stored.chunk(i).buffers()[2].address == chunks[i].data.buffers()[2].address for i in range(4))
    series = as_series(column)
    everything = [value for values in pages for value in values]
    assert series.tolist() == [pd.NA if v is None else v for v in everything]
    assert series.str.startswith("cus_2").sum() == 3 and series.iloc[11] == "cus_2_1"
    pd.testing.assert_series_equal(series, as_series(to_array(everything, "string", None)))
