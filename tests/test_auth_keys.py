"""Stripe key recognition, masking and the Secret holder."""

from __future__ import annotations

import json

import pytest

from paragon_magic.auth.keys import (
    KeyInfo,
    Secret,
    classify_key,
    looks_like_secret,
    mask_key,
    redact_secrets,
)
from paragon_magic.client import mask_secret
from paragon_magic.errors import ParagonMagicError, UsageError

BODY = "4eC39HqLyjWDarjtT1zdp7dc"


@pytest.mark.parametrize(
    ("key", "kind", "mode"),
    [
        (f"sk_test_{BODY}", "secret", "test"),
        (f"sk_live_{BODY}", "secret", "live"),
        (f"rk_test_{BODY}", "restricted", "test"),
        (f"rk_live_{BODY}", "restricted", "live"),
        (f"  sk_test_{BODY}\n", "secret", "test"),
        ("sk_test_abcd1234", "secret", "test"),
    ],
)
def test_classify_accepts_secret_and_restricted_keys(key: str, kind: str, mode: str) -> None:
    assert classify_key(key) == KeyInfo(kind=kind, mode=mode)
    assert classify_key(Secret(key)) == KeyInfo(kind=kind, mode=mode)


def test_publishable_key_refused_with_the_documented_message() -> None:
    with pytest.raises(UsageError) as info:
        classify_key(f"pk_test_{BODY}")
    assert str(info.value) == (
        "publishable keys can't read data; paste a Secret (sk_…) or Restricted (rk_…) key"
    )
    assert info.value.field == "api_key"


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (None, "no API key"),
        (12345, "must be text"),
        (f"whsec_{BODY}", "webhook signing secret"),
        (f"hello_{BODY}", "not a Stripe API key"),
        ("password123", "not a Stripe API key"),
        (f"sk_prod_{BODY}", "not sk_test_ or sk_live_"),
        ("sk_test_", "too short"),
        ("sk_test_abc12", "too short"),
        ("sk_test_abcd 1234efgh", "spaces or line breaks"),
        ("sk_test_abcd-1234efgh", "characters a Stripe key never has"),
    ],
)
def test_garbage_refused_with_a_clear_reason_and_never_the_key(key: object, reason: str) -> None:
    with pytest.raises(UsageError) as info:
        classify_key(key)  # type: ignore[arg-type]
    message = str(info.value)
    assert reason in message
    if isinstance(key, str) and key.strip():
        assert key.strip() not in message
        assert BODY not in message
        assert key.strip()[-6:] not in message


def test_usage_error_renders_one_line_in_ipython() -> None:
    with pytest.raises(ParagonMagicError) as info:
        classify_key(f"pk_live_{BODY}")
    rendered = info.value._render_traceback_()
    assert len(rendered) == 1 and "UsageError" in rendered[0]


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("sk_test_abcdef1234", "sk_test_…1234"),
        (f"rk_live_{BODY}", "rk_live_…p7dc"),
        (f"sk_test_{BODY}", "sk_test_…p7dc"),
        ("sk_test_abc", "sk_test_…"),  # too short to show an ending
        ("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl", "…dXJl"),
        ("short", "…"),
        ("", "<none>"),
    ],
)
def test_mask_key_matches_the_client(value: str, masked: str) -> None:
    assert mask_key(value) == masked == mask_secret(value)


def test_secret_never_shows_its_value() -> None:
    key = f"sk_test_{BODY}"
    secret = Secret(key)
    for shown in (repr(secret), str(secret), f"{secret}", f"{secret!r}", "%s" % secret, f"{secret:>20}"):
        assert BODY not in shown
    assert str(secret) == "sk_test_…p7dc"
    assert repr(secret) == "Secret('sk_test_…p7dc')"
    assert repr([secret]) == "[Secret('sk_test_…p7dc')]"
    assert secret.reveal() == key
    assert secret.masked == "sk_test_…p7dc"
    with pytest.raises(TypeError):
        json.dumps({"key": secret})
    with pytest.raises(TypeError):
        "Bearer " + secret  # type: ignore[operator]


def test_secret_equality_hash_and_truthiness() -> None:
    key = f"rk_test_{BODY}"
    assert Secret(key) == Secret(key)
    assert Secret(key) == key
    assert Secret(key) != Secret(key + "x")
    assert len({Secret(key), Secret(key)}) == 1
    assert Secret(Secret(key)).reveal() == key
    assert not Secret("")
    assert len(Secret(key)) == len(key)
    with pytest.raises(UsageError):
        Secret(42)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("line", "found"),
    [
        (f"connect sk_test_{BODY}", True),
        (f"--key=rk_live_{BODY}", True),
        (f"whsec_{BODY}", True),
        ("token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln", True),
        (f"pk_test_{BODY}", False),
        ("customers list --limit 10 --email a@b.c", False),
        ("sk_test_short", False),
        ("ask_test_12345678", False),
    ],
)
def test_looks_like_secret(line: str, found: bool) -> None:
    assert looks_like_secret(line) is found


def test_redact_secrets_masks_every_secret_in_text() -> None:
    text = f"a sk_test_{BODY} b rk_live_{BODY}x c pk_test_{BODY}"
    assert redact_secrets(text) == f"a sk_test_…p7dc b rk_live_…7dcx c pk_test_{BODY}"
