"""Paragon user tokens: mint, inspect (no signature check), verify (signature check)."""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timezone

import jwt
import pytest

from paragon_magic.auth.keys import Secret
from paragon_magic.auth.tokens import (
    InvalidTokenError,
    TokenInfo,
    generate_signing_key,
    inspect_user_token,
    mint_user_token,
    verify_user_token,
)
from paragon_magic.errors import UsageError

PROJECT = "9f1c2a6e-0000-4000-8000-00000000abcd"
NOW = 1_800_000_000  # 2027-01-15 08:00:00 UTC


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return generate_signing_key()


@pytest.fixture(scope="module")
def other_keys() -> tuple[str, str]:
    return generate_signing_key()


def test_generate_signing_key_gives_pem_pair(keys: tuple[str, str]) -> None:
    private, public = keys
    assert private.startswith("-----BEGIN PRIVATE KEY-----")
    assert public.startswith("-----BEGIN PUBLIC KEY-----")


def test_mint_sets_the_paragon_claims(keys: tuple[str, str]) -> None:
    private, public = keys
    token = mint_user_token(private, PROJECT, "user-42", ttl=600, now=NOW)
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    claims = jwt.decode(token, public, algorithms=["RS256"], audience=f"useparagon.com/{PROJECT}",
                        options={"verify_exp": False, "verify_iat": False})
    assert claims == {"sub": "user-42", "iat": NOW, "exp": NOW + 600, "aud": f"useparagon.com/{PROJECT}"}


def test_mint_then_inspect(keys: tuple[str, str]) -> None:
    token = mint_user_token(keys[0], PROJECT, "user-42", now=NOW)
    info = inspect_user_token(token, now=NOW + 10)
    assert info == TokenInfo(
        user_id="user-42",
        project_id=PROJECT,
        expires_at=datetime(2027, 1, 15, 9, 0, tzinfo=timezone.utc),
        issued_at=datetime(2027, 1, 15, 8, 0, tzinfo=timezone.utc),
    )
    assert info.expires_in(NOW + 10) == 3590
    assert inspect_user_token(Secret(token), project_id=PROJECT, now=NOW) == info
    assert inspect_user_token(f"  {token}\n", now=NOW) == info


def test_inspect_refuses_an_expired_token(keys: tuple[str, str]) -> None:
    token = mint_user_token(keys[0], PROJECT, "user-42", ttl=3600, now=NOW)
    with pytest.raises(InvalidTokenError) as info:
        inspect_user_token(token, now=NOW + 3600)
    assert str(info.value) == "the Paragon user token expired at 2027-01-15 09:00:00 UTC; mint a new one"
    assert info.value.reason == "expired" and isinstance(info.value, UsageError)
    assert token not in str(info.value)


def test_inspect_uses_the_clock_by_default(keys: tuple[str, str]) -> None:
    stale = mint_user_token(keys[0], PROJECT, "u", now=time.time() - 7200)
    with pytest.raises(InvalidTokenError, match="expired at"):
        inspect_user_token(stale)
    fresh = mint_user_token(keys[0], PROJECT, "u")
    assert inspect_user_token(fresh).expires_in() > 3000


