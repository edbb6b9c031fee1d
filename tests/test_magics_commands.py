"""%stripe connect/use/disconnect/profiles/status/form and %paragon, in a real InteractiveShell."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

from paragon_magic.connection import KeyRejected
from paragon_magic.errors import ConfigurationError, ParagonMagicError, UsageError
from paragon_magic.magics.commands import run_stripe
from paragon_magic.magics.context import MagicContext
from paragon_magic.sandbox.paragon_double import ParagonDouble, ParagonDoubleServer
from paragon_magic.session import Session
from shell_helpers import fails, ok, requests_since

TYPED_KEY = "sk_test_" + "TypedOnTheLine0000009999"


class Prompt:
    """Stands in for getpass: answers with ``answer`` and records the prompts shown."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.prompts: list[str] = []

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        return self.answer


def _history(ip: InteractiveShell) -> str:
    return "\n".join(ip.history_manager.input_hist_raw)


# -- connect ------------------------------------------------------------------------------------------

def test_connect_asks_with_getpass_saves_the_profile_and_runs(ip: InteractiveShell, ctx: MagicContext,
                                                              stripe_server: Any) -> None:
    ctx.stripe_base_url = stripe_server.url
    ctx.prompt_secret = prompt = Prompt(stripe_server.key)
    _, shown = ok(ip, "%stripe connect --profile work")
    assert len(prompt.prompts) == 1 and "hidden" in prompt.prompts[0]
    assert "sk_test_…4242" in shown and "profile 'work'" in shown and stripe_server.key not in shown
    assert ctx.profile == "work" and [p.name for p in ctx.store.profiles()] == ["work"]
    _, status = ok(ip, "%stripe status")
    assert "key:      sk_test_…4242" in status and "mode:     test" in status
    assert "account:  acct_" in status and "profile:  work" in status and stripe_server.key not in status
    frame, _ = ok(ip, "%stripe list_customers")
    assert isinstance(frame, pd.DataFrame)
    assert stripe_server.key not in _history(ip)


def test_key_typed_on_the_line_is_refused_and_not_echoed(ip: InteractiveShell, ctx: MagicContext,
                                                          stripe_server: Any) -> None:
    start = len(stripe_server.requests())
    for cell in (f"%stripe connect {TYPED_KEY}", f"%stripe connect --profile x {TYPED_KEY}",
                 "%stripe connect sk_abcdef", f"%stripe list_customers --email {TYPED_KEY}"):
        line = fails(ip, cell, UsageError)
        assert "history" in line and TYPED_KEY not in line and "TypedOnTheLine" not in line and "sk_abcdef" not in line
    assert ctx.session is None and requests_since(stripe_server, start) == []


def test_a_key_typed_by_mistake_is_masked_in_the_saved_history(ip: InteractiveShell) -> None:
    for cell in (f"%stripe connect {TYPED_KEY}", f"%%stripe create_customer\nname=x\napi_key={TYPED_KEY}",
                 f"%paragon authenticate proj {TYPED_KEY}"):
        fails(ip, cell, UsageError)
        count = ip.execution_count - 1
        assert TYPED_KEY not in ip.user_ns[f"_i{count}"] and "sk_test_…" in ip.user_ns[f"_i{count}"]
    ok(ip, "1 + 1")
    ip.history_manager.writeout_cache()
    saved = ip.history_manager.db.execute("SELECT source, source_raw FROM history").fetchall()
    everything = [*_history(ip).splitlines(), *ip.user_ns["In"], ip.user_ns["_i"], ip.user_ns["_ii"],
                  *(text for row in saved for text in row)]
    body = TYPED_KEY.removeprefix("sk_test_")[:-4]
    assert not [text for text in everything if body in text]
    assert any("connect sk_test_…" in (raw or "") for _, raw in saved), "the refused line is kept, masked"


def test_rejected_key_is_one_line_and_nothing_saved(ip: InteractiveShell, ctx: MagicContext,
                                                    stripe_server: Any) -> None:
    revoked = "sk_test_" + "RevokedMagicKey00000001"
    stripe_server.revoke_key(revoked)
    ctx.stripe_base_url = stripe_server.url
    ctx.prompt_secret = Prompt(revoked)
    line = fails(ip, "%stripe connect", KeyRejected)
    assert "invalid or has been revoked" in line and "RevokedMagicKey" not in line
    assert ctx.session is None and ctx.store.profiles() == []


