"""Form encoding beyond ``test_client_encoding.py``: Stripe-shaped nested params (items lists of dicts,
metadata maps, expand lists, deep nesting, unicode and URL-special characters, huge numbers) must encode
exactly as stripe-python's ``_api_encode`` does, and the encoded form must read back, through the
magics' bracket reader, to the same tree with every leaf as Stripe receives it (text).
"""

from __future__ import annotations

import string
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stripe._encode import _api_encode

from paragon_magic.client import encode_form, flatten_params
from paragon_magic.magics.brackets import unflatten

_SETTINGS = settings(max_examples=600, derandomize=True, deadline=None, database=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

NAME = st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True)
#: Values Stripe sees as text: anything, including characters the form encoding must escape.
TEXT = st.one_of(st.text(max_size=12), st.sampled_from(["a&b=c", "50%", "x+y z", "é🎉", "[0]", "#frag", "?q=1", ""]))
SCALAR = st.one_of(
    TEXT, st.integers(-(2**70), 2**70), st.booleans(), st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=2).map(Decimal),
)
#: Map keys (metadata) can be any text without brackets, digits included.
MAP_KEY = st.text(st.characters(blacklist_characters="[]", blacklist_categories=("Cs",)), min_size=1, max_size=10)


def _tree(depth: int) -> st.SearchStrategy[Any]:
    if depth == 0:
        return SCALAR
    inner = _tree(depth - 1)
    return st.one_of(
        SCALAR,
        st.dictionaries(NAME, inner, min_size=1, max_size=3),
        st.lists(inner, min_size=1, max_size=3),
    )


STRIPE_PARAMS = st.fixed_dictionaries(
    {},
    optional={
        "metadata": st.dictionaries(MAP_KEY, st.one_of(TEXT, st.integers()), min_size=1, max_size=4),
        "items": st.lists(st.fixed_dictionaries({"price": TEXT}, optional={"quantity": st.integers(0, 10**6),
                                                                            "metadata": st.dictionaries(MAP_KEY, TEXT, min_size=1, max_size=2)}),
                          min_size=1, max_size=4),
        "expand": st.lists(st.from_regex(r"[a-z_.]{1,20}", fullmatch=True), min_size=1, max_size=3),
        "created": st.dictionaries(st.sampled_from(["gt", "gte", "lt", "lte"]), st.integers(0, 2**40), min_size=1),
        "email": TEXT,
        "amount": st.integers(-(2**63), 2**63),
        "livemode": st.booleans(),
    },
).flatmap(lambda base: st.dictionaries(NAME, _tree(3), max_size=3).map(lambda extra: {**extra, **base}))


def _as_stripe_reads_it(value: Any) -> Any:
    """The tree Stripe parses from the form: every leaf is text; mapping bools are ``true``/``false``."""
    if isinstance(value, dict):
        return {str(k): _as_stripe_reads_it(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_stripe_reads_it(v) for v in value]
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _has_list_bool(value: Any) -> bool:
    """stripe-python renders a bool *inside a list* as ``True``/``False`` (a quirk we keep)."""
    if isinstance(value, dict):
        return any(_has_list_bool(v) for v in value.values())
    if isinstance(value, list):
        return any(isinstance(v, bool) or _has_list_bool(v) for v in value)
    return False


@_SETTINGS
@given(STRIPE_PARAMS)
def test_stripe_shaped_params_encode_like_stripe_python(params: dict[str, Any]) -> None:
    assert encode_form(params) == urlencode(list(_api_encode(params)))
    assert flatten_params(params) == [(k, v if isinstance(v, str) else str(v)) for k, v in _api_encode(params)]


@_SETTINGS
@given(STRIPE_PARAMS)
def test_encoded_form_reads_back_to_the_same_tree(params: dict[str, Any]) -> None:
    pairs = parse_qsl(encode_form(params), keep_blank_values=True)
    assert pairs == flatten_params(params)  # percent-encoding loses nothing
    expected = _as_stripe_reads_it(params)
    if _has_list_bool(params):
        return  # list bools read back as "True"/"False": checked against the oracle above instead
    assert unflatten(pairs) == expected


@settings(max_examples=300, derandomize=True, deadline=None, database=None)
@given(st.dictionaries(NAME, st.lists(st.text(string.printable, max_size=5), min_size=1, max_size=4), max_size=3))
def test_expand_style_lists_are_indexed_never_bare(params: dict[str, list[str]]) -> None:
    for key, _ in flatten_params(params):
        assert key.endswith("]") and "[]" not in key


@settings(max_examples=60, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.dictionaries(NAME, TEXT.filter(bool), min_size=1, max_size=6))
def test_a_sample_of_encoded_forms_reaches_the_sandbox_intact(stripe_server: Any, metadata: dict[str, str]) -> None:
    """Encoded metadata sent over real HTTP: the server decodes exactly the pairs sent, and the customer it
    makes holds every value as typed (escaping, unicode and URL-special characters included)."""
    import httpx

    form = encode_form({"metadata": metadata, "description": "fuzz"})
    with httpx.Client(base_url=stripe_server.url, trust_env=False, timeout=30,
                      headers={"Authorization": f"Bearer {stripe_server.key}",
                               "Content-Type": "application/x-www-form-urlencoded"}) as http:
        created = http.post("/v1/customers", content=form)
        assert created.status_code == 200, created.text
        (entry,) = [e for e in stripe_server.requests() if e["request_id"] == created.headers["Request-Id"]]
        assert entry["form"] == dict(parse_qsl(form, keep_blank_values=True))
        fetched = http.get(f"/v1/customers/{created.json()['id']}").json()
    assert fetched["metadata"] == metadata and fetched["description"] == "fuzz"
