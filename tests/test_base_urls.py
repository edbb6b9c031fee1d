"""Where keys may travel (issue 14.1) and which credentials the next action uses (issue 16.3).

Every refusal is checked with :class:`NetworkGuard` on the socket layer: a non-loopback address is
recorded and refused there, so no test traffic ever leaves this machine.
"""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

import paragon_magic
from paragon_magic import Paragon
from paragon_magic.auth import CredentialStore, Credentials
from paragon_magic.client import APIConnectionError, DirectBackend, ParagonBackend, check_base_url
from paragon_magic.errors import UsageError
from paragon_magic.magics.context import MagicContext

from net_guard import NetworkGuard
from shell_helpers import fails, ok

TEST_KEY = "sk_test_" + "BaseUrlTestKey0000000001"
LIVE_KEY = "sk_live_" + "BaseUrlLiveKey0000000001"
TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJl"


@pytest.fixture
def guard(monkeypatch: pytest.MonkeyPatch) -> NetworkGuard:
    return NetworkGuard().install(monkeypatch)


@pytest.fixture
def store(tmp_path: Any) -> CredentialStore:
    return CredentialStore(config_dir=tmp_path / "config", keyring=None)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("STRIPE_API_KEY", "STRIPE_API_BASE", "PARAGON_USER_TOKEN", "PARAGON_PROXY_BASE"):
        monkeypatch.delenv(name, raising=False)


# -- the rule ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["http://127.0.0.1:12111", "http://127.9.8.7", "http://localhost:1/x",
                                 "http://[::1]:8080", "https://example.com", "https://api.stripe.com/"])
def test_https_anywhere_and_plain_http_to_this_machine_only(url: str) -> None:
    assert check_base_url(url, what="base_url") == url.rstrip("/")


@pytest.mark.parametrize("url", ["http://example.com", "http://10.0.0.5:12111", "http://127.0.0.1.evil.test",
                                 "http://localhost.evil.test", "http://[fe80::1]", "ftp://127.0.0.1",
                                 "127.0.0.1:12111", "https://user:pw@example.com", "http://0.0.0.0:1"])
def test_anything_else_is_refused_in_one_line(url: str) -> None:
    with pytest.raises(UsageError) as info:
        check_base_url(url, what="STRIPE_API_BASE")
    assert "\n" not in str(info.value) and "STRIPE_API_BASE" in str(info.value)
    assert "pw" not in str(info.value)


def test_a_live_key_goes_only_to_stripe_unless_the_user_opts_in() -> None:
    assert DirectBackend(LIVE_KEY).base_url == "https://api.stripe.com"
    for base in ("https://stripe.example.com", "http://127.0.0.1:12111"):
        with pytest.raises(UsageError, match="live key is sent only to Stripe"):
            DirectBackend(LIVE_KEY, base)
        assert DirectBackend(LIVE_KEY, base, allow_live_on_custom_base=True).base_url == base
    assert DirectBackend(TEST_KEY, "https://stripe.example.com").base_url == "https://stripe.example.com"


# -- refused before any connection ------------------------------------------------------------------------

def test_connect_refuses_a_clear_text_base_before_connecting(guard: NetworkGuard, store: CredentialStore,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError, match="base_url http://attacker.example:8080 is plain http://"):
        paragon_magic.connect(TEST_KEY, base_url="http://attacker.example:8080", store=store)
    monkeypatch.setenv("STRIPE_API_BASE", "http://192.0.2.10:12111")
    with pytest.raises(UsageError, match="STRIPE_API_BASE http://192.0.2.10:12111 is plain http://"):
        paragon_magic.connect(TEST_KEY, store=store)
    monkeypatch.setenv("STRIPE_API_KEY", TEST_KEY)
    with pytest.raises(UsageError, match="STRIPE_API_BASE"):
        paragon_magic.connect(store=store)
    assert guard.attempts == [] and store.profiles() == []


def test_a_live_key_to_a_custom_base_needs_the_opt_in(guard: NetworkGuard, store: CredentialStore) -> None:
    with pytest.raises(UsageError, match="allow_live_on_custom_base=True"):
        paragon_magic.connect(LIVE_KEY, base_url="https://stripe-mirror.example", store=store)
    assert guard.attempts == []
    with pytest.raises(APIConnectionError):  # opted in: it would go there (the guard stops it at the socket)
        paragon_magic.connect(LIVE_KEY, base_url="https://stripe-mirror.example", store=store,
                              allow_live_on_custom_base=True, max_retries=0)
    assert guard.attempts and set(guard.attempts) == {"stripe-mirror.example"}