@pytest.mark.parametrize(
    "token",
    ["", "not-a-jwt", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln", "eyJhbGciOiJSUzI1NiJ9"],
)
def test_inspect_refuses_malformed_tokens(token: str) -> None:
    with pytest.raises(InvalidTokenError, match="malformed") as info:
        inspect_user_token(token, now=NOW)
    assert info.value.reason == "malformed"


def _unsigned(claims: dict, alg: str = "RS256") -> str:
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': alg, 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def test_inspect_refuses_missing_claims() -> None:
    with pytest.raises(InvalidTokenError, match="no user id"):
        inspect_user_token(_unsigned({"iat": NOW, "exp": NOW + 60}), project_id=PROJECT, now=NOW)
    with pytest.raises(InvalidTokenError, match="no expiry"):
        inspect_user_token(_unsigned({"sub": "u", "iat": NOW}), project_id=PROJECT, now=NOW)


@pytest.mark.parametrize("iat", [None, "1800000000", True])
def test_a_token_without_a_numeric_iat_is_refused_naming_the_claim(keys: tuple[str, str], iat: object) -> None:
    claims = {"sub": "u", "exp": NOW + 60, "aud": f"useparagon.com/{PROJECT}"}
    if iat is not None:
        claims["iat"] = iat
    with pytest.raises(InvalidTokenError) as info:
        inspect_user_token(_unsigned(claims), project_id=PROJECT, now=NOW)
    assert "(iat claim)" in str(info.value) and info.value.reason == "malformed"
    signed = jwt.encode(claims, keys[0], algorithm="RS256")  # correctly signed, still refused by the server side
    with pytest.raises(InvalidTokenError, match="iat claim"):
        verify_user_token(signed, keys[1], PROJECT, now=NOW)


def test_minted_tokens_last_one_hour_by_default(keys: tuple[str, str]) -> None:
    info = inspect_user_token(mint_user_token(keys[0], PROJECT, "u", now=NOW), now=NOW)
    assert info.expires_in(NOW) == 3600 and info.issued_at == datetime.fromtimestamp(NOW, tz=timezone.utc)


def test_inspect_refuses_a_non_rs256_token() -> None:
    token = jwt.encode({"sub": "u", "iat": NOW, "exp": NOW + 60}, "shared-secret-that-is-long-enough-32b", algorithm="HS256")
    with pytest.raises(InvalidTokenError, match="signed with HS256; Paragon needs RS256") as info:
        inspect_user_token(token, project_id=PROJECT, now=NOW)
    assert info.value.reason == "algorithm"


def test_inspect_refuses_the_wrong_audience(keys: tuple[str, str]) -> None:
    token = mint_user_token(keys[0], "other-project", "u", now=NOW)
    with pytest.raises(InvalidTokenError, match=f"for project other-project, not {PROJECT}") as info:
        inspect_user_token(token, project_id=PROJECT, now=NOW)
    assert info.value.reason == "audience"
    foreign = _unsigned({"sub": "u", "iat": NOW, "exp": NOW + 60, "aud": "example.com/x"})
    with pytest.raises(InvalidTokenError, match="audience is not 'useparagon.com/<project id>'"):
        inspect_user_token(foreign, now=NOW)


def test_a_token_without_audience_takes_the_given_project() -> None:
    token = _unsigned({"sub": "u", "iat": NOW, "exp": NOW + 60})
    assert inspect_user_token(token, project_id=PROJECT, now=NOW).project_id == PROJECT
    with pytest.raises(InvalidTokenError, match="names no project") as info:
        inspect_user_token(token, now=NOW)
    assert info.value.reason == "project"


def test_verify_accepts_the_right_key(keys: tuple[str, str]) -> None:
    token = mint_user_token(keys[0], PROJECT, "user-7", now=NOW)
    info = verify_user_token(token, keys[1], PROJECT, now=NOW + 1)
    assert (info.user_id, info.project_id) == ("user-7", PROJECT)


def test_verify_refuses_the_wrong_signing_key(keys: tuple[str, str], other_keys: tuple[str, str]) -> None:
    forged = mint_user_token(other_keys[0], PROJECT, "user-7", now=NOW)
    assert inspect_user_token(forged, now=NOW).user_id == "user-7"  # decodes fine unverified...
    with pytest.raises(InvalidTokenError, match="not signed with this project's signing key") as info:
        verify_user_token(forged, keys[1], PROJECT, now=NOW)  # ...but fails verification
    assert info.value.reason == "signature"


def test_verify_refuses_tampered_claims(keys: tuple[str, str]) -> None:
    token = mint_user_token(keys[0], PROJECT, "user-7", now=NOW)
    header, _, signature = token.split(".")
    body = base64.urlsafe_b64encode(
        json.dumps({"sub": "admin", "iat": NOW, "exp": NOW + 60, "aud": f"useparagon.com/{PROJECT}"}).encode()
    ).rstrip(b"=").decode()
    with pytest.raises(InvalidTokenError) as info:
        verify_user_token(f"{header}.{body}.{signature}", keys[1], PROJECT, now=NOW)
    assert info.value.reason == "signature"


def test_verify_also_checks_expiry_and_audience(keys: tuple[str, str]) -> None:
    token = mint_user_token(keys[0], PROJECT, "u", ttl=60, now=NOW)
    with pytest.raises(InvalidTokenError, match="expired"):
        verify_user_token(token, keys[1], PROJECT, now=NOW + 61)
    with pytest.raises(InvalidTokenError, match="not elsewhere"):
        verify_user_token(token, keys[1], "elsewhere", now=NOW)


def test_mint_refuses_bad_inputs(keys: tuple[str, str]) -> None:
    with pytest.raises(UsageError, match="not an RSA private key"):
        mint_user_token("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n", PROJECT, "u")
    with pytest.raises(UsageError, match="user id"):
        mint_user_token(keys[0], PROJECT, "")
    with pytest.raises(UsageError, match="project id"):
        mint_user_token(keys[0], "", "u")
