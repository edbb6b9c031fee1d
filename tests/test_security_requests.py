"""Where a request may go: no dot segments in request paths, base URLs read as httpx reads them,
user tokens of at most 24 hours issued no later than now (plus a small skew).

Paragon mode over real HTTP (the double in front of the local sandbox); nothing leaves this machine
(the network guard records any attempt).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest

import paragon_magic
from paragon_magic import Paragon
from paragon_magic.auth.tokens import (
    AUDIENCE_PREFIX,
    InvalidTokenError,
    inspect_user_token,
    mint_user_token,
    verify_user_token,
)
from paragon_magic.client import DirectBackend, check_base_url, check_request_path, is_stripe_base
from paragon_magic.errors import UsageError
from paragon_magic.sandbox.paragon_double import ParagonDouble, ParagonDoubleServer
from tests.net_guard import NetworkGuard

LIVE_KEY = "sk_live_" + "NeverLeavesThisMachine0001"


@pytest.fixture
def paragon(stripe_server: Any) -> Iterator[tuple[ParagonDouble, ParagonDoubleServer, Paragon]]:
    double = ParagonDouble.with_new_key(stripe_server.url, users={"user-1": stripe_server.key})
    with ParagonDoubleServer(double) as server:
        client = Paragon(base_url=server.url, api_base=server.api_url)
        client.authenticate(double.project_id, double.mint_token("user-1"))
        yield double, server, client


# -- request paths -------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/v1/customers/..", "/v1/customers/../../../../sdk/me", "/v1/customers/%2e%2E/x",
                                  "/v1/customers/.", "/v1/customers\\..\\x"])
def test_dot_segments_and_backslashes_are_refused(path: str) -> None:
    with pytest.raises(UsageError, match="'.' or '..' segments"):
        check_request_path(path)


def test_plain_paths_pass() -> None:
    for path in ("/v1/customers/cus_1", "/v1/customers/a..b", "/v1/customers?email=..", "v1/balance"):
        assert check_request_path(path) == path


def test_a_data_derived_dot_id_never_sends_the_token_outside_the_proxy_route(paragon: Any) -> None:
    double, _, client = paragon
    before = len(double.requests())
    for attempt in (lambda: client.session.get_customer(".."),
                    lambda: client.request("stripe", "/v1/customers/../../../../sdk/me"),
                    lambda: client.session.client.request("GET", "/v1/customers/%2e%2e/%2e%2e/x")):
        with pytest.raises(UsageError, match="segments"):
            attempt()
    assert len(double.requests()) == before  # refused before anything was sent


def test_direct_mode_refuses_them_too(stripe_server: Any) -> None:
    session = paragon_magic.connect(stripe_server.key, base_url=stripe_server.url)
    start = len(stripe_server.requests())
    with pytest.raises(UsageError, match="segments"):
        session.get_customer("..")
    assert stripe_server.requests()[start:] == []


# -- base URLs, as httpx reads them --------------------------------------------------------------------

@pytest.mark.parametrize("url", ["https://evil.com\\.stripe.com", "https://evil.com\\@api.stripe.com",
                                 "https://evil.com%2F.stripe.com", "https://evil.com%00.stripe.com"])
def test_a_base_parsers_disagree_on_is_refused(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    guard = NetworkGuard().install(monkeypatch)
    assert not is_stripe_base(url)
    with pytest.raises(UsageError, match="base_url"):
        check_base_url(url, what="base_url", live=True)
    with pytest.raises(UsageError, match="base_url"):
        DirectBackend(LIVE_KEY, base_url=url)
    with pytest.raises(UsageError, match="base_url"):
        paragon_magic.connect(LIVE_KEY, base_url=url)
    assert guard.attempts == []


def test_ordinary_bases_still_pass() -> None:
    assert is_stripe_base("https://api.stripe.com") and is_stripe_base("https://files.stripe.com:443")
    assert check_base_url("https://api.stripe.com/", what="base_url", live=True) == "https://api.stripe.com"
    for url in ("http://127.0.0.1:12111", "http://[::1]:8080", "https://bücher.example", "https://my_host.corp"):
        assert check_base_url(url, what="base_url") == url
    assert not is_stripe_base("https://api.stripe.com.evil.com")


# -- user token lifetimes ------------------------------------------------------------------------------

def _signed(private: str, project: str, **claims: Any) -> str:
    return jwt.encode({"sub": "user-1", "aud": AUDIENCE_PREFIX + project, **claims}, private, algorithm="RS256")


@pytest.mark.parametrize("ttl", [24 * 3600 + 1, 7 * 86_400, 0, -5])
def test_minting_caps_the_lifetime_at_24_hours(paragon: Any, ttl: int) -> None:
    double = paragon[0]
    with pytest.raises(UsageError, match="24 hours"):
        mint_user_token(double.signing_key_pem, double.project_id, "user-1", ttl=ttl)
    assert inspect_user_token(mint_user_token(double.signing_key_pem, double.project_id, "u", ttl=24 * 3600))


def test_a_token_living_longer_than_24_hours_is_refused(paragon: Any) -> None:
    double, server, _ = paragon
    now = int(time.time())
    token = _signed(double.signing_key_pem, double.project_id, iat=now, exp=now + 7 * 86_400)
    for check in (lambda: inspect_user_token(token), lambda: verify_user_token(token, double.public_key_pem,
                                                                               double.project_id)):
        with pytest.raises(InvalidTokenError, match="at most 24 hours") as refused:
            check()
        assert refused.value.reason == "lifetime"
    with pytest.raises(InvalidTokenError):
        Paragon(base_url=server.url, api_base=server.api_url).authenticate(double.project_id, token)
    answer = httpx.get(f"{server.url}/projects/{double.project_id}/sdk/proxy/stripe/v1/balance",
                       headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401 and answer.json()["meta"]["reason"] == "lifetime"  # the double, too


def test_a_token_issued_in_the_future_is_refused_beyond_a_small_skew(paragon: Any) -> None:
    double = paragon[0]
    now = int(time.time())
    ahead = _signed(double.signing_key_pem, double.project_id, iat=now + 3600, exp=now + 7200)
    with pytest.raises(InvalidTokenError, match="issued in the future"):
        verify_user_token(ahead, double.public_key_pem, double.project_id, now=now)
    slightly = _signed(double.signing_key_pem, double.project_id, iat=now + 60, exp=now + 3600)
    assert verify_user_token(slightly, double.public_key_pem, double.project_id, now=now).user_id == "user-1"