def test_the_paragon_proxy_base_follows_the_same_rule(guard: NetworkGuard, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError, match="plain http://"):
        ParagonBackend(TOKEN, "proj", "http://proxy.example")
    monkeypatch.setenv("PARAGON_PROXY_BASE", "http://proxy.example:9000")
    with pytest.raises(UsageError, match="PARAGON_PROXY_BASE http://proxy.example:9000"):
        ParagonBackend(TOKEN, "proj")
    assert ParagonBackend(TOKEN, "proj", "http://127.0.0.1:9").base_url == "http://127.0.0.1:9"
    assert guard.attempts == []


def test_paragon_authenticate_with_a_clear_text_base_sends_nothing(guard: NetworkGuard) -> None:
    from paragon_magic.auth import generate_signing_key, mint_user_token

    private, _ = generate_signing_key()
    token = mint_user_token(private, "proj-1", "user-1")
    with pytest.raises(UsageError, match="plain http://"):
        Paragon(base_url="http://proxy.example").authenticate("proj-1", token)
    assert guard.attempts == []


def test_magic_base_url_flag_is_refused_in_one_line(ip: InteractiveShell, guard: NetworkGuard,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from paragon_magic.auth import generate_signing_key, mint_user_token

    private, _ = generate_signing_key()
    monkeypatch.setenv("PARAGON_USER_TOKEN", mint_user_token(private, "proj-1", "user-1"))
    line = fails(ip, "%paragon authenticate proj-1 --base-url http://proxy.example", UsageError)
    assert "plain http://" in line and guard.attempts == []


# -- which key goes where (real HTTP to the sandbox) -----------------------------------------------------

def test_the_readme_sandbox_export_never_sends_a_saved_key_to_the_sandbox(
        stripe_server: Any, store: CredentialStore, guard: NetworkGuard, monkeypatch: pytest.MonkeyPatch) -> None:
    store.save("default", Credentials.stripe_key(TEST_KEY))  # a "real" key, saved for Stripe itself
    monkeypatch.setenv("STRIPE_API_BASE", stripe_server.url)
    monkeypatch.setenv("STRIPE_API_KEY", stripe_server.key)
    session = paragon_magic.connect(store=store)  # the exported pair wins: the Stripe CLI's order
    assert session.label == "STRIPE_API_KEY" and session.client.backend.base_url == stripe_server.url
    monkeypatch.delenv("STRIPE_API_KEY")
    start = len(stripe_server.requests())
    with pytest.raises(APIConnectionError), pytest.warns(UserWarning, match=r"\$STRIPE_API_BASE .* is not used"):
        paragon_magic.connect(store=store, max_retries=0)  # only the base: the profile goes where it was saved for
    assert guard.attempts == ["api.stripe.com"] and stripe_server.requests()[start:] == []


def test_a_saved_profile_keeps_its_base(stripe_server: Any, store: CredentialStore) -> None:
    session = paragon_magic.connect(stripe_server.key, base_url=stripe_server.url, store=store, save=True)
    assert store.load("default").base_url == stripe_server.url
    again = paragon_magic.connect(store=store)
    assert again.client.backend.base_url == stripe_server.url and session.account == again.account


def test_python_connect_saves_only_when_asked(stripe_server: Any, store: CredentialStore) -> None:
    paragon_magic.connect(stripe_server.key, base_url=stripe_server.url, store=store)
    assert store.profiles() == []
    paragon_magic.connect(stripe_server.key, base_url=stripe_server.url, store=store, save=True, profile="p")
    assert [p.name for p in store.profiles()] == ["p"]


def test_environment_key_beats_a_saved_profile_in_the_magics(
        ip: InteractiveShell, ctx: MagicContext, stripe_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx.store.save("default", Credentials.stripe_key(TEST_KEY, base_url=stripe_server.url))
    monkeypatch.setenv("STRIPE_API_KEY", stripe_server.key)
    monkeypatch.setenv("STRIPE_API_BASE", stripe_server.url)
    _, status = ok(ip, "%stripe status")
    assert "next action connects with $STRIPE_API_KEY" in status
    _, shown = ok(ip, "%stripe list_customers --limit 1")
    assert shown.startswith("connected (STRIPE_API_KEY") and f"at {stripe_server.url}" in shown
    assert "sk_test_…4242" in shown and ctx.profile is None  # the sandbox key, not the saved one
    _, status = ok(ip, "%stripe status")
    assert f"base URL: {stripe_server.url}" in status
    _, said = ok(ip, "%stripe disconnect")
    assert said.strip().endswith("the next action connects with $STRIPE_API_KEY")
    monkeypatch.delenv("STRIPE_API_KEY")
    _, status = ok(ip, "%stripe status")
    assert "next action connects with saved profile 'default'" in status
    _, said = ok(ip, "%stripe disconnect --profile default")
    assert said.strip().endswith("the next action needs a key: %stripe connect, or set $STRIPE_API_KEY")