def test_empty_answer_changes_nothing(ip: InteractiveShell, ctx: MagicContext) -> None:
    ctx.prompt_secret = Prompt("  ")
    assert "no key entered" in fails(ip, "%stripe connect", UsageError)


def test_end_of_input_or_ctrl_c_at_the_prompt_is_one_line(ip: InteractiveShell, ctx: MagicContext) -> None:
    for interruption in (EOFError, KeyboardInterrupt):
        def prompt(_: str, error: type[BaseException] = interruption) -> str:
            raise error
        ctx.prompt_secret = prompt
        assert "no key entered" in fails(ip, "%stripe connect", UsageError)


def test_a_bad_profile_name_is_refused_before_the_key_is_asked(ip: InteractiveShell, ctx: MagicContext) -> None:
    ctx.prompt_secret = prompt = Prompt("sk_test_" + "NeverAsked0000000000001")
    fails(ip, '%stripe connect --profile "bad name/../x"', ParagonMagicError)
    assert prompt.prompts == []


def test_connect_sandbox(ip: InteractiveShell, ctx: MagicContext) -> None:
    _, shown = ok(ip, "%stripe connect --sandbox")
    assert "sandbox" in shown and ctx.session is not None and ctx.session.label == "sandbox"
    _, status = ok(ip, "%stripe status")
    assert "backend:  embedded sandbox" in status
    frame, _ = ok(ip, "%stripe list_customers --limit 3")
    assert len(frame) == 3  # the shared sandbox is seeded


def test_notebook_connect_shows_the_portal_which_sets_the_session(ctx: MagicContext, stripe_server: Any,
                                                                  tmp_path: Any) -> None:
    notebook = MagicContext(SimpleNamespace(kernel=object(), user_ns={}), store=ctx.store,
                            stripe_base_url=stripe_server.url)
    portal = run_stripe(notebook, "connect --profile nb")
    assert type(portal).__name__ == "ConnectPortal"
    portal.key_input.value = stripe_server.key
    portal.submit()
    assert portal.key_input.value == "" and notebook.session is portal.session is not None
    assert notebook.profile == "nb" and [p.name for p in notebook.store.profiles()] == ["nb"]
    assert notebook.session.config is notebook.session_config
    notebook.close()


# -- lazy connect -----------------------------------------------------------------------------------------

def test_first_action_connects_from_the_environment(ip: InteractiveShell, ctx: MagicContext, stripe_server: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_API_KEY", stripe_server.key)
    monkeypatch.setenv("STRIPE_API_BASE", stripe_server.url)
    frame, shown = ok(ip, "%stripe list_customers")
    assert isinstance(frame, pd.DataFrame) and ctx.session is not None
    assert shown.startswith("connected (STRIPE_API_KEY, test mode)") and "sk_test_…4242" in shown  # said once
    assert "direct key ($STRIPE_API_KEY)" in ok(ip, "%stripe status")[1]
    assert not ok(ip, "%stripe list_customers")[1].startswith("connected")


def test_first_action_without_credentials_says_how_to_connect(ip: InteractiveShell) -> None:
    line = fails(ip, "%stripe list_customers", ConfigurationError)
    assert line.startswith("ConfigurationError: not connected") and "STRIPE_API_KEY" in line


def test_status_when_not_connected(ip: InteractiveShell) -> None:
    assert "not connected" in ok(ip, "%stripe status")[1]


# -- profiles --------------------------------------------------------------------------------------------

def test_profiles_use_and_disconnect(ip: InteractiveShell, ctx: MagicContext, stripe_server: Any) -> None:
    ctx.stripe_base_url = stripe_server.url
    assert "no saved profiles" in ok(ip, "%stripe profiles")[1]
    for name in ("alpha", "beta"):
        ctx.prompt_secret = Prompt(stripe_server.key)
        ok(ip, f"%stripe connect --profile {name}")
    _, listed = ok(ip, "%stripe profiles")
    assert "* beta" in listed and "  alpha" in listed and "sk_test_…4242" in listed
    assert stripe_server.key not in listed
    _, shown = ok(ip, "%stripe use alpha")
    assert "profile 'alpha'" in shown and ctx.profile == "alpha" and ctx.store.active_profile == "alpha"
    assert "no saved profile 'gamma'" in fails(ip, "%stripe use gamma", ConfigurationError)
    _, shown = ok(ip, "%stripe disconnect --profile beta")
    assert "forgot saved profile 'beta'" in shown and ctx.session is not None  # alpha is still open
    _, shown = ok(ip, "%stripe disconnect")
    assert "disconnected" in shown and "forgot saved profile 'alpha'" in shown
    assert ctx.session is None and ctx.store.profiles() == []
    assert "unexpected argument" in fails(ip, "%stripe profiles extra", UsageError)


def test_subcommands_take_no_cell_body(ip: InteractiveShell) -> None:
    assert "takes no cell body" in fails(ip, "%%stripe status\nsomething", UsageError)


# -- form ----------------------------------------------------------------------------------------------

def test_form_for_an_action(ip: InteractiveShell, session: Session) -> None:
    form, _ = ok(ip, "%stripe form create_customer")
    assert type(form).__name__ == "ActionForm" and form.action.name == "create_customer"
    assert "did you mean" in fails(ip, "%stripe form create_custmer", UsageError).lower()


# -- %paragon ----------------------------------------------------------------------------------------------

@pytest.fixture
def paragon_proxy(stripe_server: Any) -> Iterator[tuple[ParagonDouble, ParagonDoubleServer]]:
    double = ParagonDouble.with_new_key(stripe_server.url, users={"user-1": stripe_server.key})
    with ParagonDoubleServer(double) as server:
        yield double, server


def test_paragon_authenticate_with_a_minted_token(ip: InteractiveShell, ctx: MagicContext, tmp_path: Any,
                                                  paragon_proxy: Any, stripe_server: Any) -> None:
    double, server = paragon_proxy
    key_file = tmp_path / "signing.pem"
    key_file.write_text(double.signing_key_pem)
    _, shown = ok(ip, f"%paragon authenticate {double.project_id} --signing-key {key_file} --user user-1 "
                      f"--base-url {server.url} --api-base {server.api_url}")
    assert "user user-1" in shown and "Paragon proxy" in shown
    start = len(stripe_server.requests())
    frame, _ = ok(ip, "%stripe create_customer --name ViaParagon")
    assert frame["name"].iloc[0] == "ViaParagon"
    proxied = double.requests()
    assert proxied[-1]["user_id"] == "user-1" and proxied[-1]["upstream_path"] == "/v1/customers"
    sent = [(r["method"], r["path"], r["form"]) for r in requests_since(stripe_server, start)]
    assert sent == [("GET", "/v1/balance", {}), ("POST", "/v1/customers", {"name": "ViaParagon"})]  # mode re-asked
    _, status = ok(ip, "%paragon status")
    assert f"project:  {double.project_id}  user: user-1  credential: default" in status
    assert f"users api: {server.api_url}" in status
    table, summary = ok(ip, "%paragon user")
    assert summary.splitlines()[0] == "user user-1 (authenticated): Stripe connected, 1 credential(s)"
    assert list(table.credential) == double.credential_ids("user-1") and list(table["in use"]) == ["*"]
    assert double.signing_key_pem not in _history(ip)


def test_paragon_token_from_the_environment(ip: InteractiveShell, ctx: MagicContext, paragon_proxy: Any,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    double, server = paragon_proxy
    token = double.mint_token("user-1")
    monkeypatch.setenv("PARAGON_USER_TOKEN", token)
    monkeypatch.setenv("PARAGON_API_BASE", server.api_url)
    ok(ip, f"%paragon authenticate {double.project_id} --base-url {server.url}")
    assert ctx.paragon.api_base == server.api_url
    assert ctx.session is not None and ctx.session.label == "Paragon" and ctx.paragon is not None
    frame, _ = ok(ip, "%stripe list_customers")
    assert isinstance(frame, pd.DataFrame) and double.requests()[-1]["upstream_path"] == "/v1/customers"
    _, status = ok(ip, "%stripe status")
    assert "backend:  Paragon proxy" in status and token not in status
    _, dry = ok(ip, "%stripe create_customer --name X metadata[a]=1 --dry-run")
    assert "Content-Type: application/json" in dry and "  name = X" in dry and "  metadata[a] = 1" in dry
    assert token not in dry
    assert token not in _history(ip)


def test_paragon_errors_are_one_line(ip: InteractiveShell, tmp_path: Any) -> None:
    assert "PARAGON_USER_TOKEN" in fails(ip, "%paragon authenticate proj-1", ConfigurationError)
    assert "go together" in fails(ip, "%paragon authenticate proj-1 --user u1", UsageError)
    missing = tmp_path / "nope.pem"
    assert "cannot read the signing key" in fails(
        ip, f"%paragon authenticate proj-1 --signing-key {missing} --user u1", UsageError)
    jwt_like = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln"
    assert "must not be typed" in fails(ip, f"%paragon authenticate proj-1 {jwt_like}", UsageError)
    assert "not authenticated" in fails(ip, "%paragon user", UsageError)
    assert "not authenticated" in fails(ip, "%paragon use-credential abc", UsageError)
    assert "not authenticated" in fails(ip, "%paragon meta plan=pro", UsageError)
    assert "usage" in fails(ip, "%paragon frobnicate", UsageError)
    assert "credential id" in fails(ip, "%stripe list_customers --credential 'a b'", UsageError)


def test_paragon_credentials_from_the_magics(ip: InteractiveShell, ctx: MagicContext, paragon_proxy: Any,
                                             stripe_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    double, server = paragon_proxy
    first = double.credential_id("user-1")
    stripe_server.add_secret_key("sk_live_" + "MagicSecondAccount0000088")
    live = double.add_credential("user-1", "sk_live_" + "MagicSecondAccount0000088", account="acct_1MagicLive0002")
    monkeypatch.setenv("PARAGON_USER_TOKEN", double.mint_token("user-1"))
    _, shown = ok(ip, f"%paragon authenticate {double.project_id} --base-url {server.url} "
                      f"--api-base {server.api_url} --credential {live}")
    assert f"credential {live}" in shown and "live mode" in shown
    assert {r["headers"].get("X-Paragon-Credential") for r in double.requests()} == {live}

    table, summary = ok(ip, "%paragon user")
    assert "2 credential(s)" in summary
    assert list(table.credential) == [first, live] and list(table["in use"]) == ["", "*"]
    assert list(table["default"]) == [True, False]

    assert "LIVE" in fails(ip, "%stripe create_customer --name NotLive")
    _, shown = ok(ip, f"%paragon use-credential {first}")
    assert f"now use {first}" in shown and "test mode" in shown
    frame, _ = ok(ip, "%stripe create_customer --name OnTest")
    assert frame.attrs["stripe"]["livemode"] is False
    frame, _ = ok(ip, f"%stripe request /v1/account --credential {live}")  # one call on the other account
    assert frame.id[0] == "acct_1MagicLive0002" and double.requests()[-1]["credential_id"] == live
    assert "LIVE" in fails(ip, f"%stripe create_customer --name PerCall --credential {live}")
    frame, _ = ok(ip, f"%stripe create_customer --name PerCallLive --credential {live} --live")
    assert frame.attrs["stripe"]["livemode"] is True
    _, dry = ok(ip, f"%stripe create_customer --name X --credential {live} --dry-run")
    assert f"X-Paragon-Credential: {live}" in dry
    _, status = ok(ip, "%stripe status")
    assert f"credential: {first}" in status
    _, shown = ok(ip, "%paragon use-credential default")
    assert "Paragon's default credential" in shown
    assert "unexpected argument" in fails(ip, "%paragon use-credential a b", UsageError)


def test_paragon_meta_from_the_magics(ip: InteractiveShell, ctx: MagicContext, paragon_proxy: Any,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    double, server = paragon_proxy
    monkeypatch.setenv("PARAGON_USER_TOKEN", double.mint_token("user-1"))
    monkeypatch.setenv("PARAGON_API_BASE", server.api_url)
    ok(ip, f"%paragon authenticate {double.project_id} --base-url {server.url}")
    _, shown = ok(ip, "%paragon meta plan=pro 'team name=Blue Whale'")
    assert shown.strip() == "user metadata: plan=pro, team name=Blue Whale"
    assert double.user_meta("user-1") == {"plan": "pro", "team name": "Blue Whale"}
    _, shown = ok(ip, "%paragon meta")
    assert "plan=pro" in shown
    _, summary = ok(ip, "%paragon user")
    assert "metadata: plan=pro" in summary
    assert "key=value" in fails(ip, "%paragon meta justaword", UsageError)
